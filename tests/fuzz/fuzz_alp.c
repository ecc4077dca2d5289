/*
** fuzz_alp.c: libFuzzer target for the alp codec (codecs/alp.c), on the
** skeleton of fuzz_util.h (modes 0, 1 and 3 are described there), with
** sizes in whole doubles:
**   0  decode: the value count from 2 bytes (mod 4097, so dstSize is up to
**      32 KiB); errors CORRUPT, TRUNCATED or VERSION (modes 3..15) only.
**   1  raw round trip: the bytes (cut to whole doubles) are the values.
**   2  structured round trip, to reach ALP vectors with exceptions: byte 0
**      picks the decimal digits (0..18), then each pair of bytes is either a
**      special value (NaN payloads, -0.0, infinities, subnormals, DBL_MAX,
**      2^63, ...) or a 15-bit integer over 10^digits, and the whole series
**      is repeated to at least 1100 values so vectors fill up.
**   3  destination too small.
** The seed corpus (tests/fuzz/corpus/fuzz_alp) holds real payloads
** (weather, walks, specials, raw vectors) with their counts, and raw and
** structured round-trip inputs.
*/
#include "fuzz_util.h"

#include "bits.h"

extern const sqz_codec sqz_codec_alp;

static const uint64_t specials[] = {
    0x8000000000000000ull, 0x0000000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff0000000000001ull, 0x7ff4deadbeef1234ull, 0xffffffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
    0x4340000000000001ull, 0x4320000000000000ull, 0x3fd3333333333334ull, 0x400921fb54442d18ull};
#define SPECIALS (sizeof(specials) / sizeof(specials[0]))

static const double pow10_table[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                       1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  double scale = pow10_table[data[0] % 19];
  size_t pairs = (size - 1) / 2;
  if (pairs == 0) return;
  size_t n = pairs < 1100 ? 1100 + pairs : pairs;
  uint8_t *vals = fuzz_malloc(8 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned v = sqz_load16le(data + 1 + 2 * (i % pairs));
    uint64_t bits;
    if (v & 0x8000) {
      bits = specials[(v & 0x7fff) % SPECIALS];
    } else {
      bits = sqz_double_bits((double)((int)(v & 0x3fff) - (int)(v & 0x4000)) / scale);
    }
    sqz_store64le(vals + 8 * i, bits);
  }
  sqz_params p = {.level = 1};
  fuzz_roundtrip(&sqz_codec_alp, &p, vals, 8 * n, FUZZ_NO_CAP);
  free(vals);
}

static const fuzz_target target = {
    .codec = &sqz_codec_alp,
    .value_size = 8,
    .size_bytes = 2,
    .size_mod = 4097,
    .errors = FUZZ_ERR(CORRUPT) | FUZZ_ERR(TRUNCATED) | FUZZ_ERR(VERSION),
    .max_overhead = FUZZ_NO_CAP,
    .params_of = NULL,
    .structured = structured,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run(&target, data, size);
}

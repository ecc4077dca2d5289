/*
** fuzz_decimal.c: libFuzzer target for the decimal codec (codecs/decimal.c),
** on the skeleton of fuzz_util.h (modes 0, 1 and 3 are described there),
** with sizes in whole doubles:
**   0  decode: the value count from 2 bytes (mod 65537: up to four pages);
**      errors CORRUPT, TRUNCATED or VERSION only.
**   1  raw round trip: the bytes (cut to whole doubles) are the values.
**   2  structured round trip, to reach decimal pages with exceptions and
**      mapped bits: byte 0 picks the decimal digits (0..18), byte 1 a lag;
**      then each pair of bytes is either a special value (NaN payloads,
**      -0.0, infinities, subnormals, DBL_MAX, 2^63, full-precision
**      doubles) or a 15-bit step, added to the value one lag back, over
**      10^digits; the series is at least 1100 values long.
**   3  destination too small.
** Seed corpus: tests/fuzz/corpus/fuzz_decimal/ (payloads of every mode with
** their counts, raw and structured round-trip inputs).
*/
#include "fuzz_util.h"

#include "bits.h"

extern const sqz_codec sqz_codec_decimal;

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
  if (size < 2) return;
  double scale = pow10_table[data[0] % 19];
  size_t lag = 1 + data[1] % 48, pairs = (size - 2) / 2;
  if (pairs == 0) return;
  size_t n = pairs < 1100 ? 1100 + pairs : pairs;
  uint8_t *vals = fuzz_malloc(8 * n);
  int64_t *ints = fuzz_malloc(8 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned v = sqz_load16le(data + 2 + 2 * (i % pairs));
    int64_t back = i >= lag ? ints[i - lag] : 0;
    ints[i] = back + (int64_t)(v & 0x3fff) - (int64_t)(v & 0x4000);
    uint64_t bits =
        v & 0x8000 ? specials[(v & 0x7fff) % SPECIALS] : sqz_double_bits((double)ints[i] / scale);
    sqz_store64le(vals + 8 * i, bits);
  }
  sqz_params p = {.level = 1};
  fuzz_roundtrip(&sqz_codec_decimal, &p, vals, 8 * n, FUZZ_NO_CAP);
  free(vals), free(ints);
}

static const fuzz_target target = {
    .codec = &sqz_codec_decimal,
    .value_size = 8,
    .size_bytes = 2,
    .size_mod = 65537,
    .errors = FUZZ_ERR(CORRUPT) | FUZZ_ERR(TRUNCATED) | FUZZ_ERR(VERSION),
    .max_overhead = FUZZ_NO_CAP,
    .params_of = NULL,
    .structured = structured,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run(&target, data, size);
}

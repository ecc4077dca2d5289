/*
** fuzz_rle.c: libFuzzer target for the rle codec (codecs/rle.c), on the
** skeleton of fuzz_util.h (modes 0, 1 and 3 are described there):
**   0  decode: dstSize from 3 bytes (at most 1 MiB); errors CORRUPT or
**      TRUNCATED only.
**   1  round trip; the output may exceed the input by at most 10 bytes.
**   2  structured round trip, to reach runs of every unit and length: each
**      pair of bytes (a, b) appends a run of 1 + (a >> 2) * (1 + b % 8)
**      bytes of a unit of 1 << (a & 3) bytes taken from the input, or,
**      when b >= 248, b - 247 literal bytes.
**   3  destination too small.
** The seed corpus (tests/fuzz/corpus/fuzz_rle) holds real payloads (zeros,
** doubles, sparse, text, every token kind) with their sizes, and round-trip
** inputs.
*/
#include "fuzz_util.h"

extern const sqz_codec sqz_codec_rle;
#define MAX_DST ((size_t)1 << 20)
#define RLE_OVERHEAD 10 /* bytes above the input, worst case */

static void structured(const uint8_t *data, size_t size) {
  size_t cap = MAX_DST, n = 0;
  uint8_t *out = fuzz_malloc(cap);
  for (size_t i = 0; i + 1 < size && n < cap; i += 2) {
    unsigned a = data[i], b = data[i + 1];
    if (b >= 248) { /* literal bytes from the input */
      for (size_t k = 0; k < b - 247u && n < cap; k++)
        out[n++] = data[(i + k) % size];
      continue;
    }
    size_t w = (size_t)1 << (a & 3), len = 1 + (size_t)(a >> 2) * (1 + b % 8);
    for (size_t k = 0; k < len && n < cap; k++)
      out[n++] = data[(i + k % w) % size];
  }
  sqz_params p = {.level = 1};
  fuzz_roundtrip(&sqz_codec_rle, &p, out, n, RLE_OVERHEAD);
  free(out);
}

static const fuzz_target target = {
    .codec = &sqz_codec_rle,
    .value_size = 1,
    .size_bytes = 3,
    .size_mod = MAX_DST + 1,
    .errors = FUZZ_ERR(CORRUPT) | FUZZ_ERR(TRUNCATED),
    .max_overhead = RLE_OVERHEAD,
    .params_of = NULL,
    .structured = structured,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run(&target, data, size);
}

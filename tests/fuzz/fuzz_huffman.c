/*
** fuzz_huffman.c: libFuzzer target for the huffman codec
** (codecs/huffman.c), on the skeleton of fuzz_util.h (modes 0, 1 and 3 are
** described there):
**   0  decode: dstSize from 3 bytes (at most 1 MiB); errors CORRUPT,
**      TRUNCATED or VERSION (block type 3) only.
**   1  round trip.
**   2  structured round trip, to reach several blocks and long codes: byte
**      0 is a skew s; each following byte b is written 1 + (b % 16) << s
**      times, until 300 KiB or the input runs out, then the whole series is
**      shuffled by a fixed odd stride so every stream holds every length.
**   3  destination too small.
** The seed corpus (tests/fuzz/corpus/fuzz_huffman) holds real payloads
** (prose, JSON, CSV, two symbols, skewed, RLE and raw blocks) with their
** sizes, and round-trip inputs.
*/
#include "fuzz_util.h"

extern const sqz_codec sqz_codec_huffman;
#define MAX_DST ((size_t)1 << 20)

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  unsigned skew = data[0] % 8;
  size_t cap = (size_t)300 << 10, n = 0;
  uint8_t *series = fuzz_malloc(cap), *mixed = fuzz_malloc(cap);
  for (size_t i = 1; i < size && n < cap; i++) {
    size_t reps = (size_t)(1 + data[i] % 16) << skew;
    if (reps > cap - n) reps = cap - n;
    memset(series + n, data[i], reps);
    n += reps;
  }
  for (size_t i = 0; i < n; i++)
    mixed[i] = series[(i * 40503u) % n];
  sqz_params p = {.level = 1};
  fuzz_roundtrip(&sqz_codec_huffman, &p, series, n, FUZZ_NO_CAP);
  fuzz_roundtrip(&sqz_codec_huffman, &p, mixed, n, FUZZ_NO_CAP);
  free(series), free(mixed);
}

static const fuzz_target target = {
    .codec = &sqz_codec_huffman,
    .value_size = 1,
    .size_bytes = 3,
    .size_mod = MAX_DST + 1,
    .errors = FUZZ_ERR(CORRUPT) | FUZZ_ERR(TRUNCATED) | FUZZ_ERR(VERSION),
    .max_overhead = FUZZ_NO_CAP,
    .params_of = NULL,
    .structured = structured,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run(&target, data, size);
}

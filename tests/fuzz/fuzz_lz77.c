/*
** fuzz_lz77.c: libFuzzer target for the lz77 codec (codecs/lz77.c), on the
** skeleton of fuzz_util.h (modes 0, 1 and 3 are described there):
**   0  decode: dstSize from 3 bytes (at most 1 MiB); the only error is
**      CORRUPT.
**   1  round trip of bytes 2.. at the level and window byte 1 picks (level
**      1 + b % 12, window_log 10 + b / 12 % 15; level 9 at most above
**      64 KiB, to keep runs short).
**   2  round trip of a structured input, to reach long and overlapping
**      matches at every distance: byte 0 picks the parameters, then each
**      pair of bytes (a, b) appends 1 + a copies of a byte (b < 64), or
**      4 + a bytes copied from b * 97 + 1 bytes back, or (b >= 192) b - 191
**      bytes of the input.
**   3  destination too small (d[1] also picks the parameters).
** The seed corpus (tests/fuzz/corpus/fuzz_lz77) holds real payloads of
** examples/data excerpts at several levels with their sizes, the format
** doc's examples, damaged payloads, and round-trip inputs.
*/
#include "fuzz_util.h"

extern const sqz_codec sqz_codec_lz77;
#define MAX_DST ((size_t)1 << 20)

static sqz_params params_of(uint8_t b, size_t n) {
  sqz_params p = {.level = 1 + b % 12, .window_log = 10 + b / 12 % 15};
  if (n > 65536 && p.level > 9) p.level = 9; /* the optimal parser is slow on 1 MiB */
  return p;
}

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  uint8_t pick = data[0];
  data++, size--;
  uint8_t *out = fuzz_malloc(MAX_DST);
  size_t n = 0;
  for (size_t i = 0; i + 1 < size && n < MAX_DST; i += 2) {
    size_t a = data[i], b = data[i + 1], len;
    if (b < 64) {
      len = 1 + a < MAX_DST - n ? 1 + a : MAX_DST - n;
      memset(out + n, (int)b, len);
    } else if (b < 192) {
      size_t back = b * 97 + 1;
      len = 4 + a < MAX_DST - n ? 4 + a : MAX_DST - n;
      for (size_t k = 0; k < len; k++, n++)
        out[n] = n >= back ? out[n - back] : (uint8_t)k;
      continue;
    } else {
      len = b - 191 < MAX_DST - n ? b - 191 : MAX_DST - n;
      for (size_t k = 0; k < len; k++)
        out[n + k] = data[(i + k) % size];
    }
    n += len;
  }
  sqz_params p = params_of(pick, n);
  fuzz_roundtrip(&sqz_codec_lz77, &p, out, n, FUZZ_NO_CAP);
  free(out);
}

static const fuzz_target target = {
    .codec = &sqz_codec_lz77,
    .value_size = 1,
    .size_bytes = 3,
    .size_mod = MAX_DST + 1,
    .errors = FUZZ_ERR(CORRUPT),
    .max_overhead = FUZZ_NO_CAP,
    .params_of = params_of,
    .structured = structured,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_run(&target, data, size);
}

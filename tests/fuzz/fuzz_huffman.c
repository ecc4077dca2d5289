/*
** fuzz_huffman.c: libFuzzer target for the huffman codec (codecs/huffman.c).
**
** Byte 0 picks the mode (byte 0 % 4):
**   0  decode: bytes 1-3 give dstSize (little-endian, at most 1 MiB), bytes
**      4.. are a payload handed to the decoder in a buffer of exactly its
**      size. The decoder must never touch memory outside its buffers (ASan)
**      and a success must fill exactly dstSize; what it decodes must then
**      survive a round trip.
**   1  round trip of bytes 1..
**   2  structured round trip, to reach several blocks and long codes: byte
**      1 is a skew s; each following byte b is written 1 + (b % 16) << s
**      times, until 300 KiB or the input runs out, then the whole series is
**      shuffled by a fixed odd stride so every stream holds every length.
**   3  destination too small: compression of bytes 2.. into a buffer byte 1
**      + 1 bytes shorter than the compressed size must fail with
**      DST_TOO_SMALL and write nothing outside the buffer.
** Every failure aborts. The seed corpus (tests/fuzz/corpus/fuzz_huffman)
** holds real payloads (prose, JSON, CSV, two symbols, skewed, RLE and raw
** blocks) with their sizes, and round-trip inputs.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_huffman;
#define C (&sqz_codec_huffman)
#define MAX_DST ((size_t)1 << 20)

static sqz_ctx *ctx;
static const sqz_params params = {.level = 1};

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

/* Compresses src[0..n), decodes from an exact-size copy, compares. Returns
** the compressed size. */
static size_t roundtrip(const uint8_t *src, size_t n) {
  size_t cap = C->bound(n);
  uint8_t *comp = xmalloc(cap), *back = xmalloc(n);
  size_t cs = C->compress(ctx, comp, cap, src, n, &params);
  if (sqz_is_error(cs) || cs > cap) abort();
  uint8_t *exact = xmalloc(cs);
  memcpy(exact, comp, cs);
  if (C->decompress(ctx, back, n, exact, cs) != n) abort();
  if (n && memcmp(back, src, n) != 0) abort();
  free(exact), free(comp), free(back);
  return cs;
}

static void decode_any(const uint8_t *data, size_t size) {
  if (size < 3) return;
  size_t n = ((size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16) % (MAX_DST + 1);
  size_t len = size - 3;
  uint8_t *src = xmalloc(len), *out = xmalloc(n);
  memcpy(src, data + 3, len);
  size_t r = C->decompress(ctx, out, n, src, len);
  if (!sqz_is_error(r)) {
    if (r != n) abort();
    roundtrip(out, n);
  } else if (sqz_error_of(r) != SQZ_ERROR_CORRUPT && sqz_error_of(r) != SQZ_ERROR_TRUNCATED &&
             sqz_error_of(r) != SQZ_ERROR_VERSION) {
    abort();
  }
  free(src), free(out);
}

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  unsigned skew = data[0] % 8;
  size_t cap = (size_t)300 << 10, n = 0;
  uint8_t *series = xmalloc(cap), *mixed = xmalloc(cap);
  for (size_t i = 1; i < size && n < cap; i++) {
    size_t reps = (size_t)(1 + data[i] % 16) << skew;
    if (reps > cap - n) reps = cap - n;
    memset(series + n, data[i], reps);
    n += reps;
  }
  for (size_t i = 0; i < n; i++)
    mixed[i] = series[(i * 40503u) % n];
  roundtrip(series, n);
  roundtrip(mixed, n);
  free(series), free(mixed);
}

static void too_small(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t n = size - 2, cs = roundtrip(data + 2, n), shorter = (size_t)data[1] + 1;
  if (shorter > cs) return;
  uint8_t *dst = xmalloc(cs - shorter);
  size_t r = C->compress(ctx, dst, cs - shorter, data + 2, n, &params);
  if (sqz_error_of(r) != SQZ_ERROR_DST_TOO_SMALL) abort();
  free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx && !(ctx = sqz_ctx_create(NULL))) abort();
  if (size < 1) return 0;
  switch (data[0] % 4) {
  case 0:
    decode_any(data + 1, size - 1);
    break;
  case 1:
    roundtrip(data + 1, size - 1);
    break;
  case 2:
    structured(data + 1, size - 1);
    break;
  default:
    too_small(data + 1, size - 1);
    break;
  }
  return 0;
}

/*
** fuzz_rle.c: libFuzzer target for the rle codec (codecs/rle.c).
**
** Byte 0 picks the mode (byte 0 % 4):
**   0  decode: bytes 1-3 give dstSize (little-endian, at most 1 MiB), bytes
**      4.. are a payload handed to the decoder in a buffer of exactly its
**      size. The decoder must never touch memory outside its buffers (ASan)
**      and a success must fill exactly dstSize; what it decodes must then
**      survive a round trip.
**   1  round trip of bytes 1.. (the output may exceed the input by at most
**      10 bytes).
**   2  structured round trip, to reach runs of every unit and length: each
**      pair of bytes (a, b) appends a run of 1 + (a >> 2) * (1 + b % 8)
**      bytes of a unit of 1 << (a & 3) bytes taken from the input, or,
**      when b >= 248, b - 247 literal bytes.
**   3  destination too small: compression of bytes 2.. into a buffer byte 1
**      + 1 bytes shorter than the compressed size must fail with
**      DST_TOO_SMALL and write nothing outside the buffer.
** Every failure aborts. The seed corpus (tests/fuzz/corpus/fuzz_rle) holds
** real payloads (zeros, doubles, sparse, text, every token kind) with their
** sizes, and round-trip inputs.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_rle;
#define C (&sqz_codec_rle)
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
  if (sqz_is_error(cs) || cs > cap || cs > n + 10) abort();
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
  } else if (sqz_error_of(r) != SQZ_ERROR_CORRUPT && sqz_error_of(r) != SQZ_ERROR_TRUNCATED) {
    abort();
  }
  free(src), free(out);
}

static void structured(const uint8_t *data, size_t size) {
  size_t cap = MAX_DST, n = 0;
  uint8_t *out = xmalloc(cap);
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
  roundtrip(out, n);
  free(out);
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

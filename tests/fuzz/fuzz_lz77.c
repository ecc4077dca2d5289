/*
** fuzz_lz77.c: libFuzzer target for the lz77 codec (codecs/lz77.c).
**
** Byte 0 picks the mode (byte 0 % 4):
**   0  decode: bytes 1-3 give dstSize (little-endian, at most 1 MiB), bytes
**      4.. are a payload handed to the decoder in a buffer of exactly its
**      size, into a dst of exactly dstSize bytes. The decoder must never
**      touch memory outside them (ASan), fail only with CORRUPT, and a
**      success must fill exactly dstSize; what it decoded must then survive
**      a round trip.
**   1  round trip of bytes 2.. at the level and window byte 1 picks (level
**      1 + b % 12, window_log 10 + b / 12 % 15; level 9 at most above
**      64 KiB, to keep runs short); the output must fit bound() and decode
**      from an exact-size copy to the input.
**   2  round trip of a structured input, to reach long and overlapping
**      matches at every distance: each pair of bytes (a, b) of bytes 2..
**      appends 1 + a copies of a byte (b < 64), or 4 + a bytes copied from
**      b * 97 + 1 bytes back, or (b >= 192) b - 191 bytes of the input.
**   3  destination too small: compression of bytes 2.. into a buffer byte 1
**      + 1 bytes shorter than the compressed size must fail with
**      DST_TOO_SMALL and write nothing outside the buffer.
** Any failure aborts. The seed corpus (tests/fuzz/corpus/fuzz_lz77) holds
** real payloads of examples/data excerpts at several levels with their
** sizes, the format doc's examples, damaged payloads, and round-trip inputs.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_lz77;
#define C (&sqz_codec_lz77)
#define MAX_DST ((size_t)1 << 20)

static sqz_ctx *ctx;

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

static sqz_params params_of(uint8_t b) {
  sqz_params p = {.level = 1 + b % 12, .window_log = 10 + b / 12 % 15};
  return p;
}

/* Compresses src[0..n), decodes from an exact-size copy into an exact-size
** dst, compares. Returns the compressed size. */
static size_t roundtrip(const uint8_t *src, size_t n, const sqz_params *params) {
  sqz_params q = *params;
  const sqz_params *p = &q;
  if (n > 65536 && q.level > 9) q.level = 9; /* the optimal parser is slow on 1 MiB */
  size_t cap = C->bound(n);
  uint8_t *comp = xmalloc(cap), *back = xmalloc(n);
  size_t cs = C->compress(ctx, comp, cap, src, n, p);
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
    sqz_params p = params_of((uint8_t)n);
    if (r != n) abort();
    roundtrip(out, n, &p);
  } else if (sqz_error_of(r) != SQZ_ERROR_CORRUPT) {
    abort();
  }
  free(src), free(out);
}

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  sqz_params p = params_of(data[0]);
  data++, size--;
  uint8_t *out = xmalloc(MAX_DST);
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
  roundtrip(out, n, &p);
  free(out);
}

static void too_small(const uint8_t *data, size_t size) {
  if (size < 2) return;
  sqz_params p = params_of(data[1]);
  size_t n = size - 2, cs = roundtrip(data + 2, n, &p), shorter = (size_t)data[1] + 1;
  if (shorter > cs) return;
  uint8_t *dst = xmalloc(cs - shorter);
  size_t r = C->compress(ctx, dst, cs - shorter, data + 2, n, &p);
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
    if (size >= 2) {
      sqz_params p = params_of(data[1]);
      roundtrip(data + 2, size - 2, &p);
    }
    break;
  case 2:
    structured(data + 1, size - 1);
    break;
  default:
    too_small(data + 1, size - 1);
    break;
  }
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  if (st.in_use) abort(); /* scratch released on every path */
  return 0;
}

/*
** ts_fuzz.h: the libFuzzer body shared by fuzz_gorilla.c, fuzz_dod.c and
** fuzz_delta.c; each target calls ts_fuzz_one() with its codec.
**
** Input byte 0 picks the mode (byte 0 % 4):
**   0: decode arbitrary bytes. Bytes 1..2 give the value count (little
**      endian, capped at TS_FUZZ_MAX_VALUES), so dstSize = 8 * count; the
**      rest is the payload, copied to a buffer of exactly its size. The
**      decoder must return an error or exactly dstSize, touch nothing outside
**      the buffers (ASan), and what it decodes must round-trip again.
**   1: round trip bytes 1.. as raw values (srcSize % 8 != 0 must give
**      SRC_SIZE); also compress into a destination one byte smaller than the
**      payload, which must fail with DST_TOO_SMALL and write nothing beyond.
**   2, 3: round trip a structured series: every input byte is a signed step,
**      scaled by byte 0, so repeats, small steps and small dods (the
**      interesting paths of these codecs) are reached by short inputs; mode 3
**      turns the series into doubles (v / 100.0) for the XOR paths.
** Any failed property calls abort().
*/
#ifndef SQZ_TS_FUZZ_H
#define SQZ_TS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitstream.h"
#include "codec.h"
#include "pool.h"

#define TS_FUZZ_MAX_VALUES 65536

static sqz_ctx *ts_fuzz_ctx;

/* Compresses and decompresses bytes of src with c; aborts unless the round
** trip is exact. */
static void ts_fuzz_roundtrip(const sqz_codec *c, const uint8_t *src, size_t bytes) {
  static const sqz_params params = {.level = 1};
  size_t cap = c->bound(bytes);
  uint8_t *comp = malloc(cap ? cap : 1);
  size_t n = c->compress(ts_fuzz_ctx, comp, cap, src, bytes, &params);
  if (bytes % 8) {
    if (n != SQZ_ERROR(SRC_SIZE)) abort();
    free(comp);
    return;
  }
  if (sqz_is_error(n) || n > cap) abort();
  uint8_t *exact = malloc(n ? n : 1), *out = malloc(bytes ? bytes : 1);
  memcpy(exact, comp, n);
  if (c->decompress(ts_fuzz_ctx, out, bytes, exact, n) != bytes) abort();
  if (bytes && memcmp(out, src, bytes) != 0) abort();
  if (n > 0) {
    uint8_t *small = malloc(n - 1 ? n - 1 : 1);
    if (c->compress(ts_fuzz_ctx, small, n - 1, src, bytes, &params) != SQZ_ERROR(DST_TOO_SMALL))
      abort();
    free(small);
  }
  free(out);
  free(exact);
  free(comp);
}

/* Decodes a payload of exactly size bytes into count values. */
static void ts_fuzz_decode(const sqz_codec *c, const uint8_t *data, size_t size, size_t count) {
  uint8_t *src = malloc(size ? size : 1), *dst = malloc(count ? 8 * count : 1);
  if (size) memcpy(src, data, size);
  size_t r = c->decompress(ts_fuzz_ctx, dst, 8 * count, src, size);
  if (!sqz_is_error(r)) {
    if (r != 8 * count) abort();
    ts_fuzz_roundtrip(c, dst, r);
  }
  free(dst);
  free(src);
}

/* A series from signed byte steps scaled by (scale + 1): as int64 values,
** or (as_double) as the doubles v / 100.0. */
static void ts_fuzz_series(const sqz_codec *c, const uint8_t *data, size_t size, unsigned scale,
                           int as_double) {
  uint8_t *b = malloc(size ? 8 * size : 1);
  int64_t v = 1700000000;
  for (size_t i = 0; i < size; i++) {
    v += (int64_t)(int8_t)data[i] * (int64_t)(scale + 1);
    uint64_t u = (uint64_t)v;
    if (as_double) {
      double d = (double)v / 100.0;
      memcpy(&u, &d, 8);
    }
    sqz_store64le(b + 8 * i, u);
  }
  ts_fuzz_roundtrip(c, b, 8 * size);
  free(b);
}

static int ts_fuzz_one(const sqz_codec *c, const uint8_t *data, size_t size) {
  if (!ts_fuzz_ctx) ts_fuzz_ctx = sqz_ctx_create(NULL);
  if (size < 1) return 0;
  unsigned mode = data[0] % 4, scale = data[0] >> 2;
  data++, size--;
  switch (mode) {
  case 0:
    if (size < 2) return 0;
    ts_fuzz_decode(c, data + 2, size - 2,
                   (data[0] | (size_t)data[1] << 8) % (TS_FUZZ_MAX_VALUES + 1));
    break;
  case 1:
    ts_fuzz_roundtrip(c, data, size);
    break;
  default:
    ts_fuzz_series(c, data, size, scale, mode == 3);
    break;
  }
  return 0;
}

#endif /* SQZ_TS_FUZZ_H */

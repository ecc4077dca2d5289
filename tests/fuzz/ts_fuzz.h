/*
** ts_fuzz.h: the libFuzzer body shared by fuzz_gorilla.c, fuzz_dod.c and
** fuzz_delta.c; each target calls ts_fuzz_one() with its codec. Built on the
** helpers of fuzz_util.h.
**
** Input byte 0 picks the mode (byte 0 % 4):
**   0: decode arbitrary bytes. Bytes 1..2 give the value count (little
**      endian, capped at TS_FUZZ_MAX_VALUES), so dstSize = 8 * count; the
**      rest is the payload, copied to a buffer of exactly its size. The
**      decoder must return exactly dstSize or CORRUPT, TRUNCATED or VERSION,
**      touch nothing outside the buffers (ASan), and what it decodes must
**      round-trip again.
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

#include "bits.h"
#include "fuzz_util.h"

#define TS_FUZZ_MAX_VALUES 65536

static const sqz_params ts_fuzz_params = {.level = 1};

/* Mode 1's property: SRC_SIZE for bytes % 8 != 0, else fuzz_too_small()
** one byte short. */
static void ts_fuzz_roundtrip(const sqz_codec *c, const uint8_t *src, size_t bytes) {
  if (bytes % 8 == 0) {
    fuzz_too_small(c, &ts_fuzz_params, src, bytes, 1, FUZZ_NO_CAP);
    return;
  }
  size_t cap = c->bound(bytes);
  uint8_t *comp = fuzz_malloc(cap);
  if (c->compress(fuzz_context(), comp, cap, src, bytes, &ts_fuzz_params) != SQZ_ERROR(SRC_SIZE))
    abort();
  free(comp);
}

/* A series from signed byte steps scaled by (scale + 1): as int64 values,
** or (as_double) as the doubles v / 100.0. */
static void ts_fuzz_series(const sqz_codec *c, const uint8_t *data, size_t size, unsigned scale,
                           int as_double) {
  uint8_t *b = fuzz_malloc(8 * size);
  int64_t v = 1700000000;
  for (size_t i = 0; i < size; i++) {
    v += (int64_t)(int8_t)data[i] * (int64_t)(scale + 1);
    sqz_store64le(b + 8 * i, as_double ? sqz_double_bits((double)v / 100.0) : (uint64_t)v);
  }
  ts_fuzz_roundtrip(c, b, 8 * size);
  free(b);
}

static int ts_fuzz_one(const sqz_codec *c, const uint8_t *data, size_t size) {
  fuzz_context();
  if (size < 1) return 0;
  unsigned mode = data[0] % 4, scale = data[0] >> 2;
  data++, size--;
  switch (mode) {
  case 0:
    if (size < 2) return 0;
    fuzz_decode(c, &ts_fuzz_params, data + 2, size - 2,
                8 * (sqz_load16le(data) % (TS_FUZZ_MAX_VALUES + 1)),
                FUZZ_ERR(CORRUPT) | FUZZ_ERR(TRUNCATED) | FUZZ_ERR(VERSION), FUZZ_NO_CAP);
    break;
  case 1:
    ts_fuzz_roundtrip(c, data, size);
    break;
  default:
    ts_fuzz_series(c, data, size, scale, mode == 3);
    break;
  }
  fuzz_check_released();
  return 0;
}

#endif /* SQZ_TS_FUZZ_H */

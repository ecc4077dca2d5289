/*
** fuzz_alp.c: libFuzzer target for the alp codec (codecs/alp.c).
**
** Byte 0 picks the mode (byte 0 % 4):
**   0  decode: bytes 1-2 give the value count (little-endian, mod 4097, so
**      dstSize is a multiple of 8 up to 32 KiB), bytes 3.. are a payload.
**      The decoder must never touch memory outside its buffers (ASan) and a
**      success must fill exactly dstSize; what it decodes must round-trip.
**   1  raw round trip: bytes 1.. (cut to whole doubles) are the values.
**   2  structured round trip, to reach ALP vectors with exceptions: byte 1
**      picks the decimal digits (0..18), then each pair of bytes is either a
**      special value (NaN payloads, -0.0, infinities, subnormals, DBL_MAX,
**      2^63, ...) or a 15-bit integer over 10^digits, and the whole series
**      is repeated to at least 1100 values so vectors fill up.
**   3  destination too small: round trip of bytes 2.., then compression
**      into a buffer byte 1 + 1 bytes shorter than needed, which must fail
**      with DST_TOO_SMALL and write nothing outside it.
** Every failure aborts. The seed corpus (tests/fuzz/corpus/fuzz_alp) holds
** real payloads (weather, walks, specials, raw vectors) with their counts,
** and raw and structured round-trip inputs.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_alp;
#define C (&sqz_codec_alp)

static sqz_ctx *ctx;
static const sqz_params params = {.level = 1};

static const uint64_t specials[] = {
    0x8000000000000000ull, 0x0000000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff0000000000001ull, 0x7ff4deadbeef1234ull, 0xffffffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
    0x4340000000000001ull, 0x4320000000000000ull, 0x3fd3333333333334ull, 0x400921fb54442d18ull};
#define SPECIALS (sizeof(specials) / sizeof(specials[0]))

static const double pow10_table[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                       1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* Compresses n bytes of doubles, decodes, compares; aborts on any failure. */
static void roundtrip(const uint8_t *src, size_t n) {
  size_t cap = C->bound(n);
  uint8_t *comp = malloc(cap ? cap : 1), *back = malloc(n ? n : 1);
  if (!comp || !back) abort();
  size_t cs = C->compress(ctx, comp, cap, src, n, &params);
  if (sqz_is_error(cs) || cs > cap) abort();
  uint8_t *exact = malloc(cs ? cs : 1); /* the decoder sees exactly the payload */
  if (!exact) abort();
  memcpy(exact, comp, cs);
  if (C->decompress(ctx, back, n, exact, cs) != n) abort();
  if (n && memcmp(back, src, n) != 0) abort();
  free(exact);
  free(comp);
  free(back);
}

static void decode_any(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t n = 8 * ((size_t)(data[0] | data[1] << 8) % 4097);
  size_t len = size - 2;
  uint8_t *src = malloc(len ? len : 1), *out = malloc(n ? n : 1);
  if (!src || !out) abort();
  memcpy(src, data + 2, len);
  size_t r = C->decompress(ctx, out, n, src, len);
  if (!sqz_is_error(r)) {
    if (r != n) abort();
    roundtrip(out, n);
  }
  free(src);
  free(out);
}

static void structured(const uint8_t *data, size_t size) {
  if (size < 1) return;
  double scale = pow10_table[data[0] % 19];
  size_t pairs = (size - 1) / 2;
  if (pairs == 0) return;
  size_t n = pairs < 1100 ? 1100 + pairs : pairs;
  uint8_t *vals = malloc(8 * n);
  if (!vals) abort();
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = data + 1 + 2 * (i % pairs);
    unsigned v = (unsigned)p[0] | (unsigned)p[1] << 8;
    uint64_t bits;
    if (v & 0x8000) {
      bits = specials[(v & 0x7fff) % SPECIALS];
    } else {
      double d = (double)((int)(v & 0x3fff) - (int)(v & 0x4000)) / scale;
      memcpy(&bits, &d, 8);
    }
    for (int b = 0; b < 8; b++)
      vals[8 * i + b] = (uint8_t)(bits >> (8 * b));
  }
  roundtrip(vals, 8 * n);
  free(vals);
}

static void too_small(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t n = (size - 1) - (size - 1) % 8;
  const uint8_t *src = data + 1;
  size_t cap = C->bound(n);
  uint8_t *comp = malloc(cap ? cap : 1);
  if (!comp) abort();
  size_t cs = C->compress(ctx, comp, cap, src, n, &params);
  if (sqz_is_error(cs)) abort();
  size_t shorter = (size_t)data[0] + 1;
  if (cs >= shorter) {
    size_t small = cs - shorter;
    uint8_t *dst = malloc(small ? small : 1);
    if (!dst) abort();
    if (sqz_error_of(C->compress(ctx, dst, small, src, n, &params)) != SQZ_ERROR_DST_TOO_SMALL)
      abort();
    free(dst);
  }
  free(comp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) ctx = sqz_ctx_create(NULL);
  if (size < 1) return 0;
  switch (data[0] % 4) {
  case 0:
    decode_any(data + 1, size - 1);
    break;
  case 1:
    roundtrip(data + 1, (size - 1) - (size - 1) % 8);
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
  if (st.in_use != 0) abort(); /* every path gives its scratch back */
  return 0;
}

/*
** fuzz_util.h: the skeleton the codec fuzz targets share: the round trip,
** the decoding of garbage and the destination that is too small, and the
** four-mode dispatch of fuzz_rle.c, fuzz_huffman.c, fuzz_lz77.c and
** fuzz_alp.c (ts_fuzz.h builds the typed series targets on the same
** helpers). Each buffer a codec sees is allocated to its exact size, so ASan
** catches any access past it; every failed property calls abort().
**
** fuzz_run() reads byte 0 of the input as the mode (byte 0 % 4); d is the
** rest of the input, v the codec's value size (1, or 8 for typed codecs;
** sizes are cut to whole values):
**   0  decode: the first size_bytes bytes of d give dstSize (little-endian,
**      modulo size_mod, times v), the rest is a payload handed to the decoder
**      in a buffer of exactly its size. It must return exactly dstSize or
**      one of the target's allowed errors; what it decodes must then survive
**      a round trip, and compressing it one byte short must fail.
**   1  round trip of d (after a parameter byte when the target has
**      params_of): the output must fit bound() (and the target's overhead
**      cap) and decode from an exact-size copy to the input.
**   2  the target's structured input, which it round-trips itself.
**   3  destination too small: d[1] picks the parameters and d[1] + 1 how
**      many bytes shorter than the compressed size of d[2..] the
**      destination is; compressing into it must fail with DST_TOO_SMALL.
** After every input no scratch block may still be in use.
*/
#ifndef SQZ_FUZZ_UTIL_H
#define SQZ_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "codec.h"
#include "pool.h"

#define FUZZ_NO_CAP SIZE_MAX /* max_overhead: only bound() limits the output */

static sqz_ctx *fuzz_ctx;

/* n bytes (at least 1 allocated), or abort. */
static inline void *fuzz_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

/* A copy of n bytes of src in a buffer of exactly n bytes. */
static inline uint8_t *fuzz_dup(const void *src, size_t n) {
  uint8_t *p = fuzz_malloc(n);
  if (n) memcpy(p, src, n);
  return p;
}

/* The context every target uses, created on first use. */
static inline sqz_ctx *fuzz_context(void) {
  if (!fuzz_ctx && !(fuzz_ctx = sqz_ctx_create(NULL))) abort();
  return fuzz_ctx;
}

/* Compresses src[0..n) with c and p within bound() (and n + max_overhead),
** decodes from an exact-size copy into an exact-size buffer and compares.
** Returns the compressed size. */
static inline size_t fuzz_roundtrip(const sqz_codec *c, const sqz_params *p, const uint8_t *src,
                                    size_t n, size_t max_overhead) {
  sqz_ctx *ctx = fuzz_context();
  size_t cap = c->bound(n);
  uint8_t *comp = fuzz_malloc(cap), *back = fuzz_malloc(n);
  size_t cs = c->compress(ctx, comp, cap, src, n, p);
  if (sqz_is_error(cs) || cs > cap) abort();
  if (max_overhead != FUZZ_NO_CAP && cs > n + max_overhead) abort();
  uint8_t *exact = fuzz_dup(comp, cs);
  if (c->decompress(ctx, back, n, exact, cs) != n) abort();
  if (n && memcmp(back, src, n) != 0) abort();
  free(exact), free(comp), free(back);
  return cs;
}

/* Round-trips src[0..n), then compresses it into a destination shorter
** bytes shorter than its compressed size (when it is that long), which must
** fail with DST_TOO_SMALL without writing outside it. */
static inline void fuzz_too_small(const sqz_codec *c, const sqz_params *p, const uint8_t *src,
                                  size_t n, size_t shorter, size_t max_overhead) {
  size_t cs = fuzz_roundtrip(c, p, src, n, max_overhead);
  if (shorter > cs) return;
  uint8_t *dst = fuzz_malloc(cs - shorter);
  if (sqz_error_of(c->compress(fuzz_context(), dst, cs - shorter, src, n, p)) !=
      SQZ_ERROR_DST_TOO_SMALL)
    abort();
  free(dst);
}

/* Decodes payload[0..len) (copied to an exact-size buffer) into dstSize
** bytes: the result must be dstSize, or an error whose code is in the bit
** set errors (1u << code; 0 allows any). What decodes goes through
** fuzz_too_small() with p: a round trip, then a destination one byte short. */
static inline void fuzz_decode(const sqz_codec *c, const sqz_params *p, const uint8_t *payload,
                               size_t len, size_t dstSize, unsigned errors, size_t max_overhead) {
  uint8_t *src = fuzz_dup(payload, len), *out = fuzz_malloc(dstSize);
  size_t r = c->decompress(fuzz_context(), out, dstSize, src, len);
  if (!sqz_is_error(r)) {
    if (r != dstSize) abort();
    fuzz_too_small(c, p, out, dstSize, 1, max_overhead);
  } else if (errors && !(errors & (1u << sqz_error_of(r)))) {
    abort();
  }
  free(src), free(out);
}

/* Aborts when a scratch block is still in use: every path gives its back. */
static inline void fuzz_check_released(void) {
  sqz_pool_stats st;
  sqz_ctx_stats(fuzz_context(), &st);
  if (st.in_use) abort();
}

/* What fuzz_run() needs to know of a codec target. */
typedef struct fuzz_target {
  const sqz_codec *codec;
  unsigned value_size; /* 1, or 8 for typed codecs */
  unsigned size_bytes; /* mode 0: bytes of the dstSize field (1..8) */
  size_t size_mod;     /* mode 0: the field is taken modulo this (then times value_size) */
  unsigned errors;     /* mode 0: allowed error codes, bit (1u << code); 0: any */
  size_t max_overhead; /* round trips: output at most input + this, or FUZZ_NO_CAP */
  /* the parameters a byte b picks for an input of n bytes; NULL: level 1,
  ** and mode 1 has no parameter byte */
  sqz_params (*params_of)(uint8_t b, size_t n);
  /* mode 2: builds an input from data and round-trips it */
  void (*structured)(const uint8_t *data, size_t size);
} fuzz_target;

/* The bit of an error code in fuzz_target.errors. */
#define FUZZ_ERR(name) (1u << SQZ_ERROR_##name)

static inline sqz_params fuzz_params(const fuzz_target *t, uint8_t b, size_t n) {
  sqz_params p = {.level = 1};
  return t->params_of ? t->params_of(b, n) : p;
}

/* Runs one input through the four modes above. Returns 0 (libFuzzer's
** "keep going"). */
static inline int fuzz_run(const fuzz_target *t, const uint8_t *data, size_t size) {
  const sqz_codec *c = t->codec;
  fuzz_context();
  if (size < 1) return 0;
  unsigned mode = data[0] % 4;
  const uint8_t *d = data + 1;
  size -= 1;
  if (mode == 0 && size >= t->size_bytes) {
    size_t n = t->value_size * (size_t)(sqz_load_le(d, t->size_bytes) % t->size_mod);
    sqz_params p = fuzz_params(t, (uint8_t)n, n);
    fuzz_decode(c, &p, d + t->size_bytes, size - t->size_bytes, n, t->errors, t->max_overhead);
  } else if (mode == 1 && (!t->params_of || size >= 1)) {
    uint8_t b = 0;
    if (t->params_of) b = d[0], d++, size--;
    size_t n = size - size % t->value_size;
    sqz_params p = fuzz_params(t, b, n);
    fuzz_roundtrip(c, &p, d, n, t->max_overhead);
  } else if (mode == 2) {
    t->structured(d, size);
  } else if (mode == 3 && size >= 2) {
    size_t n = (size - 2) - (size - 2) % t->value_size;
    sqz_params p = fuzz_params(t, d[1], n);
    fuzz_too_small(c, &p, d + 2, n, (size_t)d[1] + 1, t->max_overhead);
  }
  fuzz_check_released();
  return 0;
}

#endif /* SQZ_FUZZ_UTIL_H */

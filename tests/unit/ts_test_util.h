/*
** ts_test_util.h: cmocka checks shared by the unit tests of the typed
** time-series codecs (test_gorilla.c, test_dod.c, test_delta.c, test_bins.c,
** test_decimal.c).
**
** ts_roundtrip() compresses, checks the output is deterministic and that it
** decompresses to the input bit for bit; ts_check_errors() walks every error
** path a payload offers: each truncation, each smaller destination, trailing
** bytes, a wrong dstSize, srcSize % 8, and single-bit flips (which must give
** an error or exactly dstSize bytes, never a write outside dst). Buffers are
** malloc'd to their exact size and followed by guard bytes, so that ASan (make
** asan) or the guard check catches any access outside them.
*/
#ifndef SQZ_TS_TEST_UTIL_H
#define SQZ_TS_TEST_UTIL_H

#include "test_util.h"
#include "ts_series.h"

#include "codec.h"
#include "pool.h"

#define TS_GUARD 16 /* guard bytes after each destination */
#define TS_GUARD_BYTE 0xA5

static const sqz_params ts_params = {.level = 1};

/* A malloc'd copy of n bytes (at least 1 byte allocated), exact size. */
static inline uint8_t *ts_dup(const void *src, size_t n) {
  uint8_t *b = malloc(n ? n : 1);
  assert_non_null(b);
  if (n) memcpy(b, src, n);
  return b;
}

/* A destination of n bytes followed by TS_GUARD guard bytes. */
static inline uint8_t *ts_guarded(size_t n) {
  uint8_t *b = malloc(n + TS_GUARD);
  assert_non_null(b);
  memset(b, TS_GUARD_BYTE, n + TS_GUARD);
  return b;
}

static inline void ts_assert_guard(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < TS_GUARD; i++)
    assert_int_equal(b[n + i], TS_GUARD_BYTE);
}

/* Decompresses csize bytes of comp (copied to an exact-size buffer) into a
** guarded destination of dstSize bytes. Returns the codec's result; *out
** gets the (malloc'd) destination when out is not NULL. */
static inline size_t ts_decode(const sqz_codec *c, sqz_ctx *ctx, const uint8_t *comp, size_t csize,
                               size_t dstSize, uint8_t **out) {
  uint8_t *src = ts_dup(comp, csize);
  uint8_t *dst = ts_guarded(dstSize);
  size_t r = c->decompress(ctx, dst, dstSize, src, csize);
  ts_assert_guard(dst, dstSize);
  assert_true(sqz_is_error(r) || r == dstSize);
  free(src);
  if (out)
    *out = dst;
  else
    free(dst);
  return r;
}

/* Compresses bytes of src with codec c: asserts success within bound(),
** identical bytes on a second call, and a bit-exact round trip. Returns the
** malloc'd payload; *csize gets its size. */
static inline uint8_t *ts_roundtrip(const sqz_codec *c, const void *src, size_t bytes,
                                    size_t *csize) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_non_null(ctx);
  size_t cap = c->bound(bytes);
  assert_true(cap > 0);
  uint8_t *in = ts_dup(src, bytes);
  uint8_t *comp = ts_guarded(cap), *again = ts_guarded(cap);
  size_t n = c->compress(ctx, comp, cap, in, bytes, &ts_params);
  assert_false(sqz_is_error(n));
  assert_true(n <= cap);
  ts_assert_guard(comp, cap);
  assert_int_equal(c->compress(ctx, again, cap, in, bytes, &ts_params), n);
  assert_memory_equal(comp, again, n ? n : 1);
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(c, ctx, comp, n, bytes, &out), bytes);
  if (bytes) assert_memory_equal(out, in, bytes);
  free(out);
  free(again);
  free(in);
  sqz_ctx_free(ctx);
  *csize = n;
  return comp;
}

/* n 64-bit values as little-endian bytes (malloc'd, 8 n bytes). */
static inline uint8_t *ts_pack_u64(const uint64_t *v, size_t n) {
  uint8_t *b = malloc(8 * n + 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++)
    sqz_store64le(b + 8 * i, v[i]);
  return b;
}

/* Round trip of n little-endian 64-bit values; returns the payload size. */
static inline size_t ts_roundtrip_u64(const sqz_codec *c, const uint64_t *v, size_t n) {
  uint8_t *b = ts_pack_u64(v, n);
  size_t csize;
  free(ts_roundtrip(c, b, 8 * n, &csize));
  free(b);
  return csize;
}

/* A test's own model of a codec's format: writes the payload of the n values
** v into out (zeroed, TS_MODEL_CAPACITY(n) bytes) and returns its size. */
typedef size_t (*ts_model_fn)(const uint64_t *v, size_t n, uint8_t *out);
#define TS_MODEL_CAPACITY(n) (13 * (n) + 32)

/* Round trip of n values (little-endian bytes at src) and byte-for-byte
** equality of the payload with model's. Returns the payload size. */
static inline size_t ts_check_model_bytes(const sqz_codec *c, ts_model_fn model, const uint8_t *src,
                                          size_t n) {
  uint64_t *v = malloc(8 * n + 8);
  uint8_t *want = calloc(TS_MODEL_CAPACITY(n), 1);
  assert_non_null(v);
  assert_non_null(want);
  for (size_t i = 0; i < n; i++)
    v[i] = sqz_load64le(src + 8 * i);
  size_t wantSize = model(v, n, want), csize;
  uint8_t *comp = ts_roundtrip(c, src, 8 * n, &csize);
  assert_int_equal(csize, wantSize);
  if (csize) assert_memory_equal(comp, want, csize);
  free(comp);
  free(want);
  free(v);
  return csize;
}

/* The same for n values given as uint64_t / int64_t. */
static inline size_t ts_check_model(const sqz_codec *c, ts_model_fn model, const uint64_t *v,
                                    size_t n) {
  uint8_t *b = ts_pack_u64(v, n);
  size_t r = ts_check_model_bytes(c, model, b, n);
  free(b);
  return r;
}
static inline size_t ts_check_model_i64(const sqz_codec *c, ts_model_fn model, const int64_t *v,
                                        size_t n) {
  uint8_t *b = ts_pack_i64(v, n);
  assert_non_null(b);
  size_t r = ts_check_model_bytes(c, model, b, n);
  free(b);
  return r;
}

/* Every error path on one input of bytes bytes (a multiple of 8). Bit flips
** are tried at every bit of the first flip_bytes bytes of the payload. */
static inline void ts_check_errors(const sqz_codec *c, const void *src, size_t bytes,
                                   size_t flip_bytes) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_non_null(ctx);
  size_t csize;
  uint8_t *comp = ts_roundtrip(c, src, bytes, &csize);

  /* srcSize % 8 != 0 */
  uint8_t *padded = ts_guarded(bytes + 8);
  if (bytes) memcpy(padded, src, bytes);
  for (size_t k = 1; k < 8; k++) {
    uint8_t *dst = ts_guarded(c->bound(bytes + k));
    assert_int_equal(c->compress(ctx, dst, c->bound(bytes + k), padded, bytes + k, &ts_params),
                     SQZ_ERROR(SRC_SIZE));
    free(dst);
  }

  /* every destination smaller than the payload */
  for (size_t cap = 0; cap < csize; cap++) {
    uint8_t *dst = ts_guarded(cap);
    assert_int_equal(c->compress(ctx, dst, cap, padded, bytes, &ts_params),
                     SQZ_ERROR(DST_TOO_SMALL));
    ts_assert_guard(dst, cap);
    free(dst);
  }
  free(padded);

  /* every truncation */
  for (size_t k = 0; k < csize; k++)
    assert_true(sqz_is_error(ts_decode(c, ctx, comp, k, bytes, NULL)));

  /* trailing bytes */
  uint8_t *longer = ts_guarded(csize + 1);
  if (csize) memcpy(longer, comp, csize);
  for (int fill = 0; fill < 256; fill += 255) {
    longer[csize] = (uint8_t)fill;
    assert_int_equal(ts_decode(c, ctx, longer, csize + 1, bytes, NULL), SQZ_ERROR(CORRUPT));
  }
  free(longer);

  /* dstSize not a multiple of 8 */
  for (size_t k = 1; k < 8; k++)
    assert_int_equal(ts_decode(c, ctx, comp, csize, bytes + k, NULL), SQZ_ERROR(CORRUPT));

  /* one value fewer or more: an error, or a result that agrees with src */
  for (int more = 0; more < 2; more++) {
    size_t dstSize = more ? bytes + 8 : bytes - 8;
    if (!more && bytes < 8) continue;
    uint8_t *out = NULL;
    size_t r = ts_decode(c, ctx, comp, csize, dstSize, &out);
    size_t common = dstSize < bytes ? dstSize : bytes;
    if (!sqz_is_error(r) && common) assert_memory_equal(out, src, common);
    free(out);
  }

  /* single bit flips: error or exactly dstSize bytes (checked in ts_decode) */
  uint8_t *flip = ts_dup(comp, csize);
  for (size_t i = 0; i < csize && i < flip_bytes; i++) {
    for (int b = 0; b < 8; b++) {
      flip[i] ^= (uint8_t)(1u << b);
      ts_decode(c, ctx, flip, csize, bytes, NULL);
      flip[i] ^= (uint8_t)(1u << b);
    }
  }
  free(flip);
  free(comp);
  sqz_ctx_free(ctx);
}

/* Decodes a hand-made payload and expects the error code want (in a context
** of its own: some decoders take scratch from it). */
static inline void ts_expect_error(const sqz_codec *c, const uint8_t *payload, size_t size,
                                   size_t dstSize, size_t want) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_non_null(ctx);
  assert_int_equal(ts_decode(c, ctx, payload, size, dstSize, NULL), want);
  sqz_ctx_free(ctx);
}

/* Compresses n values and compares the payload with the expected bytes. */
static inline void ts_expect_bytes(const sqz_codec *c, const uint64_t *v, size_t n,
                                   const uint8_t *want, size_t wantSize) {
  uint8_t *b = ts_pack_u64(v, n);
  size_t csize;
  uint8_t *comp = ts_roundtrip(c, b, 8 * n, &csize);
  assert_int_equal(csize, wantSize);
  assert_memory_equal(comp, want, wantSize);
  free(comp);
  free(b);
}

/* The cases every typed codec shares: empty input and payload, one and two
** values, the empty-payload error paths, and the descriptor's fields. */
static inline void ts_check_basics(const sqz_codec *c, const char *name, unsigned id,
                                   sqz_kind kind) {
  assert_ptr_equal(sqz_codec_by_name(name), c);
  assert_ptr_equal(sqz_codec_by_id(id), c);
  assert_int_equal(c->kind, kind);
  assert_int_equal(c->min_level, 1);
  assert_int_equal(c->max_level, 1);
  assert_int_equal(c->default_level, 1);
  assert_true(c->bound(8) >= 8);
  size_t csize;
  free(ts_roundtrip(c, "", 0, &csize));
  assert_int_equal(csize, 0);
  uint8_t byte = 0;
  ts_expect_error(c, &byte, 1, 0, SQZ_ERROR(CORRUPT));   /* bytes but no values */
  ts_expect_error(c, &byte, 0, 8, SQZ_ERROR(TRUNCATED)); /* values but no bytes */
  const uint64_t v[] = {0, 1, 0x8000000000000000u, 0x7FFFFFFFFFFFFFFFu, 0xFFFFFFFFFFFFFFFFu};
  for (size_t i = 0; i < 5; i++) {
    ts_roundtrip_u64(c, &v[i], 1);
    for (size_t j = 0; j < 5; j++) {
      uint64_t two[2] = {v[i], v[j]};
      ts_roundtrip_u64(c, two, 2);
      uint8_t b[16];
      sqz_store64le(b, v[i]);
      sqz_store64le(b + 8, v[j]);
      ts_check_errors(c, b, 16, 32);
    }
  }
}

/* A bit-at-a-time writer for the tests' reference models of the codecs:
** deliberately the naive form (one bit per step, LSB first in each byte, each
** field's least significant bit first), so that the codecs' 64-bit
** bit writers are checked against an independent model of the format. */
typedef struct {
  uint8_t *buf; /* zeroed, large enough */
  size_t nbits;
} ts_ref_bits;

static inline void ts_ref_put(ts_ref_bits *b, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++, b->nbits++)
    if ((v >> i) & 1) b->buf[b->nbits / 8] |= (uint8_t)(1u << (b->nbits % 8));
}

/* Leading / trailing zero bits of x != 0, counted bit by bit. */
static inline unsigned ts_ref_clz(uint64_t x) {
  unsigned n = 0;
  while (!(x & 0x8000000000000000u))
    x <<= 1, n++;
  return n;
}
static inline unsigned ts_ref_ctz(uint64_t x) {
  unsigned n = 0;
  while (!(x & 1))
    x >>= 1, n++;
  return n;
}

/* Random 64-bit values (xorshift64*) in stretches of noise, runs, small steps
** and XORs of any width, so that every form of the codec appears; round trip
** and equality with model at many lengths, then every error path on the
** first 30 values. */
static inline void ts_check_random(const sqz_codec *c, ts_model_fn model, uint64_t seed) {
  enum { N = 3000 };
  uint64_t *v = malloc(N * sizeof *v), x = seed;
  assert_non_null(v);
  for (size_t i = 0; i < N; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    uint64_t r = x * 2685821657736338717ULL, prev = i ? v[i - 1] : r;
    switch ((i / 97) % 5) {
    case 0:
      v[i] = r;
      break; /* noise */
    case 1:
      v[i] = prev;
      break; /* run */
    case 2:
      v[i] = prev + (r >> 58);
      break; /* small steps */
    case 3:
      v[i] = prev ^ (r >> (r & 63));
      break; /* XOR of any width */
    default:
      v[i] = r >> (i % 64);
      break; /* any bit width */
    }
  }
  static const size_t lens[] = {3, 7, 127, 128, 129, 130, 255, 256, 257, 1000, N};
  for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
    ts_check_model(c, model, v, lens[k]);
  uint8_t *b = ts_pack_u64(v, 30);
  ts_check_errors(c, b, 8 * 30, 16);
  free(b);
  free(v);
}

#endif /* SQZ_TS_TEST_UTIL_H */

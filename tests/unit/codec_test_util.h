/*
** codec_test_util.h: for the unit tests that call codecs through one shared
** context: the context itself, created and freed as cmocka group setup and
** teardown (cmocka_run_group_tests(tests, test_ctx_setup,
** test_ctx_teardown)), and the calls most codec tests are made of.
*/
#ifndef SQZ_CODEC_TEST_UTIL_H
#define SQZ_CODEC_TEST_UTIL_H

#include "test_util.h"

#include "codec.h"
#include "pool.h"

/* The context of the file's tests, between test_ctx_setup and teardown. */
static sqz_ctx *ctx;

static int test_ctx_setup(void **state) {
  (void)state;
  ctx = sqz_ctx_create(NULL);
  return ctx ? 0 : -1;
}

static int test_ctx_teardown(void **state) {
  (void)state;
  sqz_ctx_free(ctx);
  ctx = NULL;
  return 0;
}

/* Compresses src[0..n) with c and p into a malloc'd buffer of bound(n)
** bytes (the caller frees it), asserting success within the bound; *csize
** gets the compressed size. */
static inline uint8_t *test_compress_alloc(const sqz_codec *c, const sqz_params *p,
                                           const uint8_t *src, size_t n, size_t *csize) {
  size_t cap = c->bound(n);
  assert_true(cap >= n);
  uint8_t *dst = malloc(cap);
  assert_non_null(dst);
  *csize = c->compress(ctx, dst, cap, src, n, p);
  assert_false(sqz_is_error(*csize));
  assert_true(*csize <= cap);
  return dst;
}

/* Decompresses src[0..size) with c into a buffer of exactly n bytes (so
** ASan sees any overrun). Returns the codec's result; on success the output
** is copied to out when out is not NULL. */
static inline size_t test_decompress_exact(const sqz_codec *c, const uint8_t *src, size_t size,
                                           size_t n, uint8_t *out) {
  uint8_t *dst = malloc(n ? n : 1);
  assert_non_null(dst);
  size_t r = c->decompress(ctx, dst, n, src, size);
  if (out && r == n) memcpy(out, dst, n);
  free(dst);
  return r;
}

/* Asserts that decoding src[0..size) with c into exactly n bytes fails with
** code. */
static inline void test_expect_error(const sqz_codec *c, const uint8_t *src, size_t size, size_t n,
                                     sqz_error_code code) {
  size_t r = test_decompress_exact(c, src, size, n, NULL);
  assert_true(sqz_is_error(r));
  assert_int_equal(sqz_error_of(r), code);
}

#endif /* SQZ_CODEC_TEST_UTIL_H */

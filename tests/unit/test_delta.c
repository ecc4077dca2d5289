/*
** test_delta.c: unit tests of the delta codec (codecs/delta.c).
**
** - the payload equals, byte for byte, a naive model written here;
** - hand-computed payloads in both block forms (docs/format/delta.md);
** - block boundaries (127..257 values), the form choice (a constant step
**   costs two bytes a block, an outlier switches a block to varints), width
**   64, jumps between INT64_MIN and INT64_MAX;
** - the real Seattle columns (timestamps, and the one-decimal columns as
**   scaled integers); the gen_ts series when build/ts exists;
** - every error path.
*/
#include "ts_test_util.h"

#include <limits.h>

extern const sqz_codec sqz_codec_delta;
static const sqz_codec *const C = &sqz_codec_delta;

static uint64_t model_zigzag(uint64_t d) {
  int64_t s;
  memcpy(&s, &d, 8);
  return s < 0 ? 2 * (uint64_t)(-(s + 1)) + 1 : 2 * (uint64_t)s;
}

static size_t model_varint(uint8_t *out, uint64_t v) {
  size_t k = 0;
  do {
    out[k++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return k;
}

/* The format of docs/format/delta.md, naively (a ts_model_fn). */
static size_t model_delta(const uint64_t *v, size_t n, uint8_t *out) {
  if (n == 0) return 0;
  uint8_t tmp[16];
  size_t pos = model_varint(out, model_zigzag(v[0]));
  for (size_t i = 1; i < n; i += 128) {
    size_t cnt = n - i < 128 ? n - i : 128;
    uint64_t u[128], lo = UINT64_MAX, hi = 0;
    size_t vbytes = 1;
    for (size_t j = 0; j < cnt; j++) {
      u[j] = model_zigzag(v[i + j] - v[i + j - 1]);
      lo = u[j] < lo ? u[j] : lo;
      hi = u[j] > hi ? u[j] : hi;
      vbytes += model_varint(tmp, u[j]);
    }
    unsigned w = 0;
    while (w < 64 && ((hi - lo) >> w) != 0)
      w++;
    size_t fbytes = 1 + model_varint(tmp, lo) + (cnt * w + 7) / 8;
    if (fbytes <= vbytes) {
      out[pos++] = (uint8_t)w;
      pos += model_varint(out + pos, lo);
      ts_ref_bits b = {out + pos, 0};
      for (size_t j = 0; j < cnt; j++)
        ts_ref_put(&b, u[j] - lo, w);
      pos += (b.nbits + 7) / 8;
    } else {
      out[pos++] = 0x80;
      for (size_t j = 0; j < cnt; j++)
        pos += model_varint(out + pos, u[j]);
    }
  }
  return pos;
}

static size_t check_model(const uint64_t *v, size_t n) {
  return ts_check_model(C, model_delta, v, n);
}

static size_t check_model_i64(const int64_t *v, size_t n) {
  return ts_check_model_i64(C, model_delta, v, n);
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "delta", SQZ_ID_DELTA, SQZ_KIND_INT64);
}

/* docs/format/delta.md: one block in each form. */
static void test_worked_examples(void **state) {
  (void)state;
  const uint64_t a[] = {1000, 1003, 1001, 1001, 1010};
  const uint8_t want_a[] = {0xD0, 0x0F, 0x05, 0x00, 0x66, 0x00, 0x09};
  ts_expect_bytes(C, a, 5, want_a, sizeof want_a);
  const uint64_t b[] = {5, 6, 7, 8, 1000008};
  const uint8_t want_b[] = {0x0A, 0x80, 0x02, 0x02, 0x02, 0x80, 0x89, 0x7A};
  ts_expect_bytes(C, b, 5, want_b, sizeof want_b);
}

/* Block sizes and the form choice. */
static void test_blocks(void **state) {
  (void)state;
  enum { N = 1 + 3 * 128 + 5 };
  int64_t v[N];
  /* constant step: every block is width 0, two bytes (header, min) */
  for (size_t i = 0; i < N; i++)
    v[i] = -500 + 7 * (int64_t)i;
  static const size_t lens[] = {2, 128, 129, 130, 257, 258, N};
  for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
    size_t blocks = (lens[k] - 1 + 127) / 128;
    assert_int_equal(check_model_i64(v, lens[k]), 2 + 2 * blocks);
  }
  /* an outlier makes its block varints; the others stay width 0 */
  v[200] += 1000000000;
  uint8_t *b = ts_pack_i64(v, N);
  size_t csize;
  uint8_t *comp = ts_roundtrip(C, b, 8 * N, &csize);
  assert_int_equal(comp[2], 0);    /* block 1: FOR, width 0 */
  assert_int_equal(comp[4], 0x80); /* block 2: varints */
  free(comp);
  check_model_i64(v, N);
  ts_check_errors(C, b, 8 * 140, 24);
  free(b);
  /* small noise: narrow FOR widths */
  for (size_t i = 0; i < N; i++)
    v[i] = (int64_t)(i * i % 13) - 6;
  check_model_i64(v, N);
}

static void test_extremes(void **state) {
  (void)state;
  const int64_t jumps[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0,         INT64_MAX, -1, INT64_MIN,
                           1,         INT64_MAX, INT64_MAX, INT64_MIN, INT64_MIN, 0};
  size_t n = sizeof jumps / sizeof jumps[0];
  check_model_i64(jumps, n);
  uint8_t *b = ts_pack_i64(jumps, n);
  ts_check_errors(C, b, 8 * n, 128);
  free(b);
  /* neighbours of the sign boundary: deltas +1 / -1 across INT64_MAX */
  uint64_t w64[130];
  for (size_t i = 0; i < 130; i++)
    w64[i] = i % 2 ? 0x8000000000000000u : 0x7FFFFFFFFFFFFFFFu;
  w64[129] = 0;
  check_model(w64, 130);
  /* random 64-bit values: FOR blocks of width 64 */
  uint64_t wide[130];
  test_fill_random((uint8_t *)wide, sizeof wide, 5);
  size_t csize = check_model(wide, 130);
  assert_true(csize >= 8 * 128 && csize < 8 * 129 + 40);
}

static void test_seattle(void **state) {
  (void)state;
  ts_seattle s;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &s), 0);
  size_t csize = check_model_i64(s.ts, s.n);
  print_message("delta seattle timestamps  %zu values: %.3f bits/value\n", s.n,
                8.0 * (double)csize / (double)s.n);
  uint8_t *b = ts_pack_i64(s.ts, 200);
  ts_check_errors(C, b, 8 * 200, 16);
  free(b);
  for (int c = 0; c < 3; c++) {
    int64_t *iv = ts_scale_to_i64(s.col[c], s.n, 10);
    csize = check_model_i64(iv, s.n);
    print_message("delta seattle %-11s %zu values: %.3f bits/value\n", ts_seattle_names[c], s.n,
                  8.0 * (double)csize / (double)s.n);
    b = ts_pack_i64(iv, 150);
    ts_check_errors(C, b, 8 * 150, 16);
    free(b);
    free(iv);
  }
  ts_seattle_free(&s);
}

static void test_gen_ts(void **state) {
  (void)state;
  size_t bytes, vbytes;
  uint8_t *ts = ts_gen_load("ts.i64", &bytes);
  uint8_t *val = ts_gen_load("val_2dp.f64", &vbytes);
  if (!ts || !val) {
    free(ts);
    free(val);
    print_message("skipped: %s is missing (make build/ts/ts.i64)\n", TS_GEN_DIR);
    skip();
  }
  size_t n = bytes / 8, csize;
  free(ts_roundtrip(C, ts, bytes, &csize));
  print_message("delta gen_ts ts.i64 %zu values: %.4f bits/value\n", n,
                8.0 * (double)csize / (double)n);
  /* the 2-decimal walk as cents */
  double *d = malloc(vbytes);
  assert_non_null(d);
  for (size_t i = 0; i < vbytes / 8; i++) {
    uint64_t u = sqz_load64le(val + 8 * i);
    memcpy(&d[i], &u, 8);
  }
  int64_t *cents = ts_scale_to_i64(d, vbytes / 8, 100);
  csize = check_model_i64(cents, vbytes / 8);
  print_message("delta gen_ts val_2dp as cents %zu values: %.3f bits/value\n", vbytes / 8,
                8.0 * (double)csize / (double)(vbytes / 8));
  free(cents);
  free(d);
  free(val);
  free(ts);
}

static void test_corrupt_headers(void **state) {
  (void)state;
  /* first value 0, then one block of one value: header byte h */
  uint8_t p[16] = {0x00, 0x00, 0x00, 0x00};
  assert_int_equal(ts_decode(C, NULL, p, 3, 16, NULL), 16); /* width 0, min 0 */
  /* widths above 64 and values that are no header are corrupt; 0x81..0x8F
  ** are forms kept for newer versions */
  static const uint8_t bad[] = {65, 66, 0x7F, 0x90, 0xC0, 0xFF};
  for (size_t i = 0; i < sizeof bad; i++) {
    p[1] = bad[i];
    ts_expect_error(C, p, 4, 16, SQZ_ERROR(CORRUPT));
  }
  static const uint8_t newer[] = {0x81, 0x82, 0x8F};
  for (size_t i = 0; i < sizeof newer; i++) {
    p[1] = newer[i];
    ts_expect_error(C, p, 4, 16, SQZ_ERROR(VERSION));
  }
  /* width 3, min 0, packed byte with padding bits set */
  p[1] = 3, p[2] = 0, p[3] = 0x08;
  ts_expect_error(C, p, 4, 16, SQZ_ERROR(CORRUPT));
  p[3] = 0x07;
  assert_int_equal(ts_decode(C, NULL, p, 4, 16, NULL), 16);
  /* packed bits cut off; the minimum cut off; no block header */
  ts_expect_error(C, p, 3, 16, SQZ_ERROR(TRUNCATED));
  p[2] = 0x80;
  ts_expect_error(C, p, 3, 16, SQZ_ERROR(TRUNCATED));
  ts_expect_error(C, p, 1, 16, SQZ_ERROR(TRUNCATED));
  /* varints: the second value cut off, an overlong one */
  p[1] = 0x80, p[2] = 0x02, p[3] = 0x81;
  ts_expect_error(C, p, 4, 24, SQZ_ERROR(TRUNCATED));
  memset(p + 2, 0x80, 11);
  p[13] = 0x00;
  ts_expect_error(C, p, 14, 16, SQZ_ERROR(CORRUPT));
  /* the first value's varint */
  memset(p, 0xFF, 10);
  ts_expect_error(C, p, 10, 8, SQZ_ERROR(CORRUPT));
  ts_expect_error(C, p, 4, 8, SQZ_ERROR(TRUNCATED));
}

static void test_random(void **state) {
  (void)state;
  ts_check_random(C, model_delta, 9);
  ts_check_random(C, model_delta, 0xC0FFEE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),          cmocka_unit_test(test_worked_examples),
      cmocka_unit_test(test_blocks),          cmocka_unit_test(test_extremes),
      cmocka_unit_test(test_seattle),         cmocka_unit_test(test_gen_ts),
      cmocka_unit_test(test_corrupt_headers), cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

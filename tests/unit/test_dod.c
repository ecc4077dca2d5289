/*
** test_dod.c: unit tests of the dod codec (codecs/dod.c).
**
** - the payload equals, byte for byte, a naive model written here (128-bit
**   division for the divisor, a bit-at-a-time writer for the buckets);
** - a hand-computed payload (the worked example of docs/format/dod.md);
** - every bucket boundary of the paper, the 32-bit escape, jumps between
**   INT64_MIN and INT64_MAX, unsorted series, divisors up to 2^63;
** - the targets: 1-second steps <= 1.05 bits/value, the dates of a daily
**   closing price <= 4.5 bits/value (and ~16 without the divisor);
** - the real Seattle timestamps; the gen_ts series when build/ts exists;
** - every error path.
*/
#include "ts_test_util.h"

#include <limits.h>

extern const sqz_codec sqz_codec_dod;
static const sqz_codec *const C = &sqz_codec_dod;

static int64_t as_i64(uint64_t u) {
  int64_t s;
  memcpy(&s, &u, 8);
  return s;
}

static void model_varint(ts_ref_bits *b, uint64_t v) {
  do {
    ts_ref_put(b, (v & 0x7F) | (v > 0x7F ? 0x80 : 0), 8);
    v >>= 7;
  } while (v);
}

/* The format of docs/format/dod.md, naively (a ts_model_fn). */
static size_t model_dod(const uint64_t *v, size_t n, uint8_t *out) {
  ts_ref_bits b = {out, 0};
  if (n == 0) return 0;
  ts_ref_put(&b, v[0], 64);
  if (n == 1) return 8;
  uint64_t g = 0;
  for (size_t i = 1; i < n; i++) {
    __int128 d = as_i64(v[i] - v[i - 1]);
    uint64_t m = (uint64_t)(d < 0 ? -d : d), a = g;
    while (m) { /* Euclid on (a, m) */
      uint64_t t = a % m;
      a = m;
      m = t;
    }
    g = a;
  }
  if (g == 0) g = 1;
  model_varint(&b, g);
  int64_t q = (int64_t)((__int128)as_i64(v[1] - v[0]) / g);
  model_varint(&b, q < 0 ? 2 * (uint64_t)(-(q + 1)) + 1 : 2 * (uint64_t)q);
  for (size_t i = 2; i < n; i++) {
    int64_t qi = (int64_t)((__int128)as_i64(v[i] - v[i - 1]) / g);
    int64_t dod = as_i64((uint64_t)qi - (uint64_t)q);
    q = qi;
    if (dod == 0) {
      ts_ref_put(&b, 0, 1);
    } else if (dod >= -63 && dod <= 64) {
      ts_ref_put(&b, 1, 1), ts_ref_put(&b, 0, 1), ts_ref_put(&b, (uint64_t)(dod + 63), 7);
    } else if (dod >= -255 && dod <= 256) {
      ts_ref_put(&b, 3, 2), ts_ref_put(&b, 0, 1), ts_ref_put(&b, (uint64_t)(dod + 255), 9);
    } else if (dod >= -2047 && dod <= 2048) {
      ts_ref_put(&b, 7, 3), ts_ref_put(&b, 0, 1), ts_ref_put(&b, (uint64_t)(dod + 2047), 12);
    } else if (dod > INT32_MIN && dod <= INT32_MAX) {
      ts_ref_put(&b, 15, 4), ts_ref_put(&b, (uint64_t)dod, 32);
    } else {
      ts_ref_put(&b, 15, 4), ts_ref_put(&b, 0x80000000u, 32), ts_ref_put(&b, (uint64_t)dod, 64);
    }
  }
  return (b.nbits + 7) / 8;
}

static size_t check_model(const uint64_t *v, size_t n) {
  return ts_check_model(C, model_dod, v, n);
}

static size_t check_model_i64(const int64_t *v, size_t n) {
  return ts_check_model_i64(C, model_dod, v, n);
}

static double bits_per_value(size_t bytes, size_t n) {
  return 8.0 * (double)bytes / (double)n;
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "dod", SQZ_ID_DOD, SQZ_KIND_INT64);
}

/* docs/format/dod.md: one-minute samples with one missing. */
static void test_worked_example(void **state) {
  (void)state;
  const uint64_t v[] = {1700000000, 1700000060, 1700000120, 1700000180, 1700000300, 1700000360};
  const uint8_t want[] = {0x00, 0xF1, 0x53, 0x65, 0x00, 0x00, 0x00,
                          0x00, 0x3C, 0x02, 0x04, 0xCC, 0x07};
  ts_expect_bytes(C, v, 6, want, sizeof want);
}

/* A series whose quotients have the given dods (divisor 1: first delta 1). */
static size_t check_dods(const uint64_t *dods, size_t k) {
  uint64_t v[64], q = 1;
  v[0] = 1000;
  v[1] = 1001;
  for (size_t i = 0; i < k; i++) {
    q += dods[i];
    v[i + 2] = v[i + 1] + q;
  }
  return check_model(v, k + 2);
}

static void test_buckets(void **state) {
  (void)state;
  /* each alone: header 8 + 1 (g) + 1 (q1), then prefix + payload bits */
  const struct {
    int64_t dod;
    unsigned bits;
  } cases[] = {
      {0, 1},           {1, 9},
      {-1, 9},          {64, 9},
      {-63, 9},         {65, 12},
      {-64, 12},        {256, 12},
      {-255, 12},       {257, 16},
      {-256, 16},       {2048, 16},
      {-2047, 16},      {2049, 36},
      {-2048, 36},      {INT32_MAX, 36},
      {-INT32_MAX, 36}, {INT32_MIN, 100},
      {INT64_MAX, 100}, {INT64_MIN, 100},
      {1LL << 31, 100}, {-(1LL << 40), 100},
  };
  uint64_t all[32];
  size_t k = sizeof cases / sizeof cases[0];
  for (size_t i = 0; i < k; i++) {
    all[i] = (uint64_t)cases[i].dod;
    assert_int_equal(check_dods(&all[i], 1), 10 + (cases[i].bits + 7) / 8);
  }
  check_dods(all, k);
  uint8_t b[8 * 34];
  uint64_t v[34], q = 1;
  v[0] = 5, v[1] = 6;
  for (size_t i = 0; i < k; i++)
    q += all[i], v[i + 2] = v[i + 1] + q;
  for (size_t i = 0; i < k + 2; i++)
    sqz_store64le(b + 8 * i, v[i]);
  ts_check_errors(C, b, 8 * (k + 2), 64);
}

static void test_extremes(void **state) {
  (void)state;
  const int64_t jumps[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0,         INT64_MAX, -1, INT64_MIN,
                           1,         INT64_MAX, INT64_MAX, INT64_MIN, INT64_MIN, 0};
  check_model_i64(jumps, sizeof jumps / sizeof jumps[0]);
  uint8_t b[8 * 13];
  for (size_t i = 0; i < 13; i++)
    sqz_store64le(b + 8 * i, (uint64_t)jumps[i]);
  ts_check_errors(C, b, sizeof b, 104);

  /* Divisor 2^63: the only delta is INT64_MIN (a quotient of -1). */
  const int64_t half[] = {0, INT64_MIN, 0, INT64_MIN, INT64_MIN, 0};
  check_model_i64(half, 6);
  /* Descending, negative divisor-3 steps; a step that breaks the divisor. */
  int64_t down[300];
  for (size_t i = 0; i < 300; i++)
    down[i] = 900 - 3 * (int64_t)i * (int64_t)(i % 7);
  check_model_i64(down, 300);
  down[150] += 1;
  check_model_i64(down, 300);
  /* Constant series: every delta 0, divisor written as 1. */
  int64_t same[40];
  for (size_t i = 0; i < 40; i++)
    same[i] = -7;
  assert_int_equal(check_model_i64(same, 40), 8 + 1 + 1 + 5);
}

/* 1-second steps (the gen_ts timestamps, here generated) and the target. */
static void test_regular_steps(void **state) {
  (void)state;
  enum { N = 100000 };
  int64_t *v = malloc(N * sizeof *v);
  assert_non_null(v);
  for (int64_t step = 1; step <= 86400; step *= 60) {
    for (size_t i = 0; i < N; i++)
      v[i] = 1700000000 + step * (int64_t)i;
    double bpv = bits_per_value(check_model_i64(v, N), N);
    assert_true(bpv <= 1.05);
  }
  free(v);
}

/* The dates of a daily closing price, 2000..2023: <= 4.5 bits/value with
** the divisor, ~16 when one date is a second off (no common divisor). */
static void test_trading_days(void **state) {
  (void)state;
  size_t n;
  int64_t *d = ts_trading_days(2000, 2023, &n);
  assert_non_null(d);
  assert_true(n > 6000);
  double with = bits_per_value(check_model_i64(d, n), n);
  d[n / 2] += 1;
  double without = bits_per_value(check_model_i64(d, n), n);
  print_message("dod trading days %zu values: %.3f bits/value (%.2f without the divisor)\n", n,
                with, without);
  assert_true(with <= 4.5);
  assert_true(without > 10);
  free(d);
}

static void test_seattle(void **state) {
  (void)state;
  ts_seattle s;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &s), 0);
  double bpv = bits_per_value(check_model_i64(s.ts, s.n), s.n);
  print_message("dod seattle timestamps %zu values: %.3f bits/value\n", s.n, bpv);
  assert_true(bpv <= 1.05);
  uint8_t *b = ts_pack_i64(s.ts, 300);
  ts_check_errors(C, b, 8 * 300, 48);
  free(b);
  for (int c = 0; c < 3; c++) {
    int64_t *iv = ts_scale_to_i64(s.col[c], s.n, 10);
    check_model_i64(iv, s.n);
    free(iv);
  }
  ts_seattle_free(&s);
}

static void test_gen_ts(void **state) {
  (void)state;
  size_t bytes;
  uint8_t *b = ts_gen_load("ts.i64", &bytes);
  if (!b) {
    print_message("skipped: %sts.i64 is missing (make build/ts/ts.i64)\n", TS_GEN_DIR);
    skip();
  }
  size_t n = bytes / 8, csize;
  free(ts_roundtrip(C, b, bytes, &csize));
  print_message("dod gen_ts ts.i64 %zu values: %.4f bits/value\n", n, bits_per_value(csize, n));
  assert_true(bits_per_value(csize, n) <= 1.05);
  free(b);
}

static void test_corrupt_headers(void **state) {
  (void)state;
  uint8_t p[32] = {0};
  /* divisor 0 */
  p[8] = 0x00, p[9] = 0x02;
  ts_expect_error(C, p, 10, 16, SQZ_ERROR(CORRUPT));
  /* header cut inside the divisor, inside the first delta, before it */
  p[8] = 0x81;
  ts_expect_error(C, p, 9, 16, SQZ_ERROR(TRUNCATED));
  p[8] = 0x01, p[9] = 0x80;
  ts_expect_error(C, p, 10, 16, SQZ_ERROR(TRUNCATED));
  ts_expect_error(C, p, 8, 16, SQZ_ERROR(TRUNCATED));
  /* an 11-byte varint, and a 10-byte one above 64 bits */
  memset(p + 8, 0x80, 11);
  p[19] = 0x01;
  ts_expect_error(C, p, 20, 16, SQZ_ERROR(CORRUPT));
  memset(p + 8, 0xFF, 9);
  p[17] = 0x02;
  ts_expect_error(C, p, 18, 16, SQZ_ERROR(CORRUPT));
  /* one value: exactly 8 bytes */
  ts_expect_error(C, p, 9, 8, SQZ_ERROR(CORRUPT));
  ts_expect_error(C, p, 5, 8, SQZ_ERROR(TRUNCATED));
  /* two values, then a stray byte / three values, then padding that is not 0 */
  p[8] = 0x01, p[9] = 0x02, p[10] = 0x00;
  assert_int_equal(ts_decode(C, NULL, p, 10, 16, NULL), 16);
  ts_expect_error(C, p, 11, 16, SQZ_ERROR(CORRUPT));
  p[10] = 0x02;
  ts_expect_error(C, p, 11, 24, SQZ_ERROR(CORRUPT));
  p[10] = 0x00;
  assert_int_equal(ts_decode(C, NULL, p, 11, 24, NULL), 24);
  /* the 32-bit field's escape cut short; many dods asked of one byte */
  p[10] = 0x0F, p[11] = p[12] = p[13] = 0x00, p[14] = 0x08; /* '1111', 0x80000000 */
  ts_expect_error(C, p, 15, 24, SQZ_ERROR(TRUNCATED));
  p[10] = 0x00;
  ts_expect_error(C, p, 11, 8 * 1000, SQZ_ERROR(TRUNCATED));
}

static void test_random(void **state) {
  (void)state;
  ts_check_random(C, model_dod, 3);
  ts_check_random(C, model_dod, 0x5EED);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),          cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_buckets),         cmocka_unit_test(test_extremes),
      cmocka_unit_test(test_regular_steps),   cmocka_unit_test(test_trading_days),
      cmocka_unit_test(test_seattle),         cmocka_unit_test(test_gen_ts),
      cmocka_unit_test(test_corrupt_headers), cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

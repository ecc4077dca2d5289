/*
** test_gorilla.c: unit tests of the gorilla codec (codecs/gorilla.c).
**
** - the payload equals, byte for byte, the output of a naive bit-at-a-time
**   model of the paper's encoding written here (on the real Seattle series,
**   the gen_ts walks, special values and random data);
** - a hand-computed payload (the worked example of docs/format/gorilla.md);
** - IEEE special values: NaNs with payloads, -0.0, infinities, subnormals,
**   DBL_MAX, and the window's edge cases (64 meaningful bits, more than 31
**   leading zeros);
** - every error path: truncation at each byte, corrupt control bits and
**   windows, trailing bytes, padding, srcSize % 8, dstSize % 8.
** The gen_ts case is skipped with a message when build/ts/ is absent
** (make build/ts/ts.i64).
*/
#include "ts_test_util.h"

#include <float.h>
#include <math.h>

extern const sqz_codec sqz_codec_gorilla;
static const sqz_codec *const C = &sqz_codec_gorilla;

/* The paper's encoding, bit by bit (see the essay of codecs/gorilla.c); a
** ts_model_fn. */
static size_t model_gorilla(const uint64_t *v, size_t n, uint8_t *out) {
  ts_ref_bits b = {out, 0};
  if (n == 0) return 0;
  ts_ref_put(&b, v[0], 64);
  int have_window = 0;
  unsigned wl = 0, wt = 0;
  for (size_t i = 1; i < n; i++) {
    uint64_t x = v[i] ^ v[i - 1];
    if (x == 0) {
      ts_ref_put(&b, 0, 1);
      continue;
    }
    ts_ref_put(&b, 1, 1);
    unsigned l = ts_ref_clz(x), t = ts_ref_ctz(x);
    if (l > 31) l = 31;
    if (have_window && l >= wl && t >= wt) {
      ts_ref_put(&b, 0, 1);
      ts_ref_put(&b, x >> wt, 64 - wl - wt);
    } else {
      unsigned len = 64 - l - t;
      ts_ref_put(&b, 1, 1);
      ts_ref_put(&b, l, 5);
      ts_ref_put(&b, len == 64 ? 0 : len, 6);
      ts_ref_put(&b, x >> t, len);
      have_window = 1;
      wl = l;
      wt = t;
    }
  }
  return (b.nbits + 7) / 8;
}

static size_t check_model(const uint8_t *src, size_t n) {
  return ts_check_model_bytes(C, model_gorilla, src, n);
}

static size_t check_model_u64(const uint64_t *v, size_t n) {
  return ts_check_model(C, model_gorilla, v, n);
}

static uint64_t bits_of(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "gorilla", SQZ_ID_GORILLA, SQZ_KIND_FLOAT64);
}

/* docs/format/gorilla.md, worked example: 1.0, 1.0, 1.5, 1.25, 1.75. */
static void test_worked_example(void **state) {
  (void)state;
  const uint64_t v[] = {bits_of(1.0), bits_of(1.0), bits_of(1.5), bits_of(1.25), bits_of(1.75)};
  const uint8_t want[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0,
                          0x3F, 0x66, 0xC1, 0x99, 0x70, 0x02};
  ts_expect_bytes(C, v, 5, want, sizeof want);
}

static const double special_doubles[] = {
    0.0, -0.0, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, 1.0, -1.0,
};
static const uint64_t special_bits[] = {
    0x7FF8000000000000u, /* quiet NaN */
    0x7FF8000000000001u, /* quiet NaN with payload */
    0x7FF0000000000001u, /* signalling NaN */
    0xFFFFFFFFFFFFFFFFu, /* negative NaN, all payload bits */
    0x000FFFFFFFFFFFFFu, /* largest subnormal */
    0x8000000000000001u, /* smallest negative subnormal */
    0x7FF4DEADBEEF0001u, /* payload in the middle */
};

/* Every special value followed by every other: each pair's XOR appears. */
static void test_special_values(void **state) {
  (void)state;
  size_t nd = sizeof special_doubles / sizeof special_doubles[0];
  size_t nb = sizeof special_bits / sizeof special_bits[0], ns = nd + nb;
  uint64_t s[32], seq[2 * 32 * 32];
  for (size_t i = 0; i < nd; i++)
    s[i] = bits_of(special_doubles[i]);
  for (size_t i = 0; i < nb; i++)
    s[nd + i] = special_bits[i];
  size_t n = 0;
  for (size_t i = 0; i < ns; i++)
    for (size_t j = 0; j < ns; j++) {
      seq[n++] = s[i];
      seq[n++] = s[j];
    }
  check_model_u64(seq, n);
  for (size_t i = 0; i < ns; i++)
    check_model_u64(&s[i], 1);
  uint8_t b[8 * 24];
  for (size_t i = 0; i < 24; i++)
    sqz_store64le(b + 8 * i, seq[i * 7 % n]);
  ts_check_errors(C, b, sizeof b, 48);
}

/* The window's edges: a 64-bit meaningful block (written as length 0), more
** than 31 leading zeros (written as 31), and a value that reuses the window. */
static void test_window_edges(void **state) {
  (void)state;
  /* 0 ^ 0x8000000000000001: lead 0, trail 0, length 64. */
  const uint64_t full[] = {0, 0x8000000000000001u, 0, 0x8000000000000001u};
  /* 64 + ('11' + 5 + 6 + 64) + 2 * ('10' + 64) bits */
  assert_int_equal(check_model_u64(full, 4), (64 + 77 + 2 * 66 + 7) / 8);
  const uint8_t len0[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x10};
  /* ('11', lead 0, length field 0 = 64, bits 0x8000000000000001) by hand */
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(C, NULL, len0, sizeof len0, 16, &out), 16);
  assert_true(sqz_load64le(out + 8) == 0x8000000000000001u);
  free(out);

  /* 0 ^ 1: 63 leading zeros, written as 31; 33 meaningful bits. */
  const uint64_t small[] = {0, 1, 0, 1, 3};
  assert_int_equal(check_model_u64(small, 5), (64 + (13 + 33) + 3 * (2 + 33) + 7) / 8);
  const uint64_t shrinking[] = {0, 0xFF00, 0x0F00, 0x0300, 0x0100, 0x1, 0x8000000000000000u};
  check_model_u64(shrinking, 7);
}

static void test_corrupt_headers(void **state) {
  (void)state;
  uint8_t p[24] = {0};
  /* '10' as the first non-zero XOR: no window to reuse. */
  p[8] = 0x01;
  ts_expect_error(C, p, 9, 16, SQZ_ERROR(CORRUPT));
  /* '11', lead 31, length 40: 71 > 64 bits. */
  sqz_store64le(p + 8, 3 | (31u << 2) | (40u << 7));
  ts_expect_error(C, p, 24, 16, SQZ_ERROR(CORRUPT));
  /* '11', lead 1, length 0 (= 64): 65 bits. */
  sqz_store64le(p + 8, 3 | (1u << 2));
  ts_expect_error(C, p, 24, 16, SQZ_ERROR(CORRUPT));
  /* A repeat ('0') then non-zero padding bits. */
  memset(p, 0, sizeof p);
  p[8] = 0x02;
  ts_expect_error(C, p, 9, 16, SQZ_ERROR(CORRUPT));
  p[8] = 0x00;
  assert_int_equal(ts_decode(C, NULL, p, 9, 16, NULL), 16);
  /* The first value cut short. */
  ts_expect_error(C, p, 7, 8, SQZ_ERROR(TRUNCATED));
  /* A long run of repeats asked of a one-byte stream. */
  ts_expect_error(C, p, 9, 8 * 100, SQZ_ERROR(TRUNCATED));
}

/* The real series: examples/data/seattle-weather-hourly-normals.csv. */
static void test_seattle(void **state) {
  (void)state;
  ts_seattle s;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &s), 0);
  assert_true(s.n > 8000);
  for (int c = 0; c < 3; c++) {
    uint8_t *b = ts_pack_f64(s.col[c], s.n);
    size_t csize = check_model(b, s.n);
    print_message("gorilla seattle %-11s %zu values: %.2f bits/value\n", ts_seattle_names[c], s.n,
                  8.0 * (double)csize / (double)s.n);
    assert_true(csize < 8 * s.n);
    ts_check_errors(C, b, 8 * 200, 64);
    free(b);
  }
  ts_seattle_free(&s);
}

/* The gen_ts walks, when build/ts exists. */
static void test_gen_ts(void **state) {
  (void)state;
  static const char *const files[] = {"val_2dp.f64", "val_full.f64"};
  for (int f = 0; f < 2; f++) {
    size_t bytes;
    uint8_t *b = ts_gen_load(files[f], &bytes);
    if (!b) {
      print_message("skipped: %s%s is missing (make build/ts/ts.i64)\n", TS_GEN_DIR, files[f]);
      skip();
    }
    size_t csize = check_model(b, bytes / 8);
    print_message("gorilla gen_ts %-12s %zu values: %.3f bits/value\n", files[f], bytes / 8,
                  8.0 * (double)csize / (double)(bytes / 8));
    free(b);
  }
}

static void test_random(void **state) {
  (void)state;
  ts_check_random(C, model_gorilla, 1);
  ts_check_random(C, model_gorilla, 0xDEADBEEF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),          cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_special_values),  cmocka_unit_test(test_window_edges),
      cmocka_unit_test(test_corrupt_headers), cmocka_unit_test(test_seattle),
      cmocka_unit_test(test_gen_ts),          cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

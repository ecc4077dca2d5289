/*
** test_decimal.c: unit tests of the decimal codec (codecs/decimal.c,
** docs/format/decimal.md).
**
** - the worked examples of docs/format/decimal.md, byte for byte;
** - bit-exact round trips: the Seattle columns (decimal pages, e = 1, far
**   below alp), the gen_ts walks when build/ts exists (the full-precision
**   walk as mapped bits, no larger than alp), special values (NaN
**   payloads, -0.0, infinities, subnormals, DBL_MAX, integers past 2^53),
**   mixed decimal and non-decimal data, trailing zeros (f > 0), integers
**   beyond +-2^51 (the conversion without the magic add), and sizes 0..5,
**   page edges (16383..16385, 32769);
** - the exact conversion of alp_scale.h: the vector, AVX2 and scalar
**   conversions give the same bits for integers of every size;
** - every error path: SRC_SIZE, DST_TOO_SMALL, MEMORY, VERSION for the kept
**   modes, CORRUPT and TRUNCATED for each field (ts_check_errors adds every
**   truncation, trailing bytes and bit flips); damaged payloads never
**   crash (make asan).
*/
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "ts_test_util.h"

#include <float.h>
#include <math.h>

#include "alp_scale.h"
#include "varint.h"

extern const sqz_codec sqz_codec_decimal;
extern const sqz_codec sqz_codec_alp;
static const sqz_codec *const C = &sqz_codec_decimal;

static sqz_ctx *ctx;

static int setup(void **state) {
  (void)state;
  ctx = sqz_ctx_create(NULL);
  return ctx ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  sqz_ctx_free(ctx);
  return 0;
}

static uint64_t rng(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

static uint64_t bits_of(double d) {
  return sqz_double_bits(d);
}

/* Round trip of n doubles; returns the payload size. */
static size_t roundtrip(const double *v, size_t n) {
  uint8_t *b = ts_pack_f64(v, n);
  assert_non_null(b);
  size_t size;
  free(ts_roundtrip(C, b, 8 * n, &size));
  free(b);
  return size;
}

/* A walk of n values with d decimals, steps of about +-spread hundredths. */
static double *walk(size_t n, int d, double spread, uint64_t seed) {
  double *v = malloc(8 * n + 8), x = 100;
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) {
    x += ((double)(rng(&seed) % 2001) - 1000) / 1000 * spread;
    v[i] = round(x * pow10_exact[d]) / pow10_exact[d];
  }
  return v;
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "decimal", SQZ_ID_DECIMAL, SQZ_KIND_FLOAT64);
}

static void test_worked_examples(void **state) {
  (void)state;
  static const double pressure[8] = {1016.6, 1016.6, 1016.7, 1016.7,
                                     1016.5, 1016.4, 1016.5, 1016.6};
  static const uint8_t p_bytes[] = {0x01, 0x01, 0x00, 0x00, 0x01, 0x01, 0x01, 0xec,
                                    0x9e, 0x01, 0x02, 0x02, 0x03, 0x2e, 0x3d};
  uint64_t v[8];
  for (int i = 0; i < 8; i++)
    v[i] = bits_of(pressure[i]);
  ts_expect_bytes(C, v, 8, p_bytes, sizeof p_bytes);

  static const double alp_example[4] = {1.5, 2.25, -0.0, 3.75};
  static const uint8_t a_bytes[] = {0x01, 0x02, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0xac,
                                    0x02, 0x02, 0x08, 0xc2, 0x03, 0x00, 0x00, 0x96};
  for (int i = 0; i < 4; i++)
    v[i] = bits_of(alp_example[i]);
  ts_expect_bytes(C, v, 4, a_bytes, sizeof a_bytes);
}

static void test_weather(void **state) {
  (void)state;
  ts_seattle w;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &w), 0);
  for (int c = 0; c < 3; c++) {
    uint8_t *b = ts_pack_f64(w.col[c], w.n);
    size_t size, alp;
    uint8_t *p = ts_roundtrip(C, b, 8 * w.n, &size);
    free(ts_roundtrip(&sqz_codec_alp, b, 8 * w.n, &alp));
    assert_int_equal(p[0], 1); /* a decimal page */
    assert_int_equal(p[1], 1); /* e = 1 */
    assert_true(size < alp / 2);
    free(p), free(b);
  }
  ts_seattle_free(&w);
}

static void test_walks(void **state) {
  (void)state;
  static const char *const files[2] = {"val_2dp.f64", "val_full.f64"};
  for (int i = 0; i < 2; i++) {
    size_t bytes, size, alp;
    uint8_t *b = ts_gen_load(files[i], &bytes);
    if (!b) continue; /* make build/ts/ts.i64 writes them */
    uint8_t *p = ts_roundtrip(C, b, bytes, &size);
    free(ts_roundtrip(&sqz_codec_alp, b, bytes, &alp));
    assert_int_equal(p[0], i == 0 ? 1 : 2); /* decimal, then mapped bits */
    assert_true(size < alp);
    free(p), free(b);
  }
}

static void test_specials(void **state) {
  (void)state;
  static const uint64_t specials[] = {
      0x8000000000000000u, 0x0000000000000000u, 0x7ff8000000000000u, 0xfff8000000000000u,
      0x7ff0000000000001u, 0x7ff4deadbeef1234u, 0xffffffffffffffffu, 0x7ff0000000000000u,
      0xfff0000000000000u, 0x0000000000000001u, 0x800fffffffffffffu, 0x0010000000000000u,
      0x7fefffffffffffffu, 0xffefffffffffffffu, 0x43e0000000000000u, 0xc3e0000000000000u,
      0x4340000000000001u, 0x4320000000000000u};
  enum { N = sizeof specials / sizeof specials[0] };
  double *v = walk(3000, 2, 0.5, 1);
  for (size_t i = 0; i < 3000; i += 7) /* specials among decimals: exceptions */
    v[i] = sqz_bits_double(specials[i % N]);
  uint8_t *b = ts_pack_f64(v, 3000);
  size_t size;
  uint8_t *p = ts_roundtrip(C, b, 8 * 3000, &size);
  free(p), free(b);
  double only[N];
  for (int i = 0; i < N; i++)
    only[i] = sqz_bits_double(specials[i]);
  roundtrip(only, N);
  for (int i = 0; i < N; i++) /* each alone, and twice */
    for (int j = 0; j < N; j++) {
      double two[2] = {only[i], only[j]};
      roundtrip(two, 2);
    }
  free(v);
}

static void test_scaling(void **state) {
  (void)state;
  /* trailing zeros: f > 0 */
  double v[4000];
  for (int i = 0; i < 4000; i++)
    v[i] = 1200000.0 + 100000.0 * (i % 17);
  uint8_t *b = ts_pack_f64(v, 4000);
  size_t size;
  uint8_t *p = ts_roundtrip(C, b, 8 * 4000, &size);
  assert_int_equal(p[0], 1);
  assert_true(p[2] > 0); /* f */
  free(p), free(b);
  /* integers past 2^51 (and 2^53): converted one by one */
  for (int i = 0; i < 4000; i++)
    v[i] = 4503599627370496.0 * 2 + 2 * (double)(i % 101);
  roundtrip(v, 4000);
  for (int i = 0; i < 4000; i++)
    v[i] = -9007199254740992.0 + (double)(i % 3);
  roundtrip(v, 4000);
  /* many digits: e up to 18 */
  for (int i = 0; i < 4000; i++)
    v[i] = (double)(i % 1000) * 1e-15;
  roundtrip(v, 4000);
  /* mixed: decimals and full-precision values, half and half */
  uint64_t s = 5;
  for (int i = 0; i < 4000; i++)
    v[i] = i % 2 ? round((double)(rng(&s) % 100000)) / 100 : (double)(rng(&s) >> 11) / 3.0;
  roundtrip(v, 4000);
  /* negative full-precision walk: the map of negative doubles */
  double x = -1.0;
  for (int i = 0; i < 4000; i++)
    v[i] = (x -= (double)(rng(&s) % 1000) / 997.0);
  roundtrip(v, 4000);
}

static void test_sizes(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 127, 128, 129, 16383, 16384, 16385, 32769};
  double *v = walk(32769, 2, 0.3, 9);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    roundtrip(v, sizes[i]);
  free(v);
}

static void test_conversion(void **state) {
  (void)state;
  /* every route of alp_scale_ints gives alp_decode_int's bits */
  enum { N = 4096 };
  uint8_t *a = malloc(8 * N), *b = malloc(8 * N);
  assert_non_null(a), assert_non_null(b);
  uint64_t s = 11;
  for (unsigned e = 0; e <= ALP_MAX_EXP; e += 3) {
    for (int i = 0; i < N; i++) { /* integers of every width, some past +-2^51 */
      uint64_t r = rng(&s);
      sqz_store64le(a + 8 * i, r >> (r & 63));
    }
    memcpy(b, a, 8 * N);
    alp_scale_ints(b, N, pow10_exact[1], pow10_exact[e]);
    for (int i = 0; i < N; i++) {
      double want = alp_decode_int(sqz_int64_of(sqz_load64le(a + 8 * i)), e, 1);
      assert_int_equal(sqz_load64le(b + 8 * i), bits_of(want));
    }
#ifdef ALP_VECTOR_EXT
    memcpy(b, a, 8 * N);
    size_t done = alp_scale_ints_vec(b, N, pow10_exact[1], pow10_exact[e]);
    for (size_t i = 0; i < done; i++)
      assert_int_equal(sqz_load64le(b + 8 * i),
                       bits_of(alp_decode_int(sqz_int64_of(sqz_load64le(a + 8 * i)), e, 1)));
#endif
  }
  free(a), free(b);
}

/* A payload under construction. */
typedef struct payload {
  uint8_t b[512];
  size_t n;
} payload;
static void put(payload *p, unsigned v) {
  p->b[p->n++] = (uint8_t)v;
}
static void put_u64(payload *p, uint64_t v) {
  sqz_store64le(p->b + p->n, v);
  p->n += 8;
}
static void expect(const payload *p, size_t values, size_t want) {
  assert_int_equal(ts_decode(C, ctx, p->b, p->n, 8 * values, NULL), want);
}
/* A bins page of two integers: 0 and 0, coded sparse. */
static void zeros2(payload *p) {
  put(p, 1), put(p, 0), put(p, 0), put(p, 1), put(p, 0), put(p, 0);
}

static void test_corrupt_fields(void **state) {
  (void)state;
  payload p;
  for (unsigned m = 3; m < 256; m++) { /* modes */
    p.n = 0, put(&p, m), put_u64(&p, 0);
    expect(&p, 1, m <= 15 ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT));
  }
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 0), zeros2(&p), expect(&p, 2, 16);
  p.n = 0, put(&p, 1), put(&p, 19), put(&p, 0), put(&p, 0), zeros2(&p);
  expect(&p, 2, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 19), put(&p, 0), zeros2(&p);
  expect(&p, 2, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 3), zeros2(&p); /* 3 of 2 */
  expect(&p, 2, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 1), put(&p, 2); /* position 2 of 2 */
  put_u64(&p, 0), zeros2(&p), expect(&p, 2, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 2), put(&p, 0), put(&p, 1); /* 0, then 2 */
  put_u64(&p, 0), put_u64(&p, 0), zeros2(&p), expect(&p, 2, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 1), put(&p, 1); /* position 1: -0.0 */
  put_u64(&p, 0x8000000000000000u), zeros2(&p);
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(C, ctx, p.b, p.n, 16, &out), 16);
  assert_int_equal(sqz_load64le(out), 0);
  assert_int_equal(sqz_load64le(out + 8), 0x8000000000000000u);
  free(out);
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 1), put(&p, 1), put(&p, 0);
  expect(&p, 2, SQZ_ERROR(TRUNCATED)); /* the exception cut short */
  p.n = 0, put(&p, 1), put(&p, 0), expect(&p, 2, SQZ_ERROR(TRUNCATED));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 0x80), expect(&p, 2, SQZ_ERROR(TRUNCATED));
  p.n = 0, put(&p, 2), put(&p, 7), expect(&p, 1, SQZ_ERROR(VERSION)); /* bins form 7 */
  p.n = 0, put(&p, 0), put_u64(&p, 0), put(&p, 0), expect(&p, 1, SQZ_ERROR(CORRUPT));
}

static void test_errors(void **state) {
  (void)state;
  double *v = walk(300, 1, 0.4, 21);
  uint8_t *b = ts_pack_f64(v, 300);
  ts_check_errors(C, b, 8 * 300, 64);
  free(b);
  uint64_t s = 3;
  for (int i = 0; i < 300; i++) /* mapped bits */
    v[i] = (double)(rng(&s) >> 11) / 7.0;
  b = ts_pack_f64(v, 300);
  ts_check_errors(C, b, 8 * 300, 64);
  free(b), free(v);
}

static void test_damage(void **state) {
  (void)state;
  uint64_t s = 77;
  double *v = walk(20000, 2, 0.2, 31);
  for (int i = 0; i < 20000; i += 97)
    v[i] = -0.0;
  uint8_t *b = ts_pack_f64(v, 20000);
  size_t size;
  uint8_t *p = ts_roundtrip(C, b, 8 * 20000, &size);
  for (int t = 0; t < 300; t++) {
    uint8_t *q = ts_dup(p, size);
    for (int k = 0; k < 1 + t % 4; k++)
      q[rng(&s) % size] ^= (uint8_t)(1u << (rng(&s) % 8));
    ts_decode(C, ctx, q, size, 8 * 20000, NULL);
    free(q);
  }
  free(p), free(b), free(v);
}

static void *ctx_only_alloc(void *opaque, size_t bytes) {
  int *left = opaque;
  return (*left)-- > 0 ? malloc(bytes) : NULL;
}
static void plain_free(void *opaque, void *ptr) {
  (void)opaque;
  free(ptr);
}

static void test_memory(void **state) {
  (void)state;
  for (int allow = 1; allow <= 2; allow++) { /* the context; then one scratch block too */
    int left = allow;
    sqz_allocator a = {ctx_only_alloc, plain_free, &left};
    sqz_ctx *poor = sqz_ctx_create(&a);
    assert_non_null(poor);
    uint8_t src[80] = {0}, dst[200];
    assert_int_equal(C->compress(poor, dst, sizeof dst, src, 80, &ts_params), SQZ_ERROR(MEMORY));
    uint8_t raw[9] = {0};
    if (allow == 1) assert_int_equal(C->decompress(poor, dst, 8, raw, 9), SQZ_ERROR(MEMORY));
    sqz_pool_stats st;
    sqz_ctx_stats(poor, &st);
    assert_int_equal(st.in_use, 0);
    sqz_ctx_free(poor);
  }
  double *v = walk(5000, 2, 0.5, 41);
  uint8_t *b = ts_pack_f64(v, 5000), *comp = malloc(C->bound(40000));
  assert_int_equal(C->compress(ctx, comp, 10, b, 40000, &ts_params), SQZ_ERROR(DST_TOO_SMALL));
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  assert_int_equal(st.in_use, 0);
  free(b), free(v), free(comp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),         cmocka_unit_test(test_worked_examples),
      cmocka_unit_test(test_weather),        cmocka_unit_test(test_walks),
      cmocka_unit_test(test_specials),       cmocka_unit_test(test_scaling),
      cmocka_unit_test(test_sizes),          cmocka_unit_test(test_conversion),
      cmocka_unit_test(test_corrupt_fields), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_damage),         cmocka_unit_test(test_memory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

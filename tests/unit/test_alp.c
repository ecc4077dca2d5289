/*
** test_alp.c: unit tests of the alp codec (codecs/alp.c, docs/format/alp.md).
**
** - bit-exact round trips: the pressure, temperature and wind columns of
**   examples/data/seattle-weather-hourly-normals.csv (parsed here), the
**   gen_ts walks when build/ts exists (with the ALP reference figures as
**   bounds: 8.47 and 52.73 bits/value), special values (NaN payloads, -0.0,
**   infinities, subnormals, DBL_MAX, scaled integers past int64), mixed
**   decimal and non-decimal data, trailing zeros, constants, random bit
**   patterns, and 0, 1, 2, 1023, 1024, 1025 ... values and row-group edges;
** - the choice of scheme, read back from the payload: ALP with e = 1 on the
**   weather, -0.0 as an exception, f = 5 for multiples of 100000, ALP_rd on
**   the full-precision walk (and with right parts wider than 56 bits), raw
**   for random bits;
** - the worked example of docs/format/alp.md, byte for byte;
** - hand-built payloads for the decoder's general paths (widths 52..64,
**   bases outside +-2^51, e and f both set, right parts of 57..63 bits);
** - every error path: SRC_SIZE, DST_TOO_SMALL at every capacity, MEMORY,
**   and CORRUPT/TRUNCATED for each field out of range, each truncation and
**   trailing bytes; damaged payloads never crash (run under ASan+UBSan);
** - every call gives its scratch blocks back, error paths included.
*/
#include "test_util.h"

#include <math.h>

#include "bitstream.h"
#include "codec.h"
#include "pool.h"
#include "varint.h"

extern const sqz_codec sqz_codec_alp;
static const sqz_codec *const C = &sqz_codec_alp;

#define WEATHER_CSV "examples/data/seattle-weather-hourly-normals.csv"
#define TS_DIR "build/ts/"

static const sqz_params params = {.level = 1};

static uint64_t bits_of(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static double double_of(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* 10^0 .. 10^18, exact. */
static const double p10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* xorshift64*, deterministic. */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

/* n values as the little-endian bytes a caller passes (malloc'd). */
static uint8_t *to_bytes(const uint64_t *v, size_t n) {
  uint8_t *b = malloc(8 * n + 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++)
    sqz_store64le(b + 8 * i, v[i]);
  return b;
}

static void assert_no_scratch_held(sqz_ctx *ctx) {
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  assert_int_equal(st.in_use, 0);
}

/* Compresses n values; returns the malloc'd payload and its size in *size.
** Checks the bound and that no scratch stays held. */
static uint8_t *encode(sqz_ctx *ctx, const uint64_t *v, size_t n, size_t *size) {
  uint8_t *src = to_bytes(v, n);
  size_t cap = C->bound(8 * n);
  uint8_t *dst = malloc(cap + 1);
  assert_non_null(dst);
  size_t r = C->compress(ctx, dst, cap, src, 8 * n, &params);
  assert_false(sqz_is_error(r));
  assert_true(r <= cap);
  assert_no_scratch_held(ctx);
  free(src);
  *size = r;
  return dst;
}

/* Decodes size bytes into exactly 8 * n bytes (an exact-size buffer, so
** ASan sees any write past it) and returns the error or size. */
static size_t decode_into(sqz_ctx *ctx, uint8_t *out, size_t n, const uint8_t *p, size_t size) {
  size_t r = C->decompress(ctx, out, 8 * n, p, size);
  assert_no_scratch_held(ctx);
  return r;
}

/* Round trip of n values: bit-exact, deterministic (a second compression
** gives the same bytes), within the bound. Returns the payload size. */
static size_t roundtrip(const uint64_t *v, size_t n) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_non_null(ctx);
  size_t size, size2;
  uint8_t *p = encode(ctx, v, n, &size);
  uint8_t *p2 = encode(ctx, v, n, &size2);
  assert_int_equal(size, size2);
  assert_memory_equal(p, p2, size);
  uint8_t *out = malloc(8 * n + 1);
  assert_non_null(out);
  assert_int_equal(decode_into(ctx, out, n, p, size), 8 * n);
  for (size_t i = 0; i < n; i++) {
    if (sqz_load64le(out + 8 * i) != v[i])
      fail_msg("value %zu: got %016llx, want %016llx", i,
               (unsigned long long)sqz_load64le(out + 8 * i), (unsigned long long)v[i]);
  }
  free(out);
  free(p);
  free(p2);
  sqz_ctx_free(ctx);
  return size;
}

/* The header of the first vector of a payload. */
typedef struct vec_head {
  unsigned mode, e, f, bw; /* ALP: exponent, factor, width; ALP_rd: e = right bits, f = code bits */
  uint64_t base_zz, n_exc; /* ALP: zigzag base; both: exceptions */
  const uint8_t *after;    /* first byte after the exception count */
} vec_head;

static vec_head first_vector(const uint8_t *p, size_t size) {
  vec_head h;
  memset(&h, 0, sizeof h);
  assert_true(size >= 1);
  h.mode = p[0];
  if (h.mode == 1) {
    h.e = p[1], h.f = p[2], h.bw = p[3];
    size_t k = sqz_varint_read(p + 4, size - 4, &h.base_zz);
    assert_false(sqz_is_error(k));
    size_t k2 = sqz_varint_read(p + 4 + k, size - 4 - k, &h.n_exc);
    assert_false(sqz_is_error(k2));
    h.after = p + 4 + k + k2;
  } else if (h.mode == 2) {
    h.e = p[1], h.f = p[2];
    size_t dict = 2u << h.f;
    size_t k = sqz_varint_read(p + 3 + dict, size - 3 - dict, &h.n_exc);
    assert_false(sqz_is_error(k));
    h.after = p + 3 + dict + k;
  }
  return h;
}

/* Round trip, then the first vector's header. */
static vec_head roundtrip_head(const uint64_t *v, size_t n, size_t *size) {
  *size = roundtrip(v, n);
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  size_t s;
  uint8_t *p = encode(ctx, v, n, &s);
  vec_head h = first_vector(p, s);
  h.after = NULL; /* p is freed */
  free(p);
  sqz_ctx_free(ctx);
  return h;
}

/* k / 10^digits for a walk of integers k: the double nearest to a decimal. */
static uint64_t *decimal_walk(size_t n, int digits, uint64_t seed) {
  uint64_t *v = malloc(8 * n + 8), s = seed;
  assert_non_null(v);
  int64_t k = 100000;
  double scale = p10[digits];
  for (size_t i = 0; i < n; i++) {
    k += (int64_t)(rng_next(&s) % 41) - 20;
    v[i] = bits_of((double)k / scale);
  }
  return v;
}

static uint64_t *random_bits(size_t n, uint64_t seed) {
  uint64_t *v = malloc(8 * n + 8), s = seed;
  assert_non_null(v);
  for (size_t i = 0; i < n; i++)
    v[i] = rng_next(&s);
  return v;
}

/* ---- Round trips on real and synthetic data ------------------------------ */

/* Column col (1 pressure, 2 temperature, 3 wind) of the weather CSV. */
static uint64_t *weather(int col, size_t *n) {
  size_t size;
  uint8_t *csv = test_read_file(WEATHER_CSV, &size);
  uint64_t *v = malloc(size); /* far more than the rows */
  assert_non_null(v);
  size_t count = 0;
  char *line = (char *)csv, *end = (char *)csv + size;
  line = memchr(line, '\n', size) + 1; /* header */
  while (line < end) {
    char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    char *f = line;
    for (int c = 0; c < col; c++)
      f = memchr(f, ',', (size_t)(eol - f)) + 1;
    v[count++] = bits_of(strtod(f, NULL));
    line = eol + 1;
  }
  free(csv);
  *n = count;
  return v;
}

static void test_weather(void **state) {
  (void)state;
  static const char *const names[] = {"pressure", "temperature", "wind"};
  for (int col = 1; col <= 3; col++) {
    size_t n, size;
    uint64_t *v = weather(col, &n);
    assert_int_equal(n, 8759);
    vec_head h = roundtrip_head(v, n, &size);
    double bpv = 8.0 * (double)size / (double)n;
    print_message("weather %s: %.2f bits/value\n", names[col - 1], bpv);
    assert_true(bpv < 8.0); /* one decimal, narrow ranges: zstd -1 needs 6.6..11 */
    assert_int_equal(h.mode, 1);
    assert_int_equal(h.e, 1); /* one decimal: 1016.6 -> 10166 */
    assert_int_equal(h.f, 0);
    assert_int_equal(h.n_exc, 0);
    free(v);
  }
}

static void test_walks(void **state) {
  (void)state;
  static const struct {
    const char *path;
    double bound;
    unsigned mode;
  } walks[] = {{TS_DIR "val_2dp.f64", 8.47, 1}, {TS_DIR "val_full.f64", 52.73, 2}};
  for (size_t i = 0; i < 2; i++) {
    FILE *f = fopen(walks[i].path, "rb");
    if (!f) {
      print_message("skipped: %s is missing (make build/ts/ts.i64)\n", walks[i].path);
      skip();
    }
    fclose(f);
    size_t bytes, size;
    uint8_t *raw = test_read_file(walks[i].path, &bytes);
    size_t n = bytes / 8;
    uint64_t *v = malloc(bytes);
    assert_non_null(v);
    for (size_t j = 0; j < n; j++)
      v[j] = sqz_load64le(raw + 8 * j);
    vec_head h = roundtrip_head(v, n, &size);
    double bpv = 8.0 * (double)size / (double)n;
    print_message("%s: %.3f bits/value (ALP reference: %.2f)\n", walks[i].path, bpv,
                  walks[i].bound);
    assert_true(bpv <= walks[i].bound);
    assert_int_equal(h.mode, walks[i].mode);
    free(v);
    free(raw);
  }
}

static void test_sizes(void **state) {
  (void)state;
  static const size_t sizes[] = {0,    1,    2,    3,    7,    8,      9,      1023,   1024,
                                 1025, 2047, 2048, 2049, 5000, 102399, 102400, 102401, 205000};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    size_t n = sizes[i];
    uint64_t *d = decimal_walk(n, 2, 7 + n), *r = random_bits(n, 11 + n);
    size_t sd = roundtrip(d, n), sr = roundtrip(r, n);
    assert_true(sr <= C->bound(8 * n));
    if (n >= 1024) assert_true(sd * 4 < 8 * n); /* decimals shrink at least 4x */
    free(d);
    free(r);
  }
  assert_int_equal(C->bound(0), 0);
  assert_int_equal(C->bound(8), 9);
  assert_int_equal(C->bound(8192), 8193);
  assert_int_equal(C->bound(8200), 8202);
  assert_int_equal(C->bound(SIZE_MAX), 0);
}

/* The special values, each inside a vector of two-decimal values. */
static const uint64_t specials[] = {
    0x8000000000000000ull, /* -0.0 */
    0x0000000000000000ull, /* +0.0 */
    0x7ff8000000000000ull, /* quiet NaN */
    0xfff8000000000000ull, /* negative quiet NaN */
    0x7ff0000000000001ull, /* signalling NaN, payload 1 */
    0x7ff4deadbeef1234ull, /* signalling NaN with a payload */
    0xffffffffffffffffull, /* NaN, every bit set */
    0x7ff0000000000000ull, /* +inf */
    0xfff0000000000000ull, /* -inf */
    0x0000000000000001ull, /* smallest subnormal */
    0x800fffffffffffffull, /* largest negative subnormal */
    0x0010000000000000ull, /* DBL_MIN */
    0x7fefffffffffffffull, /* DBL_MAX */
    0xffefffffffffffffull, /* -DBL_MAX */
    0x43e0000000000000ull, /* 2^63: scaled integer overflows int64 */
    0xc3e0000000000000ull, /* -2^63 */
    0x4340000000000001ull, /* 2^53 + 2 */
    0x4320000000000000ull, /* 2^51: at the fast-rounding limit */
    0x4330000000000000ull, /* 2^52 */
    0x3fb999999999999aull, /* 0.1 */
    0x3fd3333333333334ull, /* 0.30000000000000004 */
    0x400921fb54442d18ull, /* pi */
    0x44b52d02c7e14af6ull, /* 1e23 (not exact) */
};
#define SPECIALS (sizeof(specials) / sizeof(specials[0]))

static void test_special_values(void **state) {
  (void)state;
  /* alone, all together, and among decimals at every position class */
  for (size_t i = 0; i < SPECIALS; i++)
    roundtrip(&specials[i], 1);
  roundtrip(specials, SPECIALS);
  uint64_t *v = decimal_walk(3000, 2, 3);
  for (size_t i = 0; i < SPECIALS; i++) {
    v[i * 97] = specials[i];
    v[1023 - i] = specials[i];
    v[1024 + i] = specials[i];
    v[2999 - i] = specials[i];
  }
  roundtrip(v, 3000);
  /* a vector of only specials, repeated, and of only -0.0 */
  uint64_t many[1024];
  for (size_t i = 0; i < 1024; i++)
    many[i] = specials[i % SPECIALS];
  roundtrip(many, 1024);
  for (size_t i = 0; i < 1024; i++)
    many[i] = 0x8000000000000000ull;
  roundtrip(many, 1024);
  free(v);
}

/* -0.0 among decimals is an ALP exception: -0.0 * 10^e rounds to 0, and 0
** decodes to +0.0. */
static void test_negative_zero_is_exception(void **state) {
  (void)state;
  uint64_t *v = decimal_walk(1024, 2, 5);
  v[100] = bits_of(-0.0);
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  size_t size;
  uint8_t *p = encode(ctx, v, 1024, &size);
  vec_head h = first_vector(p, size);
  assert_int_equal(h.mode, 1);
  assert_int_equal(h.e, 2);
  assert_int_equal(h.n_exc, 1);
  size_t packed = (1024 * (size_t)h.bw + 7) / 8;
  const uint8_t *exc = h.after + packed;
  assert_int_equal(exc[0] | exc[1] << 8, 100);            /* position */
  assert_int_equal(sqz_load64le(exc + 2), bits_of(-0.0)); /* value */
  assert_int_equal(size, (size_t)(exc + 10 - p));
  free(p);
  sqz_ctx_free(ctx);
  roundtrip(v, 1024);
  free(v);
}

/* Multiples of 100000 use the factor: d = v / 10^5. */
static void test_trailing_zeros(void **state) {
  (void)state;
  uint64_t v[2000], s = 9;
  for (size_t i = 0; i < 2000; i++)
    v[i] = bits_of((double)(rng_next(&s) % 1000 + 1) * 1e5);
  size_t size;
  vec_head h = roundtrip_head(v, 2000, &size);
  assert_int_equal(h.mode, 1);
  assert_int_equal(h.e, 0);
  assert_int_equal(h.f, 5);
  assert_true(h.bw <= 10);
  /* and decimals with factor-free exponents up to 18 digits */
  for (int digits = 0; digits <= 12; digits++) {
    uint64_t *w = decimal_walk(1500, digits, 100 + (uint64_t)digits);
    h = roundtrip_head(w, 1500, &size);
    assert_int_equal(h.mode, 1);
    assert_int_equal(h.n_exc, 0);
    free(w);
  }
}

/* Decimal and full-precision values interleaved within vectors and
** alternating between vectors: every mix round-trips and costs less than
** raw. */
static void test_mixed(void **state) {
  (void)state;
  size_t n = 8192;
  uint64_t *d = decimal_walk(n, 1, 21), *v = malloc(8 * n), s = 5;
  assert_non_null(v);
  for (unsigned every = 1; every <= 64; every *= 4) { /* one full-precision value in `every` */
    for (size_t i = 0; i < n; i++)
      v[i] =
          i % every == 0 ? bits_of(double_of(d[i]) + (double)(rng_next(&s) >> 11) * 1e-20) : d[i];
    assert_true(roundtrip(v, n) < 8 * n);
  }
  for (size_t i = 0; i < n; i++) /* alternate vectors */
    v[i] = (i / 1024) % 2 ? bits_of(double_of(d[i]) / 3.0) : d[i];
  assert_true(roundtrip(v, n) < 6 * n);
  free(d);
  free(v);
}

static void test_constants_and_random(void **state) {
  (void)state;
  uint64_t v[3000];
  size_t size;
  for (size_t i = 0; i < 3000; i++)
    v[i] = bits_of(42.25);
  vec_head h = roundtrip_head(v, 3000, &size);
  assert_int_equal(h.mode, 1);
  assert_int_equal(h.bw, 0);
  assert_true(size < 40);
  for (size_t i = 0; i < 3000; i++)
    v[i] = bits_of(M_PI);
  h = roundtrip_head(v, 3000, &size);
  assert_int_equal(h.mode, 2); /* not a decimal: ALP_rd with a 1-entry dictionary */
  assert_int_equal(h.f, 0);
  uint64_t *r = random_bits(5000, 77);
  h = roundtrip_head(r, 5000, &size);
  assert_int_equal(h.mode, 0);
  assert_int_equal(size, 5000 * 8 + 5); /* raw: one mode byte per vector */
  /* random low 60 bits under a fixed top nibble: ALP_rd with 60 right bits */
  for (size_t i = 0; i < 5000; i++)
    r[i] = (r[i] >> 4) | 0x4000000000000000ull;
  h = roundtrip_head(r, 5000, &size);
  assert_int_equal(h.mode, 2);
  assert_true(h.e > 56);
  /* random mantissas and signs, narrow exponents */
  for (size_t i = 0; i < 5000; i++)
    r[i] = (r[i] & 0x800fffffffffffffull) | (0x3ffull << 52);
  roundtrip(r, 5000);
  free(r);
}

/* The worked example of docs/format/alp.md. */
static void test_worked_example(void **state) {
  (void)state;
  const uint64_t v[4] = {bits_of(1.5), bits_of(2.25), bits_of(-0.0), bits_of(3.75)};
  static const uint8_t want[] = {0x01, 0x02, 0x00, 0x08, 0xac, 0x02, 0x01, 0x00, 0x4b, 0x00, 0xe1,
                                 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  size_t size;
  uint8_t *p = encode(ctx, v, 4, &size);
  assert_int_equal(size, sizeof want);
  assert_memory_equal(p, want, sizeof want);
  uint8_t out[32];
  assert_int_equal(decode_into(ctx, out, 4, want, sizeof want), 32);
  for (int i = 0; i < 4; i++)
    assert_int_equal(sqz_load64le(out + 8 * i), v[i]);
  free(p);
  sqz_ctx_free(ctx);
}

/* ---- Hand-built payloads ------------------------------------------------- */

typedef struct payload {
  uint8_t b[20000];
  size_t n;
} payload;

static void put_u8(payload *p, unsigned v) {
  p->b[p->n++] = (uint8_t)v;
}
static void put_u16(payload *p, unsigned v) {
  sqz_store16le(p->b + p->n, (uint16_t)v);
  p->n += 2;
}
static void put_u64(payload *p, uint64_t v) {
  sqz_store64le(p->b + p->n, v);
  p->n += 8;
}
static void put_varint(payload *p, uint64_t v) {
  p->n += sqz_varint_put(p->b + p->n, sizeof p->b - p->n, v);
}
/* count fields of width bw through the shared bit writer (not alp's packer). */
static void put_packed(payload *p, const uint64_t *v, unsigned count, unsigned bw) {
  sqz_bitwriter w;
  sqz_bw_init(&w, p->b + p->n, sizeof p->b - p->n);
  for (unsigned i = 0; i < count; i++)
    sqz_bw_put64(&w, v[i], bw);
  size_t k = sqz_bw_finish(&w);
  assert_int_equal(k, ((size_t)count * bw + 7) / 8);
  p->n += k;
}

/* An ALP vector header. */
static void put_alp(payload *p, unsigned e, unsigned f, unsigned bw, int64_t base, unsigned nexc) {
  put_u8(p, 1);
  put_u8(p, e);
  put_u8(p, f);
  put_u8(p, bw);
  put_varint(p, sqz_zigzag_encode(base));
  put_varint(p, nexc);
}

static size_t decode_payload(const payload *p, uint8_t *out, size_t n) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  uint8_t *src = malloc(p->n + 1); /* exact size: ASan sees over-reads */
  assert_non_null(src);
  memcpy(src, p->b, p->n);
  size_t r = decode_into(ctx, out, n, src, p->n);
  free(src);
  sqz_ctx_free(ctx);
  return r;
}

/* The format's definition of an ALP value, computed here independently. */
static double alp_value(uint64_t d, unsigned e, unsigned f) {
  int64_t s;
  memcpy(&s, &d, 8);
  double x = (double)s * p10[f];
  return x / p10[e];
}

static void test_decoder_general_paths(void **state) {
  (void)state;
  uint8_t out[8 * 1100];
  /* widths 52..64 and bases outside +-2^51 take the generic conversion */
  static const struct {
    unsigned e, f, bw;
    int64_t base;
  } cases[] = {{0, 0, 64, 0},
               {0, 0, 64, INT64_MIN},
               {3, 0, 60, -((int64_t)1 << 62)},
               {2, 1, 52, 5},
               {18, 18, 53, (int64_t)1 << 51},
               {0, 0, 10, ((int64_t)1 << 51) - 100}, /* base near the fast-path edge */
               {1, 0, 10, -((int64_t)1 << 51)},      /* exactly at the edge: fast path */
               {2, 1, 8, 1000},                      /* e and f both set, fast path */
               {0, 0, 0, 123}};
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    for (unsigned count = 1; count <= 1024; count += 341) {
      uint64_t u[1024], s = c * 31 + count;
      payload p = {.n = 0};
      for (unsigned i = 0; i < count; i++)
        u[i] = rng_next(&s) & sqz_mask64(cases[c].bw);
      put_alp(&p, cases[c].e, cases[c].f, cases[c].bw, cases[c].base, 0);
      put_packed(&p, u, count, cases[c].bw);
      assert_int_equal(decode_payload(&p, out, count), 8 * (size_t)count);
      for (unsigned i = 0; i < count; i++) {
        double want = alp_value((uint64_t)cases[c].base + u[i], cases[c].e, cases[c].f);
        assert_int_equal(sqz_load64le(out + 8 * i), bits_of(want));
      }
    }
  }
  /* ALP_rd with every right width, every code width, and exceptions */
  for (unsigned right = 48; right <= 63; right++) {
    for (unsigned cb = 0; cb <= 3; cb++) {
      unsigned count = 700 + right, entries = 1u << cb, left = 64 - right;
      uint64_t codes[1024], rights[1024], s = right * 4 + cb;
      uint16_t dict[8];
      payload p = {.n = 0};
      for (unsigned t = 0; t < entries; t++)
        dict[t] = (uint16_t)(rng_next(&s) & sqz_mask64(left));
      for (unsigned i = 0; i < count; i++) {
        codes[i] = rng_next(&s) & sqz_mask64(cb);
        rights[i] = rng_next(&s) & sqz_mask64(right);
      }
      put_u8(&p, 2);
      put_u8(&p, right);
      put_u8(&p, cb);
      for (unsigned t = 0; t < entries; t++)
        put_u16(&p, dict[t]);
      put_varint(&p, 2);
      put_packed(&p, codes, count, cb);
      put_packed(&p, rights, count, right);
      put_u16(&p, 3);
      put_u16(&p, count - 1);
      put_u16(&p, (unsigned)sqz_mask64(left)); /* the largest left part */
      put_u16(&p, 0);
      assert_int_equal(decode_payload(&p, out, count), 8 * (size_t)count);
      for (unsigned i = 0; i < count; i++) {
        uint64_t l = dict[codes[i]];
        if (i == 3) l = sqz_mask64(left);
        if (i == count - 1) l = 0;
        assert_int_equal(sqz_load64le(out + 8 * i), l << right | rights[i]);
      }
    }
  }
  /* a raw vector, then an ALP vector, in one payload */
  payload p = {.n = 0};
  put_u8(&p, 0);
  for (unsigned i = 0; i < 1024; i++)
    put_u64(&p, i);
  uint64_t one = 1;
  put_alp(&p, 0, 0, 1, -7, 0);
  put_packed(&p, &one, 1, 1);
  assert_int_equal(decode_payload(&p, out, 1025), 8 * 1025);
  assert_int_equal(sqz_load64le(out + 8 * 1023), 1023);
  assert_int_equal(sqz_load64le(out + 8 * 1024), bits_of(-6.0));
}

/* ---- Error paths --------------------------------------------------------- */

static void expect_error(const payload *p, size_t n, sqz_error_code code) {
  uint8_t out[8 * 1100];
  size_t r = decode_payload(p, out, n);
  if (sqz_error_of(r) != code)
    fail_msg("expected error %d, got %d (r=%zu)", (int)code, (int)sqz_error_of(r), r);
}

static void test_corrupt_fields(void **state) {
  (void)state;
  payload p;
  uint64_t zero[4] = {0};
#define RESET() (p.n = 0)
  /* mode: 3..15 are kept for newer versions, the rest never are modes */
  RESET(), put_u8(&p, 3), put_u64(&p, 0), expect_error(&p, 1, SQZ_ERROR_VERSION);
  RESET(), put_u8(&p, 15), put_u64(&p, 0), expect_error(&p, 1, SQZ_ERROR_VERSION);
  RESET(), put_u8(&p, 16), put_u64(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 0xff), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  /* ... also in a vector after the first */
  RESET(), put_u8(&p, 0);
  for (unsigned i = 0; i < 1024; i++)
    put_u64(&p, i);
  put_u8(&p, 4), put_u64(&p, 0), expect_error(&p, 1025, SQZ_ERROR_VERSION);
  /* ALP exponent, factor, width out of range */
  RESET(), put_alp(&p, 19, 0, 0, 0, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 19, 0, 0, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 0, 65, 0, 0), put_u64(&p, 0), put_u8(&p, 0);
  expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 0, 255, 0, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  /* exception count above the vector */
  RESET(), put_alp(&p, 0, 0, 0, 0, 3), put_u16(&p, 0), put_u16(&p, 1), put_u16(&p, 1);
  for (int i = 0; i < 3; i++)
    put_u64(&p, 0);
  expect_error(&p, 2, SQZ_ERROR_CORRUPT);
  /* exception positions: past the vector, repeated, decreasing */
  RESET(), put_alp(&p, 0, 0, 0, 0, 1), put_u16(&p, 2), put_u64(&p, 0);
  expect_error(&p, 2, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 0, 0, 0, 1), put_u16(&p, 0xffff), put_u64(&p, 0);
  expect_error(&p, 2, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 0, 0, 0, 2), put_u16(&p, 1), put_u16(&p, 1);
  put_u64(&p, 0), put_u64(&p, 0), expect_error(&p, 3, SQZ_ERROR_CORRUPT);
  RESET(), put_alp(&p, 0, 0, 0, 0, 2), put_u16(&p, 1), put_u16(&p, 0);
  put_u64(&p, 0), put_u64(&p, 0), expect_error(&p, 3, SQZ_ERROR_CORRUPT);
  /* varints: overlong (11 bytes), above 64 bits, cut short */
  RESET(), put_u8(&p, 1), put_u8(&p, 0), put_u8(&p, 0), put_u8(&p, 0);
  for (int i = 0; i < 10; i++)
    put_u8(&p, 0x80);
  put_u8(&p, 0), put_u8(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 1), put_u8(&p, 0), put_u8(&p, 0), put_u8(&p, 0);
  for (int i = 0; i < 9; i++)
    put_u8(&p, 0xff);
  put_u8(&p, 0x02), put_u8(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 1), put_u8(&p, 0), put_u8(&p, 0), put_u8(&p, 0), put_u8(&p, 0x80);
  expect_error(&p, 1, SQZ_ERROR_TRUNCATED);
  RESET(), put_alp(&p, 0, 0, 0, 0, 0), p.n--, expect_error(&p, 1, SQZ_ERROR_TRUNCATED);
  /* ALP_rd: right width, code width, dictionary entries, exception lefts */
  static const unsigned bad_right[] = {0, 47, 64, 200};
  for (size_t i = 0; i < 4; i++) {
    RESET(), put_u8(&p, 2), put_u8(&p, bad_right[i]), put_u8(&p, 0), put_u16(&p, 0);
    put_varint(&p, 0), put_u64(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  }
  RESET(), put_u8(&p, 2), put_u8(&p, 52), put_u8(&p, 4);
  for (int i = 0; i < 16; i++)
    put_u16(&p, 0);
  put_varint(&p, 0), put_u64(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 2), put_u8(&p, 52), put_u8(&p, 1), put_u16(&p, 0), put_u16(&p, 0x1000);
  put_varint(&p, 0), put_u8(&p, 0), put_packed(&p, zero, 1, 52);
  expect_error(&p, 1, SQZ_ERROR_CORRUPT); /* entry needs 13 bits, left part has 12 */
  RESET(), put_u8(&p, 2), put_u8(&p, 63), put_u8(&p, 0), put_u16(&p, 2);
  put_varint(&p, 0), put_packed(&p, zero, 1, 63), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 2), put_u8(&p, 52), put_u8(&p, 0), put_u16(&p, 0), put_varint(&p, 1);
  put_packed(&p, zero, 1, 52), put_u16(&p, 0), put_u16(&p, 0x1000);
  expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  RESET(), put_u8(&p, 2), put_u8(&p, 52), put_u8(&p, 0), put_u16(&p, 0), put_varint(&p, 2);
  put_packed(&p, zero, 1, 52), put_u16(&p, 0), put_u16(&p, 0), put_u16(&p, 0), put_u16(&p, 0);
  expect_error(&p, 1, SQZ_ERROR_CORRUPT); /* 2 exceptions in a 1-value vector */
  RESET(), put_u8(&p, 2), put_u8(&p, 52), put_u8(&p, 0), put_u16(&p, 0), put_varint(&p, 1);
  put_packed(&p, zero, 2, 52), put_u16(&p, 2), put_u16(&p, 0);
  expect_error(&p, 2, SQZ_ERROR_CORRUPT); /* position past the vector */
  /* sizes: not whole doubles, bytes for no values, trailing bytes */
  RESET(), put_u8(&p, 0), put_u64(&p, 0);
  uint8_t out[16];
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_int_equal(sqz_error_of(C->decompress(ctx, out, 7, p.b, p.n)), SQZ_ERROR_CORRUPT);
  assert_int_equal(sqz_error_of(C->decompress(ctx, out, 0, p.b, p.n)), SQZ_ERROR_CORRUPT);
  assert_int_equal(C->decompress(ctx, out, 0, p.b, 0), 0);
  assert_no_scratch_held(ctx);
  sqz_ctx_free(ctx);
  put_u8(&p, 0), expect_error(&p, 1, SQZ_ERROR_CORRUPT);
  expect_error(&p, 2, SQZ_ERROR_TRUNCATED); /* a second vector is missing */
#undef RESET
}

/* Every prefix of a multi-vector payload (ALP, ALP_rd and raw vectors) is an
** error; so is the payload with a trailing byte or a wrong value count. */
static void test_truncation(void **state) {
  (void)state;
  size_t n = 3 * 1024 + 100;
  uint64_t *v = decimal_walk(n, 2, 8), *r = random_bits(1024, 3), s = 1;
  for (size_t i = 1024; i < 2048; i++)
    v[i] = bits_of(double_of(v[i]) / 7.0); /* ALP_rd */
  for (size_t i = 2048; i < 3072; i++)
    v[i] = r[i - 2048]; /* raw */
  for (size_t i = 0; i < n; i += 1 + rng_next(&s) % 50)
    v[i] = specials[i % SPECIALS];
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  size_t size;
  uint8_t *p = encode(ctx, v, n, &size);
  uint8_t *out = malloc(8 * n + 8), *cut = malloc(size + 1);
  assert_non_null(out);
  assert_non_null(cut);
  for (size_t len = 0; len < size; len++) {
    uint8_t *q = realloc(cut, len ? len : 1); /* exact size: ASan catches over-reads */
    assert_non_null(q);
    cut = q;
    memcpy(cut, p, len);
    size_t res = decode_into(ctx, out, n, cut, len);
    sqz_error_code e = sqz_error_of(res);
    if (e != SQZ_ERROR_TRUNCATED && e != SQZ_ERROR_CORRUPT)
      fail_msg("prefix %zu of %zu: result %zu", len, size, res);
  }
  uint8_t *longer = malloc(size + 1);
  assert_non_null(longer);
  memcpy(longer, p, size);
  longer[size] = 0;
  assert_int_equal(sqz_error_of(decode_into(ctx, out, n, longer, size + 1)), SQZ_ERROR_CORRUPT);
  assert_true(sqz_is_error(decode_into(ctx, out, n - 1, p, size)));
  uint8_t *more = malloc(8 * n + 16);
  assert_non_null(more);
  assert_true(sqz_is_error(decode_into(ctx, more, n + 1, p, size)));
  assert_int_equal(decode_into(ctx, out, n, p, size), 8 * n);
  free(more);
  free(longer);
  free(cut);
  free(out);
  free(p);
  free(v);
  free(r);
  sqz_ctx_free(ctx);
}

/* Random damage to real payloads: never a crash, and a success is the
** right size. */
static void test_damage(void **state) {
  (void)state;
  size_t n = 2100, size;
  uint64_t *v = decimal_walk(n, 3, 4), s = 99;
  for (size_t i = 1024; i < 2048; i++)
    v[i] = bits_of(double_of(v[i]) * M_PI);
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  uint8_t *p = encode(ctx, v, n, &size), *q = malloc(size), *out = malloc(8 * n);
  assert_non_null(q);
  assert_non_null(out);
  for (int trial = 0; trial < 3000; trial++) {
    memcpy(q, p, size);
    int flips = 1 + (int)(rng_next(&s) % 4);
    for (int k = 0; k < flips; k++)
      q[rng_next(&s) % size] ^= (uint8_t)(1u << (rng_next(&s) % 8));
    size_t r = decode_into(ctx, out, n, q, size);
    assert_true(sqz_is_error(r) || r == 8 * n);
  }
  free(q);
  free(out);
  free(p);
  free(v);
  sqz_ctx_free(ctx);
}

static void *ctx_only_alloc(void *opaque, size_t bytes) {
  int *left = opaque;
  return (*left)-- > 0 ? malloc(bytes) : NULL;
}
static void plain_free(void *opaque, void *ptr) {
  (void)opaque;
  free(ptr);
}

static void test_compress_errors(void **state) {
  (void)state;
  uint64_t *v = decimal_walk(3000, 2, 12);
  uint8_t *src = to_bytes(v, 3000);
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  uint8_t dst[64];
  for (size_t bad = 1; bad < 8; bad++)
    assert_int_equal(sqz_error_of(C->compress(ctx, dst, sizeof dst, src, bad, &params)),
                     SQZ_ERROR_SRC_SIZE);
  assert_int_equal(sqz_error_of(C->compress(ctx, dst, sizeof dst, src, 8 * 3000 + 4, &params)),
                   SQZ_ERROR_SRC_SIZE);
  assert_int_equal(C->compress(ctx, dst, 0, src, 0, &params), 0);
  /* every capacity below the size fails cleanly, into an exact-size buffer */
  size_t size;
  uint8_t *p = encode(ctx, v, 3000, &size);
  for (size_t cap = 0; cap < size; cap += 1 + cap / 64) {
    uint8_t *small = malloc(cap ? cap : 1);
    assert_non_null(small);
    assert_int_equal(sqz_error_of(C->compress(ctx, small, cap, src, 8 * 3000, &params)),
                     SQZ_ERROR_DST_TOO_SMALL);
    assert_no_scratch_held(ctx);
    free(small);
  }
  uint8_t *exact = malloc(size);
  assert_non_null(exact);
  assert_int_equal(C->compress(ctx, exact, size, src, 8 * 3000, &params), size);
  assert_memory_equal(exact, p, size);
  free(exact);
  free(p);
  sqz_ctx_free(ctx);
  /* no memory: compress and decompress say so */
  int left = 1; /* the context itself, then nothing */
  sqz_allocator a = {ctx_only_alloc, plain_free, &left};
  sqz_ctx *poor = sqz_ctx_create(&a);
  assert_non_null(poor);
  uint8_t big[8 * 40];
  assert_int_equal(sqz_error_of(C->compress(poor, big, sizeof big, src, 8 * 30, &params)),
                   SQZ_ERROR_MEMORY);
  uint8_t raw[9] = {0};
  assert_int_equal(sqz_error_of(C->decompress(poor, big, 8, raw, 9)), SQZ_ERROR_MEMORY);
  sqz_ctx_free(poor);
  free(src);
  free(v);
}

static void test_registry(void **state) {
  (void)state;
  assert_ptr_equal(sqz_codec_by_name("alp"), C);
  assert_ptr_equal(sqz_codec_by_id(SQZ_ID_ALP), C);
  assert_int_equal(C->id, 10);
  assert_int_equal(C->kind, SQZ_KIND_FLOAT64);
  assert_int_equal(C->min_level, 1);
  assert_int_equal(C->default_level, 1);
  assert_int_equal(C->max_level, 1);
  assert_null(C->free_state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_weather),
      cmocka_unit_test(test_walks),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_special_values),
      cmocka_unit_test(test_negative_zero_is_exception),
      cmocka_unit_test(test_trailing_zeros),
      cmocka_unit_test(test_mixed),
      cmocka_unit_test(test_constants_and_random),
      cmocka_unit_test(test_decoder_general_paths),
      cmocka_unit_test(test_corrupt_fields),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_damage),
      cmocka_unit_test(test_compress_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

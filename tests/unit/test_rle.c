/*
** test_rle.c: unit tests of the rle codec (codecs/rle.c).
**
** - round trips of every examples/data file at 0, 1, 4 KiB, 128 KiB - 1,
**   128 KiB, 128 KiB + 1 bytes, the whole file and 16 MiB (the file
**   repeated), random bytes, one repeated byte, two symbols, and every
**   output decoded again by a byte-at-a-time model of docs/format/rle.md;
** - the jobs: 1 MiB of zeros and a column of one double in a handful of
**   bytes, sparse columns, 2- and 4-byte units, runs of every length from
**   1 to 40 at every offset, runs that end inside a unit;
** - the bound: structured inputs built to split literals as often as
**   possible never exceed bound(n);
** - the worked example of the format doc, byte for byte;
** - every error path: literals and runs longer than dstSize, truncated
**   literals, units and varints, overlong varints, trailing bytes,
**   truncation at every byte, every single-bit flip, a small dst.
*/
#include "codec_test_util.h"

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_rle;
static const sqz_codec *const C = &sqz_codec_rle;
static const sqz_params P = {.level = 1};
/* ---- A model decoder of docs/format/rle.md, one byte at a time ---- */

/* Decodes exactly n bytes from src[0..size) into out. Returns 0, or -1 for
** anything the format does not allow. */
static int model_decode(const uint8_t *src, size_t size, uint8_t *out, size_t n) {
  size_t ip = 0, op = 0;
  while (op < n) {
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
      if (ip >= size || shift > 63) return -1;
      uint8_t byte = src[ip++];
      if (shift == 63 && byte > 1) return -1;
      v |= (uint64_t)(byte & 0x7F) << shift;
      shift += 7;
      if (!(byte & 0x80)) break;
    }
    if (v % 2 == 0) {
      uint64_t len = v / 2 + 1;
      if (len > n - op || len > size - ip) return -1;
      for (uint64_t i = 0; i < len; i++)
        out[op++] = src[ip++];
    } else {
      uint64_t len = v / 8 + 1, w = 1u << (v / 2 % 4);
      if (len > n - op || w > size - ip) return -1;
      for (uint64_t i = 0; i < len; i++)
        out[op++] = src[ip + i % w];
      ip += w;
    }
  }
  return ip == size ? 0 : -1;
}

/* ---- Helpers ---- */

/* Compresses src[0..n) into a malloc'd buffer of bound(n) bytes, a bound
** at most 10 bytes above the input. */
static uint8_t *compress_alloc(const uint8_t *src, size_t n, size_t *csize) {
  assert_true(C->bound(n) <= n + 10 + (n == 0));
  return test_compress_alloc(C, &P, src, n, csize);
}

/* Round trip through the codec and the model. Returns the compressed size. */
static size_t round_trip(const uint8_t *src, size_t n) {
  size_t csize;
  uint8_t *c = compress_alloc(src, n, &csize);
  uint8_t *out = malloc(n + 1), *model = calloc(n + 1, 1);
  assert_int_equal(test_decompress_exact(C, c, csize, n, out), n);
  assert_memory_equal(out, src, n);
  assert_int_equal(model_decode(c, csize, model, n), 0);
  assert_memory_equal(model, src, n);
  free(model), free(out), free(c);
  return csize;
}

/* ---- Round trips ---- */

static void test_empty_and_tiny(void **state) {
  (void)state;
  uint8_t b[16] = "abc";
  assert_int_equal(C->compress(ctx, b, sizeof b, b, 0, &P), 0);
  assert_int_equal(C->decompress(ctx, b, 0, b, 0), 0);
  assert_true(C->bound(0) >= 1);
  assert_int_equal(round_trip(b, 1), 2);
  assert_int_equal(round_trip(b, 3), 4);
}

static void test_real_files(void **state) {
  (void)state;
  const size_t sizes[] = {0, 1, 4096, 131071, 131072, 131073};
  for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f++) {
    size_t n;
    uint8_t *data = test_read_file(test_data_files[f], &n);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
      round_trip(data, sizes[i]);
    assert_true(round_trip(data, n) <= n + 10);
    free(data);
  }
}

static void test_16_mib(void **state) {
  (void)state;
  size_t n, big = (size_t)16 << 20;
  uint8_t *data = test_read_file("examples/data/seattle-weather-hourly-normals.csv", &n);
  uint8_t *src = malloc(big);
  for (size_t i = 0; i < big; i += n)
    memcpy(src + i, data, big - i < n ? big - i : n);
  round_trip(src, big);
  memset(src, 0, big);
  assert_int_equal(round_trip(src, big), 5);
  free(src), free(data);
}

static void test_random_and_two_symbols(void **state) {
  (void)state;
  size_t n = 200000;
  uint8_t *src = malloc(n);
  test_fill_random(src, n, 5);
  assert_true(round_trip(src, n) <= n + 10);
  for (size_t i = 0; i < n; i++)
    src[i] = src[i] & 1 ? 'y' : 'n';
  assert_true(round_trip(src, n) <= n + 10);
  memset(src, 'q', n);
  assert_true(round_trip(src, n) <= 5);
  free(src);
}

/* The jobs: zeros, one double, a sparse column. */
static void test_constant_and_sparse(void **state) {
  (void)state;
  size_t n = (size_t)1 << 20;
  uint8_t *src = calloc(n, 1);
  assert_int_equal(round_trip(src, n), 5); /* varint of 4 bytes, the zero */
  double *d = malloc(n);
  for (size_t i = 0; i < n / 8; i++)
    d[i] = 3.14159;
  memcpy(src, d, n);
  assert_int_equal(round_trip(src, n), 4 + 8);
  /* Every 100th value of a column of doubles is set: zero runs between. */
  memset(d, 0, n);
  for (size_t i = 0; i < n / 8; i += 100)
    d[i] = (double)i * 0.25;
  memcpy(src, d, n);
  assert_true(round_trip(src, n) < n / 50);
  /* An int64 column of small values: the high bytes are zero runs only when
  ** most values are zero, so here a mostly-constant column. */
  int64_t *v = (int64_t *)d;
  for (size_t i = 0; i < n / 8; i++)
    v[i] = i % 1000 == 999 ? (int64_t)i : -1;
  memcpy(src, v, n);
  assert_true(round_trip(src, n) < n / 100);
  free(d), free(src);
}

/* Units of 2 and 4 bytes; a run that ends inside its unit. */
static void test_units(void **state) {
  (void)state;
  uint8_t src[1000];
  for (size_t i = 0; i < sizeof src; i++)
    src[i] = i % 2 ? 0xAB : 0xCD;
  assert_int_equal(round_trip(src, sizeof src), 2 + 2); /* 999 << 3 | 3: 2 bytes */
  for (size_t i = 0; i < sizeof src; i++)
    src[i] = (uint8_t) "wxyz"[i % 4];
  assert_int_equal(round_trip(src, 999), 2 + 4);
  for (size_t i = 0; i < sizeof src; i++)
    src[i] = (uint8_t) "12345678"[i % 8];
  assert_int_equal(round_trip(src, 997), 2 + 8);
}

/* Runs of 1..40 bytes at offsets 0..9 inside a literal context, and at
** the very start and end. */
static void test_run_lengths(void **state) {
  (void)state;
  uint8_t src[128];
  for (size_t len = 1; len <= 40; len++) {
    for (size_t at = 0; at < 10; at++) {
      test_fill_random(src, sizeof src, len * 16 + at);
      memset(src + at, 0, len);
      round_trip(src, at + len);
      round_trip(src, sizeof src);
      round_trip(src + at, sizeof src - at);
    }
  }
}

/* A run is taken only when it pays for itself and for the literal header it
** splits off: inputs made of runs just around that size never exceed the
** bound. */
static void test_bound_holds(void **state) {
  (void)state;
  size_t n = 1 << 16;
  uint8_t *src = malloc(n);
  for (size_t run = 14; run <= 26; run++) {
    for (size_t gap = 1; gap <= 3; gap++) {
      test_fill_random(src, n, run * 7 + gap);
      for (size_t i = 0; i + run + gap <= n; i += run + gap)
        memset(src + i, (int)i, run);
      size_t csize = round_trip(src, n);
      assert_true(csize <= n + 10);
    }
  }
  free(src);
}

static void test_deterministic(void **state) {
  (void)state;
  size_t n, a, b;
  uint8_t *data = test_read_file("examples/data/earthquakes.json", &n);
  uint8_t *x = compress_alloc(data, n, &a), *y = compress_alloc(data, n, &b);
  assert_int_equal(a, b);
  assert_memory_equal(x, y, a);
  free(x), free(y), free(data);
}

/* The worked example of docs/format/rle.md: "HEAD", 40 zero bytes, the
** double 0.1 four times, "ab" twelve times, "END". */
static const uint8_t example_bytes[] = {
    0x06, 'H',  'E',  'A',  'D',  /* literal of 4 */
    0xB9, 0x02, 0x00,             /* run of 40 bytes of a 1-byte unit: 0x00 */
    0xFF, 0x01, 0x9A, 0x99, 0x99, /* run of 32 bytes of an 8-byte unit */
    0x99, 0x99, 0x99, 0xB9, 0x3F, /* ... the unit: 0.1 little-endian */
    0xBB, 0x01, 'a',  'b',        /* run of 24 bytes of a 2-byte unit */
    0x04, 'E',  'N',  'D'};       /* literal of 3 */

static void test_format_example(void **state) {
  (void)state;
  uint8_t src[4 + 40 + 32 + 24 + 3], out[sizeof src];
  double tenth = 0.1;
  memcpy(src, "HEAD", 4);
  memset(src + 4, 0, 40);
  for (size_t i = 0; i < 4; i++)
    memcpy(src + 44 + 8 * i, &tenth, 8);
  for (size_t i = 0; i < 24; i++)
    src[76 + i] = (uint8_t) "ab"[i % 2];
  memcpy(src + 100, "END", 3);
  size_t csize;
  uint8_t *c = compress_alloc(src, sizeof src, &csize);
  assert_int_equal(csize, sizeof example_bytes);
  assert_memory_equal(c, example_bytes, csize);
  assert_int_equal(C->decompress(ctx, out, sizeof out, example_bytes, sizeof example_bytes),
                   sizeof out);
  assert_memory_equal(out, src, sizeof src);
  free(c);
}

/* ---- Error paths ---- */

static void test_bad_tokens(void **state) {
  (void)state;
  const uint8_t lit[] = {0x06, 'a', 'b', 'c', 'd'}; /* literal of 4 */
  assert_int_equal(test_decompress_exact(C, lit, 5, 4, NULL), 4);
  test_expect_error(C, lit, 5, 3, SQZ_ERROR_CORRUPT);   /* longer than dst */
  test_expect_error(C, lit, 5, 5, SQZ_ERROR_TRUNCATED); /* dst wants another token */
  test_expect_error(C, lit, 4, 4, SQZ_ERROR_TRUNCATED); /* literal cut short */
  test_expect_error(C, lit, 5, 0, SQZ_ERROR_CORRUPT);   /* nothing to produce, bytes left */
  test_expect_error(C, lit, 0, 4, SQZ_ERROR_TRUNCATED);
  const uint8_t run8[] = {0x3F, 1, 2, 3, 4, 5, 6, 7, 8}; /* 8 bytes of an 8-byte unit */
  assert_int_equal(test_decompress_exact(C, run8, 9, 8, NULL), 8);
  test_expect_error(C, run8, 9, 7, SQZ_ERROR_CORRUPT);
  test_expect_error(C, run8, 8, 8, SQZ_ERROR_TRUNCATED); /* unit cut short */
  const uint8_t trailing[] = {0x01, 'z', 0x00};
  assert_int_equal(test_decompress_exact(C, trailing, 2, 1, NULL), 1);
  test_expect_error(C, trailing, 3, 1, SQZ_ERROR_CORRUPT);
  const uint8_t open[] = {0x80, 0x80};
  test_expect_error(C, open, 2, 10, SQZ_ERROR_TRUNCATED);
  uint8_t overlong[12];
  memset(overlong, 0x80, 11);
  overlong[11] = 0x00;
  test_expect_error(C, overlong, 12, 10, SQZ_ERROR_CORRUPT);
  uint8_t big[10];
  memset(big, 0xFF, 9);
  big[9] = 0x02; /* bits past 64 */
  test_expect_error(C, big, 10, 10, SQZ_ERROR_CORRUPT);
  big[9] = 0x01, big[0] = 0xFE; /* a literal of 2^63 bytes */
  test_expect_error(C, big, 10, 10, SQZ_ERROR_CORRUPT);
  big[0] = 0xFF; /* a run of 2^61 bytes */
  test_expect_error(C, big, 10, 10, SQZ_ERROR_CORRUPT);
}

/* An output with every kind of token, for damaging. */
static uint8_t *damage_base(size_t *csize, uint8_t *src, size_t n) {
  test_fill_random(src, n, 9);
  memset(src + 100, 0, 300);
  for (size_t i = 500; i < 700; i++)
    src[i] = (uint8_t) "pq"[i % 2];
  for (size_t i = 800; i < 1000; i++)
    src[i] = (uint8_t) "tuvw"[i % 4];
  for (size_t i = 1100; i < 1400; i++)
    src[i] = (uint8_t) "12345678"[i % 8];
  return compress_alloc(src, n, csize);
}

static void test_truncation_every_byte(void **state) {
  (void)state;
  uint8_t src[1500];
  size_t csize;
  uint8_t *c = damage_base(&csize, src, sizeof src);
  assert_true(csize < 600);
  for (size_t cut = 0; cut < csize; cut++)
    test_expect_error(C, c, cut, sizeof src, SQZ_ERROR_TRUNCATED);
  free(c);
}

static void test_bit_flips(void **state) {
  (void)state;
  uint8_t src[1500];
  size_t csize;
  uint8_t *c = damage_base(&csize, src, sizeof src);
  for (size_t i = 0; i < csize; i++) {
    for (unsigned bit = 0; bit < 8; bit++) {
      c[i] ^= (uint8_t)(1u << bit);
      size_t r = test_decompress_exact(C, c, csize, sizeof src, NULL);
      assert_true(sqz_is_error(r) || r == sizeof src);
      c[i] ^= (uint8_t)(1u << bit);
    }
  }
  free(c);
}

static void test_dst_too_small(void **state) {
  (void)state;
  uint8_t src[1500], d[1500];
  size_t csize;
  uint8_t *c = damage_base(&csize, src, sizeof src);
  for (size_t cap = 0; cap < csize; cap++)
    assert_int_equal(sqz_error_of(C->compress(ctx, d, cap, src, sizeof src, &P)),
                     SQZ_ERROR_DST_TOO_SMALL);
  assert_int_equal(C->compress(ctx, d, csize, src, sizeof src, &P), csize);
  assert_memory_equal(d, c, csize);
  free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_and_tiny),
      cmocka_unit_test(test_real_files),
      cmocka_unit_test(test_16_mib),
      cmocka_unit_test(test_random_and_two_symbols),
      cmocka_unit_test(test_constant_and_sparse),
      cmocka_unit_test(test_units),
      cmocka_unit_test(test_run_lengths),
      cmocka_unit_test(test_bound_holds),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_format_example),
      cmocka_unit_test(test_bad_tokens),
      cmocka_unit_test(test_truncation_every_byte),
      cmocka_unit_test(test_bit_flips),
      cmocka_unit_test(test_dst_too_small),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}

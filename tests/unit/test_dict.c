/*
** test_dict.c: unit tests of the dict codec (codecs/dict.c).
**
** - round trips: the worked example of docs/format/dict.md byte for byte,
**   the empty sequence, one value, all-distinct values (raw mode), empty
**   strings, 8,192 readings of 12 sensors (Huffman-coded codes beat 4-bit
**   ones), a skewed status column (mode 2, with its error paths), the words
**   of moby-dick.txt and the lines of birdstrikes.csv;
** - output is deterministic and never larger than bound();
** - compress rejects a malformed layout (CORRUPT) and a short destination;
** - every decoder error path: each truncation, a wrong dstSize, codes past
**   the dictionary, non-zero padding, bad counts, trailing bytes, and random
**   single-bit flips (an error or exactly dstSize bytes, never a write past
**   dst, which is malloc'd to its exact size for ASan).
*/
#include "codec_test_util.h"

#include "codec.h"
#include "pool.h"
#include "varint.h"

static const sqz_codec *C;

static int setup(void **state) {
  C = sqz_codec_by_name("dict");
  return C ? test_ctx_setup(state) : -1;
}

/* A layout builder: strings as varint length + bytes. */
typedef struct layout {
  uint8_t *p;
  size_t n, cap;
} layout;

static void lay_add(layout *l, const void *s, size_t n) {
  if (l->n + n + 10 > l->cap) {
    l->cap = (l->n + n + 10) * 2;
    l->p = realloc(l->p, l->cap);
    assert_non_null(l->p);
  }
  l->n += sqz_varint_put(l->p + l->n, 10, n);
  memcpy(l->p + l->n, s, n);
  l->n += n;
}

/* Compresses src, checks determinism and the bound, decompresses into an
** exact-size buffer and compares. Returns the compressed size. */
static size_t roundtrip(const uint8_t *src, size_t n) {
  sqz_params p = {.level = 0};
  size_t bound = C->bound(n);
  assert_true(bound >= n + 1);
  uint8_t *a = malloc(bound), *b = malloc(bound);
  size_t r1 = C->compress(ctx, a, bound, src, n, &p);
  assert_false(sqz_is_error(r1));
  size_t r2 = C->compress(ctx, b, bound, src, n, &p);
  assert_int_equal(r1, r2);
  assert_memory_equal(a, b, r1);
  uint8_t *exact = malloc(r1);
  memcpy(exact, a, r1);
  uint8_t *out = malloc(n ? n : 1);
  assert_int_equal(C->decompress(ctx, out, n, exact, r1), n);
  if (n) assert_memory_equal(out, src, n);
  free(a);
  free(b);
  free(exact);
  free(out);
  return r1;
}

static void test_worked_example(void **state) {
  (void)state;
  /* 'on', 'off', 'on', 'on' -> docs/format/dict.md */
  const uint8_t in[] = {2, 'o', 'n', 3, 'o', 'f', 'f', 2, 'o', 'n', 2, 'o', 'n'};
  const uint8_t want[] = {1, 4, 2, 2, 'o', 'n', 3, 'o', 'f', 'f', 0x02};
  uint8_t out[32];
  sqz_params p = {.level = 0};
  size_t r = C->compress(ctx, out, sizeof out, in, sizeof in, &p);
  assert_int_equal(r, sizeof want);
  assert_memory_equal(out, want, sizeof want);
  assert_int_equal(roundtrip(in, sizeof in), sizeof want);
}

static void test_small_cases(void **state) {
  (void)state;
  assert_int_equal(roundtrip(NULL, 0), 1);
  const uint8_t one[] = {3, 'a', 'b', 'c'};
  assert_int_equal(roundtrip(one, sizeof one), sizeof one + 1); /* raw */
  layout l = {0};
  for (int i = 0; i < 100; i++) {
    char s[16];
    int k = snprintf(s, sizeof s, "v%d", i);
    lay_add(&l, s, (size_t)k);
  }
  assert_int_equal(roundtrip(l.p, l.n), l.n + 1); /* all distinct: raw */
  l.n = 0;
  for (int i = 0; i < 50; i++)
    lay_add(&l, "", 0); /* empty strings */
  size_t r = roundtrip(l.p, l.n);
  assert_true(r < l.n); /* 1 + 1 + 1 + 1 + 0 code bytes */
  assert_int_equal(r, 4);
  free(l.p);
}

static void test_sensors(void **state) {
  (void)state;
  layout l = {0};
  uint64_t x = 12345;
  for (int i = 0; i < 8192; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    char s[32];
    int k = snprintf(s, sizeof s, "sensor-%02d", (int)((x >> 33) % 12));
    lay_add(&l, s, (size_t)k);
  }
  size_t r = roundtrip(l.p, l.n);
  /* 12 names of 9 bytes and, Huffman-coded, about log2(12) = 3.58 bits a row
  ** (a fixed 4-bit code would take 4096 bytes) */
  assert_true(r < 1 + 3 + 1 + 12 * 10 + 8192 / 2);
  assert_true(r >= 8192 * 358 / 800);
  free(l.p);
}

static size_t decode(const uint8_t *src, size_t n, size_t dstSize);

static void test_huffman_mode(void **state) {
  (void)state;
  layout l = {0};
  uint64_t x = 99;
  for (int i = 0; i < 5000; i++) { /* skewed: mostly 'ok' */
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned r = (unsigned)(x >> 40) % 100;
    const char *v = r < 90 ? "ok" : r < 95 ? "warn" : r < 98 ? "error" : "fatal";
    lay_add(&l, v, strlen(v));
  }
  size_t r = roundtrip(l.p, l.n);
  assert_true(r < 5000 * 2 / 8); /* under the 2-bit fixed codes */
  sqz_params p = {.level = 0};
  uint8_t *z = malloc(C->bound(l.n));
  size_t zn = C->compress(ctx, z, C->bound(l.n), l.p, l.n, &p);
  assert_int_equal(z[0], 2); /* the Huffman-coded form */
  assert_int_equal(decode(z, zn, l.n), l.n);
  for (size_t k = 0; k < zn; k += 7)
    assert_true(sqz_is_error(decode(z, k, l.n)));
  uint8_t *big = malloc(zn + 1);
  memcpy(big, z, zn);
  big[zn] = 0;
  assert_true(sqz_is_error(decode(big, zn + 1, l.n))); /* trailing byte */
  for (size_t bit = 0; bit < zn * 8; bit += 3) {
    z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    size_t d = decode(z, zn, l.n);
    assert_true(sqz_is_error(d) || d == l.n);
    z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  /* more than 256 distinct values can not use it */
  z[2] = 0xff;
  assert_true(sqz_is_error(decode(z, zn, l.n)));
  free(big);
  free(z);
  free(l.p);
}

static void test_real_data(void **state) {
  (void)state;
  size_t n;
  uint8_t *book = test_read_file("examples/data/moby-dick.txt", &n);
  layout words = {0};
  size_t s = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || book[i] == ' ' || book[i] == '\n') {
      if (i > s) lay_add(&words, book + s, i - s);
      s = i + 1;
    }
  }
  size_t r = roundtrip(words.p, words.n);
  assert_true(r < words.n * 3 / 4);
  free(words.p);
  free(book);
  uint8_t *csv = test_read_file("examples/data/birdstrikes.csv", &n);
  layout lines = {0};
  s = 0;
  for (size_t i = 0; i < n; i++) {
    if (csv[i] == '\n') {
      lay_add(&lines, csv + s, i - s);
      s = i + 1;
    }
  }
  roundtrip(lines.p, lines.n);
  free(lines.p);
  free(csv);
}

static void test_compress_errors(void **state) {
  (void)state;
  sqz_params p = {.level = 0};
  uint8_t out[64];
  const uint8_t bad1[] = {5, 'a', 'b'};  /* length past the end */
  const uint8_t bad2[] = {1, 'a', 0x80}; /* varint that does not end */
  assert_int_equal(C->compress(ctx, out, sizeof out, bad1, sizeof bad1, &p), SQZ_ERROR(CORRUPT));
  assert_int_equal(C->compress(ctx, out, sizeof out, bad2, sizeof bad2, &p), SQZ_ERROR(CORRUPT));
  const uint8_t in[] = {2, 'o', 'n', 3, 'o', 'f', 'f', 2, 'o', 'n', 2, 'o', 'n'};
  for (size_t cap = 0; cap < 11; cap++)
    assert_int_equal(C->compress(ctx, out, cap, in, sizeof in, &p), SQZ_ERROR(DST_TOO_SMALL));
}

/* Decodes src (exact-size copy) into an exact-size destination of dstSize
** bytes. Returns the codec's result. */
static size_t decode(const uint8_t *src, size_t n, size_t dstSize) {
  uint8_t *in = malloc(n ? n : 1), *out = malloc(dstSize ? dstSize : 1);
  if (n) memcpy(in, src, n);
  size_t r = C->decompress(ctx, out, dstSize, in, n);
  free(in);
  free(out);
  return r;
}

/* Mode values: 0..2 decode; 3..15 are modes a newer squeeze may write
** (VERSION: "newer format version", not "corrupt"); 16..255 never are
** modes (CORRUPT). */
static void test_mode_versions(void **state) {
  (void)state;
  uint8_t p[] = {1, 4, 2, 2, 'o', 'n', 3, 'o', 'f', 'f', 0x02};
  for (unsigned mode = 3; mode <= 255; mode++) {
    p[0] = (uint8_t)mode;
    size_t r = decode(p, sizeof p, 13);
    assert_int_equal(r, mode <= 15 ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT));
    assert_int_equal(decode(p, 1, 13), r); /* the mode decides before any length */
  }
}

static void test_decode_errors(void **state) {
  (void)state;
  const uint8_t good[] = {1, 4, 2, 2, 'o', 'n', 3, 'o', 'f', 'f', 0x02};
  const size_t size = 13;
  assert_int_equal(decode(good, sizeof good, size), size);
  for (size_t k = 0; k < sizeof good; k++)
    assert_true(sqz_is_error(decode(good, k, size)));
  for (size_t d = 0; d < 40; d++)
    if (d != size) assert_true(sqz_is_error(decode(good, sizeof good, d)));
  uint8_t bad[sizeof good + 1];
  memcpy(bad, good, sizeof good);
  bad[sizeof good] = 0;
  assert_true(sqz_is_error(decode(bad, sizeof good + 1, size))); /* trailing byte */
  memcpy(bad, good, sizeof good);
  bad[10] = 0x0a; /* code 2 of a 2-entry dictionary... and value 1 */
  assert_true(sqz_is_error(decode(bad, sizeof good, size)));
  bad[10] = 0x12; /* padding bit set */
  assert_true(sqz_is_error(decode(bad, sizeof good, size)));
  memcpy(bad, good, sizeof good);
  bad[2] = 5; /* more distinct values than values */
  assert_true(sqz_is_error(decode(bad, sizeof good, size)));
  bad[2] = 0;
  assert_true(sqz_is_error(decode(bad, sizeof good, size)));
  memcpy(bad, good, sizeof good);
  bad[0] = 2; /* mode 2 with a mode 1 body */
  assert_true(sqz_is_error(decode(bad, sizeof good, size)));
  const uint8_t raw_bad[] = {0, 5, 'a'};
  assert_true(sqz_is_error(decode(raw_bad, sizeof raw_bad, 2)));
  assert_true(sqz_is_error(decode(NULL, 0, 0)));

  /* random bit flips of a real payload */
  layout l = {0};
  for (int i = 0; i < 3000; i++) {
    char s[16];
    int k = snprintf(s, sizeof s, "k%d", (i * 7919) % 37);
    lay_add(&l, s, (size_t)k);
  }
  sqz_params p = {.level = 0};
  uint8_t *z = malloc(C->bound(l.n));
  size_t zn = C->compress(ctx, z, C->bound(l.n), l.p, l.n, &p);
  assert_false(sqz_is_error(zn));
  uint64_t seed = 7;
  for (int t = 0; t < 2000; t++) {
    seed = seed * 6364136223846793005ULL + 1;
    size_t bit = (size_t)(seed >> 20) % (zn * 8);
    z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    size_t r = decode(z, zn, l.n);
    assert_true(sqz_is_error(r) || r == l.n);
    z[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  free(z);
  free(l.p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_worked_example),  cmocka_unit_test(test_small_cases),
      cmocka_unit_test(test_sensors),         cmocka_unit_test(test_huffman_mode),
      cmocka_unit_test(test_mode_versions),   cmocka_unit_test(test_real_data),
      cmocka_unit_test(test_compress_errors), cmocka_unit_test(test_decode_errors),
  };
  return cmocka_run_group_tests(tests, setup, test_ctx_teardown);
}

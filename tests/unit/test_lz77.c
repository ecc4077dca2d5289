/*
** test_lz77.c: unit tests of the lz77 codec (codecs/lz77.c).
**
** - round trips of every examples/data file at levels 1..12 and windows of
**   1 KiB, 64 KiB and 16 MiB; of 0, 1, 4 KiB, 64 KiB +- 1, 1 MiB +- 1 bytes
**   of real data and of 16 MiB (moby-dick repeated); of random bytes, long
**   runs, short periods (overlapping matches) and runs of every length;
** - every output decodes with a byte-at-a-time model of docs/format/lz77.md
**   written here, which also checks that no offset exceeds the window;
** - the bound, with inputs built to cost the most; DST_TOO_SMALL for every
**   capacity below the compressed size; parameters out of range;
** - scratch: released on every path, sized down for small inputs;
** - the worked examples of the format doc, byte for byte;
** - every error path, in the careful tail loop and in the fast loop: offsets
**   of 0 and before the start of dst, lengths past the end of dst, literal
**   runs past the end of src, bad varints, cut fields, output short of
**   dstSize, trailing bytes; truncation at every byte; every single-bit
**   flip, where the codec must agree with the model and never write
**   outside dst.
*/
#include "test_util.h"

#include "codec.h"
#include "pool.h"
#include "varint.h"

extern const sqz_codec sqz_codec_lz77;
static const sqz_codec *const C = &sqz_codec_lz77;
static sqz_ctx *ctx;

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GUARD 64 /* canary bytes on each side of a decoder's dst */

/* ---- A model decoder of docs/format/lz77.md, one byte at a time ---- */

/* A LEB128 varint of at most 10 bytes whose value fits 64 bits. */
static int model_varint(const uint8_t *s, size_t size, size_t *ip, uint64_t *v) {
  *v = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (*ip >= size) return 0;
    uint64_t b = s[(*ip)++];
    if (i == 9 && b > 1) return 0;
    *v |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return 1;
  }
  return 0;
}

/* Decodes exactly n bytes from s[0..size) into out. Returns 0, or -1 for
** anything the format does not allow. *max_off gets the largest offset. */
static int model_decode(const uint8_t *s, size_t size, uint8_t *out, size_t n, size_t *max_off) {
  size_t ip = 0, op = 0;
  *max_off = 0;
  while (op < n) {
    if (ip >= size) return -1;
    unsigned token = s[ip++];
    uint64_t ll = token >> 4, ml = token & 15, v;
    if (ll == 15) {
      if (!model_varint(s, size, &ip, &v) || v > n) return -1;
      ll += v;
    }
    if (ll > size - ip || ll > n - op) return -1;
    for (uint64_t i = 0; i < ll; i++)
      out[op++] = s[ip++];
    if (op == n) break; /* the last sequence: no match */
    if (size - ip < 2) return -1;
    uint64_t off = s[ip] | (uint64_t)s[ip + 1] << 8;
    ip += 2;
    if (off == 0) {
      if (size - ip < 3) return -1;
      off = s[ip] | (uint64_t)s[ip + 1] << 8 | (uint64_t)s[ip + 2] << 16;
      ip += 3;
    }
    if (off == 0 || off > op) return -1;
    if (ml == 15) {
      if (!model_varint(s, size, &ip, &v) || v > n) return -1;
      ml += v;
    }
    ml += 4;
    if (ml > n - op) return -1;
    for (uint64_t i = 0; i < ml; i++, op++)
      out[op] = out[op - off];
    if (off > *max_off) *max_off = off;
  }
  return ip == size ? 0 : -1;
}

/* ---- Helpers ---- */

/* Compresses src[0..n) at level and window_log into a malloc'd buffer of
** bound(n) bytes; checks the bound and that no scratch stays acquired. */
static uint8_t *compress_at(const uint8_t *src, size_t n, int level, int wlog, size_t *csize) {
  sqz_params p = {.level = level, .window_log = wlog};
  size_t cap = C->bound(n);
  assert_true(cap >= n + 1 && cap <= n + n / 128 + 16);
  uint8_t *dst = malloc(cap);
  assert_non_null(dst);
  *csize = C->compress(ctx, dst, cap, src, n, &p);
  assert_false(sqz_is_error(*csize));
  assert_true(*csize <= cap);
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  assert_int_equal(st.in_use, 0);
  return dst;
}

/* Decodes into an n-byte dst between two canaries (malloc'd, so ASan sees
** any overrun too). Copies the output to out on success. */
static size_t decode_guarded(const uint8_t *src, size_t size, size_t n, uint8_t *out) {
  uint8_t *buf = malloc(n + 2 * GUARD);
  assert_non_null(buf);
  memset(buf, 0xA5, n + 2 * GUARD);
  size_t r = C->decompress(ctx, buf + GUARD, n, src, size);
  for (size_t i = 0; i < GUARD; i++) {
    assert_int_equal(buf[i], 0xA5);
    assert_int_equal(buf[GUARD + n + i], 0xA5);
  }
  if (out && r == n) memcpy(out, buf + GUARD, n);
  free(buf);
  return r;
}

/* Round trip through the codec and the model; the model also checks the
** window. Returns the compressed size. */
static size_t round_trip(const uint8_t *src, size_t n, int level, int wlog) {
  size_t csize, max_off;
  uint8_t *c = compress_at(src, n, level, wlog, &csize);
  uint8_t *out = malloc(n + 1), *model = calloc(n + 1, 1);
  assert_int_equal(decode_guarded(c, csize, n, out), n);
  assert_memory_equal(out, src, n);
  assert_int_equal(model_decode(c, csize, model, n, &max_off), 0);
  assert_memory_equal(model, src, n);
  assert_true(max_off < ((size_t)1 << (wlog ? wlog : 16)));
  free(model), free(out), free(c);
  return csize;
}

static void expect_corrupt(const uint8_t *c, size_t csize, size_t n) {
  size_t r = decode_guarded(c, csize, n, NULL);
  assert_true(sqz_is_error(r));
  assert_int_equal(sqz_error_of(r), SQZ_ERROR_CORRUPT);
}

/* Test-side writer of one sequence, straight from docs/format/lz77.md:
** ll literals from lit, then (ml >= 4) a match of ml bytes at off, the
** long offset form when off > 65535 or force_long. Returns bytes written. */
static size_t put_seq(uint8_t *o, const uint8_t *lit, size_t ll, size_t off, size_t ml,
                      int force_long) {
  size_t n = 0, mv = ml ? ml - 4 : 0;
  o[n++] = (uint8_t)((ll < 15 ? ll : 15) << 4 | (mv < 15 ? mv : 15));
  if (ll >= 15) n += sqz_varint_put(o + n, 10, ll - 15);
  memcpy(o + n, lit, ll);
  n += ll;
  if (!ml) return n;
  if (off > 0xffff || force_long) {
    o[n++] = 0, o[n++] = 0;
    o[n++] = (uint8_t)off, o[n++] = (uint8_t)(off >> 8), o[n++] = (uint8_t)(off >> 16);
  } else {
    o[n++] = (uint8_t)off, o[n++] = (uint8_t)(off >> 8);
  }
  if (mv >= 15) n += sqz_varint_put(o + n, 10, mv - 15);
  return n;
}

static uint8_t *read_data(const char *path, size_t *n) {
  return test_read_file(path, n);
}

/* All examples/data files back to back, at least min bytes (repeated). */
static uint8_t *all_data(size_t min, size_t *n) {
  size_t cap = 0, len = 0;
  uint8_t *all = NULL;
  while (len < min) {
    for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f++) {
      size_t m;
      uint8_t *d = read_data(test_data_files[f], &m);
      if (len + m > cap) {
        cap = 2 * (len + m);
        all = realloc(all, cap);
        assert_non_null(all);
      }
      memcpy(all + len, d, m);
      len += m;
      free(d);
    }
  }
  *n = len;
  return all;
}

/* ---- Round trips ---- */

static void test_empty_and_tiny(void **state) {
  (void)state;
  uint8_t b[32] = "Call me Ishmael.";
  sqz_params p = {.level = 2};
  assert_int_equal(C->compress(ctx, b + 16, 16, b, 0, &p), 0);
  assert_int_equal(C->decompress(ctx, b + 16, 0, b, 0), 0);
  /* Empty buffers may be NULL. */
  assert_int_equal(C->compress(ctx, NULL, 0, NULL, 0, &p), 0);
  assert_int_equal(C->decompress(ctx, NULL, 0, NULL, 0), 0);
  assert_int_equal(C->compress(ctx, NULL, 0, b, 5, &p), SQZ_ERROR(DST_TOO_SMALL));
  assert_int_equal(C->decompress(ctx, NULL, 0, b, 5), SQZ_ERROR(CORRUPT));
  assert_int_equal(C->decompress(ctx, b + 16, 5, NULL, 0), SQZ_ERROR(CORRUPT));
  assert_int_equal(round_trip(b, 1, 2, 0), 2);   /* token, 'C' */
  assert_int_equal(round_trip(b, 14, 2, 0), 15); /* token, 14 literals */
  assert_int_equal(round_trip(b, 15, 2, 0), 17); /* token, varint 0, 15 literals */
  assert_int_equal(round_trip(b, 16, 12, 0), 18);
  memset(b, 'z', sizeof b);
  assert_true(round_trip(b, 16, 2, 0) < 8);
}

static void test_real_files(void **state) {
  (void)state;
  /* Every level at the default window; the three windows where they run
  ** quickly enough (a chain walk in a 16 MiB window is slow by design). */
  static const int runs[][2] = {{1, 10}, {1, 16},  {1, 24},  {2, 10},  {2, 16}, {2, 24},
                                {3, 10}, {3, 16},  {3, 24},  {4, 10},  {4, 16}, {4, 24},
                                {5, 16}, {6, 10},  {6, 16},  {6, 20},  {7, 16}, {8, 16},
                                {9, 16}, {10, 10}, {10, 16}, {11, 16}, {12, 16}};
  for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f++) {
    size_t n;
    uint8_t *data = read_data(test_data_files[f], &n);
    size_t size[13][25] = {{0}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
      size_t cs = round_trip(data, n, runs[r][0], runs[r][1]);
      assert_true(cs < n);
      size[runs[r][0]][runs[r][1]] = cs;
    }
    /* Higher levels do better, at each step of the ladder. */
    assert_true(size[12][16] <= size[9][16] && size[9][16] < size[4][16]);
    assert_true(size[4][16] < size[2][16] && size[3][16] <= size[2][16]);
    /* A 1 KiB window loses to 64 KiB. */
    assert_true(size[2][16] < size[2][10] && size[10][16] < size[10][10]);
    free(data);
  }
}

static void test_sizes(void **state) {
  (void)state;
  const size_t sizes[] = {0,       1,   4 * KIB, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1,
                          MIB - 1, MIB, MIB + 1};
  size_t n;
  uint8_t *data = all_data(MIB + 1, &n);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    round_trip(data, sizes[i], 2, 0);
    round_trip(data + 12345, sizes[i], 6, 0);
    if (sizes[i] <= 64 * KIB + 1) round_trip(data + 777, sizes[i], 12, 0);
  }
  free(data);
}

/* 16 MiB of moby-dick repeated: a 16 MiB window reaches the earlier copies,
** so the chain finder's output is a fraction of what a 64 KiB window gives
** (the fast finder's table forgets too soon to find them). */
static void test_16_mib(void **state) {
  (void)state;
  size_t n, big = 16 * MIB;
  uint8_t *data = read_data("examples/data/moby-dick.txt", &n);
  uint8_t *src = malloc(big);
  assert_non_null(src);
  for (size_t i = 0; i < big; i += n)
    memcpy(src + i, data, big - i < n ? big - i : n);
  round_trip(src, big, 2, 24);
  size_t near = round_trip(src, big, 4, 16);
  size_t far = round_trip(src, big, 4, 24);
  assert_true(far * 10 < near);
  free(src), free(data);
}

static void test_random(void **state) {
  (void)state;
  size_t n = MIB;
  uint8_t *src = malloc(n);
  test_fill_random(src, n, 77);
  for (int level = 1; level <= 12; level += 3)
    assert_true(round_trip(src, n, level, 24) <= n + 8);
  free(src);
}

/* Long runs, short periods (matches that overlap their own output, offsets
** 1..20) and runs of every length inside random bytes. */
static void test_runs_and_periods(void **state) {
  (void)state;
  size_t n = 3 * MIB;
  uint8_t *src = calloc(n, 1);
  assert_true(round_trip(src, n, 2, 0) <= 12);
  assert_true(round_trip(src, n, 9, 24) <= 12);
  for (size_t period = 1; period <= 20; period++) {
    test_fill_random(src, period, period);
    for (size_t i = period; i < 100000; i++)
      src[i] = src[i - period];
    for (int level = 1; level <= 12; level += 4)
      assert_true(round_trip(src, 100000, level, 0) < 64);
  }
  uint8_t buf[256];
  for (size_t len = 1; len <= 60; len++) {
    for (size_t at = 0; at < 20; at += 3) {
      test_fill_random(buf, sizeof buf, len * 32 + at);
      memset(buf + at, buf[at], len);
      memcpy(buf + 128, buf, 100); /* a repeat at offset 128 */
      round_trip(buf, sizeof buf, 2, 0);
      round_trip(buf, sizeof buf, 9, 10);
      round_trip(buf + at, sizeof buf - at, 12, 0);
    }
  }
  free(src);
}

/* Inputs built to cost the most: literal runs just past a length nibble,
** between matches that save exactly one byte, some at long offsets. */
static void test_bound_holds(void **state) {
  (void)state;
  size_t n = 4 * MIB;
  uint8_t *src = malloc(n);
  for (size_t lit = 14; lit <= 20; lit += 3) {
    for (size_t ml = 4; ml <= 8; ml++) {
      test_fill_random(src, n, lit * 16 + ml);
      /* Every unit copies its match from 100000 bytes back (a 5-byte offset)
      ** or 1000 back (2 bytes). */
      for (size_t i = 100000; i + lit + ml <= n; i += lit + ml)
        memcpy(src + i + lit, src + i + lit - (i % 2 ? 100000 : 1000), ml);
      round_trip(src, n, 2, 24);
      round_trip(src, n / 4, 5, 24);
    }
  }
  free(src);
}

static void test_deterministic(void **state) {
  (void)state;
  size_t n, a, b;
  uint8_t *data = read_data("examples/data/earthquakes.json", &n);
  for (int level = 1; level <= 12; level += 11) {
    uint8_t *x = compress_at(data, n, level, 0, &a);
    sqz_ctx *saved = ctx;
    ctx = sqz_ctx_create(NULL);
    uint8_t *y = compress_at(data, n, level, 0, &b);
    sqz_ctx_free(ctx);
    ctx = saved;
    assert_int_equal(a, b);
    assert_memory_equal(x, y, a);
    free(x), free(y);
  }
  free(data);
}

/* Level 0 is the default; levels and windows out of range are refused. */
static void test_params(void **state) {
  (void)state;
  size_t n, a, b;
  uint8_t *data = read_data("examples/data/birdstrikes.csv", &n), out[64];
  uint8_t *x = compress_at(data, 100000, 0, 0, &a), *y = compress_at(data, 100000, 2, 16, &b);
  assert_int_equal(a, b);
  assert_memory_equal(x, y, a);
  assert_int_equal(C->default_level, 2);
  assert_int_equal(C->min_level, 1);
  assert_int_equal(C->max_level, 12);
  const sqz_params bad[] = {{.level = 13},
                            {.level = -1},
                            {.level = 2, .window_log = 9},
                            {.level = 2, .window_log = 25},
                            {.level = 2, .window_log = -3}};
  const sqz_error_code want[] = {SQZ_ERROR_LEVEL, SQZ_ERROR_LEVEL, SQZ_ERROR_PARAMETER,
                                 SQZ_ERROR_PARAMETER, SQZ_ERROR_PARAMETER};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(sqz_error_of(C->compress(ctx, out, sizeof out, data, 32, &bad[i])), want[i]);
  assert_int_equal(C->bound((size_t)1 << 31), 0);
  const size_t max_in = 0x7fffffff;
  assert_int_equal(C->bound(max_in), max_in + max_in / 128 + 16);
  free(x), free(y), free(data);
}

/* Scratch is released, and tables are sized to the input: a 4 KiB input
** takes 4096 hash entries (8 bytes each at the fast levels, 4 at the
** others), 4096 chain entries of 4 bytes at the chain levels, and the top
** levels 64 KiB of optimal-parse nodes; 256 KiB takes 2^14 fast or 2^16
** chain hash entries and 2^18 chain entries. */
static void test_scratch(void **state) {
  (void)state;
  static const struct {
    int level;
    size_t small, large; /* most bytes held for 4 KiB and for 256 KiB */
  } want[] = {{2, 32 * KIB, 128 * KIB}, {9, 32 * KIB, 1280 * KIB}, {12, 96 * KIB, 1344 * KIB}};
  size_t n, cs;
  uint8_t *data = read_data("examples/data/moby-dick.txt", &n);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    sqz_ctx *saved = ctx;
    ctx = sqz_ctx_create(NULL);
    sqz_pool_stats st;
    free(compress_at(data, 4 * KIB, want[i].level, 24, &cs));
    sqz_ctx_stats(ctx, &st);
    assert_int_equal(st.bytes_high, want[i].small);
    sqz_ctx_free(ctx);
    ctx = sqz_ctx_create(NULL);
    free(compress_at(data, 256 * KIB, want[i].level, 24, &cs));
    sqz_ctx_stats(ctx, &st);
    assert_int_equal(st.bytes_high, want[i].large);
    sqz_ctx_free(ctx);
    ctx = saved;
  }
  free(data);
}

/* The worked examples of docs/format/lz77.md. */
static const uint8_t example1[] = {0xff, 0x03, /* 18 literals, match 19 + 13 */
                                   'T',  'h',  'e', 'r', 'e', ' ', 's', 'h', 'e', ' ', /* */
                                   'b',  'l',  'o', 'w', 's', '!', ' ', 't',           /* */
                                   0x11, 0x00, /* offset 17 */
                                   0x0d};      /* match length 4 + 15 + 13 */
static const uint8_t example2[] = {
    0xfc, 0x14, /* 15 + 20 literals, match 4 + 12 */
    'r',  'o',  'u', 'n',  'd',  ' ', 'G', 'o', 'o', 'd', ' ', 'H', 'o', 'p', 'e', ',',
    ' ',  'a',  'n', 'd',  ' ',  'r', 'o', 'u', 'n', 'd', ' ', 't', 'h', 'e', ' ', 'H',
    'o',  'r',  'n', 0x14, 0x00, /* offset 20 */
    0xf0, 0x01,                  /* 15 + 1 literals, the last sequence */
    'N',  'o',  'r', 'w',  'a',  'y', ' ', 'M', 'a', 'e', 'l', 's', 't', 'r', 'o', 'm'};

static void check_example(const char *text, const uint8_t *bytes, size_t size) {
  size_t n = strlen(text), cs;
  uint8_t *c = compress_at((const uint8_t *)text, n, 2, 0, &cs);
  assert_int_equal(cs, size);
  assert_memory_equal(c, bytes, size);
  uint8_t out[128];
  assert_int_equal(decode_guarded(bytes, size, n, out), n);
  assert_memory_equal(out, text, n);
  free(c);
}

static void test_format_examples(void **state) {
  (void)state;
  check_example("There she blows! there she blows! there she blows!", example1, sizeof example1);
  check_example("round Good Hope, and round the Horn, and round the Norway Maelstrom", example2,
                sizeof example2);
  /* The long form of an offset: 5 literals, then 7 bytes from 5 back. */
  const uint8_t longform[] = {0x53, 'a', 'b', 'c', 'd', 'e', 0, 0, 5, 0, 0};
  uint8_t out[12];
  assert_int_equal(decode_guarded(longform, sizeof longform, 12, out), 12);
  assert_memory_equal(out, "abcdeabcdeab", 12);
}

/* ---- Error paths ---- */

/* Sequences, each built with put_seq, decoded into n bytes. */
static void test_crafted(void **state) {
  (void)state;
  const uint8_t *abc = (const uint8_t *)"abcdefghijklmnopqrstuvwxyz";
  uint8_t s[64];
  size_t k;

  /* Offsets: 0, one past the output, the whole output, in both forms. */
  k = put_seq(s, abc, 4, 0, 4, 1);
  expect_corrupt(s, k, 8);
  k = put_seq(s, abc, 4, 5, 4, 0);
  expect_corrupt(s, k, 8);
  k = put_seq(s, abc, 4, 5, 4, 1);
  expect_corrupt(s, k, 8);
  k = put_seq(s, abc, 4, 4, 4, 1);
  assert_int_equal(decode_guarded(s, k, 8, NULL), 8);
  s[0] = 0x40, s[5] = 0, s[6] = 0; /* the 2-byte field of 0 with no long form */
  expect_corrupt(s, 7, 8);
  /* A match or literal run past the end of dst; literals past src. */
  k = put_seq(s, abc, 4, 4, 5, 0);
  expect_corrupt(s, k, 8);
  k = put_seq(s, abc, 20, 0, 0, 0);
  expect_corrupt(s, k, 19);
  expect_corrupt(s, k - 1, 20);
  assert_int_equal(decode_guarded(s, k, 20, NULL), 20);
  /* Output short of dstSize: src ends; bytes left after dstSize. */
  expect_corrupt(s, k, 21);
  expect_corrupt(s, k, 0);
  expect_corrupt(s, 0, 1);
  s[k] = 0x10;
  expect_corrupt(s, k + 1, 20);
  /* Cut fields: an offset of 1 byte, a long offset of 2..4 bytes, a
  ** literal-length varint, a match-length varint. */
  k = put_seq(s, abc, 4, 4, 4, 0);
  expect_corrupt(s, k - 1, 8);
  k = put_seq(s, abc, 4, 4, 4, 1);
  for (size_t cut = k - 3; cut < k; cut++)
    expect_corrupt(s, cut, 8);
  s[0] = 0xf0, s[1] = 0xb9; /* 15 + a varint of two bytes */
  expect_corrupt(s, 2, 200);
  k = put_seq(s, abc, 4, 4, 200, 0);
  expect_corrupt(s, k - 1, 204);
  /* Varints: 11 bytes, bits past 64, 2^64 - 1, a match length far past dst. */
  uint8_t v[32] = {0xf0};
  memset(v + 1, 0x80, 11);
  v[12] = 0;
  expect_corrupt(v, 13, 100);
  memset(v + 1, 0xff, 9);
  v[10] = 0x02;
  expect_corrupt(v, 11, 100);
  v[10] = 0x01;
  expect_corrupt(v, 11, 100);
  k = put_seq(s, abc, 4, 4, 4, 0);
  s[0] |= 0x0f;
  memset(s + k, 0xff, 9);
  s[k + 9] = 0x01;
  expect_corrupt(s, k + 10, 100);
}

/* The same faults where the fast loop meets them: after 300 sequences, with
** more than 32 bytes of src and 64 of dst still to go. */
static void test_crafted_fast_loop(void **state) {
  (void)state;
  uint8_t lit[32], *s = malloc(64 * KIB);
  test_fill_random(lit, sizeof lit, 3);
  size_t k = 0, produced = 0;
  for (int i = 0; i < 300; i++) {
    k += put_seq(s + k, lit + i % 8, 3 + i % 12, 1 + (size_t)i % 17, 4 + i % 20, 0);
    produced += 3 + i % 12 + 4 + i % 20;
  }
  const size_t base = k, n = produced + 1000;
  struct {
    size_t off, ml;
    int force_long;
  } bad[] = {
      {produced + 5, 8, 0}, /* before the start of dst */
      {produced + 5, 8, 1}, /* the same, long form */
      {0, 8, 1},            /* offset 0 */
      {16, 2000, 0},        /* match past the end of dst (varint length) */
      {1, 2000, 0},         /* the same, overlapping */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    k = base + put_seq(s + base, lit, 4, bad[i].off, bad[i].ml, bad[i].force_long);
    memset(s + k, 0x00, 100); /* padding that keeps the fast loop going */
    expect_corrupt(s, k + 100, n);
  }
  /* A literal run of 15 + 127 bytes: past dst, then past src. */
  s[base] = 0xf0, s[base + 1] = 0x7f;
  memset(s + base + 2, 0, 300);
  expect_corrupt(s, base + 302, produced + 100);
  expect_corrupt(s, base + 102, produced + 1000);
  /* The valid prefix itself decodes; with bytes missing it does not. */
  uint8_t *out = malloc(produced), *model = malloc(produced);
  size_t max_off;
  assert_int_equal(decode_guarded(s, base, produced, out), produced);
  assert_int_equal(model_decode(s, base, model, produced, &max_off), 0);
  assert_memory_equal(out, model, produced);
  free(out), free(model), free(s);
}

/* A small input with every kind of sequence, compressed at level. */
static uint8_t *damage_base(uint8_t *src, size_t n, int level, size_t *csize) {
  size_t m;
  uint8_t *text = read_data("examples/data/moby-dick.txt", &m);
  memcpy(src, text + 5000, n);
  memset(src + 300, ' ', 40);
  test_fill_random(src + 600, 100, 11);
  free(text);
  return compress_at(src, n, level, 0, csize);
}

static void test_truncation_every_byte(void **state) {
  (void)state;
  uint8_t src[2000];
  for (int level = 2; level <= 9; level += 7) {
    size_t csize;
    uint8_t *c = damage_base(src, sizeof src, level, &csize);
    assert_true(csize < sizeof src);
    for (size_t cut = 0; cut < csize; cut++)
      expect_corrupt(c, cut, sizeof src);
    free(c);
  }
}

/* Every single-bit flip: the codec either fails or produces exactly dstSize
** bytes, agrees with the model on which, and on the bytes. */
static void test_bit_flips(void **state) {
  (void)state;
  uint8_t src[2000], out[2000], model[2000];
  for (int level = 2; level <= 9; level += 7) {
    size_t csize, max_off;
    uint8_t *c = damage_base(src, sizeof src, level, &csize);
    for (size_t i = 0; i < csize; i++) {
      for (unsigned bit = 0; bit < 8; bit++) {
        c[i] ^= (uint8_t)(1u << bit);
        size_t r = decode_guarded(c, csize, sizeof src, out);
        int m = model_decode(c, csize, model, sizeof src, &max_off);
        assert_true(sqz_is_error(r) || r == sizeof src);
        assert_int_equal(sqz_is_error(r), m != 0);
        if (m == 0) assert_memory_equal(out, model, sizeof src);
        c[i] ^= (uint8_t)(1u << bit);
      }
    }
    free(c);
  }
}

static void test_dst_too_small(void **state) {
  (void)state;
  uint8_t src[2000], d[2000];
  for (int level = 2; level <= 9; level += 7) {
    size_t csize;
    uint8_t *c = damage_base(src, sizeof src, level, &csize);
    sqz_params p = {.level = level};
    for (size_t cap = 0; cap < csize; cap++)
      assert_int_equal(sqz_error_of(C->compress(ctx, d, cap, src, sizeof src, &p)),
                       SQZ_ERROR_DST_TOO_SMALL);
    assert_int_equal(C->compress(ctx, d, csize, src, sizeof src, &p), csize);
    assert_memory_equal(d, c, csize);
    sqz_pool_stats st;
    sqz_ctx_stats(ctx, &st);
    assert_int_equal(st.in_use, 0);
    free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_and_tiny),
      cmocka_unit_test(test_real_files),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_16_mib),
      cmocka_unit_test(test_random),
      cmocka_unit_test(test_runs_and_periods),
      cmocka_unit_test(test_bound_holds),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_scratch),
      cmocka_unit_test(test_format_examples),
      cmocka_unit_test(test_crafted),
      cmocka_unit_test(test_crafted_fast_loop),
      cmocka_unit_test(test_truncation_every_byte),
      cmocka_unit_test(test_bit_flips),
      cmocka_unit_test(test_dst_too_small),
  };
  ctx = sqz_ctx_create(NULL);
  if (!ctx) return 1;
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  sqz_ctx_free(ctx);
  return failed;
}

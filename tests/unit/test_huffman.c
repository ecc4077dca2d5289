/*
** test_huffman.c: unit tests of the huffman codec (codecs/huffman.c).
**
** - round trips of every examples/data file at 0, 1, 4 KiB, 128 KiB - 1,
**   128 KiB, 128 KiB + 1 bytes, the whole file and 16 MiB (the file
**   repeated); random bytes (stored raw), one repeated byte (RLE blocks),
**   two symbols (one bit each), skewed counts that need the 11-bit limit;
** - every output decodes with a bit-at-a-time model of
**   docs/format/huffman.md written here, and the code lengths in it cost
**   exactly what a naive package-merge (lists of symbol multisets) gives;
** - the worked example of the format doc, byte for byte;
** - every error path: bad block types and sizes, bad tables (lengths over
**   11 bits, over- and under-subscribed Kraft sums, one symbol, a dirty
**   unused nibble), bad jump tables, streams that run out or leave bits,
**   dirty padding, trailing bytes, a dstSize that disagrees, truncation at
**   every byte, every single-bit flip, no memory.
*/
#include "codec_test_util.h"

#include "codec.h"
#include "pool.h"

extern const sqz_codec sqz_codec_huffman;
static const sqz_codec *const C = &sqz_codec_huffman;

#define BLOCK (128 * 1024)
static const sqz_params P = {.level = 1};

/* ---- A model decoder of docs/format/huffman.md, one bit at a time ---- */

typedef struct model_table {
  int coded;             /* a Huffman block (else raw or RLE) */
  uint8_t len[256];      /* code length per symbol, 0 = absent */
  int16_t sym[12][2048]; /* [length][code]: the symbol, or -1 */
} model_table;

/* Canonical codes: by increasing length, then symbol value, each code read
** first bit first (most significant first). */
static void model_codes(model_table *t) {
  unsigned code = 0;
  memset(t->sym, 0xFF, sizeof t->sym);
  for (unsigned l = 1; l <= 11; l++) {
    for (unsigned s = 0; s < 256; s++)
      if (t->len[s] == l) t->sym[l][code++] = (int16_t)s;
    code <<= 1;
  }
}

/* Decodes one stream of count symbols from s[0..size) into out. Returns 0
** when it ends exactly at its last byte with zero padding, else -1. */
static int model_stream(const model_table *t, const uint8_t *s, size_t size, uint8_t *out,
                        size_t count) {
  size_t bit = 0;
  for (size_t i = 0; i < count; i++) {
    unsigned code = 0, len = 0;
    for (;;) {
      if (bit >= 8 * size || len == 11) return -1;
      code = code << 1 | ((s[bit / 8] >> (bit % 8)) & 1);
      bit++, len++;
      if (t->sym[len][code] >= 0) {
        out[i] = (uint8_t)t->sym[len][code];
        break;
      }
    }
  }
  if ((bit + 7) / 8 != size) return -1;
  for (; bit < 8 * size; bit++)
    if ((s[bit / 8] >> (bit % 8)) & 1) return -1;
  return 0;
}

/* Decodes a whole payload of n bytes. Returns 0 or -1 (any violation of the
** format). When tables is not NULL, block b's table goes to tables[b]. */
static int model_decode(const uint8_t *src, size_t size, uint8_t *out, size_t n,
                        model_table *tables) {
  size_t in = 0;
  for (size_t pos = 0, b = 0; pos < n; pos += BLOCK, b++) {
    size_t len = n - pos < BLOCK ? n - pos : BLOCK;
    if (size - in < 3) return -1;
    uint32_t h = src[in] | (uint32_t)src[in + 1] << 8 | (uint32_t)src[in + 2] << 16;
    size_t csize = h >> 2;
    const uint8_t *c = src + in + 3;
    in += 3;
    if (size - in < csize) return -1;
    in += csize;
    if ((h & 3) == 0) {
      if (csize != len) return -1;
      memcpy(out + pos, c, len);
      continue;
    }
    if ((h & 3) == 1) {
      if (csize != 1) return -1;
      memset(out + pos, c[0], len);
      continue;
    }
    if ((h & 3) != 2 || len < 32 || csize >= len) return -1;
    static model_table t;
    memset(&t, 0, sizeof t);
    t.coded = 1;
    unsigned lo = c[0], count = c[1] + 1u;
    size_t tsize = 2 + (count + 1) / 2;
    if (lo + count > 256 || tsize + 6 > csize) return -1;
    uint32_t kraft = 0;
    for (unsigned i = 0; i < count; i++) {
      unsigned l = (c[2 + i / 2] >> (4 * (i % 2))) & 15;
      if (l > 11) return -1;
      t.len[lo + i] = (uint8_t)l;
      if (l) kraft += 2048u >> l;
    }
    if (count % 2 && c[tsize - 1] >> 4) return -1;
    if (kraft != 2048) return -1;
    model_codes(&t);
    if (tables) memcpy(&tables[b], &t, sizeof t);
    size_t sizes[4], used = 0, seg = (len + 3) / 4;
    for (unsigned k = 0; k < 3; k++)
      used += sizes[k] = c[tsize + 2 * k] | c[tsize + 2 * k + 1] << 8;
    if (used >= csize - tsize - 6) return -1;
    sizes[3] = csize - tsize - 6 - used;
    const uint8_t *s = c + tsize + 6;
    for (unsigned k = 0; k < 4; k++) {
      if (model_stream(&t, s, sizes[k], out + pos + k * seg, k < 3 ? seg : len - 3 * seg))
        return -1;
      s += sizes[k];
    }
  }
  return in == size ? 0 : -1;
}

/* ---- Package-merge, the textbook way ---- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The least total cost sum(count * length) of a prefix code over the
** symbols with count > 0, every length <= limit: package-merge as Larmore
** and Hirschberg state it, with sorted lists of item weights (an item's
** weight is what it adds to the cost), limit rounds of pairing the list and
** merging in the symbols, then the 2m - 2 cheapest items. */
static uint64_t pm_optimal_cost(const uint32_t *count, unsigned limit) {
  uint64_t leaves[256], list[512], next[768];
  unsigned m = 0, len = 0;
  for (unsigned s = 0; s < 256; s++)
    if (count[s]) leaves[m++] = count[s];
  qsort(leaves, m, sizeof *leaves, cmp_u64);
  for (unsigned d = 0; d < limit; d++) {
    unsigned n = 0;
    for (unsigned i = 0; i < m; i++)
      next[n++] = leaves[i];
    for (unsigned i = 0; i + 1 < len; i += 2)
      next[n++] = list[i] + list[i + 1];
    qsort(next, n, sizeof *next, cmp_u64);
    len = n < 2 * m ? n : 2 * m;
    memcpy(list, next, len * sizeof *list);
  }
  uint64_t cost = 0;
  for (unsigned i = 0; i < 2 * m - 2; i++)
    cost += list[i];
  return cost;
}

/* ---- Helpers ---- */

/* Round trip of src[0..n) through the codec and through the model decoder;
** the code of every Huffman block costs exactly the package-merge optimum.
** Returns the compressed size. */
static size_t round_trip(const uint8_t *src, size_t n) {
  size_t csize;
  uint8_t *c = test_compress_alloc(C, &P, src, n, &csize);
  uint8_t *out = malloc(n ? n : 1);
  assert_int_equal(test_decompress_exact(C, c, csize, n, out), n);
  assert_memory_equal(out, src, n);
  size_t blocks = (n + BLOCK - 1) / BLOCK;
  model_table *tables = calloc(blocks ? blocks : 1, sizeof *tables);
  assert_non_null(tables);
  uint8_t *model = calloc(n + 1, 1);
  assert_int_equal(model_decode(c, csize, model, n, tables), 0);
  assert_memory_equal(model, src, n);
  free(model);
  for (size_t b = 0; b < blocks; b++) {
    if (!tables[b].coded) continue; /* raw or RLE */
    uint32_t count[256] = {0};
    size_t len = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
    for (size_t i = 0; i < len; i++)
      count[src[b * BLOCK + i]]++;
    uint64_t cost = 0;
    for (unsigned s = 0; s < 256; s++)
      cost += (uint64_t)count[s] * tables[b].len[s];
    assert_int_equal(cost, pm_optimal_cost(count, 11));
  }
  free(tables);
  free(out);
  free(c);
  return csize;
}

/* ---- Round trips ---- */

static void test_empty_and_tiny(void **state) {
  (void)state;
  uint8_t one = 'x', dst[16];
  assert_int_equal(C->compress(ctx, dst, sizeof dst, &one, 0, &P), 0);
  assert_int_equal(C->decompress(ctx, dst, 0, dst, 0), 0);
  assert_true(C->bound(0) >= 1);
  assert_int_equal(round_trip(&one, 1), 4); /* an RLE block */
  const uint8_t ab[] = "ab";
  assert_int_equal(round_trip(ab, 2), 5); /* raw: too small for Huffman */
}

static void test_real_files(void **state) {
  (void)state;
  const size_t sizes[] = {0, 1, 4096, BLOCK - 1, BLOCK, BLOCK + 1};
  for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f++) {
    size_t n;
    uint8_t *data = test_read_file(test_data_files[f], &n);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      assert_true(sizes[i] <= n);
      round_trip(data, sizes[i]);
    }
    size_t csize = round_trip(data, n);
    assert_true(csize < n * 7 / 10); /* every file here is text */
    free(data);
  }
}

/* The size target: moby-dick.txt in 128 KiB blocks. Huff0 (zstd 1.5.4)
** gives 667604 bytes; squeeze's nibble tables cost a few bytes more. */
static void test_moby_dick_size(void **state) {
  (void)state;
  size_t n, csize;
  uint8_t *data = test_read_file("examples/data/moby-dick.txt", &n);
  uint8_t *c = test_compress_alloc(C, &P, data, n, &csize);
  assert_true(csize <= 667604 + 667604 / 100);
  free(c);
  free(data);
}

static void test_16_mib(void **state) {
  (void)state;
  size_t n, big = (size_t)16 << 20;
  for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f += 2) {
    uint8_t *data = test_read_file(test_data_files[f], &n);
    uint8_t *src = malloc(big);
    for (size_t i = 0; i < big; i += n)
      memcpy(src + i, data, big - i < n ? big - i : n);
    round_trip(src, big);
    free(src);
    free(data);
  }
}

static void test_random_is_stored(void **state) {
  (void)state;
  size_t n = 3 * BLOCK + 77;
  uint8_t *src = malloc(n);
  test_fill_random(src, n, 42);
  assert_int_equal(round_trip(src, n), n + 4 * 3); /* four raw blocks */
  assert_true(C->bound(n) >= n + 4 * 3);
  free(src);
}

static void test_one_byte_value(void **state) {
  (void)state;
  size_t n = 2 * BLOCK + 5;
  uint8_t *src = malloc(n);
  memset(src, 0x7F, n);
  assert_int_equal(round_trip(src, n), 3 * 4); /* three RLE blocks */
  free(src);
}

static void test_two_symbols(void **state) {
  (void)state;
  size_t n = BLOCK;
  uint8_t *src = malloc(n);
  test_fill_random(src, n, 7);
  for (size_t i = 0; i < n; i++)
    src[i] = src[i] & 1 ? 'b' : 'a';
  /* One bit per symbol: n / 8 bytes of streams, a 3-byte table, the jump
  ** table and the block header. */
  assert_int_equal(round_trip(src, n), 3 + 3 + 6 + n / 8);
  free(src);
}

/* Counts that halve from symbol to symbol give an unlimited Huffman code
** of up to 255 bits: the 11-bit limit must bind and stay optimal. */
static void test_skewed_needs_limit(void **state) {
  (void)state;
  size_t n = BLOCK, at = 0;
  uint8_t *src = malloc(n);
  for (unsigned s = 0; s < 256 && at < n; s++) {
    size_t run = (n - at) / 2 ? (n - at) / 2 : 1;
    if (s == 255) run = n - at;
    memset(src + at, (int)s, run);
    at += run;
  }
  /* Mix it so that streams hold every length, then round trip both. */
  round_trip(src, n);
  uint8_t *mixed = malloc(n);
  for (size_t i = 0; i < n; i++)
    mixed[i] = src[(i * 40503u) % n];
  round_trip(mixed, n);
  free(mixed);
  free(src);
}

/* Every block size from 30 to 300: the four segments and their tails. */
static void test_small_sizes(void **state) {
  (void)state;
  size_t n;
  uint8_t *data = test_read_file("examples/data/earthquakes.json", &n);
  for (size_t len = 30; len <= 300; len++)
    round_trip(data + len, len);
  free(data);
}

static void test_deterministic(void **state) {
  (void)state;
  size_t n, a, b;
  uint8_t *data = test_read_file("examples/data/birdstrikes.csv", &n);
  uint8_t *x = test_compress_alloc(C, &P, data, n, &a),
          *y = test_compress_alloc(C, &P, data, n, &b);
  assert_int_equal(a, b);
  assert_memory_equal(x, y, a);
  free(x), free(y), free(data);
}

/* The worked example of docs/format/huffman.md. */
static const char example_text[] = "ABRACADABRAABRACADABRAABRACADABRAABRACADABRA";
static const uint8_t example_bytes[] = {
    0x76, 0x00, 0x00,                   /* block header: Huffman, 29 bytes follow */
    0x41, 0x11,                         /* table: 18 symbols from 'A' */
    0x31, 0x33, 0x00, 0x00, 0x00, 0x00, /* A 1, B 3, C 3, D 3, E..P absent */
    0x00, 0x00, 0x30,                   /* ... Q absent, R 3 */
    0x03, 0x00, 0x03, 0x00, 0x03, 0x00, /* streams 0..2 take 3 bytes each */
    0x72, 0x35, 0x39, 0x72, 0x35, 0x39, /* four times "ABRACADABRA" */
    0x72, 0x35, 0x39, 0x72, 0x35, 0x39};

static void test_format_example(void **state) {
  (void)state;
  size_t n = sizeof example_text - 1, csize;
  uint8_t *c = test_compress_alloc(C, &P, (const uint8_t *)example_text, n, &csize);
  assert_int_equal(csize, sizeof example_bytes);
  assert_memory_equal(c, example_bytes, csize);
  uint8_t out[sizeof example_text];
  assert_int_equal(C->decompress(ctx, out, n, example_bytes, sizeof example_bytes), n);
  assert_memory_equal(out, example_text, n);
  free(c);
}

/* ---- Error paths ---- */

/* A Huffman-coded block of 2000 bytes of moby-dick.txt, for damaging. */
static uint8_t *damage_base(size_t *csize, uint8_t **orig, size_t *n) {
  size_t size;
  uint8_t *data = test_read_file("examples/data/moby-dick.txt", &size);
  *n = 2000;
  *orig = malloc(*n);
  memcpy(*orig, data + 10000, *n);
  free(data);
  uint8_t *c = test_compress_alloc(C, &P, *orig, *n, csize);
  assert_int_equal(c[0] & 3, 2);
  return c;
}

static void test_bad_block_headers(void **state) {
  (void)state;
  uint8_t b[8] = {0};
  b[0] = 3 | (1 << 2); /* type 3: kept for a newer version */
  test_expect_error(C, b, 4, 100, SQZ_ERROR_VERSION);
  uint8_t raw[3 + 100] = {0};
  raw[0] = (uint8_t)(99 << 2), raw[1] = 99 >> 6; /* raw block of 99 bytes for 100 */
  test_expect_error(C, raw, 3 + 99, 100, SQZ_ERROR_CORRUPT);
  raw[0] = (uint8_t)(100 << 2), raw[1] = (uint8_t)(100 >> 6);
  assert_int_equal(test_decompress_exact(C, raw, sizeof raw, 100, NULL), 100);
  test_expect_error(C, raw, sizeof raw - 1, 100, SQZ_ERROR_TRUNCATED);
  b[0] = 1 | (2 << 2); /* RLE block with 2 bytes */
  test_expect_error(C, b, 5, 100, SQZ_ERROR_CORRUPT);
  b[0] = 1 | (1 << 2);
  assert_int_equal(test_decompress_exact(C, b, 4, 100, NULL), 100);
  test_expect_error(C, b, 5, 100, SQZ_ERROR_CORRUPT); /* a trailing byte */
  test_expect_error(C, b, 2, 100, SQZ_ERROR_TRUNCATED);
  test_expect_error(C, b, 0, 100, SQZ_ERROR_TRUNCATED);
  test_expect_error(C, b, 4, 0, SQZ_ERROR_CORRUPT); /* bytes but nothing to produce */
  b[0] = 2 | (4 << 2);                              /* Huffman block for 20 bytes */
  test_expect_error(C, b, 7, 20, SQZ_ERROR_CORRUPT);
  b[0] = 2 | (40 << 2), b[1] = 0; /* not smaller than the block */
  uint8_t big[64] = {0};
  memcpy(big, b, 3);
  test_expect_error(C, big, 43, 40, SQZ_ERROR_CORRUPT);
}

/* Rewrites the table of c (a Huffman block of n bytes): lo, count - 1 and the
** nibbles, keeping the rest of the block. Returns the new size. */
static size_t with_table(const uint8_t *c, size_t csize, uint8_t *out, const uint8_t *table,
                         size_t tsize) {
  size_t old = 2 + (c[4] + 2u) / 2, rest = csize - 3 - old, content = tsize + rest;
  out[0] = (uint8_t)(2 | content << 2), out[1] = (uint8_t)(content >> 6);
  out[2] = (uint8_t)(content >> 14);
  memcpy(out + 3, table, tsize);
  memcpy(out + 3 + tsize, c + 3 + old, rest);
  return 3 + content;
}

static void test_bad_tables(void **state) {
  (void)state;
  size_t csize, n;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n), *d = malloc(csize + 300);
  uint8_t t[2 + 128];
  /* Lengths 1, 2, 3, 3 are complete; vary them. */
  const uint8_t good[] = {'a', 3, 0x21, 0x33};
  size_t s = with_table(c, csize, d, good, sizeof good);
  size_t r = test_decompress_exact(C, d, s, n, NULL);
  assert_true(sqz_is_error(r));                    /* a valid table, but not this stream's */
  const uint8_t over[] = {'a', 3, 0x21, 0x32};     /* 1,2,3,2: Kraft > 1 */
  const uint8_t under[] = {'a', 3, 0x21, 0x43};    /* 1,2,3,4: Kraft < 1 */
  const uint8_t toolong[] = {'a', 3, 0x21, 0x3C};  /* a length of 12 */
  const uint8_t one[] = {'a', 0, 0x01};            /* one symbol */
  const uint8_t dirty[] = {'a', 2, 0x21, 0x12};    /* 1,2,2 then a stray nibble */
  const uint8_t wrap[] = {0xF0, 0x20, 0x21, 0x33}; /* symbols past 255 */
  const uint8_t *bad[] = {over, under, toolong, one, dirty, wrap};
  const size_t bad_size[] = {sizeof over, sizeof under, sizeof toolong,
                             sizeof one,  sizeof dirty, sizeof wrap};
  for (size_t i = 0; i < 6; i++) {
    s = with_table(c, csize, d, bad[i], bad_size[i]);
    test_expect_error(C, d, s, n, SQZ_ERROR_CORRUPT);
  }
  /* All 256 symbols of length 8 are complete; 255 of them are not. */
  t[0] = 0, t[1] = 255;
  memset(t + 2, 0x88, 128);
  s = with_table(c, csize, d, t, 130);
  assert_true(sqz_is_error(test_decompress_exact(C, d, s, n, NULL)));
  t[1] = 254, t[129] = 0x08; /* 255 symbols of 8 bits: Kraft < 1 */
  s = with_table(c, csize, d, t, 130);
  test_expect_error(C, d, s, n, SQZ_ERROR_CORRUPT);
  /* A table that runs past the block. */
  memcpy(d, c, 3);
  d[3] = 0, d[4] = 255;
  d[0] = (uint8_t)(2 | 40 << 2), d[1] = 0, d[2] = 0;
  memset(d + 5, 0x88, 40);
  test_expect_error(C, d, 43, n, SQZ_ERROR_CORRUPT);
  free(d), free(c), free(orig);
}

static void test_bad_streams(void **state) {
  (void)state;
  size_t csize, n;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n), *d = malloc(csize + 8);
  size_t tsize = 2 + (c[4] + 2u) / 2, jt = 3 + tsize;
  unsigned s0 = c[jt] | c[jt + 1] << 8;
  /* Stream 0 one byte shorter: it runs out, stream 1 starts early. */
  memcpy(d, c, csize);
  d[jt] = (uint8_t)(s0 - 1), d[jt + 1] = (uint8_t)((s0 - 1) >> 8);
  test_expect_error(C, d, csize, n, SQZ_ERROR_CORRUPT);
  /* Stream 0 one byte longer: leftover bytes. */
  d[jt] = (uint8_t)(s0 + 1), d[jt + 1] = (uint8_t)((s0 + 1) >> 8);
  test_expect_error(C, d, csize, n, SQZ_ERROR_CORRUPT);
  /* Sizes that add up to the whole block (no fourth stream), or past it. */
  memcpy(d, c, csize);
  size_t body = csize - jt - 6;
  d[jt] = (uint8_t)body, d[jt + 1] = (uint8_t)(body >> 8);
  test_expect_error(C, d, csize, n, SQZ_ERROR_CORRUPT);
  d[jt] = d[jt + 1] = 0xFF;
  test_expect_error(C, d, csize, n, SQZ_ERROR_CORRUPT);
  /* An empty stream 1. */
  memcpy(d, c, csize);
  d[jt + 2] = d[jt + 3] = 0;
  test_expect_error(C, d, csize, n, SQZ_ERROR_CORRUPT);
  /* One more byte at the end of stream 3 (block size grows by one). */
  memcpy(d, c, csize);
  d[csize] = 0;
  size_t content = csize - 3 + 1;
  d[0] = (uint8_t)(2 | content << 2), d[1] = (uint8_t)(content >> 6);
  test_expect_error(C, d, csize + 1, n, SQZ_ERROR_CORRUPT);
  /* Padding: 1003 symbols of one bit each; stream 3 codes 250 of them,
  ** so its last byte has 6 padding bits (the top ones). */
  uint8_t ab[1003];
  test_fill_random(ab, sizeof ab, 11);
  for (size_t i = 0; i < sizeof ab; i++)
    ab[i] = ab[i] & 1 ? 'b' : 'a';
  size_t absize;
  uint8_t *abc = test_compress_alloc(C, &P, ab, sizeof ab, &absize);
  assert_int_equal(absize, 3 + 3 + 6 + 3 * 32 + 32);
  for (unsigned bit = 2; bit < 8; bit++) {
    abc[absize - 1] ^= (uint8_t)(1u << bit);
    test_expect_error(C, abc, absize, sizeof ab, SQZ_ERROR_CORRUPT);
    abc[absize - 1] ^= (uint8_t)(1u << bit);
  }
  assert_int_equal(test_decompress_exact(C, abc, absize, sizeof ab, NULL), sizeof ab);
  free(abc);
  free(d), free(c), free(orig);
}

static void test_wrong_dst_size(void **state) {
  (void)state;
  size_t csize, n;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n);
  for (size_t m = n - 8; m <= n + 8; m++) {
    if (m == n) continue;
    assert_true(sqz_is_error(test_decompress_exact(C, c, csize, m, NULL)));
  }
  assert_true(sqz_is_error(test_decompress_exact(C, c, csize, n + BLOCK, NULL)));
  test_expect_error(C, c, csize, 0, SQZ_ERROR_CORRUPT);
  free(c), free(orig);
}

static void test_truncation_every_byte(void **state) {
  (void)state;
  size_t csize, n;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n);
  for (size_t cut = 0; cut < csize; cut++)
    test_expect_error(C, c, cut, n, SQZ_ERROR_TRUNCATED);
  /* Two blocks: a raw 128 KiB block then the text. */
  size_t n2 = BLOCK + n, c2size;
  uint8_t *two = malloc(n2);
  test_fill_random(two, BLOCK, 3);
  memcpy(two + BLOCK, orig, n);
  uint8_t *c2 = test_compress_alloc(C, &P, two, n2, &c2size);
  for (size_t cut = 0; cut < c2size; cut += cut < BLOCK ? 997 : 1)
    test_expect_error(C, c2, cut, n2, SQZ_ERROR_TRUNCATED);
  free(c2), free(two), free(c), free(orig);
}

/* Every single-bit flip: an error, or exactly n bytes, never a crash (run
** under ASan by make asan). */
static void test_bit_flips(void **state) {
  (void)state;
  size_t csize, n, decoded = 0;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n);
  for (size_t i = 0; i < csize; i++) {
    for (unsigned bit = 0; bit < 8; bit++) {
      c[i] ^= (uint8_t)(1u << bit);
      size_t r = test_decompress_exact(C, c, csize, n, NULL);
      assert_true(sqz_is_error(r) || r == n);
      decoded += r == n;
      c[i] ^= (uint8_t)(1u << bit);
    }
  }
  /* A flip inside a stream that keeps the stream's bit count decodes to
  ** other bytes, and so does one in the table's first symbol (Huffman
  ** streams have no redundancy; the frame's checksum catches those). A
  ** flip in the block header never decodes. */
  assert_true(decoded > 0);
  for (size_t i = 0; i < 3; i++) {
    for (unsigned bit = 0; bit < 8; bit++) {
      c[i] ^= (uint8_t)(1u << bit);
      assert_true(sqz_is_error(test_decompress_exact(C, c, csize, n, NULL)));
      c[i] ^= (uint8_t)(1u << bit);
    }
  }
  free(c), free(orig);
}

static void test_dst_too_small(void **state) {
  (void)state;
  size_t n, csize;
  uint8_t *data = test_read_file("examples/data/moby-dick.txt", &n);
  n = 3 * BLOCK;
  uint8_t *c = test_compress_alloc(C, &P, data, n, &csize), *d = malloc(csize);
  for (size_t cap = 0; cap < csize; cap += cap < 64 ? 1 : 4099) {
    size_t r = C->compress(ctx, d, cap, data, n, &P);
    assert_int_equal(sqz_error_of(r), SQZ_ERROR_DST_TOO_SMALL);
  }
  assert_int_equal(C->compress(ctx, d, csize, data, n, &P), csize);
  assert_memory_equal(c, d, csize);
  free(d), free(c), free(data);
}

static void *failing_alloc(void *opaque, size_t bytes) {
  int *budget = opaque;
  if (*budget <= 0) return NULL;
  (*budget)--;
  return malloc(bytes);
}
static void plain_free(void *opaque, void *p) {
  (void)opaque;
  free(p);
}

static void test_no_memory(void **state) {
  (void)state;
  size_t csize, n;
  uint8_t *orig, *c = damage_base(&csize, &orig, &n), dst[4096];
  int budget = 1; /* the context itself */
  sqz_allocator a = {failing_alloc, plain_free, &budget};
  sqz_ctx *poor = sqz_ctx_create(&a);
  assert_non_null(poor);
  size_t r = C->compress(poor, dst, sizeof dst, orig, n, &P);
  assert_int_equal(sqz_error_of(r), SQZ_ERROR_MEMORY);
  r = C->decompress(poor, dst, n, c, csize);
  assert_int_equal(sqz_error_of(r), SQZ_ERROR_MEMORY);
  /* Raw and RLE blocks need no scratch. */
  uint8_t rle[4] = {1 | 1 << 2, 0, 0, 'z'};
  assert_int_equal(C->decompress(poor, dst, 100, rle, 4), 100);
  sqz_ctx_free(poor);
  free(c), free(orig);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_and_tiny),   cmocka_unit_test(test_real_files),
      cmocka_unit_test(test_moby_dick_size),   cmocka_unit_test(test_16_mib),
      cmocka_unit_test(test_random_is_stored), cmocka_unit_test(test_one_byte_value),
      cmocka_unit_test(test_two_symbols),      cmocka_unit_test(test_skewed_needs_limit),
      cmocka_unit_test(test_small_sizes),      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_format_example),   cmocka_unit_test(test_bad_block_headers),
      cmocka_unit_test(test_bad_tables),       cmocka_unit_test(test_bad_streams),
      cmocka_unit_test(test_wrong_dst_size),   cmocka_unit_test(test_truncation_every_byte),
      cmocka_unit_test(test_bit_flips),        cmocka_unit_test(test_dst_too_small),
      cmocka_unit_test(test_no_memory),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}

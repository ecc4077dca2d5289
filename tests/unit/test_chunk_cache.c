/*
** test_chunk_cache.c: the decoded-chunk cache (ext/chunk_cache.h) driven
** directly: round trips, CLOCK eviction, random damage, a process killed
** while it holds the lock (and while it writes an entry), the POSIX segment's
** checks (mode, owner, size, header), a full /dev/shm, sharing across fork.
** Segments are named with SQUEEZE_CACHE_SEGMENT=sqz-unit-<pid> and removed.
*/
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chunk_cache.h"

#define REGION ((size_t)1 << 20)

static sqz_cc_key key_of(uint64_t i) {
  sqz_cc_key k = {{0x1234, 0x5678, i, 1, 8192, (uint64_t)8192 << 32 | 1, i * 7 + 1, i * 13 + 5}};
  return k;
}

/* A column of rows values: ints and texts that depend on seed. */
static void make_column(sqz_column *c, uint32_t rows, uint64_t seed) {
  sqz_column_init(c, NULL);
  char text[32];
  for (uint32_t i = 0; i < rows; i++) {
    if (i % 3 == 0) {
      int n = snprintf(text, sizeof text, "v%llu-%u", (unsigned long long)seed, i);
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_TEXT, 0, text, (size_t)n), 0);
    } else {
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_INT, seed * 1000003u + i, NULL, 0), 0);
    }
  }
}

static int same_column(const sqz_column *a, const sqz_column *b) {
  if (a->count != b->count || a->nbytes != b->nbytes) return 0;
  for (uint32_t i = 0; i < a->count; i++) {
    if (a->type[i] != b->type[i]) return 0;
    sqz_value x = sqz_column_value(a, i), y = sqz_column_value(b, i);
    if (sqz_value_compare(&x, &y) != 0) return 0;
  }
  return 1;
}

static void *new_region(int pshared) {
  void *m = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
                 (pshared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  assert_true(m != MAP_FAILED);
  assert_int_equal(sqz_cc_region_format(m, REGION, pshared), 0);
  assert_true(sqz_cc_region_valid(m, REGION));
  return m;
}

static int get(void *m, uint64_t i, sqz_column *out, int *rejected, int *recovered) {
  uint32_t flags = 0;
  sqz_column_init(out, NULL);
  sqz_cc_key k = key_of(i);
  return sqz_cc_region_get(m, REGION, &k, out, &flags, SIZE_MAX, rejected, recovered);
}

static int put(void *m, uint64_t i, uint32_t rows) {
  sqz_column c;
  make_column(&c, rows, i);
  uint64_t ev = 0;
  int rec = 0;
  sqz_cc_key k = key_of(i);
  int rc = sqz_cc_region_put(m, REGION, &k, &c, 0, &ev, &rec);
  sqz_column_free(&c);
  return rc;
}

static void test_round_trip(void **state) {
  (void)state;
  void *m = new_region(0);
  assert_false(sqz_cc_region_valid(m, REGION * 2)); /* the size is part of the layout */
  for (uint64_t i = 1; i <= 5; i++)
    assert_int_equal(put(m, i, 100 * (uint32_t)i), 1);
  for (uint64_t i = 1; i <= 5; i++) {
    sqz_column got, want;
    int rej = 0, rec = 0;
    assert_int_equal(get(m, i, &got, &rej, &rec), 1);
    make_column(&want, 100 * (uint32_t)i, i);
    assert_true(same_column(&got, &want));
    assert_int_equal(rej, 0);
    sqz_column_free(&got);
    sqz_column_free(&want);
  }
  sqz_column none;
  int rej = 0, rec = 0;
  assert_int_equal(get(m, 99, &none, &rej, &rec), 0);
  /* a key that differs in its body hash alone is another chunk */
  sqz_cc_key k = key_of(1);
  k.w[7] ^= 1;
  uint32_t flags;
  assert_int_equal(sqz_cc_region_get(m, REGION, &k, &none, &flags, SIZE_MAX, &rej, &rec), 0);
  /* a dense rowid slot keeps only its count */
  sqz_column ids;
  make_column(&ids, 50, 7);
  uint64_t ev = 0;
  assert_int_equal(sqz_cc_region_put(m, REGION, &k, &ids, SQZ_CC_DENSE, &ev, &rec), 1);
  assert_int_equal(sqz_cc_region_get(m, REGION, &k, &none, &flags, SIZE_MAX, &rej, &rec), 1);
  assert_int_equal(flags, SQZ_CC_DENSE);
  assert_int_equal(none.count, 0);
  /* max_bytes: an image larger than the caller's limit is a miss */
  assert_int_equal(get(m, 3, &none, &rej, &rec), 1);
  sqz_column_free(&none);
  sqz_column_init(&none, NULL);
  k = key_of(3);
  assert_int_equal(sqz_cc_region_get(m, REGION, &k, &none, &flags, 10, &rej, &rec), 0);
  sqz_column_free(&none);
  sqz_column_free(&ids);
  uint64_t entries, bytes, cap;
  assert_int_equal(sqz_cc_region_usage(m, REGION, &entries, &bytes, &cap, &rec), 0);
  assert_int_equal(entries, 6);
  assert_true(cap <= REGION && cap >= REGION / 2);
  munmap(m, REGION);
}

static void test_clock_keeps_what_is_reused(void **state) {
  (void)state;
  void *m = new_region(0);
  assert_int_equal(put(m, 1, 2000), 1);
  uint64_t total_evicted = 0;
  for (uint64_t i = 2; i < 400; i++) {
    sqz_column c;
    int rej = 0, rec = 0;
    assert_int_equal(get(m, 1, &c, &rej, &rec), 1); /* entry 1 is read between stores */
    sqz_column_free(&c);
    make_column(&c, 2000, i);
    uint64_t ev = 0;
    sqz_cc_key k = key_of(i);
    assert_int_equal(sqz_cc_region_put(m, REGION, &k, &c, 0, &ev, &rec), 1);
    total_evicted += ev;
    sqz_column_free(&c);
  }
  assert_true(total_evicted > 300); /* the region holds a few dozen of these */
  uint64_t entries, bytes, cap;
  int rec = 0;
  assert_int_equal(sqz_cc_region_usage(m, REGION, &entries, &bytes, &cap, &rec), 0);
  assert_true(bytes <= cap);
  /* an image over a quarter of the region is not kept */
  assert_int_equal(put(m, 1000, 40000), 0);
  munmap(m, REGION);
}

/* Random bytes over everything after the header, again and again: a hit is
** always the column stored under its key, damage is rejected, never a crash. */
static void test_random_damage(void **state) {
  (void)state;
  void *m = new_region(0);
  uint64_t rejected = 0, hits = 0;
  uint8_t noise[4096];
  for (int round = 0; round < 200; round++) {
    for (uint64_t i = 0; i < 20; i++)
      put(m, i, 300 + (uint32_t)i);
    size_t off = 512 + (size_t)(round * 7919) % (REGION - 512 - sizeof noise);
    test_fill_random(noise, sizeof noise, (uint64_t)round + 1);
    size_t n = round % 3 == 0 ? sizeof noise : (size_t)(round % 64) + 1;
    memcpy((uint8_t *)m + off, noise, n);
    for (uint64_t i = 0; i < 20; i++) {
      sqz_column got, want;
      int rej = 0, rec = 0;
      int rc = get(m, i, &got, &rej, &rec);
      assert_true(rc == 0 || rc == 1);
      rejected += (uint64_t)rej;
      if (rc == 1) {
        make_column(&want, 300 + (uint32_t)i, i);
        assert_true(same_column(&got, &want));
        sqz_column_free(&want);
        hits++;
      }
      sqz_column_free(&got);
    }
  }
  assert_true(rejected > 0);
  assert_true(hits > 0);
  munmap(m, REGION);
}

/* ---- Row reads (sqz_cc_region_rows) ------------------------------------ */

/* A column of every class whose TEXT and BLOB values (random bytes, so that
** no 1 KiB of the image repeats) are up to 2.5 KiB long: values whose bytes
** cross units and blocks. */
static void make_mixed(sqz_column *c, uint32_t rows, uint64_t seed) {
  sqz_column_init(c, NULL);
  uint8_t buf[2600];
  for (uint32_t i = 0; i < rows; i++) {
    size_t n;
    switch (i % 5) {
    case 0:
      n = (i * 37u + (uint32_t)seed) % 2500 + 1;
      test_fill_random(buf, n, seed << 32 | i);
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_TEXT, 0, buf, n), 0);
      break;
    case 1:
      n = (i * 11u) % 300;
      test_fill_random(buf, n, seed << 32 | i | 1u << 31);
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_BLOB, 0, buf, n), 0);
      break;
    case 2:
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_REAL, sqz_double_bits(i * 0.25), NULL, 0), 0);
      break;
    case 3:
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_NULL, 0, NULL, 0), 0);
      break;
    default:
      assert_int_equal(sqz_column_append(c, SQZ_CLASS_INT, seed * 31 + i, NULL, 0), 0);
    }
  }
}

/* A column of rows values all of class cls (INT, REAL, TEXT or BLOB; the
** TEXT/BLOB lengths vary from 0 to 700 bytes), which chunk_cache.c stores
** as a typed image: 8-byte values, or 4-byte end offsets and the bytes. */
static void make_typed(sqz_column *c, uint8_t cls, uint32_t rows, uint64_t seed) {
  sqz_column_init(c, NULL);
  uint8_t buf[700];
  for (uint32_t i = 0; i < rows; i++) {
    size_t n = (i * 53u + (uint32_t)seed) % sizeof buf;
    if (i % 7 == 3) n = 0;
    if (cls >= SQZ_CLASS_TEXT) test_fill_random(buf, n, seed << 32 | i);
    uint64_t v = cls == SQZ_CLASS_REAL ? sqz_double_bits(i * -1.5 + (double)seed) : seed * 131 + i;
    assert_int_equal(sqz_column_append(c, cls, v, buf, cls >= SQZ_CLASS_TEXT ? n : 0), 0);
  }
}

/* Whether part (its own arena: offsets from 0, nbytes at least its values'
** bytes: a read of nearly contiguous rows keeps the gaps between them)
** holds rows [first, first + part->count) of whole. */
static int same_rows(const sqz_column *whole, uint32_t first, const sqz_column *part) {
  size_t bytes = 0;
  for (uint32_t k = 0; k < part->count; k++) {
    if (first + k >= whole->count || part->type[k] != whole->type[first + k]) return 0;
    sqz_value x = sqz_column_value(whole, first + k), y = sqz_column_value(part, k);
    if (sqz_value_compare(&x, &y) != 0) return 0;
    if (part->type[k] >= SQZ_CLASS_TEXT) bytes += part->len[k];
  }
  return part->nbytes >= bytes && part->nbytes < bytes + SQZ_CC_UNIT;
}

/* part's rows hold the values of rows [first, first + part->count) of c,
** whatever the shape of either arena. */
static void assert_same_values(const sqz_column *c, uint32_t first, const sqz_column *part) {
  for (uint32_t k = 0; k < part->count; k++) {
    sqz_value x = sqz_column_value(c, first + k), y = sqz_column_value(part, k);
    assert_int_equal(x.cls, y.cls);
    assert_int_equal(sqz_value_compare(&x, &y), 0);
  }
}

/* sqz_cc_region_rows of key i into out (initialised here); *rejected set. */
static int rows_of(void *m, uint64_t i, uint32_t first, uint32_t n, sqz_column *out,
                   uint32_t *flags, size_t max_bytes, int *rejected) {
  sqz_cc_key k = key_of(i);
  int rec = 0;
  *rejected = 0;
  *flags = 0;
  sqz_column_init(out, NULL);
  return sqz_cc_region_rows(m, REGION, &k, first, n, out, flags, max_bytes, rejected, &rec);
}

static int put_column(void *m, uint64_t i, const sqz_column *c, uint32_t flags) {
  sqz_cc_key k = key_of(i);
  uint64_t ev = 0;
  int rec = 0;
  return sqz_cc_region_put(m, REGION, &k, c, flags, &ev, &rec);
}

/* The record kind chunk_cache.c stores c as: 1 every row INT, 2 REAL, 3
** TEXT, 4 BLOB (the rows' bytes one after another), 5 TEXT, 6 BLOB (rows
** sharing bytes: the arena, offsets and lengths), else 0 (mixed). */
static uint32_t kind_of(const sqz_column *c) {
  if (c->count == 0) return 0;
  for (uint32_t r = 1; r < c->count; r++)
    if (c->type[r] != c->type[0]) return 0;
  if (c->type[0] == SQZ_CLASS_INT || c->type[0] == SQZ_CLASS_REAL)
    return c->type[0] == SQZ_CLASS_INT ? 1 : 2;
  if (c->type[0] < SQZ_CLASS_TEXT) return 0;
  uint64_t sum = 0;
  for (uint32_t r = 0; r < c->count; r++)
    sum += c->len[r];
  if (sum > c->nbytes) return c->type[0] == SQZ_CLASS_TEXT ? 5 : 6;
  return c->type[0] == SQZ_CLASS_TEXT ? 3 : 4;
}

/* Where row r's bytes start in a kind 3 or 4 image's arena. */
static uint64_t packed_at(const sqz_column *c, uint32_t r) {
  uint64_t at = 0;
  for (uint32_t k = 0; k < r; k++)
    at += c->len[k];
  return at;
}

/* Bytes of a record of kind k, and of c's image arena. */
static uint64_t rec_bytes(uint32_t k) {
  return k == 0 ? 13 : k == 3 || k == 4 ? 4 : 8;
}

static uint64_t arena_bytes(const sqz_column *c) {
  uint32_t k = kind_of(c);
  if (k == 1 || k == 2) return 0;
  if (k == 0 || k >= 5) return c->nbytes;
  return packed_at(c, c->count);
}

/* The image offsets of row r of a column of count rows (chunk_cache.c's
** layout: a 16-byte header, then a record for every row, then the arena):
** [lo[j], hi[j]) for its class, value, length and bytes in a mixed image
** (a 13-byte record of class, value and length); for its 8-byte value in
** an INT or REAL one; for its end offset, the end offset before it and its
** bytes in a TEXT or BLOB one in row order; for its offset and length and
** its bytes in one in another order. */
static void row_spans(const sqz_column *c, uint32_t r, uint64_t lo[4], uint64_t hi[4]) {
  uint64_t n = c->count, k = kind_of(c), rs = rec_bytes((uint32_t)k);
  for (int j = 0; j < 4; j++)
    lo[j] = hi[j] = 0;
  if (k == 0) {
    lo[0] = 16 + 13 * (uint64_t)r, hi[0] = lo[0] + 1;
    lo[1] = hi[0], hi[1] = lo[1] + 8;
    lo[2] = hi[1], hi[2] = lo[2] + 4;
  } else {
    lo[0] = 16 + rs * r, hi[0] = lo[0] + rs;
    if ((k == 3 || k == 4) && r > 0) lo[1] = lo[0] - 4, hi[1] = lo[0];
  }
  if (c->type[r] >= SQZ_CLASS_TEXT)
    lo[3] = 16 + rs * n + (k == 3 || k == 4 ? packed_at(c, r) : c->v[r]), hi[3] = lo[3] + c->len[r];
}

/* Whether a read of row r touches image bytes [lo, hi) (the header: always). */
static int row_touches(const sqz_column *c, uint32_t r, uint64_t lo, uint64_t hi) {
  if (lo < 16) return 1;
  uint64_t a[4], b[4];
  row_spans(c, r, a, b);
  for (int j = 0; j < 4; j++)
    if (a[j] < b[j] && a[j] < hi && lo < b[j]) return 1;
  return 0;
}

/* Every range of rows reads what a whole get gives: first and last rows,
** spans over 1 KiB units and 16 KiB blocks, values whose bytes cross them. */
static void test_region_rows(void **state) {
  (void)state;
  void *m = new_region(0);
  sqz_column c, whole, part;
  make_mixed(&c, 400, 3);
  assert_int_equal(put_column(m, 1, &c, 0), 1);
  int rej = 0, rec = 0;
  assert_int_equal(get(m, 1, &whole, &rej, &rec), 1);
  assert_true(same_column(&whole, &c));
  uint64_t image = 16 + rec_bytes(kind_of(&c)) * c.count + arena_bytes(&c);
  assert_true(image > 6 * SQZ_CC_BLOCK); /* a chain of blocks */
  uint32_t flags;
  int crossed_unit = 0, crossed_block = 0, ranges = 0;
  static const uint32_t lens[] = {1, 2, 13, 64, 200, 400};
  for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
    for (uint32_t first = 0; first + lens[j] <= c.count; first += 7) {
      /* also the last rows, whatever the step */
      uint32_t f = first + 7 + lens[j] > c.count ? c.count - lens[j] : first;
      assert_int_equal(rows_of(m, 1, f, lens[j], &part, &flags, SIZE_MAX, &rej), 1);
      assert_int_equal(rej, 0);
      assert_int_equal(flags, 0);
      assert_int_equal(part.count, lens[j]);
      assert_true(same_rows(&whole, f, &part));
      sqz_column_free(&part);
      for (uint32_t r = f; r < f + lens[j]; r++) {
        uint64_t lo[4], hi[4];
        row_spans(&c, r, lo, hi);
        if (lo[3] < hi[3] && lo[3] / SQZ_CC_UNIT != (hi[3] - 1) / SQZ_CC_UNIT) crossed_unit++;
        if (lo[3] < hi[3] && lo[3] / SQZ_CC_BLOCK != (hi[3] - 1) / SQZ_CC_BLOCK) crossed_block++;
      }
      ranges++;
      if (f != first) break;
    }
  }
  assert_true(ranges > 100);
  assert_true(crossed_unit > 0 && crossed_block > 0);
  /* rows past the entry's: a plain miss (not rejected; the entry stays) */
  const int range_rejects = 0;
  static const uint32_t bad[][2] = {{400, 1}, {399, 2}, {0, 401}, {UINT32_MAX, 1}, {1, UINT32_MAX}};
  for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
    assert_int_equal(put_column(m, 1, &c, 0), 1);
    assert_int_equal(rows_of(m, 1, bad[j][0], bad[j][1], &part, &flags, SIZE_MAX, &rej), 0);
    assert_int_equal(rej, range_rejects);
    assert_int_equal(part.count, 0);
    sqz_column_free(&part);
    assert_int_equal(rows_of(m, 1, 0, 1, &part, &flags, SIZE_MAX, &rej), !range_rejects);
    sqz_column_free(&part);
  }
  assert_int_equal(put_column(m, 1, &c, 0), 1);
  assert_int_equal(rows_of(m, 99, 0, 1, &part, &flags, SIZE_MAX, &rej), 0); /* no such key */
  sqz_column_free(&part);
  /* max_bytes: rows whose values pass it are a miss */
  assert_int_equal(c.type[0], SQZ_CLASS_TEXT);
  assert_int_equal(rows_of(m, 1, 0, 1, &part, &flags, c.len[0] - 1, &rej), 0);
  assert_int_equal(rej, 0);
  sqz_column_free(&part);
  assert_int_equal(rows_of(m, 1, 0, 1, &part, &flags, c.len[0], &rej), 1);
  assert_true(same_rows(&whole, 0, &part));
  sqz_column_free(&part);
  sqz_column_free(&whole);
  sqz_column_free(&c);
  munmap(m, REGION);
}

/* A column whose arena is not in row order and has gaps (a decoder writes
** rows in order, but the image is input): rows spread wider than their
** bytes plus a unit are read one by one, rows with small gaps in one read
** that keeps the gaps; both give the rows' values. */
static void test_region_rows_gapped_arena(void **state) {
  (void)state;
  void *m = new_region(0);
  enum { ROWS = 8, GAP = 700 };
  sqz_column c, part;
  sqz_column_init(&c, NULL);
  assert_int_equal(sqz_column_reserve(&c, ROWS, ROWS * (GAP + 300)), 0);
  memset(c.bytes, 0xEE, ROWS * (GAP + 300)); /* the gaps' filler */
  size_t end = 0, next = 4 * (GAP + 100);
  for (uint32_t k = 0; k < ROWS; k++) {
    c.type[k] = k % 4 == 3 ? SQZ_CLASS_INT : k % 2 ? SQZ_CLASS_BLOB : SQZ_CLASS_TEXT;
    c.len[k] = 0;
    c.v[k] = k * 1000003u;
    if (c.type[k] == SQZ_CLASS_INT) continue;
    /* rows 0..3 last to first, far apart; rows 4..7 in order, 40 bytes apart */
    uint32_t n = 20 + 13 * k;
    size_t at = k < 4 ? (size_t)(3 - k) * (GAP + 100) : next;
    if (k >= 4) next += n + 40;
    c.v[k] = at;
    c.len[k] = n;
    test_fill_random(c.bytes + at, n, 77 + k);
    if (at + n > end) end = at + n;
  }
  c.count = ROWS;
  c.nbytes = end;
  assert_int_equal(put_column(m, 5, &c, 0), 1);
  static const uint32_t ranges[][2] = {{0, 8}, {0, 4}, {1, 2}, {4, 4}, {5, 2}, {2, 1}, {6, 1}};
  for (size_t j = 0; j < sizeof ranges / sizeof ranges[0]; j++) {
    uint32_t flags;
    int rej;
    assert_int_equal(rows_of(m, 5, ranges[j][0], ranges[j][1], &part, &flags, SIZE_MAX, &rej), 1);
    assert_int_equal(rej, 0);
    assert_int_equal(part.count, ranges[j][1]);
    assert_true(same_rows(&c, ranges[j][0], &part));
    assert_same_values(&c, ranges[j][0], &part);
    /* far-apart rows are copied one by one (no more bytes than theirs);
    ** rows 4..6, 40 bytes apart, in one read that keeps the gaps */
    size_t bytes = 0;
    for (uint32_t k = 0; k < part.count; k++)
      if (part.type[k] >= SQZ_CLASS_TEXT) bytes += part.len[k];
    if (ranges[j][0] < 4 && ranges[j][0] + ranges[j][1] > 1) assert_int_equal(part.nbytes, bytes);
    if (ranges[j][0] == 4) assert_int_equal(part.nbytes, bytes + 2 * 40);
    sqz_column_free(&part);
  }
  sqz_column_free(&c);
  munmap(m, REGION);
}

/* A DENSE entry gives its flag and no rows; a FAST one is a miss for a whole
** get (the caller decodes it faster) and a hit for row reads. */
static void test_region_rows_dense_and_fast(void **state) {
  (void)state;
  void *m = new_region(0);
  sqz_column ids, c, part, whole;
  make_column(&ids, 50, 7);
  assert_int_equal(put_column(m, 2, &ids, SQZ_CC_DENSE), 1);
  uint32_t flags;
  int rej, rec = 0;
  assert_int_equal(rows_of(m, 2, 3, 5, &part, &flags, SIZE_MAX, &rej), 1);
  assert_int_equal(flags, SQZ_CC_DENSE);
  assert_int_equal(part.count, 0);
  sqz_column_free(&part);
  make_mixed(&c, 300, 9);
  assert_int_equal(put_column(m, 3, &c, SQZ_CC_FAST), 1);
  rej = 0;
  assert_int_equal(get(m, 3, &whole, &rej, &rec), 0);
  assert_int_equal(rej, 0);
  assert_int_equal(whole.count, 0);
  sqz_column_free(&whole);
  for (int round = 0; round < 2; round++) { /* the miss above did not drop it */
    assert_int_equal(rows_of(m, 3, 10, 20, &part, &flags, SIZE_MAX, &rej), 1);
    assert_int_equal(rej, 0);
    assert_int_equal(flags, SQZ_CC_FAST);
    assert_int_equal(part.count, 20);
    assert_true(same_rows(&c, 10, &part));
    sqz_column_free(&part);
  }
  assert_int_equal(rows_of(m, 3, 299, 1, &part, &flags, SIZE_MAX, &rej), 1);
  assert_true(same_rows(&c, 299, &part));
  sqz_column_free(&part);
  sqz_column_free(&c);
  sqz_column_free(&ids);
  munmap(m, REGION);
}

/* The image bytes of col as chunk_cache.c lays them out (flags 0): where a
** test finds a unit of it in the region. Caller frees. */
static uint8_t *image_of(const sqz_column *col, uint64_t *len) {
  uint64_t n = col->count, k = kind_of(col), rs = rec_bytes((uint32_t)k);
  uint64_t nbytes = arena_bytes(col);
  *len = 16 + rs * n + nbytes;
  uint8_t *p = malloc((size_t)*len);
  assert_non_null(p);
  uint32_t head[2] = {col->count, (uint32_t)k << 8};
  memcpy(p, head, 8);
  memcpy(p + 8, &nbytes, 8);
  uint32_t end = 0;
  for (uint64_t r = 0; r < n; r++) {
    uint8_t *x = p + 16 + rs * r;
    if (k == 0) {
      x[0] = col->type[r];
      memcpy(x + 1, &col->v[r], 8);
      memcpy(x + 9, &col->len[r], 4);
    } else if (k <= 2) {
      memcpy(x, &col->v[r], 8);
    } else if (k >= 5) {
      uint32_t off = (uint32_t)col->v[r];
      memcpy(x, &off, 4);
      memcpy(x + 4, &col->len[r], 4);
    } else {
      end += col->len[r];
      memcpy(x, &end, 4);
    }
  }
  if (k == 3 || k == 4) {
    for (uint64_t r = 0; r < n; r++)
      if (col->len[r])
        memcpy(p + 16 + rs * n + packed_at(col, (uint32_t)r), col->bytes + col->v[r], col->len[r]);
  } else if (nbytes) {
    memcpy(p + 16 + rs * n, col->bytes, nbytes);
  }
  return p;
}

/* Columns of one class are stored as typed images (8-byte values; 4-byte
** end offsets and the rows' bytes one after another, whatever the decoder's
** arena held around or between them): every range reads back, whole gets
** too, and the image is as small as that; BLOB rows sharing bytes (a
** dictionary's) are stored with offsets and lengths, and a column with a
** NULL as mixed records; they read back as well. */
static void test_typed_images(void **state) {
  (void)state;
  static const uint8_t classes[] = {SQZ_CLASS_INT, SQZ_CLASS_REAL, SQZ_CLASS_TEXT, SQZ_CLASS_BLOB};
  for (uint32_t variant = 0; variant < 8; variant++) {
    void *m = new_region(0);
    sqz_column c, whole, part;
    uint32_t want_kind = variant + 1;
    if (variant < 4) {
      make_typed(&c, classes[variant], 500, 40 + variant);
    } else if (variant == 4) { /* bytes start past the arena's start: the image holds only them */
      sqz_column_init(&c, NULL);
      assert_int_equal(sqz_column_reserve(&c, 3, 64), 0);
      memset(c.bytes, 0xAB, 64);
      for (uint32_t k = 0; k < 3; k++)
        c.type[k] = SQZ_CLASS_TEXT, c.v[k] = 10 + 5 * k, c.len[k] = 5;
      c.count = 3, c.nbytes = 64;
      want_kind = 3;
    } else if (variant == 5) { /* TEXT rows out of order in the arena: packed in row order */
      make_typed(&c, SQZ_CLASS_TEXT, 50, 9);
      uint64_t t = c.v[3];
      uint32_t tl = c.len[3];
      c.v[3] = c.v[4], c.len[3] = c.len[4], c.v[4] = t, c.len[4] = tl;
      want_kind = 3;
    } else if (variant == 7) { /* BLOB rows sharing a dictionary's strings */
      make_typed(&c, SQZ_CLASS_BLOB, 5, 11);
      assert_int_equal(sqz_column_reserve(&c, 395, 0), 0);
      for (uint32_t k = 5; k < 400; k++)
        c.type[k] = SQZ_CLASS_BLOB, c.v[k] = c.v[k % 5], c.len[k] = c.len[k % 5];
      c.count = 400;
      want_kind = 6;
    } else { /* a NULL among TEXT rows: mixed */
      make_typed(&c, SQZ_CLASS_TEXT, 50, 10);
      c.type[7] = SQZ_CLASS_NULL, c.v[7] = 0, c.len[7] = 0;
      want_kind = 0;
    }
    assert_int_equal(kind_of(&c), want_kind);
    assert_int_equal(put_column(m, 2, &c, 0), 1);
    uint64_t entries, bytes, capacity;
    int rec = 0, rej = 0;
    assert_int_equal(sqz_cc_region_usage(m, REGION, &entries, &bytes, &capacity, &rec), 0);
    uint64_t len;
    free(image_of(&c, &len));
    assert_int_equal(bytes, len);
    if (want_kind == 1 || want_kind == 2) assert_int_equal(len, 16 + 8 * (uint64_t)c.count);
    assert_int_equal(get(m, 2, &whole, &rej, &rec), 1);
    assert_int_equal(rej, 0);
    assert_int_equal(whole.count, c.count);
    assert_same_values(&c, 0, &whole);
    for (uint32_t first = 0; first < c.count; first += 3) {
      for (uint32_t n = 1; n <= 70 && first + n <= c.count; n += 23) {
        uint32_t flags;
        assert_int_equal(rows_of(m, 2, first, n, &part, &flags, SIZE_MAX, &rej), 1);
        assert_int_equal(rej, 0);
        assert_int_equal(flags, 0);
        assert_int_equal(part.count, n);
        assert_same_values(&c, first, &part);
        sqz_column_free(&part);
      }
    }
    sqz_column_free(&whole);
    sqz_column_free(&c);
    munmap(m, REGION);
  }
}

/* Random bytes over each unit of *cp's entry in turn (in a new region each
** time): rows that do not touch the unit still read right; a read of rows
** that do is a miss that rejects (drops) the entry, never other bytes.
** Frees *cp. */
static void damaged_unit(sqz_column *cp) {
  sqz_column c = *cp, part;
  uint64_t len;
  uint8_t *image = image_of(&c, &len);
  uint64_t units = (len + SQZ_CC_UNIT - 1) / SQZ_CC_UNIT, upb = SQZ_CC_BLOCK / SQZ_CC_UNIT;
  assert_true(units > 2 * upb);
  /* a block is found by its first unit's bytes: enough of them to be unique */
  assert_true(len % SQZ_CC_BLOCK == 0 || len % SQZ_CC_BLOCK >= 64);
  uint8_t noise[SQZ_CC_UNIT];
  uint32_t flags;
  int rej;
  for (uint64_t u = 0; u < units; u++) {
    void *m = new_region(0);
    assert_int_equal(put_column(m, 5, &c, 0), 1);
    uint64_t b0 = u / upb * SQZ_CC_BLOCK; /* the image offset of u's block */
    uint64_t b1 = b0 + SQZ_CC_UNIT < len ? b0 + SQZ_CC_UNIT : len;
    uint8_t *block = memmem(m, REGION, image + b0, (size_t)(b1 - b0));
    assert_non_null(block);
    uint64_t lo = u * SQZ_CC_UNIT, hi = lo + SQZ_CC_UNIT < len ? lo + SQZ_CC_UNIT : len;
    uint8_t *at = block + (lo - b0);
    assert_memory_equal(at, image + lo, (size_t)(hi - lo)); /* the unit is there */
    test_fill_random(noise, sizeof noise, u + 1);
    assert_true(memcmp(noise, at, (size_t)(hi - lo)) != 0);
    memcpy(at, noise, (size_t)(hi - lo));
    uint32_t hit = UINT32_MAX, miss = UINT32_MAX;
    for (uint32_t r = 0; r < c.count && (hit == UINT32_MAX || miss == UINT32_MAX); r++) {
      if (row_touches(&c, r, lo, hi))
        miss = miss == UINT32_MAX ? r : miss;
      else
        hit = hit == UINT32_MAX ? r : hit;
    }
    assert_true(miss != UINT32_MAX); /* every unit holds some row's bytes */
    if (hit != UINT32_MAX) {
      assert_int_equal(rows_of(m, 5, hit, 1, &part, &flags, SIZE_MAX, &rej), 1);
      assert_int_equal(rej, 0);
      assert_true(same_rows(&c, hit, &part));
      sqz_column_free(&part);
    }
    uint32_t first = miss >= 2 ? miss - 2 : 0, n = first + 5 <= c.count ? 5 : c.count - first;
    assert_int_equal(rows_of(m, 5, first, n, &part, &flags, SIZE_MAX, &rej), 0);
    assert_int_equal(rej, 1);
    assert_int_equal(part.count, 0);
    sqz_column_free(&part);
    /* dropped: a plain miss now */
    assert_int_equal(rows_of(m, 5, miss, 1, &part, &flags, SIZE_MAX, &rej), 0);
    assert_int_equal(rej, 0);
    sqz_column_free(&part);
    munmap(m, REGION);
  }
  free(image);
  sqz_column_free(&c);
}

/* damaged_unit on an image of every kind. */
static void test_region_rows_damaged_unit(void **state) {
  (void)state;
  sqz_column c;
  make_mixed(&c, 300, 11);
  assert_int_equal(kind_of(&c), 0);
  damaged_unit(&c);
  static const uint8_t classes[] = {SQZ_CLASS_INT, SQZ_CLASS_REAL, SQZ_CLASS_TEXT, SQZ_CLASS_BLOB};
  for (uint32_t j = 0; j < 4; j++) {
    make_typed(&c, classes[j], classes[j] >= SQZ_CLASS_TEXT ? 200 : 4500, 12 + j);
    assert_int_equal(kind_of(&c), j + 1);
    damaged_unit(&c);
  }
  /* TEXT rows sharing a dictionary's 40 strings, out of row order */
  make_typed(&c, SQZ_CLASS_TEXT, 40, 17);
  assert_int_equal(sqz_column_reserve(&c, 4460, 0), 0);
  for (uint32_t k = 40; k < 4500; k++) { /* not periodic: a unit's bytes found once */
    uint32_t d = (uint32_t)((k * 2654435761u) >> 13) % 40;
    c.type[k] = SQZ_CLASS_TEXT, c.v[k] = c.v[d], c.len[k] = c.len[d];
  }
  c.count = 4500;
  assert_int_equal(kind_of(&c), 5);
  damaged_unit(&c);
}

static void die(int point) {
  (void)point;
  raise(SIGKILL);
}

/* A child killed while it holds the lock, 50 times; and killed in the middle
** of writing an entry: the parent's reads go on without waiting (they take no
** lock), and its next store recovers the lock each time. */
static void test_killed_holder(void **state) {
  (void)state;
  void *m = new_region(1);
  assert_int_equal(put(m, 1, 500), 1);
  int recoveries = 0;
  for (int t = 0; t < 50; t++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      if (t % 2) {
        sqz_cc_region_lock_for_test(m, REGION);
      } else {
        sqz_cc_hook = die; /* dies with half an image written */
        put(m, 100 + (uint64_t)t, 3000);
      }
      raise(SIGKILL);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    sqz_column got, want;
    int rej = 0, rec = 0;
    assert_int_equal(get(m, 1, &got, &rej, &rec), 1);
    assert_int_equal(rec, 0); /* a read never waits for the lock */
    sqz_column c;
    make_column(&c, 10, 7);
    sqz_cc_key k = key_of(900);
    uint64_t ev = 0;
    assert_int_equal(sqz_cc_region_put(m, REGION, &k, &c, 0, &ev, &rec), 1);
    sqz_column_free(&c);
    recoveries += rec;
    make_column(&want, 500, 1);
    assert_true(same_column(&got, &want));
    sqz_column_free(&got);
    sqz_column_free(&want);
    assert_int_equal(get(m, 100 + (uint64_t)t, &got, &rej, &rec), 0); /* never finished */
    sqz_column_free(&got);
  }
  assert_int_equal(recoveries, 50);
  uint64_t entries, bytes, cap;
  int rec = 0;
  assert_int_equal(sqz_cc_region_usage(m, REGION, &entries, &bytes, &cap, &rec), 0);
  assert_int_equal(entries, 2); /* 1 and 900; half-written entries dropped, their blocks freed */
  assert_int_equal(put(m, 2, 10000), 1); /* the freed blocks are there to take */
  munmap(m, REGION);
}

static char seg_name[128];

static void set_prefix(void) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "sqz-unit-%d", (int)getpid());
  setenv("SQUEEZE_CACHE_SEGMENT", prefix, 1);
  sqz_chunk_cache_segment_name(REGION, seg_name, sizeof seg_name);
}

/* Uses the process API with a fresh attach: size REGION, shared on. */
static void reattach(void) {
  assert_int_equal(sqz_chunk_cache_configure(0, 1), 0);
  assert_int_equal(sqz_chunk_cache_configure((int64_t)REGION, 1), 0);
}

static int api_get(uint64_t i, sqz_column *out) {
  uint32_t flags;
  sqz_column_init(out, NULL);
  sqz_cc_key k = key_of(i);
  return sqz_chunk_cache_get(&k, out, &flags, SIZE_MAX);
}

static void api_put(uint64_t i, uint32_t rows) {
  sqz_column c;
  make_column(&c, rows, i);
  sqz_cc_key k = key_of(i);
  sqz_chunk_cache_put(&k, &c, 0);
  sqz_column_free(&c);
}

/* Writes a formatted region with an entry for key 1 (column of seed 999, so
** a hit would be wrong) into a new segment of mode, owned by uid. */
static void plant_segment(mode_t mode, uid_t uid, size_t size) {
  shm_unlink(seg_name);
  int fd = shm_open(seg_name, O_RDWR | O_CREAT | O_EXCL, mode);
  assert_true(fd >= 0);
  assert_int_equal(fchmod(fd, mode), 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0);
  if (size == REGION) {
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(sqz_cc_region_format(m, size, 1), 0);
    sqz_column c;
    make_column(&c, 10, 999);
    sqz_cc_key k = key_of(1);
    uint64_t ev = 0;
    int rec = 0;
    assert_int_equal(sqz_cc_region_put(m, size, &k, &c, 0, &ev, &rec), 1);
    sqz_column_free(&c);
    munmap(m, size);
  }
  if (uid != geteuid()) assert_int_equal(fchown(fd, uid, (gid_t)-1), 0);
  close(fd);
}

static void seg_stat(struct stat *st) {
  char path[160];
  snprintf(path, sizeof path, "/dev/shm%s", seg_name);
  assert_int_equal(stat(path, st), 0);
}

/* n misses of new keys, each followed by its store, as point reads do;
** returns the evictions the shared segment counted meanwhile. */
static uint64_t miss_and_store(uint64_t from, int n) {
  sqz_cache_counters p0, s0, p1, s1;
  sqz_chunk_cache_counters(&p0, &s0);
  for (uint64_t i = from; i < from + (uint64_t)n; i++) {
    sqz_column out;
    assert_int_equal(api_get(i, &out), 0);
    sqz_column_free(&out);
    api_put(i, 500);
  }
  sqz_chunk_cache_counters(&p1, &s1);
  return s1.evictions - s0.evictions;
}

/* Admission: once reads miss more often than they hit and stores evict valid
** entries (the cache is smaller than what is read), one miss in 8 is stored,
** each such store evicting one entry; SQUEEZE_CACHE_KEEP=all stores every
** miss. */
static void test_admission_when_thrashing(void **state) {
  (void)state;
  set_prefix();
  shm_unlink(seg_name);
  unsetenv("SQUEEZE_CACHE_KEEP");
  reattach();
  miss_and_store(100000, 2000); /* fills the 1 MiB region, then thrashes */
  uint64_t ev = miss_and_store(200000, 800);
  assert_true(ev >= 800 / 8 && ev <= 3 * 800 / 8);
  setenv("SQUEEZE_CACHE_KEEP", "all", 1);
  reattach(); /* read when the cache is set up */
  ev = miss_and_store(300000, 800);
  assert_true(ev >= 800);
  unsetenv("SQUEEZE_CACHE_KEEP");
  reattach();
  shm_unlink(seg_name);
}

static void test_segment_shared_across_fork(void **state) {
  (void)state;
  set_prefix();
  shm_unlink(seg_name);
  reattach();
  api_put(1, 1000);
  struct stat st;
  seg_stat(&st);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(st.st_uid, geteuid());
  pid_t pid = fork();
  if (pid == 0) {
    reattach(); /* the child maps the segment afresh */
    sqz_column got;
    int ok = api_get(1, &got) == 1;
    api_put(2, 50);
    _exit(ok ? 0 : 1);
  }
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  sqz_column got;
  assert_int_equal(api_get(2, &got), 1); /* what the child stored */
  sqz_column_free(&got);
  sqz_cache_counters proc, shm;
  sqz_chunk_cache_counters(&proc, &shm);
  assert_true(shm.entries >= 2 && shm.hits >= 1);
  assert_int_equal(proc.capacity, 0);
  shm_unlink(seg_name);
}

/* A segment of an earlier layout version (same prefix and size, this user)
** is removed when this version creates its own: nothing of this version
** would ever use it, and it holds its reserved memory. */
static void test_older_versions_removed(void **state) {
  (void)state;
  set_prefix();
  char old[160];
  snprintf(old, sizeof old, "/dev/shm%.*s%d%s", (int)(strstr(seg_name, "-v") + 2 - seg_name),
           seg_name, SQZ_CC_VERSION - 1, strchr(strstr(seg_name, "-v") + 2, '-'));
  int fd = open(old, O_RDWR | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 4096), 0);
  close(fd);
  shm_unlink(seg_name);
  reattach();
  api_put(7, 10);
  struct stat st;
  assert_int_equal(stat(old, &st), -1); /* gone */
  seg_stat(&st);                        /* this version's is there */
  assert_int_equal(sqz_chunk_cache_configure(0, 1), 0);
  shm_unlink(seg_name);
}

static void test_segment_checks(void **state) {
  (void)state;
  set_prefix();
  sqz_cache_counters proc, shm;
  sqz_column got;
  /* mode 0644: not used (its planted entry never served), replaced by a 0600 one */
  plant_segment(0644, geteuid(), REGION);
  reattach();
  assert_int_equal(api_get(1, &got), 0);
  sqz_column_free(&got);
  struct stat st;
  seg_stat(&st);
  assert_int_equal(st.st_mode & 07777, 0600);
  /* the wrong size, and a damaged header: replaced */
  plant_segment(0600, geteuid(), REGION / 2);
  reattach();
  api_put(5, 10);
  assert_int_equal(api_get(5, &got), 1);
  sqz_column_free(&got);
  seg_stat(&st);
  assert_int_equal(st.st_size, (off_t)REGION);
  plant_segment(0600, geteuid(), REGION);
  int fd = shm_open(seg_name, O_RDWR, 0);
  assert_true(fd >= 0);
  uint32_t bad = 99;
  assert_int_equal(pwrite(fd, &bad, sizeof bad, 8), (ssize_t)sizeof bad); /* the version */
  close(fd);
  reattach();
  assert_int_equal(api_get(1, &got), 0);
  sqz_column_free(&got);
  sqz_chunk_cache_counters(&proc, &shm);
  assert_int_equal(shm.fallbacks, 0);
  /* another user's segment: not used, not removed; the process region serves */
  if (geteuid() == 0) {
    plant_segment(0600, 4242, REGION);
    reattach();
    assert_int_equal(api_get(1, &got), 0);
    sqz_column_free(&got);
    api_put(6, 10);
    assert_int_equal(api_get(6, &got), 1);
    sqz_column_free(&got);
    sqz_chunk_cache_counters(&proc, &shm);
    assert_int_equal(shm.fallbacks, 1);
    assert_true(proc.entries >= 1);
    seg_stat(&st);
    assert_int_equal(st.st_uid, 4242);
  }
  shm_unlink(seg_name);
}

static int no_space(int fd, off_t offset, off_t len) {
  (void)fd, (void)offset, (void)len;
  return ENOSPC;
}

static void test_shm_full(void **state) {
  (void)state;
  set_prefix();
  shm_unlink(seg_name);
  sqz_cache_counters proc, shm, proc2, shm2;
  sqz_chunk_cache_counters(&proc, &shm);
  sqz_cc_fallocate = no_space;
  reattach();
  api_put(7, 100);
  sqz_column got;
  assert_int_equal(api_get(7, &got), 1); /* the process region carries on */
  sqz_column_free(&got);
  sqz_chunk_cache_counters(&proc2, &shm2);
  assert_int_equal(shm2.fallbacks, shm.fallbacks + 1);
  assert_int_equal(shm2.capacity, 0);
  assert_true(proc2.entries == 1 && proc2.hits == proc.hits + 1);
  struct stat st;
  char path[160];
  snprintf(path, sizeof path, "/dev/shm%s", seg_name);
  assert_int_not_equal(stat(path, &st), 0); /* nothing half-made left behind */
  sqz_cc_fallocate = posix_fallocate;
  /* off: nothing kept */
  assert_int_equal(sqz_chunk_cache_configure(0, -1), 0);
  api_put(8, 10);
  assert_int_equal(api_get(8, &got), 0);
  sqz_column_free(&got);
  assert_int_equal(sqz_chunk_cache_configure(100, -1), -1); /* below the smallest size */
  shm_unlink(seg_name);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_clock_keeps_what_is_reused),
      cmocka_unit_test(test_random_damage),
      cmocka_unit_test(test_region_rows),
      cmocka_unit_test(test_region_rows_gapped_arena),
      cmocka_unit_test(test_typed_images),
      cmocka_unit_test(test_region_rows_dense_and_fast),
      cmocka_unit_test(test_region_rows_damaged_unit),
      cmocka_unit_test(test_killed_holder),
      cmocka_unit_test(test_admission_when_thrashing),
      cmocka_unit_test(test_segment_shared_across_fork),
      cmocka_unit_test(test_older_versions_removed),
      cmocka_unit_test(test_segment_checks),
      cmocka_unit_test(test_shm_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

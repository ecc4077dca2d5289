/*
** test_chunk.c: unit tests of the column chunk format (ext/table/sqt_chunk.c).
**
** - round trips of every class as primary, with NULLs (list and bitmap
**   forms), exceptions of every class, integers riding in a REAL stream,
**   all-NULL chunks, one row and SQZ_CHUNK_ROWS_MAX rows, empty strings;
** - the worked example of docs/format/chunk.md, byte for byte;
** - auto picks the expected kind of codec on real-looking data (a 1 s
**   timestamp series, 2-decimal readings, 12 sensor names) and an explicit
**   codec that does not fit the class is refused;
** - min/max rows agree with a naive scan under sqz_value_compare, whose
**   int/real comparison is checked at 2^53 and 2^63;
** - sqz_chunk_parse reports the header; sqz_column_append_rows copies a range
**   as row-by-row appends do;
** - damage: every truncation, every single-bit flip (checksum), a wrong tag,
**   wrong row count, a limit below the stream size, and hand-built chunks
**   with a valid checksum but inconsistent sections: always an error,
**   never a crash (ASan in make asan).
*/
#include "codec_test_util.h"

#include <math.h>

#include "bitstream.h"
#include "sqt_chunk.h"
#include "frame.h"
#include "varint.h"

static uint64_t bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static void add_int(sqz_column *c, int64_t x) {
  assert_int_equal(sqz_column_append(c, SQZ_CLASS_INT, (uint64_t)x, NULL, 0), 0);
}
static void add_real(sqz_column *c, double x) {
  assert_int_equal(sqz_column_append(c, SQZ_CLASS_REAL, bits(x), NULL, 0), 0);
}
static void add_text(sqz_column *c, const char *s) {
  assert_int_equal(sqz_column_append(c, SQZ_CLASS_TEXT, 0, s, strlen(s)), 0);
}
static void add_blob(sqz_column *c, const void *p, size_t n) {
  assert_int_equal(sqz_column_append(c, SQZ_CLASS_BLOB, 0, p, n), 0);
}
static void add_null(sqz_column *c) {
  assert_int_equal(sqz_column_append(c, SQZ_CLASS_NULL, 0, NULL, 0), 0);
}

/* Rows [start, start+n) of a equal b's rows 0..n-1 exactly. */
static void assert_same(const sqz_column *a, uint32_t start, uint32_t n, const sqz_column *b) {
  assert_int_equal(b->count, n);
  for (uint32_t i = 0; i < n; i++) {
    sqz_value x = sqz_column_value(a, start + i), y = sqz_column_value(b, i);
    assert_int_equal(x.cls, y.cls);
    if (x.cls == SQZ_CLASS_INT || x.cls == SQZ_CLASS_REAL) assert_true(x.v == y.v);
    assert_int_equal(x.n, y.n);
    if (x.n) assert_memory_equal(x.p, y.p, x.n);
  }
}

/* Encodes rows [start, start+n) of col with opts, checks determinism, min/max
** against a naive scan, decodes from an exact-size copy and compares. Returns
** the chunk size; *stats gets the encoder's stats. */
static size_t roundtrip_opts(const sqz_column *col, uint32_t start, uint32_t n,
                             const sqz_chunk_opts *o, sqz_chunk_stats *st) {
  sqz_buf a, b;
  sqz_buf_init(&a, NULL);
  sqz_buf_init(&b, NULL);
  assert_int_equal(sqz_chunk_encode(ctx, &a, col, start, n, o, st), 0);
  sqz_chunk_stats st2;
  assert_int_equal(sqz_chunk_encode(ctx, &b, col, start, n, o, &st2), 0);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.p, b.p, a.n);
  /* min/max against a naive scan */
  int64_t lo = -1, hi = -1;
  uint32_t nulls = 0;
  for (uint32_t i = 0; i < n; i++) {
    sqz_value x = sqz_column_value(col, start + i);
    if (x.cls == SQZ_CLASS_NULL) {
      nulls++;
      continue;
    }
    if (lo < 0) lo = hi = i;
    sqz_value l = sqz_column_value(col, start + (uint32_t)lo);
    sqz_value h = sqz_column_value(col, start + (uint32_t)hi);
    if (sqz_value_compare(&x, &l) < 0) lo = i;
    if (sqz_value_compare(&x, &h) > 0) hi = i;
  }
  assert_int_equal(st->nulls, nulls);
  assert_int_equal(st->rows, n);
  if (lo < 0) {
    assert_int_equal(st->min_row, -1);
    assert_int_equal(st->max_row, -1);
  } else {
    sqz_value x = sqz_column_value(col, start + (uint32_t)lo);
    sqz_value y = sqz_column_value(col, start + (uint32_t)st->min_row);
    assert_int_equal(sqz_value_compare(&x, &y), 0);
    x = sqz_column_value(col, start + (uint32_t)hi);
    y = sqz_column_value(col, start + (uint32_t)st->max_row);
    assert_int_equal(sqz_value_compare(&x, &y), 0);
  }
  sqz_chunk_info info;
  assert_int_equal(sqz_chunk_parse(&info, a.p, a.n), 0);
  assert_int_equal(info.rows, n);
  assert_int_equal(info.nulls, nulls);
  assert_int_equal(info.codec_id, st->codec_id);
  assert_true(info.tag == o->tag);
  uint8_t *exact = malloc(a.n);
  memcpy(exact, a.p, a.n);
  sqz_column out;
  sqz_column_init(&out, NULL);
  assert_int_equal(sqz_chunk_decode(ctx, &out, exact, a.n, n, o->tag, SIZE_MAX / 4), 0);
  assert_same(col, start, n, &out);
  /* decoding again into a used column gives the same */
  assert_int_equal(sqz_chunk_decode(ctx, &out, exact, a.n, n, o->tag, SIZE_MAX / 4), 0);
  assert_same(col, start, n, &out);
  sqz_column_free(&out);
  free(exact);
  size_t size = a.n;
  sqz_buf_free(&a);
  sqz_buf_free(&b);
  return size;
}

static size_t roundtrip(const sqz_column *col, sqz_class primary, sqz_chunk_stats *st) {
  sqz_chunk_opts o = {.primary = primary, .codec = NULL, .level = 0, .tag = 42};
  return roundtrip_opts(col, 0, col->count, &o, st);
}

static void test_mixed_classes(void **state) {
  (void)state;
  sqz_chunk_stats st;
  for (int primary = 0; primary <= SQZ_CLASS_BLOB; primary++) {
    sqz_column c;
    sqz_column_init(&c, NULL);
    for (int i = 0; i < 300; i++) {
      switch (i % 7) {
      case 0:
        add_int(&c, i * 1000003LL - 5);
        break;
      case 1:
        add_real(&c, i * 0.25);
        break;
      case 2:
        add_text(&c, i % 2 ? "x" : "");
        break;
      case 3:
        add_blob(&c, "\0\1\2", (size_t)(i % 4));
        break;
      case 4:
        add_null(&c);
        break;
      case 5:
        add_int(&c, i % 3 ? INT64_MIN : INT64_MAX);
        break;
      default:
        add_real(&c, i % 2 ? -0.0 : 1e300);
        break;
      }
    }
    roundtrip(&c, (sqz_class)primary, &st);
    sqz_column_free(&c);
  }
}

static void test_nulls(void **state) {
  (void)state;
  sqz_chunk_stats st;
  sqz_column c;
  sqz_column_init(&c, NULL);
  for (int i = 0; i < 1000; i++) {
    if (i % 97 == 3)
      add_null(&c); /* sparse: list form */
    else
      add_int(&c, i);
  }
  roundtrip(&c, SQZ_CLASS_INT, &st);
  sqz_column_clear(&c);
  for (int i = 0; i < 1000; i++) {
    if (i % 3)
      add_null(&c); /* dense: bitmap form */
    else
      add_real(&c, i / 8.0);
  }
  roundtrip(&c, SQZ_CLASS_REAL, &st);
  sqz_column_clear(&c);
  for (int i = 0; i < 77; i++)
    add_null(&c); /* all NULL */
  roundtrip(&c, SQZ_CLASS_TEXT, &st);
  assert_int_equal(st.nulls, 77);
  roundtrip(&c, SQZ_CLASS_NULL, &st);
  sqz_column_clear(&c);
  add_null(&c); /* one row */
  roundtrip(&c, SQZ_CLASS_INT, &st);
  sqz_column_clear(&c);
  add_text(&c, "only");
  roundtrip(&c, SQZ_CLASS_TEXT, &st);
  sqz_column_free(&c);
}

static void test_int_in_real(void **state) {
  (void)state;
  sqz_chunk_stats st;
  sqz_column c;
  sqz_column_init(&c, NULL);
  for (int i = 0; i < 2000; i++) {
    if (i % 5 == 0)
      add_int(&c, i); /* stored as doubles in the stream */
    else
      add_real(&c, i + 0.5);
  }
  add_int(&c, (1LL << 53) + 1); /* not exact as a double: a real exception */
  add_int(&c, INT64_MIN);       /* exact */
  add_int(&c, INT64_MAX);       /* not exact */
  size_t size = roundtrip(&c, SQZ_CLASS_REAL, &st);
  /* 400 integer rows cost their position and a class byte, not 9 bytes */
  assert_true(size < 2003 * 8);
  sqz_column_free(&c);
}

static void test_edges(void **state) {
  (void)state;
  sqz_chunk_stats st;
  sqz_column c;
  sqz_column_init(&c, NULL);
  for (uint32_t i = 0; i < SQZ_CHUNK_ROWS_MAX; i++)
    add_int(&c, 1700000000 + i);
  size_t size = roundtrip(&c, SQZ_CLASS_INT, &st);
  assert_true(size < 20000); /* 2 bytes per 128 values */
  /* a window in the middle */
  sqz_chunk_opts o = {.primary = SQZ_CLASS_INT, .codec = NULL, .level = 0, .tag = 7};
  roundtrip_opts(&c, 1000, 5000, &o, &st);
  assert_int_equal(st.min_row, 0);
  assert_int_equal(st.max_row, 4999);
  sqz_buf b;
  sqz_buf_init(&b, NULL);
  assert_int_equal(sqz_chunk_encode(ctx, &b, &c, 0, 0, &o, &st), SQZ_ERROR(PARAMETER));
  assert_int_equal(sqz_chunk_encode(ctx, &b, &c, c.count - 1, 2, &o, &st), SQZ_ERROR(PARAMETER));
  add_int(&c, 0);
  assert_int_equal(sqz_chunk_encode(ctx, &b, &c, 0, c.count, &o, &st), SQZ_ERROR(PARAMETER));
  sqz_buf_free(&b);
  sqz_column_clear(&c);
  for (int i = 0; i < 100; i++)
    add_text(&c, ""); /* empty strings */
  roundtrip(&c, SQZ_CLASS_TEXT, &st);
  sqz_column_free(&c);
}

static void test_auto_choice(void **state) {
  (void)state;
  sqz_chunk_stats st;
  sqz_column c;
  sqz_column_init(&c, NULL);
  for (int i = 0; i < 8192; i++)
    add_int(&c, 1700000000 + i);
  size_t size = roundtrip(&c, SQZ_CLASS_INT, &st);
  const sqz_codec *k = sqz_codec_by_id(st.codec_id);
  assert_non_null(k);
  assert_int_equal(k->kind, SQZ_KIND_INT64);
  assert_true(size < 200);
  assert_int_equal(st.raw_bytes, 8192 * 8);

  sqz_column_clear(&c);
  uint64_t x = 1;
  double v = 100.0;
  for (int i = 0; i < 8192; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v += ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 0.1;
    add_real(&c, round(v * 100) / 100);
  }
  size = roundtrip(&c, SQZ_CLASS_REAL, &st);
  k = sqz_codec_by_id(st.codec_id);
  assert_int_equal(k->kind, SQZ_KIND_FLOAT64);
  assert_true(size < 8192 * 2);

  sqz_column_clear(&c);
  for (int i = 0; i < 8192; i++) {
    char s[32];
    snprintf(s, sizeof s, "sensor-%02d", (i * 7) % 12);
    add_text(&c, s);
  }
  size = roundtrip(&c, SQZ_CLASS_TEXT, &st);
  assert_true(size < 8192);

  /* an explicit codec must fit the class; a level must be in range */
  sqz_buf b;
  sqz_buf_init(&b, NULL);
  sqz_chunk_opts o = {
      .primary = SQZ_CLASS_TEXT, .codec = sqz_codec_by_name("dod"), .level = 1, .tag = 0};
  assert_int_equal(sqz_chunk_encode(ctx, &b, &c, 0, c.count, &o, &st), SQZ_ERROR(PARAMETER));
  o.codec = sqz_codec_by_name("zstd");
  o.level = 99;
  assert_int_equal(sqz_chunk_encode(ctx, &b, &c, 0, c.count, &o, &st), SQZ_ERROR(LEVEL));
  o.level = 19;
  roundtrip_opts(&c, 0, c.count, &o, &st);
  assert_int_equal(st.codec_id, SQZ_ID_ZSTD);
  sqz_buf_free(&b);
  /* incompressible: store */
  sqz_column_clear(&c);
  uint8_t rnd[64];
  for (int i = 0; i < 50; i++) {
    test_fill_random(rnd, sizeof rnd, (uint64_t)i + 1);
    add_blob(&c, rnd, sizeof rnd);
  }
  roundtrip(&c, SQZ_CLASS_BLOB, &st);
  assert_int_equal(st.codec_id, SQZ_ID_STORE);
  sqz_column_free(&c);
}

static void test_compare(void **state) {
  (void)state;
  sqz_value a = {SQZ_CLASS_INT, (uint64_t)((1LL << 53) + 1), NULL, 0};
  sqz_value b = {SQZ_CLASS_REAL, bits(9007199254740992.0), NULL, 0};
  assert_true(sqz_value_compare(&a, &b) > 0);
  assert_true(sqz_value_compare(&b, &a) < 0);
  a.v = (uint64_t)(1LL << 53);
  assert_int_equal(sqz_value_compare(&a, &b), 0);
  a.v = (uint64_t)INT64_MAX;
  b.v = bits(9223372036854775808.0);
  assert_true(sqz_value_compare(&a, &b) < 0);
  a.v = (uint64_t)INT64_MIN;
  b.v = bits(-9223372036854775808.0);
  assert_int_equal(sqz_value_compare(&a, &b), 0);
  b.v = bits(-1e300);
  assert_true(sqz_value_compare(&a, &b) > 0);
  a.v = 2;
  b.v = bits(2.5);
  assert_true(sqz_value_compare(&a, &b) < 0);
  b.v = bits(-2.5);
  a.v = (uint64_t)-2;
  assert_true(sqz_value_compare(&a, &b) > 0);
  sqz_value n = {SQZ_CLASS_NULL, 0, NULL, 0};
  sqz_value t = {SQZ_CLASS_TEXT, 0, (const uint8_t *)"ab", 2};
  sqz_value t2 = {SQZ_CLASS_TEXT, 0, (const uint8_t *)"abc", 3};
  sqz_value bl = {SQZ_CLASS_BLOB, 0, (const uint8_t *)"", 0};
  assert_true(sqz_value_compare(&n, &a) < 0);
  assert_true(sqz_value_compare(&a, &t) < 0);
  assert_true(sqz_value_compare(&t, &t2) < 0);
  assert_true(sqz_value_compare(&t2, &bl) < 0);
  assert_int_equal(sqz_value_compare(&t, &t), 0);
}

/* A valid chunk for the damage tests. */
static void sample_chunk(sqz_buf *b, sqz_column *c) {
  sqz_column_init(c, NULL);
  for (int i = 0; i < 200; i++) {
    if (i % 17 == 0)
      add_null(c);
    else if (i % 23 == 0)
      add_text(c, "odd one");
    else
      add_real(c, i * 1.25);
  }
  sqz_buf_init(b, NULL);
  sqz_chunk_stats st;
  sqz_chunk_opts o = {.primary = SQZ_CLASS_REAL, .codec = NULL, .level = 0, .tag = 99};
  assert_int_equal(sqz_chunk_encode(ctx, b, c, 0, c->count, &o, &st), 0);
}

static size_t decode_copy(const uint8_t *p, size_t n, uint32_t rows, uint64_t tag, size_t limit) {
  uint8_t *exact = malloc(n ? n : 1);
  if (n) memcpy(exact, p, n);
  sqz_column out;
  sqz_column_init(&out, NULL);
  size_t r = sqz_chunk_decode(ctx, &out, exact, n, rows, tag, limit);
  if (r)
    assert_int_equal(out.count, 0);
  else
    assert_int_equal(out.count, rows);
  sqz_column_free(&out);
  free(exact);
  return r;
}

static void test_damage(void **state) {
  (void)state;
  sqz_buf b;
  sqz_column c;
  sample_chunk(&b, &c);
  assert_int_equal(decode_copy(b.p, b.n, 200, 99, 1 << 20), 0);
  for (size_t k = 0; k < b.n; k++)
    assert_true(sqz_is_error(decode_copy(b.p, k, 200, 99, 1 << 20)));
  for (size_t bit = 0; bit < b.n * 8; bit++) {
    b.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    assert_int_equal(decode_copy(b.p, b.n, 200, 99, 1 << 20), SQZ_ERROR(CHECKSUM));
    b.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  assert_int_equal(decode_copy(b.p, b.n, 200, 98, 1 << 20), SQZ_ERROR(CORRUPT));
  assert_int_equal(decode_copy(b.p, b.n, 199, 99, 1 << 20), SQZ_ERROR(CORRUPT));
  assert_int_equal(decode_copy(b.p, b.n, 200, 99, 100), SQZ_ERROR(TOO_LARGE));
  sqz_buf_free(&b);
  sqz_column_free(&c);
}

/* Re-seals a hand-edited chunk with a fresh checksum. */
static void reseal(uint8_t *p, size_t n) {
  sqz_store32le(p + n - 4, sqz_checksum(p, n - 4));
}

static void test_inconsistent_sections(void **state) {
  (void)state;
  /* hand-built: version 1, INT primary, list nulls, exceptions */
  uint8_t c[64];
  size_t n = 0;
  c[n++] = 1;
  c[n++] = SQZ_CLASS_INT | (1 << 3) | 0x20;
  c[n++] = 5; /* tag */
  c[n++] = 3; /* rows */
  c[n++] = 1; /* one NULL */
  c[n++] = 1; /* at row 1 */
  c[n++] = 1; /* one exception */
  c[n++] = 2; /* at row 2 */
  c[n++] = SQZ_CLASS_TEXT;
  c[n++] = 1;
  c[n++] = 'z';
  c[n++] = SQZ_ID_STORE;
  c[n++] = 8; /* raw: one int */
  c[n++] = 8; /* stored */
  for (int i = 0; i < 8; i++)
    c[n++] = i == 0 ? 42 : 0;
  n += 4;
  reseal(c, n);
  sqz_column out;
  sqz_column_init(&out, NULL);
  uint8_t *exact = malloc(n);
  memcpy(exact, c, n);
  assert_int_equal(sqz_chunk_decode(ctx, &out, exact, n, 3, 5, 1 << 20), 0);
  assert_int_equal(out.type[0], SQZ_CLASS_INT);
  assert_int_equal(out.v[0], 42);
  assert_int_equal(out.type[1], SQZ_CLASS_NULL);
  assert_int_equal(out.type[2], SQZ_CLASS_TEXT);
  free(exact);
  struct {
    size_t at;
    uint8_t value;
  } edits[] = {
      {7, 1},                               /* exception on the NULL row */
      {7, 3},                               /* exception past the last row */
      {5, 3},                               /* NULL past the last row */
      {8, SQZ_CLASS_INT},                   /* exception of the primary class */
      {8, 5},                               /* int-in-real exception in an INT chunk */
      {8, 9},                               /* unknown class */
      {12, 16},                             /* raw size not 8 per stream row */
      {11, 30},                             /* unknown codec */
      {11, SQZ_ID_DICT},                    /* codec that does not fit INT */
      {1, SQZ_CLASS_INT | (3 << 3) | 0x20}, /* null mode 3 */
      {1, 0x20 | (1 << 3)},                 /* primary class 0 */
      {1, SQZ_CLASS_INT | (1 << 3) | 0x60}, /* reserved bit */
      {0, 2},                               /* newer version */
      {3, 0},                               /* zero rows */
      {4, 0},                               /* zero NULLs in list form */
  };
  for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
    uint8_t d[64];
    memcpy(d, c, n);
    d[edits[k].at] = edits[k].value;
    reseal(d, n);
    size_t r = decode_copy(d, n, d[3] ? d[3] : 3, 5, 1 << 20);
    assert_true(sqz_is_error(r));
  }
  sqz_column_free(&out);
}

/* sqz_chunk_nulls reads the null section alone: it answers for a chunk
** whose stream is beyond decoding (here a codec id that does not exist, or
** a stream that declares 900 MB), checksummed, where sqz_chunk_decode fails. */
static void test_nulls_without_values(void **state) {
  (void)state;
  uint8_t c[64];
  size_t n = 0;
  c[n++] = 1;
  c[n++] = SQZ_CLASS_BLOB | (1 << 3); /* BLOB primary, list nulls */
  c[n++] = 9;                         /* tag */
  c[n++] = 4;                         /* rows */
  c[n++] = 2;                         /* two NULLs */
  c[n++] = 1;                         /* at row 1 */
  c[n++] = 1;                         /* and row 3 */
  c[n++] = 30;                        /* no such codec */
  n += sqz_varint_put(c + n, 10, 900000000);
  c[n++] = 1; /* stored: one byte */
  c[n++] = 0;
  n += 4;
  reseal(c, n);
  uint8_t isnull[4];
  assert_int_equal(sqz_chunk_nulls(c, n, 4, 9, isnull), 0);
  assert_int_equal(isnull[0], 0);
  assert_int_equal(isnull[1], 1);
  assert_int_equal(isnull[2], 0);
  assert_int_equal(isnull[3], 1);
  assert_true(sqz_is_error(decode_copy(c, n, 4, 9, 1 << 20)));
  /* the same checks as decoding: rows, tag, checksum */
  assert_true(sqz_is_error(sqz_chunk_nulls(c, n, 5, 9, isnull)));
  assert_true(sqz_is_error(sqz_chunk_nulls(c, n, 4, 8, isnull)));
  c[5] ^= 1;
  assert_int_equal(sqz_chunk_nulls(c, n, 4, 9, isnull), SQZ_ERROR(CHECKSUM));
}

static void test_real_series(void **state) {
  (void)state;
  size_t n;
  uint8_t *csv = test_read_file("examples/data/seattle-weather-hourly-normals.csv", &n);
  sqz_column date, temp;
  sqz_column_init(&date, NULL);
  sqz_column_init(&temp, NULL);
  char *line = strtok((char *)csv, "\n");
  line = strtok(NULL, "\n"); /* header */
  while (line) {
    char *comma = strchr(line, ',');
    if (comma) {
      *comma = 0;
      add_text(&date, line);
      double p, t, w;
      if (sscanf(comma + 1, "%lf,%lf,%lf", &p, &t, &w) == 3)
        add_real(&temp, t);
      else
        add_null(&temp);
    }
    line = strtok(NULL, "\n");
  }
  sqz_chunk_stats st;
  size_t size = roundtrip(&temp, SQZ_CLASS_REAL, &st);
  assert_true(size * 4 < (size_t)temp.count * 8);
  roundtrip(&date, SQZ_CLASS_TEXT, &st);
  sqz_column_free(&date);
  sqz_column_free(&temp);
  free(csv);
}

/* sqz_column_append_rows copies a range as row-by-row appends would: every
** class, arena offsets rebased, empty ranges, and a range past the end refused
** with the column unchanged. */
static void test_append_rows(void **state) {
  (void)state;
  sqz_column src, a, b;
  sqz_column_init(&src, NULL);
  sqz_column_init(&a, NULL);
  sqz_column_init(&b, NULL);
  for (int i = 0; i < 300; i++) {
    switch (i % 5) {
    case 0:
      add_int(&src, i * 1000003LL);
      break;
    case 1:
      add_real(&src, i / 7.0);
      break;
    case 2:
      add_text(&src, i % 10 ? "north" : "");
      break;
    case 3:
      add_blob(&src, "\0\1\2", (size_t)(i % 4));
      break;
    default:
      add_null(&src);
      break;
    }
  }
  add_text(&a, "first"); /* a non-empty arena before the copy */
  add_text(&b, "first");
  uint32_t cuts[][2] = {{0, 0}, {0, 1}, {7, 93}, {100, 200}, {299, 1}, {300, 0}};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    assert_int_equal(sqz_column_append_rows(&a, &src, cuts[k][0], cuts[k][1]), 0);
    for (uint32_t i = cuts[k][0]; i < cuts[k][0] + cuts[k][1]; i++)
      assert_int_equal(sqz_column_append_row(&b, &src, i), 0);
  }
  assert_int_equal(a.count, b.count);
  assert_same(&a, 0, b.count, &b);
  uint32_t count = a.count;
  size_t nbytes = a.nbytes;
  assert_true(sqz_is_error(sqz_column_append_rows(&a, &src, 250, 51)));
  assert_true(sqz_is_error(sqz_column_append_rows(&a, &src, 301, 0)));
  assert_int_equal(a.count, count);
  assert_int_equal(a.nbytes, nbytes);
  sqz_column_free(&src);
  sqz_column_free(&a);
  sqz_column_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mixed_classes), cmocka_unit_test(test_nulls),
      cmocka_unit_test(test_int_in_real),   cmocka_unit_test(test_edges),
      cmocka_unit_test(test_auto_choice),   cmocka_unit_test(test_compare),
      cmocka_unit_test(test_damage),        cmocka_unit_test(test_inconsistent_sections),
      cmocka_unit_test(test_real_series),   cmocka_unit_test(test_nulls_without_values),
      cmocka_unit_test(test_append_rows),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}

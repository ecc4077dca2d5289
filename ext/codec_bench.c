/*
** vt_codec_bench.c: codec_bench, a table-valued function that measures every
** codec on the values of one column of the user's own table.
**
**   .load ./build/squeeze
**   CREATE TABLE mail(id INTEGER PRIMARY KEY, body TEXT);
**   INSERT INTO mail(body) SELECT 'Dear reader, issue ' || value || ' is out.'
**     FROM generate_series(1, 1000);
**   SELECT codec, level, ratio, compress_mb_s, decompress_mb_s
**     FROM codec_bench('mail', 'body') ORDER BY ratio DESC;
**   SELECT * FROM codec_bench('mail', 'body', 'zstd:1,zstd:19,lz4,huffman',
**                             'sample=500,passes=5,mode=column,seed=7');
**
** Arguments (hidden columns table_name, column_name, codecs, options):
**   table_name   a table, view or virtual table; 'schema.table' also works
**   column_name  one of its columns
**   codecs       NULL for every codec that fits the values, else a comma
**                separated list of name[:level], level being a number,
**                min, default, max or a range A..B; a bare name means the
**                levels of the default list (min, default, max capped at 19)
**   options      sample=N (a seeded random sample of N values, in table
**                order), passes=N (timed passes, median reported, default
**                3), mode=value|column, seed=N (default 1), chunk_rows=N
**                (default 8192)
**
** The column's values are read once (NULLs skipped, in table order), then each
** row measures one codec and level with the very code compress() runs
** (sqz_frame_compress, same flags), so output_bytes is exactly
** SUM(length(compress(col, codec, level))) over the same values:
**   - kind bytes codecs take the TEXT and BLOB values, one frame per value
**     (mode=value) or one frame per chunk of chunk_rows values concatenated
**     (mode=column, what a column store keeps);
**   - kind float64 codecs take the REAL values, kind int64 codecs the INTEGER
**     values, as one little-endian array per chunk of chunk_rows values, the
**     way the column store encodes a numeric column, in either mode;
**   - kind text codecs take the column store's own input form: not measured.
** Each row uses a fresh sqz_ctx, so memory_bytes is that codec's own peak
** scratch plus the library contexts it created. Rows are produced one at a
** time (xNext measures the next codec), so the sqlite3 shell shows them as
** they come, and sqlite3_interrupt() stops the benchmark within about 10 ms
** (or one codec call, when a single value or chunk takes longer). Nothing is
** written to the database. The table is
** registered SQLITE_VTAB_DIRECTONLY: a view or trigger cannot run it.
**
** docs/codec_bench.md is the reference page, with tested examples.
*/
#include "register.h"
#include "options.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef _WIN32
#include <io.h>
#define bench_stderr_is_tty() _isatty(_fileno(stderr))
#else
#include <unistd.h>
#define bench_stderr_is_tty() isatty(2)
#endif

#include "bitstream.h"
#include "frame.h"

#define FN "codec_bench"
#define BENCH_PASSES_MAX 100
#define BENCH_LEVEL_CAP 19            /* highest level of the default list */
#define BENCH_CHECK_BYTES (16u << 10) /* work between two looks at the clock */
#define BENCH_PIECE_WEIGHT 64u        /* bytes of work each piece counts for */
#define BENCH_PROBE_SECONDS 0.01      /* time between two interrupt checks */
#define BENCH_CHUNK_ROWS_MAX 1048576  /* largest chunk_rows option */
#define BENCH_SAMPLE_MAX 1000000000LL /* largest sample option */

/* Columns, in the order of the schema below. */
enum {
  COL_CODEC,
  COL_LEVEL,
  COL_VALUE_COUNT,
  COL_INPUT_BYTES,
  COL_OUTPUT_BYTES,
  COL_RATIO,
  COL_COMPRESS_MB_S,
  COL_DECOMPRESS_MB_S,
  COL_MEMORY_BYTES,
  COL_ROUNDTRIP_OK,
  COL_BITS_PER_VALUE,
  COL_TABLE, /* hidden arguments from here on */
  COL_COLUMN,
  COL_CODECS,
  COL_OPTIONS,
  COL_COUNT
};
#define BENCH_ARGS (COL_COUNT - COL_TABLE)

static const char bench_schema[] =
    "CREATE TABLE x(codec TEXT, level INTEGER, value_count INTEGER, input_bytes INTEGER,"
    " output_bytes INTEGER, ratio REAL, compress_mb_s REAL, decompress_mb_s REAL,"
    " memory_bytes INTEGER, roundtrip_ok INTEGER, bits_per_value REAL,"
    " table_name HIDDEN, column_name HIDDEN, codecs HIDDEN, options HIDDEN)";

/* ---- What is measured ---------------------------------------------------- */

/* One input of one compress call: bytes [off, off+len) of its set's source,
** compressed with the frame flags (SQZ_FRAME_TEXT, SQZ_FRAME_KEEP_CODEC). */
typedef struct bench_piece {
  size_t off;
  size_t len;
  unsigned flags;
} bench_piece;

/* A growable array of pieces, memory from sqlite3_malloc64. */
typedef struct bench_pieces {
  bench_piece *a; /* the pieces */
  size_t n;       /* pieces in use */
  size_t cap;     /* pieces allocated */
} bench_pieces;

/* A growable byte buffer, memory from sqlite3_malloc64. */
typedef struct bench_bytes {
  uint8_t *p; /* the bytes */
  size_t n;   /* bytes in use */
  size_t cap; /* bytes allocated */
} bench_bytes;

/* The sets of pieces a codec can be measured on. */
enum { SET_VALUES, SET_BYTE_CHUNKS, SET_REALS, SET_INTS, SET_COUNT };

/* The column's values, read once per scan. */
typedef struct bench_input {
  bench_bytes bytes;            /* TEXT and BLOB values back to back, table order */
  bench_bytes reals;            /* REAL values, little-endian IEEE-754 doubles */
  bench_bytes ints;             /* INTEGER values, little-endian int64 */
  bench_pieces sets[SET_COUNT]; /* SET_VALUES: one piece per TEXT/BLOB value;
                                   the others: one piece per chunk */
} bench_input;

/* One row to produce: a codec at a level, on one set. */
typedef struct bench_job {
  const sqz_codec *codec;
  int level;
  int set; /* SET_* */
} bench_job;

/* The options argument, parsed. */
typedef struct bench_options {
  sqlite3_int64 sample; /* values to sample, 0 for all of them */
  sqlite3_int64 seed;   /* seed of the sample */
  int passes;           /* timed passes per row; the median is reported */
  int column_mode;      /* mode=column: byte codecs on chunks, not values */
  int chunk_rows;       /* values per chunk */
} bench_options;

/* One codec of the codecs argument: a codec at levels lo..hi, or at the
** levels of the default list when representative is set. */
typedef struct bench_request {
  const sqz_codec *codec;
  int lo, hi;
  int representative;
} bench_request;

/* One measured row. */
typedef struct bench_row {
  const sqz_codec *codec;
  int level;
  int typed;                  /* a float64/int64 codec: bits_per_value is set */
  sqlite3_int64 value_count;  /* values measured */
  sqlite3_int64 input_bytes;  /* their bytes */
  sqlite3_int64 output_bytes; /* the frames' bytes */
  sqlite3_int64 memory_bytes; /* peak scratch + context bytes of the row's sqz_ctx */
  double compress_s;          /* median seconds of one compress pass */
  double decompress_s;        /* median seconds of one decompress pass */
  int roundtrip_ok;           /* every piece decoded back to itself */
} bench_row;

/* The state of one scan (the tvf.h cursor's state). */
typedef struct bench_cursor {
  sqz_tvf_cursor *tc;                 /* the cursor this state belongs to */
  sqlite3_stmt *probe;                /* "SELECT 1": stepping it notices sqlite3_interrupt() */
  size_t since_check;                 /* work (bytes) since the clock was last read */
  double last_probe;                  /* bench_now() when the probe was last stepped */
  sqlite3_int64 length_limit;         /* SQLITE_LIMIT_LENGTH */
  bench_options opt;                  /* the options argument */
  bench_input in;                     /* the values */
  bench_job *jobs;                    /* rows to produce, sqlite3_malloc64'd */
  int njobs;                          /* entries in jobs */
  int ijob;                           /* the current row: jobs[ijob] */
  bench_row row;                      /* the current row's measurements */
  bench_bytes frames;                 /* compressed frames of one pass, back to back */
  bench_bytes work;                   /* scratch: one frame, or one decoded piece */
  size_t *frame_sizes;                /* the size of each frame, one per piece */
  size_t frame_sizes_cap;             /* entries allocated in frame_sizes */
  double times[2 * BENCH_PASSES_MAX]; /* pass timings of the current row */
  int progress;                       /* stderr is a terminal: print a line per row */
} bench_cursor;

/* ---- Small helpers ------------------------------------------------------- */

/* Sets the scan's error message to "codec_bench: <printf message>" and
** returns rc, or SQLITE_NOMEM when the message cannot be allocated. */
static int bench_error(bench_cursor *cur, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  rc = msg ? sqz_tvf_error(cur->tc, rc, "%s", msg) : SQLITE_NOMEM;
  sqlite3_free(msg);
  return rc;
}

/* Makes room for at least need elements of elem bytes in *p, which has *cap
** elements allocated, growing by doubling through sqlite3_realloc64. Returns
** SQLITE_OK or SQLITE_NOMEM (then *p is unchanged and still owned by the
** caller). */
static int bench_reserve(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return SQLITE_OK;
  size_t n = *cap ? *cap : 64;
  while (n < need) {
    if (n > SIZE_MAX / 2 / elem) return SQLITE_NOMEM;
    n *= 2;
  }
  void *q = sqlite3_realloc64(*p, (sqlite3_uint64)n * elem);
  if (!q) return SQLITE_NOMEM;
  *p = q;
  *cap = n;
  return SQLITE_OK;
}

/* Appends n bytes of src to b. SQLITE_OK or SQLITE_NOMEM. */
static int bench_bytes_add(bench_bytes *b, const void *src, size_t n) {
  if (n > SIZE_MAX - b->n) return SQLITE_NOMEM;
  int rc = bench_reserve((void **)&b->p, &b->cap, b->n + n, 1);
  if (rc != SQLITE_OK) return rc;
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
  return SQLITE_OK;
}

/* Appends the piece (off, len, flags) to list. SQLITE_OK or SQLITE_NOMEM. */
static int bench_pieces_add(bench_pieces *list, size_t off, size_t len, unsigned flags) {
  int rc = bench_reserve((void **)&list->a, &list->cap, list->n + 1, sizeof(bench_piece));
  if (rc != SQLITE_OK) return rc;
  list->a[list->n++] = (bench_piece){off, len, flags};
  return SQLITE_OK;
}

/* Frees the buffers of in and empties it. */
static void bench_input_clear(bench_input *in) {
  sqlite3_free(in->bytes.p);
  sqlite3_free(in->reals.p);
  sqlite3_free(in->ints.p);
  for (int i = 0; i < SET_COUNT; i++)
    sqlite3_free(in->sets[i].a);
  memset(in, 0, sizeof(*in));
}

/* Seconds on a monotonic clock. */
static double bench_now(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC
  clock_gettime(CLOCK_MONOTONIC, &ts);
#else
  timespec_get(&ts, TIME_UTC);
#endif
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort comparator for doubles. */
static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of the n (>= 1) values of v; sorts v in place. */
static double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Next value of the splitmix64 generator whose state is *s: a fixed,
** portable sequence, so a seed picks the same sample on every machine. */
static uint64_t bench_random(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---- Arguments ------------------------------------------------------------ */

/* The options codec_bench knows, in the order of bench_option_spec. */
enum { OPT_SAMPLE, OPT_PASSES, OPT_MODE, OPT_SEED, OPT_CHUNK_ROWS, OPT_COUNT };
static const char *const bench_modes[] = {"value", "column", NULL};
static const sqz_opt bench_option_spec[OPT_COUNT] = {
    {"sample", SQZ_OPT_INT, 1, BENCH_SAMPLE_MAX, NULL},
    {"passes", SQZ_OPT_INT, 1, BENCH_PASSES_MAX, NULL},
    {"mode", SQZ_OPT_WORD, 0, 0, bench_modes},
    {"seed", SQZ_OPT_INT, INT64_MIN, INT64_MAX, NULL},
    {"chunk_rows", SQZ_OPT_INT, 1, BENCH_CHUNK_ROWS_MAX, NULL},
};

/* Parses the options text (NULL: none) into *o, defaults first. Returns
** SQLITE_OK, or SQLITE_ERROR with the scan's message naming the option. */
static int bench_parse_options(bench_cursor *cur, const char *text, bench_options *o) {
  sqz_opt_value v[OPT_COUNT] = {{0, 0, NULL}};
  char err[SQZ_OPT_ERROR_MAX];
  if (text && sqz_options_parse(text, bench_option_spec, OPT_COUNT, v, err, sizeof err) != 0)
    return bench_error(cur, SQLITE_ERROR, "%s", err);
  o->sample = v[OPT_SAMPLE].set ? v[OPT_SAMPLE].v : 0;
  o->passes = v[OPT_PASSES].set ? (int)v[OPT_PASSES].v : 3;
  o->column_mode = v[OPT_MODE].set && v[OPT_MODE].v == 1;
  o->seed = v[OPT_SEED].set ? v[OPT_SEED].v : 1;
  o->chunk_rows = v[OPT_CHUNK_ROWS].set ? (int)v[OPT_CHUNK_ROWS].v : 8192;
  return SQLITE_OK;
}

/* Parses one level of codec: a number in its range, or min, default, max.
** Returns 0 when s is none of these. */
static int bench_parse_level(const sqz_codec *codec, const char *s, int *level) {
  int64_t v;
  if (strcasecmp(s, "min") == 0) {
    *level = codec->min_level;
  } else if (strcasecmp(s, "default") == 0) {
    *level = codec->default_level;
  } else if (strcasecmp(s, "max") == 0) {
    *level = codec->max_level;
  } else if (sqz_parse_int64(s, &v) == 0 && v >= codec->min_level && v <= codec->max_level) {
    *level = (int)v;
  } else {
    return 0;
  }
  return 1;
}

/* Parses one item "name[:level]" of the codecs argument into *r. Returns
** SQLITE_OK, or SQLITE_ERROR with the scan's message (unknown codec, bad level). */
static int bench_parse_request(bench_cursor *cur, char *item, bench_request *r) {
  char *colon = strchr(item, ':');
  if (colon) *colon = 0;
  r->codec = sqz_codec_by_name(item);
  if (!r->codec) {
    char names[512];
    return bench_error(cur, SQLITE_ERROR, "unknown codec '%s' (known: %s)", item,
                       sqz_codec_names(names, sizeof names));
  }
  r->representative = colon == NULL;
  r->lo = r->hi = r->codec->default_level;
  if (!colon) return SQLITE_OK;
  char *spec = colon + 1;
  char *dots = strstr(spec, "..");
  if (dots) *dots = 0;
  int ok = bench_parse_level(r->codec, spec, &r->lo);
  r->hi = r->lo;
  if (ok && dots) ok = bench_parse_level(r->codec, dots + 2, &r->hi) && r->lo <= r->hi;
  if (dots) *dots = '.';
  if (!ok)
    return bench_error(cur, SQLITE_ERROR,
                       "bad level '%s' for %s (a number from %d to %d, min, default, max,"
                       " or a range A..B)",
                       spec, r->codec->name, r->codec->min_level, r->codec->max_level);
  return SQLITE_OK;
}

/* Parses the codecs argument (NULL: every codec) into a new array *out of
** *count requests, sqlite3_malloc64'd: the caller frees it. Returns
** SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with the scan's message. */
static int bench_parse_codecs(bench_cursor *cur, const char *text, bench_request **out,
                              int *count) {
  *out = NULL;
  *count = 0;
  if (!text) return SQLITE_OK;
  size_t max = 1;
  for (const char *p = text; *p; p++)
    max += *p == ',';
  bench_request *r = sqlite3_malloc64(max * sizeof(*r));
  if (!r) return SQLITE_NOMEM;
  const char *p;
  size_t len;
  int n = 0, rc = SQLITE_OK;
  while (rc == SQLITE_OK && sqz_list_next(&text, &p, &len)) {
    char item[64];
    if (len >= sizeof item) {
      rc = bench_error(cur, SQLITE_ERROR, "codec name too long");
    } else if (len) {
      memcpy(item, p, len);
      item[len] = 0;
      rc = bench_parse_request(cur, item, &r[n]);
      n += rc == SQLITE_OK;
    }
  }
  if (rc == SQLITE_OK && n == 0) rc = bench_error(cur, SQLITE_ERROR, "the codec list is empty");
  if (rc != SQLITE_OK) {
    sqlite3_free(r);
    return rc;
  }
  *out = r;
  *count = n;
  return SQLITE_OK;
}

/* ---- Reading the column --------------------------------------------------- */

/* Checks that column exists in table (optionally "schema.table") and writes
** into *sql a new "SELECT ... FROM ..." statement text reading the column's
** non-NULL values in table order, and into *count_sql the statement counting
** them; both sqlite3_mprintf'd, the caller frees them. Returns SQLITE_OK,
** SQLITE_NOMEM, or SQLITE_ERROR with the scan's message. */
static int bench_source_sql(bench_cursor *cur, sqlite3 *db, const char *table, const char *column,
                            char **sql, char **count_sql) {
  *sql = *count_sql = NULL;
  /* pragma_table_xinfo lists a table's, view's or virtual table's columns,
  ** hidden ones included, searching temp, main and attached schemas. */
  static const char lookup[] = "SELECT (SELECT count(*) FROM pragma_table_xinfo(?1, ?2)),"
                               " (SELECT name FROM pragma_table_xinfo(?1, ?2) WHERE name = ?3"
                               " COLLATE NOCASE)";
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2(db, lookup, -1, &stmt, NULL);
  if (rc != SQLITE_OK) return rc;
  char *schema = NULL;
  const char *name = table;
  int found = 0, has_column = 0;
  for (int attempt = 0; attempt < 2 && !found && rc == SQLITE_OK; attempt++) {
    if (attempt == 1) { /* "schema.table" */
      const char *dot = strchr(table, '.');
      if (!dot) break;
      schema = sqlite3_mprintf("%.*s", (int)(dot - table), table);
      if (!schema) {
        rc = SQLITE_NOMEM;
        break;
      }
      name = dot + 1;
    }
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, schema, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, column, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      found = sqlite3_column_int(stmt, 0) > 0;
      has_column = sqlite3_column_type(stmt, 1) != SQLITE_NULL;
    } else {
      rc = sqlite3_reset(stmt);
      /* an unknown schema name is an error of the pragma: no such table */
      if (rc == SQLITE_ERROR) rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_OK && !found) {
    rc = bench_error(cur, SQLITE_ERROR, "no such table: '%s'", table);
  } else if (rc == SQLITE_OK && !has_column) {
    rc = bench_error(cur, SQLITE_ERROR, "table '%s' has no column '%s'", table, column);
  } else if (rc == SQLITE_OK) {
    /* NOT INDEXED: read in table order, never through a (sorted) index. */
    char *from =
        schema ? sqlite3_mprintf("\"%w\".\"%w\"", schema, name) : sqlite3_mprintf("\"%w\"", name);
    if (from) {
      *sql = sqlite3_mprintf("SELECT \"%w\" FROM %s NOT INDEXED WHERE \"%w\" IS NOT NULL", column,
                             from, column);
      *count_sql = sqlite3_mprintf("SELECT count(\"%w\") FROM %s", column, from);
      sqlite3_free(from);
    }
    if (!*sql || !*count_sql) rc = SQLITE_NOMEM;
  }
  sqlite3_free(schema);
  return rc;
}

/* Runs sql, a statement with one row of one integer, into *v. Returns an
** SQLite result code (SQLITE_INTERRUPT when interrupted). */
static int bench_query_int(sqlite3 *db, const char *sql, sqlite3_int64 *v) {
  sqlite3_stmt *stmt;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK) return rc;
  *v = 0;
  if (sqlite3_step(stmt) == SQLITE_ROW) *v = sqlite3_column_int64(stmt, 0);
  rc = sqlite3_finalize(stmt);
  return rc;
}

/* Adds the current value of stmt's column 0 to in: TEXT/BLOB bytes to
** in->bytes with a piece in in->sets[SET_VALUES], REAL and INTEGER values as
** 8 little-endian bytes to in->reals / in->ints. SQLITE_OK or SQLITE_NOMEM. */
static int bench_take_value(sqlite3_stmt *stmt, bench_input *in) {
  uint8_t word[8];
  switch (sqlite3_column_type(stmt, 0)) {
  case SQLITE_INTEGER:
    sqz_store64le(word, (uint64_t)sqlite3_column_int64(stmt, 0));
    return bench_bytes_add(&in->ints, word, 8);
  case SQLITE_FLOAT: {
    double d = sqlite3_column_double(stmt, 0);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    sqz_store64le(word, bits);
    return bench_bytes_add(&in->reals, word, 8);
  }
  case SQLITE_TEXT:
  case SQLITE_BLOB: {
    int text = sqlite3_column_type(stmt, 0) == SQLITE_TEXT;
    const void *p =
        text ? (const void *)sqlite3_column_text(stmt, 0) : sqlite3_column_blob(stmt, 0);
    size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
    if (!p && n) return SQLITE_NOMEM;
    size_t off = in->bytes.n;
    int rc = bench_bytes_add(&in->bytes, p, n);
    if (rc == SQLITE_OK)
      rc = bench_pieces_add(&in->sets[SET_VALUES], off, n, text ? SQZ_FRAME_TEXT : 0);
    return rc;
  }
  default:
    return SQLITE_OK;
  }
}

/* Reads the non-NULL values of column of table into cur->in: all of them, or
** with sample=N a sample of N chosen by Knuth's selection sampling
** (Algorithm S) from the seeded generator, which keeps table order. Returns
** an SQLite result code; errors other than interrupt/NOMEM carry the scan's
** message. */
static int bench_load(bench_cursor *cur, sqlite3 *db, const char *table, const char *column) {
  char *sql, *count_sql;
  int rc = bench_source_sql(cur, db, table, column, &sql, &count_sql);
  sqlite3_int64 remaining = 0;
  if (rc == SQLITE_OK && cur->opt.sample) rc = bench_query_int(db, count_sql, &remaining);
  sqlite3_stmt *stmt = NULL;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT &&
      !cur->tc->base.pVtab->zErrMsg)
    rc = bench_error(cur, rc, "%s", sqlite3_errmsg(db));
  sqlite3_free(sql);
  sqlite3_free(count_sql);
  if (rc != SQLITE_OK) return rc;
  uint64_t state = (uint64_t)cur->opt.seed;
  sqlite3_int64 need = cur->opt.sample;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (cur->opt.sample) {
      if (need == 0 || remaining <= 0) break;
      int take = bench_random(&state) % (uint64_t)remaining < (uint64_t)need;
      remaining--;
      if (!take) continue;
      need--;
    }
    rc = bench_take_value(stmt, &cur->in);
    if (rc != SQLITE_OK) break;
  }
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT)
    rc = bench_error(cur, rc, "reading %s.%s: %s", table, column, sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  return rc;
}

/* Cuts the pieces of values (of src, contiguous) into chunks of chunk_rows
** consecutive pieces, appending one piece per chunk to out; a chunk is TEXT
** when all its values are. Chunks larger than limit bytes are refused, as the
** column store could not keep them in one BLOB. Returns SQLITE_OK,
** SQLITE_NOMEM, or SQLITE_TOOBIG with the scan's message. */
static int bench_chunk(bench_cursor *cur, const bench_pieces *values, int chunk_rows,
                       sqlite3_int64 limit, bench_pieces *out) {
  for (size_t i = 0; i < values->n; i += (size_t)chunk_rows) {
    size_t end = values->n - i < (size_t)chunk_rows ? values->n : i + (size_t)chunk_rows;
    unsigned flags = SQZ_FRAME_TEXT;
    for (size_t j = i; j < end; j++)
      flags &= values->a[j].flags;
    size_t len = values->a[end - 1].off + values->a[end - 1].len - values->a[i].off;
    if ((sqlite3_uint64)len > (sqlite3_uint64)limit)
      return bench_error(cur, SQLITE_TOOBIG,
                         "a chunk of %lld values is %lld bytes, above SQLITE_LIMIT_LENGTH (%lld);"
                         " use a smaller chunk_rows",
                         (long long)(end - i), (long long)len, (long long)limit);
    int rc = bench_pieces_add(out, values->a[i].off, len, flags);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/* Builds the chunk sets of cur->in from the loaded values: byte chunks (for
** mode=column) and the typed arrays cut into chunk_rows values each. */
static int bench_build_sets(bench_cursor *cur) {
  bench_input *in = &cur->in;
  int rc = SQLITE_OK;
  if (cur->opt.column_mode)
    rc = bench_chunk(cur, &in->sets[SET_VALUES], cur->opt.chunk_rows, cur->length_limit,
                     &in->sets[SET_BYTE_CHUNKS]);
  const bench_bytes *arrays[2] = {&in->reals, &in->ints};
  const int sets[2] = {SET_REALS, SET_INTS};
  size_t chunk = (size_t)cur->opt.chunk_rows * 8;
  for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
    for (size_t off = 0; off < arrays[k]->n && rc == SQLITE_OK; off += chunk) {
      size_t len = arrays[k]->n - off < chunk ? arrays[k]->n - off : chunk;
      rc = bench_pieces_add(&in->sets[sets[k]], off, len, SQZ_FRAME_KEEP_CODEC);
    }
  }
  return rc;
}

/* ---- Planning the rows ---------------------------------------------------- */

/* The set a codec of kind measures, or -1 when codec_bench cannot measure
** the kind. */
static int bench_set_of(const sqz_codec *codec, int column_mode) {
  switch (codec->kind) {
  case SQZ_KIND_BYTES:
    return column_mode ? SET_BYTE_CHUNKS : SET_VALUES;
  case SQZ_KIND_FLOAT64:
    return SET_REALS;
  case SQZ_KIND_INT64:
    return SET_INTS;
  default:
    return -1;
  }
}

/* The levels of the default list for codec into levels[0..3): min, default
** and max capped at BENCH_LEVEL_CAP, ascending, without repeats. Returns how
** many. */
static int bench_default_levels(const sqz_codec *codec, int levels[3]) {
  int cand[3] = {codec->min_level, codec->default_level,
                 codec->max_level < BENCH_LEVEL_CAP ? codec->max_level : BENCH_LEVEL_CAP};
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (cand[i] >= codec->min_level && (n == 0 || cand[i] > levels[n - 1])) levels[n++] = cand[i];
  return n;
}

/* Appends the job (codec, level, set) to cur->jobs unless it is there
** already. SQLITE_OK or SQLITE_NOMEM. */
static int bench_add_job(bench_cursor *cur, size_t *cap, const sqz_codec *codec, int level,
                         int set) {
  for (int i = 0; i < cur->njobs; i++)
    if (cur->jobs[i].codec == codec && cur->jobs[i].level == level) return SQLITE_OK;
  int rc = bench_reserve((void **)&cur->jobs, cap, (size_t)cur->njobs + 1, sizeof(bench_job));
  if (rc == SQLITE_OK) cur->jobs[cur->njobs++] = (bench_job){codec, level, set};
  return rc;
}

/* What values a codec of kind takes, for error messages. */
static const char *bench_kind_values(sqz_kind kind) {
  switch (kind) {
  case SQZ_KIND_FLOAT64:
    return "REAL values";
  case SQZ_KIND_INT64:
    return "INTEGER values";
  default:
    return "TEXT and BLOB values";
  }
}

/* Fills cur->jobs from the requests (NULL: every codec in the registry) and
** the loaded values: a codec whose set is empty is left out of the default
** list and is an error when requested, unless the column has no values at
** all (then there are no rows). Returns an SQLite result code. */
static int bench_plan(bench_cursor *cur, const bench_request *req, int nreq, const char *column) {
  size_t cap = 0;
  int rc = SQLITE_OK;
  const bench_input *in = &cur->in;
  int empty = in->sets[SET_VALUES].n == 0 && in->reals.n == 0 && in->ints.n == 0;
  size_t count = req ? (size_t)nreq : sqz_codec_count();
  for (size_t i = 0; i < count && rc == SQLITE_OK && !empty; i++) {
    const sqz_codec *codec = req ? req[i].codec : sqz_codec_at(i);
    int set = bench_set_of(codec, cur->opt.column_mode);
    int fits = set >= 0 && in->sets[set == SET_BYTE_CHUNKS ? SET_VALUES : set].n > 0;
    if (!fits) {
      if (!req) continue;
      if (set < 0)
        return bench_error(cur, SQLITE_ERROR,
                           "codec '%s' (kind %s) is measured by the column store,"
                           " not by codec_bench",
                           codec->name, sqz_kind_name(codec->kind));
      return bench_error(cur, SQLITE_ERROR, "codec '%s' (kind %s) takes %s; column '%s' has none",
                         codec->name, sqz_kind_name(codec->kind), bench_kind_values(codec->kind),
                         column);
    }
    if (req && !req[i].representative) {
      for (int level = req[i].lo; level <= req[i].hi && rc == SQLITE_OK; level++)
        rc = bench_add_job(cur, &cap, codec, level, set);
    } else {
      int levels[3];
      int n = bench_default_levels(codec, levels);
      for (int k = 0; k < n && rc == SQLITE_OK; k++)
        rc = bench_add_job(cur, &cap, codec, levels[k], set);
    }
  }
  return rc;
}

/* ---- Measuring one row ---------------------------------------------------- */

/* Steps the probe statement: a statement of an interrupted connection stops
** with SQLITE_INTERRUPT (which also works before SQLite 3.41 gave us
** sqlite3_is_interrupted()). Returns SQLITE_OK or the probe's error. */
static int bench_probe(bench_cursor *cur) {
  cur->since_check = 0;
  cur->last_probe = bench_now();
  int rc = sqlite3_step(cur->probe);
  sqlite3_reset(cur->probe);
  return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Counts one piece of bytes bytes of work. Every BENCH_CHECK_BYTES of work
** it reads the clock, and steps the probe when BENCH_PROBE_SECONDS have
** passed since the last time: so a slow codec is checked as often as a fast
** one, and a fast one pays a clock read per 16 KiB. Returns SQLITE_OK or
** SQLITE_INTERRUPT. */
static int bench_tick(bench_cursor *cur, size_t bytes) {
  cur->since_check += bytes + BENCH_PIECE_WEIGHT;
  if (cur->since_check < BENCH_CHECK_BYTES) return SQLITE_OK;
  cur->since_check = 0;
  return bench_now() - cur->last_probe >= BENCH_PROBE_SECONDS ? bench_probe(cur) : SQLITE_OK;
}

/* Sets the scan's error for the squeeze status r of a compress call of codec at
** level and returns the SQLite result code: SQLITE_NOMEM, SQLITE_TOOBIG or
** SQLITE_ERROR. */
static int bench_status(bench_cursor *cur, const sqz_codec *codec, int level, size_t r) {
  switch (sqz_error_of(r)) {
  case SQZ_ERROR_MEMORY:
    return SQLITE_NOMEM;
  case SQZ_ERROR_TOO_LARGE:
    return bench_error(cur, SQLITE_TOOBIG, "%s level %d: value too large for the codec",
                       codec->name, level);
  default:
    return bench_error(cur, SQLITE_ERROR, "%s level %d: %s", codec->name, level,
                       sqz_error_string(r));
  }
}

/* One compress pass: every piece of set through sqz_frame_compress as
** compress() runs it (into a scratch block of the frame's bound, then copied
** into the result: here the next place in cur->frames), sizes in
** cur->frame_sizes; the total into *total. Returns an SQLite result code
** (errors with the scan's message). */
static int bench_compress_pass(bench_cursor *cur, sqz_ctx *ctx, const bench_job *job,
                               const uint8_t *src, const bench_pieces *set, size_t *total) {
  sqz_params params = {.level = job->level};
  size_t pos = 0;
  for (size_t i = 0; i < set->n; i++) {
    const bench_piece *pc = &set->a[i];
    size_t cap = sqz_frame_bound(job->codec, pc->len);
    size_t r = sqz_frame_compress(ctx, cur->work.p, cap, src + pc->off, pc->len, job->codec,
                                  &params, pc->flags, 0);
    if (sqz_is_error(r)) return bench_status(cur, job->codec, job->level, r);
    if ((sqlite3_uint64)r > (sqlite3_uint64)cur->length_limit)
      return bench_error(cur, SQLITE_TOOBIG,
                         "%s level %d: a compressed value is above SQLITE_LIMIT_LENGTH",
                         job->codec->name, job->level);
    memcpy(cur->frames.p + pos, cur->work.p, r);
    cur->frame_sizes[i] = r;
    pos += r;
    int rc = bench_tick(cur, pc->len);
    if (rc != SQLITE_OK) return rc;
  }
  *total = pos;
  return SQLITE_OK;
}

/* One decompress pass over the frames of the last compress pass, as
** decompress() reads them: parse, then decode into a buffer of the declared
** size (here cur->work, reused as SQLite's allocator reuses a freed result).
** *ok is cleared when a frame does not decode to its piece's size and type,
** and with verify set also when the bytes differ from the piece of src
** (work is filled with their complement first, so a byte the decoder does not
** write is noticed). Returns SQLITE_OK, SQLITE_NOMEM or SQLITE_INTERRUPT. */
static int bench_decompress_pass(bench_cursor *cur, sqz_ctx *ctx, const uint8_t *src,
                                 const bench_pieces *set, int verify, int *ok) {
  size_t pos = 0;
  for (size_t i = 0; i < set->n; i++) {
    const bench_piece *pc = &set->a[i];
    const uint8_t *frame = cur->frames.p + pos;
    size_t n = cur->frame_sizes[i];
    pos += n;
    if (verify)
      for (size_t k = 0; k < pc->len; k++)
        cur->work.p[k] = (uint8_t)~src[pc->off + k];
    sqz_frame_info info;
    size_t r = sqz_frame_parse(&info, frame, n);
    if (sqz_is_error(r) || info.content_size != pc->len ||
        info.is_text != ((pc->flags & SQZ_FRAME_TEXT) != 0)) {
      *ok = 0;
    } else {
      r = sqz_frame_decompress(ctx, &info, cur->work.p, pc->len, frame, n);
      if (sqz_error_of(r) == SQZ_ERROR_MEMORY) return SQLITE_NOMEM;
      if (sqz_is_error(r) || (verify && pc->len && memcmp(cur->work.p, src + pc->off, pc->len)))
        *ok = 0;
    }
    int rc = bench_tick(cur, pc->len);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/* Sizes cur's work buffers for job: room for every frame at its bound in
** cur->frames, one size per piece, and a scratch block (cur->work) for the
** largest frame bound, which also holds the largest piece. Returns SQLITE_OK,
** SQLITE_NOMEM or SQLITE_TOOBIG. */
static int bench_prepare_buffers(bench_cursor *cur, const bench_job *job, const bench_pieces *set) {
  size_t need = 0, largest = 1;
  for (size_t i = 0; i < set->n; i++) {
    size_t b = sqz_frame_bound(job->codec, set->a[i].len);
    if (b == 0 || b > SIZE_MAX - need)
      return bench_error(cur, SQLITE_TOOBIG, "%s: a value is too large for the codec",
                         job->codec->name);
    need += b;
    if (b > largest) largest = b;
  }
  int rc = bench_reserve((void **)&cur->frames.p, &cur->frames.cap, need, 1);
  if (rc == SQLITE_OK)
    rc = bench_reserve((void **)&cur->frame_sizes, &cur->frame_sizes_cap, set->n, sizeof(size_t));
  if (rc == SQLITE_OK) rc = bench_reserve((void **)&cur->work.p, &cur->work.cap, largest, 1);
  return rc;
}

/* Measures job (cur->jobs[cur->ijob]) into cur->row: passes timed compress
** and decompress passes with a fresh sqz_ctx, medians reported. Returns an
** SQLite result code (errors with the scan's message). */
static int bench_measure(bench_cursor *cur) {
  const bench_job *job = &cur->jobs[cur->ijob];
  const bench_input *in = &cur->in;
  const bench_pieces *set = &in->sets[job->set];
  const bench_bytes *source = job->set == SET_REALS  ? &in->reals
                              : job->set == SET_INTS ? &in->ints
                                                     : &in->bytes;
  bench_row *row = &cur->row;
  memset(row, 0, sizeof(*row));
  row->codec = job->codec;
  row->level = job->level;
  row->typed = job->set == SET_REALS || job->set == SET_INTS;
  row->input_bytes = (sqlite3_int64)source->n;
  row->value_count =
      row->typed ? (sqlite3_int64)(source->n / 8) : (sqlite3_int64)in->sets[SET_VALUES].n;
  row->roundtrip_ok = 1;
  if (cur->progress)
    fprintf(stderr, FN ": %s level %d (%d of %d) on %lld values\n", job->codec->name, job->level,
            cur->ijob + 1, cur->njobs, (long long)row->value_count);
  int rc = bench_probe(cur);
  if (rc == SQLITE_OK) rc = bench_prepare_buffers(cur, job, set);
  if (rc != SQLITE_OK) return rc;
  sqz_ctx *ctx = sqz_ctx_create(sqz_sqlite_allocator());
  if (!ctx) return SQLITE_NOMEM;
  int passes = cur->opt.passes;
  double *tc = cur->times, *td = cur->times + BENCH_PASSES_MAX;
  for (int p = 0; p < passes && rc == SQLITE_OK; p++) {
    size_t total = 0;
    double t0 = bench_now();
    rc = bench_compress_pass(cur, ctx, job, source->p, set, &total);
    double t1 = bench_now();
    if (rc == SQLITE_OK)
      rc = bench_decompress_pass(cur, ctx, source->p, set, 0, &row->roundtrip_ok);
    double t2 = bench_now();
    tc[p] = t1 - t0;
    td[p] = t2 - t1;
    row->output_bytes = (sqlite3_int64)total;
  }
  /* the round trip is checked byte for byte once, outside the timed passes */
  if (rc == SQLITE_OK) rc = bench_decompress_pass(cur, ctx, source->p, set, 1, &row->roundtrip_ok);
  sqz_pool_stats stats;
  sqz_ctx_stats(ctx, &stats);
  row->memory_bytes = (sqlite3_int64)(stats.bytes_high + stats.state_bytes);
  sqz_ctx_free(ctx);
  if (rc != SQLITE_OK) return rc;
  row->compress_s = bench_median(tc, passes);
  row->decompress_s = bench_median(td, passes);
  return SQLITE_OK;
}

/* ---- The table-valued function ------------------------------------------- */

/* Frees everything a scan holds. */
static void bench_reset(sqz_tvf_cursor *tc) {
  bench_cursor *cur = tc->state;
  sqlite3_finalize(cur->probe);
  bench_input_clear(&cur->in);
  sqlite3_free(cur->jobs);
  sqlite3_free(cur->frames.p);
  sqlite3_free(cur->work.p);
  sqlite3_free(cur->frame_sizes);
  memset(cur, 0, sizeof(*cur));
}

/* The text of argument k (NULL when absent or NULL). */
static const char *bench_arg(sqlite3_value **args, int k) {
  return args[k] ? (const char *)sqlite3_value_text(args[k]) : NULL;
}

/* Reads the column, plans the rows and measures the first one. */
static int bench_filter(sqz_tvf_cursor *tc, sqlite3_value **args) {
  bench_cursor *cur = tc->state;
  cur->tc = tc;
  const char *table = bench_arg(args, 0), *column = bench_arg(args, 1);
  if (!table || !column) return bench_error(cur, SQLITE_ERROR, "usage: %s", tc->def->usage);
  cur->length_limit = sqz_length_limit(tc->db);
  cur->progress = bench_stderr_is_tty();
  bench_request *req = NULL;
  int nreq = 0;
  int rc = bench_parse_options(cur, bench_arg(args, 3), &cur->opt);
  if (rc == SQLITE_OK) rc = bench_parse_codecs(cur, bench_arg(args, 2), &req, &nreq);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(tc->db, "SELECT 1", -1, &cur->probe, NULL);
  if (rc == SQLITE_OK) rc = bench_load(cur, tc->db, table, column);
  if (rc == SQLITE_OK) rc = bench_build_sets(cur);
  if (rc == SQLITE_OK) rc = bench_plan(cur, req, nreq, column);
  sqlite3_free(req);
  tc->count = cur->njobs;
  if (rc == SQLITE_OK && cur->njobs > 0) rc = bench_measure(cur);
  return rc;
}

/* Measures the next codec and level. */
static int bench_next(sqz_tvf_cursor *tc) {
  bench_cursor *cur = tc->state;
  tc->row = ++cur->ijob;
  return cur->ijob < cur->njobs ? bench_measure(cur) : SQLITE_OK;
}

/* Sets the result of context to bytes / seconds in MB/s, or NULL when the
** clock did not advance. */
static void bench_result_speed(sqlite3_context *context, sqlite3_int64 bytes, double seconds) {
  if (seconds > 0) sqlite3_result_double(context, (double)bytes / 1e6 / seconds);
}

/* The current row's column col. */
static int bench_column(sqz_tvf_cursor *tc, sqlite3_context *context, int col) {
  bench_cursor *cur = tc->state;
  const bench_row *r = &cur->row;
  switch (col) {
  case COL_CODEC:
    sqlite3_result_text(context, r->codec->name, -1, SQLITE_STATIC);
    break;
  case COL_LEVEL:
    sqlite3_result_int(context, r->level);
    break;
  case COL_VALUE_COUNT:
    sqlite3_result_int64(context, r->value_count);
    break;
  case COL_INPUT_BYTES:
    sqlite3_result_int64(context, r->input_bytes);
    break;
  case COL_OUTPUT_BYTES:
    sqlite3_result_int64(context, r->output_bytes);
    break;
  case COL_RATIO:
    if (r->output_bytes > 0)
      sqlite3_result_double(context, (double)r->input_bytes / (double)r->output_bytes);
    break;
  case COL_COMPRESS_MB_S:
    bench_result_speed(context, r->input_bytes, r->compress_s);
    break;
  case COL_DECOMPRESS_MB_S:
    bench_result_speed(context, r->input_bytes, r->decompress_s);
    break;
  case COL_MEMORY_BYTES:
    sqlite3_result_int64(context, r->memory_bytes);
    break;
  case COL_ROUNDTRIP_OK:
    sqlite3_result_int(context, r->roundtrip_ok);
    break;
  case COL_BITS_PER_VALUE:
    if (r->typed && r->value_count > 0)
      sqlite3_result_double(context, 8.0 * (double)r->output_bytes / (double)r->value_count);
    break;
  }
  return SQLITE_OK;
}

/* DIRECTONLY, so that codec_bench, which runs for as long as the user's data
** takes, can only be called from top-level SQL, never from a view or a
** trigger. The cost keeps the planner from putting it in an inner loop. */
static const sqz_tvf_def bench_def = {
    .name = FN,
    .schema = bench_schema,
    .nargs = BENCH_ARGS,
    .required = 2,
    .usage = "SELECT * FROM codec_bench('table', 'column' [, 'codecs' [, 'options']])",
    .directonly = 1,
    .state_size = sizeof(bench_cursor),
    .ordered_column = -1,
    .cost = 1e9,
    .filter = bench_filter,
    .next = bench_next,
    .column = bench_column,
    .reset = bench_reset,
};

/* Registers the eponymous table codec_bench on db. Every row draws on a
** fresh sqz_ctx of its own, not on c's pool. Returns an SQLite result code. */
int sqz_register_codec_bench(sqlite3 *db, sqz_conn *c) {
  return sqz_register_tvf(db, c, &bench_def, NULL, NULL);
}

/*
** fuzz_sql.c: libFuzzer target for the squeeze extension through SQL: the
** column-store virtual table read and written over damaged shadow tables,
** and the SQL functions fed fuzz bytes. A database file is untrusted input:
** whatever the shadow tables hold, every statement must end in
** SQLITE_OK/ROW/DONE or an error code (SQLITE_CORRUPT_VTAB expected often),
** never a crash, an out-of-bounds access (ASan/UBSan), a hang (a progress
** handler stops each statement after 2M VM steps) or an allocation past the
** limits (SQLITE_LIMIT_LENGTH 1 MiB, sqlite3_hard_heap_limit64 256 MiB).
**
**   make build/fuzz/fuzz_sql
**   build/fuzz/fuzz_sql -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
**     build/corpus/fuzz_sql tests/fuzz/corpus/fuzz_sql
**   python3 tests/fuzz/gen_sql_corpus.py     # rewrites the seed corpus
**
** `make test` replays the seed corpus under ASan+UBSan (build/replay/fuzz_sql)
** and fuzzes briefly; `make fuzz` fuzzes longer. The corpus's regress_F*
** files are the reproducers of what this target found and the extension
** fixed (a NULL pointer in optimize, generations out of range, an unchecked
** stats sum, a 64-bit dead flag read as 32 bits, a chunk read through
** another's generation, a chunk that inflates to 900 MB): they must run clean.
**
** Input. Byte 0 picks the mode: (byte 0 % 4) == 3 feeds the rest to the SQL
** functions (functions()); otherwise it picks one of three template tables,
** each `t` with columns a INTEGER, b REAL, c TEXT, d BLOB, e untyped, with
** other codecs and chunk_rows and a deterministic fill with NULLs, values of
** other classes, rowid gaps, patches and tombstones. The templates are built
** once and serialized; every input gets a fresh connection holding a copy,
** so runs are independent and the table is connected (xConnect, the format
** check) after the damage.
**
** Edits. Then a program of edits to the shadow tables, one op byte each:
**   op >= 0xE0       end of the edits
**   op & 3           the table: 0 t_config, 1 t_chunk, 2 t_data, 3 t_tail
**   (op >> 2) & 7    0-3 UPDATE one column, 4 INSERT a copy of a row with one
**                    column replaced, 5 the same with OR REPLACE, 6 DELETE a
**                    row, 7 UPDATE two columns
**   next bytes       the column (byte % columns), the new value
**                    (value_expr(): NULL, integers, reals, text, blobs, a bit
**                    flip or splice of the old value with the chunk checksum
**                    recomputed or not, a chunk header field set, another
**                    row's value, another row's chunk retagged for this key,
**                    a new valid chunk of up to 2^20 rows), and the row (its
**                    offset in primary-key order, modulo the row count)
** Statements. The bytes left are parameters (0 once exhausted) for a read
** battery (squeeze_check, full scans, count(*), pushed-down WHERE clauses on
** the rowid and every column, IN, ORDER BY rowid LIMIT, squeeze_stats), a
** write battery (INSERT, INSERT with a rowid and conflict clauses, UPDATE,
** rowid moves, DELETE, a transaction with a savepoint, squeeze_optimize),
** and the read battery again.
**
** Invariants, each an abort() naming it so that libFuzzer keeps the input:
**   errcode    no statement ends in SQLITE_MISUSE, INTERNAL or RANGE
**   order      a scan's rowids (ORDER BY rowid is consumed) strictly increase
**   determ     the same full scan twice gives the same rows
**   count      count(*) equals the rows of the full scan
**   subset     every row a filtered scan returns is the full scan's row of
**              that rowid; ORDER BY rowid LIMIT n gives its first n rows
**   checkscan  squeeze_check says 'ok', but a scan fails with CORRUPT
**   validate   the full scan succeeds although squeeze_check reports damage
**              the scan reads: a corrupt or overlapping directory row, rowids
**              that do not match the directory, a tail row with a bad dead
**              flag, a column chunk of a declared column that does not decode
**              (not the min/max/null count/codec/raw statistics and their
**              checksum, which only filtered scans read; the rowid chunk is
**              always decoded, so its damage counts)
**   pushdown   squeeze_check says 'ok', but a pushed-down WHERE (zone maps,
**              rowid ranges, IN) returns other rows than the same condition
**              hidden from xBestIndex in a CASE
**   mirror     squeeze_check says 'ok', the rows are copied into a plain
**              table and the write battery runs on both: every statement has
**              the same outcome, the contents stay equal, and squeeze_check
**              still says 'ok' afterwards
**   roundtrip  decompress(compress(x, codec, level)) is x; the series
**              encoders round trip through their decoders
**
** Environment:
**   FUZZ_SQL_VERBOSE=1   print every statement with its time and result
**   FUZZ_SQL_IGNORE=a,b  invariants (by name) that print instead of abort
**   FUZZ_SQL_ONLY=text   abort only for messages containing text (minimizing)
**   FUZZ_SQL_SKIP=x|y    no abort for messages containing x or y
**   FUZZ_SQL_SAVE=file   write the damaged database (VACUUM INTO) for sqlite3
**   FUZZ_SQL_LENGTH=n, FUZZ_SQL_HEAP=MiB (0: none), FUZZ_SQL_BIG=1
**                        other limits, and no cap on fz_chunk's TEXT column
*/
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "sqt_chunk.h" /* fz_chunk() builds valid chunks with the codec library */
#include "pool.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define LENGTH_LIMIT (1 << 20)                /* SQLITE_LIMIT_LENGTH of every run */
#define HEAP_LIMIT ((sqlite3_int64)256 << 20) /* sqlite3_hard_heap_limit64 */
#define STEP_BUDGET 2000000                   /* VM steps per statement (progress handler) */
#define MAX_EDITS 32

/* ---- Input ------------------------------------------------------------- */

typedef struct input {
  const uint8_t *p;
  size_t n, i;
} input;

static unsigned rd8(input *in) {
  return in->i < in->n ? in->p[in->i++] : 0;
}
static uint64_t rd64(input *in) {
  uint64_t v = 0;
  for (int k = 0; k < 8; k++)
    v |= (uint64_t)rd8(in) << (8 * k);
  return v;
}

/* ---- Invariants ----------------------------------------------------------- */

static const char *const oracle_names[] = {"errcode", "order",     "determ",   "count",
                                           "subset",  "checkscan", "validate", "pushdown",
                                           "mirror",  "roundtrip"};
enum {
  O_ERRCODE,
  O_ORDER,
  O_DETERM,
  O_COUNT,
  O_SUBSET,
  O_CHECKSCAN,
  O_VALIDATE,
  O_PUSHDOWN,
  O_MIRROR,
  O_ROUNDTRIP,
  O_COUNT_
};
static unsigned ignored; /* bits of FUZZ_SQL_IGNORE */
static int verbose;      /* FUZZ_SQL_VERBOSE: print every statement and result */

static const char *only; /* FUZZ_SQL_ONLY: abort only for messages containing it */
static const char *skip; /* FUZZ_SQL_SKIP: no abort for messages containing one of these */

/* Reports a broken invariant and aborts, unless FUZZ_SQL_IGNORE, _ONLY or
** _SKIP say to note it only. */
static void violated(int oracle, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int fatal = !(ignored >> oracle & 1) && !(only && !strstr(msg, only));
  for (const char *k = skip; fatal && k && *k;) { /* '|'-separated texts */
    const char *bar = strchr(k, '|');
    size_t n = bar ? (size_t)(bar - k) : strlen(k);
    char part[256];
    snprintf(part, sizeof part, "%.*s", (int)(n < 255 ? n : 255), k);
    if (n && strstr(msg, part)) fatal = 0;
    k = bar ? bar + 1 : NULL;
  }
  fprintf(stderr, "fuzz_sql: invariant '%s' %s: %s\n", oracle_names[oracle],
          fatal ? "violated" : "violated (noted, not fatal)", msg);
  if (fatal) abort();
}

/* ---- Harness SQL functions: damage that keeps a chunk's checksum valid ---- */

/* Recomputes the chunk checksum (low 32 bits of XXH3-64 of the bytes before
** it, docs/format/chunk.md) in place. */
static void reseal(uint8_t *b, size_t n) {
  if (n < 5) return;
  uint32_t h = (uint32_t)XXH3_64bits(b, n - 4);
  for (int k = 0; k < 4; k++)
    b[n - 4 + k] = (uint8_t)(h >> (8 * k));
}

/* Returns a copy of a TEXT/BLOB argument as the result's type. */
static void result_bytes(sqlite3_context *ctx, int type, const uint8_t *b, size_t n) {
  if (type == SQLITE_TEXT)
    sqlite3_result_text64(ctx, (const char *)b, n, SQLITE_TRANSIENT, SQLITE_UTF8);
  else
    sqlite3_result_blob64(ctx, n ? (const void *)b : "", n, SQLITE_TRANSIENT);
}

/* fz_flip(x, bit, reseal): x with one bit flipped (INTEGER, REAL, TEXT, BLOB);
** with reseal a BLOB's chunk checksum is recomputed. */
static void fz_flip(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  uint64_t bit = (uint64_t)sqlite3_value_int64(argv[1]);
  int type = sqlite3_value_type(argv[0]);
  if (type == SQLITE_INTEGER) {
    sqlite3_result_int64(
        ctx, (sqlite3_int64)((uint64_t)sqlite3_value_int64(argv[0]) ^ ((uint64_t)1 << (bit % 64))));
  } else if (type == SQLITE_FLOAT) {
    double d = sqlite3_value_double(argv[0]);
    uint64_t u;
    memcpy(&u, &d, 8);
    u ^= (uint64_t)1 << (bit % 64);
    memcpy(&d, &u, 8);
    sqlite3_result_double(ctx, d);
  } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    const uint8_t *src =
        type == SQLITE_TEXT ? sqlite3_value_text(argv[0]) : sqlite3_value_blob(argv[0]);
    if (n == 0 || !src) {
      sqlite3_result_value(ctx, argv[0]);
      return;
    }
    uint8_t *b = malloc(n);
    memcpy(b, src, n);
    size_t at = (size_t)(bit % (n * 8));
    b[at / 8] ^= (uint8_t)(1u << (at % 8));
    if (sqlite3_value_int(argv[2])) reseal(b, n);
    result_bytes(ctx, type, b, n);
    free(b);
  } else {
    sqlite3_result_null(ctx);
  }
}

/* fz_splice(x, off, del, ins, reseal): removes del bytes at off (modulo the
** length + 1) and inserts the BLOB ins there; reseal as fz_flip. */
static void fz_splice(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  int type = sqlite3_value_type(argv[0]);
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) type = SQLITE_BLOB;
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  const uint8_t *src = sqlite3_value_blob(argv[0]);
  size_t off = (size_t)((uint64_t)sqlite3_value_int64(argv[1]) % (n + 1));
  size_t del = (size_t)((uint64_t)sqlite3_value_int64(argv[2]) % 256);
  if (del > n - off) del = n - off;
  size_t ni = (size_t)sqlite3_value_bytes(argv[3]);
  const uint8_t *ins = sqlite3_value_blob(argv[3]);
  size_t m = n - del + ni;
  uint8_t *b = malloc(m ? m : 1);
  if (off) memcpy(b, src, off);
  if (ni) memcpy(b + off, ins, ni);
  if (n - off - del) memcpy(b + off + ni, src + off + del, n - off - del);
  if (sqlite3_value_int(argv[4])) reseal(b, m);
  result_bytes(ctx, type, b, m);
  free(b);
}

/* fz_setvar(chunk, which, v): the chunk with its which-th header varint (0
** the tag, 1 the row count, after the version and flags bytes) replaced by
** v, and its checksum recomputed. Anything else comes back unchanged. */
static void fz_setvar(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  const uint8_t *src = sqlite3_value_blob(argv[0]);
  int which = sqlite3_value_int(argv[1]) & 1;
  uint64_t v = (uint64_t)sqlite3_value_int64(argv[2]);
  size_t at = 2, end = 0;
  for (int k = 0; k <= which; k++) {
    end = at;
    while (end < n && end - at < 10 && (src[end] & 0x80))
      end++;
    if (end >= n) {
      sqlite3_result_value(ctx, argv[0]);
      return;
    }
    end++;
    if (k < which) at = end;
  }
  uint8_t var[10];
  size_t vn = 0;
  do {
    var[vn++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  size_t m = n - (end - at) + vn;
  uint8_t *b = malloc(m);
  memcpy(b, src, at);
  memcpy(b + at, var, vn);
  memcpy(b + at + vn, src + end, n - end);
  reseal(b, m);
  sqlite3_result_blob64(ctx, b, m, SQLITE_TRANSIENT);
  free(b);
}

/* fz_f64(blob, i), fz_i64(blob, i): the i-th little-endian 8-byte word of a
** BLOB as a REAL or an INTEGER (NULL past the end), for the series round
** trips. */
static void fz_word(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  const uint8_t *b = sqlite3_value_blob(argv[0]);
  sqlite3_int64 i = sqlite3_value_int64(argv[1]);
  if (!b || i < 0 || (uint64_t)i >= n / 8) return;
  uint64_t u = 0;
  for (int k = 0; k < 8; k++)
    u |= (uint64_t)b[i * 8 + k] << (8 * k);
  if (sqlite3_user_data(ctx)) {
    double d;
    memcpy(&d, &u, 8);
    sqlite3_result_double(ctx, d);
  } else {
    sqlite3_result_int64(ctx, (sqlite3_int64)u);
  }
}

/* fz_num(x): x with numeric affinity applied, as SQLite applies it to the
** operands of a comparison with an INTEGER or REAL column; fz_txt(x): x
** with TEXT affinity applied (numbers become TEXT), as for a TEXT column. */
static void fz_affinity(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  int t = sqlite3_value_type(argv[0]);
  if (sqlite3_user_data(ctx) && t == SQLITE_TEXT) {
    sqlite3_value *v = sqlite3_value_dup(argv[0]);
    if (!v) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    sqlite3_value_numeric_type(v);
    sqlite3_result_value(ctx, v);
    sqlite3_value_free(v);
  } else if (!sqlite3_user_data(ctx) && (t == SQLITE_INTEGER || t == SQLITE_FLOAT)) {
    sqlite3_result_text(ctx, (const char *)sqlite3_value_text(argv[0]), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_result_value(ctx, argv[0]);
  }
}

/* fz_chunk(rows, tag, fill, len): a valid column chunk (codec auto) of rows
** rows (1 .. 2^20) with that tag: fill 0 every row NULL, 1 the INTEGER 7,
** 2 a TEXT of len bytes ('x' repeated), 3 NULL and the INTEGER row index
** alternating. Lets an input build a chunk that inflates to many rows or
** bytes; NULL when rows is out of range or encoding fails. */
static sqz_ctx *chunk_ctx; /* harness-owned, malloc-based */

static void fz_chunk(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_int64 rows = sqlite3_value_int64(argv[0]);
  uint64_t tag = (uint64_t)sqlite3_value_int64(argv[1]);
  int fill = sqlite3_value_int(argv[2]) & 3;
  size_t len = (size_t)(sqlite3_value_int(argv[3]) & 0xffff);
  if (rows < 1 || rows > (1 << 20)) return;
  /* the column is built in memory here: at most 16 MiB of TEXT unless
  ** FUZZ_SQL_BIG is set (to rebuild a reported inflation by hand) */
  if ((uint64_t)rows * len > (16u << 20) && !getenv("FUZZ_SQL_BIG")) len = (16u << 20) / rows;
  char *text = malloc(len ? len : 1);
  memset(text, 'x', len);
  sqz_column col;
  sqz_column_init(&col, NULL);
  size_t err = 0;
  for (sqlite3_int64 i = 0; i < rows && !err; i++) {
    if (fill == 0 || (fill == 3 && i % 2 == 0))
      err = sqz_column_append(&col, SQZ_CLASS_NULL, 0, NULL, 0);
    else if (fill == 2)
      err = sqz_column_append(&col, SQZ_CLASS_TEXT, 0, text, len);
    else
      err = sqz_column_append(&col, SQZ_CLASS_INT, fill == 1 ? 7 : (uint64_t)i, NULL, 0);
  }
  sqz_buf out;
  sqz_buf_init(&out, NULL);
  sqz_chunk_opts o = {.primary = SQZ_CLASS_NULL, .codec = NULL, .level = 0, .tag = tag};
  sqz_chunk_stats st;
  if (!err && !sqz_chunk_encode(chunk_ctx, &out, &col, 0, (uint32_t)rows, &o, &st))
    sqlite3_result_blob64(ctx, out.p, out.n, SQLITE_TRANSIENT);
  sqz_buf_free(&out);
  sqz_column_free(&col);
  free(text);
}

/* ---- Statements ------------------------------------------------------------ */

/* A bound parameter. */
typedef struct bval {
  int type; /* SQLITE_NULL, INTEGER, FLOAT, TEXT, BLOB */
  int64_t i;
  double d;
  const uint8_t *p;
  int n;
} bval;

/* An SQL text under construction and its parameters (anonymous ?, in text
** order). */
typedef struct sqlb {
  char sql[2048];
  int len;
  bval b[24];
  int nb;
} sqlb;

static void sq_add(sqlb *q, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(q->sql + q->len, sizeof q->sql - (size_t)q->len, fmt, ap);
  va_end(ap);
  if (k > 0) q->len += k;
  if (q->len >= (int)sizeof q->sql) q->len = (int)sizeof q->sql - 1;
}
static void bind_int(sqlb *q, int64_t v) {
  if (q->nb < 24) q->b[q->nb++] = (bval){SQLITE_INTEGER, v, 0, NULL, 0};
  sq_add(q, "?");
}
static void bind_real(sqlb *q, double v) {
  if (q->nb < 24) q->b[q->nb++] = (bval){SQLITE_FLOAT, 0, v, NULL, 0};
  sq_add(q, "?");
}
static void bind_bytes(sqlb *q, int type, const uint8_t *p, int n) {
  if (q->nb < 24) q->b[q->nb++] = (bval){type, 0, 0, p, n};
  sq_add(q, "?");
}

/* What one statement gave. */
typedef struct result {
  int rc;          /* SQLITE_DONE, or the error of sqlite3_step/prepare */
  int64_t rows;    /* rows returned */
  uint64_t hash;   /* of every value of every row, in order */
  char text[4096]; /* column 0 of row 0 as text (squeeze_check's answer) */
  int64_t *ids;    /* with want_rows: column 0 of each row */
  uint64_t *rowh;  /* with want_rows: hash of each row */
} result;

typedef struct run {
  sqlite3 *db;
  int64_t steps; /* progress handler calls in this statement */
} run;

static int progress(void *arg) {
  run *r = arg;
  return ++r->steps > STEP_BUDGET / 1000;
}

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t k = 0; k < n; k++)
    h = (h ^ b[k]) * 1099511628211ull;
  return h;
}

/* Hash of the current row of s (every column: type and value). */
static uint64_t row_hash(sqlite3_stmt *s) {
  uint64_t h = 14695981039346656037ull;
  int nc = sqlite3_column_count(s);
  for (int c = 0; c < nc; c++) {
    int t = sqlite3_column_type(s, c);
    h = mix(h, &t, sizeof t);
    if (t == SQLITE_INTEGER) {
      int64_t v = sqlite3_column_int64(s, c);
      h = mix(h, &v, 8);
    } else if (t == SQLITE_FLOAT) {
      double v = sqlite3_column_double(s, c);
      h = mix(h, &v, 8);
    } else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
      const void *p =
          t == SQLITE_TEXT ? (const void *)sqlite3_column_text(s, c) : sqlite3_column_blob(s, c);
      int n = sqlite3_column_bytes(s, c);
      h = mix(h, &n, sizeof n);
      if (p) h = mix(h, p, (size_t)n);
    }
  }
  return h;
}

/* Error codes that a statement on damaged data may give; anything else
** (MISUSE, INTERNAL, RANGE...) is the 'errcode' invariant. */
static int acceptable(int rc) {
  switch (rc & 0xff) {
  case SQLITE_ERROR:
  case SQLITE_ABORT:
  case SQLITE_NOMEM:
  case SQLITE_INTERRUPT:
  case SQLITE_IOERR:
  case SQLITE_CORRUPT:
  case SQLITE_FULL:
  case SQLITE_TOOBIG:
  case SQLITE_CONSTRAINT:
  case SQLITE_MISMATCH:
  case SQLITE_SCHEMA:
    return 1;
  }
  return 0;
}

/* An error that says nothing about the data: out of budget or memory. */
static int resource_error(int rc) {
  rc &= 0xff;
  return rc == SQLITE_INTERRUPT || rc == SQLITE_NOMEM || rc == SQLITE_TOOBIG || rc == SQLITE_FULL ||
         rc == SQLITE_IOERR;
}

/* Runs q: prepare, bind, step to the end. With want_rows the rowid (column
** 0) and hash of each row are kept in res->ids/rowh (caller frees); with
** check_order column 0 must strictly increase ('order'). */
static void exec_q(run *r, const sqlb *q, result *res, int want_rows, int check_order) {
  memset(res, 0, sizeof *res);
  res->hash = 14695981039346656037ull;
  r->steps = 0;
  struct timespec t0, t1;
  if (verbose) clock_gettime(CLOCK_MONOTONIC, &t0);
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(r->db, q->sql, -1, &s, NULL);
  if (rc == SQLITE_OK) {
    for (int k = 0; k < q->nb; k++) {
      const bval *b = &q->b[k];
      switch (b->type) {
      case SQLITE_INTEGER:
        sqlite3_bind_int64(s, k + 1, b->i);
        break;
      case SQLITE_FLOAT:
        sqlite3_bind_double(s, k + 1, b->d);
        break;
      case SQLITE_TEXT:
        sqlite3_bind_text(s, k + 1, b->n ? (const char *)b->p : "", b->n, SQLITE_STATIC);
        break;
      case SQLITE_BLOB:
        sqlite3_bind_blob(s, k + 1, b->n ? (const void *)b->p : "", b->n, SQLITE_STATIC);
        break;
      default:
        sqlite3_bind_null(s, k + 1);
      }
    }
    size_t cap = 0;
    int64_t prev = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      uint64_t h = row_hash(s);
      res->hash = mix(res->hash, &h, 8);
      if (res->rows == 0 && sqlite3_column_type(s, 0) != SQLITE_NULL)
        snprintf(res->text, sizeof res->text, "%s", (const char *)sqlite3_column_text(s, 0));
      int64_t id = sqlite3_column_int64(s, 0);
      if (check_order && res->rows > 0 && id <= prev)
        violated(O_ORDER, "%s: rowid %lld after %lld", q->sql, (long long)id, (long long)prev);
      prev = id;
      if (want_rows) {
        if ((size_t)res->rows == cap) {
          cap = cap ? cap * 2 : 64;
          res->ids = realloc(res->ids, cap * sizeof *res->ids);
          res->rowh = realloc(res->rowh, cap * sizeof *res->rowh);
        }
        res->ids[res->rows] = id;
        res->rowh[res->rows] = h;
      }
      res->rows++;
    }
    if (rc != SQLITE_DONE) rc = sqlite3_extended_errcode(r->db);
  }
  if (verbose) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  %.2fms [%d%s] %s -> %lld rows %s%s\n",
            (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, rc,
            rc != SQLITE_DONE ? "!" : "", q->sql, (long long)res->rows,
            rc != SQLITE_DONE && rc != SQLITE_OK ? sqlite3_errmsg(r->db) : "",
            res->text[0] && rc == SQLITE_DONE ? res->text : "");
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE && rc != SQLITE_OK && !acceptable(rc))
    violated(O_ERRCODE, "%s: error code %d (%s)", q->sql, rc, sqlite3_errmsg(r->db));
  res->rc = rc == SQLITE_OK ? SQLITE_DONE : rc;
}

static void result_free(result *res) {
  free(res->ids);
  free(res->rowh);
  res->ids = NULL;
  res->rowh = NULL;
}

/* Prints the rows of sql to stderr, to explain a violation. */
static void dump(run *r, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK) return;
  while (sqlite3_step(s) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(s); c++)
      fprintf(stderr, "%s%s", c ? "|" : "  ", (const char *)sqlite3_column_text(s, c));
    fputc('\n', stderr);
  }
  sqlite3_finalize(s);
}

static void exec_sql(run *r, const char *sql, result *res) {
  sqlb q = {0};
  sq_add(&q, "%s", sql);
  exec_q(r, &q, res, 0, 0);
}

/* ---- Templates ------------------------------------------------------------- */

static const char *const templates[] = {
    /* codec auto everywhere; 100 rows, 6 chunks and 4 tail rows; rowid gaps
    ** from row 61 on; a patch in chunks 1 and 2, a tombstone in chunk 3, a
    ** new row inside chunk 4's range */
    "CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b REAL, c TEXT, d BLOB, e, chunk_rows = 16);"
    "INSERT INTO t(rowid, a, b, c, d, e) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
    " SELECT i + 1 FROM s WHERE i < 100) SELECT CASE WHEN i <= 60 THEN i ELSE i * 3 END,"
    " CASE WHEN i % 17 = 0 THEN NULL WHEN i = 33 THEN 'x33' ELSE 1700000000 + i * 60 + i % 4 END,"
    " CASE WHEN i % 11 = 0 THEN NULL WHEN i = 45 THEN 7 ELSE 20 + i * 0.25 + (i % 3) * 0.5 END,"
    " CASE WHEN i % 13 = 0 THEN NULL WHEN i = 50 THEN 50 WHEN i = 70 THEN printf('%.300c', 'z')"
    "  ELSE 's' || (i % 4) END,"
    " CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN zeroblob(i % 9)"
    "  ELSE CAST(printf('%08d', i * i) AS BLOB) END,"
    " CASE i % 5 WHEN 0 THEN i WHEN 1 THEN i * 1.5 WHEN 2 THEN 'e' || i"
    "  WHEN 3 THEN CAST('b' || i AS BLOB) ELSE NULL END FROM s;"
    "UPDATE t SET b = 99.5 WHERE rowid = 5;"
    "UPDATE t SET c = 'moved' WHERE rowid = 20;"
    "DELETE FROM t WHERE rowid = 40;"
    "INSERT INTO t(rowid, a, c) VALUES (185, 1, 'gap');",

    /* named codecs, small chunks */
    "CREATE VIRTUAL TABLE t USING squeeze(a INTEGER CODEC delta, b REAL CODEC gorilla,"
    " c TEXT CODEC huffman, d BLOB CODEC lz77, e CODEC rle, chunk_rows = 5);"
    "INSERT INTO t(rowid, a, b, c, d, e) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
    " SELECT i + 1 FROM s WHERE i < 23) SELECT i * 2 + (i > 10) * 7,"
    " CASE WHEN i = 4 THEN NULL WHEN i = 9 THEN 2.5 ELSE -50 + i * i END,"
    " CASE WHEN i = 6 THEN 'six' ELSE i / 8.0 - 1 END,"
    " CASE WHEN i % 3 = 0 THEN NULL ELSE 'name ' || (i % 4) || ' and more' END,"
    " CASE WHEN i % 4 = 0 THEN x'' ELSE CAST(printf('%.*c', i, 'q') AS BLOB) END,"
    " CASE WHEN i % 2 THEN 7 ELSE NULL END FROM s;"
    "UPDATE t SET a = -1 WHERE rowid = 9;",

    /* time-series codecs, larger chunks */
    "CREATE VIRTUAL TABLE t USING squeeze(a INTEGER CODEC dod, b REAL CODEC alp,"
    " c TEXT CODEC dict, d BLOB CODEC zstd(3), e CODEC lz4hc(4), chunk_rows = 32);"
    "INSERT INTO t(a, b, c, d, e) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
    " SELECT i + 1 FROM s WHERE i < 70) SELECT 1600000000 + i * 15 + (i % 7 = 0),"
    " round(10 + i * 0.1, 1), CASE i % 3 WHEN 0 THEN 'north' WHEN 1 THEN 'south'"
    " ELSE 'east' END, CAST(printf('%.40c%d', 'r', i) AS BLOB),"
    " CASE WHEN i % 10 = 0 THEN NULL ELSE printf('e%d', i % 3) END FROM s;"
    "DELETE FROM t WHERE rowid = 3;"
    "UPDATE t SET c = NULL WHERE rowid = 40;",
};
#define NTEMPLATES 3

static int length_limit = LENGTH_LIMIT;  /* FUZZ_SQL_LENGTH overrides it */
static unsigned char *image[NTEMPLATES]; /* serialized template databases */
static sqlite3_int64 image_size[NTEMPLATES];

static int add_functions(sqlite3 *db) {
  static int f64_tag = 1;
  int rc = sqlite3_create_function(db, "fz_flip", 3, SQLITE_UTF8, NULL, fz_flip, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_splice", 5, SQLITE_UTF8, NULL, fz_splice, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_setvar", 3, SQLITE_UTF8, NULL, fz_setvar, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_f64", 2, SQLITE_UTF8, &f64_tag, fz_word, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_i64", 2, SQLITE_UTF8, NULL, fz_word, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_chunk", 4, SQLITE_UTF8, NULL, fz_chunk, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_num", 1, SQLITE_UTF8, &f64_tag, fz_affinity, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function(db, "fz_txt", 1, SQLITE_UTF8, NULL, fz_affinity, NULL, NULL);
  return rc;
}

static void setup_once(void) {
  static int done;
  if (done) return;
  done = 1;
  const char *ign = getenv("FUZZ_SQL_IGNORE");
  for (int k = 0; ign && k < O_COUNT_; k++)
    if (strstr(ign, oracle_names[k])) ignored |= 1u << k;
  verbose = getenv("FUZZ_SQL_VERBOSE") != NULL;
  only = getenv("FUZZ_SQL_ONLY");
  skip = getenv("FUZZ_SQL_SKIP");
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  chunk_ctx = sqz_ctx_create(NULL);
  if (!chunk_ctx) abort();
  const char *len = getenv("FUZZ_SQL_LENGTH");
  if (len) length_limit = atoi(len);
  for (int t = 0; t < NTEMPLATES; t++) {
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, templates[t], NULL, NULL, &err) != SQLITE_OK) {
      fprintf(stderr, "fuzz_sql: template %d: %s\n", t, err ? err : sqlite3_errmsg(db));
      abort();
    }
    image[t] = sqlite3_serialize(db, "main", &image_size[t], 0);
    if (!image[t]) abort();
    sqlite3_close(db);
  }
  const char *heap = getenv("FUZZ_SQL_HEAP"); /* MiB, 0: no limit */
  sqlite3_int64 limit = heap ? (sqlite3_int64)atoll(heap) << 20 : HEAP_LIMIT;
  sqlite3_hard_heap_limit64(limit);
  sqlite3_soft_heap_limit64(limit / 2);
}

/* A connection holding a fresh copy of template t. */
static sqlite3 *open_template(int t, run *r) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) abort();
  unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)image_size[t]);
  if (!copy) abort();
  memcpy(copy, image[t], (size_t)image_size[t]);
  if (sqlite3_deserialize(db, "main", copy, image_size[t], image_size[t],
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
      SQLITE_OK)
    abort();
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, length_limit);
  if (add_functions(db) != SQLITE_OK) abort();
  r->db = db;
  sqlite3_progress_handler(db, 1000, progress, r);
  return db;
}

/* ---- Edits ------------------------------------------------------------- */

typedef struct shadow {
  const char *name; /* suffix */
  const char *pk;   /* key column */
  int ncol;
  const char *col[7];
} shadow;

static const shadow shadows[4] = {
    {"config", "k", 2, {"k", "v"}},
    {"chunk", "maxrow", 4, {"maxrow", "minrow", "nrows", "gen"}},
    {"data", "key", 7, {"key", "nnull", "minv", "maxv", "codec", "raw", "body"}},
    {"tail", "id", 7, {"id", "dead", "c0", "c1", "c2", "c3", "c4"}},
};

static const int64_t special_ints[] = {0,
                                       1,
                                       -1,
                                       2,
                                       INT64_MAX,
                                       INT64_MIN,
                                       65535,
                                       65536,
                                       65537,
                                       (1 << 20),
                                       (1 << 20) + 1,
                                       (int64_t)1 << 31,
                                       (int64_t)1 << 32,
                                       ((int64_t)1 << 32) + 1,
                                       ((int64_t)1 << 47) - 1,
                                       (int64_t)1 << 47,
                                       INT64_MAX - 1,
                                       INT64_MIN + 1,
                                       1700000000,
                                       255,
                                       256,
                                       -65536,
                                       3,
                                       4};
#define NSPECIAL_INTS (sizeof special_ints / sizeof special_ints[0])

static double special_real(unsigned k) {
  static const double v[] = {0.5,    -0.0,  1e308, -1e308, 1.5, 9223372036854775808.0,
                             1e-310, 20.25, 1e18,  -3.75};
  if (k % 12 == 10) return 1.0 / 0.0;
  if (k % 12 == 11) return -1.0 / 0.0;
  return v[k % 12];
}

/* Appends to q an SQL expression for a new value of column col (of the row
** being edited, so it may refer to the row's own columns) of shadow table sh. */
static void value_expr(input *in, sqlb *q, const char *zt, const shadow *sh, const char *col) {
  unsigned v = rd8(in);
  switch (v & 15) {
  case 0:
    sq_add(q, "NULL");
    break;
  case 1:
    bind_int(q, (int8_t)rd8(in));
    break;
  case 2:
    bind_int(q, (int64_t)rd64(in));
    break;
  case 3:
    bind_int(q, special_ints[rd8(in) % NSPECIAL_INTS]);
    break;
  case 4: /* the value plus a small delta */
    sq_add(q, "%s + ", col);
    bind_int(q, (int8_t)rd8(in));
    break;
  case 5: /* a key moved by whole generations */
    sq_add(q, "%s + 65536 * ", col);
    bind_int(q, (int8_t)rd8(in));
    break;
  case 6: {
    uint64_t u = rd64(in);
    double d;
    memcpy(&d, &u, 8);
    bind_real(q, d);
    break;
  }
  case 7:
    bind_real(q, special_real(rd8(in)));
    break;
  case 8:
  case 9: {
    int n = (int)(rd8(in) % 48);
    if ((size_t)n > in->n - in->i) n = (int)(in->n - in->i);
    bind_bytes(q, (v & 15) == 8 ? SQLITE_TEXT : SQLITE_BLOB, in->p + in->i, n);
    in->i += (size_t)n;
    break;
  }
  case 10: /* one bit flipped; with bit 4 of v the chunk checksum is resealed */
    sq_add(q, "fz_flip(%s, ", col);
    bind_int(q, rd8(in) | rd8(in) << 8);
    sq_add(q, ", %d)", (v >> 4) & 1);
    break;
  case 11: { /* bytes removed and inserted; resealed with bit 4 */
    sq_add(q, "fz_splice(%s, ", col);
    bind_int(q, rd8(in) | rd8(in) << 8);
    sq_add(q, ", ");
    bind_int(q, rd8(in) % 16);
    sq_add(q, ", ");
    int n = (int)(rd8(in) % 16);
    if ((size_t)n > in->n - in->i) n = (int)(in->n - in->i);
    bind_bytes(q, SQLITE_BLOB, in->p + in->i, n);
    in->i += (size_t)n;
    sq_add(q, ", %d)", (v >> 4) & 1);
    break;
  }
  case 12: /* a chunk header varint (tag or rows) set, resealed */
    if ((v >> 4) & 1) {
      sq_add(q, "fz_setvar(%s, 1, ", col);
      bind_int(q, (int64_t)(rd8(in) | rd8(in) << 8 | (rd8(in) & 31) << 16));
      sq_add(q, ")");
    } else {
      sq_add(q, "fz_setvar(%s, 0, ", col);
      bind_int(q, (int64_t)rd64(in));
      sq_add(q, ")");
    }
    break;
  case 13: /* the same column of another row */
    sq_add(q, "(SELECT %s FROM \"%s_%s\" ORDER BY %s LIMIT 1 OFFSET ", col, zt, sh->name, sh->pk);
    bind_int(q, rd8(in));
    sq_add(q, ")");
    break;
  case 14:
    if ((v >> 4) & 1) { /* t_data: a new valid chunk of up to 2^20 rows for this key */
      sq_add(q, "fz_chunk(");
      bind_int(q, (int64_t)(rd8(in) | rd8(in) << 8 | (rd8(in) & 31) << 16) + 1);
      sq_add(q, ", key, %u, ", rd8(in));
      bind_int(q, rd8(in) | rd8(in) << 8);
      sq_add(q, ")");
    } else { /* t_data: another row's body, retagged to this row's key */
      sq_add(q, "fz_setvar((SELECT body FROM \"%s_data\" ORDER BY key LIMIT 1 OFFSET ", zt);
      bind_int(q, rd8(in));
      sq_add(q, "), 0, key)");
    }
    break;
  default: /* a number as TEXT */
    sq_add(q, "CAST(");
    bind_int(q, (int8_t)rd8(in));
    sq_add(q, " AS TEXT)");
    break;
  }
}

/* Appends "WHERE pk = (the row at offset k)" for shadow sh. */
static void where_row(input *in, sqlb *q, const char *zt, const shadow *sh) {
  sq_add(q, " WHERE %s = (SELECT %s FROM \"%s_%s\" ORDER BY %s LIMIT 1 OFFSET (", sh->pk, sh->pk,
         zt, sh->name, sh->pk);
  bind_int(q, rd8(in));
  sq_add(q, " %% max(1, (SELECT count(*) FROM \"%s_%s\"))))", zt, sh->name);
}

/* Applies the edit program; returns the number of edits. */
static int apply_edits(run *r, input *in) {
  int edits = 0;
  while (in->i < in->n && edits < MAX_EDITS) {
    unsigned op = rd8(in);
    if (op >= 0xE0) break;
    const shadow *sh = &shadows[op & 3];
    unsigned act = (op >> 2) & 7;
    sqlb q = {0};
    int c1 = (int)(rd8(in) % (unsigned)sh->ncol);
    if (act <= 3 || act == 7) {
      sq_add(&q, "UPDATE \"t_%s\" SET %s = ", sh->name, sh->col[c1]);
      value_expr(in, &q, "t", sh, sh->col[c1]);
      if (act == 7) {
        int c2 = (int)(rd8(in) % (unsigned)sh->ncol);
        sq_add(&q, ", %s = ", sh->col[c2]);
        value_expr(in, &q, "t", sh, sh->col[c2]);
      }
      where_row(in, &q, "t", sh);
    } else if (act == 4 || act == 5) {
      sq_add(&q, "INSERT %s INTO \"t_%s\" SELECT ", act == 5 ? "OR REPLACE" : "", sh->name);
      for (int c = 0; c < sh->ncol; c++) {
        if (c) sq_add(&q, ", ");
        if (c == c1)
          value_expr(in, &q, "t", sh, sh->col[c]);
        else
          sq_add(&q, "%s", sh->col[c]);
      }
      sq_add(&q, " FROM \"t_%s\"", sh->name);
      where_row(in, &q, "t", sh);
    } else {
      sq_add(&q, "DELETE FROM \"t_%s\"", sh->name);
      where_row(in, &q, "t", sh);
    }
    result res;
    exec_q(r, &q, &res, 0, 0);
    edits++;
  }
  return edits;
}

/* ---- Read battery -------------------------------------------------------- */

/* A rowid-ish parameter. */
static int64_t rd_rowid(input *in) {
  unsigned b = rd8(in);
  switch (b >> 6) {
  case 0:
    return b & 63;
  case 1:
    return (int64_t)(b & 63) * 5;
  case 2:
    return special_ints[b % NSPECIAL_INTS];
  default:
    return (int64_t)rd64(in);
  }
}

/* A value for column a (INTEGER) near the templates' values. */
static int64_t rd_a(input *in) {
  unsigned b = rd8(in);
  switch (b >> 6) {
  case 0:
    return 1700000000 + (int64_t)(b & 63) * 97;
  case 1:
    return 1600000000 + (int64_t)(b & 63) * 17;
  case 2:
    return (int64_t)(b & 63) * 3 - 60;
  default:
    return special_ints[b % NSPECIAL_INTS];
  }
}

static double rd_b(input *in) {
  unsigned b = rd8(in);
  return b < 200 ? b * 0.25 - 10 : special_real(b);
}

static const char *const texts[] = {
    "s1", "s2", "north", "east", "moved", "x33", "gap", "name 1 and more",
    "w3", "u5", "e1",    "six",  "",      "50"};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* Appends one pushable WHERE condition (kind k) to q. */
static void predicate(input *in, sqlb *q, unsigned k) {
  switch (k) {
  case 0:
    sq_add(q, "rowid BETWEEN ");
    bind_int(q, rd_rowid(in));
    sq_add(q, " AND ");
    bind_int(q, rd_rowid(in));
    break;
  case 1:
    sq_add(q, "rowid IN (");
    bind_int(q, rd_rowid(in));
    sq_add(q, ", ");
    bind_int(q, rd_rowid(in));
    sq_add(q, ", ");
    bind_int(q, rd_rowid(in));
    sq_add(q, ")");
    break;
  case 2:
    sq_add(q, "rowid = ");
    bind_int(q, rd_rowid(in));
    break;
  case 3:
    sq_add(q, "rowid > ");
    bind_int(q, rd_rowid(in));
    sq_add(q, " AND rowid <= ");
    bind_int(q, rd_rowid(in));
    break;
  case 4:
    sq_add(q, "a > ");
    bind_int(q, rd_a(in));
    break;
  case 5:
    sq_add(q, "a BETWEEN ");
    bind_int(q, rd_a(in));
    sq_add(q, " AND ");
    bind_int(q, rd_a(in));
    break;
  case 6:
    sq_add(q, "b < ");
    bind_real(q, rd_b(in));
    break;
  case 7:
    sq_add(q, "b >= ");
    bind_real(q, rd_b(in));
    sq_add(q, " AND a <= ");
    bind_int(q, rd_a(in));
    break;
  case 8: {
    char *lit = sqlite3_mprintf("%Q", texts[rd8(in) % NTEXTS]);
    sq_add(q, "c = %s", lit);
    sqlite3_free(lit);
    break;
  }
  case 9: {
    char *lit = sqlite3_mprintf("%Q, %Q", texts[rd8(in) % NTEXTS], texts[rd8(in) % NTEXTS]);
    sq_add(q, "c IN (%s)", lit);
    sqlite3_free(lit);
    break;
  }
  case 10:
    sq_add(q, "e >= %d", (int)(int8_t)rd8(in));
    break;
  case 11: {
    char *lit = sqlite3_mprintf("%Q", texts[rd8(in) % NTEXTS]);
    sq_add(q, "e < %s", lit);
    sqlite3_free(lit);
    break;
  }
  case 12:
    sq_add(q, "d < x'%08x'", (unsigned)rd64(in));
    break;
  case 13:
    sq_add(q, "a IN (");
    bind_int(q, rd_a(in));
    sq_add(q, ", ");
    bind_int(q, rd_a(in));
    sq_add(q, ")");
    break;
  case 14:
    sq_add(q, "a = ");
    bind_int(q, rd_a(in));
    sq_add(q, " AND rowid >= ");
    bind_int(q, rd_rowid(in));
    break;
  case 15: { /* TEXT on the right of a REAL column: numeric affinity */
    static char buf[32];
    snprintf(buf, sizeof buf, "%.2f", rd_b(in));
    sq_add(q, "b > ");
    bind_bytes(q, SQLITE_TEXT, (const uint8_t *)buf, (int)strlen(buf));
    break;
  }
  case 16: /* a number on the right of a TEXT column: TEXT affinity */
    sq_add(q, "c > %d", (int)(rd8(in) % 100));
    break;
  default:
    sq_add(q, "e = %d", (int)(int8_t)rd8(in));
    break;
  }
}
#define NPRED 18

/* The full scan of one phase, to compare other scans with. */
typedef struct snapshot {
  int ok;      /* the full scan succeeded */
  int checked; /* squeeze_check said 'ok' */
  result full; /* rowids and row hashes */
} snapshot;

static const char *const scan_cols = "rowid, a, b, c, d, e";

/* Every row of res must be the snapshot's row of that rowid ('subset'). */
static void check_subset(const snapshot *snap, const result *res, const char *sql) {
  if (!snap->ok || res->rc != SQLITE_DONE) return;
  int64_t j = 0;
  for (int64_t k = 0; k < res->rows; k++) {
    while (j < snap->full.rows && snap->full.ids[j] < res->ids[k])
      j++;
    if (j >= snap->full.rows || snap->full.ids[j] != res->ids[k] ||
        snap->full.rowh[j] != res->rowh[k])
      violated(O_SUBSET, "%s: row with rowid %lld is not the full scan's", sql,
               (long long)res->ids[k]);
  }
}

/* The read battery; pairs: how many pushed-down conditions to compare. */
static void reads(run *r, input *in, snapshot *snap, int pairs) {
  result res, res2;
  memset(snap, 0, sizeof *snap);

  exec_sql(r, "SELECT squeeze_check('t')", &res);
  snap->checked = res.rc == SQLITE_DONE && strcmp(res.text, "ok") == 0;

  sqlb full = {0};
  sq_add(&full, "SELECT %s FROM t ORDER BY rowid", scan_cols);
  exec_q(r, &full, &snap->full, 1, 1);
  snap->ok = snap->full.rc == SQLITE_DONE;
  if (snap->checked && !snap->ok && !resource_error(snap->full.rc))
    violated(O_CHECKSCAN, "squeeze_check says ok, the full scan fails: %s", sqlite3_errmsg(r->db));

  if (snap->ok && !snap->checked && res.rc == SQLITE_DONE) {
    /* damage squeeze_check reports in what the full scan read */
    for (char *line = res.text; line && *line;) {
      char *next = strchr(line, '\n');
      if (next) *next++ = 0;
      int decode = strstr(line, ", column ") && !strstr(line, ": null count ") &&
                   !strstr(line, ": min/max do not match") &&
                   !strstr(line, ": the zone map does not match its checksum") &&
                   !strstr(line, ": codec or raw size do not match");
      if (decode || strstr(line, " is corrupt") || strstr(line, "overlaps the one before") ||
          strstr(line, "rowids do not match the directory") || strstr(line, "bad dead flag"))
        violated(O_VALIDATE, "the full scan succeeds, squeeze_check reports: %s", line);
      line = next;
    }
  }

  sqlb again = {0};
  sq_add(&again, "SELECT %s FROM t", scan_cols);
  exec_q(r, &again, &res, 0, 1);
  if (snap->ok && res.rc == SQLITE_DONE &&
      (res.rows != snap->full.rows || res.hash != snap->full.hash))
    violated(O_DETERM, "two full scans differ (%lld and %lld rows)", (long long)snap->full.rows,
             (long long)res.rows);

  exec_sql(r, "SELECT count(*) FROM t", &res);
  if (snap->ok && res.rc == SQLITE_DONE && atoll(res.text) != snap->full.rows)
    violated(O_COUNT, "count(*) is %s, the full scan has %lld rows", res.text,
             (long long)snap->full.rows);
  exec_sql(r, "SELECT count(*) FROM t WHERE b IS NULL", &res);
  exec_sql(r, "SELECT count(*), total(b), count(c), sum(length(d)) FROM t WHERE c IS NOT NULL",
           &res);

  /* ORDER BY rowid LIMIT n: a prefix of the full scan */
  sqlb lim = {0};
  sq_add(&lim, "SELECT %s FROM t ORDER BY rowid LIMIT ", scan_cols);
  int64_t n = rd8(in) % 40;
  bind_int(&lim, n);
  exec_q(r, &lim, &res, 1, 1);
  if (snap->ok && res.rc == SQLITE_DONE) {
    int64_t want = n < snap->full.rows ? n : snap->full.rows;
    int same = res.rows == want;
    for (int64_t k = 0; same && k < want; k++)
      same = res.ids[k] == snap->full.ids[k] && res.rowh[k] == snap->full.rowh[k];
    if (!same)
      violated(O_SUBSET, "ORDER BY rowid LIMIT %lld is not the scan's prefix", (long long)n);
  }
  result_free(&res);

  /* pushed-down conditions against the same condition hidden in a CASE */
  for (int k = 0; k < pairs; k++) {
    unsigned kind = (rd8(in) + (unsigned)k * 3) % NPRED;
    input save = *in;
    sqlb a = {0}, b = {0};
    sq_add(&a, "SELECT %s FROM t WHERE ", scan_cols);
    predicate(in, &a, kind);
    sq_add(&a, " ORDER BY rowid");
    input after = *in;
    *in = save;
    sq_add(&b, "SELECT %s FROM t WHERE CASE WHEN ", scan_cols);
    predicate(in, &b, kind);
    sq_add(&b, " THEN 1 END ORDER BY rowid");
    *in = after;
    exec_q(r, &a, &res, 1, 1);
    exec_q(r, &b, &res2, 1, 1);
    check_subset(snap, &res, a.sql);
    check_subset(snap, &res2, b.sql);
    if (snap->checked) {
      if (res.rc != SQLITE_DONE && !resource_error(res.rc))
        violated(O_CHECKSCAN, "squeeze_check says ok, %s fails: %s", a.sql, sqlite3_errmsg(r->db));
      if (res.rc == SQLITE_DONE && res2.rc == SQLITE_DONE &&
          (res.rows != res2.rows || res.hash != res2.hash))
        violated(O_PUSHDOWN, "%s: %lld rows, %lld when SQLite evaluates the condition", a.sql,
                 (long long)res.rows, (long long)res2.rows);
    }
    result_free(&res);
    result_free(&res2);
  }

  exec_sql(r, "SELECT * FROM squeeze_stats('t')", &res);
  exec_sql(r, "SELECT sum(a), max(c), count(e) FROM t WHERE rowid > 10 AND a IS NOT NULL", &res);
}

/* ---- Write battery, mirrored into a plain table ----------------------------- */

typedef struct mirror {
  int on; /* m holds what t should hold */
} mirror;

/* Runs the statement built by fill (with "%s" the table) on t, then, when
** the mirror is on and t's outcome says nothing about resources, on m;
** compares the outcomes. */
static void write_stmt(run *r, mirror *mi, input *in, void (*fill)(input *, sqlb *, const char *)) {
  input save = *in;
  sqlb qt = {0}, qm = {0};
  fill(in, &qt, "t");
  input after = *in;
  *in = save;
  fill(in, &qm, "m");
  *in = after;
  result rt, rm;
  if (mi->on) {
    /* past the largest rowid both tables pick a random one: not comparable */
    exec_sql(r, "SELECT coalesce(max(rowid), 0) > 9223372036854000000 FROM m", &rm);
    if (rm.rc != SQLITE_DONE || strcmp(rm.text, "0") != 0) mi->on = 0;
  }
  exec_q(r, &qt, &rt, 0, 0);
  if (!mi->on) return;
  if (resource_error(rt.rc)) {
    mi->on = 0; /* an interrupted transaction is rolled back: stop comparing */
    return;
  }
  exec_q(r, &qm, &rm, 0, 0);
  if (resource_error(rm.rc)) {
    mi->on = 0;
    return;
  }
  int ok_t = rt.rc == SQLITE_DONE, ok_m = rm.rc == SQLITE_DONE;
  if (ok_t != ok_m || (!ok_t && (rt.rc & 0xff) != (rm.rc & 0xff)))
    violated(O_MIRROR, "%s: squeeze gives %d, a plain table %d", qt.sql, rt.rc, rm.rc);
}

static void w_insert_rows(input *in, sqlb *q, const char *t) {
  sq_add(q,
         "INSERT INTO %s(a, b, c, d, e) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
         " SELECT i + 1 FROM s WHERE i < ",
         t);
  bind_int(q, rd8(in) % 40 + 1);
  sq_add(q, ") SELECT ");
  bind_int(q, rd_a(in));
  sq_add(q, " + i, i * 0.5 + 0.25, 'w' || i, CAST('q' || i AS BLOB),"
            " CASE WHEN i %% 2 THEN i ELSE NULL END FROM s");
}

static void w_insert_rowid(input *in, sqlb *q, const char *t) {
  static const char *const conflict[] = {"", "OR REPLACE", "OR IGNORE", "OR FAIL"};
  sq_add(q, "INSERT %s INTO %s(rowid, a, b, c, d, e) VALUES (", conflict[rd8(in) % 4], t);
  bind_int(q, rd_rowid(in));
  sq_add(q, ", ");
  bind_int(q, rd_a(in));
  sq_add(q, ", 1.25, 'r', x'01', NULL)");
}

static void w_update_range(input *in, sqlb *q, const char *t) {
  sq_add(q, "UPDATE %s SET b = ", t);
  bind_real(q, rd_b(in));
  sq_add(q, ", c = 'u' || rowid WHERE rowid BETWEEN ");
  bind_int(q, rd_rowid(in));
  sq_add(q, " AND ");
  bind_int(q, rd_rowid(in));
}

static void w_move(input *in, sqlb *q, const char *t) {
  sq_add(q, "UPDATE %s SET rowid = ", t);
  bind_int(q, rd_rowid(in));
  sq_add(q, " WHERE rowid = ");
  bind_int(q, rd_rowid(in));
}

static void w_delete_in(input *in, sqlb *q, const char *t) {
  sq_add(q, "DELETE FROM %s WHERE rowid IN (", t);
  bind_int(q, rd_rowid(in));
  sq_add(q, ", ");
  bind_int(q, rd_rowid(in));
  sq_add(q, ", ");
  bind_int(q, rd_rowid(in));
  sq_add(q, ")");
}

/* The plain table m has no declared types (so that it keeps every value as
** the squeeze table does); its column references in comparisons apply the
** comparison affinity the squeeze table's declared types give (fz_num for
** INTEGER a, fz_txt for TEXT c). */
static const char *col_a(const char *t) {
  return t[0] == 'm' ? "fz_num(a)" : "a";
}
static const char *col_c(const char *t) {
  return t[0] == 'm' ? "fz_txt(c)" : "c";
}

static void w_delete_a(input *in, sqlb *q, const char *t) {
  sq_add(q, "DELETE FROM %s WHERE %s BETWEEN ", t, col_a(t));
  bind_int(q, rd_a(in));
  sq_add(q, " AND ");
  bind_int(q, rd_a(in));
}

static void w_update_c(input *in, sqlb *q, const char *t) {
  char *lit = sqlite3_mprintf("%Q", texts[rd8(in) % NTEXTS]);
  sq_add(q, "UPDATE %s SET e = ", t);
  bind_int(q, (int8_t)rd8(in));
  sq_add(q, ", a = ");
  bind_int(q, rd_a(in));
  sq_add(q, " WHERE %s = %s", col_c(t), lit);
  sqlite3_free(lit);
}

static void writes(run *r, input *in, mirror *mi) {
  static void (*const fills[])(input *, sqlb *, const char *) = {
      w_insert_rows, w_insert_rowid, w_update_range, w_move, w_delete_in, w_delete_a, w_update_c};
  result res;
  for (int k = 0; k < 6; k++) {
    unsigned pick = (rd8(in) + (unsigned)k) % 10;
    if (pick < 7) {
      write_stmt(r, mi, in, fills[pick]);
    } else if (pick == 7) {
      exec_sql(r, "SELECT squeeze_optimize('t')", &res);
      if (mi->on && res.rc != SQLITE_DONE && !resource_error(res.rc))
        violated(O_MIRROR, "squeeze_check says ok, squeeze_optimize fails: %s",
                 sqlite3_errmsg(r->db));
    } else {
      /* a transaction with a savepoint, committed or rolled back */
      unsigned how = rd8(in);
      exec_sql(r, "BEGIN", &res);
      write_stmt(r, mi, in, fills[rd8(in) % 7]);
      exec_sql(r, "SAVEPOINT sp", &res);
      write_stmt(r, mi, in, fills[rd8(in) % 7]);
      exec_sql(r, how & 1 ? "ROLLBACK TO sp" : "RELEASE sp", &res);
      write_stmt(r, mi, in, fills[rd8(in) % 7]);
      exec_sql(r, how & 2 ? "ROLLBACK" : "COMMIT", &res);
      if (res.rc != SQLITE_DONE) {
        exec_sql(r, "ROLLBACK", &res);
        mi->on = 0;
      }
    }
  }
}

/* Copies t into the plain table m when squeeze_check said ok and the scan
** worked; returns whether the mirror is on. */
static int mirror_start(run *r, const snapshot *snap) {
  if (!snap->checked || !snap->ok) return 0;
  result res;
  exec_sql(r, "CREATE TEMP TABLE m(a, b, c, d, e)", &res);
  if (res.rc != SQLITE_DONE) return 0;
  exec_sql(r, "INSERT INTO m(rowid, a, b, c, d, e) SELECT rowid, a, b, c, d, e FROM t", &res);
  return res.rc == SQLITE_DONE;
}

static void mirror_compare(run *r, mirror *mi) {
  if (!mi->on) return;
  result rt, rm, chk;
  exec_sql(r, "SELECT squeeze_check('t')", &chk);
  if (chk.rc == SQLITE_DONE && strcmp(chk.text, "ok") != 0)
    violated(O_MIRROR, "squeeze_check is no longer ok after the writes: %s", chk.text);
  exec_sql(r, "SELECT rowid, a, b, c, d, e FROM t ORDER BY rowid", &rt);
  exec_sql(r, "SELECT rowid, a, b, c, d, e FROM m ORDER BY rowid", &rm);
  if (resource_error(rt.rc) || resource_error(rm.rc)) return;
  if (rt.rc != SQLITE_DONE)
    violated(O_MIRROR, "after the writes the scan fails: %s", sqlite3_errmsg(r->db));
  if (rt.rows != rm.rows || rt.hash != rm.hash) {
    /* name the first rows that differ */
    dump(r, "SELECT * FROM (SELECT 't', rowid, quote(a), quote(b), quote(c), quote(d), quote(e)"
            " FROM t EXCEPT SELECT 't', rowid, quote(a), quote(b), quote(c), quote(d),"
            " quote(e) FROM m) UNION ALL SELECT * FROM (SELECT 'm', rowid, quote(a), quote(b),"
            " quote(c), quote(d), quote(e) FROM m EXCEPT SELECT 'm', rowid, quote(a), quote(b),"
            " quote(c), quote(d), quote(e) FROM t) LIMIT 6");
    violated(O_MIRROR, "after the writes t has %lld rows, the plain table %lld (or other values)",
             (long long)rt.rows, (long long)rm.rows);
  }
}

/* ---- Functions mode ------------------------------------------------------ */

static const char *const codec_names[] = {"zstd", "lz4",     "lz4hc", "store", "rle", "huffman",
                                          "lz77", "gorilla", "dod",   "delta", "alp", "dict"};
#define NCODECS (sizeof codec_names / sizeof codec_names[0])

static void functions(run *r, input *in) {
  unsigned sel = rd8(in);
  const uint8_t *p = in->p + in->i;
  int n = (int)(in->n - in->i);
  result res;
  static const char *const readers[] = {
      "SELECT decompress(?)",
      "SELECT compressed_codec(?), decompressed_size(?1)",
      "SELECT count(*), total(value), min(seq), max(seq) FROM gorilla_decode(?)",
      "SELECT count(*), sum(ts % 1000), min(seq), max(seq) FROM dod_decode(?)",
      "SELECT length(decompress(?))",
  };
  for (size_t k = 0; k < sizeof readers / sizeof readers[0]; k++) {
    sqlb q = {0};
    sq_add(&q, "%s", readers[k]);
    q.b[0] = (bval){sel & 1 ? SQLITE_TEXT : SQLITE_BLOB, 0, 0, p, n};
    q.nb = 1;
    exec_q(r, &q, &res, 0, 0);
  }

  /* round trip: decompress(compress(x, codec, level)) IS x */
  const char *codec = codec_names[(sel >> 1) % NCODECS];
  int typed = !strcmp(codec, "gorilla") || !strcmp(codec, "dod") || !strcmp(codec, "delta") ||
              !strcmp(codec, "alp");
  int len = typed ? n / 8 * 8 : n;
  sqlb q = {0};
  sq_add(&q, "SELECT decompress(compress(?1, '%s'%s)) IS ?1, compress(?1, '%s') IS NOT NULL", codec,
         sel & 0x80 ? "" : ", 1", codec);
  q.b[0] = (bval){sel & 1 && !typed ? SQLITE_TEXT : SQLITE_BLOB, 0, 0, p, len};
  q.nb = 1;
  exec_q(r, &q, &res, 0, 0);
  if (res.rc == SQLITE_DONE && strcmp(res.text, "1") != 0 && n > 0)
    violated(O_ROUNDTRIP, "decompress(compress(x, '%s')) is not x (%d bytes)", codec, len);

  /* the series encoders through their decoders */
  if (n >= 8) {
    sqlb g = {0};
    sq_add(&g,
           "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k + 1 < ?1),"
           " v(k, x) AS (SELECT k, %s(?2, k) FROM i),"
           " enc(b) AS (SELECT %s_encode(x) FROM (SELECT x FROM v ORDER BY k))"
           " SELECT (SELECT count(*) FROM v) = (SELECT count(*) FROM %s_decode((SELECT b FROM enc))"
           " JOIN v ON v.k = seq - 1 AND v.x IS %s)",
           sel & 0x40 ? "fz_f64" : "fz_i64", sel & 0x40 ? "gorilla" : "dod",
           sel & 0x40 ? "gorilla" : "dod", sel & 0x40 ? "value" : "ts");
    g.b[0] = (bval){SQLITE_INTEGER, n / 8, 0, NULL, 0};
    g.b[1] = (bval){SQLITE_BLOB, 0, 0, p, n};
    g.nb = 2;
    exec_q(r, &g, &res, 0, 0);
    if (res.rc == SQLITE_DONE && strcmp(res.text, "1") != 0)
      violated(O_ROUNDTRIP, "%s_decode(%s_encode(x)) is not x", sel & 0x40 ? "gorilla" : "dod",
               sel & 0x40 ? "gorilla" : "dod");
  }
}

/* ---- Entry ------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup_once();
  if (size == 0) return 0;
  input in = {data, size, 1};
  unsigned mode = data[0] % 4;
  run r = {0};
  sqlite3 *db = open_template(mode == 3 ? 0 : (int)mode, &r);
  if (mode == 3) {
    functions(&r, &in);
  } else {
    apply_edits(&r, &in);
    const char *save = getenv("FUZZ_SQL_SAVE"); /* the damaged database, for the sqlite3 shell */
    if (save) {
      sqlb q = {0};
      sq_add(&q, "VACUUM INTO ");
      bind_bytes(&q, SQLITE_TEXT, (const uint8_t *)save, (int)strlen(save));
      result res;
      exec_q(&r, &q, &res, 0, 0);
    }
    snapshot snap;
    reads(&r, &in, &snap, 5);
    mirror mi = {mirror_start(&r, &snap)};
    result_free(&snap.full);
    writes(&r, &in, &mi);
    mirror_compare(&r, &mi);
    reads(&r, &in, &snap, 2);
    result_free(&snap.full);
  }
  if (sqlite3_close(db) != SQLITE_OK) {
    fprintf(stderr, "fuzz_sql: sqlite3_close: %s\n", sqlite3_errmsg(db));
    abort();
  }
  return 0;
}

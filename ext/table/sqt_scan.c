/*
** sqt_scan.c: reading a squeeze table: xBestIndex and the cursor.
**
**   SELECT sum(temp) FROM readings;                          -- every chunk, one column
**   SELECT * FROM readings WHERE rowid BETWEEN 1000 AND 1999; -- the chunks holding them
**   SELECT count(*) FROM readings WHERE temp > 40;           -- chunks whose max <= 40 skipped
**   SELECT * FROM readings ORDER BY rowid LIMIT 10;          -- no sort, first chunk only
**
** A scan merges two streams in rowid order: the rows of the chosen chunks
** (each chunk's rowids decoded at once; chunks cover disjoint, increasing
** rowid ranges) and the rows of the tail table (a SELECT ordered by id). A
** tail row replaces the chunk row with the same rowid, and a tail tombstone
** hides it. A column of a chunk is decoded, whole, into an array the first
** time xColumn asks for it in that chunk, so only the columns a query uses
** are decoded (colUsed also trims the tail SELECT), a chunk whose rows all
** fail the WHERE clause never decodes the other columns, and LIMIT stops
** before the next chunk is touched. The output is always in ascending rowid
** order, so ORDER BY rowid is consumed.
**
** Zone maps. Each column chunk's data row keeps the null count, min and max
** (SQLite's order: numbers < TEXT < BLOB). A chunk is skipped when a
** constraint (=, <, <=, >, >=, BETWEEN, IN) cannot hold for any value in
** [min, max], and its blobs are never read. Constraints are only ever used
** to skip whole chunks, never to drop rows, so SQLite still tests every row
** it gets (omit stays 0) and the tail needs no zone map.
**
** Comparison affinity: SQLite compares a column of this table with the
** affinity of its declared type. The right-hand value is converted here the
** same way before it meets min and max (numeric affinity for INTEGER and
** REAL columns, TEXT affinity for TEXT columns). A TEXT, BLOB or untyped
** column's own values could be converted by the affinity of a right-hand
** side that is another table's column, so those columns only use zone maps
** when the right-hand side is a literal (sqlite3_vtab_rhs_value).
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_cache.h" /* sqz_cc_clock_ns */

/* ---- Plan encoding ---------------------------------------------------------
** idxNum bits:
**   SQT_IDX_ORDERED  ORDER BY rowid is consumed: the scan returns rows in
**                   rowid order, ascending unless SQT_IDX_DESC
**   SQT_IDX_DESC     ORDER BY rowid DESC: the scan walks chunks, rows and the
**                   tail backwards
**   SQT_IDX_ROWID    argv holds at least one rowid constraint
**   SQT_IDX_ZONE     argv holds at least one column constraint (zone maps)
** idxStr: 16 hex digits of colUsed, then one entry per argv value, in
** order: an operator letter and a column, "r" for the rowid or the column
** index in decimal, entries ended by ','. Operators: E (=), L (<), l (<=),
** G (>), g (>=), I (IN, all values at once through sqlite3_vtab_in_first),
** N (IS NULL) and n (IS NOT NULL), whose argv value is not used.
** Example: "0000000000000003g-r,lr,G1," is rowid >= ?1 AND rowid <= ?2 AND
** column 1 > ?3, using columns 0 and 1.
**
** IS NULL and IS NOT NULL are the only terms the scan decides itself (omit =
** 1): a chunk's null section tells without decoding a value, so such a
** query, like count(*), decodes no values; every other term only skips
** chunks, and SQLite still tests each row.
*/
#define SQT_IDX_ORDERED 1
#define SQT_IDX_ROWID 2
#define SQT_IDX_ZONE 4
#define SQT_IDX_DESC 8
#define SQT_MAX_ARGS 32

static char op_letter(unsigned char op, int in) {
  if (in) return 'I';
  switch (op) {
  case SQLITE_INDEX_CONSTRAINT_EQ:
    return 'E';
  case SQLITE_INDEX_CONSTRAINT_LT:
    return 'L';
  case SQLITE_INDEX_CONSTRAINT_LE:
    return 'l';
  case SQLITE_INDEX_CONSTRAINT_GT:
    return 'G';
  case SQLITE_INDEX_CONSTRAINT_GE:
    return 'g';
  }
  return 0;
}

int sqt_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendf(s, "%016llx", (unsigned long long)info->colUsed);
  int argc = 0, idxNum = 0, rowid_eq = 0, rowid_in = 0, rowid_lo = 0, rowid_hi = 0, zone = 0;
  for (int i = 0; i < info->nConstraint && argc < SQT_MAX_ARGS; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable) continue;
    int col = c->iColumn;
    if (col >= p->decl.ncol) continue;
    if (col >= 0 &&
        (c->op == SQLITE_INDEX_CONSTRAINT_ISNULL || c->op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL)) {
      /* decided by the scan from null sections; the column is read in the tail */
      info->aConstraintUsage[i].argvIndex = ++argc;
      info->aConstraintUsage[i].omit = 1;
      sqlite3_str_appendf(s, "%c%d,", c->op == SQLITE_INDEX_CONSTRAINT_ISNULL ? 'N' : 'n', col);
      idxNum |= SQT_IDX_ZONE;
      zone++;
      continue;
    }
    char op = op_letter(c->op, 0);
    if (!op) continue;
    if (col >= 0) {
      const char *coll = sqlite3_vtab_collation(info, i);
      if (coll && sqlite3_stricmp(coll, "BINARY") != 0) continue;
      if (!sqt_aff_numeric(p->decl.col[col].aff)) {
        sqlite3_value *rhs = NULL;
        if (sqlite3_vtab_rhs_value(info, i, &rhs) != SQLITE_OK) continue; /* not a literal */
      }
    }
    int in = c->op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(info, i, -1);
    if (in) sqlite3_vtab_in(info, i, 1);
    op = op_letter(c->op, in);
    info->aConstraintUsage[i].argvIndex = ++argc;
    info->aConstraintUsage[i].omit = 0;
    if (col < 0) {
      sqlite3_str_appendf(s, "%cr,", op);
      idxNum |= SQT_IDX_ROWID;
      if (op == 'E') rowid_eq = 1;
      if (op == 'I') rowid_in = 1;
      if (op == 'G' || op == 'g') rowid_lo = 1;
      if (op == 'L' || op == 'l') rowid_hi = 1;
    } else {
      sqlite3_str_appendf(s, "%c%d,", op, col);
      idxNum |= SQT_IDX_ZONE;
      zone++;
    }
  }
  double rows = p->est_rows > 0 ? (double)p->est_rows : 1;
  if (rowid_eq) {
    rows = 1;
  } else if (rowid_in) {
    rows = rows < 10 ? rows : 10;
  } else {
    if (rowid_lo) rows /= 4;
    if (rowid_hi) rows /= 4;
  }
  for (int k = 0; k < zone; k++)
    rows /= 2;
  if (rows < 1) rows = 1;
  info->estimatedRows = (sqlite3_int64)rows;
  info->estimatedCost = 10 + rows;
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1) {
    info->orderByConsumed = 1;
    idxNum |= SQT_IDX_ORDERED;
    if (info->aOrderBy[0].desc) idxNum |= SQT_IDX_DESC;
  }
  info->idxNum = idxNum;
  info->idxStr = sqlite3_str_finish(s);
  if (!info->idxStr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/* ---- The cursor ------------------------------------------------------------ */

typedef struct sqt_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  sqt_vtab *tab;            /* the table */
  int eof;                  /* no current row */
  int64_t rowid;            /* rowid of the current row */
  int from_tail;            /* the current row is the tail statement's row */
  int64_t lo, hi;           /* rowid bounds of the scan */
  int64_t *points;          /* sorted rowids to return (rowid = / IN), or NULL */
  int npoints;              /* entries in points */
  int ipoint;               /* next point to look for */
  uint64_t used;            /* colUsed of the plan */

  int desc;             /* descending rowid order (ORDER BY rowid DESC consumed) */
  int emitted;          /* a row has been returned (rowid holds the last one) */
  uint64_t epoch;       /* tab->epoch when chunks was read */
  int64_t chunk_lo;     /* rows of chunks outside [chunk_lo, chunk_hi] are skipped */
  int64_t chunk_hi;     /* (a resync narrows them past the last row returned) */
  sqt_rows now;         /* the current version of the row (see column_now) */
  int64_t now_rowid;    /* whose version now holds */
  int now_state;        /* 0 none, 1 now holds it, 2 the row is gone */
  int cap_chunks;       /* entries allocated in chunks */
  sqt_chunkref *chunks; /* a batch of chunks to read, in scan order */
  int nchunks;          /* entries in chunks */
  int ichunk;           /* current chunk, -1 before the first */
  int dir_done;         /* the directory has no chunks past the batch */
  int64_t dir_key;      /* where the next batch starts (a maxrow bound) */
  int64_t dir_prev;     /* maxrow (asc) or minrow (desc) of the last chunk read */
  int dir_any;          /* a chunk was read (dir_prev is set) */
  int batch;            /* directory rows the next batch reads */
  int dir_owner;        /* descending: the first batch starts at chunk_hi's chunk */
  uint64_t chunk_seq;   /* counts chunks loaded: names the current one */
  sqt_slot *ids;        /* rowids of the current chunk (pinned), or NULL */
  int64_t row, end;     /* current row index and the end of the chunk's range:
                           ascending rows [row, end), descending rows [end, row] */
  int64_t fast_end;     /* rows up to it follow row without a merge decision */
  sqt_slot **cols;      /* [ncol] decoded columns of the current chunk (pinned), or NULL */
  /* A scan that reads few rows of a chunk (a point lookup, a short range)
  ** takes them straight from the chunk cache (sqt_slot_rows) instead of
  ** copying whole decoded chunks; allocated on first use */
  sqt_window *win; /* [ncol] */

  /* IS NULL / IS NOT NULL terms, decided here (best_index sets omit) */
  int nnull_terms; /* entries in null_terms */
  struct {
    int col;               /* the column */
    int want_null;         /* IS NULL (1) or IS NOT NULL (0) */
    uint8_t *isnull;       /* [nrows] of chunk isnull_chunk, or NULL */
    uint32_t cap;          /* bytes allocated in isnull */
    uint64_t isnull_chunk; /* the chunk_seq isnull describes, 0 for none */
  } null_terms[SQT_MAX_ARGS];

  sqlite3_stmt *tail; /* SELECT id, dead, <used columns> FROM tail ... */
  uint64_t tail_used; /* the colUsed tail was prepared for */
  int tail_desc;      /* and its order */
  int *tail_index;    /* [ncol] result column of each column in tail, -1 if absent */
  int tail_ok;        /* tail is on a row */
  int64_t tail_id;    /* its id */
  int tail_dead;      /* it is a tombstone */
} sqt_cursor;

int sqt_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqt_cursor *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->tab = p;
  int n = p->decl.ncol;
  c->cols = sqlite3_malloc64(sizeof(sqt_slot *) * (size_t)n);
  c->tail_index = sqlite3_malloc64(sizeof(int) * (size_t)n);
  if (!c->cols || !c->tail_index) {
    sqlite3_free(c->cols);
    sqlite3_free(c->tail_index);
    sqlite3_free(c);
    return SQLITE_NOMEM;
  }
  memset(c->cols, 0, sizeof(sqt_slot *) * (size_t)n);
  sqt_rows_init(&c->now, n, p->alloc);
  if (!c->now.col && n) {
    sqt_close(&c->base);
    return SQLITE_NOMEM;
  }
  c->eof = 1;
  *ppCursor = &c->base;
  return SQLITE_OK;
}

/* Unpins the slots of the current chunk. */
static void release_chunk(sqt_cursor *c) {
  sqt_slot_release(c->tab, c->ids);
  c->ids = NULL;
  for (int i = 0; i < c->tab->decl.ncol; i++) {
    sqt_slot_release(c->tab, c->cols[i]);
    c->cols[i] = NULL;
  }
}

int sqt_close(sqlite3_vtab_cursor *cur) {
  sqt_cursor *c = (sqt_cursor *)cur;
  release_chunk(c);
  sqt_rows_free(&c->now);
  sqt_tail_give(c->tab, c->tail, c->tail_used, c->tail_desc);
  sqlite3_free(c->cols);
  sqt_window_give(c->tab, c->win);
  sqlite3_free(c->tail_index);
  sqlite3_free(c->chunks);
  sqlite3_free(c->points);
  for (int k = 0; k < SQT_MAX_ARGS; k++)
    sqlite3_free(c->null_terms[k].isnull);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Whether row c->row of the current chunk has a NULL in column col, from the
** decoded column when there is one, else from the chunk's null section (term
** k's map, read once per chunk). */
static int chunk_row_null(sqt_cursor *c, int k, int *isnull) {
  int col = c->null_terms[k].col;
  if (c->cols[col]) {
    *isnull = c->cols[col]->col.type[c->row] == SQZ_CLASS_NULL;
    return SQLITE_OK;
  }
  if (c->null_terms[k].isnull_chunk != c->chunk_seq) {
    const sqt_chunkref *ref = &c->chunks[c->ichunk];
    if (c->null_terms[k].cap < ref->nrows) {
      uint8_t *m = sqlite3_realloc64(c->null_terms[k].isnull, ref->nrows);
      if (!m) return SQLITE_NOMEM;
      c->null_terms[k].isnull = m;
      c->null_terms[k].cap = ref->nrows;
    }
    c->null_terms[k].isnull_chunk = 0;
    int rc = sqt_decode_nulls(c->tab, ref, col + 1, c->null_terms[k].isnull);
    if (rc != SQLITE_OK) return rc;
    c->null_terms[k].isnull_chunk = c->chunk_seq;
  }
  *isnull = c->null_terms[k].isnull[c->row] != 0;
  return SQLITE_OK;
}

/* Whether the row settle() is about to return passes every IS NULL / IS NOT
** NULL term: a tail row by its value, a chunk row by its null section. */
static int null_terms_pass(sqt_cursor *c, int from_tail, int *pass) {
  *pass = 1;
  for (int k = 0; k < c->nnull_terms && *pass; k++) {
    int col = c->null_terms[k].col, isnull;
    if (from_tail) {
      int i = c->tail_index[col];
      isnull = i < 0 || sqlite3_column_type(c->tail, i) == SQLITE_NULL;
    } else {
      int rc = chunk_row_null(c, k, &isnull);
      if (rc != SQLITE_OK) return rc;
    }
    *pass = isnull == c->null_terms[k].want_null;
  }
  return SQLITE_OK;
}

/* A right-hand value as the comparison with column col sees it: with the
** column's affinity applied (numeric for INTEGER/REAL/NUMERIC, to v in place;
** TEXT for TEXT, to a copy). *dup receives the copy, to free with
** sqlite3_value_free. */
static sqz_value rhs_value(const sqt_column *col, sqlite3_value *v, sqlite3_value **dup) {
  int t = sqlite3_value_type(v);
  *dup = NULL;
  if (sqt_aff_numeric(col->aff) && t == SQLITE_TEXT) {
    sqt_value_numeric(v);
  } else if (col->aff == SQT_AFF_TEXT && (t == SQLITE_INTEGER || t == SQLITE_FLOAT)) {
    *dup = sqlite3_value_dup(v);
    if (*dup) {
      sqz_value x = {SQZ_CLASS_TEXT, 0, sqlite3_value_text(*dup), 0};
      x.n = (size_t)sqlite3_value_bytes(*dup);
      if (x.p) return x;
    }
  }
  return sqt_value_of(v);
}

/* Whether some value in [lo, hi] (a NULL bound: unknown) can satisfy
** "value op v". utf8: TEXT compares as UTF-8 bytes, the order lo and hi were
** found in; otherwise (a UTF-16 database, whose BINARY collation compares
** UTF-16 code units) any comparison of TEXT with TEXT may match. */
static int may_match(char op, const sqz_value *lo, const sqz_value *hi, const sqz_value *v,
                     int utf8) {
  if (v->cls == SQZ_CLASS_NULL) return 0;
  if (!utf8 && (v->cls == SQZ_CLASS_TEXT || lo->cls == SQZ_CLASS_TEXT || hi->cls == SQZ_CLASS_TEXT))
    return 1;
  int has_lo = lo->cls != SQZ_CLASS_NULL, has_hi = hi->cls != SQZ_CLASS_NULL;
  switch (op) {
  case 'E':
  case 'I':
    return (!has_lo || sqz_value_compare(v, lo) >= 0) && (!has_hi || sqz_value_compare(v, hi) <= 0);
  case 'L':
    return !has_lo || sqz_value_compare(lo, v) < 0;
  case 'l':
    return !has_lo || sqz_value_compare(lo, v) <= 0;
  case 'G':
    return !has_hi || sqz_value_compare(hi, v) > 0;
  case 'g':
    return !has_hi || sqz_value_compare(hi, v) >= 0;
  }
  return 1;
}

/* One column constraint of the plan. */
typedef struct zone_term {
  char op;            /* E L l G g I */
  int col;            /* column index */
  sqlite3_value *arg; /* the xFilter argument */
} zone_term;

/* Whether chunk k can hold a row that satisfies every term. Sets *rc. */
static int chunk_may_match(sqt_cursor *c, const sqt_chunkref *k, const zone_term *t, int nt,
                           int *rc) {
  sqt_vtab *p = c->tab;
  for (int i = 0; i < nt; i++) {
    sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_STAT, rc);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, sqt_key(k->gen, t[i].col + 1));
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
      sqlite3_reset(s);
      *rc = step == SQLITE_DONE ? sqt_error(p, SQLITE_CORRUPT_VTAB,
                                            "table %s: chunk of rows %lld..%lld, column %s: data "
                                            "row missing",
                                            p->zName, (long long)k->minrow, (long long)k->maxrow,
                                            p->decl.col[t[i].col].name)
                                : step;
      return 0;
    }
    int match;
    if (!sqt_zone_valid(p, s, 0, sqt_key(k->gen, t[i].col + 1))) {
      sqlite3_reset(s);
      *rc = sqt_error(p, SQLITE_CORRUPT_VTAB,
                      "table %s: chunk of rows %lld..%lld, column %s: the zone map does not match "
                      "its checksum",
                      p->zName, (long long)k->minrow, (long long)k->maxrow,
                      p->decl.col[t[i].col].name);
      return 0;
    }
    sqlite3_int64 nnull = sqlite3_column_int64(s, 0);
    if (t[i].op == 'N' || t[i].op == 'n') {
      match = t[i].op == 'N' ? nnull > 0 : nnull < (sqlite3_int64)k->nrows;
    } else if (nnull >= (sqlite3_int64)k->nrows) {
      match = 0; /* every value NULL: no comparison holds */
    } else {
      sqz_value lo = sqt_value_of(sqlite3_column_value(s, 1));
      sqz_value hi = sqt_value_of(sqlite3_column_value(s, 2));
      const sqt_column *col = &p->decl.col[t[i].col];
      sqlite3_value *dup = NULL;
      if (t[i].op == 'I') {
        sqlite3_value *x;
        match = 0;
        int r;
        for (r = sqlite3_vtab_in_first(t[i].arg, &x); r == SQLITE_OK && x && !match;
             r = sqlite3_vtab_in_next(t[i].arg, &x)) {
          sqz_value v = rhs_value(col, x, &dup);
          match = may_match('I', &lo, &hi, &v, p->utf8);
          sqlite3_value_free(dup);
        }
        if (r != SQLITE_OK && r != SQLITE_DONE) match = 1;
      } else {
        sqz_value v = rhs_value(col, t[i].arg, &dup);
        match = may_match(t[i].op, &lo, &hi, &v, p->utf8);
        sqlite3_value_free(dup);
      }
    }
    sqlite3_reset(s);
    if (!match) return 0;
  }
  return 1;
}

/* v (integral) as an int64: 0 with *out set, -1 below, 1 above the range. */
static int to_i64(double v, int64_t *out) {
  if (v < -9223372036854775808.0) return -1;
  if (v >= 9223372036854775808.0) return 1;
  *out = (int64_t)v;
  return 0;
}

/* The integers x with "x op d" as [*a, *b]; 0 when there are none. */
static int real_bound(char op, double d, int64_t *a, int64_t *b) {
  int64_t x = 0;
  int r;
  if (d != d) return 0;
  switch (op) {
  case 'E':
    if (floor(d) != d || to_i64(d, &x) != 0) return 0;
    *a = *b = x;
    return 1;
  case 'L':
    r = to_i64(ceil(d), &x);
    if (r < 0 || (r == 0 && x == INT64_MIN)) return 0;
    if (r == 0) *b = x - 1;
    return 1;
  case 'l':
    r = to_i64(floor(d), &x);
    if (r < 0) return 0;
    if (r == 0) *b = x;
    return 1;
  case 'G':
    r = to_i64(floor(d), &x);
    if (r > 0 || (r == 0 && x == INT64_MAX)) return 0;
    if (r == 0) *a = x + 1;
    return 1;
  case 'g':
    r = to_i64(ceil(d), &x);
    if (r > 0) return 0;
    if (r == 0) *a = x;
    return 1;
  }
  return 1;
}

/* A rowid constraint value as an integer bound. Returns 0 when no rowid can
** satisfy "rowid op v", else 1 with [*lo, *hi] narrowed. Rowids have
** INTEGER affinity: TEXT that looks like a number compares as that number. */
static int rowid_bound(char op, sqlite3_value *arg, int64_t *lo, int64_t *hi) {
  int t = sqt_value_numeric(arg); /* in place */
  int ok = 1;
  int64_t a = INT64_MIN, b = INT64_MAX;
  if (t == SQLITE_NULL) {
    ok = 0;
  } else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
    ok = op == 'L' || op == 'l'; /* every integer sorts below TEXT and BLOB */
  } else if (t == SQLITE_INTEGER) {
    int64_t v = sqlite3_value_int64(arg);
    switch (op) {
    case 'E':
      a = b = v;
      break;
    case 'L':
      if (v == INT64_MIN)
        ok = 0;
      else
        b = v - 1;
      break;
    case 'l':
      b = v;
      break;
    case 'G':
      if (v == INT64_MAX)
        ok = 0;
      else
        a = v + 1;
      break;
    case 'g':
      a = v;
      break;
    }
  } else {
    ok = real_bound(op, sqlite3_value_double(arg), &a, &b);
  }
  if (ok) {
    if (a > *lo) *lo = a;
    if (b < *hi) *hi = b;
  }
  return ok;
}

/* Collects the integer rowids of an IN list (or intersects them with the
** points already there). */
static int rowid_in(sqt_cursor *c, sqlite3_value *list) {
  int64_t *v = NULL;
  int n = 0, cap = 0, r;
  sqlite3_value *x;
  for (r = sqlite3_vtab_in_first(list, &x); r == SQLITE_OK && x;
       r = sqlite3_vtab_in_next(list, &x)) {
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (!rowid_bound('E', x, &lo, &hi) || lo != hi) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      int64_t *q = sqlite3_realloc64(v, sizeof(int64_t) * (size_t)cap);
      if (!q) {
        sqlite3_free(v);
        return SQLITE_NOMEM;
      }
      v = q;
    }
    v[n++] = lo;
  }
  if (r != SQLITE_OK && r != SQLITE_DONE) {
    sqlite3_free(v);
    return r;
  }
  qsort(v, (size_t)n, sizeof(int64_t), sqt_cmp_i64);
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (m > 0 && v[m - 1] == v[i]) continue;
    if (c->points && !bsearch(&v[i], c->points, (size_t)c->npoints, sizeof(int64_t), sqt_cmp_i64))
      continue;
    v[m++] = v[i];
  }
  sqlite3_free(c->points);
  c->points = v;
  c->npoints = m;
  return SQLITE_OK;
}

/* Whether the cursor holds a tail statement for (used, its order). */
static int tail_held(const sqt_cursor *c, uint64_t used) {
  return c->tail && c->tail_used == used && c->tail_desc == c->desc;
}

/* Prepares the tail statement for the columns in used (reused when the
** plan's colUsed is the same). */
static int prepare_tail(sqt_cursor *c, uint64_t used) {
  sqt_vtab *p = c->tab;
  int desc = c->desc;
  if (tail_held(c, used)) {
    sqlite3_reset(c->tail);
    return SQLITE_OK;
  }
  /* take before giving back: a full pool could drop the very one wanted */
  sqlite3_stmt *old = c->tail;
  c->tail = sqt_tail_take(p, used, desc);
  sqt_tail_give(p, old, c->tail_used, c->tail_desc);
  if (!c->tail) {
    char *sql = sqt_tail_select_sql(p, used, desc);
    if (!sql) return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->tail, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) return sqt_error(p, rc, "%s", sqlite3_errmsg(p->db));
  }
  sqt_tail_columns(p, used, c->tail_index);
  c->tail_used = used;
  c->tail_desc = desc;
  return SQLITE_OK;
}

/* Ranges of fewer rowids than this are counted in the tail before its
** SELECT is prepared (tail_may_hold). */
#define SQT_TAIL_PROBE_SPAN 65536

/* *any = whether the tail may hold rows in [lo, hi]. A cursor with a tail
** statement at hand (its own, or one a closed cursor left) says yes at once;
** otherwise a narrow range (a lookup, a short range: what a new connection
** per request does) is first counted by a statement of one column, which
** costs a third of preparing the tail SELECT of every column, in the usual
** case where the tail holds none of it. */
static int tail_may_hold(sqt_cursor *c, int64_t lo, int64_t hi, int *any) {
  sqt_vtab *p = c->tab;
  *any = 1;
  if (tail_held(c, c->used) || sqt_tail_held(p, c->used, c->desc) ||
      (uint64_t)hi - (uint64_t)lo >= SQT_TAIL_PROBE_SPAN)
    return SQLITE_OK;
  int64_t n = 1;
  int rc = sqt_query_count(p, SQT_TAIL_COUNT_RANGE, lo, hi, &n);
  *any = n > 0;
  return rc;
}

/* Moves the tail statement to its next row. */
static int tail_step(sqt_cursor *c) {
  int rc = sqlite3_step(c->tail);
  if (rc == SQLITE_ROW) {
    c->tail_ok = 1;
    c->tail_id = sqlite3_column_int64(c->tail, 0);
    sqlite3_int64 dead = sqlite3_column_int64(c->tail, 1);
    c->tail_dead = (int)(dead & 1);
    if (sqlite3_column_type(c->tail, 1) != SQLITE_INTEGER || (dead != 0 && dead != 1)) {
      c->tail_ok = 0;
      return sqt_error(c->tab, SQLITE_CORRUPT_VTAB, "table %s: tail row %lld is corrupt",
                       c->tab->zName, (long long)c->tail_id);
    }
    return SQLITE_OK;
  }
  c->tail_ok = 0;
  if (rc == SQLITE_DONE) return SQLITE_OK;
  return sqt_error(c->tab, rc, "%s", sqlite3_errmsg(c->tab->db));
}

/* Loads chunk i: its rowids, and the row range within [chunk_lo, chunk_hi]. */
static int load_chunk(sqt_cursor *c, int i) {
  c->ichunk = i;
  c->chunk_seq++;
  release_chunk(c);
  int rc = sqt_slot_get(c->tab, &c->chunks[i], 0, &c->ids);
  if (rc != SQLITE_OK) {
    c->row = c->desc ? -1 : 0;
    c->end = 0;
    return rc;
  }
  uint32_t n = c->chunks[i].nrows;
  uint32_t first = sqt_slot_lower_bound(c->ids, 0, n, c->chunk_lo);
  uint32_t past =
      c->chunk_hi == INT64_MAX ? n : sqt_slot_lower_bound(c->ids, first, n, c->chunk_hi + 1);
  if (c->desc) {
    c->row = (int64_t)past - 1;
    c->end = first;
  } else {
    c->row = first;
    c->end = past;
  }
  return SQLITE_OK;
}

/* Starts the scan's walk of the directory, over chunks that can hold rows
** in [from, to], in scan order. The chunks are read in batches (4, then
** twice as many each time, up to 512), so a LIMIT reads few directory rows
** in either direction. */
static void start_chunks(sqt_cursor *c, int64_t from, int64_t to) {
  release_chunk(c);
  c->nchunks = 0;
  c->ichunk = -1;
  c->row = c->desc ? -1 : 0; /* exhausted: the first chunk_head loads a chunk */
  c->end = c->fast_end = 0;
  c->emitted = 0;
  c->now_state = 0;
  c->chunk_lo = from;
  c->chunk_hi = to;
  c->epoch = c->tab->epoch;
  c->dir_done = 0;
  c->dir_any = 0;
  c->batch = 4;
  /* ascending: chunks with maxrow >= from; descending: from the chunk that
  ** holds `to` (the first with maxrow >= to) down */
  c->dir_key = c->desc ? INT64_MAX : from;
  c->dir_owner = c->desc;
}

/* Reads the next batch of directory rows into c->chunks, keeping the chunks
** that can hold one of the points and (with terms) rows matching every term;
** nchunks may be 0 while dir_done is not set (a batch of skipped chunks). */
static int fetch_chunks(sqt_cursor *c, const zone_term *terms, int nt) {
  sqt_vtab *p = c->tab;
  int rc = SQLITE_OK;
  c->nchunks = 0;
  c->ichunk = -1;
  if (c->desc && c->dir_owner) {
    /* the chunk holding chunk_hi, or the last chunk when none ends past it */
    sqt_chunkref k;
    int found;
    c->dir_owner = 0;
    rc = sqt_chunk_query(p, SQT_CHUNK_OWNER, 1, c->chunk_hi, &k, &found);
    if (rc != SQLITE_OK) return rc;
    c->dir_key = found ? k.maxrow : INT64_MAX;
  }
  sqlite3_stmt *q = sqt_stmt(p, c->desc ? SQT_CHUNK_DOWN : SQT_CHUNK_FROM, &rc);
  if (!q) return rc;
  sqlite3_bind_int64(q, 1, c->dir_key);
  int step = SQLITE_DONE, read = 0;
  while (read < c->batch && (step = sqlite3_step(q)) == SQLITE_ROW) {
    sqt_chunkref k;
    rc = sqt_chunkref_read(p, q, &k);
    if (rc == SQLITE_OK && c->dir_any &&
        (c->desc ? k.maxrow >= c->dir_prev : k.minrow <= c->dir_prev))
      rc = sqt_error(p, SQLITE_CORRUPT_VTAB, "table %s: chunks overlap at rowid %lld", p->zName,
                     (long long)(c->desc ? k.maxrow : k.minrow));
    if (rc != SQLITE_OK) break;
    read++;
    c->dir_any = 1;
    c->dir_prev = c->desc ? k.minrow : k.maxrow;
    if (c->desc ? k.maxrow < c->chunk_lo : k.minrow > c->chunk_hi) {
      c->dir_done = 1; /* past the scan's range */
      break;
    }
    /* the next batch starts past this chunk */
    if (c->desc ? k.maxrow == INT64_MIN : k.maxrow == INT64_MAX) c->dir_done = 1;
    c->dir_key = c->desc ? k.maxrow - (k.maxrow > INT64_MIN) : k.maxrow + (k.maxrow < INT64_MAX);
    if (c->desc ? k.minrow > c->chunk_hi : k.maxrow < c->chunk_lo) continue;
    if (c->points) {
      /* the first point at or above minrow must not be past maxrow */
      int l = 0, h = c->npoints;
      while (l < h) {
        int m = l + (h - l) / 2;
        if (c->points[m] < k.minrow)
          l = m + 1;
        else
          h = m;
      }
      if (l == c->npoints || c->points[l] > k.maxrow) continue;
    }
    if (nt > 0 && !chunk_may_match(c, &k, terms, nt, &rc)) {
      if (rc != SQLITE_OK) break;
      continue;
    }
    if (c->nchunks == c->cap_chunks) {
      int cap = c->cap_chunks ? c->cap_chunks * 2 : 16;
      sqt_chunkref *n = sqlite3_realloc64(c->chunks, sizeof(sqt_chunkref) * (size_t)cap);
      if (!n) {
        rc = SQLITE_NOMEM;
        break;
      }
      c->chunks = n;
      c->cap_chunks = cap;
    }
    c->chunks[c->nchunks++] = k;
  }
  if (rc == SQLITE_OK && read < c->batch && !c->dir_done) {
    if (step != SQLITE_DONE) {
      rc = sqt_error(p, step, "%s", sqlite3_errmsg(p->db));
    } else {
      c->dir_done = 1;
    }
  }
  sqlite3_reset(q);
  if (c->batch < 512) c->batch *= 2; /* (an eager scan's INT_MAX stays) */
  return rc;
}

/* The rowid of the current chunk row, loading chunks (and batches of the
** directory) as needed; *have = 0 when the chunks are exhausted. */
static int chunk_head(sqt_cursor *c, int64_t *id, int *have) {
  while (c->desc ? c->row < c->end : c->row >= c->end) {
    while (c->ichunk + 1 >= c->nchunks) {
      if (c->dir_done) {
        *have = 0;
        return SQLITE_OK;
      }
      int rc = fetch_chunks(c, NULL, 0);
      if (rc != SQLITE_OK) return rc;
    }
    int rc = load_chunk(c, c->ichunk + 1);
    if (rc != SQLITE_OK) return rc;
  }
  *have = 1;
  *id = sqt_slot_rowid(c->ids, (uint32_t)c->row);
  return SQLITE_OK;
}

/* The row index after the current one in scan order. */
static void step_row(sqt_cursor *c) {
  c->row += c->desc ? -1 : 1;
}

/* Finds the next row at or after (in scan order) the current positions of
** both streams. */
static int settle(sqt_cursor *c) {
  for (;;) {
    int64_t cid = 0;
    int have;
    int rc = chunk_head(c, &cid, &have);
    if (rc != SQLITE_OK) return rc;
    if (!have && !c->tail_ok) {
      c->eof = 1;
      return SQLITE_OK;
    }
    int64_t id;
    int from_tail = c->tail_ok && (!have || (c->desc ? c->tail_id >= cid : c->tail_id <= cid));
    id = from_tail ? c->tail_id : cid;
    if (c->points) {
      if (c->desc) {
        while (c->ipoint >= 0 && c->points[c->ipoint] > id)
          c->ipoint--;
      } else {
        while (c->ipoint < c->npoints && c->points[c->ipoint] < id)
          c->ipoint++;
      }
      if (c->ipoint < 0 || c->ipoint >= c->npoints) {
        c->eof = 1;
        return SQLITE_OK;
      }
      int64_t want = c->points[c->ipoint];
      if (id != want) {
        /* skip ahead in both streams */
        if (c->desc) {
          if (have && cid > want)
            c->row = (int64_t)sqt_slot_lower_bound(c->ids, (uint32_t)c->end, (uint32_t)c->row + 1,
                                                   want + 1) -
                     1;
          while (c->tail_ok && c->tail_id > want) {
            rc = tail_step(c);
            if (rc != SQLITE_OK) return rc;
          }
        } else {
          if (have && cid < want)
            c->row = sqt_slot_lower_bound(c->ids, (uint32_t)c->row, (uint32_t)c->end, want);
          while (c->tail_ok && c->tail_id < want) {
            rc = tail_step(c);
            if (rc != SQLITE_OK) return rc;
          }
        }
        continue;
      }
    }
    if (from_tail) {
      if (have && cid == id) step_row(c); /* replaced (or deleted) by the tail row */
      if (c->tail_dead) {
        rc = tail_step(c); /* a tombstone */
        if (rc != SQLITE_OK) return rc;
        continue;
      }
    }
    if (c->nnull_terms) {
      int pass;
      rc = null_terms_pass(c, from_tail, &pass);
      if (rc != SQLITE_OK) return rc;
      if (!pass) {
        if (from_tail)
          rc = tail_step(c);
        else
          step_row(c);
        if (rc != SQLITE_OK) return rc;
        continue;
      }
    }
    c->from_tail = from_tail;
    c->rowid = id;
    c->emitted = 1;
    c->eof = 0;
    /* chunk rows up to fast_end need no merge decision (sqt_next) */
    c->fast_end = c->desc ? c->row : c->row + 1;
    if (!from_tail && !c->points && !c->nnull_terms) {
      if (!c->desc) {
        c->fast_end = c->tail_ok ? sqt_slot_lower_bound(c->ids, (uint32_t)c->row, (uint32_t)c->end,
                                                        c->tail_id)
                                 : c->end;
      } else if (!c->tail_ok) {
        c->fast_end = c->end;
      } else if (c->tail_id < INT64_MAX) {
        /* rows with ids above the tail's next one */
        c->fast_end =
            sqt_slot_lower_bound(c->ids, (uint32_t)c->end, (uint32_t)c->row + 1, c->tail_id + 1);
      }
    }
    return SQLITE_OK;
  }
}

int sqt_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
               sqlite3_value **argv) {
  sqt_cursor *c = (sqt_cursor *)cur;
  sqt_vtab *p = c->tab;
  c->desc = (idxNum & SQT_IDX_DESC) != 0;
  c->eof = 1;
  start_chunks(c, INT64_MIN, INT64_MAX);
  c->dir_done = 1; /* nothing until the plan is read */
  c->tail_ok = 0;
  c->ipoint = 0;
  sqlite3_free(c->points);
  c->points = NULL;
  c->npoints = 0;
  c->lo = INT64_MIN;
  c->hi = INT64_MAX;
  int rc = sqt_flush(p, SQT_FLUSH_FULL); /* fails when the table is poisoned */
  if (rc == SQLITE_OK) rc = sqt_cache_check(p);
  p->scan_t0 = sqz_cc_clock_ns();
  p->store_ns = 0;
  if (rc != SQLITE_OK) return rc;

  /* decode the plan (see the comment above sqt_best_index) */
  zone_term terms[SQT_MAX_ARGS];
  int nt = 0, possible = 1;
  c->used = ~(uint64_t)0;
  c->nnull_terms = 0;
  if (idxStr && strlen(idxStr) >= 16) {
    char hex[17];
    memcpy(hex, idxStr, 16); /* exactly 16 digits: the operator letter E is a hex digit too */
    hex[16] = 0;
    c->used = strtoull(hex, NULL, 16);
  }
  const char *s = idxStr && strlen(idxStr) >= 16 ? idxStr + 16 : "";
  for (int a = 0; a < argc && *s && rc == SQLITE_OK; a++) {
    char op = *s++;
    if (*s == 'r') {
      s++;
      if (op == 'I')
        rc = rowid_in(c, argv[a]);
      else if (!rowid_bound(op, argv[a], &c->lo, &c->hi))
        possible = 0;
    } else {
      int col = (int)strtol(s, (char **)&s, 10);
      if (col >= 0 && col < p->decl.ncol && nt < SQT_MAX_ARGS) {
        terms[nt].op = op;
        terms[nt].col = col;
        terms[nt].arg = argv[a];
        nt++;
        if (op == 'N' || op == 'n') {
          int k = c->nnull_terms++;
          c->null_terms[k].col = col;
          c->null_terms[k].want_null = op == 'N';
          c->null_terms[k].isnull_chunk = 0;
          /* the tail SELECT must read the column to test it */
          c->used |= (uint64_t)1 << (col < 63 ? col : 63);
        }
      }
    }
    if (*s == ',') s++;
  }
  if (rc != SQLITE_OK) return rc;
  if (c->points) {
    int m = 0;
    for (int i = 0; i < c->npoints; i++)
      if (c->points[i] >= c->lo && c->points[i] <= c->hi) c->points[m++] = c->points[i];
    c->npoints = m;
    if (m == 0)
      possible = 0;
    else
      c->lo = c->points[0], c->hi = c->points[m - 1];
  }
  if (!possible || c->lo > c->hi) return SQLITE_OK;

  if (c->desc) c->ipoint = c->npoints - 1;
  start_chunks(c, c->lo, c->hi);
  if (nt > 0) c->batch = INT_MAX; /* zone terms are read here, in xFilter: every batch now */
  rc = fetch_chunks(c, terms, nt);
  if (rc != SQLITE_OK) return rc;

  /* the tail, over the same rowid range */
  int any;
  rc = tail_may_hold(c, c->lo, c->hi, &any);
  if (rc != SQLITE_OK) return rc;
  if (!any) { /* tail_ok is 0; a statement of an earlier plan goes back to the pool */
    sqt_tail_give(c->tab, c->tail, c->tail_used, c->tail_desc);
    c->tail = NULL;
    return settle(c);
  }
  rc = prepare_tail(c, c->used);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(c->tail, 1, c->lo);
  sqlite3_bind_int64(c->tail, 2, c->hi);
  rc = tail_step(c);
  if (rc != SQLITE_OK) return rc;
  return settle(c);
}

/* Another statement of this connection wrote the table during the scan
** (the epoch moved): read the directory and the tail again past the row last
** returned, so the scan goes on with the table as it is now, as a b-tree
** cursor does on a plain table. */
static int resync(sqt_cursor *c) {
  int64_t from = c->lo, to = c->hi;
  if (c->desc) {
    if (c->rowid == INT64_MIN || c->rowid <= c->lo) {
      c->eof = 1;
      return SQLITE_OK;
    }
    to = c->rowid - 1 < c->hi ? c->rowid - 1 : c->hi;
  } else {
    if (c->rowid == INT64_MAX || c->rowid >= c->hi) {
      c->eof = 1;
      return SQLITE_OK;
    }
    from = c->rowid + 1 > c->lo ? c->rowid + 1 : c->lo;
  }
  start_chunks(c, from, to);
  int rc = fetch_chunks(c, NULL, 0);
  if (rc != SQLITE_OK) return rc;
  rc = prepare_tail(c, c->used); /* the first scan may have needed none */
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(c->tail, 1, from);
  sqlite3_bind_int64(c->tail, 2, to);
  rc = tail_step(c);
  if (rc != SQLITE_OK) return rc;
  return settle(c);
}

int sqt_next(sqlite3_vtab_cursor *cur) {
  sqt_cursor *c = (sqt_cursor *)cur;
  if (c->epoch != c->tab->epoch) return resync(c);
  if (c->from_tail) {
    int rc = tail_step(c);
    if (rc != SQLITE_OK) return rc;
  } else if (c->desc ? --c->row >= c->fast_end : ++c->row < c->fast_end) {
    /* the common case: the next row of the same chunk, no tail row before it */
    c->rowid = sqt_slot_rowid(c->ids, (uint32_t)c->row);
    return SQLITE_OK;
  }
  return settle(c);
}

int sqt_eof(sqlite3_vtab_cursor *cur) {
  return ((sqt_cursor *)cur)->eof;
}

/* Row r of col as the result. */
static void result_row(sqlite3_context *ctx, const sqz_column *col, uint32_t r) {
  sqz_value v = sqz_column_value(col, r);
  switch (v.cls) {
  case SQZ_CLASS_INT:
    sqlite3_result_int64(ctx, (sqlite3_int64)v.v);
    break;
  case SQZ_CLASS_REAL:
    sqlite3_result_double(ctx, sqz_bits_double(v.v));
    break;
  case SQZ_CLASS_TEXT:
    sqz_result_text_copy(ctx, (const char *)v.p, v.n);
    break;
  case SQZ_CLASS_BLOB:
    sqlite3_result_blob64(ctx, v.p, v.n, SQLITE_TRANSIENT);
    break;
  default:
    break;
  }
}

/* Column i of the current row when its chunk was rewritten under the scan
** by a statement of this connection: the row's current version (NULL once
** the row is gone), as a plain table shows rows changed during a scan. */
static int column_now(sqt_cursor *c, sqlite3_context *ctx, int i) {
  sqt_vtab *p = c->tab;
  if (c->now_state == 0 || c->now_rowid != c->rowid) {
    int exists = 0;
    sqt_rows_clear(&c->now);
    int rc = sqt_flush(p, SQT_FLUSH_FULL);
    if (rc == SQLITE_OK) rc = sqt_lookup(p, c->rowid, &c->now, &exists);
    if (rc != SQLITE_OK) return rc;
    c->now_rowid = c->rowid;
    c->now_state = exists ? 1 : 2;
  }
  if (c->now_state == 1) result_row(ctx, &c->now.col[i], 0);
  return SQLITE_OK;
}

/* Reads at most this many rows of a chunk's column through a window, and
** at most a quarter of the chunk's rows (unless one): a scan that will read
** more of the chunk copies (or decodes) it whole. */
#define SQT_WINDOW_ROWS 256

/* A spare set of windows is kept while its arenas hold at most this many
** bytes in all (256 rows of short text). */
#define SQT_WINDOW_SPARE_BYTES (64 * 1024)

sqt_window *sqt_window_take(sqt_vtab *p) {
  int n = p->decl.ncol;
  sqt_window *w = p->win_spare;
  if (w) {
    p->win_spare = NULL;
  } else {
    w = sqlite3_malloc64(sizeof(*w) * (size_t)n);
    if (!w) return NULL;
    for (int k = 0; k < n; k++)
      sqz_column_init(&w[k].rows, p->alloc);
  }
  for (int k = 0; k < n; k++) {
    sqz_column_clear(&w[k].rows);
    w[k].first = 0;
    w[k].seq = 0;
  }
  return w;
}

static void window_free(sqt_vtab *p, sqt_window *w) {
  if (!w) return;
  for (int k = 0; k < p->decl.ncol; k++)
    sqz_column_free(&w[k].rows);
  sqlite3_free(w);
}

void sqt_window_give(sqt_vtab *p, sqt_window *w) {
  if (!w) return;
  size_t bytes = 0;
  for (int k = 0; k < p->decl.ncol; k++)
    bytes += w[k].rows.bytes_capacity;
  if (p->win_spare || bytes > SQT_WINDOW_SPARE_BYTES) {
    window_free(p, w);
    return;
  }
  p->win_spare = w;
}

void sqt_window_free_spare(sqt_vtab *p) {
  window_free(p, p->win_spare);
  p->win_spare = NULL;
}

/* Column i of the current row from the cursor's window on the chunk cache
** (*done), fetching the rows the scan has left in this chunk when they are
** few; *done = 0 when the caller is to decode the slot as before (many rows
** left, the cache cannot answer, or the connection holds the slot). */
static int window_column(sqt_cursor *c, sqlite3_context *ctx, int i, int *done) {
  *done = 0;
  uint32_t r = (uint32_t)c->row;
  sqt_window *w = c->win ? &c->win[i] : NULL;
  if (w && w->seq == c->chunk_seq) {
    if (r >= w->first && r - w->first < w->rows.count) {
      result_row(ctx, &w->rows, r - w->first);
      *done = 1;
    }
    return SQLITE_OK; /* else tried for this chunk: no window */
  }
  int64_t first = c->desc ? c->end : c->row, past = c->desc ? c->row + 1 : c->end;
  const sqt_chunkref *ref = &c->chunks[c->ichunk];
  /* few rows, and few of the chunk's (a scan of a table of small chunks
  ** reads them whole, within its store budget) */
  if (past <= first || past - first > SQT_WINDOW_ROWS ||
      (past - first > 1 && (past - first) * 4 > (int64_t)ref->nrows))
    return SQLITE_OK;
  sqt_slot *held = sqt_slot_find(c->tab, ref, i + 1);
  if (held) {
    c->cols[i] = held;
    return SQLITE_OK;
  }
  if (!c->win) {
    c->win = sqt_window_take(c->tab);
    if (!c->win) return SQLITE_NOMEM;
    w = &c->win[i];
  }
  sqz_column_clear(&w->rows);
  w->seq = c->chunk_seq;
  w->first = (uint32_t)first;
  int hit = sqt_slot_rows(c->tab, ref, i + 1, w->first, (uint32_t)(past - first), &w->rows);
  if (hit == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (hit == 1 && r - w->first < w->rows.count) {
    result_row(ctx, &w->rows, r - w->first);
    *done = 1;
  } else {
    sqz_column_clear(&w->rows);
  }
  return SQLITE_OK;
}

int sqt_result_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  sqt_cursor *c = (sqt_cursor *)cur;
  if (i < 0 || i >= c->tab->decl.ncol) return SQLITE_OK;
  /* an UPDATE that leaves column i alone: xUpdate reads the current value
  ** (only asked inside a write transaction, where an UPDATE can run) */
  if (c->tab->in_write && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
  if (c->from_tail) {
    if (c->tail_index[i] >= 0)
      sqlite3_result_value(ctx, sqlite3_column_value(c->tail, c->tail_index[i]));
    return SQLITE_OK;
  }
  if (!c->cols[i]) {
    if (c->epoch != c->tab->epoch) {
      int current;
      int rc = sqt_chunk_current(c->tab, &c->chunks[c->ichunk], &current);
      if (rc != SQLITE_OK) return rc;
      if (!current) return column_now(c, ctx, i);
    }
    /* a NULL known from the null section needs no decoding (WHERE x IS NULL) */
    for (int k = 0; k < c->nnull_terms; k++) {
      if (c->null_terms[k].col == i && c->null_terms[k].isnull_chunk == c->chunk_seq &&
          c->null_terms[k].isnull[c->row])
        return SQLITE_OK;
    }
    int done;
    int rc = window_column(c, ctx, i, &done);
    if (rc != SQLITE_OK || done) return rc;
    if (!c->cols[i]) {
      /* a window that missed: what is decoded now is kept for the next one */
      c->tab->keep_fast = c->win && c->win[i].seq == c->chunk_seq;
      rc = sqt_slot_get(c->tab, &c->chunks[c->ichunk], i + 1, &c->cols[i]);
      c->tab->keep_fast = 0;
    }
    if (rc != SQLITE_OK) return rc;
  }
  result_row(ctx, &c->cols[i]->col, (uint32_t)c->row);
  return SQLITE_OK;
}

int sqt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((sqt_cursor *)cur)->rowid;
  return SQLITE_OK;
}

/*
** sqt_rows.c: rows in memory, in column form (sqt_rows: rowids, dead flags
** and one sqz_column per declared column), and the crossing between SQLite's
** values and the column store's: appending an sqlite3_value to a column,
** binding a stored value to a statement, reading an sqlite3_value as a
** sqz_value for comparisons.
**
** The insert buffer, a decoded chunk, the tail rows read for a compaction
** and the row an UPDATE builds are all sqt_rows.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

/* ---- Values ------------------------------------------------------------- */

int sqt_bind_value(sqlite3_stmt *s, int i, const sqz_value *v) {
  size_t n = v->n;
  switch (v->cls) {
  case SQZ_CLASS_INT:
    return sqlite3_bind_int64(s, i, (sqlite3_int64)v->v);
  case SQZ_CLASS_REAL:
    return sqlite3_bind_double(s, i, sqz_bits_double(v->v));
  case SQZ_CLASS_TEXT:
    return sqlite3_bind_text64(s, i, n ? (const char *)v->p : "", n, SQLITE_TRANSIENT, SQLITE_UTF8);
  case SQZ_CLASS_BLOB:
    return sqlite3_bind_blob64(s, i, n ? (const void *)v->p : "", n, SQLITE_TRANSIENT);
  default:
    return sqlite3_bind_null(s, i);
  }
}

/* Appends v to c exactly as it is. */
static int append_as_is(sqz_column *c, sqlite3_value *v, size_t *bytes) {
  size_t r;
  switch (sqlite3_value_type(v)) {
  case SQLITE_INTEGER:
    r = sqz_column_append(c, SQZ_CLASS_INT, (uint64_t)sqlite3_value_int64(v), NULL, 0);
    break;
  case SQLITE_FLOAT:
    r = sqz_column_append(c, SQZ_CLASS_REAL, sqz_double_bits(sqlite3_value_double(v)), NULL, 0);
    break;
  case SQLITE_TEXT: {
    const unsigned char *t = sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if (!t && n) return SQLITE_NOMEM;
    r = sqz_column_append(c, SQZ_CLASS_TEXT, 0, t, (size_t)n);
    *bytes += (size_t)n;
    break;
  }
  case SQLITE_BLOB: {
    const void *b = sqlite3_value_blob(v);
    int n = sqlite3_value_bytes(v);
    if (!b && n) return SQLITE_NOMEM;
    r = sqz_column_append(c, SQZ_CLASS_BLOB, 0, b, (size_t)n);
    *bytes += (size_t)n;
    break;
  }
  default:
    r = sqz_column_append(c, SQZ_CLASS_NULL, 0, NULL, 0);
    break;
  }
  return sqz_status_rc(r);
}

/* A double that an int64 holds exactly, strictly inside the int64 range, as
** SQLite's integer affinity (sqlite3VdbeIntegerAffinity) takes it. */
static int double_is_int(double d, int64_t *i) {
  if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) return 0;
  int64_t x = (int64_t)d;
  if ((double)x != d || x == INT64_MIN || x == INT64_MAX) return 0;
  *i = x;
  return 1;
}

int sqt_value_numeric(sqlite3_value *v) {
  return sqlite3_value_numeric_type(v);
}

int sqt_column_append_value(sqz_column *c, sqlite3_value *v, sqt_affinity aff, size_t *bytes) {
  int t = sqlite3_value_type(v);
  sqlite3_value *dup = NULL;
  int rc = SQLITE_OK;
  if (sqt_aff_numeric(aff)) {
    if (t == SQLITE_TEXT) t = sqt_value_numeric(v); /* number-looking text becomes a number */
    int64_t i;
    if (t == SQLITE_FLOAT && aff != SQT_AFF_REAL && double_is_int(sqlite3_value_double(v), &i)) {
      rc = sqz_status_rc(sqz_column_append(c, SQZ_CLASS_INT, (uint64_t)i, NULL, 0));
    } else if (t == SQLITE_INTEGER && aff == SQT_AFF_REAL) {
      double d = (double)sqlite3_value_int64(v);
      rc = sqz_status_rc(sqz_column_append(c, SQZ_CLASS_REAL, sqz_double_bits(d), NULL, 0));
    } else {
      rc = append_as_is(c, v, bytes);
    }
  } else if (aff == SQT_AFF_TEXT && (t == SQLITE_INTEGER || t == SQLITE_FLOAT)) {
    /* numbers become their text, as SQLite renders them */
    dup = sqlite3_value_dup(v);
    if (!dup) return SQLITE_NOMEM;
    const unsigned char *text = sqlite3_value_text(dup);
    int n = sqlite3_value_bytes(dup);
    if (!text) {
      rc = SQLITE_NOMEM;
    } else {
      rc = sqz_status_rc(sqz_column_append(c, SQZ_CLASS_TEXT, 0, text, (size_t)n));
      if (rc == SQLITE_OK) *bytes += (size_t)n;
    }
  } else {
    rc = append_as_is(c, v, bytes);
  }
  sqlite3_value_free(dup);
  return rc;
}

sqz_value sqt_value_of(sqlite3_value *v) {
  sqz_value x = {SQZ_CLASS_NULL, 0, NULL, 0};
  switch (sqlite3_value_type(v)) {
  case SQLITE_INTEGER:
    x.cls = SQZ_CLASS_INT;
    x.v = (uint64_t)sqlite3_value_int64(v);
    break;
  case SQLITE_FLOAT: {
    x.cls = SQZ_CLASS_REAL;
    x.v = sqz_double_bits(sqlite3_value_double(v));
    break;
  }
  case SQLITE_TEXT:
    x.cls = SQZ_CLASS_TEXT;
    x.p = sqlite3_value_text(v);
    x.n = (size_t)sqlite3_value_bytes(v);
    break;
  case SQLITE_BLOB:
    x.cls = SQZ_CLASS_BLOB;
    x.p = sqlite3_value_blob(v);
    x.n = (size_t)sqlite3_value_bytes(v);
    break;
  }
  if ((x.cls == SQZ_CLASS_TEXT || x.cls == SQZ_CLASS_BLOB) && !x.p) x.p = (const uint8_t *)"";
  return x;
}

/* ---- Row sets ------------------------------------------------------------ */

void sqt_rows_init(sqt_rows *r, int ncol, const sqz_allocator *a) {
  r->ncol = ncol;
  r->bytes = 0;
  sqz_column_init(&r->id, a);
  sqz_column_init(&r->dead, a);
  r->col = sqlite3_malloc64(sizeof(sqz_column) * (size_t)(ncol ? ncol : 1));
  if (r->col) {
    for (int i = 0; i < ncol; i++)
      sqz_column_init(&r->col[i], a);
  } else {
    r->ncol = 0;
  }
}

void sqt_rows_free(sqt_rows *r) {
  sqz_column_free(&r->id);
  sqz_column_free(&r->dead);
  for (int i = 0; i < r->ncol; i++)
    sqz_column_free(&r->col[i]);
  sqlite3_free(r->col);
  r->col = NULL;
  r->ncol = 0;
}

void sqt_rows_clear(sqt_rows *r) {
  sqz_column_clear(&r->id);
  sqz_column_clear(&r->dead);
  for (int i = 0; i < r->ncol; i++)
    sqz_column_clear(&r->col[i]);
  r->bytes = 0;
}

int sqt_rows_append_row(sqt_rows *r, const sqt_rows *src, uint32_t i) {
  int rc = sqz_status_rc(sqz_column_append_row(&r->id, &src->id, i));
  if (rc == SQLITE_OK && src->dead.count > i)
    rc = sqz_status_rc(sqz_column_append_row(&r->dead, &src->dead, i));
  for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++) {
    rc = sqz_status_rc(sqz_column_append_row(&r->col[k], &src->col[k], i));
    if (src->col[k].type[i] >= SQZ_CLASS_TEXT) r->bytes += src->col[k].len[i];
  }
  return rc;
}

int sqt_rows_append_values(sqt_rows *r, int64_t rowid, sqlite3_value **vals, const sqt_decl *d,
                           const sqt_rows *current) {
  int rc = sqz_status_rc(sqz_column_append(&r->id, SQZ_CLASS_INT, (uint64_t)rowid, NULL, 0));
  for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++) {
    if (current && sqlite3_value_nochange(vals[k]))
      rc = sqz_status_rc(sqz_column_append_row(&r->col[k], &current->col[k], 0));
    else
      rc = sqt_column_append_value(&r->col[k], vals[k], d->col[k].aff, &r->bytes);
  }
  return rc;
}

/* Removes the first k rows of column c, in place. */
static void column_drop_front(sqz_column *c, uint32_t k) {
  uint32_t keep = c->count - k;
  uint64_t base = 0; /* arena offset of the first kept TEXT/BLOB row */
  int found = 0;
  for (uint32_t i = k; i < c->count && !found; i++)
    if (c->type[i] == SQZ_CLASS_TEXT || c->type[i] == SQZ_CLASS_BLOB) base = c->v[i], found = 1;
  if (!found) base = c->nbytes;
  memmove(c->type, c->type + k, keep);
  memmove(c->v, c->v + k, (size_t)keep * sizeof c->v[0]);
  memmove(c->len, c->len + k, (size_t)keep * sizeof c->len[0]);
  for (uint32_t i = 0; i < keep; i++)
    if (c->type[i] == SQZ_CLASS_TEXT || c->type[i] == SQZ_CLASS_BLOB) c->v[i] -= base;
  if (c->nbytes > base) memmove(c->bytes, c->bytes + base, c->nbytes - (size_t)base);
  c->nbytes -= (size_t)base;
  c->count = keep;
}

/* TEXT/BLOB bytes of rows [from, to) of r (of the rows each column holds:
** an append that failed part way leaves some columns a row short). */
static size_t rows_var_bytes(const sqt_rows *r, uint32_t from, uint32_t to) {
  size_t n = 0;
  for (int k = 0; k < r->ncol; k++) {
    const sqz_column *c = &r->col[k];
    for (uint32_t i = from; i < to && i < c->count; i++)
      if (c->type[i] >= SQZ_CLASS_TEXT) n += c->len[i];
  }
  return n;
}

void sqt_rows_drop_front(sqt_rows *r, uint32_t k) {
  if (k == 0) return;
  if (k >= r->id.count) {
    sqt_rows_clear(r);
    return;
  }
  r->bytes -= rows_var_bytes(r, 0, k);
  column_drop_front(&r->id, k);
  if (r->dead.count) column_drop_front(&r->dead, k);
  for (int c = 0; c < r->ncol; c++)
    column_drop_front(&r->col[c], k);
}

void sqt_rows_truncate(sqt_rows *r, uint32_t n) {
  r->bytes -= rows_var_bytes(r, n, UINT32_MAX);
  sqz_column *cols[2] = {&r->id, &r->dead};
  for (int k = -2; k < r->ncol; k++) {
    sqz_column *c = k < 0 ? cols[k + 2] : &r->col[k];
    if (c->count <= n) continue;
    for (uint32_t i = n; i < c->count; i++) {
      if (c->type[i] == SQZ_CLASS_TEXT || c->type[i] == SQZ_CLASS_BLOB) {
        c->nbytes = (size_t)c->v[i]; /* the arena ends where the first cut row began */
        break;
      }
    }
    c->count = n;
  }
}

/*
** sqt_write.c: xUpdate of the squeeze virtual table: INSERT, UPDATE
** and DELETE with the rowid rules of an ordinary rowid table.
**
**   INSERT INTO readings(ts, temp) VALUES (1, 20.5);      -- rowid max+1, buffered
**   INSERT INTO readings(rowid, ts) VALUES (7, 2);        -- explicit rowid
**   INSERT OR REPLACE INTO readings(rowid, ts) VALUES (7, 3);
**   UPDATE readings SET temp = temp + 1 WHERE ts < 100;   -- patches in the tail
**   UPDATE readings SET rowid = rowid + 1000000;          -- rowids may change
**   DELETE FROM readings WHERE ts < 50;                   -- tombstones, then compaction
**
** A new row without a rowid gets the largest rowid in the table plus one
** (or, when that is 2^63-1, an unused random one), as OP_NewRowid does for a
** plain table, so a squeeze table and a plain table fed the same statements
** hold the same rows under the same rowids. A rowid that exists already
** fails with "UNIQUE constraint failed: t.rowid" (SQLITE_CONSTRAINT), and
** OR IGNORE / OR REPLACE / OR ROLLBACK / OR ABORT / OR FAIL behave as for a
** plain table (the table declares SQLITE_VTAB_CONSTRAINT_SUPPORT and does the
** REPLACE itself). A rowid that is not an integer is a datatype mismatch.
**
** Rows above every stored rowid go to the insert buffer (sqt_tail.c);
** everything else is written to the tail at once: new rows past the last
** chunk, and for rows inside chunks a patch (the new version) or a tombstone.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <string.h>

/* The rowid in v, which must be an integer or convert to one exactly
** (SQLITE_MISMATCH otherwise, as for a plain table). */
static int rowid_of(sqt_vtab *p, sqlite3_value *v, int64_t *out) {
  sqlite3_value *dup = NULL;
  int t = sqlite3_value_type(v);
  if (t == SQLITE_TEXT) {
    dup = sqlite3_value_dup(v);
    if (!dup) return SQLITE_NOMEM;
    sqlite3_value_numeric_type(dup);
    v = dup;
    t = sqlite3_value_type(v);
  }
  int rc = SQLITE_OK;
  if (t == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
  } else if (t == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && floor(d) == d) {
      *out = (int64_t)d;
    } else {
      rc = SQLITE_MISMATCH;
    }
  } else {
    rc = SQLITE_MISMATCH;
  }
  sqlite3_value_free(dup);
  if (rc == SQLITE_MISMATCH) {
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = sqlite3_mprintf("datatype mismatch");
  }
  return rc;
}

/* The error of a rowid that exists already. */
static int unique_failed(sqt_vtab *p) {
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = sqlite3_mprintf("UNIQUE constraint failed: %s.rowid", p->zName);
  return SQLITE_CONSTRAINT;
}

/* Flushes the buffer when rowid r may be in it or above its first row. */
static int flush_if_needed(sqt_vtab *p, int64_t r) {
  if (p->buf.id.count && r >= (int64_t)p->buf.id.v[0]) return sqt_flush(p, 1);
  return SQLITE_OK;
}

/* Appends a row whose rowid is above every stored one to the buffer, and
** writes chunks when there are enough rows. */
static int append_row(sqt_vtab *p, int64_t r, sqlite3_value **vals) {
  int rc = sqt_rows_append_values(&p->buf, r, vals);
  if (rc != SQLITE_OK) return rc;
  p->max_rowid = r;
  p->max_known = 1;
  p->max_empty = 0;
  p->est_rows++;
  if ((uint64_t)p->tail_count + p->buf.id.count >= p->decl.chunk_rows ||
      p->buf.bytes >= SQT_CHUNK_BYTES)
    rc = sqt_flush(p, 0);
  return rc;
}

/* Writes a row with rowid r, known not to exist, straight to the tail: the
** values vals, or row 0 of rows when vals is NULL. */
static int insert_direct(sqt_vtab *p, int64_t r, sqlite3_value **vals, const sqt_rows *rows) {
  int rc = flush_if_needed(p, r);
  if (rc != SQLITE_OK) return rc;
  rc = sqt_put_tail(p, r, 0, vals, rows, 0);
  if (rc != SQLITE_OK) return rc;
  if (!p->have_chunks || r > p->lcm)
    p->tail_count++;
  else
    rc = sqt_note_patch(p, r);
  if (rc != SQLITE_OK) return rc;
  if (p->max_known && (p->max_empty || r > p->max_rowid)) p->max_rowid = r;
  p->max_empty = 0;
  p->est_rows++;
  return SQLITE_OK;
}

/* Deletes the existing row r. */
static int delete_row(sqt_vtab *p, int64_t r) {
  int rc = flush_if_needed(p, r);
  if (rc != SQLITE_OK) return rc;
  p->epoch++;
  if (!p->have_chunks || r > p->lcm) {
    sqlite3_stmt *s = sqt_stmt(p, SQT_TAIL_DELETE, &rc);
    if (!s) return rc;
    sqlite3_bind_int64(s, 1, r);
    rc = sqt_step_done(p, s);
    if (rc != SQLITE_OK) return rc;
    if (p->tail_count > 0) p->tail_count--;
  } else {
    rc = sqt_put_tail(p, r, 1, NULL, NULL, 0);
    if (rc == SQLITE_OK) rc = sqt_note_patch(p, r);
    if (rc != SQLITE_OK) return rc;
  }
  if (p->max_known && r == p->max_rowid) p->max_known = 0;
  if (p->est_rows > 0) p->est_rows--;
  return SQLITE_OK;
}

/* The new version of row old in *out (one row): the current value of each
** column vals marks "no change", vals elsewhere. */
static int merged_row(sqt_vtab *p, int64_t old, sqlite3_value **vals, sqt_rows *out) {
  sqt_rows_clear(&p->fetch);
  sqt_rows_clear(out);
  int rc = sqt_fetch_row(p, old, &p->fetch);
  if (rc == SQLITE_OK)
    rc = sqz_column_append(&out->id, SQZ_CLASS_INT, (uint64_t)old, NULL, 0) ? SQLITE_NOMEM
                                                                            : SQLITE_OK;
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++) {
    if (sqlite3_value_nochange(vals[k])) {
      rc = sqz_column_append_row(&out->col[k], &p->fetch.col[k], 0) ? SQLITE_NOMEM : SQLITE_OK;
    } else {
      rc = sqt_column_append_value(&out->col[k], vals[k], &out->bytes);
    }
  }
  return rc;
}

/* Makes room for a new row r: SQLITE_OK when r is free (after deleting the
** old row under OR REPLACE), SQLITE_CONSTRAINT when it is taken. */
static int claim_rowid(sqt_vtab *p, int64_t r) {
  int exists;
  int rc = sqt_exists(p, r, &exists);
  if (rc != SQLITE_OK || !exists) return rc;
  if (sqlite3_vtab_on_conflict(p->db) == SQLITE_REPLACE) return delete_row(p, r);
  return unique_failed(p);
}

/* A rowid for a row inserted without one: max + 1, or a random free one. */
static int new_rowid(sqt_vtab *p, int64_t *r, int *append) {
  int rc = sqt_max_rowid(p);
  if (rc != SQLITE_OK) return rc;
  if (p->max_empty || p->max_rowid < INT64_MAX) {
    *r = p->max_empty ? 1 : p->max_rowid + 1;
    *append = 1;
    return SQLITE_OK;
  }
  for (int attempt = 0; attempt < 100; attempt++) {
    int64_t x;
    sqlite3_randomness(sizeof x, &x);
    x &= INT64_MAX;
    if (x == 0) continue;
    int exists;
    rc = sqt_exists(p, x, &exists);
    if (rc != SQLITE_OK) return rc;
    if (!exists) {
      *r = x;
      *append = 0;
      return SQLITE_OK;
    }
  }
  return SQLITE_FULL;
}

int sqt_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  int rc = sqt_load(p);
  if (rc != SQLITE_OK) return rc;
  if (argc == 1) return delete_row(p, sqlite3_value_int64(argv[0]));
  sqlite3_value **vals = argv + 2;
  int64_t r;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    /* INSERT */
    int append = 1;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
      rc = new_rowid(p, &r, &append);
    } else {
      rc = rowid_of(p, argv[1], &r);
      if (rc == SQLITE_OK) rc = sqt_max_rowid(p);
      if (rc == SQLITE_OK && !p->max_empty && r <= p->max_rowid) {
        append = 0;
        rc = claim_rowid(p, r);
      }
    }
    if (rc != SQLITE_OK) return rc;
    *pRowid = r;
    /* the buffer takes rows above every stored rowid, tombstoned ones too */
    if (append && p->have_chunks && r <= p->lcm) append = 0;
    return append ? append_row(p, r, vals) : insert_direct(p, r, vals, NULL);
  }
  /* UPDATE. SQLite collects the rows first; one of them may have gone since
  ** (an earlier row's OR REPLACE), and then, as in a plain table, nothing
  ** happens to it. */
  int64_t old = sqlite3_value_int64(argv[0]);
  rc = rowid_of(p, argv[1], &r);
  if (rc != SQLITE_OK) return rc;
  int exists;
  rc = sqt_exists(p, old, &exists);
  if (rc != SQLITE_OK || !exists) return rc;
  /* columns the UPDATE leaves alone come as "no change": take the current
  ** values, which an earlier row of the same statement may have changed */
  sqt_rows *row = NULL;
  for (int k = 0; k < p->decl.ncol; k++) {
    if (sqlite3_value_nochange(vals[k])) {
      row = &p->one;
      break;
    }
  }
  if (row) {
    rc = flush_if_needed(p, old);
    if (rc == SQLITE_OK) rc = merged_row(p, old, vals, row);
    if (rc != SQLITE_OK) return rc;
    vals = NULL;
  }
  if (r != old) {
    rc = claim_rowid(p, r);
    if (rc == SQLITE_OK) rc = delete_row(p, old);
    if (rc == SQLITE_OK) rc = insert_direct(p, r, vals, row);
    return rc;
  }
  rc = flush_if_needed(p, r);
  if (rc == SQLITE_OK) rc = sqt_put_tail(p, r, 0, vals, row, 0);
  if (rc == SQLITE_OK && p->have_chunks && r <= p->lcm) rc = sqt_note_patch(p, r);
  return rc;
}

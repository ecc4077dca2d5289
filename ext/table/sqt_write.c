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
** (SQLITE_MISMATCH otherwise, as for a plain table). Number-looking TEXT in v
** is converted in place (sqt_value_numeric). */
static int rowid_of(sqt_vtab *p, sqlite3_value *v, int64_t *out) {
  int t = sqt_value_numeric(v);
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
  if (p->buf.id.count && r >= (int64_t)p->buf.id.v[0]) return sqt_flush(p, SQT_FLUSH_FULL);
  return SQLITE_OK;
}

/* A strict table refuses a value that does not fit its column after
** affinity, as SQLite's STRICT tables do (SQLITE_CONSTRAINT_DATATYPE, "cannot
** store TEXT value in INTEGER column t.a"): checks row i of rows. */
static int check_strict(sqt_vtab *p, const sqt_rows *rows, uint32_t i) {
  if (!p->decl.strict) return SQLITE_OK;
  for (int k = 0; k < p->decl.ncol; k++) {
    const sqt_column *c = &p->decl.col[k];
    sqz_class got = (sqz_class)rows->col[k].type[i];
    if (c->strict_any || got == SQZ_CLASS_NULL || got == c->strict) continue;
    static const char *const names[] = {"NULL", "INT", "REAL", "TEXT", "BLOB"};
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = sqlite3_mprintf("cannot store %s value in %s column %s.%s", names[got],
                                      c->type, p->zName, c->name);
    return SQLITE_CONSTRAINT_DATATYPE;
  }
  return SQLITE_OK;
}

/* Appends a row whose rowid is above every stored one to the buffer, with
** the columns' affinities applied, and writes chunks when there are enough
** rows. On failure the row leaves the buffer again and the flush has undone
** its writes: nothing changed. */
static int append_row(sqt_vtab *p, int64_t r, sqlite3_value **vals) {
  uint32_t before = p->buf.id.count;
  int rc = sqt_rows_append_values(&p->buf, r, vals, &p->decl, NULL);
  if (rc == SQLITE_OK) rc = check_strict(p, &p->buf, before);
  if (rc == SQLITE_OK && sqt_buffer_full(p)) rc = sqt_flush(p, SQT_FLUSH_CHUNKS);
  if (rc != SQLITE_OK) {
    sqt_rows_truncate(&p->buf, before);
    return rc;
  }
  p->max_rowid = r;
  p->max_known = 1;
  p->max_empty = 0;
  p->est_rows++;
  return SQLITE_OK;
}

/* Writes row r to the tail, the statement's one write that can fail for a
** reason other than memory or I/O (a value above the length limit): row 0
** of rows. existed says whether a row r was there before (it is replaced).
** The buffer must have been flushed past r. */
static int put_row(sqt_vtab *p, int64_t r, int existed, const sqt_rows *rows) {
  int rc = sqt_put_tail(p, r, 0, NULL, rows, 0);
  if (rc != SQLITE_OK) return rc;
  if (!p->have_chunks || r > p->lcm) {
    if (!existed) p->tail_count++;
  } else {
    sqt_note_patch(p, r);
  }
  if (p->max_known && (p->max_empty || r > p->max_rowid)) p->max_rowid = r;
  p->max_empty = 0;
  if (!existed) p->est_rows++;
  return SQLITE_OK;
}

/* Deletes the existing row r, which is not in the buffer: a tail delete, or
** a tombstone over a chunk row. Fails only for want of memory or I/O. */
static int delete_row(sqt_vtab *p, int64_t r) {
  int rc = SQLITE_OK;
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
    if (rc != SQLITE_OK) return rc;
    sqt_note_patch(p, r);
  }
  if (p->max_known && r == p->max_rowid) p->max_known = 0;
  if (p->est_rows > 0) p->est_rows--;
  return SQLITE_OK;
}

/* The new version of a row in *out (one row, rowid r): vals with the
** columns' affinities applied, and with current (the row as stored) the
** current value of each column vals marks "no change". Checks a strict
** table's types. */
static int new_version(sqt_vtab *p, int64_t r, sqlite3_value **vals, const sqt_rows *current,
                       sqt_rows *out) {
  sqt_rows_clear(out);
  int rc = sqt_rows_append_values(out, r, vals, &p->decl, current);
  return rc == SQLITE_OK ? check_strict(p, out, 0) : rc;
}

/* Whether a new row may take rowid r: *existed = 0 when r is free, 1 when
** it is taken and OR REPLACE replaces it; SQLITE_CONSTRAINT when it is
** taken otherwise. */
static int claim_rowid(sqt_vtab *p, int64_t r, int *existed) {
  int rc = sqt_exists(p, r, existed);
  if (rc != SQLITE_OK || !*existed) return rc;
  if (sqlite3_vtab_on_conflict(p->db) == SQLITE_REPLACE) return SQLITE_OK;
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

/* INSERT of vals under rowid argument rowid (NULL: a new one); *pRowid gets
** the rowid used. */
static int insert_row(sqt_vtab *p, sqlite3_value *rowid, sqlite3_value **vals,
                      sqlite3_int64 *pRowid) {
  int append = 1, existed = 0;
  int64_t r;
  int rc;
  if (sqlite3_value_type(rowid) == SQLITE_NULL) {
    rc = new_rowid(p, &r, &append);
  } else {
    rc = rowid_of(p, rowid, &r);
    if (rc == SQLITE_OK) rc = sqt_max_rowid(p);
    if (rc == SQLITE_OK && !p->max_empty && r <= p->max_rowid) {
      append = 0;
      rc = claim_rowid(p, r, &existed);
    }
  }
  if (rc != SQLITE_OK) return rc;
  *pRowid = r;
  /* the buffer takes rows above every stored rowid, tombstoned ones too */
  if (append && p->have_chunks && r <= p->lcm) append = 0;
  if (append) return append_row(p, r, vals);
  rc = new_version(p, r, vals, NULL, &p->one);
  if (rc == SQLITE_OK) rc = flush_if_needed(p, r);
  if (rc == SQLITE_OK) rc = put_row(p, r, existed, &p->one);
  return rc;
}

/* UPDATE of row old to rowid argument rowid with vals. SQLite collects the
** rows first; one of them may have gone since (an earlier row's OR REPLACE),
** and then, as in a plain table, nothing happens to it. */
static int update_row(sqt_vtab *p, int64_t old, sqlite3_value *rowid, sqlite3_value **vals) {
  int64_t r;
  int exists, existed = 0;
  int rc = rowid_of(p, rowid, &r);
  /* columns the UPDATE leaves alone come as "no change": take the current
  ** values, which an earlier row of the same statement may have changed */
  int nochange = 0;
  for (int k = 0; k < p->decl.ncol && !nochange; k++)
    nochange = sqlite3_value_nochange(vals[k]);
  sqt_rows_clear(&p->fetch);
  if (rc == SQLITE_OK) rc = sqt_lookup(p, old, nochange ? &p->fetch : NULL, &exists);
  if (rc != SQLITE_OK || !exists) return rc;
  if (r != old) rc = claim_rowid(p, r, &existed);
  if (rc == SQLITE_OK) rc = flush_if_needed(p, r < old ? r : old);
  if (rc == SQLITE_OK) rc = new_version(p, r, vals, nochange ? &p->fetch : NULL, &p->one);
  if (rc != SQLITE_OK) return rc;
  if (r == old) return put_row(p, r, 1, &p->one);
  /* the new row first: if it fails, nothing has changed */
  rc = put_row(p, r, existed, &p->one);
  if (rc == SQLITE_OK) rc = delete_row(p, old);
  return rc;
}

/* INSERT INTO t(squeeze_command) VALUES (cmd): the table's commands.
**   'optimize'   fold every patch into its chunk, pack runs of small chunks
**                and turn the tail into chunks (p->command_result: chunks
**                written)
** Running inside a write statement on the table, a command that fails is
** rolled back by SQLite with the statement (or the transaction). */
static int command(sqt_vtab *p, int argc, sqlite3_value **argv) {
  const char *cmd = (const char *)sqlite3_value_text(argv[2 + p->decl.ncol]);
  if (!cmd) return SQLITE_NOMEM;
  if (argc == 1 || sqlite3_value_type(argv[0]) != SQLITE_NULL)
    return sqt_error(p, SQLITE_ERROR, "table %s: %s takes commands by INSERT only", p->zName,
                     SQT_COMMAND_COLUMN);
  if (sqlite3_stricmp(cmd, "optimize") != 0)
    return sqt_error(p, SQLITE_ERROR, "table %s: unknown command '%s' (known: optimize)", p->zName,
                     cmd);
  int written = 0;
  int rc = sqt_optimize(p, &written);
  p->command_result = written;
  return rc;
}

/* Every xUpdate either takes effect whole or changes nothing: what can fail
** for a reason other than a lack of memory or an I/O error (a constraint, a
** value above the length limit, a damaged shadow table) fails before the
** first write or in it, a failed flush undoes itself, and the buffer gives
** back a row it took; a lack of memory or an I/O error after a write makes
** SQLite roll the transaction (or, in a statement with a journal, the
** statement) back, and xRollback / xRollbackTo reset the rest. */
int sqt_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  int rc = sqt_poisoned(p);
  if (rc == SQLITE_OK) rc = sqt_load(p);
  if (rc != SQLITE_OK) return rc;
  p->nested++;
  if (argc > p->decl.ncol + 2 && sqlite3_value_type(argv[2 + p->decl.ncol]) != SQLITE_NULL) {
    rc = command(p, argc, argv);
  } else if (argc == 1) {
    int64_t r = sqlite3_value_int64(argv[0]);
    rc = flush_if_needed(p, r);
    if (rc == SQLITE_OK) rc = delete_row(p, r);
  } else if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    rc = insert_row(p, argv[1], argv + 2, pRowid);
  } else {
    rc = update_row(p, sqlite3_value_int64(argv[0]), argv[1], argv + 2);
  }
  p->nested--;
  return rc;
}

/*
** sqt_tail.c: the tail of a squeeze table, its rows that are not (yet) in a
** chunk, and the insert buffer in front of it.
**
**   INSERT INTO readings(ts, temp) VALUES (1700000000, 20.5);  -- buffered
**   SELECT * FROM readings_tail;              -- rows not yet in a chunk
**
** Rows inserted with a rowid above every stored rowid go to an insert buffer
** in memory (an sqt_rows, column form), not to the tail table: as soon as the
** tail and the buffer hold chunk_rows rows they are encoded into a chunk
** straight from memory, so a bulk load pays one chunk write per chunk_rows
** rows instead of a tail write and delete per row. The buffer is flushed
** (sqt_flush) before any read, at every savepoint and in xSync, so that every
** byte of a transaction is in ordinary shadow tables when SQLite commits,
** rolls back or journals it.
**
** Changes to rows already in chunks go to the tail as patches (the new row,
** or a tombstone with dead = 1), which scans merge in and compaction
** (sqt_compact.c) folds back into chunks.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

int sqt_read_tail(sqt_vtab *p, int64_t lo, int64_t hi, sqt_rows *r) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_TAIL_RANGE, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t dead = sqlite3_column_int64(s, 1);
    if (sqlite3_column_type(s, 1) != SQLITE_INTEGER || (dead != 0 && dead != 1)) {
      sqlite3_reset(s);
      return sqt_error(p, SQLITE_CORRUPT_VTAB, "table %s: tail row %lld is corrupt", p->zName,
                       (long long)sqlite3_column_int64(s, 0));
    }
    rc = sqz_status_rc(
        sqz_column_append(&r->id, SQZ_CLASS_INT, (uint64_t)sqlite3_column_int64(s, 0), NULL, 0));
    if (rc == SQLITE_OK)
      rc = sqz_status_rc(sqz_column_append(&r->dead, SQZ_CLASS_INT, (uint64_t)dead, NULL, 0));
    for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++)
      rc = sqt_column_append_value(&r->col[k], sqlite3_column_value(s, k + 2), &r->bytes);
    if (rc != SQLITE_OK) {
      sqlite3_reset(s);
      return rc;
    }
  }
  if (rc != SQLITE_DONE) return sqt_step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

int sqt_put_tail(sqt_vtab *p, int64_t id, int dead, sqlite3_value **vals, const sqt_rows *rows,
                 uint32_t i) {
  p->epoch++;
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_TAIL_PUT, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 2, dead);
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++) {
    if (dead) {
      rc = sqlite3_bind_null(s, k + 3);
    } else if (vals) {
      rc = sqlite3_bind_value(s, k + 3, vals[k]);
    } else {
      sqz_value v = sqz_column_value(&rows->col[k], i);
      rc = sqt_bind_value(s, k + 3, &v, 0, NULL);
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_clear_bindings(s);
    sqlite3_reset(s);
    return rc;
  }
  rc = sqt_step_done(p, s);
  sqlite3_clear_bindings(s);
  return rc;
}

int sqt_delete_tail_range(sqt_vtab *p, int64_t lo, int64_t hi) {
  p->epoch++;
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_TAIL_DELETE_RANGE, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  return sqt_step_done(p, s);
}

uint32_t sqt_rows_fitting(const sqt_rows *r, uint32_t start, uint32_t max) {
  if (r->bytes < SQT_CHUNK_BYTES) return max;
  size_t bytes = 0;
  uint32_t k = 0;
  while (k < max) {
    size_t row = 0;
    for (int c = 0; c < r->ncol; c++)
      if (r->col[c].type[start + k] >= SQZ_CLASS_TEXT) row += r->col[c].len[start + k];
    if (k > 0 && bytes + row > SQT_CHUNK_BYTES) break;
    bytes += row;
    k++;
  }
  return k;
}

/* Writes whole chunks from the front of rows; returns the rows written in
** *done. A last partial chunk stays unless rows are cut by bytes. */
static int write_chunks(sqt_vtab *p, const sqt_rows *rows, uint32_t *done) {
  uint32_t pos = 0, total = rows->id.count, chunk = p->decl.chunk_rows;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && pos < total) {
    uint32_t remaining = total - pos;
    uint32_t k = sqt_rows_fitting(rows, pos, remaining < chunk ? remaining : chunk);
    if (k == remaining && remaining < chunk) break;
    rc = sqt_write_chunk(p, rows, pos, k);
    pos += k;
  }
  *done = pos;
  return rc;
}

int sqt_flush(sqt_vtab *p, int full) {
  if (p->buf.id.count == 0 || p->busy) return SQLITE_OK;
  int rc = sqt_load(p);
  if (rc != SQLITE_OK) return rc;
  p->busy = 1;
  uint32_t nbuf = p->buf.id.count;
  if ((uint64_t)p->tail_count + nbuf >= p->decl.chunk_rows || p->buf.bytes >= SQT_CHUNK_BYTES) {
    uint32_t done = 0;
    int64_t old_lcm = p->lcm;
    int had_chunks = p->have_chunks;
    if (p->tail_count == 0) {
      rc = write_chunks(p, &p->buf, &done);
      if (rc == SQLITE_OK) rc = sqt_rows_drop_front(p, &p->buf, done);
    } else {
      /* the tail rows first, then the buffer, in one staging set */
      sqt_rows stage;
      sqt_rows_init(&stage, p->decl.ncol, p->alloc);
      rc = stage.col || !p->decl.ncol ? SQLITE_OK : SQLITE_NOMEM;
      if (rc == SQLITE_OK) rc = sqt_read_tail(p, sqt_tail_from(p), INT64_MAX, &stage);
      uint32_t from_tail = stage.id.count;
      for (uint32_t i = 0; i < from_tail && rc == SQLITE_OK; i++)
        if (stage.dead.v[i])
          rc = sqt_error(p, SQLITE_CORRUPT_VTAB,
                         "table %s: tombstone %lld past "
                         "the last chunk",
                         p->zName, (long long)stage.id.v[i]);
      for (uint32_t i = 0; i < nbuf && rc == SQLITE_OK; i++)
        rc = sqt_rows_append_row(&stage, &p->buf, i);
      if (rc == SQLITE_OK) rc = write_chunks(p, &stage, &done);
      if (rc == SQLITE_OK && done > 0) {
        int64_t upto = (int64_t)stage.id.v[done - 1];
        rc = sqt_delete_tail_range(p, had_chunks ? old_lcm + 1 : INT64_MIN, upto);
        (void)old_lcm;
        p->tail_count -= done < from_tail ? done : from_tail;
        if (rc == SQLITE_OK)
          rc = sqt_rows_drop_front(p, &p->buf, done > from_tail ? done - from_tail : 0);
      }
      sqt_rows_free(&stage);
    }
  }
  if (rc == SQLITE_OK && full) {
    for (uint32_t i = 0; i < p->buf.id.count && rc == SQLITE_OK; i++)
      rc = sqt_put_tail(p, (int64_t)p->buf.id.v[i], 0, NULL, &p->buf, i);
    if (rc == SQLITE_OK) {
      p->tail_count += p->buf.id.count;
      sqt_rows_clear(&p->buf);
    }
  }
  if (rc == SQLITE_OK) rc = sqt_save_generation(p);
  p->busy = 0;
  return rc;
}

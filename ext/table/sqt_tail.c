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
      rc = sqt_column_append_value(&r->col[k], sqlite3_column_value(s, k + 2), SQT_AFF_BLOB,
                                   &r->bytes);
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
  sqt_tail_noted(p, id);
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
      rc = sqt_bind_value(s, k + 3, &v);
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

uint32_t sqt_rows_fitting(const sqt_vtab *p, const sqt_rows *r, uint32_t start, uint32_t max) {
  size_t cap = sqt_chunk_cap(p);
  if (r->bytes <= cap) return max;
  size_t bytes = 0;
  uint32_t k = 0;
  while (k < max) {
    size_t row = 0;
    for (int c = 0; c < r->ncol; c++)
      if (r->col[c].type[start + k] >= SQZ_CLASS_TEXT) row += r->col[c].len[start + k];
    if (k > 0 && bytes + row > cap) break;
    bytes += row;
    k++;
    if (bytes > cap) break; /* a row larger than the cap is a chunk of its own */
  }
  return k;
}

/* Writes whole chunks from the front of rows, and at least its first must
** rows; returns the rows written in *done. A last partial chunk stays unless
** rows are cut by bytes or must reaches into it. */
static int write_chunks(sqt_vtab *p, const sqt_rows *rows, uint32_t must, uint32_t *done) {
  uint32_t pos = 0, total = rows->id.count, chunk = p->decl.chunk_rows;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && pos < total) {
    uint32_t remaining = total - pos;
    uint32_t k = sqt_rows_fitting(p, rows, pos, remaining < chunk ? remaining : chunk);
    if (k == remaining && remaining < chunk && pos >= must) break;
    rc = sqt_write_chunk(p, rows, pos, k, NULL);
    pos += k;
  }
  *done = pos;
  return rc;
}

int sqt_buffer_full(const sqt_vtab *p) {
  return (uint64_t)p->tail_count + p->buf.id.count >= p->decl.chunk_rows ||
         p->buf.bytes >= sqt_chunk_cap(p);
}

/* What a flush changes, to undo it when it fails part way. */
typedef struct flush_undo {
  int64_t last_gen; /* generations above it were written by this flush */
  int64_t lcm;      /* the write state before */
  int64_t tail_count;
  int have_chunks;
  int gen_dirty;
  int64_t put_lo; /* buffer rows put into the tail: ids [put_lo, put_hi] */
  int64_t put_hi;
  int put; /* some were */
} flush_undo;

/* What the chunks of a flush took, for the caller to delete last. */
typedef struct flush_taken {
  uint32_t from_buf;  /* buffer rows now in chunks */
  uint32_t from_tail; /* true-tail rows now in chunks */
  int nrun;           /* partial chunks folded in: run[0..nrun) */
  sqt_chunkref run[SQT_RUN_MAX];
  int64_t del_lo, del_hi; /* tail rows to delete (their patches, the tail rows taken) */
  int del;                /* some */
} flush_taken;

/* Undoes what a failed flush wrote: its chunks, and the buffer rows it put
** into the tail (their ids were free before). The tail rows that went into
** chunks are deleted last, so they are still there. Returns rc, or the
** error of the undo (which can only be a lack of memory or an I/O error,
** after which SQLite rolls the whole transaction back). */
static int flush_undo_writes(sqt_vtab *p, const flush_undo *u, int rc) {
  int rc2 = SQLITE_OK;
  if (p->last_gen > u->last_gen) rc2 = sqt_delete_generations(p, u->last_gen + 1, p->last_gen);
  if (rc2 == SQLITE_OK && u->put) rc2 = sqt_delete_tail_range(p, u->put_lo, u->put_hi);
  p->last_gen = u->last_gen;
  p->gen_dirty = u->gen_dirty;
  p->lcm = u->lcm;
  p->have_chunks = u->have_chunks;
  p->tail_count = u->tail_count;
  p->epoch++;
  return rc2 != SQLITE_OK ? rc2 : rc;
}

/* Reads the run of trailing partial chunks (merged with their patches; with
** fold only; acc as sqt_trailing_partials takes it), then the true tail's
** rows, into stage; *m gets the rows from the run and *in_tail those from
** the tail. */
static int stage_tail(sqt_vtab *p, int fold, int64_t acc, sqt_rows *stage, flush_taken *t,
                      uint32_t *m, uint32_t *in_tail) {
  int64_t run_lo = 0;
  int rc = SQLITE_OK;
  *m = *in_tail = 0;
  t->nrun = 0;
  t->del = 0;
  if (fold && p->have_chunks && p->lcm < INT64_MAX)
    rc = sqt_trailing_partials(p, acc, t->run, &t->nrun, &run_lo);
  if (rc == SQLITE_OK && t->nrun) {
    rc = sqt_merge_chunks(p, t->run, t->nrun, run_lo, p->lcm, stage);
    *m = stage->id.count;
  }
  if (rc == SQLITE_OK && p->tail_count) {
    /* (the run's rows carry no dead flags: the tail's are the last ones) */
    uint32_t before = stage->id.count, dead_before = stage->dead.count;
    rc = sqt_read_tail(p, sqt_tail_from(p), INT64_MAX, stage);
    *in_tail = stage->id.count - before;
    for (uint32_t i = dead_before; i < stage->dead.count && rc == SQLITE_OK; i++)
      if (stage->dead.v[i])
        rc = sqt_error(p, SQLITE_CORRUPT_VTAB, "table %s: tombstone %lld past the last chunk",
                       p->zName, (long long)stage->id.v[before + (i - dead_before)]);
  }
  if (rc == SQLITE_OK && t->nrun) {
    t->del = 1;
    t->del_lo = run_lo;
    t->del_hi = p->lcm;
  }
  return rc;
}

/* Writes the chunks a flush can make: of the buffer alone, or of the
** trailing partial chunks' rows, then the true tail's, then the buffer's, in
** one staging set; whole chunks only, or with seal every row (the last
** chunk partial). *t gets what went into chunks; the caller deletes the
** folded chunks and the tail rows taken last. */
static int flush_chunks(sqt_vtab *p, int seal, flush_taken *t) {
  uint32_t done = 0, nbuf = p->buf.id.count, m = 0, in_tail = 0;
  sqt_rows stage;
  sqt_rows_init(&stage, p->decl.ncol, p->alloc);
  int rc = stage.col || !p->decl.ncol ? SQLITE_OK : SQLITE_NOMEM;
  for (int fold = 1; rc == SQLITE_OK; fold = 0) {
    sqt_rows_clear(&stage);
    int64_t acc = seal ? p->tail_count + (int64_t)nbuf : -1;
    rc = stage_tail(p, fold, acc, &stage, t, &m, &in_tail);
    if (rc != SQLITE_OK || (t->nrun == 0 && in_tail == 0)) break;
    for (uint32_t i = 0; i < nbuf && rc == SQLITE_OK; i++)
      rc = sqt_rows_append_row(&stage, &p->buf, i);
    /* the first chunk written must hold the run's rows and one past lcm, so
    ** that every new chunk ends past the run's (deleted after them); else
    ** the run stays where it is */
    uint32_t need = m + 1;
    if (rc != SQLITE_OK || t->nrun == 0 ||
        (need <= p->decl.chunk_rows && sqt_rows_fitting(p, &stage, 0, need) == need))
      break;
  }
  if (rc == SQLITE_OK && t->nrun == 0 && in_tail == 0) {
    rc = write_chunks(p, &p->buf, seal ? nbuf : 0, &done);
    if (rc == SQLITE_OK) t->from_buf = done;
    sqt_rows_free(&stage);
    return rc;
  }
  int64_t old_lcm = p->lcm;
  if (rc == SQLITE_OK) rc = write_chunks(p, &stage, seal ? stage.id.count : m, &done);
  if (rc == SQLITE_OK && done > m) {
    uint32_t after = done - m;
    t->from_tail = after < in_tail ? after : in_tail;
    t->from_buf = after - t->from_tail;
    if (t->from_tail) {
      if (!t->del) t->del_lo = old_lcm + 1;
      t->del_hi = (int64_t)stage.id.v[m + t->from_tail - 1];
      t->del = 1;
    }
  }
  sqt_rows_free(&stage);
  return rc;
}

int sqt_flush(sqt_vtab *p, sqt_flush_mode mode) {
  int rc = sqt_poisoned(p);
  if (rc != SQLITE_OK || p->buf.id.count == 0 || p->flushing) return rc;
  rc = sqt_load(p);
  if (rc != SQLITE_OK) return rc;
  p->flushing = 1;
  p->nested++;
  flush_undo u = {p->last_gen, p->lcm, p->tail_count, p->have_chunks, p->gen_dirty, 0, 0, 0};
  flush_taken t;
  memset(&t, 0, sizeof t);
  uint32_t nbuf = p->buf.id.count;
  int seal = mode == SQT_FLUSH_SEAL && p->tail_count + (int64_t)nbuf >= SQT_SEAL_ROWS;
  if (seal || sqt_buffer_full(p)) rc = flush_chunks(p, seal, &t);
  if (rc == SQLITE_OK && mode != SQT_FLUSH_CHUNKS && t.from_buf < nbuf) {
    /* the rest of the buffer into the tail: rowids above everything stored,
    ** so the range they take held nothing */
    u.put_lo = (int64_t)p->buf.id.v[t.from_buf];
    u.put_hi = (int64_t)p->buf.id.v[nbuf - 1];
    u.put = 1;
    for (uint32_t i = t.from_buf; i < nbuf && rc == SQLITE_OK; i++)
      rc = sqt_put_tail(p, (int64_t)p->buf.id.v[i], 0, NULL, &p->buf, i);
    if (rc == SQLITE_OK) p->tail_count += nbuf - t.from_buf;
  }
  if (rc == SQLITE_OK) rc = sqt_save_generation(p);
  /* last, the folded chunks and the tail rows now in chunks: a delete fails
  ** only for want of memory or I/O, and then SQLite rolls the transaction
  ** back */
  int deleting = rc == SQLITE_OK && t.nrun;
  for (int k = 0; k < t.nrun && rc == SQLITE_OK; k++)
    rc = sqt_delete_chunk(p, &t.run[k]);
  if (rc == SQLITE_OK && t.del) {
    rc = sqt_delete_tail_range(p, t.del_lo, t.del_hi);
    if (rc == SQLITE_OK) p->tail_count -= t.from_tail;
  }
  if (rc != SQLITE_OK && deleting) {
    /* folded chunks partly deleted: no undo puts them back, the transaction
    ** has to go */
    rc = sqt_poison(p, rc);
  } else if (rc == SQLITE_OK) {
    /* every write is done: the rows are stored, the buffer lets them go */
    sqt_rows_drop_front(&p->buf, u.put ? nbuf : t.from_buf);
  } else {
    int undo = flush_undo_writes(p, &u, SQLITE_OK);
    if (undo != SQLITE_OK) rc = sqt_poison(p, undo);
  }
  p->nested--;
  p->flushing = 0;
  return rc;
}

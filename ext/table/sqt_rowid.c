/*
** sqt_rowid.c: rowid questions: does a row exist, what does it hold, and
** what is the largest rowid, asked of the insert buffer, the tail and the
** chunks together, with the rules of an ordinary rowid table.
**
**   INSERT INTO readings(rowid, ts) VALUES (7, 2);   -- does rowid 7 exist?
**   INSERT INTO readings(ts) VALUES (3);             -- largest rowid + 1
**   UPDATE readings SET ts = 4 WHERE rowid = 7;      -- the row's current values
**
** A chunk's rowids and columns come from the table's decoded-slot cache
** (sqt_cache.c), so lookups in chunks looked at before decode nothing.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

uint32_t sqt_lower_bound(const sqz_column *c, uint32_t lo, uint32_t hi, int64_t r) {
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if ((int64_t)c->v[mid] < r)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void sqt_tail_noted(sqt_vtab *p, int64_t r) {
  if (!p->tf_ok || r < p->tf_lo || r > p->tf_hi) return;
  if (p->tf_n && r <= p->tf_ids[p->tf_n - 1]) {
    if (r == p->tf_ids[p->tf_n - 1]) return;
    p->tf_ok = 0; /* out of order: the list would need sorting; forget the range */
    return;
  }
  if (p->tf_n == p->tf_cap) {
    uint32_t cap = p->tf_cap ? p->tf_cap * 2 : 256;
    int64_t *q = cap <= (1u << 20) ? sqlite3_realloc64(p->tf_ids, sizeof(int64_t) * cap) : NULL;
    if (!q) {
      p->tf_ok = 0;
      return;
    }
    p->tf_ids = q;
    p->tf_cap = cap;
  }
  p->tf_ids[p->tf_n++] = r;
}

/* Whether the tail may hold a row with id r inside chunk c (which holds r in
** its range): no when c's range is known free of tail rows and r is not one
** this transaction put there since. Reads the tail's count over c's range
** when c is not the range known. */
static int tail_may_hold(sqt_vtab *p, const sqt_chunkref *c, int64_t r, int *may) {
  *may = 1;
  if (!p->tf_ok || p->tf_lo != c->minrow || p->tf_hi != c->maxrow) {
    int64_t n = 0;
    int rc = sqt_query_count(p, SQT_TAIL_COUNT_RANGE, c->minrow, c->maxrow, &n);
    if (rc != SQLITE_OK) return rc;
    p->tf_ok = n == 0;
    p->tf_lo = c->minrow;
    p->tf_hi = c->maxrow;
    p->tf_n = 0;
    if (!p->tf_ok) return SQLITE_OK;
  }
  uint32_t lo = 0, hi = p->tf_n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (p->tf_ids[mid] < r)
      lo = mid + 1;
    else
      hi = mid;
  }
  *may = lo < p->tf_n && p->tf_ids[lo] == r;
  return SQLITE_OK;
}

int sqt_lookup(sqt_vtab *p, int64_t r, sqt_rows *out, int *exists) {
  *exists = 0;
  int rc = sqt_load(p);
  if (rc != SQLITE_OK) return rc;
  uint32_t nbuf = p->buf.id.count;
  if (nbuf && r >= (int64_t)p->buf.id.v[0]) {
    uint32_t i = sqt_lower_bound(&p->buf.id, 0, nbuf, r);
    *exists = i < nbuf && (int64_t)p->buf.id.v[i] == r;
    return *exists && out ? sqt_rows_append_row(out, &p->buf, i) : SQLITE_OK;
  }
  /* the chunk whose range holds r, if any */
  sqt_chunkref c;
  int in_chunk = 0;
  if (p->have_chunks && r <= p->lcm) {
    rc = sqt_chunk_owner(p, r, &c, &in_chunk);
    if (rc != SQLITE_OK) return rc;
    in_chunk = in_chunk && r >= c.minrow;
  }
  /* a tail row: the row past the last chunk, or a chunk row's patch or tombstone */
  int may = 1;
  if (in_chunk) rc = tail_may_hold(p, &c, r, &may);
  if (rc != SQLITE_OK) return rc;
  if (may && out) {
    uint32_t before = out->id.count;
    rc = sqt_read_tail(p, r, r, out);
    if (rc != SQLITE_OK || out->id.count == before) {
      sqt_rows_truncate(out, before);
      if (rc != SQLITE_OK) return rc;
    } else {
      *exists = out->dead.v[out->dead.count - 1] == 0;
      if (!*exists) sqt_rows_truncate(out, before);
      return SQLITE_OK;
    }
  } else if (may) {
    int64_t dead;
    int found;
    rc = sqt_query_int(p, SQT_TAIL_GET, r, NULL, &dead, &found);
    if (rc != SQLITE_OK) return rc;
    if (found < 0 || (found && dead != 0 && dead != 1))
      return sqt_error(p, SQLITE_CORRUPT_VTAB, "table %s: tail row %lld is corrupt", p->zName,
                       (long long)r);
    if (found) {
      *exists = dead == 0;
      return SQLITE_OK;
    }
  }
  /* a chunk row */
  if (!in_chunk) return SQLITE_OK;
  sqt_slot *ids;
  rc = sqt_slot_get(p, &c, 0, &ids);
  if (rc != SQLITE_OK) return rc;
  uint32_t i = sqt_slot_lower_bound(ids, 0, c.nrows, r);
  *exists = i < c.nrows && sqt_slot_rowid(ids, i) == r;
  sqt_slot_release(p, ids);
  if (!*exists || !out) return SQLITE_OK;
  uint32_t before = out->id.count;
  rc = sqz_status_rc(sqz_column_append(&out->id, SQZ_CLASS_INT, (uint64_t)r, NULL, 0));
  for (int k = 0; k < out->ncol && rc == SQLITE_OK; k++) {
    sqt_slot *col;
    rc = sqt_slot_get(p, &c, k + 1, &col);
    if (rc != SQLITE_OK) break;
    rc = sqz_status_rc(sqz_column_append_row(&out->col[k], &col->col, i));
    if (rc == SQLITE_OK && col->col.type[i] >= SQZ_CLASS_TEXT) out->bytes += col->col.len[i];
    sqt_slot_release(p, col);
  }
  if (rc != SQLITE_OK) sqt_rows_truncate(out, before);
  return rc;
}

int sqt_exists(sqt_vtab *p, int64_t r, int *exists) {
  return sqt_lookup(p, r, NULL, exists);
}

/* The largest live rowid among chunk c's rows and the tail rows in
** (prev, c.maxrow]; *found = 0 when every one is deleted. */
static int chunk_max_live(sqt_vtab *p, const sqt_chunkref *c, int64_t lo, int64_t *out,
                          int *found) {
  sqz_column ids;
  sqz_column_init(&ids, p->alloc);
  int rc = sqt_chunk_rowids(p, c, &ids);
  sqlite3_stmt *s = sqt_stmt(p, SQT_TAIL_DESC, &rc);
  *found = 0;
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, c->maxrow);
    int64_t i = (int64_t)ids.count - 1;
    int step = sqlite3_step(s);
    for (;;) {
      int64_t t = step == SQLITE_ROW ? sqlite3_column_int64(s, 0) : INT64_MIN;
      int have_t = step == SQLITE_ROW;
      int64_t k = i >= 0 ? (int64_t)ids.v[i] : INT64_MIN;
      if (!have_t && i < 0) break;
      if (have_t && (i < 0 || t >= k)) {
        if (i >= 0 && t == k) i--;
        if (sqlite3_column_int64(s, 1) == 0) {
          *out = t;
          *found = 1;
          break;
        }
        step = sqlite3_step(s);
        continue;
      }
      *out = k;
      *found = 1;
      break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
      rc = sqt_step_error(p, s, step);
    else
      sqlite3_reset(s);
  }
  sqz_column_free(&ids);
  return rc;
}

int sqt_max_rowid(sqt_vtab *p) {
  int rc = sqt_load(p);
  if (rc != SQLITE_OK || p->max_known) return rc;
  p->max_empty = 0;
  uint32_t nbuf = p->buf.id.count;
  if (nbuf) {
    p->max_rowid = (int64_t)p->buf.id.v[nbuf - 1];
    p->max_known = 1;
    return SQLITE_OK;
  }
  int64_t t;
  int found;
  rc = sqt_query_int(p, SQT_TAIL_MAX, 0, NULL, &t, &found);
  if (rc != SQLITE_OK) return rc;
  if (found && (!p->have_chunks || t > p->lcm)) {
    p->max_rowid = t;
    p->max_known = 1;
    return SQLITE_OK;
  }
  /* walk the chunks from the last one down */
  int have = p->have_chunks;
  sqt_chunkref c;
  if (have) rc = sqt_chunk_query(p, SQT_CHUNK_LAST, 0, 0, &c, &have);
  while (rc == SQLITE_OK && have) {
    sqt_chunkref prev;
    int has_prev;
    rc = sqt_chunk_query(p, SQT_CHUNK_BEFORE, 1, c.maxrow, &prev, &has_prev);
    if (rc != SQLITE_OK) break;
    int64_t m = 0;
    rc = chunk_max_live(p, &c, has_prev ? prev.maxrow + 1 : INT64_MIN, &m, &found);
    if (rc != SQLITE_OK) break;
    if (found) {
      p->max_rowid = m;
      p->max_known = 1;
      return SQLITE_OK;
    }
    c = prev;
    have = has_prev;
  }
  if (rc == SQLITE_OK) {
    p->max_rowid = INT64_MIN;
    p->max_empty = 1;
    p->max_known = 1;
  }
  return rc;
}

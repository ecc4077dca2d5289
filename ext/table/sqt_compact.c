/*
** sqt_compact.c: compaction of a squeeze table: folding the tail's patches
** and tombstones back into their chunks, and squeeze_optimize's packing.
**
**   UPDATE readings SET temp = temp + 1 WHERE ts < 100;   -- patches in the tail
**   COMMIT;                   -- chunks patched past an eighth of their rows rewritten
**   SELECT squeeze_optimize('readings');                  -- everything folded, packed
**
** A rewrite decodes the chunks, merges the tail rows of their rowid range in
** rowid order (a patch replaces its row, a tombstone drops it), deletes the
** old chunks and tail rows and writes the result as new chunks, each with a
** new generation. Rewrites run from the last chunk down, so the directory
** rows read before stay valid.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <stdlib.h>
#include <string.h>

/* Writes rows as chunks of chunk_rows rows (fewer where the byte cut says),
** the last one partial; hints as sqt_write_chunk takes them. */
static int write_pieces(sqt_vtab *p, const sqt_rows *rows, const sqt_codec_hint *hints,
                        int *written) {
  uint32_t total = rows->id.count, pos = 0;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && pos < total) {
    uint32_t n = total - pos < p->decl.chunk_rows ? total - pos : p->decl.chunk_rows;
    n = sqt_rows_fitting(p, rows, pos, n);
    rc = sqt_write_chunk(p, rows, pos, n, hints);
    pos += n;
    if (written) (*written)++;
  }
  return rc;
}

/* The codec and body bytes of each slot of chunk c into *out
** (sqlite3_malloc'd, ncol + 1 entries, codec 0 where unknown). */
static int read_codecs(sqt_vtab *p, const sqt_chunkref *c, sqt_codec_hint **out) {
  size_t n = (size_t)p->decl.ncol + 1;
  sqt_codec_hint *h = sqlite3_malloc64(sizeof(*h) * n);
  if (!h) return SQLITE_NOMEM;
  memset(h, 0, sizeof(*h) * n);
  int rc = SQLITE_OK, step;
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_CODECS, &rc);
  if (!s) {
    sqlite3_free(h);
    return rc;
  }
  sqlite3_bind_int64(s, 1, sqt_key(c->gen, 0));
  sqlite3_bind_int64(s, 2, sqt_key(c->gen + 1, 0));
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t slot = sqlite3_column_int64(s, 0), id = sqlite3_column_int64(s, 1);
    int64_t bytes = sqlite3_column_int64(s, 2);
    if (slot >= 0 && (size_t)slot < n && id > 0 && id < 256 && bytes > 0) {
      h[slot].codec = (unsigned)id;
      h[slot].bytes = (size_t)bytes;
    }
  }
  if (step != SQLITE_DONE) {
    sqlite3_free(h);
    return sqt_step_error(p, s, step);
  }
  sqlite3_reset(s);
  *out = h;
  return SQLITE_OK;
}

/* Recomputes lcm from the directory (after chunks were rewritten). */
static int reload_lcm(sqt_vtab *p) {
  sqt_chunkref last;
  int found, rc = sqt_chunk_query(p, SQT_CHUNK_LAST, 0, 0, &last, &found);
  if (rc != SQLITE_OK) return rc;
  p->have_chunks = found;
  p->lcm = found ? last.maxrow : INT64_MIN;
  return SQLITE_OK;
}

/* Appends rows [i, i+n) of a chunk, held by its decoded slots (slots[0] the
** rowids), to r. */
static int append_slot_rows(sqt_rows *r, sqt_slot *const *slots, uint32_t i, uint32_t n) {
  size_t st = sqz_column_reserve(&r->id, n, 0);
  for (uint32_t k = 0; k < n && st == 0; k++)
    st = sqz_column_append(&r->id, SQZ_CLASS_INT, (uint64_t)sqt_slot_rowid(slots[0], i + k), NULL,
                           0);
  int rc = sqz_status_rc(st);
  for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++) {
    const sqz_column *col = &slots[k + 1]->col;
    size_t before = r->col[k].nbytes;
    rc = sqz_status_rc(sqz_column_append_rows(&r->col[k], col, i, n));
    r->bytes += r->col[k].nbytes - before;
  }
  return rc;
}

int sqt_merge_chunks(sqt_vtab *p, const sqt_chunkref *c, int n, int64_t lo, int64_t hi,
                     sqt_rows *merged) {
  sqt_rows patch;
  sqt_rows_init(&patch, p->decl.ncol, p->alloc);
  size_t nslots = (size_t)p->decl.ncol + 1;
  sqt_slot **slots = sqlite3_malloc64(sizeof(sqt_slot *) * nslots);
  int rc = (patch.col || !p->decl.ncol) && slots ? SQLITE_OK : SQLITE_NOMEM;
  if (slots) memset(slots, 0, sizeof(sqt_slot *) * nslots);
  if (rc == SQLITE_OK) rc = sqt_read_tail(p, lo, hi, &patch);
  uint32_t j = 0;
  for (int k = 0; k < n && rc == SQLITE_OK; k++) {
    /* the chunk's slots, decoded or from the cache */
    for (size_t s = 0; s < nslots && rc == SQLITE_OK; s++)
      rc = sqt_slot_get(p, &c[k], (int)s, &slots[s]);
    uint32_t i = 0, rows = c[k].nrows;
    while (rc == SQLITE_OK && i < rows) {
      int64_t a = sqt_slot_rowid(slots[0], i);
      if (j >= patch.id.count || a < (int64_t)patch.id.v[j]) {
        /* the run of rows before the next patch, at once */
        uint32_t end = j >= patch.id.count
                           ? rows
                           : sqt_slot_lower_bound(slots[0], i, rows, (int64_t)patch.id.v[j]);
        rc = append_slot_rows(merged, slots, i, end - i);
        i = end;
        continue;
      }
      if (a == (int64_t)patch.id.v[j]) i++; /* replaced or deleted */
      if (patch.dead.v[j] == 0) rc = sqt_rows_append_row(merged, &patch, j);
      j++;
    }
    for (size_t s = 0; s < nslots; s++) {
      sqt_slot_release(p, slots[s]);
      slots[s] = NULL;
    }
    /* patches between this chunk's last row and its maxrow... and past it,
    ** up to the next chunk's first row */
    int64_t limit = k + 1 < n ? c[k + 1].minrow : INT64_MAX;
    while (rc == SQLITE_OK && j < patch.id.count && (int64_t)patch.id.v[j] < limit) {
      if (patch.dead.v[j] == 0) rc = sqt_rows_append_row(merged, &patch, j);
      j++;
    }
  }
  while (rc == SQLITE_OK && j < patch.id.count) {
    if (patch.dead.v[j] == 0) rc = sqt_rows_append_row(merged, &patch, j);
    j++;
  }
  sqt_rows_free(&patch);
  sqlite3_free(slots);
  return rc;
}

/* Rewrites the consecutive chunks c[0..n) (n may be 0) together with the
** tail rows in [lo, hi] (patches of those chunks, and with hi past the last
** chunk also tail rows after it): decode, merge, delete, write again. */
static int rewrite_chunks(sqt_vtab *p, const sqt_chunkref *c, int n, int64_t lo, int64_t hi,
                          int hint, int *written) {
  sqt_rows merged;
  sqt_rows_init(&merged, p->decl.ncol, p->alloc);
  int rc = merged.col || !p->decl.ncol ? SQLITE_OK : SQLITE_NOMEM;
  /* with hint, one chunk rewritten for its patches tries the codecs it had
  ** first, and every candidate only when they do much worse than before */
  sqt_codec_hint *hints = NULL;
  if (rc == SQLITE_OK && n == 1 && hint) rc = read_codecs(p, &c[0], &hints);
  if (rc == SQLITE_OK) rc = sqt_merge_chunks(p, c, n, lo, hi, &merged);
  for (int k = 0; k < n && rc == SQLITE_OK; k++)
    rc = sqt_delete_chunk(p, &c[k]);
  if (rc == SQLITE_OK) rc = sqt_delete_tail_range(p, lo, hi);
  if (rc == SQLITE_OK) rc = write_pieces(p, &merged, hints, written);
  sqt_rows_free(&merged);
  sqlite3_free(hints);
  return rc;
}

int sqt_trailing_partials(sqt_vtab *p, int64_t acc, sqt_chunkref *run, int *n, int64_t *lo) {
  *n = 0;
  *lo = sqt_tail_from(p);
  if (!p->have_chunks) return SQLITE_OK;
  sqt_chunkref c;
  int found, rc = sqt_chunk_query(p, SQT_CHUNK_LAST, 0, 0, &c, &found);
  int64_t rows = 0;
  while (rc == SQLITE_OK && found && *n < SQT_RUN_MAX && c.nrows < p->decl.chunk_rows &&
         rows + c.nrows < p->decl.chunk_rows && (acc < 0 || c.nrows <= acc + rows)) {
    run[(*n)++] = c;
    rows += c.nrows;
    *lo = INT64_MIN;
    rc = sqt_chunk_query(p, SQT_CHUNK_BEFORE, 1, c.maxrow, &c, &found);
    if (rc == SQLITE_OK && found) *lo = c.maxrow + 1;
  }
  /* the run, found from the last chunk down, in rowid order */
  for (int i = 0, j = *n - 1; i < j; i++, j--) {
    sqt_chunkref t = run[i];
    run[i] = run[j];
    run[j] = t;
  }
  return rc;
}

int sqt_seal(sqt_vtab *p, int *written) {
  int rc = sqt_load(p);
  if (rc != SQLITE_OK || p->tail_count < SQT_SEAL_ROWS) return rc;
  if (p->have_chunks && p->lcm == INT64_MAX) return SQLITE_OK;
  /* a partial chunk before the tail joins when it is no larger than what
  ** joins after it, so that each row is rewritten about log2(chunk_rows /
  ** SQT_SEAL_ROWS) times, as in a binary counter */
  sqt_chunkref run[SQT_RUN_MAX];
  int n;
  int64_t lo;
  rc = sqt_trailing_partials(p, p->tail_count, run, &n, &lo);
  if (rc == SQLITE_OK) rc = rewrite_chunks(p, run, n, lo, INT64_MAX, 0, written);
  if (rc == SQLITE_OK) rc = reload_lcm(p);
  if (rc == SQLITE_OK) {
    p->tail_count = 0;
    rc = sqt_save_generation(p);
  }
  return rc;
}

int sqt_note_patch(sqt_vtab *p, int64_t r) {
  if (p->patch_overflow) return SQLITE_OK;
  if (p->npatch == p->cap_patch) {
    size_t cap = p->cap_patch ? p->cap_patch * 2 : 64;
    int64_t *q = cap <= ((size_t)1 << 20) ? sqlite3_realloc64(p->patches, cap * 8) : NULL;
    if (!q) {
      p->patch_overflow = 1; /* the commit scans every patch instead */
      return SQLITE_OK;
    }
    p->patches = q;
    p->cap_patch = cap;
  }
  p->patches[p->npatch++] = r;
  return SQLITE_OK;
}

void sqt_forget_patches(sqt_vtab *p) {
  p->npatch = 0;
  p->patch_overflow = 0;
}

/* How many patches (tail rows in its range) make chunk c worth rewriting at
** commit: when they take about a sixteenth of the bytes the chunk takes
** compressed (a patch is stored uncompressed: its values and ~8 bytes of
** row), so that patches never grow a table by much more than 6% before the
** writes that make them fold them in; at least 8 (or the chunk's rows), at
** most an eighth of its rows. */
static int patch_threshold(sqt_vtab *p, const sqt_chunkref *c, uint64_t *threshold) {
  int64_t stored = 0, raw = 0;
  int rc = sqt_query_count(p, SQT_DATA_STORED, sqt_key(c->gen, 0), sqt_key(c->gen + 1, 0), &stored);
  if (rc == SQLITE_OK)
    rc = sqt_query_count(p, SQT_DATA_RAW, sqt_key(c->gen, 0), sqt_key(c->gen + 1, 0), &raw);
  if (rc != SQLITE_OK) return rc;
  double row = (raw > 0 ? (double)raw : 0.0) / c->nrows + 8.0;
  double t = (stored > 0 ? (double)stored : 0.0) / 16.0 / row;
  double lo = c->nrows < 8 ? c->nrows : 8, hi = (c->nrows + 7) / 8;
  t = t < lo ? lo : t;
  *threshold = (uint64_t)(t > hi ? hi : t); /* the eighth wins */
  return SQLITE_OK;
}

/* Compaction at commit when the patched rowids are known: only their chunks
** are looked at. */
static int compact_noted(sqt_vtab *p, int *written) {
  qsort(p->patches, p->npatch, sizeof(int64_t), sqt_cmp_i64);
  int rc = SQLITE_OK;
  size_t i = 0;
  while (rc == SQLITE_OK && i < p->npatch) {
    sqt_chunkref owner, prev;
    int found, has_prev;
    rc = sqt_chunk_query(p, SQT_CHUNK_OWNER, 1, p->patches[i], &owner, &found);
    if (rc != SQLITE_OK || !found) break;
    rc = sqt_chunk_query(p, SQT_CHUNK_BEFORE, 1, owner.maxrow, &prev, &has_prev);
    int64_t lo = has_prev ? prev.maxrow + 1 : INT64_MIN, n = 0;
    if (rc == SQLITE_OK) rc = sqt_query_count(p, SQT_TAIL_COUNT_RANGE, lo, owner.maxrow, &n);
    uint64_t threshold = 1;
    if (rc == SQLITE_OK && n > 0) rc = patch_threshold(p, &owner, &threshold);
    if (rc == SQLITE_OK && n > 0 && (uint64_t)n >= threshold)
      rc = rewrite_chunks(p, &owner, 1, lo, owner.maxrow, 1, written);
    while (i < p->npatch && p->patches[i] <= owner.maxrow)
      i++;
  }
  return rc;
}

int sqt_compact(sqt_vtab *p, int all, int *written) {
  int rc = sqt_flush(p, SQT_FLUSH_FULL);
  if (rc == SQLITE_OK) rc = sqt_load(p);
  if (rc != SQLITE_OK || !p->have_chunks) return rc;
  if (!all && !p->patch_overflow) {
    rc = compact_noted(p, written);
    if (rc == SQLITE_OK) rc = reload_lcm(p);
    if (rc == SQLITE_OK) rc = sqt_save_generation(p);
    return rc;
  }
  sqt_chunkref *dir = NULL;
  int n = 0;
  uint32_t *count = NULL;
  rc = sqt_load_directory(p, &dir, &n);
  if (rc == SQLITE_OK && n > 0) {
    count = sqlite3_malloc64(sizeof(uint32_t) * (size_t)n);
    if (!count)
      rc = SQLITE_NOMEM;
    else
      memset(count, 0, sizeof(uint32_t) * (size_t)n);
  }
  sqlite3_stmt *s = n > 0 ? sqt_stmt(p, SQT_PATCH_IDS, &rc) : NULL;
  if (s) {
    sqlite3_bind_int64(s, 1, p->lcm);
    int k = 0, step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
      int64_t id = sqlite3_column_int64(s, 0);
      while (k < n && dir[k].maxrow < id)
        k++;
      if (k < n) count[k]++;
    }
    if (step != SQLITE_DONE)
      rc = sqt_step_error(p, s, step);
    else
      sqlite3_reset(s);
  }
  /* from the last chunk down, so earlier directory rows stay valid */
  for (int k = n - 1; k >= 0 && rc == SQLITE_OK; k--) {
    uint64_t threshold = 1;
    if (count[k] == 0) continue;
    if (!all) rc = patch_threshold(p, &dir[k], &threshold);
    if (rc != SQLITE_OK) break;
    if (count[k] < threshold) continue;
    rc = rewrite_chunks(p, &dir[k], 1, k > 0 ? dir[k - 1].maxrow + 1 : INT64_MIN, dir[k].maxrow,
                        !all, written);
  }
  sqlite3_free(dir);
  sqlite3_free(count);
  if (rc == SQLITE_OK) rc = reload_lcm(p);
  if (rc == SQLITE_OK) rc = sqt_save_generation(p);
  return rc;
}

int sqt_optimize(sqt_vtab *p, int *written) {
  *written = 0;
  int rc = sqt_compact(p, 1, written);
  sqt_chunkref *dir = NULL;
  int n = 0;
  int64_t tail = 0;
  int found;
  if (rc == SQLITE_OK) rc = sqt_load_directory(p, &dir, &n);
  if (rc == SQLITE_OK && (!p->have_chunks || p->lcm < INT64_MAX))
    rc = sqt_query_int(p, SQT_TAIL_COUNT, sqt_tail_from(p), NULL, &tail, &found);
  /* runs of partial chunks are packed into full ones, from the last run down
  ** so that earlier directory rows stay valid; the last run takes the tail */
  int end = n;
  while (rc == SQLITE_OK && end >= 0) {
    int last = end == n;
    int start = end;
    while (start > 0 && dir[start - 1].nrows < p->decl.chunk_rows)
      start--;
    if (end - start >= 2 || (last && tail > 0)) {
      int64_t lo = start > 0 ? dir[start - 1].maxrow + 1 : INT64_MIN;
      int64_t hi = last ? INT64_MAX : dir[end - 1].maxrow;
      rc = rewrite_chunks(p, dir ? dir + start : NULL, end - start, lo, hi, 0, written);
    }
    end = start - 1; /* skip the full chunk before the run */
  }
  sqlite3_free(dir);
  if (rc == SQLITE_OK) rc = reload_lcm(p);
  if (rc == SQLITE_OK) rc = sqt_save_generation(p);
  p->loaded = 0; /* tail_count and lcm changed */
  return rc;
}

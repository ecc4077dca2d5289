/*
** sqt_chunkio.c: chunk I/O of the squeeze table: the chunk directory
** (t_chunk) and the column chunks (t_data rows), written and read.
**
**   SELECT maxrow, minrow, nrows, gen FROM readings_chunk;   -- the directory
**   SELECT key, nnull, minv, maxv, codec, raw FROM readings_data;
**
** A chunk is written as one column chunk per slot (slot 0 the rowids, slot
** k column k-1; docs/format/chunk.md) under the data key gen << 16 | slot,
** each with its null count and, where comparisons can use them, min and max
** (the zone map), then its directory row. A chunk is read back slot by slot:
** every directory row is validated before it is used, and every body is
** decoded against what the directory says (rows, tag), so a damaged shadow
** table gives SQLITE_CORRUPT_VTAB with a message naming the chunk, never a
** wrong row.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>
#include <xxhash.h>

#include "chunk_cache.h"

#include "byteorder.h"

/* ---- The directory -------------------------------------------------------- */

int sqt_chunkref_read(sqt_vtab *p, sqlite3_stmt *s, sqt_chunkref *c) {
  c->maxrow = sqlite3_column_int64(s, 0);
  c->minrow = sqlite3_column_int64(s, 1);
  sqlite3_int64 n = sqlite3_column_int64(s, 2);
  c->gen = sqlite3_column_int64(s, 3);
  if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
      sqlite3_column_type(s, 2) != SQLITE_INTEGER || sqlite3_column_type(s, 3) != SQLITE_INTEGER ||
      c->minrow > c->maxrow || n < 1 || n > SQZ_CHUNK_ROWS_MAX ||
      (uint64_t)c->maxrow - (uint64_t)c->minrow < (uint64_t)(n - 1) || c->gen < 1 ||
      c->gen >= SQT_GEN_MAX) {
    return sqt_error(p, SQLITE_CORRUPT_VTAB,
                     "table %s: directory row of the chunk ending at rowid %lld is corrupt",
                     p->zName, (long long)c->maxrow);
  }
  c->nrows = (uint32_t)n;
  c->sum[0] = c->sum[1] = 0;
  if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
    const void *b = sqlite3_column_blob(s, 4);
    int nb = sqlite3_column_bytes(s, 4);
    if (!b && sqlite3_errcode(p->db) == SQLITE_NOMEM) return SQLITE_NOMEM;
    if (sqlite3_column_type(s, 4) != SQLITE_BLOB)
      return sqt_error(p, SQLITE_CORRUPT_VTAB,
                       "table %s: directory row of the chunk ending at rowid %lld has checksums "
                       "that are not a blob",
                       p->zName, (long long)c->maxrow);
    if (nb != 8 * (p->decl.ncol + 1))
      return sqt_error(p, SQLITE_CORRUPT_VTAB,
                       "table %s: directory row of the chunk ending at rowid %lld has checksums "
                       "of %d bytes, not %d",
                       p->zName, (long long)c->maxrow, nb, 8 * (p->decl.ncol + 1));
    XXH128_hash_t h = XXH3_128bits(b, (size_t)nb);
    c->sum[0] = h.low64;
    c->sum[1] = h.high64;
  }
  return SQLITE_OK;
}

int sqt_chunk_query(sqt_vtab *p, int id, int has_arg, int64_t arg, sqt_chunkref *c, int *found) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, id, &rc);
  *found = 0;
  if (!s) return rc;
  if (has_arg) sqlite3_bind_int64(s, 1, arg);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *found = 1;
    rc = sqt_chunkref_read(p, s, c);
    sqlite3_reset(s);
    return rc;
  }
  if (rc != SQLITE_DONE) return sqt_step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

int sqt_chunk_owner(sqt_vtab *p, int64_t r, sqt_chunkref *c, int *found) {
  if (p->owner_ok && p->owner_epoch == p->dir_epoch && p->owner.minrow <= r &&
      r <= p->owner.maxrow) {
    *c = p->owner;
    *found = 1;
    return SQLITE_OK;
  }
  int rc = sqt_chunk_query(p, SQT_CHUNK_OWNER, 1, r, c, found);
  if (rc == SQLITE_OK && *found) {
    p->owner = *c;
    p->owner_epoch = p->dir_epoch;
    p->owner_ok = 1;
  }
  return rc;
}

int sqt_chunk_current(sqt_vtab *p, const sqt_chunkref *c, int *yes) {
  sqt_chunkref now;
  int found, rc = sqt_chunk_query(p, SQT_CHUNK_OWNER, 1, c->maxrow, &now, &found);
  *yes = rc == SQLITE_OK && found && now.maxrow == c->maxrow && now.gen == c->gen;
  return rc;
}

int sqt_load_directory(sqt_vtab *p, sqt_chunkref **out, int *count) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_CHUNK_FROM, &rc);
  *out = NULL;
  *count = 0;
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, INT64_MIN);
  int cap = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (*count == cap) {
      cap = cap ? cap * 2 : 64;
      sqt_chunkref *q = sqlite3_realloc64(*out, sizeof(sqt_chunkref) * (size_t)cap);
      if (!q) {
        sqlite3_reset(s);
        return SQLITE_NOMEM;
      }
      *out = q;
    }
    rc = sqt_chunkref_read(p, s, &(*out)[*count]);
    if (rc != SQLITE_OK) {
      sqlite3_reset(s);
      return rc;
    }
    (*count)++;
  }
  if (rc != SQLITE_DONE) return sqt_step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

/* ---- Zone maps ------------------------------------------------------------ */

/* Appends bound v to the zone-sum input at b (room for 1 + 4 + SQT_STAT_BYTES). */
static size_t zone_bytes(const sqt_vtab *p, uint8_t *b, const sqz_value *v) {
  b[0] = (uint8_t)v->cls;
  switch (v->cls) {
  case SQZ_CLASS_INT:
  case SQZ_CLASS_REAL:
    sqz_store64le(b + 1, v->v);
    return 9;
  case SQZ_CLASS_TEXT:
    if (!p->utf8) return 1;
    /* fall through */
  case SQZ_CLASS_BLOB: {
    size_t n = v->n < SQT_STAT_BYTES ? v->n : SQT_STAT_BYTES;
    sqz_store32le(b + 1, (uint32_t)n);
    if (n) memcpy(b + 5, v->p, n);
    return 5 + n;
  }
  default:
    return 1;
  }
}

int64_t sqt_zone_sum(const sqt_vtab *p, int64_t key, int64_t nnull, const sqz_value *lo,
                     const sqz_value *hi) {
  uint8_t b[16 + 2 * (5 + SQT_STAT_BYTES)];
  sqz_store64le(b, (uint64_t)key);
  sqz_store64le(b + 8, (uint64_t)nnull);
  size_t n = 16;
  n += zone_bytes(p, b + n, lo);
  n += zone_bytes(p, b + n, hi);
  return (int64_t)(uint32_t)XXH3_64bits(b, n);
}

int sqt_zone_valid(const sqt_vtab *p, sqlite3_stmt *s, int i, int64_t key) {
  if (p->format < 2) return 1;
  sqz_value lo = sqt_value_of(sqlite3_column_value(s, i + 1));
  sqz_value hi = sqt_value_of(sqlite3_column_value(s, i + 2));
  if (lo.n > SQT_STAT_BYTES || hi.n > SQT_STAT_BYTES) return 0;
  return sqlite3_column_type(s, i) == SQLITE_INTEGER &&
         sqlite3_column_type(s, i + 3) == SQLITE_INTEGER &&
         sqlite3_column_int64(s, i + 3) ==
             sqt_zone_sum(p, key, sqlite3_column_int64(s, i), &lo, &hi);
}

/* ---- Column chunks -------------------------------------------------------- */

/* The codec error r as an SQLite code with p's message. */
static int codec_error(sqt_vtab *p, size_t r, const char *what) {
  switch (sqz_error_of(r)) {
  case SQZ_ERROR_MEMORY:
    return SQLITE_NOMEM;
  case SQZ_ERROR_TOO_LARGE:
    return sqt_error(p, SQLITE_TOOBIG, "table %s: %s: larger than the length limit", p->zName,
                     what);
  default:
    return sqt_error(p, SQLITE_ERROR, "table %s: %s: %s", p->zName, what, sqz_error_string(r));
  }
}

int sqt_stats_unknown(const sqt_vtab *p, int slot, const sqz_column *col, uint32_t start,
                      uint32_t n) {
  if (slot == 0) return 0;
  sqt_affinity aff = p->decl.col[slot - 1].aff;
  for (uint32_t i = start; i < start + n; i++) {
    uint8_t t = col->type[i];
    if (sqt_aff_numeric(aff) && t == SQZ_CLASS_TEXT) return 1;
    if (aff == SQT_AFF_TEXT && (t == SQZ_CLASS_INT || t == SQZ_CLASS_REAL)) return 1;
  }
  return 0;
}

/* Bytes a hinted codec may grow by beyond 1/8 of the previous body before
** the other candidates are tried: a small chunk (a few dozen bytes) that a
** DELETE makes a little less regular would otherwise try them all to save
** at most this much. */
#define SQT_HINT_SLACK 64

/* Encodes slot (0 rowids, k column k-1) of rows [start, start+n) and writes
** its data row. */
static int write_slot(sqt_vtab *p, int64_t gen, int slot, const sqz_column *col, uint32_t start,
                      uint32_t n, const sqt_codec_hint *hints) {
  sqz_chunk_opts o = {.primary = SQZ_CLASS_INT, .tag = (uint64_t)sqt_key(gen, slot)};
  if (hints && hints[slot].codec) {
    o.hint = sqz_codec_by_id(hints[slot].codec);
    o.hint_bytes = hints[slot].bytes + hints[slot].bytes / 8 + SQT_HINT_SLACK;
  }
  if (slot > 0) {
    const sqt_column *c = &p->decl.col[slot - 1];
    o.primary = c->cls;
    o.codec = c->codec;
    o.level = c->level;
  }
  sqz_chunk_stats st;
  size_t r = sqz_chunk_encode(p->conn->ctx, &p->enc, col, start, n, &o, &st);
  if (r) return codec_error(p, r, slot ? p->decl.col[slot - 1].name : "rowid");
  if (p->enc.n > (size_t)sqz_length_limit(p->db))
    return sqt_error(p, SQLITE_TOOBIG,
                     "table %s: a chunk of column %s is larger than the length "
                     "limit; use a smaller chunk_rows",
                     p->zName, slot ? p->decl.col[slot - 1].name : "rowid");
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_INSERT, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, sqt_key(gen, slot));
  sqlite3_bind_int64(s, 2, st.nulls);
  sqz_value lo = {SQZ_CLASS_NULL, 0, NULL, 0}, hi = lo;
  if (st.min_row >= 0 && !sqt_stats_unknown(p, slot, col, start, n)) {
    lo = sqz_column_value(col, start + (uint32_t)st.min_row);
    hi = sqz_column_value(col, start + (uint32_t)st.max_row);
    /* long TEXT/BLOB bounds are kept as prefixes: a prefix is still a lower
    ** bound, but not an upper one, which is then unknown */
    if (lo.n > SQT_STAT_BYTES) lo.n = SQT_STAT_BYTES;
    if (hi.n > SQT_STAT_BYTES) hi.cls = SQZ_CLASS_NULL, hi.n = 0;
  }
  rc = sqt_bind_value(s, 3, &lo);
  if (rc == SQLITE_OK) rc = sqt_bind_value(s, 4, &hi);
  if (rc == SQLITE_OK && p->format >= 2)
    rc = sqlite3_bind_int64(s, 8, sqt_zone_sum(p, sqt_key(gen, slot), st.nulls, &lo, &hi));
  sqlite3_bind_int(s, 5, st.codec_id);
  sqlite3_bind_int64(s, 6, (sqlite3_int64)st.raw_bytes);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 7, p->enc.p, p->enc.n, SQLITE_STATIC);
  if (p->format >= 3) sqz_store64le(p->sums + 8 * slot, XXH3_64bits(p->enc.p, p->enc.n));
  if (rc != SQLITE_OK) {
    sqlite3_reset(s);
    return rc;
  }
  rc = sqt_step_done(p, s);
  sqlite3_bind_null(s, 7);
  return rc;
}

int sqt_write_chunk(sqt_vtab *p, const sqt_rows *rows, uint32_t start, uint32_t n,
                    const sqt_codec_hint *hints) {
  if (p->last_gen >= SQT_GEN_MAX - 1)
    return sqt_error(p, SQLITE_CORRUPT_VTAB, "table %s: no generation numbers left", p->zName);
  int64_t gen = ++p->last_gen;
  p->epoch++;
  p->dir_epoch++;
  p->gen_dirty = 1;
  int rc = write_slot(p, gen, 0, &rows->id, start, n, hints);
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++)
    rc = write_slot(p, gen, k + 1, &rows->col[k], start, n, hints);
  if (rc != SQLITE_OK) return rc;
  int64_t lo = (int64_t)rows->id.v[start], hi = (int64_t)rows->id.v[start + n - 1];
  sqlite3_stmt *s = sqt_stmt(p, SQT_CHUNK_INSERT, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, hi);
  sqlite3_bind_int64(s, 2, lo);
  sqlite3_bind_int64(s, 3, n);
  sqlite3_bind_int64(s, 4, gen);
  if (p->format >= 3)
    rc = sqlite3_bind_blob64(s, 5, p->sums, 8 * ((size_t)p->decl.ncol + 1), SQLITE_STATIC);
  if (rc != SQLITE_OK) {
    sqlite3_reset(s);
    return rc;
  }
  rc = sqt_step_done(p, s);
  sqlite3_bind_null(s, 5);
  if (rc == SQLITE_OK && (!p->have_chunks || hi > p->lcm)) {
    p->have_chunks = 1;
    p->lcm = hi;
  }
  return rc;
}

int sqt_delete_chunk(sqt_vtab *p, const sqt_chunkref *c) {
  p->epoch++;
  p->dir_epoch++;
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_CHUNK_DELETE, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, c->maxrow);
  rc = sqt_step_done(p, s);
  s = sqt_stmt(p, SQT_DATA_DELETE, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, sqt_key(c->gen, 0));
  sqlite3_bind_int64(s, 2, sqt_key(c->gen + 1, 0));
  sqt_cache_drop(p, c->gen, c->gen);
  return sqt_step_done(p, s);
}

int sqt_delete_generations(sqt_vtab *p, int64_t lo, int64_t hi) {
  p->epoch++;
  p->dir_epoch++;
  sqt_cache_drop(p, lo, hi);
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_CHUNK_DELETE_GEN, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  rc = sqt_step_done(p, s);
  s = sqt_stmt(p, SQT_DATA_DELETE, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, sqt_key(lo, 0));
  sqlite3_bind_int64(s, 2, sqt_key(hi + 1, 0));
  return sqt_step_done(p, s);
}

size_t sqt_chunk_cap(const sqt_vtab *p) {
  sqlite3_int64 half = sqz_length_limit(p->db) / 2;
  return half < (sqlite3_int64)SQT_CHUNK_BYTES ? (size_t)(half > 0 ? half : 1) : SQT_CHUNK_BYTES;
}

/* Steps s (SQT_DATA_BODY) to the body of slot of chunk c: *body and *n.
** Returns SQLITE_OK with s on its row (the caller resets it), or an error
** (s reset): a missing data row is SQLITE_CORRUPT_VTAB. */
static int slot_body(sqt_vtab *p, sqlite3_stmt *s, const sqt_chunkref *c, int slot,
                     const void **body, size_t *n) {
  sqlite3_bind_int64(s, 1, sqt_key(c->gen, slot));
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) return sqt_step_error(p, s, rc);
    sqlite3_reset(s);
    return sqt_error(p, SQLITE_CORRUPT_VTAB,
                     "table %s: chunk of rows %lld..%lld, column %s: data row missing", p->zName,
                     (long long)c->minrow, (long long)c->maxrow,
                     slot ? p->decl.col[slot - 1].name : "rowid");
  }
  *body = sqlite3_column_blob(s, 0);
  *n = (size_t)sqlite3_column_bytes(s, 0);
  if (!*body && sqlite3_errcode(p->db) == SQLITE_NOMEM) {
    sqlite3_reset(s);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* The SQLite code and p's message for the chunk codec status r of slot of
** chunk c (0: SQLITE_OK). capped: r came under SQT_DECODE_CAP, so a
** TOO_LARGE is damage, not a value above the length limit. */
static int slot_status(sqt_vtab *p, const sqt_chunkref *c, int slot, size_t r, int capped) {
  if (!r) return SQLITE_OK;
  if (sqz_error_of(r) == SQZ_ERROR_MEMORY) return SQLITE_NOMEM;
  const char *what = slot ? p->decl.col[slot - 1].name : "rowid";
  if (sqz_error_of(r) == SQZ_ERROR_TOO_LARGE && capped)
    return sqt_error(p, SQLITE_CORRUPT_VTAB,
                     "table %s: chunk of rows %lld..%lld, column %s: declares more than the %u MiB "
                     "a chunk of several rows may hold",
                     p->zName, (long long)c->minrow, (long long)c->maxrow, what,
                     (unsigned)(SQT_DECODE_CAP >> 20));
  return sqt_error(p, sqz_error_of(r) == SQZ_ERROR_TOO_LARGE ? SQLITE_TOOBIG : SQLITE_CORRUPT_VTAB,
                   "table %s: chunk of rows %lld..%lld, column %s: %s", p->zName,
                   (long long)c->minrow, (long long)c->maxrow, what, sqz_error_string(r));
}

/* The decode limit for a slot of chunk c: the length limit, or
** SQT_DECODE_CAP for a chunk of several rows when that is smaller (*capped):
** no crafted file makes a read allocate more (a lone row may be larger). */
static size_t decode_limit(sqt_vtab *p, const sqt_chunkref *c, int *capped) {
  size_t limit = (size_t)sqz_length_limit(p->db);
  *capped = c->nrows > 1 && limit > SQT_DECODE_CAP;
  return *capped ? SQT_DECODE_CAP : limit;
}

int sqt_body_matches(sqt_vtab *p, const sqt_chunkref *c, int slot, const void *body, size_t n,
                     int *rc) {
  size_t nb = 8 * ((size_t)p->decl.ncol + 1);
  uint8_t *seen = p->sums + nb; /* the last checksums read, whose hash is seen_sum */
  if (!(p->seen_ok && p->seen_sum[0] == c->sum[0] && p->seen_sum[1] == c->sum[1])) {
    /* the chunk's other slots are checked next: its checksums are read once */
    p->seen_ok = 0;
    sqlite3_stmt *s = sqt_stmt(p, SQT_CHUNK_SUMS, rc);
    if (!s) return 0;
    sqlite3_bind_int64(s, 1, c->maxrow);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
      const void *b = sqlite3_column_blob(s, 0);
      if (!b && sqlite3_errcode(p->db) == SQLITE_NOMEM) {
        *rc = SQLITE_NOMEM;
      } else if (b && (size_t)sqlite3_column_bytes(s, 0) == nb) {
        XXH128_hash_t h = XXH3_128bits(b, nb);
        memcpy(seen, b, nb);
        p->seen_sum[0] = h.low64, p->seen_sum[1] = h.high64;
        p->seen_ok = h.low64 == c->sum[0] && h.high64 == c->sum[1];
      }
    } else if (step != SQLITE_DONE) {
      *rc = sqt_step_error(p, s, step);
      return 0;
    }
    sqlite3_reset(s);
    if (!p->seen_ok) return 0;
  }
  return sqz_load64le(seen + 8 * slot) == XXH3_64bits(body, n);
}

/* SQLITE_OK when the body of slot of chunk c (n bytes) is the one the
** directory's checksums name (always for a chunk without them), else
** SQLITE_CORRUPT_VTAB with p's message, or the error of reading them. */
static int body_check(sqt_vtab *p, const sqt_chunkref *c, int slot, const void *body, size_t n) {
  if (!(c->sum[0] | c->sum[1])) return SQLITE_OK;
  int rc = SQLITE_OK;
  int same = sqt_body_matches(p, c, slot, body, n, &rc);
  if (rc == SQLITE_OK && !same)
    rc = sqt_error(p, SQLITE_CORRUPT_VTAB,
                   "table %s: chunk of rows %lld..%lld, column %s: the body does not match its "
                   "checksum in the directory",
                   p->zName, (long long)c->minrow, (long long)c->maxrow,
                   slot ? p->decl.col[slot - 1].name : "rowid");
  return rc;
}

int sqt_decode_slot(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_column *out) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_BODY, &rc);
  const void *body = NULL;
  size_t n = 0;
  if (s) rc = slot_body(p, s, c, slot, &body, &n);
  if (rc != SQLITE_OK) return rc;
  int capped;
  size_t limit = decode_limit(p, c, &capped);
  size_t r = sqz_chunk_decode(p->conn->ctx, out, body, n, c->nrows, (uint64_t)sqt_key(c->gen, slot),
                              limit);
  /* a body that decodes (its own checksum holds) must still be the one the
  ** directory names: another chunk's valid body copied over it is damage */
  rc = slot_status(p, c, slot, r, capped);
  if (rc == SQLITE_OK) rc = body_check(p, c, slot, body, n);
  sqlite3_reset(s);
  if (rc != SQLITE_OK) sqz_column_clear(out);
  return rc;
}

/* SQLITE_OK when ids (slot 0 of c, decoded) is what the directory says,
** else SQLITE_CORRUPT_VTAB with ids cleared. */
static int rowids_check(sqt_vtab *p, const sqt_chunkref *c, sqz_column *ids) {
  if (sqt_rowids_valid(c, ids)) return SQLITE_OK;
  sqz_column_clear(ids);
  return sqt_error(p, SQLITE_CORRUPT_VTAB,
                   "table %s: chunk of rows %lld..%lld: its rowids do not match the directory",
                   p->zName, (long long)c->minrow, (long long)c->maxrow);
}

/* Whether slot 0 of c, decoded into ids (checked by sqt_rowids_valid), has
** no gaps: its rowids are minrow + i. */
static int rowids_dense(const sqt_chunkref *c) {
  return (uint64_t)c->maxrow - (uint64_t)c->minrow == (uint64_t)c->nrows - 1;
}

/* The shared cache's key of slot of chunk c: the directory's checksums of
** the chunk's bodies when it has them (format 3: no body is read for a
** hit), else XXH3-128 of the body (read into *body, *n, statement *s). */
static int slot_key(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_cc_key *key, sqlite3_stmt **s,
                    const void **body, size_t *n) {
  uint64_t h[2] = {c->sum[0], c->sum[1]};
  *s = NULL;
  if (!(h[0] | h[1])) {
    int rc = SQLITE_OK;
    *s = sqt_stmt(p, SQT_DATA_BODY, &rc);
    if (*s) rc = slot_body(p, *s, c, slot, body, n);
    if (rc != SQLITE_OK) return rc;
    XXH128_hash_t x = XXH3_128bits(*body, *n);
    h[0] = x.low64, h[1] = x.high64;
  }
  /* the body checksums' hash and the body's hash never meet: slot's high bit */
  uint64_t tag = (uint64_t)c->nrows << 32 | (uint32_t)slot | (c->sum[0] | c->sum[1] ? 1u << 31 : 0);
  *key = (sqz_cc_key){{p->ident[0], p->ident[1], (uint64_t)c->gen, (uint64_t)c->minrow,
                       (uint64_t)c->maxrow, tag, h[0], h[1]}};
  return SQLITE_OK;
}

/* The chunk cache applies to reads of p now. */
static int cache_applies(sqt_vtab *p) {
  return p->ident_ok && !p->in_write && sqz_chunk_cache_on();
}

int sqt_slot_decode(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_column *out, int *dense) {
  *dense = 0;
  if (!cache_applies(p)) {
    int rc = slot == 0 ? sqt_chunk_rowids(p, c, out) : sqt_decode_slot(p, c, slot, out);
    if (rc == SQLITE_OK && slot == 0 && rowids_dense(c)) *dense = 1;
    return rc;
  }
  sqz_cc_key key;
  sqlite3_stmt *s;
  const void *body = NULL;
  size_t n = 0;
  int rc = slot_key(p, c, slot, &key, &s, &body, &n);
  if (rc != SQLITE_OK) return rc;
  int capped;
  size_t limit = decode_limit(p, c, &capped);
  uint32_t flags = 0;
  int hit = sqz_chunk_cache_get(&key, out, &flags, limit);
  if (hit < 0) {
    if (s) sqlite3_reset(s);
    return SQLITE_NOMEM;
  }
  if (hit && slot == 0) { /* kept only after these checks passed; cheap to repeat */
    hit = flags & SQZ_CC_DENSE ? rowids_dense(c) && out->count == 0 : sqt_rowids_valid(c, out);
    if (!hit) sqz_column_clear(out);
  }
  if (hit) {
    if (s) sqlite3_reset(s);
    *dense = (flags & SQZ_CC_DENSE) != 0;
    return SQLITE_OK;
  }
  if (!s) { /* keyed by the directory: the body is read now, and must be the one it names */
    s = sqt_stmt(p, SQT_DATA_BODY, &rc);
    if (s) rc = slot_body(p, s, c, slot, &body, &n);
    if (rc != SQLITE_OK) return rc;
  }
  uint64_t t0 = sqz_cc_clock_ns();
  size_t r = sqz_chunk_decode(p->conn->ctx, out, body, n, c->nrows, (uint64_t)sqt_key(c->gen, slot),
                              limit);
  uint64_t took = sqz_cc_clock_ns() - t0;
  rc = slot_status(p, c, slot, r, capped);
  /* what is stored under the directory's checksum must be decoded from the
  ** body it names */
  if (rc == SQLITE_OK) rc = body_check(p, c, slot, body, n);
  sqlite3_reset(s);
  if (rc != SQLITE_OK) sqz_column_clear(out);
  if (rc == SQLITE_OK && slot == 0) rc = rowids_check(p, c, out);
  if (rc != SQLITE_OK) return rc;
  *dense = slot == 0 && rowids_dense(c);
  if (*dense) {
    sqz_chunk_cache_put(&key, out, SQZ_CC_DENSE);
  } else if (p->keep_fast) { /* a point read missed: the next one reads a few units */
    sqz_chunk_cache_put(&key, out, sqz_cc_worth_keeping(out, took) ? 0 : SQZ_CC_FAST);
  } else if (sqz_cc_worth_keeping(out, took)) {
    /* a scan stores within a budget: SQT_STORE_PERCENT of its time so far */
    uint64_t t1 = sqz_cc_clock_ns();
    if (p->store_ns * 100 <= (t1 - p->scan_t0) * SQT_STORE_PERCENT) {
      sqz_chunk_cache_put(&key, out, 0);
      p->store_ns += sqz_cc_clock_ns() - t1;
    }
  }
  return SQLITE_OK;
}

int sqt_slot_rows(sqt_vtab *p, const sqt_chunkref *c, int slot, uint32_t first, uint32_t n,
                  sqz_column *out) {
  if (!cache_applies(p) || slot == 0) return 0;
  sqz_cc_key key;
  sqlite3_stmt *s;
  const void *body;
  size_t nb;
  /* format 3: the key from the directory; else the body is read for its hash */
  int rc = slot_key(p, c, slot, &key, &s, &body, &nb);
  if (s) sqlite3_reset(s);
  if (rc != SQLITE_OK) return rc == SQLITE_NOMEM ? SQLITE_NOMEM : 0; /* the decode will say */
  int capped;
  size_t limit = decode_limit(p, c, &capped);
  uint32_t flags = 0;
  int hit = sqz_chunk_cache_rows(&key, first, n, out, &flags, limit);
  if (hit < 0) return SQLITE_NOMEM;
  if (hit && (flags & SQZ_CC_DENSE)) { /* a column slot is never dense: damage */
    sqz_column_clear(out);
    return 0;
  }
  return hit;
}

int sqt_decode_nulls(sqt_vtab *p, const sqt_chunkref *c, int slot, uint8_t *isnull) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_BODY, &rc);
  const void *body = NULL;
  size_t n = 0;
  if (s) rc = slot_body(p, s, c, slot, &body, &n);
  if (rc != SQLITE_OK) return rc;
  size_t r = sqz_chunk_nulls(body, n, c->nrows, (uint64_t)sqt_key(c->gen, slot), isnull);
  rc = slot_status(p, c, slot, r, 0);
  if (rc == SQLITE_OK) rc = body_check(p, c, slot, body, n);
  sqlite3_reset(s);
  return rc;
}

int sqt_rowids_valid(const sqt_chunkref *c, const sqz_column *ids) {
  if (ids->count != c->nrows || ids->count == 0) return 0;
  for (uint32_t i = 0; i < ids->count; i++)
    if (ids->type[i] != SQZ_CLASS_INT || (i && (int64_t)ids->v[i] <= (int64_t)ids->v[i - 1]))
      return 0;
  return (int64_t)ids->v[0] == c->minrow && (int64_t)ids->v[ids->count - 1] == c->maxrow;
}

int sqt_chunk_rowids(sqt_vtab *p, const sqt_chunkref *c, sqz_column *out) {
  int rc = sqt_decode_slot(p, c, 0, out);
  if (rc != SQLITE_OK) return rc;
  return rowids_check(p, c, out);
}

int sqt_decode_chunk(sqt_vtab *p, const sqt_chunkref *c, sqt_rows *r) {
  sqt_rows_clear(r);
  int rc = sqt_chunk_rowids(p, c, &r->id);
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++) {
    rc = sqt_decode_slot(p, c, k + 1, &r->col[k]);
    for (uint32_t i = 0; rc == SQLITE_OK && i < r->col[k].count; i++)
      if (r->col[k].type[i] >= SQZ_CLASS_TEXT) r->bytes += r->col[k].len[i];
  }
  return rc;
}

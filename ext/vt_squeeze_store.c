/*
** vt_squeeze_store.c: the storage of a squeeze table in its shadow tables
** (layout in vt_squeeze.h and docs/squeeze_table.md).
**
**   INSERT INTO readings(ts, temp) VALUES (1700000000, 20.5);  -- buffered
**   SELECT count(*) FROM readings_chunk;      -- one row per chunk
**   SELECT key >> 16 AS gen, key & 65535 AS slot, codec, raw, length(body)
**     FROM readings_data;                     -- one row per column chunk
**   SELECT * FROM readings_tail;              -- rows not yet in a chunk
**
** Rows inserted with a rowid above every stored rowid go to an insert buffer
** in memory (an sq_rows, column form), not to a shadow table: as soon as the
** tail and the buffer hold chunk_rows rows they are encoded into a chunk
** straight from memory, so a bulk load pays one chunk write per chunk_rows
** rows instead of a tail write and delete per row. The buffer is flushed
** (sq_flush) before any read, at every savepoint and in xSync, so that every
** byte of a transaction is in ordinary shadow tables when SQLite commits,
** rolls back or journals it.
**
** Changes to rows already in chunks go to the tail as patches (the new row,
** or a tombstone), which scans merge in; sq_compact folds a chunk's patches
** into a rewritten chunk with a new generation once they reach an eighth of
** its rows (checked in xSync) or when squeeze_optimize asks.
**
** Every value read from a shadow table is checked before use: directory rows
** whose numbers are impossible and chunks that do not decode to what the
** directory says give SQLITE_CORRUPT_VTAB with a message naming the chunk.
*/
#include "vt_squeeze.h"
SQLITE_EXTENSION_INIT3

#include <stdlib.h>
#include <string.h>

/* ---- Statements ---------------------------------------------------------- */

/* The SQL of statement id, with %Q the database and %q the table name. */
static char *stmt_sql(sq_vtab *p, int id) {
  const char *db = p->zDb, *t = p->zName;
  switch (id) {
  case SQ_CHUNK_FROM:
    return sqlite3_mprintf("SELECT maxrow, minrow, nrows, gen FROM %Q.'%q_chunk'"
                           " WHERE maxrow >= ?1 ORDER BY maxrow",
                           db, t);
  case SQ_CHUNK_OWNER:
    return sqlite3_mprintf("SELECT maxrow, minrow, nrows, gen FROM %Q.'%q_chunk'"
                           " WHERE maxrow >= ?1 ORDER BY maxrow LIMIT 1",
                           db, t);
  case SQ_CHUNK_BEFORE:
    return sqlite3_mprintf("SELECT maxrow, minrow, nrows, gen FROM %Q.'%q_chunk'"
                           " WHERE maxrow < ?1 ORDER BY maxrow DESC LIMIT 1",
                           db, t);
  case SQ_CHUNK_LAST:
    return sqlite3_mprintf("SELECT maxrow, minrow, nrows, gen FROM %Q.'%q_chunk'"
                           " ORDER BY maxrow DESC LIMIT 1",
                           db, t);
  case SQ_CHUNK_INSERT:
    return sqlite3_mprintf("INSERT INTO %Q.'%q_chunk'(maxrow, minrow, nrows, gen)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           db, t);
  case SQ_CHUNK_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_chunk' WHERE maxrow = ?1", db, t);
  case SQ_DATA_BODY:
    return sqlite3_mprintf("SELECT body FROM %Q.'%q_data' WHERE key = ?1", db, t);
  case SQ_DATA_STAT:
    return sqlite3_mprintf("SELECT nnull, minv, maxv FROM %Q.'%q_data' WHERE key = ?1", db, t);
  case SQ_DATA_INSERT:
    return sqlite3_mprintf("INSERT INTO %Q.'%q_data'(key, nnull, minv, maxv, codec, raw, body)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           db, t);
  case SQ_DATA_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_data' WHERE key >= ?1 AND key < ?2", db, t);
  case SQ_TAIL_PUT: {
    sqlite3_str *s = sqlite3_str_new(p->db);
    sqlite3_str_appendf(s, "INSERT OR REPLACE INTO %Q.'%q_tail' VALUES (?1, ?2", db, t);
    for (int i = 0; i < p->decl.ncol; i++)
      sqlite3_str_appendf(s, ", ?%d", i + 3);
    sqlite3_str_appendall(s, ")");
    return sqlite3_str_finish(s);
  }
  case SQ_TAIL_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_tail' WHERE id = ?1", db, t);
  case SQ_TAIL_DELETE_RANGE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2", db, t);
  case SQ_TAIL_GET:
    return sqlite3_mprintf("SELECT dead FROM %Q.'%q_tail' WHERE id = ?1", db, t);
  case SQ_TAIL_RANGE:
    return sqlite3_mprintf("SELECT * FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2 ORDER BY id", db,
                           t);
  case SQ_TAIL_COUNT:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail' WHERE id >= ?1", db, t);
  case SQ_TAIL_COUNT_RANGE:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2", db, t);
  case SQ_TAIL_MAX:
    return sqlite3_mprintf("SELECT max(id) FROM %Q.'%q_tail'", db, t);
  case SQ_TAIL_DESC:
    return sqlite3_mprintf("SELECT id, dead FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2"
                           " ORDER BY id DESC",
                           db, t);
  case SQ_PATCH_IDS:
    return sqlite3_mprintf("SELECT id FROM %Q.'%q_tail' WHERE id <= ?1 ORDER BY id", db, t);
  case SQ_CONFIG_GET:
    return sqlite3_mprintf("SELECT v FROM %Q.'%q_config' WHERE k = ?1", db, t);
  case SQ_CONFIG_SET:
    return sqlite3_mprintf("INSERT OR REPLACE INTO %Q.'%q_config'(k, v) VALUES (?1, ?2)", db, t);
  }
  return NULL;
}

sqlite3_stmt *sq_stmt(sq_vtab *p, int id) {
  if (p->stmt[id]) return p->stmt[id];
  char *sql = stmt_sql(p, id);
  if (!sql) {
    sq_error(p, SQLITE_NOMEM, "out of memory");
    return NULL;
  }
  int rc = sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p->stmt[id], NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    sq_error(p, rc, "%s", sqlite3_errmsg(p->db));
    p->stmt[id] = NULL;
  }
  return p->stmt[id];
}

void sq_stmt_finalize_all(sq_vtab *p) {
  for (int i = 0; i < SQ_STMT_COUNT; i++) {
    sqlite3_finalize(p->stmt[i]);
    p->stmt[i] = NULL;
  }
}

/* Steps s once and resets it; SQLITE_OK for DONE. */
static int step_done(sq_vtab *p, sqlite3_stmt *s) {
  int rc = sqlite3_step(s);
  int rc2 = sqlite3_reset(s);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return SQLITE_OK;
  return sq_error(p, rc2 ? rc2 : rc, "%s", sqlite3_errmsg(p->db));
}

/* The error of a statement that failed while stepping; resets it. */
static int step_error(sq_vtab *p, sqlite3_stmt *s, int rc) {
  int rc2 = sqlite3_reset(s);
  return sq_error(p, rc2 ? rc2 : rc, "%s", sqlite3_errmsg(p->db));
}

/* ---- Values ------------------------------------------------------------- */

int sq_bind_value(sqlite3_stmt *s, int i, const sqz_value *v, size_t cap, int *cut) {
  size_t n = v->n;
  if (cut) *cut = 0;
  if (cap && n > cap) {
    n = cap;
    if (cut) *cut = 1;
  }
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

int sq_column_append_value(sqz_column *c, sqlite3_value *v, size_t *bytes) {
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
  return r ? (sqz_error_of(r) == SQZ_ERROR_MEMORY ? SQLITE_NOMEM : SQLITE_TOOBIG) : SQLITE_OK;
}

/* ---- Row sets ------------------------------------------------------------ */

void sq_rows_init(sq_rows *r, int ncol, const sqz_allocator *a) {
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

void sq_rows_free(sq_rows *r) {
  sqz_column_free(&r->id);
  sqz_column_free(&r->dead);
  for (int i = 0; i < r->ncol; i++)
    sqz_column_free(&r->col[i]);
  sqlite3_free(r->col);
  r->col = NULL;
  r->ncol = 0;
}

void sq_rows_clear(sq_rows *r) {
  sqz_column_clear(&r->id);
  sqz_column_clear(&r->dead);
  for (int i = 0; i < r->ncol; i++)
    sqz_column_clear(&r->col[i]);
  r->bytes = 0;
}

static int status_rc(size_t r) {
  if (!r) return SQLITE_OK;
  return sqz_error_of(r) == SQZ_ERROR_MEMORY ? SQLITE_NOMEM : SQLITE_TOOBIG;
}

int sq_rows_append_row(sq_rows *r, const sq_rows *src, uint32_t i) {
  int rc = status_rc(sqz_column_append_row(&r->id, &src->id, i));
  if (rc == SQLITE_OK && src->dead.count > i)
    rc = status_rc(sqz_column_append_row(&r->dead, &src->dead, i));
  for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++) {
    rc = status_rc(sqz_column_append_row(&r->col[k], &src->col[k], i));
    if (src->col[k].type[i] >= SQZ_CLASS_TEXT) r->bytes += src->col[k].len[i];
  }
  return rc;
}

int sq_rows_append_values(sq_rows *r, int64_t rowid, sqlite3_value **vals) {
  int rc = status_rc(sqz_column_append(&r->id, SQZ_CLASS_INT, (uint64_t)rowid, NULL, 0));
  for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++)
    rc = sq_column_append_value(&r->col[k], vals[k], &r->bytes);
  return rc;
}

/* Removes the first k rows of r (rebuilding it). */
static int rows_drop_front(sq_vtab *p, sq_rows *r, uint32_t k) {
  if (k == 0) return SQLITE_OK;
  if (k >= r->id.count) {
    sq_rows_clear(r);
    return SQLITE_OK;
  }
  sq_rows keep;
  sq_rows_init(&keep, r->ncol, &p->alloc);
  if (!keep.col && r->ncol) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  for (uint32_t i = k; i < r->id.count && rc == SQLITE_OK; i++)
    rc = sq_rows_append_row(&keep, r, i);
  if (rc != SQLITE_OK) {
    sq_rows_free(&keep);
    return rc;
  }
  sq_rows_free(r);
  *r = keep;
  return SQLITE_OK;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- Write state ------------------------------------------------------- */

/* The first rowid of the true tail: lcm + 1, or INT64_MIN without chunks.
** (Callers handle lcm == INT64_MAX, where the true tail is empty.) */
static int64_t sq_tail_from(const sq_vtab *p) {
  return p->have_chunks ? (p->lcm < INT64_MAX ? p->lcm + 1 : INT64_MAX) : INT64_MIN;
}

int sq_chunkref_read(sq_vtab *p, sqlite3_stmt *s, sq_chunkref *c) {
  c->maxrow = sqlite3_column_int64(s, 0);
  c->minrow = sqlite3_column_int64(s, 1);
  sqlite3_int64 n = sqlite3_column_int64(s, 2);
  c->gen = sqlite3_column_int64(s, 3);
  if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
      sqlite3_column_type(s, 2) != SQLITE_INTEGER || sqlite3_column_type(s, 3) != SQLITE_INTEGER ||
      c->minrow > c->maxrow || n < 1 || n > SQZ_CHUNK_ROWS_MAX ||
      (uint64_t)c->maxrow - (uint64_t)c->minrow < (uint64_t)(n - 1) || c->gen < 1 ||
      c->gen >= ((int64_t)1 << (63 - SQ_SLOT_BITS))) {
    return sq_error(p, SQLITE_CORRUPT_VTAB,
                    "table %s: directory row of the chunk ending at rowid %lld is corrupt",
                    p->zName, (long long)c->maxrow);
  }
  c->nrows = (uint32_t)n;
  return SQLITE_OK;
}

/* Reads the single chunk row stmt id yields (bound to arg when has_arg);
** *found = 0 when there is none. */
static int chunk_query(sq_vtab *p, int id, int has_arg, int64_t arg, sq_chunkref *c, int *found) {
  sqlite3_stmt *s = sq_stmt(p, id);
  if (!s) return p->base.zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
  if (has_arg) sqlite3_bind_int64(s, 1, arg);
  int rc = sqlite3_step(s);
  *found = 0;
  if (rc == SQLITE_ROW) {
    *found = 1;
    rc = sq_chunkref_read(p, s, c);
    sqlite3_reset(s);
    return rc;
  }
  if (rc != SQLITE_DONE) return step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

/* Reads one integer of a one-row query (NULL or no row: *found = 0). */
static int int_query(sq_vtab *p, int id, int64_t arg, const char *text_arg, int64_t *out,
                     int *found) {
  sqlite3_stmt *s = sq_stmt(p, id);
  if (!s) return SQLITE_ERROR;
  if (text_arg) {
    sqlite3_bind_text(s, 1, text_arg, -1, SQLITE_STATIC);
  } else {
    sqlite3_bind_int64(s, 1, arg);
  }
  int rc = sqlite3_step(s);
  *found = 0;
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
      *found = sqlite3_column_type(s, 0) == SQLITE_INTEGER ? 1 : -1;
      *out = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    return SQLITE_OK;
  }
  if (rc != SQLITE_DONE) return step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

int sq_chunk_current(sq_vtab *p, const sq_chunkref *c, int *yes) {
  sq_chunkref now;
  int found, rc = chunk_query(p, SQ_CHUNK_OWNER, 1, c->maxrow, &now, &found);
  *yes = rc == SQLITE_OK && found && now.maxrow == c->maxrow && now.gen == c->gen;
  return rc;
}

int sq_load(sq_vtab *p) {
  if (p->loaded) return SQLITE_OK;
  sq_chunkref last;
  int found, rc = chunk_query(p, SQ_CHUNK_LAST, 0, 0, &last, &found);
  if (rc != SQLITE_OK) return rc;
  p->have_chunks = found;
  p->lcm = found ? last.maxrow : INT64_MIN;
  int64_t v = 0;
  found = 0;
  if (!p->have_chunks || p->lcm < INT64_MAX)
    rc = int_query(p, SQ_TAIL_COUNT, sq_tail_from(p), NULL, &v, &found);
  if (rc != SQLITE_OK) return rc;
  p->tail_count = found ? v : 0;
  rc = int_query(p, SQ_CONFIG_GET, 0, "generation", &v, &found);
  if (rc != SQLITE_OK) return rc;
  if (found != 1 || v < 0)
    return sq_error(p, SQLITE_CORRUPT_VTAB, "table %s: the generation in %s_config is missing",
                    p->zName, p->zName);
  p->last_gen = v;
  p->gen_dirty = 0;
  p->max_known = 0;
  p->loaded = 1;
  return SQLITE_OK;
}

void sq_reset(sq_vtab *p, int rollback) {
  p->loaded = 0;
  p->epoch++;
  p->max_known = 0;
  /* a committed generation's chunk never changes (generations only grow), so
  ** the decoded chunk stays valid across transactions unless rolled back */
  if (rollback) p->cache_gen = 0;
  sq_rows_clear(&p->buf);
}

int sq_save_generation(sq_vtab *p) {
  if (!p->gen_dirty) return SQLITE_OK;
  sqlite3_stmt *s = sq_stmt(p, SQ_CONFIG_SET);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_text(s, 1, "generation", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, p->last_gen);
  int rc = step_done(p, s);
  if (rc == SQLITE_OK) p->gen_dirty = 0;
  return rc;
}

/* ---- Chunks ------------------------------------------------------------- */

/* The codec error r as an SQLite code with p's message. */
static int codec_error(sq_vtab *p, size_t r, const char *what) {
  switch (sqz_error_of(r)) {
  case SQZ_ERROR_MEMORY:
    return SQLITE_NOMEM;
  case SQZ_ERROR_TOO_LARGE:
    return sq_error(p, SQLITE_TOOBIG, "table %s: %s: larger than the length limit", p->zName, what);
  default:
    return sq_error(p, SQLITE_ERROR, "table %s: %s: %s", p->zName, what, sqz_error_string(r));
  }
}

int sq_stats_unknown(const sq_vtab *p, int slot, const sqz_column *col, uint32_t start,
                     uint32_t n) {
  if (slot == 0) return 0;
  sqz_class cls = p->decl.col[slot - 1].cls;
  for (uint32_t i = start; i < start + n; i++) {
    uint8_t t = col->type[i];
    if ((cls == SQZ_CLASS_INT || cls == SQZ_CLASS_REAL) && t == SQZ_CLASS_TEXT) return 1;
    if (cls == SQZ_CLASS_TEXT && (t == SQZ_CLASS_INT || t == SQZ_CLASS_REAL)) return 1;
  }
  return 0;
}

/* Encodes slot (0 rowids, k column k-1) of rows [start, start+n) and writes
** its data row. */
static int write_slot(sq_vtab *p, int64_t gen, int slot, const sqz_column *col, uint32_t start,
                      uint32_t n) {
  sqz_chunk_opts o = {SQZ_CLASS_INT, NULL, 0, (uint64_t)sq_key(gen, slot)};
  if (slot > 0) {
    const sq_column *c = &p->decl.col[slot - 1];
    o.primary = c->cls;
    o.codec = c->codec;
    o.level = c->level;
  }
  sqz_chunk_stats st;
  size_t r = sqz_chunk_encode(p->mod->conn->ctx, &p->enc, col, start, n, &o, &st);
  if (r) return codec_error(p, r, slot ? p->decl.col[slot - 1].name : "rowid");
  if (p->enc.n > (size_t)sqz_length_limit(p->db))
    return sq_error(p, SQLITE_TOOBIG,
                    "table %s: a chunk of column %s is larger than the length "
                    "limit; use a smaller chunk_rows",
                    p->zName, slot ? p->decl.col[slot - 1].name : "rowid");
  sqlite3_stmt *s = sq_stmt(p, SQ_DATA_INSERT);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, sq_key(gen, slot));
  sqlite3_bind_int64(s, 2, st.nulls);
  int rc = SQLITE_OK;
  if (st.min_row >= 0 && !sq_stats_unknown(p, slot, col, start, n)) {
    sqz_value lo = sqz_column_value(col, start + (uint32_t)st.min_row);
    sqz_value hi = sqz_column_value(col, start + (uint32_t)st.max_row);
    int cut;
    rc = sq_bind_value(s, 3, &lo, SQ_STAT_BYTES, &cut);
    if (rc == SQLITE_OK) rc = sq_bind_value(s, 4, &hi, SQ_STAT_BYTES, &cut);
    if (rc == SQLITE_OK && cut) rc = sqlite3_bind_null(s, 4); /* an unknown upper bound */
  } else {
    sqlite3_bind_null(s, 3);
    sqlite3_bind_null(s, 4);
  }
  sqlite3_bind_int(s, 5, st.codec_id);
  sqlite3_bind_int64(s, 6, (sqlite3_int64)st.raw_bytes);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(s, 7, p->enc.p, p->enc.n, SQLITE_STATIC);
  if (rc != SQLITE_OK) {
    sqlite3_reset(s);
    return rc;
  }
  rc = step_done(p, s);
  sqlite3_bind_null(s, 7);
  return rc;
}

int sq_write_chunk(sq_vtab *p, const sq_rows *rows, uint32_t start, uint32_t n) {
  int64_t gen = ++p->last_gen;
  p->epoch++;
  p->gen_dirty = 1;
  int rc = write_slot(p, gen, 0, &rows->id, start, n);
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++)
    rc = write_slot(p, gen, k + 1, &rows->col[k], start, n);
  if (rc != SQLITE_OK) return rc;
  int64_t lo = (int64_t)rows->id.v[start], hi = (int64_t)rows->id.v[start + n - 1];
  sqlite3_stmt *s = sq_stmt(p, SQ_CHUNK_INSERT);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, hi);
  sqlite3_bind_int64(s, 2, lo);
  sqlite3_bind_int64(s, 3, n);
  sqlite3_bind_int64(s, 4, gen);
  rc = step_done(p, s);
  if (rc == SQLITE_OK && (!p->have_chunks || hi > p->lcm)) {
    p->have_chunks = 1;
    p->lcm = hi;
  }
  return rc;
}

/* Deletes chunk c: its directory row and data rows. */
static int delete_chunk(sq_vtab *p, const sq_chunkref *c) {
  p->epoch++;
  sqlite3_stmt *s = sq_stmt(p, SQ_CHUNK_DELETE);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, c->maxrow);
  int rc = step_done(p, s);
  if (rc != SQLITE_OK) return rc;
  s = sq_stmt(p, SQ_DATA_DELETE);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, sq_key(c->gen, 0));
  sqlite3_bind_int64(s, 2, sq_key(c->gen + 1, 0));
  if (p->cache_gen == c->gen) p->cache_gen = 0;
  return step_done(p, s);
}

int sq_decode_slot(sq_vtab *p, const sq_chunkref *c, int slot, sqz_column *out) {
  sqlite3_stmt *s = sq_stmt(p, SQ_DATA_BODY);
  if (!s) return SQLITE_ERROR;
  const char *what = slot ? p->decl.col[slot - 1].name : "rowid";
  sqlite3_bind_int64(s, 1, sq_key(c->gen, slot));
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) return step_error(p, s, rc);
    sqlite3_reset(s);
    return sq_error(p, SQLITE_CORRUPT_VTAB,
                    "table %s: chunk of rows %lld..%lld, column %s: data row missing", p->zName,
                    (long long)c->minrow, (long long)c->maxrow, what);
  }
  const void *body = sqlite3_column_blob(s, 0);
  int n = sqlite3_column_bytes(s, 0);
  if (!body && sqlite3_errcode(p->db) == SQLITE_NOMEM) {
    sqlite3_reset(s);
    return SQLITE_NOMEM;
  }
  size_t r = sqz_chunk_decode(p->mod->conn->ctx, out, body, (size_t)n, c->nrows,
                              (uint64_t)sq_key(c->gen, slot), (size_t)sqz_length_limit(p->db));
  sqlite3_reset(s);
  if (!r) return SQLITE_OK;
  if (sqz_error_of(r) == SQZ_ERROR_MEMORY) return SQLITE_NOMEM;
  return sq_error(p, sqz_error_of(r) == SQZ_ERROR_TOO_LARGE ? SQLITE_TOOBIG : SQLITE_CORRUPT_VTAB,
                  "table %s: chunk of rows %lld..%lld, column %s: %s", p->zName,
                  (long long)c->minrow, (long long)c->maxrow, what, sqz_error_string(r));
}

int sq_chunk_rowids(sq_vtab *p, const sq_chunkref *c, sqz_column *out) {
  uint32_t n = c->nrows;
  if ((uint64_t)c->maxrow - (uint64_t)c->minrow == n - 1) {
    /* rowids without gaps, the usual case: minrow + i, nothing to decode */
    sqz_column_clear(out);
    if (sqz_column_reserve(out, n, 0)) return SQLITE_NOMEM;
    memset(out->type, SQZ_CLASS_INT, n);
    for (uint32_t i = 0; i < n; i++)
      out->v[i] = (uint64_t)c->minrow + i;
    out->count = n;
    return SQLITE_OK;
  }
  int rc = sq_decode_slot(p, c, 0, out);
  if (rc != SQLITE_OK) return rc;
  for (uint32_t i = 0; i < out->count; i++) {
    if (out->type[i] != SQZ_CLASS_INT || (i && (int64_t)out->v[i] <= (int64_t)out->v[i - 1])) {
      rc = 1;
      break;
    }
  }
  if (rc || (int64_t)out->v[0] != c->minrow || (int64_t)out->v[out->count - 1] != c->maxrow) {
    sqz_column_clear(out);
    return sq_error(p, SQLITE_CORRUPT_VTAB,
                    "table %s: chunk of rows %lld..%lld: its rowids do not match the directory",
                    p->zName, (long long)c->minrow, (long long)c->maxrow);
  }
  return SQLITE_OK;
}

/* Decodes every slot of c into r (cleared first). */
static int decode_chunk(sq_vtab *p, const sq_chunkref *c, sq_rows *r) {
  sq_rows_clear(r);
  int rc = sq_chunk_rowids(p, c, &r->id);
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++) {
    rc = sq_decode_slot(p, c, k + 1, &r->col[k]);
    for (uint32_t i = 0; rc == SQLITE_OK && i < r->col[k].count; i++)
      if (r->col[k].type[i] >= SQZ_CLASS_TEXT) r->bytes += r->col[k].len[i];
  }
  return rc;
}

/* ---- The tail ----------------------------------------------------------- */

int sq_read_tail(sq_vtab *p, int64_t lo, int64_t hi, sq_rows *r) {
  sqlite3_stmt *s = sq_stmt(p, SQ_TAIL_RANGE);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t dead = sqlite3_column_int64(s, 1);
    if (sqlite3_column_type(s, 1) != SQLITE_INTEGER || (dead != 0 && dead != 1)) {
      sqlite3_reset(s);
      return sq_error(p, SQLITE_CORRUPT_VTAB, "table %s: tail row %lld is corrupt", p->zName,
                      (long long)sqlite3_column_int64(s, 0));
    }
    rc = status_rc(
        sqz_column_append(&r->id, SQZ_CLASS_INT, (uint64_t)sqlite3_column_int64(s, 0), NULL, 0));
    if (rc == SQLITE_OK)
      rc = status_rc(sqz_column_append(&r->dead, SQZ_CLASS_INT, (uint64_t)dead, NULL, 0));
    for (int k = 0; k < r->ncol && rc == SQLITE_OK; k++)
      rc = sq_column_append_value(&r->col[k], sqlite3_column_value(s, k + 2), &r->bytes);
    if (rc != SQLITE_OK) {
      sqlite3_reset(s);
      return rc;
    }
  }
  if (rc != SQLITE_DONE) return step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

int sq_put_tail(sq_vtab *p, int64_t id, int dead, sqlite3_value **vals, const sq_rows *rows,
                uint32_t i) {
  p->epoch++;
  sqlite3_stmt *s = sq_stmt(p, SQ_TAIL_PUT);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 2, dead);
  int rc = SQLITE_OK;
  for (int k = 0; k < p->decl.ncol && rc == SQLITE_OK; k++) {
    if (dead) {
      rc = sqlite3_bind_null(s, k + 3);
    } else if (vals) {
      rc = sqlite3_bind_value(s, k + 3, vals[k]);
    } else {
      sqz_value v = sqz_column_value(&rows->col[k], i);
      rc = sq_bind_value(s, k + 3, &v, 0, NULL);
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_clear_bindings(s);
    sqlite3_reset(s);
    return rc;
  }
  rc = step_done(p, s);
  sqlite3_clear_bindings(s);
  return rc;
}

/* Deletes the tail rows with ids in [lo, hi]. */
static int delete_tail_range(sq_vtab *p, int64_t lo, int64_t hi) {
  p->epoch++;
  sqlite3_stmt *s = sq_stmt(p, SQ_TAIL_DELETE_RANGE);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  return step_done(p, s);
}

/* Rows of r from start, at most max, whose TEXT/BLOB bytes stay within
** SQ_CHUNK_BYTES (at least one row). */
static uint32_t rows_fitting(const sq_rows *r, uint32_t start, uint32_t max) {
  if (r->bytes < SQ_CHUNK_BYTES) return max;
  size_t bytes = 0;
  uint32_t k = 0;
  while (k < max) {
    size_t row = 0;
    for (int c = 0; c < r->ncol; c++)
      if (r->col[c].type[start + k] >= SQZ_CLASS_TEXT) row += r->col[c].len[start + k];
    if (k > 0 && bytes + row > SQ_CHUNK_BYTES) break;
    bytes += row;
    k++;
  }
  return k;
}

/* Writes whole chunks from the front of rows; returns the rows written in
** *done. A last partial chunk stays unless rows are cut by bytes. */
static int write_chunks(sq_vtab *p, const sq_rows *rows, uint32_t *done) {
  uint32_t pos = 0, total = rows->id.count, chunk = p->decl.chunk_rows;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && pos < total) {
    uint32_t remaining = total - pos;
    uint32_t k = rows_fitting(rows, pos, remaining < chunk ? remaining : chunk);
    if (k == remaining && remaining < chunk) break;
    rc = sq_write_chunk(p, rows, pos, k);
    pos += k;
  }
  *done = pos;
  return rc;
}

int sq_flush(sq_vtab *p, int full) {
  if (p->buf.id.count == 0 || p->busy) return SQLITE_OK;
  int rc = sq_load(p);
  if (rc != SQLITE_OK) return rc;
  p->busy = 1;
  uint32_t nbuf = p->buf.id.count;
  if ((uint64_t)p->tail_count + nbuf >= p->decl.chunk_rows || p->buf.bytes >= SQ_CHUNK_BYTES) {
    uint32_t done = 0;
    int64_t old_lcm = p->lcm;
    int had_chunks = p->have_chunks;
    if (p->tail_count == 0) {
      rc = write_chunks(p, &p->buf, &done);
      if (rc == SQLITE_OK) rc = rows_drop_front(p, &p->buf, done);
    } else {
      /* the tail rows first, then the buffer, in one staging set */
      sq_rows stage;
      sq_rows_init(&stage, p->decl.ncol, &p->alloc);
      rc = stage.col || !p->decl.ncol ? SQLITE_OK : SQLITE_NOMEM;
      if (rc == SQLITE_OK) rc = sq_read_tail(p, sq_tail_from(p), INT64_MAX, &stage);
      uint32_t from_tail = stage.id.count;
      for (uint32_t i = 0; i < from_tail && rc == SQLITE_OK; i++)
        if (stage.dead.v[i])
          rc = sq_error(p, SQLITE_CORRUPT_VTAB,
                        "table %s: tombstone %lld past "
                        "the last chunk",
                        p->zName, (long long)stage.id.v[i]);
      for (uint32_t i = 0; i < nbuf && rc == SQLITE_OK; i++)
        rc = sq_rows_append_row(&stage, &p->buf, i);
      if (rc == SQLITE_OK) rc = write_chunks(p, &stage, &done);
      if (rc == SQLITE_OK && done > 0) {
        int64_t upto = (int64_t)stage.id.v[done - 1];
        rc = delete_tail_range(p, had_chunks ? old_lcm + 1 : INT64_MIN, upto);
        (void)old_lcm;
        p->tail_count -= done < from_tail ? done : from_tail;
        if (rc == SQLITE_OK)
          rc = rows_drop_front(p, &p->buf, done > from_tail ? done - from_tail : 0);
      }
      sq_rows_free(&stage);
    }
  }
  if (rc == SQLITE_OK && full) {
    for (uint32_t i = 0; i < p->buf.id.count && rc == SQLITE_OK; i++)
      rc = sq_put_tail(p, (int64_t)p->buf.id.v[i], 0, NULL, &p->buf, i);
    if (rc == SQLITE_OK) {
      p->tail_count += p->buf.id.count;
      sq_rows_clear(&p->buf);
    }
  }
  if (rc == SQLITE_OK) rc = sq_save_generation(p);
  p->busy = 0;
  return rc;
}

/* ---- Rowid questions -------------------------------------------------- */

uint32_t sq_lower_bound(const sqz_column *c, uint32_t lo, uint32_t hi, int64_t r) {
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if ((int64_t)c->v[mid] < r)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Decodes chunk c into p->cache: its rowids, and with full every column. */
static int cache_chunk(sq_vtab *p, const sq_chunkref *c, int full) {
  if (p->cache_gen == c->gen && (p->cache_full || !full)) return SQLITE_OK;
  p->cache_gen = 0;
  int rc = full ? decode_chunk(p, c, &p->cache) : sq_chunk_rowids(p, c, &p->cache.id);
  if (rc != SQLITE_OK) return rc;
  p->cache_gen = c->gen;
  p->cache_full = full;
  return SQLITE_OK;
}

int sq_exists(sq_vtab *p, int64_t r, int *exists) {
  *exists = 0;
  int rc = sq_load(p);
  if (rc != SQLITE_OK) return rc;
  uint32_t nbuf = p->buf.id.count;
  if (nbuf && r >= (int64_t)p->buf.id.v[0]) {
    uint32_t i = sq_lower_bound(&p->buf.id, 0, nbuf, r);
    *exists = i < nbuf && (int64_t)p->buf.id.v[i] == r;
    return SQLITE_OK;
  }
  int64_t dead;
  int found;
  rc = int_query(p, SQ_TAIL_GET, r, NULL, &dead, &found);
  if (rc != SQLITE_OK) return rc;
  if (found < 0 || (found && dead != 0 && dead != 1))
    return sq_error(p, SQLITE_CORRUPT_VTAB, "table %s: tail row %lld is corrupt", p->zName,
                    (long long)r);
  if (found) {
    *exists = dead == 0;
    return SQLITE_OK;
  }
  if (!p->have_chunks || r > p->lcm) return SQLITE_OK;
  sq_chunkref c;
  rc = chunk_query(p, SQ_CHUNK_OWNER, 1, r, &c, &found);
  if (rc != SQLITE_OK || !found || r < c.minrow) return rc;
  rc = cache_chunk(p, &c, 0);
  if (rc != SQLITE_OK) return rc;
  uint32_t i = sq_lower_bound(&p->cache.id, 0, p->cache.id.count, r);
  *exists = i < p->cache.id.count && (int64_t)p->cache.id.v[i] == r;
  return SQLITE_OK;
}

int sq_fetch_row(sq_vtab *p, int64_t r, sq_rows *out) {
  uint32_t before = out->id.count;
  int rc = sq_read_tail(p, r, r, out);
  if (rc != SQLITE_OK) return rc;
  if (out->id.count > before) {
    if (out->dead.v[out->dead.count - 1] == 0) return SQLITE_OK;
    return sq_error(p, SQLITE_CORRUPT_VTAB, "table %s: row %lld is deleted", p->zName,
                    (long long)r);
  }
  sq_chunkref c;
  int found = 0;
  if (p->have_chunks && r <= p->lcm) rc = chunk_query(p, SQ_CHUNK_OWNER, 1, r, &c, &found);
  if (rc == SQLITE_OK && found) rc = cache_chunk(p, &c, 1);
  if (rc != SQLITE_OK) return rc;
  uint32_t i = found ? sq_lower_bound(&p->cache.id, 0, p->cache.id.count, r) : 0;
  if (!found || i >= p->cache.id.count || (int64_t)p->cache.id.v[i] != r)
    return sq_error(p, SQLITE_CORRUPT_VTAB, "table %s: row %lld is missing", p->zName,
                    (long long)r);
  return sq_rows_append_row(out, &p->cache, i);
}

/* The largest live rowid among chunk c's rows and the tail rows in
** (prev, c.maxrow]; *found = 0 when every one is deleted. */
static int chunk_max_live(sq_vtab *p, const sq_chunkref *c, int64_t lo, int64_t *out, int *found) {
  sqz_column ids;
  sqz_column_init(&ids, &p->alloc);
  int rc = sq_chunk_rowids(p, c, &ids);
  sqlite3_stmt *s = rc == SQLITE_OK ? sq_stmt(p, SQ_TAIL_DESC) : NULL;
  if (rc == SQLITE_OK && !s) rc = SQLITE_ERROR;
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
      rc = step_error(p, s, step);
    else
      sqlite3_reset(s);
  }
  sqz_column_free(&ids);
  return rc;
}

int sq_max_rowid(sq_vtab *p) {
  int rc = sq_load(p);
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
  rc = int_query(p, SQ_TAIL_MAX, 0, NULL, &t, &found);
  if (rc != SQLITE_OK) return rc;
  if (found && (!p->have_chunks || t > p->lcm)) {
    p->max_rowid = t;
    p->max_known = 1;
    return SQLITE_OK;
  }
  /* walk the chunks from the last one down */
  int have = p->have_chunks;
  sq_chunkref c;
  if (have) rc = chunk_query(p, SQ_CHUNK_LAST, 0, 0, &c, &have);
  while (rc == SQLITE_OK && have) {
    sq_chunkref prev;
    int has_prev;
    rc = chunk_query(p, SQ_CHUNK_BEFORE, 1, c.maxrow, &prev, &has_prev);
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

/* ---- Compaction ------------------------------------------------------- */

/* Loads every directory row, ascending. *out is sqlite3_malloc'd. */
static int load_directory(sq_vtab *p, sq_chunkref **out, int *count) {
  sqlite3_stmt *s = sq_stmt(p, SQ_CHUNK_FROM);
  *out = NULL;
  *count = 0;
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, INT64_MIN);
  int rc, cap = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (*count == cap) {
      cap = cap ? cap * 2 : 64;
      sq_chunkref *q = sqlite3_realloc64(*out, sizeof(sq_chunkref) * (size_t)cap);
      if (!q) {
        sqlite3_reset(s);
        return SQLITE_NOMEM;
      }
      *out = q;
    }
    rc = sq_chunkref_read(p, s, &(*out)[*count]);
    if (rc != SQLITE_OK) {
      sqlite3_reset(s);
      return rc;
    }
    (*count)++;
  }
  if (rc != SQLITE_DONE) return step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

/* Writes rows as chunks of chunk_rows rows (fewer where the byte cut says),
** the last one partial. */
static int write_pieces(sq_vtab *p, const sq_rows *rows, int *written) {
  uint32_t total = rows->id.count, pos = 0;
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK && pos < total) {
    uint32_t n = total - pos < p->decl.chunk_rows ? total - pos : p->decl.chunk_rows;
    n = rows_fitting(rows, pos, n);
    rc = sq_write_chunk(p, rows, pos, n);
    pos += n;
    if (written) (*written)++;
  }
  return rc;
}

/* Rewrites the consecutive chunks c[0..n) (n may be 0) together with the
** tail rows in [lo, hi] (patches of those chunks, and with hi past the last
** chunk also tail rows after it): decode, merge, delete, write again. */
static int rewrite_chunks(sq_vtab *p, const sq_chunkref *c, int n, int64_t lo, int64_t hi,
                          int *written) {
  sq_rows merged, part, patch;
  sq_rows_init(&merged, p->decl.ncol, &p->alloc);
  sq_rows_init(&part, p->decl.ncol, &p->alloc);
  sq_rows_init(&patch, p->decl.ncol, &p->alloc);
  int rc = (merged.col && part.col && patch.col) || !p->decl.ncol ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = sq_read_tail(p, lo, hi, &patch);
  uint32_t j = 0;
  for (int k = 0; k < n && rc == SQLITE_OK; k++) {
    rc = decode_chunk(p, &c[k], &part);
    uint32_t i = 0;
    while (rc == SQLITE_OK && i < part.id.count) {
      int64_t a = (int64_t)part.id.v[i];
      if (j >= patch.id.count || a < (int64_t)patch.id.v[j]) {
        rc = sq_rows_append_row(&merged, &part, i++);
        continue;
      }
      if (a == (int64_t)patch.id.v[j]) i++; /* replaced or deleted */
      if (patch.dead.v[j] == 0) rc = sq_rows_append_row(&merged, &patch, j);
      j++;
    }
    /* patches between this chunk's last row and its maxrow... and past it,
    ** up to the next chunk's first row */
    int64_t limit = k + 1 < n ? c[k + 1].minrow : INT64_MAX;
    while (rc == SQLITE_OK && j < patch.id.count && (int64_t)patch.id.v[j] < limit) {
      if (patch.dead.v[j] == 0) rc = sq_rows_append_row(&merged, &patch, j);
      j++;
    }
  }
  while (rc == SQLITE_OK && j < patch.id.count) {
    if (patch.dead.v[j] == 0) rc = sq_rows_append_row(&merged, &patch, j);
    j++;
  }
  for (int k = 0; k < n && rc == SQLITE_OK; k++)
    rc = delete_chunk(p, &c[k]);
  if (rc == SQLITE_OK) rc = delete_tail_range(p, lo, hi);
  if (rc == SQLITE_OK) rc = write_pieces(p, &merged, written);
  sq_rows_free(&merged);
  sq_rows_free(&part);
  sq_rows_free(&patch);
  return rc;
}

/* Recomputes lcm from the directory (after chunks were rewritten). */
static int reload_lcm(sq_vtab *p) {
  sq_chunkref last;
  int found, rc = chunk_query(p, SQ_CHUNK_LAST, 0, 0, &last, &found);
  if (rc != SQLITE_OK) return rc;
  p->have_chunks = found;
  p->lcm = found ? last.maxrow : INT64_MIN;
  return SQLITE_OK;
}

int sq_note_patch(sq_vtab *p, int64_t r) {
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

void sq_forget_patches(sq_vtab *p) {
  p->npatch = 0;
  p->patch_overflow = 0;
}

/* The tail rows with ids in [lo, hi]. */
static int count_tail(sq_vtab *p, int64_t lo, int64_t hi, int64_t *n) {
  sqlite3_stmt *s = sq_stmt(p, SQ_TAIL_COUNT_RANGE);
  if (!s) return SQLITE_ERROR;
  sqlite3_bind_int64(s, 1, lo);
  sqlite3_bind_int64(s, 2, hi);
  int rc = sqlite3_step(s);
  *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  if (rc != SQLITE_ROW) return step_error(p, s, rc);
  sqlite3_reset(s);
  return SQLITE_OK;
}

/* Compaction at commit when the patched rowids are known: only their chunks
** are looked at. */
static int compact_noted(sq_vtab *p, int *written) {
  qsort(p->patches, p->npatch, sizeof(int64_t), cmp_i64);
  int rc = SQLITE_OK;
  size_t i = 0;
  while (rc == SQLITE_OK && i < p->npatch) {
    sq_chunkref owner, prev;
    int found, has_prev;
    rc = chunk_query(p, SQ_CHUNK_OWNER, 1, p->patches[i], &owner, &found);
    if (rc != SQLITE_OK || !found) break;
    rc = chunk_query(p, SQ_CHUNK_BEFORE, 1, owner.maxrow, &prev, &has_prev);
    int64_t lo = has_prev ? prev.maxrow + 1 : INT64_MIN, n = 0;
    if (rc == SQLITE_OK) rc = count_tail(p, lo, owner.maxrow, &n);
    if (rc == SQLITE_OK && n > 0 && (uint64_t)n >= (owner.nrows + 7) / 8)
      rc = rewrite_chunks(p, &owner, 1, lo, owner.maxrow, written);
    while (i < p->npatch && p->patches[i] <= owner.maxrow)
      i++;
  }
  return rc;
}

int sq_compact(sq_vtab *p, int all, int *written) {
  int rc = sq_flush(p, 1);
  if (rc == SQLITE_OK) rc = sq_load(p);
  if (rc != SQLITE_OK || !p->have_chunks) return rc;
  if (!all && !p->patch_overflow) {
    rc = compact_noted(p, written);
    if (rc == SQLITE_OK) rc = reload_lcm(p);
    if (rc == SQLITE_OK) rc = sq_save_generation(p);
    return rc;
  }
  sq_chunkref *dir = NULL;
  int n = 0;
  uint32_t *count = NULL;
  rc = load_directory(p, &dir, &n);
  if (rc == SQLITE_OK && n > 0) {
    count = sqlite3_malloc64(sizeof(uint32_t) * (size_t)n);
    if (!count)
      rc = SQLITE_NOMEM;
    else
      memset(count, 0, sizeof(uint32_t) * (size_t)n);
  }
  sqlite3_stmt *s = rc == SQLITE_OK && n > 0 ? sq_stmt(p, SQ_PATCH_IDS) : NULL;
  if (rc == SQLITE_OK && n > 0 && !s) rc = SQLITE_ERROR;
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
      rc = step_error(p, s, step);
    else
      sqlite3_reset(s);
  }
  /* from the last chunk down, so earlier directory rows stay valid */
  for (int k = n - 1; k >= 0 && rc == SQLITE_OK; k--) {
    uint32_t threshold = all ? 1 : (dir[k].nrows + 7) / 8;
    if (count[k] == 0 || count[k] < threshold) continue;
    rc = rewrite_chunks(p, &dir[k], 1, k > 0 ? dir[k - 1].maxrow + 1 : INT64_MIN, dir[k].maxrow,
                        written);
  }
  sqlite3_free(dir);
  sqlite3_free(count);
  if (rc == SQLITE_OK) rc = reload_lcm(p);
  if (rc == SQLITE_OK) rc = sq_save_generation(p);
  return rc;
}

int sq_optimize(sq_vtab *p, int *written) {
  *written = 0;
  int rc = sq_compact(p, 1, written);
  sq_chunkref *dir = NULL;
  int n = 0;
  int64_t tail = 0;
  int found;
  if (rc == SQLITE_OK) rc = load_directory(p, &dir, &n);
  if (rc == SQLITE_OK && (!p->have_chunks || p->lcm < INT64_MAX))
    rc = int_query(p, SQ_TAIL_COUNT, sq_tail_from(p), NULL, &tail, &found);
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
      rc = rewrite_chunks(p, &dir[start], end - start, lo, hi, written);
    }
    end = start - 1; /* skip the full chunk before the run */
  }
  sqlite3_free(dir);
  if (rc == SQLITE_OK) rc = reload_lcm(p);
  if (rc == SQLITE_OK) rc = sq_save_generation(p);
  p->loaded = 0; /* tail_count and lcm changed */
  p->cache_gen = 0;
  return rc;
}

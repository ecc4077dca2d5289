/*
** sqt_stmt.c: the statement table of the squeeze table. Every SQL statement
** the column store runs against its shadow tables is written here, and
** nowhere else: creating, checking, dropping and renaming the shadow tables,
** and the prepared statements that read and write them.
**
**   SELECT count(*) FROM readings_chunk;      -- t_chunk: one row per chunk
**   SELECT key >> 16 AS gen, key & 65535 AS slot, codec, raw, length(body)
**     FROM readings_data;                     -- t_data: one row per column chunk
**   SELECT * FROM readings_tail;              -- t_tail: rows not in a chunk
**   SELECT * FROM readings_config;            -- t_config: format, generation
**
** Prepared statements are made on first use with SQLITE_PREPARE_PERSISTENT
** and kept until the table disconnects. The helpers follow fts5's sticky
** error code: sqt_stmt() takes a pointer to the caller's rc, does nothing once
** it is set, and sets it itself when a statement cannot be prepared, with
** the real code (SQLITE_NOMEM for an allocation failure, never a stand-in
** SQLITE_ERROR), so that SQLite rolls back as the code asks.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

static const char *const shadow_suffix[] = {"config", "chunk", "data", "tail"};
#define SHADOW_COUNT (sizeof(shadow_suffix) / sizeof(shadow_suffix[0]))

/* ---- Shadow tables ------------------------------------------------------- */

int sqt_shadow_name(const char *zSuffix) {
  for (size_t i = 0; i < SHADOW_COUNT; i++)
    if (sqlite3_stricmp(zSuffix, shadow_suffix[i]) == 0) return 1;
  return 0;
}

/* Runs sql (sqlite3_free'd here; NULL means out of memory) on db; copies an
** error into *pzErr when pzErr is not NULL. */
static int exec_free(sqlite3 *db, char *sql, char **pzErr) {
  if (!sql) return SQLITE_NOMEM;
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  sqlite3_free(sql);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && pzErr)
    *pzErr = sqlite3_mprintf("squeeze: %s", err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return rc;
}

int sqt_shadow_create(sqlite3 *db, const char *zDb, const char *zName, int ncol, char **pzErr) {
  sqlite3_str *tail = sqlite3_str_new(NULL);
  sqlite3_str_appendf(
      tail, "CREATE TABLE %Q.'%q_tail'(id INTEGER PRIMARY KEY, dead INTEGER NOT NULL", zDb, zName);
  for (int i = 0; i < ncol; i++)
    sqlite3_str_appendf(tail, ", c%d", i);
  sqlite3_str_appendall(tail, ")");
  char *sql = sqlite3_mprintf(
      "CREATE TABLE %Q.'%q_config'(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
      "INSERT INTO %Q.'%q_config'(k, v) VALUES ('format', %d), ('generation', 0);"
      "CREATE TABLE %Q.'%q_chunk'(maxrow INTEGER PRIMARY KEY, minrow INTEGER NOT NULL,"
      " nrows INTEGER NOT NULL, gen INTEGER NOT NULL, sums BLOB);"
      "CREATE TABLE %Q.'%q_data'(key INTEGER PRIMARY KEY, nnull INTEGER NOT NULL, minv, maxv,"
      " codec INTEGER NOT NULL, raw INTEGER NOT NULL, body BLOB NOT NULL, zsum INTEGER);",
      zDb, zName, zDb, zName, SQT_FORMAT, zDb, zName, zDb, zName);
  int rc = exec_free(db, sql, pzErr);
  char *tail_sql = sqlite3_str_finish(tail);
  if (rc == SQLITE_OK)
    rc = exec_free(db, tail_sql, pzErr);
  else
    sqlite3_free(tail_sql);
  return rc;
}

int sqt_shadow_check_format(sqlite3 *db, const char *zDb, const char *zName, int *format, int *utf8,
                            char **pzErr) {
  char *sql = sqlite3_mprintf("SELECT +v, +k FROM %Q.'%q_config' WHERE k = 'format'", zDb, zName);
  if (!sql) return SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  sqlite3_free(sql);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("squeeze: table %s: cannot read %s_config: %s", zName, zName,
                             sqlite3_errmsg(db));
    return SQLITE_CORRUPT_VTAB;
  }
  rc = sqlite3_step(s);
  sqlite3_int64 v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  int is_int = rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER;
  if (rc == SQLITE_ROW) { /* a TEXT read as a BLOB keeps the database's encoding */
    sqlite3_column_blob(s, 1);
    *utf8 = sqlite3_column_bytes(s, 1) == (int)strlen("format");
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    if (rc != SQLITE_NOMEM)
      *pzErr = sqlite3_mprintf("squeeze: table %s: %s", zName, sqlite3_errmsg(db));
    return rc;
  }
  if (!is_int || v < SQT_FORMAT_MIN) {
    *pzErr = sqlite3_mprintf("squeeze: table %s: the format version in %s_config is missing", zName,
                             zName);
    return SQLITE_CORRUPT_VTAB;
  }
  if (v > SQT_FORMAT) {
    *pzErr = sqlite3_mprintf("squeeze: table %s was written in format %lld by a newer squeeze; "
                             "this one reads format %d",
                             zName, v, SQT_FORMAT);
    return SQLITE_ERROR;
  }
  *format = (int)v;
  return SQLITE_OK;
}

int sqt_shadow_text_is_utf8(sqlite3 *db, const char *zDb, int *utf8) {
  char *sql = sqlite3_mprintf("PRAGMA %Q.encoding", zDb);
  if (!sql) return SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return rc;
  *utf8 = 1;
  if (sqlite3_step(s) == SQLITE_ROW) {
    const char *e = (const char *)sqlite3_column_text(s, 0);
    *utf8 = !e || sqlite3_stricmp(e, "UTF-8") == 0;
  }
  return sqlite3_finalize(s);
}

int sqt_shadow_drop(sqt_vtab *p) {
  int rc = SQLITE_OK;
  for (size_t i = 0; i < SHADOW_COUNT && rc == SQLITE_OK; i++)
    rc = exec_free(
        p->db,
        sqlite3_mprintf("DROP TABLE IF EXISTS %Q.'%q_%s'", p->zDb, p->zName, shadow_suffix[i]),
        NULL);
  return rc;
}

int sqt_shadow_rename(sqt_vtab *p, const char *zNew) {
  int rc = SQLITE_OK;
  char *err = NULL;
  for (size_t i = 0; i < SHADOW_COUNT && rc == SQLITE_OK; i++)
    rc = exec_free(p->db,
                   sqlite3_mprintf("ALTER TABLE %Q.'%q_%s' RENAME TO '%q_%s'", p->zDb, p->zName,
                                   shadow_suffix[i], zNew, shadow_suffix[i]),
                   &err);
  if (err) {
    /* SQLite reports the vtab's message for xRename: "squeeze: there is
    ** already another table or index with this name: u_data" */
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = err;
  }
  return rc;
}

/* ---- Prepared statements ------------------------------------------------- */

/* The directory's columns as statements read them. Each is an expression
** (unary +, the value unchanged) rather than a bare column: SQLite builds
** with column metadata (Debian's does) give every bare column of a result
** its origin names at prepare time, which made the directory statement cost
** a quarter more to prepare; a new connection per request prepares it on
** every request. */
#define SQT_DIR_COLUMNS "+maxrow, +minrow, +nrows, +gen, +%s"

/* The SQL of statement id, with %Q the database and %q the table name;
** sqlite3_malloc'd, NULL when out of memory. */
static char *stmt_sql(sqt_vtab *p, int id) {
  const char *db = p->zDb, *t = p->zName;
  const char *zsum = p->format >= 2 ? "zsum" : "NULL"; /* format 1 keeps no checksum */
  const char *sums = p->format >= 3 ? "sums" : "NULL"; /* nor does format 2 of bodies */
  switch (id) {
  case SQT_CHUNK_FROM:
    return sqlite3_mprintf("SELECT " SQT_DIR_COLUMNS " FROM %Q.'%q_chunk'"
                           " WHERE maxrow >= ?1 ORDER BY maxrow",
                           sums, db, t);
  case SQT_CHUNK_DOWN:
    return sqlite3_mprintf("SELECT " SQT_DIR_COLUMNS " FROM %Q.'%q_chunk'"
                           " WHERE maxrow <= ?1 ORDER BY maxrow DESC",
                           sums, db, t);
  case SQT_CHUNK_OWNER:
    return sqlite3_mprintf("SELECT " SQT_DIR_COLUMNS " FROM %Q.'%q_chunk'"
                           " WHERE maxrow >= ?1 ORDER BY maxrow LIMIT 1",
                           sums, db, t);
  case SQT_CHUNK_BEFORE:
    return sqlite3_mprintf("SELECT " SQT_DIR_COLUMNS " FROM %Q.'%q_chunk'"
                           " WHERE maxrow < ?1 ORDER BY maxrow DESC LIMIT 1",
                           sums, db, t);
  case SQT_CHUNK_LAST:
    return sqlite3_mprintf("SELECT " SQT_DIR_COLUMNS " FROM %Q.'%q_chunk'"
                           " ORDER BY maxrow DESC LIMIT 1",
                           sums, db, t);
  case SQT_CHUNK_INSERT:
    return sqlite3_mprintf("INSERT INTO %Q.'%q_chunk'(maxrow, minrow, nrows, gen%s)"
                           " VALUES (?1, ?2, ?3, ?4%s)",
                           db, t, p->format >= 3 ? ", sums" : "", p->format >= 3 ? ", ?5" : "");
  case SQT_CHUNK_SUMS:
    return sqlite3_mprintf("SELECT %s FROM %Q.'%q_chunk' WHERE maxrow = ?1", sums, db, t);
  case SQT_CHUNK_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_chunk' WHERE maxrow = ?1", db, t);
  case SQT_CHUNK_DELETE_GEN:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_chunk' WHERE gen BETWEEN ?1 AND ?2", db, t);
  case SQT_DATA_BODY:
    return sqlite3_mprintf("SELECT body FROM %Q.'%q_data' WHERE key = ?1", db, t);
  case SQT_DATA_STAT:
    return sqlite3_mprintf("SELECT nnull, minv, maxv, %s FROM %Q.'%q_data' WHERE key = ?1", zsum,
                           db, t);
  case SQT_DATA_ROW:
    return sqlite3_mprintf("SELECT nnull, minv, maxv, %s, codec, raw, body FROM %Q.'%q_data'"
                           " WHERE key = ?1",
                           zsum, db, t);
  case SQT_DATA_INSERT:
    return sqlite3_mprintf("INSERT INTO %Q.'%q_data'(key, nnull, minv, maxv, codec, raw, body%s)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7%s)",
                           db, t, p->format >= 2 ? ", zsum" : "", p->format >= 2 ? ", ?8" : "");
  case SQT_DATA_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_data' WHERE key >= ?1 AND key < ?2", db, t);
  case SQT_DATA_COUNT:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_data' WHERE key >= ?1 AND key < ?2", db, t);
  case SQT_DATA_STORED:
    return sqlite3_mprintf(
        "SELECT sum(length(body)) FROM %Q.'%q_data' WHERE key >= ?1 AND key < ?2", db, t);
  case SQT_DATA_CODECS:
    return sqlite3_mprintf("SELECT key & 65535, codec, length(body) FROM %Q.'%q_data'"
                           " WHERE key >= ?1 AND key < ?2",
                           db, t);
  case SQT_DATA_RAW:
    return sqlite3_mprintf("SELECT sum(raw) FROM %Q.'%q_data' WHERE key >= ?1 AND key < ?2", db, t);
  case SQT_DATA_TOTAL:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_data'", db, t);
  case SQT_DATA_SUMMARY:
    return sqlite3_mprintf("SELECT key & 65535, codec, count(*), sum(nnull), sum(raw),"
                           " sum(length(body)) FROM %Q.'%q_data' GROUP BY 1, 2"
                           " ORDER BY 1, 3 DESC, 2",
                           db, t);
  case SQT_TAIL_PUT: {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "INSERT OR REPLACE INTO %Q.'%q_tail' VALUES (?1, ?2", db, t);
    for (int i = 0; i < p->decl.ncol; i++)
      sqlite3_str_appendf(s, ", ?%d", i + 3);
    sqlite3_str_appendall(s, ")");
    return sqlite3_str_finish(s);
  }
  case SQT_TAIL_DELETE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_tail' WHERE id = ?1", db, t);
  case SQT_TAIL_DELETE_RANGE:
    return sqlite3_mprintf("DELETE FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2", db, t);
  case SQT_TAIL_GET:
    return sqlite3_mprintf("SELECT dead FROM %Q.'%q_tail' WHERE id = ?1", db, t);
  case SQT_TAIL_RANGE:
    return sqlite3_mprintf("SELECT * FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2 ORDER BY id", db,
                           t);
  case SQT_TAIL_COUNT:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail' WHERE id >= ?1", db, t);
  case SQT_TAIL_COUNT_RANGE:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2", db, t);
  case SQT_TAIL_MAX:
    return sqlite3_mprintf("SELECT max(id) FROM %Q.'%q_tail'", db, t);
  case SQT_TAIL_DESC:
    return sqlite3_mprintf("SELECT id, dead FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2"
                           " ORDER BY id DESC",
                           db, t);
  case SQT_TAIL_BAD_DEAD:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail'"
                           " WHERE typeof(dead) <> 'integer' OR dead NOT IN (0, 1)",
                           db, t);
  case SQT_TAIL_LATE_DEAD:
    return sqlite3_mprintf("SELECT count(*) FROM %Q.'%q_tail' WHERE id > ?1 AND dead <> 0", db, t);
  case SQT_PATCH_IDS:
    return sqlite3_mprintf("SELECT id FROM %Q.'%q_tail' WHERE id <= ?1 ORDER BY id", db, t);
  case SQT_CONFIG_GET:
    return sqlite3_mprintf("SELECT v FROM %Q.'%q_config' WHERE k = ?1", db, t);
  case SQT_CONFIG_SET:
    return sqlite3_mprintf("INSERT OR REPLACE INTO %Q.'%q_config'(k, v) VALUES (?1, ?2)", db, t);
  }
  return NULL;
}

sqlite3_stmt *sqt_stmt(sqt_vtab *p, int id, int *rc) {
  if (*rc != SQLITE_OK) return NULL;
  if (p->stmt[id]) return p->stmt[id];
  char *sql = stmt_sql(p, id);
  if (!sql) {
    *rc = SQLITE_NOMEM;
    return NULL;
  }
  int r = sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p->stmt[id], NULL);
  sqlite3_free(sql);
  if (r != SQLITE_OK) {
    *rc = sqt_error(p, r, "%s", sqlite3_errmsg(p->db));
    p->stmt[id] = NULL;
  }
  return p->stmt[id];
}

void sqt_stmt_finalize_all(sqt_vtab *p) {
  for (int i = 0; i < SQT_STMT_COUNT; i++) {
    sqlite3_finalize(p->stmt[i]);
    p->stmt[i] = NULL;
  }
  for (int i = 0; i < SQT_TAIL_POOL; i++) {
    sqlite3_finalize(p->tail_pool[i].stmt);
    p->tail_pool[i].stmt = NULL;
  }
}

/* Whether column i is in colUsed mask used (bit 63: every column past 62). */
static int column_used(uint64_t used, int i) {
  return (int)(i >= 63 ? (used >> 63) & 1 : (used >> i) & 1);
}

void sqt_tail_columns(const sqt_vtab *p, uint64_t used, int *tail_index) {
  int k = 2;
  for (int i = 0; i < p->decl.ncol; i++)
    tail_index[i] = column_used(used, i) ? k++ : -1;
}

char *sqt_tail_select_sql(sqt_vtab *p, uint64_t used, int desc) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "SELECT +id, +dead"); /* expressions: as SQT_DIR_COLUMNS */
  for (int i = 0; i < p->decl.ncol; i++)
    if (column_used(used, i)) sqlite3_str_appendf(s, ", +c%d", i);
  sqlite3_str_appendf(s, " FROM %Q.'%q_tail' WHERE id BETWEEN ?1 AND ?2 ORDER BY id%s", p->zDb,
                      p->zName, desc ? " DESC" : "");
  return sqlite3_str_finish(s);
}

/* The pool's index of a statement for (used, desc), or -1. */
static int tail_slot(const sqt_vtab *p, uint64_t used, int desc) {
  for (int i = 0; i < SQT_TAIL_POOL; i++)
    if (p->tail_pool[i].stmt && p->tail_pool[i].used == used && p->tail_pool[i].desc == desc)
      return i;
  return -1;
}

int sqt_tail_held(const sqt_vtab *p, uint64_t used, int desc) {
  return tail_slot(p, used, desc) >= 0;
}

sqlite3_stmt *sqt_tail_take(sqt_vtab *p, uint64_t used, int desc) {
  int i = tail_slot(p, used, desc);
  if (i < 0) return NULL;
  sqlite3_stmt *s = p->tail_pool[i].stmt;
  p->tail_pool[i].stmt = NULL;
  return s;
}

void sqt_tail_give(sqt_vtab *p, sqlite3_stmt *s, uint64_t used, int desc) {
  if (!s) return;
  sqlite3_reset(s);
  int free_slot = -1;
  for (int i = 0; i < SQT_TAIL_POOL && free_slot < 0; i++)
    if (!p->tail_pool[i].stmt) free_slot = i;
  if (free_slot < 0) {
    /* full: the oldest goes */
    sqlite3_finalize(p->tail_pool[0].stmt);
    memmove(&p->tail_pool[0], &p->tail_pool[1], sizeof(p->tail_pool[0]) * (SQT_TAIL_POOL - 1));
    free_slot = SQT_TAIL_POOL - 1;
  }
  p->tail_pool[free_slot].stmt = s;
  p->tail_pool[free_slot].used = used;
  p->tail_pool[free_slot].desc = desc;
}

/* ---- Stepping ------------------------------------------------------------ */

int sqt_step_error(sqt_vtab *p, sqlite3_stmt *s, int rc) {
  int rc2 = sqlite3_reset(s);
  return sqt_error(p, rc2 ? rc2 : rc, "%s", sqlite3_errmsg(p->db));
}

int sqt_step_done(sqt_vtab *p, sqlite3_stmt *s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return sqlite3_reset(s) == SQLITE_OK ? SQLITE_OK : sqt_step_error(p, s, rc);
  return sqt_step_error(p, s, rc);
}

/* Binds ?1 = text_arg (when not NULL) or a, and ?2 = b when two is set (as
** far as the statement has parameters); steps
** the one-row query id; reads its integer. The sticky-rc core of the two
** query helpers below. */
static int query_int(sqt_vtab *p, int id, const char *text_arg, int64_t a, int two, int64_t b,
                     int64_t *out, int *found) {
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, id, &rc);
  *found = 0;
  if (!s) return rc;
  int nparam = sqlite3_bind_parameter_count(s);
  if (nparam >= 1)
    rc = text_arg ? sqlite3_bind_text(s, 1, text_arg, -1, SQLITE_STATIC)
                  : sqlite3_bind_int64(s, 1, a);
  if (rc == SQLITE_OK && two && nparam >= 2) rc = sqlite3_bind_int64(s, 2, b);
  if (rc != SQLITE_OK) return sqt_step_error(p, s, rc);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
      *found = sqlite3_column_type(s, 0) == SQLITE_INTEGER ? 1 : -1;
      *out = sqlite3_column_int64(s, 0);
    }
    rc = SQLITE_DONE;
  }
  if (rc != SQLITE_DONE) return sqt_step_error(p, s, rc);
  rc = sqlite3_reset(s);
  return rc == SQLITE_OK ? rc : sqt_step_error(p, s, rc);
}

int sqt_query_int(sqt_vtab *p, int id, int64_t arg, const char *text_arg, int64_t *out,
                  int *found) {
  return query_int(p, id, text_arg, arg, 0, 0, out, found);
}

int sqt_query_count(sqt_vtab *p, int id, int64_t lo, int64_t hi, int64_t *n) {
  int found;
  *n = 0;
  int rc = query_int(p, id, NULL, lo, 1, hi, n, &found);
  if (rc == SQLITE_OK && found != 1) *n = 0;
  return rc;
}

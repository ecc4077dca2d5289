/*
** vt_squeeze.c: the squeeze virtual table, a compressed column store in
** ordinary SQLite shadow tables.
**
**   CREATE VIRTUAL TABLE readings USING squeeze(
**     ts INTEGER CODEC dod, sensor TEXT CODEC dict, temp REAL, body BLOB CODEC zstd(9),
**     chunk_rows = 8192);
**   INSERT INTO readings VALUES (1700000000, 'north', 20.5, NULL);
**   SELECT sensor, avg(temp) FROM readings WHERE ts BETWEEN ?1 AND ?2 GROUP BY 1;
**   SELECT squeeze_check('readings');           -- 'ok'
**   SELECT * FROM squeeze_stats('readings');    -- codec and ratio per column
**
** Rows arrive in an uncompressed tail; every chunk_rows rows the tail
** becomes a chunk in which each column is encoded on its own (a column chunk,
** docs/format/chunk.md) with its min, max and null count. Values keep their
** storage class exactly, as in every SQLite virtual table: no affinity is
** applied on the way in, and a REAL column given the integer 3 returns the
** integer 3. Rowids follow the rules of an ordinary rowid table. Everything
** is written inside the user's transaction through shadow tables, so COMMIT,
** ROLLBACK, savepoints and crashes behave as for a plain table; the insert
** buffer that makes bulk loads fast is flushed in xSavepoint and xSync,
** before SQLite journals or commits anything (fts5 flushes its pending terms
** the same way).
**
** This file holds the module: xCreate/xConnect (declaration, shadow tables,
** format version check), xDestroy, xRename, xShadowName, the transaction
** methods and the registration. The other jobs are in vt_squeeze_*.c
** (vt_squeeze.h lists them).
*/
#include "vt_squeeze.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <string.h>

static const char *const shadow_suffix[] = {"config", "chunk", "data", "tail"};
#define SHADOW_COUNT (sizeof(shadow_suffix) / sizeof(shadow_suffix[0]))

int sq_error(sq_vtab *p, int rc, const char *fmt, ...) {
  if (rc == SQLITE_NOMEM) return rc;
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = msg ? sqlite3_mprintf("squeeze: %s", msg) : NULL;
  sqlite3_free(msg);
  return rc;
}

static void *vt_alloc(void *opaque, size_t n) {
  (void)opaque;
  return sqlite3_malloc64(n);
}

static void vt_free(void *opaque, void *ptr) {
  (void)opaque;
  sqlite3_free(ptr);
}

sq_module *sq_module_ref(sq_module *m) {
  m->refs++;
  return m;
}

void sq_module_unref(void *pm) {
  sq_module *m = pm;
  if (--m->refs > 0) return;
  sqz_conn_unref(m->conn);
  sqlite3_free(m);
}

/* Frees a table object (not its shadow tables). */
static void vtab_free(sq_vtab *p) {
  if (!p) return;
  sq_stmt_finalize_all(p);
  sq_rows_free(&p->buf);
  sq_rows_free(&p->cache);
  sq_rows_free(&p->fetch);
  sq_rows_free(&p->one);
  sqlite3_free(p->patches);
  sqz_buf_free(&p->enc);
  sq_decl_free(&p->decl);
  sqlite3_free(p->zDb);
  sqlite3_free(p->zName);
  sqlite3_free(p->base.zErrMsg);
  sqlite3_free(p);
}

/* Runs sql (sqlite3_free'd here) on db; copies an error into *pzErr. */
static int exec_free(sqlite3 *db, char *sql, char **pzErr) {
  if (!sql) return SQLITE_NOMEM;
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  sqlite3_free(sql);
  if (rc != SQLITE_OK && pzErr) {
    *pzErr = sqlite3_mprintf("squeeze: %s", err ? err : sqlite3_errstr(rc));
  }
  sqlite3_free(err);
  return rc;
}

/* Creates the shadow tables of a new table. */
static int create_shadow_tables(sqlite3 *db, const char *zDb, const char *zName, const sq_decl *d,
                                char **pzErr) {
  sqlite3_str *tail = sqlite3_str_new(db);
  sqlite3_str_appendf(
      tail, "CREATE TABLE %Q.'%q_tail'(id INTEGER PRIMARY KEY, dead INTEGER NOT NULL", zDb, zName);
  for (int i = 0; i < d->ncol; i++)
    sqlite3_str_appendf(tail, ", c%d", i);
  sqlite3_str_appendall(tail, ")");
  char *sql = sqlite3_mprintf(
      "CREATE TABLE %Q.'%q_config'(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
      "INSERT INTO %Q.'%q_config'(k, v) VALUES ('format', %d), ('generation', 0);"
      "CREATE TABLE %Q.'%q_chunk'(maxrow INTEGER PRIMARY KEY, minrow INTEGER NOT NULL,"
      " nrows INTEGER NOT NULL, gen INTEGER NOT NULL);"
      "CREATE TABLE %Q.'%q_data'(key INTEGER PRIMARY KEY, nnull INTEGER NOT NULL, minv, maxv,"
      " codec INTEGER NOT NULL, raw INTEGER NOT NULL, body BLOB NOT NULL);",
      zDb, zName, zDb, zName, SQ_FORMAT, zDb, zName, zDb, zName);
  int rc = exec_free(db, sql, pzErr);
  char *tail_sql = sqlite3_str_finish(tail);
  if (rc == SQLITE_OK)
    rc = exec_free(db, tail_sql, pzErr);
  else
    sqlite3_free(tail_sql);
  return rc;
}

/* Reads the format version in xConnect: the table must have been written
** by this format (or an older one this release reads). */
static int check_format(sqlite3 *db, const char *zDb, const char *zName, char **pzErr) {
  char *sql = sqlite3_mprintf("SELECT v FROM %Q.'%q_config' WHERE k = 'format'", zDb, zName);
  if (!sql) return SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("squeeze: table %s: cannot read %s_config: %s", zName, zName,
                             sqlite3_errmsg(db));
    return SQLITE_CORRUPT_VTAB;
  }
  rc = sqlite3_step(s);
  sqlite3_int64 v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  int is_int = rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf("squeeze: table %s: %s", zName, sqlite3_errmsg(db));
    return rc;
  }
  if (!is_int || v < 1) {
    *pzErr = sqlite3_mprintf("squeeze: table %s: the format version in %s_config is missing", zName,
                             zName);
    return SQLITE_CORRUPT_VTAB;
  }
  if (v > SQ_FORMAT) {
    *pzErr = sqlite3_mprintf("squeeze: table %s was written in format %lld by a newer squeeze; "
                             "this one reads format %d",
                             zName, v, SQ_FORMAT);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* xCreate and xConnect: parse the declaration, create (isCreate) or check
** the shadow tables, declare the schema. */
static int sq_init(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                   sqlite3_vtab **ppVtab, char **pzErr, int isCreate) {
  sq_module *m = pAux;
  *ppVtab = NULL;
  sq_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->mod = m;
  p->db = db;
  p->alloc.alloc = vt_alloc;
  p->alloc.free = vt_free;
  p->alloc.opaque = NULL;
  sqz_buf_init(&p->enc, &p->alloc);
  p->zDb = sqlite3_mprintf("%s", argv[1]);
  p->zName = sqlite3_mprintf("%s", argv[2]);
  int rc = p->zDb && p->zName ? SQLITE_OK : SQLITE_NOMEM;
  int max_columns = sqlite3_limit(db, SQLITE_LIMIT_COLUMN, -1) - 2;
  if (max_columns > (1 << SQ_SLOT_BITS) - 2) max_columns = (1 << SQ_SLOT_BITS) - 2;
  if (rc == SQLITE_OK) rc = sq_decl_parse(argc, argv, max_columns, &p->decl, pzErr);
  if (rc == SQLITE_OK) {
    sq_rows_init(&p->buf, p->decl.ncol, &p->alloc);
    sq_rows_init(&p->cache, p->decl.ncol, &p->alloc);
    sq_rows_init(&p->fetch, p->decl.ncol, &p->alloc);
    sq_rows_init(&p->one, p->decl.ncol, &p->alloc);
    if (!p->buf.col || !p->cache.col || !p->fetch.col || !p->one.col) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK && isCreate) rc = create_shadow_tables(db, p->zDb, p->zName, &p->decl, pzErr);
  if (rc == SQLITE_OK && !isCreate) rc = check_format(db, p->zDb, p->zName, pzErr);
  if (rc == SQLITE_OK) {
    char *schema = sq_decl_schema(&p->decl);
    rc = schema ? sqlite3_declare_vtab(db, schema) : SQLITE_NOMEM;
    sqlite3_free(schema);
  }
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  if (rc != SQLITE_OK) {
    vtab_free(p);
    return rc;
  }
  p->est_rows = 1000000;
  p->next = m->open;
  m->open = p;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int sq_create(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                     sqlite3_vtab **ppVtab, char **pzErr) {
  return sq_init(db, pAux, argc, argv, ppVtab, pzErr, 1);
}

static int sq_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  return sq_init(db, pAux, argc, argv, ppVtab, pzErr, 0);
}

/* Unlinks p from its module's list of open tables. */
static void unlink_table(sq_vtab *p) {
  for (sq_vtab **q = &p->mod->open; *q; q = &(*q)->next) {
    if (*q == p) {
      *q = p->next;
      break;
    }
  }
}

static int sq_disconnect(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  unlink_table(p);
  vtab_free(p);
  return SQLITE_OK;
}

static int sq_destroy(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  sq_stmt_finalize_all(p);
  int rc = SQLITE_OK;
  for (size_t i = 0; i < SHADOW_COUNT && rc == SQLITE_OK; i++)
    rc = exec_free(
        p->db,
        sqlite3_mprintf("DROP TABLE IF EXISTS %Q.'%q_%s'", p->zDb, p->zName, shadow_suffix[i]),
        NULL);
  if (rc != SQLITE_OK) return rc;
  return sq_disconnect(vtab);
}

static int sq_rename(sqlite3_vtab *vtab, const char *zNew) {
  sq_vtab *p = (sq_vtab *)vtab;
  int rc = sq_flush(p, 1);
  sq_stmt_finalize_all(p);
  for (size_t i = 0; i < SHADOW_COUNT && rc == SQLITE_OK; i++)
    rc = exec_free(p->db,
                   sqlite3_mprintf("ALTER TABLE %Q.'%q_%s' RENAME TO '%q_%s'", p->zDb, p->zName,
                                   shadow_suffix[i], zNew, shadow_suffix[i]),
                   NULL);
  if (rc == SQLITE_OK) {
    char *name = sqlite3_mprintf("%s", zNew);
    if (!name) return SQLITE_NOMEM;
    sqlite3_free(p->zName);
    p->zName = name;
  }
  return rc;
}

static int sq_shadow_name(const char *zSuffix) {
  for (size_t i = 0; i < SHADOW_COUNT; i++)
    if (sqlite3_stricmp(zSuffix, shadow_suffix[i]) == 0) return 1;
  return 0;
}

/* ---- Transactions ---------------------------------------------------------
** The insert buffer only ever holds rows written since the last flush, and
** a flush happens at every savepoint and in xSync. So a rollback, to the
** transaction start or to any savepoint, has to drop the buffer and forget
** the cached write state (the shadow tables were rolled back by SQLite);
** release and commit keep everything. */

static int sq_begin(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  sq_reset(p, 0); /* another connection may have written since */
  sq_forget_patches(p);
  p->in_write = 1;
  return SQLITE_OK;
}

/* Commit, phase one: everything that can fail happens here. */
static int sq_sync(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  int rc = sq_flush(p, 1);
  if (rc == SQLITE_OK && (p->npatch || p->patch_overflow)) rc = sq_compact(p, 0, NULL);
  if (rc == SQLITE_OK) sq_forget_patches(p);
  return rc;
}

/* Commit, phase two: cannot fail. */
static int sq_commit(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  sq_reset(p, 0);
  p->in_write = 0;
  return SQLITE_OK;
}

static int sq_rollback(sqlite3_vtab *vtab) {
  sq_vtab *p = (sq_vtab *)vtab;
  sq_reset(p, 1);
  p->in_write = 0;
  sq_forget_patches(p);
  return SQLITE_OK;
}

static int sq_savepoint(sqlite3_vtab *vtab, int iSavepoint) {
  (void)iSavepoint;
  return sq_flush((sq_vtab *)vtab, 1);
}

static int sq_release(sqlite3_vtab *vtab, int iSavepoint) {
  (void)vtab;
  (void)iSavepoint;
  return SQLITE_OK;
}

static int sq_rollback_to(sqlite3_vtab *vtab, int iSavepoint) {
  (void)iSavepoint;
  sq_reset((sq_vtab *)vtab, 1);
  return SQLITE_OK;
}

#if SQLITE_VERSION_NUMBER >= 3044000
/* PRAGMA integrity_check on SQLite 3.44+: the same check as squeeze_check. */
static int sq_integrity(sqlite3_vtab *vtab, const char *zSchema, const char *zTabName, int mFlags,
                        char **pzErr) {
  (void)zSchema;
  (void)zTabName;
  (void)mFlags;
  char *report = NULL;
  int rc = sq_check((sq_vtab *)vtab, &report);
  if (rc == SQLITE_OK && report && strcmp(report, "ok") != 0) {
    *pzErr = report;
    report = NULL;
  }
  sqlite3_free(report);
  return rc;
}
#endif

const sqlite3_module sq_module_methods = {
#if SQLITE_VERSION_NUMBER >= 3044000
    4, /* iVersion: xIntegrity */
#else
    3, /* iVersion: xShadowName */
#endif
    sq_create,        /* xCreate: parse, create shadow tables */
    sq_connect,       /* xConnect: parse, check the format version */
    sq_best_index,    /* xBestIndex: rowid and zone-map constraints, ORDER BY rowid */
    sq_disconnect,    /* xDisconnect */
    sq_destroy,       /* xDestroy: drops the shadow tables */
    sq_open,          /* xOpen */
    sq_close,         /* xClose */
    sq_filter,        /* xFilter: flush, pick chunks, start the merge */
    sq_next,          /* xNext */
    sq_eof,           /* xEof */
    sq_result_column, /* xColumn: decodes a column chunk on first use */
    sq_rowid,         /* xRowid */
    sq_update,        /* xUpdate: INSERT, UPDATE, DELETE */
    sq_begin,         /* xBegin */
    sq_sync,          /* xSync: flush and compaction, may fail */
    sq_commit,        /* xCommit: cannot fail */
    sq_rollback,      /* xRollback */
    NULL,             /* xFindFunction */
    sq_rename,        /* xRename: renames the shadow tables */
    sq_savepoint,     /* xSavepoint: flush */
    sq_release,       /* xRelease */
    sq_rollback_to,   /* xRollbackTo: drop the buffer */
    sq_shadow_name,   /* xShadowName: config, chunk, data, tail */
#if SQLITE_VERSION_NUMBER >= 3044000
    sq_integrity, /* xIntegrity */
#endif
};

sq_vtab *sq_find_table(sq_module *m, sqlite3 *db, const char *name, char **pzErr) {
  const char *dot = strchr(name, '.');
  char schema[256] = "";
  const char *table = name;
  if (dot && (size_t)(dot - name) < sizeof schema) {
    memcpy(schema, name, (size_t)(dot - name));
    schema[dot - name] = 0;
    table = dot + 1;
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    for (sq_vtab *p = m->open; p; p = p->next) {
      if (p->db == db && sqlite3_stricmp(p->zName, table) == 0 &&
          (!schema[0] || sqlite3_stricmp(p->zDb, schema) == 0))
        return p;
    }
    if (attempt == 0) {
      /* not connected yet on this connection: preparing a statement that
      ** names it connects it */
      char *sql = schema[0] ? sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\" LIMIT 0", schema, table)
                            : sqlite3_mprintf("SELECT 1 FROM \"%w\" LIMIT 0", table);
      sqlite3_stmt *s = NULL;
      if (sql) sqlite3_prepare_v2(db, sql, -1, &s, NULL);
      sqlite3_finalize(s);
      sqlite3_free(sql);
    }
  }
  *pzErr = sqlite3_mprintf("no squeeze table named '%s'", name);
  return NULL;
}

int sqz_register_squeeze_table(sqlite3 *db, sqz_conn *c) {
  sq_module *m = sqlite3_malloc64(sizeof(*m));
  if (!m) return SQLITE_NOMEM;
  m->conn = sqz_conn_ref(c);
  m->open = NULL;
  m->refs = 1;
  /* the module's reference is released by sq_module_unref, also on failure */
  int rc = sqlite3_create_module_v2(db, "squeeze", &sq_module_methods, m, sq_module_unref);
  if (rc == SQLITE_OK) rc = sq_register_functions(db, m);
  return rc;
}

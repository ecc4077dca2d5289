/*
** sqt_module.c: the squeeze virtual table, a compressed column store in
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
** docs/format/chunk.md) with its min, max and null count. Values are
** converted by the declared type's affinity on the way in, as a plain table
** converts them (sqt_decl.c), so a REAL column given the integer 3 returns
** the real 3.0. Rowids follow the rules of an ordinary rowid table. Everything
** is written inside the user's transaction through shadow tables, so COMMIT,
** ROLLBACK, savepoints and crashes behave as for a plain table; the insert
** buffer that makes bulk loads fast is flushed in xSavepoint and xSync,
** before SQLite journals or commits anything (fts5 flushes its pending terms
** the same way).
**
** This file holds the module: xCreate/xConnect (declaration, shadow tables,
** format version check), xDestroy, xRename, xShadowName, the transaction
** methods, the write state, xIntegrity (PRAGMA integrity_check) and the
** registration, which gives SQLite module version 4 (with xIntegrity) when
** the running library is 3.44 or newer and version 3 otherwise. The other
** jobs are in sqt_*.c (sqt.h lists them).
*/
#include "register.h"
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

int sqt_error(sqt_vtab *p, int rc, const char *fmt, ...) {
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

/* Frees a table object (not its shadow tables). */
static void vtab_free(sqt_vtab *p) {
  if (!p) return;
  sqt_stmt_finalize_all(p);
  sqt_rows_free(&p->buf);
  sqt_cache_free(p);
  sqt_window_free_spare(p);
  sqt_rows_free(&p->fetch);
  sqt_rows_free(&p->one);
  sqlite3_free(p->patches);
  sqlite3_free(p->tf_ids);
  sqz_buf_free(&p->enc);
  sqlite3_free(p->sums);
  sqt_decl_free(&p->decl);
  sqlite3_free(p->zDb);
  sqlite3_free(p->zName);
  sqlite3_free(p->base.zErrMsg);
  sqlite3_free(p);
}

/* xCreate and xConnect: parse the declaration, create (isCreate) or check
** the shadow tables, declare the schema. */
static int sqt_init(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                    sqlite3_vtab **ppVtab, char **pzErr, int isCreate) {
  sqz_conn *conn = pAux;
  *ppVtab = NULL;
  sqt_vtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->conn = conn;
  p->db = db;
  p->alloc = sqz_sqlite_allocator();
  sqz_buf_init(&p->enc, p->alloc);
  p->zDb = sqlite3_mprintf("%s", argv[1]);
  p->zName = sqlite3_mprintf("%s", argv[2]);
  int rc = p->zDb && p->zName ? SQLITE_OK : SQLITE_NOMEM;
  int max_columns = sqlite3_limit(db, SQLITE_LIMIT_COLUMN, -1) - 2;
  if (max_columns > SQT_COLUMNS_MAX) max_columns = SQT_COLUMNS_MAX;
  if (rc == SQLITE_OK) rc = sqt_decl_parse(db, isCreate, argc, argv, max_columns, &p->decl, pzErr);
  if (rc == SQLITE_OK) {
    sqt_rows_init(&p->buf, p->decl.ncol, p->alloc);
    sqt_rows_init(&p->fetch, p->decl.ncol, p->alloc);
    sqt_rows_init(&p->one, p->decl.ncol, p->alloc);
    p->sums = sqlite3_malloc64(2 * 8 * ((size_t)p->decl.ncol + 1));
    if (!p->buf.col || !p->fetch.col || !p->one.col || !p->sums) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK && isCreate)
    rc = sqt_shadow_create(db, p->zDb, p->zName, p->decl.ncol, pzErr);
  if (rc == SQLITE_OK && isCreate) rc = sqt_decl_save_columns(db, p->zDb, p->zName, &p->decl);
  p->format = SQT_FORMAT;
  if (rc == SQLITE_OK && !isCreate)
    rc = sqt_shadow_check_format(db, p->zDb, p->zName, &p->format, &p->utf8, pzErr);
  if (rc == SQLITE_OK) {
    char *schema = sqt_decl_schema(&p->decl);
    rc = schema ? sqlite3_declare_vtab(db, schema) : SQLITE_NOMEM;
    sqlite3_free(schema);
  }
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  if (rc == SQLITE_OK && isCreate) rc = sqt_shadow_text_is_utf8(db, p->zDb, &p->utf8);
  if (rc != SQLITE_OK) {
    vtab_free(p);
    return rc;
  }
  p->est_rows = 1000000;
  sqt_cache_identity(p);
  p->next = conn->tables;
  conn->tables = p;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int sqt_create(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  return sqt_init(db, pAux, argc, argv, ppVtab, pzErr, 1);
}

static int sqt_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  return sqt_init(db, pAux, argc, argv, ppVtab, pzErr, 0);
}

/* Unlinks p from its module's list of open tables. */
static void unlink_table(sqt_vtab *p) {
  for (sqt_vtab **q = &p->conn->tables; *q; q = &(*q)->next) {
    if (*q == p) {
      *q = p->next;
      break;
    }
  }
}

static int sqt_disconnect(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  unlink_table(p);
  vtab_free(p);
  return SQLITE_OK;
}

static int sqt_destroy(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqt_stmt_finalize_all(p);
  int rc = sqt_shadow_drop(p);
  if (rc != SQLITE_OK) return rc;
  return sqt_disconnect(vtab);
}

static int sqt_rename(sqlite3_vtab *vtab, const char *zNew) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  int rc = sqt_flush(p, SQT_FLUSH_FULL);
  sqt_stmt_finalize_all(p);
  if (rc == SQLITE_OK) rc = sqt_shadow_rename(p, zNew);
  if (rc == SQLITE_OK) {
    char *name = sqlite3_mprintf("%s", zNew);
    if (!name) return SQLITE_NOMEM;
    sqlite3_free(p->zName);
    p->zName = name;
  }
  return rc;
}

/* ---- The write state --------------------------------------------------------
** What the writes need to know about the stored table (the last chunk's
** maxrow, the tail's length past it, the last generation), read once per
** transaction and kept up to date by the writes themselves. */

int sqt_load(sqt_vtab *p) {
  if (p->loaded) return SQLITE_OK;
  sqt_chunkref last;
  int found, rc = sqt_chunk_query(p, SQT_CHUNK_LAST, 0, 0, &last, &found);
  if (rc != SQLITE_OK) return rc;
  p->have_chunks = found;
  p->lcm = found ? last.maxrow : INT64_MIN;
  int64_t v = 0;
  found = 0;
  if (!p->have_chunks || p->lcm < INT64_MAX)
    rc = sqt_query_int(p, SQT_TAIL_COUNT, sqt_tail_from(p), NULL, &v, &found);
  if (rc != SQLITE_OK) return rc;
  p->tail_count = found ? v : 0;
  rc = sqt_query_int(p, SQT_CONFIG_GET, 0, "generation", &v, &found);
  if (rc != SQLITE_OK) return rc;
  if (found != 1 || v < 0 || v > SQT_GEN_LIMIT)
    return sqt_error(p, SQLITE_CORRUPT_VTAB,
                     "table %s: the generation in %s_config is missing or out of range", p->zName,
                     p->zName);
  p->last_gen = v;
  if (v < p->slots.max_gen) sqt_cache_drop(p, INT64_MIN, INT64_MAX); /* see sqt_cache_check */
  p->gen_dirty = 0;
  p->max_known = 0;
  p->loaded = 1;
  return SQLITE_OK;
}

int sqt_poison(sqt_vtab *p, int rc) {
  /* a statement that ran out of memory inside the undo may have rolled the
  ** whole transaction back already (SQLite does so for a statement without a
  ** journal): then the partial writes are gone, and nothing is poisoned */
  if (rc != SQLITE_OK && !p->poisoned && !sqlite3_get_autocommit(p->db)) p->poisoned = rc;
  return rc;
}

int sqt_poisoned(sqt_vtab *p) {
  if (!p->poisoned) return SQLITE_OK;
  sqt_error(p, p->poisoned,
            "table %s: a failure left writes that could not be undone; roll the transaction back",
            p->zName);
  return p->poisoned;
}

void sqt_reset(sqt_vtab *p, int rollback) {
  p->loaded = 0;
  p->epoch++;
  p->owner_ok = 0; /* another connection may change the directory between transactions */
  p->tf_ok = 0;    /* or the tail */
  p->max_known = 0;
  /* a committed generation's chunk never changes (generations only grow), so
  ** the decoded chunk stays valid across transactions unless rolled back */
  if (rollback) sqt_cache_drop(p, INT64_MIN, INT64_MAX); /* generations are given again */
  if (rollback) p->poisoned = 0; /* the partial writes are gone with the rollback */
  sqt_rows_clear(&p->buf);
}

int sqt_save_generation(sqt_vtab *p) {
  if (!p->gen_dirty) return SQLITE_OK;
  int rc = SQLITE_OK;
  sqlite3_stmt *s = sqt_stmt(p, SQT_CONFIG_SET, &rc);
  if (!s) return rc;
  sqlite3_bind_text(s, 1, "generation", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, p->last_gen);
  rc = sqt_step_done(p, s);
  if (rc == SQLITE_OK) p->gen_dirty = 0;
  return rc;
}

/* ---- Transactions ---------------------------------------------------------
** The insert buffer only ever holds rows written since the last flush, and
** a flush happens at every savepoint and in xSync. So a rollback, to the
** transaction start or to any savepoint, has to drop the buffer and forget
** the cached write state (the shadow tables were rolled back by SQLite);
** release and commit keep everything. */

static int sqt_begin(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqt_reset(p, 0); /* another connection may have written since */
  sqt_forget_patches(p);
  p->in_write = 1;
  return SQLITE_OK;
}

/* Commit, phase one: everything that can fail happens here. */
static int sqt_sync(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  int rc = sqt_poisoned(p);
  if (rc != SQLITE_OK) return rc;
  p->nested++;
  rc = sqt_flush(p, SQT_FLUSH_SEAL);
  if (rc == SQLITE_OK && (p->npatch || p->patch_overflow)) rc = sqt_compact(p, 0, NULL);
  if (rc == SQLITE_OK) rc = sqt_seal(p, NULL);
  if (rc == SQLITE_OK) sqt_forget_patches(p);
  p->nested--;
  return rc;
}

/* Commit, phase two: cannot fail. */
static int sqt_commit(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqt_reset(p, 0);
  p->in_write = 0;
  return SQLITE_OK;
}

static int sqt_rollback(sqlite3_vtab *vtab) {
  sqt_vtab *p = (sqt_vtab *)vtab;
  sqt_reset(p, 1);
  p->in_write = 0;
  sqt_forget_patches(p);
  return SQLITE_OK;
}

/* A savepoint opens (a user's SAVEPOINT, or a statement's journal): the
** buffer goes to the shadow tables first, so that SQLite's savepoint covers
** every row. The savepoints of the statements this table runs on its own
** shadow tables (p->nested) are not the user's: they are ignored. */
static int sqt_savepoint(sqlite3_vtab *vtab, int iSavepoint) {
  (void)iSavepoint;
  sqt_vtab *p = (sqt_vtab *)vtab;
  if (p->nested) return SQLITE_OK;
  int rc = sqt_poisoned(p);
  return rc != SQLITE_OK ? rc : sqt_flush(p, SQT_FLUSH_FULL);
}

static int sqt_release(sqlite3_vtab *vtab, int iSavepoint) {
  (void)vtab;
  (void)iSavepoint;
  return SQLITE_OK;
}

/* SQLite rolled the shadow tables back to a savepoint, which was opened with
** an empty buffer: what is in the buffer now came after it, and the write
** state is read again. */
static int sqt_rollback_to(sqlite3_vtab *vtab, int iSavepoint) {
  (void)iSavepoint;
  sqt_vtab *p = (sqt_vtab *)vtab;
  if (!p->nested) sqt_reset(p, 1);
  return SQLITE_OK;
}

/* ---- PRAGMA integrity_check ------------------------------------------------ */

/* xIntegrity (module version 4, SQLite 3.44 and later): PRAGMA
** integrity_check and PRAGMA quick_check run squeeze_check's check on the
** table zSchema.zTabName (this vtab). Damage found is SQLITE_OK with *pzErr
** set to one message from sqlite3_malloc (SQLite frees it and returns it as
** one row of the pragma): "squeeze table schema.table:" then squeeze_check's
** problems, one a line. A healthy table leaves *pzErr NULL. A failure that
** keeps the check from running (out of memory, I/O, an interrupt, a table
** poisoned by a failed undo) is returned as its error code, which fails the
** pragma, as in fts5 and rtree. mFlags bit 0x01 means quick_check (the only
** bit SQLite defines); the check is the same then, since it reads each chunk
** once, in time linear in their number. */
static int sqt_integrity(sqlite3_vtab *vtab, const char *zSchema, const char *zTabName, int mFlags,
                         char **pzErr) {
  (void)mFlags;
  sqt_vtab *p = (sqt_vtab *)vtab;
  char *report = NULL;
  int rc = sqt_check(p, &report);
  if (rc != SQLITE_OK) {
    /* SQLite does not read the vtab's message after xIntegrity: drop it */
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = NULL;
    return rc;
  }
  if (strcmp(report, "ok") != 0) {
    *pzErr = sqlite3_mprintf("squeeze table %s.%s:\n%s", zSchema, zTabName, report);
    if (!*pzErr) rc = SQLITE_NOMEM;
  }
  sqlite3_free(report);
  return rc;
}

/* ---- Registration ---------------------------------------------------------
** sqlite3_module as SQLite lays it out from 3.44 on, where module version 4
** appends xIntegrity after xShadowName. It is declared here, not taken from
** sqlite3.h, so that xIntegrity is there whichever headers the build saw
** (Debian 12's are 3.40.1): the layout is SQLite's stable ABI, and the
** asserts below hold each slot that the build's header declares to the same
** offset and type. SQLite reads a module through sqlite3_module only up to
** the slots of its iVersion, so the version is picked at registration by the
** running library (sqz_register_squeeze_table): 4 from 3.44 on, else 3,
** which an older SQLite reads without the last slot. */
typedef struct sqt_module_layout {
  int iVersion;
  int (*xCreate)(sqlite3 *, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVTab,
                 char **);
  int (*xConnect)(sqlite3 *, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVTab,
                  char **);
  int (*xBestIndex)(sqlite3_vtab *pVTab, sqlite3_index_info *);
  int (*xDisconnect)(sqlite3_vtab *pVTab);
  int (*xDestroy)(sqlite3_vtab *pVTab);
  int (*xOpen)(sqlite3_vtab *pVTab, sqlite3_vtab_cursor **ppCursor);
  int (*xClose)(sqlite3_vtab_cursor *);
  int (*xFilter)(sqlite3_vtab_cursor *, int idxNum, const char *idxStr, int argc,
                 sqlite3_value **argv);
  int (*xNext)(sqlite3_vtab_cursor *);
  int (*xEof)(sqlite3_vtab_cursor *);
  int (*xColumn)(sqlite3_vtab_cursor *, sqlite3_context *, int);
  int (*xRowid)(sqlite3_vtab_cursor *, sqlite3_int64 *pRowid);
  int (*xUpdate)(sqlite3_vtab *, int, sqlite3_value **, sqlite3_int64 *);
  int (*xBegin)(sqlite3_vtab *pVTab);
  int (*xSync)(sqlite3_vtab *pVTab);
  int (*xCommit)(sqlite3_vtab *pVTab);
  int (*xRollback)(sqlite3_vtab *pVTab);
  int (*xFindFunction)(sqlite3_vtab *pVtab, int nArg, const char *zName,
                       void (**pxFunc)(sqlite3_context *, int, sqlite3_value **), void **ppArg);
  int (*xRename)(sqlite3_vtab *pVtab, const char *zNew);
  int (*xSavepoint)(sqlite3_vtab *pVTab, int);  /* version 2 */
  int (*xRelease)(sqlite3_vtab *pVTab, int);    /* version 2 */
  int (*xRollbackTo)(sqlite3_vtab *pVTab, int); /* version 2 */
  int (*xShadowName)(const char *);             /* version 3 */
  int (*xIntegrity)(sqlite3_vtab *pVTab, const char *zSchema, const char *zTabName, int mFlags,
                    char **pzErr); /* version 4 */
} sqt_module_layout;

/* Slot f of sqt_module_layout has the offset and type of sqlite3_module's. */
#define SQT_SAME_SLOT(f)                                                                           \
  _Static_assert(offsetof(sqt_module_layout, f) == offsetof(sqlite3_module, f) &&                  \
                     _Generic(((sqlite3_module *)0)->f,                                            \
                              __typeof__(((sqt_module_layout *)0)->f) : 1, default : 0),           \
                 "sqt_module_layout." #f " is not where sqlite3_module has it")
SQT_SAME_SLOT(iVersion);
SQT_SAME_SLOT(xCreate);
SQT_SAME_SLOT(xConnect);
SQT_SAME_SLOT(xBestIndex);
SQT_SAME_SLOT(xDisconnect);
SQT_SAME_SLOT(xDestroy);
SQT_SAME_SLOT(xOpen);
SQT_SAME_SLOT(xClose);
SQT_SAME_SLOT(xFilter);
SQT_SAME_SLOT(xNext);
SQT_SAME_SLOT(xEof);
SQT_SAME_SLOT(xColumn);
SQT_SAME_SLOT(xRowid);
SQT_SAME_SLOT(xUpdate);
SQT_SAME_SLOT(xBegin);
SQT_SAME_SLOT(xSync);
SQT_SAME_SLOT(xCommit);
SQT_SAME_SLOT(xRollback);
SQT_SAME_SLOT(xFindFunction);
SQT_SAME_SLOT(xRename);
SQT_SAME_SLOT(xSavepoint);
SQT_SAME_SLOT(xRelease);
SQT_SAME_SLOT(xRollbackTo);
SQT_SAME_SLOT(xShadowName);
#if SQLITE_VERSION_NUMBER >= 3044000
SQT_SAME_SLOT(xIntegrity);
#endif

/* The slots of both versions, xCreate to xShadowName. */
/* clang-format off */
#define SQT_MODULE_SLOTS                                                                  \
  .xCreate = sqt_create,             /* parse, create shadow tables */                    \
  .xConnect = sqt_connect,           /* parse, check the format version */                \
  .xBestIndex = sqt_best_index,      /* rowid and zone-map constraints, ORDER BY rowid */ \
  .xDisconnect = sqt_disconnect,     /* frees the table object */                         \
  .xDestroy = sqt_destroy,           /* drops the shadow tables */                        \
  .xOpen = sqt_open,                 /* a cursor */                                       \
  .xClose = sqt_close,               /* frees the cursor */                               \
  .xFilter = sqt_filter,             /* flush, pick chunks, start the merge */            \
  .xNext = sqt_next,                 /* the next row of the merge */                      \
  .xEof = sqt_eof,                   /* past the last row */                              \
  .xColumn = sqt_result_column,      /* decodes a column chunk on first use */            \
  .xRowid = sqt_rowid,               /* the current row's rowid */                        \
  .xUpdate = sqt_update,             /* INSERT, UPDATE, DELETE */                         \
  .xBegin = sqt_begin,               /* forgets the cached write state */                 \
  .xSync = sqt_sync,                 /* flush and compaction, may fail */                 \
  .xCommit = sqt_commit,             /* cannot fail */                                    \
  .xRollback = sqt_rollback,         /* drops the buffer */                               \
  .xFindFunction = NULL,             /* no overloaded functions */                        \
  .xRename = sqt_rename,             /* renames the shadow tables */                      \
  .xSavepoint = sqt_savepoint,       /* flush */                                          \
  .xRelease = sqt_release,           /* nothing to do */                                  \
  .xRollbackTo = sqt_rollback_to,    /* drop the buffer */                                \
  .xShadowName = sqt_shadow_name     /* config, chunk, data, tail (sqt_stmt.c) */
/* clang-format on */

/* For SQLite 3.44 and later: PRAGMA integrity_check calls xIntegrity. */
static const sqt_module_layout sqt_module_v4 = {
    .iVersion = 4, SQT_MODULE_SLOTS, .xIntegrity = sqt_integrity};
/* For an older SQLite, which knows versions 1 to 3 only. */
static const sqt_module_layout sqt_module_v3 = {
    .iVersion = 3, SQT_MODULE_SLOTS, .xIntegrity = NULL};

/* The connected table of conn named table, in schema (NULL: any). */
static sqt_vtab *connected(sqz_conn *conn, const char *schema, const char *table) {
  for (sqt_vtab *p = conn->tables; p; p = p->next)
    if (sqlite3_stricmp(p->zName, table) == 0 && (!schema || sqlite3_stricmp(p->zDb, schema) == 0))
      return p;
  return NULL;
}

/* Connects the table schema.table (schema NULL: the first that has it) by
** preparing a statement that names it. Returns an SQLite code; an unknown
** table is not an error here. */
static int connect_named(sqz_conn *conn, const char *schema, const char *table) {
  char *sql = schema ? sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\" LIMIT 0", schema, table)
                     : sqlite3_mprintf("SELECT 1 FROM \"%w\" LIMIT 0", table);
  if (!sql) return SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(conn->db, sql, -1, &s, NULL);
  sqlite3_finalize(s);
  sqlite3_free(sql);
  return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
}

int sqt_find_table(sqz_conn *conn, const char *name, sqt_vtab **out, char **pzErr) {
  const char *dot = strchr(name, '.');
  char *schema = dot ? sqlite3_mprintf("%.*s", (int)(dot - name), name) : NULL;
  if (dot && !schema) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  *out = NULL;
  for (int attempt = 0; attempt < 2 && rc == SQLITE_OK && !*out; attempt++) {
    /* "a.b" is the table a.b, or else table b of schema a */
    *out = connected(conn, NULL, name);
    if (!*out && schema) *out = connected(conn, schema, dot + 1);
    if (*out || attempt) break;
    /* not connected yet on this connection: preparing a statement connects it */
    rc = connect_named(conn, NULL, name);
    if (rc == SQLITE_OK && schema) rc = connect_named(conn, schema, dot + 1);
  }
  sqlite3_free(schema);
  if (rc == SQLITE_OK && !*out) {
    *pzErr = sqlite3_mprintf("no squeeze table named '%s'", name);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc;
}

int sqz_register_squeeze_table(sqlite3 *db, sqz_conn *c) {
  /* the module's reference is released by sqz_conn_unref, also on failure */
  const sqt_module_layout *m =
      sqlite3_libversion_number() >= 3044000 ? &sqt_module_v4 : &sqt_module_v3;
  int rc = sqlite3_create_module_v2(db, "squeeze", (const sqlite3_module *)m, sqz_conn_ref(c),
                                    sqz_conn_unref);
  if (rc == SQLITE_OK) rc = sqt_register_functions(db, c);
  return rc;
}

/*
** vt_rows.c: the read-only eponymous virtual table of vt_rows.h.
*/
#include "vt_rows.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

/* The module's client data: the definition plus the connection state. */
typedef struct rows_aux {
  const sqz_rows_def *def;
  sqz_conn *conn;
} rows_aux;

typedef struct rows_vtab {
  sqlite3_vtab base; /* base class: must be first */
  rows_aux *aux;     /* the module's definition and connection */
} rows_vtab;

typedef struct rows_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  sqlite3_int64 row;        /* current row index */
  sqlite3_int64 count;      /* rows in this scan */
} rows_cursor;

static int rows_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                        sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  rows_aux *aux = pAux;
  int rc = sqlite3_declare_vtab(db, aux->def->schema);
  if (rc != SQLITE_OK) return rc;
  rows_vtab *v = sqlite3_malloc(sizeof(*v));
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->aux = aux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vtab) {
  sqlite3_free(vtab);
  return SQLITE_OK;
}

static int rows_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor) {
  (void)vtab;
  rows_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  *ppCursor = &cur->base;
  return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur) {
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  rows_cursor *cur = (rows_cursor *)base;
  rows_aux *aux = ((rows_vtab *)base->pVtab)->aux;
  cur->row = 0;
  cur->count = aux->def->row_count(aux->conn);
  return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *base) {
  ((rows_cursor *)base)->row++;
  return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *base) {
  rows_cursor *cur = (rows_cursor *)base;
  return cur->row >= cur->count;
}

static int rows_column(sqlite3_vtab_cursor *base, sqlite3_context *context, int col) {
  rows_cursor *cur = (rows_cursor *)base;
  rows_aux *aux = ((rows_vtab *)base->pVtab)->aux;
  aux->def->column(aux->conn, cur->row, col, context);
  return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *pRowid) {
  *pRowid = ((rows_cursor *)base)->row + 1;
  return SQLITE_OK;
}

static const sqlite3_module rows_module = {
    0,               /* iVersion */
    NULL,            /* xCreate: NULL makes the table eponymous-only */
    rows_connect,    /* xConnect */
    rows_best_index, /* xBestIndex */
    rows_disconnect, /* xDisconnect */
    NULL,            /* xDestroy */
    rows_open,       /* xOpen */
    rows_close,      /* xClose */
    rows_filter,     /* xFilter */
    rows_next,       /* xNext */
    rows_eof,        /* xEof */
    rows_column,     /* xColumn */
    rows_rowid,      /* xRowid */
    NULL,            /* xUpdate: read-only */
    NULL,            /* xBegin */
    NULL,            /* xSync */
    NULL,            /* xCommit */
    NULL,            /* xRollback */
    NULL,            /* xFindFunction */
    NULL,            /* xRename */
    NULL,            /* xSavepoint */
    NULL,            /* xRelease */
    NULL,            /* xRollbackTo */
    NULL,            /* xShadowName */
};

static void rows_aux_free(void *p) {
  rows_aux *aux = p;
  sqz_conn_unref(aux->conn);
  sqlite3_free(aux);
}

int sqz_register_rows_table(sqlite3 *db, sqz_conn *c, const char *name, const sqz_rows_def *def) {
  rows_aux *aux = sqlite3_malloc(sizeof(*aux));
  if (!aux) return SQLITE_NOMEM;
  aux->def = def;
  aux->conn = sqz_conn_ref(c);
  /* On failure sqlite3_create_module_v2 calls rows_aux_free itself. */
  return sqlite3_create_module_v2(db, name, &rows_module, aux, rows_aux_free);
}

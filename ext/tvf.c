/*
** tvf.c: the table-valued function helper of tvf.h.
*/
#include "tvf.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <string.h>

/* The module's client data. */
typedef struct tvf_reg {
  const sqz_tvf_def *def;
  sqz_conn *conn;
  void *aux;
  void (*aux_free)(void *);
} tvf_reg;

typedef struct tvf_vtab {
  sqlite3_vtab base; /* base class: must be first */
  tvf_reg *reg;      /* the function */
  sqlite3 *db;       /* the connection */
  int first_arg;     /* column index of the first hidden argument */
} tvf_vtab;

int sqz_tvf_error(sqz_tvf_cursor *cur, int rc, const char *fmt, ...) {
  if (rc == SQLITE_NOMEM) return rc;
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_vtab *vtab = cur->base.pVtab;
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = msg ? sqlite3_mprintf("%s: %s", cur->def->name, msg) : NULL;
  sqlite3_free(msg);
  return vtab->zErrMsg ? rc : SQLITE_NOMEM;
}

/* xConnect: declares the schema. */
static int tvf_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  tvf_reg *reg = pAux;
  int rc = sqlite3_declare_vtab(db, reg->def->schema);
  if (rc != SQLITE_OK) return rc;
  tvf_vtab *v = sqlite3_malloc64(sizeof(*v));
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->reg = reg;
  v->db = db;
  /* the hidden columns are the last nargs of the schema: count the columns */
  int ncol = 1, depth = 0;
  for (const char *p = strchr(reg->def->schema, '('); p && *p; p++) {
    if (*p == '(') depth++;
    if (*p == ')') depth--;
    if (*p == ',' && depth == 1) ncol++;
  }
  v->first_arg = ncol - reg->def->nargs;
  sqlite3_vtab_config(db, reg->def->directonly ? SQLITE_VTAB_DIRECTONLY : SQLITE_VTAB_INNOCUOUS);
  if (reg->def->connected) reg->def->connected(reg->conn);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *vtab) {
  tvf_reg *reg = ((tvf_vtab *)vtab)->reg;
  if (reg->def->disconnected) reg->def->disconnected(reg->conn);
  sqlite3_free(vtab->zErrMsg);
  sqlite3_free(vtab);
  return SQLITE_OK;
}

/* xBestIndex. idxNum bit k is set when argument k is constrained by "=";
** xFilter receives the set ones in argv, in argument order. A plan in which
** an argument is constrained only by an unusable term is refused
** (SQLITE_CONSTRAINT), so that SQLite evaluates the argument first. */
static int tvf_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  tvf_vtab *v = (tvf_vtab *)vtab;
  const sqz_tvf_def *def = v->reg->def;
  int which[SQZ_TVF_MAX_ARGS];
  int unusable = 0, idxNum = 0;
  for (int k = 0; k < def->nargs; k++)
    which[k] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int k = c->iColumn - v->first_arg;
    if (k < 0 || k >= def->nargs) continue;
    if (!c->usable) {
      unusable |= 1 << k;
    } else if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
      which[k] = i;
      idxNum |= 1 << k;
    }
  }
  if (unusable & ~idxNum) return SQLITE_CONSTRAINT;
  int argv_index = 0;
  for (int k = 0; k < def->nargs; k++) {
    if (which[k] < 0) continue;
    info->aConstraintUsage[which[k]].argvIndex = ++argv_index;
    info->aConstraintUsage[which[k]].omit = 1;
  }
  if (def->ordered_column >= 0 && info->nOrderBy == 1 &&
      info->aOrderBy[0].iColumn == def->ordered_column && !info->aOrderBy[0].desc)
    info->orderByConsumed = 1;
  info->idxNum = idxNum;
  info->estimatedCost = def->cost;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor) {
  tvf_vtab *v = (tvf_vtab *)vtab;
  const sqz_tvf_def *def = v->reg->def;
  sqz_tvf_cursor *cur = sqlite3_malloc64(sizeof(*cur) + def->state_size);
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur) + def->state_size);
  cur->def = def;
  cur->db = v->db;
  cur->conn = v->reg->conn;
  cur->aux = v->reg->aux;
  cur->state = def->state_size ? (void *)(cur + 1) : NULL;
  *ppCursor = &cur->base;
  return SQLITE_OK;
}

/* Frees what the last scan held; leaves the cursor at its end. */
static void tvf_reset(sqz_tvf_cursor *cur) {
  if (cur->def->reset) cur->def->reset(cur);
  for (int k = 0; k < SQZ_TVF_MAX_ARGS; k++) {
    sqlite3_value_free(cur->args[k]);
    cur->args[k] = NULL;
  }
  cur->row = cur->count = 0;
}

static int tvf_close(sqlite3_vtab_cursor *base) {
  tvf_reset((sqz_tvf_cursor *)base);
  sqlite3_free(base);
  return SQLITE_OK;
}

static int tvf_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  sqz_tvf_cursor *cur = (sqz_tvf_cursor *)base;
  const sqz_tvf_def *def = cur->def;
  tvf_reset(cur);
  for (int k = 0, i = 0; k < def->nargs && i < argc; k++) {
    if (!(idxNum & (1 << k))) continue;
    cur->args[k] = sqlite3_value_dup(argv[i++]);
    if (!cur->args[k]) return SQLITE_NOMEM;
  }
  for (int k = 0; k < def->required; k++)
    if (!cur->args[k]) return sqz_tvf_error(cur, SQLITE_ERROR, "usage: %s", def->usage);
  return def->filter(cur, cur->args);
}

static int tvf_next(sqlite3_vtab_cursor *base) {
  sqz_tvf_cursor *cur = (sqz_tvf_cursor *)base;
  if (cur->def->next) return cur->def->next(cur);
  cur->row++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *base) {
  sqz_tvf_cursor *cur = (sqz_tvf_cursor *)base;
  return cur->row >= cur->count;
}

static int tvf_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
  sqz_tvf_cursor *cur = (sqz_tvf_cursor *)base;
  int k = col - ((tvf_vtab *)base->pVtab)->first_arg;
  if (k >= 0) {
    if (k < cur->def->nargs && cur->args[k]) sqlite3_result_value(ctx, cur->args[k]);
    return SQLITE_OK;
  }
  return cur->def->column(cur, ctx, col);
}

static int tvf_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *pRowid) {
  *pRowid = ((sqz_tvf_cursor *)base)->row + 1;
  return SQLITE_OK;
}

static const sqlite3_module tvf_module = {
    0,              /* iVersion */
    NULL,           /* xCreate: NULL makes the table eponymous-only */
    tvf_connect,    /* xConnect: declares def->schema */
    tvf_best_index, /* xBestIndex: arguments by equality on the hidden columns */
    tvf_disconnect, /* xDisconnect: def->disconnected, then frees */
    NULL,           /* xDestroy */
    tvf_open,       /* xOpen: cursor with def->state_size bytes of state */
    tvf_close,      /* xClose */
    tvf_filter,     /* xFilter: copies the arguments, calls def->filter */
    tvf_next,       /* xNext: def->next, or the next row index */
    tvf_eof,        /* xEof: row >= count */
    tvf_column,     /* xColumn: hidden columns here, the rest by def->column */
    tvf_rowid,      /* xRowid: the row number from 1 */
    NULL,           /* xUpdate: read-only */
    NULL,           /* xBegin */
    NULL,           /* xSync */
    NULL,           /* xCommit */
    NULL,           /* xRollback */
    NULL,           /* xFindFunction */
    NULL,           /* xRename */
    NULL,           /* xSavepoint */
    NULL,           /* xRelease */
    NULL,           /* xRollbackTo */
    NULL,           /* xShadowName */
};

static void tvf_reg_free(void *p) {
  tvf_reg *reg = p;
  if (reg->aux_free) reg->aux_free(reg->aux);
  sqz_conn_unref(reg->conn);
  sqlite3_free(reg);
}

int sqz_register_tvf(sqlite3 *db, sqz_conn *c, const sqz_tvf_def *def, void *aux,
                     void (*aux_free)(void *)) {
  tvf_reg *reg = sqlite3_malloc64(sizeof(*reg));
  if (!reg) {
    if (aux_free) aux_free(aux);
    return SQLITE_NOMEM;
  }
  reg->def = def;
  reg->conn = sqz_conn_ref(c);
  reg->aux = aux;
  reg->aux_free = aux_free;
  /* on failure sqlite3_create_module_v2 calls tvf_reg_free itself */
  return sqlite3_create_module_v2(db, def->name, &tvf_module, reg, tvf_reg_free);
}

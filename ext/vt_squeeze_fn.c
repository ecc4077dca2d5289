/*
** vt_squeeze_fn.c: the SQL functions that look after a squeeze table.
**
**   SELECT squeeze_check('readings');      -- 'ok', or one line per problem
**   SELECT squeeze_optimize('readings');   -- chunks written
**   SELECT * FROM squeeze_stats('readings');
**   -- name|type|codec|chosen|chunks|nulls|raw_bytes|stored_bytes|ratio
**
** squeeze_check decodes every column chunk and checks it against the
** directory and its data row: the checksum and tag inside the chunk, the row
** count, the rowids (strictly increasing, from minrow to maxrow, chunks
** disjoint and in order), the null count, min and max, the codec and raw
** size recorded, and that no data row is missing or left over and no
** tombstone lies past the last chunk. squeeze_optimize folds every patch into
** its chunk, merges runs of neighbouring chunks that fit in one and turns the
** tail into chunks, in one savepoint. squeeze_stats reads only the data rows'
** headers: per column the declared codec, the codecs chosen (with how many
** chunks each), the bytes of the values and of their chunks, and the ratio.
** A name may be "table" or "schema.table".
*/
#include "vt_squeeze.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CHECK_MAX_PROBLEMS 100

/* ---- squeeze_check ----------------------------------------------------- */

typedef struct report {
  sqlite3_str *s; /* the problems, one a line */
  int count;      /* problems found */
} report;

static void problem(report *r, const char *fmt, ...) {
  if (r->count++ >= CHECK_MAX_PROBLEMS) return;
  va_list ap;
  va_start(ap, fmt);
  if (sqlite3_str_length(r->s)) sqlite3_str_appendchar(r->s, 1, '\n');
  sqlite3_str_vappendf(r->s, fmt, ap);
  va_end(ap);
}

/* Whether stored (a data row value) describes the bound actual (a value of
** the chunk): equal, or for long TEXT/BLOB the prefix (min) or NULL (max). */
static int stat_ok(sqlite3_value *stored, const sqz_value *actual, int is_max) {
  sqz_value s = sq_value_of(stored);
  if (actual->cls == SQZ_CLASS_NULL) return s.cls == SQZ_CLASS_NULL;
  if ((actual->cls == SQZ_CLASS_TEXT || actual->cls == SQZ_CLASS_BLOB) &&
      actual->n > SQ_STAT_BYTES) {
    if (is_max) return s.cls == SQZ_CLASS_NULL;
    sqz_value cut = *actual;
    cut.n = SQ_STAT_BYTES;
    return sqz_value_compare(&s, &cut) == 0 && s.cls == cut.cls;
  }
  return s.cls == actual->cls && sqz_value_compare(&s, actual) == 0;
}

/* Checks one column chunk: decodes it, recomputes what its data row says. */
static int check_slot(sq_vtab *p, const sq_chunkref *c, int slot, sqz_column *col, report *r) {
  const char *what = slot ? p->decl.col[slot - 1].name : "rowid";
  int rc = sq_decode_slot(p, c, slot, col);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK) {
    problem(r, "%s", p->base.zErrMsg ? p->base.zErrMsg + 9 : sqlite3_errstr(rc));
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = NULL;
    return SQLITE_OK;
  }
  uint32_t nulls = 0;
  int64_t lo = -1, hi = -1;
  uint64_t raw = 0;
  for (uint32_t i = 0; i < col->count; i++) {
    sqz_value x = sqz_column_value(col, i);
    if (x.cls == SQZ_CLASS_NULL) {
      nulls++;
      continue;
    }
    raw += x.cls >= SQZ_CLASS_TEXT ? x.n : 8;
    if (lo < 0) lo = hi = i;
    sqz_value l = sqz_column_value(col, (uint32_t)lo), h = sqz_column_value(col, (uint32_t)hi);
    if (sqz_value_compare(&x, &l) < 0) lo = i;
    if (sqz_value_compare(&x, &h) > 0) hi = i;
  }
  char *sql = sqlite3_mprintf("SELECT nnull, minv, maxv, codec, raw, body FROM %Q.'%q_data'"
                              " WHERE key = %lld",
                              p->zDb, p->zName, sq_key(c->gen, slot));
  sqlite3_stmt *s = NULL;
  rc = sql ? sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_step(s) == SQLITE_ROW) {
    sqz_value none = {SQZ_CLASS_NULL, 0, NULL, 0};
    int unknown = sq_stats_unknown(p, slot, col, 0, col->count);
    sqz_value vlo = lo >= 0 && !unknown ? sqz_column_value(col, (uint32_t)lo) : none;
    sqz_value vhi = hi >= 0 && !unknown ? sqz_column_value(col, (uint32_t)hi) : none;
    sqz_chunk_info info;
    const void *body = sqlite3_column_blob(s, 5);
    size_t n = (size_t)sqlite3_column_bytes(s, 5);
    int parsed = sqz_chunk_parse(&info, body, n) == 0;
    if (sqlite3_column_int64(s, 0) != nulls)
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: null count %lld, should be %u",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what,
              (long long)sqlite3_column_int64(s, 0), nulls);
    if (!stat_ok(sqlite3_column_value(s, 1), &vlo, 0) ||
        !stat_ok(sqlite3_column_value(s, 2), &vhi, 1))
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: min/max do not match the values",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what);
    if (!parsed || sqlite3_column_int64(s, 3) != info.codec_id ||
        (uint64_t)sqlite3_column_int64(s, 4) != raw)
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: codec or raw size do not match",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what);
  }
  sqlite3_finalize(s);
  return SQLITE_OK;
}

/* Runs a one-integer query built from fmt (%Q db, %q table). */
static int count_query(sq_vtab *p, const char *fmt, int64_t arg, int64_t *out) {
  char *sql = sqlite3_mprintf(fmt, p->zDb, p->zName, (long long)arg);
  sqlite3_stmt *s = NULL;
  int rc = sql ? sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s);
  *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  sqlite3_finalize(s);
  return rc;
}

int sq_check(sq_vtab *p, char **out) {
  *out = NULL;
  report r = {sqlite3_str_new(p->db), 0};
  int rc = sq_flush(p, 1);
  int64_t gen = 0, format = 0;
  if (rc == SQLITE_OK)
    rc = count_query(p, "SELECT v FROM %Q.'%q_config' WHERE k = 'format' AND %lld = 0", 0, &format);
  if (rc == SQLITE_OK && format != SQ_FORMAT)
    problem(&r, "table %s: format version %lld, expected %d", p->zName, (long long)format,
            SQ_FORMAT);
  if (rc == SQLITE_OK)
    rc =
        count_query(p, "SELECT v FROM %Q.'%q_config' WHERE k = 'generation' AND %lld = 0", 0, &gen);
  sqlite3_stmt *dir = NULL;
  if (rc == SQLITE_OK) {
    char *sql = sqlite3_mprintf("SELECT maxrow, minrow, nrows, gen FROM %Q.'%q_chunk'"
                                " ORDER BY maxrow",
                                p->zDb, p->zName);
    rc = sql ? sqlite3_prepare_v2(p->db, sql, -1, &dir, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
  }
  sqz_column col;
  sqz_column_init(&col, &p->alloc);
  int64_t prev = 0, chunks = 0, data_rows = 0, last_max = 0;
  int have_prev = 0;
  while (rc == SQLITE_OK && sqlite3_step(dir) == SQLITE_ROW) {
    sq_chunkref c;
    chunks++;
    if (sq_chunkref_read(p, dir, &c) != SQLITE_OK) {
      problem(&r, "%s", p->base.zErrMsg ? p->base.zErrMsg + 9 : "corrupt directory row");
      continue;
    }
    if (have_prev && c.minrow <= prev)
      problem(&r, "table %s: chunk of rows %lld..%lld overlaps the one before", p->zName,
              (long long)c.minrow, (long long)c.maxrow);
    if (c.gen > gen)
      problem(&r, "table %s: chunk of rows %lld..%lld has generation %lld, past the last one",
              p->zName, (long long)c.minrow, (long long)c.maxrow, (long long)c.gen);
    prev = last_max = c.maxrow;
    have_prev = 1;
    for (int slot = 0; slot <= p->decl.ncol && rc == SQLITE_OK; slot++) {
      rc = check_slot(p, &c, slot, &col, &r);
      if (rc == SQLITE_OK && slot == 0 && col.count == c.nrows) {
        for (uint32_t i = 0; i < col.count; i++) {
          if (col.type[i] != SQZ_CLASS_INT || (i && (int64_t)col.v[i] <= (int64_t)col.v[i - 1]) ||
              (i == 0 && (int64_t)col.v[0] != c.minrow) ||
              (i + 1 == col.count && (int64_t)col.v[i] != c.maxrow)) {
            problem(&r, "table %s: chunk of rows %lld..%lld: rowids do not match the directory",
                    p->zName, (long long)c.minrow, (long long)c.maxrow);
            break;
          }
        }
      }
    }
    int64_t n = 0;
    if (rc == SQLITE_OK)
      rc = count_query(p, "SELECT count(*) FROM %Q.'%q_data' WHERE key >> 16 = %lld", c.gen, &n);
    data_rows += n;
  }
  sqlite3_finalize(dir);
  sqz_column_free(&col);
  int64_t total = 0;
  if (rc == SQLITE_OK)
    rc = count_query(p, "SELECT count(*) FROM %Q.'%q_data' WHERE %lld = 0", 0, &total);
  if (rc == SQLITE_OK && total != chunks * (p->decl.ncol + 1))
    problem(&r, "table %s: %lld data rows for %lld chunks of %d columns and rowids", p->zName,
            (long long)total, (long long)chunks, p->decl.ncol);
  (void)data_rows;
  int64_t late = 0;
  if (rc == SQLITE_OK && chunks)
    rc = count_query(p, "SELECT count(*) FROM %Q.'%q_tail' WHERE id > %lld AND dead <> 0", last_max,
                     &late);
  if (rc == SQLITE_OK && late)
    problem(&r, "table %s: %lld tombstones past the last chunk", p->zName, (long long)late);
  int64_t bad = 0;
  if (rc == SQLITE_OK)
    rc = count_query(p, "SELECT count(*) FROM %Q.'%q_tail' WHERE dead NOT IN (0, 1) OR %lld", 0,
                     &bad);
  if (rc == SQLITE_OK && bad)
    problem(&r, "table %s: %lld tail rows with a bad dead flag", p->zName, (long long)bad);
  if (r.count > CHECK_MAX_PROBLEMS)
    sqlite3_str_appendf(r.s, "\n... and %d more", r.count - CHECK_MAX_PROBLEMS);
  char *text = sqlite3_str_finish(r.s);
  if (rc != SQLITE_OK) {
    sqlite3_free(text);
    return rc;
  }
  if (r.count == 0) {
    sqlite3_free(text);
    text = sqlite3_mprintf("ok");
  }
  if (!text) return SQLITE_NOMEM;
  *out = text;
  return SQLITE_OK;
}

/* The table named by argv[0] for function fn, or NULL with an error set. */
static sq_vtab *table_arg(sqlite3_context *ctx, const char *fn, sqlite3_value *arg) {
  sq_module *m = sqlite3_user_data(ctx);
  const char *name = (const char *)sqlite3_value_text(arg);
  if (!name) {
    sqz_result_errorf(ctx, fn, "needs a table name");
    return NULL;
  }
  char *err = NULL;
  sq_vtab *p = sq_find_table(m, sqlite3_context_db_handle(ctx), name, &err);
  if (!p) {
    sqz_result_errorf(ctx, fn, "%s", err ? err : "out of memory");
    sqlite3_free(err);
  }
  return p;
}

/* Sets the result of ctx to p's error for rc. */
static void result_vtab_error(sqlite3_context *ctx, const char *fn, sq_vtab *p, int rc) {
  if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqz_result_errorf(ctx, fn, "%s", p->base.zErrMsg ? p->base.zErrMsg : sqlite3_errmsg(p->db));
  sqlite3_result_error_code(ctx, rc);
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = NULL;
}

static void check_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sq_vtab *p = table_arg(ctx, "squeeze_check", argv[0]);
  if (!p) return;
  char *text = NULL;
  int rc = sq_check(p, &text);
  if (rc != SQLITE_OK) {
    result_vtab_error(ctx, "squeeze_check", p, rc);
    return;
  }
  sqlite3_result_text(ctx, text, -1, sqlite3_free);
}

static void optimize_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sq_vtab *p = table_arg(ctx, "squeeze_optimize", argv[0]);
  if (!p) return;
  int rc = sq_flush(p, 1);
  /* one savepoint, so the rewrite is all or nothing even in autocommit */
  if (rc == SQLITE_OK) rc = sqlite3_exec(p->db, "SAVEPOINT squeeze_optimize", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    sqz_result_errorf(ctx, "squeeze_optimize", "%s", sqlite3_errmsg(p->db));
    return;
  }
  p->loaded = 0;
  int written = 0;
  rc = sq_optimize(p, &written);
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(p->db, "RELEASE squeeze_optimize", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_result_int(ctx, written);
      return;
    }
  }
  result_vtab_error(ctx, "squeeze_optimize", p, rc);
  sqlite3_exec(p->db, "ROLLBACK TO squeeze_optimize; RELEASE squeeze_optimize", NULL, NULL, NULL);
  sq_reset(p, 1);
}

/* ---- squeeze_stats ----------------------------------------------------- */

/* One output row. */
typedef struct stat_row {
  const char *name; /* column name, or "rowid" */
  const char *type; /* declared type */
  char codec[48];   /* declared codec */
  char *chosen;     /* "alp 120, gorilla 3" */
  int64_t chunks, nulls, raw, stored;
} stat_row;

typedef struct stats_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  stat_row *rows;           /* [nrows] */
  int nrows;                /* rows */
  int i;                    /* current row */
} stats_cursor;

typedef struct stats_vtab {
  sqlite3_vtab base; /* base class: must be first */
  sq_module *mod;    /* the squeeze module's data (open tables) */
  sqlite3 *db;       /* the connection */
} stats_vtab;

#define STATS_TABLE_ARG 9 /* the hidden column holding the table name */

static int stats_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                         sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(name TEXT, type TEXT, codec TEXT, chosen TEXT,"
                                    " chunks INTEGER, nulls INTEGER, raw_bytes INTEGER,"
                                    " stored_bytes INTEGER, ratio REAL, tbl HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  stats_vtab *v = sqlite3_malloc64(sizeof(*v));
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->mod = pAux;
  v->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int stats_disconnect(sqlite3_vtab *vtab) {
  sqlite3_free(vtab->zErrMsg);
  sqlite3_free(vtab);
  return SQLITE_OK;
}

/* The table name is required: a plan without tbl = ? is refused. */
static int stats_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  for (int i = 0; i < info->nConstraint; i++) {
    if (info->aConstraint[i].iColumn == STATS_TABLE_ARG &&
        info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ && info->aConstraint[i].usable) {
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 10;
      info->estimatedRows = 10;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

static int stats_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor) {
  (void)vtab;
  stats_cursor *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static void stats_clear(stats_cursor *c) {
  for (int i = 0; i < c->nrows; i++)
    sqlite3_free(c->rows[i].chosen);
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->nrows = 0;
}

static int stats_close(sqlite3_vtab_cursor *cur) {
  stats_clear((stats_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Sets the stats table's error from the squeeze table p. */
static int stats_error(sqlite3_vtab *vtab, const char *msg, int rc) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("squeeze_stats: %s", msg);
  return rc;
}

static int stats_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                        sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  stats_cursor *c = (stats_cursor *)cur;
  stats_vtab *v = (stats_vtab *)cur->pVtab;
  stats_clear(c);
  c->i = 0;
  const char *name = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : NULL;
  if (!name) return stats_error(cur->pVtab, "needs a table name", SQLITE_ERROR);
  char *err = NULL;
  sq_vtab *p = sq_find_table(v->mod, v->db, name, &err);
  if (!p) {
    int rc = stats_error(cur->pVtab, err ? err : "out of memory", SQLITE_ERROR);
    sqlite3_free(err);
    return rc;
  }
  int rc = sq_flush(p, 1);
  if (rc != SQLITE_OK) return stats_error(cur->pVtab, p->base.zErrMsg ? p->base.zErrMsg : "", rc);
  int n = p->decl.ncol + 1;
  c->rows = sqlite3_malloc64(sizeof(stat_row) * (size_t)n);
  if (!c->rows) return SQLITE_NOMEM;
  memset(c->rows, 0, sizeof(stat_row) * (size_t)n);
  c->nrows = n;
  for (int i = 0; i < n; i++) {
    stat_row *r = &c->rows[i];
    if (i == 0) {
      r->name = "rowid";
      r->type = "INTEGER";
      snprintf(r->codec, sizeof r->codec, "auto");
    } else {
      r->name = p->decl.col[i - 1].name;
      r->type = p->decl.col[i - 1].type;
      sq_decl_codec_text(&p->decl.col[i - 1], r->codec, sizeof r->codec);
    }
  }
  char *sql = sqlite3_mprintf("SELECT key & 65535, codec, count(*), sum(nnull), sum(raw),"
                              " sum(length(body)) FROM %Q.'%q_data' GROUP BY 1, 2"
                              " ORDER BY 1, 3 DESC, 2",
                              p->zDb, p->zName);
  sqlite3_stmt *s = NULL;
  rc = sql ? sqlite3_prepare_v2(v->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return stats_error(cur->pVtab, sqlite3_errmsg(v->db), rc);
  while (sqlite3_step(s) == SQLITE_ROW) {
    int slot = sqlite3_column_int(s, 0);
    if (slot < 0 || slot >= n) continue;
    stat_row *r = &c->rows[slot];
    const sqz_codec *codec = sqz_codec_by_id((unsigned)sqlite3_column_int(s, 1));
    int64_t k = sqlite3_column_int64(s, 2);
    char *chosen = sqlite3_mprintf("%s%s%s %lld", r->chosen ? r->chosen : "", r->chosen ? ", " : "",
                                   codec ? codec->name : "?", (long long)k);
    sqlite3_free(r->chosen);
    r->chosen = chosen;
    r->chunks += k;
    r->nulls += sqlite3_column_int64(s, 3);
    r->raw += sqlite3_column_int64(s, 4);
    r->stored += sqlite3_column_int64(s, 5);
  }
  rc = sqlite3_finalize(s);
  if (rc != SQLITE_OK) return stats_error(cur->pVtab, sqlite3_errmsg(v->db), rc);
  return SQLITE_OK;
}

static int stats_next(sqlite3_vtab_cursor *cur) {
  ((stats_cursor *)cur)->i++;
  return SQLITE_OK;
}

static int stats_eof(sqlite3_vtab_cursor *cur) {
  stats_cursor *c = (stats_cursor *)cur;
  return c->i >= c->nrows;
}

static int stats_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  stats_cursor *c = (stats_cursor *)cur;
  stat_row *r = &c->rows[c->i];
  switch (i) {
  case 0:
    sqlite3_result_text(ctx, r->name, -1, SQLITE_TRANSIENT);
    break;
  case 1:
    sqlite3_result_text(ctx, r->type, -1, SQLITE_STATIC);
    break;
  case 2:
    sqlite3_result_text(ctx, r->codec, -1, SQLITE_TRANSIENT);
    break;
  case 3:
    if (r->chosen) sqlite3_result_text(ctx, r->chosen, -1, SQLITE_TRANSIENT);
    break;
  case 4:
    sqlite3_result_int64(ctx, r->chunks);
    break;
  case 5:
    sqlite3_result_int64(ctx, r->nulls);
    break;
  case 6:
    sqlite3_result_int64(ctx, r->raw);
    break;
  case 7:
    sqlite3_result_int64(ctx, r->stored);
    break;
  case 8:
    if (r->stored > 0) sqlite3_result_double(ctx, (double)r->raw / (double)r->stored);
    break;
  }
  return SQLITE_OK;
}

static int stats_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((stats_cursor *)cur)->i;
  return SQLITE_OK;
}

static const sqlite3_module stats_module = {
    0,                /* iVersion */
    NULL,             /* xCreate: NULL makes it eponymous-only */
    stats_connect,    /* xConnect */
    stats_best_index, /* xBestIndex: requires tbl = ? */
    stats_disconnect, /* xDisconnect */
    NULL,             /* xDestroy */
    stats_open,       /* xOpen */
    stats_close,      /* xClose */
    stats_filter,     /* xFilter: reads the data rows' headers */
    stats_next,       /* xNext */
    stats_eof,        /* xEof */
    stats_column,     /* xColumn */
    stats_rowid,      /* xRowid */
    NULL,             /* xUpdate: read-only */
    NULL,             /* xBegin */
    NULL,             /* xSync */
    NULL,             /* xCommit */
    NULL,             /* xRollback */
    NULL,             /* xFindFunction */
    NULL,             /* xRename */
    NULL,             /* xSavepoint */
    NULL,             /* xRelease */
    NULL,             /* xRollbackTo */
    NULL,             /* xShadowName */
};

int sq_register_functions(sqlite3 *db, sq_module *m) {
  int rc = sqlite3_create_function_v2(db, "squeeze_check", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                      sq_module_ref(m), check_func, NULL, NULL, sq_module_unref);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "squeeze_optimize", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    sq_module_ref(m), optimize_func, NULL, NULL, sq_module_unref);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_module_v2(db, "squeeze_stats", &stats_module, sq_module_ref(m),
                                  sq_module_unref);
  return rc;
}

/*
** transparent.c: transparent compression of an existing table's column,
** squeeze_enable() and squeeze_disable(); maintain.c compresses the rows.
**
**   SELECT squeeze_enable('docs', 'body');                       -- zstd level 3
**   SELECT squeeze_enable('docs', 'body', 'codec=zstd,level=19');
**   SELECT squeeze_maintain();          -- compresses the rows, short transactions
**   SELECT body FROM docs WHERE id = 7; -- reads, and writes, as before
**   SELECT squeeze_disable('docs', 'body');                      -- the plain table
**
** squeeze_enable renames the table t to _squeeze_t, adds a state column per
** enabled column (NULL: stored as written, 0: kept as written, 1: a frame;
** transparent.h), and puts in t's place a view with the same columns in the
** same order, whose enabled columns decompress the rows whose state says they
** hold a frame, with INSTEAD OF triggers that write through it. Writes store
** values as given, state NULL; squeeze_maintain compresses them later. The
** state is recorded, never guessed from the bytes, so a BLOB that happens to
** look like a frame is returned as it was stored.
**
** Everything runs inside a savepoint: a call that fails changes nothing.
** Indexes, triggers and foreign keys stay on the renamed table, so the view's
** queries use the indexes as before; views and triggers elsewhere that named
** the table get their text back after the rename, so they read the view.
** What a view cannot do (last_insert_rowid, changes, UPSERT, rowid) is listed
** in docs/transparent.md.
*/
#include "register.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "transparent.h"

/* ---- The job helpers (transparent.h) ------------------------------------ */

int sqz_tp_fail(sqz_tp_job *job, int rc, const char *fmt, ...) {
  if (job->rc != SQLITE_OK) return job->rc;
  job->rc = rc;
  if (rc == SQLITE_NOMEM || !fmt) return rc;
  va_list ap;
  va_start(ap, fmt);
  job->err = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (!job->err) job->rc = SQLITE_NOMEM;
  return job->rc;
}

/* Records db's current error (code and message). */
static int fail_db(sqz_tp_job *job, int rc) {
  return sqz_tp_fail(job, rc, "%s", sqlite3_errmsg(job->db));
}

int sqz_tp_exec(sqz_tp_job *job, const char *fmt, ...) {
  if (job->rc != SQLITE_OK) return job->rc;
  va_list ap;
  va_start(ap, fmt);
  char *sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (!sql) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  char *msg = NULL;
  int rc = sqlite3_exec(job->db, sql, NULL, NULL, &msg);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) sqz_tp_fail(job, rc, "%s", msg ? msg : sqlite3_errstr(rc));
  sqlite3_free(msg);
  return job->rc;
}

int sqz_tp_prepare(sqz_tp_job *job, sqlite3_stmt **stmt, const char *fmt, ...) {
  *stmt = NULL;
  if (job->rc != SQLITE_OK) return job->rc;
  va_list ap;
  va_start(ap, fmt);
  char *sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (!sql) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  int rc = sqlite3_prepare_v2(job->db, sql, -1, stmt, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) fail_db(job, rc);
  return job->rc;
}

int sqz_tp_step(sqz_tp_job *job, sqlite3_stmt *stmt) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail_db(job, rc);
  return rc;
}

void sqz_tp_result_error(sqlite3_context *context, sqz_tp_job *job) {
  if (job->rc == SQLITE_NOMEM || !job->err) {
    sqlite3_result_error_nomem(context);
    return;
  }
  sqz_result_errorf(context, job->fn, "%s", job->err);
  sqlite3_result_error_code(context, job->rc);
}

int sqz_tp_has_config(sqz_tp_job *job, const char *schema) {
  sqlite3_stmt *st;
  if (sqz_tp_prepare(job, &st,
                     "SELECT 1 FROM \"%w\".sqlite_schema WHERE type = 'table' AND name = '%q'",
                     schema, SQZ_TP_CONFIG) != SQLITE_OK)
    return -1;
  int rc = sqz_tp_step(job, st);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* A copy of the NUL-terminated s (NULL stays NULL), or NULL with job failed. */
static char *dup_text(sqz_tp_job *job, const char *s) {
  if (!s) return NULL;
  char *p = sqlite3_mprintf("%s", s);
  if (!p) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  return p;
}

/* ---- Reading a table's shape -------------------------------------------- */

/* One column of a table, from pragma table_xinfo. */
typedef struct tp_col {
  char *name;  /* as declared */
  char *type;  /* the declared type, "" when none */
  char *dflt;  /* the DEFAULT expression's text, or NULL */
  int pk;      /* position in the PRIMARY KEY from 1, 0 when not in it */
  int hidden;  /* 0 an ordinary column, 2 or 3 a generated column */
  int enabled; /* compressed by squeeze (set by the caller) */
  int state;   /* one of squeeze's state columns (set by the caller) */
} tp_col;

/* A table's columns and key. */
typedef struct tp_table {
  tp_col *cols;
  int ncol;
  int ipk;         /* the INTEGER PRIMARY KEY column (the rowid's alias), or -1 */
  int npk;         /* columns in the PRIMARY KEY */
  int strict;      /* a STRICT table */
  int without_row; /* a WITHOUT ROWID table */
} tp_table;

static void table_free(tp_table *t) {
  for (int i = 0; i < t->ncol; i++) {
    sqlite3_free(t->cols[i].name);
    sqlite3_free(t->cols[i].type);
    sqlite3_free(t->cols[i].dflt);
  }
  sqlite3_free(t->cols);
  memset(t, 0, sizeof *t);
}

/* Reads the columns, key and flags of schema.name (a table) into *t. */
static int table_read(sqz_tp_job *job, const char *schema, const char *name, tp_table *t) {
  memset(t, 0, sizeof *t);
  t->ipk = -1;
  sqlite3_stmt *st;
  sqz_tp_prepare(job, &st,
                 "SELECT name, type, dflt_value, pk, hidden FROM pragma_table_xinfo(%Q, %Q) "
                 "ORDER BY cid",
                 name, schema);
  while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    tp_col *cols = sqlite3_realloc64(t->cols, (sqlite3_uint64)(t->ncol + 1) * sizeof *cols);
    if (!cols) {
      sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      break;
    }
    t->cols = cols;
    tp_col *c = &cols[t->ncol++];
    memset(c, 0, sizeof *c);
    c->name = dup_text(job, (const char *)sqlite3_column_text(st, 0));
    c->type = dup_text(job, sqlite3_column_type(st, 1) == SQLITE_NULL
                                ? ""
                                : (const char *)sqlite3_column_text(st, 1));
    c->dflt = dup_text(job, (const char *)sqlite3_column_text(st, 2));
    c->pk = sqlite3_column_int(st, 3);
    c->hidden = sqlite3_column_int(st, 4);
    if (c->pk) t->npk++;
  }
  sqlite3_finalize(st);
  /* A one-column PRIMARY KEY is the rowid's alias when it has no index of
  ** its own (INTEGER PRIMARY KEY; "INT PRIMARY KEY" or DESC make an index). */
  if (job->rc == SQLITE_OK && t->npk == 1) {
    sqz_tp_prepare(job, &st, "SELECT 1 FROM pragma_index_list(%Q, %Q) WHERE origin = 'pk'", name,
                   schema);
    if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_DONE) {
      for (int i = 0; i < t->ncol; i++)
        if (t->cols[i].pk) t->ipk = i;
    }
    sqlite3_finalize(st);
  }
  sqz_tp_prepare(job, &st, "SELECT wr, strict FROM pragma_table_list(%Q) WHERE schema = %Q", name,
                 schema);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    t->without_row = sqlite3_column_int(st, 0);
    t->strict = sqlite3_column_int(st, 1);
  }
  sqlite3_finalize(st);
  return job->rc;
}

/* The column of t named name (case-insensitively), or -1. */
static int table_find(const tp_table *t, const char *name) {
  for (int i = 0; i < t->ncol; i++)
    if (sqlite3_stricmp(t->cols[i].name, name) == 0) return i;
  return -1;
}

/* The affinity of a declared type (datatype3.html 3.1): 'I'nteger, 'T'ext,
** 'B'lob, 'R'eal or 'N'umeric. */
static char type_affinity(const char *type) {
  if (sqlite3_strlike("%INT%", type, 0) == 0) return 'I';
  if (sqlite3_strlike("%CHAR%", type, 0) == 0 || sqlite3_strlike("%CLOB%", type, 0) == 0 ||
      sqlite3_strlike("%TEXT%", type, 0) == 0)
    return 'T';
  if (type[0] == 0 || sqlite3_strlike("%BLOB%", type, 0) == 0) return 'B';
  if (sqlite3_strlike("%REAL%", type, 0) == 0 || sqlite3_strlike("%FLOA%", type, 0) == 0 ||
      sqlite3_strlike("%DOUB%", type, 0) == 0)
    return 'R';
  return 'N';
}

/* ---- The configuration table --------------------------------------------- */

static int config_create(sqz_tp_job *job, const char *schema) {
  return sqz_tp_exec(job, SQZ_TP_CONFIG_SCHEMA, schema, SQZ_TP_CONFIG);
}

/* The enabled columns of schema's table tbl, from the configuration table,
** marked in t (columns of the backing table): enabled, and their state
** columns as state. Returns the number of enabled columns. */
static int config_mark(sqz_tp_job *job, const char *schema, const char *tbl, tp_table *t) {
  sqlite3_stmt *st;
  int n = 0;
  sqz_tp_prepare(job, &st, "SELECT col FROM \"%w\".%s WHERE tbl = %Q COLLATE NOCASE", schema,
                 SQZ_TP_CONFIG, tbl);
  while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    const char *col = (const char *)sqlite3_column_text(st, 0);
    int i = col ? table_find(t, col) : -1;
    char *state = sqlite3_mprintf(SQZ_TP_PREFIX "%s", col ? col : "");
    int s = state ? table_find(t, state) : -1;
    sqlite3_free(state);
    if (i < 0 || s < 0) {
      sqz_tp_fail(job, SQLITE_CORRUPT, "table %s has no column %s or " SQZ_TP_PREFIX "%s", tbl,
                  col ? col : "", col ? col : "");
      break;
    }
    t->cols[i].enabled = 1;
    t->cols[s].state = 1;
    n++;
  }
  sqlite3_finalize(st);
  return n;
}

/* ---- The view and its triggers ------------------------------------------- */

/* The collation of schema.tbl.col into *coll (static in SQLite, never NULL). */
static int column_collation(sqz_tp_job *job, const char *schema, const char *tbl, const char *col,
                            const char **coll) {
  *coll = "BINARY";
  if (job->rc != SQLITE_OK) return job->rc;
  int rc = sqlite3_table_column_metadata(job->db, schema, tbl, col, NULL, coll, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return fail_db(job, rc);
  if (!*coll) *coll = "BINARY";
  return SQLITE_OK;
}

/* A name for the rowid that no column of t takes ("rowid", "_rowid_" or "oid"). */
static const char *rowid_name(const tp_table *t) {
  static const char *const names[] = {"rowid", "_rowid_", "oid"};
  for (int i = 0; i < 3; i++)
    if (table_find(t, names[i]) < 0) return names[i];
  return "rowid";
}

/* Appends to s the condition that finds the backing table's row of the view's
** row old: the INTEGER PRIMARY KEY or every PRIMARY KEY column. */
static void append_key(sqlite3_str *s, const tp_table *t) {
  const char *sep = "";
  for (int i = 0; i < t->ncol; i++) {
    if (!(t->ipk == i || (t->ipk < 0 && t->cols[i].pk))) continue;
    sqlite3_str_appendf(s, "%s\"%w\" = old.\"%w\"", sep, t->cols[i].name, t->cols[i].name);
    sep = " AND ";
  }
}

/* Finishes s into SQL and runs it; records failures in job. */
static int exec_str(sqz_tp_job *job, sqlite3_str *s) {
  int rc = sqlite3_str_errcode(s);
  char *sql = sqlite3_str_finish(s);
  if (rc != SQLITE_OK || !sql) {
    sqlite3_free(sql);
    return sqz_tp_fail(job, rc == SQLITE_OK ? SQLITE_NOMEM : rc, NULL);
  }
  sqz_tp_exec(job, "%s", sql);
  sqlite3_free(sql);
  return job->rc;
}

/* Creates (again) the view schema.tbl over schema._squeeze_tbl with its
** INSTEAD OF triggers, and the guard trigger of each enabled column, from the
** backing table's columns and the configuration table. The column skip
** (NULL: none), about to be dropped, is left out. */
static int rebuild_view(sqz_tp_job *job, const char *schema, const char *tbl, const char *skip) {
  char *backing = sqlite3_mprintf(SQZ_TP_PREFIX "%s", tbl);
  if (!backing) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  tp_table t;
  table_read(job, schema, backing, &t);
  config_mark(job, schema, tbl, &t);
  int skipped = skip ? table_find(&t, skip) : -1;
  if (skipped >= 0) t.cols[skipped].state = 1;
  if (job->rc == SQLITE_OK && t.ipk < 0 && t.npk == 0)
    sqz_tp_fail(job, SQLITE_ERROR, "table %s has no PRIMARY KEY", backing);
  sqz_tp_exec(job, "DROP VIEW IF EXISTS \"%w\".\"%w\"", schema, tbl);

  /* The view: every column but the state columns, in the table's order. */
  sqlite3_str *s = sqlite3_str_new(job->db);
  sqlite3_str_appendf(s, "CREATE VIEW \"%w\".\"%w\" AS SELECT ", schema, tbl);
  const char *sep = "";
  for (int i = 0; i < t.ncol && job->rc == SQLITE_OK; i++) {
    tp_col *c = &t.cols[i];
    if (c->state) continue;
    if (c->enabled) {
      const char *coll;
      column_collation(job, schema, backing, c->name, &coll);
      sqlite3_str_appendf(s,
                          "%sCASE WHEN \"" SQZ_TP_PREFIX "%w\" THEN decompress(\"%w\") "
                          "ELSE \"%w\" END",
                          sep, c->name, c->name, c->name);
      if (sqlite3_stricmp(coll, "BINARY") != 0) sqlite3_str_appendf(s, " COLLATE \"%w\"", coll);
      sqlite3_str_appendf(s, " AS \"%w\"", c->name);
    } else {
      sqlite3_str_appendf(s, "%s\"%w\" AS \"%w\"", sep, c->name, c->name);
    }
    sep = ", ";
  }
  sqlite3_str_appendf(s, " FROM \"%w\"", backing);
  exec_str(job, s);

  /* INSERT: the values as given (defaults for NULLs, see docs), state NULL. */
  s = sqlite3_str_new(job->db);
  sqlite3_str_appendf(s,
                      "CREATE TRIGGER \"%w\".\"" SQZ_TP_PREFIX "%w_insert\" INSTEAD OF INSERT ON "
                      "\"%w\" BEGIN INSERT INTO \"%w\"(",
                      schema, tbl, tbl, backing);
  sep = "";
  for (int i = 0; i < t.ncol; i++) {
    if (t.cols[i].state || t.cols[i].hidden) continue;
    sqlite3_str_appendf(s, "%s\"%w\"", sep, t.cols[i].name);
    sep = ", ";
  }
  sqlite3_str_appendall(s, ") VALUES (");
  sep = "";
  for (int i = 0; i < t.ncol; i++) {
    tp_col *c = &t.cols[i];
    if (c->state || c->hidden) continue;
    if (c->dflt && sqlite3_stricmp(c->dflt, "NULL") != 0)
      sqlite3_str_appendf(s, "%scoalesce(new.\"%w\", %s)", sep, c->name, c->dflt);
    else
      sqlite3_str_appendf(s, "%snew.\"%w\"", sep, c->name);
    sep = ", ";
  }
  sqlite3_str_appendall(s, "); END");
  exec_str(job, s);

  /* UPDATE: every column; an enabled column keeps its stored form (and state)
  ** when its value is unchanged, byte for byte and type for type. */
  s = sqlite3_str_new(job->db);
  sqlite3_str_appendf(s,
                      "CREATE TRIGGER \"%w\".\"" SQZ_TP_PREFIX "%w_update\" INSTEAD OF UPDATE ON "
                      "\"%w\" BEGIN UPDATE \"%w\" SET ",
                      schema, tbl, tbl, backing);
  sep = "";
  for (int i = 0; i < t.ncol; i++) {
    tp_col *c = &t.cols[i];
    if (c->state || c->hidden) continue;
    if (c->enabled) {
      const char *n = c->name;
      sqlite3_str_appendf(s,
                          "%s\"%w\" = CASE WHEN typeof(new.\"%w\") = typeof(old.\"%w\") AND "
                          "new.\"%w\" = old.\"%w\" COLLATE BINARY THEN \"%w\" ELSE new.\"%w\" END, "
                          "\"" SQZ_TP_PREFIX "%w\" = CASE WHEN typeof(new.\"%w\") = "
                          "typeof(old.\"%w\") AND new.\"%w\" = old.\"%w\" COLLATE BINARY THEN "
                          "\"" SQZ_TP_PREFIX "%w\" END",
                          sep, n, n, n, n, n, n, n, n, n, n, n, n, n);
    } else {
      sqlite3_str_appendf(s, "%s\"%w\" = new.\"%w\"", sep, c->name, c->name);
    }
    sep = ", ";
  }
  sqlite3_str_appendall(s, " WHERE ");
  append_key(s, &t);
  sqlite3_str_appendall(s, "; END");
  exec_str(job, s);

  /* DELETE */
  s = sqlite3_str_new(job->db);
  sqlite3_str_appendf(s,
                      "CREATE TRIGGER \"%w\".\"" SQZ_TP_PREFIX "%w_delete\" INSTEAD OF DELETE ON "
                      "\"%w\" BEGIN DELETE FROM \"%w\" WHERE ",
                      schema, tbl, tbl, backing);
  append_key(s, &t);
  sqlite3_str_appendall(s, "; END");
  exec_str(job, s);

  /* Guards: a value written to the backing table directly, not through the
  ** view, while its state says frame or kept, becomes "as written". */
  const char *rowid = rowid_name(&t);
  for (int i = 0; i < t.ncol && job->rc == SQLITE_OK; i++) {
    if (!t.cols[i].enabled) continue;
    const char *n = t.cols[i].name;
    sqz_tp_exec(job, "DROP TRIGGER IF EXISTS \"%w\".\"" SQZ_TP_PREFIX "%w_%w_guard\"", schema, tbl,
                n);
    sqz_tp_exec(job,
                "CREATE TRIGGER \"%w\".\"" SQZ_TP_PREFIX "%w_%w_guard\" AFTER UPDATE OF \"%w\" "
                "ON \"%w\" WHEN new.\"" SQZ_TP_PREFIX "%w\" IS old.\"" SQZ_TP_PREFIX "%w\" AND "
                "new.\"" SQZ_TP_PREFIX "%w\" IS NOT NULL AND NOT (typeof(new.\"%w\") = "
                "typeof(old.\"%w\") AND new.\"%w\" = old.\"%w\" COLLATE BINARY) BEGIN "
                "UPDATE \"%w\" SET \"" SQZ_TP_PREFIX "%w\" = NULL WHERE %s = new.%s; END",
                schema, tbl, n, n, backing, n, n, n, n, n, n, n, backing, n, rowid, rowid);
  }
  table_free(&t);
  sqlite3_free(backing);
  return job->rc;
}

/* Whether hay contains needle, ASCII letters compared without case. */
static int contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0) return 1;
  return n == 0;
}

/* ---- Views and triggers elsewhere ----------------------------------------
** ALTER TABLE t RENAME rewrites every view and trigger that names t, so that
** after squeeze_enable they would read _squeeze_t (frames) instead of the view.
** A snapshot taken before the rename gives them their text back. */

typedef struct tp_object {
  char *schema, *type, *name, *tbl, *sql;
} tp_object;

typedef struct tp_snapshot {
  tp_object *obj;
  int n;
} tp_snapshot;

static void snapshot_free(tp_snapshot *s) {
  for (int i = 0; i < s->n; i++) {
    sqlite3_free(s->obj[i].schema);
    sqlite3_free(s->obj[i].type);
    sqlite3_free(s->obj[i].name);
    sqlite3_free(s->obj[i].tbl);
    sqlite3_free(s->obj[i].sql);
  }
  sqlite3_free(s->obj);
  memset(s, 0, sizeof *s);
}

/* Every view, and every trigger not on table except, of schema and of temp. */
static int snapshot_take(sqz_tp_job *job, const char *schema, const char *except,
                         tp_snapshot *snap) {
  memset(snap, 0, sizeof *snap);
  sqlite3_stmt *st;
  sqz_tp_prepare(job, &st,
                 "SELECT %Q, type, name, tbl_name, sql FROM \"%w\".sqlite_schema "
                 "WHERE sql IS NOT NULL AND (type = 'view' OR (type = 'trigger' AND tbl_name <> %Q "
                 "COLLATE NOCASE)) "
                 "UNION ALL SELECT 'temp', type, name, tbl_name, sql FROM temp.sqlite_schema "
                 "WHERE sql IS NOT NULL AND type IN ('view', 'trigger') AND %Q <> 'temp'",
                 schema, schema, except, schema);
  while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    tp_object *o = sqlite3_realloc64(snap->obj, (sqlite3_uint64)(snap->n + 1) * sizeof *o);
    if (!o) {
      sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      break;
    }
    snap->obj = o;
    o = &o[snap->n++];
    memset(o, 0, sizeof *o);
    o->schema = dup_text(job, (const char *)sqlite3_column_text(st, 0));
    o->type = dup_text(job, (const char *)sqlite3_column_text(st, 1));
    o->name = dup_text(job, (const char *)sqlite3_column_text(st, 2));
    o->tbl = dup_text(job, (const char *)sqlite3_column_text(st, 3));
    o->sql = dup_text(job, (const char *)sqlite3_column_text(st, 4));
  }
  sqlite3_finalize(st);
  return job->rc;
}

/* The current SQL of o (sqlite3_malloc'd), or NULL when it no longer exists. */
static char *object_sql(sqz_tp_job *job, const tp_object *o) {
  sqlite3_stmt *st;
  char *sql = NULL;
  sqz_tp_prepare(job, &st, "SELECT sql FROM \"%w\".sqlite_schema WHERE type = %Q AND name = %Q",
                 o->schema, o->type, o->name);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    sql = dup_text(job, (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return sql;
}

/* Marks in redo the triggers of the views marked there: dropping a view
** drops its triggers. */
static void mark_view_triggers(tp_snapshot *snap, char *redo) {
  for (int i = 0; i < snap->n; i++) {
    if (!redo[i] || strcmp(snap->obj[i].type, "view") != 0) continue;
    for (int j = 0; j < snap->n; j++)
      if (strcmp(snap->obj[j].type, "trigger") == 0 &&
          strcmp(snap->obj[j].schema, snap->obj[i].schema) == 0 &&
          sqlite3_stricmp(snap->obj[j].tbl, snap->obj[i].name) == 0)
        redo[j] = 1;
  }
}

/* Drops the objects of snap marked in redo (triggers first). */
static int snapshot_drop(sqz_tp_job *job, tp_snapshot *snap, const char *redo) {
  for (int pass = 0; pass < 2; pass++) { /* drop triggers, then views */
    for (int i = 0; i < snap->n; i++) {
      tp_object *o = &snap->obj[i];
      if (redo[i] && (strcmp(o->type, "trigger") == 0) == (pass == 0))
        sqz_tp_exec(job, "DROP %s IF EXISTS \"%w\".\"%w\"", pass == 0 ? "TRIGGER" : "VIEW",
                    o->schema, o->name);
    }
  }
  return job->rc;
}

/* Creates the objects of snap marked in redo from their text (views first). */
static int snapshot_create(sqz_tp_job *job, tp_snapshot *snap, const char *redo) {
  for (int pass = 0; pass < 2; pass++) { /* create views, then triggers */
    for (int i = 0; i < snap->n; i++) {
      tp_object *o = &snap->obj[i];
      if (!redo[i] || (strcmp(o->type, "view") == 0) != (pass == 0)) continue;
      /* The text names no schema; it is created in the schema it came from. */
      if (strcmp(o->schema, "temp") == 0 || strcmp(o->schema, "main") == 0) {
        sqz_tp_exec(job, "%s", o->sql);
      } else {
        sqz_tp_fail(job, SQLITE_ERROR,
                    "cannot restore %s %s of schema %s after renaming (attach it as main)", o->type,
                    o->name, o->schema);
      }
    }
  }
  return job->rc;
}

/* Gives every object of snap whose text changed its text back. */
static int snapshot_restore(sqz_tp_job *job, tp_snapshot *snap) {
  char *redo = sqlite3_malloc64((sqlite3_uint64)snap->n + 1);
  if (!redo) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  memset(redo, 0, (size_t)snap->n + 1);
  for (int i = 0; i < snap->n && job->rc == SQLITE_OK; i++) {
    char *now = object_sql(job, &snap->obj[i]);
    if (now && strcmp(now, snap->obj[i].sql) != 0) redo[i] = 1;
    sqlite3_free(now);
  }
  mark_view_triggers(snap, redo);
  snapshot_drop(job, snap, redo);
  snapshot_create(job, snap, redo);
  sqlite3_free(redo);
  return job->rc;
}

/* Renames schema.backing back to tbl once squeeze's view tbl is gone. SQLite
** checks every view and trigger while it renames, and those that name tbl
** would fail, so they are dropped first and created again afterwards from
** their text (every object whose text contains tbl and not backing: a
** superset of those that name it). */
static int rename_back(sqz_tp_job *job, const char *schema, const char *backing, const char *tbl) {
  tp_snapshot snap;
  snapshot_take(job, schema, backing, &snap);
  char *redo = sqlite3_malloc64((sqlite3_uint64)snap.n + 1);
  if (!redo) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  if (job->rc == SQLITE_OK) {
    memset(redo, 0, (size_t)snap.n + 1);
    for (int i = 0; i < snap.n; i++)
      redo[i] = contains_nocase(snap.obj[i].sql, tbl) && !contains_nocase(snap.obj[i].sql, backing);
    mark_view_triggers(&snap, redo);
    snapshot_drop(job, &snap, redo);
    sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" RENAME TO \"%w\"", schema, backing, tbl);
    snapshot_create(job, &snap, redo);
  }
  sqlite3_free(redo);
  snapshot_free(&snap);
  return job->rc;
}

/* ---- Arguments ----------------------------------------------------------- */

/* Splits the table argument "table" or "schema.table" into a schema of db
** and a table name. *schema and *table are sqlite3_malloc'd. */
static int resolve_table(sqz_tp_job *job, const char *arg, char **schema, char **table) {
  *schema = *table = NULL;
  const char *dot = strchr(arg, '.');
  if (dot && dot != arg && dot[1]) {
    sqlite3_stmt *st;
    sqz_tp_prepare(job, &st,
                   "SELECT name FROM pragma_database_list WHERE name = %.*Q COLLATE NOCASE",
                   (int)(dot - arg), arg);
    if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
      *schema = dup_text(job, (const char *)sqlite3_column_text(st, 0));
      *table = dup_text(job, dot + 1);
    }
    sqlite3_finalize(st);
    if (*schema || job->rc != SQLITE_OK) return job->rc;
  }
  *schema = dup_text(job, "main");
  *table = dup_text(job, arg);
  return job->rc;
}

/* What schema.name is: 't'able, 'v'iew, virtual table ('x'), or 0 when
** nothing of that name exists. *canonical receives the name as declared. */
static char object_kind(sqz_tp_job *job, const char *schema, const char *name, char **canonical) {
  sqlite3_stmt *st;
  char kind = 0;
  *canonical = NULL;
  sqz_tp_prepare(job, &st,
                 "SELECT type, name, sql LIKE 'CREATE VIRTUAL%%' FROM \"%w\".sqlite_schema "
                 "WHERE name = %Q COLLATE NOCASE AND type IN ('table', 'view')",
                 schema, name);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(st, 0);
    kind = sqlite3_column_int(st, 2) ? 'x' : type && type[0] == 'v' ? 'v' : 't';
    *canonical = dup_text(job, (const char *)sqlite3_column_text(st, 1));
  }
  sqlite3_finalize(st);
  return kind;
}

/* Text of argv[i] for fn, or NULL with job failed (NULL or not text). */
static const char *text_arg(sqz_tp_job *job, sqlite3_value **argv, int i, const char *what) {
  if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) {
    sqz_tp_fail(job, SQLITE_ERROR, "%s must be a name (TEXT), not %s", what,
                sqz_type_name(sqlite3_value_type(argv[i])));
    return NULL;
  }
  const char *s = (const char *)sqlite3_value_text(argv[i]);
  if (!s) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  return s;
}

/* squeeze_enable's options. */
enum { OPT_CODEC, OPT_LEVEL, OPT_CHECKSUM, OPT_DICT, OPT_DICT_BY, OPT_DICT_SIZE, OPT_COUNT };

typedef struct enable_options {
  const sqz_codec *codec;
  int level;
  int checksum;
  char dict[SQZ_TP_DICT_NAME_MAX + 1]; /* "" none, "auto", or a dictionary's name */
  char *dict_by;                       /* the expression, or NULL (sqlite3_malloc'd) */
  int64_t dict_size;                   /* the most bytes of a trained dictionary */
} enable_options;

/* Parses the options text (NULL: defaults) into *o, which the caller zeroed
** (and frees o->dict_by of, whatever happens). */
static int parse_options(sqz_tp_job *job, const char *text, enable_options *o) {
  static const sqz_opt spec[OPT_COUNT] = {
      {"codec", SQZ_OPT_TEXT, 0, 32, NULL},
      {"level", SQZ_OPT_INT, INT64_MIN, INT64_MAX, NULL},
      {"checksum", SQZ_OPT_BOOL, 0, 1, NULL},
      {"dict", SQZ_OPT_TEXT, 0, SQZ_TP_DICT_NAME_MAX, NULL},
      {"dict_by", SQZ_OPT_EXPR, 0, 4000, NULL},
      {"dict_size", SQZ_OPT_SIZE, 256, 1 << 20, NULL},
  };
  sqz_opt_value v[OPT_COUNT];
  memset(v, 0, sizeof v);
  char err[SQZ_OPT_ERROR_MAX];
  if (text && sqz_options_parse(text, spec, OPT_COUNT, v, err, sizeof err) != 0)
    return sqz_tp_fail(job, SQLITE_ERROR, "%s", err);
  o->checksum = !(v[OPT_CHECKSUM].set && !v[OPT_CHECKSUM].v);
  o->dict_size = v[OPT_DICT_SIZE].set ? v[OPT_DICT_SIZE].v : SQZ_TP_DICT_SIZE;
  if (v[OPT_DICT].set) {
    memcpy(o->dict, v[OPT_DICT].text, (size_t)v[OPT_DICT].v);
    o->dict[v[OPT_DICT].v] = 0;
    if (sqlite3_stricmp(o->dict, "none") == 0) o->dict[0] = 0;
    if (sqlite3_stricmp(o->dict, "auto") == 0) memcpy(o->dict, "auto", 5);
  }
  if (v[OPT_DICT_BY].set) {
    if (v[OPT_DICT].set && strcmp(o->dict, "auto") != 0)
      return sqz_tp_fail(job, SQLITE_ERROR,
                         "dict_by trains a dictionary per group (dict=auto); it cannot be "
                         "combined with dict=%.*s",
                         (int)v[OPT_DICT].v, v[OPT_DICT].text);
    memcpy(o->dict, "auto", 5);
    o->dict_by = sqlite3_mprintf("%.*s", (int)v[OPT_DICT_BY].v, v[OPT_DICT_BY].text);
    if (!o->dict_by) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  }
  o->codec = &sqz_codec_zstd;
  if (v[OPT_CODEC].set) {
    char name[40];
    snprintf(name, sizeof name, "%.*s", (int)v[OPT_CODEC].v, v[OPT_CODEC].text);
    o->codec = sqz_codec_by_name(name);
    if (!o->codec) {
      char names[512];
      return sqz_tp_fail(job, SQLITE_ERROR, "unknown codec '%s' (known: %s)", name,
                         sqz_codec_names(names, sizeof names));
    }
    if (o->codec->kind != SQZ_KIND_BYTES)
      return sqz_tp_fail(job, SQLITE_ERROR,
                         "codec '%s' compresses %s values; a column needs a codec for any bytes "
                         "(zstd, lz4, lz4hc, ...)",
                         o->codec->name, sqz_kind_name(o->codec->kind));
  }
  int64_t level = o->codec->default_level;
  if (v[OPT_LEVEL].set) {
    level = v[OPT_LEVEL].v;
    if (level < o->codec->min_level || level > o->codec->max_level)
      return sqz_tp_fail(job, SQLITE_ERROR, "level %lld out of range for %s (%d..%d)",
                         (long long)level, o->codec->name, o->codec->min_level,
                         o->codec->max_level);
  }
  o->level = (int)level;
  if (o->dict[0] && !o->codec->decompress_dict)
    return sqz_tp_fail(job, SQLITE_ERROR,
                       "codec '%s' takes no dictionary (dictionaries work with zstd and lz4)",
                       o->codec->name);
  if (o->dict[0] && o->codec->id == SQZ_ID_LZ4 && level > 2)
    return sqz_tp_fail(job, SQLITE_ERROR,
                       "a dictionary takes lz4 levels 1 and 2 (LZ4's fast compressor), not %lld",
                       (long long)level);
  return SQLITE_OK;
}

/* ---- squeeze_enable ------------------------------------------------------ */

/* Counts the occurrences of needle in hay. */
static int count_in(const char *hay, const char *needle) {
  int n = 0;
  size_t len = strlen(needle);
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += len)
    n++;
  return n;
}

/* The event of a trigger's CREATE text: 'I'nsert, 'D'elete, 'U'pdate of
** every column, 'O' update OF a column list, or 0 when it does not parse. */
static char trigger_event(const char *sql) {
  const char *p = sql;
  int after_name = 0;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if (*p == '-' && p[1] == '-') {
      while (*p && *p != '\n')
        p++;
      continue;
    }
    if (*p == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      p = e ? e + 2 : p + strlen(p);
      continue;
    }
    if (*p == '"' || *p == '`' || *p == '[' || *p == '\'') {
      char close = *p == '[' ? ']' : *p;
      for (p++; *p; p++) {
        if (*p == close) {
          if (close != ']' && p[1] == close) {
            p++;
            continue;
          }
          p++;
          break;
        }
      }
      after_name = 1;
      continue;
    }
    const char *w = p;
    while (*p && (((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                  (unsigned char)*p >= 0x80 || *p == '$'))
      p++;
    size_t n = (size_t)(p - w);
    if (n == 0) {
      if (*p == '.') after_name = 0; /* schema.name: the name follows */
      if (*p) p++;
      continue;
    }
#define IS(word) (n == sizeof(word) - 1 && strncasecmp(w, word, n) == 0)
    if (IS("CREATE") || IS("TEMP") || IS("TEMPORARY") || IS("TRIGGER") || IS("IF") || IS("NOT") ||
        IS("EXISTS") || IS("BEFORE") || IS("AFTER") || IS("INSTEAD")) {
      continue;
    }
    if (IS("OF") && !after_name) continue;
    if (after_name && IS("INSERT")) return 'I';
    if (after_name && IS("DELETE")) return 'D';
    if (after_name && IS("UPDATE")) {
      const char *q = p;
      while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
        q++;
      return strncasecmp(q, "OF", 2) == 0 && !((q[2] | 32) >= 'a' && (q[2] | 32) <= 'z') ? 'O'
                                                                                         : 'U';
    }
    if (IS("OF")) continue; /* INSTEAD OF */
    after_name = 1;         /* the trigger's name */
#undef IS
  }
  return 0;
}

/* The name the probe below renames col to: col with its letters in
** alternating case (bOdY), unlike its declared spelling, so that the views
** that select col keep a column of the same name (names match without
** case); a column without letters takes another name. sqlite3_malloc'd. */
static char *probe_name(const char *col) {
  for (int start = 0; start < 2; start++) {
    char *p = sqlite3_mprintf("%s", col);
    if (!p) return NULL;
    int letters = 0;
    for (char *q = p; *q; q++) {
      if ((*q | 32) >= 'a' && (*q | 32) <= 'z') {
        *q = (char)(letters++ % 2 == start ? (*q & ~32) : (*q | 32));
      }
    }
    if (letters == 0) {
      sqlite3_free(p);
      return sqlite3_mprintf("_squeeze_probe_column");
    }
    if (strcmp(p, col) != 0) return p;
    sqlite3_free(p);
  }
  return NULL; /* not reached: the two patterns differ in every letter */
}

/* Refuses a column that squeeze cannot compress behind a view: one that an
** index, a constraint or a generated column of the table uses, or that a
** trigger of the table reads; and a table with an UPDATE trigger that
** squeeze_maintain's rewrites would fire. Learns what uses the column by
** renaming it in a savepoint that is rolled back: SQLite rewrites every use,
** and the uses are the spellings of the new name that appear. */
static int check_uses(sqz_tp_job *job, const char *schema, const char *tbl, const char *col,
                      const char *shown) {
  char *probe = probe_name(col);
  if (!probe) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  /* The table's objects and how often the new name appears in each before. */
  tp_snapshot before = {0};
  sqlite3_stmt *st = NULL;
  sqz_tp_prepare(job, &st,
                 "SELECT %Q, type, name, tbl_name, sql FROM \"%w\".sqlite_schema "
                 "WHERE tbl_name = %Q AND sql IS NOT NULL",
                 schema, schema, tbl);
  while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    tp_object *o = sqlite3_realloc64(before.obj, (sqlite3_uint64)(before.n + 1) * sizeof *o);
    if (!o) {
      sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      break;
    }
    before.obj = o;
    o = &o[before.n++];
    memset(o, 0, sizeof *o);
    o->schema = dup_text(job, (const char *)sqlite3_column_text(st, 0));
    o->type = dup_text(job, (const char *)sqlite3_column_text(st, 1));
    o->name = dup_text(job, (const char *)sqlite3_column_text(st, 2));
    o->tbl = dup_text(job, (const char *)sqlite3_column_text(st, 3));
    o->sql = dup_text(job, (const char *)sqlite3_column_text(st, 4));
  }
  sqlite3_finalize(st);
  if (job->rc != SQLITE_OK) goto done;
  sqz_tp_exec(job, "SAVEPOINT _squeeze_probe");
  if (job->rc != SQLITE_OK) goto done;
  sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" RENAME COLUMN \"%w\" TO \"%w\"", schema, tbl, col,
              probe);
  for (int i = 0; i < before.n && job->rc == SQLITE_OK; i++) {
    tp_object *o = &before.obj[i];
    char *after = object_sql(job, o);
    int uses = after ? count_in(after, probe) - count_in(o->sql, probe) : 0;
    sqlite3_free(after);
    if (strcmp(o->type, "table") == 0 && uses > 1) {
      sqz_tp_fail(job, SQLITE_ERROR,
                  "column %s of %s is used by a constraint or a generated column of the "
                  "table, which would see compressed bytes",
                  col, shown);
    } else if (strcmp(o->type, "index") == 0 && uses > 0) {
      sqz_tp_fail(job, SQLITE_ERROR,
                  "column %s of %s is in index %s (an index of compressed bytes finds "
                  "nothing); drop the index first",
                  col, shown, o->name);
    } else if (strcmp(o->type, "trigger") == 0 && strncmp(o->name, SQZ_TP_PREFIX, 9) != 0) {
      if (uses > 0) {
        sqz_tp_fail(job, SQLITE_ERROR,
                    "trigger %s of %s uses column %s, which it would see compressed; drop the "
                    "trigger first",
                    o->name, shown, col);
      } else if (trigger_event(o->sql) == 'U') {
        sqz_tp_fail(job, SQLITE_ERROR,
                    "trigger %s fires on every UPDATE of %s, so squeeze_maintain's rewrites of "
                    "%s would fire it; make it UPDATE OF the columns it watches",
                    o->name, shown, col);
      }
    }
  }
  /* Roll the probe back whatever happened, keeping the first error. */
  int rc = job->rc;
  char *err = job->err;
  job->rc = SQLITE_OK;
  job->err = NULL;
  sqz_tp_exec(job, "ROLLBACK TO _squeeze_probe; RELEASE _squeeze_probe");
  if (rc != SQLITE_OK) {
    sqlite3_free(job->err);
    job->rc = rc;
    job->err = err;
  }
done:
  snapshot_free(&before);
  sqlite3_free(probe);
  return job->rc;
}

/* The number of rows of schema.tbl, or -1 with job failed. */
static sqlite3_int64 count_rows(sqz_tp_job *job, const char *schema, const char *tbl) {
  sqlite3_stmt *st;
  sqlite3_int64 n = -1;
  sqz_tp_prepare(job, &st, "SELECT count(*) FROM \"%w\".\"%w\"", schema, tbl);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* The body of squeeze_enable inside its savepoint. Returns the number of
** rows that squeeze_maintain will look at. */
static sqlite3_int64 enable(sqz_tp_job *job, const char *schema, const char *arg_table,
                            const char *arg_col, const enable_options *o, const char *shown) {
  char *tbl = NULL, *backing = NULL, *cbacking = NULL, *col = NULL;
  tp_table t = {0};
  tp_snapshot snap = {0};
  sqlite3_int64 rows = -1;

  config_create(job, schema);
  /* Already enabled: the table, or the column. */
  sqlite3_stmt *st;
  int table_enabled = 0;
  sqz_tp_prepare(job, &st,
                 "SELECT tbl, col FROM \"%w\".%s WHERE tbl = %Q COLLATE NOCASE ORDER BY col = %Q "
                 "COLLATE NOCASE DESC",
                 schema, SQZ_TP_CONFIG, arg_table, arg_col);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    table_enabled = 1;
    tbl = dup_text(job, (const char *)sqlite3_column_text(st, 0));
    if (sqlite3_stricmp((const char *)sqlite3_column_text(st, 1), arg_col) == 0)
      sqz_tp_fail(job, SQLITE_ERROR, "column %s of %s is enabled already",
                  (const char *)sqlite3_column_text(st, 1), shown);
  }
  sqlite3_finalize(st);
  if (job->rc != SQLITE_OK) goto done;

  if (!table_enabled) {
    char kind = object_kind(job, schema, arg_table, &tbl);
    if (job->rc != SQLITE_OK) goto done;
    if (kind == 0) {
      sqz_tp_fail(job, SQLITE_ERROR, "no such table: %s", shown);
    } else if (kind == 'v') {
      sqz_tp_fail(job, SQLITE_ERROR, "%s is a view, not a table", shown);
    } else if (kind == 'x') {
      sqz_tp_fail(job, SQLITE_ERROR, "%s is a virtual table; only an ordinary table can be enabled",
                  shown);
    }
  }
  backing = sqlite3_mprintf(SQZ_TP_PREFIX "%s", tbl ? tbl : "");
  if (!backing) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  if (job->rc != SQLITE_OK) goto done;
  if (!table_enabled) {
    char kind = object_kind(job, schema, backing, &cbacking);
    if (kind != 0)
      sqz_tp_fail(job, SQLITE_ERROR, "%s cannot be enabled: a table or view %s exists already",
                  shown, cbacking);
  }
  const char *target = table_enabled ? backing : tbl;
  table_read(job, schema, target, &t);
  if (table_enabled) config_mark(job, schema, tbl, &t);
  if (job->rc != SQLITE_OK) goto done;
  if (t.without_row) {
    sqz_tp_fail(job, SQLITE_ERROR, "%s is a WITHOUT ROWID table, which is not supported", shown);
    goto done;
  }
  if (t.ipk < 0 && t.npk == 0) {
    sqz_tp_fail(job, SQLITE_ERROR,
                "%s has no PRIMARY KEY, so its rows could not be told apart through a view; "
                "give it an INTEGER PRIMARY KEY",
                shown);
    goto done;
  }
  int ci = table_find(&t, arg_col);
  if (ci < 0 || t.cols[ci].state) {
    sqz_tp_fail(job, SQLITE_ERROR, "no such column: %s in %s", arg_col, shown);
    goto done;
  }
  tp_col *c = &t.cols[ci];
  col = dup_text(job, c->name);
  char aff = type_affinity(c->type);
  if (c->hidden) {
    sqz_tp_fail(job, SQLITE_ERROR, "column %s of %s is a generated column", c->name, shown);
  } else if (ci == t.ipk || c->pk) {
    sqz_tp_fail(job, SQLITE_ERROR, "column %s of %s is in the PRIMARY KEY", c->name, shown);
  } else if (t.strict && sqlite3_stricmp(c->type, "ANY") != 0 &&
             sqlite3_stricmp(c->type, "BLOB") != 0) {
    sqz_tp_fail(job, SQLITE_ERROR,
                "column %s of STRICT table %s is %s, which cannot hold compressed BLOBs; only an "
                "ANY or BLOB column of a STRICT table can be compressed",
                c->name, shown, c->type);
  } else if (!t.strict && aff != 'T' && aff != 'B') {
    sqz_tp_fail(job, SQLITE_ERROR,
                "column %s of %s is declared %s (%s affinity); only a column of TEXT or BLOB "
                "affinity (TEXT, BLOB, VARCHAR(n), no type, ...) can be compressed",
                c->name, shown, c->type,
                aff == 'I'   ? "INTEGER"
                : aff == 'R' ? "REAL"
                             : "NUMERIC");
  }
  if (job->rc != SQLITE_OK) goto done;
  /* The state column's name must be free. */
  char *state = sqlite3_mprintf(SQZ_TP_PREFIX "%s", c->name);
  if (!state) {
    sqz_tp_fail(job, SQLITE_NOMEM, NULL);
    goto done;
  }
  if (table_find(&t, state) >= 0)
    sqz_tp_fail(job, SQLITE_ERROR, "%s has a column %s already, the name squeeze needs", shown,
                state);
  sqlite3_free(state);
  /* Foreign keys from the column. */
  sqz_tp_prepare(job, &st,
                 "SELECT \"table\" FROM pragma_foreign_key_list(%Q, %Q) WHERE \"from\" = %Q "
                 "COLLATE NOCASE",
                 target, schema, c->name);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    sqz_tp_fail(job, SQLITE_ERROR, "column %s of %s is a foreign key (to %s)", c->name, shown,
                (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  check_uses(job, schema, target, c->name, shown);
  if (job->rc != SQLITE_OK) goto done;

  if (!table_enabled) {
    snapshot_take(job, schema, tbl, &snap);
    sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" RENAME TO \"%w\"", schema, tbl, backing);
  }
  sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" ADD COLUMN \"" SQZ_TP_PREFIX "%w\" INTEGER", schema,
              backing, col);
  sqz_tp_exec(job,
              "CREATE INDEX \"%w\".\"" SQZ_TP_PREFIX "%w_%w_pending\" ON \"%w\"(\"" SQZ_TP_PREFIX
              "%w\") WHERE \"" SQZ_TP_PREFIX "%w\" IS NULL",
              schema, tbl, col, backing, col, col);
  sqz_tp_exec(job,
              "INSERT INTO \"%w\".%s(tbl, col, codec, level, checksum, dict, dict_by, dict_size, "
              "format) VALUES (%Q, %Q, %Q, %d, %d, %Q, %Q, %lld, %d)",
              schema, SQZ_TP_CONFIG, tbl, col, o->codec->name, o->level, o->checksum,
              o->dict[0] ? o->dict : NULL, o->dict_by, (long long)o->dict_size, SQZ_TP_FORMAT);
  if (o->dict_by) {
    /* The expression lives in a view, where SQLite's rules for code in the
    ** schema apply to it (trusted_schema, DIRECTONLY functions). */
    sqz_tp_exec(job,
                "CREATE VIEW \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\" AS SELECT %s AS id, (%s) AS "
                "grp, \"%w\" AS value FROM \"%w\" WHERE \"" SQZ_TP_PREFIX "%w\" IS NULL",
                schema, tbl, col, rowid_name(&t), o->dict_by, col, backing, col);
    sqlite3_stmt *probe;
    if (sqz_tp_prepare(job, &probe,
                       "SELECT grp FROM \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\" LIMIT 1", schema,
                       tbl, col) == SQLITE_OK)
      sqz_tp_step(job, probe);
    sqlite3_finalize(probe);
    if (job->rc != SQLITE_OK && job->err) {
      char *msg = sqlite3_mprintf("dict_by: %s", job->err);
      sqlite3_free(job->err);
      job->err = msg;
      if (!msg) job->rc = SQLITE_NOMEM;
    }
  }
  if (o->dict[0] && strcmp(o->dict, "auto") != 0) {
    /* A named dictionary must exist: compress one value with it. */
    sqlite3_stmt *probe;
    if (sqz_tp_prepare(job, &probe, "SELECT compress('squeeze', %Q, 'level=%d,dict=%q')",
                       o->codec->name, o->level, o->dict) == SQLITE_OK)
      sqz_tp_step(job, probe);
    sqlite3_finalize(probe);
  }
  rebuild_view(job, schema, tbl, NULL);
  if (!table_enabled) snapshot_restore(job, &snap);
  rows = count_rows(job, schema, backing);

done:
  snapshot_free(&snap);
  table_free(&t);
  sqlite3_free(tbl);
  sqlite3_free(backing);
  sqlite3_free(cbacking);
  sqlite3_free(col);
  return rows;
}

/* Runs body(job, ...) inside the savepoint name: released when the job
** succeeds, rolled back (and released) when it fails, so that a failing call
** changes nothing. ALTER TABLE RENAME must rewrite the references in views and
** triggers, so legacy_alter_table is off meanwhile. */
static int savepoint_begin(sqz_tp_job *job, const char *name, int *legacy) {
  sqlite3_stmt *st;
  *legacy = 0;
  sqz_tp_prepare(job, &st, "PRAGMA legacy_alter_table");
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    *legacy = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (*legacy) sqz_tp_exec(job, "PRAGMA legacy_alter_table = OFF");
  return sqz_tp_exec(job, "SAVEPOINT %s", name);
}

static void savepoint_end(sqz_tp_job *job, const char *name, int legacy) {
  if (job->rc == SQLITE_OK) {
    sqz_tp_exec(job, "RELEASE %s", name);
  }
  if (job->rc != SQLITE_OK) {
    /* keep the first error; the rollback runs regardless */
    char *sql = sqlite3_mprintf("ROLLBACK TO %s; RELEASE %s", name, name);
    if (sql) sqlite3_exec(job->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
  }
  if (legacy) sqlite3_exec(job->db, "PRAGMA legacy_alter_table = ON", NULL, NULL, NULL);
}

/* squeeze_enable(table, column [, options]) -> INTEGER, the rows that
** squeeze_maintain will compress. */
static void enable_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_tp_job job = {sqlite3_context_db_handle(context), "squeeze_enable", SQLITE_OK, NULL};
  const char *arg_table = text_arg(&job, argv, 0, "table");
  const char *arg_col = arg_table ? text_arg(&job, argv, 1, "column") : NULL;
  enable_options o;
  memset(&o, 0, sizeof o);
  const char *opts = NULL;
  if (job.rc == SQLITE_OK && argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    opts = (const char *)sqlite3_value_text(argv[2]);
    if (!opts) sqz_tp_fail(&job, SQLITE_NOMEM, NULL);
  }
  if (job.rc == SQLITE_OK) parse_options(&job, opts, &o);
  char *schema = NULL, *table = NULL;
  if (job.rc == SQLITE_OK) resolve_table(&job, arg_table, &schema, &table);
  sqlite3_int64 rows = -1;
  /* The configuration row's INSERT must not show in last_insert_rowid(). */
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(job.db);
  if (job.rc == SQLITE_OK) {
    int legacy;
    savepoint_begin(&job, "squeeze_enable", &legacy);
    if (job.rc == SQLITE_OK) rows = enable(&job, schema, table, arg_col, &o, arg_table);
    savepoint_end(&job, "squeeze_enable", legacy);
  }
  sqlite3_set_last_insert_rowid(job.db, last_rowid);
  sqlite3_free(o.dict_by);
  if (job.rc != SQLITE_OK) {
    sqz_tp_result_error(context, &job);
  } else {
    sqlite3_result_int64(context, rows);
  }
  sqlite3_free(schema);
  sqlite3_free(table);
  sqlite3_free(job.err);
}

/* ---- squeeze_disable ----------------------------------------------------- */

/* The body of squeeze_disable inside its savepoint. */
static void disable(sqz_tp_job *job, const char *schema, const char *arg_table, const char *arg_col,
                    const char *shown) {
  char *tbl = NULL, *col = NULL, *backing = NULL;
  int has = sqz_tp_has_config(job, schema);
  sqlite3_stmt *st;
  if (has == 1) {
    sqz_tp_prepare(job, &st,
                   "SELECT tbl, col, format FROM \"%w\".%s WHERE tbl = %Q COLLATE NOCASE AND "
                   "col = %Q COLLATE NOCASE",
                   schema, SQZ_TP_CONFIG, arg_table, arg_col);
    if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
      tbl = dup_text(job, (const char *)sqlite3_column_text(st, 0));
      col = dup_text(job, (const char *)sqlite3_column_text(st, 1));
      if (sqlite3_column_int(st, 2) > SQZ_TP_FORMAT)
        sqz_tp_fail(job, SQLITE_ERROR, "%s.%s was enabled by a newer squeeze (format %d)", shown,
                    col, sqlite3_column_int(st, 2));
    }
    sqlite3_finalize(st);
  }
  if (job->rc != SQLITE_OK) goto done;
  if (!tbl) {
    sqz_tp_fail(job, SQLITE_ERROR, "column %s of %s is not enabled", arg_col, shown);
    goto done;
  }
  backing = sqlite3_mprintf(SQZ_TP_PREFIX "%s", tbl);
  if (!backing) {
    sqz_tp_fail(job, SQLITE_NOMEM, NULL);
    goto done;
  }
  sqz_tp_exec(job, "DROP TRIGGER IF EXISTS \"%w\".\"" SQZ_TP_PREFIX "%w_%w_guard\"", schema, tbl,
              col);
  sqz_tp_exec(job, "DROP VIEW IF EXISTS \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\"", schema, tbl,
              col);
  sqz_tp_exec(job, "DROP INDEX IF EXISTS \"%w\".\"" SQZ_TP_PREFIX "%w_%w_pending\"", schema, tbl,
              col);
  sqz_tp_exec(job,
              "UPDATE \"%w\".\"%w\" SET \"%w\" = decompress(\"%w\"), \"" SQZ_TP_PREFIX
              "%w\" = NULL WHERE \"" SQZ_TP_PREFIX "%w\"",
              schema, backing, col, col, col, col);
  sqz_tp_exec(job, "DELETE FROM \"%w\".%s WHERE tbl = %Q AND col = %Q", schema, SQZ_TP_CONFIG, tbl,
              col);
  int others = 0;
  sqz_tp_prepare(job, &st, "SELECT count(*) FROM \"%w\".%s WHERE tbl = %Q", schema, SQZ_TP_CONFIG,
                 tbl);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    others = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  /* Every view and trigger must stay valid at each ALTER TABLE (SQLite checks
  ** them all): the view stops using the state column before it is dropped,
  ** and the table takes its name back before views that name it are checked. */
  char *state = sqlite3_mprintf(SQZ_TP_PREFIX "%s", col);
  if (!state) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  if (others > 0) {
    rebuild_view(job, schema, tbl, state);
    sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" DROP COLUMN \"%w\"", schema, backing, state);
  } else {
    sqz_tp_exec(job, "DROP VIEW IF EXISTS \"%w\".\"%w\"", schema, tbl);
    rename_back(job, schema, backing, tbl);
    sqz_tp_exec(job, "ALTER TABLE \"%w\".\"%w\" DROP COLUMN \"%w\"", schema, tbl, state);
  }
  sqlite3_free(state);
  /* The configuration table goes with the last enabled column. */
  int left = 1;
  sqz_tp_prepare(job, &st, "SELECT count(*) FROM \"%w\".%s", schema, SQZ_TP_CONFIG);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) left = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (left == 0) sqz_tp_exec(job, "DROP TABLE \"%w\".%s", schema, SQZ_TP_CONFIG);
done:
  sqlite3_free(tbl);
  sqlite3_free(col);
  sqlite3_free(backing);
}

/* squeeze_disable(table, column) -> NULL; the column is stored plain again. */
static void disable_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  sqz_tp_job job = {sqlite3_context_db_handle(context), "squeeze_disable", SQLITE_OK, NULL};
  const char *arg_table = text_arg(&job, argv, 0, "table");
  const char *arg_col = arg_table ? text_arg(&job, argv, 1, "column") : NULL;
  char *schema = NULL, *table = NULL;
  if (job.rc == SQLITE_OK) resolve_table(&job, arg_table, &schema, &table);
  if (job.rc == SQLITE_OK) {
    int legacy;
    savepoint_begin(&job, "squeeze_disable", &legacy);
    if (job.rc == SQLITE_OK) disable(&job, schema, table, arg_col, arg_table);
    savepoint_end(&job, "squeeze_disable", legacy);
  }
  if (job.rc != SQLITE_OK) sqz_tp_result_error(context, &job);
  sqlite3_free(schema);
  sqlite3_free(table);
  sqlite3_free(job.err);
}

int sqz_register_transparent(sqlite3 *db, sqz_conn *c) {
  static const struct {
    const char *name;
    int nArg;
    void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
  } fns[] = {
      {"squeeze_enable", 2, enable_func},
      {"squeeze_enable", 3, enable_func},
      {"squeeze_disable", 2, disable_func},
  };
  /* They change the schema: never from a view, trigger or index. */
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0] && rc == SQLITE_OK; i++)
    rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nArg, flags, sqz_conn_ref(c),
                                    fns[i].xFunc, NULL, NULL, sqz_conn_unref);
  if (rc == SQLITE_OK) rc = sqz_register_maintain(db, c);
  return rc;
}

/*
** sqt_maint.c: the SQL functions that look after a squeeze table.
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
#include "sqt.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Turns the failure rc of a read into a finding when it is damage that the
** check reports (SQLITE_CORRUPT_VTAB, with p's message), and returns
** SQLITE_OK then; any other failure (OOM, I/O, interrupt) is returned, to be
** raised as the check's error, never reported as a finding. */
static int finding(sqt_vtab *p, report *r, int rc) {
  if ((rc & 0xff) != SQLITE_CORRUPT) return rc;
  problem(r, "%s", p->base.zErrMsg ? p->base.zErrMsg + 9 : sqlite3_errstr(rc));
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = NULL;
  return SQLITE_OK;
}

/* Whether stored (a data row value) describes the bound actual (a value of
** the chunk): equal, or for long TEXT/BLOB the prefix (min) or NULL (max). */
static int stat_ok(sqlite3_value *stored, const sqz_value *actual, int is_max) {
  sqz_value s = sqt_value_of(stored);
  if (actual->cls == SQZ_CLASS_NULL) return s.cls == SQZ_CLASS_NULL;
  if ((actual->cls == SQZ_CLASS_TEXT || actual->cls == SQZ_CLASS_BLOB) &&
      actual->n > SQT_STAT_BYTES) {
    if (is_max) return s.cls == SQZ_CLASS_NULL;
    sqz_value cut = *actual;
    cut.n = SQT_STAT_BYTES;
    return sqz_value_compare(&s, &cut) == 0 && s.cls == cut.cls;
  }
  return s.cls == actual->cls && sqz_value_compare(&s, actual) == 0;
}

/* Checks one column chunk: decodes it, recomputes what its data row says. */
static int check_slot(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_column *col, report *r) {
  const char *what = slot ? p->decl.col[slot - 1].name : "rowid";
  int rc = sqt_decode_slot(p, c, slot, col);
  if (rc != SQLITE_OK) return finding(p, r, rc);
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
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_ROW, &rc);
  if (!s) return rc;
  sqlite3_bind_int64(s, 1, sqt_key(c->gen, slot));
  int step = sqlite3_step(s);
  if (step == SQLITE_ROW) {
    sqz_value none = {SQZ_CLASS_NULL, 0, NULL, 0};
    int unknown = sqt_stats_unknown(p, slot, col, 0, col->count);
    sqz_value vlo = lo >= 0 && !unknown ? sqz_column_value(col, (uint32_t)lo) : none;
    sqz_value vhi = hi >= 0 && !unknown ? sqz_column_value(col, (uint32_t)hi) : none;
    sqz_chunk_info info;
    const void *body = sqlite3_column_blob(s, 6);
    size_t n = (size_t)sqlite3_column_bytes(s, 6);
    int parsed = sqz_chunk_parse(&info, body, n) == 0;
    if (sqlite3_column_int64(s, 0) != nulls)
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: null count %lld, should be %u",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what,
              (long long)sqlite3_column_int64(s, 0), nulls);
    if (!stat_ok(sqlite3_column_value(s, 1), &vlo, 0) ||
        !stat_ok(sqlite3_column_value(s, 2), &vhi, 1))
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: min/max do not match the values",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what);
    if (!sqt_zone_valid(p, s, 0, sqt_key(c->gen, slot)))
      problem(r,
              "table %s: chunk of rows %lld..%lld, column %s: the zone map does not match its "
              "checksum",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what);
    if (!parsed || sqlite3_column_int64(s, 4) != info.codec_id ||
        (uint64_t)sqlite3_column_int64(s, 5) != raw)
      problem(r, "table %s: chunk of rows %lld..%lld, column %s: codec or raw size do not match",
              p->zName, (long long)c->minrow, (long long)c->maxrow, what);
    step = SQLITE_DONE;
  }
  if (step != SQLITE_DONE) return sqt_step_error(p, s, step);
  rc = sqlite3_reset(s);
  return rc == SQLITE_OK ? rc : sqt_step_error(p, s, rc);
}

/* The integer of config key k, or -1 when it is missing or not an integer. */
static int config_int(sqt_vtab *p, const char *k, int64_t *v) {
  int found;
  int rc = sqt_query_int(p, SQT_CONFIG_GET, 0, k, v, &found);
  if (rc == SQLITE_OK && found != 1) *v = -1;
  return rc;
}

/* Checks one chunk: its directory row against the one before and the last
** generation, every slot, and that it has exactly one data row per slot. */
static int check_chunk(sqt_vtab *p, const sqt_chunkref *c, const sqt_chunkref *prev,
                       int64_t last_gen, sqz_column *col, report *r) {
  if (prev && c->minrow <= prev->maxrow)
    problem(r, "table %s: chunk of rows %lld..%lld overlaps the one before", p->zName,
            (long long)c->minrow, (long long)c->maxrow);
  if (prev && c->gen == prev->gen)
    problem(r, "table %s: chunk of rows %lld..%lld has the generation of the one before", p->zName,
            (long long)c->minrow, (long long)c->maxrow);
  if (c->gen > last_gen)
    problem(r, "table %s: chunk of rows %lld..%lld has generation %lld, past the last one",
            p->zName, (long long)c->minrow, (long long)c->maxrow, (long long)c->gen);
  if (p->format >= 3 && !(c->sum[0] | c->sum[1]))
    problem(r, "table %s: chunk of rows %lld..%lld has no body checksums in the directory",
            p->zName, (long long)c->minrow, (long long)c->maxrow);
  int rc = SQLITE_OK;
  for (int slot = 0; slot <= p->decl.ncol && rc == SQLITE_OK; slot++) {
    rc = check_slot(p, c, slot, col, r);
    if (rc == SQLITE_OK && slot == 0 && col->count == c->nrows && !sqt_rowids_valid(c, col))
      problem(r, "table %s: chunk of rows %lld..%lld: rowids do not match the directory", p->zName,
              (long long)c->minrow, (long long)c->maxrow);
  }
  int64_t n = 0;
  if (rc == SQLITE_OK)
    rc = sqt_query_count(p, SQT_DATA_COUNT, sqt_key(c->gen, 0), sqt_key(c->gen + 1, 0), &n);
  if (rc == SQLITE_OK && n != p->decl.ncol + 1)
    problem(r, "table %s: chunk of rows %lld..%lld has %lld data rows, not %d", p->zName,
            (long long)c->minrow, (long long)c->maxrow, (long long)n, p->decl.ncol + 1);
  return rc;
}

/* Every chunk has a generation of its own: two directory rows with one
** would read the same data rows. Sorts a copy of the generations. */
static int check_generations(sqt_vtab *p, const sqt_chunkref *dir, int n, report *r) {
  if (n < 2) return SQLITE_OK;
  int64_t *gen = sqlite3_malloc64(sizeof(int64_t) * (size_t)n);
  if (!gen) return SQLITE_NOMEM;
  for (int k = 0; k < n; k++)
    gen[k] = dir[k].gen;
  qsort(gen, (size_t)n, sizeof(int64_t), sqt_cmp_i64);
  for (int k = 1; k < n; k++)
    if (gen[k] == gen[k - 1])
      problem(r, "table %s: generation %lld is used by more than one chunk", p->zName,
              (long long)gen[k]);
  sqlite3_free(gen);
  return SQLITE_OK;
}

int sqt_check(sqt_vtab *p, char **out) {
  *out = NULL;
  /* reads the shadow tables only, never the insert buffer (rows there are in
  ** no chunk yet), so it writes nothing */
  int rc = sqt_poisoned(p);
  if (rc != SQLITE_OK) return rc;
  report r = {sqlite3_str_new(NULL), 0};
  int64_t gen = 0, format = 0;
  if (rc == SQLITE_OK) rc = config_int(p, "format", &format);
  if (rc == SQLITE_OK && format != p->format)
    problem(&r, "table %s: format version %lld, but the table was opened as format %d", p->zName,
            (long long)format, p->format);
  if (rc == SQLITE_OK) rc = config_int(p, "generation", &gen);
  if (rc == SQLITE_OK && (gen < 0 || gen > SQT_GEN_LIMIT))
    problem(&r, "table %s: the generation in %s_config is missing or out of range", p->zName,
            p->zName);
  /* the directory in one pass, one chunk at a time: linear in the chunks */
  sqt_chunkref *dir = NULL;
  int nchunks = 0;
  if (rc == SQLITE_OK) rc = sqt_load_directory(p, &dir, &nchunks);
  if (rc != SQLITE_OK) rc = finding(p, &r, rc);
  sqz_column col;
  sqz_column_init(&col, p->alloc);
  for (int k = 0; k < nchunks && rc == SQLITE_OK; k++)
    rc = check_chunk(p, &dir[k], k ? &dir[k - 1] : NULL, gen, &col, &r);
  sqz_column_free(&col);
  if (rc == SQLITE_OK) rc = check_generations(p, dir, nchunks, &r);
  int64_t last_max = nchunks ? dir[nchunks - 1].maxrow : 0;
  sqlite3_free(dir);
  int64_t total = 0, late = 0, bad = 0;
  if (rc == SQLITE_OK) rc = sqt_query_count(p, SQT_DATA_TOTAL, 0, 0, &total);
  if (rc == SQLITE_OK && total != (int64_t)nchunks * (p->decl.ncol + 1))
    problem(&r, "table %s: %lld data rows for %d chunks of %d columns and rowids", p->zName,
            (long long)total, nchunks, p->decl.ncol);
  if (rc == SQLITE_OK && nchunks) rc = sqt_query_count(p, SQT_TAIL_LATE_DEAD, last_max, 0, &late);
  if (rc == SQLITE_OK && late)
    problem(&r, "table %s: %lld tombstones past the last chunk", p->zName, (long long)late);
  if (rc == SQLITE_OK) rc = sqt_query_count(p, SQT_TAIL_BAD_DEAD, 0, 0, &bad);
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
static sqt_vtab *table_arg(sqlite3_context *ctx, const char *fn, sqlite3_value *arg) {
  sqz_conn *c = sqlite3_user_data(ctx);
  const char *name = (const char *)sqlite3_value_text(arg);
  if (!name) {
    sqz_result_errorf(ctx, fn, "needs a table name");
    return NULL;
  }
  char *err = NULL;
  sqt_vtab *p = NULL;
  int rc = sqt_find_table(c, name, &p, &err);
  if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
  } else if (rc != SQLITE_OK) {
    sqz_result_errorf(ctx, fn, "%s", err);
    sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_free(err);
  return p;
}

/* Sets the result of ctx to p's error for rc. */
static void result_vtab_error(sqlite3_context *ctx, const char *fn, sqt_vtab *p, int rc) {
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
  sqt_vtab *p = table_arg(ctx, "squeeze_check", argv[0]);
  if (!p) return;
  char *text = NULL;
  int rc = sqt_check(p, &text);
  if (rc != SQLITE_OK) {
    result_vtab_error(ctx, "squeeze_check", p, rc);
    return;
  }
  sqlite3_result_text(ctx, text, -1, sqlite3_free);
}

/* squeeze_optimize(t): runs the optimize command as a write statement on
** the table (INSERT INTO t(squeeze_command) VALUES ('optimize')), so that
** SQLite rolls it back like any write when it fails, out of memory included;
** in one savepoint, so that a failure for another reason (a damaged chunk)
** also leaves nothing behind in an open transaction. */
static void optimize_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqt_vtab *p = table_arg(ctx, "squeeze_optimize", argv[0]);
  if (!p) return;
  char *sql = sqlite3_mprintf(
      "INSERT INTO \"%w\".\"%w\"(" SQT_COMMAND_COLUMN ") VALUES ('optimize')", p->zDb, p->zName);
  sqlite3_stmt *s = NULL;
  int rc = sql ? sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc == SQLITE_OK) rc = sqlite3_exec(p->db, "SAVEPOINT squeeze_optimize", NULL, NULL, NULL);
  if (rc == SQLITE_OK) {
    int step = sqlite3_step(s);
    rc = step == SQLITE_DONE ? SQLITE_OK : sqlite3_reset(s);
    if (rc == SQLITE_OK) {
      rc = sqlite3_exec(p->db, "RELEASE squeeze_optimize", NULL, NULL, NULL);
    } else if (!sqlite3_get_autocommit(p->db)) {
      /* the statement failed and SQLite left the transaction open */
      int rc2 = sqlite3_exec(p->db, "ROLLBACK TO squeeze_optimize; RELEASE squeeze_optimize", NULL,
                             NULL, NULL);
      if (rc2 != SQLITE_OK) sqt_poison(p, rc2);
    }
  }
  if (rc == SQLITE_OK) {
    sqlite3_result_int64(ctx, p->command_result);
  } else if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
  } else {
    sqz_result_errorf(ctx, "squeeze_optimize", "%s", sqlite3_errmsg(p->db));
    sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_finalize(s);
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

/* The state of a squeeze_stats scan: one row per slot. */
typedef struct stats_scan {
  stat_row *rows; /* [cur->count] */
} stats_scan;

static void stats_reset(sqz_tvf_cursor *cur) {
  stats_scan *scan = cur->state;
  for (sqlite3_int64 i = 0; scan->rows && i < cur->count; i++)
    sqlite3_free(scan->rows[i].chosen);
  sqlite3_free(scan->rows);
  scan->rows = NULL;
}

/* Sets the scan's error from the squeeze table p's message for rc. */
static int stats_error(sqz_tvf_cursor *cur, sqt_vtab *p, int rc) {
  rc = sqz_tvf_error(cur, rc, "%s", p->base.zErrMsg ? p->base.zErrMsg : sqlite3_errstr(rc));
  sqlite3_free(p->base.zErrMsg);
  p->base.zErrMsg = NULL;
  return rc;
}

/* *sum += v, held at INT64_MAX / INT64_MIN instead of overflowing. */
static void sat_add(int64_t *sum, int64_t v) {
  if (__builtin_add_overflow(*sum, v, sum)) *sum = v > 0 ? INT64_MAX : INT64_MIN;
}

/* Reads the data rows' headers of the table named by args[0]. */
static int stats_filter(sqz_tvf_cursor *cur, sqlite3_value **args) {
  stats_scan *scan = cur->state;
  const char *name = (const char *)sqlite3_value_text(args[0]);
  if (!name) return sqz_tvf_error(cur, SQLITE_ERROR, "needs a table name");
  char *err = NULL;
  sqt_vtab *p = NULL;
  int rc = sqt_find_table(cur->conn, name, &p, &err);
  if (rc != SQLITE_OK) {
    if (rc != SQLITE_NOMEM) rc = sqz_tvf_error(cur, rc, "%s", err);
    sqlite3_free(err);
    return rc;
  }
  /* chunks only: rows in the insert buffer are in no chunk yet */
  rc = sqt_poisoned(p);
  if (rc != SQLITE_OK) return stats_error(cur, p, rc);
  int n = p->decl.ncol + 1;
  scan->rows = sqlite3_malloc64(sizeof(stat_row) * (size_t)n);
  if (!scan->rows) return SQLITE_NOMEM;
  memset(scan->rows, 0, sizeof(stat_row) * (size_t)n);
  cur->count = n;
  for (int i = 0; i < n; i++) {
    stat_row *r = &scan->rows[i];
    if (i == 0) {
      r->name = "rowid";
      r->type = "INTEGER";
      snprintf(r->codec, sizeof r->codec, "auto");
    } else {
      r->name = p->decl.col[i - 1].name;
      r->type = p->decl.col[i - 1].type;
      sqt_decl_codec_text(&p->decl.col[i - 1], r->codec, sizeof r->codec);
    }
  }
  sqlite3_stmt *s = sqt_stmt(p, SQT_DATA_SUMMARY, &rc);
  if (!s) return stats_error(cur, p, rc);
  int step;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    int slot = sqlite3_column_int(s, 0);
    if (slot < 0 || slot >= n) continue;
    stat_row *r = &scan->rows[slot];
    const sqz_codec *codec = sqz_codec_by_id((unsigned)sqlite3_column_int(s, 1));
    int64_t k = sqlite3_column_int64(s, 2);
    char *chosen = sqlite3_mprintf("%s%s%s %lld", r->chosen ? r->chosen : "", r->chosen ? ", " : "",
                                   codec ? codec->name : "?", (long long)k);
    if (!chosen) {
      step = SQLITE_NOMEM;
      break;
    }
    sqlite3_free(r->chosen);
    r->chosen = chosen;
    /* sums of what the data rows claim: damaged rows may claim anything, so
    ** the sums saturate instead of overflowing (squeeze_check finds them) */
    sat_add(&r->chunks, k);
    sat_add(&r->nulls, sqlite3_column_int64(s, 3));
    sat_add(&r->raw, sqlite3_column_int64(s, 4));
    sat_add(&r->stored, sqlite3_column_int64(s, 5));
  }
  if (step != SQLITE_DONE) return stats_error(cur, p, sqt_step_error(p, s, step));
  rc = sqlite3_reset(s);
  return rc == SQLITE_OK ? rc : stats_error(cur, p, sqt_step_error(p, s, rc));
}

static int stats_column(sqz_tvf_cursor *cur, sqlite3_context *ctx, int i) {
  stat_row *r = &((stats_scan *)cur->state)->rows[cur->row];
  switch (i) {
  case 0:
    sqlite3_result_text(ctx, r->name, -1, SQLITE_TRANSIENT);
    break;
  case 1:
    sqlite3_result_text(ctx, r->type, -1, SQLITE_TRANSIENT);
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

static const sqz_tvf_def stats_def = {
    .name = "squeeze_stats",
    .schema = "CREATE TABLE x(name TEXT, type TEXT, codec TEXT, chosen TEXT, chunks INTEGER,"
              " nulls INTEGER, raw_bytes INTEGER, stored_bytes INTEGER, ratio REAL, tbl HIDDEN)",
    .nargs = 1,
    .required = 1,
    .usage = "SELECT * FROM squeeze_stats('table')",
    .directonly = 1,
    .state_size = sizeof(stats_scan),
    .ordered_column = -1,
    .cost = 10,
    .filter = stats_filter,
    .column = stats_column,
    .reset = stats_reset,
};

int sqt_register_functions(sqlite3 *db, sqz_conn *c) {
  int rc = sqlite3_create_function_v2(db, "squeeze_check", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                      sqz_conn_ref(c), check_func, NULL, NULL, sqz_conn_unref);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "squeeze_optimize", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    sqz_conn_ref(c), optimize_func, NULL, NULL, sqz_conn_unref);
  if (rc == SQLITE_OK) rc = sqz_register_tvf(db, c, &stats_def, NULL, NULL);
  return rc;
}

/*
** maintain.c: squeeze_maintain([seconds]), which compresses the rows of the
** columns that squeeze_enable enabled (transparent.c) in short transactions.
**
**   SELECT squeeze_maintain();      -- every pending row, then 0
**   SELECT squeeze_maintain(5);     -- about 5 seconds of work; the rows left
**   SELECT squeeze_maintain(0);     -- one short transaction
**
** A row is pending when its state column is NULL (written through the view,
** or there before squeeze_enable); a partial index holds exactly those rows.
** For each enabled column the call first settles the dictionaries it will use
** (docs/transparent.md, "Dictionaries"):
**   - dict=auto: the column's dictionary, trained here (squeeze_train_dict,
**     outside any write transaction) once the pending rows hold enough TEXT
**     and BLOB bytes, from every value of the column;
**   - dict_by: one dictionary per group, the value of the dict_by expression
**     (the view _squeeze_<t>_<c>_groups computes it), trained from the pending
**     rows of the group; rows whose group is NULL wait, as they are;
**   - a group with too few bytes to train on is compressed without one.
** Then each transaction (BEGIN IMMEDIATE ... COMMIT) takes pending rows in
** rowid order for about 20 ms of work: it compresses each TEXT or BLOB value
** through compress() with the column's codec, level, checksum and its
** group's dictionary, stores the frame with state 1 when it is smaller than
** the value, and otherwise marks the value kept (state 0). Then it sleeps
** about as long (0.5 to 1.5 times, at random), so a writer on another
** connection waiting on its busy timeout gets the lock between two
** transactions. A BUSY lock is waited for until the deadline. An interrupt
** (sqlite3_interrupt, ^C in the shell) rolls back the current transaction
** only: the rows committed before it stay compressed, every row reads back
** correctly at every moment, and the next call goes on where this one
** stopped.
**
** On a terminal (stderr is a tty) it reports its progress there.
*/
#include "register.h"
SQLITE_EXTENSION_INIT3

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transparent.h"

/* Work of one transaction, in seconds, and the most rows and bytes read into
** one batch. */
#define STEP_SECONDS 0.02
#define BATCH_ROWS 64
#define BATCH_BYTES (4 << 20)
/* The least a group's pending TEXT and BLOB values must hold for a dictionary
** to be trained on them: values, and bytes. */
#define TRAIN_MIN_VALUES 32
#define TRAIN_MIN_BYTES (16 << 10)

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The rows of one dictionary (or of none). */
typedef struct mt_group {
  char *key;     /* the group's dict_by value as text; NULL: every row of the column */
  char *options; /* compress()'s options for its rows */
} mt_group;

/* One enabled column. */
typedef struct mt_column {
  char *schema, *tbl, *col, *codec;
  int level, checksum;
  char *dict;              /* NULL, "auto", or a dictionary's name */
  int grouped;             /* dict_by: a dictionary per group */
  sqlite3_int64 dict_size; /* the most bytes of a trained dictionary */
  const char *rowid;       /* a name of the backing table's rowid that no column takes */
  sqlite3_int64 pending;   /* rows to look at (grouped: rows with a group) */
  sqlite3_int64 cursor;    /* the rows up to this rowid were looked at by this call */
  int exhausted;           /* a transaction found no row past the cursor */
  mt_group *groups;        /* the dictionaries settled for this call */
  int ngroups;
} mt_column;

/* The progress report on a terminal. */
typedef struct mt_progress {
  int tty;               /* stderr is a terminal */
  double start, last;    /* when the call started, when a line was last written */
  sqlite3_int64 total;   /* rows pending at the start, every column */
  sqlite3_int64 done;    /* rows looked at */
  sqlite3_int64 in, out; /* bytes before and after, of the rows looked at */
  int shown;             /* a line was written (so a newline ends it) */
} mt_progress;

static void progress_show(mt_progress *p, const mt_column *c, int final) {
  if (!p->tty) return;
  double t = now_seconds();
  if (!final && t - p->last < 0.2) return;
  if (final && !p->shown && p->done == 0) return;
  p->last = t;
  p->shown = 1;
  int pct = p->total > 0 ? (int)(100.0 * (double)p->done / (double)p->total) : 100;
  fprintf(stderr,
          "\rsqueeze_maintain: %s.%s: %lld of %lld rows (%d%%), %.1f MB to %.1f MB, %.1f s   %s",
          c->tbl, c->col, (long long)p->done, (long long)p->total, pct, (double)p->in / 1e6,
          (double)p->out / 1e6, t - p->start, final ? "\n" : "");
  fflush(stderr);
}

static void groups_free(mt_column *c) {
  for (int i = 0; i < c->ngroups; i++) {
    sqlite3_free(c->groups[i].key);
    sqlite3_free(c->groups[i].options);
  }
  sqlite3_free(c->groups);
  c->groups = NULL;
  c->ngroups = 0;
}

static void columns_free(mt_column *cols, int n) {
  for (int i = 0; i < n; i++) {
    sqlite3_free(cols[i].schema);
    sqlite3_free(cols[i].tbl);
    sqlite3_free(cols[i].col);
    sqlite3_free(cols[i].codec);
    sqlite3_free(cols[i].dict);
    groups_free(&cols[i]);
  }
  sqlite3_free(cols);
}

/* Counts the rows of c to look at into c->pending: the pending rows, those
** with a group when grouped. */
static int count_pending(sqz_tp_job *job, mt_column *c) {
  sqlite3_stmt *st;
  if (c->grouped) {
    sqz_tp_prepare(job, &st,
                   "SELECT count(*) FROM \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\" "
                   "WHERE grp IS NOT NULL",
                   c->schema, c->tbl, c->col);
  } else {
    sqz_tp_prepare(job, &st,
                   "SELECT count(*) FROM \"%w\".\"" SQZ_TP_PREFIX "%w\" INDEXED BY \"" SQZ_TP_PREFIX
                   "%w_%w_pending\" WHERE \"" SQZ_TP_PREFIX "%w\" IS NULL",
                   c->schema, c->tbl, c->tbl, c->col, c->col);
  }
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    c->pending = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return job->rc;
}

/* A copy of column i of st as text (NULL stays NULL); job fails on OOM. */
static char *column_dup(sqz_tp_job *job, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
  char *s = sqlite3_mprintf("%s", sqlite3_column_text(st, i));
  if (!s) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  return s;
}

/* Every enabled column of every database of db, with its pending rows. */
static int columns_read(sqz_tp_job *job, mt_column **out, int *nout) {
  mt_column *cols = NULL;
  int n = 0;
  sqlite3_stmt *dbs, *st;
  sqz_tp_prepare(job, &dbs, "SELECT name FROM pragma_database_list ORDER BY seq");
  while (job->rc == SQLITE_OK && sqz_tp_step(job, dbs) == SQLITE_ROW) {
    const char *schema = (const char *)sqlite3_column_text(dbs, 0);
    if (!schema || sqz_tp_has_config(job, schema) != 1) continue;
    sqz_tp_prepare(job, &st,
                   "SELECT tbl, col, codec, level, checksum, dict, dict_by IS NOT NULL, dict_size, "
                   "format FROM \"%w\".%s ORDER BY tbl, col",
                   schema, SQZ_TP_CONFIG);
    while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
      mt_column *c = sqlite3_realloc64(cols, (sqlite3_uint64)(n + 1) * sizeof *c);
      if (!c) {
        sqz_tp_fail(job, SQLITE_NOMEM, NULL);
        break;
      }
      cols = c;
      c = &cols[n++];
      memset(c, 0, sizeof *c);
      c->schema = sqlite3_mprintf("%s", schema);
      if (!c->schema) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      c->tbl = column_dup(job, st, 0);
      c->col = column_dup(job, st, 1);
      c->codec = column_dup(job, st, 2);
      c->level = sqlite3_column_int(st, 3);
      c->checksum = sqlite3_column_int(st, 4);
      c->dict = column_dup(job, st, 5);
      c->grouped = sqlite3_column_int(st, 6);
      c->dict_size = sqlite3_column_int64(st, 7);
      if (job->rc == SQLITE_OK && (!c->tbl || !c->col || !c->codec))
        sqz_tp_fail(job, SQLITE_CORRUPT, "a row of %s.%s has no table, column or codec", schema,
                    SQZ_TP_CONFIG);
      else if (sqlite3_column_int(st, 8) > SQZ_TP_FORMAT)
        sqz_tp_fail(job, SQLITE_ERROR, "%s.%s was enabled by a newer squeeze (format %d)", c->tbl,
                    c->col, sqlite3_column_int(st, 8));
    }
    sqlite3_finalize(st);
  }
  sqlite3_finalize(dbs);
  for (int i = 0; i < n && job->rc == SQLITE_OK; i++) {
    mt_column *c = &cols[i];
    static const char *const names[] = {"rowid", "_rowid_", "oid"};
    c->rowid = names[0];
    for (int k = 0; k < 3; k++) {
      sqz_tp_prepare(job, &st,
                     "SELECT 1 FROM pragma_table_xinfo('" SQZ_TP_PREFIX "%q', %Q) "
                     "WHERE name = %Q COLLATE NOCASE",
                     c->tbl, c->schema, names[k]);
      int taken = job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW;
      sqlite3_finalize(st);
      if (!taken) {
        c->rowid = names[k];
        break;
      }
    }
    count_pending(job, c);
  }
  *out = cols;
  *nout = n;
  return job->rc;
}

/* ---- Dictionaries ---------------------------------------------------------- */

/* The name of the dictionary squeeze_maintain trains for c (and group key,
** or NULL): "tbl.col" or "tbl.col.key", a name compress()'s options can
** carry. Characters they cannot (commas, quotes, '=', spaces at the ends)
** become '_', and a name that changed so or is too long is cut and ends in
** '~' and a hash of the whole, so different groups keep different names.
** sqlite3_malloc'd. */
static char *dict_name(const mt_column *c, const char *key) {
  char *full = key ? sqlite3_mprintf("%s.%s.%s", c->tbl, c->col, key)
                   : sqlite3_mprintf("%s.%s", c->tbl, c->col);
  if (!full) return NULL;
  size_t n = strlen(full);
  int changed = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = full[i];
    if (ch == ',' || ch == '\'' || ch == '"' || ch == '=' ||
        ((i == 0 || i == n - 1) && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'))) {
      full[i] = '_';
      changed = 1;
    }
  }
  if (!changed && n <= SQZ_TP_DICT_NAME_MAX) return full;
  uint32_t h = 2166136261u; /* FNV-1a of the name as it was */
  char *orig = key ? sqlite3_mprintf("%s.%s.%s", c->tbl, c->col, key)
                   : sqlite3_mprintf("%s.%s", c->tbl, c->col);
  if (!orig) {
    sqlite3_free(full);
    return NULL;
  }
  for (const unsigned char *p = (const unsigned char *)orig; *p; p++)
    h = (h ^ *p) * 16777619u;
  sqlite3_free(orig);
  char *name = sqlite3_mprintf("%.*s~%08x", n > 180 ? 180 : (int)n, full, h);
  sqlite3_free(full);
  return name;
}

/* Whether schema's squeeze_dict has a dictionary named name: 1, 0, or -1
** with job failed. */
static int dict_exists(sqz_tp_job *job, const char *schema, const char *name) {
  sqlite3_stmt *st;
  sqz_tp_prepare(
      job, &st, "SELECT 1 FROM \"%w\".sqlite_schema WHERE type = 'table' AND name = 'squeeze_dict'",
      schema);
  int has = job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW;
  sqlite3_finalize(st);
  if (!has) return job->rc == SQLITE_OK ? 0 : -1;
  sqz_tp_prepare(job, &st, "SELECT 1 FROM \"%w\".squeeze_dict WHERE name = ?1 LIMIT 1", schema);
  if (job->rc != SQLITE_OK) return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqz_tp_step(job, st);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Trains the dictionary name from the values query returns (bytes of them),
** sized for them: about a 64th of their bytes, at least 1 KiB, at most the
** column's dict_size. Returns 1 when it was trained; 0 when training failed
** (the group is then compressed without a dictionary; the next call tries
** again); -1 with job failed on OOM or an interrupt. */
static int dict_train(sqz_tp_job *job, const mt_column *c, const char *name, const char *query,
                      double bytes) {
  sqlite3_int64 size = (sqlite3_int64)(bytes / 64) & ~(sqlite3_int64)255;
  if (size < 1024) size = 1024;
  if (size > c->dict_size) size = c->dict_size;
  int level = strcmp(c->codec, "zstd") == 0 ? c->level : 3;
  if (level < -7) level = -7;
  char *opts = sqlite3_mprintf("size=%lld,level=%d,schema=%s", (long long)size, level, c->schema);
  sqlite3_stmt *st;
  if (!opts) return sqz_tp_fail(job, SQLITE_NOMEM, NULL), -1;
  sqz_tp_prepare(job, &st, "SELECT squeeze_train_dict(?1, ?2, ?3)");
  if (job->rc != SQLITE_OK) {
    sqlite3_free(opts);
    return -1;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, query, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, opts, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  sqlite3_free(opts);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return 1;
  if (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) {
    sqz_tp_fail(job, rc, "%s", sqlite3_errmsg(job->db));
    return -1;
  }
  return 0;
}

/* Adds a group to c: key (taken over, may be NULL) and the options of its
** rows, with dictionary dict (NULL: none). */
static int group_add(sqz_tp_job *job, mt_column *c, char *key, const char *dict) {
  mt_group *g = sqlite3_realloc64(c->groups, (sqlite3_uint64)(c->ngroups + 1) * sizeof *g);
  if (!g) {
    sqlite3_free(key);
    return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  }
  c->groups = g;
  g = &g[c->ngroups++];
  g->key = key;
  g->options = dict ? sqlite3_mprintf("level=%d,checksum=%s,dict=%s", c->level,
                                      c->checksum ? "on" : "off", dict)
                    : sqlite3_mprintf("level=%d,checksum=%s", c->level, c->checksum ? "on" : "off");
  if (!g->options) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  return SQLITE_OK;
}

/* The dictionary for key's rows when c trains its own (dict=auto): the one
** of its name when it exists, else one trained on query when values and
** bytes are enough, else none. Adds the group. */
static int group_settle(sqz_tp_job *job, mt_column *c, char *key, sqlite3_int64 values,
                        double bytes, const char *query) {
  char *name = dict_name(c, key);
  if (!name) {
    sqlite3_free(key);
    return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  }
  int has = dict_exists(job, c->schema, name);
  if (has == 0 && values >= TRAIN_MIN_VALUES && bytes >= TRAIN_MIN_BYTES)
    has = dict_train(job, c, name, query, bytes);
  if (has >= 0)
    group_add(job, c, key, has ? name : NULL);
  else
    sqlite3_free(key);
  sqlite3_free(name);
  return job->rc;
}

/* A literal for column i of st, for SQL text (sqlite3_malloc'd). */
static char *literal(sqlite3_stmt *st, int i) {
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER:
    return sqlite3_mprintf("%lld", sqlite3_column_int64(st, i));
  case SQLITE_FLOAT:
    return sqlite3_mprintf("%!.17g", sqlite3_column_double(st, i));
  case SQLITE_BLOB: {
    const unsigned char *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "x'");
    for (int k = 0; k < n; k++)
      sqlite3_str_appendf(s, "%02x", p[k]);
    sqlite3_str_appendall(s, "'");
    return sqlite3_str_finish(s);
  }
  default:
    return sqlite3_mprintf("%Q", sqlite3_column_text(st, i));
  }
}

/* Settles the dictionaries c uses in this call (its groups). */
static int plan(sqz_tp_job *job, mt_column *c) {
  groups_free(c);
  if (!c->dict || strcmp(c->dict, "auto") != 0) return group_add(job, c, NULL, c->dict);
  sqlite3_stmt *st;
  if (!c->grouped) {
    sqz_tp_prepare(
        job, &st,
        "SELECT count(*), total(length(CAST(\"%w\" AS BLOB))) FROM \"%w\".\"" SQZ_TP_PREFIX
        "%w\" INDEXED BY \"" SQZ_TP_PREFIX "%w_%w_pending\" WHERE \"" SQZ_TP_PREFIX
        "%w\" IS NULL AND typeof(\"%w\") IN ('text', 'blob')",
        c->col, c->schema, c->tbl, c->tbl, c->col, c->col, c->col);
    sqlite3_int64 values = 0;
    double bytes = 0;
    if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
      values = sqlite3_column_int64(st, 0);
      bytes = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    char *query = sqlite3_mprintf("SELECT \"%w\" FROM \"%w\".\"%w\"", c->col, c->schema, c->tbl);
    if (!query) return sqz_tp_fail(job, SQLITE_NOMEM, NULL);
    if (job->rc == SQLITE_OK) group_settle(job, c, NULL, values, bytes, query);
    sqlite3_free(query);
    return job->rc;
  }
  /* One group per value of dict_by among the pending rows. */
  sqz_tp_prepare(
      job, &st,
      "SELECT grp, sum(typeof(value) IN ('text', 'blob')), "
      "total(CASE WHEN typeof(value) IN ('text', 'blob') THEN length(CAST(value AS BLOB)) "
      "END) FROM \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\" WHERE grp IS NOT NULL "
      "GROUP BY grp ORDER BY grp",
      c->schema, c->tbl, c->col);
  /* Collected first: training must not run while this statement reads. */
  typedef struct {
    char *key, *lit;
    sqlite3_int64 values;
    double bytes;
  } found;
  found *f = NULL;
  int nf = 0;
  while (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW) {
    found *g = sqlite3_realloc64(f, (sqlite3_uint64)(nf + 1) * sizeof *g);
    if (!g) {
      sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      break;
    }
    f = g;
    g = &f[nf++];
    g->key = column_dup(job, st, 0);
    g->lit = literal(st, 0);
    g->values = sqlite3_column_int64(st, 1);
    g->bytes = sqlite3_column_double(st, 2);
    if (!g->key || !g->lit) sqz_tp_fail(job, SQLITE_NOMEM, NULL);
  }
  sqlite3_finalize(st);
  for (int i = 0; i < nf; i++) {
    if (job->rc == SQLITE_OK) {
      char *query = sqlite3_mprintf("SELECT value FROM \"%w\".\"" SQZ_TP_PREFIX
                                    "%w_%w_groups\" WHERE grp = %s",
                                    c->schema, c->tbl, c->col, f[i].lit);
      if (!query) {
        sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      } else {
        group_settle(job, c, f[i].key, f[i].values, f[i].bytes, query);
        f[i].key = NULL; /* taken over */
      }
      sqlite3_free(query);
    }
    sqlite3_free(f[i].key);
    sqlite3_free(f[i].lit);
  }
  sqlite3_free(f);
  return job->rc;
}

/* The group of a row whose group is key (NULL: not grouped), or NULL when
** this call has none for it (a group that appeared after plan()). */
static const mt_group *group_of(mt_column *c, const char *key, int *last) {
  if (!c->grouped) return c->ngroups ? &c->groups[0] : NULL;
  if (!key) return NULL;
  if (*last < c->ngroups && strcmp(c->groups[*last].key, key) == 0) return &c->groups[*last];
  for (int i = 0; i < c->ngroups; i++) {
    if (strcmp(c->groups[i].key, key) == 0) {
      *last = i;
      return &c->groups[i];
    }
  }
  return NULL;
}

/* ---- Transactions ------------------------------------------------------------ */

/* The statements of one column's transactions. */
typedef struct mt_stmts {
  sqlite3_stmt *select;   /* ?1 cursor, ?2 limit -> rowid, group, value of pending rows */
  sqlite3_stmt *compress; /* compress(?1, codec, ?2 options) */
  sqlite3_stmt *store;    /* value ?2, state 1 of row ?1 */
  sqlite3_stmt *keep;     /* state 0 of row ?1 */
} mt_stmts;

static void stmts_free(mt_stmts *s) {
  sqlite3_finalize(s->select);
  sqlite3_finalize(s->compress);
  sqlite3_finalize(s->store);
  sqlite3_finalize(s->keep);
  memset(s, 0, sizeof *s);
}

static int stmts_prepare(sqz_tp_job *job, const mt_column *c, mt_stmts *s) {
  memset(s, 0, sizeof *s);
  if (c->grouped) {
    sqz_tp_prepare(job, &s->select,
                   "SELECT id, grp, value FROM \"%w\".\"" SQZ_TP_PREFIX "%w_%w_groups\" "
                   "WHERE id > ?1 ORDER BY id LIMIT ?2",
                   c->schema, c->tbl, c->col);
  } else {
    sqz_tp_prepare(job, &s->select,
                   "SELECT %s, NULL, \"%w\" FROM \"%w\".\"" SQZ_TP_PREFIX
                   "%w\" INDEXED BY \"" SQZ_TP_PREFIX "%w_%w_pending\" WHERE \"" SQZ_TP_PREFIX
                   "%w\" IS NULL AND %s > ?1 "
                   "ORDER BY %s LIMIT ?2",
                   c->rowid, c->col, c->schema, c->tbl, c->tbl, c->col, c->col, c->rowid, c->rowid);
  }
  sqz_tp_prepare(job, &s->compress, "SELECT compress(?1, %Q, ?2)", c->codec);
  sqz_tp_prepare(job, &s->store,
                 "UPDATE \"%w\".\"" SQZ_TP_PREFIX "%w\" SET \"%w\" = ?2, \"" SQZ_TP_PREFIX
                 "%w\" = 1 WHERE %s = ?1",
                 c->schema, c->tbl, c->col, c->col, c->rowid);
  sqz_tp_prepare(job, &s->keep,
                 "UPDATE \"%w\".\"" SQZ_TP_PREFIX "%w\" SET \"" SQZ_TP_PREFIX
                 "%w\" = 0 WHERE %s = ?1",
                 c->schema, c->tbl, c->col, c->rowid);
  return job->rc;
}

/* Runs one statement without result rows (BEGIN, COMMIT, ...): the code. */
static int run(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Rolls back the transaction this file began. After sqlite3_interrupt()
** every statement the connection prepares or starts fails until the
** statement calling squeeze_maintain ends, ROLLBACK included; but SQLite
** rolls the whole transaction back itself when a write statement is
** interrupted (sqlite3_interrupt's documentation; vdbeaux.c's
** sqlite3VdbeHalt), so noop, a write prepared beforehand, is started with
** its parameters cleared (it then changes no row when it runs at all). */
static void rollback(sqz_tp_job *job, sqlite3_stmt *noop) {
  if (sqlite3_get_autocommit(job->db)) return;
  if (run(job->db, "ROLLBACK") == SQLITE_OK || sqlite3_get_autocommit(job->db) || !noop) return;
  sqlite3_reset(noop);
  sqlite3_clear_bindings(noop);
  sqlite3_step(noop);
  sqlite3_reset(noop);
}

/* The connection's busy timeout in ms (PRAGMA busy_timeout: 0 when there is
** none, or another busy handler). */
static int busy_timeout(sqlite3 *db) {
  sqlite3_stmt *st;
  int ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    ms = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return ms;
}

/* Begins the write transaction, waiting while another connection holds the
** lock, until deadline. 1 when it began, 0 at the deadline, -1 on failure.
** A busy timeout set on the connection is shortened to the time left
** meanwhile, so the deadline holds. */
static int begin_write(sqz_tp_job *job, double deadline) {
  int timeout = busy_timeout(job->db);
  for (;;) {
    double left = deadline - now_seconds();
    int shorter = timeout > 0 && left * 1000 < timeout;
    if (shorter) sqlite3_busy_timeout(job->db, left > 0 ? (int)(left * 1000) + 1 : 1);
    int rc = run(job->db, "BEGIN IMMEDIATE");
    if (shorter) sqlite3_busy_timeout(job->db, timeout);
    if (rc == SQLITE_OK) return 1;
    if (rc != SQLITE_BUSY) {
      sqz_tp_fail(job, rc, "%s", sqlite3_errmsg(job->db));
      return -1;
    }
    if (now_seconds() >= deadline) return 0;
    sqlite3_sleep(10);
  }
}

/* Commits, waiting for readers that keep the commit BUSY until deadline (then
** rolls back; noop: as for rollback). 1 committed, 0 rolled back at the
** deadline, -1 failed. */
static int commit(sqz_tp_job *job, sqlite3_stmt *noop, double deadline) {
  for (;;) {
    int rc = run(job->db, "COMMIT");
    if (rc == SQLITE_OK) return 1;
    if (rc != SQLITE_BUSY) {
      sqz_tp_fail(job, rc, "%s", sqlite3_errmsg(job->db));
      rollback(job, noop);
      return -1;
    }
    if (now_seconds() >= deadline) {
      rollback(job, noop);
      return 0;
    }
    sqlite3_sleep(10);
  }
}

/* One pending row, read into a batch. */
typedef struct mt_row {
  sqlite3_int64 rowid;
  char *key;            /* its group (sqlite3_malloc'd), or NULL */
  sqlite3_value *value; /* a copy (sqlite3_value_dup) */
} mt_row;

/* Looks at one row: stores its frame, or marks it kept. The bytes before and
** after go to the progress report. */
static int compress_row(sqz_tp_job *job, mt_stmts *s, const mt_row *r, const mt_group *g, int utf8,
                        mt_progress *p) {
  int type = sqlite3_value_type(r->value);
  sqlite3_int64 size = type == SQLITE_TEXT && !utf8 ? sqlite3_value_bytes16(r->value)
                                                    : sqlite3_value_bytes(r->value);
  int stored = 0;
  if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    sqlite3_bind_value(s->compress, 1, r->value);
    sqlite3_bind_text(s->compress, 2, g->options, -1, SQLITE_STATIC);
    if (sqz_tp_step(job, s->compress) == SQLITE_ROW) {
      sqlite3_int64 n = sqlite3_column_bytes(s->compress, 0);
      if (n < size) {
        sqlite3_bind_int64(s->store, 1, r->rowid);
        sqlite3_bind_value(s->store, 2, sqlite3_column_value(s->compress, 0));
        if (sqz_tp_step(job, s->store) == SQLITE_DONE) {
          stored = 1;
          p->out += n;
        }
        sqlite3_reset(s->store);
      }
    }
    sqlite3_reset(s->compress);
    sqlite3_clear_bindings(s->compress);
  }
  if (job->rc == SQLITE_OK && !stored) {
    sqlite3_bind_int64(s->keep, 1, r->rowid);
    sqz_tp_step(job, s->keep);
    sqlite3_reset(s->keep);
    p->out += size;
  }
  p->in += size;
  p->done++;
  return job->rc;
}

/* One transaction of work on column c, until about STEP_SECONDS have passed
** or no row is left past the cursor. Returns 1 when it committed, 0 when the
** deadline came first (nothing done), -1 on failure (rolled back). */
static int step(sqz_tp_job *job, mt_column *c, mt_stmts *s, int utf8, double deadline,
                mt_progress *p) {
  int began = begin_write(job, deadline);
  if (began <= 0) return began;
  double t0 = now_seconds();
  sqlite3_int64 cursor0 = c->cursor;
  mt_row batch[BATCH_ROWS];
  int more = 1, last = 0;
  while (more && job->rc == SQLITE_OK && now_seconds() - t0 < STEP_SECONDS) {
    int n = 0;
    sqlite3_int64 bytes = 0;
    sqlite3_bind_int64(s->select, 1, c->cursor);
    sqlite3_bind_int(s->select, 2, BATCH_ROWS);
    while (n < BATCH_ROWS && bytes < BATCH_BYTES && sqz_tp_step(job, s->select) == SQLITE_ROW) {
      mt_row *r = &batch[n];
      r->rowid = sqlite3_column_int64(s->select, 0);
      r->key = column_dup(job, s->select, 1);
      r->value = sqlite3_value_dup(sqlite3_column_value(s->select, 2));
      n++;
      if (!r->value || job->rc != SQLITE_OK) {
        sqz_tp_fail(job, SQLITE_NOMEM, NULL);
        break;
      }
      bytes += sqlite3_column_bytes(s->select, 2);
    }
    sqlite3_reset(s->select);
    more = n == BATCH_ROWS || bytes >= BATCH_BYTES;
    if (!more && job->rc == SQLITE_OK) c->exhausted = 1;
    for (int i = 0; i < n; i++) {
      const mt_group *g = job->rc == SQLITE_OK ? group_of(c, batch[i].key, &last) : NULL;
      if (g && compress_row(job, s, &batch[i], g, utf8, p) == SQLITE_OK) c->pending--;
      if (job->rc == SQLITE_OK) c->cursor = batch[i].rowid;
      sqlite3_free(batch[i].key);
      sqlite3_value_free(batch[i].value);
    }
    progress_show(p, c, 0);
  }
  if (job->rc != SQLITE_OK) {
    rollback(job, s->keep);
    c->cursor = cursor0;
    return -1;
  }
  int done = commit(job, s->keep, deadline > t0 + 10 ? deadline : t0 + 10);
  if (done != 1) {
    c->cursor = cursor0;
    c->exhausted = 0;
  }
  if (done == 1 && !c->exhausted) {
    /* Room for a writer waiting on another connection: as long as the
    ** transaction took, give or take half, so that a busy handler's polls
    ** (1, 2, 5 ... 100 ms apart) cannot keep falling into our transactions. */
    unsigned char r;
    sqlite3_randomness(1, &r);
    int ms = (int)((now_seconds() - t0) * 1000 * (0.5 + r / 255.0));
    sqlite3_sleep(ms > 1 ? ms : 1);
  }
  return done;
}

/* Rows pending in every column. */
static sqlite3_int64 total_pending(const mt_column *cols, int n) {
  sqlite3_int64 t = 0;
  for (int i = 0; i < n; i++)
    t += cols[i].pending > 0 ? cols[i].pending : 0;
  return t;
}

/* squeeze_maintain([seconds]) -> INTEGER, the rows still to compress (0:
** every row of every enabled column is compressed or kept, but the rows a
** dict_by expression holds back with NULL). */
static void maintain_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_tp_job job = {sqlite3_context_db_handle(context), "squeeze_maintain", SQLITE_OK, NULL};
  double t0 = now_seconds(), deadline = 1e300;
  if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    int type = sqlite3_value_numeric_type(argv[0]);
    double secs = sqlite3_value_double(argv[0]);
    if ((type != SQLITE_INTEGER && type != SQLITE_FLOAT) || !(secs >= 0)) {
      sqz_result_errorf(context, "squeeze_maintain",
                        "seconds must be a number >= 0 (or NULL: until every row is done)");
      return;
    }
    deadline = t0 + secs;
  }
  if (!sqlite3_get_autocommit(job.db)) {
    sqz_result_errorf(context, "squeeze_maintain",
                      "cannot run inside a transaction: it commits its work in short "
                      "transactions of its own");
    return;
  }
  mt_column *cols = NULL;
  int n = 0;
  columns_read(&job, &cols, &n);
  int utf8 = 1;
  sqlite3_stmt *st;
  sqz_tp_prepare(&job, &st, "PRAGMA encoding");
  if (job.rc == SQLITE_OK && sqz_tp_step(&job, st) == SQLITE_ROW)
    utf8 = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "UTF-8") == 0;
  sqlite3_finalize(st);

  mt_progress p = {0};
  p.tty = isatty(2);
  p.start = p.last = t0;
  p.total = total_pending(cols, n);
  int first = 1;
  for (int i = 0; i < n && job.rc == SQLITE_OK; i++) {
    mt_column *c = &cols[i];
    mt_stmts s;
    if (c->pending <= 0) continue; /* rows written since wait for the next call */
    c->cursor = INT64_MIN;
    if (plan(&job, c) == SQLITE_OK && stmts_prepare(&job, c, &s) == SQLITE_OK) {
      /* The first transaction runs whatever the deadline (seconds = 0: one step). */
      while (!c->exhausted && job.rc == SQLITE_OK && (first || now_seconds() < deadline)) {
        int r = step(&job, c, &s, utf8, deadline, &p);
        first = 0;
        if (r <= 0) break;
      }
    }
    stmts_free(&s);
    progress_show(&p, c, 0);
    if (now_seconds() >= deadline) break;
  }
  if (n > 0) progress_show(&p, &cols[n - 1], 1);
  for (int i = 0; i < n && job.rc == SQLITE_OK; i++)
    count_pending(&job, &cols[i]);
  if (job.rc == SQLITE_INTERRUPT) {
    sqz_result_errorf(context, "squeeze_maintain",
                      "interrupted; the rows compressed before are kept, run it again to go on");
    sqlite3_result_error_code(context, SQLITE_INTERRUPT);
  } else if (job.rc != SQLITE_OK) {
    sqz_tp_result_error(context, &job);
  } else {
    sqlite3_result_int64(context, total_pending(cols, n));
  }
  columns_free(cols, n);
  sqlite3_free(job.err);
}

int sqz_register_maintain(sqlite3 *db, sqz_conn *c) {
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = sqlite3_create_function_v2(db, "squeeze_maintain", 0, flags, sqz_conn_ref(c),
                                      maintain_func, NULL, NULL, sqz_conn_unref);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "squeeze_maintain", 1, flags, sqz_conn_ref(c),
                                    maintain_func, NULL, NULL, sqz_conn_unref);
  return rc;
}

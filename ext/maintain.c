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
** Each transaction (BEGIN IMMEDIATE ... COMMIT) takes the pending rows of one
** column for about 20 ms of work: it compresses each TEXT or BLOB value with
** the column's codec and options through compress(), stores the frame with
** state 1 when it is smaller than the value, and otherwise marks the value
** kept (state 0). Then it sleeps about as long (0.5 to 1.5 times, at
** random), so a writer on another connection waiting on its busy timeout
** gets the lock between two transactions. A BUSY lock is waited for until the deadline. An
*interrupt
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

/* Work of one transaction, in seconds, and the most bytes read into one batch. */
#define STEP_SECONDS 0.02
#define BATCH_ROWS 64
#define BATCH_BYTES (4 << 20)

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One enabled column. */
typedef struct mt_column {
  char *schema, *tbl, *col, *codec, *options;
  const char *rowid;     /* a name of the backing table's rowid that no column takes */
  sqlite3_int64 pending; /* rows left: counted at the start, less the rows done since */
  int exhausted;         /* a transaction found no row left */
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

static void columns_free(mt_column *cols, int n) {
  for (int i = 0; i < n; i++) {
    sqlite3_free(cols[i].schema);
    sqlite3_free(cols[i].tbl);
    sqlite3_free(cols[i].col);
    sqlite3_free(cols[i].codec);
    sqlite3_free(cols[i].options);
  }
  sqlite3_free(cols);
}

/* Counts the pending rows of c into c->pending. */
static int count_pending(sqz_tp_job *job, mt_column *c) {
  sqlite3_stmt *st;
  sqz_tp_prepare(job, &st,
                 "SELECT count(*) FROM \"%w\".\"" SQZ_TP_PREFIX "%w\" INDEXED BY \"" SQZ_TP_PREFIX
                 "%w_%w_pending\" WHERE \"" SQZ_TP_PREFIX "%w\" IS NULL",
                 c->schema, c->tbl, c->tbl, c->col, c->col);
  if (job->rc == SQLITE_OK && sqz_tp_step(job, st) == SQLITE_ROW)
    c->pending = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return job->rc;
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
                   "SELECT tbl, col, codec, options, format FROM \"%w\".%s ORDER BY tbl, col",
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
      c->tbl = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
      c->col = sqlite3_mprintf("%s", sqlite3_column_text(st, 1));
      c->codec = sqlite3_mprintf("%s", sqlite3_column_text(st, 2));
      c->options = sqlite3_mprintf("%s", sqlite3_column_text(st, 3));
      if (!c->schema || !c->tbl || !c->col || !c->codec || !c->options)
        sqz_tp_fail(job, SQLITE_NOMEM, NULL);
      else if (sqlite3_column_int(st, 4) > SQZ_TP_FORMAT)
        sqz_tp_fail(job, SQLITE_ERROR, "%s.%s was enabled by a newer squeeze (format %d)", c->tbl,
                    c->col, sqlite3_column_int(st, 4));
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

/* The statements of one column's transactions. */
typedef struct mt_stmts {
  sqlite3_stmt *select;   /* ?1 limit -> rowid, value of pending rows */
  sqlite3_stmt *compress; /* compress(?1, codec, options) */
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
  sqz_tp_prepare(job, &s->select,
                 "SELECT %s, \"%w\" FROM \"%w\".\"" SQZ_TP_PREFIX "%w\" INDEXED BY \"" SQZ_TP_PREFIX
                 "%w_%w_pending\" WHERE \"" SQZ_TP_PREFIX "%w\" IS NULL LIMIT ?1",
                 c->rowid, c->col, c->schema, c->tbl, c->tbl, c->col, c->col);
  sqz_tp_prepare(job, &s->compress, "SELECT compress(?1, %Q, %Q)", c->codec, c->options);
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
** rolls back). 1 committed, 0 rolled back at the deadline, -1 failed. */
static int commit(sqz_tp_job *job, double deadline) {
  for (;;) {
    int rc = run(job->db, "COMMIT");
    if (rc == SQLITE_OK) return 1;
    if (rc != SQLITE_BUSY) {
      sqz_tp_fail(job, rc, "%s", sqlite3_errmsg(job->db));
      run(job->db, "ROLLBACK");
      return -1;
    }
    if (now_seconds() >= deadline) {
      run(job->db, "ROLLBACK");
      return 0;
    }
    sqlite3_sleep(10);
  }
}

/* One pending row, read into a batch. */
typedef struct mt_row {
  sqlite3_int64 rowid;
  sqlite3_value *value; /* a copy (sqlite3_value_dup) */
} mt_row;

/* Looks at one row: stores its frame, or marks it kept. The bytes before and
** after go to the progress report. */
static int compress_row(sqz_tp_job *job, mt_stmts *s, const mt_row *r, int utf8, mt_progress *p) {
  int type = sqlite3_value_type(r->value);
  sqlite3_int64 size = type == SQLITE_TEXT && !utf8 ? sqlite3_value_bytes16(r->value)
                                                    : sqlite3_value_bytes(r->value);
  int stored = 0;
  if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
    sqlite3_bind_value(s->compress, 1, r->value);
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
** or no row is pending. Returns 1 when it committed, 0 when the deadline came
** first (nothing done), -1 on failure (rolled back). */
static int step(sqz_tp_job *job, mt_column *c, mt_stmts *s, int utf8, double deadline,
                mt_progress *p) {
  int began = begin_write(job, deadline);
  if (began <= 0) return began;
  double t0 = now_seconds();
  mt_row batch[BATCH_ROWS];
  int more = 1;
  while (more && job->rc == SQLITE_OK && now_seconds() - t0 < STEP_SECONDS) {
    int n = 0;
    sqlite3_int64 bytes = 0;
    sqlite3_bind_int(s->select, 1, BATCH_ROWS);
    while (n < BATCH_ROWS && bytes < BATCH_BYTES && sqz_tp_step(job, s->select) == SQLITE_ROW) {
      batch[n].rowid = sqlite3_column_int64(s->select, 0);
      batch[n].value = sqlite3_value_dup(sqlite3_column_value(s->select, 1));
      if (!batch[n].value) {
        sqz_tp_fail(job, SQLITE_NOMEM, NULL);
        break;
      }
      bytes += sqlite3_column_bytes(s->select, 1);
      n++;
    }
    sqlite3_reset(s->select);
    more = n == BATCH_ROWS || bytes >= BATCH_BYTES;
    if (!more && job->rc == SQLITE_OK) c->exhausted = 1;
    for (int i = 0; i < n; i++) {
      if (job->rc == SQLITE_OK) {
        compress_row(job, s, &batch[i], utf8, p);
        if (job->rc == SQLITE_OK) c->pending--;
      }
      sqlite3_value_free(batch[i].value);
    }
    progress_show(p, c, 0);
  }
  if (job->rc != SQLITE_OK) {
    run(job->db, "ROLLBACK");
    return -1;
  }
  int done = commit(job, deadline > t0 + 10 ? deadline : t0 + 10);
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

/* squeeze_maintain([seconds]) -> INTEGER, the rows still pending (0: every
** row of every enabled column is compressed or kept). */
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
    if (stmts_prepare(&job, c, &s) == SQLITE_OK) {
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

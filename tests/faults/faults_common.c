/*
** faults_common.c: the runner of the fault-injection harnesses (see faults_common.h for what
** a run checks and why the expected state is exact).
**
** A run, step by step:
**   1. a fresh database file; the connection under test opened (on env->vfs), its journal mode,
**      cache size and synchronous set, p created: all with the injector disarmed;
**   2. each workload step: the statement under test with the injector armed, then (disarmed)
**      its mirror on p or the comparison of its answer with p's, the result-code check, and
**      after a failure the comparison of t with p (env->check_after_failure);
**      control statements follow a model of the open savepoints that is reset whenever
**      sqlite3_get_autocommit() says SQLite rolled the transaction back, so a workload that
**      goes on after a failure never issues a RELEASE or COMMIT that SQLite would refuse;
**   3. disarmed: COMMIT if a transaction is still open, t against p, sqlite3_close, the leak
**      check, then a new connection (default VFS) for integrity_check, squeeze_check and t
**      against p as stored.
**
** The harness's own memory comes from malloc, never from sqlite3_malloc, so it is neither
** counted nor failed by the allocation injector.
*/
#include "faults_common.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SAVEPOINTS 16
#define MSG_CAP 512
#define MAX_SIGNATURES 400
#define LINES_PER_RUN 6

/* ---- Small utilities ----------------------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      fprintf(stderr, "faults: out of memory in the harness\n");
      exit(2);
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof(tmp)) {
    sb_putn(b, tmp, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) exit(2);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_putn(b, big, (size_t)n);
  free(big);
}

static const char *sb_str(const sbuf *b) {
  return b->p ? b->p : "";
}
static void sb_free(sbuf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

/* sql with every %T replaced by table; malloc'd, caller frees. */
static char *subst_table(const char *sql, const char *table) {
  sbuf b = {0};
  for (const char *s = sql; *s; s++) {
    if (s[0] == '%' && s[1] == 'T') {
      sb_putn(&b, table, strlen(table));
      s++;
    } else {
      sb_putn(&b, s, 1);
    }
  }
  return b.p;
}

/* At most max bytes of s, with "..." when cut, into a static buffer (for messages). */
static const char *clip(const char *s, size_t max) {
  static char buf[4][600];
  static int which;
  char *out = buf[which++ & 3];
  if (max > sizeof(buf[0]) - 4) max = sizeof(buf[0]) - 4;
  size_t n = strlen(s);
  if (n <= max) {
    memcpy(out, s, n + 1);
  } else {
    memcpy(out, s, max);
    memcpy(out + max, "...", 4);
  }
  return out;
}

/* The symbolic name of an extended result code, as sqlite3_errstr gives only the text. */
static const char *rc_name(int rc) {
  static char other[32];
  switch (rc) {
#define C(x)                                                                                       \
  case x:                                                                                          \
    return #x;
    C(SQLITE_OK)
    C(SQLITE_ERROR)
    C(SQLITE_INTERNAL)
    C(SQLITE_PERM)
    C(SQLITE_ABORT)
    C(SQLITE_BUSY)
    C(SQLITE_LOCKED)
    C(SQLITE_NOMEM)
    C(SQLITE_READONLY)
    C(SQLITE_INTERRUPT)
    C(SQLITE_IOERR)
    C(SQLITE_CORRUPT)
    C(SQLITE_NOTFOUND)
    C(SQLITE_FULL)
    C(SQLITE_CANTOPEN)
    C(SQLITE_PROTOCOL)
    C(SQLITE_SCHEMA)
    C(SQLITE_TOOBIG)
    C(SQLITE_CONSTRAINT)
    C(SQLITE_MISMATCH)
    C(SQLITE_MISUSE)
    C(SQLITE_RANGE)
    C(SQLITE_NOTADB)
    C(SQLITE_IOERR_READ)
    C(SQLITE_IOERR_SHORT_READ)
    C(SQLITE_IOERR_WRITE)
    C(SQLITE_IOERR_FSYNC)
    C(SQLITE_IOERR_TRUNCATE)
    C(SQLITE_IOERR_FSTAT)
    C(SQLITE_IOERR_LOCK)
    C(SQLITE_IOERR_UNLOCK)
    C(SQLITE_IOERR_DELETE)
    C(SQLITE_IOERR_NOMEM)
    C(SQLITE_IOERR_SHMMAP)
    C(SQLITE_IOERR_SHMLOCK)
    C(SQLITE_IOERR_SHMSIZE)
    C(SQLITE_IOERR_SHMOPEN)
    C(SQLITE_IOERR_CHECKRESERVEDLOCK)
    C(SQLITE_IOERR_RDLOCK)
    C(SQLITE_CORRUPT_VTAB)
    C(SQLITE_CONSTRAINT_PRIMARYKEY)
    C(SQLITE_CONSTRAINT_UNIQUE)
    C(SQLITE_CONSTRAINT_ROWID)
    C(SQLITE_CONSTRAINT_VTAB)
    C(SQLITE_ABORT_ROLLBACK)
#undef C
  default:
    snprintf(other, sizeof(other), "rc=%d", rc);
    return other;
  }
}

/* ---- Running SQL and rendering answers ----------------------------------------------- */

/* Renders the value of column i of the current row exactly: integers in decimal, reals as
** C99 hex floats (so every bit shows), text quoted, blobs in hex; the storage class is part of
** the rendering. Uses only the accessor of the value's own class: no conversion, no
** allocation. */
static void render_value(sbuf *b, sqlite3_stmt *st, int i) {
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER:
    sb_printf(b, "%lld", (long long)sqlite3_column_int64(st, i));
    break;
  case SQLITE_FLOAT:
    sb_printf(b, "real:%a", sqlite3_column_double(st, i));
    break;
  case SQLITE_TEXT: {
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    sb_putn(b, "'", 1);
    if (t) sb_putn(b, (const char *)t, (size_t)n);
    sb_putn(b, "'", 1);
    break;
  }
  case SQLITE_BLOB: {
    const unsigned char *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    sb_putn(b, "X'", 2);
    for (int k = 0; k < n && p; k++)
      sb_printf(b, "%02x", p[k]);
    sb_putn(b, "'", 1);
    break;
  }
  default:
    sb_putn(b, "NULL", 4);
  }
}

/* Prepares and steps sql to the end. Rows go to rows (one line each, values separated by
** '|') when rows is not NULL. Returns the extended result code of the first failure (prepare
** or step) or SQLITE_OK; on failure msg gets sqlite3_errmsg(). */
static int run_sql(sqlite3 *db, const char *sql, sbuf *rows, char *msg) {
  sqlite3_stmt *st = NULL;
  msg[0] = 0;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && st) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (!rows) continue;
      int n = sqlite3_column_count(st);
      for (int i = 0; i < n; i++) {
        if (i) sb_putn(rows, "|", 1);
        render_value(rows, st, i);
      }
      sb_putn(rows, "\n", 1);
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) {
    rc = sqlite3_extended_errcode(db);
    snprintf(msg, MSG_CAP, "%s", sqlite3_errmsg(db));
    if (rc == SQLITE_OK) rc = SQLITE_ERROR; /* cannot happen; keep the failure visible */
  }
  sqlite3_finalize(st);
  return rc;
}

/* The first line where a and b differ, for messages: "row K: <a> / <b>". */
static void first_difference(const char *a, const char *b, char *out, size_t cap) {
  int row = 1;
  for (;;) {
    const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
    size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
    if (la != lb || memcmp(a, b, la) != 0 || (!ea) != (!eb)) {
      char ra[200], rb[200];
      snprintf(ra, sizeof(ra), "%.*s", (int)(la < 180 ? la : 180), a);
      snprintf(rb, sizeof(rb), "%.*s", (int)(lb < 180 ? lb : 180), b);
      snprintf(out, cap, "row %d: t=[%s] p=[%s]", row, *a ? ra : "(no row)", *b ? rb : "(no row)");
      return;
    }
    if (!ea) break;
    a = ea + 1;
    b = eb + 1;
    row++;
  }
  snprintf(out, cap, "(equal)");
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* ---- Report ------------------------------------------------------------------------- */

typedef struct signature {
  char key[400];    /* workload, step, class, result code, message with digits masked */
  long count;       /* runs that showed it */
  char first[1200]; /* the first occurrence, in full */
} signature;

struct fh_report {
  const char *harness;
  long passed, failed;
  long printed_runs;
  long ambiguous; /* failed statements that had taken effect whole (fh_env.applied_on_error) */
  int nsig;
  signature *sig;
};

fh_report *fh_report_new(const char *harness) {
  fh_report *r = calloc(1, sizeof(*r));
  if (!r) exit(2);
  r->harness = harness;
  r->sig = calloc(MAX_SIGNATURES, sizeof(signature));
  if (!r->sig) exit(2);
  return r;
}

void fh_report_error(fh_report *rep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAIL %s: ", rep->harness);
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
  rep->failed++;
}

static int cmp_sig(const void *a, const void *b) {
  const signature *x = a, *y = b;
  return (y->count > x->count) - (y->count < x->count);
}

int fh_report_finish(fh_report *rep) {
  qsort(rep->sig, (size_t)rep->nsig, sizeof(signature), cmp_sig);
  if (rep->nsig) {
    printf("\n%s: %d distinct problems (runs showing each, then its first occurrence):\n",
           rep->harness, rep->nsig);
    for (int i = 0; i < rep->nsig; i++)
      printf("%6ld  %s\n", rep->sig[i].count, rep->sig[i].first);
  }
  if (rep->ambiguous)
    printf("note: %ld failed statements had taken effect whole (allowed for this fault)\n",
           rep->ambiguous);
  printf("faults: %ld passed, %ld failed\n", rep->passed, rep->failed);
  fflush(stdout);
  int failed = (int)(rep->failed > 0x7fffffff ? 0x7fffffff : rep->failed);
  free(rep->sig);
  free(rep);
  return failed;
}

/* ---- One run ------------------------------------------------------------------------ */

typedef struct run {
  const fh_env *env;
  const fh_workload *w;
  fh_injector *inj;
  fh_report *rep;
  const char *label;
  long n;
  sqlite3 *db;
  char path[600];
  int app_limit;               /* SQLITE_LIMIT_LENGTH the workload asked for */
  char sp[MAX_SAVEPOINTS][32]; /* open savepoints, outermost first */
  int nsp;
  int problems;
  int stop;            /* t and p diverged: later steps would only echo it */
  int model_uncertain; /* a control statement failed inside a transaction */
  int counted[64];     /* signatures already counted for this run */
  int ncounted;
} run;

static const char *const class_names[] = {
    "rc",   "check-text", "read", "plain",     "atomicity",     "unreadable", "create", "commit",
    "live", "close",      "leak", "integrity", "squeeze_check", "final",      "setup",
};
enum {
  P_RC,
  P_CHECK_TEXT,
  P_READ,
  P_PLAIN,
  P_ATOMICITY,
  P_UNREADABLE,
  P_CREATE,
  P_COMMIT,
  P_LIVE,
  P_CLOSE,
  P_LEAK,
  P_INTEGRITY,
  P_SQUEEZE_CHECK,
  P_FINAL,
  P_SETUP
};

/* Masks digit runs, so that "90 data rows for 0 chunks" and "12 data rows for 0 chunks" are
** one problem. */
static void mask_digits(const char *s, char *out, size_t cap) {
  size_t o = 0;
  for (; *s && o + 2 < cap; s++) {
    if (isdigit((unsigned char)*s)) {
      out[o++] = '#';
      while (isdigit((unsigned char)s[1]))
        s++;
    } else {
      out[o++] = *s;
    }
  }
  out[o] = 0;
}

/* Records a problem of class cls at step (-1: after the workload). sql may be NULL. */
static void problem(run *r, int step, int cls, const char *sql, int rc, const char *fmt, ...) {
  char detail[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof(detail), fmt, ap);
  va_end(ap);
  for (char *c = detail; *c; c++)
    if (*c == '\n') *c = ' ';
  r->problems++;

  char line[1200];
  char where[64];
  if (step >= 0)
    snprintf(where, sizeof(where), "step %d", step);
  else
    snprintf(where, sizeof(where), "end");
  snprintf(line, sizeof(line), "%s/%s N=%ld %s [%s]%s%s%s: %s%s%s", r->w->name, r->label, r->n,
           where, class_names[cls], sql ? " \"" : "", sql ? clip(sql, 110) : "", sql ? "\"" : "",
           rc ? rc_name(rc) : "", rc ? " " : "", detail);
  if (r->env->print_runs > r->rep->printed_runs || r->env->verbose) {
    printf("FAIL %s\n", line);
  }

  /* one signature per distinct problem across runs, counted once per run: a result code or a
  ** squeeze_check answer by its message (numbers masked), anything else by its step */
  char masked[300], key[400];
  mask_digits(detail, masked, sizeof(masked));
  if (cls == P_RC || cls == P_CHECK_TEXT || cls == P_LEAK)
    snprintf(key, sizeof(key), "%s|%d|%s", class_names[cls], rc, masked);
  else
    snprintf(key, sizeof(key), "%s|%d|%s|%d", r->w->name, step, class_names[cls], rc);
  fh_report *rep = r->rep;
  int i;
  for (i = 0; i < rep->nsig; i++)
    if (strcmp(rep->sig[i].key, key) == 0) break;
  if (i == rep->nsig) {
    if (rep->nsig == MAX_SIGNATURES) return;
    rep->nsig++;
    snprintf(rep->sig[i].key, sizeof(rep->sig[i].key), "%s", key);
    snprintf(rep->sig[i].first, sizeof(rep->sig[i].first), "%s", line);
  }
  for (int k = 0; k < r->ncounted; k++)
    if (r->counted[k] == i) return; /* counted once per run */
  if (r->ncounted < (int)(sizeof(r->counted) / sizeof(r->counted[0])))
    r->counted[r->ncounted++] = i;
  rep->sig[i].count++;
}

static void arm(run *r) {
  if (r->inj->arm) r->inj->arm(r->inj->self, r->db);
}

static void disarm(run *r) {
  if (r->inj->disarm) r->inj->disarm(r->inj->self, r->db);
  sqlite3_limit(r->db, SQLITE_LIMIT_LENGTH, r->app_limit);
}

/* Runs sql as the statement under test: the injector armed around it. */
static int under_test(run *r, const char *sql, sbuf *rows, char *msg) {
  arm(r);
  int rc = run_sql(r->db, sql, rows, msg);
  if (r->env->verbose) /* (printf and clip allocate nothing through SQLite) */
    printf("    %-4s %s%s%s\n", rc == SQLITE_OK ? "ok" : rc_name(rc), clip(sql, 150),
           rc ? " -- " : "", rc ? msg : "");
  disarm(r);
  return rc;
}

/* Runs sql disarmed, at the application's length limit (mirror statements). */
static int disarmed(run *r, const char *sql, sbuf *rows, char *msg) {
  int rc = run_sql(r->db, sql, rows, msg);
  if (r->env->verbose && rc)
    printf("         (disarmed) %s -- %s %s\n", clip(sql, 120), rc_name(rc), msg);
  return rc;
}

/* Reads t and p whole (rowid, every column, with storage classes), disarmed and at the
** largest length limit, so that only a real difference shows. *equal gets whether they agree;
** diff describes the first difference. Returns the result code of the reads. */
static int compare_tables(run *r, sqlite3 *db, int *equal, char *diff, size_t cap, char *msg) {
  sbuf a = {0}, b = {0};
  char sql[400];
  int saved = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 0x7fffffff);
  snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM t ORDER BY rowid", r->w->cols);
  int rc = run_sql(db, sql, &a, msg);
  if (rc == SQLITE_OK) {
    snprintf(sql, sizeof(sql), "SELECT rowid, %s FROM p ORDER BY rowid", r->w->cols);
    rc = run_sql(db, sql, &b, msg);
    if (rc != SQLITE_OK) {
      char m2[MSG_CAP];
      snprintf(m2, sizeof(m2), "reading p: %s", msg);
      memcpy(msg, m2, MSG_CAP);
    }
  }
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, saved);
  *equal = 0;
  diff[0] = 0;
  if (rc == SQLITE_OK) {
    *equal = strcmp(sb_str(&a), sb_str(&b)) == 0;
    if (!*equal) {
      char d[500];
      first_difference(sb_str(&a), sb_str(&b), d, sizeof(d));
      snprintf(diff, cap, "t has %d rows, p %d; %s", count_lines(sb_str(&a)),
               count_lines(sb_str(&b)), d);
    }
  }
  sb_free(&a);
  sb_free(&b);
  return rc;
}

static int is_io_family(int rc) {
  return (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL;
}

static void sync_model(run *r) {
  if (sqlite3_get_autocommit(r->db)) r->nsp = 0;
}

/* Checks the result code of a statement under test that failed. */
static void check_rc(run *r, int step, const char *sql, int rc, const char *msg, int also) {
  if (r->inj->fault_rc && r->inj->fault_rc(rc)) return;
  if (also && (rc & 0xff) == also) return;
  problem(r, step, P_RC, sql, rc, "%s", msg);
}

/* After a statement under test failed: t must still equal p. was_auto: no transaction was
** open when the statement started; mirror: its statement on p (DML), or NULL. */
static void after_failure(run *r, int step, const char *sql, int was_auto, const char *mirror) {
  sync_model(r);
  if (!r->env->check_after_failure || r->stop) return;
  int equal;
  char diff[700], msg[MSG_CAP];
  int rc = compare_tables(r, r->db, &equal, diff, sizeof(diff), msg);
  if (rc != SQLITE_OK && r->env->sticky_rollback && is_io_family(rc) &&
      !sqlite3_get_autocommit(r->db)) {
    /* the pager keeps an I/O error until the transaction ends: the application rolls back */
    char m2[MSG_CAP];
    disarmed(r, "ROLLBACK", NULL, m2);
    sync_model(r);
    rc = compare_tables(r, r->db, &equal, diff, sizeof(diff), msg);
  }
  if (rc != SQLITE_OK) {
    problem(r, step, P_UNREADABLE, sql, rc, "after the failure, with faults off: %s", msg);
    r->stop = 1;
    return;
  }
  int may_apply = r->env->applied_on_error == 2 ||
                  (r->env->applied_on_error == 1 && was_auto && sqlite3_get_autocommit(r->db));
  if (!equal && may_apply && mirror) {
    /* the statement may have taken effect whole before the error (see fh_env) */
    char m2[MSG_CAP], d2[700];
    int rc2 = disarmed(r, mirror, NULL, m2);
    if (rc2 == SQLITE_OK) rc2 = compare_tables(r, r->db, &equal, d2, sizeof(d2), m2);
    if (rc2 == SQLITE_OK && equal) {
      r->rep->ambiguous++;
      return;
    }
    problem(r, step, P_ATOMICITY, sql, 0,
            "after the failed statement t differs from p, applied or not: %s", diff);
    r->stop = 1;
    return;
  }
  if (!equal) {
    problem(r, step, P_ATOMICITY, sql, 0, "after the failed statement t differs from p: %s", diff);
    r->stop = 1;
  }
}

/* The model of the open savepoints decides whether a control statement is issued at all. */
static int find_savepoint(run *r, const char *name) {
  for (int i = r->nsp - 1; i >= 0; i--)
    if (strcmp(r->sp[i], name) == 0) return i;
  return -1;
}

static void step_ctl(run *r, int i, const fh_step *s) {
  const char *sql = s->sql;
  int in_txn = !sqlite3_get_autocommit(r->db);
  int op; /* 0 BEGIN, 1 COMMIT, 2 ROLLBACK, 3 SAVEPOINT, 4 RELEASE, 5 ROLLBACK TO */
  const char *name = "";
  if (strncmp(sql, "BEGIN", 5) == 0) {
    op = 0;
  } else if (strncmp(sql, "COMMIT", 6) == 0) {
    op = 1;
  } else if (strncmp(sql, "ROLLBACK TO ", 12) == 0) {
    op = 5;
    name = sql + 12;
  } else if (strncmp(sql, "ROLLBACK", 8) == 0) {
    op = 2;
  } else if (strncmp(sql, "SAVEPOINT ", 10) == 0) {
    op = 3;
    name = sql + 10;
  } else if (strncmp(sql, "RELEASE ", 8) == 0) {
    op = 4;
    name = sql + 8;
  } else {
    problem(r, i, P_SETUP, sql, 0, "unknown control statement");
    r->stop = 1;
    return;
  }
  /* skip what the application would know to be pointless after SQLite rolled back */
  if ((op == 0 && in_txn) || ((op == 1 || op == 2) && !in_txn)) return;
  if ((op == 4 || op == 5) && find_savepoint(r, name) < 0) return;

  char msg[MSG_CAP];
  int rc = under_test(r, sql, NULL, msg);
  if (rc == SQLITE_OK) {
    if (op == 1 || op == 2) {
      r->nsp = 0;
    } else if (op == 3 && r->nsp < MAX_SAVEPOINTS) {
      snprintf(r->sp[r->nsp++], sizeof(r->sp[0]), "%s", name);
    } else if (op == 4) {
      r->nsp = find_savepoint(r, name);
    } else if (op == 5) {
      r->nsp = find_savepoint(r, name) + 1;
    }
    sync_model(r);
    return;
  }
  if ((op == 4 || op == 5) && r->model_uncertain && (rc & 0xff) == SQLITE_ERROR &&
      strncmp(msg, "no such savepoint", 17) == 0) {
    /* an earlier failed RELEASE or ROLLBACK TO had taken effect after all */
    r->nsp = find_savepoint(r, name);
    return;
  }
  check_rc(r, i, sql, rc, msg, s->arg);
  /* a control statement that failed may still have taken effect (an interrupt reported after
  ** it finished): the model may keep a savepoint SQLite no longer has */
  if (!sqlite3_get_autocommit(r->db)) r->model_uncertain = 1;
  after_failure(r, i, sql, 0, NULL);
}

static void step_dml(run *r, int i, const fh_step *s) {
  char *st = subst_table(s->sql, "t"), *sp = subst_table(s->sql, "p");
  char msg[MSG_CAP];
  int was_auto = sqlite3_get_autocommit(r->db);
  int rc = under_test(r, st, NULL, msg);
  if (rc == SQLITE_OK) {
    int rc2 = disarmed(r, sp, NULL, msg);
    if (rc2 != SQLITE_OK) {
      problem(r, i, P_PLAIN, st, rc2, "t accepted the statement, p refused it: %s", msg);
      r->stop = 1;
    }
  } else {
    check_rc(r, i, st, rc, msg, s->arg);
    after_failure(r, i, st, was_auto, sp);
  }
  sync_model(r);
  free(st);
  free(sp);
}

static void step_read(run *r, int i, const fh_step *s) {
  char *st = subst_table(s->sql, "t"), *sp = subst_table(s->sql, "p");
  char msg[MSG_CAP];
  sbuf a = {0}, b = {0};
  int was_auto = sqlite3_get_autocommit(r->db);
  int rc = under_test(r, st, &a, msg);
  if (rc == SQLITE_OK) {
    int rc2 = disarmed(r, sp, &b, msg);
    if (rc2 != SQLITE_OK) {
      problem(r, i, P_SETUP, sp, rc2, "the read on p failed: %s", msg);
      r->stop = 1;
    } else if (strcmp(sb_str(&a), sb_str(&b)) != 0) {
      char d[500];
      first_difference(sb_str(&a), sb_str(&b), d, sizeof(d));
      problem(r, i, P_READ, st, 0, "answer differs from p's (%d rows, p %d): %s",
              count_lines(sb_str(&a)), count_lines(sb_str(&b)), d);
      r->stop = 1;
    }
  } else {
    check_rc(r, i, st, rc, msg, s->arg);
    after_failure(r, i, st, was_auto, NULL);
  }
  sync_model(r);
  sb_free(&a);
  sb_free(&b);
  free(st);
  free(sp);
}

/* squeeze_check or squeeze_optimize; in --plain mode a read of t that returns 'ok' or a
** count, so the self-test makes the same number of statements. */
static void step_function(run *r, int i, const fh_step *s) {
  const char *sql;
  if (s->kind == FH_CHECK)
    sql = r->env->plain ? "SELECT CASE WHEN count(*) >= 0 THEN 'ok' END FROM t"
                        : "SELECT squeeze_check('t')";
  else
    sql = r->env->plain ? "SELECT count(*) FROM t" : "SELECT squeeze_optimize('t')";
  char msg[MSG_CAP];
  sbuf a = {0};
  int was_auto = sqlite3_get_autocommit(r->db);
  int rc = under_test(r, sql, &a, msg);
  if (rc == SQLITE_OK) {
    const char *got = sb_str(&a);
    if (s->kind == FH_CHECK && strcmp(got, "'ok'\n") != 0) {
      char one[300];
      snprintf(one, sizeof(one), "%s", got);
      for (char *c = one; *c; c++)
        if (*c == '\n') *c = ' ';
      problem(r, i, P_CHECK_TEXT, sql, 0, "returned %s instead of 'ok' or an error",
              clip(one, 200));
    } else if (s->kind == FH_OPTIMIZE) {
      char *end = NULL;
      strtol(got, &end, 10);
      if (end == got || strcmp(end, "\n") != 0)
        problem(r, i, P_CHECK_TEXT, sql, 0, "returned %s instead of a count", clip(got, 200));
    }
  } else {
    check_rc(r, i, sql, rc, msg, s->arg);
    after_failure(r, i, sql, was_auto, NULL);
  }
  sync_model(r);
  sb_free(&a);
}

static void step_create(run *r, int i) {
  char sql[600];
  if (r->env->plain)
    snprintf(sql, sizeof(sql), "CREATE TABLE t(%s)", r->w->plain_cols);
  else
    snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE t USING squeeze(%s)", r->w->squeeze_args);
  char msg[MSG_CAP];
  int rc = under_test(r, sql, NULL, msg);
  if (rc == SQLITE_OK) return;
  check_rc(r, i, sql, rc, msg, 0);
  /* nothing of t may stay: neither the table nor a shadow table */
  sbuf left = {0};
  int rc2 = disarmed(r,
                     "SELECT name FROM sqlite_schema WHERE name = 't' OR name LIKE 't\\_%' "
                     "ESCAPE '\\' ORDER BY name",
                     &left, msg);
  int leftover = left.n > 0;
  if (rc2 == SQLITE_OK && leftover && r->env->applied_on_error == 2 &&
      strncmp(sb_str(&left), "'t'\n", 4) == 0) {
    /* an interrupt reported after the CREATE finished: it took effect whole if t works */
    sbuf ok = {0};
    int rc3 = disarmed(
        r, r->env->plain ? "SELECT 'ok' FROM t LIMIT 1" : "SELECT squeeze_check('t')", &ok, msg);
    int whole = rc3 == SQLITE_OK && (r->env->plain || strcmp(sb_str(&ok), "'ok'\n") == 0);
    sb_free(&ok);
    if (whole) {
      r->rep->ambiguous++;
      sb_free(&left);
      return;
    }
  }
  if (rc2 != SQLITE_OK)
    problem(r, i, P_UNREADABLE, sql, rc2, "sqlite_schema after the failure: %s", msg);
  else if (leftover)
    problem(r, i, P_CREATE, sql, 0, "the failed CREATE left %s", clip(sb_str(&left), 200));
  sb_free(&left);
  if (rc2 != SQLITE_OK || leftover) {
    r->stop = 1;
    return;
  }
  /* the application tries again, without faults */
  rc = disarmed(r, sql, NULL, msg);
  if (rc != SQLITE_OK) {
    problem(r, i, P_CREATE, sql, rc, "CREATE again after the failed one: %s", msg);
    r->stop = 1;
  }
}

static void remove_db_files(const char *path) {
  static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
  char p[700];
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
    unlink(p);
  }
}

static int setup(run *r) {
  char msg[MSG_CAP], sql[300];
  int rc =
      sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, r->env->vfs);
  if (rc != SQLITE_OK) {
    problem(r, -1, P_SETUP, NULL, rc, "open: %s", r->db ? sqlite3_errmsg(r->db) : "");
    return rc;
  }
  sqlite3_extended_result_codes(r->db, 1);
  r->app_limit = sqlite3_limit(r->db, SQLITE_LIMIT_LENGTH, -1);
  snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s",
           r->env->journal_mode ? r->env->journal_mode : "DELETE");
  rc = run_sql(r->db, sql, NULL, msg);
  if (rc == SQLITE_OK && r->env->cache_size) {
    snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", r->env->cache_size);
    rc = run_sql(r->db, sql, NULL, msg);
  }
  if (rc == SQLITE_OK && r->env->synchronous_off)
    rc = run_sql(r->db, "PRAGMA synchronous = OFF", NULL, msg);
  if (rc == SQLITE_OK && r->env->journal_mode && strcmp(r->env->journal_mode, "WAL") == 0)
    rc = run_sql(r->db, "PRAGMA wal_autocheckpoint = 8", NULL, msg);
  if (rc == SQLITE_OK) {
    snprintf(sql, sizeof(sql), "CREATE TABLE p(%s)", r->w->plain_cols);
    rc = run_sql(r->db, sql, NULL, msg);
  }
  if (rc != SQLITE_OK) {
    problem(r, -1, P_SETUP, sql, rc, "%s", msg);
    return rc;
  }
  if (r->inj->on_open) r->inj->on_open(r->inj->self, r->db);
  return SQLITE_OK;
}

/* After the workload: end the transaction, compare, close, leak check, reopen and verify. */
static void finish(run *r, int64_t base_out, int64_t base_used) {
  char msg[MSG_CAP], diff[700];
  int equal, rc;
  if (!sqlite3_get_autocommit(r->db)) {
    rc = disarmed(r, "COMMIT", NULL, msg);
    if (rc != SQLITE_OK) {
      if (!(r->env->sticky_rollback && is_io_family(rc)))
        problem(r, -1, P_COMMIT, "COMMIT", rc, "COMMIT without faults: %s", msg);
      disarmed(r, "ROLLBACK", NULL, msg);
    }
  }
  if (!r->stop) {
    rc = compare_tables(r, r->db, &equal, diff, sizeof(diff), msg);
    if (rc != SQLITE_OK)
      problem(r, -1, P_UNREADABLE, NULL, rc, "reading t and p before closing: %s", msg);
    else if (!equal)
      problem(r, -1, P_LIVE, NULL, 0, "before closing, t differs from p: %s", diff);
    if (rc != SQLITE_OK || !equal) r->stop = 1;
  }
  rc = sqlite3_close(r->db);
  r->db = NULL;
  if (rc != SQLITE_OK) {
    problem(r, -1, P_CLOSE, NULL, rc, "sqlite3_close failed (an unfinalized statement?)");
    return;
  }
  if (r->inj->outstanding) {
    int64_t out = r->inj->outstanding(r->inj->self) - base_out;
    int64_t used = sqlite3_memory_used() - base_used;
    if (out != 0 || used != 0)
      problem(r, -1, P_LEAK, NULL, 0,
              "%lld allocations, %lld bytes (sqlite3_memory_used) not freed after close",
              (long long)out, (long long)used);
  }

  sqlite3 *db = NULL;
  rc = sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK) {
    problem(r, -1, P_SETUP, NULL, rc, "reopen: %s", db ? sqlite3_errmsg(db) : "");
    sqlite3_close(db);
    return;
  }
  sqlite3_extended_result_codes(db, 1);
  sbuf a = {0};
  rc = run_sql(db, "PRAGMA integrity_check", &a, msg);
  if (rc != SQLITE_OK || strcmp(sb_str(&a), "'ok'\n") != 0)
    problem(r, -1, P_INTEGRITY, "PRAGMA integrity_check", rc, "%s",
            rc ? msg : clip(sb_str(&a), 300));
  sb_free(&a);
  if (!r->env->plain) {
    rc = run_sql(db, "SELECT squeeze_check('t')", &a, msg);
    if (rc != SQLITE_OK || strcmp(sb_str(&a), "'ok'\n") != 0)
      problem(r, -1, P_SQUEEZE_CHECK, "SELECT squeeze_check('t')", rc, "%s",
              rc ? msg : clip(sb_str(&a), 300));
    sb_free(&a);
  }
  if (!r->stop) {
    rc = compare_tables(r, db, &equal, diff, sizeof(diff), msg);
    if (rc != SQLITE_OK)
      problem(r, -1, P_FINAL, NULL, rc, "reading t and p after reopening: %s", msg);
    else if (!equal)
      problem(r, -1, P_FINAL, NULL, 0, "after reopening, t differs from p: %s", diff);
  }
  sqlite3_close(db);
}

int fh_run(const fh_env *env, const fh_workload *w, fh_injector *inj, const char *label, long n,
           fh_report *rep) {
  run r;
  memset(&r, 0, sizeof(r));
  r.env = env;
  r.w = w;
  r.inj = inj;
  r.rep = rep;
  r.label = label;
  r.n = n;
  snprintf(r.path, sizeof(r.path), "%s/fault.db", env->dir);
  remove_db_files(r.path);
  if (env->verbose) printf("== %s/%s N=%ld\n", w->name, label, n);

  int64_t base_out = inj->outstanding ? inj->outstanding(inj->self) : 0;
  int64_t base_used = sqlite3_memory_used();
  if (setup(&r) == SQLITE_OK) {
    for (int i = 0; w->steps[i].kind != FH_END && !r.stop; i++) {
      const fh_step *s = &w->steps[i];
      switch (s->kind) {
      case FH_CREATE:
        step_create(&r, i);
        break;
      case FH_DML:
        step_dml(&r, i, s);
        break;
      case FH_READ:
        step_read(&r, i, s);
        break;
      case FH_CHECK:
      case FH_OPTIMIZE:
        step_function(&r, i, s);
        break;
      case FH_CTL:
        step_ctl(&r, i, s);
        break;
      case FH_LIMIT:
        r.app_limit = s->arg;
        sqlite3_limit(r.db, SQLITE_LIMIT_LENGTH, s->arg);
        break;
      case FH_END:
        break;
      }
    }
    finish(&r, base_out, base_used);
  } else if (r.db) {
    sqlite3_close(r.db);
  }
  if (r.problems) {
    rep->failed++;
    if (rep->printed_runs < env->print_runs) rep->printed_runs++;
  } else {
    rep->passed++;
  }
  return r.problems;
}

void fh_fault_injected(void) {
  static volatile long faults;
  faults++;
}

/* ---- Sweeps, temp dirs, options ------------------------------------------------------ */

long fh_points(long total, long want, uint64_t seed, long *out) {
  if (total <= 0 || want <= 0) return 0;
  if (want >= total) {
    for (long i = 0; i < total; i++)
      out[i] = i + 1;
    return total;
  }
  uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
  long k = 0;
  for (long i = 0; i < want; i++) {
    long lo = 1 + (long)((double)total * i / want);
    long hi = (long)((double)total * (i + 1) / want);
    if (hi < lo) continue;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    uint64_t rnd = x * 2685821657736338717ULL;
    long v = lo + (long)(rnd % (uint64_t)(hi - lo + 1));
    if (k == 0 || v > out[k - 1]) out[k++] = v;
  }
  return k;
}

int fh_tempdir(char *buf, size_t cap) {
  /* TMPDIR when set; otherwise /dev/shm when there is one (thousands of runs each create,
  ** journal and delete a database: tmpfs halves the time on the shared machine), else /tmp */
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(buf, cap, "%s/squeeze-faults-XXXXXX", base);
  return mkdtemp(buf) ? 0 : -1;
}

void fh_tempdir_remove(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char p[1200];
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* The chunk cache's shared segment of this run (docs/cache.md): its own,
** empty at the start and removed at exit, because what the cache holds
** decides which statements a read runs (a hit reads no body), so fault point
** N must find the same cache in every run of the harness. */
static char segment_prefix[64];
static pid_t segment_owner;

static void segment_remove(void) {
  if (getpid() != segment_owner) return; /* a forked child's exit */
  DIR *d = opendir("/dev/shm");
  if (!d) return;
  size_t n = strlen(segment_prefix);
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, segment_prefix, n) != 0 || e->d_name[n] != '-') continue;
    char path[320];
    snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
    unlink(path);
  }
  closedir(d);
}

static void segment_own(void) {
  if (getenv("SQUEEZE_CACHE_SEGMENT")) return; /* the caller chose one */
  segment_owner = getpid();
  snprintf(segment_prefix, sizeof segment_prefix, "sqz-faults-%d", (int)segment_owner);
  setenv("SQUEEZE_CACHE_SEGMENT", segment_prefix, 1);
  atexit(segment_remove);
}

int fh_parse_options(int argc, char **argv, fh_options *opt, const char *usage_extra) {
  segment_own();
  memset(opt, 0, sizeof(*opt));
  opt->only_n = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--full") == 0) {
      opt->full = 1;
    } else if (strcmp(a, "--plain") == 0) {
      opt->plain = 1;
    } else if (strcmp(a, "-v") == 0) {
      opt->verbose = 1;
    } else if (strcmp(a, "--n") == 0 && i + 1 < argc) {
      opt->only_n = atol(argv[++i]);
    } else if (strcmp(a, "--workload") == 0 && i + 1 < argc) {
      opt->workload = argv[++i];
    } else if (strcmp(a, "--mode") == 0 && i + 1 < argc) {
      opt->mode = argv[++i];
    } else if (strcmp(a, "--script") == 0 && i + 1 < argc) {
      opt->script = argv[++i];
    } else {
      fprintf(stderr,
              "usage: %s [--full] [--plain] [--workload small|large | --script FILE] [--mode NAME]"
              " [--n N] [-v]\n"
              "  --full      the long sweep (make faults); default: the sampled one (make test)\n"
              "  --plain     replace the squeeze table by a plain table: must report 0 failures\n"
              "  --workload  only this workload\n"
              "  --script    a workload from FILE (faults_common.h), every fault point swept\n"
              "  --mode      only sweeps whose label contains NAME%s\n"
              "  --n N       only fault point N; with -v every statement and result is printed\n",
              argv[0], usage_extra ? usage_extra : "");
      return 1;
    }
  }
  return 0;
}

static void script_die(const char *path, int line, const char *why) {
  fprintf(stderr, "%s:%d: %s\n", path, line, why);
  exit(2);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = 0;
  return s;
}

static char *dup_str(const char *s) {
  char *d = strdup(s);
  if (!d) exit(2);
  return d;
}

/* Reads a --script workload (format in faults_common.h); its memory lives to the end. */
static const fh_workload *load_script(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) script_die(path, 0, "cannot open");
  static fh_workload w;
  fh_step *steps = calloc(1, sizeof(fh_step));
  int n = 0, lineno = 0;
  char line[8192];
  memset(&w, 0, sizeof(w));
  w.name = dup_str(path);
  w.sweep_all = 1;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    char *l = trim(line);
    if (!*l || *l == '#') continue;
    fh_step st = {FH_DML, NULL, 0};
    if (strncmp(l, "table:", 6) == 0) {
      char *a = trim(l + 6), *b = strchr(a, '|'), *c = b ? strchr(b + 1, '|') : NULL;
      if (!b || !c || n) script_die(path, lineno, "table: <squeeze args> | <plain> | <cols> first");
      *b = *c = 0;
      w.squeeze_args = dup_str(trim(a));
      w.plain_cols = dup_str(trim(b + 1));
      w.cols = dup_str(trim(c + 1));
      st.kind = FH_CREATE;
    } else if (!w.squeeze_args) {
      script_die(path, lineno, "the first step must be the table: line");
    } else if (strncmp(l, "limit ", 6) == 0) {
      st.kind = FH_LIMIT;
      st.arg = atoi(l + 6);
    } else {
      char *may = strstr(l, "-- may:");
      if (may) {
        const char *code = trim(may + 7);
        st.arg = strcmp(code, "CONSTRAINT") == 0 ? SQLITE_CONSTRAINT
                 : strcmp(code, "TOOBIG") == 0   ? SQLITE_TOOBIG
                 : strcmp(code, "MISMATCH") == 0 ? SQLITE_MISMATCH
                                                 : -1;
        if (st.arg < 0) script_die(path, lineno, "may: CONSTRAINT, TOOBIG or MISMATCH");
        *may = 0;
        l = trim(l);
      }
      static const char *const ctl[] = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT ", "RELEASE "};
      for (size_t k = 0; k < sizeof(ctl) / sizeof(ctl[0]); k++)
        if (strncmp(l, ctl[k], strlen(ctl[k])) == 0) st.kind = FH_CTL;
      if (strstr(l, "squeeze_check(")) {
        st.kind = FH_CHECK;
      } else if (strstr(l, "squeeze_optimize(")) {
        st.kind = FH_OPTIMIZE;
      } else if (st.kind != FH_CTL && strncmp(l, "SELECT", 6) == 0) {
        st.kind = FH_READ;
      }
      if (st.kind != FH_CHECK && st.kind != FH_OPTIMIZE) st.sql = dup_str(l);
    }
    steps = realloc(steps, sizeof(fh_step) * (size_t)(n + 2));
    if (!steps) exit(2);
    steps[n++] = st;
  }
  fclose(f);
  if (!w.squeeze_args) script_die(path, lineno, "no table: line");
  steps[n].kind = FH_END;
  w.steps = steps;
  return &w;
}

const fh_workload *const *fh_selected_workloads(const fh_options *opt) {
  static const fh_workload *list[3];
  int k = 0;
  if (opt->script) {
    list[0] = load_script(opt->script);
    list[1] = NULL;
    return list;
  }
  if (!opt->workload || strcmp(opt->workload, "small") == 0) list[k++] = &fh_small;
  if (!opt->workload || strcmp(opt->workload, "large") == 0) list[k++] = &fh_large;
  list[k] = NULL;
  return list;
}

int fh_mode_selected(const fh_options *opt, const char *label) {
  return !opt->mode || strstr(label, opt->mode) != NULL;
}

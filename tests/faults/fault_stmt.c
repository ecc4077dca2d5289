/*
** fault_stmt.c: statements on a squeeze table that fail for reasons of their own: the length
** limit, constraints, a datatype mismatch, an interrupt. Each must change nothing, also when
** the application carries on with its transaction and commits.
**
**   scenarios   short fixed workloads, each with one statement that fails without any injected
**               fault, among them the repro (an INSERT whose chunk flush exceeds
**               SQLITE_LIMIT_LENGTH leaves its row in the insert buffer and the COMMIT after it
**               stores the row);
**   limit       the shared workloads with SQLITE_LIMIT_LENGTH lowered to L around every
**               statement under test (L swept from 16 bytes to 64 KiB): any statement may fail
**               with SQLITE_TOOBIG (a value, a chunk or an answer larger than L), and none may
**               leave anything behind; the mirror statements on p run at the normal limit;
**   interrupt   a progress handler (every VM step) that interrupts the statement under test at
**               its N-th call (once) or from then on (persistent): SQLITE_INTERRUPT.
**
** The checks are those of faults_common.h: t equals p after every failed statement, at the end,
** and after reopening, with integrity_check and squeeze_check ok.
**
**   build/faults/fault_stmt                     sampled limit and interrupt sweeps (make test)
**   build/faults/fault_stmt --full              more points
**   build/faults/fault_stmt --plain             self-test: t is a plain table, 0 failures
**   build/faults/fault_stmt --mode scenario -v  the scenarios, every statement printed
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults_common.h"

/* ---- Scenarios ----------------------------------------------------------------------- */

#define BIG "zeroblob(20000)"
#define LIMIT_LOW                                                                                  \
  { FH_LIMIT, NULL, 30000 }
#define LIMIT_HIGH                                                                                 \
  { FH_LIMIT, NULL, 1000000000 }

static const fh_step s_limit_txn[] = {
    {FH_CREATE, NULL, 0},
    LIMIT_LOW,
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    LIMIT_HIGH,
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT count(*) FROM %T", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_limit_auto[] = {
    {FH_CREATE, NULL, 0},
    LIMIT_LOW,
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    LIMIT_HIGH,
    {FH_DML, "INSERT INTO %T VALUES (x'01')", 0},
    {FH_READ, "SELECT rowid, length(b) FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_limit_multirow[] = {
    {FH_CREATE, NULL, 0},
    LIMIT_LOW,
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T VALUES (" BIG "), (" BIG "), (x'02')", SQLITE_TOOBIG},
    {FH_DML, "INSERT INTO %T VALUES (x'03')", 0},
    LIMIT_HIGH,
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, length(b) FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_limit_savepoint[] = {
    {FH_CREATE, NULL, 0},
    LIMIT_LOW,
    {FH_CTL, "BEGIN", 0},
    {FH_CTL, "SAVEPOINT a", 0},
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    {FH_DML, "INSERT INTO %T VALUES (" BIG ")", SQLITE_TOOBIG},
    {FH_CTL, "RELEASE a", 0},
    LIMIT_HIGH,
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, length(b) FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

/* patches folded into a chunk at COMMIT make it larger than the limit */
static const fh_step s_limit_update[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML, "INSERT INTO %T VALUES (x'01'), (x'02'), (x'03'), (x'04')", 0},
    LIMIT_LOW,
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "UPDATE %T SET b = " BIG " WHERE rowid <= 2", SQLITE_TOOBIG},
    {FH_CTL, "COMMIT", SQLITE_TOOBIG},
    LIMIT_HIGH,
    {FH_READ, "SELECT rowid, length(b) FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

/* squeeze_optimize packs two half-empty chunks into one larger than the limit */
static const fh_step s_limit_optimize[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML,
     "INSERT INTO %T VALUES (zeroblob(9000)), (zeroblob(9001)), (zeroblob(9002)), "
     "(zeroblob(9003))",
     0},
    {FH_DML, "DELETE FROM %T WHERE rowid IN (2, 3)", 0},
    {FH_DML,
     "INSERT INTO %T VALUES (zeroblob(9004)), (zeroblob(9005)), (zeroblob(9006)), "
     "(zeroblob(9007))",
     0},
    {FH_DML, "DELETE FROM %T WHERE rowid IN (6, 7)", 0},
    {FH_CHECK, NULL, 0},
    LIMIT_LOW,
    {FH_OPTIMIZE, NULL, SQLITE_TOOBIG},
    LIMIT_HIGH,
    {FH_READ, "SELECT rowid, length(b) FROM %T ORDER BY rowid", 0},
    {FH_CHECK, NULL, 0},
    {FH_END, NULL, 0},
};

static const fh_step s_constraint_buffer[] = {
    {FH_CREATE, NULL, 0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (1, 1, 'one')", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (2, 2, 'two')", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (1, 3, 'again')", SQLITE_CONSTRAINT},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (3, 4, 'three')", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, a, b FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_constraint_multirow[] = {
    {FH_CREATE, NULL, 0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (10, 1, 'a'), (11, 2, 'b'), (12, 3, 'c')", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (20, 4, 'd'), (21, 5, 'e'), (10, 6, 'f')",
     SQLITE_CONSTRAINT},
    {FH_DML, "INSERT INTO %T(a, b) VALUES (7, 'g')", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, a, b FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_rowid_collision[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML,
     "INSERT INTO %T(a, b) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), "
     "(6, 'f')",
     0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "UPDATE %T SET rowid = rowid + 1 WHERE rowid >= 3", SQLITE_CONSTRAINT},
    {FH_DML, "UPDATE %T SET rowid = rowid + 100 WHERE rowid >= 5", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, a, b FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

static const fh_step s_mismatch[] = {
    {FH_CREATE, NULL, 0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (1, 1, 'a'), (2, 2, 'b'), ('x', 3, 'c')",
     SQLITE_MISMATCH},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (5, 5, 'e')", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_READ, "SELECT rowid, a, b FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

/* OR ROLLBACK: the constraint rolls the whole transaction back, buffered rows too */
static const fh_step s_or_rollback[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (1, 1, 'kept')", 0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b) VALUES (2, 2, 'gone'), (3, 3, 'gone')", 0},
    {FH_DML, "INSERT OR ROLLBACK INTO %T(rowid, a, b) VALUES (4, 4, 'x'), (1, 5, 'y')",
     SQLITE_CONSTRAINT},
    {FH_CTL, "COMMIT", 0},
    {FH_DML, "INSERT INTO %T(a, b) VALUES (6, 'after')", 0},
    {FH_READ, "SELECT rowid, a, b FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

#define SC_BLOB "b BLOB CODEC store, chunk_rows = 2", "b BLOB", "b"
#define SC_AB "a INTEGER, b TEXT, chunk_rows = 4", "a INTEGER, b TEXT", "a, b"

static const fh_workload scenarios[] = {
    {"limit-txn (the issue's repro)", SC_BLOB, s_limit_txn, 0},
    {"limit-autocommit", SC_BLOB, s_limit_auto, 0},
    {"limit-multirow", SC_BLOB, s_limit_multirow, 0},
    {"limit-savepoint", SC_BLOB, s_limit_savepoint, 0},
    {"limit-update-commit", SC_BLOB, s_limit_update, 0},
    {"limit-optimize", "b BLOB CODEC store, chunk_rows = 4", "b BLOB", "b", s_limit_optimize, 0},
    {"constraint-buffer", SC_AB, s_constraint_buffer, 0},
    {"constraint-multirow", SC_AB, s_constraint_multirow, 0},
    {"rowid-collision", SC_AB, s_rowid_collision, 0},
    {"datatype-mismatch", SC_AB, s_mismatch, 0},
    {"or-rollback", SC_AB, s_or_rollback, 0},
};

/* ---- Injectors ----------------------------------------------------------------------- */

static int no_fault_rc(int rc) {
  (void)rc;
  return 0;
}

static struct {
  int armed;
  int limit;      /* the limit sweep: SQLITE_LIMIT_LENGTH while armed */
  int persistent; /* the interrupt sweep */
  long fail_at;
  long count;
  long fired;
} g;

static void limit_arm(void *self, sqlite3 *db) {
  (void)self;
  int cur = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);
  if (g.limit > 0 && g.limit < cur) sqlite3_limit(db, SQLITE_LIMIT_LENGTH, g.limit);
}
static void limit_disarm(void *self, sqlite3 *db) {
  (void)self;
  (void)db; /* the runner puts the application's limit back */
}
static int limit_fault_rc(int rc) {
  return (rc & 0xff) == SQLITE_TOOBIG;
}

static int progress(void *arg) {
  (void)arg;
  if (!g.armed) return 0;
  g.count++;
  if (g.fail_at <= 0) return 0;
  int f = g.persistent ? g.count >= g.fail_at : g.count == g.fail_at;
  if (f) {
    g.fired++;
    fh_fault_injected();
  }
  return f;
}
static void intr_open(void *self, sqlite3 *db) {
  (void)self;
  sqlite3_progress_handler(db, 1, progress, NULL);
}
static void intr_arm(void *self, sqlite3 *db) {
  (void)self;
  (void)db;
  g.armed = 1;
}
static void intr_disarm(void *self, sqlite3 *db) {
  (void)self;
  (void)db;
  g.armed = 0;
}
static int intr_fault_rc(int rc) {
  return rc == SQLITE_INTERRUPT;
}

int main(int argc, char **argv) {
  fh_options opt;
  if (fh_parse_options(argc, argv, &opt,
                       " (scenario, limit, interrupt-once, "
                       "interrupt-persistent)"))
    return 2;
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  char dir[512];
  if (fh_tempdir(dir, sizeof(dir)) != 0) {
    perror("fault_stmt: mkdtemp");
    return 2;
  }
  fh_report *rep = fh_report_new("fault_stmt");
  fh_env env;
  memset(&env, 0, sizeof(env));
  env.dir = dir;
  env.journal_mode = "DELETE";
  env.synchronous_off = 1;
  env.plain = opt.plain;
  env.check_after_failure = 1;
  env.verbose = opt.verbose;
  env.print_runs = opt.verbose ? 1 << 30 : 25;

  if (fh_mode_selected(&opt, "scenario") && !opt.workload && !opt.script) {
    fh_injector none = {"none", NULL, NULL, NULL, no_fault_rc, NULL, NULL};
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
      fh_run(&env, &scenarios[i], &none, "scenario", 0, rep);
    printf("scenarios: %zu\n", sizeof(scenarios) / sizeof(scenarios[0]));
  }

  const fh_workload *const *wl = fh_selected_workloads(&opt);
  long points[4000];

  /* length limit: L from 16 bytes to 64 KiB, geometric */
  if (fh_mode_selected(&opt, "limit")) {
    fh_injector lim = {"limit", NULL, limit_arm, limit_disarm, limit_fault_rc, NULL, NULL};
    long want = opt.full ? 400 : 24;
    for (int wi = 0; wl[wi]; wi++) {
      long n = 0, prev = 0;
      for (long k = 0; k < want; k++) {
        long L = (long)(16.0 * pow(4096.0, (double)k / (double)(want - 1)) + 0.5);
        if (L != prev) points[n++] = prev = L;
      }
      if (opt.only_n >= 0) {
        points[0] = opt.only_n;
        n = 1;
      }
      for (long k = 0; k < n; k++) {
        g.limit = (int)points[k];
        fh_run(&env, wl[wi], &lim, "limit", points[k], rep);
      }
      g.limit = 0;
      printf("%s/limit: %ld length limits from %ld to %ld\n", wl[wi]->name, n, points[0],
             points[n - 1]);
    }
  }

  /* interrupt at the N-th progress callback */
  env.applied_on_error = 2; /* SQLITE_INTERRUPT may come after the statement took effect */
  fh_injector intr = {"interrupt", NULL, intr_arm, intr_disarm, intr_fault_rc, intr_open, NULL};
  for (int wi = 0; wl[wi]; wi++) {
    if (!fh_mode_selected(&opt, "interrupt-once") &&
        !fh_mode_selected(&opt, "interrupt-persistent"))
      break;
    memset(&g, 0, sizeof(g));
    if (fh_run(&env, wl[wi], &intr, "interrupt-reference", 0, rep)) {
      fh_report_error(rep, "%s: the workload fails without any fault", wl[wi]->name);
      continue;
    }
    long total = g.count;
    for (int persistent = 0; persistent < 2; persistent++) {
      const char *label = persistent ? "interrupt-persistent" : "interrupt-once";
      if (!fh_mode_selected(&opt, label)) continue;
      long want = opt.full ? (persistent ? 600 : 3000) : (persistent ? 15 : 40);
      if (wl[wi] == &fh_large) want /= 2;
      if (wl[wi]->sweep_all) want = total;
      long n = opt.only_n >= 0 ? 1 : fh_points(total, want, 0x1e7e0000u + persistent, points);
      if (opt.only_n >= 0) points[0] = opt.only_n;
      for (long k = 0; k < n; k++) {
        memset(&g, 0, sizeof(g));
        g.persistent = persistent;
        g.fail_at = points[k];
        fh_run(&env, wl[wi], &intr, label, points[k], rep);
      }
      printf("%s/%s: %ld of %ld progress callbacks\n", wl[wi]->name, label, n, total);
    }
  }
  fflush(stdout);
  fh_tempdir_remove(dir);
  return fh_report_finish(rep) ? 1 : 0;
}

/*
** fault_oom.c: allocation failures injected into every statement on a squeeze table.
**
** A wrapper allocator is installed with SQLITE_CONFIG_MALLOC (as SQLite's own test_malloc.c
** does), so every allocation of SQLite and of the extension (which allocates only through
** sqlite3_malloc) passes through it. While a statement under test runs, the wrapper counts
** allocations and fails the N-th one:
**
**   oom-once        only the N-th; the application carries on with its workload (and its
**                   transaction, when SQLite kept it open) and commits at the end; t is
**                   compared with p right after each failed statement;
**   oom-persistent  the N-th and every later one, to the end of the workload, so that
**                   ROLLBACK TO, RELEASE and COMMIT fail too; then, with memory back, the
**                   open transaction is committed (no comparison in between: the application
**                   does not look);
**   oom-stmt        the N-th and the rest of that statement; then carries on as oom-once.
**
** Every statement must return SQLITE_OK or SQLITE_NOMEM, and afterwards t must equal the plain
** mirror p (faults_common.h); the wrapper also counts the allocations outstanding, so that after
** sqlite3_close() nothing may be left (nor in sqlite3_memory_used()).
**
** A reference run without faults counts the allocations of each workload (T). The small
** workload is swept for every N in 1..T with --full (make faults) and at spread sample points
** otherwise (make test); the large one is sampled in both.
**
**   build/faults/fault_oom                       sampled sweep
**   build/faults/fault_oom --full                every N of the small workload
**   build/faults/fault_oom --plain               self-test: t is a plain table, 0 failures
**   build/faults/fault_oom --workload small --mode oom-once --n 123 -v   replay one run
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults_common.h"

enum { MODE_ONCE, MODE_PERSISTENT, MODE_STMT };

static sqlite3_mem_methods real_mem; /* SQLite's own allocator, wrapped */

static struct {
  int armed;      /* a statement under test is running */
  int mode;       /* MODE_* */
  long fail_at;   /* N: the armed allocation to fail first, 0 for none */
  long count;     /* armed allocations so far in this run */
  long fired;     /* allocations failed so far in this run */
  int64_t nout;   /* allocations outstanding, whole process */
  int64_t bytes;  /* their bytes (xSize) */
  int verbose;    /* -v: say which allocation of a statement failed */
  long arm_count; /* count and fired when the statement under test started */
  long arm_fired;
  long first_k; /* the statement's allocation that failed first */
} g;

static int should_fail(void) {
  if (!g.armed) return 0;
  g.count++;
  if (g.fail_at <= 0) return 0; /* the reference run only counts */
  int fail = g.mode == MODE_ONCE ? g.count == g.fail_at : g.count >= g.fail_at;
  if (fail) {
    if (g.fired == g.arm_fired) g.first_k = g.count - g.arm_count;
    g.fired++;
    fh_fault_injected();
  }
  return fail;
}

static void *w_malloc(int n) {
  if (should_fail()) return NULL;
  void *p = real_mem.xMalloc(n);
  if (p) {
    g.nout++;
    g.bytes += real_mem.xSize(p);
  }
  return p;
}

static void w_free(void *p) {
  if (p) {
    g.nout--;
    g.bytes -= real_mem.xSize(p);
  }
  real_mem.xFree(p);
}

static void *w_realloc(void *p, int n) {
  if (should_fail()) return NULL;
  int old = p ? real_mem.xSize(p) : 0;
  void *q = real_mem.xRealloc(p, n);
  if (q) {
    if (!p) g.nout++;
    g.bytes += real_mem.xSize(q) - old;
  }
  return q;
}

static void inj_arm(void *self, sqlite3 *db) {
  (void)self;
  (void)db;
  g.armed = 1;
  g.arm_count = g.count;
  g.arm_fired = g.fired;
}

static void inj_disarm(void *self, sqlite3 *db) {
  (void)self;
  (void)db;
  g.armed = 0;
  if (g.verbose && g.fired > g.arm_fired)
    printf("         (allocation %ld of this statement failed first; %ld failed in it)\n",
           g.first_k, g.fired - g.arm_fired);
  if (g.mode == MODE_STMT && g.fired) g.fail_at = 0x7fffffffL; /* the statement is over */
}

static int inj_fault_rc(int rc) {
  return (rc & 0xff) == SQLITE_NOMEM || rc == SQLITE_IOERR_NOMEM;
}

static int64_t inj_outstanding(void *self) {
  (void)self;
  return g.nout;
}

static void configure(int mode, long fail_at) {
  g.mode = mode;
  g.fail_at = fail_at;
  g.count = 0;
  g.fired = 0;
  g.armed = 0;
  g.arm_count = g.arm_fired = 0;
}

typedef struct sweep {
  const char *label;
  int mode;
  int check_after_failure;
  long sampled[2]; /* points for the small and the large workload: make test */
  long full[2];    /* the same for --full (make faults); a huge number means every point */
} sweep;

static const sweep sweeps[] = {
    {"oom-once", MODE_ONCE, 1, {200, 80}, {1L << 40, 3000}},
    {"oom-persistent", MODE_PERSISTENT, 0, {100, 40}, {1L << 40, 1500}},
    {"oom-stmt", MODE_STMT, 1, {60, 30}, {1L << 40, 1500}},
};

int main(int argc, char **argv) {
  fh_options opt;
  if (fh_parse_options(argc, argv, &opt, " (oom-once, oom-persistent, oom-stmt)")) return 2;

  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK) return 2;
  sqlite3_mem_methods wrapped = real_mem;
  wrapped.xMalloc = w_malloc;
  wrapped.xFree = w_free;
  wrapped.xRealloc = w_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapped) != SQLITE_OK) {
    fprintf(stderr, "fault_oom: SQLITE_CONFIG_MALLOC refused\n");
    return 2;
  }
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);

  char dir[512];
  if (fh_tempdir(dir, sizeof(dir)) != 0) {
    perror("fault_oom: mkdtemp");
    return 2;
  }
  g.verbose = opt.verbose;
  fh_report *rep = fh_report_new("fault_oom");
  fh_env env;
  memset(&env, 0, sizeof(env));
  env.dir = dir;
  env.journal_mode = "DELETE";
  env.synchronous_off = 1;
  env.plain = opt.plain;
  env.verbose = opt.verbose;
  env.print_runs = opt.verbose ? 1 << 30 : 25;
  fh_injector inj = {"oom", NULL, inj_arm, inj_disarm, inj_fault_rc, NULL, inj_outstanding};

  const fh_workload *const *wl = fh_selected_workloads(&opt);
  for (int wi = 0; wl[wi]; wi++) {
    const fh_workload *w = wl[wi];
    int which = w == &fh_large;
    /* the reference run: counts the fault points and must pass */
    configure(MODE_ONCE, 0);
    env.check_after_failure = 1;
    int bad = fh_run(&env, w, &inj, "reference", 0, rep);
    long total = g.count;
    if (bad) {
      fh_report_error(rep, "%s: the workload fails without any fault; sweeps skipped", w->name);
      continue;
    }
    long *points = malloc(sizeof(long) * (size_t)(total + 1));
    if (!points) return 2;
    for (size_t si = 0; si < sizeof(sweeps) / sizeof(sweeps[0]); si++) {
      const sweep *s = &sweeps[si];
      if (!fh_mode_selected(&opt, s->label)) continue;
      long want = w->sweep_all ? total : opt.full ? s->full[which] : s->sampled[which];
      long npoints;
      if (opt.only_n >= 0) {
        points[0] = opt.only_n;
        npoints = 1;
      } else {
        npoints = fh_points(total, want, 0x5eed0000u + (unsigned)si, points);
      }
      if (npoints == 0) continue;
      long nofire = 0;
      env.check_after_failure = s->check_after_failure;
      for (long k = 0; k < npoints; k++) {
        configure(s->mode, points[k]);
        fh_run(&env, w, &inj, s->label, points[k], rep);
        if (g.fired == 0) nofire++;
      }
      printf("%s/%s: %ld of %ld allocations failed in turn%s", w->name, s->label, npoints, total,
             nofire ? "" : "\n");
      if (nofire) printf(" (%ld runs never reached their fault point)\n", nofire);
      fflush(stdout);
    }
    free(points);
  }
  fh_tempdir_remove(dir);
  return fh_report_finish(rep) ? 1 : 0;
}

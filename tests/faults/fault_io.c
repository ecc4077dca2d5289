/*
** fault_io.c: I/O errors injected into every statement on a squeeze table.
**
** A VFS shim, "faultfs", is registered over "unix" (in the manner of SQLite's test_vfs.c) and
** the connection under test opens the database through it. While a statement under test runs,
** the shim counts the calls of the selected kinds and fails the N-th with the code a real
** failure gives:
**
**   read      xRead       SQLITE_IOERR_READ          write  xWrite     SQLITE_IOERR_WRITE
**   full      xWrite      SQLITE_FULL                sync   xSync      SQLITE_IOERR_FSYNC
**   truncate  xTruncate   SQLITE_IOERR_TRUNCATE      delete xDelete    SQLITE_IOERR_DELETE
**   fstat     xFileSize   SQLITE_IOERR_FSTAT         lock   xLock      SQLITE_IOERR_LOCK
**   shm       xShmMap     SQLITE_IOERR_SHMMAP (WAL)  any    all of these but full
**
** once fails only the N-th call; persistent fails it and every later one until the workload
** ends. The database runs in DELETE and in WAL journal mode with PRAGMA cache_size = 2, so reads
** reach the file; the temporary files of statement journals go through the shim too. (The shim
** does not call the real fsync: no test here cuts the power, and the count of xSync calls is
** the same.)
**
** Each statement must return SQLITE_OK, an SQLITE_IOERR code or SQLITE_FULL. After an error
** SQLite may have rolled the transaction back, or keep the error until the application ends
** the transaction: the runner (faults_common.c) then issues ROLLBACK, as SQLite's documentation
** asks. A statement in autocommit mode whose commit failed may still have reached the disk; the
** runner accepts t equal to p with or without that statement, but nothing in between. After the
** workload the connection is closed and the database reopened through "unix" without faults
** (the hot journal is rolled back, the WAL recovered): integrity_check and squeeze_check must
** say ok and t must equal p.
**
**   build/faults/fault_io                        sampled sweep (make test)
**   build/faults/fault_io --full                 every read, write, sync... of the small workload
**   build/faults/fault_io --plain                self-test: t is a plain table, 0 failures
**   build/faults/fault_io --workload small --mode wal/read-once --n 17 -v
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults_common.h"

enum { K_READ, K_WRITE, K_FULL, K_SYNC, K_TRUNCATE, K_DELETE, K_FSTAT, K_LOCK, K_SHM, K_COUNT };
#define BIT(k) (1u << (k))
#define K_ANY                                                                                      \
  (BIT(K_READ) | BIT(K_WRITE) | BIT(K_SYNC) | BIT(K_TRUNCATE) | BIT(K_DELETE) | BIT(K_FSTAT) |     \
   BIT(K_LOCK) | BIT(K_SHM))

static struct {
  int armed;                /* a statement under test is running */
  unsigned kinds;           /* BIT(K_*) of the calls counted toward N */
  int persistent;           /* fail from the N-th call on, not only the N-th */
  long fail_at;             /* N, 0 for none */
  long count;               /* armed calls of the selected kinds so far */
  long count_kind[K_COUNT]; /* armed calls of each kind so far */
  long fired;               /* failed calls so far */
  int verbose;              /* -v: say which call of a statement failed */
  long arm_count;           /* count and fired when the statement under test started */
  long arm_fired;
  long first_k;   /* the statement's counted call that failed first */
  int first_kind; /* its kind */
} g;

static const char *const kind_names[K_COUNT] = {"xRead",     "xWrite",    "xWrite (full)",
                                                "xSync",     "xTruncate", "xDelete",
                                                "xFileSize", "xLock",     "xShmMap"};

/* Counts one call of kind k; nonzero when it is to fail. */
static int fault(int k) {
  if (!g.armed) return 0;
  g.count_kind[k]++;
  if (!(g.kinds & BIT(k))) return 0;
  g.count++;
  if (g.fail_at <= 0) return 0;
  int f = g.persistent ? g.count >= g.fail_at : g.count == g.fail_at;
  if (f) {
    if (g.fired == g.arm_fired) {
      g.first_k = g.count - g.arm_count;
      g.first_kind = k;
    }
    g.fired++;
    fh_fault_injected();
  }
  return f;
}

/* ---- The shim ------------------------------------------------------------------------ */

typedef struct ff_file {
  sqlite3_file base;  /* pMethods: ff_io */
  sqlite3_file *real; /* the unix file, allocated right after this struct */
} ff_file;

static sqlite3_vfs *real_vfs;
#define REAL(f) (((ff_file *)(f))->real)

static int ff_close(sqlite3_file *f) {
  return REAL(f)->pMethods->xClose(REAL(f));
}
static int ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
  if (fault(K_READ)) return SQLITE_IOERR_READ;
  return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
  if (fault(K_WRITE)) return SQLITE_IOERR_WRITE;
  if (fault(K_FULL)) return SQLITE_FULL;
  return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 size) {
  if (fault(K_TRUNCATE)) return SQLITE_IOERR_TRUNCATE;
  return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int ff_sync(sqlite3_file *f, int flags) {
  (void)f;
  (void)flags;
  if (fault(K_SYNC)) return SQLITE_IOERR_FSYNC;
  return SQLITE_OK; /* see the header: no real fsync */
}
static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  if (fault(K_FSTAT)) return SQLITE_IOERR_FSTAT;
  return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int ff_lock(sqlite3_file *f, int lock) {
  if (fault(K_LOCK)) return SQLITE_IOERR_LOCK;
  return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int ff_unlock(sqlite3_file *f, int lock) {
  return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int ff_check_reserved(sqlite3_file *f, int *out) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int ff_file_control(sqlite3_file *f, int op, void *arg) {
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int ff_sector_size(sqlite3_file *f) {
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int ff_device(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
  if (fault(K_SHM)) return SQLITE_IOERR_SHMMAP;
  return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags) {
  return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void ff_shm_barrier(sqlite3_file *f) {
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ff_shm_unmap(sqlite3_file *f, int del) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
  return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
  return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods ff_io = {
    3,
    ff_close,
    ff_read,
    ff_write,
    ff_truncate,
    ff_sync,
    ff_file_size,
    ff_lock,
    ff_unlock,
    ff_check_reserved,
    ff_file_control,
    ff_sector_size,
    ff_device,
    ff_shm_map,
    ff_shm_lock,
    ff_shm_barrier,
    ff_shm_unmap,
    ff_fetch,
    ff_unfetch,
};

static int ff_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                   int *out_flags) {
  (void)vfs;
  ff_file *p = (ff_file *)f;
  p->real = (sqlite3_file *)&p[1];
  int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
  p->base.pMethods = p->real->pMethods ? &ff_io : NULL;
  return rc;
}
static int ff_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  (void)vfs;
  (void)sync_dir;
  if (fault(K_DELETE)) return SQLITE_IOERR_DELETE;
  return real_vfs->xDelete(real_vfs, name, 0);
}
static int ff_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  (void)vfs;
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int ff_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  (void)vfs;
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *ff_dlopen(sqlite3_vfs *vfs, const char *name) {
  (void)vfs;
  return real_vfs->xDlOpen(real_vfs, name);
}
static void ff_dlerror(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  real_vfs->xDlError(real_vfs, n, out);
}
static void (*ff_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
  (void)vfs;
  return real_vfs->xDlSym(real_vfs, h, sym);
}
static void ff_dlclose(sqlite3_vfs *vfs, void *h) {
  (void)vfs;
  real_vfs->xDlClose(real_vfs, h);
}
static int ff_randomness(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  return real_vfs->xRandomness(real_vfs, n, out);
}
static int ff_sleep(sqlite3_vfs *vfs, int us) {
  (void)vfs;
  return real_vfs->xSleep(real_vfs, us);
}
static int ff_current_time(sqlite3_vfs *vfs, double *t) {
  (void)vfs;
  return real_vfs->xCurrentTime(real_vfs, t);
}
static int ff_last_error(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  return real_vfs->xGetLastError(real_vfs, n, out);
}
static int ff_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t) {
  (void)vfs;
  return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static sqlite3_vfs ff_vfs = {
    2,
    0,
    0,
    NULL,
    "faultfs",
    NULL,
    ff_open,
    ff_delete,
    ff_access,
    ff_full_pathname,
    ff_dlopen,
    ff_dlerror,
    ff_dlsym,
    ff_dlclose,
    ff_randomness,
    ff_sleep,
    ff_current_time,
    ff_last_error,
    ff_current_time64,
    NULL,
    NULL,
    NULL,
};

/* ---- The injector -------------------------------------------------------------------- */

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
    printf("         (call %ld of this statement, %s, failed first; %ld failed in it)\n", g.first_k,
           kind_names[g.first_kind], g.fired - g.arm_fired);
}
static int inj_fault_rc(int rc) {
  return (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL;
}

static void configure(unsigned kinds, int persistent, long fail_at) {
  int verbose = g.verbose;
  memset(&g, 0, sizeof(g));
  g.verbose = verbose;
  g.kinds = kinds;
  g.persistent = persistent;
  g.fail_at = fail_at;
}

typedef struct kind_sweep {
  const char *name;
  unsigned kinds;
  long sampled; /* points per workload, journal mode and once/persistent: make test */
} kind_sweep;

static const kind_sweep kind_sweeps[] = {
    {"any", K_ANY, 24},           {"read", BIT(K_READ), 8},   {"write", BIT(K_WRITE), 6},
    {"full", BIT(K_FULL), 3},     {"sync", BIT(K_SYNC), 4},   {"truncate", BIT(K_TRUNCATE), 2},
    {"delete", BIT(K_DELETE), 2}, {"fstat", BIT(K_FSTAT), 2}, {"lock", BIT(K_LOCK), 2},
    {"shm", BIT(K_SHM), 2},
};

int main(int argc, char **argv) {
  fh_options opt;
  if (fh_parse_options(argc, argv, &opt,
                       " (delete/ or wal/, then a kind: any, read, write, full, sync,\n"
                       "              truncate, delete, fstat, lock, shm; then -once or "
                       "-persistent)"))
    return 2;
  sqlite3_initialize();
  real_vfs = sqlite3_vfs_find("unix");
  if (!real_vfs) {
    fprintf(stderr, "fault_io: no unix VFS\n");
    return 2;
  }
  ff_vfs.szOsFile = (int)sizeof(ff_file) + real_vfs->szOsFile;
  ff_vfs.mxPathname = real_vfs->mxPathname;
  if (sqlite3_vfs_register(&ff_vfs, 0) != SQLITE_OK) return 2;
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);

  char dir[512];
  if (fh_tempdir(dir, sizeof(dir)) != 0) {
    perror("fault_io: mkdtemp");
    return 2;
  }
  g.verbose = opt.verbose;
  fh_report *rep = fh_report_new("fault_io");
  fh_env env;
  memset(&env, 0, sizeof(env));
  env.dir = dir;
  env.vfs = "faultfs";
  env.cache_size = 2;
  env.plain = opt.plain;
  env.check_after_failure = 1;
  env.applied_on_error = 1;
  env.sticky_rollback = 1;
  env.verbose = opt.verbose;
  env.print_runs = opt.verbose ? 1 << 30 : 25;
  fh_injector inj = {"io", NULL, inj_arm, inj_disarm, inj_fault_rc, NULL, NULL};

  static const char *const journal[] = {"DELETE", "WAL"};
  const fh_workload *const *wl = fh_selected_workloads(&opt);
  for (int wi = 0; wl[wi]; wi++) {
    const fh_workload *w = wl[wi];
    for (int j = 0; j < 2; j++) {
      env.journal_mode = journal[j];
      configure(0, 0, 0);
      char label[96];
      snprintf(label, sizeof(label), "%s/reference", j ? "wal" : "delete");
      if (fh_run(&env, w, &inj, label, 0, rep)) {
        fh_report_error(rep, "%s %s: the workload fails without any fault; sweeps skipped", w->name,
                        journal[j]);
        continue;
      }
      long totals[K_COUNT];
      memcpy(totals, g.count_kind, sizeof(totals));
      for (size_t ki = 0; ki < sizeof(kind_sweeps) / sizeof(kind_sweeps[0]); ki++) {
        const kind_sweep *ks = &kind_sweeps[ki];
        long total = 0;
        for (int k = 0; k < K_COUNT; k++)
          if (ks->kinds & BIT(k)) total += totals[k];
        if (total == 0) continue;
        long *points = malloc(sizeof(long) * (size_t)(total + 1));
        if (!points) return 2;
        for (int persistent = 0; persistent < 2; persistent++) {
          snprintf(label, sizeof(label), "%s/%s-%s", j ? "wal" : "delete", ks->name,
                   persistent ? "persistent" : "once");
          if (!fh_mode_selected(&opt, label)) continue;
          long want;
          if (w->sweep_all)
            want = total;
          else if (opt.full)
            want = persistent ? (total < 400 ? total : 400) : total;
          else
            want = (w == &fh_large ? (ks->sampled + 1) / 2 : ks->sampled) / (persistent ? 2 : 1);
          long npoints;
          if (opt.only_n >= 0) {
            points[0] = opt.only_n;
            npoints = 1;
          } else {
            npoints = fh_points(total, want ? want : 1, 0xf11e0000u + ki * 2 + persistent, points);
          }
          for (long k = 0; k < npoints; k++) {
            configure(ks->kinds, persistent, points[k]);
            fh_run(&env, w, &inj, label, points[k], rep);
          }
          printf("%s/%s: %ld of %ld fault points\n", w->name, label, npoints, total);
          fflush(stdout);
        }
        free(points);
      }
    }
  }
  fh_tempdir_remove(dir);
  return fh_report_finish(rep) ? 1 : 0;
}

/*
** bench_shmcache.c: the chunk cache shared across processes (docs/cache.md)
** against the same work with the cache off and against a plain table, in one
** run, on build/bench-shmcache/t.db.
**
** The table: N rows (3,000,000 unless --rows says) of generated data, three
** INTEGER columns (a: i * 7919 mod 1000003, b: a random walk, c: i mod 1000)
** and two TEXT columns (s1: 'user-<n>' of 5000 names, s2: three words of a
** 64-word list), in a squeeze table sq (codec auto) and a plain table pl of
** the same declaration, built once and kept for later runs.
**
** Workloads, each from 4 forked processes at once (P requests each); the
** figure is the median over the processes of their time per request:
**   1. connection per request: open the file (squeeze loaded through
**      sqlite3_auto_extension), one SELECT * FROM t WHERE rowid = ? of a
**      random rowid, close; target: shared cache <= 1.2x plain
**   2. random 100-row rowid ranges on one connection per process:
**      SELECT * FROM t WHERE rowid BETWEEN ? AND ? + 99; target <= 1.5x plain
** Modes: plain (pl), off (sq, squeeze_cache_config('size', 0)), shared (sq,
** a fresh segment of --cache bytes, warmed first by one process reading one
** row of every chunk, as another process would have), process (sq, shared off, the
** same size per process, each process warming its own on the fly). After
** each shared/process run the processes' Pss (/proc/self/smaps_rollup) is
** summed, for the memory target. Two floors: `floor`, a virtual table that
** returns rows of constants and reads nothing (what SQLite charges any
** virtual table: on a new connection, and for each row and column), and
** `floor+dir`, which also reads sq's directory as a squeeze table must (one
** statement).
** Plain, shared and the floors take turns --repeat times (default 3); each
** figure is the median over the turns, ratios are medians of the ratios
** within a turn (runs seconds apart: this machine's speed drifts by tens of
** percent over minutes). Off and process run once.
**   3. an analytic query (SELECT c % 10, count(*), sum(a), sum(b), max(s1),
**      max(s2) FROM sq GROUP BY 1) in one process: cache off; cache on with a
**      fresh segment (cold: every chunk misses and is stored); then a second
**      process on the now warm segment. Targets: cold <= 1.05x off, warm
**      <= off. Medians of 5 runs (ratios: of the ratios within a run, whose
**      three processes follow one another), each on a new segment, which the cold
**      process creates (reading one row) before its clock starts.
**
** The processes of a run start together (after their set-up), from a start
** line. Each row also gives the median process's minor page faults per request.
** Every answer is checked against the plain table's (a mismatch exits 1). It
** never fails on speed: it prints. Options: --rows N, --requests P (per
** process, default 1500), --rounds R (each process serves R x P requests and
** the last P are timed: R = 2 measures processes that have already served P
** requests, as long-lived workers have; default 1), --repeat K (turns),
** --cache SIZE (default 1G), --procs N (default 4), --quick (P / 5),
** --profile MODE (plain, shared, floor...: P lookups, or with --profile-ranges
** P 100-row ranges, in this one process, for valgrind --tool=callgrind;
** prints their time, page faults and, for shared, the pages of the segment
** the process has mapped).
** Run from the repository root: ./build/bench/bench_shmcache.
*/
#include <sqlite3.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define BENCH_DIR "build/bench-shmcache"
#define DB BENCH_DIR "/t.db"
#define PROCS_MAX 16
static int PROCS = 4;

static int64_t rows = 3000000;
static int requests = 1500;
static int rounds = 1;       /* rounds of requests per process; the last one is timed */
static const char *profile;  /* --profile MODE: requests in this process only */
static int profile_work = 1; /* --profile-ranges: 100-row ranges instead */
#define REPEAT_MAX 15
static int repeat = 3; /* turns of plain and shared (medians of their ratios) */
static const char *cache_size = "1G";

static void die_sql(sqlite3 *db, const char *what) {
  fprintf(stderr, "%s: %s\n", what, db ? sqlite3_errmsg(db) : "open failed");
  exit(1);
}

static sqlite3 *open_db(void) {
  sqlite3 *db;
  if (sqlite3_open_v2(DB, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    die_sql(db, "open");
  return db;
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die_sql(db, sql);
}

static int64_t one_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die_sql(db, sql);
  int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  return v;
}

static uint64_t rng_next(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static const char *const words[64] = {
    "alpha",  "bravo",  "charlie", "delta", "echo",    "foxtrot",  "golf",    "hotel",
    "india",  "juliet", "kilo",    "lima",  "mike",    "november", "oscar",   "papa",
    "quebec", "romeo",  "sierra",  "tango", "uniform", "victor",   "whiskey", "xray",
    "yankee", "zulu",   "red",     "green", "blue",    "cyan",     "magenta", "yellow",
    "black",  "white",  "north",   "south", "east",    "west",     "up",      "down",
    "left",   "right",  "fast",    "slow",  "hot",     "cold",     "old",     "new",
    "big",    "small",  "early",   "late",  "open",    "closed",   "first",   "last",
    "dark",   "light",  "soft",    "hard",  "high",    "low",      "near",    "far"};

/* Builds sq and pl unless the file already holds both with `rows` rows. */
static void build(void) {
  mkdir("build", 0755);
  mkdir(BENCH_DIR, 0755);
  sqlite3 *db = open_db();
  if (one_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('sq', 'pl')") == 2 &&
      one_int(db, "SELECT max(rowid) FROM pl") == rows) {
    sqlite3_close(db);
    return;
  }
  sqlite3_close(db);
  unlink(DB);
  db = open_db();
  double t0 = bench_now();
  exec(db, "PRAGMA journal_mode = WAL");
  exec(db, "CREATE TABLE pl(a INTEGER, b INTEGER, c INTEGER, s1 TEXT, s2 TEXT)");
  exec(db, "CREATE VIRTUAL TABLE sq USING squeeze(a INTEGER, b INTEGER, c INTEGER, s1 TEXT,"
           " s2 TEXT)");
  for (int t = 0; t < 2; t++) {
    sqlite3_stmt *s;
    exec(db, "BEGIN");
    const char *sql = t ? "INSERT INTO sq(rowid, a, b, c, s1, s2) VALUES (?, ?, ?, ?, ?, ?)"
                        : "INSERT INTO pl(rowid, a, b, c, s1, s2) VALUES (?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die_sql(db, sql);
    uint64_t x = 88172645463325252ull;
    int64_t walk = 0;
    char s1[32], s2[64];
    for (int64_t i = 1; i <= rows; i++) {
      walk += (int64_t)(rng_next(&x) % 201) - 100;
      snprintf(s1, sizeof s1, "user-%" PRIu64, rng_next(&x) % 5000);
      uint64_t w = rng_next(&x);
      snprintf(s2, sizeof s2, "%s %s %s", words[w & 63], words[(w >> 6) & 63],
               words[(w >> 12) & 63]);
      sqlite3_bind_int64(s, 1, i);
      sqlite3_bind_int64(s, 2, i * 7919 % 1000003);
      sqlite3_bind_int64(s, 3, walk);
      sqlite3_bind_int64(s, 4, i % 1000);
      sqlite3_bind_text(s, 5, s1, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(s, 6, s2, -1, SQLITE_TRANSIENT);
      if (sqlite3_step(s) != SQLITE_DONE) die_sql(db, "insert");
      sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    exec(db, "COMMIT");
  }
  exec(db, "SELECT squeeze_optimize('sq')");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  exec(db, "PRAGMA journal_mode = DELETE");
  sqlite3_close(db);
  printf("built %s: %" PRId64 " rows in %.1f s\n", DB, rows, bench_now() - t0);
}

enum { PLAIN, OFF, SHARED, PROCESS, FLOOR, FLOOR_DIR, NMODES };
static const char *const mode_name[] = {"plain", "off", "shared", "process", "floor", "floor+dir"};

/* Sets this process's cache for mode (a fresh segment prefix for SHARED). */
static void set_mode(int mode, const char *prefix) {
  setenv("SQUEEZE_CACHE_SEGMENT", prefix, 1);
  sqlite3 *db = open_db();
  char sql[160];
  exec(db, "SELECT squeeze_cache_config('size', 0)");
  if (mode == SHARED || mode == PROCESS) {
    snprintf(sql, sizeof sql, "SELECT squeeze_cache_config('size', '%s')", cache_size);
    exec(db, sql);
    exec(db, mode == SHARED ? "SELECT squeeze_cache_config('shared', 'on')"
                            : "SELECT squeeze_cache_config('shared', 'off')");
  }
  sqlite3_close(db);
}

static int64_t pss_kib(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  int64_t v = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Pss: %" SCNd64, &v) == 1) break;
  if (f) fclose(f);
  return v;
}

/* Checksum of a statement's rows (every column), for comparing answers. */
static uint64_t step_all(sqlite3 *db, sqlite3_stmt *s) {
  uint64_t h = 1469598103934665603ull;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(s); i++) {
      const unsigned char *t = sqlite3_column_text(s, i);
      for (; t && *t; t++)
        h = (h ^ *t) * 1099511628211ull;
      h = (h ^ 0xff) * 1099511628211ull;
    }
  }
  if (rc != SQLITE_DONE) die_sql(db, "step");
  sqlite3_reset(s);
  return h;
}

/* ---- The floor: what any virtual table pays per new connection -----------
** Two eponymous virtual tables, registered only in this benchmark, that
** declare sq's five columns and answer `WHERE rowid = ?` and `WHERE rowid
** BETWEEN ? AND ?` with rows of constants, reading nothing: `floor` shows
** what SQLite itself charges a virtual table on a new connection (xConnect,
** sqlite3_declare_vtab, the vtab opcodes); `floor_dir` also prepares and
** steps, as a squeeze table must, the one statement no read can skip: the
** lookup of the rowid's chunk in sq's directory (the SQL sqt_stmt.c's
** SQT_CHUNK_FROM prepares). Their answers are not sq's, so they are not
** checked. */
typedef struct floor_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  int dir;            /* floor_dir */
  sqlite3_stmt *stmt; /* its directory statement, prepared on first use */
} floor_vtab;

typedef struct floor_cursor {
  sqlite3_vtab_cursor base;
  sqlite3_int64 rowid, last;
} floor_cursor;

static int floor_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **pp, char **err) {
  (void)argc, (void)argv, (void)err;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(a INTEGER, b INTEGER, c INTEGER, s1 TEXT,"
                                    " s2 TEXT)");
  if (rc != SQLITE_OK) return rc;
  floor_vtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->db = db;
  v->dir = aux != NULL;
  *pp = &v->base;
  return SQLITE_OK;
}

static int floor_disconnect(sqlite3_vtab *vt) {
  floor_vtab *v = (floor_vtab *)vt;
  sqlite3_finalize(v->stmt);
  sqlite3_free(v);
  return SQLITE_OK;
}

static int floor_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
  (void)vt;
  /* rowid = ? (idxNum 1), or rowid >= ? and rowid <= ? (idxNum 2: BETWEEN) */
  int eq = -1, ge = -1, le = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable || c->iColumn != -1) continue;
    if (c->op == SQLITE_INDEX_CONSTRAINT_EQ) eq = i;
    if (c->op == SQLITE_INDEX_CONSTRAINT_GE) ge = i;
    if (c->op == SQLITE_INDEX_CONSTRAINT_LE) le = i;
  }
  if (eq >= 0) {
    info->aConstraintUsage[eq].argvIndex = 1;
    info->aConstraintUsage[eq].omit = 1;
    info->idxNum = 1;
    info->estimatedCost = 1;
    info->estimatedRows = 1;
    info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
    return SQLITE_OK;
  }
  if (ge >= 0 && le >= 0) {
    info->aConstraintUsage[ge].argvIndex = 1;
    info->aConstraintUsage[ge].omit = 1;
    info->aConstraintUsage[le].argvIndex = 2;
    info->aConstraintUsage[le].omit = 1;
    info->idxNum = 2;
    info->estimatedCost = 100;
    info->estimatedRows = 100;
    return SQLITE_OK;
  }
  return SQLITE_CONSTRAINT; /* only lookups and ranges of rowids */
}

static int floor_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **pp) {
  (void)vt;
  floor_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *pp = &c->base;
  return SQLITE_OK;
}

static int floor_close(sqlite3_vtab_cursor *cur) {
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int floor_filter(sqlite3_vtab_cursor *cur, int idx, const char *s, int argc,
                        sqlite3_value **argv) {
  (void)s, (void)argc;
  floor_cursor *c = (floor_cursor *)cur;
  floor_vtab *v = (floor_vtab *)cur->pVtab;
  c->rowid = sqlite3_value_int64(argv[0]);
  c->last = idx == 2 ? sqlite3_value_int64(argv[1]) : c->rowid;
  if (v->dir) {
    if (!v->stmt && sqlite3_prepare_v3(v->db,
                                       "SELECT +maxrow, +minrow, +nrows, +gen, +sums FROM"
                                       " \"main\".'sq_chunk' WHERE maxrow >= ?1 ORDER BY maxrow",
                                       -1, SQLITE_PREPARE_PERSISTENT, &v->stmt, NULL) != SQLITE_OK)
      return SQLITE_ERROR;
    sqlite3_bind_int64(v->stmt, 1, c->rowid);
    int rc = sqlite3_step(v->stmt);
    sqlite3_reset(v->stmt);
    if (rc != SQLITE_ROW) return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int floor_next(sqlite3_vtab_cursor *cur) {
  ((floor_cursor *)cur)->rowid++;
  return SQLITE_OK;
}

static int floor_eof(sqlite3_vtab_cursor *cur) {
  return ((floor_cursor *)cur)->rowid > ((floor_cursor *)cur)->last;
}

static int floor_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  (void)cur;
  if (i < 3)
    sqlite3_result_int64(ctx, i);
  else
    sqlite3_result_text(ctx, "user-0", -1, SQLITE_STATIC);
  return SQLITE_OK;
}

static int floor_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *r) {
  *r = ((floor_cursor *)cur)->rowid;
  return SQLITE_OK;
}

static const sqlite3_module floor_module = {
    .xConnect = floor_connect,
    .xBestIndex = floor_best_index,
    .xDisconnect = floor_disconnect,
    .xOpen = floor_open,
    .xClose = floor_close,
    .xFilter = floor_filter,
    .xNext = floor_next,
    .xEof = floor_eof,
    .xColumn = floor_column,
    .xRowid = floor_rowid,
};

static int floor_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err, (void)api;
  static int dir = 1;
  int rc = sqlite3_create_module(db, "floor", &floor_module, NULL);
  return rc == SQLITE_OK ? sqlite3_create_module(db, "floor_dir", &floor_module, &dir) : rc;
}

/* Pages of this process's mapping of the segment (named by prefix) that are
** mapped (present in /proc/self/pagemap); -1 when there is none. */
static long segment_pages_mapped(const char *name) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  unsigned long lo = 0, hi = 0;
  while (f && fgets(line, sizeof line, f))
    if (strstr(line, name) && sscanf(line, "%lx-%lx", &lo, &hi) == 2) break;
  if (f) fclose(f);
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (!hi || fd < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  long n = 0;
  uint64_t e[512];
  for (unsigned long a = lo; a < hi; a += 512 * 4096ul) {
    size_t k = (hi - a) / 4096 < 512 ? (hi - a) / 4096 : 512;
    if (pread(fd, e, k * 8, (off_t)(a / 4096 * 8)) != (ssize_t)(k * 8)) break;
    for (size_t i = 0; i < k; i++)
      n += (long)(e[i] >> 63);
  }
  close(fd);
  return n;
}

/* One process's requests of workload w in mode (rounds of them): returns
** seconds per request of the last round; *sum gets the checksum of every
** answer, *pss the Pss after, *faults the page faults per request of the
** last round. */
static double run_requests(int w, int mode, uint64_t seed, uint64_t *sum, int64_t *pss,
                           double *faults) {
  const char *t = mode == PLAIN       ? "pl"
                  : mode == FLOOR     ? "floor"
                  : mode == FLOOR_DIR ? "floor_dir"
                                      : "sq";
  char sql[160];
  if (w == 1)
    snprintf(sql, sizeof sql, "SELECT a, b, c, s1, s2 FROM %s WHERE rowid = ?", t);
  else
    snprintf(sql, sizeof sql, "SELECT a, b, c, s1, s2 FROM %s WHERE rowid BETWEEN ? AND ? + 99", t);
  uint64_t x = seed;
  *sum = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  double t0 = bench_now();
  struct rusage u0, u1;
  getrusage(RUSAGE_SELF, &u0);
  for (int i = 0; i < requests * rounds; i++) {
    if (i == requests * (rounds - 1)) { /* the last round */
      t0 = bench_now();
      getrusage(RUSAGE_SELF, &u0);
    }
    if (!db) {
      db = open_db();
      if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die_sql(db, sql);
    }
    int64_t r = 1 + (int64_t)(rng_next(&x) % (uint64_t)(w == 1 ? rows : rows - 99));
    sqlite3_bind_int64(s, 1, r);
    if (w == 2) sqlite3_bind_int64(s, 2, r);
    *sum += step_all(db, s);
    if (w == 1) {
      sqlite3_finalize(s);
      sqlite3_close(db);
      db = NULL;
    }
  }
  double el = bench_now() - t0;
  getrusage(RUSAGE_SELF, &u1);
  *faults = (double)(u1.ru_minflt - u0.ru_minflt) / requests;
  if (db) {
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  *pss = pss_kib();
  return el / requests;
}

static const char *const analytic = "SELECT c %% 10, count(*), sum(a), sum(b), max(s1), max(s2)"
                                    " FROM %s GROUP BY 1";

/* Runs the analytic query on table: returns its seconds; *sum gets the
** checksum of its rows, *faults its minor page faults, *sys its seconds in
** the kernel. */
static double run_query(const char *table, uint64_t *sum, double *faults, double *sys) {
  char sql[200];
  snprintf(sql, sizeof sql, analytic, table);
  sqlite3 *db = open_db();
  /* GROUP BY sorts 3M rows: in memory, so that the sorter's temporary file
  ** (page-cache writes, the noisiest part of the query here) is not timed */
  exec(db, "PRAGMA temp_store = MEMORY");
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die_sql(db, sql);
  struct rusage u0, u1;
  getrusage(RUSAGE_SELF, &u0);
  double t0 = bench_now();
  *sum = step_all(db, s);
  double el = bench_now() - t0;
  getrusage(RUSAGE_SELF, &u1);
  *faults = (double)(u1.ru_minflt - u0.ru_minflt);
  *sys = (double)(u1.ru_stime.tv_sec - u0.ru_stime.tv_sec) +
         (double)(u1.ru_stime.tv_usec - u0.ru_stime.tv_usec) * 1e-6;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return el;
}

typedef struct result {
  double seconds;
  uint64_t sum;
  int64_t pss;
  double faults; /* minor page faults per request (the query: in all) */
  double sys;    /* the query's seconds in the kernel */
} result;

/* Runs fn-like work in a forked child and reads back its result. */
typedef void (*child_fn)(int arg, result *out);

static int fork_child(child_fn fn, int arg, int fd[2]) {
  if (pipe(fd) != 0) exit(1);
  pid_t pid = fork();
  if (pid < 0) exit(1);
  if (pid == 0) {
    close(fd[0]);
    result r;
    fn(arg, &r);
    if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  return pid;
}

static result wait_child(int pid, int fd[2]) {
  result r;
  memset(&r, 0, sizeof r);
  if (read(fd[0], &r, sizeof r) != (ssize_t)sizeof r) {
    fprintf(stderr, "a child failed\n");
    exit(1);
  }
  close(fd[0]);
  int st;
  waitpid(pid, &st, 0);
  return r;
}

static char prefix[64];
static int cur_work, cur_mode;

/* Touches mib MiB of fresh heap and frees it, before a child's clock starts.
** This VM hands memory the guest has freed back to its host, and the first
** touch of such a page costs about ten times a normal page fault (a run of
** the analytic query after a 3 GiB file in /dev/shm was removed spent 0.9 s
** in the kernel, 0.12 s otherwise): whichever mode ran first after the
** benchmark removed a segment paid for it. Every child does this, so each
** timed run starts from the same state. */
static void pretouch(size_t mib) {
  size_t n = mib << 20;
  volatile char *m = malloc(n);
  if (!m) return;
  for (size_t i = 0; i < n; i += 4096)
    m[i] = 1;
  free((void *)m);
}

/* The start line of a run's processes: each child, once set up, writes a
** byte to ready[1] and waits on go[0] until the parent, having read one byte
** from each, closes go[1]. Forked one after another, the children would
** otherwise start tens of milliseconds apart, and a short run's first
** child would do much of its work alone on a core: the faster a mode, the
** less its processes overlap, which made ratios against a fast plain table
** larger than the work behind them. */
static int ready[2] = {-1, -1}, go[2] = {-1, -1};

static void start_line_open(void) {
  if (pipe(ready) != 0 || pipe(go) != 0) exit(1);
}

/* In a child: ready, then wait for the start. */
static void start_line_wait(void) {
  char b = 1;
  close(go[1]);
  if (write(ready[1], &b, 1) != 1) _exit(1);
  if (read(go[0], &b, 1) != 0) _exit(1); /* returns 0 when the parent closes go[1] */
}

/* In the parent, after forking n children: start them together. */
static void start_line_go(int n) {
  char b;
  for (int k = 0; k < n; k++)
    if (read(ready[0], &b, 1) != 1) exit(1);
  close(go[1]);
  close(go[0]);
  close(ready[0]);
  close(ready[1]);
}

static void request_child(int k, result *out) {
  pretouch(32);
  set_mode(cur_mode, prefix);
  start_line_wait();
  out->seconds = run_requests(cur_work, cur_mode, 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1),
                              &out->sum, &out->pss, &out->faults);
}

/* Warms the segment as request handlers of other processes would have: one
** lookup by rowid in every chunk (every column), each a miss that decodes
** the chunk and keeps it. (A scan keeps only what its budget allows,
** SQT_STORE_PERCENT of its time.) */
static void warm_child(int k, result *out) {
  (void)k;
  set_mode(SHARED, prefix);
  sqlite3 *db = open_db();
  sqlite3_stmt *s;
  const char *sql = "SELECT a, b, c, s1, s2 FROM sq WHERE rowid = ?";
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die_sql(db, sql);
  double t0 = bench_now();
  out->sum = 0;
  for (int64_t r = 1; r <= rows; r += 8192) {
    sqlite3_bind_int64(s, 1, r);
    out->sum += step_all(db, s);
  }
  out->seconds = bench_now() - t0;
  sqlite3_finalize(s);
  out->pss = one_int(db, "SELECT bytes FROM squeeze_cache_stats WHERE scope = 'shared'");
  sqlite3_close(db);
}

static void query_child(int mode, result *out) {
  set_mode(mode, prefix);
  if (mode == SHARED) { /* the segment made (or mapped) before the clock starts */
    sqlite3 *db = open_db();
    exec(db, "SELECT a FROM sq WHERE rowid = 1");
    sqlite3_close(db);
  }
  /* after the segment: a new one takes 1 GiB of the machine's free memory,
  ** and the query's heap (its sorter holds every row) must not then start
  ** on pages the host has taken back (a cold run spent 0.89 s in the
  ** kernel, against 0.13 s for the others, when this came first) */
  pretouch(256);
  out->seconds = run_query(mode == PLAIN ? "pl" : "sq", &out->sum, &out->faults, &out->sys);
  out->pss = 0;
}

/* Removes every segment of the current prefix (whatever version and size
** its name carries): a 1 GiB segment holds 1 GiB of the machine's memory. */
static void unlink_segment(void) {
  DIR *d = opendir("/dev/shm");
  if (!d) return;
  size_t n = strlen(prefix);
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, n) || e->d_name[n] != '-') continue;
    char name[300];
    snprintf(name, sizeof name, "/%s", e->d_name);
    shm_unlink(name);
  }
  closedir(d);
}

static void new_prefix(int n) {
  unlink_segment();
  snprintf(prefix, sizeof prefix, "sqz-bench-%d-%d", (int)getpid(), n);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
      requests = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cache") && i + 1 < argc)
      cache_size = argv[++i];
    else if (!strcmp(argv[i], "--procs") && i + 1 < argc)
      PROCS = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
      profile = argv[++i];
    else if (!strcmp(argv[i], "--profile-ranges"))
      profile_work = 2;
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--quick"))
      requests /= 5;
    else {
      fprintf(stderr,
              "usage: %s [--rows N] [--requests P] [--rounds R] [--repeat K] [--cache SIZE] "
              "[--procs N] [--quick] [--profile MODE [--profile-ranges]]\n",
              argv[0]);
      return 2;
    }
  }
  if (rows < 1000 || requests < 1 || rounds < 1 || PROCS < 1 || PROCS > PROCS_MAX || repeat < 1 ||
      repeat > REPEAT_MAX)
    return 2;
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  sqlite3_auto_extension((void (*)(void))floor_init);
  snprintf(prefix, sizeof prefix, "sqz-bench-%d-0", (int)getpid());
  build();
  if (profile) {
    /* --profile MODE: P connection-per-request lookups (or, with
    ** --profile-ranges, P ranges on one connection) in this process, no fork
    ** but the warm-up's: for valgrind --tool=callgrind, whose count divided
    ** by P is a request's instructions (with the process's start) */
    int mode = -1;
    for (int m = PLAIN; m < NMODES; m++)
      if (!strcmp(profile, mode_name[m])) mode = m;
    if (mode < 0) return fprintf(stderr, "--profile: no mode %s\n", profile), 2;
    new_prefix(1);
    if (mode == SHARED) {
      int fd[2];
      wait_child(fork_child(warm_child, 0, fd), fd);
    }
    set_mode(mode, prefix);
    uint64_t sum;
    int64_t pss;
    double faults;
    double t = run_requests(profile_work, mode, 1, &sum, &pss, &faults);
    printf("%s: %d %s, %.1f us each, %.1f page faults each (the last round)\n", mode_name[mode],
           requests * rounds, profile_work == 1 ? "lookups" : "100-row ranges", t * 1e6, faults);
    if (mode == SHARED)
      printf("  pages of the segment mapped in this process: %ld\n", segment_pages_mapped(prefix));
    unlink_segment();
    return 0;
  }
  printf("%" PRId64 " rows, %d processes x %d requests (the last of %d rounds timed), cache %s\n",
         rows, PROCS, requests, rounds, cache_size);
  int n = 1;
  for (cur_work = 1; cur_work <= 2; cur_work++) {
    /* plain and shared (and for lookups the floors) take turns, `repeat`
    ** times: each ratio is of runs a few seconds apart, and the figure is
    ** the median of those ratios; off and process run once */
    double per[NMODES][REPEAT_MAX], ratio[NMODES][REPEAT_MAX];
    int64_t pss[NMODES] = {0};
    double faults[NMODES][REPEAT_MAX];
    uint64_t want = 0;
    const int order[] = {PLAIN, SHARED, FLOOR, FLOOR_DIR, OFF, PROCESS};
    for (int r = 0; r < repeat; r++) {
      for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        cur_mode = order[o];
        if ((cur_mode == OFF || cur_mode == PROCESS) && r > 0) continue;
        new_prefix(n++);
        if (cur_mode == SHARED) {
          int fd[2];
          int pid = fork_child(warm_child, 0, fd);
          result w = wait_child(pid, fd);
          if (r == 0)
            printf("  (warm-up: one row of every chunk, %.2f s, %lld bytes cached)\n", w.seconds,
                   (long long)w.pss);
        }
        int pids[PROCS_MAX], fds[PROCS_MAX][2];
        start_line_open();
        for (int k = 0; k < PROCS; k++)
          pids[k] = fork_child(request_child, k, fds[k]);
        start_line_go(PROCS);
        double t[PROCS_MAX], f[PROCS_MAX];
        uint64_t sum = 0;
        pss[cur_mode] = 0;
        for (int k = 0; k < PROCS; k++) {
          result x = wait_child(pids[k], fds[k]);
          t[k] = x.seconds;
          f[k] = x.faults;
          sum += x.sum;
          pss[cur_mode] += x.pss;
        }
        per[cur_mode][r] = bench_median(t, PROCS);
        faults[cur_mode][r] = bench_median(f, PROCS);
        ratio[cur_mode][r] = per[cur_mode][r] / per[PLAIN][r];
        if (cur_mode == PLAIN) want = sum;
        if (cur_mode < FLOOR && sum != want) {
          fprintf(stderr, "workload %d, mode %s: answers differ from the plain table's\n", cur_work,
                  mode_name[cur_mode]);
          return 1;
        }
      }
    }
    printf("%s (medians of %d turns):\n",
           cur_work == 1 ? "connection per request, one rowid" : "random 100-row rowid ranges",
           repeat);
    for (int m = PLAIN; m < NMODES; m++) {
      int k = m == OFF || m == PROCESS ? 1 : repeat;
      double pm[REPEAT_MAX], rm[REPEAT_MAX];
      memcpy(pm, per[m], sizeof(double) * (size_t)k);
      memcpy(rm, ratio[m], sizeof(double) * (size_t)k);
      printf("  %-9s %8.1f us/request  %.2fx plain  %4.1f faults", mode_name[m],
             bench_median(pm, k) * 1e6, bench_median(rm, k), bench_median(faults[m], k));
      if (m < FLOOR)
        printf("  Pss sum %lld MiB%s\n", (long long)(pss[m] >> 10), k == 1 ? "  (one turn)" : "");
      else
        printf("  (rows of constants: %s)\n",
               m == FLOOR ? "any virtual table" : "one that reads its directory");
    }
    double rs[REPEAT_MAX];
    memcpy(rs, ratio[SHARED], sizeof(double) * (size_t)repeat);
    double target = cur_work == 1 ? 1.2 : 1.5;
    printf("  target shared <= %.1fx plain: %s\n", target,
           bench_median(rs, repeat) <= target ? "met" : "MISSED");
  }
  /* 3. the analytic query: off, cold, warm (second process), 5 runs each */
  double off[5], cold[5], warm[5], fl[3][5], sy[3][5];
  uint64_t want = 0;
  for (int run = 0; run < 5; run++) {
    int fd[2];
    result r = wait_child(fork_child(query_child, PLAIN, fd), fd);
    want = r.sum;
    r = wait_child(fork_child(query_child, OFF, fd), fd);
    off[run] = r.seconds;
    fl[0][run] = r.faults, sy[0][run] = r.sys;
    if (r.sum != want) return fprintf(stderr, "analytic: off differs\n"), 1;
    new_prefix(n++);
    r = wait_child(fork_child(query_child, SHARED, fd), fd);
    cold[run] = r.seconds;
    fl[1][run] = r.faults, sy[1][run] = r.sys;
    if (r.sum != want) return fprintf(stderr, "analytic: cold differs\n"), 1;
    r = wait_child(fork_child(query_child, SHARED, fd), fd);
    warm[run] = r.seconds;
    fl[2][run] = r.faults, sy[2][run] = r.sys;
    if (r.sum != want) return fprintf(stderr, "analytic: warm differs\n"), 1;
  }
  /* the times are medians of the 5 runs, the ratios medians of the ratios
  ** within a run (off, cold and warm follow one another in a run) */
  double rc[5], rw[5];
  for (int run = 0; run < 5; run++)
    rc[run] = cold[run] / off[run], rw[run] = warm[run] / off[run];
  double mo = bench_median(off, 5), mc = bench_median(cold, 5), mw = bench_median(warm, 5);
  double xc = bench_median(rc, 5), xw = bench_median(rw, 5);
  printf("analytic query (GROUP BY over every row), one process:\n");
  printf("  off %.3f s, cold %.3f s (%.3fx off: %s <= 1.05), second process warm %.3f s "
         "(%.3fx off: %s <= 1)\n",
         mo, mc, xc, xc <= 1.05 ? "met" : "MISSED", mw, xw, xw <= 1.0 ? "met" : "MISSED");
  printf("  (in the kernel: off %.3f s, cold %.3f s, warm %.3f s; page faults: off %.0f, cold %.0f,"
         " warm %.0f)\n",
         bench_median(sy[0], 5), bench_median(sy[1], 5), bench_median(sy[2], 5),
         bench_median(fl[0], 5), bench_median(fl[1], 5), bench_median(fl[2], 5));
  unlink_segment();
  return 0;
}

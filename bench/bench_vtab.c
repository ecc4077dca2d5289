/*
** bench_vtab.c: the squeeze virtual table against a plain SQLite table, in
** the same run, on files in build/bench-vtab/.
**
** Series (examples/gen_ts.c, `make build/ts/ts.i64`): 1,000,000 rows of
** (ts INTEGER, val REAL), ts in 1 s steps, val the 2-decimal walk and the
** full-precision walk. For each walk:
**   - insert all rows in one transaction (prepared INSERT, bound values),
**     plain table vs squeeze(ts INTEGER, val REAL) with codec auto;
**     target: squeeze <= 1.5x plain
**   - file size after VACUUM, next to DuckDB's for the same table (figures
**     given with the task: 1,585,152 bytes for the 2-decimal walk, 7,090,176
**     for the full-precision walk); target: squeeze <= DuckDB
**   - SELECT sum(val) FROM t; target: squeeze no slower than plain
**   - a 1,000-row range on ts (random starts), and a filter on val that the
**     chunks' min/max rule out for most chunks (val above its 99.9th
**     percentile); target: each <= 5% of a full scan of the plain table
**     (the same query there, which has no index to use)
** Real tables (examples/data): the weather series (date as unix seconds,
** pressure, temperature, wind) and birdstrikes (14 columns, typed by
** content), loaded into a plain table and a squeeze table with codec auto,
** sizes after squeeze_optimize (the tail becomes a chunk) and VACUUM, next
** to `zstd -19` of the CSV file.
**
** Point work and bulk changes: the 2-decimal walk (1,000,000 rows) loaded
** into both tables once, squeeze_optimize (squeeze) and VACUUM (both); reads
** use these files, and every run of a write measurement starts from fresh
** copies of them (synced, so no timed commit flushes the copy). Ratios are
** squeeze against plain; medians of 5 runs, or at least 3: no further run
** starts once a measurement has taken 8 s (autocommit runs wait on fsync,
** which the shared disk sometimes makes 10 ms):
**   1. rowid point lookups: prepared SELECT ts, val FROM t WHERE rowid = ?
**      over 20,000 random rowids; rate ratio, target >= 0.5
**   2. point UPDATE t SET val = ? WHERE rowid = ? on distinct random rowids:
**      (a) 300 autocommit statements, (b) 20,000 statements in one
**      transaction; rate ratio of each, target >= 0.5
**   3. 500 single-row autocommit INSERTs appended; rate ratio, target >= 0.8
**   4. one statement changing 10% of the rows, UPDATE t SET val = val + 1
**      WHERE rowid % 10 = 0, and DELETE FROM t WHERE rowid % 10 = 5, each on
**      a fresh copy, commit included; time ratio, target <= 2 each
**   5. SELECT rowid, val FROM t ORDER BY rowid DESC LIMIT 10; time ratio,
**      target <= 2
**   6. file growth: S is the file size right after loading, optimizing and
**      VACUUM; then a random 2% of the rows (20,000) are updated in 100
**      transactions of 200 statements, with no maintenance call and no
**      VACUUM; the target compares the file then with the same rows
**      optimized and vacuumed (the new values are random, so they compress
**      less than the walk they replace): <= 1.1; size / S and the plain
**      table's growth are shown for context
** Each write measurement is followed by a full comparison of the two
** tables (rowid, ts, val, types included).
**
** Times are medians of several runs; every result is checked against the
** plain table's (a mismatch exits 1). It never fails on speed: it prints.
** Run from the repository root: ./build/bench/bench_vtab (make bench does).
** Options: --quick (point work with 5 to 10 times fewer operations and 3
** runs; the file-growth workload stays whole), --point (only the point work
** and bulk changes section).
*/
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define DIR "build/bench-vtab"
#define ROWS_MAX 1000000
#define DUCKDB_2DP 1585152
#define DUCKDB_FULL 7090176
#define INSERT_RUNS 3

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "bench_vtab: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
  exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "bench_vtab: %s: %s\n", sql, err ? err : "?");
    exit(1);
  }
}

static sqlite3 *open_db(const char *path, int fresh) {
  if (fresh) remove(path);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) die(db, path);
  if (sqlite3_squeeze_init(db, NULL, NULL) != SQLITE_OK) die(db, "squeeze_init");
  exec(db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = NORMAL;");
  return db;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The single value of the first row of sql (with up to two int64 binds),
** as a double; also returns the wall time in *secs. */
static double query_value(sqlite3 *db, const char *sql, sqlite3_int64 a, sqlite3_int64 b,
                          double *secs) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, sql);
  if (sqlite3_bind_parameter_count(s) >= 1) sqlite3_bind_int64(s, 1, a);
  if (sqlite3_bind_parameter_count(s) >= 2) sqlite3_bind_int64(s, 2, b);
  double t0 = bench_now();
  if (sqlite3_step(s) != SQLITE_ROW) die(db, sql);
  double v = sqlite3_column_double(s, 0);
  *secs = bench_now() - t0;
  sqlite3_finalize(s);
  return v;
}

/* Median seconds of BENCH_RUNS runs of a query; *value gets its result. */
static double time_query(sqlite3 *db, const char *sql, sqlite3_int64 a, sqlite3_int64 b,
                         double *value) {
  double t[BENCH_RUNS];
  for (int i = 0; i < BENCH_RUNS; i++)
    *value = query_value(db, sql, a, b, &t[i]);
  return bench_median(t, BENCH_RUNS);
}

/* Inserts n rows (ts[i], val[i]) into table t of db in one transaction.
** Returns seconds. */
static double insert_rows(sqlite3 *db, const int64_t *ts, const double *val, int n) {
  sqlite3_stmt *s;
  double t0 = bench_now();
  exec(db, "BEGIN");
  if (sqlite3_prepare_v2(db, "INSERT INTO t(ts, val) VALUES (?, ?)", -1, &s, NULL) != SQLITE_OK)
    die(db, "prepare insert");
  for (int i = 0; i < n; i++) {
    sqlite3_bind_int64(s, 1, ts[i]);
    sqlite3_bind_double(s, 2, val[i]);
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  exec(db, "COMMIT");
  return bench_now() - t0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int check(double a, double b, const char *what) {
  double d = a - b;
  if (d < 0) d = -d;
  if (d > 1e-6 * (a < 0 ? -a : a) + 1e-9) {
    fprintf(stderr, "bench_vtab: %s: squeeze %.17g, plain %.17g\n", what, a, b);
    exit(1);
  }
  return 1;
}

static void series(const char *name, const int64_t *ts, const double *val, int n, long long duck) {
  char plain_path[256], sq_path[256];
  snprintf(plain_path, sizeof plain_path, DIR "/plain_%s.db", name);
  snprintf(sq_path, sizeof sq_path, DIR "/squeeze_%s.db", name);
  double tp[INSERT_RUNS], tq[INSERT_RUNS];
  sqlite3 *plain = NULL, *sq = NULL;
  for (int r = 0; r < INSERT_RUNS; r++) {
    if (plain) sqlite3_close(plain);
    if (sq) sqlite3_close(sq);
    plain = open_db(plain_path, 1);
    sq = open_db(sq_path, 1);
    exec(plain, "CREATE TABLE t(ts INTEGER, val REAL)");
    exec(sq, "CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, val REAL)");
    tp[r] = insert_rows(plain, ts, val, n);
    tq[r] = insert_rows(sq, ts, val, n);
  }
  double ins_p = bench_median(tp, INSERT_RUNS), ins_q = bench_median(tq, INSERT_RUNS);
  exec(plain, "VACUUM");
  exec(sq, "VACUUM");
  long long size_p = file_size(plain_path), size_q = file_size(sq_path);
  printf("\n== %s walk: %d rows (ts INTEGER, val REAL), codec auto, after VACUUM\n", name, n);
  printf("  file size      plain %11lld   squeeze %10lld   DuckDB %10lld   squeeze/DuckDB %.3f "
         "(target <= 1)\n",
         size_p, size_q, duck, (double)size_q / (double)duck);
  printf("  insert 1M/txn  plain %8.0f ms   squeeze %7.0f ms   ratio %.2f (target <= 1.5)\n",
         ins_p * 1e3, ins_q * 1e3, ins_q / ins_p);

  double vp, vq;
  const char *sum = "SELECT sum(val) FROM t";
  double sp = time_query(plain, sum, 0, 0, &vp), sqt = time_query(sq, sum, 0, 0, &vq);
  check(vq, vp, sum);
  printf("  sum(val)       plain %8.1f ms   squeeze %7.1f ms   ratio %.2f (target <= 1)\n",
         sp * 1e3, sqt * 1e3, sqt / sp);

  /* a 1,000-row range on ts, 7 random starts; plain pays a full scan */
  const char *range = "SELECT count(*) + total(val) FROM t WHERE ts BETWEEN ?1 AND ?1 + 999";
  double rp[BENCH_RUNS], rq[BENCH_RUNS];
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < BENCH_RUNS; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    sqlite3_int64 start = ts[0] + (sqlite3_int64)(x % (uint64_t)(n - 1000));
    vp = query_value(plain, range, start, 0, &rp[i]);
    vq = query_value(sq, range, start, 0, &rq[i]);
    check(vq, vp, range);
  }
  double range_p = bench_median(rp, BENCH_RUNS), range_q = bench_median(rq, BENCH_RUNS);
  printf("  1000-row range plain %8.1f ms   squeeze %7.2f ms   %.2f%% of the plain scan "
         "(target <= 5%%)\n",
         range_p * 1e3, range_q * 1e3, 100 * range_q / range_p);

  /* a filter on val that min/max rule out for most chunks */
  double *sorted = malloc(sizeof(double) * (size_t)n);
  memcpy(sorted, val, sizeof(double) * (size_t)n);
  qsort(sorted, (size_t)n, sizeof(double), cmp_double);
  double cut = sorted[n - n / 1000];
  free(sorted);
  char filter[128];
  snprintf(filter, sizeof filter, "SELECT count(*) FROM t WHERE val > %.17g", cut);
  double fp = time_query(plain, filter, 0, 0, &vp), fq = time_query(sq, filter, 0, 0, &vq);
  check(vq, vp, filter);
  double chunks, skipped;
  double dummy;
  chunks = query_value(sq, "SELECT count(*) FROM t_chunk", 0, 0, &dummy);
  char ruled[200];
  snprintf(ruled, sizeof ruled,
           "SELECT count(*) FROM t_data WHERE key & 65535 = 2 AND maxv <= %.17g", cut);
  skipped = query_value(sq, ruled, 0, 0, &dummy);
  printf("  val > p99.9    plain %8.1f ms   squeeze %7.2f ms   %.2f%% of the plain scan "
         "(target <= 5%%; %.0f of %.0f chunks ruled out)\n",
         fp * 1e3, fq * 1e3, 100 * fq / fp, skipped, chunks);
  sqlite3_close(plain);
  sqlite3_close(sq);
}

/* ---- Point work and bulk changes ------------------------------------------ */

/* Sizes of the point-work section: full (make bench) or --quick. */
typedef struct {
  int runs;        /* runs per timed measurement; the median is reported */
  int lookups;     /* rowid lookups per run (1) */
  int upd_auto;    /* autocommit point UPDATEs per run (2a) */
  int upd_txn;     /* point UPDATEs in one transaction per run (2b) */
  int ins_auto;    /* autocommit single-row INSERTs per run (3) */
  int grow_txns;   /* transactions of the growth workload (6) */
  int grow_per;    /* point UPDATEs per transaction there */
  int n;           /* rows in the base tables */
  int64_t next_ts; /* a ts value past the series, for appended rows */
} point_cfg;

#define PT_PLAIN DIR "/point_plain.db"
#define PT_SQ DIR "/point_squeeze.db"
#define PT_PLAIN_W DIR "/point_plain_work.db"
#define PT_SQ_W DIR "/point_squeeze_work.db"
#define PT_SQ_OPT DIR "/point_squeeze_optimized.db"
#define PT_MIN_RUNS 3
#define PT_BUDGET 8.0 /* seconds */

static uint64_t xorshift(uint64_t *x) {
  *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
  return *x;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, sql);
  return s;
}

/* Copies file from to file to (replacing it and any journal of it) and
** syncs it, so that no dirty page of the copy is left for a timed commit's
** fsync to write. Exits on failure. */
static void copy_file(const char *from, const char *to) {
  char journal[300];
  snprintf(journal, sizeof journal, "%s-journal", to);
  remove(journal);
  size_t n;
  uint8_t *buf = bench_read_file(from, &n);
  FILE *f = fopen(to, "wb");
  if (!f || fwrite(buf, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0) {
    fprintf(stderr, "bench_vtab: cannot copy %s to %s\n", from, to);
    exit(1);
  }
  fclose(f);
  free(buf);
}

/* Opens fresh working copies of the two base databases. */
static void open_work(sqlite3 **plain, sqlite3 **sq) {
  copy_file(PT_PLAIN, PT_PLAIN_W);
  copy_file(PT_SQ, PT_SQ_W);
  *plain = open_db(PT_PLAIN_W, 0);
  *sq = open_db(PT_SQ_W, 0);
}

/* 1 when column i of the current rows of a and b holds the same type and
** value (a REAL bit for bit). */
static int same_value(sqlite3_stmt *a, sqlite3_stmt *b, int i) {
  int t = sqlite3_column_type(a, i);
  if (t != sqlite3_column_type(b, i)) return 0;
  switch (t) {
  case SQLITE_INTEGER:
    return sqlite3_column_int64(a, i) == sqlite3_column_int64(b, i);
  case SQLITE_FLOAT: {
    double x = sqlite3_column_double(a, i), y = sqlite3_column_double(b, i);
    return memcmp(&x, &y, sizeof x) == 0;
  }
  case SQLITE_NULL:
    return 1;
  default: {
    int n = sqlite3_column_bytes(a, i);
    return n == sqlite3_column_bytes(b, i) &&
           memcmp(sqlite3_column_blob(a, i), sqlite3_column_blob(b, i), (size_t)n) == 0;
  }
  }
}

/* Runs sql on both databases and exits 1 unless every row and value is
** the same, in the same order; returns the number of rows. */
static long compare_query(sqlite3 *plain, sqlite3 *sq, const char *sql, const char *what) {
  sqlite3_stmt *a = prepare(plain, sql), *b = prepare(sq, sql);
  long rows = 0;
  for (;;) {
    int ra = sqlite3_step(a), rb = sqlite3_step(b);
    if (ra != SQLITE_ROW && ra != SQLITE_DONE) die(plain, sql);
    if (rb != SQLITE_ROW && rb != SQLITE_DONE) die(sq, sql);
    if (ra != rb) {
      fprintf(stderr, "bench_vtab: %s: %s: plain has %s rows than squeeze (row %ld)\n", what, sql,
              ra == SQLITE_ROW ? "more" : "fewer", rows + 1);
      exit(1);
    }
    if (ra == SQLITE_DONE) break;
    for (int i = 0; i < sqlite3_column_count(a); i++)
      if (!same_value(a, b, i)) {
        fprintf(stderr, "bench_vtab: %s: %s: row %ld column %d: plain %s, squeeze %s\n", what, sql,
                rows + 1, i, sqlite3_column_text(a, i), sqlite3_column_text(b, i));
        exit(1);
      }
    rows++;
  }
  sqlite3_finalize(a);
  sqlite3_finalize(b);
  return rows;
}

/* Exits 1 unless the two tables hold the same rows. */
static void compare_tables(sqlite3 *plain, sqlite3 *sq, const char *what) {
  compare_query(plain, sq, "SELECT rowid, ts, val FROM t ORDER BY rowid", what);
}

/* Looks up rowid[0..k) with a prepared statement, storing ts and val;
** returns seconds. */
static double lookups(sqlite3 *db, const int64_t *rowid, int k, int64_t *ts, double *val) {
  sqlite3_stmt *s = prepare(db, "SELECT ts, val FROM t WHERE rowid = ?");
  double t0 = bench_now();
  for (int i = 0; i < k; i++) {
    sqlite3_bind_int64(s, 1, rowid[i]);
    if (sqlite3_step(s) != SQLITE_ROW) die(db, "rowid lookup");
    ts[i] = sqlite3_column_int64(s, 0);
    val[i] = sqlite3_column_double(s, 1);
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "rowid lookup: a second row");
    sqlite3_reset(s);
  }
  double t = bench_now() - t0;
  sqlite3_finalize(s);
  return t;
}

/* Point UPDATEs val[i] at rowid[i] for i in [0, k): per statement
** autocommit when per_txn is 0, else in transactions of per_txn
** statements. Returns seconds, commits included. */
static double point_updates(sqlite3 *db, const int64_t *rowid, const double *val, int k,
                            int per_txn) {
  sqlite3_stmt *s = prepare(db, "UPDATE t SET val = ? WHERE rowid = ?");
  double t0 = bench_now();
  for (int i = 0; i < k; i++) {
    if (per_txn && i % per_txn == 0) exec(db, "BEGIN");
    sqlite3_bind_double(s, 1, val[i]);
    sqlite3_bind_int64(s, 2, rowid[i]);
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "point update");
    if (sqlite3_changes(db) != 1) die(NULL, "point update: not one row changed");
    sqlite3_reset(s);
    if (per_txn && (i % per_txn == per_txn - 1 || i == k - 1)) exec(db, "COMMIT");
  }
  double t = bench_now() - t0;
  sqlite3_finalize(s);
  return t;
}

/* k autocommit INSERTs of single rows appended after the series. */
static double append_rows(sqlite3 *db, int64_t ts0, int k) {
  sqlite3_stmt *s = prepare(db, "INSERT INTO t(ts, val) VALUES (?, ?)");
  double t0 = bench_now();
  for (int i = 0; i < k; i++) {
    sqlite3_bind_int64(s, 1, ts0 + i);
    sqlite3_bind_double(s, 2, (double)(i % 10000) / 100);
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "append");
    sqlite3_reset(s);
  }
  double t = bench_now() - t0;
  sqlite3_finalize(s);
  return t;
}

/* Seconds one statement takes on db, autocommit. */
static double time_exec(sqlite3 *db, const char *sql) {
  double t0 = bench_now();
  exec(db, sql);
  return bench_now() - t0;
}

/* Seconds to step sql to its end on db. */
static double time_rows(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = prepare(db, sql);
  double t0 = bench_now();
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  double t = bench_now() - t0;
  if (rc != SQLITE_DONE) die(db, sql);
  sqlite3_finalize(s);
  return t;
}

/* Fills r[0..k) with k distinct random rowids out of 1..n (a partial
** Fisher-Yates shuffle of perm, which holds a permutation of 1..n). */
static void distinct_rowids(int64_t *perm, int n, int64_t *r, int k, uint64_t *x) {
  for (int i = 0; i < k; i++) {
    int j = i + (int)(xorshift(x) % (uint64_t)(n - i));
    int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    r[i] = perm[i];
  }
}

/* Random 2-decimal values, as the walk has. */
static void random_vals(double *v, int k, uint64_t *x) {
  for (int i = 0; i < k; i++)
    v[i] = (double)(int64_t)(xorshift(x) % 200000) / 100 - 1000;
}

/* 1 while another run of a measurement that began at t0 is due: at least
** PT_MIN_RUNS, at most c->runs, and no new run after PT_BUDGET seconds (an
** autocommit run waits on fsync, which a shared disk can make slow). */
static int more_runs(const point_cfg *c, int done, double t0) {
  return done < c->runs && (done < PT_MIN_RUNS || bench_now() - t0 < PT_BUDGET);
}

/* " (3 runs)" when a measurement made fewer than c->runs runs, else "". */
static const char *runs_note(const point_cfg *c, int runs) {
  static char note[32];
  note[0] = 0;
  if (runs < c->runs) snprintf(note, sizeof note, " (%d runs)", runs);
  return note;
}

/* Prints the median rates of k operations timed over runs runs (tp, tq are
** sorted). */
static void print_rate(const char *what, int k, double *tp, double *tq, int runs,
                       const point_cfg *c, double target) {
  double p = bench_median(tp, runs), q = bench_median(tq, runs);
  printf("  %-32s plain %9.0f/s  squeeze %9.0f/s  rate ratio %7.4f (target >= %.1f)%s\n", what,
         k / p, k / q, p / q, target, runs_note(c, runs));
}

/* Prints the median times of runs runs (tp, tq are sorted). */
static void print_time(const char *what, double *tp, double *tq, int runs, const point_cfg *c,
                       double target) {
  double p = bench_median(tp, runs), q = bench_median(tq, runs);
  printf("  %-32s plain %9.2f ms  squeeze %9.2f ms  time ratio %7.2f (target <= %.1f)%s\n", what,
         p * 1e3, q * 1e3, q / p, target, runs_note(c, runs));
}

/* Loads, optimizes and VACUUMs the two base databases. */
static void point_base(const int64_t *ts, const double *val, int n) {
  sqlite3 *plain = open_db(PT_PLAIN, 1), *sq = open_db(PT_SQ, 1);
  exec(plain, "CREATE TABLE t(ts INTEGER, val REAL)");
  exec(sq, "CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, val REAL)");
  insert_rows(plain, ts, val, n);
  insert_rows(sq, ts, val, n);
  exec(sq, "SELECT squeeze_optimize('t')");
  exec(plain, "VACUUM");
  exec(sq, "VACUUM");
  compare_tables(plain, sq, "base tables");
  sqlite3_close(plain);
  sqlite3_close(sq);
}

/* 1. rowid point lookups on the base tables. */
static void point_lookups(const point_cfg *c) {
  sqlite3 *plain = open_db(PT_PLAIN, 0), *sq = open_db(PT_SQ, 0);
  int k = c->lookups;
  int64_t *r = malloc(sizeof(int64_t) * (size_t)k * 3);
  int64_t *tsp = r + k, *tsq = r + 2 * k;
  double *vp = malloc(sizeof(double) * (size_t)k * 2), *vq = vp + k;
  double tp[BENCH_RUNS], tq[BENCH_RUNS];
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  int run = 0;
  for (double t0 = bench_now(); more_runs(c, run, t0); run++) {
    for (int i = 0; i < k; i++)
      r[i] = 1 + (int64_t)(xorshift(&x) % (uint64_t)c->n);
    tp[run] = lookups(plain, r, k, tsp, vp);
    tq[run] = lookups(sq, r, k, tsq, vq);
    for (int i = 0; i < k; i++)
      if (tsp[i] != tsq[i] || memcmp(&vp[i], &vq[i], sizeof(double)) != 0) {
        fprintf(stderr, "bench_vtab: rowid %lld: plain (%lld, %.17g), squeeze (%lld, %.17g)\n",
                (long long)r[i], (long long)tsp[i], vp[i], (long long)tsq[i], vq[i]);
        exit(1);
      }
  }
  free(r);
  free(vp);
  sqlite3_close(plain);
  sqlite3_close(sq);
  char what[64];
  snprintf(what, sizeof what, "1. rowid lookup x%d", k);
  print_rate(what, k, tp, tq, run, c, 0.5);
}

/* 5. the last rows, newest first, on the base tables. */
static void point_desc(const point_cfg *c) {
  sqlite3 *plain = open_db(PT_PLAIN, 0), *sq = open_db(PT_SQ, 0);
  double tp[BENCH_RUNS], tq[BENCH_RUNS];
  const char *desc = "SELECT rowid, val FROM t ORDER BY rowid DESC LIMIT 10";
  if (compare_query(plain, sq, desc, "ORDER BY rowid DESC") != 10)
    die(NULL, "ORDER BY rowid DESC LIMIT 10: not 10 rows");
  int run = 0;
  for (double t0 = bench_now(); more_runs(c, run, t0); run++) {
    tp[run] = time_rows(plain, desc);
    tq[run] = time_rows(sq, desc);
  }
  sqlite3_close(plain);
  sqlite3_close(sq);
  print_time("5. ORDER BY rowid DESC LIMIT 10", tp, tq, run, c, 2);
}

/* 2. k point UPDATEs of distinct random rowids, each its own autocommit
** statement or (one_txn) all in one transaction; each run on fresh copies. */
static void point_update_runs(const point_cfg *c, int k, int one_txn, const char *what) {
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)c->n), *r = malloc(sizeof(int64_t) * (size_t)k);
  double *v = malloc(sizeof(double) * (size_t)k);
  for (int i = 0; i < c->n; i++)
    perm[i] = i + 1;
  double tp[BENCH_RUNS], tq[BENCH_RUNS];
  uint64_t x = 0xD1B54A32D192ED03ULL + (uint64_t)k;
  int run = 0;
  for (double t0 = bench_now(); more_runs(c, run, t0); run++) {
    sqlite3 *plain, *sq;
    open_work(&plain, &sq);
    distinct_rowids(perm, c->n, r, k, &x);
    random_vals(v, k, &x);
    tp[run] = point_updates(plain, r, v, k, one_txn ? k : 0);
    tq[run] = point_updates(sq, r, v, k, one_txn ? k : 0);
    compare_tables(plain, sq, what);
    sqlite3_close(plain);
    sqlite3_close(sq);
  }
  free(perm);
  free(r);
  free(v);
  print_rate(what, k, tp, tq, run, c, 0.5);
}

/* 3. autocommit single-row INSERTs, each run on fresh copies. */
static void point_inserts(const point_cfg *c) {
  double tp[BENCH_RUNS], tq[BENCH_RUNS];
  int run = 0;
  for (double t0 = bench_now(); more_runs(c, run, t0); run++) {
    sqlite3 *plain, *sq;
    open_work(&plain, &sq);
    tp[run] = append_rows(plain, c->next_ts, c->ins_auto);
    tq[run] = append_rows(sq, c->next_ts, c->ins_auto);
    compare_tables(plain, sq, "autocommit INSERT");
    sqlite3_close(plain);
    sqlite3_close(sq);
  }
  char what[64];
  snprintf(what, sizeof what, "3. INSERT autocommit x%d", c->ins_auto);
  print_rate(what, c->ins_auto, tp, tq, run, c, 0.8);
}

/* 4. one statement changing 10% of the rows, each run on fresh copies. */
static void point_bulk(const point_cfg *c, const char *sql, const char *what) {
  double tp[BENCH_RUNS], tq[BENCH_RUNS];
  int run = 0;
  for (double t0 = bench_now(); more_runs(c, run, t0); run++) {
    sqlite3 *plain, *sq;
    open_work(&plain, &sq);
    tp[run] = time_exec(plain, sql);
    int np = sqlite3_changes(plain);
    tq[run] = time_exec(sq, sql);
    if (sqlite3_changes(sq) != np) die(NULL, "bulk change: row counts differ");
    compare_tables(plain, sq, sql);
    sqlite3_close(plain);
    sqlite3_close(sq);
  }
  print_time(what, tp, tq, run, c, 2);
}

/* 6. file growth under 2% of point UPDATEs in many transactions. */
static void point_growth(const point_cfg *c) {
  long long sp = file_size(PT_PLAIN), sq_size = file_size(PT_SQ);
  int k = c->grow_txns * c->grow_per;
  int64_t *perm = malloc(sizeof(int64_t) * (size_t)c->n), *r = malloc(sizeof(int64_t) * (size_t)k);
  double *v = malloc(sizeof(double) * (size_t)k);
  for (int i = 0; i < c->n; i++)
    perm[i] = i + 1;
  uint64_t x = 0x2545F4914F6CDD1DULL;
  distinct_rowids(perm, c->n, r, k, &x);
  random_vals(v, k, &x);
  sqlite3 *plain, *sq;
  open_work(&plain, &sq);
  double tp = point_updates(plain, r, v, k, c->grow_per);
  double tq = point_updates(sq, r, v, k, c->grow_per);
  compare_tables(plain, sq, "growth workload");
  double d;
  double tail = query_value(sq, "SELECT count(*) FROM t_tail", 0, 0, &d);
  double chunks = query_value(sq, "SELECT count(*) FROM t_chunk", 0, 0, &d);
  sqlite3_close(plain);
  sqlite3_close(sq);
  long long gp = file_size(PT_PLAIN_W), gq = file_size(PT_SQ_W);
  /* the same rows optimized and vacuumed: what the updated table needs */
  copy_file(PT_SQ_W, PT_SQ_OPT);
  sqlite3 *opt = open_db(PT_SQ_OPT, 0);
  exec(opt, "SELECT squeeze_optimize('t'); VACUUM;");
  sqlite3_close(opt);
  long long oq = file_size(PT_SQ_OPT);
  printf("  6. file size, S after optimize+VACUUM, then %d point UPDATEs (%.1f%% of rows) in %d "
         "transactions\n",
         k, 100.0 * k / c->n, c->grow_txns);
  printf("     plain   S %10lld  after %10lld  growth %.3f  (%.0f ms)\n", sp, gp,
         (double)gp / (double)sp, tp * 1e3);
  printf("     squeeze S %10lld  after %10lld  growth %.3f  (%.0f ms; %.0f tail rows, %.0f "
         "chunks)\n",
         sq_size, gq, (double)gq / (double)sq_size, tq * 1e3, tail, chunks);
  printf("     squeeze after / the same rows optimized and vacuumed (%lld): %.3f (target <= 1.1)\n",
         oq, (double)gq / (double)oq);
  free(perm);
  free(r);
  free(v);
}

/* The point work and bulk changes section on the n rows (ts, val); quick
** shrinks the timed workloads. Exits 1 on any mismatch. */
static void point_work(const int64_t *ts, const double *val, int n, int quick) {
  if (n < 40000) {
    printf("\n== point work and bulk changes: skipped (%d rows; it needs 40,000)\n", n);
    return;
  }
  point_cfg c = {.runs = quick ? 3 : 5,
                 .lookups = quick ? 2000 : 20000,
                 .upd_auto = quick ? 50 : 300,
                 .upd_txn = quick ? 2000 : 20000,
                 .ins_auto = quick ? 100 : 500,
                 .grow_txns = 100, /* a size, not a time: the same in both modes */
                 .grow_per = 200,
                 .n = n,
                 .next_ts = ts[n - 1] + 1};
  double t0 = bench_now();
  point_base(ts, val, n);
  printf("\n== point work and bulk changes: 2dp walk, %d rows, after squeeze_optimize and "
         "VACUUM; medians of %d runs%s\n",
         n, c.runs, quick ? " (--quick)" : "");
  point_lookups(&c);
  char what[64];
  snprintf(what, sizeof what, "2a. UPDATE autocommit x%d", c.upd_auto);
  point_update_runs(&c, c.upd_auto, 0, what);
  snprintf(what, sizeof what, "2b. UPDATE 1 txn x%d", c.upd_txn);
  point_update_runs(&c, c.upd_txn, 1, what);
  point_inserts(&c);
  point_bulk(&c, "UPDATE t SET val = val + 1 WHERE rowid % 10 = 0", "4a. UPDATE 10% of rows");
  point_bulk(&c, "DELETE FROM t WHERE rowid % 10 = 5", "4b. DELETE 10% of rows");
  point_desc(&c);
  point_growth(&c);
  printf("  (section took %.1f s)\n", bench_now() - t0);
}

/* ---- Real tables ---------------------------------------------------------- */

/* Splits line (modified in place) at commas into at most max fields. */
static int split_csv(char *line, char **field, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    field[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  return n;
}

/* Binds a CSV field with the type its text has: INTEGER, REAL, TEXT, or
** NULL when empty. */
static void bind_typed(sqlite3_stmt *s, int i, const char *f) {
  char *end;
  if (!*f) {
    sqlite3_bind_null(s, i);
    return;
  }
  long long v = strtoll(f, &end, 10);
  if (!*end) {
    sqlite3_bind_int64(s, i, v);
    return;
  }
  double d = strtod(f, &end);
  if (!*end) {
    sqlite3_bind_double(s, i, d);
    return;
  }
  sqlite3_bind_text(s, i, f, -1, SQLITE_TRANSIENT);
}

/* Loads csv into table t of db (columns declared by decl), one transaction;
** transform (may be NULL) is an UPDATE run afterwards. */
static void load_csv(sqlite3 *db, const char *csv, int ncol, const char *transform) {
  size_t size;
  char *text = (char *)bench_read_file(csv, &size);
  text[size] = 0;
  char sql[512] = "INSERT INTO t VALUES (?";
  for (int i = 1; i < ncol; i++)
    strcat(sql, ", ?");
  strcat(sql, ")");
  sqlite3_stmt *s;
  exec(db, "BEGIN");
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, sql);
  char *save = NULL;
  int first = 1;
  for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
    if (first) { /* the header */
      first = 0;
      continue;
    }
    char *field[32];
    int n = split_csv(line, field, ncol);
    for (int i = 0; i < ncol; i++)
      bind_typed(s, i + 1, i < n ? field[i] : "");
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "insert csv");
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  if (transform) exec(db, transform);
  exec(db, "COMMIT");
  free(text);
}

static long long zstd19(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "zstd -19 -q -c '%s' | wc -c", path);
  FILE *f = popen(cmd, "r");
  long long n = -1;
  if (f) {
    if (fscanf(f, "%lld", &n) != 1) n = -1;
    pclose(f);
  }
  return n;
}

static void real_table(const char *name, const char *csv, const char *columns, int ncol,
                       const char *transform) {
  char plain_path[256], sq_path[256], sql[1024];
  snprintf(plain_path, sizeof plain_path, DIR "/plain_%s.db", name);
  snprintf(sq_path, sizeof sq_path, DIR "/squeeze_%s.db", name);
  sqlite3 *plain = open_db(plain_path, 1), *sq = open_db(sq_path, 1);
  snprintf(sql, sizeof sql, "CREATE TABLE t(%s)", columns);
  exec(plain, sql);
  snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE t USING squeeze(%s)", columns);
  exec(sq, sql);
  load_csv(plain, csv, ncol, transform);
  load_csv(sq, csv, ncol, transform);
  exec(sq, "SELECT squeeze_optimize('t')"); /* the tail becomes a chunk too */
  exec(plain, "VACUUM");
  exec(sq, "VACUUM");
  double d, rows = query_value(sq, "SELECT count(*) FROM t", 0, 0, &d);
  check(rows, query_value(plain, "SELECT count(*) FROM t", 0, 0, &d), "row count");
  long long csv_size = file_size(csv), z = zstd19(csv);
  long long size_p = file_size(plain_path), size_q = file_size(sq_path);
  printf("  %-13s %6.0f %9lld %9lld %9lld %9lld   %5.2f   %5.2f\n", name, rows, csv_size, z, size_p,
         size_q, (double)size_p / (double)size_q, (double)z / (double)size_q);
  sqlite3_close(plain);
  sqlite3_close(sq);
}

int main(int argc, char **argv) {
  int quick = 0, point_only = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = 1;
    else if (strcmp(argv[i], "--point") == 0)
      point_only = 1;
    else {
      fprintf(stderr, "usage: bench_vtab [--quick] [--point]\n");
      return 1;
    }
  }
  mkdir("build", 0755);
  mkdir(DIR, 0755);
  size_t nts, n2, nf;
  FILE *probe = fopen("build/ts/ts.i64", "rb");
  if (!probe) {
    fprintf(stderr, "bench_vtab: build/ts/ts.i64 missing: run `make build/ts/ts.i64`\n");
    return 1;
  }
  fclose(probe);
  int64_t *ts = (int64_t *)bench_read_file("build/ts/ts.i64", &nts);
  double *v2 = (double *)bench_read_file("build/ts/val_2dp.f64", &n2);
  double *vf = (double *)bench_read_file("build/ts/val_full.f64", &nf);
  int n = (int)(nts / 8);
  if (n > ROWS_MAX) n = ROWS_MAX;
  printf("bench_vtab: squeeze virtual table vs a plain SQLite table (%s)\n", sqlite3_libversion());
  if (!point_only) {
    series("2dp", ts, v2, n, DUCKDB_2DP);
    series("full", ts, vf, n, DUCKDB_FULL);
  }
  point_work(ts, v2, n, quick);
  free(ts);
  free(v2);
  free(vf);
  if (point_only) return 0;

  printf("\n== real tables, codec auto, after squeeze_optimize and VACUUM (bytes)\n");
  printf("  %-13s %6s %9s %9s %9s %9s   %s   %s\n", "table", "rows", "csv", "zstd-19", "plain",
         "squeeze", "plain/sq", "zstd19/sq");
  real_table("weather", "examples/data/seattle-weather-hourly-normals.csv",
             "date INTEGER, pressure REAL, temperature REAL, wind REAL", 4,
             "UPDATE t SET date = unixepoch(date)");
  real_table("birdstrikes", "examples/data/birdstrikes.csv",
             "airport TEXT, aircraft TEXT, damage TEXT, flight_date TEXT, operator TEXT,"
             " state TEXT, phase TEXT, wildlife_size TEXT, species TEXT, time_of_day TEXT,"
             " cost_other INTEGER, cost_repair INTEGER, cost_total INTEGER, speed INTEGER",
             14, NULL);
  return 0;
}

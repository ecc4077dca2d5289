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
** Times are medians of several runs; every result is checked against the
** plain table's (a mismatch exits 1). It never fails on speed: it prints.
** Run from the repository root: ./build/bench/bench_vtab (make bench does).
*/
#include <sqlite3.h>
#include <sys/stat.h>

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

int main(void) {
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
  series("2dp", ts, v2, n, DUCKDB_2DP);
  series("full", ts, vf, n, DUCKDB_FULL);
  free(ts);
  free(v2);
  free(vf);

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

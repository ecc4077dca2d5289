/*
** bench_large.c: large values on several threads (docs/large_values.md).
**
**   build/bench/bench_large [MiB]          (default 64)
**   build/bench/bench_large --cli FILE     sqz against the zstd tool on FILE
**
** 1. compress(x, codec, 'threads=N') of a value of the bundled real texts
**    (examples/data, concatenated and repeated to MiB MiB), N = 1 and 2 run
**    alternately BENCH_RUNS times; prints the median speed of each and the
**    ratio of the medians (target: zstd level 3 >= 1.8x, lz4 and huffman
**    >= 1.6x on two cores), and the same for decompress() with
**    squeeze_config('threads', N).
** 2. The peak of SQLite's memory statistics (sqlite3_memory_highwater) while
**    compressing a 256 MiB value read from a table with 1 and 2 threads,
**    against the target input + result + 16 MiB.
** 3. With --cli FILE: `build/sqz -T2 -c FILE` against `zstd -T2 -3 -c FILE`
**    and `build/sqz -d -T2 -c` against `zstd -d -c`, output to /dev/null
**    (the input in the page cache after a first read), run alternately
**    BENCH_RUNS times: median wall times, their ratio (target >= 0.9x) and
**    the largest resident set of the runs (wait4's ru_maxrss; target for
**    sqz <= 64 MiB).
*/
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "bench_large: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

/* size bytes of the bundled texts, repeated. */
static uint8_t *corpus(size_t size) {
  static const char *files[] = {"examples/data/moby-dick.txt", "examples/data/earthquakes.json",
                                "examples/data/birdstrikes.csv",
                                "examples/data/seattle-weather-hourly-normals.csv"};
  uint8_t *out = malloc(size);
  if (!out) exit(1);
  size_t used = 0;
  while (used < size) {
    for (size_t i = 0; i < sizeof files / sizeof files[0] && used < size; i++) {
      size_t n;
      uint8_t *b = bench_read_file(files[i], &n);
      size_t take = n < size - used ? n : size - used;
      memcpy(out + used, b, take);
      used += take;
      free(b);
    }
  }
  return out;
}

/* Seconds for one run of stmt with blob bound as ?1; *out_n gets the
** length of the result (column 0 as a blob, or its integer value). */
static double run_once(sqlite3 *db, sqlite3_stmt *stmt, const void *blob, size_t n,
                       sqlite3_int64 *out_n) {
  sqlite3_reset(stmt);
  if (sqlite3_bind_blob64(stmt, 1, blob, n, SQLITE_STATIC) != SQLITE_OK) die(db, "bind");
  double t = bench_now();
  if (sqlite3_step(stmt) != SQLITE_ROW) die(db, "step");
  *out_n = sqlite3_column_type(stmt, 0) == SQLITE_INTEGER ? sqlite3_column_int64(stmt, 0)
                                                          : sqlite3_column_bytes(stmt, 0);
  t = bench_now() - t;
  return t;
}

static void set_threads(sqlite3 *db, int threads) {
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT squeeze_config('threads', %d)", threads);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, "squeeze_config");
}

/* Speeds of compress and decompress with 1 and 2 threads for codec and
** level, alternating the thread counts run by run. */
static void speed(sqlite3 *db, const uint8_t *data, size_t n, const char *codec, int level) {
  double c[2][BENCH_RUNS], d[2][BENCH_RUNS];
  sqlite3_int64 size[2] = {0, 0}, back = 0;
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT compress(?1, '%s', %d)", codec, level);
  sqlite3_stmt *comp, *dec;
  if (sqlite3_prepare_v2(db, sql, -1, &comp, NULL) != SQLITE_OK) die(db, "prepare");
  if (sqlite3_prepare_v2(db, "SELECT length(decompress(?1))", -1, &dec, NULL) != SQLITE_OK)
    die(db, "prepare");
  void *frame = NULL;
  for (int r = 0; r < BENCH_RUNS; r++) {
    for (int t = 0; t < 2; t++) {
      set_threads(db, t + 1);
      c[t][r] = run_once(db, comp, data, n, &size[t]);
      if (!frame) {
        frame = malloc((size_t)size[t]);
        memcpy(frame, sqlite3_column_blob(comp, 0), (size_t)size[t]);
      }
      d[t][r] = run_once(db, dec, frame, (size_t)size[0], &back);
      if (back != (sqlite3_int64)n) die(db, "round trip");
    }
  }
  if (size[0] != size[1]) die(db, "threads=2 wrote other bytes");
  double mib = (double)n / (1 << 20);
  double c1 = bench_median(c[0], BENCH_RUNS), c2 = bench_median(c[1], BENCH_RUNS);
  double d1 = bench_median(d[0], BENCH_RUNS), d2 = bench_median(d[1], BENCH_RUNS);
  printf("%-8s %2d  ratio %5.2f  compress %7.1f -> %7.1f MiB/s (%.2fx)  decompress %7.1f -> "
         "%7.1f MiB/s (%.2fx)\n",
         codec, level, (double)n / (double)size[0], mib / c1, mib / c2, c1 / c2, mib / d1, mib / d2,
         d1 / d2);
  free(frame);
  sqlite3_finalize(comp);
  sqlite3_finalize(dec);
}

/* The peak of SQLite's memory while compressing the value of table big
** (n bytes) with threads: reading the row assembles the value in one
** allocation (the input), then compress() holds its result and its own
** buffers. (A bound parameter is no good here: SQLite evaluates a function
** of constants once and copies its result into the row, a second result.) */
static void memory(sqlite3 *db, size_t n, int threads) {
  sqlite3_stmt *stmt;
  if (sqlite3_prepare_v2(db, "SELECT compress(v, 'zstd', 3) FROM big", -1, &stmt, NULL) !=
      SQLITE_OK)
    die(db, "prepare");
  set_threads(db, threads);
  sqlite3_int64 out, base = sqlite3_memory_used();
  sqlite3_memory_highwater(1);
  if (sqlite3_step(stmt) != SQLITE_ROW) die(db, "step");
  out = sqlite3_column_bytes(stmt, 0);
  sqlite3_int64 peak = sqlite3_memory_highwater(0) - base;
  double extra = (double)(peak - out - (sqlite3_int64)n) / (1 << 20);
  printf("memory   %d thread%s: %zu MiB value, peak %.1f MiB over the baseline = input + result "
         "%.1f MiB + %.1f MiB (target: + 16 MiB)\n",
         threads, threads > 1 ? "s" : " ", n >> 20, (double)peak / (1 << 20),
         (double)out / (1 << 20), extra);
  sqlite3_finalize(stmt);
}

/* Runs argv with stdin from in (NULL: /dev/null) and stdout to out; returns
** the wall seconds and sets *rss_kib to the child's largest resident set.
** Exits when the command fails. */
static double run_cmd(char *const *argv, const char *in, const char *out, long *rss_kib) {
  double t = bench_now();
  pid_t pid = fork();
  if (pid == 0) {
    int i = open(in ? in : "/dev/null", O_RDONLY),
        o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (i < 0 || o < 0) _exit(127);
    dup2(i, 0);
    dup2(o, 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    fprintf(stderr, "bench_large: %s failed\n", argv[0]);
    exit(1);
  }
  *rss_kib = ru.ru_maxrss;
  return bench_now() - t;
}

/* sqz against the zstd tool on file (section 3 above). */
static void cli(const char *file) {
  const char *packed_sqz = "/tmp/bench_large.sqz", *packed_zst = "/tmp/bench_large.zst";
  char *sqz_c[] = {"build/sqz", "-q", "-T2", "-3", "-c", (char *)file, NULL};
  char *zstd_c[] = {"zstd", "-q", "-T2", "-3", "-c", (char *)file, NULL};
  char *sqz_d[] = {"build/sqz", "-q", "-d", "-T2", "-c", NULL};
  char *zstd_d[] = {"zstd", "-q", "-d", "-c", NULL};
  double t[4][BENCH_RUNS];
  long rss[4] = {0, 0, 0, 0}, r;
  run_cmd(sqz_c, NULL, packed_sqz, &r); /* the input into the page cache, and the frames */
  run_cmd(zstd_c, NULL, packed_zst, &r);
  for (int i = 0; i < BENCH_RUNS; i++) {
    t[0][i] = run_cmd(sqz_c, NULL, "/dev/null", &r);
    rss[0] = r > rss[0] ? r : rss[0];
    t[1][i] = run_cmd(zstd_c, NULL, "/dev/null", &r);
    rss[1] = r > rss[1] ? r : rss[1];
    t[2][i] = run_cmd(sqz_d, packed_sqz, "/dev/null", &r);
    rss[2] = r > rss[2] ? r : rss[2];
    t[3][i] = run_cmd(zstd_d, packed_zst, "/dev/null", &r);
    rss[3] = r > rss[3] ? r : rss[3];
  }
  FILE *f = fopen(file, "rb");
  if (!f) exit(1);
  fseek(f, 0, SEEK_END);
  double mib = (double)ftell(f) / (1 << 20);
  fclose(f);
  double m[4];
  for (int k = 0; k < 4; k++)
    m[k] = bench_median(t[k], BENCH_RUNS);
  printf("cli      %s, %.0f MiB, median of %d runs, level 3\n", file, mib, BENCH_RUNS);
  printf("cli      compress   sqz -T2 %6.1f MiB/s (max RSS %5.1f MiB)   zstd -T2 %6.1f MiB/s "
         "(max RSS %5.1f MiB)   sqz/zstd %.2fx\n",
         mib / m[0], rss[0] / 1024.0, mib / m[1], rss[1] / 1024.0, m[1] / m[0]);
  printf("cli      decompress sqz -d -T2 %6.1f MiB/s (max RSS %5.1f MiB)   zstd -d %6.1f MiB/s "
         "(max RSS %5.1f MiB)   sqz/zstd %.2fx\n",
         mib / m[2], rss[2] / 1024.0, mib / m[3], rss[3] / 1024.0, m[3] / m[2]);
  struct stat a, b;
  if (stat(packed_sqz, &a) == 0 && stat(packed_zst, &b) == 0)
    printf("cli      output     sqz %lld bytes   zstd %lld bytes   sqz/zstd %.3f\n",
           (long long)a.st_size, (long long)b.st_size, (double)a.st_size / (double)b.st_size);
  unlink(packed_sqz);
  unlink(packed_zst);
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "--cli")) {
    cli(argv[2]);
    return 0;
  }
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) die(db, "open");
  if (sqlite3_squeeze_init(db, NULL, NULL) != SQLITE_OK) die(db, "squeeze_init");
  uint8_t *data = corpus(mib << 20);
  printf("bench_large: %zu MiB of examples/data texts, median of %d runs, threads 1 -> 2\n", mib,
         BENCH_RUNS);
  speed(db, data, mib << 20, "zstd", 3);
  speed(db, data, mib << 20, "lz4", 1);
  speed(db, data, mib << 20, "huffman", 1);
  free(data);
  sqlite3_close(db);
  /* each measurement in a fresh connection: no pooled buffer or worker of an
  ** earlier run in the baseline */
  size_t big = (size_t)256 << 20;
  data = corpus(big);
  for (int threads = 1; threads <= 2; threads++) {
    sqlite3_stmt *ins;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) die(db, "open");
    if (sqlite3_squeeze_init(db, NULL, NULL) != SQLITE_OK) die(db, "squeeze_init");
    if (sqlite3_exec(db, "CREATE TABLE big(v)", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO big VALUES (?1)", -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_bind_blob64(ins, 1, data, big, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(ins) != SQLITE_DONE)
      die(db, "insert");
    sqlite3_finalize(ins);
    memory(db, big, threads);
    sqlite3_close(db);
  }
  free(data);
  return 0;
}

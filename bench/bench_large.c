/*
** bench_large.c: large values on several threads (docs/large_values.md).
**
**   build/bench/bench_large [MiB]     (default 64)
**
** 1. compress(x, codec, 'threads=N') of a value of the bundled real texts
**    (examples/data, concatenated and repeated to MiB MiB), N = 1 and 2 run
**    alternately BENCH_RUNS times; prints the median speed of each and the
**    ratio of the medians (target: zstd level 3 >= 1.8x, lz4 and huffman
**    >= 1.6x on two cores), and the same for decompress() with
**    squeeze_config('threads', N).
** 2. The peak of SQLite's memory statistics (sqlite3_memory_highwater) while
**    compressing a 256 MiB value with 1 and 2 threads, against the target
**    input + result + 16 MiB. The input is bound SQLITE_STATIC, so SQLite
**    does not count it: the peak over the baseline is the result and
**    compress()'s own memory.
*/
#include <sqlite3.h>

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

/* The peak of SQLite's memory while compressing data with threads. */
static void memory(sqlite3 *db, const uint8_t *data, size_t n, int threads) {
  sqlite3_stmt *stmt;
  if (sqlite3_prepare_v2(db, "SELECT compress(?1, 'zstd', 3)", -1, &stmt, NULL) != SQLITE_OK)
    die(db, "prepare");
  set_threads(db, threads);
  sqlite3_int64 out, base = sqlite3_memory_used();
  sqlite3_memory_highwater(1);
  run_once(db, stmt, data, n, &out);
  sqlite3_int64 peak = sqlite3_memory_highwater(0) - base;
  printf("memory   %d thread%s: %lld MiB value, peak %.1f MiB over the baseline = result "
         "%.1f MiB + %.1f MiB (target: + 16 MiB)\n",
         threads, threads > 1 ? "s" : " ", (long long)(n >> 20), (double)peak / (1 << 20),
         (double)out / (1 << 20), (double)(peak - out) / (1 << 20));
  sqlite3_finalize(stmt);
}

int main(int argc, char **argv) {
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
  data = corpus((size_t)256 << 20);
  memory(db, data, (size_t)256 << 20, 1);
  memory(db, data, (size_t)256 << 20, 2);
  free(data);
  sqlite3_close(db);
  return 0;
}

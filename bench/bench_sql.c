/*
** bench_sql.c: the cost of squeeze's SQL path against a plain C loop over
** the same library, in one process run.
**
** 4,096 real values of 4 KiB (moby-dick.txt cut at shifting offsets) sit in
** an in-memory table. For zstd level 3 and lz4 it times, as medians of
** BENCH_RUNS runs:
**   scan    SELECT v FROM t              (reading the values, no squeeze)
**   sql     SELECT compress(v, codec) FROM t
**   direct  a C loop calling libzstd / liblz4 with one reused context
** and prints (sql - scan) / direct, the overhead of going through SQL; the
** target is <= 1.10. Likewise for decompress() over the compressed column.
*/
#include <lz4.h>
#include <sqlite3.h>
#include <zstd.h>

#include "bench_scan.h"
#include "bench_util.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define VALUES 4096
#define VALUE_SIZE 4096

static sqlite3 *db;
static uint8_t *values[VALUES];

static double median_scan(const char *sql) {
  return bench_scan_median(db, sql, bench_now);
}

/* The direct-library loops. */
typedef enum { ZSTD_C, ZSTD_D, LZ4_C, LZ4_D } direct_op;
static ZSTD_CCtx *cctx;
static ZSTD_DCtx *dctx;
static void *lz4_state;
static uint8_t *zstd_frames[VALUES], *lz4_blocks[VALUES];
static size_t zstd_sizes[VALUES], lz4_sizes[VALUES];

static double time_direct(direct_op op) {
  static uint8_t out[VALUE_SIZE * 2];
  size_t total = 0;
  double t0 = bench_now();
  for (int i = 0; i < VALUES; i++) {
    switch (op) {
    case ZSTD_C:
      total += ZSTD_compressCCtx(cctx, out, sizeof out, values[i], VALUE_SIZE, 3);
      break;
    case ZSTD_D:
      total += ZSTD_decompressDCtx(dctx, out, sizeof out, zstd_frames[i], zstd_sizes[i]);
      break;
    case LZ4_C:
      total += (size_t)LZ4_compress_fast_extState(lz4_state, (const char *)values[i], (char *)out,
                                                  VALUE_SIZE, (int)sizeof out, 1);
      break;
    case LZ4_D:
      total += (size_t)LZ4_decompress_safe((const char *)lz4_blocks[i], (char *)out,
                                           (int)lz4_sizes[i], VALUE_SIZE);
      break;
    }
  }
  double t = bench_now() - t0;
  if (total == 0) exit(1);
  return t;
}

static double median_direct(direct_op op) {
  double t[BENCH_RUNS];
  for (int i = 0; i < BENCH_RUNS; i++)
    t[i] = time_direct(op);
  return bench_median(t, BENCH_RUNS);
}

static void report(const char *what, double scan, double sql, double direct) {
  double mb = (double)VALUES * VALUE_SIZE / 1e6;
  printf("%-22s scan %7.2f ms  sql %7.2f ms  direct %7.2f ms (%6.0f MB/s)  "
         "(sql-scan)/direct = %.2f\n",
         what, scan * 1e3, sql * 1e3, direct * 1e3, mb / direct, (sql - scan) / direct);
}

int main(void) {
  size_t n;
  uint8_t *text = bench_read_file("examples/data/moby-dick.txt", &n);
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  sqlite3_exec(db, "CREATE TABLE t(v BLOB, z BLOB, l BLOB)", 0, 0, 0);
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(?1)", -1, &ins, NULL);
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  for (int i = 0; i < VALUES; i++) {
    size_t off = ((size_t)i * 1237) % (n - VALUE_SIZE);
    values[i] = text + off;
    sqlite3_bind_blob(ins, 1, values[i], VALUE_SIZE, SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_exec(db, "UPDATE t SET z = compress(v, 'zstd', 3), l = compress(v, 'lz4')", 0, 0, 0);
  sqlite3_exec(db, "COMMIT", 0, 0, 0);

  cctx = ZSTD_createCCtx();
  dctx = ZSTD_createDCtx();
  lz4_state = malloc((size_t)LZ4_sizeofState());
  for (int i = 0; i < VALUES; i++) {
    zstd_frames[i] = malloc(ZSTD_compressBound(VALUE_SIZE));
    zstd_sizes[i] = ZSTD_compressCCtx(cctx, zstd_frames[i], ZSTD_compressBound(VALUE_SIZE),
                                      values[i], VALUE_SIZE, 3);
    lz4_blocks[i] = malloc((size_t)LZ4_compressBound(VALUE_SIZE));
    lz4_sizes[i] = (size_t)LZ4_compress_default((const char *)values[i], (char *)lz4_blocks[i],
                                                VALUE_SIZE, LZ4_compressBound(VALUE_SIZE));
  }

  printf("squeeze SQL path vs direct library loop: %d values of %d bytes from moby-dick.txt,\n"
         "median of %d runs (target: (sql-scan)/direct <= 1.10 for zstd level 3)\n",
         VALUES, VALUE_SIZE, BENCH_RUNS);
  double scan_v = median_scan("SELECT v FROM t");
  report("compress zstd-3", scan_v, median_scan("SELECT compress(v, 'zstd', 3) FROM t"),
         median_direct(ZSTD_C));
  report("decompress zstd-3", median_scan("SELECT z FROM t"),
         median_scan("SELECT decompress(z) FROM t"), median_direct(ZSTD_D));
  report("compress lz4", scan_v, median_scan("SELECT compress(v, 'lz4') FROM t"),
         median_direct(LZ4_C));
  report("decompress lz4", median_scan("SELECT l FROM t"),
         median_scan("SELECT decompress(l) FROM t"), median_direct(LZ4_D));
  sqlite3_close(db);
  return 0;
}

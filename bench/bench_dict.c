/*
** bench_dict.c: compress() with a trained dictionary against a direct
** libzstd loop with the same dictionary, in one process run.
**
** Data: examples/data/birdstrikes.csv, 10,000 rows, as
**   json      each row as a JSON array of its 14 fields (as sql/demo.sql
**             builds them: about 150 bytes)
**   airport   the "Airport Name" column (about 20 bytes)
**   aircraft  the "Aircraft Make Model" column (about 8 bytes)
** For each, squeeze_train_dict trains a 16 KiB dictionary for zstd level 3
** on the column; the direct loop uses the same dictionary bytes:
**   direct    ZSTD_compress_usingCDict / ZSTD_decompress_usingDDict per
**             value, one CCtx/DCtx, the CDict and DDict made beforehand
**   sql       SELECT compress(v, 'zstd', 'dict=d') FROM t, and
**             SELECT decompress(z) FROM t over those frames
**   base      the same queries over 'store' frames: SQLite's own cost of a
**             row and of a call that does no compression
** and prints, as medians of BENCH_RUNS runs:
**   bytes     sum of the frames' lengths / the direct loop's (frame
**             overhead included on both sides; target <= 1.02)
**   speed     direct time / (sql - base): the SQL path's speed counting
**             only the time above SQLite's own per-row cost (target >= 0.7)
** It also checks that every compressed block equals the direct loop's.
** Times are the thread's CPU time (bench_cpu_now), so a run on a shared
** machine does not count the time other processes held the CPU.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include <sqlite3.h>
#include <zstd.h>

#include "bench_birds.h"
#include "bench_scan.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define MAX_ROWS 10000

static sqlite3 *db;

static void exec(const char *sql) {
  birds_exec(db, sql);
}

static double median_scan(const char *sql) {
  return bench_scan_median(db, sql, bench_cpu_now);
}

static sqlite3_int64 one_int(const char *sql) {
  return birds_int(db, sql);
}

/* The values of table t (column v), in rowid order. */
static int load_values(const char *table, const uint8_t **v, size_t *len, char **owned) {
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT v FROM %s ORDER BY rowid", table);
  sqlite3_stmt *stmt;
  sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  int n = 0;
  size_t total = 0;
  char *buf = malloc(4 << 20);
  while (sqlite3_step(stmt) == SQLITE_ROW && n < MAX_ROWS) {
    size_t k = (size_t)sqlite3_column_bytes(stmt, 0);
    memcpy(buf + total, sqlite3_column_text(stmt, 0), k);
    v[n] = (const uint8_t *)buf + total;
    len[n++] = k;
    total += k;
  }
  sqlite3_finalize(stmt);
  *owned = buf;
  return n;
}

static const uint8_t *values[MAX_ROWS];
static size_t lens[MAX_ROWS];
static uint8_t frames[MAX_ROWS][1024];
static size_t frame_sizes[MAX_ROWS];

/* One direct pass: compress (or decompress) every value. */
static double direct_pass(int n, ZSTD_CCtx *cctx, ZSTD_DCtx *dctx, const ZSTD_CDict *cdict,
                          const ZSTD_DDict *ddict, int decompress, size_t *bytes) {
  static uint8_t out[1 << 16];
  size_t total = 0;
  double t0 = bench_cpu_now();
  for (int i = 0; i < n; i++) {
    if (decompress) {
      total += ZSTD_decompress_usingDDict(dctx, out, sizeof out, frames[i], frame_sizes[i], ddict);
    } else {
      frame_sizes[i] =
          ZSTD_compress_usingCDict(cctx, frames[i], sizeof frames[i], values[i], lens[i], cdict);
      total += frame_sizes[i];
    }
  }
  double t = bench_cpu_now() - t0;
  *bytes = total;
  return t;
}

static void run(const char *label, const char *table) {
  char *owned;
  int n = load_values(table, values, lens, &owned);
  size_t raw = 0;
  for (int i = 0; i < n; i++)
    raw += lens[i];

  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT squeeze_train_dict('%s', 'SELECT v FROM %s', 'size=16K,level=3')", table, table);
  sqlite3_int64 id = one_int(sql);
  snprintf(sql, sizeof sql, "SELECT bytes FROM squeeze_dict WHERE id = %lld", (long long)id);
  sqlite3_stmt *stmt;
  sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  sqlite3_step(stmt);
  size_t dict_size = (size_t)sqlite3_column_bytes(stmt, 0);
  void *dict = malloc(dict_size);
  memcpy(dict, sqlite3_column_blob(stmt, 0), dict_size);
  sqlite3_finalize(stmt);

  ZSTD_CDict *cdict = ZSTD_createCDict(dict, dict_size, 3);
  ZSTD_DDict *ddict = ZSTD_createDDict(dict, dict_size);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  double tc[BENCH_RUNS], td[BENCH_RUNS];
  size_t direct_bytes = 0, back = 0;
  for (int r = 0; r < BENCH_RUNS; r++) {
    tc[r] = direct_pass(n, cctx, dctx, cdict, ddict, 0, &direct_bytes);
    td[r] = direct_pass(n, cctx, dctx, cdict, ddict, 1, &back);
  }
  if (back != raw) {
    fprintf(stderr, "%s: the direct loop does not round-trip\n", label);
    exit(1);
  }
  double direct_c = bench_median(tc, BENCH_RUNS), direct_d = bench_median(td, BENCH_RUNS);

  /* the SQL frames, and the same rows as store frames */
  snprintf(sql, sizeof sql,
           "UPDATE %s SET z = compress(v, 'zstd', 'dict=%s'), s = compress(v, 'store')", table,
           table);
  exec(sql);
  snprintf(sql, sizeof sql, "SELECT sum(length(z)) FROM %s", table);
  sqlite3_int64 sql_bytes = one_int(sql);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE decompress(z) IS NOT v", table);
  if (one_int(sql) != 0) {
    fprintf(stderr, "%s: round trip through SQL failed\n", label);
    exit(1);
  }
  /* every zstd payload is the direct loop's compressed block */
  snprintf(sql, sizeof sql, "SELECT z FROM %s ORDER BY rowid", table);
  sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  int same = 0, compressed = 0;
  for (int i = 0; sqlite3_step(stmt) == SQLITE_ROW && i < n; i++) {
    const uint8_t *z = sqlite3_column_blob(stmt, 0);
    size_t zn = (size_t)sqlite3_column_bytes(stmt, 0);
    if ((z[1] & 0x1F) != 1) continue; /* stored */
    compressed++;
    ZSTD_frameHeader fh;
    ZSTD_getFrameHeader(&fh, frames[i], frame_sizes[i]);
    size_t block = frame_sizes[i] - fh.headerSize - 3;
    same += block <= zn && memcmp(z + zn - block, frames[i] + fh.headerSize + 3, block) == 0;
  }
  sqlite3_finalize(stmt);

  char q_c[256], q_cs[256], q_d[256], q_ds[256];
  snprintf(q_c, sizeof q_c, "SELECT compress(v, 'zstd', 'dict=%s') FROM %s", table, table);
  snprintf(q_cs, sizeof q_cs, "SELECT compress(v, 'store') FROM %s", table);
  snprintf(q_d, sizeof q_d, "SELECT decompress(z) FROM %s", table);
  snprintf(q_ds, sizeof q_ds, "SELECT decompress(s) FROM %s", table);
  double sc = median_scan(q_c), bc = median_scan(q_cs);
  double sd = median_scan(q_d), bd = median_scan(q_ds);

  printf("%-9s %5d values, %8zu bytes raw (%5.1f per value), dictionary %zu bytes\n", label, n, raw,
         (double)raw / n, dict_size);
  printf("  size      sql %8lld  direct %8zu  sql/direct = %.3f (target <= 1.02)  "
         "x%.2f, x%.2f counting the dictionary; %d/%d zstd blocks equal the direct loop's\n",
         (long long)sql_bytes, direct_bytes, (double)sql_bytes / (double)direct_bytes,
         (double)raw / (double)sql_bytes,
         (double)raw / (double)(sql_bytes + (sqlite3_int64)dict_size), same, compressed);
  printf("  compress  sql %6.2f ms  base %6.2f ms  direct %6.2f ms (%4.0f MB/s, %.2f us/value)  "
         "direct/(sql-base) = %.2f (target >= 0.7)\n",
         sc * 1e3, bc * 1e3, direct_c * 1e3, raw / direct_c / 1e6, direct_c / n * 1e6,
         direct_c / (sc - bc));
  printf("  decompress sql %5.2f ms  base %6.2f ms  direct %6.2f ms (%4.0f MB/s, %.2f us/value)  "
         "direct/(sql-base) = %.2f (target >= 0.7)\n",
         sd * 1e3, bd * 1e3, direct_d * 1e3, raw / direct_d / 1e6, direct_d / n * 1e6,
         direct_d / (sd - bd));
  ZSTD_freeCDict(cdict);
  ZSTD_freeDDict(ddict);
  ZSTD_freeCCtx(cctx);
  ZSTD_freeDCtx(dctx);
  free(dict);
  free(owned);
}

int main(void) {
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  birds_load(db, "main");
  exec("CREATE TABLE json(v TEXT, z BLOB, s BLOB);"
       "INSERT INTO json(v) SELECT json_array(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11,"
       " f12, f13) FROM birds ORDER BY rowid;"
       "CREATE TABLE airport(v TEXT, z BLOB, s BLOB);"
       "INSERT INTO airport(v) SELECT f0 FROM birds ORDER BY rowid;"
       "CREATE TABLE aircraft(v TEXT, z BLOB, s BLOB);"
       "INSERT INTO aircraft(v) SELECT f1 FROM birds ORDER BY rowid;");
  printf("compress(v, 'zstd', 'dict=...') against ZSTD_compress_usingCDict on the same rows, "
         "16 KiB dictionary, level 3; medians of %d runs\n",
         BENCH_RUNS);
  run("json", "json");
  run("airport", "airport");
  run("aircraft", "aircraft");
  sqlite3_close(db);
  return 0;
}

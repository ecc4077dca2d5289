/*
** bench_scan.h: the time SQLite takes to step through every row of a query,
** shared by the benchmarks that time SQL functions (bench_sql, bench_dict).
*/
#ifndef SQZ_BENCH_SCAN_H
#define SQZ_BENCH_SCAN_H

#include <sqlite3.h>

#include "bench_util.h"

/* Seconds on clock (bench_now or bench_cpu_now) to step through every row of
** sql on db, touching the first byte of each row's first column so that no
** value goes unread. Exits with the error on a failed query or one that
** returned no bytes. */
static inline double bench_scan_time(sqlite3 *db, const char *sql, double (*clock)(void)) {
  sqlite3_stmt *stmt;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  double t0 = clock();
  size_t total = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const uint8_t *p = sqlite3_column_blob(stmt, 0);
    total += (size_t)sqlite3_column_bytes(stmt, 0) + (p ? p[0] : 0);
  }
  double t = clock() - t0;
  if (rc != SQLITE_DONE || total == 0) {
    fprintf(stderr, "%s: %s\n", sql, rc != SQLITE_DONE ? sqlite3_errmsg(db) : "no bytes");
    exit(1);
  }
  sqlite3_finalize(stmt);
  return t;
}

/* The median of BENCH_RUNS bench_scan_time()s. */
static inline double bench_scan_median(sqlite3 *db, const char *sql, double (*clock)(void)) {
  double t[BENCH_RUNS];
  for (int i = 0; i < BENCH_RUNS; i++)
    t[i] = bench_scan_time(db, sql, clock);
  return bench_median(t, BENCH_RUNS);
}

#endif /* SQZ_BENCH_SCAN_H */

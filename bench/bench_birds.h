/*
** bench_birds.h: the bundled bird strikes (examples/data/birdstrikes.csv,
** 10,000 rows of 14 fields, no quoted fields) as an SQLite table, for the
** benchmarks that work through SQL. Every helper exits the process with a
** message on failure: a benchmark has nothing to recover.
*/
#ifndef SQZ_BENCH_BIRDS_H
#define SQZ_BENCH_BIRDS_H

#include <sqlite3.h>

#include "bench_util.h"

#define BIRDS_CSV "examples/data/birdstrikes.csv"
#define BIRDS_FIELDS 14

/* Runs sql (one or more statements) on db; exits with the error otherwise. */
static inline void birds_exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, err);
    exit(1);
  }
}

/* The first column of sql's first row, as an integer; exits when there is
** no row or the statement fails. */
static inline sqlite3_int64 birds_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  sqlite3_int64 v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

/* Creates table <schema>.birds(f0..f13) in db and fills it with the CSV's
** rows in file order (rowid 1 is the first row after the header), every
** field as TEXT. Returns the number of rows. */
static inline int birds_load(sqlite3 *db, const char *schema) {
  size_t n;
  char *csv = (char *)bench_read_file(BIRDS_CSV, &n);
  csv[n] = 0;
  char *sql = sqlite3_mprintf("CREATE TABLE \"%w\".birds(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, "
                              "f10, f11, f12, f13)",
                              schema);
  birds_exec(db, sql);
  sqlite3_free(sql);
  sql = sqlite3_mprintf("INSERT INTO \"%w\".birds VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", schema);
  sqlite3_stmt *ins;
  if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  sqlite3_free(sql);
  char *line = strchr(csv, '\n') + 1; /* skip the header */
  int rows = 0;
  birds_exec(db, "BEGIN");
  while (*line) {
    char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    char *f = line;
    for (int i = 0; i < BIRDS_FIELDS; i++) {
      char *comma = memchr(f, ',', (size_t)(end - f));
      char *stop = comma && i < BIRDS_FIELDS - 1 ? comma : end;
      size_t len = (size_t)(stop - f);
      if (len && f[len - 1] == '\r') len--;
      sqlite3_bind_text(ins, i + 1, f, (int)len, SQLITE_TRANSIENT);
      f = stop + (stop < end);
    }
    if (sqlite3_step(ins) != SQLITE_DONE) {
      fprintf(stderr, "%s: %s\n", BIRDS_CSV, sqlite3_errmsg(db));
      exit(1);
    }
    sqlite3_reset(ins);
    rows++;
    line = *end ? end + 1 : end;
  }
  birds_exec(db, "COMMIT");
  sqlite3_finalize(ins);
  free(csv);
  return rows;
}

/* The 14 fields as a JSON array, as sql/demo.sql builds each row's text. */
#define BIRDS_JSON "json_array(f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13)"

#endif /* SQZ_BENCH_BIRDS_H */

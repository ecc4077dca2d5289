/*
** vt_rows.h: a read-only eponymous virtual table over rows that a callback
** produces, for squeeze_codecs, squeeze_pool_stats and squeeze_cache_stats.
** Each table gives its CREATE TABLE schema, a row count and a column
** callback; the module does the rest (full scans only, rowid = row index).
*/
#ifndef SQZ_EXT_VT_ROWS_H
#define SQZ_EXT_VT_ROWS_H

#include "squeeze.h"

typedef struct sqz_rows_def {
  const char *schema; /* "CREATE TABLE x(a, b, ...)" */
  /* Rows in the table now; called once per scan (xFilter). */
  sqlite3_int64 (*row_count)(sqz_conn *c);
  /* Sets the value of column col of row row on context. Called with the
  ** row count of the same scan, so 0 <= row < row_count. */
  void (*column)(sqz_conn *c, sqlite3_int64 row, int col, sqlite3_context *context);
} sqz_rows_def;

/* Registers module name on db, an eponymous-only table described by def
** (static storage). Returns an SQLite result code. */
int sqz_register_rows_table(sqlite3 *db, sqz_conn *c, const char *name, const sqz_rows_def *def);

#endif /* SQZ_EXT_VT_ROWS_H */

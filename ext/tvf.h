/*
** tvf.h: one helper for every read-only, eponymous table-valued function of
** squeeze: squeeze_codecs, squeeze_pool_stats, gorilla_decode, dod_decode,
** squeeze_stats and codec_bench.
**
**   SELECT * FROM squeeze_codecs;                   -- no arguments
**   SELECT seq, value FROM gorilla_decode(:blob);   -- one argument
**   SELECT * FROM codec_bench('mail', 'body');      -- several
**
** A function describes itself in a constant sqz_tvf_def: its schema (result
** columns first, then one HIDDEN column per argument), how many arguments it
** takes and how many it needs, and three callbacks: filter (start a scan from
** the arguments), column (a value of the current row) and, optionally, next
** (for rows produced one at a time, as codec_bench measures a codec per row)
** and reset (free what filter made). The helper does the rest of the
** sqlite3_module: xConnect, the plan (each argument is passed when the query
** constrains its hidden column with =; a call without a needed argument
** fails with the function's usage text), the cursor, the hidden columns'
** values, rowids (the row number from 1) and errors ("name: message").
*/
#ifndef SQZ_EXT_TVF_H
#define SQZ_EXT_TVF_H

#include "conn.h"

#define SQZ_TVF_MAX_ARGS 4 /* most arguments a function takes */

typedef struct sqz_tvf_cursor sqz_tvf_cursor;

/* What a table-valued function is. Static storage: the module keeps a
** pointer to it. */
typedef struct sqz_tvf_def {
  const char *name;   /* SQL name, also the prefix of its error messages */
  const char *schema; /* "CREATE TABLE x(<result columns>, <nargs HIDDEN columns>)" */
  int nargs;          /* arguments, 0..SQZ_TVF_MAX_ARGS: the last nargs columns */
  int required;       /* the first `required` arguments must be given */
  const char *usage;  /* "SELECT * FROM f('table')": the error when one is missing */
  int directonly;     /* SQLITE_VTAB_DIRECTONLY (not from views, triggers) instead
                         of SQLITE_VTAB_INNOCUOUS */
  size_t state_size;  /* bytes of each cursor's state (cur->state), zeroed at open */
  int ordered_column; /* the column whose ascending order the rows come in
                         (ORDER BY it is consumed), or -1 */
  double cost;        /* estimatedCost of a scan */

  /* Starts a scan: args[k] is argument k (NULL when it was not given, which
  ** only happens past `required`). Sets cur->count (rows; cur->row starts at
  ** 0) or leaves the stepping to next. Returns an SQLite code; errors are set
  ** with sqz_tvf_error(). */
  int (*filter)(sqz_tvf_cursor *cur, sqlite3_value **args);
  /* Optional: moves to the next row; NULL means cur->row++. */
  int (*next)(sqz_tvf_cursor *cur);
  /* Sets the value of result column col (0 .. first hidden - 1) of the
  ** current row. Returns an SQLite code. */
  int (*column)(sqz_tvf_cursor *cur, sqlite3_context *ctx, int col);
  /* Optional: frees what filter left in cur->state; called before every
  ** filter and when the cursor closes. */
  void (*reset)(sqz_tvf_cursor *cur);
  /* Optional: the table was connected, and is being disconnected. An
  ** eponymous table stays connected until its connection closes, and SQLite
  ** disconnects it before checking for unfinalized statements, so a
  ** surface that keeps prepared statements between calls finalizes them in
  ** disconnected (ext/dict_lookup.c does, through squeeze_cache_stats). */
  void (*connected)(sqz_conn *conn);
  void (*disconnected)(sqz_conn *conn);
} sqz_tvf_def;

/* The cursor the callbacks see. */
struct sqz_tvf_cursor {
  sqlite3_vtab_cursor base;              /* base class: must be first */
  const sqz_tvf_def *def;                /* the function */
  sqlite3 *db;                           /* the connection */
  sqz_conn *conn;                        /* its squeeze state */
  void *aux;                             /* the registration's data */
  sqlite3_int64 row;                     /* current row, from 0 */
  sqlite3_int64 count;                   /* rows: the scan ends when row >= count */
  sqlite3_value *args[SQZ_TVF_MAX_ARGS]; /* copies of the arguments (hidden columns) */
  void *state;                           /* def->state_size bytes, the function's own */
};

/* Sets cur's error message to "<def->name>: <printf message>" and returns rc
** (SQLITE_NOMEM when the message cannot be allocated; no message for
** SQLITE_NOMEM). */
int sqz_tvf_error(sqz_tvf_cursor *cur, int rc, const char *fmt, ...);

/* Registers def on db as an eponymous-only virtual table. aux is handed to
** the callbacks (cur->aux) and freed with aux_free (may be NULL) when the
** module goes, also when registration fails. Holds a reference to c.
** Returns an SQLite code. */
int sqz_register_tvf(sqlite3 *db, sqz_conn *c, const sqz_tvf_def *def, void *aux,
                     void (*aux_free)(void *));

#endif /* SQZ_EXT_TVF_H */

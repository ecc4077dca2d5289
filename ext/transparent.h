/*
** transparent.h: what transparent.c (squeeze_enable, squeeze_disable) and
** maintain.c (squeeze_maintain) share: the names of the objects an enabled
** table is made of, the configuration table, and the job helpers that carry a
** sticky error through a sequence of SQL statements.
**
** An enabled table t of schema s is (docs/transparent.md):
**
**   s."_squeeze_t"         the user's table, renamed; its rows, rowids, indexes
**                          and triggers. Per enabled column c it has one more
**                          column, "_squeeze_c" (the state of c, below).
**   s."t"                  a view of _squeeze_t with the same columns in the same
**                          order; c reads CASE WHEN "_squeeze_c" THEN
**                          decompress(c) ELSE c END.
**   "_squeeze_t_insert", "_squeeze_t_update", "_squeeze_t_delete"
**                          INSTEAD OF triggers on the view
**   "_squeeze_t_c_guard"   AFTER UPDATE OF c on _squeeze_t: a value written
**                          there directly is marked as written (state NULL)
**   "_squeeze_t_c_pending" a partial index of the rows whose c is pending
**   "_squeeze_t_c_groups"  with dict_by only: a view of the pending rows, their
**                          group (the dict_by expression) and value
**   s._squeeze_enabled     one row per enabled column: its codec and options
**
** The state column says what the stored value is, explicitly, so that a value
** is never taken for a frame because of its bytes:
**   NULL  stored as written, not yet looked at by squeeze_maintain (pending)
**   0     stored as written: not TEXT or BLOB, or compressing would not shrink it
**   1     a squeeze frame that decompress() turns back into the value
*/
#ifndef SQZ_EXT_TRANSPARENT_H
#define SQZ_EXT_TRANSPARENT_H

#include "conn.h"

/* The configuration table, in the schema of the enabled table. */
#define SQZ_TP_CONFIG "_squeeze_enabled"
/* Prefix of the backing table and of the state columns. */
#define SQZ_TP_PREFIX "_squeeze_"
/* Version of the layout above, stored in each configuration row. */
#define SQZ_TP_FORMAT 1
/* The longest dictionary name (squeeze_train_dict's limit). */
#define SQZ_TP_DICT_NAME_MAX 200
/* The default capacity of a dictionary squeeze_maintain trains. */
#define SQZ_TP_DICT_SIZE (16 << 10)

/* The configuration table (%w: schema, %s: SQZ_TP_CONFIG), one row per
** enabled column. */
#define SQZ_TP_CONFIG_SCHEMA                                                                       \
  "CREATE TABLE IF NOT EXISTS \"%w\".%s(\n"                                                        \
  "  tbl TEXT NOT NULL,          -- the table, now a view of _squeeze_<tbl>\n"                     \
  "  col TEXT NOT NULL,          -- the compressed column\n"                                       \
  "  codec TEXT NOT NULL,        -- compress()'s codec\n"                                          \
  "  level INTEGER NOT NULL,     -- and level\n"                                                   \
  "  checksum INTEGER NOT NULL,  -- 1: frames carry a checksum\n"                                  \
  "  dict TEXT,                  -- NULL: none; 'auto': trained by squeeze_maintain; a name\n"     \
  "  dict_by TEXT,               -- one dictionary per value of this expression (with auto)\n"     \
  "  dict_size INTEGER NOT NULL, -- the most bytes of a trained dictionary\n"                      \
  "  format INTEGER NOT NULL,    -- the layout's version (SQZ_TP_FORMAT)\n"                        \
  "  PRIMARY KEY (tbl, col)\n"                                                                     \
  ")"

/* A sequence of SQL steps on db with a sticky error, as fts5's builders do:
** once rc is set, later steps do nothing; err holds the first message. */
typedef struct sqz_tp_job {
  sqlite3 *db;
  const char *fn; /* the SQL function, named in messages */
  int rc;         /* the first failure's SQLite code, or SQLITE_OK */
  char *err;      /* its message (sqlite3_malloc'd), or NULL */
} sqz_tp_job;

/* Records a failure with code rc and a printf message, unless one is
** recorded already. Returns job->rc. */
int sqz_tp_fail(sqz_tp_job *job, int rc, const char *fmt, ...);

/* Runs the SQL that fmt (sqlite3_mprintf formats: %w, %Q) makes, every
** statement of it, unless job has failed. On failure records db's message.
** Returns job->rc. */
int sqz_tp_exec(sqz_tp_job *job, const char *fmt, ...);

/* Prepares the statement that fmt makes into *stmt (NULL on failure) unless
** job has failed. Returns job->rc. The caller finalizes *stmt. */
int sqz_tp_prepare(sqz_tp_job *job, sqlite3_stmt **stmt, const char *fmt, ...);

/* Steps stmt once: SQLITE_ROW or SQLITE_DONE; any other code is recorded in
** job (with db's message) and returned. */
int sqz_tp_step(sqz_tp_job *job, sqlite3_stmt *stmt);

/* Sets the result of context to job's error: "fn: message" with job->rc
** (SQLITE_NOMEM without a message). */
void sqz_tp_result_error(sqlite3_context *context, sqz_tp_job *job);

/* Whether schema (a database name of db, such as "main") has the
** configuration table: 1, 0, or -1 with job failed. */
int sqz_tp_has_config(sqz_tp_job *job, const char *schema);

#endif /* SQZ_EXT_TRANSPARENT_H */

/*
** squeeze.h: what the SQLite glue files in ext/ share. Not a public header:
** the public surface is SQL (README.md, docs/) and include/squeeze.h
** (sqlite3_squeeze_init() and the version).
*/
#ifndef SQZ_EXT_SQUEEZE_H
#define SQZ_EXT_SQUEEZE_H

#include <sqlite3ext.h>

#include "codec.h"
#include "pool.h"

/* The public header: SQUEEZE_VERSION and SQZ_API (the exported symbol mark). */
#include "../include/squeeze.h"

/* Per-connection state, shared by every function and module that squeeze
** registers on one connection (their pApp / pAux). Reference counted: each
** registration holds one reference, released by its xDestroy, so the state
** lives exactly as long as anything registered with it. */
typedef struct sqz_conn {
  sqlite3 *db;  /* the connection */
  sqz_ctx *ctx; /* pooled scratch and codec contexts, memory via sqlite3_malloc64 */
  int refs;     /* registrations still holding this state */
} sqz_conn;

/* Creates the state of db with one reference; NULL on OOM. */
sqz_conn *sqz_conn_create(sqlite3 *db);
/* Takes a reference and returns c. */
sqz_conn *sqz_conn_ref(sqz_conn *c);
/* Drops a reference (an xDestroy); frees the state with the last one. */
void sqz_conn_unref(void *c);

/* SQLITE_LIMIT_LENGTH of db: the largest string or BLOB, in bytes. */
sqlite3_int64 sqz_length_limit(sqlite3 *db);

/* Sets the result of context to the error for squeeze status r, naming fn:
** "fn: corrupt data (checksum mismatch)". MEMORY gives SQLITE_NOMEM,
** TOO_LARGE gives SQLITE_TOOBIG, everything else SQLITE_ERROR. */
void sqz_result_status(sqlite3_context *context, const char *fn, size_t r);

/* Sets an SQLITE_ERROR result "fn: <printf message>". */
void sqz_result_errorf(sqlite3_context *context, const char *fn, const char *fmt, ...);

/* Compresses n bytes of src with codec and params into a frame (flags as for
** sqz_frame_compress) and sets it as the BLOB result of context, drawing the
** scratch from c's pool; on failure sets an error naming fn. */
void sqz_result_frame(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                      size_t n, const sqz_codec *codec, const sqz_params *params, unsigned flags);

/* Registration of each ext/ file on db, with the connection state c; each
** returns an SQLite result code and takes its own references to c. */
int sqz_register_compress(sqlite3 *db, sqz_conn *c);
int sqz_register_codecs_table(sqlite3 *db, sqz_conn *c);
int sqz_register_pool_stats(sqlite3 *db, sqz_conn *c);
int sqz_register_series(sqlite3 *db, sqz_conn *c);
int sqz_register_codec_bench(sqlite3 *db, sqz_conn *c);
int sqz_register_squeeze_table(sqlite3 *db, sqz_conn *c); /* vt_squeeze.c */
int sqz_register_debug(sqlite3 *db, sqz_conn *c);         /* fn_debug.c */

#endif /* SQZ_EXT_SQUEEZE_H */

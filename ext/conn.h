/*
** conn.h: the per-connection state of squeeze and the helpers every SQL
** function uses to report results and errors. Not a public header: the
** public surface is SQL (README.md, docs/) and include/squeeze.h.
**
** Every file of the SQL layer includes this header (it includes
** sqlite3ext.h); codecs/ never does.
*/
#ifndef SQZ_EXT_CONN_H
#define SQZ_EXT_CONN_H

#include <sqlite3ext.h>

#include "codec.h"
#include "frame.h"
#include "pool.h"

/* The public header: SQUEEZE_VERSION and SQZ_API (the exported symbol's mark). */
#include "../include/squeeze.h"

/* Per-connection state, shared by every function and module that squeeze
** registers on one connection (their pApp / pAux). Reference counted: each
** registration holds one reference, released by its xDestroy, so the state
** lives exactly as long as anything registered with it. */
typedef struct sqz_conn {
  sqlite3 *db;             /* the connection */
  sqz_ctx *ctx;            /* pooled scratch and codec contexts, memory via sqlite3_malloc64 */
  int refs;                /* registrations still holding this state */
  struct sqt_vtab *tables; /* the squeeze tables connected on db (ext/table/), a list */
  size_t cache_bytes;      /* memory their decoded-slot caches hold together */
  struct sqz_dicts *dicts; /* the dictionary rows read (ext/dict_lookup.c), or NULL */
  unsigned threads;        /* squeeze_config('threads'): 1..SQZ_THREADS_MAX, default 1 */
  sqz_workers *workers;    /* the worker pool (ext/fn_config.c), created on first use */
} sqz_conn;

/* Creates the state of db with one reference. Returns NULL when out of
** memory. Release it with sqz_conn_unref(). */
sqz_conn *sqz_conn_create(sqlite3 *db);
/* Takes a reference and returns c. */
sqz_conn *sqz_conn_ref(sqz_conn *c);
/* Drops a reference (usable as an xDestroy); frees the state with the last. */
void sqz_conn_unref(void *c);

/* The allocator over SQLite's: sqlite3_malloc64 and sqlite3_free, so
** SQLite's limits, statistics and OOM handling apply to codec memory. A
** static object: never freed. */
const sqz_allocator *sqz_sqlite_allocator(void);

/* SQLITE_LIMIT_LENGTH of db: the largest string or BLOB, in bytes. */
sqlite3_int64 sqz_length_limit(sqlite3 *db);

/* The SQLite result code for squeeze status r: SQLITE_OK for a size,
** SQLITE_NOMEM for MEMORY, SQLITE_TOOBIG for TOO_LARGE, SQLITE_ERROR for
** everything else. */
int sqz_status_rc(size_t r);

/* Sets the result of context to the error for squeeze status r, naming fn:
** "fn: corrupt data (checksum mismatch)". MEMORY gives SQLITE_NOMEM,
** TOO_LARGE gives SQLITE_TOOBIG, everything else SQLITE_ERROR. */
void sqz_result_status(sqlite3_context *context, const char *fn, size_t r);

/* Texts of at most this many bytes are given to SQLite with a terminator. */
#define SQZ_TERMINATED_MAX 255

/* Sets the TEXT result of context to a copy of the n bytes (UTF-8) at z.
** SQLite (3.40) marks a text as terminated only when it is given with
** length -1; given with its length, a later sqlite3_column_text() (what
** Python's sqlite3 and most drivers call for TEXT) reallocates the result
** to add the terminator, and the next row's result grows the register
** again: two allocations per value. A text of at most SQZ_TERMINATED_MAX
** bytes without a NUL byte is therefore copied here with a terminator and
** given with length -1; others are given with their length. */
void sqz_result_text_copy(sqlite3_context *context, const char *z, size_t n);

/* Sets an SQLITE_ERROR result "fn: <printf message>" (SQLITE_NOMEM when the
** message cannot be allocated). */
void sqz_result_errorf(sqlite3_context *context, const char *fn, const char *fmt, ...);

/* Sets the error message of vtab (replacing and freeing any earlier one) to
** "prefix: <printf message>" and returns rc, or SQLITE_NOMEM when the
** message cannot be allocated. rc SQLITE_NOMEM sets no message. */
int sqz_vtab_errorf(sqlite3_vtab *vtab, int rc, const char *prefix, const char *fmt, ...);

/* Compresses n bytes of src with codec and params into a frame (flags as for
** sqz_frame_compress) and sets it as the BLOB result of context; on failure
** sets an error naming fn. A frame whose bound is at most 2 KiB is written
** straight into the sqlite3_malloc64'd buffer that SQLite then owns; a
** larger one into scratch from c's pool, then copied into a result of its
** exact size. */
void sqz_result_frame(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                      size_t n, const sqz_codec *codec, const sqz_params *params, unsigned flags);

/* The same with threads threads (1..SQZ_THREADS_MAX) and format 0 for a
** squeeze frame, or an sqz_std_format for the standard frames of the zstd
** or lz4 tool (then codec names the library, flags are ignored). The
** result is written in place as it grows: no full-size scratch copy.
** (ext/fn_config.c) */
void sqz_result_frame_opts(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                           size_t n, const sqz_codec *codec, const sqz_params *params,
                           unsigned flags, unsigned threads, int format);

/* c's worker pool, created on first use, for a run of threads threads;
** NULL for threads 1, in an SQLite built without mutexes
** (sqlite3_threadsafe() 0), or when it cannot be created: the run then uses
** the calling thread only. Joined by sqz_conn_unref. (ext/fn_config.c) */
sqz_workers *sqz_conn_workers(sqz_conn *c, unsigned threads);

/* sqz_frame_decompress_dict with the blocks of a blocked frame decoded on
** the connection's squeeze_config('threads') threads. (ext/fn_config.c) */
size_t sqz_conn_decompress(sqz_conn *c, const sqz_frame_info *info, void *dst, size_t dstSize,
                           const void *src, size_t srcSize, sqz_dictionary *dict);

/* What compress() takes for codec, for messages: "a BLOB of little-endian
** 8-byte values" (float64, int64), the string layout (text), "TEXT or a
** BLOB" (bytes). A static string. */
const char *sqz_codec_input(const sqz_codec *codec);

/* "INTEGER", "REAL", "TEXT", "BLOB" or "NULL" for an SQLITE_* type code. */
const char *sqz_type_name(int type);

#endif /* SQZ_EXT_CONN_H */

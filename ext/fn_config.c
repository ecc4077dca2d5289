/*
** fn_config.c: squeeze_config(), the connection's settings, and the large
** value paths that use them: compress() and decompress() of values cut into
** blocks, on the connection's worker pool (codecs/workers.h).
**
**   SELECT squeeze_config('threads');         -- 1: the default
**   SELECT squeeze_config('threads', 2);      -- 2 from now on, for this connection
**   SELECT compress(body, 'zstd', 'threads=2') FROM files;  -- one call
**   SELECT compress(body, 'zstd', 'format=zstd') FROM files;  -- what `zstd -d` reads
**
** A value is written into its result as it is compressed: the result grows
** by steps of a few MiB (sqlite3_realloc64, which moves large blocks by
** remapping them) and is trimmed at the end, so compressing an N-byte value
** holds the input, the result and 2 x threads block buffers, never a second
** full-size copy. The bytes are the same whatever the thread count, since
** every block is compressed on its own.
*/
#include "register.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "frame.h"
#include "std_frame.h"

/* The result grows by this much at least, and by 1/16 of itself at most. */
#define GROW_STEP ((size_t)4 << 20)

sqz_workers *sqz_conn_workers(sqz_conn *c, unsigned threads) {
  /* workers allocate through sqlite3_malloc: not in a build without mutexes */
  if (threads <= 1 || !sqlite3_threadsafe()) return NULL;
  if (!c->workers) c->workers = sqz_workers_create(sqz_sqlite_allocator());
  return c->workers;
}

/* What a large compress() keeps for its result buffer: the connection, and
** a prepared "SELECT 1" that sees an interrupt (sqlite3_interrupt) of the
** calling statement, since SQLite 3.40 has no sqlite3_is_interrupted. */
typedef struct result_state {
  sqlite3 *db;
  sqlite3_stmt *probe; /* NULL: no interrupt check */
  int interrupted;     /* the probe answered SQLITE_INTERRUPT */
} result_state;

/* sqz_frame_out.stop: an error once the statement is interrupted. */
static size_t stop_on_interrupt(sqz_frame_out *out) {
  result_state *rs = out->opaque;
  if (!rs->probe) return 0;
  int rc = sqlite3_step(rs->probe);
  sqlite3_reset(rs->probe);
  if (rc != SQLITE_INTERRUPT) return 0;
  rs->interrupted = 1;
  return SQZ_ERROR(GENERIC);
}

/* A result buffer that grows through sqlite3_realloc64 up to the length
** limit (sqz_frame_out.grow); opaque is a result_state. */
static size_t grow_result(sqz_frame_out *out, size_t want) {
  sqlite3_int64 limit = sqz_length_limit(((result_state *)out->opaque)->db);
  if (want > (uint64_t)limit) return SQZ_ERROR(TOO_LARGE);
  /* the first growth holds just what is asked (a header, a one-block value's
  ** frame): a small value does not pay for a GROW_STEP buffer */
  size_t step = !out->cap ? 0 : out->cap / 16 > GROW_STEP ? out->cap / 16 : GROW_STEP;
  size_t cap = out->cap + step < want ? want : out->cap + step;
  if (cap > (uint64_t)limit) cap = (size_t)limit;
  uint8_t *p = sqlite3_realloc64(out->p, cap);
  if (!p) return SQZ_ERROR(MEMORY);
  out->p = p;
  out->cap = cap;
  return 0;
}

/* A frame whose bound is at most this many bytes is written straight into
** the buffer SQLite takes as the result, which then holds at most that much
** unused (sqz_result_frame_opts). */
#define RESULT_DIRECT_MAX 2048

void sqz_result_frame_opts(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                           size_t n, const sqz_codec *codec, const sqz_params *params,
                           unsigned flags, unsigned threads, int format) {
  result_state rs = {c->db, NULL, 0};
  sqz_frame_out out = {NULL, 0, 0, grow_result, &rs, stop_on_interrupt};
  uint8_t *scratch = NULL, *direct = NULL;
  if (!format && n <= ((size_t)1 << SQZ_FRAME_BLOCK_LOG)) {
    /* One block: a bound of at most RESULT_DIRECT_MAX bytes straight into
    ** the result's buffer; a larger one into pooled scratch of the bound,
    ** then an exact copy. Either way a call allocates only its result. */
    out.cap = sqz_frame_bound(codec, n);
    if (out.cap == 0) {
      sqz_result_status(context, fn, SQZ_ERROR(TOO_LARGE));
      return;
    }
    if (out.cap <= RESULT_DIRECT_MAX)
      out.p = direct = sqlite3_malloc64(out.cap);
    else
      out.p = scratch = sqz_scratch_acquire(c->ctx, out.cap);
    out.grow = NULL;
    if (!out.p) {
      sqlite3_result_error_nomem(context);
      return;
    }
  }
  /* a value of several blocks checks for an interrupt before each block */
  int rc = out.p ? SQLITE_OK : sqlite3_prepare_v2(c->db, "SELECT 1", -1, &rs.probe, NULL);
  if (rc != SQLITE_OK) { /* SQLITE_INTERRUPT already, or SQLITE_NOMEM */
    sqlite3_finalize(rs.probe);
    sqz_result_errorf(context, fn, "%s", sqlite3_errstr(rc));
    sqlite3_result_error_code(context, rc);
    return;
  }
  sqz_workers *w = sqz_conn_workers(c, threads);
  size_t r =
      format ? sqz_std_frame_compress_out(c->ctx, w, threads, &out, src, n, (sqz_std_format)format,
                                          params, 0)
             : sqz_frame_compress_out(c->ctx, w, threads, &out, src, n, codec, params, flags, 0);
  uint8_t *result = NULL;
  if (!sqz_is_error(r) && (sqlite3_int64)out.size > sqz_length_limit(c->db)) {
    r = SQZ_ERROR(TOO_LARGE);
  } else if (!sqz_is_error(r) && scratch) {
    result = sqlite3_malloc64(out.size ? out.size : 1);
    if (!result)
      r = SQZ_ERROR(MEMORY);
    else
      memcpy(result, scratch, out.size);
  } else if (!sqz_is_error(r) && direct) {
    result = direct;
    out.p = NULL;
  } else if (!sqz_is_error(r)) {
    /* give back the slack of the last step */
    result = out.size < out.cap ? sqlite3_realloc64(out.p, out.size ? out.size : 1) : out.p;
    if (!result) result = out.p;
    out.p = NULL;
  }
  if (scratch)
    sqz_scratch_release(c->ctx, scratch);
  else
    sqlite3_free(out.p);
  sqlite3_finalize(rs.probe);
  if (!sqz_is_error(r)) {
    sqlite3_result_blob64(context, result, out.size, sqlite3_free);
  } else if (rs.interrupted) {
    sqz_result_errorf(context, fn, "interrupted");
    sqlite3_result_error_code(context, SQLITE_INTERRUPT);
  } else if (sqz_error_of(r) == SQZ_ERROR_SRC_SIZE) {
    sqz_result_errorf(context, fn, "codec '%s' takes %s; %lld bytes is not a multiple of 8",
                      codec->name, sqz_codec_input(codec), (long long)n);
  } else if (sqz_error_of(r) == SQZ_ERROR_CORRUPT && codec->kind == SQZ_KIND_TEXT) {
    sqz_result_errorf(context, fn, "codec '%s' takes %s; this BLOB is not one", codec->name,
                      sqz_codec_input(codec));
  } else {
    sqz_result_status(context, fn, r);
  }
}

size_t sqz_conn_decompress(sqz_conn *c, const sqz_frame_info *info, void *dst, size_t dstSize,
                           const void *src, size_t srcSize, sqz_dictionary *dict) {
  unsigned threads = info->blocked ? c->threads : 1;
  return sqz_frame_decompress_threads(c->ctx, sqz_conn_workers(c, threads), threads, info, dst,
                                      dstSize, src, srcSize, dict);
}

/* squeeze_config(name) -> the setting's value; squeeze_config(name, value)
** sets it for this connection and returns the new value. Settings:
** 'threads', 1..SQZ_THREADS_MAX, the threads compress() and decompress()
** use for a value of several blocks when compress() is given no threads=. */
static void config_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_conn *c = sqlite3_user_data(context);
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  if (!name || sqlite3_stricmp(name, "threads") != 0) {
    sqz_result_errorf(context, "squeeze_config", "unknown setting '%s' (known: threads)",
                      name ? name : "");
    return;
  }
  if (argc > 1) {
    sqlite3_value *v = argv[1];
    int type = sqlite3_value_numeric_type(v);
    sqlite3_int64 n = sqlite3_value_int64(v);
    if (type != SQLITE_INTEGER || n < 1 || n > SQZ_THREADS_MAX) {
      sqz_result_errorf(context, "squeeze_config",
                        "threads must be an integer from 1 to %d, not '%s'", SQZ_THREADS_MAX,
                        sqlite3_value_text(v) ? (const char *)sqlite3_value_text(v) : "NULL");
      return;
    }
    c->threads = (unsigned)n;
  }
  sqlite3_result_int(context, (int)c->threads);
}

int sqz_register_config(sqlite3 *db, sqz_conn *c) {
  int rc = SQLITE_OK;
  for (int nArg = 1; nArg <= 2 && rc == SQLITE_OK; nArg++)
    rc = sqlite3_create_function_v2(db, "squeeze_config", nArg, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    sqz_conn_ref(c), config_func, NULL, NULL, sqz_conn_unref);
  return rc;
}

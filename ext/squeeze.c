/*
** squeeze.c: the entry point of the squeeze SQLite extension.
**
** squeeze brings compression into SQL. In the sqlite3 shell:
**
**   .load ./build/squeeze
**   SELECT length(compress(readfile('examples/data/moby-dick.txt'), 'zstd', 19));
**   UPDATE docs SET body = compress(body);          -- default codec zstd, level 3
**   SELECT decompress(body) FROM docs WHERE id = 1; -- the original TEXT or BLOB
**   SELECT * FROM squeeze_codecs;                   -- every codec and its levels
**
** `make` builds build/squeeze.so (this entry point: sqlite3_squeeze_init) and
** build/libsqueeze.a, whose objects are compiled with SQLITE_CORE so a program
** linked with it can call sqlite3_auto_extension(sqlite3_squeeze_init).
*/
#include "squeeze.h"
SQLITE_EXTENSION_INIT1

#include <stdarg.h>
#include <string.h>

#include "frame.h"

static void *conn_alloc(void *opaque, size_t bytes) {
  (void)opaque;
  return sqlite3_malloc64(bytes);
}
static void conn_free(void *opaque, void *ptr) {
  (void)opaque;
  sqlite3_free(ptr);
}

sqz_conn *sqz_conn_create(sqlite3 *db) {
  sqz_conn *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return NULL;
  sqz_allocator a = {conn_alloc, conn_free, NULL};
  c->db = db;
  c->refs = 1;
  c->ctx = sqz_ctx_create(&a);
  if (!c->ctx) {
    sqlite3_free(c);
    return NULL;
  }
  return c;
}

sqz_conn *sqz_conn_ref(sqz_conn *c) {
  c->refs++;
  return c;
}

void sqz_conn_unref(void *p) {
  sqz_conn *c = p;
  if (--c->refs > 0) return;
  sqz_ctx_free(c->ctx);
  sqlite3_free(c);
}

sqlite3_int64 sqz_length_limit(sqlite3 *db) {
  return sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);
}

void sqz_result_status(sqlite3_context *context, const char *fn, size_t r) {
  switch (sqz_error_of(r)) {
  case SQZ_ERROR_MEMORY:
    sqlite3_result_error_nomem(context);
    return;
  case SQZ_ERROR_TOO_LARGE:
    sqz_result_errorf(context, fn, "result larger than the length limit (%lld bytes)",
                      (long long)sqz_length_limit(sqlite3_context_db_handle(context)));
    sqlite3_result_error_code(context, SQLITE_TOOBIG);
    return;
  default:
    sqz_result_errorf(context, fn, "%s", sqz_error_string(r));
    return;
  }
}

void sqz_result_errorf(sqlite3_context *context, const char *fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  char *full = msg ? sqlite3_mprintf("%s: %s", fn, msg) : NULL;
  if (full) {
    sqlite3_result_error(context, full, -1);
  } else {
    sqlite3_result_error_nomem(context);
  }
  sqlite3_free(msg);
  sqlite3_free(full);
}

void sqz_result_frame(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                      size_t n, const sqz_codec *codec, const sqz_params *params, unsigned flags) {
  size_t bound = sqz_frame_bound(codec, n);
  if (bound == 0) {
    sqz_result_status(context, fn, SQZ_ERROR(TOO_LARGE));
    return;
  }
  uint8_t *scratch = sqz_scratch_acquire(c->ctx, bound);
  if (!scratch) {
    sqlite3_result_error_nomem(context);
    return;
  }
  size_t r = sqz_frame_compress(c->ctx, scratch, bound, src, n, codec, params, flags, 0);
  if (sqz_is_error(r)) {
    if (sqz_error_of(r) == SQZ_ERROR_SRC_SIZE) {
      sqz_result_errorf(context, fn,
                        "codec '%s' takes a BLOB of little-endian 8-byte values; "
                        "%lld bytes is not a multiple of 8",
                        codec->name, (long long)n);
    } else {
      sqz_result_status(context, fn, r);
    }
  } else if ((sqlite3_int64)r > sqz_length_limit(c->db)) {
    sqz_result_status(context, fn, SQZ_ERROR(TOO_LARGE));
  } else {
    void *out = sqlite3_malloc64(r ? r : 1);
    if (!out) {
      sqlite3_result_error_nomem(context);
    } else {
      memcpy(out, scratch, r);
      sqlite3_result_blob64(context, out, r, sqlite3_free);
    }
  }
  sqz_scratch_release(c->ctx, scratch);
}

SQZ_API int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  int rc = SQLITE_OK;
  SQLITE_EXTENSION_INIT2(pApi);
  (void)pzErrMsg;
  sqz_conn *c = sqz_conn_create(db);
  if (!c) return SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = sqz_register_compress(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_codecs_table(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_pool_stats(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_series(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_codec_bench(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_squeeze_table(db, c);
  if (rc == SQLITE_OK) rc = sqz_register_debug(db, c);
  sqz_conn_unref(c); /* the registrations hold their own references */
  return rc;
}

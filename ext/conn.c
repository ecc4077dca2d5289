/*
** conn.c: the per-connection state (sqz_conn) and the result and error
** helpers of conn.h.
*/
#include "conn.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <string.h>

#include "dict_lookup.h"
#include "frame.h"

static void *sqlite_alloc(void *opaque, size_t bytes) {
  (void)opaque;
  return sqlite3_malloc64(bytes);
}

static void sqlite_free(void *opaque, void *ptr) {
  (void)opaque;
  sqlite3_free(ptr);
}

const sqz_allocator *sqz_sqlite_allocator(void) {
  static const sqz_allocator a = {sqlite_alloc, sqlite_free, NULL};
  return &a;
}

sqz_conn *sqz_conn_create(sqlite3 *db) {
  sqz_conn *c = sqlite3_malloc64(sizeof(*c));
  if (!c) return NULL;
  memset(c, 0, sizeof(*c));
  c->db = db;
  c->refs = 1;
  c->ctx = sqz_ctx_create(sqz_sqlite_allocator());
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
  sqz_dicts_free(c);
  sqz_ctx_free(c->ctx);
  sqlite3_free(c);
}

sqlite3_int64 sqz_length_limit(sqlite3 *db) {
  return sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);
}

int sqz_status_rc(size_t r) {
  switch (sqz_error_of(r)) {
  case SQZ_OK:
    return SQLITE_OK;
  case SQZ_ERROR_MEMORY:
    return SQLITE_NOMEM;
  case SQZ_ERROR_TOO_LARGE:
    return SQLITE_TOOBIG;
  default:
    return SQLITE_ERROR;
  }
}

void sqz_result_status(sqlite3_context *context, const char *fn, size_t r) {
  switch (sqz_status_rc(r)) {
  case SQLITE_NOMEM:
    sqlite3_result_error_nomem(context);
    return;
  case SQLITE_TOOBIG:
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

int sqz_vtab_errorf(sqlite3_vtab *vtab, int rc, const char *prefix, const char *fmt, ...) {
  if (rc == SQLITE_NOMEM) return rc;
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = msg ? sqlite3_mprintf("%s: %s", prefix, msg) : NULL;
  sqlite3_free(msg);
  return vtab->zErrMsg ? rc : SQLITE_NOMEM;
}

/* A frame whose bound is at most this many bytes is written straight into
** the buffer SQLite takes as the result, which then holds at most that much
** unused; a larger one is written into pooled scratch and copied into a
** result of its exact size. Either way a call allocates only its result. */
#define RESULT_DIRECT_MAX 2048

void sqz_result_frame(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                      size_t n, const sqz_codec *codec, const sqz_params *params, unsigned flags) {
  size_t bound = sqz_frame_bound(codec, n);
  if (bound == 0) {
    sqz_result_status(context, fn, SQZ_ERROR(TOO_LARGE));
    return;
  }
  int direct = bound <= RESULT_DIRECT_MAX;
  uint8_t *buf = direct ? sqlite3_malloc64(bound) : sqz_scratch_acquire(c->ctx, bound);
  if (!buf) {
    sqlite3_result_error_nomem(context);
    return;
  }
  size_t r = sqz_frame_compress(c->ctx, buf, bound, src, n, codec, params, flags, 0);
  uint8_t *out = direct ? buf : NULL;
  if (sqz_is_error(r)) {
    if (sqz_error_of(r) == SQZ_ERROR_SRC_SIZE) {
      sqz_result_errorf(context, fn, "codec '%s' takes %s; %lld bytes is not a multiple of 8",
                        codec->name, sqz_codec_input(codec), (long long)n);
    } else if (sqz_error_of(r) == SQZ_ERROR_CORRUPT && codec->kind == SQZ_KIND_TEXT) {
      sqz_result_errorf(context, fn, "codec '%s' takes %s; this BLOB is not one", codec->name,
                        sqz_codec_input(codec));
    } else {
      sqz_result_status(context, fn, r);
    }
  } else if ((sqlite3_int64)r > sqz_length_limit(c->db)) {
    sqz_result_status(context, fn, SQZ_ERROR(TOO_LARGE));
  } else {
    if (!direct) {
      out = sqlite3_malloc64(r ? r : 1);
      if (out) memcpy(out, buf, r);
    }
    if (out) {
      sqlite3_result_blob64(context, out, r, sqlite3_free);
      out = NULL; /* SQLite owns it now */
    } else {
      sqlite3_result_error_nomem(context);
    }
  }
  if (direct) {
    sqlite3_free(out); /* NULL unless an error left it ours */
  } else {
    sqz_scratch_release(c->ctx, buf);
  }
}

const char *sqz_codec_input(const sqz_codec *codec) {
  switch (codec->kind) {
  case SQZ_KIND_FLOAT64:
  case SQZ_KIND_INT64:
    return "a BLOB of little-endian 8-byte values";
  case SQZ_KIND_TEXT:
    return "a BLOB of strings, each a varint length and its bytes (docs/format/dict.md)";
  default:
    return "TEXT or a BLOB";
  }
}

const char *sqz_type_name(int type) {
  switch (type) {
  case SQLITE_INTEGER:
    return "INTEGER";
  case SQLITE_FLOAT:
    return "REAL";
  case SQLITE_TEXT:
    return "TEXT";
  case SQLITE_BLOB:
    return "BLOB";
  default:
    return "NULL";
  }
}

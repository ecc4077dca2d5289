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
  c->threads = 1;
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
  sqz_workers_free(c->workers);
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

void sqz_result_text_copy(sqlite3_context *context, const char *z, size_t n) {
  if (n <= SQZ_TERMINATED_MAX && (n == 0 || !memchr(z, 0, n))) {
    char t[SQZ_TERMINATED_MAX + 1];
    if (n) memcpy(t, z, n);
    t[n] = 0;
    sqlite3_result_text(context, t, -1, SQLITE_TRANSIENT);
    return;
  }
  sqlite3_result_text64(context, z, n, SQLITE_TRANSIENT, SQLITE_UTF8);
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

void sqz_result_frame(sqlite3_context *context, sqz_conn *c, const char *fn, const void *src,
                      size_t n, const sqz_codec *codec, const sqz_params *params, unsigned flags) {
  sqz_result_frame_opts(context, c, fn, src, n, codec, params, flags, c->threads, 0);
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

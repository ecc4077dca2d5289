/*
** fn_series.c: the time-series functions gorilla_encode / gorilla_decode and
** dod_encode / dod_decode.
**
**   -- a series of REALs, in time order, into one BLOB (Gorilla XOR encoding)
**   SELECT gorilla_encode(temp) FROM (SELECT temp FROM readings ORDER BY ts);
**   -- and back, one row per value
**   SELECT seq, value FROM gorilla_decode((SELECT b FROM archive WHERE id = 1));
**   -- INTEGER timestamps with delta-of-delta
**   SELECT dod_encode(ts) FROM (SELECT ts FROM readings ORDER BY ts);
**   SELECT seq, ts FROM dod_decode(:blob);
**
** The encoders are aggregates that take values in input order; SQL gives
** aggregates no order of their own, so order with a subquery as above. They
** return a squeeze frame (docs/format.md) of codec gorilla or dod, so
** compressed_codec() and decompress() (which gives the packed 8-byte values)
** work on them too. An aggregate over no rows returns NULL. NULL inputs are
** an error: these encodings have no NULL, and dropping a value silently would
** shift every later one; filter with WHERE x IS NOT NULL or use coalesce().
**
** The decoders are table-valued functions: seq counts from 1. They accept a
** frame of their own codec or of another codec of the same kind (alp for
** gorilla_decode, delta for dod_decode), as compress(X, 'alp') writes.
*/
#include "register.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "bitstream.h"
#include "frame.h"

/* What one encoder/decoder pair works on. */
typedef struct series_def {
  const char *encode_name; /* "gorilla_encode" */
  const sqz_codec *codec;  /* &sqz_codec_gorilla */
  const char *value_name;  /* "value": the argument and the decoder's column */
  sqz_kind kind;           /* SQZ_KIND_FLOAT64 or SQZ_KIND_INT64 */
} series_def;

static const series_def gorilla_def = {"gorilla_encode", &sqz_codec_gorilla, "value",
                                       SQZ_KIND_FLOAT64};
static const series_def dod_def = {"dod_encode", &sqz_codec_dod, "ts", SQZ_KIND_INT64};

/* What a registration holds: the connection and the pair. */
typedef struct series_reg {
  sqz_conn *conn;
  const series_def *def;
} series_reg;

static series_reg *series_reg_new(sqz_conn *c, const series_def *def) {
  series_reg *reg = sqlite3_malloc(sizeof(*reg));
  if (!reg) return NULL;
  reg->conn = sqz_conn_ref(c);
  reg->def = def;
  return reg;
}

static void series_reg_free(void *p) {
  series_reg *reg = p;
  sqz_conn_unref(reg->conn);
  sqlite3_free(reg);
}

/* ---- Encoders: aggregates ------------------------------------------------ */

/* Aggregate state: the values so far as little-endian 8-byte words. */
typedef struct series_acc {
  uint8_t *buf;      /* sqlite3_malloc64'd, cap bytes */
  sqlite3_int64 n;   /* bytes used (8 per value) */
  sqlite3_int64 cap; /* bytes allocated */
  int failed;        /* an error was reported: ignore later steps */
} series_acc;

/* The 64-bit word for arg as def's kind, or 0 with an error set. */
static int series_word(sqlite3_context *context, const series_def *def, sqlite3_value *arg,
                       sqlite3_int64 row, uint64_t *word) {
  int type = sqlite3_value_type(arg);
  if (type == SQLITE_NULL) {
    sqz_result_errorf(context, def->encode_name,
                      "NULL at row %lld: %s stores no NULLs (filter them with WHERE ... IS NOT "
                      "NULL, or use coalesce())",
                      row, def->codec->name);
    return 0;
  }
  if (def->kind == SQZ_KIND_FLOAT64) {
    double d;
    if (type == SQLITE_FLOAT) {
      d = sqlite3_value_double(arg);
    } else if (type == SQLITE_INTEGER) {
      sqlite3_int64 i = sqlite3_value_int64(arg);
      d = (double)i;
      /* an integer that a double cannot hold exactly would come back changed */
      if (d >= 9223372036854775808.0 || (sqlite3_int64)d != i) {
        sqz_result_errorf(context, def->encode_name,
                          "INTEGER %lld at row %lld has no exact REAL value", i, row);
        return 0;
      }
    } else {
      sqz_result_errorf(context, def->encode_name, "value at row %lld is %s, not REAL", row,
                        type == SQLITE_TEXT ? "TEXT" : "BLOB");
      return 0;
    }
    memcpy(word, &d, 8);
    return 1;
  }
  if (type != SQLITE_INTEGER) {
    sqz_result_errorf(context, def->encode_name,
                      "%s at row %lld is %s, not INTEGER (convert with unixepoch() or CAST)",
                      def->value_name, row,
                      type == SQLITE_FLOAT  ? "REAL"
                      : type == SQLITE_TEXT ? "TEXT"
                                            : "BLOB");
    return 0;
  }
  *word = (uint64_t)sqlite3_value_int64(arg);
  return 1;
}

static void series_step(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  const series_def *def = ((series_reg *)sqlite3_user_data(context))->def;
  series_acc *acc = sqlite3_aggregate_context(context, sizeof(*acc));
  if (!acc) {
    sqlite3_result_error_nomem(context);
    return;
  }
  if (acc->failed) return;
  uint64_t word;
  if (!series_word(context, def, argv[0], acc->n / 8 + 1, &word)) {
    acc->failed = 1;
    return;
  }
  if (acc->n + 8 > acc->cap) {
    sqlite3_int64 cap = acc->cap ? acc->cap * 2 : 1024;
    sqlite3 *db = sqlite3_context_db_handle(context);
    if (cap > sqz_length_limit(db)) cap = sqz_length_limit(db);
    if (acc->n + 8 > cap) {
      acc->failed = 1;
      sqz_result_status(context, def->encode_name, SQZ_ERROR(TOO_LARGE));
      return;
    }
    uint8_t *grown = sqlite3_realloc64(acc->buf, (sqlite3_uint64)cap);
    if (!grown) {
      acc->failed = 1;
      sqlite3_result_error_nomem(context);
      return;
    }
    acc->buf = grown;
    acc->cap = cap;
  }
  sqz_store64le(acc->buf + acc->n, word);
  acc->n += 8;
}

static void series_final(sqlite3_context *context) {
  series_reg *reg = sqlite3_user_data(context);
  series_acc *acc = sqlite3_aggregate_context(context, 0);
  if (!acc) return; /* no rows: NULL */
  if (!acc->failed && acc->n > 0) {
    const sqz_codec *codec = reg->def->codec;
    sqz_params params = {.level = codec->default_level};
    sqz_result_frame(context, reg->conn, reg->def->encode_name, acc->buf, (size_t)acc->n, codec,
                     &params, SQZ_FRAME_KEEP_CODEC);
  }
  sqlite3_free(acc->buf);
}

/* ---- Decoders: table-valued functions ------------------------------------ */

/* A decoder's scan: the decoded 8-byte words. */
typedef struct series_scan {
  uint8_t *values; /* decoded words, sqlite3_malloc64'd */
} series_scan;

/* Columns of the decoders: seq, the value, and the hidden argument. */
enum { COL_SEQ = 0, COL_VALUE = 1 };

/* Whether a frame of codec id may be read by def's decoder: only codecs of
** its kind, since a stored frame does not say what its bytes are. */
static int series_accepts(const series_def *def, unsigned codec_id) {
  const sqz_codec *codec = sqz_codec_by_id(codec_id);
  return codec && codec->kind == def->kind;
}

static void series_reset(sqz_tvf_cursor *cur) {
  series_scan *scan = cur->state;
  sqlite3_free(scan->values);
  scan->values = NULL;
}

/* Decodes the frame in args[0]: NULL gives no rows. */
static int series_filter(sqz_tvf_cursor *cur, sqlite3_value **args) {
  series_scan *scan = cur->state;
  const series_def *def = cur->aux;
  if (sqlite3_value_type(args[0]) == SQLITE_NULL) return SQLITE_OK;
  if (sqlite3_value_type(args[0]) != SQLITE_BLOB)
    return sqz_tvf_error(cur, SQLITE_ERROR, "argument must be a BLOB, not %s",
                         sqz_type_name(sqlite3_value_type(args[0])));
  const void *src = sqlite3_value_blob(args[0]);
  size_t n = (size_t)sqlite3_value_bytes(args[0]);
  if (!src && n) return SQLITE_NOMEM;
  sqz_frame_info info;
  size_t r = sqz_frame_parse(&info, src, n);
  if (sqz_is_error(r) || info.type != SQZ_FRAME_SQUEEZE)
    return sqz_tvf_error(cur, SQLITE_ERROR, "not a squeeze frame, or a damaged header");
  if (!series_accepts(def, info.codec_id))
    return sqz_tvf_error(cur, SQLITE_ERROR, "blob holds codec '%s', not %s",
                         sqz_codec_by_id(info.codec_id)->name, def->codec->name);
  if (info.content_size % 8 != 0)
    return sqz_tvf_error(cur, SQLITE_ERROR, "corrupt data (size not a multiple of 8)");
  if (info.content_size > (uint64_t)sqz_length_limit(cur->db))
    return sqz_tvf_error(cur, SQLITE_TOOBIG, "series larger than the length limit");
  scan->values = sqlite3_malloc64(info.content_size ? info.content_size : 1);
  if (!scan->values) return SQLITE_NOMEM;
  r = sqz_frame_decompress(cur->conn->ctx, &info, scan->values, (size_t)info.content_size, src, n);
  if (sqz_is_error(r)) return sqz_tvf_error(cur, sqz_status_rc(r), "%s", sqz_error_string(r));
  cur->count = (sqlite3_int64)(info.content_size / 8);
  return SQLITE_OK;
}

static int series_column(sqz_tvf_cursor *cur, sqlite3_context *context, int col) {
  series_scan *scan = cur->state;
  const series_def *def = cur->aux;
  if (col == COL_SEQ) {
    sqlite3_result_int64(context, cur->row + 1);
  } else if (col == COL_VALUE) {
    uint64_t w = sqz_load64le(scan->values + 8 * cur->row);
    if (def->kind == SQZ_KIND_FLOAT64) {
      double d;
      memcpy(&d, &w, 8);
      sqlite3_result_double(context, d);
    } else {
      sqlite3_result_int64(context, (sqlite3_int64)w);
    }
  }
  return SQLITE_OK;
}

/* The definition of a decoder: name, value column, its type. */
#define SERIES_DECODER(NAME, VALUE, TYPE)                                                          \
  {                                                                                                \
    .name = NAME, .schema = "CREATE TABLE x(seq INTEGER, " VALUE " " TYPE ", b HIDDEN)",           \
    .nargs = 1, .required = 1, .usage = "SELECT seq, " VALUE " FROM " NAME "(blob)",               \
    .state_size = sizeof(series_scan), .ordered_column = COL_SEQ, .cost = 1000,                    \
    .filter = series_filter, .column = series_column, .reset = series_reset,                       \
  }

static const sqz_tvf_def gorilla_decode_def = SERIES_DECODER("gorilla_decode", "value", "REAL");
static const sqz_tvf_def dod_decode_def = SERIES_DECODER("dod_decode", "ts", "INTEGER");

static int register_series(sqlite3 *db, sqz_conn *c, const series_def *def,
                           const sqz_tvf_def *decoder) {
  series_reg *fn_reg = series_reg_new(c, def);
  if (!fn_reg) return SQLITE_NOMEM;
  int rc = sqlite3_create_function_v2(db, def->encode_name, 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, fn_reg,
                                      NULL, series_step, series_final, series_reg_free);
  if (rc != SQLITE_OK) return rc;
  return sqz_register_tvf(db, c, decoder, (void *)def, NULL);
}

int sqz_register_series(sqlite3 *db, sqz_conn *c) {
  int rc = register_series(db, c, &gorilla_def, &gorilla_decode_def);
  if (rc == SQLITE_OK) rc = register_series(db, c, &dod_def, &dod_decode_def);
  return rc;
}

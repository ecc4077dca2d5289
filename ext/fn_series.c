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
#include "squeeze.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "bitstream.h"
#include "frame.h"

/* What one encoder/decoder pair works on. */
typedef struct series_def {
  const char *encode_name; /* "gorilla_encode" */
  const char *decode_name; /* "gorilla_decode" */
  const char *codec_name;  /* "gorilla" */
  const char *value_name;  /* "value": the argument and the decoder's column */
  sqz_kind kind;           /* SQZ_KIND_FLOAT64 or SQZ_KIND_INT64 */
} series_def;

static const series_def gorilla_def = {"gorilla_encode", "gorilla_decode", "gorilla", "value",
                                       SQZ_KIND_FLOAT64};
static const series_def dod_def = {"dod_encode", "dod_decode", "dod", "ts", SQZ_KIND_INT64};

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
                      row, def->codec_name);
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
    const sqz_codec *codec = sqz_codec_by_name(reg->def->codec_name);
    sqz_params params = {.level = codec->default_level};
    sqz_result_frame(context, reg->conn, reg->def->encode_name, acc->buf, (size_t)acc->n, codec,
                     &params, SQZ_FRAME_KEEP_CODEC);
  }
  sqlite3_free(acc->buf);
}

/* ---- Decoders: table-valued functions ------------------------------------ */

typedef struct series_vtab {
  sqlite3_vtab base;     /* base class: must be first */
  const series_def *def; /* which pair this table belongs to */
  sqz_conn *conn;        /* pool and connection */
} series_vtab;

typedef struct series_cursor {
  sqlite3_vtab_cursor base; /* base class: must be first */
  uint8_t *values;          /* decoded 8-byte words, sqlite3_malloc64'd */
  sqlite3_int64 count;      /* values decoded */
  sqlite3_int64 i;          /* current value, 0-based */
} series_cursor;

/* Columns of the decoders: seq, the value, and the hidden argument. */
enum { COL_SEQ = 0, COL_VALUE = 1, COL_BLOB = 2 };

static int series_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                          sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  sqz_conn *c = ((series_reg *)pAux)->conn;
  const series_def *def = ((series_reg *)pAux)->def;
  char *schema = sqlite3_mprintf("CREATE TABLE x(seq INTEGER, %s %s, b HIDDEN)", def->value_name,
                                 def->kind == SQZ_KIND_FLOAT64 ? "REAL" : "INTEGER");
  if (!schema) return SQLITE_NOMEM;
  int rc = sqlite3_declare_vtab(db, schema);
  sqlite3_free(schema);
  if (rc != SQLITE_OK) return rc;
  series_vtab *v = sqlite3_malloc(sizeof(*v));
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->def = def;
  v->conn = c;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int series_disconnect(sqlite3_vtab *vtab) {
  sqlite3_free(vtab);
  return SQLITE_OK;
}

/* idxNum 1: the hidden argument b is constrained by equality and passed as
** argv[0] of xFilter. Without it the plan is refused. */
static int series_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
  (void)vtab;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->iColumn != COL_BLOB) continue;
    if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
    info->estimatedCost = 1000;
    info->estimatedRows = 1000;
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_SEQ && !info->aOrderBy[0].desc)
      info->orderByConsumed = 1;
    return SQLITE_OK;
  }
  return SQLITE_CONSTRAINT;
}

static int series_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor) {
  (void)vtab;
  series_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  *ppCursor = &cur->base;
  return SQLITE_OK;
}

static int series_close(sqlite3_vtab_cursor *base) {
  series_cursor *cur = (series_cursor *)base;
  sqlite3_free(cur->values);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Sets the vtab error message "fn: message" and returns rc. */
static int series_error(sqlite3_vtab *vtab, int rc, const char *fn, const char *msg) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s: %s", fn, msg);
  return vtab->zErrMsg ? rc : SQLITE_NOMEM;
}

/* Whether a frame of codec id may be read by def's decoder: only codecs of
** its kind, since a stored frame does not say what its bytes are. */
static int series_accepts(const series_def *def, unsigned codec_id) {
  const sqz_codec *codec = sqz_codec_by_id(codec_id);
  return codec && codec->kind == def->kind;
}

static int series_filter(sqlite3_vtab_cursor *base, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv) {
  (void)idxStr;
  series_cursor *cur = (series_cursor *)base;
  series_vtab *v = (series_vtab *)base->pVtab;
  const char *fn = v->def->decode_name;
  sqlite3_free(cur->values);
  cur->values = NULL;
  cur->count = 0;
  cur->i = 0;
  if (idxNum != 1 || argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB)
    return series_error(base->pVtab, SQLITE_ERROR, fn, "argument must be a BLOB");
  const void *src = sqlite3_value_blob(argv[0]);
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  if (!src && n) return SQLITE_NOMEM;
  sqz_frame_info info;
  size_t r = sqz_frame_parse(&info, src, n);
  if (sqz_is_error(r) || info.type != SQZ_FRAME_SQUEEZE)
    return series_error(base->pVtab, SQLITE_ERROR, fn, "not a squeeze frame, or a damaged header");
  if (!series_accepts(v->def, info.codec_id)) {
    char *msg = sqlite3_mprintf("blob holds codec '%s', not %s",
                                sqz_codec_by_id(info.codec_id)->name, v->def->codec_name);
    int rc = msg ? series_error(base->pVtab, SQLITE_ERROR, fn, msg) : SQLITE_NOMEM;
    sqlite3_free(msg);
    return rc;
  }
  if (info.content_size % 8 != 0)
    return series_error(base->pVtab, SQLITE_ERROR, fn, "corrupt data (size not a multiple of 8)");
  if (info.content_size > (uint64_t)sqz_length_limit(v->conn->db))
    return series_error(base->pVtab, SQLITE_TOOBIG, fn, "series larger than the length limit");
  cur->values = sqlite3_malloc64(info.content_size ? info.content_size : 1);
  if (!cur->values) return SQLITE_NOMEM;
  r = sqz_frame_decompress(v->conn->ctx, &info, cur->values, (size_t)info.content_size, src, n);
  if (sqz_is_error(r)) {
    sqlite3_free(cur->values);
    cur->values = NULL;
    if (sqz_error_of(r) == SQZ_ERROR_MEMORY) return SQLITE_NOMEM;
    return series_error(base->pVtab, SQLITE_ERROR, fn, sqz_error_string(r));
  }
  cur->count = (sqlite3_int64)(info.content_size / 8);
  return SQLITE_OK;
}

static int series_next(sqlite3_vtab_cursor *base) {
  ((series_cursor *)base)->i++;
  return SQLITE_OK;
}

static int series_eof(sqlite3_vtab_cursor *base) {
  series_cursor *cur = (series_cursor *)base;
  return cur->i >= cur->count;
}

static int series_column(sqlite3_vtab_cursor *base, sqlite3_context *context, int col) {
  series_cursor *cur = (series_cursor *)base;
  const series_def *def = ((series_vtab *)base->pVtab)->def;
  if (col == COL_SEQ) {
    sqlite3_result_int64(context, cur->i + 1);
  } else if (col == COL_VALUE) {
    uint64_t w = sqz_load64le(cur->values + 8 * cur->i);
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

static int series_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *pRowid) {
  *pRowid = ((series_cursor *)base)->i + 1;
  return SQLITE_OK;
}

static const sqlite3_module series_module = {
    0,                 /* iVersion */
    NULL,              /* xCreate: NULL makes it eponymous-only */
    series_connect,    /* xConnect */
    series_best_index, /* xBestIndex */
    series_disconnect, /* xDisconnect */
    NULL,              /* xDestroy */
    series_open,       /* xOpen */
    series_close,      /* xClose */
    series_filter,     /* xFilter */
    series_next,       /* xNext */
    series_eof,        /* xEof */
    series_column,     /* xColumn */
    series_rowid,      /* xRowid */
    NULL,              /* xUpdate: read-only */
    NULL,              /* xBegin */
    NULL,              /* xSync */
    NULL,              /* xCommit */
    NULL,              /* xRollback */
    NULL,              /* xFindFunction */
    NULL,              /* xRename */
    NULL,              /* xSavepoint */
    NULL,              /* xRelease */
    NULL,              /* xRollbackTo */
    NULL,              /* xShadowName */
};

static int register_series(sqlite3 *db, sqz_conn *c, const series_def *def) {
  series_reg *fn_reg = series_reg_new(c, def);
  if (!fn_reg) return SQLITE_NOMEM;
  int rc = sqlite3_create_function_v2(db, def->encode_name, 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, fn_reg,
                                      NULL, series_step, series_final, series_reg_free);
  if (rc != SQLITE_OK) return rc;
  series_reg *module_reg = series_reg_new(c, def);
  if (!module_reg) return SQLITE_NOMEM;
  return sqlite3_create_module_v2(db, def->decode_name, &series_module, module_reg,
                                  series_reg_free);
}

int sqz_register_series(sqlite3 *db, sqz_conn *c) {
  int rc = register_series(db, c, &gorilla_def);
  if (rc == SQLITE_OK) rc = register_series(db, c, &dod_def);
  return rc;
}

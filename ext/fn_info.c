/*
** fn_info.c: what squeeze says about itself: squeeze_version(), the
** eponymous tables squeeze_codecs and squeeze_pool_stats.
**
**   SELECT squeeze_version();                        -- '0.1.0'
**   SELECT name, kind, min_level, default_level, max_level FROM squeeze_codecs;
**   SELECT * FROM squeeze_pool_stats;               -- this connection's scratch pool
*/
#include "register.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

static int codecs_filter(sqz_tvf_cursor *cur, sqlite3_value **args) {
  (void)args;
  cur->count = (sqlite3_int64)sqz_codec_count();
  return SQLITE_OK;
}

static int codecs_column(sqz_tvf_cursor *cur, sqlite3_context *ctx, int col) {
  const sqz_codec *codec = sqz_codec_at((size_t)cur->row);
  switch (col) {
  case 0:
    sqlite3_result_text(ctx, codec->name, -1, SQLITE_STATIC);
    break;
  case 1:
    sqlite3_result_text(ctx, sqz_kind_name(codec->kind), -1, SQLITE_STATIC);
    break;
  case 2:
    sqlite3_result_int(ctx, codec->min_level);
    break;
  case 3:
    sqlite3_result_int(ctx, codec->default_level);
    break;
  case 4:
    sqlite3_result_int(ctx, codec->max_level);
    break;
  case 5:
    sqlite3_result_text(ctx, codec->description, -1, SQLITE_STATIC);
    break;
  }
  return SQLITE_OK;
}

static const sqz_tvf_def codecs_def = {
    .name = "squeeze_codecs",
    .schema = "CREATE TABLE x(name TEXT, kind TEXT, min_level INTEGER, default_level INTEGER,"
              " max_level INTEGER, description TEXT)",
    .ordered_column = -1,
    .cost = 10,
    .filter = codecs_filter,
    .column = codecs_column,
};

static int pool_filter(sqz_tvf_cursor *cur, sqlite3_value **args) {
  (void)args;
  cur->count = 1;
  return SQLITE_OK;
}

static int pool_column(sqz_tvf_cursor *cur, sqlite3_context *ctx, int col) {
  sqz_pool_stats s;
  sqz_ctx_stats(cur->conn->ctx, &s);
  const uint64_t values[] = {s.blocks, s.in_use,     s.high_water, s.hits,
                             s.misses, s.bytes_held, s.bytes_high, s.state_bytes};
  if (col >= 0 && col < (int)(sizeof(values) / sizeof(values[0])))
    sqlite3_result_int64(ctx, (sqlite3_int64)values[col]);
  return SQLITE_OK;
}

static const sqz_tvf_def pool_def = {
    .name = "squeeze_pool_stats",
    .schema = "CREATE TABLE x(blocks INTEGER, in_use INTEGER, high_water INTEGER, hits INTEGER,"
              " misses INTEGER, bytes_held INTEGER, bytes_high INTEGER, context_bytes INTEGER)",
    .ordered_column = -1,
    .cost = 10,
    .filter = pool_filter,
    .column = pool_column,
    /* Counters of this connection, not a function of the database: DIRECTONLY, so no
    ** trigger copies them into a replicated write (docs/scale.md). */
    .directonly = 1,
};

static void version_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(context, SQUEEZE_VERSION, -1, SQLITE_STATIC);
}

int sqz_register_info(sqlite3 *db, sqz_conn *c) {
  int rc = sqz_register_tvf(db, c, &codecs_def, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqz_register_tvf(db, c, &pool_def, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_function_v2(db, "squeeze_version", 0,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                    version_func, NULL, NULL, NULL);
  return rc;
}

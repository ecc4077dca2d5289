/*
** vt_info.c: the eponymous tables squeeze_codecs and squeeze_pool_stats.
**
**   SELECT name, kind, min_level, default_level, max_level FROM squeeze_codecs;
**   SELECT * FROM squeeze_pool_stats;   -- this connection's scratch pool
*/
#include "vt_rows.h"
SQLITE_EXTENSION_INIT3

static sqlite3_int64 codecs_count(sqz_conn *c) {
  (void)c;
  return (sqlite3_int64)sqz_codec_count();
}

static void codecs_column(sqz_conn *c, sqlite3_int64 row, int col, sqlite3_context *context) {
  (void)c;
  const sqz_codec *codec = sqz_codec_at((size_t)row);
  switch (col) {
  case 0:
    sqlite3_result_text(context, codec->name, -1, SQLITE_STATIC);
    break;
  case 1:
    sqlite3_result_text(context, sqz_kind_name(codec->kind), -1, SQLITE_STATIC);
    break;
  case 2:
    sqlite3_result_int(context, codec->min_level);
    break;
  case 3:
    sqlite3_result_int(context, codec->default_level);
    break;
  case 4:
    sqlite3_result_int(context, codec->max_level);
    break;
  case 5:
    sqlite3_result_text(context, codec->description, -1, SQLITE_STATIC);
    break;
  }
}

static const sqz_rows_def codecs_def = {
    "CREATE TABLE x(name TEXT, kind TEXT, min_level INTEGER, default_level INTEGER,"
    " max_level INTEGER, description TEXT)",
    codecs_count,
    codecs_column,
};

static sqlite3_int64 pool_count(sqz_conn *c) {
  (void)c;
  return 1;
}

static void pool_column(sqz_conn *c, sqlite3_int64 row, int col, sqlite3_context *context) {
  (void)row;
  sqz_pool_stats s;
  sqz_ctx_stats(c->ctx, &s);
  const uint64_t values[] = {s.blocks, s.in_use,     s.high_water, s.hits,
                             s.misses, s.bytes_held, s.bytes_high, s.state_bytes};
  if (col >= 0 && col < (int)(sizeof(values) / sizeof(values[0])))
    sqlite3_result_int64(context, (sqlite3_int64)values[col]);
}

static const sqz_rows_def pool_def = {
    "CREATE TABLE x(blocks INTEGER, in_use INTEGER, high_water INTEGER, hits INTEGER,"
    " misses INTEGER, bytes_held INTEGER, bytes_high INTEGER, context_bytes INTEGER)",
    pool_count,
    pool_column,
};

int sqz_register_codecs_table(sqlite3 *db, sqz_conn *c) {
  return sqz_register_rows_table(db, c, "squeeze_codecs", &codecs_def);
}

int sqz_register_pool_stats(sqlite3 *db, sqz_conn *c) {
  return sqz_register_rows_table(db, c, "squeeze_pool_stats", &pool_def);
}

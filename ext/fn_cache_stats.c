/*
** fn_cache_stats.c: squeeze_cache_stats, one row per cache that squeeze
** shares between connections, and squeeze_cache_config, the settings of the
** chunk cache (docs/cache.md).
**
**   SELECT * FROM squeeze_cache_stats;
**   -- name          scope    entries in_use bytes  capacity hits misses evictions ...
**   -- dictionaries  process  1       0      484552 33554432 7    1      0
**   -- chunks        process  0       0      0      0        0    0      0
**   -- chunks        shared   412     0      901120 66781184 380  412    0
**   SELECT squeeze_cache_config('size', '256M');   -- 268435456
**   SELECT squeeze_cache_config('shared');         -- 1
**
** Columns: name (what the cache holds), scope ('process': shared by the
** connections of this process; 'shared': by every process of the user on
** the host), entries, in_use (entries referenced by a connection now), bytes
** (held by the entries), capacity (the bound on bytes), hits, misses,
** evictions, rejected (hits that failed verification), recoveries (locks
** taken over from a dead process), fallbacks (times the shared segment could
** not be used); the counters count since the process started. A cache adds
** its row by adding a line to caches[] below and its counters to
** stats_filter.
**
** The table also holds the connection's dictionary statements open
** (dict_lookup.h): its xDisconnect, which SQLite calls before it checks for
** unfinalized statements at close, finalizes them.
*/
#include "chunk_cache.h"
#include "dict_cache.h"
#include "dict_lookup.h"
#include "register.h"
#include "options.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

/* The caches, in the order of the rows. */
static const struct {
  const char *name;
  const char *scope;
} caches[] = {
    {"dictionaries", "process"},
    {"chunks", "process"},
    {"chunks", "shared"},
};
#define CACHE_COUNT ((sqlite3_int64)(sizeof(caches) / sizeof(caches[0])))

/* The counters of every row, read once at the start of a scan, so a row's
** columns agree with each other. */
typedef struct stats_scan {
  sqz_cache_counters c[sizeof(caches) / sizeof(caches[0])];
} stats_scan;

static int stats_filter(sqz_tvf_cursor *cur, sqlite3_value **args) {
  (void)args;
  stats_scan *scan = cur->state;
  sqz_dict_cache_counters(&scan->c[0]);
  sqz_chunk_cache_counters(&scan->c[1], &scan->c[2]); /* both regions in one read */
  cur->count = CACHE_COUNT;
  return SQLITE_OK;
}

static int stats_column(sqz_tvf_cursor *cur, sqlite3_context *ctx, int col) {
  const stats_scan *scan = cur->state;
  const sqz_cache_counters *c = &scan->c[cur->row];
  const uint64_t values[] = {c->entries, c->in_use,    c->bytes,    c->capacity,   c->hits,
                             c->misses,  c->evictions, c->rejected, c->recoveries, c->fallbacks};
  if (col == 0) {
    sqlite3_result_text(ctx, caches[cur->row].name, -1, SQLITE_STATIC);
  } else if (col == 1) {
    sqlite3_result_text(ctx, caches[cur->row].scope, -1, SQLITE_STATIC);
  } else if (col >= 2 && col - 2 < (int)(sizeof(values) / sizeof(values[0]))) {
    sqlite3_result_int64(ctx, (sqlite3_int64)values[col - 2]);
  }
  return SQLITE_OK;
}

static const sqz_tvf_def stats_def = {
    .name = "squeeze_cache_stats",
    .schema = "CREATE TABLE x(name TEXT, scope TEXT, entries INTEGER, in_use INTEGER,"
              " bytes INTEGER, capacity INTEGER, hits INTEGER, misses INTEGER,"
              " evictions INTEGER, rejected INTEGER, recoveries INTEGER, fallbacks INTEGER)",
    .state_size = sizeof(stats_scan),
    .ordered_column = -1,
    .cost = 10,
    .filter = stats_filter,
    .column = stats_column,
    .connected = sqz_dicts_hook_connected,
    .disconnected = sqz_dicts_hook_disconnected,
    /* Counters of this process and host, not a function of the database: DIRECTONLY, so
    ** no trigger copies them into a replicated write (docs/scale.md). */
    .directonly = 1,
};

/* squeeze_cache_config(option [, value]): the setting option ('size' in
** bytes, 'shared' 1 or 0) after setting it to value when given. size takes
** an integer or a text size with K/M/G ('64M'), 0 (off) or
** SQZ_CC_MIN_SIZE..SQZ_CC_MAX_SIZE; shared takes on/off, true/false, yes/no,
** 1/0. NULL option or value: NULL, nothing set. Errors name the function:
** an unknown option, a value that does not parse or is out of range. */
static void cache_config(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char fn[] = "squeeze_cache_config";
  const char *opt = (const char *)sqlite3_value_text(argv[0]);
  if (!opt || (argc > 1 && sqlite3_value_type(argv[1]) == SQLITE_NULL)) {
    if (!opt && sqlite3_value_type(argv[0]) != SQLITE_NULL) sqlite3_result_error_nomem(ctx);
    return;
  }
  int is_size = sqlite3_stricmp(opt, "size") == 0;
  if (!is_size && sqlite3_stricmp(opt, "shared") != 0) {
    sqz_result_errorf(ctx, fn, "unknown option '%s' (known: size, shared)", opt);
    return;
  }
  if (argc > 1) {
    int64_t size = -1;
    int shared = -1, bad;
    if (is_size && sqlite3_value_type(argv[1]) == SQLITE_INTEGER) {
      size = sqlite3_value_int64(argv[1]);
      bad = size < 0;
    } else {
      const char *v = (const char *)sqlite3_value_text(argv[1]);
      if (!v) {
        sqlite3_result_error_nomem(ctx);
        return;
      }
      bad = is_size ? sqz_parse_size(v, &size) != 0 : sqz_parse_bool(v, &shared) != 0;
    }
    if (bad || sqz_chunk_cache_configure(size, shared) != 0) {
      if (is_size)
        sqz_result_errorf(ctx, fn,
                          "size must be 0 (off) or %lld..%lld bytes, as an integer or with K, "
                          "M or G",
                          (long long)SQZ_CC_MIN_SIZE, (long long)SQZ_CC_MAX_SIZE);
      else
        sqz_result_errorf(ctx, fn, "shared must be on or off");
      return;
    }
  }
  size_t size;
  int shared;
  sqz_chunk_cache_settings(&size, &shared);
  sqlite3_result_int64(ctx, is_size ? (sqlite3_int64)size : shared);
}

int sqz_register_cache_stats(sqlite3 *db, sqz_conn *c) {
  int rc = sqz_register_tvf(db, c, &stats_def, NULL, NULL);
  for (int n = 1; n <= 2 && rc == SQLITE_OK; n++)
    rc = sqlite3_create_function_v2(db, "squeeze_cache_config", n, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    NULL, cache_config, NULL, NULL, NULL);
  return rc;
}

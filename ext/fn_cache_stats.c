/*
** fn_cache_stats.c: squeeze_cache_stats, one row per cache that squeeze
** shares between connections.
**
**   SELECT * FROM squeeze_cache_stats;
**   -- name          scope    entries in_use bytes  capacity hits misses evictions
**   -- dictionaries  process  1       0      484552 33554432 7    1      0
**
** Columns: name (what the cache holds), scope ('process': shared by the
** connections of this process; 'shared': by every process of the user on
** the host), entries, in_use (entries referenced by a connection now), bytes
** (held by the entries), capacity (the bound on bytes), hits, misses,
** evictions (counted since the process started). A cache adds its row by
** adding a line to caches[] below.
**
** The table also holds the connection's dictionary statements open
** (dict_lookup.h): its xDisconnect, which SQLite calls before it checks for
** unfinalized statements at close, finalizes them.
*/
#include "dict_cache.h"
#include "dict_lookup.h"
#include "register.h"
#include "tvf.h"
SQLITE_EXTENSION_INIT3

/* The caches, in the order of the rows. */
static const struct {
  const char *name;
  const char *scope;
  void (*counters)(sqz_cache_counters *out);
} caches[] = {
    {"dictionaries", "process", sqz_dict_cache_counters},
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
  for (sqlite3_int64 i = 0; i < CACHE_COUNT; i++)
    caches[i].counters(&scan->c[i]);
  cur->count = CACHE_COUNT;
  return SQLITE_OK;
}

static int stats_column(sqz_tvf_cursor *cur, sqlite3_context *ctx, int col) {
  const stats_scan *scan = cur->state;
  const sqz_cache_counters *c = &scan->c[cur->row];
  const uint64_t values[] = {c->entries, c->in_use, c->bytes,    c->capacity,
                             c->hits,    c->misses, c->evictions};
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
              " evictions INTEGER)",
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

int sqz_register_cache_stats(sqlite3 *db, sqz_conn *c) {
  return sqz_register_tvf(db, c, &stats_def, NULL, NULL);
}

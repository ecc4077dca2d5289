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
**
** This file is only the registration table: each SQL surface registers
** itself (register.h), and the first that fails is named in *pzErrMsg.
*/
#include "register.h"
SQLITE_EXTENSION_INIT1

/* Every SQL surface, in registration order. */
static const struct {
  const char *what; /* named in the error message when it fails */
  int (*reg)(sqlite3 *db, sqz_conn *c);
} registrations[] = {
    {"compress, decompress and the frame functions", sqz_register_compress},
    {"squeeze_codecs, squeeze_pool_stats and squeeze_version", sqz_register_info},
    {"the time-series functions", sqz_register_series},
    {"codec_bench", sqz_register_codec_bench},
    {"the squeeze virtual table", sqz_register_squeeze_table},
    {"squeeze_debug", sqz_register_debug},
    {"squeeze_train_dict", sqz_register_dict},
    {"squeeze_cache_stats", sqz_register_cache_stats},
    {"squeeze_enable, squeeze_disable and squeeze_maintain", sqz_register_transparent},
    {"squeeze_config", sqz_register_config},
};

SQZ_API int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  sqz_conn *c = sqz_conn_create(db);
  if (!c) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof registrations / sizeof registrations[0] && rc == SQLITE_OK; i++) {
    rc = registrations[i].reg(db, c);
    if (rc != SQLITE_OK && pzErrMsg)
      *pzErrMsg = sqlite3_mprintf("squeeze: registering %s failed: %s", registrations[i].what,
                                  sqlite3_errstr(rc));
  }
  sqz_conn_unref(c); /* the registrations hold their own references */
  return rc;
}

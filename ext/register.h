/*
** register.h: the registration function of each SQL surface. squeeze.c calls
** them in order from its registration table; each registers its functions
** and modules on db, takes its own references to c, and returns an SQLite
** result code.
*/
#ifndef SQZ_EXT_REGISTER_H
#define SQZ_EXT_REGISTER_H

#include "conn.h"

int sqz_register_compress(sqlite3 *db, sqz_conn *c);      /* fn_compress.c */
int sqz_register_info(sqlite3 *db, sqz_conn *c);          /* fn_info.c */
int sqz_register_series(sqlite3 *db, sqz_conn *c);        /* fn_series.c */
int sqz_register_codec_bench(sqlite3 *db, sqz_conn *c);   /* codec_bench.c */
int sqz_register_squeeze_table(sqlite3 *db, sqz_conn *c); /* table/sqt_module.c */
int sqz_register_debug(sqlite3 *db, sqz_conn *c);         /* fn_debug.c */
int sqz_register_dict(sqlite3 *db, sqz_conn *c);          /* fn_dict.c */
int sqz_register_cache_stats(sqlite3 *db, sqz_conn *c);   /* fn_cache_stats.c */
int sqz_register_transparent(sqlite3 *db, sqz_conn *c);   /* transparent.c */
int sqz_register_maintain(sqlite3 *db, sqz_conn *c);      /* maintain.c, from transparent.c */
int sqz_register_config(sqlite3 *db, sqz_conn *c);        /* fn_config.c */

#endif /* SQZ_EXT_REGISTER_H */

/*
** dict_lookup.h: a connection's view of the trained dictionaries stored in
** its databases (the squeeze_dict tables of main, temp and every attached
** schema; docs/dictionaries.md).
**
**   compress(x, 'zstd', 'dict=name')  ->  sqz_dicts_by_name()
**   decompress(frame of version 3)    ->  sqz_dicts_by_id()
**   squeeze_train_dict(...)           ->  sqz_dicts_changed()
**
** A connection remembers the rows it read: schema, id, name, hash, size and
** level, each with a reference to the digested dictionary in the process
** cache (dict_cache.h), so a value costs no query while nothing changed. A
** remembered row is trusted while its token holds: the same
** sqlite3_total_changes64() (any INSERT, UPDATE or DELETE this connection
** finished since), the same SQLITE_FCNTL_DATA_VERSION of its schema (any
** commit by another connection, and this one's commits and rollbacks in a
** rollback journal), and the same count of this connection's trainings.
** When the token no longer holds, one indexed query reads the row's hash
** and size again (length(), which does not read the bytes); only when they
** differ are the bytes read again, hashed, and checked against the row's
** hash before the process cache is asked for their digest.
**
** A name is resolved to a row (the newest id of that name, in the first
** schema that has one) again at the first use of each statement execution
** when the row was read inside a write transaction: a rollback in WAL mode
** leaves the data version as it was, and a dictionary that was rolled back
** must not be written into frames.
**
** decompress() makes the same check (and the frame's tag must be carried
** by the row's hash), so a dictionary deleted or altered by any connection
** is an error for every connection at its next read transaction. The data
** version is current only inside a read transaction on the row's schema;
** outside one (a statement that reads no table of that schema) the row is
** read again.
**
** The prepared statements live until the connection closes. SQLite refuses
** to close a connection (sqlite3_close) with statements still open, so they
** are finalized from the xDisconnect of the eponymous squeeze_cache_stats
** table, which SQLite calls before that check (sqlite3Close in main.c:
** "the v-table implementation may be storing some prepared statements
** internally"); the first lookup connects that table. When it cannot be
** connected, statements are finalized after each use instead.
*/
#ifndef SQZ_EXT_DICT_LOOKUP_H
#define SQZ_EXT_DICT_LOOKUP_H

#include "conn.h"
#include "dictionary.h"
#include "frame.h"

/* The table, its index, and the statement squeeze_train_dict creates them
** with in a schema (%w: the schema name). */
#define SQZ_DICT_TABLE "squeeze_dict"
#define SQZ_DICT_SCHEMA                                                                            \
  "CREATE TABLE IF NOT EXISTS \"%w\".squeeze_dict(\n"                                              \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                                      \
  "  name TEXT NOT NULL,\n"                                                                        \
  "  bytes BLOB NOT NULL,\n"                                                                       \
  "  hash TEXT NOT NULL,\n"                                                                        \
  "  samples INTEGER NOT NULL,\n"                                                                  \
  "  sample_bytes INTEGER NOT NULL,\n"                                                             \
  "  level INTEGER NOT NULL,\n"                                                                    \
  "  created_at TEXT NOT NULL);\n"                                                                 \
  "CREATE INDEX IF NOT EXISTS \"%w\".squeeze_dict_name ON squeeze_dict(name, id);"

/* A dictionary found for a call. The reference belongs to the connection's
** memory of the row; the caller uses dict during the call only, unless it
** takes a reference of its own (sqz_dicts_hold). */
typedef struct sqz_dict_use {
  sqz_dictionary *dict; /* the digested dictionary */
  sqlite3_int64 id;     /* its id in its database */
  int level;            /* the zstd level it was trained for (-7..22) */
  const char *schema;   /* the schema it was read from, valid during the call */
} sqz_dict_use;

/* A snapshot of what invalidates resolved names within a statement
** execution: this connection's trainings and finished changes. */
typedef struct sqz_dict_stamp {
  uint64_t trainings;
  sqlite3_int64 changes;
} sqz_dict_stamp;

/* Resolves name for compress(): the newest row of that name in the first
** schema (main, temp, then the attached ones in PRAGMA database_list
** order) whose squeeze_dict has one. Returns SQLITE_OK with *out, or an
** error code with *pzErr set to a message for the caller to prefix with its
** function name and sqlite3_free(): "no dictionary named 'x' ...",
** "dictionary 3 does not match its hash ...", out of memory (SQLITE_NOMEM,
** no message). */
int sqz_dicts_by_name(sqz_conn *c, const char *name, sqz_dict_use *out, char **pzErr);

/* Finds the dictionary of a version-3 frame for decompress(): the row with
** info->dict_id, in the first schema in the order above where the row's
** hash carries the frame's tag. Errors as above: "dictionary 3 not found",
** "dictionary 3 does not match its hash ...". */
int sqz_dicts_by_id(sqz_conn *c, const sqz_frame_info *info, sqz_dict_use *out, char **pzErr);

/* The stamp now; and whether a stamp taken earlier in a statement still
** holds (then a name resolved then still resolves the same). */
sqz_dict_stamp sqz_dicts_stamp(sqz_conn *c);
int sqz_dicts_stamp_holds(sqz_conn *c, sqz_dict_stamp s);

/* Whether the row behind use, just returned by sqz_dicts_by_id or
** sqz_dicts_by_name, holds for the rest of the calling statement's
** execution while sqz_dicts_stamp() holds, with no further check: the
** connection is in autocommit mode, the calling statement is the only one
** it is running, and a read transaction is open on the row's schema. Then
** that transaction lasts until the statement ends (SQLite keeps every read
** transaction while a statement that reads is running, and only a
** statement that reads keeps one open in autocommit mode), so no other
** connection's commit becomes visible before; this connection's own
** changes move the stamp. 0 when any condition fails (then the caller
** checks each call again, as sqz_dicts_by_id does). */
int sqz_dicts_stable(sqz_conn *c, const sqz_dict_use *use);

/* Takes a reference to d of the caller's own (the process cache's count),
** for memory that outlives the call, such as compress()'s auxdata. Give it
** back with sqz_dicts_unhold. */
void sqz_dicts_hold(sqz_dictionary *d);
void sqz_dicts_unhold(sqz_dictionary *d);

/* squeeze_train_dict wrote a row: forget every resolved name. */
void sqz_dicts_changed(sqz_conn *c);

/* The hooks of the squeeze_cache_stats table (fn_cache_stats.c): it was
** connected on c's connection, or is being disconnected (finalize every
** statement). */
void sqz_dicts_hook_connected(sqz_conn *c);
void sqz_dicts_hook_disconnected(sqz_conn *c);

/* Frees c's dictionary state (the statements must be finalized already, as
** the hook does before the connection closes), giving back every reference.
** Called when c is freed. */
void sqz_dicts_free(sqz_conn *c);

#endif /* SQZ_EXT_DICT_LOOKUP_H */

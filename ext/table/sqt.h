/*
** sqt.h: what the files of the squeeze table, squeeze's compressed column
** store, share. docs/squeeze_table.md describes the table as users see it;
** docs/format/chunk.md the bytes of a column chunk. One file, one job:
**
**   sqt_chunk.c    the column chunk format: encode and decode one column of
**                  up to 2^20 rows (pure C, no sqlite3.h)
**   sqt_decl.c     the declaration: CREATE VIRTUAL TABLE ... USING squeeze(...)
**   sqt_stmt.c     the statement table: every SQL text run on the shadow
**                  tables, prepared on first use, with a sticky rc
**   sqt_rows.c     rows in memory (column form) and SQLite values
**   sqt_chunkio.c  chunk I/O: the directory and the column chunks
**   sqt_tail.c     the tail and the insert buffer in front of it
**   sqt_cache.c    decoded slots kept between statements (LRU, pinned)
**   sqt_rowid.c    rowid questions: exists, fetch, largest rowid
**   sqt_compact.c  compaction: patches folded into chunks, optimize
**   sqt_scan.c     xBestIndex and the cursor: zone maps, colUsed, merge
**   sqt_write.c    xUpdate: INSERT, UPDATE, DELETE with rowid rules
**   sqt_maint.c    squeeze_check, squeeze_optimize, squeeze_stats
**   sqt_module.c   the module: create, connect, transactions, registration
**
** Storage. A table t has four shadow tables, declared through xShadowName:
**
**   t_config(k PRIMARY KEY, v)   'format' = 1, 'generation' = last one used
**   t_chunk(maxrow INTEGER PRIMARY KEY, minrow, nrows, gen)
**                                the directory: one row per chunk; chunks
**                                cover disjoint, increasing rowid ranges
**   t_data(key INTEGER PRIMARY KEY, nnull, minv, maxv, codec, raw, body)
**                                one row per column chunk, key = gen << 16 |
**                                slot (slot 0: rowids, slot k: column k-1);
**                                body is a column chunk (docs/format/chunk.md)
**   t_tail(id INTEGER PRIMARY KEY, dead, c0, c1, ...)
**                                uncompressed rows: rows past the last chunk
**                                (id > lcm, the last chunk's maxrow) and
**                                patches to chunk rows (id <= lcm): a newer
**                                version of the row, or a tombstone (dead=1)
**
** A scan merges the chunk rows (in rowid order) with the tail rows (in rowid
** order); a tail row with the rowid of a chunk row replaces it. Compaction
** folds a chunk's patches into a rewritten chunk with a new generation.
*/
#ifndef SQZ_EXT_TABLE_SQT_H
#define SQZ_EXT_TABLE_SQT_H

#include "conn.h"

#include "sqt_chunk.h"

#define SQT_FORMAT 3 /* the format version new tables record in t_config */
/* The oldest read: format 1 has no zone-map checksum (zsum), formats 1 and 2
** no body checksums in the directory (t_chunk.sums) */
#define SQT_FORMAT_MIN 1
#define SQT_SLOT_BITS 16 /* data key = generation << 16 | slot */
/* A scan stores decoded chunks into the chunk cache only while its stores
** took at most this share (percent) of its time: the first write of a
** block of a new shared segment costs a page fault (about 11 us per 4 KiB
** on the machine of docs/cache.md, a VM), more than decoding the same bytes,
** so an unbounded cold scan ran 1.5x slower than without the cache. */
#define SQT_STORE_PERCENT 2
/* Generations are 1 .. SQT_GEN_MAX - 1 (so a data key stays below 2^63); a
** t_config generation past SQT_GEN_LIMIT is damage: no table writes 2^46
** chunks, and the room above it keeps every write from running out. */
#define SQT_GEN_MAX ((int64_t)1 << (63 - SQT_SLOT_BITS))
#define SQT_GEN_LIMIT ((int64_t)1 << 46)
#define SQT_DEFAULT_CHUNK_ROWS 8192 /* rows per chunk unless chunk_rows says */
#define SQT_CHUNK_BYTES (64u << 20) /* a chunk is cut earlier past this many value bytes */
/* The largest decoded size (bytes) a reader accepts for a column chunk of
** more than one row: SQT_CHUNK_BYTES of values plus 16 bytes a row for the
** lengths and exceptions around them. A chunk of one row may hold a value up
** to SQLITE_LIMIT_LENGTH. */
#define SQT_DECODE_CAP ((size_t)SQT_CHUNK_BYTES + 16u * SQZ_CHUNK_ROWS_MAX)
/* After a commit, fewer than this many appended rows stay uncompressed in
** the tail (sqt_seal). */
#define SQT_SEAL_ROWS 64
/* Most partial chunks a seal or a flush folds into the chunks it writes. */
#define SQT_RUN_MAX 32
/* The memory the decoded-slot caches of a connection's squeeze tables take
** together before the least recently used entries are freed (sqt_cache.c). */
#define SQT_CACHE_BYTES ((size_t)64 << 20)
#define SQT_TAIL_POOL 4    /* prepared tail SELECTs a table keeps for its next scans */
#define SQT_STAT_BYTES 256 /* TEXT/BLOB min/max kept up to this length */
#define SQT_COLUMNS_MAX ((1 << SQT_SLOT_BITS) - 2) /* most declared columns */
/* The hidden column that takes commands, in the manner of fts5:
** INSERT INTO t(squeeze_command) VALUES ('optimize'). Every write happens in
** a write statement on the table, so SQLite's rollback covers it. */
#define SQT_COMMAND_COLUMN "squeeze_command"

/* qsort comparator for int64_t. */
static inline int sqt_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- Declaration (sqt_decl.c) ------------------------------------ */

/* SQLite's column affinities (https://sqlite.org/datatype3.html, 3), by the
** letters SQLite itself uses for them. */
typedef enum {
  SQT_AFF_BLOB = 'A',    /* no conversion */
  SQT_AFF_TEXT = 'B',    /* numbers become their text */
  SQT_AFF_NUMERIC = 'C', /* number-looking text becomes INTEGER or REAL */
  SQT_AFF_INTEGER = 'D', /* as NUMERIC */
  SQT_AFF_REAL = 'E'     /* as NUMERIC, then integers become REAL */
} sqt_affinity;

/* Whether affinity a converts number-looking text (INTEGER, REAL, NUMERIC). */
static inline int sqt_aff_numeric(sqt_affinity a) {
  return a >= SQT_AFF_NUMERIC;
}

/* One declared column. */
typedef struct sqt_column {
  char *name;             /* the column name, unquoted */
  char *type;             /* the declared type as written ("VARCHAR(20)"), "" for none */
  sqt_affinity aff;       /* its affinity */
  sqz_class cls;          /* the class its chunk streams expect; SQZ_CLASS_NULL: the
                             most frequent of each chunk (no type, NUMERIC, ANY) */
  sqz_class strict;       /* strict tables: the class a value must have after
                             affinity (SQZ_CLASS_NULL with strict_any: any) */
  int strict_any;         /* strict tables: the type is ANY */
  const sqz_codec *codec; /* the declared codec, NULL for auto */
  int level;              /* its level */
} sqt_column;

/* A parsed CREATE VIRTUAL TABLE ... USING squeeze(...). */
typedef struct sqt_decl {
  int ncol;            /* number of columns, >= 1 */
  sqt_column *col;     /* [ncol] */
  uint32_t chunk_rows; /* rows per chunk */
  int strict;          /* strict = on: values must fit their column's type */
  int like;            /* like = 'table': the columns were taken at xCreate and
                          are kept in t_config ('column:i', 'type:i') */
} sqt_decl;

/* Parses the module arguments argv[3..argc) of table argv[2] in schema
** argv[1] into *d. With `like`, xCreate (isCreate) reads the other table's
** columns through db (schema argv[1] unless it names one), and xConnect the
** copy sqt_decl_save_columns kept. Returns SQLITE_OK, or SQLITE_ERROR with
** *pzErr set (sqlite3_malloc'd) to a message naming the bad column, type,
** codec or option; SQLITE_CORRUPT_VTAB when the kept columns are missing;
** SQLITE_NOMEM. max_columns bounds the column count (SQLite's column limit
** less the tail table's own columns). */
int sqt_decl_parse(sqlite3 *db, int isCreate, int argc, const char *const *argv, int max_columns,
                   sqt_decl *d, char **pzErr);

/* xCreate with like: keeps d's columns and types in t_config of table zName
** (its shadow tables just created), for every later xConnect. Returns an
** SQLite code; SQLITE_OK at once without like. */
int sqt_decl_save_columns(sqlite3 *db, const char *zDb, const char *zName, const sqt_decl *d);

/* Frees what sqt_decl_parse allocated. */
void sqt_decl_free(sqt_decl *d);

/* The CREATE TABLE statement for sqlite3_declare_vtab (sqlite3_free it), or
** NULL on OOM. */
char *sqt_decl_schema(const sqt_decl *d);

/* The declared codec of column i as text: "auto", "dod", "zstd(9)"; writes
** into buf (size bytes) and returns it. */
const char *sqt_decl_codec_text(const sqt_column *c, char *buf, size_t size);

/* ---- Rows in memory ------------------------------------------------------ */

/* A set of rows in column form: rowids, an optional dead flag (tail rows
** read for compaction), and one sqz_column per declared column. */
typedef struct sqt_rows {
  int ncol;        /* declared columns */
  sqz_column id;   /* rowids (INT) */
  sqz_column dead; /* dead flags (INT 0/1); only filled by sqt_read_tail */
  sqz_column *col; /* [ncol] */
  size_t bytes;    /* TEXT/BLOB bytes held, for the chunk byte cut */
} sqt_rows;

/* A cursor's window on one column of its current chunk: the few rows a
** point lookup or a short range reads, copied straight from the chunk
** cache (sqt_slot_rows) instead of decoding the chunk. */
typedef struct sqt_window {
  sqz_column rows; /* rows first .. of the current chunk's column */
  uint32_t first;
  uint64_t seq; /* the cursor's chunk_seq it was tried for, 0: none */
} sqt_window;

/* ---- The module, the table ---------------------------------------------- */

typedef struct sqt_vtab sqt_vtab;

/* One directory row of t_chunk. */
typedef struct sqt_chunkref {
  int64_t maxrow; /* largest rowid */
  int64_t minrow; /* smallest rowid */
  int64_t gen;    /* generation: data keys gen << 16 | slot */
  uint32_t nrows; /* rows */
  /* XXH3-128 of the directory's checksums of the chunk's bodies (t_chunk.sums,
  ** format 3: XXH3-64 of each slot's body); {0, 0} when the row has none */
  uint64_t sum[2];
} sqt_chunkref;

/* A decoded slot in the cache (sqt_cache.c). */
typedef struct sqt_slot sqt_slot;
struct sqt_slot {
  sqt_chunkref ref; /* the chunk, its whole directory row */
  int slot;         /* 0 the rowids, k column k-1 */
  int dense;        /* slot 0 of a chunk without gaps: rowid i is minrow + i, col empty */
  int stale;        /* its chunk was deleted or rolled back: freed at the last release */
  int pins;         /* users holding it */
  size_t bytes;     /* memory it takes */
  sqz_column col;   /* the values (ref.nrows of them; empty when dense) */
  sqt_slot *hnext;  /* hash chain */
  sqt_slot *prev;   /* LRU list, most recent first */
  sqt_slot *next;
};

/* The cache of one table; its bytes count toward the connection's budget. */
typedef struct sqt_cache {
  sqt_slot **bucket; /* [nbucket], a power of two */
  uint32_t nbucket;
  uint32_t count;            /* entries */
  size_t bytes;              /* their memory */
  sqt_slot *head;            /* most recently used */
  sqt_slot *tail;            /* least recently used */
  int64_t max_gen;           /* the largest generation cached since the last drop of all */
  unsigned int data_version; /* SQLITE_FCNTL_DATA_VERSION when last checked */
} sqt_cache;

/* The rowid of row i of a rowid slot. */
static inline int64_t sqt_slot_rowid(const sqt_slot *e, uint32_t i) {
  return e->dense ? (int64_t)((uint64_t)e->ref.minrow + i) : (int64_t)e->col.v[i];
}

/* The prepared statements of a table (sqt_stmt.c has their SQL). */
enum {
  SQT_CHUNK_FROM,        /* chunks with maxrow >= ?1, ascending */
  SQT_CHUNK_DOWN,        /* chunks with maxrow <= ?1, descending */
  SQT_CHUNK_OWNER,       /* the first chunk with maxrow >= ?1 */
  SQT_CHUNK_BEFORE,      /* the last chunk with maxrow < ?1 */
  SQT_CHUNK_LAST,        /* the last chunk */
  SQT_CHUNK_INSERT,      /* (maxrow, minrow, nrows, gen[, sums]) */
  SQT_CHUNK_SUMS,        /* sums of the chunk with maxrow ?1 */
  SQT_CHUNK_DELETE,      /* by maxrow */
  SQT_CHUNK_DELETE_GEN,  /* generations in [?1, ?2] */
  SQT_DATA_BODY,         /* body of key ?1 */
  SQT_DATA_STAT,         /* nnull, minv, maxv of key ?1 */
  SQT_DATA_ROW,          /* nnull, minv, maxv, codec, raw, body of key ?1 */
  SQT_DATA_INSERT,       /* (key, nnull, minv, maxv, codec, raw, body) */
  SQT_DATA_DELETE,       /* keys in [?1, ?2) */
  SQT_DATA_COUNT,        /* count of keys in [?1, ?2) */
  SQT_DATA_STORED,       /* bytes of the bodies of keys in [?1, ?2) */
  SQT_DATA_CODECS,       /* slot, codec, body bytes of keys in [?1, ?2) */
  SQT_DATA_RAW,          /* value bytes (raw) of keys in [?1, ?2) */
  SQT_DATA_TOTAL,        /* count of every data row */
  SQT_DATA_SUMMARY,      /* per slot and codec: chunks, nulls, raw, stored bytes */
  SQT_TAIL_PUT,          /* INSERT OR REPLACE (id, dead, c0...) */
  SQT_TAIL_DELETE,       /* by id */
  SQT_TAIL_DELETE_RANGE, /* ids in [?1, ?2] */
  SQT_TAIL_GET,          /* dead of id ?1 */
  SQT_TAIL_RANGE,        /* id, dead, c0... for ids in [?1, ?2], ascending */
  SQT_TAIL_COUNT,        /* rows with id >= ?1 */
  SQT_TAIL_MAX,          /* largest id */
  SQT_TAIL_COUNT_RANGE,  /* rows with ids in [?1, ?2] */
  SQT_TAIL_DESC,         /* id, dead for ids in [?1, ?2], descending */
  SQT_TAIL_BAD_DEAD,     /* rows whose dead flag is not the integer 0 or 1 */
  SQT_TAIL_LATE_DEAD,    /* tombstones with id > ?1 */
  SQT_PATCH_IDS,         /* ids <= ?1, ascending */
  SQT_CONFIG_GET,        /* v of key ?1 */
  SQT_CONFIG_SET,        /* (k, v) */
  SQT_STMT_COUNT
};

struct sqt_vtab {
  sqlite3_vtab base;                  /* base class: must be first */
  sqz_conn *conn;                     /* the connection state: pool, list of tables */
  sqlite3 *db;                        /* the connection */
  char *zDb;                          /* database name: "main", "temp", ... */
  char *zName;                        /* table name */
  sqt_decl decl;                      /* columns and options */
  sqt_vtab *next;                     /* next in conn->tables */
  const sqz_allocator *alloc;         /* sqlite3_malloc64 / sqlite3_free */
  sqlite3_stmt *stmt[SQT_STMT_COUNT]; /* prepared on demand */
  struct {
    sqlite3_stmt *stmt; /* a scan's tail SELECT not in use, or NULL */
    uint64_t used;      /* its colUsed */
    int desc;           /* its order */
  } tail_pool[SQT_TAIL_POOL];

  /* Write state, valid while `loaded` (reloaded at each transaction). */
  int loaded;           /* the fields below are known */
  int have_chunks;      /* at least one chunk exists */
  int64_t lcm;          /* largest rowid of any chunk (when have_chunks) */
  int64_t tail_count;   /* tail rows past lcm (not counting the buffer) */
  int max_known;        /* max_rowid is exact */
  int64_t max_rowid;    /* largest rowid in the table (INT64_MIN when empty) */
  int max_empty;        /* the table has no row (with max_known) */
  int64_t last_gen;     /* last generation number handed out */
  int gen_dirty;        /* last_gen not yet written to t_config */
  int64_t *patches;     /* rowids patched since the last compaction check */
  size_t npatch;        /* entries in patches */
  size_t cap_patch;     /* entries allocated */
  int patch_overflow;   /* too many to note: the commit scans every patch */
  int flushing;         /* a flush is running (no re-entry) */
  int nested;           /* depth of this table's own work on its shadow tables: the
                           savepoint calls their statements cause are ignored */
  int in_write;         /* between xBegin and the commit or rollback */
  uint64_t epoch;       /* bumped by every write to the shadow tables and by
                          rollbacks: open scans then read them again */
  uint64_t dir_epoch;   /* bumped by every change to the directory (t_chunk) */
  sqt_chunkref owner;   /* the chunk sqt_chunk_owner found last... */
  uint64_t owner_epoch; /* ...at this dir_epoch */
  int owner_ok;         /* owner is set (cleared at transaction boundaries) */
  /* A rowid range [tf_lo, tf_hi] (a chunk's) known to hold no tail row but
  ** the ones this transaction put there since, tf_ids[0..tf_n) ascending:
  ** lookups of other rowids in it skip the tail (sqt_lookup). */
  int tf_ok;
  int64_t tf_lo, tf_hi;
  int64_t *tf_ids;
  uint32_t tf_n, tf_cap;

  /* The insert buffer: appended rows, rowids above everything stored. */
  sqt_rows buf;

  /* Caches. */
  sqt_cache slots;        /* decoded slots (sqt_cache.c) */
  sqt_rows fetch;         /* the current version of a row being updated */
  sqt_rows one;           /* its new version */
  sqz_buf enc;            /* encoder output */
  uint8_t *sums;          /* [2][8 * (ncol + 1)] body checksums of the chunk being written,
                             then the last ones sqt_body_matches read */
  uint64_t seen_sum[2];   /* XXH3-128 of those read ones */
  int seen_ok;            /* they are set */
  sqt_window *win_spare;  /* [ncol] a closed cursor's windows, for the next one */
  int keep_fast;          /* sqt_slot_decode keeps chunks of fast codecs too (SQZ_CC_FAST): a point
                             read missed them */
  uint64_t scan_t0;       /* when the last scan started (sqt_filter), sqz_cc_clock_ns */
  uint64_t store_ns;      /* time its stores into the chunk cache took */
  int64_t est_rows;       /* row estimate for xBestIndex */
  int utf8;               /* the database keeps text as UTF-8: TEXT zone maps apply */
  int format;             /* the table's format version (t_config), SQT_FORMAT_MIN.. */
  int poisoned;           /* an undo failed: every use fails with this code until a rollback */
  uint64_t ident[2];      /* the table's identity in the chunk cache: XXH3-128 of the
                             database file's device and inode and the table's name */
  int ident_ok;           /* ident is set: the database is a file */
  int64_t command_result; /* what the last command returned (chunks written) */
};

/* The data key of slot (0 rowids, k column k-1) of generation gen. */
static inline sqlite3_int64 sqt_key(int64_t gen, int slot) {
  return (sqlite3_int64)(((uint64_t)gen << SQT_SLOT_BITS) | (uint64_t)slot);
}

/* The first rowid of the true tail: lcm + 1, or INT64_MIN without chunks.
** (Callers handle lcm == INT64_MAX, where the true tail is empty.) */
static inline int64_t sqt_tail_from(const sqt_vtab *p) {
  return p->have_chunks ? (p->lcm < INT64_MAX ? p->lcm + 1 : INT64_MAX) : INT64_MIN;
}

/* ---- sqt_module.c: the module, the write state ------------------------------ */

/* Sets p's error message (replacing any) to "squeeze: <printf>" and returns
** rc; SQLITE_NOMEM sets no message. */
int sqt_error(sqt_vtab *p, int rc, const char *fmt, ...);

/* The squeeze table called name ("t" or "schema.t") on c's connection, into
** *out, after connecting it if needed. Returns SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR with *pzErr (sqlite3_malloc'd) when there is no such table. */
int sqt_find_table(sqz_conn *c, const char *name, sqt_vtab **out, char **pzErr);

/* Loads the write state (lcm, tail_count, last_gen) if not loaded. Returns
** an SQLite code; a missing generation is SQLITE_CORRUPT_VTAB. */
int sqt_load(sqt_vtab *p);
/* Forgets the write state and the insert buffer (at transaction boundaries),
** and with rollback also the decoded-chunk cache. */
void sqt_reset(sqt_vtab *p, int rollback);
/* Records that an undo of partial writes failed with rc (for want of memory
** or I/O, in a statement SQLite does not roll back) while a transaction is
** still open: from then on every use of the table fails with rc, and no
** commit can take the partial writes, until the transaction (or a savepoint
** before them) is rolled back. Returns rc. */
int sqt_poison(sqt_vtab *p, int rc);
/* SQLITE_OK, or the code of sqt_poison() with p's message set. */
int sqt_poisoned(sqt_vtab *p);
/* Writes last_gen to t_config when it changed. Returns an SQLite code. */
int sqt_save_generation(sqt_vtab *p);

/* ---- sqt_stmt.c: the statement table ------------------------------------------ */

/* 1 when zSuffix names one of the shadow tables (xShadowName). */
int sqt_shadow_name(const char *zSuffix);
/* Creates the shadow tables of a new table of ncol columns. Returns an
** SQLite code with *pzErr set (sqlite3_malloc'd) on failures other than OOM. */
int sqt_shadow_create(sqlite3 *db, const char *zDb, const char *zName, int ncol, char **pzErr);
/* Checks, in xConnect, that t_config records a format this release reads:
** SQLITE_CORRUPT_VTAB when it is missing, SQLITE_ERROR when newer. The same
** statement tells the database's encoding (the stored key's bytes, read as a
** BLOB: 6 for 'format' in UTF-8, 12 in UTF-16), so that a new connection need not run
** PRAGMA encoding: *utf8 as sqt_shadow_text_is_utf8 sets it. */
int sqt_shadow_check_format(sqlite3 *db, const char *zDb, const char *zName, int *format, int *utf8,
                            char **pzErr);
/* *utf8 = whether database zDb keeps its text as UTF-8 (PRAGMA encoding):
** BINARY comparisons of TEXT then follow UTF-8 byte order, the order zone
** maps are kept in; in UTF-16 databases they follow UTF-16 code units, and
** zone maps are not used for TEXT. */
int sqt_shadow_text_is_utf8(sqlite3 *db, const char *zDb, int *utf8);
/* Drops the shadow tables of p (xDestroy) / renames them (xRename; a failure
** leaves its message in p->base.zErrMsg). */
int sqt_shadow_drop(sqt_vtab *p);
int sqt_shadow_rename(sqt_vtab *p, const char *zNew);

/* Statement id of p, prepared on first use. Sticky: returns NULL without
** doing anything when *rc is not SQLITE_OK; sets *rc (SQLITE_NOMEM, or the
** prepare error with p's message) and returns NULL when it cannot prepare. */
sqlite3_stmt *sqt_stmt(sqt_vtab *p, int id, int *rc);
/* Finalizes every prepared statement of p. */
void sqt_stmt_finalize_all(sqt_vtab *p);
/* The SQL of a scan's tail SELECT for the columns in used (colUsed), in
** ascending or (desc) descending id order (sqlite3_free the text; NULL when
** out of memory). */
char *sqt_tail_select_sql(sqt_vtab *p, uint64_t used, int desc);
/* Sets tail_index[i] to the result column of column i in that SELECT, or -1. */
void sqt_tail_columns(const sqt_vtab *p, uint64_t used, int *tail_index);
/* A prepared tail SELECT for (used, desc) from p's pool, removed from it, or
** NULL when there is none. Cursors take one at xFilter... */
sqlite3_stmt *sqt_tail_take(sqt_vtab *p, uint64_t used, int desc);
/* Whether p's pool holds a tail SELECT for (used, desc). */
int sqt_tail_held(const sqt_vtab *p, uint64_t used, int desc);
/* ...and give it back (reset) when done; the pool keeps the SQT_TAIL_POOL
** most recent, so statements run again and again prepare nothing. */
void sqt_tail_give(sqt_vtab *p, sqlite3_stmt *s, uint64_t used, int desc);

/* Steps s once (DONE or a first ROW) and resets it. Returns SQLITE_OK or the
** error with p's message. */
int sqt_step_done(sqt_vtab *p, sqlite3_stmt *s);
/* The error of s, which failed with rc while stepping: resets s and returns
** the real code with p's message. */
int sqt_step_error(sqt_vtab *p, sqlite3_stmt *s, int rc);
/* Runs the one-row, one-integer query id bound to ?1 = text_arg (when not
** NULL) or arg. *found: 1 for an integer (in *out), -1 for another non-NULL
** value, 0 for NULL or no row. Returns an SQLite code. */
int sqt_query_int(sqt_vtab *p, int id, int64_t arg, const char *text_arg, int64_t *out, int *found);
/* Runs the count query id bound to (?1, ?2) = (lo, hi), as far as it has
** parameters, into *n. */
int sqt_query_count(sqt_vtab *p, int id, int64_t lo, int64_t hi, int64_t *n);

/* ---- sqt_rows.c: rows in memory, SQLite values ------------------------------- */

/* Initialises an empty row set of ncol columns on allocator a; on OOM
** r->col is NULL (check it when ncol > 0). */
void sqt_rows_init(sqt_rows *r, int ncol, const sqz_allocator *a);
/* Frees a row set's memory. */
void sqt_rows_free(sqt_rows *r);
/* Forgets every row, keeping the memory. */
void sqt_rows_clear(sqt_rows *r);
/* Appends row i of src. Returns an SQLite code. */
int sqt_rows_append_row(sqt_rows *r, const sqt_rows *src, uint32_t i);
/* Appends a row from SQLite values vals[ncol], each with the affinity d
** declares for its column; with current (a one-row set, the row's stored
** version) a value that says "no change" (sqlite3_value_nochange) takes the
** current one instead. Returns an SQLite code; on failure some columns may
** hold the row already (sqt_rows_truncate undoes it). */
int sqt_rows_append_values(sqt_rows *r, int64_t rowid, sqlite3_value **vals, const sqt_decl *d,
                           const sqt_rows *current);
/* Removes the first k rows of r, in place: never allocates, never fails. */
void sqt_rows_drop_front(sqt_rows *r, uint32_t k);
/* Keeps the first n rows of r, forgetting the ones appended after them (the
** undo of appends that a failed statement made). Never fails. */
void sqt_rows_truncate(sqt_rows *r, uint32_t n);
/* Rows of r from start, at most max, whose TEXT/BLOB bytes stay within
** sqt_chunk_cap(p); a row larger than the cap makes a chunk of its own. */
uint32_t sqt_rows_fitting(const sqt_vtab *p, const sqt_rows *r, uint32_t start, uint32_t max);

/* Applies numeric affinity to v in place, as OP_Affinity does to the new row
** of a plain table: TEXT that reads as a number (by SQLite's own reading,
** sqlite3_value_numeric_type) becomes that number, anything else stays as it
** is. Returns v's type after. v must be a value SQLite handed in (an xUpdate
** or xFilter argument, a value from sqlite3_vtab_in_first/next or a column of
** a statement), never a copy from sqlite3_value_dup: a copy has no
** connection, and sqlite3_value_numeric_type locks the value's connection in
** newer SQLite (3.53 does; 3.40 did not), so a copy crashes it there. */
int sqt_value_numeric(sqlite3_value *v);
/* Appends an SQLite value to a column as a plain table's column of affinity
** aff stores it (https://sqlite.org/datatype3.html, 3): INTEGER, NUMERIC and
** REAL read number-looking TEXT as a number (sqt_value_numeric, which
** converts v in place), INTEGER and NUMERIC keep a REAL that is a whole
** number as an INTEGER, REAL makes an INTEGER a REAL, TEXT makes a number its
** text; anything that does not convert is kept as it is; SQT_AFF_BLOB keeps
** everything. Adds TEXT/BLOB sizes to *bytes. Returns SQLITE_OK, SQLITE_NOMEM
** or SQLITE_TOOBIG. */
int sqt_column_append_value(sqz_column *c, sqlite3_value *v, sqt_affinity aff, size_t *bytes);
/* Binds v to parameter i of s. Returns an SQLite code. */
int sqt_bind_value(sqlite3_stmt *s, int i, const sqz_value *v);
/* A sqlite3_value as a sqz_value (pointing into it; valid while it is). */
sqz_value sqt_value_of(sqlite3_value *v);

/* ---- sqt_chunkio.c: the directory and the column chunks ---------------------- */

/* Reads a directory row from a statement whose columns 0..3 are maxrow,
** minrow, nrows, gen. Returns SQLITE_OK, or SQLITE_CORRUPT_VTAB (with p's
** message) for impossible values. */
int sqt_chunkref_read(sqt_vtab *p, sqlite3_stmt *s, sqt_chunkref *c);
/* Reads the single directory row query id yields (bound to arg when
** has_arg) into *c; *found = 0 when there is none. */
int sqt_chunk_query(sqt_vtab *p, int id, int has_arg, int64_t arg, sqt_chunkref *c, int *found);
/* The chunk whose range [minrow, maxrow] may hold rowid r: the first with
** maxrow >= r (*found = 0 when none), as the query SQT_CHUNK_OWNER finds it,
** or from memory when the last one found holds r and the directory has not
** changed since. r may still fall in a gap before its minrow. */
int sqt_chunk_owner(sqt_vtab *p, int64_t r, sqt_chunkref *c, int *found);
/* *yes = whether chunk c is still in the directory with the same generation. */
int sqt_chunk_current(sqt_vtab *p, const sqt_chunkref *c, int *yes);
/* Every directory row, ascending, into *out (sqlite3_malloc'd; the caller
** frees it) and *count. */
int sqt_load_directory(sqt_vtab *p, sqt_chunkref **out, int *count);

/* Whether the min and max of slot's rows [start, start+n) of col are left
** unknown (NULL) in the data row: when SQLite's comparison affinity for the
** column could convert one of its values (numeric affinity on TEXT in an
** INTEGER or REAL column, TEXT affinity on numbers in a TEXT column), so that
** the stored order would not be the order comparisons see. */
int sqt_stats_unknown(const sqt_vtab *p, int slot, const sqz_column *col, uint32_t start,
                      uint32_t n);
/* The zone-map checksum of a data row (format 2): the low 32 bits of XXH3
** over its key, null count and the min and max as stored (class, then the
** 8-byte value or the length and bytes; in a UTF-16 database TEXT bounds
** count by class only, since their bytes go through a conversion). */
int64_t sqt_zone_sum(const sqt_vtab *p, int64_t key, int64_t nnull, const sqz_value *lo,
                     const sqz_value *hi);
/* Whether the data row's zone map (nnull, minv, maxv read at columns i,
** i+1, i+2 of s, its zsum at i+3) is what its checksum says; always 1 in
** format 1, which keeps no checksum. */
int sqt_zone_valid(const sqt_vtab *p, sqlite3_stmt *s, int i, int64_t key);
/* What a slot of a chunk's previous version chose: its codec id (0: none)
** and the bytes its body took. */
typedef struct sqt_codec_hint {
  unsigned codec;
  size_t bytes;
} sqt_codec_hint;

/* Writes rows [start, start+n) of rows as one new chunk with a new
** generation; hints (NULL, or one per slot) name the codec an auto slot tries
** first, keeping it while its output stays within 1/8 of the previous bytes
** plus 64 (SQT_HINT_SLACK, sqt_chunkio.c)
** (sqz_chunk_opts.hint). Returns an SQLite code. */
int sqt_write_chunk(sqt_vtab *p, const sqt_rows *rows, uint32_t start, uint32_t n,
                    const sqt_codec_hint *hints);
/* Deletes chunk c: its directory row and data rows. */
int sqt_delete_chunk(sqt_vtab *p, const sqt_chunkref *c);
/* Deletes every chunk of generation lo..hi: the undo of chunks a failed
** write made. */
int sqt_delete_generations(sqt_vtab *p, int64_t lo, int64_t hi);
/* Decodes slot of chunk c into out. Returns SQLITE_OK or
** SQLITE_CORRUPT_VTAB/NOMEM/TOOBIG with p's error set. */
int sqt_decode_slot(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_column *out);
/* Which rows of slot of chunk c are NULL, into isnull[0..c->nrows), without
** decoding any value (the chunk's null section). Errors as sqt_decode_slot. */
int sqt_decode_nulls(sqt_vtab *p, const sqt_chunkref *c, int slot, uint8_t *isnull);
/* The rowids of chunk c into out, decoded and checked against the
** directory: nrows of them, strictly increasing, from minrow to maxrow.
** Always decoded, never computed from the directory, so that a directory
** row that lies (its row count, its range, a generation shared with another
** chunk) gives SQLITE_CORRUPT_VTAB instead of rows that are not there. */
int sqt_chunk_rowids(sqt_vtab *p, const sqt_chunkref *c, sqz_column *out);
/* Whether ids (a decoded rowid slot) is what directory row c says: nrows
** integers, strictly increasing, from minrow to maxrow. */
int sqt_rowids_valid(const sqt_chunkref *c, const sqz_column *ids);
/* Slot of chunk c decoded into out (empty) as sqt_decode_slot does, slot 0
** checked as sqt_chunk_rowids does, through the process's chunk cache
** (ext/chunk_cache.h) keyed by p's identity, c and a hash of the chunk's
** bodies: c->sum (the directory's checksums; then no body is read for a
** hit, and a miss checks the body it reads against them) or, for a table
** of format 1 or 2, XXH3-128 of the body. A hit is copied out, a miss
** decoded and kept. Not while p is in a write transaction nor for a
** database without a file (p->ident_ok). *dense: slot 0 has no gaps (out is
** then left empty or holds the rowids; the caller need not keep them).
** Errors as sqt_decode_slot, and SQLITE_CORRUPT_VTAB for a body that is not
** the one the directory's checksum names. */
int sqt_slot_decode(sqt_vtab *p, const sqt_chunkref *c, int slot, sqz_column *out, int *dense);
/* Whether the body of slot (n bytes at body) of chunk c (read with a
** directory checksum: c->sum not {0, 0}) is the one its directory row names:
** XXH3-64 of the body equals its entry in t_chunk.sums, read again (once for
** all the slots of a chunk: the blob is kept while its XXH3-128 is c->sum),
** and that blob still hashes to c->sum. 0 also when the row or blob is gone
** or malformed; *rc gets SQLITE_NOMEM or a step error (p's message set). */
int sqt_body_matches(sqt_vtab *p, const sqt_chunkref *c, int slot, const void *body, size_t n,
                     int *rc);
/* Rows [first, first + n) of column slot (>= 1) of chunk c straight from the
** chunk cache, into out (empty) as an n-row column: only the units of the
** cached image those rows touch are copied and verified (a chunk without
** directory checksums, format 1 or 2, has its body read for the key).
** Returns 1 (out filled), 0 when the cache cannot answer (off, in a write
** transaction, a miss, a body that cannot be read: the caller decodes as
** before, and reports), or SQLITE_NOMEM. For point lookups and short ranges
** of a new connection. */
int sqt_slot_rows(sqt_vtab *p, const sqt_chunkref *c, int slot, uint32_t first, uint32_t n,
                  sqz_column *out);
/* Decodes every slot of c into r (cleared first). */
int sqt_decode_chunk(sqt_vtab *p, const sqt_chunkref *c, sqt_rows *r);

/* ---- sqt_cache.c: decoded slots kept between statements ---------------------- */

/* Slot (0 the rowids, k column k-1) of chunk c, decoded, from the cache or
** decoded now (the rowids checked against c as sqt_chunk_rowids does), and
** pinned: *out stays valid until sqt_slot_release. Returns SQLITE_OK or the
** error of the decode (SQLITE_CORRUPT_VTAB, SQLITE_NOMEM, SQLITE_TOOBIG) with
** p's message set. */
int sqt_slot_get(sqt_vtab *p, const sqt_chunkref *c, int slot, sqt_slot **out);
/* Slot of chunk c when the connection's cache holds it (pinned, as
** sqt_slot_get gives it), else NULL: nothing is decoded. */
sqt_slot *sqt_slot_find(sqt_vtab *p, const sqt_chunkref *c, int slot);
/* Unpins e (NULL: nothing); frees least recently used entries when the
** connection is over its budget. */
void sqt_slot_release(sqt_vtab *p, sqt_slot *e);
/* Forgets the entries of generations lo..hi (a pinned one at its release). */
void sqt_cache_drop(sqt_vtab *p, int64_t lo, int64_t hi);
/* Empties the cache when the database no longer holds what it decoded: when
** the file changed (SQLITE_FCNTL_DATA_VERSION) and its generation counter is
** now below a cached generation, as after a restore from an older copy, whose
** next writes give those numbers to other chunks. Legitimate writers only
** ever add generations. Returns an SQLite code. */
int sqt_cache_check(sqt_vtab *p);
/* Sets p->ident from the database file of p's schema (none: ident_ok 0). */
void sqt_cache_identity(sqt_vtab *p);
/* Frees every entry (when the table object goes). */
void sqt_cache_free(sqt_vtab *p);
/* Index of the first rowid >= r among rows [lo, hi) of rowid slot e. */
uint32_t sqt_slot_lower_bound(const sqt_slot *e, uint32_t lo, uint32_t hi, int64_t r);

/* ---- sqt_tail.c: the tail and the insert buffer ------------------------------ */

/* Reads tail rows with ids in [lo, hi] into r (id, dead and columns); a
** dead flag other than the integer 0 or 1 is SQLITE_CORRUPT_VTAB. */
int sqt_read_tail(sqt_vtab *p, int64_t lo, int64_t hi, sqt_rows *r);
/* Writes one tail row (INSERT OR REPLACE): from vals when not NULL, else
** row i of rows; dead rows take no values. */
int sqt_put_tail(sqt_vtab *p, int64_t id, int dead, sqlite3_value **vals, const sqt_rows *rows,
                 uint32_t i);
/* Deletes the tail rows with ids in [lo, hi]. */
int sqt_delete_tail_range(sqt_vtab *p, int64_t lo, int64_t hi);
/* How far sqt_flush goes. */
typedef enum {
  SQT_FLUSH_CHUNKS, /* whole chunks only; the rest stays in the buffer */
  SQT_FLUSH_FULL,   /* and the rest into the tail table */
  SQT_FLUSH_SEAL,   /* at commit: the rest into a partial chunk when the tail and
                       the buffer hold SQT_SEAL_ROWS rows (with the trailing
                       partial chunks sqt_seal's rule takes), else as FULL */
} sqt_flush_mode;

/* Moves the insert buffer to storage as mode says: whole chunks when the
** tail and the buffer hold chunk_rows rows (or the cap's bytes), folding in
** the partial chunks at the end of the table, then the rest. Atomic: when
** it fails, what it wrote is undone and the buffer is as it was; the error of the undo, if any, is
*a lack of
** memory or an I/O error, after which SQLite rolls the transaction back.
** Returns an SQLite code. */
int sqt_flush(sqt_vtab *p, sqt_flush_mode mode);
/* Whether the tail and the buffer hold a chunk's worth of rows or bytes. */
int sqt_buffer_full(const sqt_vtab *p);
/* The value bytes a chunk is cut at: SQT_CHUNK_BYTES, or half the length
** limit when that is smaller, so that a chunk's body fits a BLOB. */
size_t sqt_chunk_cap(const sqt_vtab *p);

/* ---- sqt_rowid.c: rowid questions ------------------------------------------ */

/* Index of the first rowid >= r among the increasing rowids c->v[lo, hi). */
uint32_t sqt_lower_bound(const sqz_column *c, uint32_t lo, uint32_t hi, int64_t r);
/* Whether a row with rowid r exists (*exists), in the insert buffer, the
** tail or a chunk, and with out (not NULL) its values appended to out as one
** row. Returns an SQLite code; on failure out is as it was. */
int sqt_lookup(sqt_vtab *p, int64_t r, sqt_rows *out, int *exists);
/* Notes that the tail got a row with id r (sqt_put_tail), for the range
** sqt_lookup knows to be free of tail rows. */
void sqt_tail_noted(sqt_vtab *p, int64_t r);
/* sqt_lookup without the values. */
int sqt_exists(sqt_vtab *p, int64_t r, int *exists);
/* Makes p->max_rowid exact. */
int sqt_max_rowid(sqt_vtab *p);

/* ---- sqt_compact.c: compaction ------------------------------------------------ */

/* Notes that rowid r got a patch or tombstone (for sqt_compact at commit). */
int sqt_note_patch(sqt_vtab *p, int64_t r);
/* Forgets the noted patches (after the commit's compaction, or a rollback). */
void sqt_forget_patches(sqt_vtab *p);
/* Folds tail patches into their chunks: with all == 0 only chunks whose
** patches reach an eighth of their rows, else every patched chunk. *written
** (may be NULL) counts the chunks written. */
int sqt_compact(sqt_vtab *p, int all, int *written);
/* The rows of chunks c[0..n) (consecutive, n may be 0) merged in rowid
** order with the tail rows in [lo, hi] (their patches and tombstones, and
** with hi past the last chunk the tail rows after it), appended to merged.
** Returns an SQLite code. */
int sqt_merge_chunks(sqt_vtab *p, const sqt_chunkref *c, int n, int64_t lo, int64_t hi,
                     sqt_rows *merged);
/* The run of partial chunks (fewer than chunk_rows rows, together fewer than
** chunk_rows, at most SQT_RUN_MAX) at the end of the table, in rowid order,
** into run[*n]; *lo gets the first rowid of their range (past the full chunk
** before them). With acc >= 0 a chunk joins only while its rows are at most
** acc plus the rows of the chunks after it (the binary-counter rule of
** sqt_seal); with acc < 0 every partial chunk of the run joins. */
int sqt_trailing_partials(sqt_vtab *p, int64_t acc, sqt_chunkref *run, int *n, int64_t *lo);
/* At commit: when SQT_SEAL_ROWS or more rows are past the last chunk, makes
** them a chunk, together with the trailing partial chunks that are no larger
** (sqt_trailing_partials with acc = the tail's rows). So after a commit
** fewer than SQT_SEAL_ROWS appended rows are uncompressed, and each row is
** rewritten about log2(chunk_rows / SQT_SEAL_ROWS) times on its way into a
** full chunk. *written (may be NULL) counts the chunks written. */
int sqt_seal(sqt_vtab *p, int *written);
/* squeeze_optimize's work: compact everything, merge runs of small chunks
** and turn the tail into chunks. *written counts the chunks written. */
int sqt_optimize(sqt_vtab *p, int *written);

/* ---- sqt_scan.c: the read side of sqlite3_module --------------------------------
** With the contracts of the SQLite virtual-table interface
** (https://sqlite.org/vtab.html). sqt_best_index encodes the plan in
** idxNum/idxStr as sqt_scan.c documents; sqt_filter flushes the insert
** buffer, picks the chunks (zone maps) and starts the merge of chunk rows and
** tail rows; sqt_result_column decodes a column chunk on first use. Errors
** set the table's zErrMsg: corrupt shadow data gives SQLITE_CORRUPT_VTAB. */

int sqt_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info);
int sqt_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor);
int sqt_close(sqlite3_vtab_cursor *cur);
int sqt_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
               sqlite3_value **argv);
int sqt_next(sqlite3_vtab_cursor *cur);
int sqt_eof(sqlite3_vtab_cursor *cur);
int sqt_result_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i);
int sqt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid);
/* A cursor's windows, [ncol] empty ones: p's spare set when it has one
** (the buffers a closed cursor left, so repeated lookups allocate
** nothing), else new ones; NULL when out of memory. */
sqt_window *sqt_window_take(sqt_vtab *p);
/* Gives w (from sqt_window_take, or NULL) back: kept as p's spare set when
** p has none and its buffers are small, else freed. */
void sqt_window_give(sqt_vtab *p, sqt_window *w);
/* Frees p's spare set of windows (at disconnect). */
void sqt_window_free_spare(sqt_vtab *p);

/* ---- sqt_write.c: xUpdate --------------------------------------------------- */

/* xUpdate: argc 1 deletes argv[0]; argv[0] NULL inserts (argv[1] the rowid
** or NULL, argv[2..] the values; *pRowid gets the rowid); otherwise updates
** row argv[0] to rowid argv[1]. SQLITE_CONSTRAINT for a rowid that exists
** (unless OR REPLACE), SQLITE_MISMATCH for a rowid that is not an integer. */
int sqt_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid);

/* ---- sqt_maint.c: the maintenance functions --------------------------------- */

/* Verifies every chunk of p; *report gets "ok" or the problems, one a line
** (sqlite3_free it). Returns an SQLite code for failures other than the
** problems found (OOM, I/O): those are raised, never reported as findings. */
int sqt_check(sqt_vtab *p, char **report);
/* Registers squeeze_check, squeeze_optimize and squeeze_stats on db, each
** holding a reference to c. */
int sqt_register_functions(sqlite3 *db, sqz_conn *c);

#endif /* SQZ_EXT_TABLE_SQT_H */

/*
** vt_squeeze.h: what the files of the squeeze virtual table share.
**
**   vt_squeeze.c        the module: create/connect/destroy/rename, shadow
**                       table names, transactions, registration
**   vt_squeeze_decl.c   parsing the CREATE VIRTUAL TABLE arguments
**   vt_squeeze_store.c  shadow-table storage: statements, the insert buffer,
**                       writing and reading chunks, flushing, compaction
**   vt_squeeze_scan.c   xBestIndex and the cursor (zone maps, merge of chunks
**                       and tail, lazy per-column decoding)
**   vt_squeeze_write.c  xUpdate: INSERT, UPDATE, DELETE with SQLite's rowid
**                       rules and ON CONFLICT handling
**   vt_squeeze_fn.c     squeeze_check(), squeeze_optimize(), squeeze_stats
**
** Storage (docs/squeeze_table.md has the full picture). A table t has four
** shadow tables:
**
**   t_config(k PRIMARY KEY, v)   'format' = 1, 'generation' = last one used
**   t_chunk(maxrow INTEGER PRIMARY KEY, minrow, nrows, gen)
**                                one row per chunk; chunks cover disjoint,
**                                increasing rowid ranges
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
#ifndef SQZ_EXT_VT_SQUEEZE_H
#define SQZ_EXT_VT_SQUEEZE_H

#include "squeeze.h"

#include "chunk.h"

#define SQ_FORMAT 1                /* the format version t_config records */
#define SQ_SLOT_BITS 16            /* data key = generation << 16 | slot */
#define SQ_DEFAULT_CHUNK_ROWS 8192 /* rows per chunk unless chunk_rows says */
#define SQ_CHUNK_BYTES (64u << 20) /* a chunk is cut earlier past this many value bytes */
#define SQ_STAT_BYTES 256          /* TEXT/BLOB min/max kept up to this length */

/* ---- Declaration (vt_squeeze_decl.c) ------------------------------------ */

/* One declared column. */
typedef struct sq_column {
  char *name;             /* the column name, unquoted */
  const char *type;       /* "INTEGER", "REAL", "TEXT", "BLOB" or "" (static) */
  sqz_class cls;          /* class of the type; SQZ_CLASS_NULL when untyped */
  const sqz_codec *codec; /* the declared codec, NULL for auto */
  int level;              /* its level */
} sq_column;

/* A parsed CREATE VIRTUAL TABLE ... USING squeeze(...). */
typedef struct sq_decl {
  int ncol;            /* number of columns, >= 1 */
  sq_column *col;      /* [ncol] */
  uint32_t chunk_rows; /* rows per chunk */
} sq_decl;

/* Parses the module arguments argv[3..argc) into *d. Returns SQLITE_OK, or
** SQLITE_ERROR with *pzErr set (sqlite3_malloc'd) to a message naming the
** bad column, type, codec or option; SQLITE_NOMEM. max_columns bounds the
** column count (SQLite's column limit less the tail table's own columns). */
int sq_decl_parse(int argc, const char *const *argv, int max_columns, sq_decl *d, char **pzErr);

/* Frees what sq_decl_parse allocated. */
void sq_decl_free(sq_decl *d);

/* The CREATE TABLE statement for sqlite3_declare_vtab (sqlite3_free it), or
** NULL on OOM. */
char *sq_decl_schema(const sq_decl *d);

/* The declared codec of column i as text: "auto", "dod", "zstd(9)"; writes
** into buf (size bytes) and returns it. */
const char *sq_decl_codec_text(const sq_column *c, char *buf, size_t size);

/* ---- Rows in memory ------------------------------------------------------ */

/* A set of rows in column form: rowids, an optional dead flag (tail rows
** read for compaction), and one sqz_column per declared column. */
typedef struct sq_rows {
  int ncol;        /* declared columns */
  sqz_column id;   /* rowids (INT) */
  sqz_column dead; /* dead flags (INT 0/1); only filled by sq_read_tail */
  sqz_column *col; /* [ncol] */
  size_t bytes;    /* TEXT/BLOB bytes held, for the chunk byte cut */
} sq_rows;

/* ---- The module, the table, the cursor ---------------------------------- */

typedef struct sq_vtab sq_vtab;

/* Client data of the squeeze module and its functions on one connection. */
typedef struct sq_module {
  sqz_conn *conn; /* the connection state (pool) */
  sq_vtab *open;  /* the squeeze tables connected on this connection */
  int refs;       /* registrations holding this struct */
} sq_module;

/* Prepared statements of a table, prepared on first use (sq_stmt()). */
enum {
  SQ_CHUNK_FROM,        /* chunks with maxrow >= ?1, ascending */
  SQ_CHUNK_OWNER,       /* the first chunk with maxrow >= ?1 */
  SQ_CHUNK_BEFORE,      /* the last chunk with maxrow < ?1 */
  SQ_CHUNK_LAST,        /* the last chunk */
  SQ_CHUNK_INSERT,      /* (maxrow, minrow, nrows, gen) */
  SQ_CHUNK_DELETE,      /* by maxrow */
  SQ_DATA_BODY,         /* body of key ?1 */
  SQ_DATA_STAT,         /* nnull, minv, maxv of key ?1 */
  SQ_DATA_INSERT,       /* (key, nnull, minv, maxv, codec, raw, body) */
  SQ_DATA_DELETE,       /* keys in [?1, ?2) */
  SQ_TAIL_PUT,          /* INSERT OR REPLACE (id, dead, c0...) */
  SQ_TAIL_DELETE,       /* by id */
  SQ_TAIL_DELETE_RANGE, /* ids in [?1, ?2] */
  SQ_TAIL_GET,          /* dead of id ?1 */
  SQ_TAIL_RANGE,        /* id, dead, c0... for ids in [?1, ?2], ascending */
  SQ_TAIL_COUNT,        /* rows with id > ?1 */
  SQ_TAIL_MAX,          /* largest id */
  SQ_TAIL_COUNT_RANGE,  /* rows with ids in [?1, ?2] */
  SQ_TAIL_DESC,         /* id, dead for ids in [?1, ?2], descending */
  SQ_PATCH_IDS,         /* ids <= ?1, ascending */
  SQ_CONFIG_GET,        /* v of key ?1 */
  SQ_CONFIG_SET,        /* (k, v) */
  SQ_STMT_COUNT
};

struct sq_vtab {
  sqlite3_vtab base;                 /* base class: must be first */
  sq_module *mod;                    /* the module's client data */
  sqlite3 *db;                       /* the connection */
  char *zDb;                         /* database name: "main", "temp", ... */
  char *zName;                       /* table name */
  sq_decl decl;                      /* columns and options */
  sq_vtab *next;                     /* next in mod->open */
  sqz_allocator alloc;               /* sqlite3_malloc64 / sqlite3_free */
  sqlite3_stmt *stmt[SQ_STMT_COUNT]; /* prepared on demand */

  /* Write state, valid while `loaded` (reloaded at each transaction). */
  int loaded;         /* the fields below are known */
  int have_chunks;    /* at least one chunk exists */
  int64_t lcm;        /* largest rowid of any chunk (when have_chunks) */
  int64_t tail_count; /* tail rows past lcm (not counting the buffer) */
  int max_known;      /* max_rowid is exact */
  int64_t max_rowid;  /* largest rowid in the table (INT64_MIN when empty) */
  int max_empty;      /* the table has no row (with max_known) */
  int64_t last_gen;   /* last generation number handed out */
  int gen_dirty;      /* last_gen not yet written to t_config */
  int64_t *patches;   /* rowids patched since the last compaction check */
  size_t npatch;      /* entries in patches */
  size_t cap_patch;   /* entries allocated */
  int patch_overflow; /* too many to note: the commit scans every patch */
  int busy;           /* a flush is running (no re-entry from xSavepoint) */
  int in_write;       /* between xBegin and the commit or rollback */
  uint64_t epoch;     /* bumped by every write to the shadow tables and by
                        rollbacks: open scans then read them again */

  /* The insert buffer: appended rows, rowids above everything stored. */
  sq_rows buf;

  /* Caches. */
  int64_t cache_gen; /* generation of the chunk in cache, or 0 */
  int cache_full;    /* cache holds every column, not only the rowids */
  sq_rows cache;     /* a decoded chunk, for rowid lookups and UPDATE */
  sq_rows fetch;     /* the current version of a row being updated */
  sq_rows one;       /* its new version */
  sqz_buf enc;       /* encoder output */
  int64_t est_rows;  /* row estimate for xBestIndex */
};

/* The data key of slot (0 rowids, k column k-1) of generation gen. */
static inline sqlite3_int64 sq_key(int64_t gen, int slot) {
  return (sqlite3_int64)(((uint64_t)gen << SQ_SLOT_BITS) | (uint64_t)slot);
}

/* One directory row of t_chunk. */
typedef struct sq_chunkref {
  int64_t maxrow; /* largest rowid */
  int64_t minrow; /* smallest rowid */
  int64_t gen;    /* generation: data keys gen << 16 | slot */
  uint32_t nrows; /* rows */
} sq_chunkref;

/* ---- vt_squeeze.c ------------------------------------------------------- */

/* Sets p's error message (replacing any) to "squeeze: <printf>" and returns
** rc. */
int sq_error(sq_vtab *p, int rc, const char *fmt, ...);

/* The connected squeeze table called name ("t" or "schema.t") on db, after
** connecting it if needed; NULL with *pzErr set when there is none. */
sq_vtab *sq_find_table(sq_module *m, sqlite3 *db, const char *name, char **pzErr);

extern const sqlite3_module sq_module_methods;

/* ---- vt_squeeze_store.c -------------------------------------------------- */

/* The statement id of p, prepared on first use; NULL with p's error set. */
sqlite3_stmt *sq_stmt(sq_vtab *p, int id);
/* Finalizes every prepared statement of p. */
void sq_stmt_finalize_all(sq_vtab *p);

/* Initialises an empty row set of ncol columns on allocator a; on OOM
** r->col is NULL (check it when ncol > 0). */
void sq_rows_init(sq_rows *r, int ncol, const sqz_allocator *a);
/* Frees a row set's memory. */
void sq_rows_free(sq_rows *r);
/* Forgets every row, keeping the memory. */
void sq_rows_clear(sq_rows *r);
/* Appends row i of src. Returns an SQLite code. */
int sq_rows_append_row(sq_rows *r, const sq_rows *src, uint32_t i);
/* Appends a row from SQLite values (vals[ncol]). Returns an SQLite code. */
int sq_rows_append_values(sq_rows *r, int64_t rowid, sqlite3_value **vals);

/* Loads the write state (lcm, tail_count, last_gen) if not loaded. */
int sq_load(sq_vtab *p);
/* Forgets the write state and the insert buffer (at transaction boundaries),
** and with rollback also the decoded-chunk cache. */
void sq_reset(sq_vtab *p, int rollback);

/* Moves the insert buffer to storage: whole chunks when the tail and the
** buffer hold chunk_rows rows, and with full also the rest into the tail
** table. Returns an SQLite code. */
int sq_flush(sq_vtab *p, int full);

/* Whether the min and max of slot's rows [start, start+n) of col are left
** unknown (NULL) in the data row: when SQLite's comparison affinity for the
** column could convert one of its values (numeric affinity on TEXT in an
** INTEGER or REAL column, TEXT affinity on numbers in a TEXT column), so that
** the stored order would not be the order comparisons see. */
int sq_stats_unknown(const sq_vtab *p, int slot, const sqz_column *col, uint32_t start, uint32_t n);

/* Writes rows [start, start+n) of rows as one new chunk. */
int sq_write_chunk(sq_vtab *p, const sq_rows *rows, uint32_t start, uint32_t n);

/* Decodes slot of chunk c into out. Returns SQLITE_OK or
** SQLITE_CORRUPT_VTAB/NOMEM/TOOBIG with p's error set. */
int sq_decode_slot(sq_vtab *p, const sq_chunkref *c, int slot, sqz_column *out);

/* The rowids of chunk c into out: computed when the chunk has no gaps
** (maxrow - minrow + 1 == nrows), else decoded and checked against the
** directory (strictly increasing, from minrow to maxrow). */
int sq_chunk_rowids(sq_vtab *p, const sq_chunkref *c, sqz_column *out);

/* *yes = whether chunk c is still in the directory with the same generation. */
int sq_chunk_current(sq_vtab *p, const sq_chunkref *c, int *yes);

/* Reads a chunk row from a statement whose columns 0..3 are maxrow, minrow,
** nrows, gen. Returns 0, or SQLITE_CORRUPT_VTAB for impossible values. */
int sq_chunkref_read(sq_vtab *p, sqlite3_stmt *s, sq_chunkref *c);

/* Reads tail rows with ids in [lo, hi] into r (id, dead and columns). */
int sq_read_tail(sq_vtab *p, int64_t lo, int64_t hi, sq_rows *r);

/* Writes one tail row (INSERT OR REPLACE): from vals when not NULL, else
** row i of rows; dead rows take no values. */
int sq_put_tail(sq_vtab *p, int64_t id, int dead, sqlite3_value **vals, const sq_rows *rows,
                uint32_t i);

/* Index of the first rowid >= r among the increasing rowids c->v[lo, hi). */
uint32_t sq_lower_bound(const sqz_column *c, uint32_t lo, uint32_t hi, int64_t r);

/* *exists = whether a row with rowid r exists (the buffer flushed or not). */
int sq_exists(sq_vtab *p, int64_t r, int *exists);

/* Appends the stored row r (which exists, and is not in the buffer) to out. */
int sq_fetch_row(sq_vtab *p, int64_t r, sq_rows *out);

/* Appends an SQLite value to a column, adding TEXT/BLOB sizes to *bytes. */
int sq_column_append_value(sqz_column *c, sqlite3_value *v, size_t *bytes);

/* Makes p->max_rowid exact. */
int sq_max_rowid(sq_vtab *p);

/* Notes that rowid r got a patch or tombstone (for sq_compact at commit). */
int sq_note_patch(sq_vtab *p, int64_t r);
/* Forgets the noted patches (after the commit's compaction, or a rollback). */
void sq_forget_patches(sq_vtab *p);

/* Folds tail patches into their chunks: with all == 0 only chunks whose
** patches reach an eighth of their rows, else every patched chunk. *written
** (may be NULL) counts the chunks written. */
int sq_compact(sq_vtab *p, int all, int *written);

/* squeeze_optimize's work: compact everything, merge runs of small chunks
** and turn the tail into chunks. *written counts the chunks written. */
int sq_optimize(sq_vtab *p, int *written);

/* Writes last_gen to t_config when it changed. */
int sq_save_generation(sq_vtab *p);

/* Binds v (a sqz_value) to parameter i of s; TEXT/BLOB longer than cap
** bytes are cut to cap bytes (cut != NULL gets 1 then) or, with cap 0, bound
** in full. */
int sq_bind_value(sqlite3_stmt *s, int i, const sqz_value *v, size_t cap, int *cut);

/* ---- vt_squeeze_scan.c -------------------------------------------------
** The read side of sqlite3_module, with the contracts of the SQLite
** virtual-table interface (https://sqlite.org/vtab.html). sq_best_index
** encodes the plan in idxNum/idxStr as vt_squeeze_scan.c documents;
** sq_filter flushes the insert buffer, picks the chunks (zone maps) and
** starts the merge of chunk rows and tail rows; sq_result_column decodes a
** column chunk on first use. Errors set the table's zErrMsg: corrupt shadow
** data gives SQLITE_CORRUPT_VTAB. */

int sq_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info);
int sq_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor);
int sq_close(sqlite3_vtab_cursor *cur);
int sq_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
              sqlite3_value **argv);
int sq_next(sqlite3_vtab_cursor *cur);
int sq_eof(sqlite3_vtab_cursor *cur);
int sq_result_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i);
int sq_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid);

/* A sqlite3_value as a sqz_value (pointing into it). */
sqz_value sq_value_of(sqlite3_value *v);

/* ---- vt_squeeze_write.c ------------------------------------------------ */

/* xUpdate: argc 1 deletes argv[0]; argv[0] NULL inserts (argv[1] the rowid
** or NULL, argv[2..] the values; *pRowid gets the rowid); otherwise updates
** row argv[0] to rowid argv[1]. SQLITE_CONSTRAINT for a rowid that exists
** (unless OR REPLACE), SQLITE_MISMATCH for a rowid that is not an integer. */
int sq_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid);

/* ---- vt_squeeze_fn.c ---------------------------------------------------- */

/* Verifies every chunk of p; *report gets "ok" or the problems, one a line
** (sqlite3_free it). Returns an SQLite code for failures other than the
** problems found (OOM, I/O). */
int sq_check(sq_vtab *p, char **report);

/* Registers squeeze_check, squeeze_optimize and squeeze_stats with m. */
int sq_register_functions(sqlite3 *db, sq_module *m);

/* Takes and drops a reference to m. */
sq_module *sq_module_ref(sq_module *m);
void sq_module_unref(void *m);

#endif /* SQZ_EXT_VT_SQUEEZE_H */

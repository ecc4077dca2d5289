/*
** dict_lookup.c: a connection's view of the squeeze_dict tables
** (dict_lookup.h).
**
** State per connection (sqz_conn.dicts):
**   - rows[]: the rows read, at most ROWS_MAX, least recently used replaced
**     first, each holding a process-cache reference to its dictionary;
**   - schemas[]: per schema name, the prepared statements that read its
**     table;
**   - the statement that lists the schemas (PRAGMA database_list).
** Every query here is one of a few fixed texts, prepared once per schema
** with SQLITE_PREPARE_PERSISTENT and reset after each use, so none is left
** running when a lookup returns.
*/
#include "dict_lookup.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "dict_cache.h"

#define ROWS_MAX 16   /* rows a connection remembers */
#define SCHEMAS_MAX 8 /* schemas whose statements it keeps prepared */

/* What a remembered row is trusted with (see the header). */
typedef struct token {
  uint64_t trainings;    /* sqz_dicts.trainings when read */
  sqlite3_int64 changes; /* sqlite3_total_changes64() when read */
  unsigned data_version; /* SQLITE_FCNTL_DATA_VERSION of its schema */
  int dv_ok;             /* data_version could be read */
  int in_write;          /* read inside a write transaction on its schema */
} token;

typedef struct dict_row {
  char *schema;         /* schema it was read from (sqlite3_malloc'd) */
  char *name;           /* its name */
  sqlite3_int64 id;     /* its id */
  sqz_hash128 hash;     /* hash of its bytes, checked when they were read */
  sqlite3_int64 size;   /* their length */
  int level;            /* trained level (zstd's default when unusable) */
  int named;            /* the resolution of its name, as of tok */
  token tok;            /* when last read or checked */
  uint64_t used;        /* last use, for replacement */
  sqz_dictionary *dict; /* digested, a process-cache reference */
} dict_row;

typedef struct dict_schema {
  char *name;            /* schema name (sqlite3_malloc'd) */
  sqlite3_stmt *exists;  /* 1 when the schema has a squeeze_dict table */
  sqlite3_stmt *by_name; /* ?1 name -> id, hash, length(bytes), level */
  sqlite3_stmt *by_id;   /* ?1 id -> name, hash, length(bytes), level */
  sqlite3_stmt *bytes;   /* ?1 id -> bytes */
} dict_schema;

typedef struct sqz_dicts {
  dict_row rows[ROWS_MAX];
  int nrows;
  dict_schema schemas[SCHEMAS_MAX];
  int nschemas;
  sqlite3_stmt *list; /* PRAGMA database_list */
  uint64_t trainings; /* squeeze_train_dict calls that wrote a row */
  uint64_t clock;     /* use counter for rows[].used */
  int hooked;         /* squeeze_cache_stats is connected: statements may stay */
} sqz_dicts;

/* ---- State ------------------------------------------------------------ */

/* c's state, created on first use; NULL on OOM. */
static sqz_dicts *dicts_of(sqz_conn *c) {
  if (!c->dicts) {
    c->dicts = sqlite3_malloc64(sizeof(sqz_dicts));
    if (c->dicts) memset(c->dicts, 0, sizeof(sqz_dicts));
  }
  return c->dicts;
}

static void row_clear(dict_row *r) {
  sqlite3_free(r->schema);
  sqlite3_free(r->name);
  sqz_dict_cache_release(r->dict);
  memset(r, 0, sizeof(*r));
}

static void finalize_all(sqz_dicts *d) {
  for (int i = 0; i < d->nschemas; i++) {
    dict_schema *s = &d->schemas[i];
    sqlite3_finalize(s->exists);
    sqlite3_finalize(s->by_name);
    sqlite3_finalize(s->by_id);
    sqlite3_finalize(s->bytes);
    sqlite3_free(s->name);
  }
  d->nschemas = 0;
  sqlite3_finalize(d->list);
  d->list = NULL;
}

void sqz_dicts_hook_connected(sqz_conn *c) {
  sqz_dicts *d = dicts_of(c);
  if (d) d->hooked = 1;
}

void sqz_dicts_hook_disconnected(sqz_conn *c) {
  if (!c->dicts) return;
  finalize_all(c->dicts);
  c->dicts->hooked = 0;
}

void sqz_dicts_free(sqz_conn *c) {
  sqz_dicts *d = c->dicts;
  if (!d) return;
  finalize_all(d); /* none left when the hook ran; a no-op then */
  for (int i = 0; i < d->nrows; i++)
    row_clear(&d->rows[i]);
  sqlite3_free(d);
  c->dicts = NULL;
}

void sqz_dicts_changed(sqz_conn *c) {
  sqz_dicts *d = dicts_of(c);
  if (d) d->trainings++;
}

sqz_dict_stamp sqz_dicts_stamp(sqz_conn *c) {
  sqz_dict_stamp s = {c->dicts ? c->dicts->trainings : 0, sqlite3_total_changes64(c->db)};
  return s;
}

int sqz_dicts_stamp_holds(sqz_conn *c, sqz_dict_stamp s) {
  sqz_dict_stamp now = sqz_dicts_stamp(c);
  return now.trainings == s.trainings && now.changes == s.changes;
}

void sqz_dicts_hold(sqz_dictionary *d) {
  sqz_dict_cache_ref(d);
}

void sqz_dicts_unhold(sqz_dictionary *d) {
  sqz_dict_cache_release(d);
}

static token token_now(sqz_conn *c, const char *schema) {
  token t;
  memset(&t, 0, sizeof t);
  t.trainings = c->dicts ? c->dicts->trainings : 0;
  t.changes = sqlite3_total_changes64(c->db);
  t.dv_ok =
      sqlite3_file_control(c->db, schema, SQLITE_FCNTL_DATA_VERSION, &t.data_version) == SQLITE_OK;
  t.in_write = sqlite3_txn_state(c->db, schema) == SQLITE_TXN_WRITE;
  return t;
}

/* Whether this connection changed nothing since row r was read (the
** check decompress() makes: see sqz_dicts_by_id). */
static int row_unchanged_here(sqz_conn *c, const dict_row *r) {
  return r->tok.trainings == c->dicts->trainings &&
         r->tok.changes == sqlite3_total_changes64(c->db);
}

/* Whether row r, read at r->tok, still holds now: nothing changed here, nor
** in its schema's file. The data version is only current while a read
** transaction is open on the schema (the pager looks for other connections'
** commits when it takes its lock): with none open, as in
** `SELECT compress('x', 'zstd', 'dict=d')`, the row is read again. */
static int row_holds(sqz_conn *c, const dict_row *r) {
  if (!r->tok.dv_ok || !row_unchanged_here(c, r)) return 0;
  if (sqlite3_txn_state(c->db, r->schema) == SQLITE_TXN_NONE) return 0;
  unsigned dv;
  return sqlite3_file_control(c->db, r->schema, SQLITE_FCNTL_DATA_VERSION, &dv) == SQLITE_OK &&
         dv == r->tok.data_version;
}

/* ---- Statements ------------------------------------------------------- */

/* Prepares sql (a printf format with %w for schema, which may be NULL)
** into *stmt. Returns an SQLite code. */
static int prepare(sqz_conn *c, sqlite3_stmt **stmt, const char *fmt, const char *schema) {
  char *sql = sqlite3_mprintf(fmt, schema, schema);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
  sqlite3_free(sql);
  return rc;
}

/* Connects squeeze_cache_stats (whose xDisconnect finalizes the statements
** when the connection closes) if it is not yet. Returns whether statements
** may be kept past a lookup. */
static int keep_statements(sqz_conn *c) {
  sqz_dicts *d = c->dicts;
  if (!d->hooked) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT 0 FROM main.squeeze_cache_stats", -1, &s, NULL) ==
        SQLITE_OK)
      sqlite3_finalize(s);
  }
  return d->hooked;
}

/* Ends a lookup: resets its statements, or finalizes them all when they
** cannot be kept. */
static void lookup_done(sqz_conn *c) {
  sqz_dicts *d = c->dicts;
  if (!d->hooked) {
    finalize_all(d);
    return;
  }
  for (int i = 0; i < d->nschemas; i++) {
    sqlite3_reset(d->schemas[i].exists);
    sqlite3_reset(d->schemas[i].by_name);
    sqlite3_reset(d->schemas[i].by_id);
    sqlite3_reset(d->schemas[i].bytes);
  }
  sqlite3_reset(d->list);
}

/* The statements of schema, prepared as needed; *out NULL when the schema
** has no squeeze_dict table. Returns an SQLite code. */
static int schema_of(sqz_conn *c, const char *name, dict_schema **out) {
  sqz_dicts *d = c->dicts;
  *out = NULL;
  dict_schema *s = NULL;
  for (int i = 0; i < d->nschemas && !s; i++)
    if (sqlite3_stricmp(d->schemas[i].name, name) == 0) s = &d->schemas[i];
  if (!s) {
    if (d->nschemas == SCHEMAS_MAX) { /* forget the last one: rare, cheap */
      dict_schema *x = &d->schemas[--d->nschemas];
      sqlite3_finalize(x->exists);
      sqlite3_finalize(x->by_name);
      sqlite3_finalize(x->by_id);
      sqlite3_finalize(x->bytes);
      sqlite3_free(x->name);
    }
    s = &d->schemas[d->nschemas];
    memset(s, 0, sizeof(*s));
    s->name = sqlite3_mprintf("%s", name);
    if (!s->name) return SQLITE_NOMEM;
    d->nschemas++;
  }
  if (!s->exists) {
    int rc = prepare(c, &s->exists,
                     "SELECT 1 FROM \"%w\".sqlite_master WHERE type = 'table' AND name = "
                     "'" SQZ_DICT_TABLE "'",
                     name);
    if (rc != SQLITE_OK) return rc;
  }
  sqlite3_reset(s->exists);
  int rc = sqlite3_step(s->exists);
  sqlite3_reset(s->exists);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_ROW) return rc;
  if (!s->by_name) {
    rc = prepare(c, &s->by_name,
                 "SELECT id, hash, length(bytes), level FROM \"%w\".squeeze_dict"
                 " WHERE name = ?1 ORDER BY id DESC LIMIT 1",
                 name);
    if (rc != SQLITE_OK) return rc;
  }
  if (!s->by_id) {
    rc = prepare(c, &s->by_id,
                 "SELECT name, hash, length(bytes), level FROM \"%w\".squeeze_dict WHERE id = ?1",
                 name);
    if (rc != SQLITE_OK) return rc;
  }
  if (!s->bytes) {
    rc = prepare(c, &s->bytes, "SELECT bytes FROM \"%w\".squeeze_dict WHERE id = ?1", name);
    if (rc != SQLITE_OK) return rc;
  }
  *out = s;
  return SQLITE_OK;
}

/* Calls visit for each schema of the connection in PRAGMA database_list
** order until it returns something other than SQLITE_OK (SQLITE_DONE to stop
** early). Returns SQLITE_OK (all visited, or stopped early) or an error. */
static int each_schema(sqz_conn *c, int (*visit)(sqz_conn *c, dict_schema *s, void *arg),
                       void *arg) {
  sqz_dicts *d = c->dicts;
  if (!d->list) {
    int rc = prepare(c, &d->list, "PRAGMA database_list", NULL);
    if (rc != SQLITE_OK) return rc;
  }
  sqlite3_reset(d->list);
  int rc;
  while ((rc = sqlite3_step(d->list)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(d->list, 1);
    if (!name) return SQLITE_NOMEM;
    /* copy: schema_of may run statements that invalidate the column text */
    char *copy = sqlite3_mprintf("%s", name);
    if (!copy) return SQLITE_NOMEM;
    dict_schema *s;
    rc = schema_of(c, copy, &s);
    if (rc == SQLITE_OK && s) rc = visit(c, s, arg);
    sqlite3_free(copy);
    if (rc != SQLITE_OK) break;
  }
  sqlite3_reset(d->list);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- Rows --------------------------------------------------------------- */

/* What the by_name and by_id statements say about a row. */
typedef struct row_head {
  sqlite3_int64 id;
  const char *name;
  sqz_hash128 hash;
  int hash_ok; /* the hash column holds 32 hex digits */
  sqlite3_int64 size;
  int level;
} row_head;

static void read_head(sqlite3_stmt *st, int name_col, int id_col, row_head *h) {
  memset(h, 0, sizeof(*h));
  if (id_col >= 0) h->id = sqlite3_column_int64(st, id_col);
  if (name_col >= 0) h->name = (const char *)sqlite3_column_text(st, name_col);
  const char *hex = (const char *)sqlite3_column_text(st, 1);
  h->hash_ok = hex && sqz_hash128_parse(hex, (size_t)sqlite3_column_bytes(st, 1), &h->hash) == 0;
  h->size = sqlite3_column_int64(st, 2);
  sqlite3_int64 level = sqlite3_column_int64(st, 3);
  h->level = sqlite3_column_type(st, 3) == SQLITE_INTEGER && level >= SQZ_DICTIONARY_LEVEL_MIN &&
                     level <= SQZ_DICTIONARY_LEVEL_MAX
                 ? (int)level
                 : 3;
}

static dict_row *find_row(sqz_dicts *d, const char *schema, sqlite3_int64 id) {
  for (int i = 0; i < d->nrows; i++)
    if (d->rows[i].id == id && sqlite3_stricmp(d->rows[i].schema, schema) == 0) return &d->rows[i];
  return NULL;
}

/* A free slot for a row: a new one, or the least recently used. */
static dict_row *slot_for_row(sqz_dicts *d) {
  if (d->nrows < ROWS_MAX) {
    dict_row *r = &d->rows[d->nrows++];
    memset(r, 0, sizeof(*r));
    return r;
  }
  dict_row *old = &d->rows[0];
  for (int i = 1; i < d->nrows; i++)
    if (d->rows[i].used < old->used) old = &d->rows[i];
  row_clear(old);
  return old;
}

/* Sets *pzErr to "dictionary <id> <printf message>" and returns rc. */
static int dict_error(char **pzErr, int rc, sqlite3_int64 id, const char *what) {
  *pzErr = sqlite3_mprintf("dictionary %lld %s", (long long)id, what);
  return *pzErr ? rc : SQLITE_NOMEM;
}

/* Brings the row h of schema s into memory: the remembered row when its
** hash and size are those of h (only its token is renewed), else its bytes,
** read and checked against h's hash, then digested through the process
** cache. *out is the row. Returns an SQLite code with *pzErr. */
static int load_row(sqz_conn *c, dict_schema *s, const row_head *h, const char *name,
                    dict_row **out, char **pzErr) {
  sqz_dicts *d = c->dicts;
  if (!h->hash_ok) return dict_error(pzErr, SQLITE_ERROR, h->id, "has no valid hash");
  if (h->size > (sqlite3_int64)SQZ_DICTIONARY_MAX) {
    *pzErr = sqlite3_mprintf("dictionary %lld is %lld bytes; squeeze reads dictionaries of at "
                             "most %d bytes",
                             (long long)h->id, (long long)h->size, (int)SQZ_DICTIONARY_MAX);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  dict_row *r = find_row(d, s->name, h->id);
  if (r && r->hash.lo == h->hash.lo && r->hash.hi == h->hash.hi && r->size == h->size) {
    r->tok = token_now(c, s->name);
    r->level = h->level;
    *out = r;
    return SQLITE_OK;
  }
  /* read the bytes and check them against the row's hash */
  sqlite3_reset(s->bytes);
  sqlite3_bind_int64(s->bytes, 1, h->id);
  int rc = sqlite3_step(s->bytes);
  if (rc == SQLITE_DONE) return dict_error(pzErr, SQLITE_ERROR, h->id, "not found");
  if (rc != SQLITE_ROW) return rc;
  const void *bytes = sqlite3_column_blob(s->bytes, 0);
  sqlite3_int64 n = sqlite3_column_bytes(s->bytes, 0);
  if (!bytes && n > 0) return SQLITE_NOMEM;
  sqz_hash128 got = sqz_dictionary_hash_of(bytes, (size_t)n);
  if (got.lo != h->hash.lo || got.hi != h->hash.hi)
    return dict_error(pzErr, SQLITE_ERROR, h->id,
                      "does not match its hash (its bytes were altered or truncated)");
  if (n < (sqlite3_int64)SQZ_DICTIONARY_MIN) {
    *pzErr = sqlite3_mprintf("dictionary %lld is %lld bytes; squeeze reads dictionaries of at "
                             "least %d bytes",
                             (long long)h->id, (long long)n, (int)SQZ_DICTIONARY_MIN);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  size_t err = 0;
  sqz_dictionary *dict =
      sqz_dict_cache_acquire(sqz_sqlite_allocator(), bytes, (size_t)n, got, &err);
  sqlite3_reset(s->bytes);
  if (!dict) return sqz_status_rc(err);
  char *schema = sqlite3_mprintf("%s", s->name);
  char *copy = sqlite3_mprintf("%s", name ? name : "");
  if (!schema || !copy) {
    sqlite3_free(schema);
    sqlite3_free(copy);
    sqz_dict_cache_release(dict);
    return SQLITE_NOMEM;
  }
  if (r) {
    row_clear(r);
  } else {
    r = slot_for_row(d);
  }
  r->schema = schema;
  r->name = copy;
  r->id = h->id;
  r->hash = got;
  r->size = n;
  r->level = h->level;
  r->dict = dict;
  r->tok = token_now(c, s->name);
  *out = r;
  return SQLITE_OK;
}

static void use_row(sqz_dicts *d, dict_row *r, sqz_dict_use *out) {
  r->used = ++d->clock;
  out->dict = r->dict;
  out->id = r->id;
  out->level = r->level;
  out->schema = r->schema;
}

int sqz_dicts_stable(sqz_conn *c, const sqz_dict_use *use) {
  sqlite3 *db = c->db;
  if (!use->schema || !sqlite3_get_autocommit(db)) return 0;
  if (sqlite3_txn_state(db, use->schema) == SQLITE_TXN_NONE) return 0;
  int busy = 0;
  for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s))
    if (sqlite3_stmt_busy(s) && ++busy > 1) return 0;
  return busy == 1;
}

/* rc from a query that failed without saying why: the connection's message
** into *pzErr (unless it is out of memory), rc returned. */
static int query_error(sqz_conn *c, int rc, char **pzErr) {
  if (rc != SQLITE_NOMEM && !*pzErr) {
    *pzErr = sqlite3_mprintf("reading squeeze_dict: %s", sqlite3_errmsg(c->db));
    if (!*pzErr) rc = SQLITE_NOMEM;
  }
  return rc;
}

/* ---- By name ------------------------------------------------------------ */

typedef struct by_name_arg {
  const char *name;
  dict_row *found;
  char **pzErr;
} by_name_arg;

static int visit_by_name(sqz_conn *c, dict_schema *s, void *p) {
  by_name_arg *a = p;
  sqlite3_reset(s->by_name);
  int rc = sqlite3_bind_text(s->by_name, 1, a->name, -1, SQLITE_STATIC);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s->by_name);
  if (rc == SQLITE_DONE) return SQLITE_OK; /* not in this schema */
  if (rc != SQLITE_ROW) return rc;
  row_head h;
  read_head(s->by_name, -1, 0, &h);
  rc = load_row(c, s, &h, a->name, &a->found, a->pzErr);
  sqlite3_reset(s->by_name);
  return rc == SQLITE_OK ? SQLITE_DONE : rc;
}

int sqz_dicts_by_name(sqz_conn *c, const char *name, sqz_dict_use *out, char **pzErr) {
  *pzErr = NULL;
  sqz_dicts *d = dicts_of(c);
  if (!d) return SQLITE_NOMEM;
  for (int i = 0; i < d->nrows; i++) {
    dict_row *r = &d->rows[i];
    if (r->named && !r->tok.in_write && strcmp(r->name, name) == 0 && row_holds(c, r)) {
      use_row(d, r, out);
      return SQLITE_OK;
    }
  }
  keep_statements(c);
  by_name_arg a = {name, NULL, pzErr};
  int rc = each_schema(c, visit_by_name, &a);
  if (rc != SQLITE_OK) rc = query_error(c, rc, pzErr);
  lookup_done(c);
  if (rc != SQLITE_OK) return rc;
  if (!a.found) {
    *pzErr = sqlite3_mprintf("no dictionary named '%s' (squeeze_train_dict makes one)", name);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (int i = 0; i < d->nrows; i++)
    if (d->rows[i].named && strcmp(d->rows[i].name, name) == 0) d->rows[i].named = 0;
  a.found->named = 1;
  use_row(d, a.found, out);
  return SQLITE_OK;
}

/* ---- By id -------------------------------------------------------------- */

typedef struct by_id_arg {
  const sqz_frame_info *info;
  dict_row *found;
  int other_hash; /* a row with the id whose hash does not carry the tag */
  char **pzErr;
} by_id_arg;

static int tag_matches(sqz_hash128 h, const sqz_frame_info *info) {
  return sqz_hash128_tag(h, info->dict_tag_bytes) == info->dict_tag;
}

static int visit_by_id(sqz_conn *c, dict_schema *s, void *p) {
  by_id_arg *a = p;
  sqlite3_int64 id = (sqlite3_int64)a->info->dict_id;
  sqlite3_reset(s->by_id);
  sqlite3_bind_int64(s->by_id, 1, id);
  int rc = sqlite3_step(s->by_id);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_ROW) return rc;
  row_head h;
  read_head(s->by_id, 0, -1, &h);
  h.id = id;
  if (h.hash_ok && !tag_matches(h.hash, a->info)) {
    a->other_hash = 1;
    sqlite3_reset(s->by_id);
    return SQLITE_OK;
  }
  rc = load_row(c, s, &h, h.name, &a->found, a->pzErr);
  sqlite3_reset(s->by_id);
  return rc == SQLITE_OK ? SQLITE_DONE : rc;
}

int sqz_dicts_by_id(sqz_conn *c, const sqz_frame_info *info, sqz_dict_use *out, char **pzErr) {
  *pzErr = NULL;
  sqz_dicts *d = dicts_of(c);
  if (!d) return SQLITE_NOMEM;
  sqlite3_int64 id = (sqlite3_int64)info->dict_id;
  /* A remembered row is used while it holds (row_holds): a dictionary
  ** deleted, altered or replaced by any connection is an error at once, as
  ** it is for a new connection, not at some later change. */
  for (int i = 0; i < d->nrows; i++) {
    dict_row *r = &d->rows[i];
    if (r->id == id && tag_matches(r->hash, info) && row_holds(c, r)) {
      use_row(d, r, out);
      return SQLITE_OK;
    }
  }
  keep_statements(c);
  by_id_arg a = {info, NULL, 0, pzErr};
  int rc = each_schema(c, visit_by_id, &a);
  if (rc != SQLITE_OK) rc = query_error(c, rc, pzErr);
  lookup_done(c);
  if (rc != SQLITE_OK) return rc;
  if (!a.found)
    return dict_error(pzErr, SQLITE_ERROR, id,
                      a.other_hash ? "does not match its hash (it was replaced after this value "
                                     "was compressed with it)"
                                   : "not found");
  use_row(d, a.found, out);
  return SQLITE_OK;
}

/*
** sqt_cache.c: the decoded-slot cache of a squeeze table: column chunks
** (and rowid slots) kept decoded between statements, so that point lookups,
** UPDATEs and repeated scans of the same chunks decode each once.
**
**   SELECT val FROM t WHERE rowid = 5000;   -- decodes the chunk's rowids and val
**   SELECT val FROM t WHERE rowid = 5001;   -- neither again
**
** An entry is one slot (0: the rowids, k: column k-1) of one chunk, keyed by
** the chunk's whole directory row and the slot: a committed generation's
** chunk never changes (generations only grow), so an entry stays valid
** across statements and transactions; a rollback, which can give a
** generation number again, empties the cache. The rowid slot of a chunk
** without gaps (nrows = maxrow - minrow + 1, checked against the decoded
** rowids once) keeps no array: its rowids are minrow + i.
**
** A slot missing here comes from the process's chunk cache, shared with
** every connection and, through shared memory, with the user's other
** processes (ext/chunk_cache.h; sqt_slot_decode), or is decoded and put there.
**
** Entries are pinned while a cursor or a write uses them and are evicted,
** least recently used first, when the connection's entries together pass
** SQT_CACHE_BYTES; a pinned entry is never freed under its user.
*/
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

/* Bytes an entry holds. */
static size_t slot_bytes(const sqt_slot *e) {
  return sizeof(*e) + (size_t)e->col.capacity * (1 + 8 + 4) + e->col.bytes_capacity;
}

static uint32_t bucket_of(const sqt_cache *k, int64_t gen, int slot) {
  uint64_t h = (uint64_t)gen * 0x9E3779B97F4A7C15ull ^ (uint64_t)slot * 0xC2B2AE3D27D4EB4Full;
  return (uint32_t)(h >> 32) & (k->nbucket - 1);
}

static void lru_unlink(sqt_cache *k, sqt_slot *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    k->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    k->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(sqt_cache *k, sqt_slot *e) {
  e->prev = NULL;
  e->next = k->head;
  if (k->head) k->head->prev = e;
  k->head = e;
  if (!k->tail) k->tail = e;
}

/* Removes e from the hash and the LRU list and frees it. */
static void slot_free(sqt_vtab *p, sqt_slot *e) {
  sqt_cache *k = &p->slots;
  for (sqt_slot **q = &k->bucket[bucket_of(k, e->ref.gen, e->slot)]; *q; q = &(*q)->hnext) {
    if (*q == e) {
      *q = e->hnext;
      break;
    }
  }
  lru_unlink(k, e);
  k->count--;
  k->bytes -= e->bytes;
  p->conn->cache_bytes -= e->bytes;
  sqz_column_free(&e->col);
  sqlite3_free(e);
}

/* Frees unpinned entries of p, least recently used first, until the
** connection is within its budget (or p has none left to free). */
static void evict(sqt_vtab *p) {
  sqt_slot *e = p->slots.tail;
  while (e && p->conn->cache_bytes > SQT_CACHE_BYTES) {
    sqt_slot *prev = e->prev;
    if (e->pins == 0) slot_free(p, e);
    e = prev;
  }
}

/* Makes room for bytes more: this table's entries first, then the other
** tables' of the connection. */
static void make_room(sqt_vtab *p, size_t bytes) {
  sqz_conn *c = p->conn;
  if (c->cache_bytes + bytes <= SQT_CACHE_BYTES) return;
  c->cache_bytes += bytes; /* counted while evicting, so evict() aims below it */
  evict(p);
  for (sqt_vtab *t = c->tables; t && c->cache_bytes > SQT_CACHE_BYTES; t = t->next)
    if (t != p) evict(t);
  c->cache_bytes -= bytes;
}

/* Grows the hash table when it holds more entries than buckets. */
static int grow(sqt_cache *k) {
  if (k->count < k->nbucket) return SQLITE_OK;
  uint32_t n = k->nbucket ? k->nbucket * 2 : 64;
  sqt_slot **b = sqlite3_malloc64(sizeof(*b) * n);
  if (!b) return k->nbucket ? SQLITE_OK : SQLITE_NOMEM; /* longer chains will do */
  memset(b, 0, sizeof(*b) * n);
  sqt_cache old = *k;
  k->bucket = b;
  k->nbucket = n;
  for (uint32_t i = 0; i < old.nbucket; i++) {
    for (sqt_slot *e = old.bucket[i], *next; e; e = next) {
      next = e->hnext;
      uint32_t h = bucket_of(k, e->ref.gen, e->slot);
      e->hnext = b[h];
      b[h] = e;
    }
  }
  sqlite3_free(old.bucket);
  return SQLITE_OK;
}

static int same_ref(const sqt_chunkref *a, const sqt_chunkref *b) {
  return a->gen == b->gen && a->maxrow == b->maxrow && a->minrow == b->minrow &&
         a->nrows == b->nrows;
}

sqt_slot *sqt_slot_find(sqt_vtab *p, const sqt_chunkref *c, int slot) {
  sqt_cache *k = &p->slots;
  if (!k->nbucket) return NULL;
  for (sqt_slot *e = k->bucket[bucket_of(k, c->gen, slot)]; e; e = e->hnext) {
    if (e->slot == slot && !e->stale && same_ref(&e->ref, c)) {
      lru_unlink(k, e);
      lru_push_front(k, e);
      e->pins++;
      return e;
    }
  }
  return NULL;
}

int sqt_slot_get(sqt_vtab *p, const sqt_chunkref *c, int slot, sqt_slot **out) {
  sqt_cache *k = &p->slots;
  *out = sqt_slot_find(p, c, slot);
  if (*out) return SQLITE_OK;
  int rc = grow(k);
  if (rc != SQLITE_OK) return rc;
  sqt_slot *e = sqlite3_malloc64(sizeof(*e));
  if (!e) return SQLITE_NOMEM;
  memset(e, 0, sizeof(*e));
  e->ref = *c;
  e->slot = slot;
  sqz_column_init(&e->col, p->alloc);
  rc = sqt_slot_decode(p, c, slot, &e->col, &e->dense);
  if (rc != SQLITE_OK) {
    sqz_column_free(&e->col);
    sqlite3_free(e);
    return rc;
  }
  if (e->dense) { /* checked: nrows increasing rowids from minrow to maxrow */
    sqz_column_free(&e->col);
    sqz_column_init(&e->col, p->alloc);
  }
  e->bytes = slot_bytes(e);
  make_room(p, e->bytes);
  uint32_t h = bucket_of(k, c->gen, slot);
  e->hnext = k->bucket[h];
  k->bucket[h] = e;
  lru_push_front(k, e);
  k->count++;
  k->bytes += e->bytes;
  if (c->gen > k->max_gen) k->max_gen = c->gen;
  p->conn->cache_bytes += e->bytes;
  e->pins = 1;
  *out = e;
  return SQLITE_OK;
}

void sqt_slot_release(sqt_vtab *p, sqt_slot *e) {
  if (!e) return;
  if (--e->pins > 0) return;
  if (e->stale) {
    slot_free(p, e);
    return;
  }
  if (p->conn->cache_bytes > SQT_CACHE_BYTES) evict(p);
}

void sqt_cache_drop(sqt_vtab *p, int64_t lo, int64_t hi) {
  sqt_cache *k = &p->slots;
  if (lo == INT64_MIN && hi == INT64_MAX) k->max_gen = 0;
  for (sqt_slot *e = k->head, *next; e; e = next) {
    next = e->next;
    if (e->ref.gen < lo || e->ref.gen > hi) continue;
    if (e->pins)
      e->stale = 1; /* freed by its last release */
    else
      slot_free(p, e);
  }
}

void sqt_cache_identity(sqt_vtab *p) {
  const char *f = sqlite3_db_filename(p->db, p->zDb);
  struct stat st;
  p->ident_ok = 0;
  if (!f || !*f || stat(f, &st) != 0) return;
  uint64_t id[2] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino};
  XXH128_hash_t h = XXH3_128bits_withSeed(p->zName, strlen(p->zName), XXH3_64bits(id, sizeof id));
  p->ident[0] = h.low64;
  p->ident[1] = h.high64;
  p->ident_ok = 1;
}

void sqt_cache_free(sqt_vtab *p) {
  sqt_cache *k = &p->slots;
  while (k->head) {
    k->head->pins = 0;
    slot_free(p, k->head);
  }
  sqlite3_free(k->bucket);
  memset(k, 0, sizeof(*k));
}

int sqt_cache_check(sqt_vtab *p) {
  sqt_cache *k = &p->slots;
  if (!k->count) return SQLITE_OK;
  unsigned int v = 0;
  if (sqlite3_file_control(p->db, p->zDb, SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK ||
      v == k->data_version)
    return SQLITE_OK; /* unchanged, or a database nobody else can change (:memory:) */
  int64_t gen = 0;
  int found;
  int rc = sqt_query_int(p, SQT_CONFIG_GET, 0, "generation", &gen, &found);
  if (rc != SQLITE_OK) return rc;
  if (found != 1 || gen < k->max_gen) sqt_cache_drop(p, INT64_MIN, INT64_MAX);
  k->data_version = v;
  return SQLITE_OK;
}

uint32_t sqt_slot_lower_bound(const sqt_slot *e, uint32_t lo, uint32_t hi, int64_t r) {
  if (!e->dense) return sqt_lower_bound(&e->col, lo, hi, r);
  if (r <= e->ref.minrow) return lo;
  uint64_t i = (uint64_t)r - (uint64_t)e->ref.minrow;
  return i < lo ? lo : i > hi ? hi : (uint32_t)i;
}

/*
** dict_cache.c: the process-wide cache of digested dictionaries
** (dict_cache.h).
**
** The entries sit in one doubly linked list in recency order: the head is
** the most recently acquired or released, eviction walks from the tail and
** skips entries with references. A process holds a handful of dictionaries,
** so finding one by hash walks the list; the connections keep their own
** pointers (ext/dict_lookup.c), so the walk happens when a connection first
** meets a dictionary, not per value.
**
** Lock order: a dictionary's own mutex (held while it builds a digest) may
** be followed by the cache mutex (on_grow), never the other way round: the
** cache never builds, frees or calls into a dictionary while holding its
** mutex, except for the lock-free reads of its hash and memory.
*/
#include "dict_cache.h"

#include <pthread.h>
#include <string.h>

#include "codec.h"

typedef struct entry {
  struct entry *prev, *next; /* recency list, head most recent */
  sqz_dictionary *dict;      /* the dictionary (its hash is the key) */
  size_t size;               /* its bytes' size, part of the key */
  uint64_t refs;             /* references handed out and not released */
  size_t bytes;              /* what it counts for in cache.bytes */
  sqz_allocator allocator;   /* where the entry (and its dictionary) came from */
} entry;

static struct {
  pthread_mutex_t mutex;
  entry *head, *tail;
  sqz_cache_counters c; /* entries, in_use, bytes, capacity, hits, misses, evictions */
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, {.capacity = SQZ_DICT_CACHE_CAPACITY}};

static void unlink_entry(entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    cache.head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    cache.tail = e->prev;
  e->prev = e->next = NULL;
}

static void push_front(entry *e) {
  e->prev = NULL;
  e->next = cache.head;
  if (cache.head) cache.head->prev = e;
  cache.head = e;
  if (!cache.tail) cache.tail = e;
}

static entry *find(sqz_hash128 hash, size_t size) {
  for (entry *e = cache.head; e; e = e->next) {
    sqz_hash128 h = sqz_dictionary_hash(e->dict);
    if (h.lo == hash.lo && h.hi == hash.hi && e->size == size) return e;
  }
  return NULL;
}

/* Unlinks unused entries from the tail until the bytes fit the capacity
** (under the mutex) and returns them as a list through next, for the caller
** to free after unlocking. */
static entry *evict_locked(void) {
  entry *victims = NULL;
  entry *e = cache.tail;
  while (e && cache.c.bytes > cache.c.capacity) {
    entry *prev = e->prev;
    if (e->refs == 0) {
      unlink_entry(e);
      cache.c.bytes -= e->bytes;
      cache.c.entries--;
      cache.c.evictions++;
      e->next = victims;
      victims = e;
    }
    e = prev;
  }
  return victims;
}

/* Frees the entries evict_locked() returned, outside the mutex. */
static void free_victims(entry *victims) {
  while (victims) {
    entry *next = victims->next;
    sqz_dictionary_free(victims->dict);
    sqz_allocator a = victims->allocator;
    a.free(a.opaque, victims);
    victims = next;
  }
}

/* sqz_dictionary_grow_fn of every cached dictionary: its digests grew. The
** entry is in use (whoever builds a digest holds a reference), so it is not
** evicted now; the release that ends its use rebalances. */
static void on_grow(void *opaque, size_t bytes) {
  entry *e = opaque;
  pthread_mutex_lock(&cache.mutex);
  e->bytes += bytes;
  cache.c.bytes += bytes;
  pthread_mutex_unlock(&cache.mutex);
}

sqz_dictionary *sqz_dict_cache_acquire(const sqz_allocator *allocator, const void *bytes,
                                       size_t size, sqz_hash128 hash, size_t *err) {
  if (size < SQZ_DICTIONARY_MIN || size > SQZ_DICTIONARY_MAX) {
    *err = SQZ_ERROR(PARAMETER);
    return NULL;
  }
  pthread_mutex_lock(&cache.mutex);
  entry *e = find(hash, size);
  if (e) {
    if (e->refs++ == 0) cache.c.in_use++;
    cache.c.hits++;
    unlink_entry(e);
    push_front(e);
    pthread_mutex_unlock(&cache.mutex);
    return e->dict;
  }
  pthread_mutex_unlock(&cache.mutex);

  /* A miss: build outside the mutex, then insert, unless another thread
  ** inserted the same bytes meanwhile. */
  sqz_allocator a = sqz_allocator_or_default(allocator);
  entry *fresh = a.alloc(a.opaque, sizeof(*fresh));
  if (!fresh) {
    *err = SQZ_ERROR(MEMORY);
    return NULL;
  }
  memset(fresh, 0, sizeof(*fresh));
  fresh->allocator = a;
  fresh->dict = sqz_dictionary_create(&a, bytes, size, on_grow, fresh);
  if (!fresh->dict) {
    a.free(a.opaque, fresh);
    *err = SQZ_ERROR(MEMORY);
    return NULL;
  }
  sqz_hash128 h = sqz_dictionary_hash(fresh->dict);
  if (h.lo != hash.lo || h.hi != hash.hi) { /* not the bytes' hash: refuse the key */
    sqz_dictionary_free(fresh->dict);
    a.free(a.opaque, fresh);
    *err = SQZ_ERROR(PARAMETER);
    return NULL;
  }
  fresh->size = size;
  fresh->refs = 1;
  fresh->bytes = sqz_dictionary_memory(fresh->dict);

  pthread_mutex_lock(&cache.mutex);
  e = find(hash, size);
  if (e) {
    if (e->refs++ == 0) cache.c.in_use++;
    cache.c.hits++;
    unlink_entry(e);
    push_front(e);
  } else {
    push_front(fresh);
    cache.c.entries++;
    cache.c.in_use++;
    cache.c.misses++;
    cache.c.bytes += fresh->bytes;
  }
  entry *victims = evict_locked();
  pthread_mutex_unlock(&cache.mutex);
  free_victims(victims);
  if (e) { /* lost the race: ours was never seen by anyone */
    sqz_dictionary_free(fresh->dict);
    a.free(a.opaque, fresh);
    return e->dict;
  }
  return fresh->dict;
}

/* The entry of d (under the mutex), or NULL. */
static entry *entry_of(const sqz_dictionary *d) {
  entry *e = cache.head;
  while (e && e->dict != d)
    e = e->next;
  return e;
}

void sqz_dict_cache_ref(sqz_dictionary *d) {
  pthread_mutex_lock(&cache.mutex);
  entry *e = entry_of(d);
  if (e && e->refs++ == 0) cache.c.in_use++;
  pthread_mutex_unlock(&cache.mutex);
}

void sqz_dict_cache_release(sqz_dictionary *d) {
  if (!d) return;
  pthread_mutex_lock(&cache.mutex);
  entry *e = entry_of(d);
  entry *victims = NULL;
  if (e && e->refs > 0) {
    if (--e->refs == 0) cache.c.in_use--;
    unlink_entry(e);
    push_front(e);
    victims = evict_locked();
  }
  pthread_mutex_unlock(&cache.mutex);
  free_victims(victims);
}

size_t sqz_dict_cache_set_capacity(size_t bytes) {
  pthread_mutex_lock(&cache.mutex);
  size_t old = (size_t)cache.c.capacity;
  cache.c.capacity = bytes;
  entry *victims = evict_locked();
  pthread_mutex_unlock(&cache.mutex);
  free_victims(victims);
  return old;
}

void sqz_dict_cache_counters(sqz_cache_counters *out) {
  pthread_mutex_lock(&cache.mutex);
  *out = cache.c;
  pthread_mutex_unlock(&cache.mutex);
}

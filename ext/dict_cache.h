/*
** dict_cache.h: the process-wide cache of digested dictionaries, the first
** cache squeeze shares between connections (docs/dictionaries.md).
**
** Every connection of the process that uses the same dictionary bytes uses
** the same sqz_dictionary, and so the same ZSTD_CDicts, ZSTD_DDict and LZ4
** stream (codecs/dictionary.h): a dictionary is digested once per process,
** not once per connection. Entries are keyed by the XXH3-128 hash of the
** bytes and their size, so bytes that changed are a different entry and can
** never be served from an older one.
**
**   - Reference counted: sqz_dict_cache_acquire() hands out a reference,
**     sqz_dict_cache_release() gives it back. An entry with references is
**     never freed.
**   - Bounded: the bytes of all entries (sqz_dictionary_memory(), which grows
**     as digests are built) are kept under the capacity by evicting the least
**     recently released entries without references. Entries in use are
**     never evicted, so the cache can stand above its capacity while they
**     are held; the next release brings it back under.
**   - Thread safe: one mutex guards the table and the counters; it is never
**     held while a dictionary is built or freed, nor while a digest is
**     built (a digest's growth is added under it afterwards).
**
** Pure C and pthreads: no sqlite3.h, so the unit tests drive it directly.
** Its counters are a row of squeeze_cache_stats (ext/fn_cache_stats.c).
*/
#ifndef SQZ_EXT_DICT_CACHE_H
#define SQZ_EXT_DICT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dictionary.h"

/* The counters of one cache, as a row of squeeze_cache_stats shows them. */
typedef struct sqz_cache_counters {
  uint64_t entries;   /* entries held */
  uint64_t in_use;    /* entries with references now */
  uint64_t bytes;     /* bytes the entries hold */
  uint64_t capacity;  /* the bound on bytes; 0: nothing is kept unused */
  uint64_t hits;      /* acquires that found their entry */
  uint64_t misses;    /* acquires that created it */
  uint64_t evictions; /* entries freed to stay under capacity */
  /* The chunk cache's (ext/chunk_cache.h); always 0 for the dictionaries: */
  uint64_t rejected;   /* hits that failed their verification (damage), served as misses */
  uint64_t recoveries; /* locks taken over from a process that died holding them */
  uint64_t fallbacks;  /* times the shared segment could not be used (ENOSPC, a
                          foreign owner, a lock that never came free) */
} sqz_cache_counters;

/* The capacity a process starts with, bytes: room for about 70 dictionaries
** of 16 KiB digested for one zstd level (a CDict of 424 KiB at level 3, a
** DDict of 43 KiB). */
#define SQZ_DICT_CACHE_CAPACITY ((size_t)32 << 20)

/* The dictionary of the size bytes at bytes, whose hash is hash (the
** caller computed it with sqz_dictionary_hash_of, as it had to verify the
** bytes anyway), with a reference for the caller. A miss creates it with
** allocator (a copy of the bytes; the entry is allocated there too). Returns
** NULL with *err set on failure: SQZ_ERROR(MEMORY), or SQZ_ERROR(PARAMETER)
** for a size outside SQZ_DICTIONARY_MIN..SQZ_DICTIONARY_MAX or a hash that
** is not the bytes' (checked when the entry is created). */
sqz_dictionary *sqz_dict_cache_acquire(const sqz_allocator *allocator, const void *bytes,
                                       size_t size, sqz_hash128 hash, size_t *err);

/* Takes one more reference to d, which the caller holds one of already (no
** hit or miss is counted). */
void sqz_dict_cache_ref(sqz_dictionary *d);

/* Gives back a reference from sqz_dict_cache_acquire or sqz_dict_cache_ref. The entry stays
** cached, unless that would keep the cache above its capacity. NULL is a
** no-op. */
void sqz_dict_cache_release(sqz_dictionary *d);

/* Sets the capacity in bytes and evicts unused entries down to it (0 frees
** every unused entry and keeps none from then on). Returns the previous
** capacity. */
size_t sqz_dict_cache_set_capacity(size_t bytes);

/* Copies the counters into *out. */
void sqz_dict_cache_counters(sqz_cache_counters *out);

#endif /* SQZ_EXT_DICT_CACHE_H */

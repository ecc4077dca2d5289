/*
** chunk_cache.h: the decoded-chunk cache that squeeze tables share across
** connections and processes (docs/cache.md).
**
** A squeeze table decodes a column chunk before it reads a value of it. The
** connection keeps what it decoded (ext/table/sqt_cache.c), but a new
** connection starts cold. This cache keeps decoded chunks for every
** connection of the process and, when `shared` is on, for every process of
** the user on the host, in a POSIX shared-memory segment:
**
**   SELECT squeeze_cache_config('size', '256M');   -- the bound; 0 turns it off
**   SELECT squeeze_cache_config('shared', 'off');  -- this process only
**   SELECT * FROM squeeze_cache_stats;             -- rows 'chunks' process / shared
**
** The region (a segment, or anonymous memory for the process) is laid out as
**
**   header   magic, version, layout word, size, geometry, CLOCK hand, robust
**            process-shared mutex, then a ready word written last
**   entries  nsets x SQZ_CC_WAYS: key, length, hash of the bytes, first block
**   owner    [nblocks] the entry (index + 1) that holds each block, 0: free
**   next     [nblocks] the entry's next block
**   blocks   [nblocks] x SQZ_CC_BLOCK bytes, page aligned
**
** An entry's image (the decoded column: a 16-byte header of count, flags and
** arena bytes; then a record per row, by the column's classes: the 8-byte
** value of an all-INTEGER or all-REAL column, a 4-byte end offset of an
** all-TEXT or all-BLOB one, a 4-byte offset and 4-byte length when such rows
** share bytes, else 13 bytes of class, value or arena offset and length; so
** the row a lookup reads lies in one unit, seldom two; then the arena of
** TEXT/BLOB bytes, docs/cache.md) is spread over a chain of blocks. A key picks a set (8
** ways; no chains to loop). A new entry takes a free way of its set, else
** evicts the set's way whose CLOCK bit is clear; blocks are found by
** scanning the owner array, and when too few are free the global CLOCK hand
** evicts entries whose bit is clear (clearing set bits as it passes). Hits
** set the bit.
**
** Never stale, never trusted: the key says what the chunk is (table
** identity, generation, rowid range, rows, slot, and a 128-bit hash of the
** chunk's stored bodies: the directory's checksums of them, or of the body
** itself), so a rewritten chunk is another key. An image is hashed by units
** of SQZ_CC_UNIT bytes (XXH3-64 seeded with the key and the unit's place);
** a reader copies each unit it needs out of the region and checks the copy,
** so a point lookup verifies the few units its row touches, not the whole
** image; an entry that fails is dropped and counted as `rejected` (the
** caller decodes). Every index read from the region is range-checked and
** every walk bounded, so random bytes anywhere in the region give misses,
** never an out-of-bounds access or a loop.
**
** Locking: one mutex, PTHREAD_PROCESS_SHARED and PTHREAD_MUTEX_ROBUST, taken
** with a timeout (pthread_mutex_clocklock, CLOCK_MONOTONIC) by stores, by
** sqz_cc_region_usage and to drop a damaged entry. A lookup takes no lock: it reads the entry
*between two reads
** of its sequence number (bumped whenever an entry is freed), copies and
** hashes the units it needs, and the sequence number then tells an eviction
** under the copy (a plain miss) from damage (rejected). EOWNERDEAD (its
** holder died) rebuilds the metadata (entries being written are dropped,
** blocks of no valid entry freed), then pthread_mutex_consistent; that is
** a `recovery`. A lock that cannot be had
** within SQZ_CC_LOCK_MS (a damaged lock word) detaches the segment and the
** process carries on with its own region: a `fallback`.
**
** The segment: "/<prefix>-u<uid>-v<version>-<size>" (prefix "squeeze", or
** $SQUEEZE_CACHE_SEGMENT), created O_EXCL with mode 0600 and its pages
** reserved with posix_fallocate (so a full /dev/shm is ENOSPC at creation,
** not SIGBUS later). An existing one is used only when fstat says it is a
** regular file of this user, mode 0600 exactly, of the expected size, and
** its header's magic, version, layout and geometry are what this build
** writes; one of this user that fails is unlinked and created again; one of
** another user is left alone. Any failure falls back to the process region.
**
** Pure C with pthreads, POSIX shm and libxxhash: no sqlite3.h, so the unit
** tests drive it directly (tests/unit/test_chunk_cache.c).
*/
#ifndef SQZ_EXT_CHUNK_CACHE_H
#define SQZ_EXT_CHUNK_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dict_cache.h" /* sqz_cache_counters */
#include "sqt_chunk.h"  /* sqz_column */

#define SQZ_CC_VERSION 4                    /* the region layout's version */
#define SQZ_CC_BLOCK ((size_t)16 << 10)     /* bytes of a data block */
#define SQZ_CC_UNIT ((size_t)256)           /* bytes of an image a hash covers */
#define SQZ_CC_WAYS 8                       /* entries per set */
#define SQZ_CC_MIN_SIZE ((size_t)256 << 10) /* smallest non-zero size */
#define SQZ_CC_MAX_SIZE ((size_t)1 << 40)   /* largest size (1 TiB) */
#define SQZ_CC_DEFAULT_SIZE ((size_t)64 << 20)
#define SQZ_CC_LOCK_MS 2000 /* a lock not had in this long: the segment is abandoned */

/* What a chunk is: the key of an entry. w[0..1] the table's identity, w[2]
** the generation, w[3] minrow, w[4] maxrow, w[5] nrows << 32 | slot, w[6..7]
** XXH3-128 of the stored body. Compared whole. */
typedef struct sqz_cc_key {
  uint64_t w[8];
} sqz_cc_key;

/* Flags kept with an image. */
#define SQZ_CC_DENSE 1u /* a rowid slot of minrow..maxrow without gaps: no arrays */
/* decodes faster than a whole copy: kept for row reads (sqz_cc_region_rows);
** sqz_cc_region_get reports a miss, so that a scan decodes it instead */
#define SQZ_CC_FAST 2u

/* ---- A region: the layout above over memory the caller maps ------------- */

/* Formats size bytes at mem (page aligned) as an empty region. pshared: the
** mutex is PTHREAD_PROCESS_SHARED. Returns 0, or -1 when size is outside
** SQZ_CC_MIN_SIZE..SQZ_CC_MAX_SIZE or the mutex cannot be made. The functions
** below take the same (mem, size) and compute the geometry from size, never
** from the header, whose bytes another process may have damaged. */
int sqz_cc_region_format(void *mem, size_t size, int pshared);

/* Whether the size bytes at mem are a formatted region of this version and
** layout for that size (magic, version, layout word, size, geometry, ready).
** Reads only the header. */
int sqz_cc_region_valid(const void *mem, size_t size);

/* Looks key up in the region: on a hit whose image verifies, fills out
** (empty, drawing on its own allocator) with the column and *flags, and
** returns 1; returns 0 on a miss, -1 when the lock could not be had or the
** header no longer reads as a region, -2 when out could not be allocated.
** *rejected is set to 1 when an entry was found but failed its check (it is
** dropped and the metadata rebuilt); *recovered to 1 when the lock was taken
** over from a dead holder. An image whose arena passes max_bytes is a miss,
** so the caller's own decode reports its limit. */
int sqz_cc_region_get(void *mem, size_t size, const sqz_cc_key *key, sqz_column *out,
                      uint32_t *flags, size_t max_bytes, int *rejected, int *recovered);

/* As sqz_cc_region_get, but reads only rows [first, first + n) of the
** entry (their classes, values, lengths and bytes, each unit of the image
** they touch verified by its own hash) into out as an n-row column with its
** own arena (TEXT/BLOB offsets rebased). A DENSE entry gives *flags and no
** rows. An entry holding fewer rows is a miss; so are rows whose bytes pass
** max_bytes. */
int sqz_cc_region_rows(void *mem, size_t size, const sqz_cc_key *key, uint32_t first, uint32_t n,
                       sqz_column *out, uint32_t *flags, size_t max_bytes, int *rejected,
                       int *recovered);

/* Stores col (its count rows and arena) with flags under key, replacing an
** entry of the same key; with SQZ_CC_DENSE only the count is kept. Images
** of more than a quarter of the blocks are not kept. Returns 1 stored, 0 not
** kept, -1 as sqz_cc_region_get; *evicted counts the entries freed to make
** room; *recovered as sqz_cc_region_get. */
int sqz_cc_region_put(void *mem, size_t size, const sqz_cc_key *key, const sqz_column *col,
                      uint32_t flags, uint64_t *evicted, int *recovered);

/* The entries, image bytes and capacity (bytes of blocks) of the region.
** Returns 0, or -1 as sqz_cc_region_get. */
int sqz_cc_region_usage(void *mem, size_t size, uint64_t *entries, uint64_t *bytes,
                        uint64_t *capacity, int *recovered);

/* Takes the region's lock and returns without releasing it (0), or -1: for
** tests that kill a process holding it. */
int sqz_cc_region_lock_for_test(void *mem, size_t size);

/* Test hooks (tests/unit/test_chunk_cache.c): called with the lock held at
** point 1 (sqz_cc_region_put, entry marked as being written, half its image
** copied) and point 2 (sqz_cc_region_get, the entry found, before the lock is
** released). NULL
** outside tests. */
extern void (*sqz_cc_hook)(int point);
/* How segments reserve their pages: posix_fallocate, replaced by tests to
** simulate a full /dev/shm. Returns 0 or an errno value. */
extern int (*sqz_cc_fallocate)(int fd, off_t offset, off_t len);

/* ---- Admission ---------------------------------------------------------- */

/* What a hit costs per byte of image, in picoseconds: the copy out of the
** region, its XXH3-64 and the page faults of the fresh arrays (measured at
** 90 ps/B in a hot loop, about 250 in connection-per-request lookups on
** build/bench-shmcache/t.db; bench/bench_shmcache.c). */
#define SQZ_CC_HIT_PS_PER_BYTE 250

/* Monotonic nanoseconds (CLOCK_MONOTONIC), for timing a decode. */
uint64_t sqz_cc_clock_ns(void);

/* Whether col, whose decode took decode_ns, is worth keeping: whether a hit
** on it (SQZ_CC_HIT_PS_PER_BYTE per byte of its image) would cost less than
** decoding it again. Chunks of fast codecs (delta, bit-packed integers, small
** dictionaries) decode faster than a copy: keeping them would only slow
** down both the scan that stores them and the reader that copies them. */
int sqz_cc_worth_keeping(const sqz_column *col, uint64_t decode_ns);

/* ---- The process's cache ------------------------------------------------- */

/* The chunk of key, from the shared segment (shared on) or the process
** region, into out (empty; filled from its allocator) with its *flags.
** Returns 1 on a hit, 0 on a miss (or the cache is off), -1 when out could
** not be allocated. Counts hits, misses, rejected, recoveries. Thread safe. */
int sqz_chunk_cache_get(const sqz_cc_key *key, sqz_column *out, uint32_t *flags, size_t max_bytes);

/* Rows [first, first + n) of the chunk of key (sqz_cc_region_rows), from
** the region sqz_chunk_cache_get would use; returns and counts as it does.
** For a point lookup or a short range: only the units those rows touch are
** copied and verified, not the whole image. */
int sqz_chunk_cache_rows(const sqz_cc_key *key, uint32_t first, uint32_t n, sqz_column *out,
                         uint32_t *flags, size_t max_bytes);

/* Keeps col under key (see sqz_cc_region_put). Never fails: a chunk not kept
** is only a later miss. While this process's recent reads miss more often
** than they hit and its last store evicted a valid entry (the cache is
** smaller than what is read), only one call in 8 stores; with
** $SQUEEZE_CACHE_KEEP=all every call does (docs/cache.md, Settings). */
void sqz_chunk_cache_put(const sqz_cc_key *key, const sqz_column *col, uint32_t flags);

/* Whether the cache is on (size > 0), and with shared whether a shared
** segment is in use; a cheap read for callers that build a key. */
int sqz_chunk_cache_on(void);

/* The settings: size in bytes (0 off) and shared (0/1). The first call to any
** function here reads $SQUEEZE_CACHE_SIZE (a size, K/M/G) and
** $SQUEEZE_CACHE_SHARED (on/off) for the defaults, SQZ_CC_DEFAULT_SIZE and
** on when unset or unreadable. */
void sqz_chunk_cache_settings(size_t *size, int *shared);

/* Sets the size (size < 0: unchanged; 0 off; else SQZ_CC_MIN_SIZE ..
** SQZ_CC_MAX_SIZE) and shared (< 0 unchanged). The entries kept so far are
** dropped when either changes (the process region freed; the segment
** unmapped, not unlinked: other processes keep it). Returns 0, or -1 for a
** size out of range. */
int sqz_chunk_cache_configure(int64_t size, int shared);

/* The counters of the process region (*proc) and of the shared segment
** (*shm): entries, bytes and capacity as the region holds them now, the rest
** counted by this process since it started. */
void sqz_chunk_cache_counters(sqz_cache_counters *proc, sqz_cache_counters *shm);

/* The segment's name for size bytes into buf (size n); the name tests and
** docs refer to. */
void sqz_chunk_cache_segment_name(size_t size, char *buf, size_t n);

#endif /* SQZ_EXT_CHUNK_CACHE_H */

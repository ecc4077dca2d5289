/*
** alloc.h: the allocator adapter of codecs/, sqz_allocator, and the few
** operations every owner of growable memory (the pool, sqz_buf, sqz_column)
** performs with it.
**
** An allocator is a pair of functions and their opaque argument, as zstd's
** ZSTD_customMem and lz4's LZ4F_CustomMem are. The SQLite layer passes one
** over sqlite3_malloc64/sqlite3_free so that SQLite's limits and OOM
** handling apply; a NULL allocator anywhere in codecs/ means
** sqz_default_allocator (malloc/free). There is no realloc: growing is a
** new block, a copy of the bytes in use and a free, so an allocator needs
** no size bookkeeping.
*/
#ifndef SQZ_ALLOC_H
#define SQZ_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* alloc returns a block of at least bytes bytes (bytes >= 1), aligned to at
** least 16 bytes, or NULL on failure; free takes a block alloc returned (never
** NULL here: callers test first). opaque is passed to both. */
typedef struct sqz_allocator {
  void *(*alloc)(void *opaque, size_t bytes);
  void (*free)(void *opaque, void *ptr);
  void *opaque;
} sqz_allocator;

/* malloc and free, opaque NULL. */
extern const sqz_allocator sqz_default_allocator;

/* A copy of *a, or sqz_default_allocator when a is NULL. */
sqz_allocator sqz_allocator_or_default(const sqz_allocator *a);

/* Moves a block to a new one of bytes bytes (0 allocates 1): the first used
** bytes of p (used <= bytes; p may be NULL when used is 0) are copied and p
** is freed. Returns the new block, or NULL when a->alloc fails, in which case
** p is left as it was, still owned by the caller. */
void *sqz_alloc_move(const sqz_allocator *a, void *p, size_t used, size_t bytes);

/* Grows the block *p of *cap bytes, of which used are in use, to hold at
** least want bytes: the capacity doubles from SQZ_ALLOC_FIRST until it does
** (or becomes want, where doubling would overflow). Allocates when *p is
** NULL even for want 0, so a grown block always exists. On success *p and
** *cap are updated and 0 is returned; on failure they are unchanged and the
** return is SQZ_ERROR(MEMORY) (codec.h). */
size_t sqz_alloc_grow(const sqz_allocator *a, void **p, size_t *cap, size_t used, size_t want);
#define SQZ_ALLOC_FIRST 256 /* bytes of a first allocation by sqz_alloc_grow */

#ifdef __cplusplus
}
#endif
#endif /* SQZ_ALLOC_H */

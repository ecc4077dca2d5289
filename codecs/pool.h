/*
** pool.h: the codec context, sqz_ctx: pooled scratch memory plus one
** persistent state slot per codec.
**
** Every codec call takes a sqz_ctx. The context owns
**   - scratch blocks in fixed power-of-two size classes (4 KiB .. 1 GiB). A
**     released block goes back on its class's free list and the next acquire
**     of that class reuses it (a "hit"); only a miss calls the allocator.
**   - a state slot per codec id, where a codec keeps a library context (a
**     ZSTD_CCtx, an LZ4 state) between calls; freed by the codec's free_state.
** All memory comes from the caller's allocator, so the SQLite layer routes it
** through sqlite3_malloc64 and SQLite's limits and OOM handling apply.
**
** A context is not thread-safe: use one per connection (SQLite serializes the
** calls of one connection) or per thread.
*/
#ifndef SQZ_POOL_H
#define SQZ_POOL_H

#include "alloc.h" /* sqz_allocator, the memory a context draws from */
#include "codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counters reported by squeeze_pool_stats. */
typedef struct sqz_pool_stats {
  uint64_t blocks;      /* scratch blocks held (in use + free) */
  uint64_t in_use;      /* scratch blocks handed out, not yet released */
  uint64_t high_water;  /* most blocks ever in use at once */
  uint64_t bytes_held;  /* bytes held by all blocks */
  uint64_t bytes_high;  /* most bytes ever held */
  uint64_t hits;        /* acquires served from a free list */
  uint64_t misses;      /* acquires that called the allocator */
  uint64_t state_bytes; /* bytes allocated for codec states (library contexts) */
} sqz_pool_stats;

/* Largest single scratch block, bytes. */
#define SQZ_SCRATCH_MAX ((size_t)1 << 30)

/* Creates a context drawing on *allocator (copied; NULL means malloc/free).
** Returns NULL when the allocator fails. Free with sqz_ctx_free(). */
sqz_ctx *sqz_ctx_create(const sqz_allocator *allocator);

/* Frees every block, every codec state (through the codecs' free_state) and
** the context itself. Every acquired block must have been released first.
** NULL is a no-op. */
void sqz_ctx_free(sqz_ctx *ctx);

/* A scratch block of at least bytes bytes (1..SQZ_SCRATCH_MAX), 16-byte
** aligned, contents undefined; NULL when the allocator fails or bytes is out
** of range. Owned by ctx: give it back with sqz_scratch_release(). */
void *sqz_scratch_acquire(sqz_ctx *ctx, size_t bytes);

/* Returns a block from sqz_scratch_acquire() to its free list. The context
** keeps at most a few free blocks per class and at most SQZ_POOL_KEEP_BYTES
** in all; the rest go back to the allocator. NULL is a no-op, and so is a
** block that is not in use (released twice): the magic in each block's
** header tells. */
void sqz_scratch_release(sqz_ctx *ctx, void *block);
#define SQZ_POOL_KEEP_BYTES ((size_t)64 << 20)

/* The persistent state slot `slot`: a pointer its owner sets and reads across
** calls, NULL until first set. Slots 0..SQZ_ID_MAX belong to the codec with
** that id and are freed by its free_state; slots from SQZ_SLOT_ZSTD_FRAME up
** belong to the frame layer and are freed by the function given to
** sqz_ctx_on_free(). NULL for a slot >= SQZ_STATE_SLOTS. */
void **sqz_ctx_state(sqz_ctx *ctx, unsigned slot);
enum {
  SQZ_SLOT_ZSTD_FRAME = SQZ_ID_MAX + 1, /* foreign_frame.c: the DCtx of zstd tool frames */
  SQZ_SLOT_LZ4_FRAME,                   /* foreign_frame.c: the LZ4F context */
  SQZ_SLOT_LZ4_DICT,                    /* lz4_codec.c: the working stream of dict compression */
  SQZ_SLOT_ZSTD_STD,                    /* std_frame.c: the CCtx of standard zstd frames */
  SQZ_SLOT_LZ4_STD,                     /* std_frame.c: the LZ4F compression context */
  SQZ_STATE_SLOTS
};

/* Sets the function sqz_ctx_free() calls on a non-NULL state in slot. */
void sqz_ctx_on_free(sqz_ctx *ctx, unsigned slot, void (*destroy)(sqz_ctx *, void *));

/* Raw allocation of bytes bytes from the context's allocator, for codec
** states (library contexts), 16-byte aligned. Counted in state_bytes; not
** pooled. NULL when the allocator fails or bytes + the 16-byte header does
** not fit size_t. Free with sqz_ctx_dealloc (NULL is a no-op). */
void *sqz_ctx_alloc(sqz_ctx *ctx, size_t bytes);
void sqz_ctx_dealloc(sqz_ctx *ctx, void *ptr);

/* The same two in the (void *opaque, ...) shape of the libraries' custom
** allocators (ZSTD_customMem, LZ4F_CustomMem), opaque being the sqz_ctx, so
** that a library context draws from (and is counted in) the ctx. */
void *sqz_ctx_alloc_opaque(void *ctx, size_t bytes);
void sqz_ctx_dealloc_opaque(void *ctx, void *ptr);

/* Copies the counters into *out. */
void sqz_ctx_stats(const sqz_ctx *ctx, sqz_pool_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_POOL_H */

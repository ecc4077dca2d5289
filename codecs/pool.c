/*
** pool.c: sqz_ctx, pooled scratch blocks and codec state slots (pool.h).
**
** Each block carries a 16-byte header in front of the pointer handed out:
** its size class, the free-list link and a magic that tells a block in use
** from a free one. Classes are powers of two from 2^12 to 2^30 bytes; a
** request takes the smallest class that holds it.
*/
#include "pool.h"

#include <string.h>

#include "bits.h"
#include "checked.h"

#define CLASS_MIN_LOG 12
#define CLASS_MAX_LOG 30
#define CLASS_COUNT (CLASS_MAX_LOG - CLASS_MIN_LOG + 1)
#define KEEP_PER_CLASS 4

typedef struct block_header {
  struct block_header *next; /* free-list link while free */
  uint32_t size_class;       /* index into ctx->free_list */
  uint32_t magic;            /* BLOCK_IN_USE or BLOCK_FREE */
} block_header;
/* sqz_scratch_release() takes back only a block whose magic says it is in
** use: a second release of the same block, which would put it on its free
** list twice and hand it out to two owners, is ignored, and so is most any
** pointer that never came from sqz_scratch_acquire(). */
#define BLOCK_IN_USE 0x53510c0bU
#define BLOCK_FREE 0x53510f4eU

_Static_assert(sizeof(block_header) == 16, "block header keeps 16-byte alignment");

struct sqz_ctx {
  sqz_allocator allocator;
  block_header *free_list[CLASS_COUNT]; /* free blocks per class */
  unsigned free_count[CLASS_COUNT];     /* length of each free list */
  size_t free_bytes;                    /* bytes held by free blocks */
  sqz_pool_stats stats;
  void *state[SQZ_STATE_SLOTS];                           /* persistent states */
  void (*state_free[SQZ_STATE_SLOTS])(sqz_ctx *, void *); /* their destructors */
};

sqz_ctx *sqz_ctx_create(const sqz_allocator *allocator) {
  sqz_allocator a = sqz_allocator_or_default(allocator);
  sqz_ctx *ctx = a.alloc(a.opaque, sizeof(*ctx));
  if (!ctx) return NULL;
  memset(ctx, 0, sizeof(*ctx));
  ctx->allocator = a;
  return ctx;
}

/* The smallest class that holds bytes (1..SQZ_SCRATCH_MAX): the one of
** 2^bit_width(bytes - 1) bytes, or the first. */
static unsigned class_of(size_t bytes) {
  unsigned log = sqz_bit_width(bytes - 1);
  return log > CLASS_MIN_LOG ? log - CLASS_MIN_LOG : 0;
}

static size_t class_bytes(unsigned c) {
  return (size_t)1 << (c + CLASS_MIN_LOG);
}

static void block_free(sqz_ctx *ctx, block_header *h) {
  ctx->stats.blocks--;
  ctx->stats.bytes_held -= class_bytes(h->size_class);
  ctx->allocator.free(ctx->allocator.opaque, h);
}

void *sqz_scratch_acquire(sqz_ctx *ctx, size_t bytes) {
  if (bytes == 0 || bytes > SQZ_SCRATCH_MAX) return NULL;
  unsigned c = class_of(bytes);
  size_t total; /* the class's bytes and the header in front */
  if (c >= CLASS_COUNT || sqz_add_overflow(sizeof(block_header), class_bytes(c), &total))
    return NULL;
  block_header *h = ctx->free_list[c];
  if (h) {
    ctx->free_list[c] = h->next;
    ctx->free_count[c]--;
    ctx->free_bytes -= class_bytes(c);
    ctx->stats.hits++;
  } else {
    h = ctx->allocator.alloc(ctx->allocator.opaque, total);
    if (!h) return NULL;
    h->size_class = c;
    ctx->stats.misses++;
    ctx->stats.blocks++;
    ctx->stats.bytes_held += class_bytes(c);
    if (ctx->stats.bytes_held > ctx->stats.bytes_high)
      ctx->stats.bytes_high = ctx->stats.bytes_held;
  }
  h->next = NULL;
  h->magic = BLOCK_IN_USE;
  ctx->stats.in_use++;
  if (ctx->stats.in_use > ctx->stats.high_water) ctx->stats.high_water = ctx->stats.in_use;
  return h + 1;
}

void sqz_scratch_release(sqz_ctx *ctx, void *block) {
  if (!block) return;
  block_header *h = (block_header *)block - 1;
  if (h->magic != BLOCK_IN_USE || h->size_class >= CLASS_COUNT) return;
  h->magic = BLOCK_FREE;
  unsigned c = h->size_class;
  ctx->stats.in_use--;
  if (ctx->free_count[c] >= KEEP_PER_CLASS ||
      ctx->free_bytes + class_bytes(c) > SQZ_POOL_KEEP_BYTES) {
    block_free(ctx, h);
    return;
  }
  h->next = ctx->free_list[c];
  ctx->free_list[c] = h;
  ctx->free_count[c]++;
  ctx->free_bytes += class_bytes(c);
}

void **sqz_ctx_state(sqz_ctx *ctx, unsigned slot) {
  return slot < SQZ_STATE_SLOTS ? &ctx->state[slot] : NULL;
}

void sqz_ctx_on_free(sqz_ctx *ctx, unsigned slot, void (*destroy)(sqz_ctx *, void *)) {
  if (slot < SQZ_STATE_SLOTS) ctx->state_free[slot] = destroy;
}

/* State allocations carry their size in a 16-byte header in front (which
** keeps the 16-byte alignment), so state_bytes can be kept. */
void *sqz_ctx_alloc(sqz_ctx *ctx, size_t bytes) {
  size_t total;
  if (sqz_add_overflow(bytes, 16, &total)) return NULL;
  size_t *p = ctx->allocator.alloc(ctx->allocator.opaque, total);
  if (!p) return NULL;
  p[0] = bytes;
  ctx->stats.state_bytes += bytes;
  return (char *)p + 16;
}

void sqz_ctx_dealloc(sqz_ctx *ctx, void *ptr) {
  if (!ptr) return;
  size_t *p = (size_t *)((char *)ptr - 16);
  ctx->stats.state_bytes -= p[0];
  ctx->allocator.free(ctx->allocator.opaque, p);
}

void *sqz_ctx_alloc_opaque(void *ctx, size_t bytes) {
  return sqz_ctx_alloc((sqz_ctx *)ctx, bytes);
}

void sqz_ctx_dealloc_opaque(void *ctx, void *ptr) {
  sqz_ctx_dealloc((sqz_ctx *)ctx, ptr);
}

void sqz_ctx_stats(const sqz_ctx *ctx, sqz_pool_stats *out) {
  *out = ctx->stats;
}

void sqz_ctx_free(sqz_ctx *ctx) {
  if (!ctx) return;
  for (unsigned slot = 0; slot < SQZ_STATE_SLOTS; slot++) {
    if (!ctx->state[slot]) continue;
    const sqz_codec *codec = slot <= SQZ_ID_MAX ? sqz_codec_by_id(slot) : NULL;
    if (ctx->state_free[slot]) {
      ctx->state_free[slot](ctx, ctx->state[slot]);
    } else if (codec && codec->free_state) {
      codec->free_state(ctx, ctx->state[slot]);
    }
    ctx->state[slot] = NULL;
  }
  for (unsigned c = 0; c < CLASS_COUNT; c++) {
    while (ctx->free_list[c]) {
      block_header *h = ctx->free_list[c];
      ctx->free_list[c] = h->next;
      block_free(ctx, h);
    }
  }
  sqz_allocator a = ctx->allocator;
  a.free(a.opaque, ctx);
}

/*
** training.c: bottom-k sampling by bytes and ZDICT training (training.h).
**
** The kept samples form a binary max-heap on their priority, so the sample
** to drop when the budget overflows is at the root. A value whose priority
** is above the root's while the budget is full would be the first dropped,
** so it is refused without a copy. Priorities are splitmix64 of the value's
** index (Steele, Lea and Flood, "Fast splittable pseudorandom number
** generators", OOPSLA 2014): a bijection, so no two are equal.
*/
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_optimizeTrainFromBuffer_fastCover */
#include "training.h"

#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "checked.h"
#include "codec.h"

typedef struct sample {
  uint64_t prio;  /* splitmix64(index) */
  uint64_t index; /* the value's position among those added, from 0 */
  size_t n;       /* bytes */
  uint8_t bytes[];
} sample;

struct sqz_sampler {
  sqz_allocator allocator;
  size_t budget;        /* most bytes kept */
  sample **heap;        /* max-heap of the kept samples */
  size_t count;         /* samples in heap */
  size_t cap;           /* bytes of the heap array */
  size_t kept;          /* bytes of the kept samples */
  uint64_t values;      /* values offered */
  uint64_t value_bytes; /* their bytes, each up to SQZ_SAMPLE_PIECE_MAX */
};

/* The priority of the value at index: splitmix64's finalizer, a bijection
** of 64-bit integers that scatters consecutive ones. */
static uint64_t priority(uint64_t index) {
  uint64_t z = index + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* The heap's order: by priority. */
static int sample_cmp(const sample *a, const sample *b) {
  return (a->prio > b->prio) - (a->prio < b->prio);
}

static void sift_up(sample **h, size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (sample_cmp(h[parent], h[i]) >= 0) break;
    sample *t = h[parent];
    h[parent] = h[i];
    h[i] = t;
    i = parent;
  }
}

static void sift_down(sample **h, size_t count, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, big = i;
    if (l < count && sample_cmp(h[l], h[big]) > 0) big = l;
    if (r < count && sample_cmp(h[r], h[big]) > 0) big = r;
    if (big == i) return;
    sample *t = h[big];
    h[big] = h[i];
    h[i] = t;
    i = big;
  }
}

sqz_sampler *sqz_sampler_create(const sqz_allocator *allocator, size_t budget) {
  sqz_allocator a = sqz_allocator_or_default(allocator);
  if (budget == 0) return NULL;
  sqz_sampler *s = a.alloc(a.opaque, sizeof(*s));
  if (!s) return NULL;
  memset(s, 0, sizeof(*s));
  s->allocator = a;
  s->budget = budget;
  return s;
}

void sqz_sampler_free(sqz_sampler *s) {
  if (!s) return;
  for (size_t i = 0; i < s->count; i++)
    s->allocator.free(s->allocator.opaque, s->heap[i]);
  if (s->heap) s->allocator.free(s->allocator.opaque, s->heap);
  s->allocator.free(s->allocator.opaque, s);
}

size_t sqz_sampler_add(sqz_sampler *s, const void *p, size_t n) {
  if (n > SQZ_SAMPLE_PIECE_MAX) n = SQZ_SAMPLE_PIECE_MAX;
  sample key = {priority(s->values), s->values, n};
  s->values++;
  s->value_bytes += n;
  if (n == 0 || n > s->budget) return 0; /* adds nothing a dictionary could use */
  if (s->count && s->kept + n > s->budget && key.prio >= s->heap[0]->prio) return 0;
  size_t total;
  if (sqz_add_overflow(sizeof(sample), n, &total)) return SQZ_ERROR(MEMORY);
  size_t want = (s->count + 1) * sizeof(sample *);
  if (want > s->cap) {
    void *heap = s->heap;
    size_t r = sqz_alloc_grow(&s->allocator, &heap, &s->cap, s->count * sizeof(sample *), want);
    if (sqz_is_error(r)) return r;
    s->heap = heap;
  }
  sample *x = s->allocator.alloc(s->allocator.opaque, total);
  if (!x) return SQZ_ERROR(MEMORY);
  x->prio = key.prio;
  x->index = key.index;
  x->n = n;
  memcpy(x->bytes, p, n);
  s->heap[s->count++] = x;
  sift_up(s->heap, s->count - 1);
  s->kept += n;
  while (s->kept > s->budget) {
    sample *top = s->heap[0];
    s->heap[0] = s->heap[--s->count];
    sift_down(s->heap, s->count, 0);
    s->kept -= top->n;
    s->allocator.free(s->allocator.opaque, top);
  }
  return 0;
}

void sqz_sampler_info(const sqz_sampler *s, sqz_training_info *info) {
  info->values = s->values;
  info->value_bytes = s->value_bytes;
  info->samples = s->count;
  info->sample_bytes = s->kept;
  info->zdict_error = NULL;
}

/* The order ZDICT sees the samples in: the order they were added. */
static int index_cmp(const void *a, const void *b) {
  uint64_t x = (*(const sample *const *)a)->index, y = (*(const sample *const *)b)->index;
  return (x > y) - (x < y);
}

size_t sqz_sampler_train(sqz_sampler *s, void *dict, size_t capacity, int level,
                         sqz_training_info *info) {
  sqz_sampler_info(s, info);
  if (capacity < ZDICT_DICTSIZE_MIN) return SQZ_ERROR(PARAMETER);
  sqz_allocator *a = &s->allocator;
  if (s->count > 1) qsort(s->heap, s->count, sizeof(sample *), index_cmp); /* heap NULL at 0 */
  size_t sizes_bytes;
  if (sqz_mul_overflow(s->count ? s->count : 1, sizeof(size_t), &sizes_bytes))
    return SQZ_ERROR(MEMORY);
  uint8_t *flat = a->alloc(a->opaque, s->kept ? s->kept : 1);
  size_t *sizes = a->alloc(a->opaque, sizes_bytes);
  size_t r = SQZ_ERROR(MEMORY);
  if (flat && sizes) {
    size_t off = 0;
    for (size_t i = 0; i < s->count; i++) {
      memcpy(flat + off, s->heap[i]->bytes, s->heap[i]->n);
      sizes[i] = s->heap[i]->n;
      off += s->heap[i]->n;
    }
    ZDICT_fastCover_params_t p;
    memset(&p, 0, sizeof p);
    p.d = 8;     /* ZDICT_trainFromBuffer's choices */
    p.steps = 4; /* (zdict.c), single-threaded: nbThreads 0 */
    p.zParams.compressionLevel = level;
    size_t z = ZDICT_optimizeTrainFromBuffer_fastCover(dict, capacity, flat, sizes,
                                                       (unsigned)s->count, &p);
    if (!ZDICT_isError(z)) {
      r = z;
    } else {
      info->zdict_error = ZDICT_getErrorName(z);
      r = ZSTD_getErrorCode(z) == ZSTD_error_memory_allocation ? SQZ_ERROR(MEMORY)
                                                               : SQZ_ERROR(GENERIC);
    }
  }
  /* back into heap order, so the sampler stays usable */
  for (size_t i = 1; i < s->count; i++)
    sift_up(s->heap, i);
  if (flat) a->free(a->opaque, flat);
  if (sizes) a->free(a->opaque, sizes);
  return r;
}

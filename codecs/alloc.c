/*
** alloc.c: the default allocator and the block operations of alloc.h.
*/
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void *default_alloc(void *opaque, size_t bytes) {
  (void)opaque;
  return malloc(bytes);
}

static void default_free(void *opaque, void *ptr) {
  (void)opaque;
  free(ptr);
}

const sqz_allocator sqz_default_allocator = {default_alloc, default_free, NULL};

sqz_allocator sqz_allocator_or_default(const sqz_allocator *a) {
  return a ? *a : sqz_default_allocator;
}

void *sqz_alloc_move(const sqz_allocator *a, void *p, size_t used, size_t bytes) {
  void *q = a->alloc(a->opaque, bytes ? bytes : 1);
  if (!q) return NULL;
  if (used) memcpy(q, p, used);
  if (p) a->free(a->opaque, p);
  return q;
}

size_t sqz_alloc_grow(const sqz_allocator *a, void **p, size_t *cap, size_t used, size_t want) {
  if (*p && want <= *cap) return 0;
  size_t c = *cap ? *cap : SQZ_ALLOC_FIRST;
  while (c < want)
    c = c > SIZE_MAX / 2 ? want : 2 * c;
  void *q = sqz_alloc_move(a, *p, used, c);
  if (!q) return SQZ_ERROR(MEMORY);
  *p = q;
  *cap = c;
  return 0;
}

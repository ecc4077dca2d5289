/*
** buf.c: sqz_buf (buf.h), the growable byte buffer.
*/
#include "buf.h"

#include "checked.h"
#include "codec.h"

void sqz_buf_init(sqz_buf *b, const sqz_allocator *alloc) {
  b->p = NULL;
  b->n = b->cap = 0;
  b->alloc = sqz_allocator_or_default(alloc);
}

void sqz_buf_free(sqz_buf *b) {
  if (b->p) b->alloc.free(b->alloc.opaque, b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

size_t sqz_buf_reserve(sqz_buf *b, size_t more) {
  size_t want;
  if (sqz_add_overflow(b->n, more, &want)) return SQZ_ERROR(TOO_LARGE);
  void *p = b->p;
  size_t r = sqz_alloc_grow(&b->alloc, &p, &b->cap, b->n, want);
  b->p = p;
  return r;
}

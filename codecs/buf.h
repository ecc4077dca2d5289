/*
** buf.h: sqz_buf, a growable byte buffer for encoder output (the column
** chunk encoder writes into one; the SQLite layer keeps one per table).
**
** The pattern is reserve, then append: sqz_buf_reserve() makes room for an
** upper bound of what follows (its size arithmetic is overflow-checked, so a
** bound that does not fit size_t is TOO_LARGE, never a small wrapped
** number), and the append functions then write without checks, as zstd's
** internal writers do after a bound. Memory comes from the buffer's
** allocator (alloc.h).
**
**   sqz_buf b; sqz_buf_init(&b, NULL);
**   if (sqz_buf_reserve(&b, 1 + SQZ_VARINT_MAX) == 0) {
**     sqz_buf_byte(&b, 1);
**     sqz_buf_varint(&b, 300);
**   }
**   ... b.p[0 .. b.n) ...
**   sqz_buf_free(&b);
*/
#ifndef SQZ_BUF_H
#define SQZ_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "byteorder.h"
#include "varint.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqz_buf {
  uint8_t *p;          /* the bytes; NULL until the first reserve */
  size_t n;            /* bytes in use */
  size_t cap;          /* bytes allocated */
  sqz_allocator alloc; /* where p comes from */
} sqz_buf;

/* Initialises an empty buffer on *alloc (copied; NULL: malloc/free). */
void sqz_buf_init(sqz_buf *b, const sqz_allocator *alloc);

/* Frees the buffer's bytes; the buffer is empty and reusable afterwards. */
void sqz_buf_free(sqz_buf *b);

/* Makes room for more bytes after the n in use (cap >= n + more; growing
** doubles the capacity). Returns 0; TOO_LARGE when n + more does not fit
** size_t; MEMORY when the allocator fails (the buffer is then unchanged). */
size_t sqz_buf_reserve(sqz_buf *b, size_t more);

/* ---- Appends: each needs a sqz_buf_reserve() that covered it ------------ */

static inline void sqz_buf_byte(sqz_buf *b, uint8_t x) {
  b->p[b->n++] = x;
}

/* The varint of v: 1..10 bytes (varint.h). */
static inline void sqz_buf_varint(sqz_buf *b, uint64_t v) {
  b->n += sqz_varint_put(b->p + b->n, b->cap - b->n, v);
}

/* n bytes from p (p may be NULL when n is 0). */
static inline void sqz_buf_bytes(sqz_buf *b, const void *p, size_t n) {
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
}

/* n zero bytes; returns where they start, for the caller to fill. */
static inline uint8_t *sqz_buf_zeros(sqz_buf *b, size_t n) {
  uint8_t *at = b->p + b->n;
  if (n) memset(at, 0, n);
  b->n += n;
  return at;
}

/* v as 4 or 8 little-endian bytes. */
static inline void sqz_buf_u32le(sqz_buf *b, uint32_t v) {
  sqz_store32le(b->p + b->n, v);
  b->n += 4;
}
static inline void sqz_buf_u64le(sqz_buf *b, uint64_t v) {
  sqz_store64le(b->p + b->n, v);
  b->n += 8;
}

#ifdef __cplusplus
}
#endif
#endif /* SQZ_BUF_H */

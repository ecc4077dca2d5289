/*
** bitstream.h: a 64-bit bit writer and bit reader, LSB-first, for the codecs
** that write bit fields (gorilla, dod, delta, dict; huffman.c and alp_pack.h
** keep specialised packers of their own, in the same bit order).
**
** The idea is zstd's lib/common/bitstream.h: bits collect in a 64-bit
** register and go to memory a whole register at a time; the reader refills
** a register with one 8-byte load where it can. Bits are numbered from the
** least significant bit of byte 0. Neither side ever touches memory outside
** the buffer it was given: the writer records overflow and the reader
** records that it ran past the end of its input (reads past the end return
** zero bits). Callers test sqz_bw_finish() / sqz_br_overflowed() and turn
** either into an error.
*/
#ifndef SQZ_BITSTREAM_H
#define SQZ_BITSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include "bits.h"
#include "byteorder.h"

/* ---- Writer ------------------------------------------------------------- */
typedef struct sqz_bitwriter {
  uint8_t *start;     /* first byte of the destination */
  uint8_t *ptr;       /* next byte to write */
  uint8_t *end;       /* one past the last byte of the destination */
  uint64_t container; /* pending bits, low bits first */
  unsigned nbits;     /* pending bits in container, 0..63 */
  int overflow;       /* set once a flush did not fit */
} sqz_bitwriter;

static inline void sqz_bw_init(sqz_bitwriter *w, void *dst, size_t capacity) {
  w->start = w->ptr = (uint8_t *)dst;
  w->end = w->start + capacity;
  w->container = 0;
  w->nbits = 0;
  w->overflow = 0;
}

/* Moves the whole bytes of the container to memory. */
static inline void sqz_bw_flush(sqz_bitwriter *w) {
  unsigned nbytes = w->nbits >> 3;
  if ((size_t)(w->end - w->ptr) >= 8) {
    sqz_store64le(w->ptr, w->container);
  } else {
    if ((size_t)(w->end - w->ptr) < nbytes) {
      w->overflow = 1;
      nbytes = (unsigned)(w->end - w->ptr);
    }
    sqz_store_le(w->ptr, w->container, nbytes);
  }
  w->ptr += nbytes;
  w->container = nbytes ? w->container >> (8 * nbytes) : w->container; /* nbytes <= 7 */
  w->nbits &= 7;
}

/* Appends the low n bits of value, 0 <= n <= 56 (upper bits of value are
** ignored). Flushes first when the container could not take n more bits. */
static inline void sqz_bw_put(sqz_bitwriter *w, uint64_t value, unsigned n) {
  if (w->nbits + n > 63) sqz_bw_flush(w); /* leaves nbits <= 7 */
  w->container |= (value & sqz_mask64(n)) << w->nbits;
  w->nbits += n;
}

/* Appends the low n bits of value, 0 <= n <= 64. */
static inline void sqz_bw_put64(sqz_bitwriter *w, uint64_t value, unsigned n) {
  if (n > 32) {
    sqz_bw_put(w, value, 32);
    sqz_bw_put(w, value >> 32, n - 32);
  } else {
    sqz_bw_put(w, value, n);
  }
}

/* Flushes everything, padding the last byte with zero bits. Returns the
** bytes written since sqz_bw_init, or 0 when the destination overflowed. */
static inline size_t sqz_bw_finish(sqz_bitwriter *w) {
  sqz_bw_flush(w);
  if (w->nbits) {
    if (w->ptr >= w->end) {
      w->overflow = 1;
    } else {
      *w->ptr++ = (uint8_t)w->container;
    }
    w->container = 0;
    w->nbits = 0;
  }
  return w->overflow ? 0 : (size_t)(w->ptr - w->start);
}

/* ---- Reader ------------------------------------------------------------- */
typedef struct sqz_bitreader {
  const uint8_t *ptr; /* next byte to load into the container */
  const uint8_t *end; /* one past the last input byte */
  uint64_t container; /* loaded bits not yet consumed, low bits first */
  unsigned nbits;     /* valid bits in container */
  unsigned overrun;   /* bits consumed past the end of the input */
} sqz_bitreader;

static inline void sqz_br_init(sqz_bitreader *r, const void *src, size_t size) {
  r->ptr = (const uint8_t *)src;
  r->end = r->ptr + size;
  r->container = 0;
  r->nbits = 0;
  r->overrun = 0;
}

/* Loads bytes until the container holds at least 56 bits (an 8-byte load
** while 8 input bytes remain) or the input ends (byte by byte near its
** end). */
static inline void sqz_br_refill(sqz_bitreader *r) {
  if ((size_t)(r->end - r->ptr) >= 8) {
    r->container |= sqz_load64le(r->ptr) << r->nbits;
    r->ptr += (63 - r->nbits) >> 3;
    r->nbits |= 56;
  } else {
    while (r->nbits <= 56 && r->ptr < r->end) {
      r->container |= (uint64_t)*r->ptr++ << r->nbits;
      r->nbits += 8;
    }
  }
}

/* The next n bits (0 <= n <= 56) without consuming them; zero bits stand in
** for bits past the end of the input. */
static inline uint64_t sqz_br_peek(sqz_bitreader *r, unsigned n) {
  if (r->nbits < n) sqz_br_refill(r);
  return r->container & sqz_mask64(n);
}

/* Consumes n bits (0 <= n <= 56) that a peek has shown. */
static inline void sqz_br_skip(sqz_bitreader *r, unsigned n) {
  if (r->nbits < n) {
    r->overrun += n - r->nbits;
    r->container = 0;
    r->nbits = 0;
    return;
  }
  r->container >>= n;
  r->nbits -= n;
}

/* Reads n bits, 0 <= n <= 56. */
static inline uint64_t sqz_br_read(sqz_bitreader *r, unsigned n) {
  uint64_t v = sqz_br_peek(r, n);
  sqz_br_skip(r, n);
  return v;
}

/* Reads n bits, 0 <= n <= 64. */
static inline uint64_t sqz_br_read64(sqz_bitreader *r, unsigned n) {
  if (n > 32) {
    uint64_t lo = sqz_br_read(r, 32);
    return lo | (sqz_br_read(r, n - 32) << 32);
  }
  return sqz_br_read(r, n);
}

/* Non-zero once any read went past the end of the input. */
static inline int sqz_br_overflowed(const sqz_bitreader *r) {
  return r->overrun != 0;
}

#endif /* SQZ_BITSTREAM_H */

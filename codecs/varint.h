/*
** varint.h: unsigned LEB128 varints and zigzag, shared by the frame format
** and the integer codecs.
**
** A varint stores 7 bits per byte, low groups first, with the high bit of a
** byte set when another byte follows (the LEB128 form of DWARF and
** Protocol Buffers). A uint64_t takes 1..10 bytes. Zigzag maps signed to
** unsigned so that small magnitudes stay small: 0,-1,1,-2 -> 0,1,2,3
** (Protocol Buffers' sint64); it is computed in unsigned arithmetic so no
** signed overflow can occur.
*/
#ifndef SQZ_VARINT_H
#define SQZ_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define SQZ_VARINT_MAX 10 /* bytes of the longest uint64_t varint */

/* Bytes the varint of v takes, 1..10. */
static inline size_t sqz_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Writes v at dst (capacity bytes). Returns bytes written, 0 when it does not
** fit. */
static inline size_t sqz_varint_put(uint8_t *dst, size_t capacity, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    if (n >= capacity) return 0;
    dst[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  if (n >= capacity) return 0;
  dst[n++] = (uint8_t)v;
  return n;
}

/* Reads a varint from src (size bytes) into *v. Returns bytes read, or 0 when
** the input ends inside the varint, it is longer than 10 bytes, or its value
** does not fit 64 bits. */
static inline size_t sqz_varint_get(const uint8_t *src, size_t size, uint64_t *v) {
  uint64_t result = 0;
  for (size_t i = 0; i < size && i < SQZ_VARINT_MAX; i++) {
    uint64_t byte = src[i];
    if (i == 9 && byte > 1) return 0; /* bits past 64 */
    result |= (byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      *v = result;
      return i + 1;
    }
  }
  return 0;
}

static inline uint64_t sqz_zigzag_encode(int64_t v) {
  uint64_t u = (uint64_t)v;
  return (u << 1) ^ (0 - (u >> 63));
}

static inline int64_t sqz_zigzag_decode(uint64_t u) {
  return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

#endif /* SQZ_VARINT_H */

/*
** varint.h: unsigned LEB128 varints and zigzag, the one copy shared by the
** frame format, the chunk format and every codec that stores integers.
**
** A varint stores 7 bits per byte, low groups first, with the high bit of a
** byte set when another byte follows (the LEB128 form of DWARF and
** Protocol Buffers). A uint64_t takes 1..10 bytes; the 10th byte can only
** hold bit 63, so it is 0 or 1. The reader tells the two ways a varint can
** fail apart, in codec.h's error convention: TRUNCATED when the input ends
** before the varint does (more bytes could complete it), CORRUPT when no
** continuation could make it valid (an 11th byte would follow, or the 10th
** byte sets bits above 63). Like the encoders of those formats it accepts
** an over-long form (0x80 0x00 for 0); squeeze's writers never produce one.
**
** Zigzag maps the two's-complement bits of a signed value to an unsigned
** number that is small when the magnitude is small: 0,-1,1,-2 -> 0,1,2,3
** (Protocol Buffers' sint64). It works on uint64_t, so that the wrapped
** difference of two int64 needs no conversion and no signed overflow can
** occur.
*/
#ifndef SQZ_VARINT_H
#define SQZ_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

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

/* Writes v at dst (capacity bytes). Returns bytes written (1..10), or 0 when
** it does not fit (then some of dst may have been written). */
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

/* Reads the varint at src (size bytes available, src may be NULL when size
** is 0) into *v. Returns the bytes read (1..10), or an error:
**   TRUNCATED  the size bytes end before the varint does (size < 10 and
**              every byte has the continuation bit);
**   CORRUPT    the varint cannot fit 64 bits (10 bytes with continuation
**              bits, or a 10th byte above 1).
** *v is set only on success. Reads at most min(size, 10) bytes. */
static inline size_t sqz_varint_read(const uint8_t *src, size_t size, uint64_t *v) {
  uint64_t result = 0;
  for (size_t i = 0; i < SQZ_VARINT_MAX; i++) {
    if (i == size) return SQZ_ERROR(TRUNCATED);
    uint64_t byte = src[i];
    if (i == SQZ_VARINT_MAX - 1 && byte > 1) return SQZ_ERROR(CORRUPT); /* bits past 63 */
    result |= (byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) {
      *v = result;
      return i + 1;
    }
  }
  return SQZ_ERROR(CORRUPT); /* not reached: the 10th byte ends or fails above */
}

/* sqz_varint_read() at src[*pos], src holding size bytes (*pos <= size):
** on success advances *pos past the varint and returns 0; else returns the
** error (TRUNCATED or CORRUPT) and leaves *pos and *v alone. */
static inline size_t sqz_varint_take(const uint8_t *src, size_t size, size_t *pos, uint64_t *v) {
  size_t k = *pos < size ? sqz_varint_read(src + *pos, size - *pos, v) : SQZ_ERROR(TRUNCATED);
  if (sqz_is_error(k)) return k;
  *pos += k;
  return 0;
}

/* Zigzag of the two's-complement bits u of a signed value (pass an int64_t
** and it converts exactly): 0,-1,1,-2,... -> 0,1,2,3,... */
static inline uint64_t sqz_zigzag_encode(uint64_t u) {
  return (u << 1) ^ (0 - (u >> 63));
}

/* Inverse of sqz_zigzag_encode: the two's-complement bits of the signed
** value (sqz_int64_of() in bits.h gives the int64_t). */
static inline uint64_t sqz_zigzag_decode(uint64_t z) {
  return (z >> 1) ^ (0 - (z & 1));
}

#endif /* SQZ_VARINT_H */

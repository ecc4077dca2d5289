/*
** byteorder.h: little-endian loads and stores, the byte order of every
** squeeze format (docs/format.md), for any host. (Not "endian.h": with
** -Icodecs that name would hide the C library's <endian.h>, which
** <sys/types.h> includes.)
**
** Whole words go through memcpy (no alignment needed, no aliasing) and are
** byte-swapped on a big-endian host; the compilers turn each into one move
** on a little-endian one. sqz_load_le / sqz_store_le move the low n bytes
** (0..8) of a value, for the partial word at the end of a buffer. None of
** them checks bounds: the caller has n (or 2, 3, 4, 8) bytes at p.
*/
#ifndef SQZ_BYTEORDER_H
#define SQZ_BYTEORDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Non-zero on a little-endian host (a constant the compiler folds). */
static inline int sqz_host_is_le(void) {
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
  const union {
    uint32_t u;
    uint8_t c[4];
  } one = {1};
  return one.c[0];
#endif
}

/* v with its bytes in reverse order. */
static inline uint64_t sqz_bswap64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_bswap64(v);
#else
  v = (v & 0x00FF00FF00FF00FFull) << 8 | (v >> 8 & 0x00FF00FF00FF00FFull);
  v = (v & 0x0000FFFF0000FFFFull) << 16 | (v >> 16 & 0x0000FFFF0000FFFFull);
  return v << 32 | v >> 32;
#endif
}
static inline uint32_t sqz_bswap32(uint32_t v) {
  return (uint32_t)(sqz_bswap64(v) >> 32);
}
static inline uint16_t sqz_bswap16(uint16_t v) {
  return (uint16_t)(v << 8 | v >> 8);
}

static inline uint64_t sqz_load64le(const void *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return sqz_host_is_le() ? v : sqz_bswap64(v);
}
static inline void sqz_store64le(void *p, uint64_t v) {
  if (!sqz_host_is_le()) v = sqz_bswap64(v);
  memcpy(p, &v, 8);
}

static inline uint32_t sqz_load32le(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return sqz_host_is_le() ? v : sqz_bswap32(v);
}
static inline void sqz_store32le(void *p, uint32_t v) {
  if (!sqz_host_is_le()) v = sqz_bswap32(v);
  memcpy(p, &v, 4);
}

static inline uint16_t sqz_load16le(const void *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return sqz_host_is_le() ? v : sqz_bswap16(v);
}
static inline void sqz_store16le(void *p, uint16_t v) {
  if (!sqz_host_is_le()) v = sqz_bswap16(v);
  memcpy(p, &v, 2);
}

/* The n bytes at p (0 <= n <= 8) as the low bytes of a little-endian value;
** the bytes above them are zero. */
static inline uint64_t sqz_load_le(const void *p, size_t n) {
  const uint8_t *b = (const uint8_t *)p;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)b[i] << (8 * i);
  return v;
}

/* Stores the low n bytes of v (0 <= n <= 8) at p, little-endian. */
static inline void sqz_store_le(void *p, uint64_t v, size_t n) {
  uint8_t *b = (uint8_t *)p;
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

/* The 24-bit little-endian value at p, and its store (the low 24 bits of v). */
static inline uint32_t sqz_load24le(const void *p) {
  return (uint32_t)sqz_load_le(p, 3);
}
static inline void sqz_store24le(void *p, uint32_t v) {
  sqz_store_le(p, v, 3);
}

#endif /* SQZ_BYTEORDER_H */

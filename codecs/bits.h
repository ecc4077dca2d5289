/*
** bits.h: the bit helpers every codec shares, each defined for every input:
** leading and trailing zero counts (64 for 0), the bit width of a value, a
** mask of the low n bits for n up to 64 (no shift by 64, which C leaves
** undefined), and the IEEE-754 bits of a double and back.
**
** With GCC and Clang the counts are __builtin_clzll / __builtin_ctzll behind
** a test for 0 (on x86-64 with LZCNT/TZCNT the compiler drops the test: the
** instructions give 64 for 0 themselves); other compilers get a portable
** loop. Pure functions of their arguments: no state, no allocation.
*/
#ifndef SQZ_BITS_H
#define SQZ_BITS_H

#include <stdint.h>
#include <string.h>

/* Leading zero bits of v, 0..64 (64 when v == 0). */
static inline unsigned sqz_clz64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return v ? (unsigned)__builtin_clzll(v) : 64;
#else
  unsigned n = 0;
  if (!v) return 64;
  while (!(v >> 63)) {
    v <<= 1;
    n++;
  }
  return n;
#endif
}

/* Trailing zero bits of v, 0..64 (64 when v == 0). */
static inline unsigned sqz_ctz64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return v ? (unsigned)__builtin_ctzll(v) : 64;
#else
  unsigned n = 0;
  if (!v) return 64;
  while (!(v & 1)) {
    v >>= 1;
    n++;
  }
  return n;
#endif
}

/* Bits needed to write v in binary, 0..64: 0 for 0, else 64 - clz(v). The
** smallest power of two >= n (n >= 1) is 2^sqz_bit_width(n - 1). */
static inline unsigned sqz_bit_width(uint64_t v) {
  return 64 - sqz_clz64(v);
}

/* A mask of the low n bits, 0 <= n <= 64 (all ones for n >= 64). */
static inline uint64_t sqz_mask64(unsigned n) {
  return n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
}

/* The 64 bits of an IEEE-754 double, and the double of 64 bits (memcpy: no
** aliasing, no conversion; NaN payloads and -0.0 pass unchanged). */
static inline uint64_t sqz_double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static inline double sqz_bits_double(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* The int64 whose two's-complement bits are u, without the
** implementation-defined conversion of an out-of-range uint64_t. */
static inline int64_t sqz_int64_of(uint64_t u) {
  return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

#endif /* SQZ_BITS_H */

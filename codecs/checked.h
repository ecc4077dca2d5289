/*
** checked.h: size_t arithmetic that reports overflow instead of wrapping,
** for every size computed from a caller's or a blob's numbers (bounds,
** allocation sizes, capacities). A size that does not fit size_t is then an
** error (TOO_LARGE, or a bound of 0) rather than a small wrapped number that
** a later write overruns.
**
** GCC and Clang compute them with __builtin_add_overflow /
** __builtin_mul_overflow; other compilers get the division test.
*/
#ifndef SQZ_CHECKED_H
#define SQZ_CHECKED_H

#include <stddef.h>
#include <stdint.h>

/* *out = a + b. Returns 0, or 1 when the sum does not fit size_t (then *out
** holds the wrapped sum and must not be used). */
static inline int sqz_add_overflow(size_t a, size_t b, size_t *out) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_add_overflow(a, b, out);
#else
  *out = a + b;
  return *out < a;
#endif
}

/* *out = a * b. Returns 0, or 1 when the product does not fit size_t (then
** *out must not be used). */
static inline int sqz_mul_overflow(size_t a, size_t b, size_t *out) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_mul_overflow(a, b, out);
#else
  *out = a * b;
  return a != 0 && *out / a != b;
#endif
}

#endif /* SQZ_CHECKED_H */

/*
** alp_scale.h: the decimal scaling of ALP, shared by the two codecs that
** store doubles as scaled integers: alp (codecs/alp.c) and decimal
** (codecs/decimal.c). Private to those files; not part of the public
** interface.
**
** Source: A. Afroozeh, L. X. Kuffo, P. Boncz, "ALP: Adaptive Lossless
** floating-Point Compression", SIGMOD 2024, section 3, with squeeze's exact
** decoding (docs/format/alp.md): a double v is the integer
** d = round(v * 10^e * 10^-f) when ((double)d * 10^f) / 10^e gives v back bit
** for bit; the division by the exact power 10^e is correctly rounded, so a
** double that is the nearest double to a decimal with e digits after the
** point always comes back with that e.
**
** Every file that includes this header must turn off floating-point
** contraction before its includes (see the top of alp.c): the encoder's and
** the decoder's arithmetic must be the same IEEE-754 double operations, one
** at a time, on every machine.
*/
#ifndef SQZ_ALP_SCALE_H
#define SQZ_ALP_SCALE_H

#include <float.h>
#include <stdint.h>
#include <string.h>

#include "bits.h"
#include "byteorder.h"

/* 2 (x87) and 128 evaluate double in a wider type; 0, 1, 16, 32, 64 do not */
#if defined(FLT_EVAL_METHOD) && (FLT_EVAL_METHOD == 2 || FLT_EVAL_METHOD > 64)
#error "ALP scaling needs double arithmetic in double (on 32-bit x86: -msse2 -mfpmath=sse)"
#endif

#define ALP_MAX_EXP 18 /* e and f lie in 0..18 */
#define ALP_COMBOS 37  /* (e,0) for e = 0..18 and (0,f) for f = 1..18 */

/* 1.5 * 2^52: adding it to |x| < 2^51 leaves x rounded in the low mantissa. */
#define ALP_MAGIC 6755399441055744.0
#define ALP_MAGIC_BITS 0x4338000000000000ull
#define ALP_LIMIT 2251799813685248.0 /* 2^51: scaled values must stay inside +-this */

static const double pow10_exact[ALP_MAX_EXP + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                    1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                    1e14, 1e15, 1e16, 1e17, 1e18};
static const double pow10_neg[ALP_MAX_EXP + 1] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,
                                                  1e-7,  1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13,
                                                  1e-14, 1e-15, 1e-16, 1e-17, 1e-18};

/* The value that integer d stands for under (e, f): (d * 10^f) / 10^e, in
** double arithmetic. The formats' definition; encoders and decoders share it. */
static inline double alp_decode_int(int64_t d, unsigned e, unsigned f) {
  double x = (double)d * pow10_exact[f];
  return x / pow10_exact[e];
}

/* d = round(v * 10^e * 10^-f) through fast rounding. Returns 0 (and leaves
** *d alone) when the scaled value is NaN or outside +-2^51. */
static inline int alp_encode_value(double v, unsigned e, unsigned f, int64_t *d) {
  double scaled = v * pow10_exact[e];
  scaled = scaled * pow10_neg[f];
  if (!(scaled > -ALP_LIMIT && scaled < ALP_LIMIT)) return 0;
  double r = scaled + ALP_MAGIC;
  r = r - ALP_MAGIC;
  *d = (int64_t)r;
  return 1;
}

/* v encodes exactly under (e, f): sets *d and returns 1. */
static inline int alp_exact(uint64_t bits, unsigned e, unsigned f, int64_t *d) {
  return alp_encode_value(sqz_bits_double(bits), e, f, d) &&
         sqz_double_bits(alp_decode_int(*d, e, f)) == bits;
}

typedef struct alp_combo {
  uint8_t e, f;
} alp_combo;

/* The i-th pair the encoders try, i < ALP_COMBOS, in order of preference on
** ties: (0,0), (1,0) .. (18,0), then (0,1) .. (0,18). */
static inline alp_combo alp_combo_at(unsigned i) {
  alp_combo c;
  c.e = (uint8_t)(i <= ALP_MAX_EXP ? i : 0);
  c.f = (uint8_t)(i <= ALP_MAX_EXP ? 0 : i - ALP_MAX_EXP);
  return c;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&                        \
    (defined(__GNUC__) || defined(__clang__))
#define ALP_VECTOR_EXT 1
typedef double alp_v4d __attribute__((vector_size(32)));
typedef uint64_t alp_v4u __attribute__((vector_size(32)));
#endif

/* out[i] = ((the double with bits u[i]) - 1.5*2^52) * mul / div, i < count,
** stored little-endian: the exact conversion of d = u[i] - magic bits, then
** the format's (d * 10^f) / 10^e. Division is the bottleneck of decoding,
** so on little-endian hosts it runs on GCC/Clang vectors (divpd on x86-64),
** lane by lane the same IEEE operations as the scalar loop. */
static inline void alp_scale_out(uint8_t *out, const uint64_t *u, unsigned count, double mul,
                                 double div) {
  unsigned i = 0;
#ifdef ALP_VECTOR_EXT
  const alp_v4d vmagic = {ALP_MAGIC, ALP_MAGIC, ALP_MAGIC, ALP_MAGIC};
  const alp_v4d vmul = {mul, mul, mul, mul}, vdiv = {div, div, div, div};
  for (; i + 4 <= count; i += 4) {
    alp_v4d x;
    memcpy(&x, u + i, sizeof x);
    x = x - vmagic;
    x = x * vmul;
    x = x / vdiv;
    memcpy(out + 8 * (size_t)i, &x, sizeof x);
  }
#endif
  for (; i < count; i++) {
    double x = sqz_bits_double(u[i]) - ALP_MAGIC;
    x = x * mul;
    sqz_store64le(out + 8 * (size_t)i, sqz_double_bits(x / div));
  }
}

/* The loop of alp_scale_ints() over whole groups of four; returns how many
** values it converted. A macro, so that an AVX2 copy can be compiled from
** the same text. */
#define ALP_SCALE_INTS_BODY                                                                        \
  size_t i = 0;                                                                                    \
  const alp_v4u vbias = {(uint64_t)1 << 51, (uint64_t)1 << 51, (uint64_t)1 << 51,                  \
                         (uint64_t)1 << 51};                                                       \
  const alp_v4u vbits = {ALP_MAGIC_BITS, ALP_MAGIC_BITS, ALP_MAGIC_BITS, ALP_MAGIC_BITS};          \
  const alp_v4d vmagic = {ALP_MAGIC, ALP_MAGIC, ALP_MAGIC, ALP_MAGIC};                             \
  const alp_v4d vmul = {mul, mul, mul, mul}, vdiv = {div, div, div, div};                          \
  for (; i + 4 <= count; i += 4) {                                                                 \
    alp_v4u u;                                                                                     \
    alp_v4d x;                                                                                     \
    memcpy(&u, buf + 8 * i, sizeof u);                                                             \
    alp_v4u t = (u + vbias) >> 52;                                                                 \
    if (t[0] | t[1] | t[2] | t[3]) {                                                               \
      x = (alp_v4d){(double)(int64_t)u[0], (double)(int64_t)u[1], (double)(int64_t)u[2],           \
                    (double)(int64_t)u[3]};                                                        \
    } else {                                                                                       \
      u = u + vbits;                                                                               \
      memcpy(&x, &u, sizeof x);                                                                    \
      x = x - vmagic;                                                                              \
    }                                                                                              \
    x = x * vmul;                                                                                  \
    x = x / vdiv;                                                                                  \
    memcpy(buf + 8 * i, &x, sizeof x);                                                             \
  }                                                                                                \
  return i;

#ifdef ALP_VECTOR_EXT
static inline size_t alp_scale_ints_vec(uint8_t *buf, size_t count, double mul, double div) {
  ALP_SCALE_INTS_BODY
}
/* On x86-64 with GCC or Clang, the same loop compiled for AVX2 (four
** divisions at once instead of two) is chosen at run time when the CPU has
** it: IEEE division and multiplication round the same at every width, so
** the bits do not change. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__AVX2__)
#define ALP_AVX2_DISPATCH 1
__attribute__((target("avx2"))) static inline size_t alp_scale_ints_avx2(uint8_t *buf, size_t count,
                                                                         double mul, double div) {
  ALP_SCALE_INTS_BODY
}
#endif
#endif

/* In place: the count little-endian int64 d at buf become the little-endian
** doubles ((double)d * mul) / div, the formats' alp_decode_int() for every
** d. Four at a time on vectors where alp_scale_out() uses them: when the
** four lie in [-2^51, 2^51), d + the magic bits is the bit pattern of
** 1.5*2^52 + d, an exact conversion with integer adds; otherwise the four
** are converted one by one (rounding to nearest, as alp_decode_int does).
** Lane by lane the same IEEE operations as the scalar loop. */
static inline void alp_scale_ints(uint8_t *buf, size_t count, double mul, double div) {
  size_t i = 0;
#ifdef ALP_AVX2_DISPATCH
  if (__builtin_cpu_supports("avx2")) {
    i = alp_scale_ints_avx2(buf, count, mul, div);
  } else {
    i = alp_scale_ints_vec(buf, count, mul, div);
  }
#elif defined(ALP_VECTOR_EXT)
  i = alp_scale_ints_vec(buf, count, mul, div);
#endif
  for (; i < count; i++) {
    double x = (double)sqz_int64_of(sqz_load64le(buf + 8 * i)) * mul;
    sqz_store64le(buf + 8 * i, sqz_double_bits(x / div));
  }
}

#endif /* SQZ_ALP_SCALE_H */

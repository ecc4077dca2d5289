/*
** alp_pack.h: the bit-packing and unpacking kernels of the alp codec (codecs/alp.c),
** also used by the packed sequences of the bins codec (codecs/bins.c).
** Private to those files; not part of the public interface.
**
** Layout (docs/format/alp.md): value i of a packed array of width bw bits
** occupies bits [i*bw, (i+1)*bw) of the array, bit 0 being the least
** significant bit of byte 0 (the LSB-first order of bitstream.h). Eight
** values of width bw fill exactly bw bytes, so each group of eight starts on
** a byte boundary and, for a width known at compile time, the byte offset
** and shift of each of its values are constants. alp_unpack() dispatches to
** one such kernel per width 0..56 (a field of up to 56 bits, shifted by up
** to 7, fits one 8-byte load) and handles wider fields and the tail of a
** partial group with the generic extractors.
**
** Every extractor loads 8 bytes starting at the byte that holds the field's
** first bit, so it may read up to 8 bytes past the packed array: callers
** pass a "loadable" area (alp.c: loadable()), either inside src with 8
** bytes to spare or a zero-padded copy.
**
** alp_pack() is the encoder's side: it writes exactly the packed bytes.
*/
#ifndef SQZ_ALP_PACK_H
#define SQZ_ALP_PACK_H

#include <stdint.h>

#include "bits.h"
#include "byteorder.h"

/* The field of bw <= 56 bits (mask = its low-bit mask) at bit offset off. */
static inline uint64_t alp_extract(const uint8_t *in, uint64_t off, uint64_t mask) {
  return (sqz_load64le(in + (off >> 3)) >> (off & 7)) & mask;
}

/* The field of bw <= 64 bits at bit offset off. */
static inline uint64_t alp_extract_wide(const uint8_t *in, uint64_t off, unsigned bw) {
  const uint8_t *p = in + (off >> 3);
  unsigned s = (unsigned)(off & 7);
  uint64_t v = sqz_load64le(p) >> s;
  if (s + bw > 64) v |= (uint64_t)p[8] << (64 - s); /* s >= 1 here */
  return v & sqz_mask64(bw);
}

/* One kernel per width: u[0..8*groups) = field + add (mod 2^64). */
typedef void (*alp_unpack_fn)(uint64_t *u, const uint8_t *in, unsigned groups, uint64_t add);

#define ALP_FIELD(BW, J) (((sqz_load64le(in + (J) * (BW) / 8) >> ((J) * (BW) % 8)) & mask) + add)
#define ALP_UNPACK_KERNEL(BW)                                                                      \
  static void alp_unpack_##BW(uint64_t *u, const uint8_t *in, unsigned groups, uint64_t add) {     \
    const uint64_t mask = sqz_mask64(BW);                                                          \
    for (unsigned g = 0; g < groups; g++, in += (BW), u += 8) {                                    \
      u[0] = ALP_FIELD(BW, 0);                                                                     \
      u[1] = ALP_FIELD(BW, 1);                                                                     \
      u[2] = ALP_FIELD(BW, 2);                                                                     \
      u[3] = ALP_FIELD(BW, 3);                                                                     \
      u[4] = ALP_FIELD(BW, 4);                                                                     \
      u[5] = ALP_FIELD(BW, 5);                                                                     \
      u[6] = ALP_FIELD(BW, 6);                                                                     \
      u[7] = ALP_FIELD(BW, 7);                                                                     \
    }                                                                                              \
  }
#define ALP_UNPACK_8_KERNELS(A, B, C, D, E, F, G, H)                                               \
  ALP_UNPACK_KERNEL(A)                                                                             \
  ALP_UNPACK_KERNEL(B)                                                                             \
  ALP_UNPACK_KERNEL(C)                                                                             \
  ALP_UNPACK_KERNEL(D)                                                                             \
  ALP_UNPACK_KERNEL(E)                                                                             \
  ALP_UNPACK_KERNEL(F)                                                                             \
  ALP_UNPACK_KERNEL(G)                                                                             \
  ALP_UNPACK_KERNEL(H)

ALP_UNPACK_8_KERNELS(0, 1, 2, 3, 4, 5, 6, 7)
ALP_UNPACK_8_KERNELS(8, 9, 10, 11, 12, 13, 14, 15)
ALP_UNPACK_8_KERNELS(16, 17, 18, 19, 20, 21, 22, 23)
ALP_UNPACK_8_KERNELS(24, 25, 26, 27, 28, 29, 30, 31)
ALP_UNPACK_8_KERNELS(32, 33, 34, 35, 36, 37, 38, 39)
ALP_UNPACK_8_KERNELS(40, 41, 42, 43, 44, 45, 46, 47)
ALP_UNPACK_8_KERNELS(48, 49, 50, 51, 52, 53, 54, 55)
ALP_UNPACK_KERNEL(56)

static const alp_unpack_fn alp_unpackers[57] = {
    alp_unpack_0,  alp_unpack_1,  alp_unpack_2,  alp_unpack_3,  alp_unpack_4,  alp_unpack_5,
    alp_unpack_6,  alp_unpack_7,  alp_unpack_8,  alp_unpack_9,  alp_unpack_10, alp_unpack_11,
    alp_unpack_12, alp_unpack_13, alp_unpack_14, alp_unpack_15, alp_unpack_16, alp_unpack_17,
    alp_unpack_18, alp_unpack_19, alp_unpack_20, alp_unpack_21, alp_unpack_22, alp_unpack_23,
    alp_unpack_24, alp_unpack_25, alp_unpack_26, alp_unpack_27, alp_unpack_28, alp_unpack_29,
    alp_unpack_30, alp_unpack_31, alp_unpack_32, alp_unpack_33, alp_unpack_34, alp_unpack_35,
    alp_unpack_36, alp_unpack_37, alp_unpack_38, alp_unpack_39, alp_unpack_40, alp_unpack_41,
    alp_unpack_42, alp_unpack_43, alp_unpack_44, alp_unpack_45, alp_unpack_46, alp_unpack_47,
    alp_unpack_48, alp_unpack_49, alp_unpack_50, alp_unpack_51, alp_unpack_52, alp_unpack_53,
    alp_unpack_54, alp_unpack_55, alp_unpack_56};

/* u[i] = (field i of width bw, 0..64) + add (mod 2^64), for i < count, from
** a loadable area. */
static inline void alp_unpack(uint64_t *u, const uint8_t *in, unsigned count, unsigned bw,
                              uint64_t add) {
  unsigned i = 0;
  if (bw <= 56) {
    const uint64_t mask = sqz_mask64(bw);
    alp_unpackers[bw](u, in, count / 8, add);
    for (i = count & ~7u; i < count; i++)
      u[i] = alp_extract(in, (uint64_t)i * bw, mask) + add;
  } else {
    for (; i < count; i++)
      u[i] = alp_extract_wide(in, (uint64_t)i * bw, bw) + add;
  }
}

/* Packs the low bw bits (0..64) of v[0..count) at dst, exactly
** ceil(count * bw / 8) bytes, in the layout above: whole 64-bit words while
** they fill, then the bytes of the last partial word (zero-padded). */
static inline void alp_pack(uint8_t *dst, const uint64_t *v, unsigned count, unsigned bw) {
  const uint64_t mask = sqz_mask64(bw);
  uint64_t acc = 0;
  unsigned used = 0; /* bits of acc in use, 0..63 */
  for (unsigned i = 0; i < count; i++) {
    uint64_t x = v[i] & mask;
    acc |= x << used;
    if (used + bw < 64) {
      used += bw;
      continue;
    }
    sqz_store64le(dst, acc);
    dst += 8;
    used = used + bw - 64; /* bits of x that did not fit */
    acc = used ? x >> (bw - used) : 0;
  }
  sqz_store_le(dst, acc, (used + 7) / 8);
}

#endif /* SQZ_ALP_PACK_H */

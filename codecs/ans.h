/*
** ans.h: tabled asymmetric numeral systems (tANS), the entropy coder of the
** bins codec (codecs/bins.c, docs/format/bins.md). Private to codecs/; not
** part of the public interface.
**
** Source: J. Duda, "Asymmetric numeral systems: entropy coding combining
** speed of Huffman coding with compression rate of arithmetic coding",
** arXiv:1311.2540 (2013), section 4 (tANS); the symbol spread by a constant
** odd step is the one Y. Collet's FSE (github.com/Cyan4973/FiniteStateEntropy)
** made common, and Pcodec (M. Loncaric et al., "Pcodec: Better Compression
** for Numerical Sequences", arXiv:2502.06112, 2025) codes its bins with tANS
** the same way. The code is squeeze's own.
**
** A table of R = 2^log states (log 0..SQZ_ANS_LOG_MAX) is shared out among
** nsym symbols (1..SQZ_ANS_SYMBOLS): symbol s owns weight[s] >= 1 states,
** the weights summing to R, so it costs about log2(R / weight[s]) bits, a
** fraction of a bit for a frequent symbol and 0 when one symbol owns every
** state. States are numbered 0..R-1 here (the paper's x - R).
**
** Decoding, from state x: the entry of x gives the symbol, a bit count nb
** and a base; the next state is base + the next nb bits of the stream.
** Encoding runs the other way, from the last symbol to the first: from the
** state the decoder will reach after a symbol, it emits nb low bits and moves
** to a state of that symbol (sqz_ans_encode). The bins codec interleaves
** four such states (symbol i on state i mod 4) and writes the bits the
** encoder emits in the order the decoder reads them.
**
** Every function here is deterministic integer arithmetic (no libm), so
** every machine builds the same tables and writes the same bytes.
*/
#ifndef SQZ_ANS_H
#define SQZ_ANS_H

#include <stddef.h>
#include <stdint.h>

#include "bits.h"

#define SQZ_ANS_LOG_MAX 12  /* at most 2^12 states */
#define SQZ_ANS_SYMBOLS 256 /* symbols 0..255 */

/* A decoding table entry (8 bytes, so a table of 2^12 fits a level-1
** cache): from this state the decoder emits sym and moves to base + the
** next nb bits (nb = 0..log, mask = 2^nb - 1). aux is the caller's: zero
** after sqz_ans_decoder_init(), free for a per-symbol property the decoding
** loop wants without a second lookup. */
typedef struct sqz_ans_entry {
  uint16_t base;
  uint16_t mask;
  uint8_t nb;
  uint8_t sym;
  uint16_t aux;
} sqz_ans_entry;

/* The encoding tables for one set of weights (sqz_ans_encoder_init). */
typedef struct sqz_ans_encoder {
  unsigned log;                          /* table log */
  uint16_t state[1u << SQZ_ANS_LOG_MAX]; /* per symbol, its states ascending */
  uint32_t first[SQZ_ANS_SYMBOLS];       /* index in state[] of symbol s's first state */
  uint32_t weight[SQZ_ANS_SYMBOLS];      /* the weights */
  uint8_t top[SQZ_ANS_SYMBOLS];          /* floor(log2(weight[s])) */
  uint8_t spread[1u << SQZ_ANS_LOG_MAX]; /* the symbol of each state */
} sqz_ans_encoder;

/* log2(x) in 16.16 fixed point for x >= 1 (0 for x == 0), exact to the
** last fractional bit the bitwise squaring method gives: the integer part
** is the bit width minus one, each fractional bit one squaring of the
** mantissa. Used for size estimates that must come out the same everywhere. */
static inline uint64_t sqz_log2_fx(uint64_t x) {
  if (x == 0) return 0;
  unsigned e = sqz_bit_width(x) - 1;
  uint64_t m = e >= 31 ? x >> (e - 31) : x << (31 - e); /* [2^31, 2^32) */
  uint64_t frac = 0;
  for (int i = 0; i < 16; i++) {
    m = (m * m) >> 31; /* [2^31, 2^33) */
    frac <<= 1;
    if (m >> 32) {
      m >>= 1;
      frac |= 1;
    }
  }
  return ((uint64_t)e << 16) | frac;
}

/* Shares R = 2^log states among nsym symbols (1..SQZ_ANS_SYMBOLS) in
** proportion to count[]: a symbol that occurs (count >= 1) gets weight >= 1,
** one that does not gets 0, and the weights sum to R. Each symbol first
** gets max(1, floor(count * R / total)); the states left over go one each
** to the symbols with the largest remainders of that division (largest
** remainder apportionment; ties to the lower symbol), and states taken back
** (when the minimum of 1 overshoots) come from the symbol that loses least
** (smallest count / (weight - 1) among weights above 1). Integer
** arithmetic only. Returns 0,
** or SQZ_ERROR(PARAMETER) when nsym or log is out of range, or no symbol or
** more than R symbols occur. */
size_t sqz_ans_normalize(const uint32_t *count, unsigned nsym, unsigned log, uint32_t *weight);

/* The bits of coding count[s] occurrences of each symbol with weight[s] of
** the 2^log states (weight >= 1 wherever count >= 1): sum of count * (log -
** log2(weight)), in 16.16 fixed point (sqz_log2_fx). What the stream costs
** within a few bits. */
uint64_t sqz_ans_cost_fx(const uint32_t *count, const uint32_t *weight, unsigned nsym,
                         unsigned log);

/* Builds the encoder for nsym weights summing to 2^log (as from
** sqz_ans_normalize; log <= SQZ_ANS_LOG_MAX, nsym <= SQZ_ANS_SYMBOLS). A
** symbol of weight 0 must never be encoded. */
void sqz_ans_encoder_init(sqz_ans_encoder *enc, const uint32_t *weight, unsigned nsym,
                          unsigned log);

/* Encodes symbol s from state *x (0..R-1: the state the decoder reaches
** after s): *x becomes the state the decoder starts s from, *bits the low
** nb bits the decoder reads to get back; returns nb (0..log). */
static inline unsigned sqz_ans_encode(const sqz_ans_encoder *enc, uint32_t *x, unsigned s,
                                      uint32_t *bits) {
  uint32_t R = (uint32_t)1 << enc->log, X = *x + R, w = enc->weight[s];
  unsigned nb = enc->log - enc->top[s];
  if ((X >> nb) < w) nb--; /* then X >> nb lies in [w, 2w) */
  *bits = X & (uint32_t)sqz_mask64(nb);
  *x = enc->state[enc->first[s] + (X >> nb) - w];
  return nb;
}

/* Fills table[0 .. 2^log) for nsym weights that the caller has checked:
** sum 2^log (a weight of 0 is a symbol that never occurs), nsym <=
** SQZ_ANS_SYMBOLS, log <= SQZ_ANS_LOG_MAX. */
void sqz_ans_decoder_init(sqz_ans_entry *table, const uint32_t *weight, unsigned nsym,
                          unsigned log);

#endif /* SQZ_ANS_H */

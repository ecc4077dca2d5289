/*
** ans.c: table construction of the tANS coder (ans.h): weights from counts,
** the spread of symbols over the states, and the encoding and decoding
** tables built from it. The per-symbol steps are inline in ans.h (encoding)
** and in bins.c (decoding, four states at a time).
**
** The spread: symbol 0's weight[0] states, then symbol 1's, and so on, are
** laid on the states 0, step, 2 step, ... modulo R, with the odd step
** R/2 + R/8 + 3 (or 1 above it), so every state is visited once and each
** symbol's states are scattered over the whole table. In the decoder, the
** k-th state of symbol s (in ascending order) has y = weight[s] + k in
** [weight[s], 2 weight[s]): it reads nb = log - floor(log2(y)) bits and
** moves to (y << nb) - R + those bits. The encoder inverts exactly this map.
*/
#include "ans.h"

#include "codec.h"

/* The spread step for R states: odd, so it is coprime with R = 2^log. */
static uint32_t ans_step(uint32_t R) {
  return ((R >> 1) + (R >> 3) + 3) | 1;
}

/* spread[p] = the symbol that owns state p. */
static void ans_spread(uint8_t *spread, const uint32_t *weight, unsigned nsym, unsigned log) {
  uint32_t R = (uint32_t)1 << log, mask = R - 1, step = ans_step(R), p = 0;
  for (unsigned s = 0; s < nsym; s++) {
    for (uint32_t k = 0; k < weight[s]; k++) {
      spread[p] = (uint8_t)s;
      p = (p + step) & mask;
    }
  }
}

size_t sqz_ans_normalize(const uint32_t *count, unsigned nsym, unsigned log, uint32_t *weight) {
  uint32_t R = (uint32_t)1 << log;
  uint64_t total = 0;
  unsigned present = 0;
  if (nsym == 0 || nsym > SQZ_ANS_SYMBOLS || log > SQZ_ANS_LOG_MAX) return SQZ_ERROR(PARAMETER);
  for (unsigned s = 0; s < nsym; s++) {
    total += count[s];
    present += count[s] != 0;
  }
  if (present == 0 || present > R) return SQZ_ERROR(PARAMETER);
  uint64_t sum = 0;
  for (unsigned s = 0; s < nsym; s++) {
    uint64_t w = (uint64_t)count[s] * R / total;
    weight[s] = count[s] ? (uint32_t)(w ? w : 1) : 0;
    sum += weight[s];
  }
  /* the states left over (fewer than the symbols: each floor lost less
  ** than one) go one each to the symbols with the largest remainders of
  ** count * R / total (not to those already raised to 1), ties to the
  ** lower symbol */
  if (sum < R) {
    uint64_t rem[SQZ_ANS_SYMBOLS];
    for (unsigned s = 0; s < nsym; s++)
      rem[s] = (uint64_t)count[s] * R >= total ? (uint64_t)count[s] * R % total : 0;
    while (sum < R) {
      unsigned best = nsym;
      for (unsigned s = 0; s < nsym; s++)
        if (count[s] && (best == nsym || rem[s] > rem[best])) best = s;
      weight[best]++;
      rem[best] = 0;
      sum++;
    }
  }
  while (sum > R) {
    unsigned best = nsym;
    for (unsigned s = 0; s < nsym; s++) {
      if (weight[s] <= 1) continue;
      if (best == nsym ||
          (uint64_t)count[s] * (weight[best] - 1) < (uint64_t)count[best] * (weight[s] - 1))
        best = s;
    }
    weight[best]--; /* a weight above 1 exists: sum > R >= present */
    sum--;
  }
  return 0;
}

uint64_t sqz_ans_cost_fx(const uint32_t *count, const uint32_t *weight, unsigned nsym,
                         unsigned log) {
  uint64_t bits = 0;
  for (unsigned s = 0; s < nsym; s++)
    if (count[s]) bits += (uint64_t)count[s] * (((uint64_t)log << 16) - sqz_log2_fx(weight[s]));
  return bits;
}

void sqz_ans_encoder_init(sqz_ans_encoder *enc, const uint32_t *weight, unsigned nsym,
                          unsigned log) {
  uint32_t R = (uint32_t)1 << log, next[SQZ_ANS_SYMBOLS], first = 0;
  enc->log = log;
  for (unsigned s = 0; s < nsym; s++) {
    enc->weight[s] = weight[s];
    enc->top[s] = (uint8_t)(weight[s] ? sqz_bit_width(weight[s]) - 1 : 0);
    enc->first[s] = first;
    next[s] = first;
    first += weight[s];
  }
  ans_spread(enc->spread, weight, nsym, log);
  for (uint32_t p = 0; p < R; p++)
    enc->state[next[enc->spread[p]]++] = (uint16_t)p;
}

void sqz_ans_decoder_init(sqz_ans_entry *table, const uint32_t *weight, unsigned nsym,
                          unsigned log) {
  uint32_t R = (uint32_t)1 << log, y[SQZ_ANS_SYMBOLS];
  uint8_t spread[1u << SQZ_ANS_LOG_MAX];
  ans_spread(spread, weight, nsym, log);
  for (unsigned s = 0; s < nsym; s++)
    y[s] = weight[s];
  for (uint32_t p = 0; p < R; p++) {
    unsigned s = spread[p];
    uint32_t ys = y[s]++;
    unsigned nb = log - (sqz_bit_width(ys) - 1);
    table[p].base = (uint16_t)((ys << nb) - R);
    table[p].mask = (uint16_t)sqz_mask64(nb);
    table[p].nb = (uint8_t)nb;
    table[p].sym = (uint8_t)s;
    table[p].aux = 0;
  }
}

/*
** alp.c: the `alp` codec, Adaptive Lossless floating-Point compression for
** arrays of little-endian doubles.
**
** Source: A. Afroozeh, L. X. Kuffo, P. Boncz, "ALP: Adaptive Lossless
** floating-Point Compression", SIGMOD 2024 (reference implementation
** github.com/cwida/ALP). The byte format is squeeze's own and is specified in
** docs/format/alp.md.
**
** Most doubles in real tables were once short decimals: 1016.6 hPa, 12.35 EUR.
** Such a value v is stored as the integer d = round(v * 10^e * 10^-f) and
** decoded as (d * 10^f) / 10^e. The integers of a vector of 1024 values are
** then frame-of-reference coded (minus their minimum) and bit-packed, so
** 1024 prices with two decimals in a range of 2.55 cost 8 bits each instead
** of 64. Every value is verified at encoding time: a value that does not
** decode back bit for bit (-0.0, NaN, infinities, subnormals, values whose
** scaled integer leaves +-2^51, values with more digits than the vector's
** exponent) becomes an exception, stored verbatim with its position.
**
** Choosing (e, f). Trying every pair on every vector would be slow, so ALP
** samples twice. Per row group of 100 vectors, 8 vectors are sampled (32
** values each), every pair is tried on each sample and the pairs that win
** most often are kept (at most 5). Per vector, those few candidates are tried
** on 32 of its values and the best one, by estimated bits (packed width plus
** 80 bits per exception), encodes the whole vector.
**
** Two deliberate differences from the paper, both about exactness:
**   - decoding divides by the exact power 10^e (IEEE division is correctly
**     rounded) instead of multiplying by the inexact 10^-e. A double that is
**     the nearest double to a decimal with e digits after the point (what
**     strtod and round(x*100)/100 produce) therefore always decodes exactly
**     with that e, with no search for a lucky pair. Division is the
**     slowest step of decoding, so it runs on vectors of doubles
**     (alp_scale_out in alp_scale.h); decoding stays 4.7 to 8x faster than zstd -1 on the
**     series of bench/bench_alp.c.
**   - because of that, pairs with the same e - f decode alike, so the factor
**     is put to the other use the paper gives it, cutting trailing zeros:
**     the encoder tries (e, 0) for e = 0..18 and (0, f) for f = 1..18, so
**     1200000.0 is stored as 12 with f = 5. The decoder accepts any e, f in
**     0..18.
**
** ALP_rd, for doubles that are not decimals (sensor readings at full
** precision, results of arithmetic). The 64 bits of each value are cut in a
** left part of L bits (1..16: sign, exponent and the top of the mantissa)
** and a right part of 64-L bits. The left parts of a vector take few
** distinct values; they are replaced by codes of w bits (0..3) into a
** dictionary of 2^w entries, and the rare left parts outside the dictionary
** become exceptions (position and left part). The right parts are
** bit-packed. The paper chooses the cut and the dictionary once per row
** group from a sample; squeeze chooses both per vector from all its values
** (a sort of the top 16 bits, then one pass over the distinct keys per cut),
** which follows a drifting series far better (about 49 bits per value on a
** full-precision random walk where a per-row-group dictionary needs 52.7).
**
** Per vector the encoder keeps the smallest of ALP, ALP_rd and the raw
** doubles, so the output never exceeds the input by more than one byte per
** 1024 values (alp_bound).
**
** Fast rounding (the paper's trick): for |x| < 2^51, x + 1.5*2^52 - 1.5*2^52
** is x rounded to the nearest integer, with no call to rint. The decoder
** uses the same constant the other way round to turn a 51-bit integer into
** a double with integer adds only.
**
** Arithmetic is plain IEEE-754 double: no fused multiply-add (contraction is
** off) and no fast-math, so every machine computes the same bits and the
** output is deterministic. The decoder checks every field against the
** format's ranges and never reads outside src nor writes outside dst.
**
** Usage (SQL): SELECT compress(blob_of_doubles, 'alp');
*/
/* Deterministic output needs every double operation rounded to double, one
** at a time: no x87 excess precision and no multiply-add contraction (GCC
** contracts across statements in its GNU modes; the pragma comes before the
** includes so that every function of this file, inline helpers included,
** has the same options). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <stdint.h>
#include <string.h>

#include "alp_pack.h"
#include "alp_scale.h"
#include "bits.h"
#include "byteorder.h"
#include "codec.h"
#include "pool.h"
#include "varint.h"

#define ALP_VECTOR 1024    /* values per vector */
#define ALP_RG_VECTORS 100 /* vectors per row group (first-level sampling) */
#define ALP_RG_SAMPLED 8   /* vectors sampled per row group */
#define ALP_SAMPLES 32     /* values sampled per sampled vector */
#define ALP_MAX_K 5        /* (e, f) candidates kept per row group */
#define ALP_EARLY_EXIT 2   /* second level stops after this many worse candidates */
#define ALP_EXC_BITS 80    /* an ALP exception: 16-bit position + 64-bit value */
#define RD_MAX_LEFT 16     /* left part: 1..16 bits */
#define RD_MAX_CODE_BITS 3 /* dictionary of at most 8 entries */
#define RD_MAX_DICT (1u << RD_MAX_CODE_BITS)

/* The vector mode byte (docs/format/alp.md); values up to MODE_RESERVED are
** kept for later modes (VERSION when unknown), the rest are never modes. */
enum { MODE_RAW = 0, MODE_ALP = 1, MODE_RD = 2, MODE_RESERVED = 15 };

static inline size_t packed_bytes(unsigned count, unsigned bw) {
  return ((size_t)count * bw + 7) / 8;
}

/* Estimated ALP bits for m sampled values under c: m * packed width plus
** ALP_EXC_BITS per exception. *exact gets the number of values that encode. */
static uint64_t estimate_alp(const uint64_t *bits, unsigned m, alp_combo c, unsigned *exact) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  unsigned ok = 0;
  for (unsigned i = 0; i < m; i++) {
    int64_t d;
    if (!alp_exact(bits[i], c.e, c.f, &d)) continue;
    ok++;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  *exact = ok;
  unsigned bw = ok ? sqz_bit_width((uint64_t)hi - (uint64_t)lo) : 0;
  return (uint64_t)m * bw + (uint64_t)(m - ok) * ALP_EXC_BITS;
}

/* The stride that samples at most ALP_SAMPLES of count >= 1 values evenly. */
static unsigned sample_step(unsigned count) {
  return (count + ALP_SAMPLES - 1) / ALP_SAMPLES;
}

/* First-level sampling: the (e, f) pairs worth trying on the n values of a
** row group at src, best first, into out (ALP_MAX_K entries). Returns how
** many (0 when no pair encodes at least two values of any sample). */
static unsigned rowgroup_combos(const uint8_t *src, size_t n, alp_combo *out) {
  unsigned wins[ALP_COMBOS] = {0};
  size_t nvec = (n + ALP_VECTOR - 1) / ALP_VECTOR;
  size_t sampled = nvec < ALP_RG_SAMPLED ? nvec : ALP_RG_SAMPLED;
  for (size_t s = 0; s < sampled; s++) {
    size_t v = s * nvec / sampled;
    size_t left = n - v * ALP_VECTOR;
    unsigned count = left < ALP_VECTOR ? (unsigned)left : ALP_VECTOR, m = 0;
    uint64_t smp[ALP_SAMPLES];
    for (unsigned i = 0; i < count; i += sample_step(count))
      smp[m++] = sqz_load64le(src + 8 * (v * ALP_VECTOR + i));
    uint64_t best = UINT64_MAX;
    unsigned best_i = ALP_COMBOS;
    for (unsigned i = 0; i < ALP_COMBOS; i++) {
      unsigned exact;
      uint64_t est = estimate_alp(smp, m, alp_combo_at(i), &exact);
      if (exact < 2 && exact < m) continue; /* nearly all exceptions: useless */
      if (est < best) {
        best = est;
        best_i = i;
      }
    }
    if (best_i < ALP_COMBOS) wins[best_i]++;
  }
  unsigned k = 0;
  while (k < ALP_MAX_K) {
    unsigned top = ALP_COMBOS;
    for (unsigned i = 0; i < ALP_COMBOS; i++)
      if (wins[i] && (top == ALP_COMBOS || wins[i] > wins[top])) top = i;
    if (top == ALP_COMBOS) break;
    out[k++] = alp_combo_at(top);
    wins[top] = 0;
  }
  return k;
}

/* ---- Encoder -------------------------------------------------------------- */

/* Scratch of one compress call (from sqz_scratch_acquire). */
typedef struct alp_work {
  uint64_t bits[ALP_VECTOR];      /* the vector's doubles, as bits */
  uint64_t ints[ALP_VECTOR];      /* ALP: d - base (0 at exceptions) */
  uint16_t exc_pos[ALP_VECTOR];   /* ALP: exception positions */
  uint16_t rd_pos[ALP_VECTOR];    /* ALP_rd: exception positions */
  uint16_t rd_left[ALP_VECTOR];   /* ALP_rd: exception left parts */
  uint64_t rd_code[ALP_VECTOR];   /* ALP_rd: dictionary codes */
  uint16_t keys[ALP_VECTOR];      /* ALP_rd: top 16 bits, sorted */
  uint16_t tmp[ALP_VECTOR];       /* ALP_rd: radix-sort buffer, then distinct keys */
  uint16_t key_count[ALP_VECTOR]; /* ALP_rd: occurrences of each distinct key */
} alp_work;

/* An ALP encoding of one vector. */
typedef struct alp_plan {
  alp_combo c;
  unsigned bw;    /* packed bits per value, 0..52 */
  int64_t base;   /* frame of reference: the smallest d */
  unsigned n_exc; /* exceptions, positions in work->exc_pos */
  size_t size;    /* bytes of the encoded vector */
} alp_plan;

/* An ALP_rd encoding of one vector. */
typedef struct rd_plan {
  unsigned left;              /* left part bits, 1..16 */
  unsigned code_bits;         /* dictionary code bits, 0..3 */
  uint16_t dict[RD_MAX_DICT]; /* 2^code_bits entries */
  unsigned n_exc;
  size_t size; /* bytes of the encoded vector */
} rd_plan;

static size_t alp_vector_size(unsigned count, unsigned bw, int64_t base, unsigned n_exc) {
  return 4 + sqz_varint_size(sqz_zigzag_encode(base)) + sqz_varint_size(n_exc) +
         packed_bytes(count, bw) + (size_t)n_exc * 10;
}

static size_t rd_vector_size(unsigned count, unsigned left, unsigned code_bits, unsigned n_exc) {
  return 3 + 2 * ((size_t)1 << code_bits) + sqz_varint_size(n_exc) +
         packed_bytes(count, code_bits) + packed_bytes(count, 64 - left) + (size_t)n_exc * 4;
}

/* Second-level sampling: the best of the k candidates for the vector in
** w->bits (count values), by estimated bits on up to 32 of its values; stops
** after ALP_EARLY_EXIT candidates in a row that are no better. *est gets the
** estimate for those samples, *m their number. */
static alp_combo vector_combo(const alp_work *w, unsigned count, const alp_combo *cand, unsigned k,
                              uint64_t *est, unsigned *m) {
  uint64_t smp[ALP_SAMPLES];
  unsigned n = 0;
  for (unsigned i = 0; i < count; i += sample_step(count))
    smp[n++] = w->bits[i];
  alp_combo best = cand[0];
  unsigned exact, worse = 0;
  uint64_t best_est = estimate_alp(smp, n, cand[0], &exact);
  for (unsigned i = 1; i < k && worse < ALP_EARLY_EXIT; i++) {
    uint64_t e = estimate_alp(smp, n, cand[i], &exact);
    if (e >= best_est) {
      worse++;
      continue;
    }
    best_est = e;
    best = cand[i];
    worse = 0;
  }
  *est = best_est;
  *m = n;
  return best;
}

/* Encodes the vector in w->bits under c: fills w->ints and w->exc_pos and
** returns the plan with its exact size. */
static alp_plan plan_alp(alp_work *w, unsigned count, alp_combo c) {
  alp_plan p;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  unsigned n_exc = 0;
  for (unsigned i = 0; i < count; i++) {
    int64_t d = 0;
    if (alp_exact(w->bits[i], c.e, c.f, &d)) {
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    } else {
      w->exc_pos[n_exc++] = (uint16_t)i;
    }
    w->ints[i] = (uint64_t)d;
  }
  if (n_exc == count) lo = hi = 0;
  for (unsigned j = 0; j < n_exc; j++)
    w->ints[w->exc_pos[j]] = (uint64_t)lo;
  for (unsigned i = 0; i < count; i++)
    w->ints[i] -= (uint64_t)lo;
  p.c = c;
  p.base = lo;
  p.bw = sqz_bit_width((uint64_t)hi - (uint64_t)lo);
  p.n_exc = n_exc;
  p.size = alp_vector_size(count, p.bw, lo, n_exc);
  return p;
}

/* Sorts the top 16 bits of the count values of w->bits into w->keys with an
** LSD radix sort (two byte passes) and collapses them into distinct keys
** (w->tmp) with their counts (w->key_count). Returns the number of distinct
** keys. */
static unsigned distinct_sorted(alp_work *w, unsigned count) {
  unsigned hist[256];
  for (unsigned i = 0; i < count; i++)
    w->keys[i] = (uint16_t)(w->bits[i] >> 48);
  for (unsigned pass = 0; pass < 2; pass++) {
    const uint16_t *from = pass ? w->tmp : w->keys;
    uint16_t *to = pass ? w->keys : w->tmp;
    memset(hist, 0, sizeof hist);
    for (unsigned i = 0; i < count; i++)
      hist[(from[i] >> (8 * pass)) & 0xff]++;
    unsigned sum = 0;
    for (unsigned b = 0; b < 256; b++) {
      unsigned h = hist[b];
      hist[b] = sum;
      sum += h;
    }
    for (unsigned i = 0; i < count; i++)
      to[hist[(from[i] >> (8 * pass)) & 0xff]++] = from[i];
  }
  unsigned nd = 0;
  for (unsigned i = 0; i < count; i++) {
    if (nd && w->tmp[nd - 1] == w->keys[i]) {
      w->key_count[nd - 1]++;
    } else {
      w->tmp[nd] = w->keys[i];
      w->key_count[nd++] = 1;
    }
  }
  return nd;
}

/* The distinct top-16-bit keys of the count values of w->bits, ascending, in
** w->tmp, with their counts in w->key_count; returns how many. A series has
** few distinct keys per vector, found by a scan that first tries the key of
** the value before; past RD_FEW_KEYS distinct keys it sorts instead. */
#define RD_FEW_KEYS 32
static unsigned distinct_top16(alp_work *w, unsigned count) {
  unsigned nd = 0;
  for (unsigned i = 0; i < count;) {
    uint16_t k = (uint16_t)(w->bits[i] >> 48);
    unsigned run = 1, j = 0;
    for (i++; i < count && (uint16_t)(w->bits[i] >> 48) == k; i++)
      run++;
    while (j < nd && w->tmp[j] != k)
      j++;
    if (j == nd) {
      if (nd == RD_FEW_KEYS) return distinct_sorted(w, count);
      w->tmp[nd] = k;
      w->key_count[nd++] = 0;
    }
    w->key_count[j] = (uint16_t)(w->key_count[j] + run);
  }
  for (unsigned i = 1; i < nd; i++) { /* insertion sort by key */
    uint16_t k = w->tmp[i], n = w->key_count[i];
    unsigned j = i;
    for (; j > 0 && w->tmp[j - 1] > k; j--) {
      w->tmp[j] = w->tmp[j - 1];
      w->key_count[j] = w->key_count[j - 1];
    }
    w->tmp[j] = k;
    w->key_count[j] = n;
  }
  return nd;
}

/* Chooses the cut (left bits) and dictionary size of ALP_rd for the vector in
** w->bits by exact size: for each cut, the left parts are the distinct top-16
** keys shifted right, which stay sorted, so equal left parts are adjacent
** and one pass finds the 8 most frequent. Ties keep the smaller cut and
** dictionary, and among equally frequent left parts the smaller one. */
static rd_plan plan_rd(alp_work *w, unsigned count) {
  rd_plan best;
  best.size = SIZE_MAX;
  unsigned nd = distinct_top16(w, count);
  for (unsigned left = 1; left <= RD_MAX_LEFT; left++) {
    unsigned shift = RD_MAX_LEFT - left, ntop = 0;
    unsigned top_n[RD_MAX_DICT];
    uint16_t top_key[RD_MAX_DICT];
    for (unsigned j = 0; j < nd;) {
      unsigned key = w->tmp[j] >> shift, n = 0;
      while (j < nd && (unsigned)(w->tmp[j] >> shift) == key)
        n += w->key_count[j++];
      unsigned at = ntop < RD_MAX_DICT ? ntop : RD_MAX_DICT;
      while (at > 0 && top_n[at - 1] < n)
        at--;
      if (at >= RD_MAX_DICT) continue;
      unsigned last = ntop < RD_MAX_DICT ? ntop : RD_MAX_DICT - 1;
      for (unsigned t = last; t > at; t--) {
        top_n[t] = top_n[t - 1];
        top_key[t] = top_key[t - 1];
      }
      top_n[at] = n;
      top_key[at] = (uint16_t)key;
      if (ntop < RD_MAX_DICT) ntop++;
    }
    unsigned covered = 0, used = 0;
    for (unsigned cb = 0; cb <= RD_MAX_CODE_BITS; cb++) {
      unsigned entries = 1u << cb;
      while (used < entries && used < ntop)
        covered += top_n[used++];
      size_t size = rd_vector_size(count, left, cb, count - covered);
      if (size < best.size) {
        best.size = size;
        best.left = left;
        best.code_bits = cb;
        best.n_exc = count - covered;
        for (unsigned t = 0; t < entries; t++)
          best.dict[t] = top_key[t < ntop ? t : 0];
      }
    }
  }
  return best;
}

/* Writes the ALP vector of plan p (w->ints, w->exc_pos) at dst, which holds
** p->size bytes. */
static void write_alp(const alp_work *w, unsigned count, const alp_plan *p, uint8_t *dst) {
  uint8_t *o = dst;
  *o++ = MODE_ALP;
  *o++ = p->c.e;
  *o++ = p->c.f;
  *o++ = (uint8_t)p->bw;
  o += sqz_varint_put(o, 10, sqz_zigzag_encode(p->base));
  o += sqz_varint_put(o, 10, p->n_exc);
  alp_pack(o, w->ints, count, p->bw);
  o += packed_bytes(count, p->bw);
  for (unsigned j = 0; j < p->n_exc; j++, o += 2)
    sqz_store16le(o, w->exc_pos[j]);
  for (unsigned j = 0; j < p->n_exc; j++, o += 8)
    sqz_store64le(o, w->bits[w->exc_pos[j]]);
}

/* Writes the ALP_rd vector of plan p for w->bits at dst, which holds p->size
** bytes. */
static void write_rd(alp_work *w, unsigned count, const rd_plan *p, uint8_t *dst) {
  unsigned right = 64 - p->left, entries = 1u << p->code_bits, n_exc = 0;
  for (unsigned i = 0; i < count; i++) {
    unsigned lp = (unsigned)(w->bits[i] >> right), code = 0;
    while (code < entries && p->dict[code] != lp)
      code++;
    if (code == entries) {
      w->rd_pos[n_exc] = (uint16_t)i;
      w->rd_left[n_exc++] = (uint16_t)lp;
      code = 0;
    }
    w->rd_code[i] = code;
  }
  uint8_t *o = dst;
  *o++ = MODE_RD;
  *o++ = (uint8_t)right;
  *o++ = (uint8_t)p->code_bits;
  for (unsigned t = 0; t < entries; t++, o += 2)
    sqz_store16le(o, p->dict[t]);
  o += sqz_varint_put(o, 10, n_exc);
  alp_pack(o, w->rd_code, count, p->code_bits);
  o += packed_bytes(count, p->code_bits);
  alp_pack(o, w->bits, count, right); /* the low bits: right parts */
  o += packed_bytes(count, right);
  for (unsigned j = 0; j < n_exc; j++, o += 2)
    sqz_store16le(o, w->rd_pos[j]);
  for (unsigned j = 0; j < n_exc; j++, o += 2)
    sqz_store16le(o, w->rd_left[j]);
}

/* Encodes one vector of count values (src) at dst (cap bytes): the smallest
** of ALP (when the row group has candidates and the sample does not predict
** more bits than raw), ALP_rd (when ALP would take more than 48 bits per
** value) and raw. Returns bytes written or DST_TOO_SMALL. */
static size_t encode_vector(alp_work *w, const uint8_t *src, unsigned count, const alp_combo *cand,
                            unsigned k, uint8_t *dst, size_t cap) {
  for (unsigned i = 0; i < count; i++)
    w->bits[i] = sqz_load64le(src + 8 * (size_t)i);
  size_t raw = 1 + (size_t)count * 8, best = raw;
  int mode = MODE_RAW;
  alp_plan ap;
  rd_plan rp;
  if (k > 0) {
    uint64_t est;
    unsigned m;
    alp_combo c = vector_combo(w, count, cand, k, &est, &m);
    if (est < (uint64_t)m * 64) {
      ap = plan_alp(w, count, c);
      if (ap.size < best) {
        best = ap.size;
        mode = MODE_ALP;
      }
    }
  }
  if (mode != MODE_ALP || best > (size_t)count * 6) {
    rp = plan_rd(w, count);
    if (rp.size < best) {
      best = rp.size;
      mode = MODE_RD;
    }
  }
  if (cap < best) return SQZ_ERROR(DST_TOO_SMALL);
  if (mode == MODE_ALP) {
    write_alp(w, count, &ap, dst);
  } else if (mode == MODE_RD) {
    write_rd(w, count, &rp, dst);
  } else {
    dst[0] = MODE_RAW;
    memcpy(dst + 1, src, (size_t)count * 8);
  }
  return best;
}

/* Worst case: one raw vector per 1024 values, one mode byte each. */
static size_t alp_bound(size_t srcSize) {
  size_t values = srcSize / 8 + (srcSize % 8 != 0);
  size_t vectors = values / ALP_VECTOR + (values % ALP_VECTOR != 0);
  if (srcSize > SIZE_MAX - vectors) return 0;
  return srcSize + vectors;
}

/* compress: src holds srcSize / 8 little-endian doubles. Row groups of 100
** vectors get their candidate (e, f) pairs from a sample, then each vector
** is encoded on its own (encode_vector). Errors: SRC_SIZE (srcSize % 8),
** MEMORY (no scratch), DST_TOO_SMALL. An empty input gives an empty payload. */
static size_t alp_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                           size_t srcSize, const sqz_params *params) {
  (void)params;
  if (srcSize % 8) return SQZ_ERROR(SRC_SIZE);
  size_t n = srcSize / 8, pos = 0;
  if (n == 0) return 0;
  alp_work *w = sqz_scratch_acquire(ctx, sizeof(alp_work));
  if (!w) return SQZ_ERROR(MEMORY);
  const uint8_t *in = src;
  uint8_t *out = dst;
  const size_t rg_values = (size_t)ALP_RG_VECTORS * ALP_VECTOR;
  for (size_t rg = 0; rg < n; rg += rg_values) {
    size_t rg_n = n - rg < rg_values ? n - rg : rg_values;
    alp_combo cand[ALP_MAX_K];
    unsigned k = rowgroup_combos(in + 8 * rg, rg_n, cand);
    for (size_t v = 0; v < rg_n; v += ALP_VECTOR) {
      unsigned count = rg_n - v < ALP_VECTOR ? (unsigned)(rg_n - v) : ALP_VECTOR;
      size_t r = encode_vector(w, in + 8 * (rg + v), count, cand, k, out + pos, dstCapacity - pos);
      if (sqz_is_error(r)) {
        sqz_scratch_release(ctx, w);
        return r;
      }
      pos += r;
    }
  }
  sqz_scratch_release(ctx, w);
  return pos;
}

/* ---- Decoder -------------------------------------------------------------- */

/* Scratch of one decompress call: unpacked fields, and zero-padded copies of
** packed areas that end too close to the end of src for 8-byte loads. */
typedef struct alp_dwork {
  uint64_t u[ALP_VECTOR];                                /* ALP: d + magic; ALP_rd: right parts */
  uint64_t code[ALP_VECTOR];                             /* ALP_rd: dictionary codes */
  uint8_t wide[ALP_VECTOR * 8 + 16];                     /* ALP integers, ALP_rd right parts */
  uint8_t codes[ALP_VECTOR * RD_MAX_CODE_BITS / 8 + 16]; /* ALP_rd codes */
} alp_dwork;

/* A read cursor over src. */
typedef struct alp_cursor {
  const uint8_t *p, *end;
} alp_cursor;

/* Takes n bytes: *at points at them. Returns 0, or TRUNCATED. */
static size_t take(alp_cursor *c, size_t n, const uint8_t **at) {
  if ((size_t)(c->end - c->p) < n) return SQZ_ERROR(TRUNCATED);
  *at = c->p;
  c->p += n;
  return 0;
}

/* Reads a varint. Returns 0, TRUNCATED (input ends inside it) or CORRUPT
** (longer than 10 bytes or above 64 bits). */
static size_t take_varint(alp_cursor *c, uint64_t *v) {
  size_t n = sqz_varint_read(c->p, (size_t)(c->end - c->p), v);
  if (sqz_is_error(n)) return n;
  c->p += n;
  return 0;
}

/* The n packed bytes at p, readable with 8-byte loads that start inside them
** (and so may run up to 8 bytes past them): p itself when src goes on for
** 8 more bytes, else a zero-padded copy in pad (n + 8 bytes). */
static const uint8_t *loadable(const uint8_t *p, size_t n, const uint8_t *end, uint8_t *pad) {
  if ((size_t)(end - p) >= n + 8) return p;
  if (n) memcpy(pad, p, n);
  memset(pad + n, 0, 8);
  return pad;
}

/* Checks the nexc exception positions at pos (uint16 LE): each below count
** and above the one before. Returns 0 or CORRUPT. */
static size_t check_positions(const uint8_t *pos, unsigned nexc, unsigned count) {
  unsigned next = 0;
  for (unsigned j = 0; j < nexc; j++) {
    unsigned at = sqz_load16le(pos + 2 * j);
    if (at < next || at >= count) return SQZ_ERROR(CORRUPT);
    next = at + 1;
  }
  return 0;
}

/* Decodes the body of an ALP vector (after its mode byte) into count
** doubles at out. Returns 0, CORRUPT or TRUNCATED. */
static size_t decode_alp(alp_cursor *c, uint8_t *out, unsigned count, alp_dwork *dw) {
  const uint8_t *h, *packed, *pos, *val;
  uint64_t zbase, nexc;
  size_t r;
  if ((r = take(c, 3, &h))) return r;
  unsigned e = h[0], f = h[1], bw = h[2];
  if (e > ALP_MAX_EXP || f > ALP_MAX_EXP || bw > 64) return SQZ_ERROR(CORRUPT);
  if ((r = take_varint(c, &zbase)) || (r = take_varint(c, &nexc))) return r;
  if (nexc > count) return SQZ_ERROR(CORRUPT);
  size_t nb = packed_bytes(count, bw);
  if ((r = take(c, nb, &packed)) || (r = take(c, 2 * nexc, &pos)) || (r = take(c, 8 * nexc, &val)))
    return r;
  if ((r = check_positions(pos, (unsigned)nexc, count))) return r;
  const uint8_t *in = loadable(packed, nb, c->end, dw->wide);
  int64_t base = sqz_int64_of(sqz_zigzag_decode(zbase));
  const int64_t lim = (int64_t)1 << 51;
  if (bw <= 51 && base >= -lim && base <= lim - ((int64_t)1 << bw)) {
    /* every d = base + u lies in [-2^51, 2^51), so u + (base + magic bits)
    ** is the bit pattern of 1.5*2^52 + d: an exact int64 -> double
    ** conversion with an integer add and one subtraction */
    alp_unpack(dw->u, in, count, bw, (uint64_t)base + ALP_MAGIC_BITS);
    alp_scale_out(out, dw->u, count, pow10_exact[f], pow10_exact[e]);
  } else {
    alp_unpack(dw->u, in, count, bw, (uint64_t)base);
    for (unsigned i = 0; i < count; i++)
      sqz_store64le(out + 8 * (size_t)i,
                    sqz_double_bits(alp_decode_int(sqz_int64_of(dw->u[i]), e, f)));
  }
  for (unsigned j = 0; j < nexc; j++)
    memcpy(out + 8 * (size_t)sqz_load16le(pos + 2 * j), val + 8 * j, 8);
  return 0;
}

/* Decodes the body of an ALP_rd vector (after its mode byte) into count
** doubles at out. Returns 0, CORRUPT or TRUNCATED. */
static size_t decode_rd(alp_cursor *c, uint8_t *out, unsigned count, alp_dwork *dw) {
  const uint8_t *h, *dp, *codes, *rights, *pos, *lefts;
  uint64_t nexc;
  size_t r;
  if ((r = take(c, 2, &h))) return r;
  unsigned right = h[0], cb = h[1];
  if (right < 64 - RD_MAX_LEFT || right > 63 || cb > RD_MAX_CODE_BITS) return SQZ_ERROR(CORRUPT);
  unsigned entries = 1u << cb, left_limit = 1u << (64 - right);
  if ((r = take(c, 2 * entries, &dp))) return r;
  uint64_t dict[RD_MAX_DICT];
  for (unsigned t = 0; t < entries; t++) {
    unsigned l = sqz_load16le(dp + 2 * t);
    if (l >= left_limit) return SQZ_ERROR(CORRUPT);
    dict[t] = (uint64_t)l << right;
  }
  if ((r = take_varint(c, &nexc))) return r;
  if (nexc > count) return SQZ_ERROR(CORRUPT);
  size_t ncodes = packed_bytes(count, cb), nright = packed_bytes(count, right);
  if ((r = take(c, ncodes, &codes)) || (r = take(c, nright, &rights)) ||
      (r = take(c, 2 * nexc, &pos)) || (r = take(c, 2 * nexc, &lefts)))
    return r;
  if ((r = check_positions(pos, (unsigned)nexc, count))) return r;
  for (unsigned j = 0; j < nexc; j++)
    if (sqz_load16le(lefts + 2 * j) >= left_limit) return SQZ_ERROR(CORRUPT);
  const uint8_t *cin = loadable(codes, ncodes, c->end, dw->codes);
  const uint8_t *rin = loadable(rights, nright, c->end, dw->wide);
  const uint64_t rmask = sqz_mask64(right);
  alp_unpack(dw->code, cin, count, cb, 0);
  alp_unpack(dw->u, rin, count, right, 0);
  for (unsigned i = 0; i < count; i++)
    sqz_store64le(out + 8 * (size_t)i, dict[dw->code[i]] | dw->u[i]);
  for (unsigned j = 0; j < nexc; j++) {
    uint8_t *o = out + 8 * (size_t)sqz_load16le(pos + 2 * j);
    uint64_t l = sqz_load16le(lefts + 2 * j);
    sqz_store64le(o, (l << right) | (sqz_load64le(o) & rmask));
  }
  return 0;
}

/* decompress: dstSize / 8 doubles from the vectors in src (docs/format/alp.md).
** Returns dstSize; VERSION for a vector mode from 3 to 15 (a newer squeeze's);
** CORRUPT when dstSize % 8 != 0, a mode above 15, a width, exponent,
** factor, count or position is out of range, or bytes follow the last
** vector; TRUNCATED when src ends inside a vector; MEMORY. Reads only
** src[0..srcSize), writes only dst[0..dstSize). */
static size_t alp_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                             size_t srcSize) {
  if (dstSize % 8) return SQZ_ERROR(CORRUPT);
  size_t n = dstSize / 8;
  if (n == 0) return srcSize ? SQZ_ERROR(CORRUPT) : 0;
  alp_dwork *dw = sqz_scratch_acquire(ctx, sizeof(alp_dwork));
  if (!dw) return SQZ_ERROR(MEMORY);
  alp_cursor c = {(const uint8_t *)src, (const uint8_t *)src + srcSize};
  uint8_t *out = dst;
  size_t r = 0;
  for (size_t v = 0; v < n && !r; v += ALP_VECTOR) {
    unsigned count = n - v < ALP_VECTOR ? (unsigned)(n - v) : ALP_VECTOR;
    uint8_t *o = out + 8 * v;
    const uint8_t *mode, *raw;
    if ((r = take(&c, 1, &mode))) break;
    switch (*mode) {
    case MODE_RAW:
      if (!(r = take(&c, (size_t)count * 8, &raw))) memcpy(o, raw, (size_t)count * 8);
      break;
    case MODE_ALP:
      r = decode_alp(&c, o, count, dw);
      break;
    case MODE_RD:
      r = decode_rd(&c, o, count, dw);
      break;
    default:
      r = sqz_mode_error(*mode, MODE_RESERVED);
    }
  }
  if (!r && c.p != c.end) r = SQZ_ERROR(CORRUPT);
  sqz_scratch_release(ctx, dw);
  return r ? r : dstSize;
}

const sqz_codec sqz_codec_alp = {
    .name = "alp",
    .id = SQZ_ID_ALP,
    .kind = SQZ_KIND_FLOAT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "decimal floats as scaled integers (ALP, SIGMOD 2024), ALP_rd for the rest",
    .bound = alp_bound,
    .compress = alp_compress,
    .decompress = alp_decompress,
    .free_state = NULL,
};

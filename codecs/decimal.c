/*
** decimal.c: the `decimal` codec for float64 columns: doubles that were
** decimals (1016.6 hPa, 12.35 EUR) as scaled integers, coded as bins pages
** (bins.c), so that a slow-moving decimal series costs the entropy of its
** steps instead of a bit width per value. docs/format/decimal.md
** specifies the bytes.
**
** Sources: the scaling is ALP's (A. Afroozeh, L. X. Kuffo, P. Boncz, "ALP:
** Adaptive Lossless floating-Point Compression", SIGMOD 2024), with
** squeeze's exact decoding (alp_scale.h, docs/format/alp.md): a value v is
** the integer d = round(v * 10^e * 10^-f) when (d * 10^f) / 10^e gives v back
** bit for bit, and any other value is an exception stored verbatim. Where
** ALP then packs each vector's integers at one bit width, decimal hands them
** to the bins page coder: lagged deltas and tANS-coded bins, as Pcodec (M.
** Loncaric et al., arXiv:2502.06112) does after its FloatMult mode.
** Doubles that are not decimals (a full-precision random walk) go to the
** same coder as the integers of their bits, in an order-preserving map
** (Pcodec's float latents): consecutive doubles of a smooth series are
** close as integers too, so their deltas need about as many bits as the
** walk has entropy, fewer than ALP_rd's fixed split.
**
** Pages of SQZ_BINS_PAGE values; per page the encoder
**   1. samples up to 8 runs of 32 consecutive values and rates each of
**      ALP's 37 (e, f) pairs by the bit widths of the sampled integers'
**      steps plus 64 bits per exception; the best pair (ties: the earlier)
**      is the page's;
**   2. scales the page: a value that does not come back exactly becomes an
**      exception and the integer of the value before it (or of the first
**      exact value) stands in, so the steps stay small;
**   3. codes the integers as a bins page (which weighs size against
**      decoding time itself), and when more than one sampled value in eight
**      was an exception, also codes the page as mapped bits;
**   4. keeps the smallest of those and the raw page.
** Scaling is IEEE-754 double arithmetic without contraction, and the bins
** coder is integer arithmetic, so the output is the same on every machine.
**
** Decoding a page: the bins page gives the integers straight into the
** output, which is then converted in place by alp_scale_ints: (d * 10^f) /
** 10^e four at a time on vectors (AVX2 when the CPU has it, chosen at run
** time; the bits do not change); then the exceptions are copied over their
** positions.
**
** Usage (SQL): SELECT compress(blob_of_doubles, 'decimal');
**   CREATE VIRTUAL TABLE t USING squeeze(temp REAL CODEC decimal, ...);
*/
/* Deterministic output needs every double operation rounded to double, one
** at a time (alp_scale.h); the pragma comes before the includes. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <stdint.h>
#include <string.h>

#include "alp_scale.h"
#include "bins.h"
#include "bits.h"
#include "byteorder.h"
#include "codec.h"
#include "pool.h"
#include "varint.h"

#define DEC_RUNS 8      /* sampled runs per page */
#define DEC_RUN 32      /* consecutive values per run */
#define DEC_EXC_BITS 64 /* estimated cost of an exception beyond its stand-in */

/* The page mode byte (docs/format/decimal.md): values up to MODE_RESERVED
** are kept for newer modes (VERSION), the rest are never written (CORRUPT). */
enum { MODE_RAW = 0, MODE_DECIMAL = 1, MODE_BITS = 2, MODE_RESERVED = 15 };

#define BITS_FLIP 0x7FFFFFFFFFFFFFFFull

/* The order-preserving map of a double's bits to an int64 (as bits) and
** back: negative doubles get their magnitude bits flipped, so that a
** larger double is a larger int64. Its own inverse. */
static inline uint64_t bits_map(uint64_t b) {
  return b ^ ((0 - (b >> 63)) & BITS_FLIP);
}

/* Encoder scratch: the bins encoder, the page's doubles and exception
** positions, and a buffer for the second candidate. */
typedef struct dec_work {
  sqz_bins_enc *bins;
  uint64_t *bits; /* the page's doubles */
  uint32_t *exc;  /* exception positions */
  uint8_t *alt;   /* a candidate page */
  size_t alt_cap;
} dec_work;

/* The (e, f) pair for the count doubles at bits: ALP's pairs rated on up to
** DEC_RUNS runs of DEC_RUN values by the bit widths of the steps between
** consecutive exact integers plus DEC_EXC_BITS per exception. *exc_rate
** gets the best pair's exceptions per sampled value in 1/256. */
static alp_combo choose_combo(const uint64_t *bits, size_t count, unsigned *exc_rate) {
  size_t runs = (count + DEC_RUN - 1) / DEC_RUN;
  if (runs > DEC_RUNS) runs = DEC_RUNS;
  uint64_t best = UINT64_MAX;
  unsigned best_i = 0, best_exc = 0, sampled = 0;
  for (unsigned i = 0; i < ALP_COMBOS; i++) {
    alp_combo c = alp_combo_at(i);
    uint64_t cost = 0;
    unsigned exc = 0;
    sampled = 0;
    for (size_t k = 0; k < runs; k++) {
      size_t start = k * (count / runs), end = start + DEC_RUN < count ? start + DEC_RUN : count;
      int have = 0;
      int64_t prev = 0;
      for (size_t j = start; j < end; j++, sampled++) {
        int64_t d;
        if (!alp_exact(bits[j], c.e, c.f, &d)) {
          exc++;
          continue;
        }
        if (have) cost += sqz_bit_width(sqz_zigzag_encode((uint64_t)d - (uint64_t)prev));
        prev = d;
        have = 1;
      }
    }
    cost += (uint64_t)exc * DEC_EXC_BITS;
    if (cost < best) {
      best = cost;
      best_i = i;
      best_exc = exc;
    }
  }
  *exc_rate = sampled ? (unsigned)((256u * best_exc) / sampled) : 256;
  return alp_combo_at(best_i);
}

/* Writes the decimal page of the count doubles in w->bits under c at
** dst[0..cap); returns its size, or 0 when it does not fit. */
static size_t put_decimal(dec_work *w, size_t count, alp_combo c, uint8_t *dst, size_t cap) {
  uint64_t *v = sqz_bins_enc_values(w->bins);
  size_t n_exc = 0;
  int64_t prev = 0;
  int have = 0;
  for (size_t i = 0; i < count; i++) {
    int64_t d;
    if (alp_exact(w->bits[i], c.e, c.f, &d)) {
      if (!have) /* the leading exceptions take the first exact value */
        for (size_t j = 0; j < n_exc; j++)
          v[w->exc[j]] = (uint64_t)d;
      prev = d;
      have = 1;
      v[i] = (uint64_t)d;
    } else {
      w->exc[n_exc++] = (uint32_t)i;
      v[i] = (uint64_t)prev;
    }
  }
  size_t pos = 3;
  if (cap < 3) return 0;
  dst[0] = MODE_DECIMAL;
  dst[1] = c.e;
  dst[2] = c.f;
  size_t k = sqz_varint_put(dst + pos, cap - pos, n_exc);
  if (!k) return 0;
  pos += k;
  for (size_t j = 0; j < n_exc; j++) {
    k = sqz_varint_put(dst + pos, cap - pos, j ? w->exc[j] - w->exc[j - 1] - 1 : w->exc[0]);
    if (!k) return 0;
    pos += k;
  }
  if (cap - pos < 8 * n_exc) return 0;
  for (size_t j = 0; j < n_exc; j++, pos += 8)
    sqz_store64le(dst + pos, w->bits[w->exc[j]]);
  size_t r = sqz_bins_encode_page(w->bins, (unsigned)count, dst + pos, cap - pos);
  return sqz_is_error(r) ? 0 : pos + r;
}

/* Writes the mapped-bits page of w->bits at dst[0..cap); its size, or 0. */
static size_t put_bits(dec_work *w, size_t count, uint8_t *dst, size_t cap) {
  uint64_t *v = sqz_bins_enc_values(w->bins);
  if (cap < 1) return 0;
  dst[0] = MODE_BITS;
  for (size_t i = 0; i < count; i++)
    v[i] = bits_map(w->bits[i]);
  size_t r = sqz_bins_encode_page(w->bins, (unsigned)count, dst + 1, cap - 1);
  return sqz_is_error(r) ? 0 : 1 + r;
}

/* Encodes one page of count doubles (src) at dst (cap bytes). Returns its
** size or DST_TOO_SMALL. */
static size_t encode_page(dec_work *w, const uint8_t *src, size_t count, uint8_t *dst, size_t cap) {
  size_t raw = sqz_bins_page_bound(count), best = raw;
  for (size_t i = 0; i < count; i++)
    w->bits[i] = sqz_load64le(src + 8 * i);
  unsigned exc_rate;
  alp_combo c = choose_combo(w->bits, count, &exc_rate);
  uint8_t *best_at = NULL;
  if (exc_rate < 256) {
    size_t got = put_decimal(w, count, c, w->alt, raw - 1);
    if (got) {
      best = got;
      best_at = w->alt;
    }
  }
  if (exc_rate > 256 / 8) {
    /* the second candidate goes to dst when it fits there, else it is
    ** written once more after the comparison */
    size_t limit = best - 1 < cap ? best - 1 : cap;
    size_t got = put_bits(w, count, dst, limit);
    if (got) {
      best = got;
      best_at = dst;
    }
  }
  if (cap < best) return SQZ_ERROR(DST_TOO_SMALL);
  if (!best_at) {
    dst[0] = MODE_RAW;
    memcpy(dst + 1, src, 8 * count);
  } else if (best_at != dst) {
    memcpy(dst, best_at, best);
  }
  return best;
}

/* Worst case: every page raw, one mode byte each (and a spare byte). */
static size_t decimal_bound(size_t srcSize) {
  size_t values = srcSize / 8 + (srcSize % 8 != 0);
  size_t pages = values / SQZ_BINS_PAGE + (values % SQZ_BINS_PAGE != 0);
  if (srcSize > SIZE_MAX - pages - 1) return 0;
  return srcSize + pages + 1; /* + 1: a bound of 0 would mean "too large" */
}

/* compress: srcSize / 8 little-endian doubles, page by page. Returns the
** payload size (0 for no values), SRC_SIZE when srcSize % 8 != 0, MEMORY,
** DST_TOO_SMALL. */
static size_t decimal_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                               size_t srcSize, const sqz_params *params) {
  (void)params;
  if (srcSize % 8) return SQZ_ERROR(SRC_SIZE);
  size_t n = srcSize / 8, pos = 0, r = 0;
  if (n == 0) return 0;
  size_t cap = n < SQZ_BINS_PAGE ? n : SQZ_BINS_PAGE;
  dec_work w;
  w.alt_cap = sqz_bins_page_bound(cap);
  w.bins = sqz_bins_enc_acquire(ctx, cap);
  uint8_t *mem = sqz_scratch_acquire(ctx, 8 * cap + 4 * cap + w.alt_cap);
  if (!w.bins || !mem) {
    sqz_bins_enc_release(ctx, w.bins);
    sqz_scratch_release(ctx, mem);
    return SQZ_ERROR(MEMORY);
  }
  w.bits = (uint64_t *)mem;
  w.exc = (uint32_t *)(mem + 8 * cap);
  w.alt = mem + 12 * cap;
  const uint8_t *in = src;
  for (size_t p = 0; p < n; p += SQZ_BINS_PAGE) {
    size_t count = n - p < SQZ_BINS_PAGE ? n - p : SQZ_BINS_PAGE;
    r = encode_page(&w, in + 8 * p, count, (uint8_t *)dst + pos, dstCapacity - pos);
    if (sqz_is_error(r)) break;
    pos += r;
    r = 0;
  }
  sqz_scratch_release(ctx, mem);
  sqz_bins_enc_release(ctx, w.bins);
  return r ? r : pos;
}

/* Decodes one page of count doubles at src[*pos] into out. Returns 0,
** VERSION, CORRUPT or TRUNCATED. */
static size_t decode_page(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos,
                          size_t count, uint8_t *out) {
  if (*pos >= size) return SQZ_ERROR(TRUNCATED);
  unsigned mode = src[(*pos)++];
  size_t r;
  if (mode == MODE_RAW) {
    if (size - *pos < 8 * count) return SQZ_ERROR(TRUNCATED);
    memcpy(out, src + *pos, 8 * count);
    *pos += 8 * count;
    return 0;
  }
  if (mode == MODE_BITS) {
    if ((r = sqz_bins_decode_page(d, src, size, pos, (unsigned)count, out))) return r;
    for (size_t i = 0; i < count; i++)
      sqz_store64le(out + 8 * i, bits_map(sqz_load64le(out + 8 * i)));
    return 0;
  }
  if (mode != MODE_DECIMAL) return sqz_mode_error(mode, MODE_RESERVED);
  if (size - *pos < 2) return SQZ_ERROR(TRUNCATED);
  unsigned e = src[*pos], f = src[*pos + 1];
  *pos += 2;
  if (e > ALP_MAX_EXP || f > ALP_MAX_EXP) return SQZ_ERROR(CORRUPT);
  uint64_t n_exc;
  if ((r = sqz_varint_take(src, size, pos, &n_exc))) return r;
  if (n_exc > count) return SQZ_ERROR(CORRUPT);
  /* positions: validated now, applied after the integers are converted */
  size_t gaps = *pos, at = 0;
  for (uint64_t j = 0; j < n_exc; j++) {
    uint64_t gap;
    if ((r = sqz_varint_take(src, size, pos, &gap))) return r;
    if (gap >= count - at) return SQZ_ERROR(CORRUPT);
    at += (size_t)gap + 1;
  }
  if (size - *pos < 8 * n_exc) return SQZ_ERROR(TRUNCATED);
  size_t vals = *pos;
  *pos += 8 * (size_t)n_exc;
  if ((r = sqz_bins_decode_page(d, src, size, pos, (unsigned)count, out))) return r;
  alp_scale_ints(out, count, pow10_exact[f], pow10_exact[e]);
  at = 0;
  for (uint64_t j = 0; j < n_exc; j++) {
    uint64_t gap = 0;
    sqz_varint_take(src, size, &gaps, &gap); /* read above without error */
    at += (size_t)gap;
    memcpy(out + 8 * at, src + vals + 8 * j, 8);
    at++;
  }
  return 0;
}

/* decompress: dstSize / 8 doubles from the pages in src. Returns dstSize;
** VERSION for a page mode 3..15 (or a bins form or kind kept for newer
** versions); CORRUPT when dstSize % 8 != 0, a mode above 15, e or f above
** 18, an exception count or position out of range, any bins field out of
** range, or bytes after the last page; TRUNCATED when src ends inside a
** page; MEMORY. Reads only src[0..srcSize), writes only dst[0..dstSize). */
static size_t decimal_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                                 size_t srcSize) {
  if (dstSize % 8) return SQZ_ERROR(CORRUPT);
  size_t n = dstSize / 8, pos = 0, r = 0;
  if (n == 0) return srcSize ? SQZ_ERROR(CORRUPT) : 0;
  sqz_bins_dec *d = sqz_bins_dec_acquire(ctx, n < SQZ_BINS_PAGE ? n : SQZ_BINS_PAGE);
  if (!d) return SQZ_ERROR(MEMORY);
  for (size_t p = 0; p < n && !r; p += SQZ_BINS_PAGE) {
    size_t count = n - p < SQZ_BINS_PAGE ? n - p : SQZ_BINS_PAGE;
    r = decode_page(d, src, srcSize, &pos, count, (uint8_t *)dst + 8 * p);
  }
  if (!r && pos != srcSize) r = SQZ_ERROR(CORRUPT);
  sqz_bins_dec_release(ctx, d);
  return r ? r : dstSize;
}

const sqz_codec sqz_codec_decimal = {
    .name = "decimal",
    .id = SQZ_ID_DECIMAL,
    .kind = SQZ_KIND_FLOAT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "decimals as scaled integers (ALP), then coded as bins pages",
    .bound = decimal_bound,
    .compress = decimal_compress,
    .decompress = decimal_decompress,
    .free_state = NULL,
};

/*
** bins.c: the `bins` codec for int64 columns, and the page coder that the
** decimal codec (decimal.c) shares. docs/format/bins.md specifies the bytes.
**
** Sources. The pipeline is Pcodec's: M. Loncaric, N. Jeppesen, B. Zinberg,
** "Pcodec: Better Compression for Numerical Sequences", arXiv:2502.06112
** (2025): delta encoding chosen per chunk, then each number is written as an
** entropy-coded bin (a range [lower, lower + 2^w)) and a w-bit offset into
** it, the bins found by dynamic programming over quantiles of the data and
** coded with tANS (J. Duda, arXiv:1311.2540; ans.h). Where squeeze differs:
**   - the delta may be taken at a lag: x[i] - x[i-L] for a period L that the
**     encoder finds (seasonal differencing, G. Box and G. Jenkins, "Time
**     Series Analysis: Forecasting and Control", 1970, chapter 9), and a lag
**     and a plain delta may be combined. Hourly readings of a daily cycle
**     (Seattle's hourly normals) take L = 24; Pcodec's "lookback" delta
**     plays the same part with a per-value lag;
**   - a sequence dominated by one value is stored as that value plus the
**     positions and values of the others, each coded with bins, the
**     patching idea of PFOR (M. Zukowski, S. Heman, N. Nes, P. Boncz,
**     "Super-Scalar RAM-CPU Cache Compression", ICDE 2006). With no other
**     value this is a constant, and after a delta a constant step: DuckDB's
**     CONSTANT and CONSTANT_DELTA bit-packing modes
**     (src/storage/compression/bitpacking.cpp). Its decoder fills and
**     patches, with no entropy decoding, so columns that are mostly one
**     value (costs that are mostly 0) decode at memory speed.
**
** Pages. Values are cut into pages of SQZ_BINS_PAGE (16384); each page is
** coded on its own, so the encoder and decoder need scratch for one page
** only, and a page can be raw when nothing smaller exists. Per page the
** encoder:
**   1. picks a transform: order 0 (the values), a delta at lag 1, two deltas
**      at lag 1, a delta at the best seasonal lag L* (found on a sample of
**      the page for L = 1..1024), or a delta at L* and one at lag 1. Each is
**      rated by a quick estimate (the entropy of the residuals' bit widths
**      plus their offset bits); the best one is coded exactly, and order 0
**      too when its estimate is within 2x (a column of few distinct values,
**      such as speeds in knots, is cheaper as values than as deltas);
**   2. codes the residuals as bins: sorts them, cuts them into about 100
**      quantile groups (a value that repeats more than a group's share
**      gets a group of its own), and joins neighbouring groups into bins by
**      dynamic programming on their cost: count * log2(n / count) bits of
**      tANS, count * w offset bits and a header of about 24 bits per bin;
**      then picks the tANS table size (2^0..2^12 states) by exact cost;
**   3. also codes them sparse, when one value is at least half of them;
**   4. keeps the smallest of everything and the raw page.
** All of it is integer arithmetic (sqz_log2_fx for logarithms), so the
** output is the same on every machine.
**
** Decoding a page: build the tANS table, decode the bin indexes with four
** interleaved states (each symbol's table lookup overlaps the other three's),
** read the offsets, add the bins' lower bounds, and undo the deltas. With
** every bin of width 0 (small residuals, as in smooth series), no offset
** bits are read at all.
**
** Usage (SQL): SELECT compress(blob_of_int64, 'bins');
**   CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER CODEC bins, ...);
*/
#include "bins.h"

#include <string.h>

#include "ans.h"
#include "bits.h"
#include "bitstream.h"
#include "byteorder.h"
#include "codec.h"
#include "varint.h"

#define BINS_ORDER_MAX 2             /* deltas per transform */
#define BINS_LAG_MAX (SQZ_BINS_PAGE - 1) /* largest lag the format allows */
#define BINS_LAG_SEARCH 1024         /* seasonal lags the encoder tries: 2..this */
#define BINS_LAG_SAMPLES 128         /* sampled positions per tried lag */
#define BINS_GROUPS 100              /* quantile groups per sequence (plus repeated values) */
#define BINS_MAX 256                 /* bins per sequence: symbols fit a byte */
#define BINS_BIN_BITS 24             /* estimated header bits of one bin */
#define BINS_STATES 4                /* interleaved tANS states */
/* The decoder builds a table of 2^log states per sequence, which takes
** about as long as decoding as many values: the encoder charges each state
** BINS_STATE_BITS / 2^BINS_STATE_SHIFT bits when it picks the table size. */
#define BINS_STATE_BITS 1
#define BINS_STATE_SHIFT 2
#define SIGN 0x8000000000000000ull

/* The page form byte, and the kind byte of a sequence (docs/format/bins.md):
** values up to *_RESERVED are kept for newer forms (VERSION), the rest are
** never written (CORRUPT). */
enum { FORM_RAW = 0, FORM_CODED = 1, FORM_RESERVED = 15 };
enum { SEQ_BINS = 0, SEQ_SPARSE = 1, SEQ_RESERVED = 15 };

/* ---- Output buffer ------------------------------------------------------- */

/* Bytes written into a fixed buffer; once over, nothing more is written and
** the result is discarded by the caller. */
typedef struct outb {
  uint8_t *p;
  size_t n, cap;
  int over;
} outb;

static void out_byte(outb *o, unsigned b) {
  if (o->n >= o->cap) {
    o->over = 1;
    return;
  }
  o->p[o->n++] = (uint8_t)b;
}

static void out_varint(outb *o, uint64_t v) {
  size_t k = o->over ? 0 : sqz_varint_put(o->p + o->n, o->cap - o->n, v);
  if (!k) o->over = 1;
  o->n += k;
}

/* ---- Encoder scratch ------------------------------------------------------- */

struct sqz_bins_enc {
  size_t cap;             /* values per page, at most */
  size_t out_cap;         /* bytes of each candidate buffer */
  uint64_t *v;            /* the page's values */
  uint64_t *r;            /* residuals of the transform being coded */
  uint64_t *keys, *tmp;   /* sort keys and the radix sort's second buffer */
  uint64_t *gaps, *vals;  /* sparse: positions (as gaps) and values of the others */
  uint8_t *sym;           /* bin of each value */
  uint16_t *emit;         /* tANS bits emitted for each value */
  uint8_t *emit_nb;       /* and their count */
  uint8_t *best, *cand;   /* page candidates */
  uint8_t *alt;           /* the sparse form of a sequence */
  sqz_ans_encoder ans;
  /* the bins of the sequence being coded, keys relative to its minimum */
  uint64_t lo[BINS_MAX], hi[BINS_MAX];
  uint32_t count[BINS_MAX], weight[BINS_MAX];
  uint8_t width[BINS_MAX];
  /* quantile groups and the dynamic program over them */
  uint64_t g_lo[2 * BINS_GROUPS + 2], g_hi[2 * BINS_GROUPS + 2];
  uint32_t g_pre[2 * BINS_GROUPS + 3]; /* prefix sums of the groups' counts */
  uint64_t dp_cost[2 * BINS_GROUPS + 3];
  uint16_t dp_prev[2 * BINS_GROUPS + 3];
};

/* Bytes of the areas after the struct, each rounded to 16. */
static size_t round16(size_t n) {
  return (n + 15) & ~(size_t)15;
}

static size_t enc_bytes(size_t cap, size_t out_cap) {
  return round16(sizeof(sqz_bins_enc)) + 6 * round16(8 * cap) + round16(cap) +
         round16(2 * cap) + round16(cap) + 3 * round16(out_cap);
}

sqz_bins_enc *sqz_bins_enc_acquire(sqz_ctx *ctx, size_t max_count) {
  if (max_count == 0 || max_count > SQZ_BINS_PAGE) return NULL;
  size_t out_cap = sqz_bins_page_bound(max_count);
  uint8_t *b = sqz_scratch_acquire(ctx, enc_bytes(max_count, out_cap));
  if (!b) return NULL;
  sqz_bins_enc *e = (sqz_bins_enc *)b;
  uint8_t *p = b + round16(sizeof(sqz_bins_enc));
  e->cap = max_count;
  e->out_cap = out_cap;
  uint64_t **arrays[6] = {&e->v, &e->r, &e->keys, &e->tmp, &e->gaps, &e->vals};
  for (int i = 0; i < 6; i++) {
    *arrays[i] = (uint64_t *)p;
    p += round16(8 * max_count);
  }
  e->sym = p;
  p += round16(max_count);
  e->emit = (uint16_t *)p;
  p += round16(2 * max_count);
  e->emit_nb = p;
  p += round16(max_count);
  e->best = p;
  p += round16(out_cap);
  e->cand = p;
  p += round16(out_cap);
  e->alt = p;
  return e;
}

void sqz_bins_enc_release(sqz_ctx *ctx, sqz_bins_enc *enc) {
  sqz_scratch_release(ctx, enc);
}

uint64_t *sqz_bins_enc_values(sqz_bins_enc *enc) {
  return enc->v;
}

/* ---- Encoder: sorting and bins --------------------------------------------- */

/* Sorts the m keys in e->keys ascending (LSD radix sort by bytes, skipping
** the bytes no key has set; e->tmp is the second buffer). */
static void sort_keys(sqz_bins_enc *e, size_t m) {
  uint64_t any = 0;
  for (size_t i = 0; i < m; i++)
    any |= e->keys[i];
  uint64_t *from = e->keys, *to = e->tmp;
  for (unsigned shift = 0; shift < 64 && (any >> shift); shift += 8) {
    size_t hist[256] = {0};
    for (size_t i = 0; i < m; i++)
      hist[(from[i] >> shift) & 0xff]++;
    size_t sum = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t h = hist[b];
      hist[b] = sum;
      sum += h;
    }
    for (size_t i = 0; i < m; i++)
      to[hist[(from[i] >> shift) & 0xff]++] = from[i];
    uint64_t *t = from;
    from = to;
    to = t;
  }
  if (from != e->keys) memcpy(e->keys, from, 8 * m);
}

/* Cuts the m sorted keys into groups of about m / BINS_GROUPS values, a
** run of one key that large being a group of its own; fills g_lo, g_hi and
** the prefix counts g_pre. Returns the number of groups (at most
** 2 * BINS_GROUPS + 1). */
static unsigned make_groups(sqz_bins_enc *e, size_t m) {
  size_t target = m / BINS_GROUPS + 1, cur = 0;
  unsigned g = 0;
  e->g_pre[0] = 0;
  for (size_t i = 0; i < m;) {
    size_t j = i + 1;
    while (j < m && e->keys[j] == e->keys[i])
      j++;
    size_t run = j - i;
    if (run >= target) {
      if (cur) {
        e->g_pre[g + 1] = e->g_pre[g] + (uint32_t)cur;
        g++;
        cur = 0;
      }
      e->g_lo[g] = e->g_hi[g] = e->keys[i];
      e->g_pre[g + 1] = e->g_pre[g] + (uint32_t)run;
      g++;
    } else {
      if (!cur) e->g_lo[g] = e->keys[i];
      e->g_hi[g] = e->keys[i];
      cur += run;
      if (cur >= target) {
        e->g_pre[g + 1] = e->g_pre[g] + (uint32_t)cur;
        g++;
        cur = 0;
      }
    }
    i = j;
  }
  if (cur) {
    e->g_pre[g + 1] = e->g_pre[g] + (uint32_t)cur;
    g++;
  }
  return g;
}

/* Joins the g groups into bins by dynamic programming (Pcodec's bin
** optimization): the cost of a bin holding count of the m values with
** offsets of w bits is count * log2(m / count) + count * w + BINS_BIN_BITS,
** in 16.16 fixed point. Fills e->lo, hi, count, width; returns the number
** of bins. */
static unsigned optimize_bins(sqz_bins_enc *e, unsigned g, size_t m) {
  uint64_t log_m = sqz_log2_fx(m);
  e->dp_cost[0] = 0;
  for (unsigned j = 1; j <= g; j++) {
    uint64_t best = UINT64_MAX;
    unsigned from = 0;
    for (unsigned i = j; i-- > 0;) {
      uint64_t c = e->g_pre[j] - e->g_pre[i];
      unsigned w = sqz_bit_width(e->g_hi[j - 1] - e->g_lo[i]);
      uint64_t cost = e->dp_cost[i] + c * (log_m - sqz_log2_fx(c)) + ((c * w) << 16) +
                      ((uint64_t)BINS_BIN_BITS << 16);
      if (cost < best) {
        best = cost;
        from = i;
      }
    }
    e->dp_cost[j] = best;
    e->dp_prev[j] = (uint16_t)from;
  }
  unsigned nb = 0;
  for (unsigned j = g; j > 0; j = e->dp_prev[j])
    nb++;
  unsigned b = nb;
  for (unsigned j = g; j > 0; j = e->dp_prev[j]) {
    unsigned i = e->dp_prev[j];
    b--;
    e->lo[b] = e->g_lo[i];
    e->hi[b] = e->g_hi[j - 1];
    e->count[b] = e->g_pre[j] - e->g_pre[i];
    e->width[b] = (uint8_t)sqz_bit_width(e->hi[b] - e->lo[b]);
  }
  return nb;
}

/* The bin of key k: the last bin whose lo is <= k (bins ascending). */
static inline unsigned find_bin(const sqz_bins_enc *e, unsigned nb, uint64_t k) {
  unsigned b = 0;
  for (unsigned step = 1u << (sqz_bit_width(nb) - 1); step; step >>= 1)
    if (b + step < nb && e->lo[b + step] <= k) b += step;
  return b;
}

/* Writes the m values x[] as a bins sequence (kind byte included). */
static void put_bins_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  uint64_t umin = UINT64_MAX;
  for (size_t i = 0; i < m; i++)
    umin = (x[i] ^ SIGN) < umin ? (x[i] ^ SIGN) : umin;
  for (size_t i = 0; i < m; i++)
    e->keys[i] = (x[i] ^ SIGN) - umin;
  sort_keys(e, m);
  unsigned nb = optimize_bins(e, make_groups(e, m), m);

  /* the table size: exact tANS cost plus the weights' bytes, smallest wins */
  unsigned log_min = nb > 1 ? sqz_bit_width(nb - 1) : 0;
  unsigned log_max = sqz_bit_width(m) + 1;
  if (log_max > SQZ_ANS_LOG_MAX) log_max = SQZ_ANS_LOG_MAX;
  if (log_max < log_min) log_max = log_min;
  uint64_t best = UINT64_MAX;
  unsigned log = log_min;
  for (unsigned L = log_min; L <= log_max; L++) {
    uint32_t w[BINS_MAX];
    sqz_ans_normalize(e->count, nb, L, w);
    uint64_t cost = sqz_ans_cost_fx(e->count, w, nb, L) + ((uint64_t)BINS_STATES * L << 16) +
                    ((uint64_t)BINS_STATE_BITS << (L + 16 - BINS_STATE_SHIFT));
    for (unsigned b = 0; b < nb; b++)
      cost += (uint64_t)(8 * sqz_varint_size(w[b] - 1)) << 16;
    if (cost < best) {
      best = cost;
      log = L;
    }
  }
  sqz_ans_normalize(e->count, nb, log, e->weight);
  sqz_ans_encoder_init(&e->ans, e->weight, nb, log);

  /* bins of the values, then tANS from the last value to the first */
  uint64_t off_bits = 0, ans_bits = (uint64_t)BINS_STATES * log;
  for (size_t i = 0; i < m; i++) {
    unsigned b = find_bin(e, nb, (x[i] ^ SIGN) - umin);
    e->sym[i] = (uint8_t)b;
    off_bits += e->width[b];
  }
  uint32_t state[BINS_STATES] = {0, 0, 0, 0};
  for (size_t i = m; i-- > 0;) {
    uint32_t bits;
    unsigned n = sqz_ans_encode(&e->ans, &state[i % BINS_STATES], e->sym[i], &bits);
    e->emit[i] = (uint16_t)bits;
    e->emit_nb[i] = (uint8_t)n;
    ans_bits += n;
  }

  out_byte(o, SEQ_BINS);
  out_byte(o, nb - 1);
  out_byte(o, log);
  for (unsigned b = 0; b < nb; b++) {
    out_byte(o, e->width[b]);
    if (b == 0) {
      out_varint(o, sqz_zigzag_encode((e->lo[0] + umin) ^ SIGN));
    } else {
      out_varint(o, e->lo[b] - e->lo[b - 1]);
    }
    out_varint(o, e->weight[b] - 1);
  }
  size_t ans_bytes = (size_t)((ans_bits + 7) / 8), off_bytes = (size_t)((off_bits + 7) / 8);
  out_varint(o, ans_bytes);
  out_varint(o, off_bytes);
  if (o->over || o->cap - o->n < ans_bytes + off_bytes) {
    o->over = 1;
    return;
  }
  sqz_bitwriter w;
  sqz_bw_init(&w, o->p + o->n, ans_bytes);
  for (unsigned k = 0; k < BINS_STATES; k++)
    sqz_bw_put(&w, state[k], log);
  for (size_t i = 0; i < m; i++)
    sqz_bw_put(&w, e->emit[i], e->emit_nb[i]);
  sqz_bw_finish(&w);
  o->n += ans_bytes;
  sqz_bw_init(&w, o->p + o->n, off_bytes);
  for (size_t i = 0; i < m; i++) {
    unsigned b = e->sym[i];
    sqz_bw_put64(&w, (x[i] ^ SIGN) - umin - e->lo[b], e->width[b]);
  }
  sqz_bw_finish(&w);
  o->n += off_bytes;
}

/* Writes the m values x[] as a sequence: bins, or sparse when one value
** holds at least 7/8 of them and that is smaller (with more others, filling
** and patching costs more decoding time than bins and saves little). */
static void put_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  size_t at = o->n;
  put_bins_seq(e, x, m, o);
  if (o->over) return;
  /* the most frequent value: the longest run of the sorted keys, which
  ** put_bins_seq left in e->keys (ties: the smallest) */
  size_t dom_n = 0, dom_at = 0;
  for (size_t i = 0; i < m;) {
    size_t j = i + 1;
    while (j < m && e->keys[j] == e->keys[i])
      j++;
    if (j - i > dom_n) dom_n = j - i, dom_at = i;
    i = j;
  }
  if (8 * (m - dom_n) > m) return;
  uint64_t umin = UINT64_MAX;
  for (size_t i = 0; i < m; i++)
    umin = (x[i] ^ SIGN) < umin ? (x[i] ^ SIGN) : umin;
  uint64_t dom = (e->keys[dom_at] + umin) ^ SIGN;
  size_t c = 0, prev = 0;
  for (size_t i = 0; i < m; i++) {
    if (x[i] == dom) continue;
    e->gaps[c] = c ? i - prev - 1 : i;
    e->vals[c++] = x[i];
    prev = i;
  }
  outb alt = {e->alt, 0, o->n - at, 0}; /* must come out smaller than the bins form */
  out_byte(&alt, SEQ_SPARSE);
  out_varint(&alt, sqz_zigzag_encode(dom));
  out_varint(&alt, c);
  if (c) {
    put_bins_seq(e, e->gaps, c, &alt);
    if (!alt.over) put_bins_seq(e, e->vals, c, &alt);
  }
  if (alt.over || alt.n >= o->n - at) return;
  memcpy(o->p + at, alt.p, alt.n);
  o->n = at + alt.n;
}

/* ---- Encoder: transforms ----------------------------------------------------- */

/* One delta step at lag L: d[0] = s[0], d[i] = s[i] - s[i-1] for i < L,
** d[i] = s[i] - s[i-L] after (modulo 2^64). s and d may not overlap. */
static void lag_step(const uint64_t *s, uint64_t *d, size_t n, size_t L) {
  size_t head = L < n ? L : n;
  d[0] = s[0];
  for (size_t i = 1; i < head; i++)
    d[i] = s[i] - s[i - 1];
  for (size_t i = head; i < n; i++)
    d[i] = s[i] - s[i - L];
}

/* A transform: order 0..2 and its lags. */
typedef struct transform {
  unsigned order;
  size_t lag[BINS_ORDER_MAX];
} transform;

/* The residuals of t for e->v[0..n) in e->r (e->keys holds the first
** step's output when order is 2). */
static void apply(sqz_bins_enc *e, const transform *t, size_t n) {
  if (t->order == 0) {
    memcpy(e->r, e->v, 8 * n);
  } else if (t->order == 1) {
    lag_step(e->v, e->r, n, t->lag[0]);
  } else {
    lag_step(e->v, e->keys, n, t->lag[0]);
    lag_step(e->keys, e->r, n, t->lag[1]);
  }
}

/* The estimated bits (16.16) of the residuals r[1..n): the entropy of the
** bit widths of their distances to a typical residual (the median of 15
** sampled ones, so that a constant step costs nothing) plus the bits below
** each distance's leading one. */
static uint64_t estimate(const uint64_t *r, size_t n) {
  uint64_t smp[15];
  unsigned ns = 0;
  for (size_t j = 0; j < 15 && n > 1; j++)
    smp[ns++] = r[1 + j * (n - 1) / 15] ^ SIGN;
  for (unsigned a = 1; a < ns; a++) /* insertion sort, in signed order */
    for (unsigned b = a; b > 0 && smp[b - 1] > smp[b]; b--) {
      uint64_t t = smp[b];
      smp[b] = smp[b - 1];
      smp[b - 1] = t;
    }
  uint64_t mid = ns ? smp[ns / 2] ^ SIGN : 0;
  uint32_t h[65] = {0};
  for (size_t i = 1; i < n; i++)
    h[sqz_bit_width(sqz_zigzag_encode(r[i] - mid))]++;
  uint64_t m = n - 1, log_m = sqz_log2_fx(m), bits = 0;
  for (unsigned k = 0; k <= 64; k++) {
    if (!h[k]) continue;
    bits += (uint64_t)h[k] * (log_m - sqz_log2_fx(h[k]));
    bits += ((uint64_t)h[k] * (k ? k - 1 : 0)) << 16;
  }
  return bits;
}

/* The seasonal lag of e->v[0..n): the lag in 1..BINS_LAG_SEARCH (and
** n / 2) with the fewest bits of x[i] - x[i-L] on a sample of positions;
** ties to the smaller lag. 1 when n is too short to search. */
static size_t find_lag(const sqz_bins_enc *e, size_t n) {
  size_t lag_max = n / 2 < BINS_LAG_SEARCH ? n / 2 : BINS_LAG_SEARCH;
  if (lag_max < 2) return 1;
  size_t span = n - lag_max, samples = span < BINS_LAG_SAMPLES ? span : BINS_LAG_SAMPLES;
  size_t pos[BINS_LAG_SAMPLES];
  for (size_t j = 0; j < samples; j++)
    pos[j] = lag_max + j * span / samples;
  uint64_t best = UINT64_MAX;
  size_t best_lag = 1;
  for (size_t L = 1; L <= lag_max; L++) {
    uint64_t bits = 0;
    for (size_t j = 0; j < samples; j++)
      bits += sqz_bit_width(sqz_zigzag_encode(e->v[pos[j]] - e->v[pos[j] - L]));
    if (bits < best) {
      best = bits;
      best_lag = L;
    }
  }
  return best_lag;
}

/* Writes the coded page of transform t into o. */
static void put_coded(sqz_bins_enc *e, const transform *t, size_t n, outb *o) {
  apply(e, t, n);
  out_byte(o, FORM_CODED);
  out_byte(o, t->order);
  for (unsigned k = 0; k < t->order; k++)
    out_varint(o, t->lag[k]);
  out_varint(o, sqz_zigzag_encode(e->r[0]));
  if (n > 1 && !o->over) put_seq(e, e->r + 1, n - 1, o);
}

size_t sqz_bins_encode_page(sqz_bins_enc *e, unsigned count, uint8_t *dst, size_t cap) {
  size_t n = count, raw = sqz_bins_page_bound(n);
  transform cands[5];
  unsigned nc = 0;
  cands[nc++] = (transform){0, {0, 0}};
  if (n > 2) {
    cands[nc++] = (transform){1, {1, 0}};
    cands[nc++] = (transform){2, {1, 1}};
    size_t L = find_lag(e, n);
    if (L > 1) {
      cands[nc++] = (transform){1, {L, 0}};
      cands[nc++] = (transform){2, {L, 1}};
    }
  }
  /* rate every candidate, code the best and order 0 when it may win */
  uint64_t est[5];
  unsigned top = 0;
  for (unsigned k = 0; k < nc; k++) {
    apply(e, &cands[k], n);
    est[k] = estimate(e->r, n);
    if (est[k] < est[top]) top = k;
  }
  size_t best = raw;
  for (unsigned k = 0; k < nc; k++) {
    if (k != top && !(k == 0 && est[0] <= 2 * est[top])) continue;
    outb o = {e->cand, 0, best < e->out_cap ? best : e->out_cap, 0};
    put_coded(e, &cands[k], n, &o);
    if (o.over || o.n >= best) continue;
    best = o.n;
    uint8_t *t = e->best;
    e->best = e->cand;
    e->cand = t;
  }
  if (cap < best) return SQZ_ERROR(DST_TOO_SMALL);
  if (best < raw) {
    memcpy(dst, e->best, best);
  } else {
    dst[0] = FORM_RAW;
    for (size_t i = 0; i < n; i++)
      sqz_store64le(dst + 1 + 8 * i, e->v[i]);
  }
  return best;
}

/* ---- Decoder ------------------------------------------------------------------ */

struct sqz_bins_dec {
  size_t cap;          /* values per page, at most */
  uint8_t *pad;        /* zero-padded copies of streams that end near the end of src */
  uint8_t *gaps;       /* sparse: the gaps, little-endian uint64 */
  uint8_t *vals;       /* sparse: the values */
  uint64_t base[BINS_MAX]; /* lower bound of each bin */
  uint64_t mask[BINS_MAX]; /* 2^width - 1 */
  uint8_t width[BINS_MAX];
  uint32_t weight[BINS_MAX];
  sqz_ans_entry table[1u << SQZ_ANS_LOG_MAX];
};

/* The fast loops read up to PAD bytes past a stream's position. */
#define PAD 64

/* Bytes of d->pad: the longest tANS stream (4 states and 12 bits a value)
** and the longest offset stream (64 bits a value) of a page, each followed by
** PAD zero bytes. */
static size_t pad_bytes(size_t count) {
  return (BINS_STATES * SQZ_ANS_LOG_MAX + 12 * count + 7) / 8 + 8 * count + 2 * PAD;
}

sqz_bins_dec *sqz_bins_dec_acquire(sqz_ctx *ctx, size_t max_count) {
  if (max_count == 0 || max_count > SQZ_BINS_PAGE) return NULL;
  size_t bytes = round16(sizeof(sqz_bins_dec)) + 2 * round16(8 * max_count) + round16(pad_bytes(max_count));
  uint8_t *b = sqz_scratch_acquire(ctx, bytes);
  if (!b) return NULL;
  sqz_bins_dec *d = (sqz_bins_dec *)b;
  uint8_t *p = b + round16(sizeof(sqz_bins_dec));
  d->cap = max_count;
  d->pad = p;
  p += round16(pad_bytes(max_count));
  d->gaps = p;
  p += round16(8 * max_count);
  d->vals = p;
  return d;
}

void sqz_bins_dec_release(sqz_ctx *ctx, sqz_bins_dec *dec) {
  sqz_scratch_release(ctx, dec);
}

/* Reads n bits (0..64) at bit *pos of s[0..nbytes), zero past its end, and
** advances *pos. The careful path for the ends of streams. */
static uint64_t read_bits(const uint8_t *s, size_t nbytes, uint64_t *pos, unsigned n) {
  uint64_t v = 0;
  for (unsigned got = 0; got < n;) {
    uint64_t at = *pos >> 3;
    unsigned sh = (unsigned)(*pos & 7), take = 8 - sh < n - got ? 8 - sh : n - got;
    uint64_t byte = at < nbytes ? s[at] : 0;
    v |= ((byte >> sh) & sqz_mask64(take)) << got;
    got += take;
    *pos += take;
  }
  return v;
}

/* The end of a stream of nbytes after pos bits were read: TRUNCATED when a
** read went past it, CORRUPT when a whole byte is left or a padding bit is
** set, else 0. */
static size_t stream_end(const uint8_t *s, size_t nbytes, uint64_t pos) {
  uint64_t total = 8 * (uint64_t)nbytes;
  if (pos > total) return SQZ_ERROR(TRUNCATED);
  if (total - pos >= 8) return SQZ_ERROR(CORRUPT);
  return read_bits(s, nbytes, &pos, (unsigned)(total - pos)) ? SQZ_ERROR(CORRUPT) : 0;
}

/* The four symbols' tANS steps from one 8-byte load (at most 48 bits): the
** entries e0..e3 of states x0..x3, which move on. */
#define ANS_STEP4()                                                                                \
  do {                                                                                             \
    uint64_t bits = sqz_load64le(s + (pos >> 3)) >> (pos & 7);                                     \
    e0 = &T[x0], e1 = &T[x1], e2 = &T[x2], e3 = &T[x3];                                            \
    x0 = e0->base + (uint32_t)(bits & e0->mask);                                                   \
    bits >>= e0->nb;                                                                               \
    x1 = e1->base + (uint32_t)(bits & e1->mask);                                                   \
    bits >>= e1->nb;                                                                               \
    x2 = e2->base + (uint32_t)(bits & e2->mask);                                                   \
    bits >>= e2->nb;                                                                               \
    x3 = e3->base + (uint32_t)(bits & e3->mask);                                                   \
    pos += (unsigned)e0->nb + e1->nb + e2->nb + e3->nb;                                            \
  } while (0)

/* Value i + J from entry E: its bin's lower bound, plus, when the bin is
** wider than 0 (E->aux holds the width), the offset read with one 8-byte
** load at the offset stream's bit position opos. Bins of width 0 are the
** common ones in smooth series, so the branch is well predicted. */
#define VALUE_AT(J, E)                                                                             \
  do {                                                                                             \
    unsigned b_ = (E)->sym;                                                                        \
    uint64_t v_ = base[b_];                                                                        \
    if ((E)->aux) {                                                                                \
      v_ += (sqz_load64le(o + (opos >> 3)) >> (opos & 7)) & mask[b_];                              \
      opos += (E)->aux;                                                                            \
    }                                                                                              \
    sqz_store64le(out + 8 * (i + (J)), v_);                                                        \
  } while (0)

/* Decodes the m values of a bins sequence into out: bins from the tANS
** stream s[0..sbytes) and offsets from the offset stream o[0..obytes)
** (savail and oavail bytes are readable from s and o). Four tANS states,
** symbol i on state i % 4, start from the stream's first 4 * log bits and
** must all end at 0; each value's offset is read as soon as its bin is
** known. Where 8-byte loads would pass the readable bytes, and for offsets
** wider than 56 bits, the careful reader takes over. The table's aux
** fields hold the bins' widths. Returns 0, TRUNCATED (a stream read past
** its end) or CORRUPT (bytes or padding bits left over, a final state not
** 0). */
static size_t values_decode(sqz_bins_dec *d, unsigned log, unsigned max_width, const uint8_t *s,
                            size_t sbytes, size_t savail, const uint8_t *o, size_t obytes,
                            size_t oavail, size_t m, uint8_t *restrict out) {
  const sqz_ans_entry *restrict T = d->table;
  const uint64_t *restrict base = d->base, *restrict mask = d->mask;
  uint64_t pos = 0, opos = 0;
  uint32_t x[BINS_STATES];
  for (unsigned k = 0; k < BINS_STATES; k++)
    x[k] = (uint32_t)read_bits(s, sbytes, &pos, log);
  size_t i = 0;
  if (savail >= 8 && max_width <= 56 && oavail >= 40) {
    /* four offsets of <= 56 bits after opos: 8-byte loads within 36 bytes */
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    const sqz_ans_entry *e0, *e1, *e2, *e3;
    uint64_t lim = savail - 8, olim = oavail - 40;
    for (; i + 4 <= m && (pos >> 3) <= lim && (opos >> 3) <= olim; i += 4) {
      ANS_STEP4();
      VALUE_AT(0, e0);
      VALUE_AT(1, e1);
      VALUE_AT(2, e2);
      VALUE_AT(3, e3);
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
  }
  for (; i < m; i++) {
    uint32_t *xs = &x[i % BINS_STATES];
    const sqz_ans_entry *en = &T[*xs];
    unsigned b = en->sym;
    *xs = en->base + (uint32_t)read_bits(s, sbytes, &pos, en->nb);
    sqz_store64le(out + 8 * i, base[b] + read_bits(o, obytes, &opos, d->width[b]));
  }
  size_t r = stream_end(s, sbytes, pos);
  if (!r) r = stream_end(o, obytes, opos);
  if (!r && (x[0] | x[1] | x[2] | x[3])) r = SQZ_ERROR(CORRUPT);
  return r;
}

/* Reads a byte at src[*pos]. */
static size_t take_byte(const uint8_t *src, size_t size, size_t *pos, unsigned *b) {
  if (*pos >= size) return SQZ_ERROR(TRUNCATED);
  *b = src[(*pos)++];
  return 0;
}

/* Decodes a bins sequence of m values (after its kind byte) into out. */
static size_t get_bins_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos,
                           size_t m, uint8_t *out) {
  unsigned nb, log, max_width = 0;
  size_t r;
  if ((r = take_byte(src, size, pos, &nb)) || (r = take_byte(src, size, pos, &log))) return r;
  nb++;
  if (log > SQZ_ANS_LOG_MAX || nb > (1u << log)) return SQZ_ERROR(CORRUPT);
  uint32_t R = 1u << log, sum = 0;
  for (unsigned b = 0; b < nb; b++) {
    unsigned w;
    uint64_t lower, weight;
    if ((r = take_byte(src, size, pos, &w)) || (r = sqz_varint_take(src, size, pos, &lower)) ||
        (r = sqz_varint_take(src, size, pos, &weight)))
      return r;
    if (w > 64 || weight >= R - sum) return SQZ_ERROR(CORRUPT);
    sum += (uint32_t)weight + 1;
    d->weight[b] = (uint32_t)weight + 1;
    d->base[b] = b ? d->base[b - 1] + lower : sqz_zigzag_decode(lower);
    d->width[b] = (uint8_t)w;
    d->mask[b] = sqz_mask64(w);
    if (w > max_width) max_width = w;
  }
  if (sum != R) return SQZ_ERROR(CORRUPT);
  uint64_t ans_bytes, off_bytes;
  if ((r = sqz_varint_take(src, size, pos, &ans_bytes)) ||
      (r = sqz_varint_take(src, size, pos, &off_bytes)))
    return r;
  if (ans_bytes > size - *pos || off_bytes > size - *pos - ans_bytes)
    return SQZ_ERROR(TRUNCATED);
  size_t a = *pos, o = a + (size_t)ans_bytes;
  *pos = o + (size_t)off_bytes;
  sqz_ans_decoder_init(d->table, d->weight, nb, log);
  for (uint32_t k = 0; k < R; k++)
    d->table[k].aux = d->width[d->table[k].sym];
  /* streams that end less than PAD bytes before the end of src are read
  ** from zero-padded copies (at most one of each per page: the last one in
  ** src), so the fast loops run to their ends */
  const uint8_t *s = src + a, *ob = src + o;
  size_t savail = size - a, oavail = size - o;
  if (savail - ans_bytes < PAD || oavail - off_bytes < PAD) {
    uint8_t *p = d->pad;
    if (ans_bytes > (pad_bytes(d->cap) - 2 * PAD) || off_bytes > pad_bytes(d->cap) - 2 * PAD - ans_bytes)
      return SQZ_ERROR(CORRUPT); /* longer than any stream of m values */
    memcpy(p, s, (size_t)ans_bytes);
    memset(p + ans_bytes, 0, PAD);
    s = p, savail = (size_t)ans_bytes + PAD;
    p += ans_bytes + PAD;
    memcpy(p, ob, (size_t)off_bytes);
    memset(p + off_bytes, 0, PAD);
    ob = p, oavail = (size_t)off_bytes + PAD;
  }
  return values_decode(d, log, max_width, s, (size_t)ans_bytes, savail, ob, (size_t)off_bytes,
                       oavail, m, out);
}

/* out[0..m) = v, as little-endian uint64. */
static void fill(uint8_t *restrict out, size_t m, uint64_t v) {
  for (size_t i = 0; i < m; i++)
    sqz_store64le(out + 8 * i, v);
}

/* Copies the c values vals[] over out[0..m) at the positions the gaps give
** (position j = position j-1 + 1 + gap j, the first = gap 0). Returns 0, or
** CORRUPT when a position reaches m. */
static size_t patch(uint8_t *restrict out, size_t m, const uint8_t *restrict gaps,
                    const uint8_t *restrict vals, size_t c) {
  size_t at = 0;
  for (size_t j = 0; j < c; j++) {
    uint64_t gap = sqz_load64le(gaps + 8 * j);
    if (gap >= m - at) return SQZ_ERROR(CORRUPT);
    at += (size_t)gap;
    memcpy(out + 8 * at, vals + 8 * j, 8);
    at++;
  }
  return 0;
}

/* Decodes a sequence of m values (kind byte first) into out. */
static size_t get_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos, size_t m,
                      uint8_t *out) {
  unsigned kind;
  size_t r = take_byte(src, size, pos, &kind);
  if (r) return r;
  if (kind == SEQ_BINS) return get_bins_seq(d, src, size, pos, m, out);
  if (kind != SEQ_SPARSE) return sqz_mode_error(kind, SEQ_RESERVED);
  uint64_t dom, c;
  if ((r = sqz_varint_take(src, size, pos, &dom)) || (r = sqz_varint_take(src, size, pos, &c)))
    return r;
  if (c > m) return SQZ_ERROR(CORRUPT);
  dom = sqz_zigzag_decode(dom);
  fill(out, m, dom);
  if (c == 0) return 0;
  unsigned k1, k2;
  if ((r = take_byte(src, size, pos, &k1))) return r;
  if (k1 != SEQ_BINS) return k1 == SEQ_SPARSE ? SQZ_ERROR(CORRUPT) : sqz_mode_error(k1, SEQ_RESERVED);
  if ((r = get_bins_seq(d, src, size, pos, (size_t)c, d->gaps))) return r;
  if ((r = take_byte(src, size, pos, &k2))) return r;
  if (k2 != SEQ_BINS) return k2 == SEQ_SPARSE ? SQZ_ERROR(CORRUPT) : sqz_mode_error(k2, SEQ_RESERVED);
  if ((r = get_bins_seq(d, src, size, pos, (size_t)c, d->vals))) return r;
  return patch(out, m, d->gaps, d->vals, (size_t)c);
}

/* Undoes one delta step at lag L over out[0..n), in place. */
static void unlag(uint8_t *restrict out, size_t n, size_t L) {
  size_t head = L < n ? L : n;
  uint64_t x = sqz_load64le(out);
  for (size_t i = 1; i < head; i++) {
    x += sqz_load64le(out + 8 * i);
    sqz_store64le(out + 8 * i, x);
  }
  for (size_t i = head; i < n; i++)
    sqz_store64le(out + 8 * i, sqz_load64le(out + 8 * i) + sqz_load64le(out + 8 * (i - L)));
}

/* Undoes the delta steps at lags lag[0..order) over out[0..n), in place, the
** last step first. The two-step transforms the encoder writes, (1, 1) and
** (L, 1), run as one pass with the inner sum in a register. */
static void unlag_all(uint8_t *restrict out, size_t n, unsigned order, const size_t *lag) {
  if (order == 2 && lag[1] == 1) {
    size_t L = lag[0], head = L < n ? L : n;
    uint64_t s = sqz_load64le(out), v = s;
    for (size_t i = 1; i < head; i++) {
      s += sqz_load64le(out + 8 * i);
      v += s;
      sqz_store64le(out + 8 * i, v);
    }
    for (size_t i = head; i < n; i++) {
      s += sqz_load64le(out + 8 * i);
      sqz_store64le(out + 8 * i, s + sqz_load64le(out + 8 * (i - L)));
    }
    return;
  }
  for (unsigned k = order; k-- > 0;)
    unlag(out, n, lag[k]);
}

size_t sqz_bins_decode_page(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos,
                            unsigned count, uint8_t *out) {
  size_t n = count, r;
  unsigned form, shape;
  if ((r = take_byte(src, size, pos, &form))) return r;
  if (form == FORM_RAW) {
    if (size - *pos < 8 * n) return SQZ_ERROR(TRUNCATED);
    memcpy(out, src + *pos, 8 * n);
    *pos += 8 * n;
    return 0;
  }
  if (form != FORM_CODED) return sqz_mode_error(form, FORM_RESERVED);
  if ((r = take_byte(src, size, pos, &shape))) return r;
  if (shape > BINS_ORDER_MAX) return SQZ_ERROR(CORRUPT);
  size_t lag[BINS_ORDER_MAX];
  for (unsigned k = 0; k < shape; k++) {
    uint64_t L;
    if ((r = sqz_varint_take(src, size, pos, &L))) return r;
    if (L == 0 || L > BINS_LAG_MAX) return SQZ_ERROR(CORRUPT);
    lag[k] = (size_t)L;
  }
  uint64_t first;
  if ((r = sqz_varint_take(src, size, pos, &first))) return r;
  sqz_store64le(out, sqz_zigzag_decode(first));
  if (n > 1 && (r = get_seq(d, src, size, pos, n - 1, out + 8))) return r;
  unlag_all(out, n, shape, lag);
  return 0;
}

/* ---- The codec ---------------------------------------------------------------- */

/* Worst case: every page raw, one form byte each. */
static size_t bins_bound(size_t srcSize) {
  size_t values = srcSize / 8 + (srcSize % 8 != 0);
  size_t pages = values / SQZ_BINS_PAGE + (values % SQZ_BINS_PAGE != 0);
  if (srcSize > SIZE_MAX - pages) return 0;
  return srcSize + pages;
}

/* compress: srcSize / 8 little-endian int64, page by page. Returns the
** payload size (0 for no values), SRC_SIZE when srcSize % 8 != 0, MEMORY,
** DST_TOO_SMALL. */
static size_t bins_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                            size_t srcSize, const sqz_params *params) {
  (void)params;
  if (srcSize % 8) return SQZ_ERROR(SRC_SIZE);
  size_t n = srcSize / 8, pos = 0, r = 0;
  if (n == 0) return 0;
  sqz_bins_enc *e = sqz_bins_enc_acquire(ctx, n < SQZ_BINS_PAGE ? n : SQZ_BINS_PAGE);
  if (!e) return SQZ_ERROR(MEMORY);
  const uint8_t *in = src;
  for (size_t p = 0; p < n; p += SQZ_BINS_PAGE) {
    unsigned count = n - p < SQZ_BINS_PAGE ? (unsigned)(n - p) : SQZ_BINS_PAGE;
    for (unsigned i = 0; i < count; i++)
      e->v[i] = sqz_load64le(in + 8 * (p + i));
    r = sqz_bins_encode_page(e, count, (uint8_t *)dst + pos, dstCapacity - pos);
    if (sqz_is_error(r)) break;
    pos += r;
    r = 0;
  }
  sqz_bins_enc_release(ctx, e);
  return r ? r : pos;
}

/* decompress: dstSize / 8 int64 from the pages in src. Returns dstSize;
** VERSION for a page form or sequence kind 2..15; CORRUPT when dstSize % 8
** != 0, for any other field out of range, or bytes after the last page;
** TRUNCATED when src ends inside a page; MEMORY. Reads only
** src[0..srcSize), writes only dst[0..dstSize). */
static size_t bins_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                              size_t srcSize) {
  if (dstSize % 8) return SQZ_ERROR(CORRUPT);
  size_t n = dstSize / 8, pos = 0, r = 0;
  if (n == 0) return srcSize ? SQZ_ERROR(CORRUPT) : 0;
  sqz_bins_dec *d = sqz_bins_dec_acquire(ctx, n < SQZ_BINS_PAGE ? n : SQZ_BINS_PAGE);
  if (!d) return SQZ_ERROR(MEMORY);
  for (size_t p = 0; p < n && !r; p += SQZ_BINS_PAGE) {
    unsigned count = n - p < SQZ_BINS_PAGE ? (unsigned)(n - p) : SQZ_BINS_PAGE;
    r = sqz_bins_decode_page(d, src, srcSize, &pos, count, (uint8_t *)dst + 8 * p);
  }
  if (!r && pos != srcSize) r = SQZ_ERROR(CORRUPT);
  sqz_bins_dec_release(ctx, d);
  return r ? r : dstSize;
}

const sqz_codec sqz_codec_bins = {
    .name = "bins",
    .id = SQZ_ID_BINS,
    .kind = SQZ_KIND_INT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "lagged deltas, then tANS-coded bins and offsets (Pcodec) or sparse runs",
    .bound = bins_bound,
    .compress = bins_compress,
    .decompress = bins_decompress,
    .free_state = NULL,
};

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
**   - a tANS symbol may stand for a tuple of k values' bins (nbins^k <=
**     256), so that one state step decodes several values;
**   - two more forms of a sequence: sparse, one value plus the positions
**     and values of the others, the patching of PFOR (M. Zukowski, S. Heman,
**     N. Nes, P. Boncz, "Super-Scalar RAM-CPU Cache Compression", ICDE 2006),
**     which with no patch is DuckDB's CONSTANT and CONSTANT_DELTA
**     bit-packing modes (src/storage/compression/bitpacking.cpp); and packed,
**     frame of reference per 128 values (J. Goldstein, R. Ramakrishnan, U.
**     Shaft, "Compressing relations and indexes", ICDE 1998).
**
** Pages. Values are cut into pages of SQZ_BINS_PAGE (16384), each coded on
** its own, so the encoder and decoder need scratch for one page only, and a
** page can be raw when nothing smaller exists. Per page the encoder:
**   1. picks a transform: order 0 (the values), a delta at lag 1, two deltas
**      at lag 1, a delta at the seasonal lag L* (found on a sample of the
**      page among L = 2..1024), or a delta at L* and one at lag 1. Each is
**      rated by a quick estimate (the entropy of the residuals' bit widths
**      plus their bits below the leading one); the best one is coded, and
**      order 0 too when rated within 1.25x (a column of few distinct values,
**      such as speeds in knots, is cheaper as values than as deltas);
**   2. codes the residuals as bins: sorts them, cuts them into about 100
**      quantile groups (a value that repeats more than a group's share gets
**      a group of its own), and joins neighbouring groups into bins by
**      dynamic programming on their estimated bits; then rates tuples of
**      every size that fits (and, past 16 bins, the bins merged to 16 in
**      pairs) and table logs 0..12 by exact tANS cost;
**   3. also codes them sparse (when one value holds 7/8 of them) and packed;
**   4. keeps a form by a cost model of size and decoding time (put_seq): a
**      tANS step costs about a nanosecond a value more than unpacking, so
**      bins are kept only where they save 1.25 bits a value or packing takes
**      1.5x their size; then the smallest page, or the raw page.
** All of it is integer arithmetic (sqz_log2_fx for logarithms), so the
** output is the same on every machine.
**
** Decoding a page: build the tANS table, step four interleaved states (each
** state's table lookup overlaps the other three's), and for each tuple copy
** its bins' lower bounds, adding offsets only where a bin is wider than 0
** (a branch that is well predicted in smooth series, skipped when wide
** tuples are common); then undo the deltas. Streams that end near the end
** of the input are read from zero-padded copies, so the 8-byte loads of the
** fast loops stay inside their buffers.
**
** Usage (SQL): SELECT compress(blob_of_int64, 'bins');
**   CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER CODEC bins, ...);
*/
#include "bins.h"

#include <string.h>

#include "alp_pack.h"
#include "ans.h"
#include "bits.h"
#include "bitstream.h"
#include "byteorder.h"
#include "codec.h"
#include "varint.h"

#define BINS_ORDER_MAX 2                 /* deltas per transform */
#define BINS_LAG_MAX (SQZ_BINS_PAGE - 1) /* largest lag the format allows */
#define BINS_LAG_SEARCH 1024             /* seasonal lags the encoder tries: 2..this */
#define BINS_LAG_SAMPLES 64              /* sampled positions per tried lag */
#define BINS_LAG_FINALISTS 8             /* lags tried on every sample */
#define BINS_GROUPS 100                  /* quantile groups per sequence (plus repeated values) */
#define BINS_MAX 256                     /* bins per sequence: symbols fit a byte */
#define BINS_BIN_BITS 24                 /* estimated header bits of one bin */
#define BINS_STATES 4                    /* interleaved tANS states */
#define BINS_TUPLE_MAX 8                 /* values per tANS symbol, at most */
/* Tuples decode several values per tANS step, and packed and sparse
** sequences faster still, so the encoder takes them unless they cost more
** than 1/BINS_TUPLE_SLACK above the smallest form. */
#define BINS_TUPLE_SLACK 16
#define BINS_PAIR_BINS 16 /* bins that pairs of values can take (16^2 symbols) */
/* Bins of width 0 decode without reading offsets: the bin optimization
** charges each value in a wider bin BINS_WIDE_COST / 2^16 bits more. */
#define BINS_WIDE_COST 16384
#define BINS_PACK_BLOCK 128 /* values per frame-of-reference block of a packed sequence */
#define BINS_LUT 65536      /* keys the encoder's key-to-bin table covers */
/* The bytes a value (times 32: 1.25 bits) that tANS must save over a packed
** sequence to be used: it decodes about 1 ns a value slower
** (bench/bench_numeric.c). */
#define BINS_ANS_SAVING 5
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
enum { SEQ_BINS = 0, SEQ_SPARSE = 1, SEQ_PACKED = 2, SEQ_RESERVED = 15 };

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

/* A set of bins: ranges [lo, hi] of sort keys (values relative to the
** sequence's minimum, in signed order), ascending and disjoint, each with
** its number of values and offset width bit_width(hi - lo). */
typedef struct binset {
  unsigned nb;
  uint64_t lo[BINS_MAX], hi[BINS_MAX];
  uint32_t count[BINS_MAX];
  uint8_t width[BINS_MAX];
} binset;

struct sqz_bins_enc {
  size_t cap;            /* values per page, at most */
  size_t out_cap;        /* bytes of each candidate buffer */
  uint64_t *v;           /* the page's values */
  uint64_t *r;           /* residuals of the transform being coded */
  uint64_t *keys, *tmp;  /* sort keys and the radix sort's second buffer */
  uint64_t *gaps, *vals; /* sparse: positions (as gaps) and values of the others */
  uint8_t *sym;          /* bin of each value */
  uint8_t *tsym;         /* tANS symbol of each tuple of values */
  uint16_t *emit;        /* tANS bits emitted for each tuple */
  uint8_t *emit_nb;      /* and their count */
  uint8_t *best, *cand;  /* page candidates */
  uint8_t *alt, *alt2;   /* the sparse and packed forms of a sequence */
  uint8_t *lut;          /* BINS_LUT bytes: the bin of each small key */
  sqz_ans_encoder ans;
  binset bins[2];                              /* candidate bins of the sequence being coded */
  uint32_t tcount[BINS_MAX], weight[BINS_MAX]; /* per tANS symbol (a tuple of bins) */
  uint32_t lg[512];                            /* sqz_log2_fx(0..511), for fast_log2 */
  uint32_t table_work; /* the last bins sequence: tANS states and tuple entries to build */
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
  return round16(sizeof(sqz_bins_enc)) + 6 * round16(8 * cap) + 2 * round16(cap) +
         round16(2 * cap) + round16(cap) + 4 * round16(out_cap) + BINS_LUT;
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
  e->tsym = p;
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
  p += round16(out_cap);
  e->alt2 = p;
  p += round16(out_cap);
  e->lut = p;
  for (unsigned i = 0; i < 512; i++)
    e->lg[i] = (uint32_t)sqz_log2_fx(i);
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

/* log2(c) in 16.16 for c >= 1 from the top 9 bits of c (e->lg): within
** 0.003 bits, integer only. */
static inline uint64_t fast_log2(const sqz_bins_enc *e, uint64_t c) {
  unsigned w = sqz_bit_width(c);
  if (w <= 9) return e->lg[c];
  return e->lg[c >> (w - 9)] + ((uint64_t)(w - 9) << 16);
}

/* The estimated bits (16.16) of a bin of c of m values whose offsets take
** w bits: c * log2(m / c) of tANS, c * w of offsets, BINS_BIN_BITS of
** header, and BINS_WIDE_COST a value for reading offsets at all. */
static inline uint64_t bin_cost(const sqz_bins_enc *e, uint64_t log_m, uint64_t c, unsigned w) {
  return c * (log_m - fast_log2(e, c)) + ((c * w) << 16) + ((uint64_t)BINS_BIN_BITS << 16) +
         (w ? c * BINS_WIDE_COST : 0);
}

/* Joins the g groups into bins by dynamic programming (Pcodec's bin
** optimization) on bin_cost. Fills bs. */
static void optimize_bins(sqz_bins_enc *e, unsigned g, size_t m, binset *bs) {
  uint64_t log_m = sqz_log2_fx(m);
  e->dp_cost[0] = 0;
  for (unsigned j = 1; j <= g; j++) {
    uint64_t best = UINT64_MAX;
    unsigned from = 0;
    for (unsigned i = j; i-- > 0;) {
      uint64_t c = e->g_pre[j] - e->g_pre[i];
      unsigned w = sqz_bit_width(e->g_hi[j - 1] - e->g_lo[i]);
      uint64_t cost = e->dp_cost[i] + bin_cost(e, log_m, c, w);
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
  bs->nb = nb;
  for (unsigned j = g; j > 0; j = e->dp_prev[j]) {
    unsigned i = e->dp_prev[j];
    nb--;
    bs->lo[nb] = e->g_lo[i];
    bs->hi[nb] = e->g_hi[j - 1];
    bs->count[nb] = e->g_pre[j] - e->g_pre[i];
    bs->width[nb] = (uint8_t)sqz_bit_width(bs->hi[nb] - bs->lo[nb]);
  }
}

/* Merges neighbouring bins of bs, cheapest merge by bin_cost first (ties:
** the lower pair), until at most nb_max remain. */
static void merge_bins(const sqz_bins_enc *e, binset *bs, size_t m, unsigned nb_max) {
  uint64_t log_m = sqz_log2_fx(m);
  while (bs->nb > nb_max) {
    unsigned at = 0;
    int64_t best = INT64_MAX;
    for (unsigned b = 0; b + 1 < bs->nb; b++) {
      uint64_t c = (uint64_t)bs->count[b] + bs->count[b + 1];
      int64_t delta = (int64_t)bin_cost(e, log_m, c, sqz_bit_width(bs->hi[b + 1] - bs->lo[b])) -
                      (int64_t)bin_cost(e, log_m, bs->count[b], bs->width[b]) -
                      (int64_t)bin_cost(e, log_m, bs->count[b + 1], bs->width[b + 1]);
      if (delta < best) {
        best = delta;
        at = b;
      }
    }
    bs->hi[at] = bs->hi[at + 1];
    bs->count[at] += bs->count[at + 1];
    bs->width[at] = (uint8_t)sqz_bit_width(bs->hi[at] - bs->lo[at]);
    for (unsigned b = at + 1; b + 1 < bs->nb; b++) {
      bs->lo[b] = bs->lo[b + 1];
      bs->hi[b] = bs->hi[b + 1];
      bs->count[b] = bs->count[b + 1];
      bs->width[b] = bs->width[b + 1];
    }
    bs->nb--;
  }
}

/* The bin of key k in bs: the last bin whose lo is <= k. */
static inline unsigned find_bin(const binset *bs, uint64_t k) {
  unsigned b = 0;
  for (unsigned step = 1u << (sqz_bit_width(bs->nb) - 1); step; step >>= 1)
    if (b + step < bs->nb && bs->lo[b + step] <= k) b += step;
  return b;
}

/* The largest tuple size k (1..BINS_TUPLE_MAX) with nb^k <= BINS_MAX: the
** tANS symbol of k consecutive values is their k bins together. */
static unsigned tuple_max(unsigned nb) {
  unsigned k = 1;
  uint32_t p = nb;
  while (nb > 1 && k < BINS_TUPLE_MAX && p * nb <= BINS_MAX) {
    p *= nb;
    k++;
  }
  return k;
}

/* The tANS symbols of the m values' bins (e->sym) in tuples of k:
** e->tsym[t] = sum over j of bin(t k + j) * nb^j, a value past m counting
** as bin 0; their counts in e->tcount. Returns the number of tuples;
** *nsym gets nb^k. */
static size_t make_tuples(sqz_bins_enc *e, size_t m, unsigned nb, unsigned k, unsigned *nsym) {
  uint32_t ns = 1;
  for (unsigned j = 0; j < k; j++)
    ns *= nb;
  memset(e->tcount, 0, sizeof(uint32_t) * ns);
  size_t tuples = (m + k - 1) / k;
  for (size_t t = 0; t < tuples; t++) {
    unsigned sym = 0, mul = 1;
    for (unsigned j = 0; j < k; j++, mul *= nb)
      if (t * k + j < m) sym += e->sym[t * k + j] * mul;
    e->tsym[t] = (uint8_t)sym;
    e->tcount[sym]++;
  }
  *nsym = ns;
  return tuples;
}

/* The cheapest table log for the symbol counts in e->tcount (nsym symbols,
** tuples of them): the exact tANS cost, the states, the weights' bytes and
** BINS_STATE_BITS per 2^BINS_STATE_SHIFT states for building the table,
** trying logs upward until two in a row are no better. Returns the cost
** (16.16 bits) and sets *log. */
static uint64_t choose_log(sqz_bins_enc *e, unsigned nsym, size_t tuples, unsigned *log) {
  unsigned present = 0;
  for (unsigned s = 0; s < nsym; s++)
    present += e->tcount[s] != 0;
  unsigned log_min = present > 1 ? sqz_bit_width(present - 1) : 0;
  unsigned log_max = sqz_bit_width(tuples) + 1;
  if (log_max > SQZ_ANS_LOG_MAX) log_max = SQZ_ANS_LOG_MAX;
  if (log_max < log_min) log_max = log_min;
  uint64_t best = UINT64_MAX;
  for (unsigned L = log_min, worse = 0; L <= log_max && worse < 2; L++) {
    uint32_t w[BINS_MAX];
    sqz_ans_normalize(e->tcount, nsym, L, w);
    uint64_t cost = sqz_ans_cost_fx(e->tcount, w, nsym, L) + ((uint64_t)BINS_STATES * L << 16) +
                    ((uint64_t)BINS_STATE_BITS << (L + 16 - BINS_STATE_SHIFT));
    for (unsigned sy = 0; sy < nsym; sy++)
      cost += (uint64_t)(8 * sqz_varint_size(w[sy])) << 16;
    if (cost < best) {
      best = cost;
      *log = L;
      worse = 0;
    } else {
      worse++; /* the cost falls with the log, then rises: stop past the bottom */
    }
  }
  return best;
}

/* Puts the bin of each of the m values x[] in bs into e->sym (e->keys holds
** their sorted keys). Returns the offset bits of them all. When the keys
** span fewer than BINS_LUT values (and not many more than m), a table from
** key to bin replaces the binary search. */
static uint64_t assign_bins(sqz_bins_enc *e, const binset *bs, const uint64_t *x, size_t m,
                            uint64_t umin) {
  uint64_t bits = 0, span = e->keys[m - 1];
  if (span < BINS_LUT && span <= 8 * (uint64_t)m) {
    for (unsigned b = 0; b < bs->nb; b++)
      memset(e->lut + bs->lo[b], (int)b, (size_t)(bs->hi[b] - bs->lo[b]) + 1);
    for (size_t i = 0; i < m; i++) {
      unsigned b = e->lut[(x[i] ^ SIGN) - umin];
      e->sym[i] = (uint8_t)b;
      bits += bs->width[b];
    }
    return bits;
  }
  for (size_t i = 0; i < m; i++) {
    unsigned b = find_bin(bs, (x[i] ^ SIGN) - umin);
    e->sym[i] = (uint8_t)b;
    bits += bs->width[b];
  }
  return bits;
}

/* The header bits of bs's bins: a width byte and the lower bound's varint
** each (the first one's taken as 2 bytes). */
static uint64_t bins_header_bits(const binset *bs) {
  uint64_t bits = 16 + 8;
  for (unsigned b = 1; b < bs->nb; b++)
    bits += 8 + 8 * sqz_varint_size(bs->lo[b] - bs->lo[b - 1]);
  return bits;
}

/* One way to code a sequence: bins, tuple size, table log, estimated cost
** (16.16 bits: tANS, weights, offsets, bins). */
typedef struct plan {
  const binset *bs;
  unsigned k, log;
  uint64_t cost;
} plan;

/* Rates tuples of k of the bins in e->sym (offset bits off_bits). */
static plan rate(sqz_bins_enc *e, const binset *bs, size_t m, unsigned k, uint64_t off_bits) {
  plan p = {bs, k, 0, 0};
  unsigned nsym;
  size_t tuples = make_tuples(e, m, bs->nb, k, &nsym);
  p.cost = choose_log(e, nsym, tuples, &p.log) + ((off_bits + bins_header_bits(bs)) << 16);
  return p;
}

/* Writes the m values x[] as a bins sequence (kind byte included). The
** plans: the bins of optimize_bins in tuples of every size that fits a
** byte's symbols (1 to 8 values), and when there are more than 16 bins,
** those merged down to 16 and coded in pairs. Tuples decode faster, so the
** plan with the longest tuples within 1/BINS_TUPLE_SLACK of the cheapest
** is taken. */
static void put_bins_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  uint64_t umin = UINT64_MAX;
  for (size_t i = 0; i < m; i++)
    umin = (x[i] ^ SIGN) < umin ? (x[i] ^ SIGN) : umin;
  for (size_t i = 0; i < m; i++)
    e->keys[i] = (x[i] ^ SIGN) - umin;
  sort_keys(e, m);
  binset *bs0 = &e->bins[0], *bs1 = &e->bins[1];
  optimize_bins(e, make_groups(e, m), m, bs0);

  plan plans[BINS_TUPLE_MAX + 1];
  unsigned np = 0, kmax = tuple_max(bs0->nb);
  uint64_t off0 = assign_bins(e, bs0, x, m, umin);
  for (unsigned k = 1; k <= kmax; k++)
    plans[np++] = rate(e, bs0, m, k, off0);
  if (bs0->nb > BINS_PAIR_BINS) {
    *bs1 = *bs0;
    merge_bins(e, bs1, m, BINS_PAIR_BINS);
    plans[np++] = rate(e, bs1, m, 2, assign_bins(e, bs1, x, m, umin));
  }
  uint64_t cheapest = UINT64_MAX;
  for (unsigned i = 0; i < np; i++)
    cheapest = plans[i].cost < cheapest ? plans[i].cost : cheapest;
  plan p = plans[0];
  for (unsigned i = 1; i < np; i++)
    if (plans[i].cost <= cheapest + cheapest / BINS_TUPLE_SLACK && plans[i].k > p.k) p = plans[i];
  if (p.cost > cheapest + cheapest / BINS_TUPLE_SLACK) p = plans[0]; /* plans[0] is cheapest */
  const binset *bs = p.bs;
  unsigned k = p.k, log = p.log, nsym;
  uint64_t off_bits = assign_bins(e, bs, x, m, umin);
  size_t tuples = make_tuples(e, m, bs->nb, k, &nsym);
  sqz_ans_normalize(e->tcount, nsym, log, e->weight);
  sqz_ans_encoder_init(&e->ans, e->weight, nsym, log);
  e->table_work = (1u << log) + nsym * k;

  /* tANS from the last tuple to the first */
  uint64_t ans_bits = (uint64_t)BINS_STATES * log;
  uint32_t state[BINS_STATES] = {0, 0, 0, 0};
  for (size_t t = tuples; t-- > 0;) {
    uint32_t bits;
    unsigned n = sqz_ans_encode(&e->ans, &state[t % BINS_STATES], e->tsym[t], &bits);
    e->emit[t] = (uint16_t)bits;
    e->emit_nb[t] = (uint8_t)n;
    ans_bits += n;
  }

  out_byte(o, SEQ_BINS);
  out_byte(o, bs->nb - 1);
  out_byte(o, k);
  out_byte(o, log);
  for (unsigned b = 0; b < bs->nb; b++) {
    out_byte(o, bs->width[b]);
    if (b == 0) {
      out_varint(o, sqz_zigzag_encode((bs->lo[0] + umin) ^ SIGN));
    } else {
      out_varint(o, bs->lo[b] - bs->lo[b - 1]);
    }
  }
  for (unsigned sy = 0; sy < nsym; sy++)
    out_varint(o, e->weight[sy]);
  size_t ans_bytes = (size_t)((ans_bits + 7) / 8), off_bytes = (size_t)((off_bits + 7) / 8);
  out_varint(o, ans_bytes);
  out_varint(o, off_bytes);
  if (o->over || o->cap - o->n < ans_bytes + off_bytes) {
    o->over = 1;
    return;
  }
  sqz_bitwriter w;
  sqz_bw_init(&w, o->p + o->n, ans_bytes);
  for (unsigned j = 0; j < BINS_STATES; j++)
    sqz_bw_put(&w, state[j], log);
  for (size_t t = 0; t < tuples; t++)
    sqz_bw_put(&w, e->emit[t], e->emit_nb[t]);
  sqz_bw_finish(&w);
  o->n += ans_bytes;
  sqz_bw_init(&w, o->p + o->n, off_bytes);
  for (size_t i = 0; i < m; i++) {
    unsigned b = e->sym[i];
    sqz_bw_put64(&w, (x[i] ^ SIGN) - umin - bs->lo[b], bs->width[b]);
  }
  sqz_bw_finish(&w);
  o->n += off_bytes;
}

/* Writes the m values x[] as a packed sequence: blocks of BINS_PACK_BLOCK
** values, each its minimum and the values above it in the bit width of the
** largest (frame of reference). */
static void put_packed_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  out_byte(o, SEQ_PACKED);
  for (size_t at = 0; at < m && !o->over; at += BINS_PACK_BLOCK) {
    size_t cnt = m - at < BINS_PACK_BLOCK ? m - at : BINS_PACK_BLOCK;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < cnt; i++) {
      uint64_t u = x[at + i] ^ SIGN;
      lo = u < lo ? u : lo;
      hi = u > hi ? u : hi;
    }
    unsigned w = sqz_bit_width(hi - lo);
    for (size_t i = 0; i < cnt; i++)
      e->tmp[i] = (x[at + i] ^ SIGN) - lo;
    out_byte(o, w);
    out_varint(o, sqz_zigzag_encode(lo ^ SIGN));
    size_t bytes = (cnt * w + 7) / 8;
    if (o->over || o->cap - o->n < bytes) {
      o->over = 1;
      return;
    }
    alp_pack(o->p + o->n, e->tmp, (unsigned)cnt, w);
    o->n += bytes;
  }
}

/* Writes the m values x[] as the smaller of a bins and a packed sequence
** (the two parts of a sparse sequence; e->alt2 holds the packed one). */
static void put_plain_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  size_t at = o->n;
  put_bins_seq(e, x, m, o);
  outb packed = {e->alt2, 0, o->over ? o->cap - at : o->n - at, 0};
  put_packed_seq(e, x, m, &packed);
  if (packed.over || (!o->over && packed.n >= o->n - at)) return;
  memcpy(o->p + at, packed.p, packed.n);
  o->n = at + packed.n;
  o->over = 0;
}

/* Writes the m values x[] as a sequence, in one of three forms, by a cost
** model of size and decoding time. Sparse (when one value holds at least
** 7/8 of them) decodes fastest, by filling and patching; packed next, by
** unpacking; bins, with a tANS step per tuple, costs about a nanosecond a
** value more, and building its table about as much per entry. So sparse
** is kept when within 1/BINS_TUPLE_SLACK of the smallest, and bins only when
** they save at least BINS_ANS_SAVING / 32 bytes per value and table entry
** over packed, or packed is 1.5 times their size (else packed). */
static void put_seq(sqz_bins_enc *e, const uint64_t *x, size_t m, outb *o) {
  /* all m values equal: the sparse form with no exceptions, which the
  ** comparison below would take (the bins and packed forms repeat its value
  ** varint beside more bytes), written without building the others */
  size_t same = 1;
  while (same < m && x[same] == x[0])
    same++;
  if (same == m) {
    out_byte(o, SEQ_SPARSE);
    out_varint(o, sqz_zigzag_encode(x[0]));
    out_varint(o, 0);
    return;
  }
  size_t at = o->n, room = o->cap - at;
  put_bins_seq(e, x, m, o);
  size_t bins = o->over ? SIZE_MAX : o->n - at;
  uint64_t work = e->table_work; /* the sparse form's parts overwrite it */
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
  uint64_t umin = UINT64_MAX;
  for (size_t i = 0; i < m; i++)
    umin = (x[i] ^ SIGN) < umin ? (x[i] ^ SIGN) : umin;
  uint64_t dom = (e->keys[dom_at] + umin) ^ SIGN;
  outb sparse = {e->alt, 0, room, 1};
  if (8 * (m - dom_n) <= m) {
    size_t c = 0, prev = 0;
    for (size_t i = 0; i < m; i++) {
      if (x[i] == dom) continue;
      e->gaps[c] = c ? i - prev - 1 : i;
      e->vals[c++] = x[i];
      prev = i;
    }
    sparse.over = 0;
    out_byte(&sparse, SEQ_SPARSE);
    out_varint(&sparse, sqz_zigzag_encode(dom));
    out_varint(&sparse, c);
    if (c) {
      put_plain_seq(e, e->gaps, c, &sparse);
      if (!sparse.over) put_plain_seq(e, e->vals, c, &sparse);
    }
  }
  outb packed = {e->alt2, 0, room, 0};
  put_packed_seq(e, x, m, &packed);
  size_t sp = sparse.over ? SIZE_MAX : sparse.n, pk = packed.over ? SIZE_MAX : packed.n;
  size_t best = bins < sp ? bins : sp;
  best = pk < best ? pk : best;
  const outb *pick = NULL;
  if (best == SIZE_MAX) {
    o->over = 1;
    return;
  }
  if (sp <= best + best / BINS_TUPLE_SLACK) {
    pick = &sparse;
  } else if (pk != SIZE_MAX &&
             (bins == SIZE_MAX ||
              (32 * (uint64_t)pk < 32 * (uint64_t)bins + (m + work) * BINS_ANS_SAVING &&
               2 * pk < 3 * bins))) {
    pick = &packed;
  }
  o->over = 0;
  if (pick) {
    memcpy(o->p + at, pick->p, pick->n);
    o->n = at + pick->n;
  }
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

/* The bit widths of x[p] - x[p - L] summed over the positions pos[0..np). */
static uint64_t lag_bits(const uint64_t *x, const size_t *pos, size_t np, size_t L) {
  uint64_t bits = 0;
  for (size_t j = 0; j < np; j++)
    bits += sqz_bit_width(sqz_zigzag_encode(x[pos[j]] - x[pos[j] - L]));
  return bits;
}

/* The seasonal lag of e->v[0..n): the lag in 1..BINS_LAG_SEARCH (and n / 2)
** with the fewest bits of x[i] - x[i-L] at sampled positions, ties to the
** smaller lag. Two rounds: every lag on a quarter of the samples, then the
** BINS_LAG_FINALISTS best of those on all of them; then the smallest
** divisor of the winner within 1/4 of its bits (a multiple of a period is
** as good a lag, by chance a little better on a sample). 1 when n is too
** short to search. */
static size_t find_lag(const sqz_bins_enc *e, size_t n) {
  size_t lag_max = n / 2 < BINS_LAG_SEARCH ? n / 2 : BINS_LAG_SEARCH;
  if (lag_max < 2) return 1;
  size_t span = n - lag_max, samples = span < BINS_LAG_SAMPLES ? span : BINS_LAG_SAMPLES;
  size_t pos[BINS_LAG_SAMPLES], coarse[BINS_LAG_SAMPLES], nc = 0;
  for (size_t j = 0; j < samples; j++) {
    pos[j] = lag_max + j * span / samples;
    if (j % 4 == 0) coarse[nc++] = pos[j];
  }
  size_t fin[BINS_LAG_FINALISTS];
  uint64_t fin_bits[BINS_LAG_FINALISTS];
  unsigned nf = 0;
  for (size_t L = 1; L <= lag_max; L++) { /* the finalists, kept sorted by bits then lag */
    uint64_t bits = lag_bits(e->v, coarse, nc, L);
    if (nf == BINS_LAG_FINALISTS && bits >= fin_bits[nf - 1]) continue;
    unsigned at = nf < BINS_LAG_FINALISTS ? nf++ : nf - 1;
    for (; at > 0 && fin_bits[at - 1] > bits; at--) {
      fin_bits[at] = fin_bits[at - 1];
      fin[at] = fin[at - 1];
    }
    fin_bits[at] = bits;
    fin[at] = L;
  }
  uint64_t best = UINT64_MAX;
  size_t best_lag = 1;
  for (unsigned f = 0; f < nf; f++) {
    uint64_t bits = lag_bits(e->v, pos, samples, fin[f]);
    if (bits < best || (bits == best && fin[f] < best_lag)) {
      best = bits;
      best_lag = fin[f];
    }
  }
  /* a multiple of the period does as well as the period itself: the
  ** smallest divisor of the winner within 1/4 of it is the lag */
  for (size_t d = 2; d < best_lag; d++) {
    if (best_lag % d) continue;
    if (lag_bits(e->v, pos, samples, d) <= best + best / 4) return d;
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
  }
  /* rate every candidate, code the best and order 0 when it may win; the
  ** seasonal candidates only when the others leave something to win (a
  ** later candidate needs a strictly smaller estimate to be taken, and an
  ** estimate of 0 bits has none) */
  uint64_t est[5];
  unsigned top = 0;
  for (unsigned k = 0; k < nc; k++) {
    apply(e, &cands[k], n);
    est[k] = estimate(e->r, n);
    if (est[k] < est[top]) top = k;
    if (k == 2 && est[top] > 0) {
      size_t L = find_lag(e, n);
      if (L > 1) {
        cands[nc++] = (transform){1, {L, 0}};
        cands[nc++] = (transform){2, {L, 1}};
      }
    }
  }
  size_t best = raw;
  for (unsigned k = 0; k < nc; k++) {
    if (k != top && !(k == 0 && 4 * est[0] <= 5 * est[top])) continue;
    /* the whole buffer, not just the best size so far: put_seq weighs its
    ** forms by size and speed, and must see them all to do so */
    outb o = {e->cand, 0, e->out_cap, 0};
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
  size_t cap;              /* values per page, at most */
  uint8_t *pad;            /* zero-padded copies of streams that end near the end of src */
  uint8_t *gaps;           /* sparse: the gaps, little-endian uint64 */
  uint8_t *vals;           /* sparse: the values */
  uint64_t base[BINS_MAX]; /* lower bound of each bin */
  uint64_t mask[BINS_MAX]; /* 2^width - 1 */
  uint8_t width[BINS_MAX];
  uint32_t weight[BINS_MAX]; /* per tANS symbol */
  /* per tANS symbol s, its tuple: bins xbin[8 s + j] and their lower
  ** bounds, little-endian, at xbase[8 (8 s + j)], j < k (so that a tuple of
  ** lower bounds is copied to the output in one piece) */
  uint8_t xbase[8 * BINS_MAX * BINS_TUPLE_MAX];
  uint8_t xbin[BINS_MAX * BINS_TUPLE_MAX];
  uint64_t unpack[BINS_PACK_BLOCK]; /* a packed block, unpacked */
  sqz_ans_entry table[1u << SQZ_ANS_LOG_MAX];
};

/* The fast loops read up to PAD bytes past a stream's position. */
#define PAD 256

/* Bytes of d->pad: the longest tANS stream (4 states and 12 bits a value)
** and the longest offset stream (64 bits a value) of a page, each followed by
** PAD zero bytes. */
static size_t pad_bytes(size_t count) {
  return (BINS_STATES * SQZ_ANS_LOG_MAX + 12 * count + 7) / 8 + 8 * count + 2 * PAD;
}

sqz_bins_dec *sqz_bins_dec_acquire(sqz_ctx *ctx, size_t max_count) {
  if (max_count == 0 || max_count > SQZ_BINS_PAGE) return NULL;
  size_t bytes =
      round16(sizeof(sqz_bins_dec)) + 2 * round16(8 * max_count) + round16(pad_bytes(max_count));
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

/* The K values of tuple t + Q, entry E, at out, each its bin's lower bound
** plus its offset read with one 8-byte load at the offset stream's bit
** position opos (a bin of width 0 has mask 0 and reads nothing). */
#define TUPLE_FLAT(Q, E, K)                                                                        \
  do {                                                                                             \
    const uint8_t *xb_ = xbase + 8 * BINS_TUPLE_MAX * (E)->sym;                                    \
    const uint8_t *xn_ = xbin + BINS_TUPLE_MAX * (E)->sym;                                         \
    uint8_t *to_ = out + 8 * (t + (Q)) * (K);                                                      \
    for (unsigned j_ = 0; j_ < (K); j_++) {                                                        \
      unsigned b_ = xn_[j_];                                                                       \
      uint64_t v_ = (sqz_load64le(o + (opos >> 3)) >> (opos & 7)) & mask[b_];                      \
      opos += width[b_];                                                                           \
      sqz_store64le(to_ + 8 * j_, sqz_load64le(xb_ + 8 * j_) + v_);                                \
    }                                                                                              \
  } while (0)

/* As TUPLE_FLAT, but when E->aux is 0 (every bin of the tuple has width
** 0) only the lower bounds are stored: for pages whose tuples are rarely
** wide (a smooth series), where the branch is well predicted. */
#define TUPLE_BRANCHY(Q, E, K)                                                                     \
  do {                                                                                             \
    if ((E)->aux) {                                                                                \
      TUPLE_FLAT(Q, E, K);                                                                         \
    } else {                                                                                       \
      memcpy(out + 8 * (t + (Q)) * (K), xbase + 8 * BINS_TUPLE_MAX * (E)->sym, 8 * (K));           \
    }                                                                                              \
  } while (0)

/* The fast loop for tuples of K values, each written by TUPLE (one of the
** two above): four tuples per round while the tuples are whole and both
** streams have room for 8-byte loads (offsets of at most 56 bits, 7 bytes
** each, so four tuples stay within 8 + 28 K bytes of opos). */
#define FAST_TUPLES(K, TUPLE)                                                                      \
  do {                                                                                             \
    if (oavail < 8 + 28 * (size_t)(K)) break;                                                      \
    uint64_t olim_ = oavail - 8 - 28 * (size_t)(K);                                                \
    for (; t + 4 <= whole && (pos >> 3) <= lim && (opos >> 3) <= olim_; t += 4) {                  \
      ANS_STEP4();                                                                                 \
      TUPLE(0, e0, K);                                                                             \
      TUPLE(1, e1, K);                                                                             \
      TUPLE(2, e2, K);                                                                             \
      TUPLE(3, e3, K);                                                                             \
    }                                                                                              \
  } while (0)

/* One FAST_TUPLES per tuple size (1..8), each with the size a constant, so
** that the values of a tuple unroll and their copy is a few moves. */
#define FAST_BY_K(TUPLE)                                                                           \
  do {                                                                                             \
    switch (k) {                                                                                   \
    case 1:                                                                                        \
      FAST_TUPLES(1, TUPLE);                                                                       \
      break;                                                                                       \
    case 2:                                                                                        \
      FAST_TUPLES(2, TUPLE);                                                                       \
      break;                                                                                       \
    case 3:                                                                                        \
      FAST_TUPLES(3, TUPLE);                                                                       \
      break;                                                                                       \
    case 4:                                                                                        \
      FAST_TUPLES(4, TUPLE);                                                                       \
      break;                                                                                       \
    case 5:                                                                                        \
      FAST_TUPLES(5, TUPLE);                                                                       \
      break;                                                                                       \
    case 6:                                                                                        \
      FAST_TUPLES(6, TUPLE);                                                                       \
      break;                                                                                       \
    case 7:                                                                                        \
      FAST_TUPLES(7, TUPLE);                                                                       \
      break;                                                                                       \
    default:                                                                                       \
      FAST_TUPLES(8, TUPLE);                                                                       \
    }                                                                                              \
  } while (0)

/* Decodes the m values of a bins sequence with tuples of k into out: the
** tuples' symbols from the tANS stream s[0..sbytes) and offsets from the
** offset stream o[0..obytes) (savail and oavail bytes are readable from s
** and o). Four tANS states, tuple t on state t % 4, start from the stream's
** first 4 * log bits and must all end at 0; each value's offset is read as
** soon as its bin is known, and a last tuple that passes m is cut. Where
** 8-byte loads would pass the readable bytes, and for offsets wider than 56
** bits, the careful reader takes over. Returns 0, TRUNCATED (a stream read
** past its end) or CORRUPT (bytes or padding bits left over, a final state
** not 0). */
static size_t values_decode(sqz_bins_dec *d, unsigned log, unsigned k, unsigned max_width,
                            int branchy, const uint8_t *s, size_t sbytes, size_t savail,
                            const uint8_t *o, size_t obytes, size_t oavail, size_t m,
                            uint8_t *restrict out) {
  const sqz_ans_entry *restrict T = d->table;
  const uint64_t *restrict mask = d->mask;
  const uint8_t *restrict width = d->width, *restrict xbin = d->xbin, *restrict xbase = d->xbase;
  uint64_t pos = 0, opos = 0;
  uint32_t x[BINS_STATES];
  for (unsigned j = 0; j < BINS_STATES; j++)
    x[j] = (uint32_t)read_bits(s, sbytes, &pos, log);
  size_t t = 0, tuples = (m + k - 1) / k, whole = m / k;
  if (savail >= 8 && max_width <= 56) {
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    const sqz_ans_entry *e0, *e1, *e2, *e3;
    uint64_t lim = savail - 8;
    if (branchy) {
      FAST_BY_K(TUPLE_BRANCHY);
    } else {
      FAST_BY_K(TUPLE_FLAT);
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
  }
  for (; t < tuples; t++) {
    uint32_t *xs = &x[t % BINS_STATES];
    const sqz_ans_entry *en = &T[*xs];
    *xs = en->base + (uint32_t)read_bits(s, sbytes, &pos, en->nb);
    size_t cnt = m - t * k < k ? m - t * k : k;
    for (size_t j = 0; j < cnt; j++) {
      unsigned b = xbin[BINS_TUPLE_MAX * en->sym + j];
      uint64_t v = sqz_load64le(xbase + 8 * (BINS_TUPLE_MAX * en->sym + j)) +
                   read_bits(o, obytes, &opos, width[b]);
      sqz_store64le(out + 8 * (t * k + j), v);
    }
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
static size_t get_bins_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos, size_t m,
                           uint8_t *out) {
  unsigned nb, k, log, max_width = 0;
  size_t r;
  if ((r = take_byte(src, size, pos, &nb)) || (r = take_byte(src, size, pos, &k)) ||
      (r = take_byte(src, size, pos, &log)))
    return r;
  nb++;
  if (k == 0 || k > BINS_TUPLE_MAX || log > SQZ_ANS_LOG_MAX) return SQZ_ERROR(CORRUPT);
  uint32_t nsym = 1;
  for (unsigned j = 0; j < k; j++) {
    nsym *= nb;
    if (nsym > BINS_MAX) return SQZ_ERROR(CORRUPT);
  }
  for (unsigned b = 0; b < nb; b++) {
    unsigned w;
    uint64_t lower;
    if ((r = take_byte(src, size, pos, &w)) || (r = sqz_varint_take(src, size, pos, &lower)))
      return r;
    if (w > 64) return SQZ_ERROR(CORRUPT);
    d->base[b] = b ? d->base[b - 1] + lower : sqz_zigzag_decode(lower);
    d->width[b] = (uint8_t)w;
    d->mask[b] = sqz_mask64(w);
    if (w > max_width) max_width = w;
  }
  uint32_t R = 1u << log, sum = 0;
  for (uint32_t sy = 0; sy < nsym; sy++) {
    uint64_t weight;
    if ((r = sqz_varint_take(src, size, pos, &weight))) return r;
    if (weight > R - sum) return SQZ_ERROR(CORRUPT);
    sum += (uint32_t)weight;
    d->weight[sy] = (uint32_t)weight;
  }
  if (sum != R) return SQZ_ERROR(CORRUPT);
  uint64_t ans_bytes, off_bytes;
  if ((r = sqz_varint_take(src, size, pos, &ans_bytes)) ||
      (r = sqz_varint_take(src, size, pos, &off_bytes)))
    return r;
  if (ans_bytes > size - *pos || off_bytes > size - *pos - ans_bytes) return SQZ_ERROR(TRUNCATED);
  size_t a = *pos, o = a + (size_t)ans_bytes;
  *pos = o + (size_t)off_bytes;

  /* each symbol's tuple of bins (digit j of s in base nb), and whether any
  ** of them has offset bits (the table entries' aux) */
  uint8_t wide[BINS_MAX], digit[BINS_TUPLE_MAX] = {0};
  for (uint32_t sy = 0; sy < nsym; sy++) { /* the digits count up like an odometer */
    wide[sy] = 0;
    for (unsigned j = 0; j < k; j++) {
      unsigned b = digit[j];
      d->xbin[BINS_TUPLE_MAX * sy + j] = (uint8_t)b;
      sqz_store64le(d->xbase + 8 * (BINS_TUPLE_MAX * sy + j), d->base[b]);
      wide[sy] |= d->width[b] != 0;
    }
    for (unsigned j = 0; j < k && ++digit[j] == nb; j++)
      digit[j] = 0;
  }
  sqz_ans_decoder_init(d->table, d->weight, nsym, log);
  /* the branch on wide tuples pays when they are rare: below 1/4 of the
  ** states, hence of the tuples */
  uint32_t wide_states = 0;
  for (uint32_t st = 0; st < R; st++) {
    d->table[st].aux = wide[d->table[st].sym];
    wide_states += wide[d->table[st].sym];
  }
  int branchy = wide_states < R / 4;
  /* streams that end less than PAD bytes before the end of src are read
  ** from zero-padded copies (at most one of each per page: the last one in
  ** src), so the fast loops run to their ends */
  const uint8_t *s = src + a, *ob = src + o;
  size_t savail = size - a, oavail = size - o;
  if (savail - ans_bytes < PAD || oavail - off_bytes < PAD) {
    uint8_t *p = d->pad;
    if (ans_bytes > pad_bytes(d->cap) - 2 * PAD ||
        off_bytes > pad_bytes(d->cap) - 2 * PAD - ans_bytes)
      return SQZ_ERROR(CORRUPT); /* longer than any stream of a page */
    memcpy(p, s, (size_t)ans_bytes);
    memset(p + ans_bytes, 0, PAD);
    s = p, savail = (size_t)ans_bytes + PAD;
    p += ans_bytes + PAD;
    memcpy(p, ob, (size_t)off_bytes);
    memset(p + off_bytes, 0, PAD);
    ob = p, oavail = (size_t)off_bytes + PAD;
  }
  return values_decode(d, log, k, max_width, branchy, s, (size_t)ans_bytes, savail, ob,
                       (size_t)off_bytes, oavail, m, out);
}

/* out[0..m) = v, as little-endian uint64: memset for 0, the common case,
** else one value copied onto twice as many each time (the library's copy
** runs at memory speed, a loop of 8-byte stores does not). */
static void fill(uint8_t *restrict out, size_t m, uint64_t v) {
  if (v == 0) {
    memset(out, 0, 8 * m);
    return;
  }
  if (m == 0) return;
  sqz_store64le(out, v);
  for (size_t done = 1; done < m; done *= 2)
    memcpy(out + 8 * done, out, 8 * (done < m - done ? done : m - done));
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

/* Decodes a packed sequence of m values (after its kind byte) into out:
** blocks of BINS_PACK_BLOCK values, each a width (0..64), its minimum and the
** packed values above it (alp_pack.h's layout, unpacked by its kernels). */
static size_t get_packed_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos,
                             size_t m, uint8_t *out) {
  uint64_t *u = d->unpack;
  for (size_t at = 0; at < m; at += BINS_PACK_BLOCK) {
    unsigned cnt = m - at < BINS_PACK_BLOCK ? (unsigned)(m - at) : BINS_PACK_BLOCK, w;
    uint64_t lo;
    size_t r;
    if ((r = take_byte(src, size, pos, &w)) || (r = sqz_varint_take(src, size, pos, &lo))) return r;
    if (w > 64) return SQZ_ERROR(CORRUPT);
    size_t bytes = ((size_t)cnt * w + 7) / 8;
    if (bytes > size - *pos) return SQZ_ERROR(TRUNCATED);
    const uint8_t *in = src + *pos;
    if (size - *pos < bytes + 8) { /* the kernels load 8 bytes at a time */
      memcpy(d->pad, in, bytes);
      memset(d->pad + bytes, 0, 8);
      in = d->pad;
    }
    *pos += bytes;
    alp_unpack(u, in, cnt, w, sqz_zigzag_decode(lo));
    for (unsigned i = 0; i < cnt; i++)
      sqz_store64le(out + 8 * (at + i), u[i]);
    size_t pad_bits = bytes * 8 - (size_t)cnt * w; /* the last byte's unused bits are zero */
    if (pad_bits && (in[bytes - 1] >> (8 - pad_bits)) != 0) return SQZ_ERROR(CORRUPT);
  }
  return 0;
}

/* Decodes a part of a sparse sequence: a bins or packed sequence of m
** values (kind byte first; a sparse one inside is CORRUPT) into out. */
static size_t get_plain_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos, size_t m,
                            uint8_t *out) {
  unsigned kind;
  size_t r = take_byte(src, size, pos, &kind);
  if (r) return r;
  if (kind == SEQ_BINS) return get_bins_seq(d, src, size, pos, m, out);
  if (kind == SEQ_PACKED) return get_packed_seq(d, src, size, pos, m, out);
  return kind == SEQ_SPARSE ? SQZ_ERROR(CORRUPT) : sqz_mode_error(kind, SEQ_RESERVED);
}

/* Decodes a sequence of m values (kind byte first) into out. */
static size_t get_seq(sqz_bins_dec *d, const uint8_t *src, size_t size, size_t *pos, size_t m,
                      uint8_t *out) {
  unsigned kind;
  size_t r = take_byte(src, size, pos, &kind);
  if (r) return r;
  if (kind == SEQ_BINS) return get_bins_seq(d, src, size, pos, m, out);
  if (kind == SEQ_PACKED) return get_packed_seq(d, src, size, pos, m, out);
  if (kind != SEQ_SPARSE) return sqz_mode_error(kind, SEQ_RESERVED);
  uint64_t dom, c;
  if ((r = sqz_varint_take(src, size, pos, &dom)) || (r = sqz_varint_take(src, size, pos, &c)))
    return r;
  if (c > m) return SQZ_ERROR(CORRUPT);
  dom = sqz_zigzag_decode(dom);
  fill(out, m, dom);
  if (c == 0) return 0;
  if ((r = get_plain_seq(d, src, size, pos, (size_t)c, d->gaps)) ||
      (r = get_plain_seq(d, src, size, pos, (size_t)c, d->vals)))
    return r;
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

/* Worst case: every page raw, one form byte each (and a spare byte). */
static size_t bins_bound(size_t srcSize) {
  size_t values = srcSize / 8 + (srcSize % 8 != 0);
  size_t pages = values / SQZ_BINS_PAGE + (values % SQZ_BINS_PAGE != 0);
  if (srcSize > SIZE_MAX - pages - 1) return 0;
  return srcSize + pages + 1; /* + 1: a bound of 0 would mean "too large" */
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
    .description = "lagged deltas, then tANS-coded bins (Pcodec), packed or sparse residuals",
    .bound = bins_bound,
    .compress = bins_compress,
    .decompress = bins_decompress,
    .free_state = NULL,
};

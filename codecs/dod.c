/*
** dod.c: delta-of-delta encoding of int64 series (timestamps), after the
** Gorilla paper (T. Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory
** Time Series Database", PVLDB 8(12), 2015, section 4.1.1), plus a common
** divisor in the manner of InfluxDB's timestamp encoder.
**
** Samples taken at a fixed interval have a constant delta, so the difference
** of consecutive deltas (the delta of delta, "dod") is almost always 0 and
** takes one bit. The paper's variable-length buckets, written after the
** first value and the first delta:
**
**   dod == 0                 '0'
**   dod in [-63, 64]         '10'   + 7 bits
**   dod in [-255, 256]       '110'  + 9 bits
**   dod in [-2047, 2048]     '1110' + 12 bits
**   otherwise                '1111' + 32 bits, two's complement; the pattern
**                            0x80000000 (INT32_MIN) is an escape followed by
**                            the dod in 64 bits
**
** The escape is squeeze's: the paper's timestamps are 32-bit seconds in a
** two-hour block, squeeze's are any int64, so a jump from INT64_MIN to
** INT64_MAX must still round-trip.
**
** The divisor: series sampled with gaps (a daily close skips weekends and
** holidays) have deltas that are all multiples of a unit (86400 seconds), but
** their dods are large multiples of it and fall in the expensive buckets.
** The encoder finds g, the greatest common divisor of all deltas, stores it,
** and encodes delta / g instead: daily dates then cost the same as a series
** with deltas 1, 3, 2, ... and a regular series with step 60 costs one bit a
** value regardless of the step.
**
** Arithmetic: every delta and dod is computed in uint64_t, wrapping modulo
** 2^64, so any sequence of int64 (unsorted, INT64_MIN next to INT64_MAX)
** round-trips. A delta d is read as a signed number when divided by g; the
** quotient q satisfies q * g == d modulo 2^64, which is all the decoder
** needs.
**
** The value count is not stored: the frame records the original size. The
** byte format with a worked example is in docs/format/dod.md.
**
** Usage from SQL (three one-minute timestamps as packed little-endian int64):
**
**   SELECT hex(compress(x'00F15365000000003CF153650000000078F1536500000000',
**                       'dod'));
**   -- C148183447C97700F15365000000003C0200: after the 7-byte frame header,
**   -- the first value, divisor 60, first quotient 1 (zigzag 2), one '0' bit
*/
#include "codec.h"
#include "pool.h"
#include "ts_common.h"
#include "varint.h"

/* Header: first value (8 bytes), divisor and first quotient (varints). */
#define DOD_HEADER_MAX (8 + 2 * SQZ_VARINT_MAX)
/* Worst case for one dod: '1111' + escape (32) + 64 bits. */
#define DOD_MAX_BITS (4 + 32 + 64)
#define DOD_ESCAPE 0x80000000u

/* One bucket of the paper: a prefix of `ones` one-bits ended by a zero bit
** (none for the last bucket), then `bits` bits of (dod - lo). */
typedef struct {
  uint8_t prefix_bits; /* length of the prefix */
  uint8_t bits;        /* payload bits */
  int32_t lo;          /* smallest dod of the bucket */
} dod_bucket;

/* Prefixes as written LSB-first: '10' -> 0b01, '110' -> 0b011, ... */
static const dod_bucket dod_buckets[4] = {
    {2, 7, -63},    /* '10'   */
    {3, 9, -255},   /* '110'  */
    {4, 12, -2047}, /* '1110' */
    {4, 32, 0},     /* '1111': two's complement, not offset */
};

static size_t dod_bound(size_t srcSize) {
  size_t n = srcSize / 8 + (srcSize % 8 != 0);
  if (n > (SIZE_MAX - 64) / DOD_MAX_BITS) return 0;
  return DOD_HEADER_MAX + (n * DOD_MAX_BITS + 7) / 8 + 8;
}

static uint64_t dod_gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* |d| of the signed 64-bit delta whose bits are d (2^63 for INT64_MIN). */
static uint64_t dod_magnitude(uint64_t d) {
  return d >> 63 ? 0 - d : d;
}

/* A divisor g >= 1 prepared for exact division: g = odd << shift, and inv
** the inverse of odd modulo 2^64 (odd * inv == 1), so that a multiple d of g
** divides with one shift and one multiply instead of a 64-bit division
** (exact division by multiplication: Granlund and Montgomery, "Division by
** invariant integers using multiplication", PLDI 1994, section 9). */
typedef struct {
  unsigned shift;
  uint64_t inv;
} dod_divider;

static dod_divider dod_divider_make(uint64_t g) {
  dod_divider dv;
  dv.shift = sqz_ctz64(g);
  uint64_t odd = g >> dv.shift, inv = odd; /* correct to 3 bits: odd*odd == 1 mod 8 */
  for (int i = 0; i < 5; i++)
    inv *= 2 - odd * inv; /* Newton: 3, 6, 12, 24, 48, 96 bits */
  dv.inv = inv;
  return dv;
}

/* d / g for a signed delta d (the bits of an int64) that g divides: an
** arithmetic shift by the power of two, then a multiply by the inverse of the
** odd part. Exact modulo 2^64, hence exact as an int64. */
static inline uint64_t dod_divide(uint64_t d, const dod_divider *dv) {
  uint64_t sign = 0 - (d >> 63);
  uint64_t shifted = dv->shift ? (d >> dv->shift) | (sign << (64 - dv->shift)) : d;
  return shifted * dv->inv;
}

/* The greatest common divisor of the magnitudes of all deltas of the n
** values at in, 1 when every delta is 0. */
static uint64_t dod_divisor(const uint8_t *in, size_t n) {
  uint64_t g = 0, prev = sqz_load64le(in), last = 0;
  for (size_t i = 1; i < n && g != 1; i++) {
    uint64_t cur = sqz_load64le(in + 8 * i), d = cur - prev;
    if (d != last) g = dod_gcd(dod_magnitude(d), g); /* repeats change nothing */
    last = d;
    prev = cur;
  }
  return g ? g : 1;
}

/* Writes one dod (the bits of an int64) in the paper's buckets. */
static inline void dod_put(sqz_bitwriter *w, uint64_t dod) {
  if (dod == 0) {
    sqz_bw_put(w, 0, 1);
    return;
  }
  for (unsigned b = 0; b < 3; b++) {
    const dod_bucket *k = &dod_buckets[b];
    uint64_t off = dod - (uint64_t)(int64_t)k->lo; /* dod - lo, wrapping */
    if (off < ((uint64_t)1 << k->bits)) {
      uint64_t prefix = sqz_mask64(k->prefix_bits - 1u);
      sqz_bw_put(w, prefix | (off << k->prefix_bits), k->prefix_bits + k->bits);
      return;
    }
  }
  /* '1111': 32 bits when dod fits int32 (the escape pattern excluded). */
  uint64_t low = dod + DOD_ESCAPE; /* in [1, 2^32) when it fits */
  if (low - 1 < 0xFFFFFFFFu) {
    sqz_bw_put(w, 0xF | ((dod & 0xFFFFFFFFu) << 4), 36);
  } else {
    sqz_bw_put(w, 0xF | ((uint64_t)DOD_ESCAPE << 4), 36);
    sqz_bw_put64(w, dod, 64);
  }
}

/* Encodes srcSize / 8 little-endian int64 of src. Returns the payload size
** (0 for no values), SRC_SIZE when srcSize % 8 != 0, DST_TOO_SMALL when
** dstCapacity cannot hold the payload. */
static size_t dod_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                           size_t srcSize, const sqz_params *params) {
  (void)ctx;
  (void)params;
  size_t n, err = ts_check_src(srcSize, &n);
  if (err || n == 0) return err;
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  if (dstCapacity < 8) return SQZ_ERROR(DST_TOO_SMALL);
  uint64_t prev = sqz_load64le(in);
  sqz_store64le(out, prev);
  if (n == 1) return 8;

  uint64_t g = dod_divisor(in, n);
  dod_divider dv = dod_divider_make(g);
  uint64_t cur = sqz_load64le(in + 8);
  uint64_t q = dod_divide(cur - prev, &dv);
  prev = cur;
  size_t pos = 8, k;
  if (!(k = sqz_varint_put(out + pos, dstCapacity - pos, g))) return SQZ_ERROR(DST_TOO_SMALL);
  pos += k;
  if (!(k = sqz_varint_put(out + pos, dstCapacity - pos, sqz_zigzag_encode(q))))
    return SQZ_ERROR(DST_TOO_SMALL);
  pos += k;

  sqz_bitwriter w;
  sqz_bw_init(&w, out + pos, dstCapacity - pos);
  for (size_t i = 2; i < n; i++) {
    cur = sqz_load64le(in + 8 * i);
    uint64_t qi = dod_divide(cur - prev, &dv);
    dod_put(&w, qi - q);
    q = qi;
    prev = cur;
  }
  size_t bytes = ts_bw_result(&w);
  return sqz_is_error(bytes) ? bytes : pos + bytes;
}

/* Reads the header after the first value: divisor and first quotient.
** Returns the header size, or TRUNCATED / CORRUPT (a bad varint, divisor 0). */
static size_t dod_read_header(const uint8_t *in, size_t size, uint64_t *g, uint64_t *q) {
  uint64_t z = 0;
  size_t pos = 8, err = sqz_varint_take(in, size, &pos, g);
  if (!err && *g == 0) err = SQZ_ERROR(CORRUPT);
  if (!err) err = sqz_varint_take(in, size, &pos, &z);
  *q = sqz_zigzag_decode(z);
  return err ? err : pos;
}

/* Decodes dstSize / 8 int64 from src. Returns dstSize; TRUNCATED when src
** ends early; CORRUPT on a zero divisor, a bad varint, dstSize % 8 != 0, or
** bytes after the last value. Reads only src[0..srcSize), writes only
** dst[0..dstSize). */
static size_t dod_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                             size_t srcSize) {
  (void)ctx;
  size_t err = ts_check_dst(dstSize, srcSize);
  if (err || dstSize == 0) return err;
  size_t n = dstSize / 8;
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  if (srcSize < 8) return SQZ_ERROR(TRUNCATED);
  uint64_t x = sqz_load64le(in);
  sqz_store64le(out, x);
  if (n == 1) return srcSize == 8 ? dstSize : SQZ_ERROR(CORRUPT);

  uint64_t g, q;
  size_t pos = dod_read_header(in, srcSize, &g, &q);
  if (sqz_is_error(pos)) return pos;
  uint64_t step = q * g; /* the current delta */
  x += step;
  sqz_store64le(out + 8, x);

  sqz_bitreader r;
  sqz_br_init(&r, in + pos, srcSize - pos);
  size_t i = 2;
  while (i < n) {
    uint64_t c = sqz_br_peek(&r, 4);
    if (!(c & 1)) {
      /* A run of '0' (dod 0): as many as the container shows at once. */
      size_t run = sqz_ctz64(r.container);
      if (run > r.nbits) run = r.nbits;
      if (run == 0) return SQZ_ERROR(TRUNCATED); /* no input left */
      if (run > n - i) run = n - i;
      sqz_br_skip(&r, (unsigned)run);
      for (size_t end = i + run; i < end; i++) {
        x += step;
        sqz_store64le(out + 8 * i, x);
      }
      continue;
    }
    uint64_t dod;
    if ((c & 0xF) != 0xF) {
      const dod_bucket *k = &dod_buckets[sqz_ctz64(~c) - 1]; /* ones in the prefix */
      sqz_br_skip(&r, k->prefix_bits);
      dod = sqz_br_read(&r, k->bits) + (uint64_t)(int64_t)k->lo;
    } else {
      sqz_br_skip(&r, 4);
      uint64_t v = sqz_br_read(&r, 32);
      if (v == DOD_ESCAPE) {
        dod = sqz_br_read64(&r, 64);
      } else {
        dod = (v ^ DOD_ESCAPE) - DOD_ESCAPE; /* sign-extend 32 bits */
      }
    }
    q += dod;
    step = q * g;
    x += step;
    sqz_store64le(out + 8 * i, x);
    i++;
  }
  err = ts_br_end(&r);
  return err ? err : dstSize;
}

const sqz_codec sqz_codec_dod = {
    .name = "dod",
    .id = SQZ_ID_DOD,
    .kind = SQZ_KIND_INT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "delta-of-delta int64 timestamps (Gorilla, VLDB 2015) with a common divisor",
    .bound = dod_bound,
    .compress = dod_compress,
    .decompress = dod_decompress,
    .free_state = NULL,
};

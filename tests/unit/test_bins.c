/*
** test_bins.c: unit tests of the bins codec (codecs/bins.c, codecs/ans.c,
** docs/format/bins.md).
**
** - the worked examples of docs/format/bins.md, byte for byte, and the
**   hand-made bins sequence decoding to its values;
** - the form the encoder picks, read back from the payload: a constant step
**   is sparse with no patch, mostly zeros sparse, a low-entropy walk bins
**   with tuples, noise packed, an hourly series with a daily cycle a delta
**   at lag 24, random 64-bit values a raw page;
** - bit-exact round trips at sizes 0..5, around the packed blocks (127..129)
**   and the pages (16383..16385, 32768, 32769), on smooth, sparse, seasonal
**   and random series; offsets wider than 56 bits; INT64_MIN next to
**   INT64_MAX; the real data (Seattle timestamps and tenths, birdstrikes'
**   costs, gen_ts when build/ts exists) no larger than the delta codec's;
** - tANS weights: the normalization's sums, and a table of one symbol;
** - every error path: SRC_SIZE, DST_TOO_SMALL at every capacity, MEMORY,
**   VERSION for the kept forms and kinds, CORRUPT and TRUNCATED for each
**   field out of range (ts_check_errors adds every truncation, trailing
**   bytes and bit flips); hostile payloads never crash (make asan);
** - every call gives its scratch blocks back.
*/
#include "ts_test_util.h"

#include "ans.h"
#include "varint.h"

extern const sqz_codec sqz_codec_bins;
static const sqz_codec *const C = &sqz_codec_bins;

/* The context of the decodings below (the bins decoder needs scratch). */
static sqz_ctx *ctx;

static int setup(void **state) {
  (void)state;
  ctx = sqz_ctx_create(NULL);
  return ctx ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  sqz_ctx_free(ctx);
  return 0;
}

/* xorshift64*, deterministic. */
static uint64_t rng(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

/* Compresses n values; returns the malloc'd payload (round trip checked). */
static uint8_t *encode(const uint64_t *v, size_t n, size_t *size) {
  uint8_t *b = ts_pack_u64(v, n);
  uint8_t *p = ts_roundtrip(C, b, 8 * n, size);
  free(b);
  return p;
}

/* The shape of the first page of a payload: its form, and for a coded page
** the order, lags and the kind of its sequence (-1 when it has none). */
typedef struct shape {
  unsigned form, order;
  uint64_t lag[2];
  int kind;
  size_t seq; /* offset of the sequence's kind byte */
} shape;

static shape first_page(const uint8_t *p, size_t size) {
  shape s = {p[0], 0, {0, 0}, -1, 0};
  if (s.form != 1) return s;
  size_t pos = 1;
  s.order = p[pos++];
  for (unsigned k = 0; k < s.order; k++)
    assert_int_equal(sqz_varint_take(p, size, &pos, &s.lag[k]), 0);
  uint64_t first;
  assert_int_equal(sqz_varint_take(p, size, &pos, &first), 0);
  s.seq = pos;
  if (pos < size) s.kind = p[pos];
  return s;
}

/* A series of n values of the named kind. Caller frees. */
enum { SMOOTH, SPARSE, SEASONAL, NOISE, STEPS };
static uint64_t *series(int kind, size_t n, uint64_t seed) {
  uint64_t *v = malloc(8 * n + 8), s = seed, x = 1000;
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = rng(&s);
    switch (kind) {
    case SMOOTH: /* steps 0 (80%), +1, -1 */
      x += r % 10 < 8 ? 0 : (r % 10 == 8 ? 1 : (uint64_t)-1);
      v[i] = x;
      break;
    case SPARSE: /* 0, now and then a cost */
      v[i] = r % 100 == 0 ? r >> 44 : 0;
      break;
    case SEASONAL: /* a daily cycle of 24 hourly values plus noise */
      v[i] = 100 + 10 * (uint64_t)(i % 24 < 12 ? i % 24 : 24 - i % 24) + (r & 1);
      break;
    case NOISE:
      v[i] = r >> 40;
      break;
    default: /* timestamps a minute apart */
      v[i] = 1700000000 + 60 * (uint64_t)i;
    }
  }
  return v;
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "bins", SQZ_ID_BINS, SQZ_KIND_INT64);
}

static void test_worked_examples(void **state) {
  (void)state;
  uint64_t ts[5];
  for (int i = 0; i < 5; i++)
    ts[i] = 1700000000 + 60 * (uint64_t)i;
  static const uint8_t ts_bytes[] = {0x01, 0x01, 0x01, 0x80, 0xc4, 0x9f,
                                     0xd5, 0x0c, 0x01, 0x78, 0x00};
  ts_expect_bytes(C, ts, 5, ts_bytes, sizeof ts_bytes);

  static const uint64_t pi[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
  static const uint8_t pi_bytes[] = {0x01, 0x00, 0x06, 0x02, 0x04, 0x02, 0x30,
                                     0x40, 0x18, 0x45, 0x42, 0x87, 0x86, 0x02};
  ts_expect_bytes(C, pi, 16, pi_bytes, sizeof pi_bytes);

  /* the hand-made bins sequence: 2 bins, one value a symbol, 2 states */
  static const uint8_t hand[] = {0x01, 0x00, 0x14, 0x00, 0x01, 0x01, 0x01, 0x00, 0x14,
                                 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x05, 0x00, 0x02};
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(C, ctx, hand, sizeof hand, 48, &out), 48);
  static const uint64_t want[6] = {10, 11, 10, 12, 10, 10};
  for (int i = 0; i < 6; i++)
    assert_int_equal(sqz_load64le(out + 8 * i), want[i]);
  free(out);
}

static void test_forms(void **state) {
  (void)state;
  size_t size;
  uint64_t *v = series(STEPS, 10000, 1);
  uint8_t *p = encode(v, 10000, &size);
  shape s = first_page(p, size);
  assert_int_equal(s.order, 1);
  assert_int_equal(s.kind, 1); /* sparse: every step is 60 */
  assert_true(size < 16);
  free(p), free(v);

  v = series(SPARSE, 10000, 2);
  p = encode(v, 10000, &size);
  s = first_page(p, size);
  assert_int_equal(s.order, 0);
  assert_int_equal(s.kind, 1);
  assert_true(size < 10000 / 8); /* under a bit a value */
  free(p), free(v);

  v = series(SMOOTH, 10000, 3);
  p = encode(v, 10000, &size);
  s = first_page(p, size);
  assert_int_equal(s.order, 1);
  assert_int_equal(s.kind, 0);   /* bins: well below the 2 bits of packing */
  assert_true(p[s.seq + 2] > 1); /* tuples: after the kind and nbins - 1 */
  assert_true(size < 10000 / 6);
  free(p), free(v);

  v = series(NOISE, 5000, 4);
  p = encode(v, 5000, &size);
  s = first_page(p, size);
  assert_int_equal(s.kind, 2); /* packed: bins would save little */
  free(p), free(v);

  v = series(SEASONAL, 24 * 100, 5);
  p = encode(v, 24 * 100, &size);
  s = first_page(p, size);
  assert_true(s.order >= 1);
  assert_int_equal(s.lag[0], 24);
  free(p), free(v);

  uint64_t r[300], seed = 6;
  for (int i = 0; i < 300; i++)
    r[i] = rng(&seed);
  p = encode(r, 300, &size);
  assert_int_equal(p[0], 0); /* raw */
  assert_int_equal(size, 1 + 8 * 300);
  free(p);
}

static void test_sizes(void **state) {
  (void)state;
  static const size_t sizes[] = {0,   1,   2,     3,     4,     5,     7,     8,    127,
                                 128, 129, 16383, 16384, 16385, 32768, 32769, 40000};
  for (int kind = SMOOTH; kind <= STEPS; kind++) {
    uint64_t *v = series(kind, 40000, 10 + (uint64_t)kind);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
      ts_roundtrip_u64(C, v, sizes[i]);
    free(v);
  }
}

static void test_extremes(void **state) {
  (void)state;
  /* jumps between INT64_MIN and INT64_MAX, and every sign */
  uint64_t v[600];
  for (int i = 0; i < 600; i++)
    v[i] = i % 3 == 0 ? 0x8000000000000000u : (i % 3 == 1 ? 0x7FFFFFFFFFFFFFFFu : (uint64_t)i);
  ts_roundtrip_u64(C, v, 600);
  /* two clusters 2^60 apart, one spread over 2^58: bins with offsets of 58 bits */
  uint64_t s = 7;
  for (int i = 0; i < 600; i++)
    v[i] = i % 2 ? 0 : ((uint64_t)1 << 60) + (rng(&s) >> 6);
  size_t size;
  uint8_t *p = encode(v, 600, &size);
  assert_true(size < 600 * 8);
  free(p);
  /* a constant of every width, and 0 */
  for (unsigned w = 0; w < 64; w += 7) {
    for (int i = 0; i < 600; i++)
      v[i] = (uint64_t)1 << w;
    assert_true(ts_roundtrip_u64(C, v, 600) <= 24); /* 2 varints of up to 10 bytes */
  }
}

static void test_real_data(void **state) {
  (void)state;
  extern const sqz_codec sqz_codec_delta;
  ts_seattle w;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &w), 0);
  size_t mine = ts_roundtrip_u64(C, (const uint64_t *)(const void *)w.ts, w.n);
  assert_true(mine < 64); /* hourly: a constant step */
  for (int c = 0; c < 3; c++) {
    int64_t *tenths = ts_scale_to_i64(w.col[c], w.n, 10);
    uint8_t *b = ts_pack_i64(tenths, w.n);
    size_t size, delta;
    free(ts_roundtrip(C, b, 8 * w.n, &size));
    free(ts_roundtrip(&sqz_codec_delta, b, 8 * w.n, &delta));
    assert_true(size < delta / 2); /* the daily cycle: a lag of 24 */
    free(b), free(tenths);
  }
  ts_seattle_free(&w);

  /* birdstrikes' costs: mostly 0 */
  size_t fsize;
  uint8_t *csv = test_read_file("examples/data/birdstrikes.csv", &fsize);
  uint64_t *costs = malloc(8 * 10001);
  assert_non_null(costs);
  size_t n = 0;
  char *line = strchr((char *)csv, '\n');
  while (line && (size_t)(line - (char *)csv) + 1 < fsize && n < 10001) {
    line++;
    char *f = line;
    for (int k = 0; k < 10 && f; k++) {
      f = memchr(f, ',', fsize - (size_t)(f - (char *)csv));
      if (f) f++;
    }
    if (!f) break;
    costs[n++] = (uint64_t)strtoll(f, NULL, 10);
    line = memchr(line, '\n', fsize - (size_t)(line - (char *)csv));
  }
  assert_int_equal(n, 10000);
  assert_true(ts_roundtrip_u64(C, costs, n) < 400);
  free(costs), free(csv);

  size_t bytes;
  uint8_t *t = ts_gen_load("ts.i64", &bytes);
  if (t) {
    size_t size;
    free(ts_roundtrip(C, t, bytes, &size));
    assert_true(size < 2048); /* one second steps, 1M values */
    free(t);
  }
}

static void test_weights(void **state) {
  (void)state;
  uint32_t count[5] = {1000, 1, 0, 37, 5}, w[5];
  for (unsigned log = 3; log <= SQZ_ANS_LOG_MAX; log++) {
    assert_int_equal(sqz_ans_normalize(count, 5, log, w), 0);
    assert_int_equal(w[0] + w[1] + w[2] + w[3] + w[4], 1u << log);
    assert_int_equal(w[2], 0);
    assert_true(w[1] >= 1 && w[3] >= 1 && w[4] >= 1 && w[0] > w[3]);
  }
  assert_int_equal(sqz_ans_normalize(count, 5, 1, w),
                   SQZ_ERROR(PARAMETER)); /* 4 symbols, 2 states */
  uint32_t none[2] = {0, 0};
  assert_int_equal(sqz_ans_normalize(none, 2, 4, w), SQZ_ERROR(PARAMETER));
  assert_int_equal(sqz_ans_normalize(count, 0, 4, w), SQZ_ERROR(PARAMETER));
  assert_int_equal(sqz_ans_normalize(count, 5, SQZ_ANS_LOG_MAX + 1, w), SQZ_ERROR(PARAMETER));
  /* one symbol owns the table: 0 bits a symbol */
  uint32_t one = 9;
  assert_int_equal(sqz_ans_normalize(&one, 1, 0, w), 0);
  assert_int_equal(w[0], 1);
  sqz_ans_entry t[1];
  sqz_ans_decoder_init(t, w, 1, 0);
  assert_int_equal(t[0].nb, 0);
  assert_int_equal(t[0].base, 0);
  assert_int_equal(sqz_log2_fx(1), 0);
  assert_int_equal(sqz_log2_fx(1024), 10u << 16);
  assert_true(sqz_log2_fx(3) >= 103871 && sqz_log2_fx(3) <= 103873); /* 1.58496 * 2^16 */
}

/* A payload under construction. */
typedef struct payload {
  uint8_t b[4096];
  size_t n;
} payload;

static void put(payload *p, unsigned v) {
  p->b[p->n++] = (uint8_t)v;
}
static void put_varint(payload *p, uint64_t v) {
  p->n += sqz_varint_put(p->b + p->n, sizeof p->b - p->n, v);
}
/* Decodes p as values values and expects want: an error, or 8 * values. */
static void expect(const payload *p, size_t values, size_t want) {
  assert_int_equal(ts_decode(C, ctx, p->b, p->n, 8 * values, NULL), want);
}

/* A coded page of m + 1 values: order 0, first 0, then the caller's
** sequence of m values. */
static void page_head(payload *p) {
  p->n = 0;
  put(p, 1), put(p, 0), put(p, 0);
}

/* The hand-made bins sequence of test_worked_examples, after page_head. */
static void hand_seq(payload *p) {
  static const uint8_t seq[] = {0x00, 0x01, 0x01, 0x01, 0x00, 0x14, 0x01, 0x01,
                                0x01, 0x01, 0x02, 0x01, 0x05, 0x00, 0x02};
  memcpy(p->b + p->n, seq, sizeof seq);
  p->n += sizeof seq;
}

static void test_corrupt_fields(void **state) {
  (void)state;
  payload p;
  /* page form: 2..15 kept for newer forms, the rest never forms */
  for (unsigned f = 2; f < 256; f++) {
    p.n = 0, put(&p, f), put(&p, 0), put(&p, 0);
    expect(&p, 1, f <= 15 ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT));
  }
  /* order, lags */
  p.n = 0, put(&p, 1), put(&p, 3), put(&p, 0), expect(&p, 1, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 1), put(&p, 0), put(&p, 0), expect(&p, 1, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 1), put_varint(&p, 16384), put(&p, 0);
  expect(&p, 1, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 1), put_varint(&p, 16383), put(&p, 0);
  expect(&p, 1, 8); /* the largest lag */
  /* sequence kinds */
  for (unsigned k = 3; k < 256; k += 3) {
    page_head(&p), put(&p, k);
    expect(&p, 2, k <= 15 ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT));
  }
  /* bins: the hand-made sequence decodes; then each field broken */
  page_head(&p), hand_seq(&p), expect(&p, 6, 48);
  static const struct {
    size_t at;
    uint8_t value;
    size_t want;
  } breaks[] = {
      {5, 0, SQZ_ERROR(CORRUPT)},     /* tuple 0 */
      {5, 9, SQZ_ERROR(CORRUPT)},     /* tuple 9 */
      {5, 8, SQZ_ERROR(CORRUPT)},     /* 2^8 symbols: weights do not follow */
      {6, 13, SQZ_ERROR(CORRUPT)},    /* log 13 */
      {6, 0, SQZ_ERROR(CORRUPT)},     /* 2 weights of 1 in a table of 1 */
      {7, 65, SQZ_ERROR(CORRUPT)},    /* width 65 */
      {11, 2, SQZ_ERROR(CORRUPT)},    /* weights 2 + 1 */
      {11, 0, SQZ_ERROR(CORRUPT)},    /* weights 0 + 1 */
      {15, 0x04, SQZ_ERROR(CORRUPT)}, /* a first state of 0: a final state not 0 */
      {16, 0x80, SQZ_ERROR(CORRUPT)}, /* a padding bit of the tANS stream */
      {17, 0x06, SQZ_ERROR(CORRUPT)}, /* a padding bit of the offsets */
      {13, 3, SQZ_ERROR(TRUNCATED)},  /* a tANS stream of 3: the offsets pass the end */
      {14, 0, SQZ_ERROR(TRUNCATED)},  /* no offset stream: its bits read past its end */
      {14, 2, SQZ_ERROR(TRUNCATED)},  /* an offset stream past the end */
  };
  for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
    page_head(&p), hand_seq(&p);
    p.b[breaks[i].at] = breaks[i].value;
    expect(&p, 6, breaks[i].want);
  }
  /* sparse: count above m, a position past m, a sparse part, kept kinds */
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 3), expect(&p, 3, SQZ_ERROR(CORRUPT));
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 1);
  put(&p, 2), put(&p, 0), put(&p, 4); /* gap 2: position 2 of 2 */
  put(&p, 2), put(&p, 0), put(&p, 2);
  expect(&p, 3, SQZ_ERROR(CORRUPT));
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 1);
  put(&p, 2), put(&p, 0), put(&p, 2); /* gap 1: position 1 */
  put(&p, 2), put(&p, 0), put(&p, 14);
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(C, ctx, p.b, p.n, 24, &out), 24);
  assert_int_equal(sqz_load64le(out + 16), 7); /* 0, 0, 7 */
  free(out);
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 1), put(&p, 1);
  expect(&p, 3, SQZ_ERROR(CORRUPT));
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 1), put(&p, 3);
  expect(&p, 3, SQZ_ERROR(VERSION));
  page_head(&p), put(&p, 1), put(&p, 0), put(&p, 1), put(&p, 2), put(&p, 0), put(&p, 0);
  put(&p, 40), expect(&p, 3, SQZ_ERROR(CORRUPT));
  /* packed: width 65, padding bits, a block cut short */
  page_head(&p), put(&p, 2), put(&p, 65), put(&p, 0), expect(&p, 2, SQZ_ERROR(CORRUPT));
  page_head(&p), put(&p, 2), put(&p, 4), put(&p, 0), put(&p, 0x10),
      expect(&p, 2, SQZ_ERROR(CORRUPT));
  page_head(&p), put(&p, 2), put(&p, 4), put(&p, 0), put(&p, 0x0f), expect(&p, 2, 16);
  page_head(&p), put(&p, 2), put(&p, 16), put(&p, 0), put(&p, 1),
      expect(&p, 2, SQZ_ERROR(TRUNCATED));
  /* varints: too long, above 64 bits, cut short */
  p.n = 0, put(&p, 1), put(&p, 0);
  for (int i = 0; i < 10; i++)
    put(&p, 0x80);
  put(&p, 0), expect(&p, 1, SQZ_ERROR(CORRUPT));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0x80), expect(&p, 1, SQZ_ERROR(TRUNCATED));
  /* raw page cut short; bytes after the last page */
  p.n = 0, put(&p, 0), put(&p, 1), expect(&p, 1, SQZ_ERROR(TRUNCATED));
  p.n = 0, put(&p, 1), put(&p, 0), put(&p, 0), put(&p, 0), expect(&p, 1, SQZ_ERROR(CORRUPT));
}

static void test_errors(void **state) {
  (void)state;
  for (int kind = SMOOTH; kind <= STEPS; kind++) {
    uint64_t *v = series(kind, 300, 20 + (uint64_t)kind);
    uint8_t *b = ts_pack_u64(v, 300);
    ts_check_errors(C, b, 8 * 300, 64);
    free(b), free(v);
  }
}

static void test_damage(void **state) {
  (void)state;
  /* random damage to real payloads of several forms: an error or 8 n bytes */
  uint64_t s = 99;
  for (int kind = SMOOTH; kind <= STEPS; kind++) {
    uint64_t *v = series(kind, 20000, 30 + (uint64_t)kind);
    size_t size;
    uint8_t *p = encode(v, 20000, &size);
    for (int t = 0; t < 200; t++) {
      uint8_t *q = ts_dup(p, size);
      for (int k = 0; k < 1 + t % 4; k++)
        q[rng(&s) % size] ^= (uint8_t)(1u << (rng(&s) % 8));
      ts_decode(C, ctx, q, size, 8 * 20000, NULL);
      free(q);
    }
    free(p), free(v);
  }
}

static void *ctx_only_alloc(void *opaque, size_t bytes) {
  int *left = opaque;
  return (*left)-- > 0 ? malloc(bytes) : NULL;
}
static void plain_free(void *opaque, void *ptr) {
  (void)opaque;
  free(ptr);
}

static void test_memory(void **state) {
  (void)state;
  int left = 1; /* the context itself, then nothing */
  sqz_allocator a = {ctx_only_alloc, plain_free, &left};
  sqz_ctx *poor = sqz_ctx_create(&a);
  assert_non_null(poor);
  uint8_t src[80] = {0}, dst[200];
  assert_int_equal(C->compress(poor, dst, sizeof dst, src, 80, &ts_params), SQZ_ERROR(MEMORY));
  uint8_t raw[9] = {0};
  assert_int_equal(C->decompress(poor, dst, 8, raw, 9), SQZ_ERROR(MEMORY));
  sqz_ctx_free(poor);
  /* and every call gives its scratch back */
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  uint64_t *v = series(SMOOTH, 5000, 40);
  uint8_t *b = ts_pack_u64(v, 5000), *comp = malloc(C->bound(40000)), *back = malloc(40000);
  size_t size = C->compress(ctx, comp, C->bound(40000), b, 40000, &ts_params);
  assert_int_equal(C->decompress(ctx, back, 40000, comp, size), 40000);
  assert_int_equal(C->decompress(ctx, back, 40000, comp, size - 1), SQZ_ERROR(TRUNCATED));
  assert_int_equal(C->compress(ctx, comp, 10, b, 40000, &ts_params), SQZ_ERROR(DST_TOO_SMALL));
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  assert_int_equal(st.in_use, 0);
  free(b), free(v), free(comp), free(back);
  sqz_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),   cmocka_unit_test(test_worked_examples),
      cmocka_unit_test(test_forms),    cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_extremes), cmocka_unit_test(test_real_data),
      cmocka_unit_test(test_weights),  cmocka_unit_test(test_corrupt_fields),
      cmocka_unit_test(test_errors),   cmocka_unit_test(test_damage),
      cmocka_unit_test(test_memory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/*
** test_gorilla.c: unit tests of the gorilla codec (codecs/gorilla.c).
**
** - the payload equals, byte for byte, the output of a naive bit-at-a-time
**   model of the paper's encoding restarted every 1024 values, written here
**   (on the real Seattle series, the gen_ts walks, special values and random
**   data);
** - hand-computed payloads (the worked examples of docs/format/gorilla.md,
**   one of them across a block boundary);
** - the blocks: 1023, 1024, 1025, 2048 and 2049 values, a block encodes
**   exactly as the same values alone, a window wide in block 0 is not
**   reused in block 1, and a '10' before block 1's first '11' is corrupt;
** - IEEE special values: NaNs with payloads, -0.0, infinities, subnormals,
**   DBL_MAX, and the window's edge cases (64 meaningful bits, more than 31
**   leading zeros);
** - every error path: truncation at each byte, corrupt control bits and
**   windows, trailing bytes, padding, srcSize % 8, dstSize % 8.
** The gen_ts case is skipped with a message when build/ts/ is absent
** (make build/ts/ts.i64); it prints the codec's bits/value next to the
** model's pure stream (no blocks), the figures of docs/format/gorilla.md.
*/
#include "ts_test_util.h"

#include <float.h>
#include <math.h>

extern const sqz_codec sqz_codec_gorilla;
static const sqz_codec *const C = &sqz_codec_gorilla;

/* Values per block in the format (docs/format/gorilla.md). */
#define BLOCK 1024

/* The paper's encoding, bit by bit (see the essay of codecs/gorilla.c),
** restarted every block values (SIZE_MAX: one pure stream). Writes into out
** (zeroed, TS_MODEL_CAPACITY(n) bytes) and returns the number of bits. */
static size_t model_bits(const uint64_t *v, size_t n, uint8_t *out, size_t block) {
  ts_ref_bits b = {out, 0};
  int have_window = 0;
  unsigned wl = 0, wt = 0;
  for (size_t i = 0; i < n; i++) {
    if (i % block == 0) { /* a block's first value: raw, no window */
      ts_ref_put(&b, v[i], 64);
      have_window = 0;
      continue;
    }
    uint64_t x = v[i] ^ v[i - 1];
    if (x == 0) {
      ts_ref_put(&b, 0, 1);
      continue;
    }
    ts_ref_put(&b, 1, 1);
    unsigned l = ts_ref_clz(x), t = ts_ref_ctz(x);
    if (l > 31) l = 31;
    if (have_window && l >= wl && t >= wt) {
      ts_ref_put(&b, 0, 1);
      ts_ref_put(&b, x >> wt, 64 - wl - wt);
    } else {
      unsigned len = 64 - l - t;
      ts_ref_put(&b, 1, 1);
      ts_ref_put(&b, l, 5);
      ts_ref_put(&b, len == 64 ? 0 : len, 6);
      ts_ref_put(&b, x >> t, len);
      have_window = 1;
      wl = l;
      wt = t;
    }
  }
  return b.nbits;
}

/* The format: blocks of BLOCK values; a ts_model_fn. */
static size_t model_gorilla(const uint64_t *v, size_t n, uint8_t *out) {
  return (model_bits(v, n, out, BLOCK) + 7) / 8;
}

/* Bits of the model's payload of n values with the given block length. */
static size_t model_size_bits(const uint64_t *v, size_t n, size_t block) {
  uint8_t *out = calloc(TS_MODEL_CAPACITY(n), 1);
  assert_non_null(out);
  size_t bits = model_bits(v, n, out, block);
  free(out);
  return bits;
}

/* Bit k of a payload. */
static unsigned bit_at(const uint8_t *p, size_t k) {
  return (p[k / 8] >> (k % 8)) & 1;
}

/* The n bits of a payload from bit k, least significant first (n <= 64). */
static uint64_t bits_at(const uint8_t *p, size_t k, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)bit_at(p, k + i) << i;
  return v;
}

static size_t check_model(const uint8_t *src, size_t n) {
  return ts_check_model_bytes(C, model_gorilla, src, n);
}

static size_t check_model_u64(const uint64_t *v, size_t n) {
  return ts_check_model(C, model_gorilla, v, n);
}

static uint64_t bits_of(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

static void test_basics(void **state) {
  (void)state;
  ts_check_basics(C, "gorilla", SQZ_ID_GORILLA, SQZ_KIND_FLOAT64);
}

/* docs/format/gorilla.md, worked example: 1.0, 1.0, 1.5, 1.25, 1.75. */
static void test_worked_example(void **state) {
  (void)state;
  const uint64_t v[] = {bits_of(1.0), bits_of(1.0), bits_of(1.5), bits_of(1.25), bits_of(1.75)};
  const uint8_t want[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0,
                          0x3F, 0x66, 0xC1, 0x99, 0x70, 0x02};
  ts_expect_bytes(C, v, 5, want, sizeof want);
}

/* docs/format/gorilla.md, second example: 1024 times 1.0, then 1.5, 1.25.
** Value 1024 opens block 1: raw at stream bit 1087 (no byte alignment), then
** 1.5 XOR 1.25 takes '11' since block 1 has no window yet. */
static void test_block_example(void **state) {
  (void)state;
  uint64_t v[1026];
  for (size_t i = 0; i < 1024; i++)
    v[i] = bits_of(1.0);
  v[1024] = bits_of(1.5);
  v[1025] = bits_of(1.25);
  uint8_t want[146] = {0};
  want[6] = 0xF0, want[7] = 0x3F; /* 1.0 raw; bytes 8..141: 1023 '0' and 1.5's low bits */
  const uint8_t tail[] = {0xFC, 0x9F, 0x99, 0x30};
  memcpy(want + 142, tail, sizeof tail);
  ts_expect_bytes(C, v, 1026, want, sizeof want);
  /* 64 + 1023 + 64 + 15 bits; the pure stream: 64 + 1023 + 14 + 15 */
  assert_int_equal(model_size_bits(v, 1026, BLOCK), 1166);
  assert_int_equal(model_size_bits(v, 1026, SIZE_MAX), 1116);
}

static const double special_doubles[] = {
    0.0, -0.0, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, 1.0, -1.0,
};
static const uint64_t special_bits[] = {
    0x7FF8000000000000u, /* quiet NaN */
    0x7FF8000000000001u, /* quiet NaN with payload */
    0x7FF0000000000001u, /* signalling NaN */
    0xFFFFFFFFFFFFFFFFu, /* negative NaN, all payload bits */
    0x000FFFFFFFFFFFFFu, /* largest subnormal */
    0x8000000000000001u, /* smallest negative subnormal */
    0x7FF4DEADBEEF0001u, /* payload in the middle */
};

/* Every special value followed by every other: each pair's XOR appears. */
static void test_special_values(void **state) {
  (void)state;
  size_t nd = sizeof special_doubles / sizeof special_doubles[0];
  size_t nb = sizeof special_bits / sizeof special_bits[0], ns = nd + nb;
  uint64_t s[32], seq[2 * 32 * 32];
  for (size_t i = 0; i < nd; i++)
    s[i] = bits_of(special_doubles[i]);
  for (size_t i = 0; i < nb; i++)
    s[nd + i] = special_bits[i];
  size_t n = 0;
  for (size_t i = 0; i < ns; i++)
    for (size_t j = 0; j < ns; j++) {
      seq[n++] = s[i];
      seq[n++] = s[j];
    }
  check_model_u64(seq, n);
  memcpy(seq + n, seq, n * sizeof seq[0]); /* 2 n > 1024: across a block boundary */
  check_model_u64(seq, 2 * n);
  for (size_t i = 0; i < ns; i++)
    check_model_u64(&s[i], 1);
  uint8_t b[8 * 24];
  for (size_t i = 0; i < 24; i++)
    sqz_store64le(b + 8 * i, seq[i * 7 % n]);
  ts_check_errors(C, b, sizeof b, 48);
}

/* The window's edges: a 64-bit meaningful block (written as length 0), more
** than 31 leading zeros (written as 31), and a value that reuses the window. */
static void test_window_edges(void **state) {
  (void)state;
  /* 0 ^ 0x8000000000000001: lead 0, trail 0, length 64. */
  const uint64_t full[] = {0, 0x8000000000000001u, 0, 0x8000000000000001u};
  /* 64 + ('11' + 5 + 6 + 64) + 2 * ('10' + 64) bits */
  assert_int_equal(check_model_u64(full, 4), (64 + 77 + 2 * 66 + 7) / 8);
  const uint8_t len0[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x10};
  /* ('11', lead 0, length field 0 = 64, bits 0x8000000000000001) by hand */
  uint8_t *out = NULL;
  assert_int_equal(ts_decode(C, NULL, len0, sizeof len0, 16, &out), 16);
  assert_true(sqz_load64le(out + 8) == 0x8000000000000001u);
  free(out);

  /* 0 ^ 1: 63 leading zeros, written as 31; 33 meaningful bits. */
  const uint64_t small[] = {0, 1, 0, 1, 3};
  assert_int_equal(check_model_u64(small, 5), (64 + (13 + 33) + 3 * (2 + 33) + 7) / 8);
  const uint64_t shrinking[] = {0, 0xFF00, 0x0F00, 0x0300, 0x0100, 0x1, 0x8000000000000000u};
  check_model_u64(shrinking, 7);
}

/* n values of a 2-decimal random walk from 100.00 (xorshift64* steps of
** -1.00..+1.00), as the bits of doubles. */
static void walk(uint64_t *v, size_t n, uint64_t seed) {
  long cents = 10000;
  for (size_t i = 0; i < n; i++) {
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    cents += (long)((seed * 2685821657736338717ULL) >> 33) % 201 - 100;
    v[i] = bits_of((double)cents / 100.0);
  }
}

/* The block lengths around the boundaries: the payload is the model's, a
** block of one value costs exactly 64 bits more, block 1 encodes exactly as
** its values alone (from the bit where block 0 ends), and the error paths
** hold across the boundary. */
static void test_block_lengths(void **state) {
  (void)state;
  enum { N = 2049 };
  uint64_t *v = malloc(N * sizeof *v);
  assert_non_null(v);
  walk(v, N, 42);
  static const size_t lens[] = {1023, 1024, 1025, 2048, 2049};
  for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
    size_t n = lens[k], bits = model_size_bits(v, n, BLOCK);
    assert_int_equal(check_model_u64(v, n), (bits + 7) / 8);
    if (n % BLOCK == 1) assert_int_equal(bits, model_size_bits(v, n - 1, BLOCK) + 64);
    if (n <= BLOCK) assert_int_equal(bits, model_size_bits(v, n, SIZE_MAX));
    if (n <= BLOCK) continue;
    /* block 1 alone, and inside the whole payload from bit b0 */
    size_t b0 = model_size_bits(v, BLOCK, BLOCK), b1 = model_size_bits(v + BLOCK, n - BLOCK, BLOCK);
    assert_int_equal(bits, b0 + b1);
    uint8_t *all = ts_pack_u64(v, n), *rest = ts_pack_u64(v + BLOCK, n - BLOCK);
    size_t sa, sr;
    uint8_t *pa = ts_roundtrip(C, all, 8 * n, &sa),
            *pr = ts_roundtrip(C, rest, 8 * (n - BLOCK), &sr);
    assert_int_equal(sa, (b0 + b1 + 7) / 8);
    assert_int_equal(sr, (b1 + 7) / 8);
    for (size_t i = 0; i < b1; i++)
      assert_int_equal(bit_at(pa, b0 + i), bit_at(pr, i));
    /* bit flips around the boundary: an error or exactly dstSize bytes */
    uint8_t *flip = ts_dup(pa, sa);
    for (size_t i = b0 / 8 - 16; i < b0 / 8 + 16 && i < sa; i++)
      for (int j = 0; j < 8; j++) {
        flip[i] ^= (uint8_t)(1u << j);
        ts_decode(C, NULL, flip, sa, 8 * n, NULL);
        flip[i] ^= (uint8_t)(1u << j);
      }
    free(flip);
    if (n % BLOCK == 1) ts_check_errors(C, all, 8 * n, 0);
    free(pa), free(pr), free(all), free(rest);
  }
  free(v);
}

/* A window made wide in block 0 (lead 0, trail 0: any XOR fits it) is not
** reused in block 1: its first non-zero XOR takes '11', and a payload with
** '10' there is corrupt. */
static void test_window_not_carried(void **state) {
  (void)state;
  uint64_t v[1026];
  v[0] = 0;
  for (size_t i = 1; i < 1025; i++)
    v[i] = 0x8000000000000001u;  /* XOR 0x8000000000000001: window (0, 0) */
  v[1025] = 0x8000000000000003u; /* XOR 2: lead 62 -> 31, trail 1, 32 bits */
  /* 64 + 77 + 1022 '0' + 64 raw + (13 + 32) */
  assert_int_equal(check_model_u64(v, 1026), (1272 + 7) / 8);
  /* the pure stream would write v[1024] as '0' and v[1025] as '10' + 64 */
  assert_int_equal(model_size_bits(v, 1026, SIZE_MAX), 64 + 77 + 1022 + 1 + 66);
  uint8_t *b = ts_pack_u64(v, 1026), *p;
  size_t csize;
  p = ts_roundtrip(C, b, 8 * 1026, &csize);
  assert_int_equal(csize, 159);
  const size_t at = 64 + 77 + 1022; /* v[1024], raw */
  assert_true(bits_at(p, at, 64) == 0x8000000000000001u);
  assert_int_equal(bits_at(p, at + 64, 2), 3);  /* '11' */
  assert_int_equal(bits_at(p, at + 66, 5), 31); /* leading zeros, capped */
  assert_int_equal(bits_at(p, at + 71, 6), 32); /* length */
  assert_true(bits_at(p, at + 77, 32) == 1);    /* x >> 1 */
  free(p);
  free(b);

  /* The same values with '10' + 64 bits (block 0's window) for v[1025]. */
  uint8_t bad[TS_MODEL_CAPACITY(1026)] = {0};
  ts_ref_bits w = {bad, 0};
  ts_ref_put(&w, 0, 64);
  ts_ref_put(&w, 3 | (0u << 2) | (0u << 7), 13); /* '11', lead 0, length 64 */
  ts_ref_put(&w, 0x8000000000000001u, 64);
  for (int i = 0; i < 1022; i++)
    ts_ref_put(&w, 0, 1); /* '0' */
  ts_ref_put(&w, 0x8000000000000001u, 64);
  ts_ref_put(&w, 1, 2); /* '10' */
  ts_ref_put(&w, 2, 64);
  ts_expect_error(C, bad, (w.nbits + 7) / 8, 8 * 1026, SQZ_ERROR(CORRUPT));
  /* Its first 1025 values alone (the stream cut before the '10') are valid. */
  uint8_t good[TS_MODEL_CAPACITY(1025)] = {0};
  memcpy(good, bad, (at + 64) / 8);
  good[(at + 64) / 8] = (uint8_t)(bad[(at + 64) / 8] & ((1u << (at + 64) % 8) - 1));
  assert_int_equal(ts_decode(C, NULL, good, (at + 64 + 7) / 8, 8 * 1025, NULL), 8 * 1025);
}

static void test_corrupt_headers(void **state) {
  (void)state;
  uint8_t p[24] = {0};
  /* '10' as the first non-zero XOR: no window to reuse. */
  p[8] = 0x01;
  ts_expect_error(C, p, 9, 16, SQZ_ERROR(CORRUPT));
  /* '11', lead 31, length 40: 71 > 64 bits. */
  sqz_store64le(p + 8, 3 | (31u << 2) | (40u << 7));
  ts_expect_error(C, p, 24, 16, SQZ_ERROR(CORRUPT));
  /* '11', lead 1, length 0 (= 64): 65 bits. */
  sqz_store64le(p + 8, 3 | (1u << 2));
  ts_expect_error(C, p, 24, 16, SQZ_ERROR(CORRUPT));
  /* A repeat ('0') then non-zero padding bits. */
  memset(p, 0, sizeof p);
  p[8] = 0x02;
  ts_expect_error(C, p, 9, 16, SQZ_ERROR(CORRUPT));
  p[8] = 0x00;
  assert_int_equal(ts_decode(C, NULL, p, 9, 16, NULL), 16);
  /* The first value cut short. */
  ts_expect_error(C, p, 7, 8, SQZ_ERROR(TRUNCATED));
  /* A long run of repeats asked of a one-byte stream. */
  ts_expect_error(C, p, 9, 8 * 100, SQZ_ERROR(TRUNCATED));
}

/* The real series: examples/data/seattle-weather-hourly-normals.csv. */
static void test_seattle(void **state) {
  (void)state;
  ts_seattle s;
  assert_int_equal(ts_seattle_load(TS_SEATTLE_PATH, &s), 0);
  assert_true(s.n > 8000);
  for (int c = 0; c < 3; c++) {
    uint8_t *b = ts_pack_f64(s.col[c], s.n);
    size_t csize = check_model(b, s.n);
    print_message("gorilla seattle %-11s %zu values: %.2f bits/value\n", ts_seattle_names[c], s.n,
                  8.0 * (double)csize / (double)s.n);
    assert_true(csize < 8 * s.n);
    ts_check_errors(C, b, 8 * 200, 64);
    free(b);
  }
  ts_seattle_free(&s);
}

/* The gen_ts walks, when build/ts exists. */
static void test_gen_ts(void **state) {
  (void)state;
  static const char *const files[] = {"val_2dp.f64", "val_full.f64"};
  for (int f = 0; f < 2; f++) {
    size_t bytes;
    uint8_t *b = ts_gen_load(files[f], &bytes);
    if (!b) {
      print_message("skipped: %s%s is missing (make build/ts/ts.i64)\n", TS_GEN_DIR, files[f]);
      skip();
    }
    size_t n = bytes / 8, csize = check_model(b, n);
    uint64_t *v = malloc(bytes);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
      v[i] = sqz_load64le(b + 8 * i);
    double per = (double)n;
    print_message("gorilla gen_ts %-12s %zu values: %.3f bits/value (blocks of 1024); model: pure "
                  "stream %.3f, blocks of 1200 %.3f\n",
                  files[f], n, 8.0 * (double)csize / per,
                  (double)model_size_bits(v, n, SIZE_MAX) / per,
                  (double)model_size_bits(v, n, 1200) / per);
    free(v);
    free(b);
  }
}

static void test_random(void **state) {
  (void)state;
  ts_check_random(C, model_gorilla, 1);
  ts_check_random(C, model_gorilla, 0xDEADBEEF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basics),
      cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_block_example),
      cmocka_unit_test(test_special_values),
      cmocka_unit_test(test_window_edges),
      cmocka_unit_test(test_block_lengths),
      cmocka_unit_test(test_window_not_carried),
      cmocka_unit_test(test_corrupt_headers),
      cmocka_unit_test(test_seattle),
      cmocka_unit_test(test_gen_ts),
      cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

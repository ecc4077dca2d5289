/*
** test_primitives.c: the common primitives of codecs/, each at its edges:
** varint.h (truncated against corrupt at every length 0..11, every width
** 1..10, zigzag), bits.h (0, 1, 63, 64 and all ones), byteorder.h (every
** width on a known pattern), checked.h, alloc.h (the default allocator,
** copy-or-default, grow), buf.h (reserve overflow, appends), pool.h (a
** double release is ignored) and codec.h's sqz_mode_error().
*/
#include "test_util.h"

#include "alloc.h"
#include "bits.h"
#include "buf.h"
#include "byteorder.h"
#include "checked.h"
#include "codec.h"
#include "pool.h"
#include "varint.h"

/* ---- varint.h ----------------------------------------------------------- */

/* len bytes that all say "more follows": TRUNCATED while fewer than 10 bytes
** could still be completed, CORRUPT from 10 on (an 11th byte would follow). */
static void test_varint_truncated_or_corrupt_every_length(void **state) {
  (void)state;
  uint8_t all_more[12];
  memset(all_more, 0x80, sizeof all_more);
  for (size_t len = 0; len <= 11; len++) {
    uint64_t v = 12345;
    size_t r = sqz_varint_read(len ? all_more : NULL, len, &v);
    assert_int_equal(r, len < SQZ_VARINT_MAX ? SQZ_ERROR(TRUNCATED) : SQZ_ERROR(CORRUPT));
    assert_int_equal(v, 12345); /* untouched on error */
    size_t pos = 0;
    assert_int_equal(sqz_varint_take(all_more, len, &pos, &v), r);
    assert_int_equal(pos, 0);
  }
  /* a 10th byte above 1 sets bits past 63: corrupt, however long the input */
  uint8_t big[11];
  memset(big, 0xFF, 9);
  for (unsigned last = 0; last < 256; last++) {
    big[9] = (uint8_t)last;
    big[10] = 0;
    uint64_t v;
    for (size_t len = 10; len <= 11; len++) {
      size_t r = sqz_varint_read(big, len, &v);
      if (last <= 1) {
        assert_int_equal(r, 10);
        assert_int_equal(v, last ? UINT64_MAX : UINT64_MAX >> 1);
      } else {
        assert_int_equal(r, SQZ_ERROR(CORRUPT));
      }
    }
    /* the first nine bytes alone: truncated */
    assert_int_equal(sqz_varint_read(big, 9, &v), SQZ_ERROR(TRUNCATED));
  }
}

/* Every value width 1..10 bytes: written, read back from exactly its bytes
** and from a longer input, and TRUNCATED from every proper prefix. */
static void test_varint_every_width(void **state) {
  (void)state;
  for (unsigned bits = 0; bits <= 64; bits++) {
    uint64_t v = bits ? sqz_mask64(bits) : 0;
    uint8_t b[SQZ_VARINT_MAX + 2];
    memset(b, 0xAA, sizeof b);
    size_t n = sqz_varint_put(b, sizeof b, v);
    assert_int_equal(n, sqz_varint_size(v));
    assert_int_equal(n, bits ? (bits + 6) / 7 : 1);
    assert_int_equal(sqz_varint_put(b, n - 1, v), 0); /* does not fit */
    uint64_t got = 0;
    assert_int_equal(sqz_varint_read(b, n, &got), n);
    assert_int_equal(got, v);
    assert_int_equal(sqz_varint_read(b, sizeof b, &got), n);
    for (size_t k = 0; k < n; k++)
      assert_int_equal(sqz_varint_read(b, k, &got), SQZ_ERROR(TRUNCATED));
    size_t pos = 1;
    uint8_t shifted[SQZ_VARINT_MAX + 1] = {0x55};
    memcpy(shifted + 1, b, n);
    assert_int_equal(sqz_varint_take(shifted, n + 1, &pos, &got), 0);
    assert_int_equal(pos, n + 1);
    assert_int_equal(got, v);
    assert_int_equal(sqz_varint_take(shifted, n + 1, &pos, &got), SQZ_ERROR(TRUNCATED));
  }
}

static void test_zigzag(void **state) {
  (void)state;
  const int64_t s[] = {0, -1, 1, -2, 2, INT64_MAX, INT64_MIN, -64, 63};
  const uint64_t z[] = {0, 1, 2, 3, 4, UINT64_MAX - 1, UINT64_MAX, 127, 126};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    assert_int_equal(sqz_zigzag_encode((uint64_t)s[i]), z[i]);
    assert_int_equal(sqz_int64_of(sqz_zigzag_decode(z[i])), s[i]);
  }
}

/* ---- bits.h -------------------------------------------------------------- */

static void test_bits_at_the_edges(void **state) {
  (void)state;
  assert_int_equal(sqz_clz64(0), 64);
  assert_int_equal(sqz_ctz64(0), 64);
  assert_int_equal(sqz_bit_width(0), 0);
  assert_int_equal(sqz_clz64(1), 63);
  assert_int_equal(sqz_ctz64(1), 0);
  assert_int_equal(sqz_bit_width(1), 1);
  uint64_t top = (uint64_t)1 << 63;
  assert_int_equal(sqz_clz64(top), 0);
  assert_int_equal(sqz_ctz64(top), 63);
  assert_int_equal(sqz_bit_width(top), 64);
  assert_int_equal(sqz_clz64(UINT64_MAX), 0);
  assert_int_equal(sqz_ctz64(UINT64_MAX), 0);
  assert_int_equal(sqz_bit_width(UINT64_MAX), 64);
  assert_int_equal(sqz_bit_width(((uint64_t)1 << 62) + 1), 63);
  for (unsigned i = 0; i < 64; i++) {
    uint64_t v = (uint64_t)1 << i;
    assert_int_equal(sqz_clz64(v), 63 - i);
    assert_int_equal(sqz_ctz64(v | top), i == 63 ? 63 : i);
    assert_int_equal(sqz_bit_width(v), i + 1);
  }
  assert_int_equal(sqz_mask64(0), 0);
  assert_int_equal(sqz_mask64(1), 1);
  assert_int_equal(sqz_mask64(63), UINT64_MAX >> 1);
  assert_int_equal(sqz_mask64(64), UINT64_MAX);
  assert_int_equal(sqz_mask64(65), UINT64_MAX);
  assert_int_equal(sqz_int64_of(UINT64_MAX), -1);
  assert_int_equal(sqz_int64_of(top), INT64_MIN);
  assert_int_equal(sqz_int64_of((uint64_t)INT64_MAX), INT64_MAX);
  assert_int_equal(sqz_double_bits(-0.0), top);
  assert_true(sqz_bits_double(0x3FF8000000000000ull) == 1.5);
}

/* ---- byteorder.h --------------------------------------------------------- */

static void test_byteorder(void **state) {
  (void)state;
  const uint8_t b[9] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  assert_int_equal(sqz_load16le(b), 0x0201);
  assert_int_equal(sqz_load24le(b), 0x030201);
  assert_int_equal(sqz_load32le(b + 1), 0x05040302);
  assert_int_equal(sqz_load64le(b), 0x0807060504030201ull);
  for (size_t n = 0; n <= 8; n++)
    assert_int_equal(sqz_load_le(b, n), sqz_load64le(b) & sqz_mask64(8 * (unsigned)n));
  uint8_t o[10];
  memset(o, 0xEE, sizeof o);
  sqz_store64le(o, 0x0807060504030201ull);
  assert_memory_equal(o, b, 8);
  assert_int_equal(o[8], 0xEE);
  memset(o, 0xEE, sizeof o);
  sqz_store32le(o, 0x04030201u);
  sqz_store16le(o + 4, 0x0605);
  sqz_store24le(o + 6, 0xAA090807u); /* the top byte is not stored */
  assert_memory_equal(o, b, 9);
  assert_int_equal(o[9], 0xEE);
  for (size_t n = 0; n <= 8; n++) {
    memset(o, 0xEE, sizeof o);
    sqz_store_le(o, 0x0807060504030201ull, n);
    assert_memory_equal(o, b, n);
    assert_int_equal(o[n], 0xEE);
  }
  assert_int_equal(sqz_bswap64(0x0102030405060708ull), 0x0807060504030201ull);
  assert_int_equal(sqz_bswap32(0x01020304u), 0x04030201u);
  assert_int_equal(sqz_bswap16(0x0102), 0x0201);
}

/* ---- checked.h ----------------------------------------------------------- */

static void test_checked_arithmetic(void **state) {
  (void)state;
  size_t r;
  assert_int_equal(sqz_add_overflow(SIZE_MAX - 1, 1, &r), 0);
  assert_int_equal(r, SIZE_MAX);
  assert_int_equal(sqz_add_overflow(SIZE_MAX, 1, &r), 1);
  assert_int_equal(sqz_add_overflow(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, &r), 1);
  assert_int_equal(sqz_mul_overflow(0, SIZE_MAX, &r), 0);
  assert_int_equal(r, 0);
  assert_int_equal(sqz_mul_overflow(SIZE_MAX / 3, 3, &r), 0);
  assert_int_equal(sqz_mul_overflow(SIZE_MAX / 3 + 1, 3, &r), 1);
  assert_int_equal(
      sqz_mul_overflow((size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4), &r),
      1);
}

/* ---- alloc.h --------------------------------------------------------------- */

/* A counting allocator over malloc that can be told to fail. */
typedef struct counter {
  int allocs, frees, fail;
  size_t last;
} counter;

static void *count_alloc(void *opaque, size_t bytes) {
  counter *c = opaque;
  c->last = bytes;
  if (c->fail) return NULL;
  c->allocs++;
  return malloc(bytes);
}

static void count_free(void *opaque, void *p) {
  counter *c = opaque;
  c->frees++;
  free(p);
}

static void test_allocator_default(void **state) {
  (void)state;
  sqz_allocator a = sqz_allocator_or_default(NULL);
  assert_ptr_equal(a.alloc, sqz_default_allocator.alloc);
  assert_ptr_equal(a.free, sqz_default_allocator.free);
  assert_null(a.opaque);
  void *p = a.alloc(a.opaque, 100);
  assert_non_null(p);
  assert_int_equal((uintptr_t)p % 16, 0);
  memset(p, 1, 100);
  a.free(a.opaque, p);
  counter c = {0};
  sqz_allocator mine = {count_alloc, count_free, &c};
  sqz_allocator got = sqz_allocator_or_default(&mine);
  assert_ptr_equal(got.alloc, count_alloc);
  assert_ptr_equal(got.opaque, &c);
  /* move and grow */
  uint8_t *q = sqz_alloc_move(&got, NULL, 0, 0);
  assert_non_null(q);
  assert_int_equal(c.last, 1); /* 0 bytes allocate 1 */
  q[0] = 7;
  void *vp = q;
  size_t cap = 1;
  assert_int_equal(sqz_alloc_grow(&got, &vp, &cap, 1, 1000), 0);
  assert_int_equal(cap, 1024); /* doubled from 1 until it holds 1000 */
  assert_int_equal(((uint8_t *)vp)[0], 7);
  assert_int_equal(sqz_alloc_grow(&got, &vp, &cap, 1, 1000), 0); /* already enough */
  assert_int_equal(c.allocs, 2);
  c.fail = 1;
  void *before = vp;
  assert_int_equal(sqz_alloc_grow(&got, &vp, &cap, 1, 5000), SQZ_ERROR(MEMORY));
  assert_ptr_equal(vp, before); /* unchanged on failure */
  assert_int_equal(cap, 1024);
  assert_int_equal(sqz_alloc_grow(&got, &vp, &cap, 1, SIZE_MAX), SQZ_ERROR(MEMORY));
  assert_int_equal(c.last, SIZE_MAX); /* doubling stopped at want, no wrap */
  c.fail = 0;
  got.free(got.opaque, vp);
  assert_int_equal(c.frees, c.allocs);
  void *none = NULL;
  cap = 0;
  assert_int_equal(sqz_alloc_grow(&got, &none, &cap, 0, 0), 0); /* a block exists after */
  assert_non_null(none);
  assert_int_equal(cap, SQZ_ALLOC_FIRST);
  got.free(got.opaque, none);
}

/* ---- buf.h ---------------------------------------------------------------- */

static void test_buf_reserve_and_appends(void **state) {
  (void)state;
  counter c = {0};
  sqz_allocator mine = {count_alloc, count_free, &c};
  sqz_buf b;
  sqz_buf_init(&b, &mine);
  assert_null(b.p);
  assert_int_equal(sqz_buf_reserve(&b, 1 + SQZ_VARINT_MAX + 3 + 4 + 8), 0);
  sqz_buf_byte(&b, 0xC1);
  sqz_buf_varint(&b, 300);
  sqz_buf_bytes(&b, "abc", 3);
  sqz_buf_bytes(&b, NULL, 0);
  sqz_buf_u32le(&b, 0x04030201u);
  uint8_t *z = sqz_buf_zeros(&b, 2);
  z[1] = 9;
  const uint8_t want[] = {0xC1, 0xAC, 0x02, 'a', 'b', 'c', 1, 2, 3, 4, 0, 9};
  assert_int_equal(b.n, sizeof want);
  assert_memory_equal(b.p, want, sizeof want);
  /* overflow of n + more: TOO_LARGE, nothing allocated, buffer intact */
  int allocs = c.allocs;
  assert_int_equal(sqz_buf_reserve(&b, SIZE_MAX), SQZ_ERROR(TOO_LARGE));
  assert_int_equal(sqz_buf_reserve(&b, SIZE_MAX - b.n + 1), SQZ_ERROR(TOO_LARGE));
  assert_int_equal(c.allocs, allocs);
  assert_memory_equal(b.p, want, sizeof want);
  /* growth keeps the bytes; a failed growth leaves the buffer as it was */
  assert_int_equal(sqz_buf_reserve(&b, 5000), 0);
  assert_true(b.cap >= b.n + 5000);
  assert_memory_equal(b.p, want, sizeof want);
  c.fail = 1;
  uint8_t *p = b.p;
  size_t cap = b.cap;
  assert_int_equal(sqz_buf_reserve(&b, cap), SQZ_ERROR(MEMORY));
  assert_ptr_equal(b.p, p);
  assert_int_equal(b.cap, cap);
  c.fail = 0;
  sqz_buf_u64le(&b, 0x0807060504030201ull);
  assert_int_equal(sqz_load64le(b.p + sizeof want), 0x0807060504030201ull);
  sqz_buf_free(&b);
  assert_null(b.p);
  assert_int_equal(b.n, 0);
  assert_int_equal(c.frees, c.allocs);
  /* a NULL allocator is malloc/free */
  sqz_buf_init(&b, NULL);
  assert_ptr_equal(b.alloc.alloc, sqz_default_allocator.alloc);
  assert_int_equal(sqz_buf_reserve(&b, 0), 0);
  assert_non_null(b.p);
  sqz_buf_free(&b);
}

/* ---- pool.h, codec.h -------------------------------------------------------- */

static void test_pool_double_release_ignored(void **state) {
  (void)state;
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  assert_non_null(ctx);
  void *a = sqz_scratch_acquire(ctx, 5000);
  assert_non_null(a);
  sqz_scratch_release(ctx, a);
  sqz_scratch_release(ctx, a); /* ignored: not in use */
  sqz_pool_stats st;
  sqz_ctx_stats(ctx, &st);
  assert_int_equal(st.in_use, 0);
  void *b = sqz_scratch_acquire(ctx, 5000), *c = sqz_scratch_acquire(ctx, 5000);
  assert_ptr_equal(b, a); /* the free block, once */
  assert_ptr_not_equal(c, b);
  sqz_scratch_release(ctx, b);
  sqz_scratch_release(ctx, c);
  /* size classes: 1 and 4096 bytes share the first, 4097 takes the next */
  assert_null(sqz_scratch_acquire(ctx, 0));
  assert_null(sqz_scratch_acquire(ctx, SQZ_SCRATCH_MAX + 1));
  void *one = sqz_scratch_acquire(ctx, 1);
  sqz_scratch_release(ctx, one);
  assert_ptr_equal(sqz_scratch_acquire(ctx, 4096), one);
  sqz_scratch_release(ctx, one);
  void *next = sqz_scratch_acquire(ctx, 4097);
  assert_ptr_not_equal(next, one);
  sqz_scratch_release(ctx, next);
  assert_null(sqz_ctx_alloc(ctx, SIZE_MAX - 8)); /* header add would wrap */
  sqz_ctx_free(ctx);
}

static void test_mode_error(void **state) {
  (void)state;
  assert_int_equal(sqz_mode_error(3, 15), SQZ_ERROR(VERSION));
  assert_int_equal(sqz_mode_error(15, 15), SQZ_ERROR(VERSION));
  assert_int_equal(sqz_mode_error(16, 15), SQZ_ERROR(CORRUPT));
  assert_int_equal(sqz_mode_error(255, 15), SQZ_ERROR(CORRUPT));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varint_truncated_or_corrupt_every_length),
      cmocka_unit_test(test_varint_every_width),
      cmocka_unit_test(test_zigzag),
      cmocka_unit_test(test_bits_at_the_edges),
      cmocka_unit_test(test_byteorder),
      cmocka_unit_test(test_checked_arithmetic),
      cmocka_unit_test(test_allocator_default),
      cmocka_unit_test(test_buf_reserve_and_appends),
      cmocka_unit_test(test_pool_double_release_ignored),
      cmocka_unit_test(test_mode_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

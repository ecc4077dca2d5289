/*
** test_frame.c: the squeeze frame over every registered codec: round trips
** on the real files at edge sizes, the stored form, header sizes, and every
** way a damaged frame must fail (never silently wrong, never out of bounds).
*/
#include "codec_test_util.h"

#include "frame.h"

#define BLOCK ((size_t)1 << SQZ_FRAME_BLOCK_LOG)

/* Compresses n bytes of src with codec at level through a frame, checks the
** round trip and returns the frame size. */
static size_t roundtrip(const sqz_codec *codec, int level, const uint8_t *src, size_t n,
                        unsigned flags) {
  if (codec->kind != SQZ_KIND_BYTES) n -= n % 8;
  size_t bound = sqz_frame_bound(codec, n);
  assert_true(bound > 0);
  uint8_t *frame = malloc(bound);
  uint8_t *out = malloc(n ? n : 1);
  sqz_params p = {.level = level};
  size_t fsize = sqz_frame_compress(ctx, frame, bound, src, n, codec, &p, flags, 0);
  if (sqz_is_error(fsize))
    fail_msg("%s level %d n=%zu: %s", codec->name, level, n, sqz_error_string(fsize));
  sqz_frame_info info;
  size_t h = sqz_frame_parse(&info, frame, fsize);
  assert_false(sqz_is_error(h));
  assert_int_equal(info.content_size, n);
  assert_int_equal(info.is_text, (flags & SQZ_FRAME_TEXT) != 0);
  assert_int_equal(info.has_checksum, !(flags & SQZ_FRAME_NO_CHECKSUM));
  assert_true(info.codec_id == codec->id || info.codec_id == SQZ_ID_STORE);
  size_t r = sqz_frame_decompress(ctx, &info, out, n, frame, fsize);
  if (sqz_is_error(r)) fail_msg("%s n=%zu decode: %s", codec->name, n, sqz_error_string(r));
  assert_int_equal(r, n);
  assert_memory_equal(out, src, n);
  free(frame);
  free(out);
  return fsize;
}

static void test_roundtrip_real_files(void **state) {
  (void)state;
  for (size_t f = 0; f < TEST_DATA_FILE_COUNT; f++) {
    size_t n;
    uint8_t *data = test_read_file(test_data_files[f], &n);
    for (size_t i = 0; i < sqz_codec_count(); i++) {
      const sqz_codec *c = sqz_codec_at(i);
      if (c->kind == SQZ_KIND_TEXT) continue;
      size_t fs = roundtrip(c, c->default_level, data, n, 0);
      /* real text and CSV compress with every byte codec but rle, which is
      ** for runs and falls back to the stored form here */
      if (c->kind == SQZ_KIND_BYTES && c->id != SQZ_ID_STORE && c->id != SQZ_ID_RLE)
        assert_true(fs < n);
      assert_true(fs <= n + 32);
    }
    free(data);
  }
}

static void test_roundtrip_edge_sizes(void **state) {
  (void)state;
  size_t n;
  uint8_t *text = test_read_file("examples/data/moby-dick.txt", &n);
  size_t big = (size_t)16 << 20;
  uint8_t *data = malloc(big);
  for (size_t off = 0; off < big; off += n)
    memcpy(data + off, text, big - off < n ? big - off : n);
  const size_t sizes[] = {0, 1, 2, 7, 8, 9, 4096, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 8, big};
  for (size_t i = 0; i < sqz_codec_count(); i++) {
    const sqz_codec *c = sqz_codec_at(i);
    if (c->kind == SQZ_KIND_TEXT) continue;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
      roundtrip(c, c->default_level, data, sizes[s], 0);
      roundtrip(c, c->min_level, data, sizes[s] / 3, SQZ_FRAME_TEXT);
      roundtrip(c, c->max_level > 12 ? 12 : c->max_level, data, sizes[s] / 7,
                SQZ_FRAME_NO_CHECKSUM);
    }
  }
  free(data);
  free(text);
}

static void test_incompressible_is_stored(void **state) {
  (void)state;
  uint8_t buf[5000];
  test_fill_random(buf, sizeof buf, 42);
  const sqz_codec *zstd = sqz_codec_by_name("zstd");
  uint8_t frame[6000];
  sqz_params p = {.level = 3};
  size_t fs = sqz_frame_compress(ctx, frame, sizeof frame, buf, sizeof buf, zstd, &p, 0, 0);
  sqz_frame_info info;
  assert_false(sqz_is_error(sqz_frame_parse(&info, frame, fs)));
  assert_int_equal(info.codec_id, SQZ_ID_STORE);
  assert_true(fs <= sizeof buf + 8);
}

static void test_small_header_at_most_8_bytes(void **state) {
  (void)state;
  const sqz_codec *store = sqz_codec_by_name("store");
  uint8_t frame[64];
  sqz_params p = {.level = 0};
  for (size_t n = 0; n < 32; n++) {
    size_t fs = sqz_frame_compress(ctx, frame, sizeof frame, "abcdefghijklmnopqrstuvwxyz012345", n,
                                   store, &p, 0, 0);
    assert_true(fs - n <= 8);
  }
}

/* Every truncation and every single-bit flip of a frame either fails or
** decodes to exactly the original: with the checksum on, never to other bytes. */
static void test_damage_never_gives_wrong_output(void **state) {
  (void)state;
  size_t n;
  uint8_t *text = test_read_file("examples/data/birdstrikes.csv", &n);
  n = 3000;
  for (size_t i = 0; i < sqz_codec_count(); i++) {
    const sqz_codec *c = sqz_codec_at(i);
    if (c->kind == SQZ_KIND_TEXT) continue;
    size_t bound = sqz_frame_bound(c, n);
    uint8_t *frame = malloc(bound), *out = malloc(1 << 16);
    sqz_params p = {.level = c->default_level};
    size_t fs = sqz_frame_compress(ctx, frame, bound, text, n, c, &p, 0, 0);
    assert_false(sqz_is_error(fs));
    for (size_t cut = 0; cut < fs; cut++) {
      sqz_frame_info info;
      uint8_t *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
      memcpy(copy, frame, cut);
      size_t h = sqz_frame_parse(&info, copy, cut);
      if (!sqz_is_error(h) && info.content_size <= (1 << 16))
        assert_true(
            sqz_is_error(sqz_frame_decompress(ctx, &info, out, info.content_size, copy, cut)));
      free(copy);
    }
    for (size_t bit = 0; bit < fs * 8; bit++) {
      frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      sqz_frame_info info;
      size_t h = sqz_frame_parse(&info, frame, fs);
      if (!sqz_is_error(h) && info.content_size <= (1 << 16)) {
        size_t r = sqz_frame_decompress(ctx, &info, out, info.content_size, frame, fs);
        if (!sqz_is_error(r)) {
          assert_int_equal(r, n);
          assert_memory_equal(out, text, n);
        }
      }
      frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(frame);
    free(out);
  }
  free(text);
}

static void test_parse_errors(void **state) {
  (void)state;
  sqz_frame_info info;
  assert_int_equal(sqz_frame_parse(&info, "", 0), SQZ_ERROR(TRUNCATED));
  assert_int_equal(sqz_frame_parse(&info, "hello", 5), SQZ_ERROR(CORRUPT));
  assert_int_equal(sqz_frame_parse(&info, "\xC5\x00\x00", 3), SQZ_ERROR(VERSION));
  /* version 4 (streamed) is always blocked */
  assert_int_equal(sqz_frame_parse(&info, "\xC4\x00\x00", 3), SQZ_ERROR(CORRUPT));
  /* version 4: empty, and one stored block, are whole; a count, trailing bytes, cuts are not */
  assert_int_equal(sqz_frame_parse(&info, "\xC4\x80\x0C\x00\x00", 5), 3);
  assert_int_equal(sqz_frame_parse(&info,
                                   "\xC4\x80\x0C\x0B"
                                   "hello"
                                   "\x00\x05",
                                   11),
                   3);
  assert_int_equal(sqz_frame_parse(&info, "\xC4\x80\x0C\x00\x05", 5), SQZ_ERROR(CORRUPT));
  assert_int_equal(sqz_frame_parse(&info, "\xC4\x80\x0C\x00\x00\x00", 6), SQZ_ERROR(CORRUPT));
  assert_int_equal(sqz_frame_parse(&info, "\xC4\x80\x0C\x00", 4), SQZ_ERROR(TRUNCATED));
  assert_int_equal(sqz_frame_parse(&info,
                                   "\xC4\x80\x0C\x0B"
                                   "hel",
                                   7),
                   SQZ_ERROR(TRUNCATED));
  assert_int_equal(sqz_frame_parse(&info, "\xC4\xC0\x0C\x00\x00\x01\x02", 7), SQZ_ERROR(TRUNCATED));
  assert_int_equal(sqz_frame_parse(&info, "\xCF\x00\x00", 3), SQZ_ERROR(VERSION));
  assert_int_equal(sqz_frame_parse(&info, "\xC0\x00\x00", 3),
                   SQZ_ERROR(CORRUPT)); /* never a version */
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x1F\x00", 3), SQZ_ERROR(UNKNOWN_CODEC));
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x00", 2), SQZ_ERROR(TRUNCATED));
  /* varint that never ends, and one wider than 64 bits */
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x00\xff\xff", 4), SQZ_ERROR(TRUNCATED));
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12),
                   SQZ_ERROR(CORRUPT));
  /* checksum flag but no checksum bytes */
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x40\x01\x00", 4), SQZ_ERROR(TRUNCATED));
  /* blocked flag with a block_log out of range, and with a single block */
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x81\x80\x80\x80\x01\x05", 7), SQZ_ERROR(CORRUPT));
  assert_int_equal(sqz_frame_parse(&info, "\xC1\x81\x10\x14", 4), SQZ_ERROR(CORRUPT));
}

static void test_declared_size_mismatch(void **state) {
  (void)state;
  /* A stored frame declaring 5 bytes but holding 4. */
  sqz_frame_info info;
  const char f[] = "\xC1\x00\x05"
                   "abcd";
  assert_false(sqz_is_error(sqz_frame_parse(&info, f, 7)));
  uint8_t out[5];
  assert_true(sqz_is_error(sqz_frame_decompress(ctx, &info, out, 5, f, 7)));
}

static void test_checksum_detects_change(void **state) {
  (void)state;
  uint8_t frame[64];
  const sqz_codec *store = sqz_codec_by_name("store");
  sqz_params p = {.level = 0};
  size_t fs = sqz_frame_compress(ctx, frame, sizeof frame, "hello", 5, store, &p, 0, 0);
  frame[fs - 1] ^= 1;
  sqz_frame_info info;
  assert_false(sqz_is_error(sqz_frame_parse(&info, frame, fs)));
  uint8_t out[5];
  assert_int_equal(sqz_frame_decompress(ctx, &info, out, 5, frame, fs), SQZ_ERROR(CHECKSUM));
}

static void test_level_and_size_errors(void **state) {
  (void)state;
  uint8_t frame[64];
  sqz_params p = {.level = 99};
  assert_int_equal(
      sqz_frame_compress(ctx, frame, sizeof frame, "x", 1, sqz_codec_by_name("zstd"), &p, 0, 0),
      SQZ_ERROR(LEVEL));
  for (size_t i = 0; i < sqz_codec_count(); i++) {
    const sqz_codec *c = sqz_codec_at(i);
    if (c->kind != SQZ_KIND_FLOAT64 && c->kind != SQZ_KIND_INT64) continue;
    sqz_params q = {.level = c->default_level};
    assert_int_equal(sqz_frame_compress(ctx, frame, sizeof frame, "1234567", 7, c, &q, 0, 0),
                     SQZ_ERROR(SRC_SIZE));
  }
  sqz_params d = {.level = 3};
  assert_int_equal(sqz_frame_compress(ctx, frame, 4, "x", 1, sqz_codec_by_name("zstd"), &d, 0, 0),
                   SQZ_ERROR(DST_TOO_SMALL));
}

/* sqz_frame_bound_blocks() suffices for every block_log, with and without
** KEEP_CODEC, for incompressible input (where every block is stored or the
** codec's output is longest): smaller blocks cost more headers, which the
** default-block bound did not cover. Out-of-range block_logs give 0, and a
** size whose bound would overflow size_t gives 0, not a wrapped number. */
static void test_bound_every_block_log(void **state) {
  (void)state;
  size_t n = (size_t)64 << 10;
  uint8_t *src = malloc(n);
  test_fill_random(src, n, 7);
  for (size_t i = 0; i < sqz_codec_count(); i++) {
    const sqz_codec *c = sqz_codec_at(i);
    if (c->kind == SQZ_KIND_TEXT) continue;
    sqz_params p = {.level = c->default_level};
    for (unsigned log = SQZ_FRAME_BLOCK_LOG_MIN; log <= 17; log++) {
      for (unsigned flags = 0; flags <= SQZ_FRAME_KEEP_CODEC; flags += SQZ_FRAME_KEEP_CODEC) {
        size_t bound = sqz_frame_bound_blocks(c, n, log);
        assert_true(bound > n);
        uint8_t *frame = malloc(bound);
        size_t fs = sqz_frame_compress(ctx, frame, bound, src, n, c, &p, flags, log);
        if (sqz_is_error(fs)) fail_msg("%s log %u: %s", c->name, log, sqz_error_string(fs));
        assert_true(fs <= bound);
        free(frame);
      }
    }
    assert_int_equal(sqz_frame_bound_blocks(c, n, SQZ_FRAME_BLOCK_LOG_MIN - 1), 0);
    assert_int_equal(sqz_frame_bound_blocks(c, n, SQZ_FRAME_BLOCK_LOG_MAX + 1), 0);
    assert_int_equal(sqz_frame_bound(c, n), sqz_frame_bound_blocks(c, n, SQZ_FRAME_BLOCK_LOG));
  }
  assert_int_equal(sqz_frame_bound(sqz_codec_by_name("store"), SIZE_MAX - 8), 0);
  free(src);
}

static void test_registry(void **state) {
  (void)state;
  assert_non_null(sqz_codec_by_name("ZSTD"));
  assert_null(sqz_codec_by_name("zsdt"));
  for (size_t i = 0; i < sqz_codec_count(); i++) {
    const sqz_codec *c = sqz_codec_at(i);
    assert_ptr_equal(sqz_codec_by_id(c->id), c);
    assert_ptr_equal(sqz_codec_by_name(c->name), c);
    assert_true(c->min_level <= c->default_level && c->default_level <= c->max_level);
  }
  char names[256];
  assert_non_null(strstr(sqz_codec_names(names, sizeof names), "zstd, lz4"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_roundtrip_real_files),
      cmocka_unit_test(test_roundtrip_edge_sizes),
      cmocka_unit_test(test_incompressible_is_stored),
      cmocka_unit_test(test_small_header_at_most_8_bytes),
      cmocka_unit_test(test_damage_never_gives_wrong_output),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_declared_size_mismatch),
      cmocka_unit_test(test_checksum_detects_change),
      cmocka_unit_test(test_level_and_size_errors),
      cmocka_unit_test(test_bound_every_block_log),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}

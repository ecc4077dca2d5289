/*
** test_lz4.c: the lz4 and lz4hc codecs (codecs/lz4_codec.c): levels as the
** lz4 tool has them (1..12, 1-2 fast with sqz_params.acceleration, 3..12
** LZ4HC), and frames written before that change, when lz4's level was the
** acceleration factor, still decoding.
*/
#include "codec_test_util.h"

#include <lz4.h>
#include <lz4hc.h>

#include "frame.h"

/* The text of the frames below (70 bytes). */
static const char old_text[] =
    "squeeze squeezes, squeeze squeezed: squeeze squeezes squeezed squeeze.";

/* Frames of old_text written by the code before lz4's levels followed the
** lz4 tool (commit 9013a3e), in hex; level is what compress() was given. */
static const struct {
  const char *codec;
  int level;
  const char *hex;
} old_frames[] = {
    {"lz4", 1,
     "C142467224551F8373717565657A6520080024732C0A0004080024643A0A0004080014730900A06420737175"
     "65657A652E"},
    /* level 17 was acceleration 17, a level lz4 no longer accepts */
    {"lz4", 17,
     "C142467224551FFB0373717565657A652073717565657A65732C201200F016643A2073717565657A65207371"
     "7565657A65732073717565657A65642073717565657A652E"},
    {"lz4hc", 1,
     "C143467224551F8373717565657A652008003B732C2012002C643A120014730900A0642073717565657A652E"},
    {"lz4hc", 9,
     "C143467224551F8373717565657A652008003B732C2012002C643A120015731B00902073717565657A652E"},
    {"lz4hc", 12,
     "C143467224551F8373717565657A652008003B732C2012003C643A202400051B00902073717565657A652E"},
};

static size_t unhex(const char *hex, uint8_t *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
    out[i] = (uint8_t)v;
  }
  return n;
}

/* The payload (after the frame header) of src compressed with codec and p,
** into out (cap bytes); returns its size. */
static size_t payload_of(const char *codec, sqz_params p, const void *src, size_t n, uint8_t *out,
                         size_t cap) {
  const sqz_codec *c = sqz_codec_by_name(codec);
  assert_non_null(c);
  size_t r = c->compress(ctx, out, cap, src, n, &p);
  if (sqz_is_error(r)) fail_msg("%s level %d: %s", codec, p.level, sqz_error_string(r));
  return r;
}

static void test_old_frames_decode(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof old_frames / sizeof old_frames[0]; i++) {
    uint8_t frame[128], out[128];
    size_t fs = unhex(old_frames[i].hex, frame);
    sqz_frame_info info;
    assert_false(sqz_is_error(sqz_frame_parse(&info, frame, fs)));
    assert_int_equal(info.codec_id, sqz_codec_by_name(old_frames[i].codec)->id);
    assert_int_equal(info.content_size, strlen(old_text));
    assert_int_equal(sqz_frame_decompress(ctx, &info, out, strlen(old_text), frame, fs),
                     strlen(old_text));
    assert_memory_equal(out, old_text, strlen(old_text));
  }
}

/* Today's encoder writes the same payloads the old one did for what it
** still means the same: lz4 level 1, acceleration 17 as the old level 17,
** lz4hc at every level. */
static void test_same_payloads_as_before(void **state) {
  (void)state;
  size_t n = strlen(old_text);
  for (size_t i = 0; i < sizeof old_frames / sizeof old_frames[0]; i++) {
    uint8_t frame[128], out[128];
    size_t fs = unhex(old_frames[i].hex, frame);
    sqz_frame_info info;
    size_t h = sqz_frame_parse(&info, frame, fs);
    sqz_params p = {.level = old_frames[i].level};
    if (old_frames[i].level > LZ4HC_CLEVEL_MAX) p = (sqz_params){.level = 1, .acceleration = 17};
    size_t got = payload_of(old_frames[i].codec, p, old_text, n, out, sizeof out);
    assert_int_equal(got, fs - h);
    assert_memory_equal(out, frame + h, got);
  }
}

/* Levels 1 and 2 are LZ4_compress_fast (acceleration 0 and 1 alike), levels
** 3..12 are LZ4HC at that level, byte for byte; and the ratio grows with the
** level. */
static void test_levels_follow_the_lz4_tool(void **state) {
  (void)state;
  size_t n;
  uint8_t *text = test_read_file("examples/data/moby-dick.txt", &n);
  if (n > 256 << 10) n = 256 << 10;
  size_t cap = (size_t)LZ4_compressBound((int)n);
  uint8_t *a = malloc(cap), *b = malloc(cap);
  int ref = LZ4_compress_default((const char *)text, (char *)b, (int)n, (int)cap);
  for (int level = 1; level <= 2; level++) {
    for (int accel = 0; accel <= 1; accel++) {
      size_t got =
          payload_of("lz4", (sqz_params){.level = level, .acceleration = accel}, text, n, a, cap);
      assert_int_equal(got, (size_t)ref);
      assert_memory_equal(a, b, got);
    }
  }
  size_t prev = (size_t)ref;
  for (int level = 3; level <= 12; level++) {
    size_t got = payload_of("lz4", (sqz_params){.level = level}, text, n, a, cap);
    size_t hc = payload_of("lz4hc", (sqz_params){.level = level}, text, n, b, cap);
    assert_int_equal(got, hc);
    assert_memory_equal(a, b, got);
    assert_true(got <= prev); /* higher: smaller (or equal) */
    prev = got;
  }
  assert_true(prev < (size_t)ref * 9 / 10);
  /* a large acceleration is faster and larger, and ignored by LZ4HC levels */
  size_t fast = payload_of("lz4", (sqz_params){.level = 1, .acceleration = 64}, text, n, a, cap);
  assert_true(fast > (size_t)ref);
  assert_int_equal(payload_of("lz4", (sqz_params){.level = 9, .acceleration = 64}, text, n, a, cap),
                   payload_of("lz4", (sqz_params){.level = 9}, text, n, b, cap));
  free(a);
  free(b);
  free(text);
}

static void test_acceleration_range(void **state) {
  (void)state;
  const sqz_codec *lz4 = sqz_codec_by_name("lz4"), *hc = sqz_codec_by_name("lz4hc");
  uint8_t out[256];
  size_t n = strlen(old_text);
  int bad[] = {-1, SQZ_ACCELERATION_MAX + 1};
  for (int level = 1; level <= 12; level++) {
    for (size_t i = 0; i < 2; i++) {
      sqz_params p = {.level = level, .acceleration = bad[i]};
      assert_int_equal(lz4->compress(ctx, out, sizeof out, old_text, n, &p), SQZ_ERROR(PARAMETER));
      /* lz4hc ignores it */
      assert_false(sqz_is_error(hc->compress(ctx, out, sizeof out, old_text, n, &p)));
    }
  }
  sqz_params max = {.level = 1, .acceleration = SQZ_ACCELERATION_MAX};
  assert_false(sqz_is_error(lz4->compress(ctx, out, sizeof out, old_text, n, &max)));
}

static void test_registry_levels(void **state) {
  (void)state;
  const sqz_codec *lz4 = sqz_codec_by_name("lz4"), *hc = sqz_codec_by_name("lz4hc");
  assert_int_equal(lz4->id, SQZ_ID_LZ4);
  assert_int_equal(hc->id, SQZ_ID_LZ4HC);
  assert_int_equal(lz4->min_level, 1);
  assert_int_equal(lz4->default_level, 1);
  assert_int_equal(lz4->max_level, 12);
  assert_int_equal(hc->min_level, 1);
  assert_int_equal(hc->default_level, 9);
  assert_int_equal(hc->max_level, 12);
  /* through the frame: level 13 is out of range now */
  uint8_t frame[256];
  sqz_params p = {.level = 13};
  assert_int_equal(
      sqz_frame_compress(ctx, frame, sizeof frame, old_text, strlen(old_text), lz4, &p, 0, 0),
      SQZ_ERROR(LEVEL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_old_frames_decode),
      cmocka_unit_test(test_same_payloads_as_before),
      cmocka_unit_test(test_levels_follow_the_lz4_tool),
      cmocka_unit_test(test_acceleration_range),
      cmocka_unit_test(test_registry_levels),
  };
  return cmocka_run_group_tests(tests, test_ctx_setup, test_ctx_teardown);
}

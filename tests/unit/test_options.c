/*
** test_options.c: the one option-list parser (ext/options.h) that compress(),
** codec_bench and CREATE VIRTUAL TABLE ... USING squeeze(...) share: every
** malformed, duplicated or out-of-range option is refused with a message
** naming it, sizes never overflow, and white space around keys and values is
** allowed.
*/
#include "test_util.h"

#include "options.h"

enum { O_LEVEL, O_WINDOW, O_CHECKSUM, O_MODE, O_COUNT };
static const char *const modes[] = {"value", "column", "row", NULL};
static const sqz_opt spec[O_COUNT] = {
    {"level", SQZ_OPT_INT, -7, 22, NULL},
    {"window", SQZ_OPT_SIZE, 1024, (int64_t)1 << 30, NULL},
    {"checksum", SQZ_OPT_BOOL, 0, 1, NULL},
    {"mode", SQZ_OPT_WORD, 0, 0, modes},
};

/* Parses text; returns 0 or -1, with the values in v and the message in err. */
static int parse(const char *text, sqz_opt_value v[O_COUNT], char err[SQZ_OPT_ERROR_MAX]) {
  memset(v, 0, sizeof(sqz_opt_value) * O_COUNT);
  return sqz_options_parse(text, spec, O_COUNT, v, err, SQZ_OPT_ERROR_MAX);
}

/* text is refused with a message containing fragment. */
static void refused(const char *text, const char *fragment) {
  sqz_opt_value v[O_COUNT];
  char err[SQZ_OPT_ERROR_MAX];
  if (parse(text, v, err) == 0) fail_msg("'%s' was accepted", text);
  if (!strstr(err, fragment)) fail_msg("'%s': message '%s' lacks '%s'", text, err, fragment);
}

static void test_accepts_lists_with_spaces(void **state) {
  (void)state;
  sqz_opt_value v[O_COUNT];
  char err[SQZ_OPT_ERROR_MAX];
  assert_int_equal(parse(" level = 3 , window=64K,checksum=off , mode = Column", v, err), 0);
  assert_true(v[O_LEVEL].set);
  assert_int_equal(v[O_LEVEL].v, 3);
  assert_int_equal(v[O_WINDOW].v, 64 * 1024);
  assert_true(v[O_CHECKSUM].set);
  assert_int_equal(v[O_CHECKSUM].v, 0);
  assert_int_equal(v[O_MODE].v, 1);
  assert_int_equal(parse("", v, err), 0);
  assert_int_equal(parse("   ", v, err), 0);
  assert_false(v[O_LEVEL].set);
  assert_int_equal(parse("level=-7", v, err), 0);
  assert_int_equal(v[O_LEVEL].v, -7);
  assert_int_equal(parse("level=+22", v, err), 0);
  assert_int_equal(v[O_LEVEL].v, 22);
}

static void test_sizes(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int64_t bytes;
  } ok[] = {
      {"window=1024", 1024},    {"window=1K", 1024},    {"window=1k", 1024},
      {"window=2KB", 2048},     {"window=4KiB", 4096},  {"window=1M", 1 << 20},
      {"window=1MiB", 1 << 20}, {"window=1G", 1 << 30}, {"window=2048B", 2048},
      {"window=1gib", 1 << 30},
  };
  sqz_opt_value v[O_COUNT];
  char err[SQZ_OPT_ERROR_MAX];
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    if (parse(ok[i].text, v, err) != 0) fail_msg("%s: %s", ok[i].text, err);
    assert_int_equal(v[O_WINDOW].v, ok[i].bytes);
  }
  refused("window=1KBB", "window must be a size");
  refused("window=1024i", "window must be a size");
  refused("window=1iB", "window must be a size");
  refused("window=K", "window must be a size");
  refused("window=-1K", "window must be a size");
  refused("window=1.5M", "window must be a size");
  refused("window=2G", "from 1024 to 1073741824, not '2G'");
  refused("window=512", "not '512'");
  /* no overflow: the shift is applied only when it fits */
  refused("window=9999999999999G", "not '9999999999999G'");
  refused("window=8589934592G", "window must be a size");
  refused("window=99999999999999999999999", "window must be a size");
}

static void test_refuses_malformed(void **state) {
  (void)state;
  refused("high", "option 'high' is not key=value (known: level, window, checksum, mode)");
  refused("level=5,level=6", "option 'level' is given twice");
  refused("level=5, LEVEL=6", "option 'level' is given twice");
  refused("zip=1", "unknown option 'zip' (known: level, window, checksum, mode)");
  refused("=3", "unknown option ''");
  refused("level=", "level must be an integer from -7 to 22, not ''");
  refused("level=3x", "level must be an integer from -7 to 22, not '3x'");
  refused("level=23", "not '23'");
  refused("level=99999999999999999999", "not '99999999999999999999'");
  refused("level=3,,window=1K", "empty option");
  refused(",level=3", "empty option");
  refused("level=3,", "empty option at the end");
  refused("level = 3 4", "not '3 4'");
  refused("checksum=maybe", "checksum must be on or off, not 'maybe'");
  refused("mode=col", "mode must be value, column or row, not 'col'");
}

static void test_repeats_across_texts(void **state) {
  (void)state;
  sqz_opt_value v[O_COUNT] = {{0, 0, NULL}};
  char err[SQZ_OPT_ERROR_MAX];
  assert_int_equal(sqz_options_parse("level=1", spec, O_COUNT, v, err, sizeof err), 0);
  assert_int_equal(sqz_options_parse("window=1K", spec, O_COUNT, v, err, sizeof err), 0);
  assert_int_equal(sqz_options_parse("level=2", spec, O_COUNT, v, err, sizeof err), -1);
  assert_non_null(strstr(err, "given twice"));
  /* a message never overflows a small buffer */
  char tiny[8];
  assert_int_equal(sqz_options_parse("nosuchoption=1", spec, O_COUNT, v, tiny, sizeof tiny), -1);
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_int64_and_lists(void **state) {
  (void)state;
  int64_t x;
  assert_int_equal(sqz_parse_int64(" 42 ", &x), 0);
  assert_int_equal(x, 42);
  assert_int_equal(sqz_parse_int64("-9223372036854775808", &x), 0);
  assert_true(x == INT64_MIN);
  assert_int_equal(sqz_parse_int64("9223372036854775807", &x), 0);
  assert_true(x == INT64_MAX);
  assert_int_equal(sqz_parse_int64("9223372036854775808", &x), -1);
  assert_int_equal(sqz_parse_int64("-9223372036854775809", &x), -1);
  assert_int_equal(sqz_parse_int64("", &x), -1);
  assert_int_equal(sqz_parse_int64("12a", &x), -1);
  assert_int_equal(sqz_parse_int64("-", &x), -1);
  const char *s = " zstd:1 , ,lz4 ", *item;
  size_t len;
  assert_int_equal(sqz_list_next(&s, &item, &len), 1);
  assert_int_equal(len, 6);
  assert_memory_equal(item, "zstd:1", 6);
  assert_int_equal(sqz_list_next(&s, &item, &len), 1);
  assert_int_equal(len, 0);
  assert_int_equal(sqz_list_next(&s, &item, &len), 1);
  assert_memory_equal(item, "lz4", 3);
  assert_int_equal(sqz_list_next(&s, &item, &len), 0);
}

/* Commas inside quotes or parentheses do not separate items; an EXPR value
** is kept as written. */
static void test_expressions(void **state) {
  (void)state;
  static const sqz_opt spec[] = {
      {"level", SQZ_OPT_INT, 0, 22, NULL},
      {"dict_by", SQZ_OPT_EXPR, 0, 100, NULL},
  };
  sqz_opt_value v[2];
  char err[SQZ_OPT_ERROR_MAX];
  memset(v, 0, sizeof v);
  const char *text = "dict_by = strftime('%Y,%m', ts) || \"a,\"\"b\" , level=3";
  assert_int_equal(sqz_options_parse(text, spec, 2, v, err, sizeof err), 0);
  assert_int_equal(v[0].v, 3);
  const char *want = "strftime('%Y,%m', ts) || \"a,\"\"b\"";
  assert_int_equal(v[1].v, (int64_t)strlen(want));
  assert_memory_equal(v[1].text, want, strlen(want));
  memset(v, 0, sizeof v);
  assert_int_equal(
      sqz_options_parse("dict_by=coalesce(a, 'x,y'), level=2", spec, 2, v, err, sizeof err), 0);
  assert_int_equal(v[0].v, 2);
  assert_memory_equal(v[1].text, "coalesce(a, 'x,y')", 18);
  memset(v, 0, sizeof v);
  assert_int_equal(sqz_options_parse("dict_by=", spec, 2, v, err, sizeof err), -1);
  assert_non_null(strstr(err, "dict_by must be an SQL expression"));
  /* An unclosed quote takes the rest of the text into the item. */
  memset(v, 0, sizeof v);
  assert_int_equal(sqz_options_parse("level='3,level=4", spec, 2, v, err, sizeof err), -1);
  assert_non_null(strstr(err, "level must be an integer"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_lists_with_spaces), cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_refuses_malformed),         cmocka_unit_test(test_repeats_across_texts),
      cmocka_unit_test(test_int64_and_lists),           cmocka_unit_test(test_expressions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

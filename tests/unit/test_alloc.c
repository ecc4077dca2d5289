/*
** test_alloc.c: squeeze's memory behaviour inside a real SQLite, through a
** counting SQLITE_CONFIG_MALLOC wrapper and the static library:
**   - in steady state compress() and decompress() allocate only their result;
**   - every allocation failure gives SQLITE_NOMEM and leaks nothing;
**   - a declared or produced size above SQLITE_LIMIT_LENGTH gives SQLITE_TOOBIG
**     before anything that large is allocated (also for zstd frames that hide
**     their size).
*/
#include "test_util.h"

#include <sqlite3.h>

#include "../../include/squeeze.h"

/* ---- Counting allocator with fault injection ---------------------------- */
static sqlite3_mem_methods real_mem;
static long long alloc_calls;  /* xMalloc + growing xRealloc calls */
static long long fail_at = -1; /* fail the allocation with this index; -1: never */
static long long outstanding;  /* live allocations */
static sqlite3_int64 biggest;  /* largest single request, bytes */

static int fail_once; /* fail only allocation fail_at, not every one after it */

static int should_fail(void) {
  long long i = alloc_calls++;
  return fail_at >= 0 && (fail_once ? i == fail_at : i >= fail_at);
}

static void *count_malloc(int n) {
  if (should_fail()) return NULL;
  if (n > biggest) biggest = n;
  void *p = real_mem.xMalloc(n);
  if (p) outstanding++;
  return p;
}
static void count_free(void *p) {
  if (p) outstanding--;
  real_mem.xFree(p);
}
static void *count_realloc(void *p, int n) {
  if (should_fail()) return NULL;
  if (n > biggest) biggest = n;
  return real_mem.xRealloc(p, n);
}
static int count_size(void *p) {
  return real_mem.xSize(p);
}
static int count_roundup(int n) {
  return real_mem.xRoundup(n);
}
static int count_init(void *a) {
  return real_mem.xInit(a);
}
static void count_shutdown(void *a) {
  real_mem.xShutdown(a);
}

static int global_setup(void **state) {
  (void)state;
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem);
  static sqlite3_mem_methods m = {count_malloc,  count_free, count_realloc,  count_size,
                                  count_roundup, count_init, count_shutdown, NULL};
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) return -1;
  sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0); /* every allocation reaches the counter */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  if (sqlite3_initialize() != SQLITE_OK) return -1;
  return sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
}

static sqlite3 *open_db(void) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  return db;
}

/* Steps stmt once (after reset) and returns the step's result code. */
static int step_once(sqlite3_stmt *stmt) {
  sqlite3_reset(stmt);
  int rc = sqlite3_step(stmt);
  return rc;
}

/* compress() and decompress() of values of size bytes each, in steady
** state, allocate one result per row and nothing else; decompress() of a
** value of at most 255 bytes (SQZ_TERMINATED_MAX) allocates nothing per row:
** it decodes on the stack into SQLite's result register, which is reused. */
static void steady_state(size_t size) {
  size_t n;
  uint8_t *text = test_read_file("examples/data/moby-dick.txt", &n);
  sqlite3 *db = open_db();
  /* Values come from a table: a constant argument would let SQLite factor the
  ** deterministic call out of the loop and copy its result, an allocation of
  ** SQLite's own that a real column never pays. */
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(v BLOB, f BLOB)", 0, 0, 0), SQLITE_OK);
  sqlite3_stmt *ins;
  assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(?1)", -1, &ins, NULL),
                   SQLITE_OK);
  for (size_t off = 0; off + size <= n && off < 4096 * 7 * 50; off += 4096 * 7) {
    sqlite3_bind_blob(ins, 1, text + off, (int)size, SQLITE_STATIC);
    assert_int_equal(step_once(ins), SQLITE_DONE);
  }
  sqlite3_finalize(ins);
  assert_int_equal(sqlite3_exec(db, "UPDATE t SET f = compress(v)", 0, 0, 0), SQLITE_OK);
  sqlite3_stmt *base, *comp, *decomp;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM t", -1, &base, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT compress(v) FROM t", -1, &comp, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT decompress(f) FROM t", -1, &decomp, NULL),
                   SQLITE_OK);
  sqlite3_stmt *stmts[3] = {base, comp, decomp};
  long long allocs[3];
  for (int s = 0; s < 3; s++) {
    /* a warm-up scan, then a counted one */
    sqlite3_reset(stmts[s]);
    while (sqlite3_step(stmts[s]) == SQLITE_ROW) {
    }
    sqlite3_reset(stmts[s]);
    long long a0 = alloc_calls;
    int rows = 0;
    while (sqlite3_step(stmts[s]) == SQLITE_ROW)
      rows++;
    allocs[s] = alloc_calls - a0;
    assert_true(rows > 30);
    if (s == 1 || (s == 2 && size > 255))
      assert_int_equal(allocs[s] - allocs[0], rows); /* one result per row */
    else if (s == 2)
      assert_true(allocs[s] - allocs[0] <= 1); /* at most the register growing once */
  }
  sqlite3_reset(decomp);
  sqlite3_stmt *check;
  assert_int_equal(
      sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE decompress(f) = v", -1, &check, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(check), SQLITE_ROW);
  assert_true(sqlite3_column_int(check, 0) > 30);
  sqlite3_finalize(check);
  sqlite3_finalize(base);
  sqlite3_finalize(comp);
  sqlite3_finalize(decomp);
  sqlite3_close(db);
  free(text);
}

/* 4 KiB values: frames built in pooled scratch, copied into the result. */
static void test_steady_state_allocates_only_result(void **state) {
  (void)state;
  steady_state(4096);
}

/* 100-byte values: frames written straight into the result buffer, and
** decompressed into the result register. */
static void test_steady_state_small_values(void **state) {
  (void)state;
  steady_state(100);
}

/* Runs sql on a fresh connection with the n-th allocation after opening
** failing; returns the step's result code. */
static int run_with_fault(const char *sql, const void *blob, int blob_n, long long n) {
  sqlite3 *db = open_db();
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  assert_int_equal(rc, SQLITE_OK);
  if (blob) sqlite3_bind_blob(stmt, 1, blob, blob_n, SQLITE_STATIC);
  fail_at = alloc_calls + n;
  rc = sqlite3_step(stmt);
  while (rc == SQLITE_ROW)
    rc = sqlite3_step(stmt);
  fail_at = -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rc;
}

static void test_oom_gives_nomem_and_no_leak(void **state) {
  (void)state;
  size_t n;
  uint8_t *text = test_read_file("examples/data/earthquakes.json", &n);
  n = 300000; /* crosses nothing special but makes the codecs allocate */
  const char *queries[] = {
      "SELECT compress(?1)",
      "SELECT compress(substr(?1, 1, 100))", /* written straight into its result */
      "SELECT compress(?1, 'lz4')",
      "SELECT compress(?1, 'lz4hc', 9)",
      "SELECT decompress(compress(?1))",
      "SELECT decompress(compress(?1, 'lz4'))",
      "SELECT * FROM squeeze_codecs",
      "SELECT * FROM squeeze_pool_stats",
  };
  long long before = outstanding;
  for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
    int saw_nomem = 0;
    for (long long k = 0; k < 200; k++) {
      int rc = run_with_fault(queries[q], text, (int)n, k);
      if (rc == SQLITE_DONE) break; /* fault index past the last allocation */
      assert_int_equal(rc, SQLITE_NOMEM);
      saw_nomem = 1;
      assert_int_equal(outstanding, before);
    }
    assert_true(saw_nomem);
    assert_int_equal(outstanding, before);
  }
  free(text);
}

/* Loading under every allocation failure: SQLITE_NOMEM, nothing leaked, and
** the message (when one could be made) names the registration that failed;
** no allocation failure can leave a half-registered connection behind that
** says OK. */
static void test_init_names_the_failed_registration(void **state) {
  (void)state;
  sqlite3_reset_auto_extension(); /* frees the list, so count from here */
  long long before = outstanding;
  fail_once = 1; /* so that the message itself can be made */
  int saw_message = 0;
  for (long long k = 0;; k++) {
    sqlite3 *db = NULL;
    fail_at = -1;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    char *err = NULL;
    fail_at = alloc_calls + k;
    int rc = sqlite3_squeeze_init(db, &err, NULL);
    fail_at = -1;
    if (rc == SQLITE_OK) {
      assert_null(err);
      sqlite3_close(db);
      break;
    }
    if (rc != SQLITE_NOMEM) fail_msg("allocation %lld: rc %d: %s", k, rc, err ? err : "");
    if (err) {
      assert_non_null(strstr(err, "squeeze: registering "));
      saw_message = 1;
      sqlite3_free(err);
    }
    sqlite3_close(db);
    assert_int_equal(outstanding, before);
    assert_true(k < 5000);
  }
  fail_once = 0;
  assert_true(saw_message);
  assert_int_equal(sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init), SQLITE_OK);
}

static void test_toobig_before_allocation(void **state) {
  (void)state;
  sqlite3 *db = open_db();
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000000);
  sqlite3_stmt *stmt;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT decompress(?1)", -1, &stmt, NULL), SQLITE_OK);
  /* 1.5 GB of zeros, with and without the size in the header, and 10 MB in an
  ** LZ4 frame (no size, as the lz4 tool writes), against limits below them. */
  const char *fixtures[] = {"tests/fixtures/zeros-1.5G.zst", "tests/fixtures/zeros-1.5G-nosize.zst",
                            "tests/fixtures/zeros-10M.lz4"};
  const int limits[] = {1000000000, 1000000000, 1000000};
  for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, limits[i]);
    size_t n;
    uint8_t *data = test_read_file(fixtures[i], &n);
    assert_true(n < 200000);
    biggest = 0;
    sqlite3_bind_blob(stmt, 1, data, (int)n, SQLITE_STATIC);
    assert_int_equal(step_once(stmt), SQLITE_TOOBIG);
    assert_non_null(strstr(sqlite3_errmsg(db), "decompress:"));
    assert_true(biggest < (16 << 20)); /* nothing near the declared size was allocated */
    sqlite3_reset(stmt);
    free(data);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_steady_state_allocates_only_result),
      cmocka_unit_test(test_steady_state_small_values),
      cmocka_unit_test(test_oom_gives_nomem_and_no_leak),
      cmocka_unit_test(test_toobig_before_allocation),
      cmocka_unit_test(test_init_names_the_failed_registration),
  };
  return cmocka_run_group_tests(tests, global_setup, NULL);
}

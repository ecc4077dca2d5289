/*
** test_util.h: helpers shared by the cmocka unit tests.
** Tests run from the repository root (make test does so).
*/
#ifndef SQZ_TEST_UTIL_H
#define SQZ_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Reads a whole file into a malloc'd buffer; *size gets its length in bytes.
** Fails the current test when the file cannot be read. Caller frees. */
static inline uint8_t *test_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return buf;
}

/* Deterministic pseudo-random bytes (xorshift64*), for incompressible input. */
static inline void test_fill_random(uint8_t *dst, size_t n, uint64_t seed) {
  uint64_t x = seed ? seed : 88172645463325252ULL;
  for (size_t i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    dst[i] = (uint8_t)((x * 2685821657736338717ULL) >> 56);
  }
}

/* The real files in examples/data, for round trips. */
static const char *const test_data_files[] = {
    "examples/data/moby-dick.txt",
    "examples/data/birdstrikes.csv",
    "examples/data/earthquakes.json",
    "examples/data/seattle-weather-hourly-normals.csv",
};
#define TEST_DATA_FILE_COUNT (sizeof(test_data_files) / sizeof(test_data_files[0]))

#endif /* SQZ_TEST_UTIL_H */

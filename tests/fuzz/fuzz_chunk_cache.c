/*
** fuzz_chunk_cache.c: libFuzzer target for the readers of the decoded-chunk
** cache (ext/chunk_cache.c): a region that other processes write, so every
** byte past its header is input that must never be trusted.
**
** Each input: a 256 KiB region is formatted and given seven entries (a
** column of INT and TEXT rows that spans several blocks, a small one, a
** DENSE rowid entry, a FAST entry, and typed images: a column of INT rows,
** one of TEXT rows, one of TEXT rows sharing a dictionary's strings), then
** the input, read as records (offset: 3 bytes little-endian, length: 1
** byte, then that many bytes), is written over the region past its header,
** as a stray write or a process killed mid-store would. Then every entry is
** read whole (sqz_cc_region_get) and by row ranges (sqz_cc_region_rows)
** picked from the input, and a new entry is stored and read back. Properties (abort()
** on failure): no access outside the region or the columns (ASan); a hit
** gives exactly the rows stored under that key, never other bytes; a miss
** leaves the output empty.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_cache.h"

#define REGION ((size_t)256 << 10)
#define HEAD_BYTES 512 /* past the header (cc_head is about 128 bytes) */

static void *region;

static sqz_cc_key key_of(uint64_t i) {
  sqz_cc_key k = {{0x51, 0x52, i, 1, 4096, (uint64_t)4096 << 32 | 1, i * 31 + 7, i * 17 + 3}};
  return k;
}

/* Rows of entry i: INT and TEXT mixed, the TEXT lengths varying so that
** values straddle units and blocks; entry 4 only INT rows and entry 5 only
** TEXT rows (typed images: 8-byte values; 4-byte end offsets). */
static void make_column(sqz_column *c, uint64_t i, uint32_t rows) {
  sqz_column_init(c, NULL);
  char text[80];
  for (uint32_t r = 0; r < rows; r++) {
    if (i == 4 || (i != 5 && (r + i) % 3 == 0)) {
      sqz_column_append(c, SQZ_CLASS_INT, r * 2654435761u + i, NULL, 0);
    } else {
      size_t n = (r * 7 + i) % sizeof text;
      for (size_t k = 0; k < n; k++)
        text[k] = (char)('a' + (r + k + i) % 26);
      sqz_column_append(c, SQZ_CLASS_TEXT, 0, text, n);
    }
  }
}

/* Entry 6: TEXT rows that share 16 strings, as a dictionary's do (stored
** with arena offsets and lengths). */
static void make_dict_column(sqz_column *c, uint32_t rows) {
  make_column(c, 5, 16);
  if (sqz_column_reserve(c, rows - 16, 0) != 0) abort();
  for (uint32_t r = 16; r < rows; r++) {
    uint32_t d = (r * 2654435761u >> 11) % 16;
    c->type[r] = SQZ_CLASS_TEXT, c->v[r] = c->v[d], c->len[r] = c->len[d];
  }
  c->count = rows;
}

static void same_rows(const sqz_column *got, const sqz_column *want, uint32_t first) {
  for (uint32_t k = 0; k < got->count; k++) {
    sqz_value a = sqz_column_value(got, k), b = sqz_column_value(want, first + k);
    if (a.cls != b.cls || a.n != b.n || (a.n && memcmp(a.p, b.p, a.n) != 0)) abort();
    if (a.cls < SQZ_CLASS_TEXT && a.v != b.v) abort(); /* TEXT/BLOB v: an arena offset */
  }
}

#define ENTRIES 7
static const uint32_t rows_of[ENTRIES] = {1200, 40, 4096, 500, 3000, 600, 2000};
static const uint32_t flags_of[ENTRIES] = {0, 0, SQZ_CC_DENSE, SQZ_CC_FAST, 0, 0, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!region) region = aligned_alloc(4096, REGION);
  if (!region || sqz_cc_region_format(region, REGION, 0) != 0) abort();
  sqz_column cols[ENTRIES];
  for (uint64_t i = 0; i < ENTRIES; i++) {
    if (i == 6)
      make_dict_column(&cols[i], rows_of[i]);
    else
      make_column(&cols[i], i, rows_of[i]);
    sqz_cc_key k = key_of(i);
    uint64_t ev = 0;
    int rec = 0;
    if (sqz_cc_region_put(region, REGION, &k, &cols[i], flags_of[i], &ev, &rec) != 1) abort();
  }
  /* the damage */
  size_t at = 0;
  while (at + 4 <= size) {
    size_t off = (size_t)data[at] | (size_t)data[at + 1] << 8 | (size_t)data[at + 2] << 16;
    size_t n = data[at + 3];
    at += 4;
    if (n > size - at) n = size - at;
    off = HEAD_BYTES + off % (REGION - HEAD_BYTES);
    if (n > REGION - off) n = REGION - off;
    memcpy((uint8_t *)region + off, data + at, n);
    at += n;
  }
  /* every entry, whole and by ranges */
  for (uint64_t i = 0; i < ENTRIES; i++) {
    sqz_cc_key k = key_of(i);
    sqz_column got;
    sqz_column_init(&got, NULL);
    uint32_t flags = 0;
    int rej = 0, rec = 0;
    int r = sqz_cc_region_get(region, REGION, &k, &got, &flags, SIZE_MAX, &rej, &rec);
    if (r == 1) {
      if (flags != flags_of[i] || (flags & SQZ_CC_FAST)) abort();
      if (!(flags & SQZ_CC_DENSE) && got.count != cols[i].count) abort();
      same_rows(&got, &cols[i], 0);
    } else if (got.count != 0) {
      abort();
    }
    sqz_column_free(&got);
    for (int q = 0; q < 3; q++) {
      uint32_t first = size ? (uint32_t)(data[(i * 3 + q) % size] * 13u) % rows_of[i] : 0;
      uint32_t n = 1 + (uint32_t)q * 50;
      if (n > rows_of[i] - first) n = rows_of[i] - first;
      sqz_column_init(&got, NULL);
      r = sqz_cc_region_rows(region, REGION, &k, first, n, &got, &flags, SIZE_MAX, &rej, &rec);
      if (r == 1) {
        if (flags != flags_of[i]) abort();
        if (!(flags & SQZ_CC_DENSE) && got.count != n) abort();
        same_rows(&got, &cols[i], first);
      } else if (got.count != 0) {
        abort();
      }
      sqz_column_free(&got);
    }
  }
  /* a store after the damage, read back */
  sqz_column fresh;
  make_column(&fresh, 9, 700);
  sqz_cc_key k = key_of(9);
  uint64_t ev = 0;
  int rec = 0, rej = 0;
  sqz_cc_region_put(region, REGION, &k, &fresh, 0, &ev, &rec);
  sqz_column got;
  sqz_column_init(&got, NULL);
  uint32_t flags = 0;
  if (sqz_cc_region_get(region, REGION, &k, &got, &flags, SIZE_MAX, &rej, &rec) == 1) {
    if (got.count != fresh.count) abort();
    same_rows(&got, &fresh, 0);
  }
  sqz_column_free(&got);
  sqz_column_free(&fresh);
  for (int i = 0; i < ENTRIES; i++)
    sqz_column_free(&cols[i]);
  return 0;
}

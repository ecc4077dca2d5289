/*
** chunk.c: encoding and decoding of column chunks (chunk.h), the storage
** unit of the squeeze virtual table. docs/format/chunk.md is the byte-level
** specification; in short, all little-endian:
**
**   u8      version (1)
**   u8      flags: bits 0-2 primary class, bits 3-4 null mode, bit 5 exceptions
**   varint  tag (the caller's key), varint rows
**   nulls   mode 1: count + position gaps; mode 2: bitmap (bit set = NULL)
**   excepts count, then (position gap, class, value) per row outside the class
**   stream  u8 codec id, varint raw size, varint stored size, stored bytes
**   u32     checksum: low 32 bits of XXH3-64 over every byte before it
**
** The primary class of a chunk is the declared class of its column (or the
** most frequent class of an untyped column). INT rows in a REAL stream whose
** value a double holds exactly travel in the stream as doubles, marked by a
** payload-free exception (class 5), so a REAL column fed some integers
** (INSERT ... VALUES (20)) keeps them as INTEGER without paying 9 bytes each.
**
** "auto" picks a codec per chunk by compressing the stream with every
** candidate of its class and keeping the smallest output, as DuckDB's
** analyze step picks a compression per column segment; store wins when no
** candidate shrinks the stream.
**
** Usage (SQL): every body of a squeeze table's data rows is a chunk, e.g.
**
**   CREATE VIRTUAL TABLE r USING squeeze(ts INTEGER, temp REAL, chunk_rows = 2);
**   INSERT INTO r VALUES (1, 20.5), (2, 'warm');
**   SELECT key & 65535 AS slot, codec, raw, length(body) FROM r_data;
**
** Usage (C):
**
**   sqz_column col; sqz_column_init(&col, NULL);
**   sqz_column_append(&col, SQZ_CLASS_REAL, bits_of(20.5), NULL, 0);
**   sqz_chunk_opts o = {.primary = SQZ_CLASS_REAL, .codec = NULL, .level = 0, .tag = key};
**   sqz_chunk_encode(ctx, &buf, &col, 0, col.count, &o, &stats);
**   sqz_chunk_decode(ctx, &col2, buf.p, buf.n, stats.rows, key, limit);
*/
#include "sqt_chunk.h"

#include <math.h>
#include <string.h>

#include "byteorder.h"
#include "checked.h"
#include "frame.h"
#include "varint.h"

#define CLASS_INT_IN_REAL 5 /* exception class: INT row stored in the REAL stream */
#define FLAG_CLASS_MASK 0x07
#define FLAG_NULL_SHIFT 3
#define FLAG_EXCEPTIONS 0x20
#define FLAG_RESERVED 0xC0
#define NULL_NONE 0
#define NULL_LIST 1
#define NULL_BITMAP 2

/* ---- Columns ----------------------------------------------------------- */

void sqz_column_init(sqz_column *c, const sqz_allocator *alloc) {
  memset(c, 0, sizeof(*c));
  c->alloc = sqz_allocator_or_default(alloc);
}

void sqz_column_free(sqz_column *c) {
  sqz_allocator a = c->alloc;
  if (c->type) a.free(a.opaque, c->type);
  if (c->v) a.free(a.opaque, c->v);
  if (c->len) a.free(a.opaque, c->len);
  if (c->bytes) a.free(a.opaque, c->bytes);
  memset(c, 0, sizeof(*c));
  c->alloc = a;
}

size_t sqz_column_reserve(sqz_column *c, size_t rows, size_t bytes) {
  if (rows > UINT32_MAX - (size_t)c->count) return SQZ_ERROR(TOO_LARGE);
  size_t want = (size_t)c->count + rows, need, vbytes, lbytes;
  if (want > c->capacity) {
    size_t cap = c->capacity ? c->capacity : 64;
    while (cap < want)
      cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    if (sqz_mul_overflow(cap, 8, &vbytes) || sqz_mul_overflow(cap, 4, &lbytes))
      return SQZ_ERROR(TOO_LARGE);
    /* each array moves on its own: after a failure the column still works
    ** with the old capacity, some arrays merely larger than it */
    void *q;
    if (!(q = sqz_alloc_move(&c->alloc, c->type, c->count, cap))) return SQZ_ERROR(MEMORY);
    c->type = q;
    if (!(q = sqz_alloc_move(&c->alloc, c->v, (size_t)c->count * 8, vbytes)))
      return SQZ_ERROR(MEMORY);
    c->v = q;
    if (!(q = sqz_alloc_move(&c->alloc, c->len, (size_t)c->count * 4, lbytes)))
      return SQZ_ERROR(MEMORY);
    c->len = q;
    c->capacity = (uint32_t)cap;
  }
  if (sqz_add_overflow(c->nbytes, bytes, &need)) return SQZ_ERROR(TOO_LARGE);
  /* the arena always exists once rows do, so bytes + offset is never NULL + 0 */
  void *arena = c->bytes;
  size_t r = sqz_alloc_grow(&c->alloc, &arena, &c->bytes_capacity, c->nbytes, need);
  c->bytes = arena;
  return r;
}

size_t sqz_column_append(sqz_column *c, sqz_class cls, uint64_t v, const void *p, size_t n) {
  int var = cls == SQZ_CLASS_TEXT || cls == SQZ_CLASS_BLOB;
  if (var && n > UINT32_MAX) return SQZ_ERROR(TOO_LARGE);
  if (c->count >= c->capacity || (var && c->bytes_capacity - c->nbytes < n)) {
    size_t r = sqz_column_reserve(c, 1, var ? n : 0);
    if (r) return r;
  }
  uint32_t i = c->count++;
  c->type[i] = (uint8_t)cls;
  if (var) {
    c->v[i] = c->nbytes;
    c->len[i] = (uint32_t)n;
    if (n) memcpy(c->bytes + c->nbytes, p, n);
    c->nbytes += n;
  } else {
    c->v[i] = cls == SQZ_CLASS_NULL ? 0 : v;
    c->len[i] = 0;
  }
  return 0;
}

size_t sqz_column_append_row(sqz_column *c, const sqz_column *src, uint32_t row) {
  sqz_value x = sqz_column_value(src, row);
  return sqz_column_append(c, x.cls, x.v, x.p, x.n);
}

size_t sqz_column_append_rows(sqz_column *c, const sqz_column *src, uint32_t start, uint32_t n) {
  if (start > src->count || n > src->count - start) return SQZ_ERROR(PARAMETER);
  size_t var = 0;
  for (uint32_t i = start; i < start + n; i++)
    if (src->type[i] == SQZ_CLASS_TEXT || src->type[i] == SQZ_CLASS_BLOB) var += src->len[i];
  if (n > UINT32_MAX - c->count) return SQZ_ERROR(TOO_LARGE);
  if (c->capacity - c->count < n || c->bytes_capacity - c->nbytes < var) {
    size_t r = sqz_column_reserve(c, n, var);
    if (r) return r;
  }
  uint32_t at = c->count;
  memcpy(c->type + at, src->type + start, n);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = start + k;
    uint8_t t = src->type[i];
    if (t == SQZ_CLASS_TEXT || t == SQZ_CLASS_BLOB) {
      c->v[at + k] = c->nbytes;
      c->len[at + k] = src->len[i];
      if (src->len[i]) memcpy(c->bytes + c->nbytes, src->bytes + src->v[i], src->len[i]);
      c->nbytes += src->len[i];
    } else {
      c->v[at + k] = t == SQZ_CLASS_NULL ? 0 : src->v[i];
      c->len[at + k] = 0;
    }
  }
  c->count += n;
  return 0;
}

/* ---- Comparison -------------------------------------------------------- */

/* Compares int64 i with double r exactly (SQLite's sqlite3IntFloatCompare).
** NaN sorts below every number. */
static int int_real_compare(int64_t i, double r) {
  if (isnan(r)) return 1;
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  int64_t y = (int64_t)r; /* trunc(r), exactly representable in both types */
  if (i < y) return -1;
  if (i > y) return 1;
  double frac = r - (double)y; /* exact */
  return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

static int real_compare(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) ? (isnan(b) ? 0 : -1) : 1;
  return a < b ? -1 : (a > b ? 1 : 0);
}

/* Sort group: NULL 0, numbers 1, TEXT 2, BLOB 3. */
static int group_of(sqz_class c) {
  switch (c) {
  case SQZ_CLASS_NULL:
    return 0;
  case SQZ_CLASS_INT:
  case SQZ_CLASS_REAL:
    return 1;
  case SQZ_CLASS_TEXT:
    return 2;
  default:
    return 3;
  }
}

int sqz_value_compare(const sqz_value *a, const sqz_value *b) {
  int ga = group_of(a->cls), gb = group_of(b->cls);
  if (ga != gb) return ga < gb ? -1 : 1;
  switch (ga) {
  case 0:
    return 0;
  case 1:
    if (a->cls == SQZ_CLASS_INT && b->cls == SQZ_CLASS_INT) {
      int64_t x = (int64_t)a->v, y = (int64_t)b->v;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a->cls == SQZ_CLASS_REAL && b->cls == SQZ_CLASS_REAL)
      return real_compare(sqz_bits_double(a->v), sqz_bits_double(b->v));
    if (a->cls == SQZ_CLASS_INT) return int_real_compare((int64_t)a->v, sqz_bits_double(b->v));
    return -int_real_compare((int64_t)b->v, sqz_bits_double(a->v));
  default: {
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return a->n < b->n ? -1 : (a->n > b->n ? 1 : 0);
  }
  }
}

/* ---- Codec choice ------------------------------------------------------ */

static const sqz_codec *const int_candidates[] = {&sqz_codec_delta, &sqz_codec_dod, &sqz_codec_zstd,
                                                  &sqz_codec_bins, NULL};
static const sqz_codec *const real_candidates[] = {&sqz_codec_alp, &sqz_codec_gorilla,
                                                   &sqz_codec_zstd, &sqz_codec_decimal, NULL};
static const sqz_codec *const var_candidates[] = {&sqz_codec_dict, &sqz_codec_zstd, &sqz_codec_lz4,
                                                  NULL};

const sqz_codec *const *sqz_chunk_candidates(sqz_class cls) {
  switch (cls) {
  case SQZ_CLASS_INT:
    return int_candidates;
  case SQZ_CLASS_REAL:
    return real_candidates;
  default:
    return var_candidates;
  }
}

int sqz_chunk_codec_fits(const sqz_codec *codec, sqz_class cls) {
  switch (codec->kind) {
  case SQZ_KIND_BYTES:
    return 1;
  case SQZ_KIND_INT64:
    return cls == SQZ_CLASS_INT;
  case SQZ_KIND_FLOAT64:
    return cls == SQZ_CLASS_REAL;
  case SQZ_KIND_TEXT:
    return cls == SQZ_CLASS_TEXT || cls == SQZ_CLASS_BLOB;
  }
  return 0;
}

/* An INT value that a double holds exactly (it round-trips). */
static int int_fits_double(int64_t x) {
  double d = (double)x;
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (int64_t)d == x;
}

/* Compresses the stream (size bytes) with codec into a scratch block. On
** success *out is the block (release it) and the return is its size. */
static size_t try_codec(sqz_ctx *ctx, const sqz_codec *codec, int level, const uint8_t *stream,
                        size_t size, uint8_t **out) {
  size_t bound = codec->bound(size);
  if (bound == 0) return SQZ_ERROR(TOO_LARGE);
  uint8_t *dst = sqz_scratch_acquire(ctx, bound);
  if (!dst) return SQZ_ERROR(MEMORY);
  sqz_params params = {.level = level};
  size_t r = codec->compress(ctx, dst, bound, stream, size, &params);
  if (sqz_is_error(r)) {
    sqz_scratch_release(ctx, dst);
    return r;
  }
  *out = dst;
  return r;
}

/* ---- Encoder ----------------------------------------------------------- */

/* Encodes in five steps: count classes and size the sections; find min and
** max; lay the stream out; compress it (given codec or every candidate);
** write header, sections, stream and checksum. */
size_t sqz_chunk_encode(sqz_ctx *ctx, sqz_buf *out, const sqz_column *col, uint32_t start,
                        uint32_t n, const sqz_chunk_opts *opts, sqz_chunk_stats *stats) {
  if (n == 0 || n > SQZ_CHUNK_ROWS_MAX || start > col->count || n > col->count - start)
    return SQZ_ERROR(PARAMETER);
  const uint8_t *type = col->type + start;
  const uint64_t *v = col->v + start;
  const uint32_t *len = col->len + start;

  /* 1. classes, primary class, nulls, exceptions, stream size */
  uint32_t count[6] = {0};
  for (uint32_t i = 0; i < n; i++)
    count[type[i] <= SQZ_CLASS_BLOB ? type[i] : 0]++;
  sqz_class primary = opts->primary;
  if (primary == SQZ_CLASS_NULL) {
    primary = SQZ_CLASS_INT;
    for (int c = SQZ_CLASS_REAL; c <= SQZ_CLASS_BLOB; c++)
      if (count[c] > count[primary]) primary = (sqz_class)c;
  }
  if (opts->codec) {
    if (!sqz_chunk_codec_fits(opts->codec, primary)) return SQZ_ERROR(PARAMETER);
    if (opts->level < opts->codec->min_level || opts->level > opts->codec->max_level)
      return SQZ_ERROR(LEVEL);
  }
  int var = primary == SQZ_CLASS_TEXT || primary == SQZ_CLASS_BLOB;
  uint32_t nulls = count[SQZ_CLASS_NULL], exceptions = 0, in_stream = 0;
  /* sizes are summed in 64 bits (at most 2^20 rows of < 2^32 + 20 bytes
  ** each: no overflow) and must then fit size_t */
  uint64_t stream_bytes = 0, exc_bytes = 0;
  size_t list_size = 0;
  uint32_t prev_null = 0, prev_exc = 0;
  uint64_t raw = 0;
  for (uint32_t i = 0; i < n; i++) {
    sqz_class c = (sqz_class)type[i];
    if (c == SQZ_CLASS_NULL) {
      list_size += sqz_varint_size(list_size ? i - prev_null - 1 : i);
      prev_null = i;
      continue;
    }
    raw += (c == SQZ_CLASS_TEXT || c == SQZ_CLASS_BLOB) ? len[i] : 8;
    int rides = c == SQZ_CLASS_INT && primary == SQZ_CLASS_REAL && int_fits_double((int64_t)v[i]);
    if (c == primary || rides) {
      in_stream++;
      stream_bytes += var ? sqz_varint_size(len[i]) + len[i] : 8;
      if (c == primary) continue;
    }
    exc_bytes += sqz_varint_size(exceptions ? i - prev_exc - 1 : i) + 1;
    prev_exc = i;
    exceptions++;
    if (rides) continue;
    if (c == SQZ_CLASS_INT) {
      exc_bytes += sqz_varint_size(sqz_zigzag_encode(v[i]));
    } else if (c == SQZ_CLASS_REAL) {
      exc_bytes += 8;
    } else if (c == SQZ_CLASS_TEXT || c == SQZ_CLASS_BLOB) {
      exc_bytes += sqz_varint_size(len[i]) + len[i];
    }
  }
  size_t stream_size = (size_t)stream_bytes, exc_size = (size_t)exc_bytes;
  if (stream_size != stream_bytes || exc_size != exc_bytes) return SQZ_ERROR(TOO_LARGE);
  int null_mode = NULL_NONE;
  if (nulls) null_mode = list_size <= ((size_t)n + 7) / 8 ? NULL_LIST : NULL_BITMAP;

  /* 2. min and max */
  int64_t min_row = -1, max_row = -1;
  if (nulls < n) {
    if (count[SQZ_CLASS_INT] == n - nulls) {
      int64_t lo = 0, hi = 0;
      for (uint32_t i = 0; i < n; i++) {
        if (type[i] != SQZ_CLASS_INT) continue;
        int64_t x = (int64_t)v[i];
        if (min_row < 0 || x < lo) lo = x, min_row = i;
        if (max_row < 0 || x > hi) hi = x, max_row = i;
      }
    } else {
      sqz_value lo = {0, 0, NULL, 0}, hi = lo;
      for (uint32_t i = 0; i < n; i++) {
        if (type[i] == SQZ_CLASS_NULL) continue;
        sqz_value x = sqz_column_value(col, start + i);
        if (min_row < 0 || sqz_value_compare(&x, &lo) < 0) lo = x, min_row = i;
        if (max_row < 0 || sqz_value_compare(&x, &hi) > 0) hi = x, max_row = i;
      }
    }
  }

  /* 3. the stream, uncompressed */
  uint8_t *stream = sqz_scratch_acquire(ctx, stream_size ? stream_size : 1);
  if (!stream) return SQZ_ERROR(MEMORY);
  size_t pos = 0;
  for (uint32_t i = 0; i < n; i++) {
    sqz_class c = (sqz_class)type[i];
    if (c == primary) {
      if (var) {
        pos += sqz_varint_put(stream + pos, stream_size - pos, len[i]);
        memcpy(stream + pos, col->bytes + v[i], len[i]);
        pos += len[i];
      } else {
        sqz_store64le(stream + pos, v[i]);
        pos += 8;
      }
    } else if (c == SQZ_CLASS_INT && primary == SQZ_CLASS_REAL && int_fits_double((int64_t)v[i])) {
      sqz_store64le(stream + pos, sqz_double_bits((double)(int64_t)v[i]));
      pos += 8;
    }
  }

  /* 4. compress it: the given codec, or the smallest candidate */
  const sqz_codec *best = &sqz_codec_store;
  uint8_t *best_out = NULL;
  size_t best_size = stream_size, r = 0;
  if (stream_size > 0) {
    const sqz_codec *single[2] = {opts->codec, NULL};
    const sqz_codec *const *all = opts->codec ? single : sqz_chunk_candidates(primary);
    const sqz_codec *hint = NULL;
    for (size_t k = 0; !opts->codec && opts->hint && all[k]; k++)
      if (all[k] == opts->hint) hint = opts->hint;
    /* with a hint (a candidate), it goes first; the others follow only when
    ** it fails or its output passes hint_bytes */
    for (int pass = hint ? 0 : 1; pass < 2 && !r; pass++) {
      if (pass == 1 && hint && best == hint && best_size <= opts->hint_bytes) break;
      for (size_t k = 0; all[k]; k++) {
        const sqz_codec *codec = all[k];
        if (pass == 0 ? codec != hint : codec == hint) continue;
        uint8_t *trial = NULL;
        int level = opts->codec ? opts->level : codec->default_level;
        size_t got = try_codec(ctx, codec, level, stream, stream_size, &trial);
        if (sqz_is_error(got)) {
          if (opts->codec || sqz_error_of(got) == SQZ_ERROR_MEMORY) {
            r = got;
            break;
          }
          continue; /* a candidate that cannot take this input is skipped */
        }
        if (got < best_size) {
          sqz_scratch_release(ctx, best_out);
          best_out = trial;
          best_size = got;
          best = codec;
        } else {
          sqz_scratch_release(ctx, trial);
        }
      }
    }
  }
  if (r) goto done;

  /* 5. write the chunk over what out held: at most 2 bytes of version and
  ** flags, 6 varints (tag, rows, null count, exception count, raw and
  ** stored sizes), the codec id and the checksum; then the sections and the
  ** stream */
  out->n = 0;
  size_t bitmap = ((size_t)n + 7) / 8, total;
  size_t fixed = 2 + 6 * SQZ_VARINT_MAX + 1 + 4 + (null_mode == NULL_BITMAP ? bitmap : list_size);
  if (sqz_add_overflow(fixed, exc_size, &total) || sqz_add_overflow(total, best_size, &total)) {
    r = SQZ_ERROR(TOO_LARGE);
    goto done;
  }
  r = sqz_buf_reserve(out, total);
  if (r) goto done;
  sqz_buf_byte(out, SQZ_CHUNK_VERSION);
  sqz_buf_byte(out, (uint8_t)(primary | (null_mode << FLAG_NULL_SHIFT) |
                              (exceptions ? FLAG_EXCEPTIONS : 0)));
  sqz_buf_varint(out, opts->tag);
  sqz_buf_varint(out, n);
  if (null_mode == NULL_LIST) {
    sqz_buf_varint(out, nulls);
    uint32_t k = 0, prev = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (type[i] != SQZ_CLASS_NULL) continue;
      sqz_buf_varint(out, k++ ? i - prev - 1 : i);
      prev = i;
    }
  } else if (null_mode == NULL_BITMAP) {
    uint8_t *bits = sqz_buf_zeros(out, bitmap);
    for (uint32_t i = 0; i < n; i++)
      if (type[i] == SQZ_CLASS_NULL) bits[i / 8] |= (uint8_t)(1u << (i % 8));
  }
  if (exceptions) {
    sqz_buf_varint(out, exceptions);
    uint32_t k = 0, prev = 0;
    for (uint32_t i = 0; i < n; i++) {
      sqz_class c = (sqz_class)type[i];
      if (c == SQZ_CLASS_NULL || c == primary) continue;
      sqz_buf_varint(out, k++ ? i - prev - 1 : i);
      prev = i;
      if (c == SQZ_CLASS_INT && primary == SQZ_CLASS_REAL && int_fits_double((int64_t)v[i])) {
        sqz_buf_byte(out, CLASS_INT_IN_REAL);
        continue;
      }
      sqz_buf_byte(out, (uint8_t)c);
      if (c == SQZ_CLASS_INT) {
        sqz_buf_varint(out, sqz_zigzag_encode(v[i]));
      } else if (c == SQZ_CLASS_REAL) {
        sqz_buf_u64le(out, v[i]);
      } else {
        sqz_buf_varint(out, len[i]);
        sqz_buf_bytes(out, col->bytes + v[i], len[i]);
      }
    }
  }
  sqz_buf_byte(out, best->id);
  sqz_buf_varint(out, stream_size);
  sqz_buf_varint(out, best_size);
  sqz_buf_bytes(out, best_out ? best_out : stream, best_size);
  sqz_buf_u32le(out, sqz_checksum(out->p, out->n));

  stats->rows = n;
  stats->nulls = nulls;
  stats->min_row = min_row;
  stats->max_row = max_row;
  stats->codec_id = best->id;
  stats->raw_bytes = raw;
done:
  sqz_scratch_release(ctx, best_out);
  sqz_scratch_release(ctx, stream);
  return r;
}

/* ---- Decoder ----------------------------------------------------------- */

/* A cursor over the chunk's bytes with sticky errors. */
typedef struct reader {
  const uint8_t *p; /* the chunk */
  size_t size;      /* bytes before the checksum */
  size_t pos;       /* next byte */
  size_t err;       /* first error, 0 while none */
} reader;

static uint64_t rd_varint(reader *r) {
  uint64_t v = 0;
  if (r->err) return 0;
  r->err = sqz_varint_take(r->p, r->size, &r->pos, &v);
  return r->err ? 0 : v;
}

static uint8_t rd_byte(reader *r) {
  if (r->err) return 0;
  if (r->pos >= r->size) {
    r->err = SQZ_ERROR(TRUNCATED);
    return 0;
  }
  return r->p[r->pos++];
}

/* Skips n bytes and returns a pointer to them (NULL on error). */
static const uint8_t *rd_skip(reader *r, uint64_t n) {
  if (r->err) return NULL;
  if (n > r->size - r->pos) {
    r->err = SQZ_ERROR(TRUNCATED);
    return NULL;
  }
  const uint8_t *q = r->p + r->pos;
  r->pos += (size_t)n;
  return q;
}

/* The fixed part of the header, shared by parse and decode. */
typedef struct header {
  unsigned flags;
  uint64_t tag;
  uint32_t rows;
  int null_mode;
  int has_exceptions;
  sqz_class primary;
} header;

static size_t read_header(reader *r, const void *src, size_t srcSize, header *h) {
  const uint8_t *p = src;
  if (srcSize < 2 + 2 + 3 + 4) return SQZ_ERROR(TRUNCATED);
  uint32_t stored = sqz_load32le(p + srcSize - 4);
  if (sqz_checksum(p, srcSize - 4) != stored) return SQZ_ERROR(CHECKSUM);
  r->p = p;
  r->size = srcSize - 4;
  r->pos = 0;
  r->err = 0;
  unsigned version = rd_byte(r);
  if (version != SQZ_CHUNK_VERSION)
    return version > SQZ_CHUNK_VERSION ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT);
  h->flags = rd_byte(r);
  h->primary = (sqz_class)(h->flags & FLAG_CLASS_MASK);
  h->null_mode = (int)((h->flags >> FLAG_NULL_SHIFT) & 3);
  h->has_exceptions = (h->flags & FLAG_EXCEPTIONS) != 0;
  if ((h->flags & FLAG_RESERVED) || h->primary < SQZ_CLASS_INT || h->primary > SQZ_CLASS_BLOB ||
      h->null_mode > NULL_BITMAP)
    return SQZ_ERROR(CORRUPT);
  h->tag = rd_varint(r);
  uint64_t rows = rd_varint(r);
  if (r->err) return r->err;
  if (rows == 0 || rows > SQZ_CHUNK_ROWS_MAX) return SQZ_ERROR(CORRUPT);
  h->rows = (uint32_t)rows;
  return 0;
}

/* Reads the k-th position of a gap-coded list (the first is absolute, the
** next ones are gap + 1 past the one before, *prev) of rows below `rows`. */
static uint64_t rd_position(reader *r, uint64_t k, uint64_t *prev, uint32_t rows) {
  uint64_t gap = rd_varint(r);
  if (r->err) return 0;
  uint64_t at = k ? *prev + 1 + gap : gap;
  if (gap >= rows || at >= rows) {
    r->err = SQZ_ERROR(CORRUPT);
    return 0;
  }
  *prev = at;
  return at;
}

/* Reads the null section, setting mark[row] = value for each NULL row when
** mark is not NULL. Returns the null count. */
static uint32_t read_nulls(reader *r, const header *h, uint8_t *mark, uint8_t value) {
  if (h->null_mode == NULL_LIST) {
    uint64_t k = rd_varint(r);
    if (!r->err && (k == 0 || k > h->rows)) r->err = SQZ_ERROR(CORRUPT);
    uint64_t prev = 0;
    for (uint64_t i = 0; i < k && !r->err; i++) {
      uint64_t at = rd_position(r, i, &prev, h->rows);
      if (mark && !r->err) mark[at] = value;
    }
    return r->err ? 0 : (uint32_t)k;
  }
  if (h->null_mode == NULL_BITMAP) {
    size_t bytes = ((size_t)h->rows + 7) / 8;
    const uint8_t *bits = rd_skip(r, bytes);
    if (!bits) return 0;
    if (h->rows % 8 && (bits[bytes - 1] >> (h->rows % 8)) != 0) {
      r->err = SQZ_ERROR(CORRUPT); /* padding bits must be zero */
      return 0;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < h->rows; i++) {
      if (!((bits[i / 8] >> (i % 8)) & 1)) continue;
      k++;
      if (mark) mark[i] = value;
    }
    if (k == 0) r->err = SQZ_ERROR(CORRUPT);
    return k;
  }
  return 0;
}

/* Walks the exception section. With out == NULL it validates it and sums
** the TEXT/BLOB bytes (*var_bytes) and the class-5 rows (*int_in_real);
** with out it stores every exception into out (whose type[] holds the null
** section already) and copies TEXT/BLOB bytes to the start of out->bytes. */
static uint32_t read_exceptions(reader *r, const header *h, sqz_column *out, uint8_t *seen,
                                size_t *var_bytes, uint32_t *int_in_real) {
  if (!h->has_exceptions) return 0;
  uint64_t e = rd_varint(r);
  if (!r->err && (e == 0 || e > h->rows)) r->err = SQZ_ERROR(CORRUPT);
  uint64_t prev = 0;
  size_t arena = 0;
  for (uint64_t k = 0; k < e && !r->err; k++) {
    uint64_t at = rd_position(r, k, &prev, h->rows);
    unsigned c = rd_byte(r);
    if (r->err) break;
    /* a row may be a NULL or an exception, not both; and not the primary class */
    if (seen && seen[at] != 0) {
      r->err = SQZ_ERROR(CORRUPT);
      break;
    }
    if (c < SQZ_CLASS_INT || c > CLASS_INT_IN_REAL || c == (unsigned)h->primary ||
        (c == CLASS_INT_IN_REAL && h->primary != SQZ_CLASS_REAL)) {
      r->err = SQZ_ERROR(CORRUPT);
      break;
    }
    if (seen) seen[at] = 1;
    uint64_t value = 0, l = 0;
    const uint8_t *bytes = NULL;
    if (c == SQZ_CLASS_INT) {
      value = sqz_zigzag_decode(rd_varint(r));
    } else if (c == SQZ_CLASS_REAL) {
      const uint8_t *q = rd_skip(r, 8);
      if (q) value = sqz_load64le(q);
    } else if (c == SQZ_CLASS_TEXT || c == SQZ_CLASS_BLOB) {
      l = rd_varint(r);
      if (!r->err && l > UINT32_MAX) r->err = SQZ_ERROR(CORRUPT);
      bytes = rd_skip(r, l);
    }
    if (r->err) break;
    if (!out) {
      if (c == CLASS_INT_IN_REAL) (*int_in_real)++;
      *var_bytes += (size_t)l;
      continue;
    }
    if (c == CLASS_INT_IN_REAL) {
      out->type[at] = CLASS_INT_IN_REAL; /* resolved when the stream is read */
      continue;
    }
    out->type[at] = (uint8_t)c;
    if (c == SQZ_CLASS_TEXT || c == SQZ_CLASS_BLOB) {
      if (l) memcpy(out->bytes + arena, bytes, (size_t)l);
      out->v[at] = arena;
      out->len[at] = (uint32_t)l;
      arena += (size_t)l;
    } else {
      out->v[at] = value;
    }
  }
  return r->err ? 0 : (uint32_t)e;
}

/* The sections after the header, as read_body() found them. */
typedef struct body {
  size_t nulls_at;        /* offset of the null section */
  size_t exc_at;          /* offset of the exception section */
  uint32_t nulls;         /* NULL rows */
  uint32_t exc;           /* exceptions, class-5 rows included */
  uint32_t int_in_real;   /* class-5 exceptions: INT rows that ride in a REAL stream */
  size_t var_bytes;       /* TEXT/BLOB bytes held by the exceptions */
  unsigned codec_id;      /* the stream's codec */
  uint64_t raw;           /* bytes of the stream once decompressed */
  uint64_t stored;        /* bytes of the stored stream */
  const uint8_t *payload; /* the stored stream, which ends where the checksum starts */
} body;

/* Reads the null and exception sections after the header (marking every
** NULL and exception row in seen[] when seen is not NULL: a row may not be
** both) and the stream header after them; checks that the stored stream
** fills the rest of the chunk and that NULLs and exceptions fit the rows.
** Returns 0, TRUNCATED or CORRUPT. */
static size_t read_body(reader *r, const header *h, uint8_t *seen, body *b) {
  b->nulls_at = r->pos;
  b->nulls = read_nulls(r, h, seen, 1);
  b->var_bytes = 0;
  b->int_in_real = 0;
  b->exc_at = r->pos;
  b->exc = read_exceptions(r, h, NULL, seen, &b->var_bytes, &b->int_in_real);
  b->codec_id = rd_byte(r);
  b->raw = rd_varint(r);
  b->stored = rd_varint(r);
  if (r->err) return r->err;
  if (b->stored != r->size - r->pos)
    return b->stored > r->size - r->pos ? SQZ_ERROR(TRUNCATED) : SQZ_ERROR(CORRUPT);
  b->payload = r->p + r->pos;
  if ((uint64_t)b->nulls + b->exc > h->rows) return SQZ_ERROR(CORRUPT);
  return 0;
}

size_t sqz_chunk_parse(sqz_chunk_info *info, const void *src, size_t srcSize) {
  reader r;
  header h;
  body b;
  size_t err = read_header(&r, src, srcSize, &h);
  if (!err) err = read_body(&r, &h, NULL, &b);
  if (err) return err;
  info->version = SQZ_CHUNK_VERSION;
  info->primary = h.primary;
  info->tag = h.tag;
  info->rows = h.rows;
  info->nulls = b.nulls;
  info->exceptions = b.exc - b.int_in_real;
  info->codec_id = (uint8_t)b.codec_id;
  info->raw_size = b.raw;
  info->stored_size = b.stored;
  return 0;
}

size_t sqz_chunk_nulls(const void *src, size_t srcSize, uint32_t rows, uint64_t tag,
                       uint8_t *isnull) {
  reader r;
  header h;
  body b;
  size_t err = read_header(&r, src, srcSize, &h);
  if (!err && (h.rows != rows || h.tag != tag)) err = SQZ_ERROR(CORRUPT);
  if (!err) err = read_body(&r, &h, NULL, &b);
  if (err) return err;
  memset(isnull, 0, rows);
  reader again = r;
  again.pos = b.nulls_at;
  read_nulls(&again, &h, isnull, 1);
  return again.err; /* 0: the first pass read the same bytes */
}

size_t sqz_chunk_decode(sqz_ctx *ctx, sqz_column *out, const void *src, size_t srcSize,
                        uint32_t rows, uint64_t tag, size_t limit) {
  sqz_column_clear(out);
  reader r;
  header h;
  body b;
  size_t err = read_header(&r, src, srcSize, &h);
  if (err) return err;
  if (h.rows != rows || h.tag != tag) return SQZ_ERROR(CORRUPT);
  int var = h.primary == SQZ_CLASS_TEXT || h.primary == SQZ_CLASS_BLOB;

  /* pass 1: validate the null and exception sections, size the arena */
  uint8_t *seen = sqz_scratch_acquire(ctx, rows);
  if (!seen) return SQZ_ERROR(MEMORY);
  memset(seen, 0, rows);
  err = read_body(&r, &h, seen, &b);
  sqz_scratch_release(ctx, seen);
  if (err) return err;
  uint32_t nulls = b.nulls, exc = b.exc;
  uint64_t raw = b.raw, stored = b.stored;
  size_t var_bytes = b.var_bytes;
  uint64_t in_stream = (uint64_t)rows - nulls - exc + b.int_in_real;
  if (!var && raw != in_stream * 8) return SQZ_ERROR(CORRUPT);
  if (var && raw < in_stream) return SQZ_ERROR(CORRUPT);
  if (raw > limit || var_bytes > limit - raw) return SQZ_ERROR(TOO_LARGE); /* no wrap */
  if (raw == 0 && stored != 0) return SQZ_ERROR(CORRUPT);
  const sqz_codec *codec = sqz_codec_by_id(b.codec_id);
  if (!codec) return SQZ_ERROR(UNKNOWN_CODEC);
  if (!sqz_chunk_codec_fits(codec, h.primary)) return SQZ_ERROR(CORRUPT);

  /* pass 2: fill out */
  size_t arena = var_bytes + (var ? (size_t)raw : 0);
  size_t rc = sqz_column_reserve(out, rows, arena);
  if (rc) return rc;
  memset(out->type, h.primary, rows);
  reader again = r;
  again.pos = b.nulls_at;
  read_nulls(&again, &h, out->type, SQZ_CLASS_NULL);
  again.pos = b.exc_at;
  read_exceptions(&again, &h, out, NULL, NULL, NULL);
  if (again.err) return again.err; /* cannot happen: pass 1 read the same bytes */

  uint8_t *stream = NULL;
  int direct = !var && nulls == 0 && exc == 0;
  if (raw) {
    if (var) {
      stream = out->bytes + var_bytes;
    } else if (direct) {
      stream = (uint8_t *)out->v;
    } else {
      stream = sqz_scratch_acquire(ctx, (size_t)raw);
      if (!stream) return SQZ_ERROR(MEMORY);
    }
    size_t got = codec->decompress(ctx, stream, (size_t)raw, b.payload, (size_t)stored);
    if (sqz_is_error(got) || got != raw) {
      if (!var && !direct) sqz_scratch_release(ctx, stream);
      return sqz_is_error(got) ? got : SQZ_ERROR(CORRUPT);
    }
  }
  size_t result = 0;
  if (var) {
    /* split the layout: exactly in_stream strings, filling exactly raw bytes */
    size_t pos = 0, base = var_bytes;
    for (uint32_t i = 0; i < rows; i++) {
      if (out->type[i] != h.primary) continue;
      uint64_t l;
      size_t at = pos;
      /* the stream is whole: a varint cut short by its end is corrupt too */
      if (sqz_varint_take(stream, (size_t)raw, &at, &l) || l > raw - at) {
        result = SQZ_ERROR(CORRUPT);
        break;
      }
      out->v[i] = base + at;
      out->len[i] = (uint32_t)l;
      pos = at + (size_t)l;
    }
    if (!result && pos != raw) result = SQZ_ERROR(CORRUPT);
    if (!result) out->nbytes = arena;
  } else if (direct) {
    if (!sqz_host_is_le()) /* the stream's values went straight into v */
      for (uint32_t i = 0; i < rows; i++)
        out->v[i] = sqz_load64le(&out->v[i]);
  } else {
    size_t k = 0;
    for (uint32_t i = 0; i < rows; i++) {
      uint8_t t = out->type[i];
      if (t == h.primary) {
        out->v[i] = sqz_load64le(stream + 8 * k++);
      } else if (t == CLASS_INT_IN_REAL) {
        double d = sqz_bits_double(sqz_load64le(stream + 8 * k++));
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != trunc(d)) {
          result = SQZ_ERROR(CORRUPT);
          break;
        }
        out->type[i] = SQZ_CLASS_INT;
        out->v[i] = (uint64_t)(int64_t)d;
      }
    }
    sqz_scratch_release(ctx, stream);
    out->nbytes = var_bytes;
  }
  if (result) {
    sqz_column_clear(out);
    return result;
  }
  out->count = rows;
  return 0;
}

/*
** chunk.h: the column chunk, the unit the squeeze virtual table stores: the
** values of one column for up to 2^20 consecutive rows, encoded on their own.
**
** A value has one of SQLite's five storage classes, and a chunk keeps every
** row's class exactly: NULLs in a null section (a position list or a
** bitmap, whichever is smaller), rows whose class differs from the chunk's
** primary class as exceptions (position, class, value), and the values of
** the primary class as one stream compressed by a codec: an int64 array for
** INTEGER (dod, delta, ...), a float64 array for REAL (alp, gorilla, ...),
** the dict codec's layout for TEXT and BLOB (dict, zstd, ...). With "auto"
** the encoder tries the candidate codecs of the class and keeps the
** smallest, like DuckDB's analyze step. A checksum covers the whole chunk and
** a tag (the caller's key) is written in it, so a chunk stored under the
** wrong key is detected. docs/format/chunk.md specifies every byte.
**
** Decoded values live in a sqz_column: per row a class, an 8-byte slot and
** a length, TEXT and BLOB bytes in one arena. The virtual table builds its
** insert buffer in the same structure, so a full buffer is encoded without
** a copy, and a scan indexes the decoded arrays directly.
**
** The decoder never trusts its input: every count, size and position is
** checked before use, nothing larger than the caller's limit is allocated,
** and it never reads outside src nor writes outside what it allocated.
** Pure C: no sqlite3.h (the fuzz target links codecs/ alone).
*/
#ifndef SQZ_CHUNK_H
#define SQZ_CHUNK_H

#include "bits.h" /* sqz_double_bits / sqz_bits_double: the v slot of a REAL row */
#include "buf.h"  /* sqz_buf: the encoder writes a chunk into one */
#include "codec.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SQZ_CHUNK_VERSION 1           /* byte 0 of a chunk */
#define SQZ_CHUNK_ROWS_MAX (1u << 20) /* most rows in one chunk */

/* Storage classes, numbered as the chunk format writes them. */
typedef enum {
  SQZ_CLASS_NULL = 0,
  SQZ_CLASS_INT = 1,
  SQZ_CLASS_REAL = 2,
  SQZ_CLASS_TEXT = 3,
  SQZ_CLASS_BLOB = 4
} sqz_class;

/* Values of one column, one row after the other. Row i has class type[i];
** v[i] is the int64 (INT), the IEEE-754 bits (REAL) or the offset into bytes
** (TEXT, BLOB; len[i] bytes there). Memory comes from alloc. */
typedef struct sqz_column {
  uint32_t count;        /* rows held */
  uint32_t capacity;     /* rows allocated in type, v and len */
  uint8_t *type;         /* [capacity] sqz_class of each row */
  uint64_t *v;           /* [capacity] value or arena offset */
  uint32_t *len;         /* [capacity] TEXT/BLOB length in bytes (else unused) */
  uint8_t *bytes;        /* arena of TEXT/BLOB bytes */
  size_t nbytes;         /* arena bytes in use */
  size_t bytes_capacity; /* arena bytes allocated */
  sqz_allocator alloc;   /* where the arrays come from */
} sqz_column;

/* One value, as sqz_column_value() returns it: p/n valid for TEXT and BLOB
** (p may be NULL when n is 0), v for INT (as uint64) and REAL (bits). */
typedef struct sqz_value {
  sqz_class cls;
  uint64_t v;
  const uint8_t *p;
  size_t n;
} sqz_value;

/* Initialises an empty column drawing on *alloc (copied; NULL: malloc). */
void sqz_column_init(sqz_column *c, const sqz_allocator *alloc);

/* Frees the column's arrays; the column is empty and reusable afterwards. */
void sqz_column_free(sqz_column *c);

/* Forgets every row, keeping the memory. */
static inline void sqz_column_clear(sqz_column *c) {
  c->count = 0;
  c->nbytes = 0;
}

/* Makes room for `rows` more rows and `bytes` more arena bytes. Returns 0, or
** MEMORY (allocator failed) or TOO_LARGE (more than 2^32-1 rows, or arena or
** array sizes that do not fit size_t). */
size_t sqz_column_reserve(sqz_column *c, size_t rows, size_t bytes);

/* Appends one row: v for INT and REAL, p/n for TEXT and BLOB, nothing for
** NULL. Returns 0, MEMORY or TOO_LARGE. */
size_t sqz_column_append(sqz_column *c, sqz_class cls, uint64_t v, const void *p, size_t n);

/* Appends row `row` of src (bytes are copied). Returns 0, MEMORY, TOO_LARGE. */
size_t sqz_column_append_row(sqz_column *c, const sqz_column *src, uint32_t row);

/* Appends rows [start, start+n) of src (bytes are copied), as n calls of
** sqz_column_append_row would. Returns 0, PARAMETER (rows past src's),
** MEMORY or TOO_LARGE; on failure c is as it was. */
size_t sqz_column_append_rows(sqz_column *c, const sqz_column *src, uint32_t start, uint32_t n);

/* Row i of c as a sqz_value pointing into c (valid until c changes). */
static inline sqz_value sqz_column_value(const sqz_column *c, uint32_t i) {
  sqz_value x;
  x.cls = (sqz_class)c->type[i];
  x.v = c->v[i];
  if (x.cls == SQZ_CLASS_TEXT || x.cls == SQZ_CLASS_BLOB) {
    x.p = c->bytes + c->v[i];
    x.n = c->len[i];
  } else {
    x.p = NULL;
    x.n = 0;
  }
  return x;
}

/* Compares two values in SQLite's order for the BINARY collation: NULL <
** INT and REAL (compared by numeric value, exactly, also between an int64 and
** a double) < TEXT (memcmp, then length) < BLOB (likewise). A NaN, which
** SQLite never stores, sorts below every other number. Returns <0, 0, >0. */
int sqz_value_compare(const sqz_value *a, const sqz_value *b);

/* ---- Encoding ------------------------------------------------------------ */

/* How to encode one column. */
typedef struct sqz_chunk_opts {
  sqz_class primary;      /* the class whose values form the stream, or
                             SQZ_CLASS_NULL: the most frequent class */
  const sqz_codec *codec; /* the stream's codec, or NULL: auto */
  int level;              /* the codec's level (codec != NULL) */
  uint64_t tag;           /* written into the chunk; decode checks it */
  const sqz_codec *hint;  /* auto: try this candidate first (the codec the chunk's
                             previous version chose), and the others only when it
                             fails or its stream passes hint_bytes; or NULL */
  size_t hint_bytes;      /* with hint: the stream size (bytes) it must keep to */
} sqz_chunk_opts;

/* What the encoder measured and chose. */
typedef struct sqz_chunk_stats {
  uint32_t rows;      /* rows encoded */
  uint32_t nulls;     /* NULL rows */
  int64_t min_row;    /* row (from 0) of the smallest non-NULL value, -1 if none */
  int64_t max_row;    /* row of the largest non-NULL value, -1 if none */
  uint8_t codec_id;   /* codec of the stream (store when nothing shrank it) */
  uint64_t raw_bytes; /* size of the values: 8 per INT/REAL, length of TEXT/BLOB */
} sqz_chunk_stats;

/* The candidates "auto" tries for a stream of class cls, in order;
** NULL-terminated, static. INT: delta, dod, zstd; REAL: alp, gorilla, zstd;
** TEXT and BLOB: dict, zstd, lz4. */
const sqz_codec *const *sqz_chunk_candidates(sqz_class cls);

/* Non-zero when codec can encode a stream of class cls: bytes codecs fit
** every class, int64 fits INT, float64 fits REAL, text fits TEXT and BLOB. */
int sqz_chunk_codec_fits(const sqz_codec *codec, sqz_class cls);

/* Encodes rows [start, start + n) of col (1 <= n <= SQZ_CHUNK_ROWS_MAX) into
** out (replacing its contents, reusing its memory) and fills *stats.
** Returns 0, or an error: PARAMETER (bad row range, or opts->codec does not
** fit the primary class), LEVEL (opts->level outside opts->codec's range),
** MEMORY, TOO_LARGE (a size that does not fit size_t, or a stream larger
** than opts->codec takes), or opts->codec's own error; out's contents are
** then unspecified. With auto, a candidate that fails is skipped (but MEMORY
** is returned). Output is deterministic. */
size_t sqz_chunk_encode(sqz_ctx *ctx, sqz_buf *out, const sqz_column *col, uint32_t start,
                        uint32_t n, const sqz_chunk_opts *opts, sqz_chunk_stats *stats);

/* ---- Decoding ------------------------------------------------------------ */

/* The header of a chunk, read by sqz_chunk_parse() without decompressing. */
typedef struct sqz_chunk_info {
  unsigned version;     /* format version (1) */
  sqz_class primary;    /* class of the stream */
  uint64_t tag;         /* the encoder's tag */
  uint32_t rows;        /* rows in the chunk */
  uint32_t nulls;       /* NULL rows */
  uint32_t exceptions;  /* non-NULL rows outside the stream's class */
  uint8_t codec_id;     /* codec of the stream */
  uint64_t raw_size;    /* bytes of the stream once decompressed */
  uint64_t stored_size; /* bytes of the compressed stream */
} sqz_chunk_info;

/* Verifies the checksum of the chunk in src (srcSize bytes) and reads its
** header into *info. Returns 0, or CHECKSUM, VERSION, CORRUPT, TRUNCATED. */
size_t sqz_chunk_parse(sqz_chunk_info *info, const void *src, size_t srcSize);

/* Reads which of the chunk's rows are NULL into isnull[0..rows) (1 for
** NULL, else 0) without decompressing any value: the header and the null
** section only, after the checksum of the whole chunk is verified. rows and
** tag are what the caller expects, as for sqz_chunk_decode(). Returns 0, or
** CHECKSUM, VERSION, CORRUPT, TRUNCATED. Allocates nothing. */
size_t sqz_chunk_nulls(const void *src, size_t srcSize, uint32_t rows, uint64_t tag,
                       uint8_t *isnull);

/* Decodes the chunk in src into out (cleared first). rows and tag are what
** the caller expects (a chunk with others is CORRUPT); limit is the most
** bytes the decoder may allocate for the stream and the TEXT/BLOB arena
** (TOO_LARGE above it). Returns 0, or CHECKSUM, VERSION, CORRUPT, TRUNCATED,
** UNKNOWN_CODEC, MEMORY, TOO_LARGE. On error out holds no rows. */
size_t sqz_chunk_decode(sqz_ctx *ctx, sqz_column *out, const void *src, size_t srcSize,
                        uint32_t rows, uint64_t tag, size_t limit);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_CHUNK_H */

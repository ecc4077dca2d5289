/*
** codec.h: the one interface every squeeze codec implements.
**
** The shape follows zstd's public API (lib/zstd.h): every function takes
** (dst, dstCapacity, src, srcSize) in bytes, a bound() gives the worst-case
** compressed size, and every function that can fail returns a size_t that is
** either a byte count or an error code, told apart by sqz_is_error() exactly as
** ZSTD_isError() does. Error values are pinned in sqz_error_code and never
** change meaning between releases.
**
** No codec calls malloc. Memory a codec needs beyond dst comes from the
** caller's sqz_ctx (codecs/pool.h): scratch blocks that are reused from call to
** call, and one persistent state slot per codec (for library contexts such as
** ZSTD_CCtx). In steady state a call therefore allocates nothing.
**
** This header never includes sqlite3.h: codecs/ is usable on its own.
*/
#ifndef SQZ_CODEC_H
#define SQZ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Error convention ------------------------------------------------------
** A function returning size_t returns either a result (bytes) or
** (size_t)-code for one of the codes below. sqz_is_error() tells which.
** Values are stable: new codes are only ever appended.
*/
typedef enum {
  SQZ_OK = 0,
  SQZ_ERROR_GENERIC = 1,       /* unexpected failure inside a library */
  SQZ_ERROR_DST_TOO_SMALL = 2, /* dstCapacity cannot hold the output */
  SQZ_ERROR_CORRUPT = 3,       /* input is not valid for this codec/format */
  SQZ_ERROR_CHECKSUM = 4,      /* frame checksum does not match the output */
  SQZ_ERROR_LEVEL = 5,         /* level outside the codec's range */
  SQZ_ERROR_SRC_SIZE = 6,      /* typed codec: srcSize not a multiple of 8 */
  SQZ_ERROR_MEMORY = 7,        /* the allocator returned NULL */
  SQZ_ERROR_TOO_LARGE = 8,     /* declared/produced size above the limit */
  SQZ_ERROR_UNKNOWN_CODEC = 9, /* codec id or name not in the registry */
  SQZ_ERROR_VERSION = 10,      /* frame written by a newer format version */
  SQZ_ERROR_TRUNCATED = 11,    /* input ends before the format says it does */
  SQZ_ERROR_PARAMETER = 12,    /* an argument is out of its documented range */
  SQZ_ERROR_DICTIONARY = 13,   /* frame needs a dictionary: none given, or not the one */
  SQZ_ERROR_MAX_CODE = 20
} sqz_error_code;

#define SQZ_ERROR(name) ((size_t) - (SQZ_ERROR_##name))

/* Non-zero when r is an error code rather than a size. */
static inline int sqz_is_error(size_t r) {
  return r > (size_t)-SQZ_ERROR_MAX_CODE;
}

/* The sqz_error_code inside r, or SQZ_OK when r is a size. */
static inline sqz_error_code sqz_error_of(size_t r) {
  return sqz_is_error(r) ? (sqz_error_code)(0 - r) : SQZ_OK;
}

/* The error a decoder returns for a value of a payload's mode (or type)
** field that it does not decode (docs/format.md, "Payload modes"): VERSION
** when value <= last_reserved, the last value the field reserves for forms a
** newer squeeze may write, else CORRUPT (a value no version writes). */
static inline size_t sqz_mode_error(unsigned value, unsigned last_reserved) {
  return value <= last_reserved ? SQZ_ERROR(VERSION) : SQZ_ERROR(CORRUPT);
}

/* A short, lower-case, static English description of r's error code
** ("corrupt data", "destination too small", ...). Never NULL. */
const char *sqz_error_string(size_t r);

/* ---- Kinds -------------------------------------------------------------- */
typedef enum {
  SQZ_KIND_BYTES = 0,   /* any bytes */
  SQZ_KIND_FLOAT64 = 1, /* array of little-endian IEEE-754 doubles */
  SQZ_KIND_INT64 = 2,   /* array of little-endian two's-complement int64 */
  SQZ_KIND_TEXT = 3     /* array of strings (see the dict codec's format) */
} sqz_kind;

/* The exact word squeeze_codecs.kind reports: "bytes", "float64", "int64",
** "text". */
const char *sqz_kind_name(sqz_kind kind);

typedef struct sqz_ctx sqz_ctx;               /* codecs/pool.h */
typedef struct sqz_dictionary sqz_dictionary; /* codecs/dictionary.h */

/* Parameters of one compress call. Zero in any field but level means the
** codec's default, so an initializer that names only level, or zeroed
** memory with level set, is complete. */
typedef struct sqz_params {
  /* In the codec's [min_level, max_level]: the frame layer and the chunk
  ** encoder check it before a codec sees it. */
  int level;
  /* log2 of the match window in bytes, 0 for the codec's default. Each
  ** windowed codec checks its own range and returns PARAMETER outside it:
  ** lz77 10..24, zstd ZSTD_WINDOWLOG_MIN..ZSTD_WINDOWLOG_MAX (10..31 on
  ** 64-bit hosts). Codecs without a window ignore it. */
  int window_log;
  /* LZ4's acceleration factor for lz4 levels 1 and 2, 0..SQZ_ACCELERATION_MAX:
  ** 0 for LZ4's default (1), larger for faster compression and larger
  ** output. lz4 returns PARAMETER outside the range (at every level) and
  ** ignores it at levels 3..12, where LZ4HC compresses; every other codec
  ** ignores it. */
  int acceleration;
  /* A trained dictionary to compress with, or NULL for none. Only codecs
  ** with decompress_dict take one (zstd at every level, lz4 at levels 1 and
  ** 2); they return PARAMETER for a level or window_log they cannot combine
  ** with it, every other codec ignores it (the frame layer refuses it for
  ** them). Not owned: the caller keeps it alive during the call. */
  sqz_dictionary *dict;
  /* With dict: the dictionary's id in its database, 1..INT64_MAX, which the
  ** frame records (docs/format.md, version 3). Codecs ignore it. */
  uint64_t dict_id;
} sqz_params;

/* The largest sqz_params.acceleration, LZ4's LZ4_ACCELERATION_MAX. */
#define SQZ_ACCELERATION_MAX 65537

/* ---- The codec descriptor ------------------------------------------------
** One constant instance per codec; the registry (codecs/registry.c) lists
** them. Ids are written into frames and chunks: they are pinned forever.
*/
typedef struct sqz_codec {
  const char *name;  /* SQL name: "zstd", "lz4", ... */
  uint8_t id;        /* frame codec id, 0..31, pinned */
  sqz_kind kind;     /* what the input bytes hold */
  int min_level;     /* levels accepted by compress() */
  int default_level; /* used when the caller gives none */
  int max_level;
  const char *description; /* one line for squeeze_codecs */
  uint8_t window_log_min;  /* codecs with a match window: the window_log range */
  uint8_t window_log_max;  /* params->window_log accepts; both 0 without a window */

  /* Worst-case compressed size in bytes for srcSize input bytes, or 0 when
  ** srcSize is too large for the codec (then compress must not be called). */
  size_t (*bound)(size_t srcSize);

  /* Compress srcSize bytes of src into dst (dstCapacity bytes) with params
  ** (level already checked to lie in [min_level, max_level]). Returns the
  ** number of bytes written, or an error: DST_TOO_SMALL; SRC_SIZE (typed
  ** codecs, when srcSize % 8 != 0); LEVEL, PARAMETER or TOO_LARGE (a level,
  ** window_log or acceleration the codec refuses, or more input than it takes
  ** in one call: zstd, lz4, lz77); CORRUPT (dict: input that is not the string
  ** layout); MEMORY (ctx could not supply scratch or state); GENERIC (a
  ** library failed). With dstCapacity >= bound(srcSize), DST_TOO_SMALL does
  ** not occur. Output is deterministic: the same input and params (and the
  ** same dictionary bytes) give the same bytes on every machine. With
  ** params->dict, an input the library would not shrink comes back as
  ** srcSize bytes, a copy of src, which the frame layer then stores. */
  size_t (*compress)(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src, size_t srcSize,
                     const sqz_params *params);

  /* Decompress exactly dstSize bytes (the original size, known from the frame)
  ** from srcSize bytes of src into dst. Returns dstSize, or an error: CORRUPT
  ** or TRUNCATED for input that does not decode to exactly dstSize bytes,
  ** VERSION for a payload mode kept for newer versions (sqz_mode_error()),
  ** MEMORY; a codec that decodes through another (dict through huffman) may
  ** return UNKNOWN_CODEC when that one is missing. Guarantee on hostile
  ** input: never reads outside src[0..srcSize), never writes outside
  ** dst[0..dstSize). */
  size_t (*decompress)(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src, size_t srcSize);

  /* Optional: NULL for codecs that take no dictionary. Decompresses exactly
  ** dstSize bytes from a payload that compress wrote with params->dict =
  ** dict, with the same guarantees and errors as decompress. A payload
  ** decoded with another dictionary fails (CORRUPT) or decodes to other
  ** bytes, which the frame's checksum and dictionary tag are there to
  ** catch. */
  size_t (*decompress_dict)(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                            size_t srcSize, sqz_dictionary *dict);

  /* Optional (NULL when the codec keeps no state): frees the persistent state
  ** the codec left in its ctx slot (sqz_ctx_state()). */
  void (*free_state)(sqz_ctx *ctx, void *state);
} sqz_codec;

/* ---- The codecs ------------------------------------------------------------
** One descriptor per codec, defined in its own file. Code that needs a given
** codec (dict's Huffman-coded codes, the column store's candidates) names
** its descriptor directly; the registry below serves names and ids that come
** from users and from stored bytes. */
extern const sqz_codec sqz_codec_zstd;    /* zstd_codec.c */
extern const sqz_codec sqz_codec_lz4;     /* lz4_codec.c */
extern const sqz_codec sqz_codec_lz4hc;   /* lz4_codec.c */
extern const sqz_codec sqz_codec_store;   /* store.c */
extern const sqz_codec sqz_codec_rle;     /* rle.c */
extern const sqz_codec sqz_codec_huffman; /* huffman.c */
extern const sqz_codec sqz_codec_lz77;    /* lz77.c */
extern const sqz_codec sqz_codec_gorilla; /* gorilla.c */
extern const sqz_codec sqz_codec_dod;     /* dod.c */
extern const sqz_codec sqz_codec_delta;   /* delta.c */
extern const sqz_codec sqz_codec_alp;     /* alp.c */
extern const sqz_codec sqz_codec_dict;    /* dict.c */
extern const sqz_codec sqz_codec_bins;    /* bins.c */
extern const sqz_codec sqz_codec_decimal; /* decimal.c */

/* ---- Registry (codecs/registry.c) ---------------------------------------- */

/* The codec called name (case-insensitive, NUL-terminated), or NULL. */
const sqz_codec *sqz_codec_by_name(const char *name);

/* The codec with frame id, or NULL when no codec has that id. */
const sqz_codec *sqz_codec_by_id(unsigned id);

/* Number of registered codecs, and the i-th one (0 <= i < count) in the order
** squeeze_codecs lists them. */
size_t sqz_codec_count(void);
const sqz_codec *sqz_codec_at(size_t i);

/* Writes "zstd, lz4, ..." (all codec names, comma separated) into buf
** (bufSize bytes, always NUL-terminated). Returns buf. */
char *sqz_codec_names(char *buf, size_t bufSize);

/* Pinned codec ids. */
enum {
  SQZ_ID_STORE = 0,
  SQZ_ID_ZSTD = 1,
  SQZ_ID_LZ4 = 2,
  SQZ_ID_LZ4HC = 3,
  SQZ_ID_RLE = 4,
  SQZ_ID_HUFFMAN = 5,
  SQZ_ID_LZ77 = 6,
  SQZ_ID_GORILLA = 7,
  SQZ_ID_DOD = 8,
  SQZ_ID_DELTA = 9,
  SQZ_ID_ALP = 10,
  SQZ_ID_DICT = 11,
  SQZ_ID_BINS = 12,
  SQZ_ID_DECIMAL = 13,
  SQZ_ID_MAX = 31
};

#ifdef __cplusplus
}
#endif
#endif /* SQZ_CODEC_H */

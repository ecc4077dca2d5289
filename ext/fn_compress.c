/*
** fn_compress.c: compress(), decompress(), compressed_codec(),
** decompressed_size() and squeeze_version().
**
**   SELECT compress('hello hello hello');             -- zstd, level 3
**   SELECT compress(body, 'lz4hc', 12) FROM docs;
**   SELECT compress(body, 'lz77', 'level=6,window=1M') FROM docs;
**   SELECT decompress(compress(x)) IS x;               -- 1 for any TEXT or BLOB x
**   SELECT decompress(readfile('notes.txt.zst'));      -- zstd/lz4 tool output too
**
** Every call draws its scratch memory from the connection's pool (sqz_conn),
** so in steady state it allocates only its result. Sizes are checked against
** SQLITE_LIMIT_LENGTH before anything is allocated.
*/
#include "squeeze.h"
SQLITE_EXTENSION_INIT3

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frame.h"

/* Options of one compress() call. */
typedef struct compress_options {
  sqz_params params;
  unsigned flags; /* SQZ_FRAME_* */
} compress_options;

/* Parses "SIZE" with an optional K/M/G suffix (powers of 1024) into bytes. */
static int parse_size(const char *s, sqlite3_int64 *out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || v < 0) return 0;
  if (*end == 'K' || *end == 'k')
    v <<= 10, end++;
  else if (*end == 'M' || *end == 'm')
    v <<= 20, end++;
  else if (*end == 'G' || *end == 'g')
    v <<= 30, end++;
  if (*end == 'i' || *end == 'B') end++;
  if (*end == 'B') end++;
  *out = v;
  return *end == 0;
}

/* Reads the third argument of compress(): an integer level, or options text
** "level=N,window=SIZE,checksum=on|off". Sets an error on context and returns
** 0 when it is malformed. */
static int read_options(sqlite3_context *context, sqlite3_value *arg, const sqz_codec *codec,
                        compress_options *o) {
  o->params.level = codec->default_level;
  o->params.window_log = 0;
  o->params.acceleration = 0;
  o->flags = 0;
  if (!arg || sqlite3_value_type(arg) == SQLITE_NULL) return 1;
  if (sqlite3_value_type(arg) == SQLITE_INTEGER) {
    sqlite3_int64 level = sqlite3_value_int64(arg);
    if (level < codec->min_level || level > codec->max_level) {
      sqz_result_errorf(context, "compress", "level %lld out of range for %s (%d..%d)", level,
                        codec->name, codec->min_level, codec->max_level);
      return 0;
    }
    o->params.level = (int)level;
    return 1;
  }
  const char *text = (const char *)sqlite3_value_text(arg);
  if (!text) {
    sqlite3_result_error_nomem(context);
    return 0;
  }
  char buf[256];
  if (strlen(text) >= sizeof buf) {
    sqz_result_errorf(context, "compress", "options too long");
    return 0;
  }
  strcpy(buf, text);
  char *save = NULL;
  for (char *item = strtok_r(buf, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
    char *eq = strchr(item, '=');
    const char *key = eq ? item : "level";
    const char *value = eq ? eq + 1 : item;
    if (eq) *eq = 0;
    sqlite3_int64 v;
    if (strcasecmp(key, "level") == 0) {
      char *end;
      v = strtoll(value, &end, 10);
      if (end == value || *end || v < codec->min_level || v > codec->max_level) {
        sqz_result_errorf(context, "compress", "level '%s' out of range for %s (%d..%d)", value,
                          codec->name, codec->min_level, codec->max_level);
        return 0;
      }
      o->params.level = (int)v;
    } else if (strcasecmp(key, "window") == 0) {
      if (!parse_size(value, &v) || v < 1024 || v > ((sqlite3_int64)1 << 30) || (v & (v - 1))) {
        sqz_result_errorf(context, "compress",
                          "window '%s' must be a power of two from 1K to 1G bytes", value);
        return 0;
      }
      int log = 0;
      while (((sqlite3_int64)1 << log) < v)
        log++;
      o->params.window_log = log;
    } else if (strcasecmp(key, "checksum") == 0) {
      if (strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0) {
        o->flags |= SQZ_FRAME_NO_CHECKSUM;
      } else if (!(strcasecmp(value, "on") == 0 || strcmp(value, "1") == 0)) {
        sqz_result_errorf(context, "compress", "checksum must be on or off, not '%s'", value);
        return 0;
      }
    } else {
      sqz_result_errorf(context, "compress", "unknown option '%s' (known: level, window, checksum)",
                        key);
      return 0;
    }
  }
  return 1;
}

/* The codec named by arg (NULL or absent: zstd), or NULL with an error set. */
static const sqz_codec *read_codec(sqlite3_context *context, sqlite3_value *arg) {
  if (!arg || sqlite3_value_type(arg) == SQLITE_NULL) return sqz_codec_by_name("zstd");
  const char *name = (const char *)sqlite3_value_text(arg);
  const sqz_codec *codec = name ? sqz_codec_by_name(name) : NULL;
  if (!codec) {
    char names[512];
    sqz_result_errorf(context, "compress", "unknown codec '%s' (known: %s)", name ? name : "",
                      sqz_codec_names(names, sizeof names));
  }
  return codec;
}

static const char *type_name(int type) {
  switch (type) {
  case SQLITE_INTEGER:
    return "INTEGER";
  case SQLITE_FLOAT:
    return "REAL";
  case SQLITE_TEXT:
    return "TEXT";
  case SQLITE_BLOB:
    return "BLOB";
  default:
    return "NULL";
  }
}

/* compress(X [, codec [, level | options]]) -> BLOB frame. */
static void compress_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_conn *c = sqlite3_user_data(context);
  int type = sqlite3_value_type(argv[0]);
  if (type == SQLITE_NULL) return;
  const sqz_codec *codec = read_codec(context, argc > 1 ? argv[1] : NULL);
  if (!codec) return;
  compress_options o;
  if (!read_options(context, argc > 2 ? argv[2] : NULL, codec, &o)) return;
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    sqz_result_errorf(context, "compress", "X must be TEXT or BLOB, not %s", type_name(type));
    return;
  }
  if (type == SQLITE_TEXT) {
    if (codec->kind != SQZ_KIND_BYTES) {
      sqz_result_errorf(context, "compress",
                        "codec '%s' takes a BLOB of little-endian 8-byte values, not TEXT",
                        codec->name);
      return;
    }
    o.flags |= SQZ_FRAME_TEXT;
  }
  /* A typed frame keeps its codec, so the series decoders know what it holds. */
  if (codec->kind == SQZ_KIND_FLOAT64 || codec->kind == SQZ_KIND_INT64)
    o.flags |= SQZ_FRAME_KEEP_CODEC;
  const void *src =
      type == SQLITE_TEXT ? (const void *)sqlite3_value_text(argv[0]) : sqlite3_value_blob(argv[0]);
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  if (!src && n > 0) {
    sqlite3_result_error_nomem(context);
    return;
  }
  sqz_result_frame(context, c, "compress", src, n, codec, &o.params, o.flags);
}

/* Parses the frame in argv[0] for fn, or sets an error and returns 0.
** *src and *n receive the blob. */
static int read_frame(sqlite3_context *context, const char *fn, sqlite3_value *arg,
                      sqz_frame_info *info, const void **src, size_t *n) {
  int type = sqlite3_value_type(arg);
  if (type != SQLITE_BLOB) {
    sqz_result_errorf(context, fn, "argument must be a BLOB written by compress(), not %s",
                      type_name(type));
    return 0;
  }
  *src = sqlite3_value_blob(arg);
  *n = (size_t)sqlite3_value_bytes(arg);
  if (!*src && *n > 0) {
    sqlite3_result_error_nomem(context);
    return 0;
  }
  size_t r = sqz_frame_parse(info, *src, *n);
  if (sqz_is_error(r)) {
    switch (sqz_error_of(r)) {
    case SQZ_ERROR_CORRUPT:
      sqz_result_errorf(context, fn, "not a squeeze, zstd or lz4 frame, or a damaged header");
      break;
    case SQZ_ERROR_UNKNOWN_CODEC:
      sqz_result_errorf(context, fn, "corrupt data (unknown codec id %u)", info->codec_id);
      break;
    default:
      sqz_result_status(context, fn, r);
    }
    return 0;
  }
  return 1;
}

/* decompress(B) -> the original TEXT or BLOB. */
static void decompress_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_conn *c = sqlite3_user_data(context);
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  sqz_frame_info info;
  const void *src;
  size_t n;
  if (!read_frame(context, "decompress", argv[0], &info, &src, &n)) return;
  uint64_t limit = (uint64_t)sqz_length_limit(c->db);
  uint64_t size = sqz_frame_content_size(c->ctx, &info, src, n, limit);
  if (sqz_is_error((size_t)size)) {
    sqz_result_status(context, "decompress", (size_t)size);
    return;
  }
  uint8_t *out = sqlite3_malloc64(size ? size : 1);
  if (!out) {
    sqlite3_result_error_nomem(context);
    return;
  }
  size_t r = sqz_frame_decompress(c->ctx, &info, out, (size_t)size, src, n);
  if (sqz_is_error(r)) {
    sqlite3_free(out);
    sqz_result_status(context, "decompress", r);
    return;
  }
  if (info.is_text) {
    sqlite3_result_text64(context, (const char *)out, size, sqlite3_free, SQLITE_UTF8);
  } else {
    sqlite3_result_blob64(context, out, size, sqlite3_free);
  }
}

/* compressed_codec(B) -> the codec name from the header. */
static void compressed_codec_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  sqz_frame_info info;
  const void *src;
  size_t n;
  if (!read_frame(context, "compressed_codec", argv[0], &info, &src, &n)) return;
  sqlite3_result_text(context, sqz_codec_by_id(info.codec_id)->name, -1, SQLITE_STATIC);
}

/* decompressed_size(B) -> original size in bytes from the header; NULL for a
** zstd/lz4 frame that does not declare it. */
static void decompressed_size_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  sqz_frame_info info;
  const void *src;
  size_t n;
  if (!read_frame(context, "decompressed_size", argv[0], &info, &src, &n)) return;
  if (info.content_size == SQZ_CONTENT_SIZE_UNKNOWN || info.content_size > INT64_MAX) return;
  sqlite3_result_int64(context, (sqlite3_int64)info.content_size);
}

static void version_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(context, SQUEEZE_VERSION, -1, SQLITE_STATIC);
}

int sqz_register_compress(sqlite3 *db, sqz_conn *c) {
  static const struct {
    const char *name;
    int nArg;
    void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
  } fns[] = {
      {"compress", 1, compress_func},
      {"compress", 2, compress_func},
      {"compress", 3, compress_func},
      {"decompress", 1, decompress_func},
      {"compressed_codec", 1, compressed_codec_func},
      {"decompressed_size", 1, decompressed_size_func},
      {"squeeze_version", 0, version_func},
  };
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && rc == SQLITE_OK; i++) {
    rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nArg, flags, sqz_conn_ref(c),
                                    fns[i].xFunc, NULL, NULL, sqz_conn_unref);
  }
  return rc;
}

/*
** fn_compress.c: compress(), decompress(), compressed_codec(),
** decompressed_size() and is_compressed().
**
**   SELECT compress('hello hello hello');             -- zstd, level 3
**   SELECT compress(body, 'lz4hc', 12) FROM docs;
**   SELECT compress(body, 'lz77', 'level=6,window=1M') FROM docs;
**   SELECT decompress(compress(x)) IS x;               -- 1 for any TEXT or BLOB x
**   SELECT decompress(readfile('notes.txt.zst'));      -- zstd/lz4 tool output too
**   SELECT is_compressed(body), compressed_codec(body) FROM docs;  -- NULL: not a frame
**   SELECT compress(body, 'zstd', 'dict=mail') FROM docs;  -- a trained dictionary
**   SELECT compress(body, 'zstd', 'threads=2,format=zstd');  -- docs/large_values.md
**
** Every call draws its scratch memory from the connection's pool (sqz_conn),
** so in steady state it allocates only its result. Sizes are checked against
** SQLITE_LIMIT_LENGTH before anything is allocated.
**
** An options text is parsed once per statement execution when it is a
** constant (a literal or a bound parameter): the parsed options, and the
** dictionary that dict= names, are kept as the argument's auxdata
** (sqlite3_set_auxdata) and used again while this connection has changed
** nothing since (dict_lookup.h). A frame that needs a dictionary is
** decompressed with the one dict_lookup.c finds by the frame's id and tag;
** decompress() remembers it for the rest of the statement's execution
** while sqz_dicts_stable() says the check would give the same answer
** (docs/bench/bench_dict.md has the speed this buys).
*/
#include "register.h"
SQLITE_EXTENSION_INIT3

#include <stdio.h>
#include <string.h>

#include "dict_lookup.h"
#include "frame.h"
#include "options.h"
#include "std_frame.h"

/* The longest dictionary name dict= takes (squeeze_train_dict's limit). */
#define DICT_NAME_MAX 200

/* Options of one compress() call. */
typedef struct compress_options {
  sqz_params params;
  unsigned flags;                    /* SQZ_FRAME_* */
  int level_given;                   /* level came from the caller */
  char dict_name[DICT_NAME_MAX + 1]; /* dict=, or "" */
  unsigned threads;                  /* threads=, or 0: the connection's squeeze_config */
  int format;                        /* format=: 0 squeeze, else an sqz_std_format */
} compress_options;

/* n bytes as "3K", "16M", "1G" when a whole multiple, else the number, into
** buf (24 bytes). */
static const char *size_text(int64_t n, char buf[24]) {
  static const char units[] = "GMK";
  for (int i = 0; i < 3; i++) {
    int shift = 30 - 10 * i;
    if (n > 0 && n % ((int64_t)1 << shift) == 0) {
      snprintf(buf, 24, "%lld%c", (long long)(n >> shift), units[i]);
      return buf;
    }
  }
  snprintf(buf, 24, "%lld", (long long)n);
  return buf;
}

/* The options compress() knows, in the order of options[] below. */
enum {
  OPT_LEVEL,
  OPT_WINDOW,
  OPT_CHECKSUM,
  OPT_ACCELERATION,
  OPT_DICT,
  OPT_THREADS,
  OPT_FORMAT,
  OPT_COUNT
};

/* format=: the words, in the order of sqz_std_format (0 is squeeze). */
static const char *const format_words[] = {"squeeze", "zstd", "lz4", NULL};

/* format=zstd|lz4 (v[OPT_FORMAT]) into o: the standard frame of the codec's
** library. 0 with an error set on context when it does not fit codec or
** the other options. */
static int read_format(sqlite3_context *context, const sqz_codec *codec, const sqz_opt_value *v,
                       compress_options *o) {
  int f = (int)v[OPT_FORMAT].v;
  if (f == 0) return 1;
  if ((f == SQZ_STD_ZSTD && codec->id != SQZ_ID_ZSTD) ||
      (f == SQZ_STD_LZ4 && codec->id != SQZ_ID_LZ4)) {
    sqz_result_errorf(context, "compress", "format=%s takes codec '%s', not '%s'", format_words[f],
                      format_words[f], codec->name);
    return 0;
  }
  if (v[OPT_DICT].set || v[OPT_CHECKSUM].set) {
    sqz_result_errorf(context, "compress",
                      "format=%s cannot be combined with %s (squeeze frames only)", format_words[f],
                      v[OPT_DICT].set ? "dict=" : "checksum=");
    return 0;
  }
  o->format = f;
  return 1;
}

/* Reads the third argument of compress(): an integer level (also as TEXT),
** or an options text
** "level=N,window=SIZE,checksum=on|off,acceleration=N,dict=name,threads=N,
** format=squeeze|zstd|lz4"
** (ext/options.h). Sets an error on context and returns 0 when it is
** malformed, names an option twice, or does not fit codec. */
static int read_options(sqlite3_context *context, sqlite3_value *arg, const sqz_codec *codec,
                        compress_options *o) {
  memset(o, 0, sizeof(*o));
  o->params.level = codec->default_level;
  if (!arg || sqlite3_value_type(arg) == SQLITE_NULL) return 1;
  int64_t level = codec->default_level;
  int level_given = 0;
  if (sqlite3_value_type(arg) == SQLITE_INTEGER) {
    level = sqlite3_value_int64(arg);
    level_given = 1;
  } else {
    const char *text = (const char *)sqlite3_value_text(arg);
    if (!text) {
      sqlite3_result_error_nomem(context);
      return 0;
    }
    static const sqz_opt spec[OPT_COUNT] = {
        {"level", SQZ_OPT_INT, INT64_MIN, INT64_MAX, NULL},
        {"window", SQZ_OPT_SIZE, 0, INT64_MAX, NULL},
        {"checksum", SQZ_OPT_BOOL, 0, 1, NULL},
        {"acceleration", SQZ_OPT_INT, 1, 65537, NULL},
        {"dict", SQZ_OPT_TEXT, 0, DICT_NAME_MAX, NULL},
        {"threads", SQZ_OPT_INT, 1, SQZ_THREADS_MAX, NULL},
        {"format", SQZ_OPT_WORD, 0, 0, format_words},
    };
    sqz_opt_value v[OPT_COUNT] = {{0, 0, NULL}};
    char err[SQZ_OPT_ERROR_MAX];
    if (sqz_parse_int64(text, &level) == 0) {
      level_given = 1;
    } else if (sqz_options_parse(text, spec, OPT_COUNT, v, err, sizeof err) != 0) {
      sqz_result_errorf(context, "compress", "%s", err);
      return 0;
    }
    if (v[OPT_LEVEL].set) level = v[OPT_LEVEL].v, level_given = 1;
    if (v[OPT_CHECKSUM].set && !v[OPT_CHECKSUM].v) o->flags |= SQZ_FRAME_NO_CHECKSUM;
    if (v[OPT_WINDOW].set) {
      int64_t w = v[OPT_WINDOW].v;
      int64_t lo = (int64_t)1 << codec->window_log_min, hi = (int64_t)1 << codec->window_log_max;
      if (!codec->window_log_max) {
        sqz_result_errorf(context, "compress", "codec '%s' has no window option", codec->name);
        return 0;
      }
      if (w < lo || w > hi || (w & (w - 1))) {
        char a[24], b[24], c[24];
        sqz_result_errorf(context, "compress",
                          "window %s must be a power of two from %s to %s bytes for %s",
                          size_text(w, a), size_text(lo, b), size_text(hi, c), codec->name);
        return 0;
      }
      while (((int64_t)1 << o->params.window_log) < w)
        o->params.window_log++;
    }
    if (v[OPT_ACCELERATION].set) {
      if (codec->id != SQZ_ID_LZ4) {
        sqz_result_errorf(context, "compress", "codec '%s' has no acceleration option",
                          codec->name);
        return 0;
      }
      o->params.acceleration = (int)v[OPT_ACCELERATION].v;
    }
    if (v[OPT_DICT].set) {
      if (!codec->decompress_dict) {
        sqz_result_errorf(context, "compress",
                          "codec '%s' takes no dictionary (dict= works with zstd and lz4)",
                          codec->name);
        return 0;
      }
      if (v[OPT_WINDOW].set) {
        sqz_result_errorf(context, "compress",
                          "window cannot be combined with dict= (the dictionary sets the window)");
        return 0;
      }
      memcpy(o->dict_name, v[OPT_DICT].text, (size_t)v[OPT_DICT].v);
      o->dict_name[v[OPT_DICT].v] = 0;
    }
    if (v[OPT_THREADS].set) o->threads = (unsigned)v[OPT_THREADS].v;
    if (v[OPT_FORMAT].set && !read_format(context, codec, v, o)) return 0;
  }
  if (level_given && (level < codec->min_level || level > codec->max_level)) {
    sqz_result_errorf(context, "compress", "level %lld out of range for %s (%d..%d)",
                      (long long)level, codec->name, codec->min_level, codec->max_level);
    return 0;
  }
  if (o->dict_name[0] && codec->id == SQZ_ID_LZ4 && level > 2) {
    sqz_result_errorf(context, "compress",
                      "dict= takes lz4 levels 1 and 2 (LZ4's fast compressor), not %lld",
                      (long long)level);
    return 0;
  }
  o->params.level = (int)level;
  o->level_given = level_given;
  return 1;
}

/* What compress() keeps as the auxdata of its options argument: the parsed
** options for codec and the dictionary dict= resolved to, as of stamp. */
typedef struct options_cache {
  const sqz_codec *codec; /* the codec the options were read for */
  compress_options o;     /* the options */
  sqz_dictionary *dict;   /* dict= resolved, or NULL */
  sqlite3_int64 dict_id;  /* its id */
  int dict_level;         /* its trained level */
  sqz_dict_stamp stamp;   /* when it was resolved */
  int held;               /* this struct holds a reference to dict */
} options_cache;

static void options_cache_free(void *p) {
  options_cache *oc = p;
  if (oc->held) sqz_dicts_unhold(oc->dict);
  sqlite3_free(oc);
}

/* The options for this call: the argument's auxdata when it was read for
** codec, else read now and (when the argument is TEXT that is not a plain
** level) kept as its auxdata; local is the storage when keeping fails.
** NULL with an error set on context when they are malformed. */
static options_cache *call_options(sqlite3_context *context, sqlite3_value *arg,
                                   const sqz_codec *codec, options_cache *local) {
  options_cache *oc =
      arg && sqlite3_value_type(arg) == SQLITE_TEXT ? sqlite3_get_auxdata(context, 2) : NULL;
  if (oc && oc->codec == codec) return oc;
  memset(local, 0, sizeof(*local));
  local->codec = codec;
  if (!read_options(context, arg, codec, &local->o)) return NULL;
  if (!arg || sqlite3_value_type(arg) != SQLITE_TEXT) return local;
  oc = sqlite3_malloc64(sizeof(*oc));
  if (!oc) return local;
  *oc = *local;
  sqlite3_set_auxdata(context, 2, oc, options_cache_free); /* frees oc if it cannot keep it */
  oc = sqlite3_get_auxdata(context, 2);
  return oc ? oc : local;
}

/* Resolves oc's dictionary name, unless the connection changed nothing
** since it last did. Returns 0 with an error set on context. */
static int resolve_dict(sqlite3_context *context, sqz_conn *c, options_cache *oc,
                        const options_cache *local) {
  if (oc->dict && sqz_dicts_stamp_holds(c, oc->stamp)) return 1;
  sqz_dict_use use;
  char *err = NULL;
  int rc = sqz_dicts_by_name(c, oc->o.dict_name, &use, &err);
  if (rc != SQLITE_OK) {
    if (err) {
      sqz_result_errorf(context, "compress", "%s", err);
      sqlite3_result_error_code(context, rc);
    } else {
      sqz_result_status(context, "compress",
                        rc == SQLITE_NOMEM ? SQZ_ERROR(MEMORY) : SQZ_ERROR(GENERIC));
    }
    sqlite3_free(err);
    return 0;
  }
  if (oc->held) sqz_dicts_unhold(oc->dict);
  oc->held = oc != local; /* kept past this call: hold the dictionary */
  if (oc->held) sqz_dicts_hold(use.dict);
  oc->dict = use.dict;
  oc->dict_id = use.id;
  oc->dict_level = use.level;
  oc->stamp = sqz_dicts_stamp(c);
  return 1;
}

/* The codec named by argument 1 (NULL or absent: zstd), or NULL with an
** error set. The codec found is kept as the argument's auxdata, so a
** constant name is looked up once per statement execution. */
static const sqz_codec *read_codec(sqlite3_context *context, int argc, sqlite3_value **argv) {
  if (argc < 2 || sqlite3_value_type(argv[1]) == SQLITE_NULL) return &sqz_codec_zstd;
  const sqz_codec *codec = sqlite3_get_auxdata(context, 1);
  if (codec) return codec;
  const char *name = (const char *)sqlite3_value_text(argv[1]);
  codec = name ? sqz_codec_by_name(name) : NULL;
  if (!codec) {
    char names[512];
    sqz_result_errorf(context, "compress", "unknown codec '%s' (known: %s)", name ? name : "",
                      sqz_codec_names(names, sizeof names));
    return NULL;
  }
  sqlite3_set_auxdata(context, 1, (void *)codec, NULL); /* the codecs are static */
  return codec;
}

/* compress(X [, codec [, level | options]]) -> BLOB frame. */
static void compress_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_conn *c = sqlite3_user_data(context);
  int type = sqlite3_value_type(argv[0]);
  if (type == SQLITE_NULL) return;
  const sqz_codec *codec = read_codec(context, argc, argv);
  if (!codec) return;
  options_cache local;
  options_cache *oc = call_options(context, argc > 2 ? argv[2] : NULL, codec, &local);
  if (!oc) return;
  sqz_params params = oc->o.params;
  unsigned flags = oc->o.flags;
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    sqz_result_errorf(context, "compress", "X must be TEXT or BLOB, not %s", sqz_type_name(type));
    return;
  }
  if (type == SQLITE_TEXT) {
    if (codec->kind != SQZ_KIND_BYTES) {
      sqz_result_errorf(context, "compress", "codec '%s' takes %s, not TEXT", codec->name,
                        sqz_codec_input(codec));
      return;
    }
    flags |= SQZ_FRAME_TEXT;
  }
  /* A typed frame keeps its codec, so the series decoders know what it holds. */
  if (codec->kind == SQZ_KIND_FLOAT64 || codec->kind == SQZ_KIND_INT64)
    flags |= SQZ_FRAME_KEEP_CODEC;
  const void *src =
      type == SQLITE_TEXT ? (const void *)sqlite3_value_text(argv[0]) : sqlite3_value_blob(argv[0]);
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  if (!src && n > 0) {
    sqlite3_result_error_nomem(context);
    return;
  }
  if (oc->o.dict_name[0]) {
    if (!resolve_dict(context, c, oc, &local)) return;
    params.dict = oc->dict;
    params.dict_id = (uint64_t)oc->dict_id;
    /* without a level, zstd compresses at the level the dictionary was made for */
    if (!oc->o.level_given && codec->id == SQZ_ID_ZSTD) params.level = oc->dict_level;
  }
  sqz_result_frame_opts(context, c, "compress", src, n, codec, &params, flags,
                        oc->o.threads ? oc->o.threads : c->threads, oc->o.format);
}

/* Parses the frame in argv[0] for fn, or sets an error and returns 0.
** *src and *n receive the blob. */
static int read_frame(sqlite3_context *context, const char *fn, sqlite3_value *arg,
                      sqz_frame_info *info, const void **src, size_t *n) {
  int type = sqlite3_value_type(arg);
  if (type != SQLITE_BLOB) {
    sqz_result_errorf(context, fn, "argument must be a BLOB written by compress(), not %s",
                      sqz_type_name(type));
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

/* decompress()'s memory of the dictionaries it found in one statement
** execution, so the calls after the first make no check of the row
** (sqz_dicts_stable). It is kept as auxdata under a negative index, which
** SQLite keeps for every call of the statement (not one argument's) and
** frees when the execution ends (sqlite3_get_auxdata in SQLite's
** vdbeapi.c; its own JSON functions cache parses so). */
#define MEMO_AUX (-0x53515a) /* "SQZ" */
#define MEMO_DICTS 4         /* dictionaries remembered per execution */

typedef struct memo_entry {
  uint64_t id;          /* the frames' dictionary id */
  uint32_t tag;         /* and tag */
  unsigned tag_bytes;   /* of this many bytes */
  sqz_dictionary *dict; /* the dictionary, a reference of the memo's own */
} memo_entry;

typedef struct decompress_memo {
  int unstable;         /* the rows found must be checked at every call */
  sqz_dict_stamp stamp; /* when the entries were found */
  int n;                /* entries in use */
  int next;             /* the one replaced next when all are */
  memo_entry e[MEMO_DICTS];
} decompress_memo;

static void memo_clear(decompress_memo *m) {
  for (int i = 0; i < m->n; i++)
    sqz_dicts_unhold(m->e[i].dict);
  m->n = 0;
  m->next = 0;
}

static void memo_free(void *p) {
  memo_clear(p);
  sqlite3_free(p);
}

/* The dictionary of the frame info from this execution's memo, or NULL. */
static sqz_dictionary *memo_find(sqlite3_context *context, sqz_conn *c,
                                 const sqz_frame_info *info) {
  decompress_memo *m = sqlite3_get_auxdata(context, MEMO_AUX);
  if (!m || m->unstable || !m->n || !sqz_dicts_stamp_holds(c, m->stamp)) return NULL;
  for (int i = 0; i < m->n; i++) {
    const memo_entry *e = &m->e[i];
    if (e->id == info->dict_id && e->tag == info->dict_tag && e->tag_bytes == info->dict_tag_bytes)
      return e->dict;
  }
  return NULL;
}

/* Remembers use, just found for info, for the rest of the execution when it
** holds that long. Failing to (out of memory) only costs speed. */
static void memo_add(sqlite3_context *context, sqz_conn *c, const sqz_frame_info *info,
                     const sqz_dict_use *use) {
  decompress_memo *m = sqlite3_get_auxdata(context, MEMO_AUX);
  if (!m) {
    m = sqlite3_malloc64(sizeof(*m));
    if (!m) return;
    memset(m, 0, sizeof(*m));
    sqlite3_set_auxdata(context, MEMO_AUX, m, memo_free); /* frees m if it cannot keep it */
    m = sqlite3_get_auxdata(context, MEMO_AUX);
    if (!m) return;
  }
  if (m->unstable) return;
  if (!sqz_dicts_stable(c, use)) {
    memo_clear(m);
    m->unstable = 1; /* for this execution: no need to ask again */
    return;
  }
  sqz_dict_stamp now = sqz_dicts_stamp(c);
  if (now.trainings != m->stamp.trainings || now.changes != m->stamp.changes) {
    memo_clear(m);
    m->stamp = now;
  }
  int i;
  if (m->n < MEMO_DICTS) {
    i = m->n++;
  } else { /* all in use: replace the oldest */
    i = m->next;
    m->next = (m->next + 1) % MEMO_DICTS;
    sqz_dicts_unhold(m->e[i].dict);
  }
  sqz_dicts_hold(use->dict);
  m->e[i].id = info->dict_id;
  m->e[i].tag = info->dict_tag;
  m->e[i].tag_bytes = info->dict_tag_bytes;
  m->e[i].dict = use->dict;
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
  sqz_dict_use use = {NULL, 0, 0, NULL};
  if (info.dict_id && (use.dict = memo_find(context, c, &info)) == NULL) {
    char *err = NULL;
    int rc = sqz_dicts_by_id(c, &info, &use, &err);
    if (rc != SQLITE_OK) {
      if (err) {
        sqz_result_errorf(context, "decompress", "%s", err);
        sqlite3_result_error_code(context, rc);
      } else {
        sqz_result_status(context, "decompress",
                          rc == SQLITE_NOMEM ? SQZ_ERROR(MEMORY) : SQZ_ERROR(GENERIC));
      }
      sqlite3_free(err);
      return;
    }
    memo_add(context, c, &info, &use);
  }
  uint64_t limit = (uint64_t)sqz_length_limit(c->db);
  uint64_t size = sqz_frame_content_size(c->ctx, &info, src, n, limit);
  if (sqz_is_error((size_t)size)) {
    sqz_result_status(context, "decompress", (size_t)size);
    return;
  }
  /* a small value (a short row's) is decompressed on the stack and copied
  ** into SQLite's result register, which is reused from row to row: no
  ** allocation per value */
  uint8_t small[SQZ_TERMINATED_MAX + 1];
  uint8_t *out = size <= SQZ_TERMINATED_MAX ? small : sqlite3_malloc64(size);
  if (!out) {
    sqlite3_result_error_nomem(context);
    return;
  }
  size_t r = sqz_conn_decompress(c, &info, out, (size_t)size, src, n, use.dict);
  if (sqz_is_error(r)) {
    if (out != small) sqlite3_free(out);
    sqz_result_status(context, "decompress", r);
    return;
  }
  if (info.is_text && out == small)
    sqz_result_text_copy(context, (const char *)out, (size_t)size);
  else if (info.is_text)
    sqlite3_result_text64(context, (const char *)out, size, sqlite3_free, SQLITE_UTF8);
  else
    sqlite3_result_blob64(context, out, size, out == small ? SQLITE_TRANSIENT : sqlite3_free);
}

/* The header of the squeeze, zstd or LZ4 frame in arg, or 0 when arg is not
** one (not a BLOB, or a header that does not parse). */
static int peek_frame(sqlite3_value *arg, sqz_frame_info *info) {
  if (sqlite3_value_type(arg) != SQLITE_BLOB) return 0;
  const void *src = sqlite3_value_blob(arg);
  size_t n = (size_t)sqlite3_value_bytes(arg);
  return src && !sqz_is_error(sqz_frame_parse(info, src, n));
}

/* compressed_codec(B) -> the codec name from the header; NULL when B is not
** a frame. */
static void compressed_codec_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  sqz_frame_info info;
  if (!peek_frame(argv[0], &info)) return;
  sqlite3_result_text(context, sqz_codec_by_id(info.codec_id)->name, -1, SQLITE_STATIC);
}

/* decompressed_size(B) -> original size in bytes from the header; NULL when
** B is not a frame, or is a zstd/lz4 frame that does not declare its size. */
static void decompressed_size_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  sqz_frame_info info;
  if (!peek_frame(argv[0], &info)) return;
  if (info.content_size == SQZ_CONTENT_SIZE_UNKNOWN || info.content_size > INT64_MAX) return;
  sqlite3_result_int64(context, (sqlite3_int64)info.content_size);
}

/* is_compressed(X) -> 1 when X is a frame whose header decompress() reads
** (squeeze, zstd or LZ4), else 0; NULL for NULL. */
static void is_compressed_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  sqz_frame_info info;
  sqlite3_result_int(context, peek_frame(argv[0], &info));
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
      {"is_compressed", 1, is_compressed_func},
  };
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && rc == SQLITE_OK; i++) {
    rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nArg, flags, sqz_conn_ref(c),
                                    fns[i].xFunc, NULL, NULL, sqz_conn_unref);
  }
  return rc;
}

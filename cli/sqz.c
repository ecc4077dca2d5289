/*
** sqz.c: the squeeze command line, build/sqz, in the manner of the zstd tool
** (docs/sqz.md is its manual page).
**
**   sqz FILE              FILE -> FILE.sqz (FILE is kept; --rm removes it)
**   sqz -d FILE.sqz       FILE.sqz -> FILE
**   sqz -c FILE > out     to standard output; no FILE or '-': stdin to stdout
**   sqz -T2 -19 --codec zstd -o out.sqz FILE
**
** Compressing streams the input through the block pipeline of
** codecs/workers.h: the calling thread reads 1 MiB blocks and writes their
** encodings in order, the workers compress; memory is 2 x threads blocks
** in and out whatever the size of the file. The output is a version-4
** (streamed) squeeze frame (docs/format.md), which needs neither the size
** nor the checksum of the input before its first block; decompress() in SQL
** reads it, and sqz -d reads that and the version 1-2 frames compress()
** writes (saved with writefile()), several frames one after the other too.
**
** A file is written under a temporary name in its directory and renamed
** over the destination only once it is complete and verified: an error (a
** corrupt or truncated input, a full disk) leaves no partial output and an
** existing file as it was. Exit status: 0 success, 1 an error on some file,
** 2 a usage error.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "byteorder.h"
#include "frame.h"
#include "varint.h"

#include "squeeze.h" /* SQUEEZE_VERSION only: nothing of SQLite is linked */

#define SUFFIX ".sqz"
#define IO_CHUNK ((size_t)64 << 10)
/* Unblocked frames hold at most one block; their payload is read whole,
** up to this. */
#define UNBLOCKED_MAX ((size_t)1 << 30)

/* What the command line asked for. */
typedef struct options {
  int decompress, to_stdout, force, remove_source, test, verbosity; /* verbosity 0 -q, 1, 2 -v */
  int level, level_given;
  unsigned threads;
  const sqz_codec *codec;
  const char *output; /* -o */
} options;

/* One open input, read through a buffer. */
typedef struct reader {
  int fd;
  const char *name;
  uint8_t buf[IO_CHUNK];
  size_t pos, len;
  int eof;
  uint64_t consumed; /* bytes taken from the file */
} reader;

/* One output: a file descriptor, or none (-t). */
typedef struct writer {
  int fd; /* -1: discard */
  const char *name;
  uint64_t written;
} writer;

static const char *prog = "sqz";

/* Prints "sqz: <message>" on stderr. */
static void complain(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Fills r's buffer when empty; 0, or -1 on a read error (reported). */
static int fill(reader *r) {
  if (r->pos < r->len || r->eof) return 0;
  ssize_t n;
  do
    n = read(r->fd, r->buf, sizeof r->buf);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    complain("%s: read error: %s", r->name, strerror(errno));
    return -1;
  }
  r->pos = 0;
  r->len = (size_t)n;
  if (n == 0) r->eof = 1;
  return 0;
}

/* Reads up to n bytes into dst (fewer only at the end of the input).
** Returns the bytes read, or -1 on a read error. */
static long long read_some(reader *r, uint8_t *dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    if (fill(r) != 0) return -1;
    if (r->pos == r->len) break;
    size_t take = r->len - r->pos < n - got ? r->len - r->pos : n - got;
    memcpy(dst + got, r->buf + r->pos, take);
    r->pos += take;
    got += take;
    /* large reads bypass the buffer */
    while (n - got >= sizeof r->buf && r->pos == r->len) {
      ssize_t k = read(r->fd, dst + got, n - got);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) {
        complain("%s: read error: %s", r->name, strerror(errno));
        return -1;
      }
      if (k == 0) {
        r->eof = 1;
        break;
      }
      got += (size_t)k;
    }
    if (r->eof) break;
  }
  r->consumed += got;
  return (long long)got;
}

/* The next byte without taking it: 0..255, 256 at the end, -1 on error. */
static int peek_byte(reader *r) {
  if (fill(r) != 0) return -1;
  return r->pos < r->len ? r->buf[r->pos] : 256;
}

/* Reads exactly n bytes; 0, or a squeeze error (TRUNCATED at the end of
** the input, GENERIC for a read error). */
static size_t read_exact(reader *r, uint8_t *dst, size_t n) {
  long long got = read_some(r, dst, n);
  if (got < 0) return SQZ_ERROR(GENERIC);
  return (size_t)got == n ? 0 : SQZ_ERROR(TRUNCATED);
}

/* Reads a varint; 0 or an error. */
static size_t read_varint(reader *r, uint64_t *v) {
  uint8_t b[SQZ_VARINT_MAX];
  size_t n = 0;
  for (;;) {
    if (n == SQZ_VARINT_MAX) return SQZ_ERROR(CORRUPT);
    size_t e = read_exact(r, b + n, 1);
    if (e) return e;
    if (!(b[n++] & 0x80)) break;
  }
  size_t k = sqz_varint_read(b, n, v);
  return sqz_is_error(k) ? k : 0;
}

/* A frame's content size (a varint), then its checksum when it has one:
** 0, or the error of the read. */
static size_t read_size_checksum(reader *in, sqz_frame_info *info) {
  size_t e = read_varint(in, &info->content_size);
  uint8_t c[4];
  if (!e && info->has_checksum && !(e = read_exact(in, c, 4))) info->checksum = sqz_load32le(c);
  return e;
}

static size_t write_all(writer *w, const void *p, size_t n) {
  const uint8_t *s = p;
  w->written += n;
  if (w->fd < 0) return 0;
  while (n) {
    ssize_t k = write(w->fd, s, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      complain("%s: write error: %s", w->name, strerror(errno));
      return SQZ_ERROR(GENERIC);
    }
    s += k;
    n -= (size_t)k;
  }
  return 0;
}

/* ---- progress ----------------------------------------------------------- */

typedef struct progress {
  int on; /* stderr is a terminal and not -q */
  double last;
  const char *name;
} progress;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void show(progress *pg, uint64_t in, uint64_t out, int final) {
  if (!pg->on) return;
  double t = now();
  if (!final && t - pg->last < 0.2) return;
  pg->last = t;
  fprintf(stderr, "\r%s: %.1f MiB -> %.1f MiB%s", pg->name, (double)in / (1 << 20),
          (double)out / (1 << 20), final ? "\r\033[K" : "   ");
}

/* ---- compression --------------------------------------------------------- */

/* The state of one file's compression (the pipeline's opaque). */
typedef struct compress_run {
  reader *in;
  writer *out;
  const sqz_codec *codec;
  sqz_params params;
  size_t block, cap;
  XXH3_state_t *hash;
  uint64_t total;
  progress *pg;
} compress_run;

static size_t c_next(void *opaque, sqz_pipe_item *it) {
  compress_run *c = opaque;
  long long n = read_some(c->in, it->in, c->block);
  if (n < 0) return SQZ_ERROR(GENERIC);
  if (n == 0) return 0;
  it->src = it->in;
  it->n = (size_t)n;
  XXH3_64bits_update(c->hash, it->in, (size_t)n);
  c->total += (uint64_t)n;
  return 1;
}

static size_t c_work(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *it) {
  const compress_run *c = opaque;
  int stored;
  return sqz_frame_block_encode(ctx, it->out, c->cap, it->src, it->n, c->codec, &c->params, 0,
                                &stored);
}

static size_t c_emit(void *opaque, const sqz_pipe_item *it) {
  compress_run *c = opaque;
  /* a header of 0 is the end mark: never a block's (a block is n > 0 bytes) */
  if (it->out[0] == 0) return SQZ_ERROR(GENERIC);
  size_t r = write_all(c->out, it->out, it->out_n);
  show(c->pg, c->in->consumed, c->out->written, 0);
  return r;
}

/* Compresses in to out as one version-4 frame. 0 or an error. */
static size_t compress_stream(sqz_ctx *ctx, sqz_workers *w, const options *o, reader *in,
                              writer *out, progress *pg) {
  compress_run c = {in, out, o->codec, {0}, (size_t)1 << SQZ_FRAME_BLOCK_LOG, 0, NULL, 0, pg};
  c.params.level = o->level_given ? o->level : o->codec->default_level;
  c.cap = sqz_frame_block_capacity(o->codec, SQZ_FRAME_BLOCK_LOG);
  c.hash = XXH3_createState();
  if (!c.hash || c.cap == 0) return SQZ_ERROR(MEMORY);
  XXH3_64bits_reset_withSeed(c.hash, 0); /* the seed of a BLOB */
  uint8_t head[3] = {SQZ_FRAME_MAGIC_STREAM, (uint8_t)(o->codec->id | 0x40u | 0x80u),
                     SQZ_FRAME_BLOCK_LOG};
  size_t r = write_all(out, head, sizeof head);
  sqz_pipe p = {c.block, c.cap, c_next, c_work, c_emit, NULL, &c, 1};
  if (!r) r = sqz_pipe_run(w, ctx, o->threads, &p);
  if (!r) {
    uint8_t tail[1 + SQZ_VARINT_MAX + 4];
    size_t n = 0;
    tail[n++] = 0; /* the end mark */
    n += sqz_varint_put(tail + n, SQZ_VARINT_MAX, c.total);
    sqz_store32le(tail + n, (uint32_t)XXH3_64bits_digest(c.hash));
    n += 4;
    r = write_all(out, tail, n);
  }
  XXH3_freeState(c.hash);
  return r;
}

/* ---- decompression ------------------------------------------------------- */

/* The state of one frame's decompression (the pipeline's opaque). */
typedef struct decompress_run {
  reader *in;
  writer *out;
  const sqz_codec *codec;
  sqz_frame_info info;
  size_t block, cap;
  uint64_t blocks_read, total; /* blocks taken, bytes they decode to */
  int ended;                   /* the frame's last block was taken */
  XXH3_state_t *hash;
  progress *pg;
} decompress_run;

/* Version 4: after a block, an end mark and the trailer may follow, which
** say how large the last block is. Reads them when they come. */
static size_t stream_tail(decompress_run *d, uint64_t *last_n) {
  int b = peek_byte(d->in);
  if (b < 0) return SQZ_ERROR(GENERIC);
  if (b == 256) return SQZ_ERROR(TRUNCATED);
  if (b != 0) return 0;
  uint8_t mark;
  size_t e = read_exact(d->in, &mark, 1);
  if (!e) e = read_size_checksum(d->in, &d->info);
  if (e) return e;
  uint64_t full = (d->blocks_read - 1) * (uint64_t)d->block;
  if (d->info.content_size <= full || d->info.content_size - full > d->block)
    return SQZ_ERROR(CORRUPT);
  *last_n = d->info.content_size - full;
  d->ended = 1;
  return 0;
}

static size_t d_next(void *opaque, sqz_pipe_item *it) {
  decompress_run *d = opaque;
  int stream = d->info.version == SQZ_FRAME_VERSION_STREAM;
  if (d->ended) return 0;
  if (!stream && d->total >= d->info.content_size) return 0;
  uint64_t h;
  size_t e = read_varint(d->in, &h);
  if (e) return e;
  if (h == 0 && stream && d->blocks_read == 0) {
    /* an empty input: the end mark, then the trailer, at once */
    e = read_size_checksum(d->in, &d->info);
    if (e) return e;
    d->ended = 1;
    return d->info.content_size == 0 ? 0 : SQZ_ERROR(CORRUPT);
  }
  uint64_t csize = h >> 1;
  if (csize == 0 && !(h & 1)) return SQZ_ERROR(CORRUPT);
  if (csize > d->cap) return SQZ_ERROR(CORRUPT);
  e = read_exact(d->in, it->in, (size_t)csize);
  if (e) return e;
  d->blocks_read++;
  uint64_t n = d->block;
  if (stream) {
    e = stream_tail(d, &n);
    if (e) return e;
  } else if (d->info.content_size - d->total < n) {
    n = d->info.content_size - d->total;
  }
  it->src = it->in;
  it->n = (size_t)csize;
  it->aux = n << 1 | (h & 1);
  d->total += n;
  return 1;
}

static size_t d_work(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *it) {
  const decompress_run *d = opaque;
  size_t n = (size_t)(it->aux >> 1);
  return sqz_frame_block_decode(ctx, d->codec, NULL, it->out, n, it->src, it->n,
                                (int)(it->aux & 1));
}

static size_t d_emit(void *opaque, const sqz_pipe_item *it) {
  decompress_run *d = opaque;
  XXH3_64bits_update(d->hash, it->out, it->out_n);
  size_t r = write_all(d->out, it->out, it->out_n);
  show(d->pg, d->in->consumed, d->out->written, 0);
  return r;
}

/* Reads the header of a squeeze frame whose first byte is magic into
** d->info (a stream frame's size and checksum come at its end). */
static size_t read_header(decompress_run *d, uint8_t magic) {
  sqz_frame_info *info = &d->info;
  memset(info, 0, sizeof(*info));
  info->type = SQZ_FRAME_SQUEEZE;
  if ((magic & 0xF0u) != 0xC0u) return SQZ_ERROR(CORRUPT);
  info->version = magic & 0x0Fu;
  if (info->version > SQZ_FRAME_VERSION_MAX) return SQZ_ERROR(VERSION);
  if (info->version < SQZ_FRAME_VERSION_MIN) return SQZ_ERROR(CORRUPT);
  if (info->version == 3) return SQZ_ERROR(DICTIONARY);
  uint8_t desc;
  size_t e = read_exact(d->in, &desc, 1);
  if (e) return e;
  info->codec_id = desc & 0x1Fu;
  info->is_text = (desc & 0x20u) != 0;
  info->has_checksum = (desc & 0x40u) != 0;
  info->blocked = (desc & 0x80u) != 0;
  d->codec = sqz_codec_by_id(info->codec_id);
  if (!d->codec) return SQZ_ERROR(UNKNOWN_CODEC);
  if (info->version != SQZ_FRAME_VERSION_STREAM) {
    if ((e = read_size_checksum(d->in, info)) != 0) return e;
  } else if (!info->blocked) {
    return SQZ_ERROR(CORRUPT);
  }
  if (info->blocked) {
    uint8_t log;
    if ((e = read_exact(d->in, &log, 1)) != 0) return e;
    if (log < SQZ_FRAME_BLOCK_LOG_MIN || log > SQZ_FRAME_BLOCK_LOG_MAX) return SQZ_ERROR(CORRUPT);
    info->block_log = log;
    if (info->version != SQZ_FRAME_VERSION_STREAM && info->content_size <= ((uint64_t)1 << log))
      return SQZ_ERROR(CORRUPT);
  }
  return 0;
}

/* An unblocked frame: the rest of the input is its payload. */
static size_t decompress_unblocked(sqz_ctx *ctx, decompress_run *d) {
  if (d->info.content_size > UNBLOCKED_MAX) return SQZ_ERROR(TOO_LARGE);
  size_t cap = IO_CHUNK, len = 0;
  uint8_t *src = malloc(cap);
  uint8_t *dst = malloc(d->info.content_size ? (size_t)d->info.content_size : 1);
  size_t r = src && dst ? 0 : SQZ_ERROR(MEMORY);
  while (!r) {
    if (len == cap) {
      uint8_t *p = cap < UNBLOCKED_MAX ? realloc(src, cap * 2) : NULL;
      if (!p) {
        r = SQZ_ERROR(MEMORY);
        break;
      }
      src = p;
      cap *= 2;
    }
    long long n = read_some(d->in, src + len, cap - len);
    if (n < 0) r = SQZ_ERROR(GENERIC);
    if (n <= 0) break;
    len += (size_t)n;
  }
  if (!r) {
    r = sqz_frame_block_decode(ctx, d->codec, NULL, dst, (size_t)d->info.content_size, src, len, 0);
    if (!sqz_is_error(r)) {
      XXH3_64bits_update(d->hash, dst, (size_t)d->info.content_size);
      r = write_all(d->out, dst, (size_t)d->info.content_size);
    }
  }
  free(src);
  free(dst);
  return sqz_is_error(r) ? r : 0;
}

/* Decompresses every frame of in to out. 0 or an error. */
static size_t decompress_stream(sqz_ctx *ctx, sqz_workers *w, const options *o, reader *in,
                                writer *out, progress *pg) {
  size_t r = 0;
  int frames = 0;
  XXH3_state_t *hash = XXH3_createState();
  if (!hash) return SQZ_ERROR(MEMORY);
  for (;;) {
    uint8_t magic;
    long long got = read_some(in, &magic, 1);
    if (got < 0) {
      r = SQZ_ERROR(GENERIC);
      break;
    }
    if (got == 0) {
      if (frames == 0) r = SQZ_ERROR(TRUNCATED);
      break;
    }
    decompress_run d = {in, out, NULL, {0}, 0, 0, 0, 0, 0, hash, pg};
    if ((r = read_header(&d, magic)) != 0) break;
    sqz_frame_info *info = &d.info;
    XXH3_64bits_reset_withSeed(hash, info->version >= 2 && info->is_text ? 1 : 0);
    if (!info->blocked) {
      r = decompress_unblocked(ctx, &d);
    } else {
      d.block = (size_t)1 << info->block_log;
      d.cap = sqz_frame_block_capacity(d.codec, info->block_log);
      if (d.cap == 0) {
        r = SQZ_ERROR(CORRUPT);
        break;
      }
      sqz_pipe p = {d.cap, d.block, d_next, d_work, d_emit, NULL, &d, 1};
      r = sqz_pipe_run(w, ctx, o->threads, &p);
      if (!r && d.total != info->content_size) r = SQZ_ERROR(CORRUPT);
    }
    if (r) break;
    if (info->has_checksum && (uint32_t)XXH3_64bits_digest(hash) != info->checksum) {
      r = SQZ_ERROR(CHECKSUM);
      break;
    }
    frames++;
  }
  XXH3_freeState(hash);
  return r;
}

/* ---- files --------------------------------------------------------------- */

/* What went wrong, for a message. */
static const char *why(size_t r) {
  switch (sqz_error_of(r)) {
  case SQZ_ERROR_TRUNCATED:
    return "truncated input (the file ends inside a frame)";
  case SQZ_ERROR_CORRUPT:
    return "not a squeeze file, or a corrupt one";
  case SQZ_ERROR_DICTIONARY:
    return "the frame needs a trained dictionary: decompress it in SQL";
  default:
    return sqz_error_string(r);
  }
}

/* The output name for input name: name.sqz, or name without .sqz. NULL
** (after a message) when there is none. Caller frees. */
static char *output_name(const options *o, const char *name) {
  size_t n = strlen(name), s = strlen(SUFFIX);
  if (!o->decompress) {
    char *out = malloc(n + s + 1);
    if (out) memcpy(out, name, n), memcpy(out + n, SUFFIX, s + 1);
    return out;
  }
  if (n <= s || strcmp(name + n - s, SUFFIX) != 0) {
    complain("%s: unknown suffix (expected %s; use -o or -c)", name, SUFFIX);
    return NULL;
  }
  char *out = malloc(n - s + 1);
  if (out) memcpy(out, name, n - s), out[n - s] = 0;
  return out;
}

/* Processes one input (NULL: stdin). Returns 0 or 1 (an error, reported). */
static int process(sqz_ctx *ctx, sqz_workers *w, const options *o, const char *name) {
  int in_fd = 0, out_fd = 1, status = 1;
  char *dest = NULL, *tmp = NULL;
  const char *in_name = name ? name : "(stdin)";
  reader *in = malloc(sizeof(*in));
  if (!in) return complain("out of memory"), 1;
  if (name) {
    in_fd = open(name, O_RDONLY);
    if (in_fd < 0) {
      complain("%s: %s", name, strerror(errno));
      free(in);
      return 1;
    }
  }
  *in = (reader){in_fd, in_name, {0}, 0, 0, 0, 0};
  int to_file = !o->to_stdout && !o->test && (o->output || name);
  if (to_file) {
    dest = o->output ? strdup(o->output) : output_name(o, name);
    if (!dest) goto done;
    struct stat st;
    if (!o->force && stat(dest, &st) == 0) {
      complain("%s already exists; not overwritten (use -f)", dest);
      goto done;
    }
    /* the temporary file in the destination's directory, renamed at the end */
    size_t n = strlen(dest);
    tmp = malloc(n + 16);
    if (!tmp) goto done;
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", dest);
    out_fd = mkstemp(tmp);
    if (out_fd < 0) {
      complain("%s: %s", dest, strerror(errno));
      free(tmp);
      tmp = NULL;
      goto done;
    }
  } else if (!o->test && !o->decompress && isatty(1)) {
    complain("not writing compressed data to a terminal (use -o or redirect)");
    goto done;
  }
  writer out = {o->test ? -1 : out_fd, dest ? dest : "(stdout)", 0};
  progress pg = {!o->to_stdout && o->verbosity > 0 && isatty(2), 0, in_name};
  size_t r = o->decompress || o->test ? decompress_stream(ctx, w, o, in, &out, &pg)
                                      : compress_stream(ctx, w, o, in, &out, &pg);
  if (tmp && close(out_fd) != 0 && !r) {
    complain("%s: %s", dest, strerror(errno));
    r = SQZ_ERROR(GENERIC);
  }
  out_fd = -1;
  show(&pg, in->consumed, out.written, 1);
  if (r) {
    if (sqz_error_of(r) != SQZ_ERROR_GENERIC || !sqz_is_error(r))
      complain("%s: %s", in_name, why(r));
    goto done;
  }
  if (tmp) {
    struct stat st;
    if (name && stat(name, &st) == 0) chmod(tmp, st.st_mode & 07777);
    if (rename(tmp, dest) != 0) {
      complain("%s: %s", dest, strerror(errno));
      goto done;
    }
    free(tmp);
    tmp = NULL;
  }
  if (o->verbosity > 1 || (o->verbosity == 1 && isatty(2) && !o->to_stdout)) {
    double pct = in->consumed ? 100.0 * (double)out.written / (double)in->consumed : 0;
    fprintf(stderr, "%s: %llu -> %llu bytes (%.1f%%)%s%s\n", in_name,
            (unsigned long long)in->consumed, (unsigned long long)out.written, pct,
            dest ? ", " : "", dest ? dest : "");
  }
  if (o->remove_source && name && dest && unlink(name) != 0) {
    complain("%s: %s", name, strerror(errno));
    goto done;
  }
  status = 0;
done:
  if (tmp) {
    if (out_fd >= 0) close(out_fd);
    unlink(tmp);
    free(tmp);
  }
  if (name) close(in_fd);
  free(dest);
  free(in);
  return status;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] [FILE...]   compress FILE to FILE.sqz (stdin to stdout without "
          "FILE)\n"
          "  -d, --decompress   decompress FILE.sqz to FILE\n"
          "  -t, --test         decompress and check, write nothing\n"
          "  -c, --stdout       write to standard output\n"
          "  -o FILE            write to FILE (one input only)\n"
          "  -k, --keep         keep the input (the default)\n"
          "      --rm           remove the input once the output is written\n"
          "  -f, --force        overwrite an existing output\n"
          "  -#                 level (1-19 and more as the codec takes; zstd's default 3)\n"
          "  --codec NAME       zstd (default), lz4, lz4hc, huffman, rle, lz77, store\n"
          "  -T#                threads (0: one per core; default 1)\n"
          "  -q, --quiet        no progress and no summary;  -v, --verbose  a summary always\n"
          "  -V, --version      the version;  -h, --help  this text\n"
          "exit status: 0 success, 1 an error on some file, 2 a usage error\n",
          prog);
}

/* Applies the flag c (a short option without argument) to o. 0, or 1 when
** the program is done (help, version), -1 for an unknown flag. */
static int apply_flag(options *o, char c) {
  switch (c) {
  case 'd':
    o->decompress = 1;
    return 0;
  case 'c':
    o->to_stdout = 1;
    return 0;
  case 'k':
    return 0; /* keeping the input is the default */
  case 'f':
    o->force = 1;
    return 0;
  case 'q':
    o->verbosity = 0;
    return 0;
  case 'v':
    o->verbosity = 2;
    return 0;
  case 't':
    o->test = 1;
    return 0;
  case 'h':
    usage(stdout);
    return 1;
  case 'V':
    printf("sqz (squeeze %s)\n", SQUEEZE_VERSION);
    return 1;
  default:
    return -1;
  }
}

/* Reads argv into o and files. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, options *o, const char **files, int *nfiles) {
  static const char *longs[] = {"--decompress", "--stdout", "--keep", "--force",  "--quiet",
                                "--verbose",    "--test",   "--help", "--version"};
  static const char shorts[] = "dckfqvthV";
  int options_end = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (options_end || a[0] != '-' || a[1] == 0) {
      files[(*nfiles)++] = a;
    } else if (!strcmp(a, "--")) {
      options_end = 1;
    } else if (!strcmp(a, "--codec") || !strncmp(a, "--codec=", 8)) {
      const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
      o->codec = v ? sqz_codec_by_name(v) : NULL;
      if (!o->codec || o->codec->kind != SQZ_KIND_BYTES) {
        complain("--codec: '%s' is not a codec of bytes (zstd, lz4, lz4hc, huffman, rle, lz77, "
                 "store)",
                 v ? v : "");
        return 2;
      }
    } else if (!strcmp(a, "--rm")) {
      o->remove_source = 1;
    } else if (a[1] == '-') {
      size_t k = 0;
      while (k < sizeof longs / sizeof longs[0] && strcmp(a, longs[k]))
        k++;
      int r = k < sizeof longs / sizeof longs[0] ? apply_flag(o, shorts[k]) : -1;
      if (r < 0) complain("unknown option %s (see %s -h)", a, prog);
      if (r) return r < 0 ? 2 : 0;
    } else {
      for (const char *p = a + 1; *p; p++) {
        if (*p >= '0' && *p <= '9') { /* -# */
          char *end;
          long v = strtol(p, &end, 10);
          o->level = v > 1000 ? 1000 : (int)v;
          o->level_given = 1;
          p = end - 1;
        } else if (*p == 'o') { /* -o FILE or -oFILE */
          o->output = p[1] ? p + 1 : i + 1 < argc ? argv[++i] : NULL;
          if (!o->output) {
            complain("-o needs a file name");
            return 2;
          }
          break;
        } else if (*p == 'T') { /* -T# */
          char *end;
          long v = strtol(p + 1, &end, 10);
          if (end == p + 1 || *end || v < 0 || v > SQZ_THREADS_MAX) {
            complain("-T takes a number of threads from 0 to %d, not '%s'", SQZ_THREADS_MAX, p + 1);
            return 2;
          }
          if (v == 0) v = sysconf(_SC_NPROCESSORS_ONLN);
          o->threads = v < 1 ? 1 : v > SQZ_THREADS_MAX ? SQZ_THREADS_MAX : (unsigned)v;
          break;
        } else {
          int r = apply_flag(o, *p);
          if (r < 0) complain("unknown option -%c (see %s -h)", *p, prog);
          if (r) return r < 0 ? 2 : 0;
        }
      }
    }
  }
  if (o->level_given && (o->level < o->codec->min_level || o->level > o->codec->max_level)) {
    complain("level %d out of range for %s (%d..%d)", o->level, o->codec->name, o->codec->min_level,
             o->codec->max_level);
    return 2;
  }
  if (o->output && *nfiles > 1) {
    complain("-o takes one input, not %d", *nfiles);
    return 2;
  }
  if (o->output && o->to_stdout) {
    complain("-o and -c cannot be combined");
    return 2;
  }
  return -1;
}

int main(int argc, char **argv) {
  options o = {0, 0, 0, 0, 0, 1, 0, 0, 1, &sqz_codec_zstd, NULL};
  const char **files = calloc((size_t)argc, sizeof(char *));
  int nfiles = 0;
  if (!files) return 1;
  int r = parse_args(argc, argv, &o, files, &nfiles);
  if (r >= 0) {
    free(files);
    return r;
  }
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  sqz_workers *w = o.threads > 1 ? sqz_workers_create(NULL) : NULL;
  if (!ctx || (o.threads > 1 && !w)) {
    complain("out of memory");
    return 1;
  }
  int status = 0;
  if (nfiles == 0 && isatty(0)) {
    complain("not reading from a terminal (give a FILE, or redirect the input; see %s -h)", prog);
    status = 1;
  } else if (nfiles == 0) {
    status |= process(ctx, w, &o, NULL);
  }
  for (int i = 0; i < nfiles; i++)
    status |= process(ctx, w, &o, strcmp(files[i], "-") ? files[i] : NULL);
  sqz_workers_free(w);
  sqz_ctx_free(ctx);
  free(files);
  return status;
}

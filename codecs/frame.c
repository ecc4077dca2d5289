/*
** frame.c: writing and reading squeeze frames (frame.h, docs/format.md).
**
** Reading trusts nothing: every size read from a header is checked against
** the bytes that remain before it is used, block counts are derived from the
** declared content size and checked against the blocks actually present, and
** the output of each block must be exactly the size the header implies.
** Standard zstd and LZ4 frames are handed to foreign_frame.c.
*/
#include "frame.h"

#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "byteorder.h"
#include "checked.h"
#include "dictionary.h"
#include "foreign_frame.h"
#include "varint.h"

#define DESC_CODEC_MASK 0x1Fu
#define DESC_TEXT 0x20u
#define DESC_CHECKSUM 0x40u
#define DESC_BLOCKED 0x80u

uint32_t sqz_checksum(const void *p, size_t n) {
  return (uint32_t)XXH3_64bits(p, n);
}

uint32_t sqz_frame_checksum(const void *p, size_t n, unsigned version, int is_text) {
  if (version < 2) return sqz_checksum(p, n);
  return (uint32_t)XXH3_64bits_withSeed(p, n, is_text ? 1 : 0);
}

/* The rest of a version-4 (streamed) frame after its two first bytes, at
** pos: block_log, the blocks up to the end mark, then the trailer with the
** content size and the checksum; see sqz_frame_parse. */
static size_t parse_stream(sqz_frame_info *info, const uint8_t *s, size_t srcSize, size_t pos) {
  if (!info->blocked) return SQZ_ERROR(CORRUPT);
  if (pos >= srcSize) return SQZ_ERROR(TRUNCATED);
  info->block_log = s[pos++];
  if (info->block_log < SQZ_FRAME_BLOCK_LOG_MIN || info->block_log > SQZ_FRAME_BLOCK_LOG_MAX)
    return SQZ_ERROR(CORRUPT);
  info->header_size = pos;
  uint64_t blocks = 0, h;
  for (;;) {
    size_t err = sqz_varint_take(s, srcSize, &pos, &h);
    if (err) return err;
    if (h == 0) break; /* the end mark */
    if ((h >> 1) > srcSize - pos) return SQZ_ERROR(TRUNCATED);
    pos += (size_t)(h >> 1);
    blocks++;
  }
  info->blocks_end = pos - 1;
  size_t err = sqz_varint_take(s, srcSize, &pos, &info->content_size);
  if (err) return err;
  if (info->content_size == SQZ_CONTENT_SIZE_UNKNOWN) return SQZ_ERROR(CORRUPT);
  if (info->has_checksum) {
    if (srcSize - pos < 4) return SQZ_ERROR(TRUNCATED);
    info->checksum = sqz_load32le(s + pos);
    pos += 4;
  }
  if (pos != srcSize) return SQZ_ERROR(CORRUPT);
  uint64_t want = info->content_size ? ((info->content_size - 1) >> info->block_log) + 1 : 0;
  if (blocks != want) return SQZ_ERROR(CORRUPT);
  return info->header_size;
}

size_t sqz_frame_parse(sqz_frame_info *info, const void *src, size_t srcSize) {
  const uint8_t *s = src;
  memset(info, 0, sizeof(*info));
  /* A squeeze frame's first byte, 0xC?, starts neither a zstd frame (28),
  ** a skippable one (5?) nor an LZ4 frame (04). */
  if (srcSize >= 4 && (s[0] & 0xF0u) != (SQZ_FRAME_MAGIC & 0xF0u)) {
    size_t r = sqz_foreign_parse(info, s, srcSize);
    if (r != 0) return r; /* a zstd or LZ4 frame, or an error in one */
  }
  if (srcSize < 1) return SQZ_ERROR(TRUNCATED);
  if ((s[0] & 0xF0u) != (SQZ_FRAME_MAGIC & 0xF0u)) return SQZ_ERROR(CORRUPT);
  unsigned version = s[0] & 0x0Fu;
  if (version > SQZ_FRAME_VERSION_MAX) return SQZ_ERROR(VERSION);
  if (version < SQZ_FRAME_VERSION_MIN) return SQZ_ERROR(CORRUPT); /* 0 was never a version */
  info->version = version;
  if (srcSize < 3) return SQZ_ERROR(TRUNCATED);
  info->type = SQZ_FRAME_SQUEEZE;
  info->blocks_end = srcSize;
  info->codec_id = s[1] & DESC_CODEC_MASK;
  info->is_text = (s[1] & DESC_TEXT) != 0;
  info->has_checksum = (s[1] & DESC_CHECKSUM) != 0;
  info->blocked = (s[1] & DESC_BLOCKED) != 0;
  if (!sqz_codec_by_id(info->codec_id)) return SQZ_ERROR(UNKNOWN_CODEC);
  size_t pos = 2;
  if (version == SQZ_FRAME_VERSION_STREAM) return parse_stream(info, s, srcSize, pos);
  size_t n = sqz_varint_read(s + pos, srcSize - pos, &info->content_size);
  if (sqz_is_error(n)) return n;
  if (info->content_size == SQZ_CONTENT_SIZE_UNKNOWN) return SQZ_ERROR(CORRUPT);
  pos += n;
  if (info->has_checksum) {
    if (srcSize - pos < 4) return SQZ_ERROR(TRUNCATED);
    info->checksum = sqz_load32le(s + pos);
    pos += 4;
  }
  if (version >= 3) {
    /* the dictionary reference: id, then the tag */
    const sqz_codec *codec = sqz_codec_by_id(info->codec_id);
    if (!codec->decompress_dict) return SQZ_ERROR(CORRUPT);
    n = sqz_varint_read(s + pos, srcSize - pos, &info->dict_id);
    if (sqz_is_error(n)) return n;
    if (info->dict_id == 0 || info->dict_id > (uint64_t)INT64_MAX) return SQZ_ERROR(CORRUPT);
    pos += n;
    info->dict_tag_bytes = info->has_checksum ? 2 : 4;
    if (srcSize - pos < info->dict_tag_bytes) return SQZ_ERROR(TRUNCATED);
    info->dict_tag = info->dict_tag_bytes == 4 ? sqz_load32le(s + pos) : sqz_load16le(s + pos);
    pos += info->dict_tag_bytes;
  }
  if (info->blocked) {
    if (pos >= srcSize) return SQZ_ERROR(TRUNCATED);
    info->block_log = s[pos++];
    if (info->block_log < SQZ_FRAME_BLOCK_LOG_MIN || info->block_log > SQZ_FRAME_BLOCK_LOG_MAX)
      return SQZ_ERROR(CORRUPT);
    /* A blocked frame holds at least two blocks. */
    if (info->content_size <= ((uint64_t)1 << info->block_log)) return SQZ_ERROR(CORRUPT);
  }
  info->header_size = pos;
  return pos;
}

size_t sqz_frame_bound_blocks(const sqz_codec *codec, size_t srcSize, unsigned block_log) {
  if (block_log == 0) block_log = SQZ_FRAME_BLOCK_LOG;
  if (block_log < SQZ_FRAME_BLOCK_LOG_MIN || block_log > SQZ_FRAME_BLOCK_LOG_MAX) return 0;
  size_t block = (size_t)1 << block_log;
  size_t blocks = srcSize / block + 1;
  size_t piece = srcSize < block ? srcSize : block; /* largest piece a codec sees */
  size_t per_block = codec->bound(piece);
  if (per_block == 0 && srcSize > 0) return 0;
  if (per_block < piece) per_block = piece; /* room for a stored piece */
  /* header + block_log byte + per block a varint header and its payload */
  size_t total;
  if (sqz_add_overflow(per_block, SQZ_VARINT_MAX, &per_block) ||
      sqz_mul_overflow(blocks, per_block, &total) ||
      sqz_add_overflow(total, SQZ_FRAME_HEADER_MAX + 1, &total))
    return 0;
  return total;
}

size_t sqz_frame_bound(const sqz_codec *codec, size_t srcSize) {
  return sqz_frame_bound_blocks(codec, srcSize, 0);
}

/* Compresses one piece of n bytes into dst; returns its size, or n with
** *stored set when the codec would not shrink it (dst then holds a copy).
** With keep set the codec's output is used even when it is not smaller. */
static size_t compress_piece(sqz_ctx *ctx, uint8_t *dst, size_t cap, const uint8_t *src, size_t n,
                             const sqz_codec *codec, const sqz_params *params, int keep,
                             int *stored) {
  *stored = 0;
  if (codec->id != SQZ_ID_STORE && (n > 0 || keep)) {
    size_t bound = codec->bound(n);
    if (bound == 0) return SQZ_ERROR(PARAMETER);
    if (cap >= bound) {
      size_t r = codec->compress(ctx, dst, cap, src, n, params);
      if (sqz_is_error(r)) return r;
      if (r < n || keep) return r;
    } else {
      /* Compress into scratch: the result may still fit under n bytes. */
      uint8_t *tmp = sqz_scratch_acquire(ctx, bound);
      if (!tmp) return SQZ_ERROR(MEMORY);
      size_t r = codec->compress(ctx, tmp, bound, src, n, params);
      if (!sqz_is_error(r) && (r < n || keep) && r <= cap) memcpy(dst, tmp, r);
      sqz_scratch_release(ctx, tmp);
      if (sqz_is_error(r)) return r;
      if (r < n || keep) return r <= cap ? r : SQZ_ERROR(DST_TOO_SMALL);
    }
  }
  if (cap < n) return SQZ_ERROR(DST_TOO_SMALL);
  if (n) memcpy(dst, src, n);
  *stored = 1;
  return n;
}

/* Turns the version-3 frame of end bytes at d, whose pieces all ended up
** stored, into the version-2 frame of a stored value: no dictionary needed,
** so none is referenced. The checksum is the same in both versions. Returns
** the new size. */
static size_t drop_dict_ref(uint8_t *d, size_t ref_pos, size_t ref_len, size_t end) {
  d[0] = SQZ_FRAME_MAGIC;
  memmove(d + ref_pos, d + ref_pos + ref_len, end - ref_pos - ref_len);
  return end - ref_len;
}

/* Makes room in out for want more bytes: grows it when it can. 0 or an
** error (DST_TOO_SMALL for a fixed buffer). */
static size_t out_reserve(sqz_frame_out *out, size_t want) {
  if (out->cap - out->size >= want) return 0;
  if (!out->grow) return SQZ_ERROR(DST_TOO_SMALL);
  size_t need;
  if (sqz_add_overflow(out->size, want, &need)) return SQZ_ERROR(TOO_LARGE);
  return out->grow(out, need);
}

size_t sqz_frame_out_append(sqz_frame_out *out, const void *p, size_t n) {
  size_t r = out_reserve(out, n);
  if (r) return r;
  if (n) memcpy(out->p + out->size, p, n);
  out->size += n;
  return 0;
}

size_t sqz_frame_block_capacity(const sqz_codec *codec, unsigned block_log) {
  size_t block = (size_t)1 << block_log;
  size_t bound = codec->bound(block);
  if (bound == 0) return 0;
  return (bound > block ? bound : block) + SQZ_VARINT_MAX;
}

size_t sqz_frame_block_encode(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                              const sqz_codec *codec, const sqz_params *params, int keep,
                              int *stored) {
  /* Compress after room for the largest block header, then move the
  ** payload down to sit right after the real header. */
  uint8_t *d = dst;
  if (cap < SQZ_VARINT_MAX) return SQZ_ERROR(DST_TOO_SMALL);
  uint8_t *payload = d + SQZ_VARINT_MAX;
  size_t r =
      compress_piece(ctx, payload, cap - SQZ_VARINT_MAX, src, n, codec, params, keep, stored);
  if (sqz_is_error(r)) return r;
  size_t h = sqz_varint_put(d, SQZ_VARINT_MAX, ((uint64_t)r << 1) | (unsigned)*stored);
  memmove(d + h, payload, r);
  return h + r;
}

/* The blocks of one value being compressed (the pipeline's opaque). */
typedef struct compress_job {
  const uint8_t *src;
  size_t size, block, off;
  const sqz_codec *codec;
  const sqz_params *params;
  int keep;
  int all_stored;
  size_t cap; /* bytes of each item's output buffer */
  sqz_frame_out *out;
  XXH3_state_t *hash; /* the checksum, computed block by block while the workers
                         compress, or NULL */
} compress_job;

static size_t compress_next(void *opaque, sqz_pipe_item *it) {
  compress_job *j = opaque;
  if (j->off >= j->size) return 0;
  it->src = j->src + j->off;
  it->n = j->size - j->off < j->block ? j->size - j->off : j->block;
  j->off += it->n;
  if (j->hash) XXH3_64bits_update(j->hash, it->src, it->n);
  return 1;
}

static size_t compress_stop(void *opaque) {
  compress_job *j = opaque;
  return j->out->stop(j->out);
}

static size_t compress_work(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *it) {
  const compress_job *j = opaque;
  int stored;
  return sqz_frame_block_encode(ctx, it->out, j->cap, it->src, it->n, j->codec, j->params, j->keep,
                                &stored);
}

static size_t compress_emit(void *opaque, const sqz_pipe_item *it) {
  compress_job *j = opaque;
  j->all_stored &= it->out[0] & 1; /* the block header's low bit: stored */
  return sqz_frame_out_append(j->out, it->out, it->out_n);
}

size_t sqz_frame_compress_out(sqz_ctx *ctx, sqz_workers *w, unsigned threads, sqz_frame_out *out,
                              const void *src, size_t srcSize, const sqz_codec *codec,
                              const sqz_params *params, unsigned flags, unsigned block_log) {
  const uint8_t *s = src;
  if (block_log == 0) block_log = SQZ_FRAME_BLOCK_LOG;
  if (block_log < SQZ_FRAME_BLOCK_LOG_MIN || block_log > SQZ_FRAME_BLOCK_LOG_MAX)
    return SQZ_ERROR(PARAMETER);
  if (codec->kind != SQZ_KIND_BYTES && codec->kind != SQZ_KIND_TEXT && srcSize % 8 != 0)
    return SQZ_ERROR(SRC_SIZE);
  if (params->level < codec->min_level || params->level > codec->max_level) return SQZ_ERROR(LEVEL);
  size_t block = (size_t)1 << block_log;
  int blocked = srcSize > block;
  int checksum = !(flags & SQZ_FRAME_NO_CHECKSUM);
  int keep = (flags & SQZ_FRAME_KEEP_CODEC) != 0;
  if (params->dict && (!codec->decompress_dict || keep || params->dict_id == 0 ||
                       params->dict_id > (uint64_t)INT64_MAX))
    return SQZ_ERROR(PARAMETER);

  /* Header; the codec id byte is patched once we know whether it stored. */
  size_t start = out->size;
  size_t r = out_reserve(out, SQZ_FRAME_HEADER_MAX + 1);
  if (r) return r;
  uint8_t *d = out->p + start;
  size_t pos = 0;
  d[pos++] = params->dict ? SQZ_FRAME_MAGIC_DICT : SQZ_FRAME_MAGIC;
  size_t desc_pos = pos++;
  uint8_t desc = (flags & SQZ_FRAME_TEXT ? DESC_TEXT : 0) | (checksum ? DESC_CHECKSUM : 0) |
                 (blocked ? DESC_BLOCKED : 0);
  pos += sqz_varint_put(d + pos, SQZ_VARINT_MAX, srcSize);
  size_t checksum_pos = pos;
  if (checksum) {
    /* a blocked value's checksum is computed with its blocks, and written below */
    uint32_t c = blocked ? 0 : sqz_frame_checksum(s, srcSize, d[0] & 0x0Fu, desc & DESC_TEXT);
    sqz_store32le(d + pos, c);
    pos += 4;
  }
  /* Version 3: the dictionary reference, dropped again below when every
  ** piece is stored. */
  size_t ref_pos = pos;
  if (params->dict) {
    pos += sqz_varint_put(d + pos, SQZ_VARINT_MAX, params->dict_id);
    uint32_t tag = sqz_hash128_tag(sqz_dictionary_hash(params->dict), checksum ? 2 : 4);
    if (checksum) {
      sqz_store16le(d + pos, (uint16_t)tag);
      pos += 2;
    } else {
      sqz_store32le(d + pos, tag);
      pos += 4;
    }
  }
  size_t ref_len = pos - ref_pos;

  int all_stored;
  if (!blocked) {
    size_t bound = codec->bound(srcSize);
    if (codec->id != SQZ_ID_STORE && bound == 0 && srcSize > 0) return SQZ_ERROR(PARAMETER);
    /* room for the codec's bound, or for a stored copy, when the buffer grows */
    if (out->grow && (r = out_reserve(out, pos + (bound > srcSize ? bound : srcSize))) != 0)
      return r;
    d = out->p + start;
    r = compress_piece(ctx, d + pos, out->cap - start - pos, s, srcSize, codec, params, keep,
                       &all_stored);
    if (sqz_is_error(r)) return r;
    out->size = start + pos + r;
  } else {
    d[pos++] = (uint8_t)block_log;
    out->size = start + pos;
    size_t cap = sqz_frame_block_capacity(codec, block_log);
    if (cap == 0) return SQZ_ERROR(PARAMETER);
    XXH3_state_t hash;
    XXH3_INITSTATE(&hash);
    /* the seed of sqz_frame_checksum for versions 2 and 3: the type */
    if (checksum) XXH3_64bits_reset_withSeed(&hash, (flags & SQZ_FRAME_TEXT) ? 1 : 0);
    compress_job j = {
        s, srcSize, block, 0, codec, params, keep, 1, cap, out, checksum ? &hash : NULL};
    sqz_pipe p = {
        0,  cap, compress_next, compress_work, compress_emit, out->stop ? compress_stop : NULL,
        &j, 0};
    r = sqz_pipe_run(w, ctx, threads, &p);
    if (r) return r;
    all_stored = j.all_stored;
    d = out->p + start;
    if (checksum) sqz_store32le(d + checksum_pos, (uint32_t)XXH3_64bits_digest(&hash));
  }
  d[desc_pos] = desc | (uint8_t)(all_stored ? SQZ_ID_STORE : codec->id);
  if (all_stored && ref_len)
    out->size = start + drop_dict_ref(d, ref_pos, ref_len, out->size - start);
  return out->size - start;
}

size_t sqz_frame_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                          size_t srcSize, const sqz_codec *codec, const sqz_params *params,
                          unsigned flags, unsigned block_log) {
  sqz_frame_out out = {dst, 0, dstCapacity, NULL, NULL, NULL};
  return sqz_frame_compress_out(ctx, NULL, 1, &out, src, srcSize, codec, params, flags, block_log);
}

/* Decodes one piece with the codec, through the dictionary when there is
** one. */
static size_t decode_piece(sqz_ctx *ctx, const sqz_codec *codec, sqz_dictionary *dict, void *dst,
                           size_t n, const void *src, size_t srcSize) {
  return dict ? codec->decompress_dict(ctx, dst, n, src, srcSize, dict)
              : codec->decompress(ctx, dst, n, src, srcSize);
}

size_t sqz_frame_block_decode(sqz_ctx *ctx, const sqz_codec *codec, sqz_dictionary *dict, void *dst,
                              size_t n, const void *src, size_t csize, int stored) {
  if (stored) {
    if (csize != n) return SQZ_ERROR(CORRUPT);
    if (n) memcpy(dst, src, n);
    return n;
  }
  size_t r = decode_piece(ctx, codec, dict, dst, n, src, csize);
  if (!sqz_is_error(r) && r != n) r = SQZ_ERROR(CORRUPT);
  return r;
}

/* The blocks of one frame being decoded (the pipeline's opaque). */
typedef struct decompress_job {
  const sqz_codec *codec;
  sqz_dictionary *dict;
  uint8_t *dst;
  size_t size, block, off; /* off: the next block's place in dst */
  const uint8_t *src;
  size_t pos, end; /* the next block header in src, the end of the blocks */
} decompress_job;

static size_t decompress_next(void *opaque, sqz_pipe_item *it) {
  decompress_job *j = opaque;
  if (j->off >= j->size) return 0;
  uint64_t h;
  size_t err = sqz_varint_take(j->src, j->end, &j->pos, &h);
  if (err) return err;
  uint64_t csize = h >> 1;
  if (csize > j->end - j->pos) return SQZ_ERROR(TRUNCATED);
  it->src = j->src + j->pos;
  it->n = (size_t)csize;
  it->aux = (uint64_t)j->off << 1 | (h & 1);
  j->pos += (size_t)csize;
  j->off += j->size - j->off < j->block ? j->size - j->off : j->block;
  return 1;
}

static size_t decompress_work(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *it) {
  const decompress_job *j = opaque;
  size_t off = (size_t)(it->aux >> 1);
  size_t n = j->size - off < j->block ? j->size - off : j->block;
  return sqz_frame_block_decode(ctx, j->codec, j->dict, j->dst + off, n, it->src, it->n,
                                (int)(it->aux & 1));
}

uint64_t sqz_frame_content_size(sqz_ctx *ctx, const sqz_frame_info *info, const void *src,
                                size_t srcSize, uint64_t limit) {
  if (info->content_size != SQZ_CONTENT_SIZE_UNKNOWN)
    return info->content_size > limit ? SQZ_ERROR(TOO_LARGE) : info->content_size;
  return sqz_foreign_count(ctx, info, src, srcSize, limit);
}

size_t sqz_frame_decompress(sqz_ctx *ctx, const sqz_frame_info *info, void *dst, size_t dstSize,
                            const void *src, size_t srcSize) {
  return sqz_frame_decompress_threads(ctx, NULL, 1, info, dst, dstSize, src, srcSize, NULL);
}

size_t sqz_frame_decompress_dict(sqz_ctx *ctx, const sqz_frame_info *info, void *dst,
                                 size_t dstSize, const void *src, size_t srcSize,
                                 sqz_dictionary *dict) {
  return sqz_frame_decompress_threads(ctx, NULL, 1, info, dst, dstSize, src, srcSize, dict);
}

size_t sqz_frame_decompress_threads(sqz_ctx *ctx, sqz_workers *w, unsigned threads,
                                    const sqz_frame_info *info, void *dst, size_t dstSize,
                                    const void *src, size_t srcSize, sqz_dictionary *dict) {
  if (info->type != SQZ_FRAME_SQUEEZE)
    return sqz_foreign_decompress(ctx, info, dst, dstSize, src, srcSize);
  if (info->content_size != dstSize) return SQZ_ERROR(PARAMETER);
  const sqz_codec *codec = sqz_codec_by_id(info->codec_id);
  if (!codec) return SQZ_ERROR(UNKNOWN_CODEC);
  if (!info->dict_id) {
    dict = NULL;
  } else if (!dict || !codec->decompress_dict ||
             sqz_hash128_tag(sqz_dictionary_hash(dict), info->dict_tag_bytes) != info->dict_tag) {
    return SQZ_ERROR(DICTIONARY);
  }
  const uint8_t *s = src;
  size_t r;
  if (info->blocked) {
    size_t end = info->version == SQZ_FRAME_VERSION_STREAM ? info->blocks_end : srcSize;
    if (end > srcSize) return SQZ_ERROR(PARAMETER);
    decompress_job j = {
        codec, dict, dst, dstSize, (size_t)1 << info->block_log, 0, s, info->header_size, end};
    sqz_pipe p = {0, 0, decompress_next, decompress_work, NULL, NULL, &j, 0};
    r = sqz_pipe_run(w, ctx, threads, &p);
    if (!r && j.pos != end) r = SQZ_ERROR(CORRUPT);
  } else {
    r = decode_piece(ctx, codec, dict, dst, dstSize, s + info->header_size,
                     srcSize - info->header_size);
    if (!sqz_is_error(r) && r != dstSize) r = SQZ_ERROR(CORRUPT);
  }
  if (sqz_is_error(r)) return r;
  if (info->has_checksum &&
      sqz_frame_checksum(dst, dstSize, info->version, info->is_text) != info->checksum)
    return SQZ_ERROR(CHECKSUM);
  return dstSize;
}

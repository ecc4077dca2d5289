/*
** zstd_codec.c: the `zstd` codec, over the system's libzstd.
**
** Levels -7..22 (default 3). Inside a squeeze frame the zstd payload is a
** zstd frame in its magicless form (RFC 8878 section 3.1.1 without the
** 4-byte magic number), with no content size, no checksum and no dictionary
** id: the squeeze frame already carries the size and an xxHash checksum, so
** a small value saves those bytes. The ZSTD_CCtx and ZSTD_DCtx live in the
** codec's state slot of the caller's sqz_ctx and are reused from call to
** call; their memory comes from the sqz_ctx allocator (ZSTD_customMem).
**
** With a trained dictionary (sqz_params.dict, docs/dictionaries.md) the
** payload is smaller still. ZSTD_compress_usingCDict writes a standard
** frame, exactly what a direct libzstd loop writes; everything in it but the
** compressed block is known to the reader from the squeeze frame, so for a
** value of at most ZSTD_BLOCKSIZE_MAX (128 KiB) the payload is the content
** of that one compressed block (RFC 8878 section 3.1.1.2.3), without the
** magic number, frame header, dictionary id and block header (10 to 16
** bytes). The reader rebuilds a magicless single-segment frame header
** (content size from the squeeze frame) and a block header in front of it
** and decodes with the ZSTD_DDict: only the stable frame API on both sides.
** A larger value (a piece of a blocked frame) keeps the whole frame but its
** 4-byte magic. A value whose frame is not one compressed block (zstd stored
** it raw) is handed back for the frame layer to store.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include <limits.h>
#include <string.h>

#include "byteorder.h"
#include "codec.h"
#include "dictionary.h"
#include "pool.h"

typedef struct zstd_state {
  ZSTD_CCtx *cctx; /* created by the first compress */
  ZSTD_DCtx *dctx; /* created by the first decompress */
  int level;       /* level set on cctx, or INT_MIN when none is */
  int window_log;  /* window_log set on cctx, or -1 when none is */
} zstd_state;

/* The codec's state in ctx, created on first use; NULL on OOM. */
static zstd_state *zstd_get_state(sqz_ctx *ctx) {
  void **slot = sqz_ctx_state(ctx, SQZ_ID_ZSTD);
  if (*slot) return *slot;
  zstd_state *s = sqz_ctx_alloc(ctx, sizeof(*s));
  if (!s) return NULL;
  s->cctx = NULL;
  s->dctx = NULL;
  s->level = INT_MIN;
  s->window_log = -1;
  *slot = s;
  return s;
}

static void zstd_free_state(sqz_ctx *ctx, void *state) {
  zstd_state *s = state;
  ZSTD_freeCCtx(s->cctx);
  ZSTD_freeDCtx(s->dctx);
  sqz_ctx_dealloc(ctx, s);
}

static size_t zstd_bound(size_t n) {
  size_t b = ZSTD_compressBound(n);
  return ZSTD_isError(b) ? 0 : b;
}

/* The ctx's CCtx, created on first use with the parameters of the squeeze
** payload (magicless, no content size, checksum or dictionary id); NULL on
** OOM. */
static ZSTD_CCtx *zstd_cctx(sqz_ctx *ctx, zstd_state *s) {
  if (!s->cctx) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    s->cctx = ZSTD_createCCtx_advanced(mem);
    if (!s->cctx) return NULL;
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_dictIDFlag, 0);
  }
  return s->cctx;
}

/* The ctx's DCtx, created on first use for magicless frames; NULL on OOM. */
static ZSTD_DCtx *zstd_dctx(sqz_ctx *ctx, zstd_state *s) {
  if (!s->dctx) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    s->dctx = ZSTD_createDCtx_advanced(mem);
    if (!s->dctx) return NULL;
    ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
  }
  return s->dctx;
}

/* A libzstd compression error as a squeeze status. */
static size_t zstd_compress_error(size_t r) {
  if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return SQZ_ERROR(DST_TOO_SMALL);
  if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return SQZ_ERROR(MEMORY);
  return SQZ_ERROR(GENERIC);
}

/* RFC 8878: the magic number's bytes (3.1.1), a block header's (3.1.1.2)
** and the Block_Type of a compressed block (3.1.1.2.2). */
#define MAGIC_SIZE 4
#define BLOCK_HEADER_SIZE 3
#define BLOCK_COMPRESSED 2u

/* Compresses n bytes with params->dict into dst (cap bytes): see the top of
** the file for the payload. */
static size_t zstd_compress_dict(sqz_ctx *ctx, zstd_state *s, uint8_t *dst, size_t cap,
                                 const void *src, size_t n, const sqz_params *params) {
  if (params->window_log != 0) return SQZ_ERROR(PARAMETER); /* the CDict sets the window */
  size_t err = 0;
  const ZSTD_CDict *cdict = sqz_dictionary_zstd_cdict(params->dict, params->level, &err);
  if (!cdict) return err;
  ZSTD_CCtx *cctx = zstd_cctx(ctx, s);
  if (!cctx) return SQZ_ERROR(MEMORY);
  size_t r = ZSTD_compress_usingCDict(cctx, dst, cap, src, n, cdict);
  if (ZSTD_isError(r)) return zstd_compress_error(r);
  if (n > ZSTD_BLOCKSIZE_MAX) {
    /* keep the frame, drop its magic number */
    memmove(dst, dst + MAGIC_SIZE, r - MAGIC_SIZE);
    return r - MAGIC_SIZE;
  }
  size_t pos = ZSTD_frameHeaderSize(dst, r);
  if (ZSTD_isError(pos) || pos > r || r - pos < BLOCK_HEADER_SIZE) return SQZ_ERROR(GENERIC);
  uint32_t bh = (uint32_t)dst[pos] | (uint32_t)dst[pos + 1] << 8 | (uint32_t)dst[pos + 2] << 16;
  size_t block = bh >> 3;
  pos += BLOCK_HEADER_SIZE;
  if ((bh & 1u) && ((bh >> 1) & 3u) == BLOCK_COMPRESSED && block == r - pos && block < n) {
    memmove(dst, dst + pos, block);
    return block;
  }
  /* One raw block (zstd would not shrink the value), or a shape this
  ** payload does not describe: hand back a copy for the frame to store. */
  if (cap < n) return SQZ_ERROR(DST_TOO_SMALL);
  memcpy(dst, src, n);
  return n;
}

static size_t zstd_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                            const sqz_params *params) {
  zstd_state *s = zstd_get_state(ctx);
  if (!s) return SQZ_ERROR(MEMORY);
  if (params->dict) return zstd_compress_dict(ctx, s, dst, cap, src, n, params);
  if (!zstd_cctx(ctx, s)) return SQZ_ERROR(MEMORY);
  if (s->level != params->level) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, params->level)))
      return SQZ_ERROR(LEVEL);
    s->level = params->level;
  }
  if (s->window_log != params->window_log) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_windowLog, params->window_log)))
      return SQZ_ERROR(PARAMETER);
    s->window_log = params->window_log;
  }
  size_t r = ZSTD_compress2(s->cctx, dst, cap, src, n);
  return ZSTD_isError(r) ? zstd_compress_error(r) : r;
}

/* A decompression result of libzstd as a squeeze status: dstSize or an
** error. */
static size_t zstd_decompress_status(size_t r, size_t dstSize) {
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return SQZ_ERROR(MEMORY);
    return SQZ_ERROR(CORRUPT);
  }
  return r == dstSize ? r : SQZ_ERROR(CORRUPT);
}

static size_t zstd_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                              size_t srcSize) {
  zstd_state *s = zstd_get_state(ctx);
  if (!s) return SQZ_ERROR(MEMORY);
  if (!zstd_dctx(ctx, s)) return SQZ_ERROR(MEMORY);
  return zstd_decompress_status(ZSTD_decompressDCtx(s->dctx, dst, dstSize, src, srcSize), dstSize);
}

/* Payloads of up to this many bytes are rebuilt into a frame on the stack. */
#define STACK_FRAME 1024

/* Writes the magicless single-segment frame header and the block header of
** a frame of one compressed block of block bytes holding n bytes (RFC 8878
** 3.1.1.1: Frame_Header_Descriptor with Single_Segment_flag, the smallest
** Frame_Content_Size field for n; 3.1.1.2: Last_Block, Compressed_Block)
** into h (at most 1 + 4 + 3 bytes). Returns the bytes written. */
static size_t rebuild_header(uint8_t *h, size_t n, size_t block) {
  size_t pos = 1;
  if (n <= 255) {
    h[0] = 0x20; /* FCS_flag 0 (1 byte, with Single_Segment), Single_Segment */
    h[pos++] = (uint8_t)n;
  } else if (n <= 65535 + 256) {
    h[0] = 0x60; /* FCS_flag 1: 2 bytes holding n - 256 */
    sqz_store16le(h + pos, (uint16_t)(n - 256));
    pos += 2;
  } else {
    h[0] = 0xA0; /* FCS_flag 2: 4 bytes */
    sqz_store32le(h + pos, (uint32_t)n);
    pos += 4;
  }
  uint32_t bh = (uint32_t)(block << 3) | BLOCK_COMPRESSED << 1 | 1u;
  h[pos++] = (uint8_t)bh;
  h[pos++] = (uint8_t)(bh >> 8);
  h[pos++] = (uint8_t)(bh >> 16);
  return pos;
}

static size_t zstd_decompress_dict(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                                   size_t srcSize, sqz_dictionary *dict) {
  zstd_state *s = zstd_get_state(ctx);
  if (!s) return SQZ_ERROR(MEMORY);
  size_t err = 0;
  const ZSTD_DDict *ddict = sqz_dictionary_zstd_ddict(dict, &err);
  if (!ddict) return err;
  if (!zstd_dctx(ctx, s)) return SQZ_ERROR(MEMORY);
  if (dstSize > ZSTD_BLOCKSIZE_MAX)
    return zstd_decompress_status(
        ZSTD_decompress_usingDDict(s->dctx, dst, dstSize, src, srcSize, ddict), dstSize);
  /* One compressed block: zstd takes at most ZSTD_BLOCKSIZE_MAX of it, and
  ** compresses a block only when that makes it smaller. */
  if (srcSize == 0 || srcSize >= dstSize) return SQZ_ERROR(CORRUPT);
  uint8_t stack[STACK_FRAME + 8];
  size_t total = srcSize + 8;
  uint8_t *frame = total <= sizeof stack ? stack : sqz_scratch_acquire(ctx, total);
  if (!frame) return SQZ_ERROR(MEMORY);
  size_t h = rebuild_header(frame, dstSize, srcSize);
  memcpy(frame + h, src, srcSize);
  size_t r = ZSTD_decompress_usingDDict(s->dctx, dst, dstSize, frame, h + srcSize, ddict);
  if (frame != stack) sqz_scratch_release(ctx, frame);
  return zstd_decompress_status(r, dstSize);
}

const sqz_codec sqz_codec_zstd = {
    .name = "zstd",
    .id = SQZ_ID_ZSTD,
    .kind = SQZ_KIND_BYTES,
    .min_level = -7,
    .default_level = 3,
    .max_level = 22,
    .description = "Zstandard (libzstd): general purpose, the default",
    .window_log_min = 10,
    .window_log_max = 30,
    .bound = zstd_bound,
    .compress = zstd_compress,
    .decompress = zstd_decompress,
    .decompress_dict = zstd_decompress_dict,
    .free_state = zstd_free_state,
};

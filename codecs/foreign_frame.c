/*
** foreign_frame.c: decoding standard zstd frames (RFC 8878) and LZ4 frames
** (lz4 doc/lz4_Frame_format.md), as the `zstd` and `lz4` command-line tools
** write them, so decompress() reads files those tools made.
**
** Either format may leave the content size out of its header (the tools do
** when they read a pipe; lz4 leaves it out by default). Such frames are
** decoded twice: once into one reusable scratch block to count the output,
** stopping as soon as it passes the caller's limit, and once into a buffer
** of exactly the counted size. Nothing larger than the limit is allocated,
** however much a small frame expands.
**
** The decoding contexts live in the sqz_ctx's frame slots and are reused;
** their memory comes from the sqz_ctx allocator.
*/
#define ZSTD_STATIC_LINKING_ONLY
#define LZ4F_STATIC_LINKING_ONLY
#include <lz4frame.h>
#include <zstd.h>

#include <string.h>

#include "byteorder.h"
#include "foreign_frame.h"

#define ZSTD_MAGIC 0xFD2FB528u
#define SKIPPABLE_MASK 0xFFFFFFF0u
#define SKIPPABLE_MAGIC 0x184D2A50u
#define LZ4_MAGIC 0x184D2204u
#define COUNT_CHUNK ((size_t)128 << 10) /* scratch bytes per counting step */

static void free_zstd_dctx(sqz_ctx *ctx, void *state) {
  (void)ctx;
  ZSTD_freeDCtx(state);
}

static void free_lz4_dctx(sqz_ctx *ctx, void *state) {
  (void)ctx;
  LZ4F_freeDecompressionContext(state);
}

/* The reusable ZSTD_DCtx for standard frames, reset; NULL on OOM. */
static ZSTD_DCtx *zstd_dctx(sqz_ctx *ctx) {
  void **slot = sqz_ctx_state(ctx, SQZ_SLOT_ZSTD_FRAME);
  if (!*slot) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    *slot = ZSTD_createDCtx_advanced(mem);
    if (!*slot) return NULL;
    sqz_ctx_on_free(ctx, SQZ_SLOT_ZSTD_FRAME, free_zstd_dctx);
  }
  ZSTD_DCtx_reset(*slot, ZSTD_reset_session_only);
  return *slot;
}

/* The reusable LZ4F decompression context, reset; NULL on OOM. */
static LZ4F_dctx *lz4_dctx(sqz_ctx *ctx) {
  void **slot = sqz_ctx_state(ctx, SQZ_SLOT_LZ4_FRAME);
  if (!*slot) {
    LZ4F_CustomMem mem = {sqz_ctx_alloc_opaque, NULL, sqz_ctx_dealloc_opaque, ctx};
    *slot = LZ4F_createDecompressionContext_advanced(mem, LZ4F_VERSION);
    if (!*slot) return NULL;
    sqz_ctx_on_free(ctx, SQZ_SLOT_LZ4_FRAME, free_lz4_dctx);
  }
  LZ4F_resetDecompressionContext(*slot);
  return *slot;
}

/* The content size the first LZ4 frame header declares, or UNKNOWN. */
static uint64_t lz4_declared_size(const uint8_t *src, size_t srcSize) {
  if (srcSize < 15) return SQZ_CONTENT_SIZE_UNKNOWN;
  uint8_t flg = src[4];
  if (!(flg & 0x08)) return SQZ_CONTENT_SIZE_UNKNOWN;
  return sqz_load64le(src + 6);
}

size_t sqz_foreign_parse(sqz_frame_info *info, const uint8_t *src, size_t srcSize) {
  uint32_t magic = sqz_load32le(src);
  if (magic == ZSTD_MAGIC || (magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC) {
    info->type = SQZ_FRAME_ZSTD;
    info->codec_id = SQZ_ID_ZSTD;
    unsigned long long n = ZSTD_findDecompressedSize(src, srcSize);
    if (n == ZSTD_CONTENTSIZE_ERROR) return SQZ_ERROR(CORRUPT);
    info->content_size = n == ZSTD_CONTENTSIZE_UNKNOWN ? SQZ_CONTENT_SIZE_UNKNOWN : n;
    return 4;
  }
  if (magic == LZ4_MAGIC) {
    info->type = SQZ_FRAME_LZ4;
    info->codec_id = SQZ_ID_LZ4;
    if (srcSize < 7) return SQZ_ERROR(TRUNCATED);
    if ((src[4] >> 6) != 1) return SQZ_ERROR(CORRUPT); /* FLG version must be 01 */
    /* Frames may be concatenated: the declared size of the first frame is
    ** not the total, so the size is always counted. */
    info->content_size = SQZ_CONTENT_SIZE_UNKNOWN;
    return 4;
  }
  return 0;
}

/* Runs the decoder of info's type over src, writing into out (outCap bytes).
** With count set, out is a scratch block that is overwritten on each step
** and the bytes are only counted, up to limit. Returns the bytes produced. */
static uint64_t foreign_run(sqz_ctx *ctx, const sqz_frame_info *info, const uint8_t *src,
                            size_t srcSize, uint8_t *out, size_t outCap, int count,
                            uint64_t limit) {
  uint64_t total = 0;
  size_t in_pos = 0, out_pos = 0;
  if (info->type == SQZ_FRAME_ZSTD) {
    ZSTD_DCtx *d = zstd_dctx(ctx);
    if (!d) return SQZ_ERROR(MEMORY);
    ZSTD_inBuffer in = {src, srcSize, 0};
    size_t ret = 1;
    for (;;) {
      ZSTD_outBuffer ob = {out + out_pos, outCap - out_pos, 0};
      size_t before = in.pos;
      ret = ZSTD_decompressStream(d, &ob, &in);
      if (ZSTD_isError(ret)) return SQZ_ERROR(CORRUPT);
      total += ob.pos;
      if (!count) out_pos += ob.pos;
      if (total > limit) return SQZ_ERROR(TOO_LARGE);
      if (ret == 0 && in.pos == in.size) break;
      if (ob.pos == 0 && in.pos == before) return SQZ_ERROR(CORRUPT); /* no progress */
    }
    return total;
  }
  LZ4F_dctx *d = lz4_dctx(ctx);
  if (!d) return SQZ_ERROR(MEMORY);
  uint64_t declared = lz4_declared_size(src, srcSize);
  if (count && declared != SQZ_CONTENT_SIZE_UNKNOWN && declared > limit)
    return SQZ_ERROR(TOO_LARGE);
  size_t ret = 1;
  for (;;) {
    size_t dst_n = outCap - out_pos, src_n = srcSize - in_pos;
    ret = LZ4F_decompress(d, out + out_pos, &dst_n, src + in_pos, &src_n, NULL);
    if (LZ4F_isError(ret)) return SQZ_ERROR(CORRUPT);
    in_pos += src_n;
    total += dst_n;
    if (!count) out_pos += dst_n;
    if (total > limit) return SQZ_ERROR(TOO_LARGE);
    if (ret == 0 && in_pos == srcSize) break;
    if (dst_n == 0 && src_n == 0) return SQZ_ERROR(CORRUPT); /* truncated or no room */
  }
  return total;
}

uint64_t sqz_foreign_count(sqz_ctx *ctx, const sqz_frame_info *info, const void *src,
                           size_t srcSize, uint64_t limit) {
  uint8_t *scratch = sqz_scratch_acquire(ctx, COUNT_CHUNK);
  if (!scratch) return SQZ_ERROR(MEMORY);
  uint64_t r = foreign_run(ctx, info, src, srcSize, scratch, COUNT_CHUNK, 1, limit);
  sqz_scratch_release(ctx, scratch);
  return r;
}

size_t sqz_foreign_decompress(sqz_ctx *ctx, const sqz_frame_info *info, void *dst, size_t dstSize,
                              const void *src, size_t srcSize) {
  if (info->type == SQZ_FRAME_ZSTD) {
    ZSTD_DCtx *d = zstd_dctx(ctx);
    if (!d) return SQZ_ERROR(MEMORY);
    size_t r = ZSTD_decompressDCtx(d, dst, dstSize, src, srcSize);
    return (ZSTD_isError(r) || r != dstSize) ? SQZ_ERROR(CORRUPT) : dstSize;
  }
  uint8_t dummy;
  uint64_t r = foreign_run(ctx, info, src, srcSize, dstSize ? dst : &dummy, dstSize, 0, dstSize);
  if (sqz_is_error(r)) return r == SQZ_ERROR(TOO_LARGE) ? SQZ_ERROR(CORRUPT) : r;
  return r == dstSize ? dstSize : SQZ_ERROR(CORRUPT);
}

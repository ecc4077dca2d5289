/*
** std_frame.c: standard zstd and LZ4 frames, one per block (std_frame.h).
**
** Each thread keeps its library context in its own sqz_ctx: a ZSTD_CCtx set
** for standard frames (magic, content size, checksum), distinct from the
** zstd codec's magicless one, and an LZ4F compression context. Both draw
** their memory from the ctx allocator.
*/
#define LZ4F_STATIC_LINKING_ONLY
#define ZSTD_STATIC_LINKING_ONLY
#include <lz4frame.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "std_frame.h"

static void free_zstd_cctx(sqz_ctx *ctx, void *state) {
  (void)ctx;
  ZSTD_freeCCtx(state);
}

static void free_lz4_cctx(sqz_ctx *ctx, void *state) {
  (void)ctx;
  LZ4F_freeCompressionContext(state);
}

/* What every block of one value is compressed with (the pipeline's opaque). */
typedef struct std_job {
  sqz_std_format format;
  const sqz_params *params;
  const uint8_t *src;
  size_t size, block, off;
  size_t cap; /* bytes of each item's output buffer */
  sqz_frame_out *out;
} std_job;

/* One zstd frame of n bytes at src into dst (cap bytes). */
static size_t zstd_frame(sqz_ctx *ctx, const sqz_params *params, void *dst, size_t cap,
                         const void *src, size_t n) {
  void **slot = sqz_ctx_state(ctx, SQZ_SLOT_ZSTD_STD);
  if (!*slot) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    *slot = ZSTD_createCCtx_advanced(mem);
    if (!*slot) return SQZ_ERROR(MEMORY);
    sqz_ctx_on_free(ctx, SQZ_SLOT_ZSTD_STD, free_zstd_cctx);
  }
  ZSTD_CCtx *c = *slot;
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, params->level)))
    return SQZ_ERROR(LEVEL);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, params->window_log)))
    return SQZ_ERROR(PARAMETER);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
  size_t r = ZSTD_compress2(c, dst, cap, src, n);
  if (ZSTD_isError(r))
    return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? SQZ_ERROR(MEMORY)
                                                                : SQZ_ERROR(GENERIC);
  return r;
}

/* The LZ4F preferences for n bytes at params: the lz4 codec's levels (1-2:
** the fast compressor at params->acceleration, which LZ4F takes as a
** negative level; 3-12 LZ4HC). */
static LZ4F_preferences_t lz4_prefs(const sqz_params *params, size_t n) {
  LZ4F_preferences_t p = LZ4F_INIT_PREFERENCES;
  p.frameInfo.blockMode = LZ4F_blockIndependent;
  p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  p.frameInfo.contentSize = n;
  p.frameInfo.blockSizeID = LZ4F_max1MB;
  p.compressionLevel = params->level;
  if (params->level < 3 && params->acceleration > 1) p.compressionLevel = 1 - params->acceleration;
  return p;
}

/* One LZ4 frame of n bytes at src into dst (cap bytes). */
static size_t lz4_frame(sqz_ctx *ctx, const sqz_params *params, void *dst, size_t cap,
                        const void *src, size_t n) {
  void **slot = sqz_ctx_state(ctx, SQZ_SLOT_LZ4_STD);
  if (!*slot) {
    LZ4F_CustomMem mem = {sqz_ctx_alloc_opaque, NULL, sqz_ctx_dealloc_opaque, ctx};
    *slot = LZ4F_createCompressionContext_advanced(mem, LZ4F_VERSION);
    if (!*slot) return SQZ_ERROR(MEMORY);
    sqz_ctx_on_free(ctx, SQZ_SLOT_LZ4_STD, free_lz4_cctx);
  }
  LZ4F_preferences_t p = lz4_prefs(params, n);
  size_t r = LZ4F_compressFrame_usingCDict(*slot, dst, cap, src, n, NULL, &p);
  if (LZ4F_isError(r))
    return LZ4F_getErrorCode(r) == LZ4F_ERROR_allocation_failed ? SQZ_ERROR(MEMORY)
                                                                : SQZ_ERROR(GENERIC);
  return r;
}

static size_t std_next(void *opaque, sqz_pipe_item *it) {
  std_job *j = opaque;
  /* an empty value is one empty frame */
  if (j->off >= j->size && !(j->size == 0 && it->index == 0)) return 0;
  it->src = j->src + j->off;
  it->n = j->size - j->off < j->block ? j->size - j->off : j->block;
  j->off += it->n;
  return 1;
}

static size_t std_stop(void *opaque) {
  std_job *j = opaque;
  return j->out->stop(j->out);
}

static size_t std_work(sqz_ctx *ctx, void *opaque, const sqz_pipe_item *it) {
  const std_job *j = opaque;
  return j->format == SQZ_STD_ZSTD ? zstd_frame(ctx, j->params, it->out, j->cap, it->src, it->n)
                                   : lz4_frame(ctx, j->params, it->out, j->cap, it->src, it->n);
}

static size_t std_emit(void *opaque, const sqz_pipe_item *it) {
  std_job *j = opaque;
  return sqz_frame_out_append(j->out, it->out, it->out_n);
}

size_t sqz_std_frame_compress_out(sqz_ctx *ctx, sqz_workers *w, unsigned threads,
                                  sqz_frame_out *out, const void *src, size_t srcSize,
                                  sqz_std_format format, const sqz_params *params,
                                  unsigned block_log) {
  if (block_log == 0) block_log = SQZ_FRAME_BLOCK_LOG;
  if (block_log < SQZ_FRAME_BLOCK_LOG_MIN || block_log > SQZ_FRAME_BLOCK_LOG_MAX || params->dict)
    return SQZ_ERROR(PARAMETER);
  size_t block = (size_t)1 << block_log, cap;
  if (format == SQZ_STD_ZSTD) {
    if (params->level < sqz_codec_zstd.min_level || params->level > sqz_codec_zstd.max_level)
      return SQZ_ERROR(LEVEL);
    cap = ZSTD_compressBound(block);
  } else if (format == SQZ_STD_LZ4) {
    if (params->level < sqz_codec_lz4.min_level || params->level > sqz_codec_lz4.max_level)
      return SQZ_ERROR(LEVEL);
    if (params->acceleration < 0 || params->acceleration > SQZ_ACCELERATION_MAX)
      return SQZ_ERROR(PARAMETER);
    LZ4F_preferences_t p = lz4_prefs(params, block);
    cap = LZ4F_compressFrameBound(block, &p);
  } else {
    return SQZ_ERROR(PARAMETER);
  }
  size_t start = out->size;
  std_job j = {format, params, src, srcSize, block, 0, cap, out};
  sqz_pipe p = {0, cap, std_next, std_work, std_emit, out->stop ? std_stop : NULL, &j, 0};
  size_t r = sqz_pipe_run(w, ctx, threads, &p);
  return r ? r : out->size - start;
}

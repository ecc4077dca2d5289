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
*/
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include <limits.h>

#include "codec.h"
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

static size_t zstd_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                            const sqz_params *params) {
  zstd_state *s = zstd_get_state(ctx);
  if (!s) return SQZ_ERROR(MEMORY);
  if (!s->cctx) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    s->cctx = ZSTD_createCCtx_advanced(mem);
    if (!s->cctx) return SQZ_ERROR(MEMORY);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 0);
    ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_dictIDFlag, 0);
  }
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
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return SQZ_ERROR(DST_TOO_SMALL);
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return SQZ_ERROR(MEMORY);
    return SQZ_ERROR(GENERIC);
  }
  return r;
}

static size_t zstd_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                              size_t srcSize) {
  zstd_state *s = zstd_get_state(ctx);
  if (!s) return SQZ_ERROR(MEMORY);
  if (!s->dctx) {
    ZSTD_customMem mem = {sqz_ctx_alloc_opaque, sqz_ctx_dealloc_opaque, ctx};
    s->dctx = ZSTD_createDCtx_advanced(mem);
    if (!s->dctx) return SQZ_ERROR(MEMORY);
    ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
  }
  size_t r = ZSTD_decompressDCtx(s->dctx, dst, dstSize, src, srcSize);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return SQZ_ERROR(MEMORY);
    return SQZ_ERROR(CORRUPT);
  }
  return r == dstSize ? r : SQZ_ERROR(CORRUPT);
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
    .free_state = zstd_free_state,
};

/*
** lz4_codec.c: the `lz4` and `lz4hc` codecs, over the system's liblz4.
**
** The payload is one LZ4 block (lz4's doc/lz4_Block_format.md); the squeeze
** frame carries the original size. `lz4` takes the acceleration factor as its
** level (1 = best ratio of the fast mode; higher is faster); `lz4hc` takes the
** HC level 1..12. The compression states (LZ4_sizeofState(),
** LZ4_sizeofStateHC() bytes) live in the codecs' state slots and are reused.
** Both decode with LZ4_decompress_safe, which never reads outside its input
** nor writes outside its output.
*/
#include <lz4.h>
#include <lz4hc.h>

#include "codec.h"
#include "pool.h"

static size_t lz4_bound(size_t n) {
  return n > LZ4_MAX_INPUT_SIZE ? 0 : (size_t)LZ4_compressBound((int)n);
}

/* The state of codec id, allocated (bytes) on first use; NULL on OOM. */
static void *lz4_get_state(sqz_ctx *ctx, unsigned id, size_t bytes) {
  void **slot = sqz_ctx_state(ctx, id);
  if (!*slot) *slot = sqz_ctx_alloc(ctx, bytes);
  return *slot;
}

static void lz4_free_state(sqz_ctx *ctx, void *state) {
  sqz_ctx_dealloc(ctx, state);
}

static size_t lz4_check_sizes(size_t cap, size_t n) {
  if (n > LZ4_MAX_INPUT_SIZE) return SQZ_ERROR(PARAMETER);
  if (cap > (size_t)INT32_MAX) cap = INT32_MAX;
  return cap;
}

static size_t lz4_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                           const sqz_params *params) {
  cap = lz4_check_sizes(cap, n);
  if (sqz_is_error(cap)) return cap;
  void *state = lz4_get_state(ctx, SQZ_ID_LZ4, (size_t)LZ4_sizeofState());
  if (!state) return SQZ_ERROR(MEMORY);
  int r = LZ4_compress_fast_extState(state, src, dst, (int)n, (int)cap, params->level);
  return (r <= 0 && n > 0) ? SQZ_ERROR(DST_TOO_SMALL) : (size_t)r;
}

static size_t lz4hc_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                             const sqz_params *params) {
  cap = lz4_check_sizes(cap, n);
  if (sqz_is_error(cap)) return cap;
  void *state = lz4_get_state(ctx, SQZ_ID_LZ4HC, (size_t)LZ4_sizeofStateHC());
  if (!state) return SQZ_ERROR(MEMORY);
  int r = LZ4_compress_HC_extStateHC(state, src, dst, (int)n, (int)cap, params->level);
  return (r <= 0 && n > 0) ? SQZ_ERROR(DST_TOO_SMALL) : (size_t)r;
}

static size_t lz4_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                             size_t srcSize) {
  (void)ctx;
  if (dstSize > LZ4_MAX_INPUT_SIZE || srcSize > (size_t)INT32_MAX) return SQZ_ERROR(CORRUPT);
  int r = LZ4_decompress_safe(src, dst, (int)srcSize, (int)dstSize);
  return (r < 0 || (size_t)r != dstSize) ? SQZ_ERROR(CORRUPT) : dstSize;
}

const sqz_codec sqz_codec_lz4 = {
    .name = "lz4",
    .id = SQZ_ID_LZ4,
    .kind = SQZ_KIND_BYTES,
    .min_level = 1,
    .default_level = 1,
    .max_level = 65537,
    .description = "LZ4 (liblz4): very fast; level is the acceleration factor",
    .bound = lz4_bound,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
    .free_state = lz4_free_state,
};

const sqz_codec sqz_codec_lz4hc = {
    .name = "lz4hc",
    .id = SQZ_ID_LZ4HC,
    .kind = SQZ_KIND_BYTES,
    .min_level = 1,
    .default_level = 9,
    .max_level = 12,
    .description = "LZ4 high compression (liblz4): slow to compress, LZ4-fast to decompress",
    .bound = lz4_bound,
    .compress = lz4hc_compress,
    .decompress = lz4_decompress,
    .free_state = lz4_free_state,
};

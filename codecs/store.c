/*
** store.c: the `store` codec: the payload is the original bytes. The frame
** layer picks it when no codec would shrink a value.
*/
#include <string.h>

#include "codec.h"

static size_t store_bound(size_t n) {
  return n;
}

static size_t store_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                             const sqz_params *params) {
  (void)ctx;
  (void)params;
  if (cap < n) return SQZ_ERROR(DST_TOO_SMALL);
  if (n) memcpy(dst, src, n);
  return n;
}

static size_t store_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                               size_t srcSize) {
  (void)ctx;
  if (srcSize != dstSize) return SQZ_ERROR(CORRUPT);
  if (dstSize) memcpy(dst, src, dstSize);
  return dstSize;
}

const sqz_codec sqz_codec_store = {
    .name = "store",
    .id = SQZ_ID_STORE,
    .kind = SQZ_KIND_BYTES,
    .min_level = 0,
    .default_level = 0,
    .max_level = 0,
    .description = "no compression; chosen automatically when compressing would not shrink a value",
    .bound = store_bound,
    .compress = store_compress,
    .decompress = store_decompress,
    .free_state = NULL,
};

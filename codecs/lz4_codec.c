/*
** lz4_codec.c: the `lz4` and `lz4hc` codecs, over the system's liblz4.
**
** The payload is one LZ4 block (lz4's doc/lz4_Block_format.md); the squeeze
** frame carries the original size. Levels follow the lz4 command-line tool
** (programs/lz4cli.c, lib/lz4frame.c): `lz4` takes 1..12, 1 the fastest and
** the default, higher levels smaller. Levels 1 and 2 are LZ4's fast
** compressor (LZ4_compress_fast_extState) with sqz_params.acceleration as its
** acceleration factor (0: LZ4's default, 1; larger: faster and bigger; the
** tool's -1 and -2 both use 1); levels 3..12 are LZ4HC at that level
** (LZ4_compress_HC_extStateHC), as `lz4 -3` .. `lz4 -12`. `lz4hc` is LZ4HC at
** its levels 1..12 (default 9); it stays registered so that frames with its
** pinned id 3 decode and compress(x, 'lz4hc', N) keeps working.
**
** Every level of both codecs writes the same block format, and both decode
** with LZ4_decompress_safe, which never reads outside its input nor writes
** outside its output. So every frame written before lz4's level meant the
** acceleration factor (lz4 levels 1..65537) decodes unchanged.
**
** The compression states (LZ4_sizeofState(), LZ4_sizeofStateHC() bytes) live
** in the ctx's state slots and are reused: the fast state in lz4's slot, the
** HC state in lz4hc's, which lz4 levels 3..12 share.
**
** With a trained dictionary (sqz_params.dict, levels 1 and 2 only) the
** block is compressed by LZ4_compress_fast_continue from a copy of the
** dictionary's pre-loaded stream (dictionary.h), so its matches may reach
** into the last 64 KiB of the dictionary; it decodes with
** LZ4_decompress_safe_usingDict and the dictionary's bytes. The copy is
** sizeof(LZ4_stream_t), 16 KiB, per value: LZ4's faster
** LZ4_attach_dictionary is not exported by the shared liblz4. LZ4HC levels
** take no dictionary here: their stream is 256 KiB to copy.
**
**   SELECT length(compress(x, 'lz4')), length(compress(x, 'lz4', 12)) FROM t;
*/
#include <lz4.h>
#include <lz4hc.h>

#include <string.h>

#include "codec.h"
#include "dictionary.h"
#include "pool.h"

/* The first lz4 level that is LZ4HC's, as in the lz4 tool. */
#define LZ4_FIRST_HC_LEVEL LZ4HC_CLEVEL_MIN

static size_t lz4_bound(size_t n) {
  return n > LZ4_MAX_INPUT_SIZE ? 0 : (size_t)LZ4_compressBound((int)n);
}

static void lz4_free_state(sqz_ctx *ctx, void *state) {
  sqz_ctx_dealloc(ctx, state);
}

/* Compresses n bytes of src into dst (cap bytes) as one LZ4 block: with
** LZ4HC at hc_level when hc_level > 0, else with the fast compressor at
** acceleration (>= 1). Returns the block size, or PARAMETER (n above
** LZ4_MAX_INPUT_SIZE), MEMORY (no state), DST_TOO_SMALL. */
static size_t lz4_block(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                        int hc_level, int acceleration) {
  if (n > LZ4_MAX_INPUT_SIZE) return SQZ_ERROR(PARAMETER);
  if (cap > (size_t)INT32_MAX) cap = INT32_MAX;
  void **slot = sqz_ctx_state(ctx, hc_level ? SQZ_ID_LZ4HC : SQZ_ID_LZ4);
  if (!*slot)
    *slot = sqz_ctx_alloc(ctx, (size_t)(hc_level ? LZ4_sizeofStateHC() : LZ4_sizeofState()));
  if (!*slot) return SQZ_ERROR(MEMORY);
  int r = hc_level ? LZ4_compress_HC_extStateHC(*slot, src, dst, (int)n, (int)cap, hc_level)
                   : LZ4_compress_fast_extState(*slot, src, dst, (int)n, (int)cap, acceleration);
  return (r <= 0 && n > 0) ? SQZ_ERROR(DST_TOO_SMALL) : (size_t)r;
}

static void lz4_free_dict_stream(sqz_ctx *ctx, void *state) {
  sqz_ctx_dealloc(ctx, state);
}

/* Compresses n bytes of src into dst (cap bytes) as one LZ4 block with the
** fast compressor at acceleration, its history the dictionary's. Returns the
** block size, or a copy of src and n when LZ4 would not shrink it (the frame
** stores it); PARAMETER, MEMORY, DST_TOO_SMALL as lz4_block(). */
static size_t lz4_block_dict(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                             sqz_dictionary *dict, int acceleration) {
  if (n > LZ4_MAX_INPUT_SIZE) return SQZ_ERROR(PARAMETER);
  if (cap > (size_t)INT32_MAX) cap = INT32_MAX;
  size_t err = 0;
  const LZ4_stream_t *loaded = sqz_dictionary_lz4_stream(dict, &err);
  if (!loaded) return err;
  void **slot = sqz_ctx_state(ctx, SQZ_SLOT_LZ4_DICT);
  if (!*slot) {
    *slot = sqz_ctx_alloc(ctx, sizeof(LZ4_stream_t));
    if (!*slot) return SQZ_ERROR(MEMORY);
    sqz_ctx_on_free(ctx, SQZ_SLOT_LZ4_DICT, lz4_free_dict_stream);
  }
  LZ4_stream_t *work = *slot;
  memcpy(work, loaded, sizeof(*work));
  int r = LZ4_compress_fast_continue(work, src, dst, (int)n, (int)cap, acceleration);
  if (r > 0 && (size_t)r < n) return (size_t)r;
  if (r <= 0 && n > 0 && cap < n) return SQZ_ERROR(DST_TOO_SMALL);
  if (n) memcpy(dst, src, n);
  return n;
}

/* Both codecs with a dictionary: exactly dstSize bytes from one LZ4 block
** whose history is the dictionary's bytes. As lz4_decompress(). */
static size_t lz4_decompress_dict(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                                  size_t srcSize, sqz_dictionary *dict) {
  (void)ctx;
  if (dstSize > LZ4_MAX_INPUT_SIZE || srcSize > (size_t)INT32_MAX) return SQZ_ERROR(CORRUPT);
  int r = LZ4_decompress_safe_usingDict(src, dst, (int)srcSize, (int)dstSize,
                                        sqz_dictionary_bytes(dict), (int)sqz_dictionary_size(dict));
  return (r < 0 || (size_t)r != dstSize) ? SQZ_ERROR(CORRUPT) : dstSize;
}

/* lz4: levels 1..2 fast (params->acceleration 0..SQZ_ACCELERATION_MAX, 0
** for LZ4's default), with or without a dictionary; 3..12 LZ4HC, without.
** PARAMETER for an acceleration out of range, whatever the level, and for
** a dictionary at levels 3..12; else as lz4_block() and lz4_block_dict(). */
static size_t lz4_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                           const sqz_params *params) {
  if (params->acceleration < 0 || params->acceleration > SQZ_ACCELERATION_MAX)
    return SQZ_ERROR(PARAMETER);
  int hc_level = params->level >= LZ4_FIRST_HC_LEVEL ? params->level : 0;
  int acceleration = params->acceleration ? params->acceleration : 1;
  if (params->dict) {
    if (hc_level) return SQZ_ERROR(PARAMETER);
    return lz4_block_dict(ctx, dst, cap, src, n, params->dict, acceleration);
  }
  return lz4_block(ctx, dst, cap, src, n, hc_level, acceleration);
}

/* lz4hc: LZ4HC at params->level (1..12; 0 or less: LZ4HC's default, as
** LZ4 reads it); acceleration is ignored, a dictionary refused (PARAMETER).
** As lz4_block(). */
static size_t lz4hc_compress(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                             const sqz_params *params) {
  if (params->dict) return SQZ_ERROR(PARAMETER);
  int level = params->level > 0 ? params->level : LZ4HC_CLEVEL_DEFAULT;
  return lz4_block(ctx, dst, cap, src, n, level, 0);
}

/* Both codecs: exactly dstSize bytes from one LZ4 block. CORRUPT for
** anything that does not decode to exactly that (LZ4_decompress_safe's
** guarantee: no read outside src, no write outside dst). */
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
    .max_level = LZ4HC_CLEVEL_MAX,
    .description = "LZ4 (liblz4), levels as the lz4 tool: 1-2 fast, 3-12 LZ4HC (smaller, slower "
                   "to compress); very fast to decompress",
    .bound = lz4_bound,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
    .decompress_dict = lz4_decompress_dict,
    .free_state = lz4_free_state,
};

const sqz_codec sqz_codec_lz4hc = {
    .name = "lz4hc",
    .id = SQZ_ID_LZ4HC,
    .kind = SQZ_KIND_BYTES,
    .min_level = 1,
    .default_level = LZ4HC_CLEVEL_DEFAULT,
    .max_level = LZ4HC_CLEVEL_MAX,
    .description = "LZ4 high compression (liblz4) at levels 1-12, as lz4 levels 3-12: slow to "
                   "compress, LZ4-fast to decompress",
    .bound = lz4_bound,
    .compress = lz4hc_compress,
    .decompress = lz4_decompress,
    .free_state = lz4_free_state,
};

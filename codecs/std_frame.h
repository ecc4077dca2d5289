/*
** std_frame.h: writing the standard frames of the zstd and lz4 tools,
** compress(x, 'zstd', 'format=zstd') and compress(x, 'lz4', 'format=lz4'),
** block by block on the worker pool (workers.h).
**
** The value is cut into blocks of 2^block_log bytes (1 MiB by default) and
** each block becomes one complete frame, written by the libraries' own frame
** APIs: a zstd frame (RFC 8878) from ZSTD_compress2 with the content size
** and the XXH64 content checksum, or an LZ4 frame (lz4
** doc/lz4_Frame_format.md) from LZ4F_compressFrame_usingCDict with the
** content size, independent blocks and the content checksum. The frames are
** concatenated, which both tools and decompress() read as one stream
** (`zstd -d`, `lz4 -d`, RFC 8878 section 3). Blocks are independent, so the
** bytes are the same whatever the thread count; the cost is a window that
** does not reach across blocks (measured in docs/large_values.md).
*/
#ifndef SQZ_STD_FRAME_H
#define SQZ_STD_FRAME_H

#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  SQZ_STD_ZSTD = 1, /* zstd frames; levels of the zstd codec, window_log taken */
  SQZ_STD_LZ4 = 2   /* LZ4 frames; levels of the lz4 codec (1-2 fast, with params->
                       acceleration; 3-12 LZ4HC) */
} sqz_std_format;

/* Appends to out the standard frames of format for srcSize bytes of src,
** compressed with params (level in the codec's range; params->dict must be
** NULL) on threads threads of w (1 or w NULL: this thread only), one frame
** per block of 2^block_log bytes (0: SQZ_FRAME_BLOCK_LOG; else
** SQZ_FRAME_BLOCK_LOG_MIN..MAX). An empty value is one empty frame. Memory:
** 2 x threads block buffers from ctx and one library context per thread in
** its ctx (slots SQZ_SLOT_ZSTD_STD, SQZ_SLOT_LZ4_STD). Returns the bytes
** appended, or an error: PARAMETER (format, block_log or a dictionary),
** LEVEL, MEMORY, GENERIC (a library failed), and out->grow's errors. */
size_t sqz_std_frame_compress_out(sqz_ctx *ctx, sqz_workers *w, unsigned threads,
                                  sqz_frame_out *out, const void *src, size_t srcSize,
                                  sqz_std_format format, const sqz_params *params,
                                  unsigned block_log);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_STD_FRAME_H */

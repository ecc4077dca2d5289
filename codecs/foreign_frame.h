/*
** foreign_frame.h: reading the standard frames of the zstd and lz4
** command-line tools, for frame.c. Private to codecs/.
*/
#ifndef SQZ_FOREIGN_FRAME_H
#define SQZ_FOREIGN_FRAME_H

#include "frame.h"

/* When src (srcSize >= 4 bytes) starts with a zstd frame (magic 0xFD2FB528,
** or a skippable frame 0x184D2A5?) or an LZ4 frame (0x184D2204), fills *info
** (type; codec_id SQZ_ID_ZSTD or SQZ_ID_LZ4; content_size: for zstd the sum
** of the declared sizes of all frames, or SQZ_CONTENT_SIZE_UNKNOWN when one
** does not declare it; for LZ4 always SQZ_CONTENT_SIZE_UNKNOWN, since
** concatenated frames are only counted by decoding) and returns 4, the size
** of the magic; or returns an error: CORRUPT (a damaged zstd header, an LZ4
** FLG byte of another version), TRUNCATED (an LZ4 frame shorter than 7
** bytes). Returns 0 when src starts with neither magic. */
size_t sqz_foreign_parse(sqz_frame_info *info, const uint8_t *src, size_t srcSize);

/* Decodes the frames to count their output bytes, discarding it; stops with
** TOO_LARGE once the count passes limit. Returns the count or an error
** (CORRUPT, TOO_LARGE, MEMORY). Uses one scratch block of the ctx. */
uint64_t sqz_foreign_count(sqz_ctx *ctx, const sqz_frame_info *info, const void *src,
                           size_t srcSize, uint64_t limit);

/* Decodes the frames into dst, which must come out exactly dstSize bytes.
** Returns dstSize or CORRUPT, MEMORY. */
size_t sqz_foreign_decompress(sqz_ctx *ctx, const sqz_frame_info *info, void *dst, size_t dstSize,
                              const void *src, size_t srcSize);

#endif /* SQZ_FOREIGN_FRAME_H */

/*
** frame.h: the squeeze frame, the self-describing container that compress()
** returns, and the reading of standard zstd and LZ4 frames.
**
** docs/format.md specifies every byte. In short (all little-endian):
**
**   byte 0    0xC2: magic nibble 0xC, format version 2 (1 is still read);
**             0xC3, version 3, for a frame that needs a trained dictionary
**   byte 1    descriptor: bits 0-4 codec id, bit 5 original is TEXT,
**             bit 6 checksum present, bit 7 blocked
**   varint    original size in bytes (LEB128)
**   [4 bytes] checksum, if bit 6: low 32 bits of XXH3_64bits_withSeed(
**             original, seed 1 for TEXT, 0 for BLOB); version 1 used seed 0
**             for both, so its type bit was not covered
**   version 3 only: varint dictionary id (>= 1), then the dictionary's tag:
**             the low 16 bits (4 bytes when there is no checksum: 32 bits)
**             of its XXH3-128 hash's low64, little-endian
**   payload   unblocked: the codec's output for the whole value
**             blocked:   1 byte block_log, then per block a varint
**                        (compressed_size << 1 | stored) and its bytes
**
** A value of less than 128 bytes pays 7 bytes of header with its checksum.
** Values larger than one block (1 MiB by default) are cut into blocks that
** are compressed independently; a block that would not shrink is stored.
*/
#ifndef SQZ_FRAME_H
#define SQZ_FRAME_H

#include "codec.h"
#include "pool.h"
#include "workers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SQZ_FRAME_MAGIC 0xC2u      /* byte 0 of the frames written without a dictionary */
#define SQZ_FRAME_MAGIC_DICT 0xC3u /* byte 0 of the frames that need a dictionary */
#define SQZ_FRAME_VERSION_MIN 1    /* the oldest version read (1: checksum without the type) */
#define SQZ_FRAME_VERSION_MAX 4    /* the newest version read */
#define SQZ_FRAME_VERSION_STREAM 4 /* the streamed frame, written by the sqz program */
#define SQZ_FRAME_MAGIC_STREAM 0xC4u
#define SQZ_FRAME_HEADER_MAX 30    /* 1 + 1 + 10 (varint) + 4 + 10 (dict id) + 4 (tag) */
#define SQZ_FRAME_BLOCK_LOG 20     /* default block: 1 MiB */
#define SQZ_FRAME_BLOCK_LOG_MIN 12 /* 4 KiB */
#define SQZ_FRAME_BLOCK_LOG_MAX 30 /* 1 GiB */
#define SQZ_CONTENT_SIZE_UNKNOWN ((uint64_t)-1)

/* Flags for sqz_frame_compress. */
#define SQZ_FRAME_TEXT 1u        /* the original is TEXT (UTF-8), not a BLOB */
#define SQZ_FRAME_NO_CHECKSUM 2u /* omit the xxHash checksum */
/* Never fall back to store: the frame's codec id says what the values are
** (typed series). */
#define SQZ_FRAME_KEEP_CODEC 4u

/* What kind of frame a blob holds. */
typedef enum {
  SQZ_FRAME_SQUEEZE = 0, /* a squeeze frame */
  SQZ_FRAME_ZSTD = 1,    /* one or more standard zstd frames (RFC 8878) */
  SQZ_FRAME_LZ4 = 2      /* one or more LZ4 frames (lz4 doc/lz4_Frame_format.md) */
} sqz_frame_type;

typedef struct sqz_frame_info {
  sqz_frame_type type;
  unsigned codec_id;       /* squeeze frames: the codec; zstd/lz4 frames: SQZ_ID_ZSTD/LZ4 */
  unsigned version;        /* squeeze frames: the format version, 1, 2 or 3 */
  int is_text;             /* the original was TEXT */
  int has_checksum;        /* a checksum is present */
  int blocked;             /* payload cut into blocks */
  unsigned block_log;      /* blocked: log2 of the block size in bytes */
  uint32_t checksum;       /* has_checksum: the stored checksum */
  uint64_t content_size;   /* original size in bytes, or SQZ_CONTENT_SIZE_UNKNOWN
                              (zstd/lz4 frames that do not declare it) */
  size_t header_size;      /* bytes before the payload (squeeze frames) */
  uint64_t dict_id;        /* version 3: the dictionary's id (1..INT64_MAX); else 0 */
  uint32_t dict_tag;       /* version 3: the bits of its hash the frame records */
  unsigned dict_tag_bytes; /* version 3: 2 (with a checksum) or 4 (without); else 0 */
  size_t blocks_end;       /* squeeze frames: where the block list ends (version 4: at its
                              end mark; else the end of the frame) */
} sqz_frame_info;

/* Parses the header of the frame in src (srcSize bytes) into *info, reading
** nothing else. Returns the header size in bytes (a squeeze frame's, also
** in info->header_size; for a zstd or LZ4 frame 4, its magic number, which
** its library reads again, and info->header_size stays 0), or an error:
** CORRUPT (not a squeeze, zstd or LZ4 frame, or a malformed header: version
** 0, a varint over 64 bits, a block_log out of range, a blocked frame of one
** block; in version 3, a dictionary id of 0 or above INT64_MAX, or a codec
** that takes no dictionary), TRUNCATED, VERSION (a squeeze frame of a newer
** version), UNKNOWN_CODEC. */
size_t sqz_frame_parse(sqz_frame_info *info, const void *src, size_t srcSize);

/* Worst-case size in bytes of the frame sqz_frame_compress writes for srcSize
** bytes with codec and the default block_log (0); 0 when srcSize is too
** large for the codec or the bound does not fit size_t. Equal to
** sqz_frame_bound_blocks(codec, srcSize, 0). */
size_t sqz_frame_bound(const sqz_codec *codec, size_t srcSize);

/* The same for any block_log (0: SQZ_FRAME_BLOCK_LOG; otherwise
** SQZ_FRAME_BLOCK_LOG_MIN..MAX, else 0): smaller blocks mean more block
** headers and more per-call overhead of the codec, so the bound grows as
** block_log shrinks. Assumes, as holds for every registered codec, that a
** codec's bound() does not decrease with its input size. */
size_t sqz_frame_bound_blocks(const sqz_codec *codec, size_t srcSize, unsigned block_log);

/* Compresses srcSize bytes of src with codec and params into a frame at dst
** (dstCapacity bytes; sqz_frame_bound_blocks(codec, srcSize, block_log)
** bytes always suffice). flags is a combination of SQZ_FRAME_TEXT,
** SQZ_FRAME_NO_CHECKSUM and SQZ_FRAME_KEEP_CODEC. Values larger than
** 2^block_log bytes are blocked (block_log 0 means SQZ_FRAME_BLOCK_LOG). The
** frame records the store codec instead of codec when compressing would not
** shrink the value, unless flags has SQZ_FRAME_KEEP_CODEC. With
** params->dict the frame is a version-3 frame recording params->dict_id and
** the dictionary's tag, unless every piece ends up stored: then it is the
** version-2 frame of a stored value, which needs no dictionary. Returns the
** frame size in bytes, or an error: SRC_SIZE (typed codec and srcSize % 8
** != 0), LEVEL, PARAMETER (block_log out of range; a dictionary with a codec
** that takes none, with SQZ_FRAME_KEEP_CODEC, or with a dict_id of 0 or above
** INT64_MAX), DST_TOO_SMALL, MEMORY, or the codec's own error. */
size_t sqz_frame_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                          size_t srcSize, const sqz_codec *codec, const sqz_params *params,
                          unsigned flags, unsigned block_log);

/* An output buffer that frames are written into piece by piece: p holds
** size bytes of cap. grow, when not NULL, must make cap at least want
** (moving p) and return 0, or return an error (MEMORY, TOO_LARGE); with grow
** NULL the buffer is fixed and running out of it is DST_TOO_SMALL. */
typedef struct sqz_frame_out {
  uint8_t *p;
  size_t size, cap;
  size_t (*grow)(struct sqz_frame_out *out, size_t want);
  void *opaque; /* the grow and stop functions' */
  /* Optional: asked on the calling thread before each block of a blocked
  ** value is taken; a nonzero return (an error) ends the compression with
  ** it, once the blocks in flight are done (an interrupt, for instance). */
  size_t (*stop)(struct sqz_frame_out *out);
} sqz_frame_out;

/* Appends n bytes of p to out, growing it when it can. 0 or grow's error,
** DST_TOO_SMALL for a full fixed buffer. */
size_t sqz_frame_out_append(sqz_frame_out *out, const void *p, size_t n);

/* sqz_frame_compress into out, appending the frame to the out->size bytes
** already there, with its blocks (values over 2^block_log bytes) compressed
** on threads threads of w (threads 1 or w NULL: on the calling thread only;
** see workers.h). The bytes are the same whatever threads is. With a
** growing out, memory beyond the frame itself is 2 x threads block buffers
** (sqz_frame_block_capacity bytes each) from ctx, and for a value of one
** block, its codec's bound. Returns the frame's size, or the errors of
** sqz_frame_compress and of out->grow. */
size_t sqz_frame_compress_out(sqz_ctx *ctx, sqz_workers *w, unsigned threads, sqz_frame_out *out,
                              const void *src, size_t srcSize, const sqz_codec *codec,
                              const sqz_params *params, unsigned flags, unsigned block_log);

/* Bytes that always hold one encoded block of 2^block_log bytes or less
** (block header and payload, or a stored copy); 0 when codec cannot take a
** block that large. */
size_t sqz_frame_block_capacity(const sqz_codec *codec, unsigned block_log);

/* Encodes one block of a blocked frame, n bytes of src, into dst (cap bytes;
** sqz_frame_block_capacity suffice): the varint (compressed_size << 1 |
** stored) and the payload, the codec's output or, when that would not be
** smaller and keep is 0, a copy of src (*stored set). Returns the bytes
** written, or the codec's error, DST_TOO_SMALL, MEMORY. */
size_t sqz_frame_block_encode(sqz_ctx *ctx, void *dst, size_t cap, const void *src, size_t n,
                              const sqz_codec *codec, const sqz_params *params, int keep,
                              int *stored);

/* Decodes one block payload of csize bytes at src (after its header) into
** exactly n bytes at dst: a copy when stored (csize must be n), else codec's
** decoding (through dict when not NULL). Returns n, or CORRUPT, TRUNCATED,
** MEMORY and the codec's errors. Never reads or writes outside the two. */
size_t sqz_frame_block_decode(sqz_ctx *ctx, const sqz_codec *codec, sqz_dictionary *dict, void *dst,
                              size_t n, const void *src, size_t csize, int stored);

/* The original size of the frame in src: info->content_size when the header
** declares it, else (zstd/lz4 frames without a declared size) found by
** decoding into a scratch block and discarding the output, stopping with
** TOO_LARGE as soon as it passes limit bytes, so nothing larger than limit is
** ever allocated. Returns the size, or TOO_LARGE, CORRUPT, MEMORY. */
uint64_t sqz_frame_content_size(sqz_ctx *ctx, const sqz_frame_info *info, const void *src,
                                size_t srcSize, uint64_t limit);

/* Decompresses the frame in src (parsed into *info) into dst, which must hold
** exactly dstSize bytes, the size sqz_frame_content_size() returned. Verifies
** the checksum when the frame has one. Returns dstSize, or an error: CORRUPT,
** TRUNCATED, CHECKSUM, UNKNOWN_CODEC, VERSION (a payload mode of a newer
** squeeze), MEMORY, PARAMETER (a squeeze frame whose declared size is not
** dstSize), DICTIONARY (a version-3 frame: it needs
** sqz_frame_decompress_dict). Never reads outside src nor writes outside
** dst, whatever src holds. */
size_t sqz_frame_decompress(sqz_ctx *ctx, const sqz_frame_info *info, void *dst, size_t dstSize,
                            const void *src, size_t srcSize);

/* The same, with dict for a frame that needs one (info->dict_id != 0; dict
** is ignored for other frames). DICTIONARY when such a frame gets no dict,
** or one whose hash does not carry the frame's tag; the caller, who found
** dict by info->dict_id, is expected to have checked the tag already, to
** name the dictionary in its message. */
size_t sqz_frame_decompress_dict(sqz_ctx *ctx, const sqz_frame_info *info, void *dst,
                                 size_t dstSize, const void *src, size_t srcSize,
                                 sqz_dictionary *dict);

/* sqz_frame_decompress_dict with the blocks of a blocked squeeze frame
** decoded on threads threads of w (1 or w NULL: this thread only), each
** straight into its place in dst. Same results and errors. */
size_t sqz_frame_decompress_threads(sqz_ctx *ctx, sqz_workers *w, unsigned threads,
                                    const sqz_frame_info *info, void *dst, size_t dstSize,
                                    const void *src, size_t srcSize, sqz_dictionary *dict);

/* The low 32 bits of XXH3_64bits (xxHash, https://github.com/Cyan4973/xxHash,
** doc/xxhash_spec.md) of n bytes at p: the checksum of column chunks and of
** version-1 frames. */
uint32_t sqz_checksum(const void *p, size_t n);

/* The checksum a frame of version (1 or 2) stores for the n original bytes
** at p of type is_text: from version 2 on, XXH3_64bits with seed 1 for TEXT
** and 0 for BLOB, so that a flipped type bit fails the checksum. */
uint32_t sqz_frame_checksum(const void *p, size_t n, unsigned version, int is_text);

#ifdef __cplusplus
}
#endif
#endif /* SQZ_FRAME_H */

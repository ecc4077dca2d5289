/*
** delta.c: delta + zigzag + per-block frame-of-reference bit packing or
** varints, for int64 columns that are not timestamps (counters, ids,
** quantities, scaled decimals).
**
** Each value is replaced by its difference from the one before (modulo 2^64,
** so any int64 sequence works), and zigzag (Protocol Buffers' sint64) turns
** the signed difference into an unsigned number that is small when the
** difference is small in magnitude. The numbers are then stored in blocks of
** DELTA_BLOCK (128) values, each block in whichever of two forms is smaller:
**
**   - frame of reference (Goldstein, Ramakrishnan, Shaft, "Compressing
**     relations and indexes", ICDE 1998): the block's minimum m as a varint
**     and every value's (u - m) in w bits, w the bit width of (max - m);
**     a block of equal deltas takes w = 0 and costs its header and m;
**   - LEB128 varints, one per value, which win when a few large deltas
**     would force a wide w on the whole block.
**
** Ties go to frame of reference, which decodes faster. The first value is
** stored alone, as a zigzag varint, so that it does not widen the first
** block. Blocks start on byte boundaries, so a decoder could skip to any
** block by its size alone.
**
** The value count is not stored: the frame records the original size. The
** byte format with a worked example is in docs/format/delta.md.
**
** Usage from SQL (a thousand zeros as packed int64: eight width-0 blocks):
**
**   SELECT length(compress(zeroblob(8000), 'delta'));
**   -- 25: an 8-byte frame header, 1 byte for the first value, 2 per block
*/
#include "codec.h"
#include "pool.h"
#include "ts_common.h"
#include "varint.h"

#define DELTA_BLOCK 128 /* values per block */
/* The block header byte: 0..64 is a frame-of-reference width; with bit 7 set
** the low bits number another form: 0x80 varints, 0x81..DELTA_FORM_RESERVED
** kept for later forms (VERSION when unknown); every other value is never a
** header (CORRUPT). */
#define DELTA_VARINTS 0x80u
#define DELTA_FORM_RESERVED 0x8Fu

/* Worst case: the first value's varint, then per block a header byte, the
** minimum's varint and 8 bytes a value (frame of reference at width 64,
** which the encoder never exceeds since it keeps the smaller form). */
static size_t delta_bound(size_t srcSize) {
  size_t n = srcSize / 8 + (srcSize % 8 != 0);
  size_t blocks = n / DELTA_BLOCK + 1;
  if (n > (SIZE_MAX - 64) / 10) return 0;
  return SQZ_VARINT_MAX + blocks * (1 + SQZ_VARINT_MAX) + 8 * n;
}

/* Bytes of the varint of v, from its bit width. */
static inline size_t delta_varint_size(uint64_t v) {
  return (sqz_bit_width(v | 1) + 6) / 7;
}

/* Writes one block of cnt zigzagged deltas u[] at out (capacity bytes), in
** the smaller form. Returns the bytes written, or 0 when they do not fit. */
static size_t delta_put_block(uint8_t *out, size_t capacity, const uint64_t *u, size_t cnt) {
  uint64_t lo = u[0], hi = u[0];
  size_t varint_bytes = 1;
  for (size_t j = 0; j < cnt; j++) {
    lo = u[j] < lo ? u[j] : lo;
    hi = u[j] > hi ? u[j] : hi;
    varint_bytes += delta_varint_size(u[j]);
  }
  unsigned w = sqz_bit_width(hi - lo);
  size_t packed = (cnt * w + 7) / 8;
  size_t for_bytes = 1 + delta_varint_size(lo) + packed;
  if (for_bytes > capacity && varint_bytes > capacity) return 0;

  if (for_bytes <= varint_bytes) {
    out[0] = (uint8_t)w;
    size_t pos = 1 + sqz_varint_put(out + 1, capacity - 1, lo);
    sqz_bitwriter bw;
    sqz_bw_init(&bw, out + pos, packed);
    for (size_t j = 0; j < cnt; j++)
      sqz_bw_put64(&bw, u[j] - lo, w);
    sqz_bw_finish(&bw);
    return for_bytes;
  }
  out[0] = DELTA_VARINTS;
  size_t pos = 1;
  for (size_t j = 0; j < cnt; j++)
    pos += sqz_varint_put(out + pos, capacity - pos, u[j]);
  return pos;
}

/* Encodes srcSize / 8 little-endian int64 of src. Returns the payload size
** (0 for no values), SRC_SIZE when srcSize % 8 != 0, DST_TOO_SMALL when
** dstCapacity cannot hold the payload. */
static size_t delta_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                             size_t srcSize, const sqz_params *params) {
  (void)ctx;
  (void)params;
  size_t n, err = ts_check_src(srcSize, &n);
  if (err || n == 0) return err;
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  uint64_t prev = sqz_load64le(in);
  size_t pos = sqz_varint_put(out, dstCapacity, sqz_zigzag_encode(prev));
  if (!pos) return SQZ_ERROR(DST_TOO_SMALL);

  uint64_t u[DELTA_BLOCK];
  for (size_t i = 1; i < n; i += DELTA_BLOCK) {
    size_t cnt = n - i < DELTA_BLOCK ? n - i : DELTA_BLOCK;
    for (size_t j = 0; j < cnt; j++) {
      uint64_t cur = sqz_load64le(in + 8 * (i + j));
      u[j] = sqz_zigzag_encode(cur - prev);
      prev = cur;
    }
    size_t k = delta_put_block(out + pos, dstCapacity - pos, u, cnt);
    if (!k) return SQZ_ERROR(DST_TOO_SMALL);
    pos += k;
  }
  return pos;
}

/* Decodes one frame-of-reference block of cnt values, width w, from
** in[*pos..size), continuing from *x; writes them at out. Returns 0,
** TRUNCATED or CORRUPT (bad minimum, non-zero padding bits). */
static size_t delta_get_for(const uint8_t *in, size_t size, size_t *pos, unsigned w, size_t cnt,
                            uint64_t *x, uint8_t *out) {
  uint64_t lo, v = *x;
  size_t err = sqz_varint_take(in, size, pos, &lo);
  if (err) return err;
  size_t packed = (cnt * w + 7) / 8;
  if (packed > size - *pos) return SQZ_ERROR(TRUNCATED);
  sqz_bitreader r;
  sqz_br_init(&r, in + *pos, packed);
  if (w <= 56) {
    for (size_t j = 0; j < cnt; j++) {
      v += sqz_zigzag_decode(lo + sqz_br_read(&r, w));
      sqz_store64le(out + 8 * j, v);
    }
  } else {
    for (size_t j = 0; j < cnt; j++) {
      v += sqz_zigzag_decode(lo + sqz_br_read64(&r, w));
      sqz_store64le(out + 8 * j, v);
    }
  }
  *pos += packed;
  *x = v;
  return ts_br_end(&r);
}

/* Decodes one varint block of cnt values; as delta_get_for(). */
static size_t delta_get_varints(const uint8_t *in, size_t size, size_t *pos, size_t cnt,
                                uint64_t *x, uint8_t *out) {
  uint64_t v = *x;
  for (size_t j = 0; j < cnt; j++) {
    uint64_t z;
    size_t err = sqz_varint_take(in, size, pos, &z);
    if (err) return err;
    v += sqz_zigzag_decode(z);
    sqz_store64le(out + 8 * j, v);
  }
  *x = v;
  return 0;
}

/* Decodes dstSize / 8 int64 from src. Returns dstSize; TRUNCATED when src
** ends early; VERSION for a block header 0x81..0x8F (a newer squeeze's
** form); CORRUPT on any other bad block header or a bad varint, non-zero
** padding, dstSize % 8 != 0, or bytes after the last block. Reads only
** src[0..srcSize), writes only dst[0..dstSize). */
static size_t delta_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                               size_t srcSize) {
  (void)ctx;
  size_t err = ts_check_dst(dstSize, srcSize);
  if (err || dstSize == 0) return err;
  size_t n = dstSize / 8, pos = 0;
  const uint8_t *in = (const uint8_t *)src;
  uint8_t *out = (uint8_t *)dst;
  uint64_t x;
  err = sqz_varint_take(in, srcSize, &pos, &x);
  if (err) return err;
  x = sqz_zigzag_decode(x);
  sqz_store64le(out, x);

  for (size_t i = 1; i < n; i += DELTA_BLOCK) {
    size_t cnt = n - i < DELTA_BLOCK ? n - i : DELTA_BLOCK;
    if (pos >= srcSize) return SQZ_ERROR(TRUNCATED);
    unsigned head = in[pos++];
    if (head <= 64) {
      err = delta_get_for(in, srcSize, &pos, head, cnt, &x, out + 8 * i);
    } else if (head == DELTA_VARINTS) {
      err = delta_get_varints(in, srcSize, &pos, cnt, &x, out + 8 * i);
    } else {
      err = head > DELTA_VARINTS ? sqz_mode_error(head, DELTA_FORM_RESERVED) : SQZ_ERROR(CORRUPT);
    }
    if (err) return err;
  }
  return pos == srcSize ? dstSize : SQZ_ERROR(CORRUPT);
}

const sqz_codec sqz_codec_delta = {
    .name = "delta",
    .id = SQZ_ID_DELTA,
    .kind = SQZ_KIND_INT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "delta + zigzag, then per 128 values frame-of-reference bit packing or varints",
    .bound = delta_bound,
    .compress = delta_compress,
    .decompress = delta_decompress,
    .free_state = NULL,
};

/*
** gorilla.c: the XOR encoding of floating-point values from Facebook's
** Gorilla paper (T. Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory
** Time Series Database", PVLDB 8(12), 2015, section 4.1.2), bit for bit,
** restarted every 1024 values as the paper restarts it every block.
**
** Consecutive samples of a gauge differ in few bits, so each value is XORed
** with the one before and only the XOR's "meaningful" bits, between its
** leading and trailing zeros, are written:
**
**   first value of a block  64 bits, raw
**   XOR == 0                '0'
**   XOR fits the window     '10' + the bits inside the previous window
**   otherwise               '11' + 5 bits leading zeros + 6 bits length
**                           + the meaningful bits; this becomes the window
**
** The window is the (leading, trailing) pair of the last '11' value of the
** block; a '10' value reuses it, so its zeros need not be written again.
** Leading zeros above 31 are written as 31 (5 bits), the extra zeros then
** count as meaningful bits, exactly as the paper does. A length of 64 (an XOR
** with its top and bottom bits set) is written as 0 in the 6-bit field: a
** length of 0 is impossible, since a zero XOR takes the '0' form.
**
** Blocks. Gorilla itself never writes one endless stream: it compresses each
** series in two-hour blocks, each opening with its first value in full
** (section 4.1). squeeze restarts every GORILLA_BLOCK = 1024 values: values 0,
** 1024, 2048, ... are written raw and the window is dropped, exactly as at the
** start of the stream, so no block depends on an earlier one. The bits stay one
** stream: a block starts at the bit where the previous one ended (no byte
** alignment, no block header; the boundaries follow from the value count).
**
** Why restart at all: under the paper's rule a window only changes when a
** value does not fit it, so once a series has needed a wide window (a random
** walk crossing 96 -> 95.99, 64 or 32 changes many mantissa bits) every later
** value pays for that width. On the 1M-value gen_ts walks the pure stream costs
** 51.18 (2 decimals) and 55.51 (full precision) bits per value; restarting
** every 1024 values spends a raw 64-bit value per block (0.06 bits per value)
** and gives 46.95 and 50.91 (docs/format/gorilla.md has the table). Why 1024: it
** is ALP's vector size (codecs/alp.c), so the float64 codecs cut a series
** alike, and a later index of block offsets can let a reader skip whole
** blocks. The size changes slowly with the length (512 values: 46.59 and
** 50.49; 4096: 47.79 and 51.84), so the choice is about access, not size.
**
** squeeze writes the fields with its shared LSB-first bit writer
** (bitstream.h): every field in the paper's order and width, its value's
** least significant bit first. The size is therefore the paper's to the bit;
** only the bit order inside a byte is squeeze's own. The value count is not
** stored: the frame records the original size (8 bytes per value). The exact
** byte format, with worked examples, is in docs/format/gorilla.md.
**
** Usage from SQL (three doubles 1.0, 1.0, 1.5 as packed little-endian bytes):
**
**   SELECT hex(compress(x'000000000000F03F000000000000F03F000000000000F83F',
**                       'gorilla'));
**   -- C1471870562D7D000000000000F03F6641: a 7-byte frame header, then the
**   -- first value raw and 15 bits for the other two (docs/format/gorilla.md)
**
** Any 64-bit pattern round-trips unchanged (NaN payloads, -0.0, infinities,
** subnormals): the codec never interprets a value as a number.
*/
#include "codec.h"
#include "pool.h"
#include "ts_common.h"

/* Values per block: the first of each is written raw, with no window. */
#define GORILLA_BLOCK 1024
/* '11' header: 2 control bits, 5 bits leading zeros, 6 bits length. */
#define GORILLA_HEADER_BITS 13
#define GORILLA_MAX_LEADING 31
/* Worst case of a value that is not a block's first: '11' header plus 64
** meaningful bits (a block's first value takes 64). */
#define GORILLA_MAX_VALUE_BITS (GORILLA_HEADER_BITS + 64)
/* Sentinel "no window yet": larger than any leading-zero count, so the first
** non-zero XOR of a block always takes the '11' form. */
#define GORILLA_NO_WINDOW 64

/* Worst case: 77 bits per value (a block's first value takes only 64),
** rounded up to whole bytes. 0 when srcSize is too large to compute it. */
static size_t gorilla_bound(size_t srcSize) {
  size_t n = srcSize / 8 + (srcSize % 8 != 0);
  if (n > (SIZE_MAX - 16) / GORILLA_MAX_VALUE_BITS) return 0;
  return (n * GORILLA_MAX_VALUE_BITS + 7) / 8 + 8;
}

/* Encodes the count values at in (count >= 1) as one block: the first raw,
** then the XOR forms with a window that starts empty. */
static void gorilla_encode_block(sqz_bitwriter *w, const uint8_t *in, size_t count) {
  uint64_t prev = sqz_load64le(in);
  sqz_bw_put64(w, prev, 64);
  unsigned lead = GORILLA_NO_WINDOW, trail = 0;
  for (size_t i = 1; i < count; i++) {
    uint64_t cur = sqz_load64le(in + 8 * i);
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      sqz_bw_put(w, 0, 1); /* '0' */
      continue;
    }
    unsigned l = sqz_clz64(x), t = sqz_ctz64(x);
    if (l > GORILLA_MAX_LEADING) l = GORILLA_MAX_LEADING;
    if (l >= lead && t >= trail) {
      /* '10': bit 1 then bit 0, LSB first = 1; then the window's bits. */
      unsigned len = 64 - lead - trail;
      uint64_t m = x >> trail;
      if (len <= 54) {
        sqz_bw_put(w, 1 | (m << 2), 2 + len);
      } else {
        sqz_bw_put(w, 1, 2);
        sqz_bw_put64(w, m, len);
      }
    } else {
      /* '11' + leading (5 bits) + length (6 bits, 64 written as 0). */
      unsigned len = 64 - l - t;
      uint64_t m = x >> t;
      uint64_t head = 3 | ((uint64_t)l << 2) | ((uint64_t)(len & 63) << 7);
      if (len <= 56 - GORILLA_HEADER_BITS) {
        sqz_bw_put(w, head | (m << GORILLA_HEADER_BITS), GORILLA_HEADER_BITS + len);
      } else {
        sqz_bw_put(w, head, GORILLA_HEADER_BITS);
        sqz_bw_put64(w, m, len);
      }
      lead = l;
      trail = t;
    }
  }
}

/* Encodes srcSize / 8 little-endian 64-bit values of src into dst, block by
** block. Returns the payload size in bytes (0 for no values), SRC_SIZE when
** srcSize is not a multiple of 8, DST_TOO_SMALL when dstCapacity cannot hold
** it. */
static size_t gorilla_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                               size_t srcSize, const sqz_params *params) {
  (void)ctx;
  (void)params;
  size_t n, err = ts_check_src(srcSize, &n);
  if (err || n == 0) return err;
  const uint8_t *in = (const uint8_t *)src;
  sqz_bitwriter w;
  sqz_bw_init(&w, dst, dstCapacity);
  for (size_t start = 0; start < n; start += GORILLA_BLOCK) {
    size_t count = n - start < GORILLA_BLOCK ? n - start : GORILLA_BLOCK;
    gorilla_encode_block(&w, in + 8 * start, count);
  }
  return ts_bw_result(&w);
}

/* Decodes one block of count values (count >= 1) into out. Returns 0, or
** CORRUPT / TRUNCATED (see gorilla_decompress). */
static size_t gorilla_decode_block(sqz_bitreader *r, uint8_t *out, size_t count) {
  uint64_t prev = sqz_br_read64(r, 64);
  if (sqz_br_overflowed(r)) return SQZ_ERROR(TRUNCATED);
  sqz_store64le(out, prev);
  unsigned lead = GORILLA_NO_WINDOW, trail = 0;
  for (size_t i = 1; i < count; i++) {
    uint64_t c = sqz_br_peek(r, GORILLA_HEADER_BITS);
    if (c & 1) {
      if (c & 2) { /* '11': a new window */
        unsigned l = (unsigned)(c >> 2) & 31, len = (unsigned)(c >> 7) & 63;
        if (len == 0) len = 64;
        if (l + len > 64) return SQZ_ERROR(CORRUPT);
        lead = l;
        trail = 64 - l - len;
        sqz_br_skip(r, GORILLA_HEADER_BITS);
      } else { /* '10': the previous window of this block */
        if (lead == GORILLA_NO_WINDOW) return SQZ_ERROR(CORRUPT);
        sqz_br_skip(r, 2);
      }
      prev ^= sqz_br_read64(r, 64 - lead - trail) << trail;
    } else {                                          /* '0': a repeat */
      if (r->nbits == 0) return SQZ_ERROR(TRUNCATED); /* no input left */
      sqz_br_skip(r, 1);
    }
    sqz_store64le(out + 8 * i, prev);
  }
  return 0;
}

/* Decodes dstSize / 8 values from the srcSize-byte payload src into dst.
** Returns dstSize; TRUNCATED when the payload ends before the last value;
** CORRUPT when dstSize is not a multiple of 8, a '10' value comes before
** any window of its block, a window does not fit in 64 bits, or anything but
** the last byte's zero padding follows the last value. Reads only
** src[0..srcSize), writes only dst[0..dstSize). */
static size_t gorilla_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                                 size_t srcSize) {
  (void)ctx;
  size_t err = ts_check_dst(dstSize, srcSize);
  if (err || dstSize == 0) return err;
  size_t n = dstSize / 8;
  uint8_t *out = (uint8_t *)dst;
  sqz_bitreader r;
  sqz_br_init(&r, src, srcSize);
  for (size_t start = 0; start < n; start += GORILLA_BLOCK) {
    size_t count = n - start < GORILLA_BLOCK ? n - start : GORILLA_BLOCK;
    err = gorilla_decode_block(&r, out + 8 * start, count);
    if (err) return err;
  }
  err = ts_br_end(&r);
  return err ? err : dstSize;
}

const sqz_codec sqz_codec_gorilla = {
    .name = "gorilla",
    .id = SQZ_ID_GORILLA,
    .kind = SQZ_KIND_FLOAT64,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "Gorilla XOR encoding of float64 series in blocks of 1024 (Pelkonen et al., "
                   "VLDB 2015)",
    .bound = gorilla_bound,
    .compress = gorilla_compress,
    .decompress = gorilla_decompress,
    .free_state = NULL,
};

/*
** rle.c: the `rle` codec, run-length coding of bytes and of repeated 2-, 4-
** and 8-byte units, for constant and sparse data.
**
** What it is for: a block of zeros, a column of one repeated double, a
** sparse array that is mostly one value. `SELECT length(compress(zeroblob(
** 1000000), 'rle'))` is a handful of bytes, and decoding runs at memset and
** memcpy speed. On data without runs it costs at most 10 bytes more than
** the input (one literal run).
**
** The output is a sequence of tokens, each a LEB128 varint header v
** (codecs/varint.h) and a payload (docs/format/rle.md has the byte format):
**   v & 1 == 0          literal: (v >> 1) + 1 bytes follow and are copied;
**   v & 1 == 1          run: a unit of w = 1 << ((v >> 1) & 3) bytes follows,
**                       and (v >> 3) + 1 bytes of output repeat it:
**                       out[i] = unit[i % w].
** Tokens follow each other until dstSize bytes are produced.
**
** Encoding scans the input 8 bytes at a time for two equal neighbouring
** 8-byte words (any run of a 1-, 2-, 4- or 8-byte unit is 8-periodic, and one
** at least 23 bytes long always contains such a pair on the scan grid),
** extends the periodic stretch both ways, finds its shortest unit, and takes
** it as a run when the run token plus the literal header it splits off cost
** no more than the bytes it covers. That rule is what bounds the output to
** the input plus one literal header.
**
** Decoding: literals are memcpy; a run of one byte is memset; a run of a
** longer unit writes one 8-byte word of the unit and then doubles the filled
** prefix with memcpy (capped at 32 KiB per copy, so the source stays in
** cache). It never trusts its input: every length is checked against dst
** and src before a byte moves.
*/
#include "codec.h"
#include "byteorder.h"
#include "pool.h"
#include "varint.h"

#include <string.h>

#define RLE_MAX_OVERHEAD SQZ_VARINT_MAX /* bytes above the input, worst case */
#define RLE_FILL_CHUNK ((size_t)32 << 10)

/* Worst case: the whole input as one literal behind a varint header. 1 for
** the empty input (which compresses to nothing), 0 when n is too large. */
static size_t rle_bound(size_t n) {
  if (n > SIZE_MAX - RLE_MAX_OVERHEAD) return 0;
  return n ? n + RLE_MAX_OVERHEAD : 1;
}

/* The shortest unit w (1, 2, 4 or 8 bytes) that the 8 bytes of word repeat,
** as log2(w). */
static unsigned rle_unit_log(uint64_t word) {
  if (word == (word & 0xFF) * 0x0101010101010101ULL) return 0;
  if (word == (word & 0xFFFF) * 0x0001000100010001ULL) return 1;
  if (word == (word & 0xFFFFFFFF) * 0x0000000100000001ULL) return 2;
  return 3;
}

/* Appends a literal token for src[0..len) (len >= 1) at dst[*op], capacity
** bytes in all. Returns 0, or DST_TOO_SMALL. */
static size_t rle_put_literal(uint8_t *dst, size_t capacity, size_t *op, const uint8_t *src,
                              size_t len) {
  size_t h = sqz_varint_put(dst + *op, capacity - *op, (uint64_t)(len - 1) << 1);
  if (!h || capacity - *op - h < len) return SQZ_ERROR(DST_TOO_SMALL);
  memcpy(dst + *op + h, src, len);
  *op += h + len;
  return 0;
}

/* Compresses src[0..n) into dst (capacity bytes). Returns the bytes
** written, or DST_TOO_SMALL (never with capacity >= rle_bound(n)). No
** scratch; params is unused (one level). */
static size_t rle_compress(sqz_ctx *ctx, void *dst, size_t capacity, const void *src, size_t n,
                           const sqz_params *params) {
  (void)ctx;
  (void)params;
  const uint8_t *in = src;
  uint8_t *out = dst;
  size_t op = 0, lit = 0, pos = 0, r;
  while (n >= 16 && pos <= n - 16) {
    if (sqz_load64le(in + pos) != sqz_load64le(in + pos + 8)) {
      pos += 8;
      continue;
    }
    /* in[pos..pos+16) is 8-periodic: extend the stretch [s, e) both ways. */
    size_t s = pos, e = pos + 16;
    while (s > lit && in[s - 1] == in[s + 7])
      s--;
    while (n - e >= 8 && sqz_load64le(in + e) == sqz_load64le(in + e - 8))
      e += 8;
    while (e < n && in[e] == in[e - 8])
      e++;
    size_t len = e - s;
    unsigned unit_log = rle_unit_log(sqz_load64le(in + s));
    uint64_t header = (uint64_t)(len - 1) << 3 | unit_log << 1 | 1;
    size_t cost = sqz_varint_size(header) + ((size_t)1 << unit_log);
    if (s > lit) cost += sqz_varint_size((uint64_t)(s - lit - 1) << 1);
    if (cost <= len) {
      if (s > lit && (r = rle_put_literal(out, capacity, &op, in + lit, s - lit))) return r;
      size_t h = sqz_varint_put(out + op, capacity - op, header);
      if (!h || capacity - op - h < ((size_t)1 << unit_log)) return SQZ_ERROR(DST_TOO_SMALL);
      memcpy(out + op + h, in + s, (size_t)1 << unit_log);
      op += h + ((size_t)1 << unit_log);
      lit = e;
    }
    pos = e;
  }
  if (n > lit && (r = rle_put_literal(out, capacity, &op, in + lit, n - lit))) return r;
  return op;
}

/* Fills op[0..len) with the 8-byte pattern word (little-endian): out[i] is
** byte i % 8 of it. */
static void rle_fill(uint8_t *op, size_t len, uint64_t word) {
  if (len < 8) {
    sqz_store_le(op, word, len);
    return;
  }
  sqz_store64le(op, word);
  size_t done = 8;
  while (done < len) {
    /* done stays a multiple of 8 until the last copy, so the phase holds. */
    size_t chunk = done < RLE_FILL_CHUNK ? done : RLE_FILL_CHUNK;
    if (chunk > len - done) chunk = len - done;
    memcpy(op + done, op, chunk);
    done += chunk;
  }
}

/* Decompresses exactly n bytes from src[0..size) into dst. Returns n, or
** TRUNCATED when the input ends inside a token, CORRUPT when a token would
** write past n bytes, a header is malformed, or bytes follow the last token.
** No scratch. */
static size_t rle_decompress(sqz_ctx *ctx, void *dst, size_t n, const void *src, size_t size) {
  (void)ctx;
  const uint8_t *in = src;
  uint8_t *out = dst;
  size_t ip = 0, op = 0, r;
  while (op < n) {
    uint64_t v;
    if ((r = sqz_varint_take(in, size, &ip, &v))) return r; /* TRUNCATED or CORRUPT */
    if (!(v & 1)) {
      uint64_t len = (v >> 1) + 1;
      if (len > n - op) return SQZ_ERROR(CORRUPT);
      if (len > size - ip) return SQZ_ERROR(TRUNCATED);
      memcpy(out + op, in + ip, (size_t)len);
      ip += (size_t)len;
      op += (size_t)len;
    } else {
      uint64_t len = (v >> 3) + 1;
      size_t w = (size_t)1 << ((v >> 1) & 3);
      if (len > n - op) return SQZ_ERROR(CORRUPT);
      if (w > size - ip) return SQZ_ERROR(TRUNCATED);
      if (w == 1) {
        memset(out + op, in[ip], (size_t)len);
      } else {
        uint64_t word = 0;
        for (size_t i = 0; i < 8; i++)
          word |= (uint64_t)in[ip + (i & (w - 1))] << (8 * i);
        rle_fill(out + op, (size_t)len, word);
      }
      ip += w;
      op += (size_t)len;
    }
  }
  if (ip != size) return SQZ_ERROR(CORRUPT);
  return n;
}

const sqz_codec sqz_codec_rle = {
    .name = "rle",
    .id = SQZ_ID_RLE,
    .kind = SQZ_KIND_BYTES,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "runs of bytes and of 2-, 4- and 8-byte units; literals for the rest",
    .bound = rle_bound,
    .compress = rle_compress,
    .decompress = rle_decompress,
    .free_state = NULL,
};

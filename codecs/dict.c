/*
** dict.c: the `dict` codec, dictionary encoding of a sequence of strings,
** for low-cardinality TEXT columns (sensor names, states, categories).
**
** Input layout (kind "text", docs/format/dict.md): the strings one after the
** other, each as an unsigned LEB128 varint length followed by that many
** bytes. The empty input is the empty sequence. The virtual table hands a
** chunk's TEXT values to the codec in this layout; through SQL:
**
**   SELECT hex(decompress(compress(x'026f6e036f6666026f6e026f6e', 'dict')));
**   -- 026F6E036F6666026F6E026F6E   ('on', 'off', 'on', 'on')
**
** Output: one mode byte, then either the input unchanged (mode 0, "raw",
** when no dictionary would make it smaller) or (mode 1) the value count, the
** distinct values in order of first appearance, and one code per value of
** w bits, w the bit width of (distinct - 1), packed LSB-first; or (mode 2,
** at most 256 distinct values) the same dictionary and the codes as bytes
** through the huffman codec, which takes a skewed column to its entropy.
** The smallest form wins. Eight thousand readings from a dozen sensors cost
** the dozen names plus about log2(12) = 3.6 bits a row. This is the dictionary encoding of column
*stores (C-Store, DuckDB's
** dictionary compression, Parquet's RLE_DICTIONARY without the RLE step).
**
** Determinism: codes are given in order of first appearance and the hash
** table only finds earlier equal strings, so the output depends on the input
** alone. The decoder checks every length, count and code against the input
** and the exact output size it is given, and never reads outside src nor
** writes outside dst.
**
** Values passed through compress() must fit one frame block (1 MiB): the
** frame layer cuts larger inputs at byte offsets that split the layout.
*/
#include <string.h>

#include <xxhash.h>

#include "bits.h"
#include "bitstream.h"
#include "checked.h"
#include "codec.h"
#include "pool.h"
#include "varint.h"

/* The mode byte (docs/format/dict.md). 0 and 1 are format version 1 as
** squeeze 0.1.0 wrote it; 2 came after. Values up to DICT_MODE_RESERVED are
** kept for later modes (a reader that does not know one says VERSION), the
** rest are never modes (CORRUPT). */
#define DICT_MODE_RAW 0
#define DICT_MODE_DICT 1
#define DICT_MODE_HUFFMAN 2 /* dictionary, codes as bytes through the huffman codec */
#define DICT_MODE_LAST DICT_MODE_HUFFMAN
#define DICT_MODE_RESERVED 15

/* Worst case: the raw form, one mode byte plus the input. */
static size_t dict_bound(size_t srcSize) {
  return srcSize < SIZE_MAX ? srcSize + 1 : 0;
}

/* Splits the layout in src into n strings: start[i] is the offset of the
** bytes of string i, len[i] its length. Counts only when start is NULL.
** Returns the count, or an error: CORRUPT for a malformed layout (a varint
** that does not end, or a length past the end of the input). */
static size_t dict_split(const uint8_t *src, size_t size, uint32_t *start, uint32_t *len) {
  size_t pos = 0, n = 0;
  while (pos < size) {
    uint64_t l;
    /* compress's input is whole: a varint cut short is a malformed layout */
    if (sqz_varint_take(src, size, &pos, &l) || l > size - pos) return SQZ_ERROR(CORRUPT);
    if (start) {
      start[n] = (uint32_t)pos;
      len[n] = (uint32_t)l;
    }
    pos += (size_t)l;
    n++;
  }
  return n;
}

/* compress: see the file comment for the layout. Scratch: 16 bytes per
** string plus a hash table of 2n..4n slots. Errors: CORRUPT (malformed
** layout), DST_TOO_SMALL, MEMORY. */
static size_t dict_compress(sqz_ctx *ctx, void *dstv, size_t cap, const void *srcv, size_t size,
                            const sqz_params *params) {
  (void)params;
  const uint8_t *src = srcv;
  uint8_t *dst = dstv;
  if (size > UINT32_MAX) goto raw; /* offsets are 32-bit; keep huge inputs raw */
  size_t n = dict_split(src, size, NULL, NULL);
  if (sqz_is_error(n)) return n;
  if (n < 2) goto raw;
  /* Sizes below are computed in 64 bits, where n <= size <= 2^32 cannot
  ** overflow, and must then fit size_t. slots: the power of two >= 2n.
  ** Scratch: start, len, code, dictionary member per string; slot table. */
  uint64_t slots64 = (uint64_t)1 << sqz_bit_width(2 * (uint64_t)n - 1);
  uint64_t need64 = (uint64_t)n * 16 + slots64 * 4;
  size_t slots = (size_t)slots64, need = (size_t)need64;
  if (need != need64) goto raw; /* a table that large cannot be had on this host */
  uint8_t *mem = sqz_scratch_acquire(ctx, need);
  if (!mem) return SQZ_ERROR(MEMORY);
  uint32_t *start = (uint32_t *)mem, *len = start + n, *code = len + n, *member = code + n;
  uint32_t *table = member + n;
  memset(table, 0xff, slots * 4);
  dict_split(src, size, start, len);
  uint32_t d = 0;
  size_t dict_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t h = XXH3_64bits(src + start[i], len[i]);
    size_t s = (size_t)h & (slots - 1);
    for (;;) {
      uint32_t m = table[s];
      if (m == UINT32_MAX) {
        table[s] = d;
        member[d] = (uint32_t)i;
        code[i] = d++;
        dict_bytes += sqz_varint_size(len[i]) + len[i];
        break;
      }
      uint32_t j = member[m];
      if (len[j] == len[i] && memcmp(src + start[j], src + start[i], len[i]) == 0) {
        code[i] = m;
        break;
      }
      s = (s + 1) & (slots - 1);
    }
  }
  /* the sizes of the two forms, in 64 bits like the scratch above; the one
  ** chosen is below size + 1, so it fits size_t */
  unsigned w = sqz_bit_width(d - 1);
  uint64_t code_bytes = ((uint64_t)n * w + 7) / 8;
  uint64_t head = 1 + sqz_varint_size(n) + sqz_varint_size(d) + (uint64_t)dict_bytes;
  uint64_t total = head + code_bytes;
  /* mode 2: with at most 256 distinct values the codes are bytes, and an
  ** order-0 Huffman coder takes them to their entropy */
  const sqz_codec *huf = d > 1 && d <= 256 ? &sqz_codec_huffman : NULL;
  uint8_t *huf_out = NULL;
  size_t huf_size = 0;
  uint64_t total2 = UINT64_MAX;
  if (huf && huf->bound(n)) {
    uint8_t *bytes = sqz_scratch_acquire(ctx, n);
    huf_out = bytes ? sqz_scratch_acquire(ctx, huf->bound(n)) : NULL;
    if (huf_out) {
      for (size_t i = 0; i < n; i++)
        bytes[i] = (uint8_t)code[i];
      sqz_params hp = {.level = huf->default_level};
      size_t r = huf->compress(ctx, huf_out, huf->bound(n), bytes, n, &hp);
      if (!sqz_is_error(r)) {
        huf_size = r;
        total2 = head + sqz_varint_size(r) + r;
      }
    }
    sqz_scratch_release(ctx, bytes);
  }
  int mode = total2 < total ? DICT_MODE_HUFFMAN : DICT_MODE_DICT;
  if (mode == DICT_MODE_HUFFMAN) total = total2;
  size_t result = 0;
  if (total >= (uint64_t)size + 1) goto raw_release;
  if (cap < total) {
    result = SQZ_ERROR(DST_TOO_SMALL);
    goto release;
  }
  size_t pos = 0;
  dst[pos++] = (uint8_t)mode;
  pos += sqz_varint_put(dst + pos, cap - pos, n);
  pos += sqz_varint_put(dst + pos, cap - pos, d);
  for (uint32_t m = 0; m < d; m++) {
    uint32_t j = member[m];
    pos += sqz_varint_put(dst + pos, cap - pos, len[j]);
    memcpy(dst + pos, src + start[j], len[j]);
    pos += len[j];
  }
  if (mode == DICT_MODE_HUFFMAN) {
    pos += sqz_varint_put(dst + pos, cap - pos, huf_size);
    memcpy(dst + pos, huf_out, huf_size);
    result = pos + huf_size;
    goto release;
  }
  sqz_bitwriter bw;
  sqz_bw_init(&bw, dst + pos, cap - pos);
  for (size_t i = 0; i < n; i++)
    sqz_bw_put(&bw, code[i], w);
  size_t written = sqz_bw_finish(&bw);
  result = written == code_bytes ? pos + written : SQZ_ERROR(GENERIC);
release:
  sqz_scratch_release(ctx, huf_out);
  sqz_scratch_release(ctx, mem);
  return result;
raw_release:
  sqz_scratch_release(ctx, huf_out);
  sqz_scratch_release(ctx, mem);

raw:
  if (cap < size + 1) return SQZ_ERROR(DST_TOO_SMALL);
  dst[0] = DICT_MODE_RAW;
  if (size) memcpy(dst + 1, src, size);
  return size + 1;
}

/* decompress: dstSize is the exact size of the layout. Errors: VERSION (a
** mode from 3 to 15: a newer squeeze's), CORRUPT, TRUNCATED, MEMORY,
** UNKNOWN_CODEC (mode 2 without the huffman codec in the registry), or the
** huffman codec's own error for a mode 2 stream. */
static size_t dict_decompress(sqz_ctx *ctx, void *dstv, size_t dstSize, const void *srcv,
                              size_t srcSize) {
  const uint8_t *src = srcv;
  uint8_t *dst = dstv;
  if (srcSize < 1) return SQZ_ERROR(TRUNCATED);
  if (src[0] == DICT_MODE_RAW) {
    if (srcSize - 1 != dstSize) return SQZ_ERROR(CORRUPT);
    if (sqz_is_error(dict_split(src + 1, srcSize - 1, NULL, NULL))) return SQZ_ERROR(CORRUPT);
    if (dstSize) memcpy(dst, src + 1, dstSize);
    return dstSize;
  }
  int mode = src[0];
  if (mode > DICT_MODE_LAST) return sqz_mode_error((unsigned)mode, DICT_MODE_RESERVED);
  if (srcSize > UINT32_MAX) return SQZ_ERROR(CORRUPT); /* offsets are 32-bit */
  size_t pos = 1;
  uint64_t n, d;
  size_t k = sqz_varint_take(src, srcSize, &pos, &n);
  if (!k) k = sqz_varint_take(src, srcSize, &pos, &d);
  if (k) return k;
  /* every string takes at least its 1-byte length in the output, so n <=
  ** dstSize fits size_t */
  if (n < 2 || d < 1 || d > n || n > dstSize) return SQZ_ERROR(CORRUPT);
  if (mode == DICT_MODE_HUFFMAN && (d < 2 || d > 256)) return SQZ_ERROR(CORRUPT);
  /* every dictionary entry takes at least one byte of the input */
  if (d > srcSize - pos) return SQZ_ERROR(TRUNCATED);
  size_t entry_bytes;
  if (sqz_mul_overflow((size_t)d, 8, &entry_bytes)) return SQZ_ERROR(TOO_LARGE);
  uint32_t *entry = sqz_scratch_acquire(ctx, entry_bytes);
  if (!entry) return SQZ_ERROR(MEMORY);
  uint8_t *bytes = NULL;
  size_t r = 0;
  for (uint64_t m = 0; m < d; m++) {
    uint64_t l;
    if ((r = sqz_varint_take(src, srcSize, &pos, &l))) goto done;
    if (l > srcSize - pos) {
      r = SQZ_ERROR(TRUNCATED);
      goto done;
    }
    entry[2 * m] = (uint32_t)pos; /* offset of the string's bytes (srcSize <= UINT32_MAX) */
    entry[2 * m + 1] = (uint32_t)l;
    pos += (size_t)l;
  }
  unsigned w = sqz_bit_width(d - 1);
  sqz_bitreader br;
  sqz_br_init(&br, src, 0);
  if (mode == DICT_MODE_HUFFMAN) {
    uint64_t hsize;
    if ((r = sqz_varint_take(src, srcSize, &pos, &hsize))) goto done;
    if (hsize != srcSize - pos) {
      r = hsize > srcSize - pos ? SQZ_ERROR(TRUNCATED) : SQZ_ERROR(CORRUPT);
      goto done;
    }
    const sqz_codec *huf = &sqz_codec_huffman;
    bytes = huf ? sqz_scratch_acquire(ctx, (size_t)n) : NULL;
    if (!huf || !bytes) {
      r = huf ? SQZ_ERROR(MEMORY) : SQZ_ERROR(UNKNOWN_CODEC);
      goto done;
    }
    size_t got = huf->decompress(ctx, bytes, (size_t)n, src + pos, (size_t)hsize);
    if (got != n) {
      r = sqz_is_error(got) ? got : SQZ_ERROR(CORRUPT);
      goto done;
    }
  } else {
    size_t used; /* code bits */
    if (sqz_mul_overflow((size_t)n, w, &used)) {
      r = SQZ_ERROR(TRUNCATED); /* more bits than any input holds */
      goto done;
    }
    size_t code_bytes = used / 8 + (used % 8 != 0);
    if (srcSize - pos != code_bytes) {
      r = srcSize - pos < code_bytes ? SQZ_ERROR(TRUNCATED) : SQZ_ERROR(CORRUPT);
      goto done;
    }
    /* the padding of the last code byte must be zero */
    if (used % 8 && (src[srcSize - 1] >> (used % 8)) != 0) {
      r = SQZ_ERROR(CORRUPT);
      goto done;
    }
    sqz_br_init(&br, src + pos, code_bytes);
  }
  size_t out = 0;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t c = bytes ? bytes[i] : sqz_br_read(&br, w);
    if (c >= d) {
      r = SQZ_ERROR(CORRUPT);
      goto done;
    }
    uint32_t l = entry[2 * c + 1];
    const uint8_t *p = src + entry[2 * c];
    size_t vs = sqz_varint_size(l);
    if (dstSize - out < vs || dstSize - out - vs < l) {
      r = SQZ_ERROR(CORRUPT);
      goto done;
    }
    out += sqz_varint_put(dst + out, dstSize - out, l);
    memcpy(dst + out, p, l);
    out += l;
  }
  r = out == dstSize ? dstSize : SQZ_ERROR(CORRUPT);
done:
  sqz_scratch_release(ctx, bytes);
  sqz_scratch_release(ctx, entry);
  return r;
}

const sqz_codec sqz_codec_dict = {
    .name = "dict",
    .id = SQZ_ID_DICT,
    .kind = SQZ_KIND_TEXT,
    .min_level = 0,
    .default_level = 0,
    .max_level = 0,
    .description = "distinct strings once, then a packed code per value (low-cardinality TEXT)",
    .bound = dict_bound,
    .compress = dict_compress,
    .decompress = dict_decompress,
    .free_state = NULL,
};

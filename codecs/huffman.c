/*
** huffman.c: the `huffman` codec, order-0 canonical Huffman coding with code
** lengths limited to 11 bits, four interleaved bitstreams per block and
** table-driven decoding, in the manner of zstd's Huff0.
**
** What it is for: bytes whose symbols are unevenly used but not repetitive
** (text, CSV and JSON already stripped of their long repeats, the literals of
** an LZ coder). It does not look for repeats: `SELECT compress(x, 'huffman')`
** on English prose gives about 0.56 of the input, decoded at GB/s.
**
** The input is cut into blocks of 128 KiB (the last one shorter); each block
** has its own table and is one of: raw (stored), RLE (one repeated byte) or
** Huffman. The byte format is docs/format/huffman.md; in short, a Huffman
** block is a 3-byte block header, the code lengths as 4-bit nibbles, a jump
** table of three 16-bit stream sizes and four bitstreams, stream k coding the
** k-th quarter of the block.
**
** Encoding (per block):
**   1. Count the bytes (four count tables, so that repeated bytes do not
**      serialize on one counter).
**   2. Optimal code lengths under the 11-bit limit by package-merge
**      (Larmore & Hirschberg, "A fast algorithm for optimal length-limited
**      Huffman codes", JACM 1990), on the symbols sorted by count.
**   3. Canonical codes (as in DEFLATE, RFC 1951 section 3.2.2), bit-reversed
**      because the bitstreams are LSB-first.
**   4. The four streams are written two at a time, each by its own 64-bit
**      container: a code is added at the top of the container and the
**      container is moved to memory every four codes, so a symbol costs a
**      shift, an OR and an add (the idea of Huff0's HUF_addBits/HUF_CElt).
**
** Decoding (per block): the lengths are checked to form a complete prefix
** code (Kraft sum exactly 1, every length <= 11) before any table is built.
** A 2048-entry table maps the next 11 bits to (symbol, length); it is built
** by doubling, as libdeflate does. From 8 KiB blocks up, a second table maps
** the next 11 bits to up to two symbols (Huff0's X2 idea: English text
** averages about 1.8 symbols per lookup); below that it costs more to build
** than it saves. The four streams are decoded together, five lookups per
** stream per refill of a 64-bit register, with no branch per symbol: the
** idea of Huff0's fast 4-stream loops. A sentinel bit at the top of each
** register counts the bits consumed (count leading zeros), so no counter is
** kept. Near the end of the block a careful loop finishes each stream, and
** every stream must end exactly at its last byte with zero padding bits.
**
** Measured (bench/bench_huffman.c, same run, same 128 KiB blocks): sizes
** within 0.1% of zstd 1.5.4's Huff0, compression and decompression speed
** about equal to it on the example files.
**
** This file has its own bit writer and reader rather than codecs/bitstream.h:
** the 4-stream loops need the state of each stream in registers, a writer
** that adds a code with one table load and three operations, and a reader
** whose refill needs no bit counter (the sentinel); the shared helpers keep
** their state in memory structs and check bounds on every call.
**
** Guarantee on hostile input: decompress never reads outside src and never
** writes outside dst, and returns CORRUPT or TRUNCATED for anything that
** does not decode to exactly dstSize bytes.
*/
#include "codec.h"
#include "bits.h"
#include "byteorder.h"
#include "pool.h"

#include <string.h>

#define HUF_BLOCK_SIZE ((size_t)128 << 10) /* bytes per block; the last is shorter */
#define HUF_MAX_BITS 11                    /* longest code, bits */
#define HUF_TABLE_SIZE (1u << HUF_MAX_BITS)
#define HUF_BLOCK_HEADER 3 /* bytes: type (2 bits) and content size (22 bits) */
#define HUF_JUMP_TABLE 6   /* bytes: sizes of streams 0..2, 16 bits each */
#define HUF_MIN_BLOCK 32   /* smaller blocks are never Huffman coded */
#ifndef HUF_PAIRS_MIN_BLOCK
#define HUF_PAIRS_MIN_BLOCK 8192 /* blocks this long decode with the pair table */
#endif

/* Block types, the 2-bit field of the block header: all four values are
** kept for types, so 3, unknown to this version, is a newer squeeze's
** (VERSION). */
enum { HUF_RAW = 0, HUF_RLE = 1, HUF_COMPRESSED = 2, HUF_TYPE_RESERVED = 3 };

#if defined(__GNUC__) || defined(__clang__)
#define HUF_INLINE static inline __attribute__((always_inline))
#else
#define HUF_INLINE static inline
#endif

/* On x86-64 the hot loops are compiled twice, once for any CPU and once with
** BMI2 (SHRX: a variable shift in any register, one micro-op) and LZCNT, and
** chosen at run time, as zstd does (DYNAMIC_BMI2). Output bytes are the same
** either way. Build with -DHUF_BMI2_DISPATCH=0 to test the portable loops
** on a BMI2 machine. */
#ifndef HUF_BMI2_DISPATCH
#if (defined(__x86_64__) || defined(__amd64__)) && (defined(__GNUC__) || defined(__clang__)) &&    \
    !defined(__BMI2__)
#define HUF_BMI2_DISPATCH 1
#else
#define HUF_BMI2_DISPATCH 0
#endif
#endif
#if HUF_BMI2_DISPATCH
#define HUF_BMI2_TARGET __attribute__((target("bmi,bmi2,lzcnt")))
#endif

/* Non-zero when the BMI2 variants may run (every BMI2 CPU also has LZCNT). */
static int huf_cpu_bmi2(void) {
#if HUF_BMI2_DISPATCH
  __builtin_cpu_init();
  return __builtin_cpu_supports("bmi2");
#else
  return 0;
#endif
}

/* Symbols of each of the four streams: the first three code this many
** symbols, the fourth the rest. */
static size_t huf_segment(size_t blockSize) {
  return (blockSize + 3) / 4;
}

/* Bytes a stream of seg symbols can take: 11 bits each, plus 8 bytes of slack
** for the writer's 8-byte stores. */
static size_t huf_stream_capacity(size_t seg) {
  return (seg * HUF_MAX_BITS + 7) / 8 + 16;
}

/* The low len bits of code in reverse order (1 <= len <= 16). */
static unsigned huf_reverse(unsigned code, unsigned len) {
  unsigned x = code;
  x = (x & 0x5555) << 1 | (x >> 1 & 0x5555);
  x = (x & 0x3333) << 2 | (x >> 2 & 0x3333);
  x = (x & 0x0F0F) << 4 | (x >> 4 & 0x0F0F);
  x = (x & 0x00FF) << 8 | (x >> 8 & 0x00FF);
  return x >> (16 - len);
}

/* Canonical codes (RFC 1951 3.2.2) for the lengths len[lo..hi] (0 = symbol
** absent), bit-reversed for the LSB-first streams, into rev[]. The lengths
** must satisfy Kraft's inequality so that every code fits its length. */
static void huf_canonical(const uint8_t *len, unsigned lo, unsigned hi, uint16_t *rev) {
  unsigned count[HUF_MAX_BITS + 1] = {0}, next[HUF_MAX_BITS + 1];
  for (unsigned s = lo; s <= hi; s++)
    count[len[s]]++;
  unsigned code = 0;
  count[0] = 0;
  for (unsigned b = 1; b <= HUF_MAX_BITS; b++) {
    code = (code + count[b - 1]) << 1;
    next[b] = code;
  }
  for (unsigned s = lo; s <= hi; s++)
    if (len[s]) rev[s] = (uint16_t)huf_reverse(next[len[s]]++, len[s]);
}

static void huf_write_block_header(uint8_t *p, unsigned type, size_t size) {
  sqz_store24le(p, (uint32_t)type | ((uint32_t)size << 2));
}

/* ==== Compression ======================================================== */

/* Scratch of one compress call (sqz_scratch_acquire), followed by the four
** stream buffers. */
typedef struct huf_cwork {
  uint64_t ctable[256];               /* per symbol: reversed code << (64 - len) | len */
  uint32_t count[256];                /* occurrences of each byte in the block */
  uint8_t len[256];                   /* code length per symbol, 0 when absent */
  uint16_t sym[256];                  /* present symbols sorted by count, then value */
  uint32_t weight[257];               /* their counts, ascending, then a sentinel */
  uint32_t list[2][514];              /* package-merge: item weights of two levels */
  uint8_t is_leaf[HUF_MAX_BITS][512]; /* package-merge: item is a symbol, per level */
  uint16_t list_len[HUF_MAX_BITS];    /* package-merge: items per level */
  int bmi2;                           /* the BMI2 variant may run */
} huf_cwork;

/* Counts the bytes of p[0..n) into count[256]. Returns the number of
** distinct byte values. From 1 KiB up, four tables let the counts of equal
** neighbouring bytes proceed in parallel (as Huff0's HIST_count does). */
static unsigned huf_histogram(const uint8_t *p, size_t n, uint32_t *count) {
  unsigned distinct = 0;
  if (n < 1024) { /* not worth clearing and adding four tables */
    memset(count, 0, 256 * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[p[i]]++;
    for (unsigned s = 0; s < 256; s++)
      distinct += count[s] != 0;
    return distinct;
  }
  uint32_t c[4][256];
  memset(c, 0, sizeof c);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64_t a = sqz_load64le(p + i), b = sqz_load64le(p + i + 8);
    c[0][(uint8_t)a]++;
    c[1][(uint8_t)(a >> 8)]++;
    c[2][(uint8_t)(a >> 16)]++;
    c[3][(uint8_t)(a >> 24)]++;
    c[0][(uint8_t)(a >> 32)]++;
    c[1][(uint8_t)(a >> 40)]++;
    c[2][(uint8_t)(a >> 48)]++;
    c[3][(uint8_t)(a >> 56)]++;
    c[0][(uint8_t)b]++;
    c[1][(uint8_t)(b >> 8)]++;
    c[2][(uint8_t)(b >> 16)]++;
    c[3][(uint8_t)(b >> 24)]++;
    c[0][(uint8_t)(b >> 32)]++;
    c[1][(uint8_t)(b >> 40)]++;
    c[2][(uint8_t)(b >> 48)]++;
    c[3][(uint8_t)(b >> 56)]++;
  }
  for (; i < n; i++)
    c[0][p[i]]++;
  for (unsigned s = 0; s < 256; s++) {
    count[s] = c[0][s] + c[1][s] + c[2][s] + c[3][s];
    distinct += count[s] != 0;
  }
  return distinct;
}

/* Sorts the present symbols by count, ties by symbol value, into w->sym[] and
** w->weight[] (a stable LSD radix sort on 6-bit digits, as many passes as
** the largest count needs: at most 3 for a 128 KiB block), and puts a
** sentinel weight after the last. Returns the number m of present symbols. */
static unsigned huf_sort_symbols(huf_cwork *w) {
  uint16_t tmp[256];
  unsigned m = 0;
  uint32_t largest = 0;
  for (unsigned s = 0; s < 256; s++) {
    if (!w->count[s]) continue;
    tmp[m++] = (uint16_t)s;
    if (w->count[s] > largest) largest = w->count[s];
  }
  uint16_t *from = tmp, *to = w->sym;
  for (unsigned shift = 0; shift < 32 && (largest >> shift); shift += 6) {
    unsigned bucket[65] = {0};
    for (unsigned i = 0; i < m; i++)
      bucket[((w->count[from[i]] >> shift) & 63) + 1]++;
    for (unsigned b = 1; b < 65; b++)
      bucket[b] += bucket[b - 1];
    for (unsigned i = 0; i < m; i++)
      to[bucket[(w->count[from[i]] >> shift) & 63]++] = from[i];
    uint16_t *t = from;
    from = to;
    to = t;
  }
  for (unsigned i = 0; i < m; i++) {
    w->sym[i] = from[i];
    w->weight[i] = w->count[from[i]];
  }
  w->weight[m] = UINT32_MAX;
  return m;
}

/* Optimal code lengths of at most limit bits for the m >= 2 symbols of
** w->sym[] (weights ascending), into w->len[], by package-merge (Larmore &
** Hirschberg 1990). Level 0 holds one item per symbol (a coin of value
** 2^-limit); level d merges the symbols with the pairs ("packages") of level
** d-1. The 2m-2 cheapest items of the last level are the solution, and a
** symbol's code length is the number of levels at which it is among the
** selected items. Selected items of a level are always a prefix of it, so
** only the number of symbols in each selected prefix is needed.
** Requires m <= 2^limit (always: m <= 256). Returns the longest length. */
static unsigned huf_package_merge(huf_cwork *w, unsigned m, unsigned limit) {
  uint32_t *prev = w->list[0], *cur = w->list[1];
  memset(w->len, 0, sizeof w->len);
  for (unsigned i = 0; i < m; i++) {
    prev[i] = w->weight[i];
    w->is_leaf[0][i] = 1;
  }
  w->list_len[0] = (uint16_t)m;
  for (unsigned d = 1; d < limit; d++) {
    /* Package b weighs prev[2b] + prev[2b + 1]; a sentinel pair after the
    ** last package and one after the last symbol spare the merge its bounds
    ** tests. Ties go to the symbol: any fixed rule is optimal and
    ** deterministic. */
    unsigned packages = w->list_len[d - 1] / 2, a = 0, b = 0, n = m + packages;
    prev[2 * packages] = UINT32_MAX;
    prev[2 * packages + 1] = 0;
    for (unsigned i = 0; i < n; i++) {
      uint32_t x = w->weight[a], y = prev[2 * b] + prev[2 * b + 1];
      if (x <= y) {
        cur[i] = x;
        w->is_leaf[d][i] = 1;
        a++;
      } else {
        cur[i] = y;
        w->is_leaf[d][i] = 0;
        b++;
      }
    }
    w->list_len[d] = (uint16_t)n;
    uint32_t *t = prev;
    prev = cur;
    cur = t;
  }
  unsigned take = 2 * m - 2;
  for (unsigned d = limit; d-- > 0;) {
    unsigned leaves = 0;
    for (unsigned i = 0; i < take; i++)
      leaves += w->is_leaf[d][i];
    for (unsigned i = 0; i < leaves; i++)
      w->len[w->sym[i]]++;
    take = 2 * (take - leaves);
  }
  return w->len[w->sym[0]];
}

/* One bitstream being written: a 64-bit container holding its pending bits
** at the top (oldest lowest), and a bit count whose low byte is exact (the
** bits above it collect junk from the table entries and are ignored). */
typedef struct huf_wstream {
  uint64_t bits;
  uint64_t nbits;
  uint8_t *ptr;
} huf_wstream;

/* Adds the code of symbol s. The entry is code << (64 - len) | len: the
** shift drops len junk bits, the OR puts the code on top (and len into the
** junk bits at the bottom, harmless while at most 58 bits are pending). */
#define HUF_PUT(st, ct, s)                                                                         \
  do {                                                                                             \
    uint64_t e_ = (ct)[s];                                                                         \
    (st).bits = ((st).bits >> (e_ & 63)) | e_;                                                     \
    (st).nbits += e_;                                                                              \
  } while (0)

/* Moves the whole bytes of the pending bits to memory (an 8-byte store; the
** buffer has slack). Requires 1..58 pending bits. */
#define HUF_FLUSH(st)                                                                              \
  do {                                                                                             \
    unsigned n_ = (unsigned)((st).nbits & 0xFF);                                                   \
    sqz_store64le((st).ptr, (st).bits >> (64 - n_));                                               \
    (st).ptr += n_ >> 3;                                                                           \
    (st).nbits = n_ & 7;                                                                           \
  } while (0)

/* Codes the count symbols of a and of b into streams sa and sb, four symbols
** per stream between flushes (4 * 11 + 7 = 51 <= 58 pending bits). Both have
** at least count symbols. */
HUF_INLINE void huf_encode2(huf_wstream *sa, huf_wstream *sb, const uint8_t *a, const uint8_t *b,
                            size_t count, const uint64_t *ct) {
  huf_wstream x = *sa, y = *sb;
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    HUF_PUT(x, ct, a[i]);
    HUF_PUT(y, ct, b[i]);
    HUF_PUT(x, ct, a[i + 1]);
    HUF_PUT(y, ct, b[i + 1]);
    HUF_PUT(x, ct, a[i + 2]);
    HUF_PUT(y, ct, b[i + 2]);
    HUF_PUT(x, ct, a[i + 3]);
    HUF_PUT(y, ct, b[i + 3]);
    HUF_FLUSH(x);
    HUF_FLUSH(y);
  }
  *sa = x;
  *sb = y;
}

/* Codes p[0..count) into s after what it holds, four symbols per flush,
** then writes the last partial byte (zero padding bits). Returns the end of
** the stream. */
HUF_INLINE uint8_t *huf_encode_finish(huf_wstream *s, const uint8_t *p, size_t count,
                                      const uint64_t *ct) {
  huf_wstream x = *s;
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    HUF_PUT(x, ct, p[i]);
    HUF_PUT(x, ct, p[i + 1]);
    HUF_PUT(x, ct, p[i + 2]);
    HUF_PUT(x, ct, p[i + 3]);
    HUF_FLUSH(x);
  }
  for (; i < count; i++)
    HUF_PUT(x, ct, p[i]); /* at most 7 + 3 * 11 bits pending */
  unsigned n = (unsigned)(x.nbits & 0xFF);
  if (n) {
    sqz_store64le(x.ptr, x.bits >> (64 - n));
    x.ptr += (n + 7) >> 3;
  }
  return x.ptr;
}

/* Codes the four quarters of src[0..n) with ct into four streams in
** streams[] (huf_stream_capacity(huf_segment(n)) bytes apart); their sizes
** go to sizes[4]. */
HUF_INLINE void huf_encode_streams(const uint64_t *ct, uint8_t *streams, const uint8_t *src,
                                   size_t n, size_t *sizes) {
  size_t seg = huf_segment(n), cap = huf_stream_capacity(seg), last = n - 3 * seg;
  huf_wstream st[4];
  for (unsigned k = 0; k < 4; k++)
    st[k] = (huf_wstream){0, 0, streams + k * cap};
  /* The fourth segment is the shortest: all four code that much two by two. */
  size_t common = last & ~(size_t)3;
  huf_encode2(&st[0], &st[1], src, src + seg, common, ct);
  huf_encode2(&st[2], &st[3], src + 2 * seg, src + 3 * seg, common, ct);
  for (unsigned k = 0; k < 4; k++) {
    size_t symbols = (k < 3 ? seg : last) - common;
    uint8_t *end = huf_encode_finish(&st[k], src + k * seg + common, symbols, ct);
    sizes[k] = (size_t)(end - (streams + k * cap));
  }
}

static void huf_encode_streams_generic(const uint64_t *ct, uint8_t *streams, const uint8_t *src,
                                       size_t n, size_t *sizes) {
  huf_encode_streams(ct, streams, src, n, sizes);
}

#if HUF_BMI2_DISPATCH
HUF_BMI2_TARGET static void huf_encode_streams_bmi2(const uint64_t *ct, uint8_t *streams,
                                                    const uint8_t *src, size_t n, size_t *sizes) {
  huf_encode_streams(ct, streams, src, n, sizes);
}
#endif

/* Writes the table header of the lengths w->len[lo..hi] at p: lo, hi - lo,
** then one nibble per symbol, low nibble first. Returns its size. */
static size_t huf_write_table(uint8_t *p, const uint8_t *len, unsigned lo, unsigned hi) {
  p[0] = (uint8_t)lo;
  p[1] = (uint8_t)(hi - lo);
  size_t n = 2;
  for (unsigned s = lo; s <= hi; s += 2) {
    unsigned high = s + 1 <= hi ? len[s + 1] : 0;
    p[n++] = (uint8_t)(len[s] | (high << 4));
  }
  return n;
}

/* Writes src[0..n) as a Huffman block with the lengths in w->len[lo..hi]
** into dst (capacity bytes). streams is scratch for four streams of
** huf_stream_capacity(huf_segment(n)) bytes. Returns the bytes written, 0
** when the block would not be smaller than n bytes (then it is stored raw),
** or DST_TOO_SMALL. */
static size_t huf_encode_block(huf_cwork *w, uint8_t *streams, uint8_t *dst, size_t capacity,
                               const uint8_t *src, size_t n, unsigned lo, unsigned hi) {
  uint16_t rev[256];
  huf_canonical(w->len, lo, hi, rev);
  for (unsigned s = 0; s < 256; s++)
    w->ctable[s] = w->len[s] ? ((uint64_t)rev[s] << (64 - w->len[s])) | w->len[s] : 0;
  size_t sizes[4], total = 0;
#if HUF_BMI2_DISPATCH
  if (w->bmi2)
    huf_encode_streams_bmi2(w->ctable, streams, src, n, sizes);
  else
#endif
    huf_encode_streams_generic(w->ctable, streams, src, n, sizes);
  size_t cap = huf_stream_capacity(huf_segment(n));
  for (unsigned k = 0; k < 4; k++)
    total += sizes[k];
  uint8_t table[2 + 128];
  size_t tsize = huf_write_table(table, w->len, lo, hi);
  size_t csize = tsize + HUF_JUMP_TABLE + total;
  if (csize >= n) return 0;
  if (capacity < HUF_BLOCK_HEADER + csize) return SQZ_ERROR(DST_TOO_SMALL);
  uint8_t *p = dst;
  huf_write_block_header(p, HUF_COMPRESSED, csize);
  p += HUF_BLOCK_HEADER;
  memcpy(p, table, tsize);
  p += tsize;
  for (unsigned k = 0; k < 3; k++)
    sqz_store16le(p + 2 * k, (uint16_t)sizes[k]);
  p += HUF_JUMP_TABLE;
  for (unsigned k = 0; k < 4; k++) {
    memcpy(p, streams + k * cap, sizes[k]);
    p += sizes[k];
  }
  return HUF_BLOCK_HEADER + csize;
}

/* Compresses one block src[0..n) (1 <= n <= 128 KiB) into dst (capacity
** bytes) as a raw, RLE or Huffman block, whichever is smallest. streams is
** scratch for four streams of huf_stream_capacity(huf_segment(n)) bytes.
** Returns the bytes written or DST_TOO_SMALL. */
static size_t huf_compress_block(huf_cwork *w, uint8_t *streams, uint8_t *dst, size_t capacity,
                                 const uint8_t *src, size_t n) {
  unsigned distinct = huf_histogram(src, n, w->count);
  if (distinct == 1) {
    if (capacity < HUF_BLOCK_HEADER + 1) return SQZ_ERROR(DST_TOO_SMALL);
    huf_write_block_header(dst, HUF_RLE, 1);
    dst[HUF_BLOCK_HEADER] = src[0];
    return HUF_BLOCK_HEADER + 1;
  }
  if (n >= HUF_MIN_BLOCK) {
    unsigned m = huf_sort_symbols(w);
    huf_package_merge(w, m, HUF_MAX_BITS);
    unsigned lo = 0, hi = 255;
    while (!w->count[lo])
      lo++;
    while (!w->count[hi])
      hi--;
    uint64_t bits = 0;
    for (unsigned s = lo; s <= hi; s++)
      bits += (uint64_t)w->count[s] * w->len[s];
    size_t table = 2 + (hi - lo + 2) / 2;
    size_t estimate = table + HUF_JUMP_TABLE + (size_t)(bits / 8) + 4;
    if (estimate < n) {
      size_t r = huf_encode_block(w, streams, dst, capacity, src, n, lo, hi);
      if (r != 0) return r;
    }
  }
  if (capacity < HUF_BLOCK_HEADER + n) return SQZ_ERROR(DST_TOO_SMALL);
  huf_write_block_header(dst, HUF_RAW, n);
  memcpy(dst + HUF_BLOCK_HEADER, src, n);
  return HUF_BLOCK_HEADER + n;
}

/* Worst case: every block stored raw behind its 3-byte header. 1 for an
** empty input (which compresses to nothing), 0 when n is too large. */
static size_t huf_bound(size_t n) {
  size_t blocks = (n + HUF_BLOCK_SIZE - 1) / HUF_BLOCK_SIZE;
  if (n > SIZE_MAX / 2) return 0;
  return n ? n + HUF_BLOCK_HEADER * blocks : 1;
}

/* Compresses src[0..n) block by block into dst (capacity bytes). Scratch:
** the work area and four stream buffers, sized for the first block. Returns
** the bytes written, DST_TOO_SMALL or MEMORY. params is unused (one level). */
static size_t huf_compress(sqz_ctx *ctx, void *dst, size_t capacity, const void *src, size_t n,
                           const sqz_params *params) {
  (void)params;
  if (n == 0) return 0;
  size_t first = n < HUF_BLOCK_SIZE ? n : HUF_BLOCK_SIZE;
  size_t cap = huf_stream_capacity(huf_segment(first));
  huf_cwork *w = sqz_scratch_acquire(ctx, sizeof(huf_cwork) + 4 * cap);
  if (!w) return SQZ_ERROR(MEMORY);
  uint8_t *streams = (uint8_t *)(w + 1), *op = dst;
  w->bmi2 = huf_cpu_bmi2();
  const uint8_t *ip = src;
  size_t written = 0, result = 0;
  for (size_t pos = 0; pos < n; pos += HUF_BLOCK_SIZE) {
    size_t len = n - pos < HUF_BLOCK_SIZE ? n - pos : HUF_BLOCK_SIZE;
    result = huf_compress_block(w, streams, op + written, capacity - written, ip + pos, len);
    if (sqz_is_error(result)) break;
    written += result;
  }
  sqz_scratch_release(ctx, w);
  return sqz_is_error(result) ? result : written;
}

/* ==== Decompression ====================================================== */

/* Decoding tables of one block: single[] gives one symbol per 11-bit window
** (symbol << 8 | length), pair[] up to two (length of both | first << 8 |
** second << 16 | count << 24), in the manner of Huff0's X2 tables. The
** length sits in the low bits, where a variable shift takes its count. */
typedef struct huf_dtables {
  uint16_t single[HUF_TABLE_SIZE];
  uint32_t pair[HUF_TABLE_SIZE];
  /* second + 2^r: the 2^r windows of r bits (r = 0..10), each with the
  ** symbol whose code fills at most r bits, as pair[] wants a second symbol
  ** (length | symbol << 16 | 1 << 24), or 0 when the window starts with a
  ** longer code. */
  uint32_t second[HUF_TABLE_SIZE];
  uint16_t first[256]; /* present symbols: reversed code << 4 | length */
  unsigned nfirst;     /* entries in first[] */
} huf_dtables;

/* Reads the table header at p (size bytes available) and builds the decoding
** table t->single: entry (symbol << 8 | length) for every 11-bit window whose
** first bits are that symbol's code; t->first lists each present symbol's
** reversed code and length. Returns the header size, or 0 when it does not
** fit, a length exceeds 11 bits, fewer than two symbols are present or the
** lengths are not a complete prefix code (Kraft sum != 1).
**
** The table grows by doubling, as libdeflate builds its tables: at length l
** it holds the 2^l windows of l bits; going to l + 1 copies it onto its
** upper half (a code shorter than l + 1 bits owns every window that starts
** with it), then each code of exactly l + 1 bits takes its one window. Every
** index written is a reversed code of l bits, below 2^l <= 2048, whatever
** the lengths are; the Kraft check before it guarantees that the last
** doubling leaves no window without its code. */
static size_t huf_read_table(const uint8_t *p, size_t size, huf_dtables *t, int pairs) {
  if (size < 2) return 0;
  unsigned lo = p[0], hi = lo + p[1];
  size_t tsize = 2 + (size_t)(p[1] + 2) / 2;
  if (hi > 255 || tsize > size) return 0;
  uint8_t len[256];
  unsigned count[HUF_MAX_BITS + 2] = {0}, longest = 0, present = 0;
  uint32_t kraft = 0;
  for (unsigned s = lo; s <= hi; s++) {
    unsigned byte = p[2 + (s - lo) / 2], l = (s - lo) & 1 ? byte >> 4 : byte & 15;
    if (l > HUF_MAX_BITS) return 0;
    len[s] = (uint8_t)l;
    if (!l) continue;
    kraft += HUF_TABLE_SIZE >> l;
    count[l]++;
    present++;
    if (l > longest) longest = l;
  }
  if ((hi - lo) % 2 == 0 && (p[tsize - 1] >> 4) != 0) return 0; /* unused nibble */
  if (present < 2 || kraft != HUF_TABLE_SIZE) return 0;

  /* Present symbols in canonical order: by length, then value. */
  unsigned at[HUF_MAX_BITS + 2];
  uint8_t sorted[256];
  at[1] = 0;
  for (unsigned l = 1; l <= HUF_MAX_BITS; l++)
    at[l + 1] = at[l] + count[l];
  for (unsigned s = lo; s <= hi; s++)
    if (len[s]) sorted[at[len[s]]++] = (uint8_t)s;

  /* single[] and the second-symbol tables grow together; the latter keep
  ** every size, 2^r windows at second + 2^r. */
  uint16_t *dt = t->single;
  uint32_t *sec = t->second;
  unsigned code = 0, k = 0;
  dt[0] = dt[1] = 0;
  sec[1] = 0;
  t->nfirst = 0;
  for (unsigned l = 1; l <= HUF_MAX_BITS; l++, code <<= 1) {
    unsigned half = 1u << (l - 1);
    if (l > 1) memcpy(dt + half, dt, half * sizeof *dt);
    if (pairs && l < HUF_MAX_BITS) {
      memcpy(sec + 2 * half, sec + half, half * sizeof *sec);
      memcpy(sec + 3 * half, sec + half, half * sizeof *sec);
    }
    for (unsigned c = 0; c < count[l]; c++, code++, k++) {
      unsigned r = huf_reverse(code, l);
      dt[r] = (uint16_t)(sorted[k] << 8 | l);
      if (pairs && l < HUF_MAX_BITS) sec[2 * half + r] = l | (uint32_t)sorted[k] << 16 | 1u << 24;
      t->first[t->nfirst++] = (uint16_t)(r << 4 | l);
    }
  }
  return tsize;
}

/* Builds t->pair: the windows that start with the code c of a symbol of
** length l1 are i = c + (j << l1), and the bits after that code, j, start
** with a second whole code when that code fits in the 11 - l1 bits left:
** that is the second-symbol table of 11 - l1 bits, so an entry is the first
** symbol's part plus one table load. Each window is written once (the
** Kraft sum is one). */
static void huf_build_pairs(huf_dtables *t) {
  for (unsigned k = 0; k < t->nfirst; k++) {
    unsigned c = t->first[k] >> 4, l1 = t->first[k] & 15, room = HUF_MAX_BITS - l1;
    uint32_t one = l1 | (uint32_t)(t->single[c] >> 8) << 8 | 1u << 24;
    const uint32_t *two = t->second + (1u << room);
    uint32_t *out = t->pair + c;
    for (unsigned j = 0; j < (1u << room); j++)
      out[j << l1] = one + two[j];
  }
}

#define HUF_SENTINEL ((uint64_t)1 << 63)

/* Decodes one or two symbols from register b at o and moves o past them; a
** 2-byte store either way (the fast loop leaves room for it). */
#define HUF_DECODE2(b, o)                                                                          \
  do {                                                                                             \
    uint32_t e_ = pair[(b) & (HUF_TABLE_SIZE - 1)];                                                \
    (b) >>= (e_ & 63);                                                                             \
    sqz_store16le(o, (uint16_t)(e_ >> 8));                                                         \
    (o) += e_ >> 24;                                                                               \
  } while (0)

/* Decodes one symbol from register b at o and moves o past it. */
#define HUF_DECODE1(b, o)                                                                          \
  do {                                                                                             \
    unsigned e_ = single[(b) & (HUF_TABLE_SIZE - 1)];                                              \
    (b) >>= (e_ & 63);                                                                             \
    *(o)++ = (uint8_t)(e_ >> 8);                                                                   \
  } while (0)

/* One lookup in each of the four streams, in the pair or the single table. */
#define HUF_DECODE_4()                                                                             \
  do {                                                                                             \
    if (pairs) {                                                                                   \
      HUF_DECODE2(b0, op0);                                                                        \
      HUF_DECODE2(b1, op1);                                                                        \
      HUF_DECODE2(b2, op2);                                                                        \
      HUF_DECODE2(b3, op3);                                                                        \
    } else {                                                                                       \
      HUF_DECODE1(b0, op0);                                                                        \
      HUF_DECODE1(b1, op1);                                                                        \
      HUF_DECODE1(b2, op2);                                                                        \
      HUF_DECODE1(b3, op3);                                                                        \
    }                                                                                              \
  } while (0)

/* Folds the bits register b consumed since its load (the sentinel's distance
** from the top) into ip and reloads b: 8 bytes at the new ip, the sentinel on
** top, the used bits of the first byte dropped. */
#define HUF_RELOAD(b, ip)                                                                          \
  do {                                                                                             \
    unsigned c_ = sqz_clz64(b);                                                                    \
    (ip) += c_ >> 3;                                                                               \
    (b) = (sqz_load64le(ip) | HUF_SENTINEL) >> (c_ & 7);                                           \
  } while (0)

/* The 8 bytes of p[0..size) at off, zeros past size. */
HUF_INLINE uint64_t huf_load_tail(const uint8_t *p, size_t size, size_t off) {
  if (off >= size) return 0;
  return size - off >= 8 ? sqz_load64le(p + off) : sqz_load_le(p + off, size - off);
}

/* Decodes the four streams of block[0..bsize) (stream k at start[k], the
** fifth entry is bsize) into dst[0..n), with t->pair when pairs (a constant
** at each call, so each variant compiles to its own loop) else t->single.
** Returns 0, or CORRUPT when a stream does not end exactly at its last byte
** with zero padding bits. */
HUF_INLINE size_t huf_decode_streams(const huf_dtables *t, uint8_t *dst, size_t n,
                                     const uint8_t *block, size_t bsize, const size_t *start,
                                     const int pairs) {
  const uint32_t *pair = t->pair;
  const uint16_t *single = t->single;
  size_t seg = huf_segment(n);
  uint8_t *end[4] = {dst + seg, dst + 2 * seg, dst + 3 * seg, dst + n};
  uint8_t *op0 = dst, *op1 = end[0], *op2 = end[1], *op3 = end[2];
  const uint8_t *ip0 = block + start[0], *ip1 = block + start[1], *ip2 = block + start[2],
                *ip3 = block + start[3];
  uint64_t b0 = HUF_SENTINEL, b1 = HUF_SENTINEL, b2 = HUF_SENTINEL, b3 = HUF_SENTINEL;
  /* Fast loop: five lookups per stream per reload (5 * 11 bits <= 56). A
  ** round writes below op + 10, moves ip by at most 7 bytes and then reads
  ** 8, so `iters` rounds stay inside dst and the block. Streams 0..2 may
  ** read on into the next stream, which matters only if they are corrupt,
  ** and that is caught at the end. */
  for (;;) {
    const uint8_t *ips[4] = {ip0, ip1, ip2, ip3};
    uint8_t *ops[4] = {op0, op1, op2, op3};
    size_t iters = SIZE_MAX;
    for (unsigned k = 0; k < 4; k++) {
      size_t at = (size_t)(ips[k] - block), out = (size_t)(end[k] - ops[k]) / 10;
      size_t in = at + 8 <= bsize ? (bsize - at - 8) / 7 : 0;
      if (out < iters) iters = out;
      if (in < iters) iters = in;
    }
    if (iters == 0) break;
    uint8_t *olimit = op3 + 5 * iters; /* op3 moves at least 5 per round */
    do {
      HUF_RELOAD(b0, ip0);
      HUF_RELOAD(b1, ip1);
      HUF_RELOAD(b2, ip2);
      HUF_RELOAD(b3, ip3);
      HUF_DECODE_4();
      HUF_DECODE_4();
      HUF_DECODE_4();
      HUF_DECODE_4();
      HUF_DECODE_4();
    } while (op3 < olimit);
  }

  /* Careful loop: each stream finishes alone, one symbol per lookup, from
  ** its bit position, reading zeros past the block; then it must end
  ** exactly at its last byte. */
  const uint8_t *ips[4] = {ip0, ip1, ip2, ip3};
  uint8_t *ops[4] = {op0, op1, op2, op3};
  uint64_t bs[4] = {b0, b1, b2, b3};
  for (unsigned k = 0; k < 4; k++) {
    size_t pos = ((size_t)(ips[k] - block) - start[k]) * 8 + sqz_clz64(bs[k]); /* bits used */
    for (uint8_t *op = ops[k]; op < end[k]; op++) {
      uint64_t b = huf_load_tail(block, bsize, start[k] + (pos >> 3)) >> (pos & 7);
      unsigned e = single[b & (HUF_TABLE_SIZE - 1)];
      *op = (uint8_t)(e >> 8);
      pos += e & 63;
    }
    size_t ssize = start[k + 1] - start[k];
    if ((pos + 7) / 8 != ssize) return SQZ_ERROR(CORRUPT);
    if ((pos & 7) && (block[start[k + 1] - 1] >> (pos & 7)) != 0) return SQZ_ERROR(CORRUPT);
  }
  return 0;
}

static size_t huf_decode_streams_generic(const huf_dtables *t, uint8_t *dst, size_t n,
                                         const uint8_t *block, size_t bsize, const size_t *start,
                                         int pairs) {
  return pairs ? huf_decode_streams(t, dst, n, block, bsize, start, 1)
               : huf_decode_streams(t, dst, n, block, bsize, start, 0);
}

#if HUF_BMI2_DISPATCH
HUF_BMI2_TARGET static size_t huf_decode_streams_bmi2(const huf_dtables *t, uint8_t *dst, size_t n,
                                                      const uint8_t *block, size_t bsize,
                                                      const size_t *start, int pairs) {
  return pairs ? huf_decode_streams(t, dst, n, block, bsize, start, 1)
               : huf_decode_streams(t, dst, n, block, bsize, start, 0);
}
#endif

/* Decodes the Huffman block content src[0..size) into dst[0..n) with the
** tables t (scratch). Returns 0 or CORRUPT (bad table, jump table or
** stream). */
static size_t huf_decode_block(huf_dtables *t, uint8_t *dst, size_t n, const uint8_t *src,
                               size_t size, int bmi2) {
  /* The pair table costs about as much to build as decoding some thousands
  ** of bytes one symbol per lookup saves (measured: bench_huffman). */
  int pairs = n >= HUF_PAIRS_MIN_BLOCK;
  size_t tsize = huf_read_table(src, size, t, pairs);
  if (!tsize || size - tsize < HUF_JUMP_TABLE) return SQZ_ERROR(CORRUPT);
  const uint8_t *block = src + tsize + HUF_JUMP_TABLE;
  size_t bsize = size - tsize - HUF_JUMP_TABLE, start[5], used = 0;
  for (unsigned k = 0; k < 3; k++) {
    start[k] = used;
    used += sqz_load16le(src + tsize + 2 * k);
  }
  start[3] = used;
  start[4] = bsize;
  for (unsigned k = 0; k < 4; k++)
    if (start[k + 1] <= start[k]) return SQZ_ERROR(CORRUPT); /* every stream has a byte */
  if (pairs) huf_build_pairs(t);
#if HUF_BMI2_DISPATCH
  if (bmi2) return huf_decode_streams_bmi2(t, dst, n, block, bsize, start, pairs);
#endif
  (void)bmi2;
  return huf_decode_streams_generic(t, dst, n, block, bsize, start, pairs);
}

/* Decompresses exactly n bytes from src[0..size) into dst. Returns n, or
** TRUNCATED when the input ends inside a block, VERSION for block type 3 (a
** newer squeeze's), CORRUPT for a bad block header, table or stream, or for
** bytes left after the last block; MEMORY. */
static size_t huf_decompress(sqz_ctx *ctx, void *dst, size_t n, const void *src, size_t size) {
  const uint8_t *ip = src;
  uint8_t *op = dst;
  huf_dtables *t = NULL;
  int bmi2 = huf_cpu_bmi2();
  size_t in = 0, result = n;
  for (size_t pos = 0; pos < n && result == n; pos += HUF_BLOCK_SIZE) {
    size_t len = n - pos < HUF_BLOCK_SIZE ? n - pos : HUF_BLOCK_SIZE;
    if (size - in < HUF_BLOCK_HEADER) {
      result = SQZ_ERROR(TRUNCATED);
      break;
    }
    uint32_t h = sqz_load24le(ip + in);
    size_t csize = h >> 2;
    in += HUF_BLOCK_HEADER;
    if (size - in < csize) {
      result = SQZ_ERROR(TRUNCATED);
      break;
    }
    switch (h & 3) {
    case HUF_RAW:
      if (csize != len)
        result = SQZ_ERROR(CORRUPT);
      else
        memcpy(op + pos, ip + in, len);
      break;
    case HUF_RLE:
      if (csize != 1)
        result = SQZ_ERROR(CORRUPT);
      else
        memset(op + pos, ip[in], len);
      break;
    case HUF_COMPRESSED:
      if (len < HUF_MIN_BLOCK || csize >= len) {
        result = SQZ_ERROR(CORRUPT);
      } else if (!t && !(t = sqz_scratch_acquire(ctx, sizeof(huf_dtables)))) {
        result = SQZ_ERROR(MEMORY);
      } else {
        size_t r = huf_decode_block(t, op + pos, len, ip + in, csize, bmi2);
        if (r) result = r;
      }
      break;
    default:
      result = sqz_mode_error(h & 3, HUF_TYPE_RESERVED);
    }
    in += csize;
  }
  sqz_scratch_release(ctx, t);
  if (result == n && in != size) result = SQZ_ERROR(CORRUPT); /* bytes after the last block */
  return result;
}

const sqz_codec sqz_codec_huffman = {
    .name = "huffman",
    .id = SQZ_ID_HUFFMAN,
    .kind = SQZ_KIND_BYTES,
    .min_level = 1,
    .default_level = 1,
    .max_level = 1,
    .description = "order-0 canonical Huffman, 11-bit codes, 4 streams per 128 KiB block",
    .bound = huf_bound,
    .compress = huf_compress,
    .decompress = huf_decompress,
    .free_state = NULL,
};

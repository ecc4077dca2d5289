/*
** lz77.c: "lz77", squeeze's own byte-oriented LZ77 codec (id SQZ_ID_LZ77).
**
** A payload is a list of sequences, as in LZ4's block format
** (lz4/lz4 doc/lz4_Block_format.md): each sequence is a run of literal bytes
** copied as they are, then a match that repeats earlier output from a given
** offset back. docs/format/lz77.md specifies every byte. The token is LZ4's
** (literal length and match length in a nibble each); what differs:
**   - an offset field of 0 says that a 3-byte offset follows, so windows up
**     to 16 MiB (window_log 24) can be addressed while offsets below 64 KiB
**     keep LZ4's two bytes;
**   - lengths that do not fit their nibble continue as LEB128 varints
**     (codecs/varint.h) rather than LZ4's runs of 255 bytes, so a 16 MiB run
**     costs 4 bytes, not 65,000;
**   - the decoder needs no window and no end-of-block rules: any offset that
**     points into the output produced so far is valid, and the payload ends
**     when exactly dstSize bytes are out (the frame stores dstSize).
**
** Compression keeps positions in uint32_t, so one call takes at most
** LZ_MAX_INPUT bytes. The levels (1..12, default 2) use three parsers:
**   - 1..3 (fast): one hash-table probe per position and greedy parsing, as
**     in LZ4_compress_generic (lz4/lz4 lib/lz4.c): the hash of the next
**     position is computed before the current candidate is checked, and
**     after every 2^skip_log probes without a match the step grows by one,
**     so incompressible input is crossed quickly. A candidate must share 6
**     bytes: fewer, longer matches decode faster. Each table entry keeps the
**     first 4 bytes at its position beside the position, so a candidate
**     that cannot match costs no read of src;
**   - 4..9 (lazy): hash chains (the longest_match of zlib's deflate.c, as
**     LZ4HC uses them) walked to a depth that grows with the level; before
**     a match is taken the next position (levels 5..7) or the next two
**     (8, 9) are searched too, and a match there that scores better wins
**     (zlib's deflate_slow; zstd's ZSTD_compressBlock_lazy2);
**   - 10..12 (optimal): LZ4HC's optimal parser over the same chains, pricing
**     every path in exact output bytes (lz_compress_opt).
** A match's score is the bytes it saves: its length minus the token and the
** offset field. A match is taken only when it saves at least one byte,
** which is what bounds the worst case (lz77_bound). The greedy and lazy
** parsers count a long offset LZ_FAR_PENALTY bytes dearer, because judged
** one match at a time a far match pays only when it is much longer.
** Measured on examples/data (bench/bench_lz77.c, docs/format/lz77.md):
** level 2 writes 4-8% less than LZ4_compress_default, compresses at
** 0.77-0.97x its speed (the short CSV records of the Seattle file are the
** slow end) and decodes at 0.86-1.06x; level 12 writes what LZ4_compress_HC
** level 12 writes, at two thirds of its speed.
**
** Decompression is LZ4's two-speed loop: while plenty of room is left in
** both buffers, a sequence with short fields is copied 16 bytes at a time
** with a single bounds check; any other sequence, and the tail, goes
** through a loop that checks every field. It never reads outside src or
** writes outside dst, whatever the input.
**
** Memory: the tables come from sqz_scratch_acquire() and are sized to the
** input (a hash entry per input byte at most, a chain entry per position
** of the window or the input), so a 4 KiB value clears 32 KiB of table,
** not a megabyte. The decoder uses nothing beyond dst.
**
** From SQL: SELECT decompress(compress(body, 'lz77', 9)) FROM docs;
*/
#include "codec.h"
#include "pool.h"
#include "bits.h"
#include "byteorder.h"
#include "varint.h"

#include <stdint.h>
#include <string.h>

/* ---- Format constants (docs/format/lz77.md) ------------------------------ */

/* Token: literal length in bits 4-7, match length minus LZ_MIN_MATCH in bits
** 0-3. A nibble holding LZ_LEN_ESC says that a varint follows with the rest
** of the length. */
#define LZ_MIN_MATCH 4u
#define LZ_LEN_ESC 15u
#define LZ_TOKEN(ll_nibble, ml_nibble) ((uint8_t)((ll_nibble) << 4 | (ml_nibble)))

/* Offsets up to LZ_OFF_SHORT_MAX take two bytes; an offset field of 0 is
** followed by three bytes holding a longer offset. */
#define LZ_OFF_SHORT_MAX 0xffffu
#define LZ_OFF_LONG_BYTES 5u

#define LZ_WLOG_MIN 10
#define LZ_WLOG_MAX 24
#define LZ_WLOG_DEFAULT 16

/* Largest input one compress call takes: positions are uint32_t. */
#define LZ_MAX_INPUT ((size_t)0x7fffffff)

/* Inputs shorter than this are written as one literal run: the match
** finders read 8 bytes at a position. */
#define LZ_MIN_INPUT 16u

/* ---- Small helpers ------------------------------------------------------- */

/* Bytes a match's offset field takes: 2, or 5 above LZ_OFF_SHORT_MAX. */
static inline unsigned lz_offset_bytes(uint32_t offset) {
  return offset <= LZ_OFF_SHORT_MAX ? 2u : LZ_OFF_LONG_BYTES;
}

/* Bytes of the varint that continues a length nibble holding v (0 when v
** fits the nibble). */
static inline size_t lz_ext_size(size_t v) {
  return v >= LZ_LEN_ESC ? sqz_varint_size(v - LZ_LEN_ESC) : 0;
}

/* Copies 16 bytes at a time until at least n bytes are copied: writes up to
** 15 bytes past dst + n and reads up to 15 past src + n, so the caller must
** have checked both. src must not overlap the bytes being written, except
** trailing dst by 16 or more (then every chunk reads bytes already written). */
static inline void lz_wild_copy16(uint8_t *dst, const uint8_t *src, size_t n) {
  uint8_t *const end = dst + n;
  do {
    memcpy(dst, src, 16);
    dst += 16;
    src += 16;
  } while (dst < end);
}

/* Length of the common prefix of a and b, counted up to aend; b < a. */
static inline size_t lz_count(const uint8_t *a, const uint8_t *b, const uint8_t *aend) {
  const uint8_t *const start = a;
  if ((size_t)(aend - a) >= 8) { /* most matches end in their first 8 bytes */
    uint64_t x = sqz_load64le(a) ^ sqz_load64le(b);
    if (x) return sqz_ctz64(x) >> 3;
    a += 8;
    b += 8;
  }
  while ((size_t)(aend - a) >= 8) {
    uint64_t x = sqz_load64le(a) ^ sqz_load64le(b);
    if (x) return (size_t)(a - start) + (sqz_ctz64(x) >> 3);
    a += 8;
    b += 8;
  }
  while (a < aend && *a == *b) {
    a++;
    b++;
  }
  return (size_t)(a - start);
}

/* Multiplicative hash (Knuth's, as LZ4 and zstd use it) of the first nbytes
** (4..8) bytes at p, into hlog bits (1..31). Reads 8 bytes. */
static inline uint32_t lz_hash(const uint8_t *p, unsigned nbytes, unsigned hlog) {
  return (uint32_t)(((sqz_load64le(p) << (64 - 8 * nbytes)) * 0xcf1bbcdcb7a56463ull) >>
                    (64 - hlog));
}

/* ---- Sequence writer ------------------------------------------------------ */

/* Output cursor of a compress call. */
typedef struct lz_out {
  uint8_t *op;          /* next byte to write */
  uint8_t *oend;        /* end of dst */
  const uint8_t *iend;  /* end of src: bounds the wild literal reads */
  uint8_t *ofast;       /* op < ofast: 32 bytes of room */
  const uint8_t *ifast; /* lit < ifast: 16 bytes of src readable at lit */
} lz_out;

static lz_out lz_out_init(uint8_t *dst, size_t cap, const uint8_t *src, size_t n) {
  lz_out o = {dst, dst + cap, src + n, cap >= 32 ? dst + cap - 31 : dst,
              n >= 16 ? src + n - 15 : src};
  return o;
}

/* Bytes a match of length ml at offset off saves over writing its bytes as
** literals: ml minus its offset field and one for the token. A match is only
** ever taken when this is >= 1, which is what keeps lz77_bound() true. */
static inline int lz_saving(size_t ml, uint32_t off) {
  return (int)(ml < 0xffff ? ml : 0xffff) - 1 - (int)lz_offset_bytes(off);
}

/* How much dearer the greedy and lazy parsers count a long offset than its
** bytes: they judge one match at a time, and measured on examples/data a
** far match pays only when it is much longer than a near one (with less, a
** 1 MiB window compresses worse than 64 KiB). The optimal parser prices
** exactly instead. */
#define LZ_FAR_PENALTY 16
/* lz_saving() with a long offset counted LZ_FAR_PENALTY bytes dearer: what
** the parsers compare. */
static inline int lz_score(size_t ml, uint32_t off) {
  return lz_saving(ml, off) - (off > LZ_OFF_SHORT_MAX ? LZ_FAR_PENALTY : 0);
}

/* Writes one sequence: ll literals from lit, then a match of ml bytes at
** offset off (ml == 0: the closing literal-only sequence, no offset).
** Returns 0 when dst lacks room, 1 otherwise. Any lengths and offsets. */
static int lz_put_any(lz_out *o, const uint8_t *lit, size_t ll, uint32_t off, size_t ml) {
  uint8_t *op = o->op;
  const size_t mlv = ml ? ml - LZ_MIN_MATCH : 0;
  const unsigned ob = ml ? lz_offset_bytes(off) : 0;
  const size_t need = 1 + lz_ext_size(ll) + ll + ob + (ml ? lz_ext_size(mlv) : 0);
  const size_t room = (size_t)(o->oend - op);
  if (need > room) return 0;
  *op++ = LZ_TOKEN(ll < LZ_LEN_ESC ? ll : LZ_LEN_ESC, mlv < LZ_LEN_ESC ? mlv : LZ_LEN_ESC);
  if (ll >= LZ_LEN_ESC) op += sqz_varint_put(op, SQZ_VARINT_MAX, ll - LZ_LEN_ESC);
  if (room - need >= 16 && (size_t)(o->iend - lit) >= ll + 16)
    lz_wild_copy16(op, lit, ll);
  else
    memcpy(op, lit, ll);
  op += ll;
  if (ml) {
    if (ob == 2) {
      sqz_store16le(op, (uint16_t)off);
    } else {
      sqz_store16le(op, 0); /* the long-offset marker */
      sqz_store24le(op + 2, off);
    }
    op += ob;
    if (mlv >= LZ_LEN_ESC) op += sqz_varint_put(op, SQZ_VARINT_MAX, mlv - LZ_LEN_ESC);
  }
  o->op = op;
  return 1;
}

/* lz_put_any() for a match (ml >= LZ_MIN_MATCH), with the common case
** inline: fewer than 15 literals, a two-byte offset, a match length whose
** varint takes at most a byte, and room for wild copies. */
static inline int lz_put(lz_out *o, const uint8_t *lit, size_t ll, uint32_t off, size_t ml) {
  uint8_t *op = o->op;
  const size_t mlv = ml - LZ_MIN_MATCH;
  if (ll < LZ_LEN_ESC && off <= LZ_OFF_SHORT_MAX && mlv < LZ_LEN_ESC + 0x80 && op < o->ofast &&
      lit < o->ifast) {
    const unsigned esc = mlv >= LZ_LEN_ESC;
    op[0] = LZ_TOKEN(ll, esc ? LZ_LEN_ESC : mlv);
    memcpy(op + 1, lit, 16);
    op += 1 + ll;
    sqz_store16le(op, (uint16_t)off);
    op[2] = (uint8_t)(mlv - LZ_LEN_ESC); /* kept only when esc */
    o->op = op + 2 + esc;
    return 1;
  }
  return lz_put_any(o, lit, ll, off, ml);
}

/* ---- Levels --------------------------------------------------------------- */

/* Positions one optimal-parse window covers; with its LZ_OPT_SLACK spare
** nodes (16 bytes each) the window takes 64 KiB of scratch. */
#define LZ_OPT_NUM 4088u
#define LZ_OPT_SLACK 8u

/* Match finder and parser of a level. */
typedef enum { LZ_FAST, LZ_LAZY, LZ_OPT } lz_strategy;

/* How one level searches. */
typedef struct lz_level {
  uint8_t strategy; /* lz_strategy */
  uint8_t hash_log; /* log2 of the hash-table entries for large inputs */
  uint8_t min_len;  /* bytes hashed; the fast finder's shortest match (4..8) */
  uint8_t skip_log; /* step grows by one every 2^skip_log misses */
  uint8_t lazy;     /* LZ_LAZY: positions looked ahead before taking a match, 0..2 */
  uint16_t depth;   /* chain candidates per search */
  uint16_t nice;    /* a match this long ends the search (<= LZ_OPT_NUM) */
} lz_level;

static const lz_level lz_levels[13] = {
    {0, 0, 0, 0, 0, 0, 0}, /* unused: levels start at 1 */
    {LZ_FAST, 13, 6, 5, 0, 0, 0},
    {LZ_FAST, 14, 6, 6, 0, 0, 0},
    {LZ_FAST, 16, 6, 7, 0, 0, 0},
    {LZ_LAZY, 16, 5, 8, 0, 4, 32},
    {LZ_LAZY, 16, 5, 8, 1, 8, 32},
    {LZ_LAZY, 16, 5, 8, 1, 16, 64},
    {LZ_LAZY, 16, 4, 8, 1, 32, 64},
    {LZ_LAZY, 16, 4, 8, 2, 64, 128},
    {LZ_LAZY, 16, 4, 8, 2, 128, 256},
    {LZ_OPT, 16, 4, 8, 0, 128, 128},
    {LZ_OPT, 16, 4, 8, 0, 512, 256},
    {LZ_OPT, 16, 4, 8, 0, 2048, 1024},
};

#define LZ_LEVEL_MIN 1
#define LZ_LEVEL_DEFAULT 2
#define LZ_LEVEL_MAX 12

/* ---- Fast match finder (levels 1..3) --------------------------------------- */

/* Greedy parse with one hash-table probe per position; a candidate counts
** when its first min_len bytes equal those at ip, which one masked 8-byte
** compare decides. table holds 2^hlog entries, all zero: an entry is the
** first 4 bytes at a position (high half) and the position (low half); a
** zero entry is position 0, verified like any other candidate. Returns
** bytes written or DST_TOO_SMALL. */
static size_t lz_compress_fast(uint64_t *table, unsigned hlog, const lz_level *lv, uint32_t maxoff,
                               uint8_t *dst, size_t cap, const uint8_t *src, size_t n) {
  lz_out o = lz_out_init(dst, cap, src, n);
  const uint8_t *ip = src + 1, *anchor = src;
  const uint8_t *const iend = src + n;
  const uint8_t *const ilimit = iend - 8; /* the hash and the compare read 8 bytes */
  const unsigned min_len = lv->min_len, skip_log = lv->skip_log;
  const uint64_t mask = ~(uint64_t)0 >> (64 - 8 * min_len);

  for (;;) {
    const uint8_t *match;
    size_t ml;
    size_t attempts = (size_t)1 << skip_log;
    size_t step = 1;
    /* The hash of the next position is computed before the candidate of
    ** this one is checked (LZ4's forwardH), so the two overlap. */
    const uint8_t *next = ip;
    if (next > ilimit) break;
    uint32_t hnext = lz_hash(next, min_len, hlog);
    for (;;) {
      const uint32_t h = hnext;
      ip = next;
      next += step;
      step = attempts++ >> skip_log;
      if (next > ilimit) goto done;
      const uint64_t cur = sqz_load64le(ip), e = table[h];
      hnext = lz_hash(next, min_len, hlog);
      table[h] = cur << 32 | (uint64_t)(ip - src);
      /* The entry's high half holds the first 4 bytes at its position:
      ** src is read only for a candidate that shares them. */
      if ((uint32_t)(e >> 32) == (uint32_t)cur) {
        match = src + (uint32_t)e;
        if (((size_t)(ip - match) <= maxoff) & !((sqz_load64le(match) ^ cur) & mask)) {
          ml = min_len + lz_count(ip + min_len, match + min_len, iend);
          if (ip - match <= LZ_OFF_SHORT_MAX || lz_score(ml, (uint32_t)(ip - match)) >= 1) break;
        }
      }
    }
    while (ip > anchor && match > src && ip[-1] == match[-1]) {
      ip--;
      match--;
      ml++;
    }
    if (!lz_put(&o, anchor, (size_t)(ip - anchor), (uint32_t)(ip - match), ml))
      return SQZ_ERROR(DST_TOO_SMALL);
    ip += ml;
    anchor = ip;
    if (ip > ilimit) break;
    const uint8_t *p = ip - 2;
    table[lz_hash(p, min_len, hlog)] = sqz_load64le(p) << 32 | (uint64_t)(p - src);
  }
done:
  if (iend > anchor && !lz_put_any(&o, anchor, (size_t)(iend - anchor), 0, 0))
    return SQZ_ERROR(DST_TOO_SMALL);
  return (size_t)(o.op - dst);
}

/* ---- Hash-chain match finder (levels 4..12) --------------------------------- */

/* head[hash] is the newest position with that hash; chain[pos & cmask] the
** position before pos with the same hash. Positions below next are
** inserted. Entries are only read after they were written (the head table
** is cleared, and a chain entry is reached only through an inserted
** position), and a chain that does not go strictly backwards ends the walk,
** so stale ring entries are harmless and the output is deterministic. */
typedef struct lz_chain {
  uint32_t *head;      /* 2^hlog entries */
  uint32_t *chain;     /* cmask + 1 entries */
  unsigned hlog;       /* log2 of the head entries */
  unsigned hbytes;     /* bytes hashed */
  uint32_t cmask;      /* chain entries - 1 */
  uint32_t next;       /* first position not inserted yet */
  const uint8_t *base; /* src: positions count from here */
} lz_chain;

/* A match: len bytes at offset off. */
typedef struct lz_match {
  uint32_t len;
  uint32_t off;
} lz_match;

/* Most matches lz_chain_matches() reports for one position. */
#define LZ_MAX_MATCHES 64

/* Walks the chain of ip (ip + 8 <= iend) through up to depth candidates
** within maxoff and writes to out[] each candidate that is longer than all
** before it and saves at least a byte (lz_saving): lengths rise, and each
** is the nearest offset that reaches its length. Stops at a match of nice
** bytes or at the end of the input. Inserts every position before ip
** first. Returns the number of matches (0..LZ_MAX_MATCHES). */
static size_t lz_chain_matches(lz_chain *c, const uint8_t *ip, const uint8_t *iend, uint32_t maxoff,
                               unsigned depth, size_t nice, lz_match *out) {
  const uint8_t *const base = c->base;
  const uint32_t pos = (uint32_t)(ip - base);
  for (uint32_t p = c->next; p < pos; p++) {
    uint32_t h = lz_hash(base + p, c->hbytes, c->hlog);
    c->chain[p & c->cmask] = c->head[h];
    c->head[h] = p;
  }
  c->next = pos;

  size_t count = 0;
  const size_t maxlen = (size_t)(iend - ip);
  const uint32_t lowest = pos > maxoff ? pos - maxoff : 0;
  const uint32_t first = sqz_load32le(ip);
  size_t best = LZ_MIN_MATCH - 1; /* a longer match must also match byte [best] */
  uint32_t cand = c->head[lz_hash(ip, c->hbytes, c->hlog)];
  while (depth-- && cand < pos && cand >= lowest) {
    const uint8_t *m = base + cand;
    if (m[best] == ip[best] && sqz_load32le(m) == first) {
      size_t len = LZ_MIN_MATCH + lz_count(ip + LZ_MIN_MATCH, m + LZ_MIN_MATCH, iend);
      if (len > best && lz_saving(len, pos - cand) >= 1) {
        best = len;
        out[count].len = len < UINT32_MAX ? (uint32_t)len : UINT32_MAX;
        out[count].off = pos - cand;
        if (++count == LZ_MAX_MATCHES || len >= nice || len >= maxlen) break;
      }
    }
    uint32_t next = c->chain[cand & c->cmask];
    if (next >= cand) break;
    cand = next;
  }
  return count;
}

/* The match at ip that scores best (lz_score), or length 0. */
static lz_match lz_chain_best(lz_chain *c, const uint8_t *ip, const uint8_t *iend, uint32_t maxoff,
                              const lz_level *lv, int *score) {
  lz_match all[LZ_MAX_MATCHES], best = {0, 0};
  size_t count = lz_chain_matches(c, ip, iend, maxoff, lv->depth, lv->nice, all);
  *score = 0;
  for (size_t i = 0; i < count; i++) {
    int sc = lz_score(all[i].len, all[i].off);
    if (sc > *score) {
      best = all[i];
      *score = sc;
    }
  }
  return best;
}

/* Lazy (or greedy, lazy == 0) parse over hash chains. c is set up with its
** head table cleared. Returns bytes written or DST_TOO_SMALL. */
static size_t lz_compress_lazy(lz_chain *c, const lz_level *lv, uint32_t maxoff, uint8_t *dst,
                               size_t cap, const uint8_t *src, size_t n) {
  lz_out o = lz_out_init(dst, cap, src, n);
  const uint8_t *ip = src + 1, *anchor = src;
  const uint8_t *const iend = src + n;
  const uint8_t *const ilimit = iend - 8;

  while (ip <= ilimit) {
    int score;
    lz_match m = lz_chain_best(c, ip, iend, maxoff, lv, &score);
    if (!m.len) {
      ip += 1 + ((size_t)(ip - anchor) >> lv->skip_log);
      continue;
    }
    /* Lazy evaluation: a match that starts a byte or two later wins when it
    ** saves more than the literals it leaves behind cost. */
    for (unsigned ahead = 1; ahead <= lv->lazy && m.len < lv->nice;) {
      if (ip + ahead > ilimit) break;
      int score2;
      lz_match m2 = lz_chain_best(c, ip + ahead, iend, maxoff, lv, &score2);
      if (m2.len && score2 > score + (int)ahead) {
        ip += ahead;
        m = m2;
        score = score2;
        ahead = 1;
        continue;
      }
      ahead++;
    }
    const uint8_t *match = ip - m.off;
    size_t ml = m.len;
    while (ip > anchor && match > src && ip[-1] == match[-1]) {
      ip--;
      match--;
      ml++;
    }
    if (!lz_put(&o, anchor, (size_t)(ip - anchor), m.off, ml)) return SQZ_ERROR(DST_TOO_SMALL);
    ip += ml;
    anchor = ip;
  }
  if (iend > anchor && !lz_put_any(&o, anchor, (size_t)(iend - anchor), 0, 0))
    return SQZ_ERROR(DST_TOO_SMALL);
  return (size_t)(o.op - dst);
}

/* ---- Optimal parser (levels 10..12) ---------------------------------------------- */

#define LZ_OPT_TAIL 3u /* literals priced past the last match of a window */
#define LZ_PRICE_MAX UINT32_MAX

/* A node of the optimal parse: the cheapest way found to reach a position
** of the window, counted from the window start (ip). */
typedef struct lz_node {
  uint32_t price;  /* bytes of output up to here; a pending literal run's token not yet counted */
  uint32_t mlen;   /* 1: the last step is a literal; else a match of mlen bytes */
  uint32_t off;    /* that match's offset */
  uint32_t litlen; /* literal run before that match, or ending here (mlen == 1) */
} lz_node;

/* Bytes ll literals cost: themselves and the varint of their length. */
static inline uint32_t lz_lit_price(size_t ll) {
  return (uint32_t)(ll + lz_ext_size(ll));
}

/* Bytes of a sequence of ll literals and a match of ml at off. */
static inline uint32_t lz_seq_price(size_t ll, size_t ml, uint32_t off) {
  return 1 + lz_lit_price(ll) + lz_offset_bytes(off) + (uint32_t)lz_ext_size(ml - LZ_MIN_MATCH);
}

/* The price at which the literal run ending at node x began. */
static inline uint32_t lz_run_start(const lz_node *x) {
  return x->mlen == 1 ? x->price - lz_lit_price(x->litlen) : x->price;
}

/* Optimal parse after LZ4HC_compress_optimal (lz4/lz4 lib/lz4hc.c): from a
** position with a match, the cheapest path in exact output bytes is found
** through every later position reached by a match or a literal, until no
** match reaches past the last one (or one is nice bytes long, or the window
** is full); then the path is written out. Unlike LZ4HC, every match length
** of the chain walk is priced with its own offset, since a far offset costs
** more. opt holds LZ_OPT_NUM + LZ_OPT_SLACK nodes. Returns bytes
** written or DST_TOO_SMALL. */
static size_t lz_compress_opt(lz_chain *c, const lz_level *lv, lz_node *opt, uint32_t maxoff,
                              uint8_t *dst, size_t cap, const uint8_t *src, size_t n) {
  lz_out o = lz_out_init(dst, cap, src, n);
  const uint8_t *ip = src + 1, *anchor = src;
  const uint8_t *const iend = src + n;
  const uint8_t *const ilimit = iend - 8;
  lz_match ms[LZ_MAX_MATCHES];

  while (ip <= ilimit) {
    size_t nm = lz_chain_matches(c, ip, iend, maxoff, lv->depth, lv->nice, ms);
    if (!nm) { /* as in the lazy parser, skip faster the longer nothing matches */
      ip += 1 + ((size_t)(ip - anchor) >> lv->skip_log);
      continue;
    }
    size_t last, cur, best_len = ms[nm - 1].len;
    uint32_t best_off = ms[nm - 1].off;
    if (best_len >= lv->nice) { /* long enough: take it at once */
      cur = 0;
      last = best_len;
      opt[0].mlen = 1;
      opt[0].off = 0;
      goto encode;
    }
    /* Position 0 and the next literals carry the run since anchor. */
    const size_t llen = (size_t)(ip - anchor);
    size_t filled = LZ_MIN_MATCH - 1; /* nodes 0..filled hold a price */
    for (size_t r = 0; r <= filled; r++)
      opt[r] = (lz_node){lz_lit_price(llen + r), 1, 0, (uint32_t)(llen + r)};
    last = 0;
    for (cur = 0;; cur++) {
      if (cur > 0) {
        if (cur >= last || ip + cur > ilimit) break;
        /* A position not reached, or no cheaper than the next, is not
        ** worth a search. */
        if (opt[cur].price == LZ_PRICE_MAX || opt[cur + 1].price <= opt[cur].price) continue;
        nm = lz_chain_matches(c, ip + cur, iend, maxoff, lv->depth, lv->nice, ms);
        if (!nm) continue;
        if (ms[nm - 1].len >= lv->nice || cur + ms[nm - 1].len >= LZ_OPT_NUM) {
          best_len = ms[nm - 1].len;
          best_off = ms[nm - 1].off;
          last = cur + best_len;
          goto encode;
        }
      }
      const lz_node here = opt[cur];
      const size_t end = cur + ms[nm - 1].len + LZ_OPT_TAIL;
      for (; filled < end; filled++)
        opt[filled + 1].price = LZ_PRICE_MAX;
      /* Literals after cur. */
      const uint32_t run_start = lz_run_start(&here);
      const size_t run = here.mlen == 1 ? here.litlen : 0;
      for (size_t a = 1; a <= LZ_OPT_TAIL; a++) {
        uint32_t price = run_start + lz_lit_price(run + a);
        if (price < opt[cur + a].price) opt[cur + a] = (lz_node){price, 1, 0, (uint32_t)(run + a)};
      }
      /* Matches at cur: each length with the nearest offset that reaches it,
      ** and only lengths at which that offset saves a byte. */
      size_t len = LZ_MIN_MATCH;
      for (size_t i = 0; i < nm; i++) {
        size_t min_len = 2 + lz_offset_bytes(ms[i].off);
        if (len < min_len) len = min_len;
        for (; len <= ms[i].len; len++) {
          uint32_t price = run_start + lz_seq_price(run, len, ms[i].off);
          if (price <= opt[cur + len].price)
            opt[cur + len] = (lz_node){price, (uint32_t)len, ms[i].off, (uint32_t)run};
        }
      }
      if (cur + ms[nm - 1].len > last) {
        last = cur + ms[nm - 1].len;
        for (size_t a = 1; a <= LZ_OPT_TAIL; a++)
          opt[last + a] = (lz_node){opt[last].price + lz_lit_price(a), 1, 0, (uint32_t)a};
      }
    }
    best_len = opt[last].mlen;
    best_off = opt[last].off;
    cur = last - best_len;
  encode:
    /* Turn the path that ends with the match (cur, best_len, best_off) into
    ** steps stored at the position where each starts. */
    {
      size_t at = cur, step_len = best_len;
      uint32_t step_off = best_off;
      for (;;) {
        size_t prev_len = opt[at].mlen;
        uint32_t prev_off = opt[at].off;
        opt[at].mlen = (uint32_t)step_len;
        opt[at].off = step_off;
        if (prev_len > at) break;
        step_len = prev_len;
        step_off = prev_off;
        at -= prev_len;
      }
    }
    for (size_t r = 0; r < last;) {
      if (opt[r].mlen == 1) {
        ip++;
        r++;
        continue;
      }
      if (!lz_put(&o, anchor, (size_t)(ip - anchor), opt[r].off, opt[r].mlen))
        return SQZ_ERROR(DST_TOO_SMALL);
      ip += opt[r].mlen;
      anchor = ip;
      r += opt[r].mlen;
    }
  }
  if (iend > anchor && !lz_put_any(&o, anchor, (size_t)(iend - anchor), 0, 0))
    return SQZ_ERROR(DST_TOO_SMALL);
  return (size_t)(o.op - dst);
}

/* ---- Compression entry points ------------------------------------------------ */

/* Worst case: literals cost their bytes, plus one token and a varint for the
** closing run; a match is only taken when it saves >= 1 byte, which pays for
** its token and all but the bytes of a literal-length varint beyond the
** first (<= 1 per 128 literals). See docs/format/lz77.md. 0 when srcSize is
** above LZ_MAX_INPUT. */
static size_t lz77_bound(size_t srcSize) {
  if (srcSize > LZ_MAX_INPUT) return 0;
  return srcSize + srcSize / 128 + 16;
}

/* Compresses src into dst with level params->level (1..12; 0 = default 2)
** and a window of 2^window_log - 1 bytes (window_log 10..24; 0 = 16).
** Errors: LEVEL, PARAMETER (window_log out of range), TOO_LARGE (srcSize >
** LZ_MAX_INPUT), MEMORY (no scratch for the tables), DST_TOO_SMALL. */
static size_t lz77_compress(sqz_ctx *ctx, void *dst, size_t dstCapacity, const void *src,
                            size_t srcSize, const sqz_params *params) {
  const int level = params && params->level ? params->level : LZ_LEVEL_DEFAULT;
  const int wlog = params && params->window_log ? params->window_log : LZ_WLOG_DEFAULT;
  if (level < LZ_LEVEL_MIN || level > LZ_LEVEL_MAX) return SQZ_ERROR(LEVEL);
  if (wlog < LZ_WLOG_MIN || wlog > LZ_WLOG_MAX) return SQZ_ERROR(PARAMETER);
  if (srcSize > LZ_MAX_INPUT) return SQZ_ERROR(TOO_LARGE);
  if (!srcSize) return 0;
  if (!dstCapacity) return SQZ_ERROR(DST_TOO_SMALL);
  const lz_level *lv = &lz_levels[level];
  const uint8_t *in = src;
  const uint32_t maxoff = ((uint32_t)1 << wlog) - 1;
  if (srcSize < LZ_MIN_INPUT) {
    lz_out o = lz_out_init(dst, dstCapacity, in, srcSize);
    if (!lz_put_any(&o, in, srcSize, 0, 0)) return SQZ_ERROR(DST_TOO_SMALL);
    return (size_t)(o.op - (uint8_t *)dst);
  }

  /* Tables no larger than the input needs: at most one hash entry per input
  ** byte, and a chain entry per position of the window or the input. */
  const unsigned in_log = sqz_bit_width(srcSize - 1);
  const unsigned hlog = in_log < lv->hash_log ? in_log : lv->hash_log;
  const unsigned clog = in_log < (unsigned)wlog ? in_log : (unsigned)wlog;
  /* The fast finder's entries are 8 bytes (position and tag), the chains' 4. */
  const size_t head_bytes = (lv->strategy == LZ_FAST ? (size_t)8 : 4) << hlog;
  uint32_t *head = sqz_scratch_acquire(ctx, head_bytes), *chain = NULL;
  lz_node *opt = NULL;
  size_t r = SQZ_ERROR(MEMORY);
  if (!head) goto done;
  memset(head, 0, head_bytes);
  if (lv->strategy == LZ_FAST) {
    r = lz_compress_fast((uint64_t *)(void *)head, hlog, lv, maxoff, dst, dstCapacity, in, srcSize);
    goto done;
  }
  chain = sqz_scratch_acquire(ctx, (size_t)4 << clog);
  if (!chain) goto done;
  lz_chain c = {head, chain, hlog, lv->min_len, ((uint32_t)1 << clog) - 1, 0, in};
  if (lv->strategy == LZ_LAZY) {
    r = lz_compress_lazy(&c, lv, maxoff, dst, dstCapacity, in, srcSize);
  } else {
    opt = sqz_scratch_acquire(ctx, (LZ_OPT_NUM + LZ_OPT_SLACK) * sizeof(lz_node));
    if (opt) r = lz_compress_opt(&c, lv, opt, maxoff, dst, dstCapacity, in, srcSize);
  }
done:
  sqz_scratch_release(ctx, opt);
  sqz_scratch_release(ctx, chain);
  sqz_scratch_release(ctx, head);
  return r;
}

/* ---- Decompression ------------------------------------------------------------ */

/* Margins of the decoder's fast loop, bytes. */
#define LZ_FAST_IN 32u
#define LZ_FAST_OUT 64u

/* Reads the varint that continues a length nibble (the caller saw
** LZ_LEN_ESC) and adds it to *len. Returns 0 when the varint is cut short or
** too long, or when *len would exceed limit (the bytes left to read or
** write), else 1. */
static inline int lz_read_ext(const uint8_t **ipp, const uint8_t *iend, size_t *len, size_t limit) {
  const uint8_t *ip = *ipp;
  uint64_t v;
  if (ip < iend && *ip < 0x80) {
    v = *ip++;
  } else {
    size_t used = sqz_varint_read(ip, (size_t)(iend - ip), &v);
    if (sqz_is_error(used)) return 0;
    ip += used;
  }
  if (*len > limit || v > limit - *len) return 0;
  *len += (size_t)v;
  *ipp = ip;
  return 1;
}

/* For a match at offset off < 16: a multiple of off that is >= 16, so that
** after the first 16 bytes are copied one by one, the rest can be copied
** 16 at a time from that far back. */
static const uint8_t lz_spread[16] = {0,  16, 16, 18, 16, 20, 18, 21,
                                      16, 18, 20, 22, 24, 26, 28, 30};

/* Copies a match of ml bytes from off bytes back (1 <= off <= bytes already
** in dst, ml <= oend - op), overlapping when off < ml. */
static inline void lz_copy_match(uint8_t *op, uint8_t *oend, size_t off, size_t ml) {
  const uint8_t *m = op - off;
  const size_t room = (size_t)(oend - op);
  if (room - ml < 16) {
    for (size_t i = 0; i < ml; i++)
      op[i] = m[i];
  } else if (off >= 16) {
    lz_wild_copy16(op, m, ml);
  } else {
    for (unsigned i = 0; i < 16; i++)
      op[i] = m[i];
    if (ml > 16) lz_wild_copy16(op + 16, op + 16 - lz_spread[off], ml - 16);
  }
}

/* Decoder position: both cursors, both ends, and the start of dst. */
typedef struct lz_in {
  const uint8_t *ip, *iend;
  uint8_t *op, *oend, *ostart;
} lz_in;

/* Decodes one sequence at d->ip, checking every field against both ends.
** Returns 1, or 0 when the sequence is corrupt (see lz77_decompress). */
static int lz_decode_careful(lz_in *d) {
  const uint8_t *ip = d->ip, *const iend = d->iend;
  uint8_t *op = d->op, *const oend = d->oend;
  if (ip >= iend) return 0;
  const unsigned token = *ip++;
  size_t ll = token >> 4;
  if (ll == LZ_LEN_ESC && !lz_read_ext(&ip, iend, &ll, (size_t)(iend - ip))) return 0;
  if (ll > (size_t)(iend - ip) || ll > (size_t)(oend - op)) return 0;
  memcpy(op, ip, ll);
  ip += ll;
  op += ll;
  if (op < oend) {
    if ((size_t)(iend - ip) < 2) return 0;
    size_t off = sqz_load16le(ip);
    ip += 2;
    if (!off) {
      if ((size_t)(iend - ip) < 3) return 0;
      off = sqz_load24le(ip);
      ip += 3;
    }
    if (off - 1 >= (size_t)(op - d->ostart)) return 0; /* 0 wraps around */
    size_t ml = token & 15;
    if (ml == LZ_LEN_ESC && !lz_read_ext(&ip, iend, &ml, (size_t)(oend - op))) return 0;
    if (ml + LZ_MIN_MATCH > (size_t)(oend - op)) return 0;
    ml += LZ_MIN_MATCH;
    lz_copy_match(op, oend, off, ml);
    op += ml;
  }
  d->ip = ip;
  d->op = op;
  return 1;
}

/* Decodes src into exactly dstSize bytes of dst. Every length and offset is
** checked before use; wild copies happen only where 16 spare bytes remain in
** the buffer they touch. Errors: CORRUPT when a literal run passes the end
** of src or dst, an offset is 0 or reaches before dst, a match passes the
** end of dst, a field is cut short, the output ends before dstSize, or bytes
** are left after it. */
static size_t lz77_decompress(sqz_ctx *ctx, void *dst, size_t dstSize, const void *src,
                              size_t srcSize) {
  (void)ctx;
  if (!srcSize || !dstSize) /* also keeps NULL buffers out of pointer arithmetic */
    return srcSize || dstSize ? SQZ_ERROR(CORRUPT) : 0;
  lz_in d = {src, (const uint8_t *)src + srcSize, dst, (uint8_t *)dst + dstSize, dst};
  /* The fast loop (after LZ4_decompress_generic's) runs while more than
  ** LZ_FAST_IN bytes of src and LZ_FAST_OUT of dst remain: then a sequence
  ** whose literal run passes the checks below and whose match is at most 18
  ** bytes fits with its wild copies, and its offset field can be read, with
  ** no other bounds check. Other sequences, and the tail, go one at a time
  ** through lz_decode_careful. */
  const uint8_t *const ifast = srcSize > LZ_FAST_IN ? d.iend - LZ_FAST_IN : d.ip;
  uint8_t *const ofast = dstSize > LZ_FAST_OUT ? d.oend - LZ_FAST_OUT : d.op;
  const uint8_t *ip = d.ip;
  uint8_t *op = d.op;

  while (op < d.oend) {
    while (ip < ifast && op < ofast) {
      const unsigned token = *ip;
      size_t ll = token >> 4;
      if (ll < LZ_LEN_ESC) {
        memcpy(op, ip + 1, 16);
        ip++;
      } else {
        ll += ip[1];
        if (ip[1] >= 0x80 || ll + LZ_FAST_IN + 2 > (size_t)(d.iend - ip) ||
            ll + LZ_FAST_OUT > (size_t)(d.oend - op))
          break;
        lz_wild_copy16(op, ip + 2, ll);
        ip += 2;
      }
      ip += ll;
      op += ll;
      size_t off = sqz_load16le(ip);
      ip += 2;
      if (!off) {
        off = sqz_load24le(ip);
        ip += 3;
      }
      if (off - 1 >= (size_t)(op - d.ostart)) return SQZ_ERROR(CORRUPT);
      size_t ml = token & 15;
      if (ml == LZ_LEN_ESC) {
        if (!lz_read_ext(&ip, d.iend, &ml, (size_t)(d.oend - op)) ||
            ml + LZ_MIN_MATCH > (size_t)(d.oend - op))
          return SQZ_ERROR(CORRUPT);
        ml += LZ_MIN_MATCH;
        lz_copy_match(op, d.oend, off, ml);
      } else if (off >= 16) {
        ml += LZ_MIN_MATCH;
        memcpy(op, op - off, 16);
        if (ml > 16) memcpy(op + 16, op + 16 - off, 16);
      } else {
        ml += LZ_MIN_MATCH;
        lz_copy_match(op, d.oend, off, ml);
      }
      op += ml;
    }
    if (op >= d.oend) break;
    d.ip = ip;
    d.op = op;
    if (!lz_decode_careful(&d)) return SQZ_ERROR(CORRUPT);
    ip = d.ip;
    op = d.op;
  }
  if (ip != d.iend) return SQZ_ERROR(CORRUPT);
  return dstSize;
}

const sqz_codec sqz_codec_lz77 = {
    .name = "lz77",
    .id = SQZ_ID_LZ77,
    .kind = SQZ_KIND_BYTES,
    .min_level = LZ_LEVEL_MIN,
    .default_level = LZ_LEVEL_DEFAULT,
    .max_level = LZ_LEVEL_MAX,
    .description = "squeeze's own LZ77: LZ4-class speed, windows up to 16 MiB",
    .window_log_min = 10,
    .window_log_max = 24,
    .bound = lz77_bound,
    .compress = lz77_compress,
    .decompress = lz77_decompress,
    .free_state = NULL,
};

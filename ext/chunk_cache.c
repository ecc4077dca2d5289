/*
** chunk_cache.c: the decoded-chunk cache of chunk_cache.h: the region (its
** layout, lookups, stores, CLOCK eviction, recovery), the POSIX segment and
** the process's settings and counters. docs/cache.md is the user's view.
*/
#include "chunk_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "options.h"

void (*sqz_cc_hook)(int point) = NULL;
int (*sqz_cc_fallocate)(int fd, off_t offset, off_t len) = posix_fallocate;

/* ---- The region --------------------------------------------------------- */

#define CC_MAGIC 0x314B4E4843515A53ull /* "SQZCHNK1" little-endian */
#define CC_READY 0x59444552u           /* "REDY" */
#define CC_PAGE ((size_t)4096)
#define CC_HEAD ((size_t)16) /* an image's header: count, flags, arena bytes */
#define CC_ROW ((size_t)13)  /* a mixed row's record: class, value (8), length (4) */
#define CC_BATCH 64          /* rows packed or unpacked at a time */

/* How an image records its rows (bits 8..11 of its flags). A column whose
** rows are all INT (or all REAL) keeps only their 8-byte values. One whose
** rows are all TEXT (or all BLOB) keeps its rows' bytes one after another
** and a 4-byte end offset per row (row k's bytes end at end[k] and start
** where row k - 1's end, the first at 0): CC_TEXT. When its rows share
** bytes (a dictionary's strings), so that this would take more than its
** arena, it keeps the arena and a 4-byte offset and 4-byte length per row:
** CC_TEXT_REF. Any other column (NULLs, mixed classes) keeps a CC_ROW record
** per row: its class, value or arena offset, and length. */
enum {
  CC_MIXED = 0,
  CC_INT = 1,
  CC_REAL = 2,
  CC_TEXT = 3,
  CC_BLOB = 4,
  CC_TEXT_REF = 5,
  CC_BLOB_REF = 6,
  CC_KINDS = 7
};
#define CC_KIND_SHIFT 8
#define CC_KIND_MASK (0xFu << CC_KIND_SHIFT)
#define CC_KIND(flags) (((flags)&CC_KIND_MASK) >> CC_KIND_SHIFT)
#define CC_PUBLIC_FLAGS (SQZ_CC_DENSE | SQZ_CC_FAST)

/* Bytes of a row's record in an image of kind k. */
static size_t rec_size(uint32_t k) {
  return k == CC_MIXED ? CC_ROW : k == CC_TEXT || k == CC_BLOB ? 4 : 8;
}
#define CC_UPB (SQZ_CC_BLOCK / SQZ_CC_UNIT) /* units per block */

enum { CC_FREE = 0, CC_VALID = 0x56414C44u, CC_WRITING = 0x57524954u };

/* The header at the region's start. Fields after `mutex` are only read
** and written under it; geometry fields are checked, never used. */
typedef struct cc_head {
  uint64_t magic;
  uint32_t version;
  uint32_t layout; /* sizes of the structures and the mutex: another build's region fails */
  uint64_t size;
  uint32_t nblocks, nsets;
  uint64_t data_off;
  pthread_mutex_t mutex;
  uint32_t hand;   /* CLOCK hand over the entries */
  uint32_t cursor; /* where the next scan for free blocks starts */
  uint64_t count;  /* valid entries */
  uint64_t bytes;  /* their image bytes */
  uint64_t nfree;  /* blocks no entry owns (checked against nblocks before use) */
  uint32_t epoch;  /* bumped before and after each rebuild: read without the lock, it tells a
                      reader whose blocks changed owner under it (a miss) from damage */
  uint32_t pad;
  uint32_t ready; /* CC_READY once formatted, written last */
} cc_head;

/* The image's header: its first CC_HEAD bytes, and a copy in its entry. */
typedef struct image_head {
  uint32_t count, flags;
  uint64_t nbytes;
} image_head;

typedef struct cc_entry {
  sqz_cc_key key;
  image_head head; /* the image's header, so that a row read need not read the image's first unit */
  uint64_t hh;     /* XXH3-64 of head, seeded with the key's hash and len */
  uint64_t len;    /* image bytes */
  uint32_t first;  /* first block */
  uint32_t nblk;   /* blocks of the chain: ceil(len / SQZ_CC_BLOCK) */
  uint32_t state;  /* CC_FREE, CC_VALID, CC_WRITING */
  uint32_t ref;    /* CLOCK bit: used since the hand last passed */
  uint32_t seq;    /* bumped whenever the entry is freed: a reader copying without
                      the lock learns that its blocks may have been reused */
  uint32_t pad;
} cc_entry;

/* Where everything is for a region of a given size. */
typedef struct cc_geo {
  cc_head *h;
  cc_entry *e; /* [nsets * SQZ_CC_WAYS] */
  uint32_t *owner, *next;
  uint64_t *uh; /* [nblocks * CC_UPB] XXH3-64 of each unit of each block */
  uint8_t *data;
  uint32_t nblocks, nsets, nentries;
} cc_geo;

#define CC_LAYOUT                                                                                  \
  ((uint32_t)(sizeof(cc_head) << 20 ^ sizeof(cc_entry) << 12 ^ sizeof(pthread_mutex_t) << 4 ^      \
              SQZ_CC_WAYS))

static size_t round_up(size_t x, size_t a) {
  return (x + a - 1) / a * a;
}

/* The geometry of size bytes at mem; 0 when size cannot hold a region. */
static int geometry_of(void *mem, size_t size, cc_geo *g) {
  if (size < SQZ_CC_MIN_SIZE || size > SQZ_CC_MAX_SIZE) return 0;
  size_t head = round_up(sizeof(cc_head), 64);
  size_t per = SQZ_CC_BLOCK + 8 + 8 * CC_UPB + sizeof(cc_entry);
  size_t n = (size - head - CC_PAGE - SQZ_CC_WAYS * sizeof(cc_entry)) / per;
  for (;; n--) {
    size_t sets = (n + SQZ_CC_WAYS - 1) / SQZ_CC_WAYS;
    size_t owner = head + sets * SQZ_CC_WAYS * sizeof(cc_entry);
    size_t data = round_up(owner + 8 * n + 8 * CC_UPB * n, CC_PAGE);
    if (data + n * SQZ_CC_BLOCK <= size) {
      uint8_t *b = mem;
      g->h = mem;
      g->e = (cc_entry *)(b + head);
      g->owner = (uint32_t *)(b + owner);
      g->next = g->owner + n;
      g->uh = (uint64_t *)(b + owner + 8 * n);
      g->data = b + data;
      g->nblocks = (uint32_t)n;
      g->nsets = (uint32_t)sets;
      g->nentries = (uint32_t)(sets * SQZ_CC_WAYS);
      return n >= 8;
    }
  }
}

/* geometry_of, remembered per thread for the last region asked about (a
** lookup asks twice; the divisions are most of a miss's cost). */
static int geometry(void *mem, size_t size, cc_geo *g) {
  static _Thread_local struct {
    void *mem;
    size_t size;
    int ok;
    cc_geo g;
  } last;
  if (last.mem != mem || last.size != size) {
    last.ok = geometry_of(mem, size, &last.g);
    last.mem = mem;
    last.size = size;
  }
  *g = last.g;
  return last.ok;
}

static uint64_t key_hash(const sqz_cc_key *k) {
  return XXH3_64bits(k, sizeof(*k));
}

int sqz_cc_region_format(void *mem, size_t size, int pshared) {
  cc_geo g;
  if (!geometry(mem, size, &g)) return -1;
  memset(mem, 0, (size_t)(g.data - (uint8_t *)mem));
  cc_head *h = g.h;
  pthread_mutexattr_t a;
  if (pthread_mutexattr_init(&a) != 0) return -1;
  int bad = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
            (pshared && pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0) ||
            pthread_mutex_init(&h->mutex, &a) != 0;
  pthread_mutexattr_destroy(&a);
  if (bad) return -1;
  h->magic = CC_MAGIC;
  h->version = SQZ_CC_VERSION;
  h->layout = CC_LAYOUT;
  h->size = size;
  h->nblocks = g.nblocks;
  h->nsets = g.nsets;
  h->data_off = (uint64_t)(g.data - (uint8_t *)mem);
  h->nfree = g.nblocks;
  __atomic_store_n(&h->ready, CC_READY, __ATOMIC_RELEASE);
  return 0;
}

int sqz_cc_region_valid(const void *mem, size_t size) {
  cc_geo g;
  if (!geometry((void *)mem, size, &g)) return 0;
  const cc_head *h = g.h;
  return __atomic_load_n(&h->ready, __ATOMIC_ACQUIRE) == CC_READY && h->magic == CC_MAGIC &&
         h->version == SQZ_CC_VERSION && h->layout == CC_LAYOUT && h->size == size &&
         h->nblocks == g.nblocks && h->nsets == g.nsets &&
         h->data_off == (uint64_t)(g.data - (const uint8_t *)mem);
}

static uint32_t blocks_for(uint64_t len) {
  return (uint32_t)((len + SQZ_CC_BLOCK - 1) / SQZ_CC_BLOCK);
}

/* Empties entry e, bumping its sequence number before anything else can
** reuse its blocks (a seqlock's write side: the number, a release fence, then
** the data). */
static void entry_clear(cc_entry *e) {
  __atomic_store_n(&e->seq, __atomic_load_n(&e->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_store_n(&e->state, CC_FREE, __ATOMIC_RELAXED);
  memset(&e->key, 0, sizeof e->key);
  memset(&e->head, 0, sizeof e->head);
  e->hh = 0;
  e->len = 0;
  e->first = e->nblk = e->ref = e->pad = 0;
}

/* Frees entry i: its blocks (those still marked as its own; the walk is
** bounded by nblk) and its way. */
static void entry_free(cc_geo *g, uint32_t i) {
  cc_entry *e = &g->e[i];
  uint32_t b = e->first, n = e->nblk < g->nblocks ? e->nblk : g->nblocks;
  for (uint32_t k = 0; k < n && b < g->nblocks && g->owner[b] == i + 1; k++) {
    g->owner[b] = 0;
    g->h->nfree++;
    b = g->next[b];
  }
  if (e->state == CC_VALID) {
    if (g->h->count) g->h->count--;
    g->h->bytes = g->h->bytes >= e->len ? g->h->bytes - e->len : 0;
  }
  entry_clear(e);
}

/* Rebuilds the metadata from the entries (after a holder died, or damage
** was found): entries being written are dropped, a valid entry keeps its
** blocks only while its chain is whole and its own, every other block is
** freed, and the counts are recomputed. O(entries + blocks). */
static void rebuild(cc_geo *g) {
  __atomic_store_n(&g->h->epoch, (g->h->epoch + 1) | 1, __ATOMIC_RELAXED); /* odd: rebuilding */
  __atomic_thread_fence(__ATOMIC_RELEASE);
  memset(g->owner, 0, sizeof(uint32_t) * g->nblocks);
  uint64_t count = 0, bytes = 0;
  for (uint32_t i = 0; i < g->nentries; i++) {
    cc_entry *e = &g->e[i];
    if (e->state != CC_VALID || e->len < CC_HEAD || e->len > (uint64_t)g->nblocks * SQZ_CC_BLOCK ||
        e->nblk != blocks_for(e->len)) {
      if (e->state != CC_FREE) entry_clear(e);
      continue;
    }
    uint32_t b = e->first, k = 0;
    for (; k < e->nblk && b < g->nblocks && g->owner[b] == 0; k++) {
      g->owner[b] = i + 1;
      b = g->next[b];
    }
    if (k < e->nblk) { /* broken or shared chain: release what it claimed */
      for (uint32_t j = 0; j < g->nblocks; j++)
        if (g->owner[j] == i + 1) g->owner[j] = 0;
      entry_clear(e);
      continue;
    }
    count++;
    bytes += e->len;
  }
  g->h->count = count;
  g->h->bytes = bytes;
  uint64_t nfree = 0;
  for (uint32_t b = 0; b < g->nblocks; b++)
    nfree += g->owner[b] == 0;
  g->h->nfree = nfree;
  if (g->h->hand >= g->nentries) g->h->hand = 0;
  if (g->h->cursor >= g->nblocks) g->h->cursor = 0;
  __atomic_store_n(&g->h->epoch, g->h->epoch + 1, __ATOMIC_RELEASE);
}

/* Takes the lock (a dead holder's: rebuild and mark consistent, *recovered)
** and checks the header. Returns 0 locked, -1 not. */
static int lock(void *mem, size_t size, cc_geo *g, int *recovered) {
  if (!geometry(mem, size, g) || !sqz_cc_region_valid(mem, size)) return -1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += SQZ_CC_LOCK_MS / 1000;
  ts.tv_nsec += (long)(SQZ_CC_LOCK_MS % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  int rc = pthread_mutex_clocklock(&g->h->mutex, CLOCK_MONOTONIC, &ts);
  if (rc == EOWNERDEAD) {
    rebuild(g);
    pthread_mutex_consistent(&g->h->mutex);
    *recovered = 1;
    rc = 0;
  }
  if (rc != 0) return -1;
  if (!sqz_cc_region_valid(mem, size)) {
    pthread_mutex_unlock(&g->h->mutex);
    return -1;
  }
  return 0;
}

static void unlock(cc_geo *g) {
  pthread_mutex_unlock(&g->h->mutex);
}

int sqz_cc_region_lock_for_test(void *mem, size_t size) {
  cc_geo g;
  int recovered = 0;
  return lock(mem, size, &g, &recovered);
}

/* The way of key in its set, or -1. */
static int64_t find(cc_geo *g, const sqz_cc_key *key, uint64_t kh) {
  uint32_t base = (uint32_t)(kh % g->nsets) * SQZ_CC_WAYS;
  for (uint32_t w = 0; w < SQZ_CC_WAYS; w++) {
    cc_entry *e = &g->e[base + w];
    if (e->state == CC_VALID && memcmp(&e->key, key, sizeof(*key)) == 0) return base + w;
  }
  return -1;
}

/* The stored hash of unit u (n bytes at p) of an entry of key hash kh:
** XXH3-64 of the bytes, xor a value of the key and the place, so that a unit
** moved to another place of the image, or into another entry, does not
** verify. (XXH3's own seed would derive a secret on every call for inputs
** past 240 bytes, which cost more than the hash of a unit.) */
static uint64_t unit_hash(const void *p, size_t n, uint64_t kh, uint64_t u) {
  return XXH3_64bits(p, n) ^ (kh + (u + 1) * 0x9E3779B97F4A7C15ull);
}

/* Where an image is: what a reader takes of an entry (snapshot), to read the
** image without the lock. */
typedef struct snap {
  uint32_t i, first, nblk, seq;
  uint64_t len, kh;
  uint32_t epoch;  /* the header's rebuild epoch before the entry was read */
  image_head head; /* the entry's copy of the image's header */
  uint64_t hh;     /* and its hash */
} snap;

static uint64_t head_hash(const image_head *h, uint64_t kh, uint64_t len) {
  return XXH3_64bits_withSeed(h, sizeof *h, kh ^ len);
}

/* A reader of an image by units (SQZ_CC_UNIT bytes; the last may be
** shorter). Each unit is copied out of the region into buf, then hashed
** there and compared with its stored hash: what a caller gets was verified
** after the copy, so bytes changing under it can only fail the check. */
typedef struct ureader {
  cc_geo *g;
  snap t;
  uint64_t unit;  /* the unit in buf, UINT64_MAX: none */
  size_t n;       /* its bytes */
  uint64_t bunit; /* the block-of-chain index of `block` (a walk restarts below it) */
  uint32_t block;
  uint8_t buf[SQZ_CC_UNIT];
} ureader;

static void ureader_open(ureader *r, cc_geo *g, const snap *t) {
  r->g = g;
  r->t = *t;
  r->unit = UINT64_MAX;
  r->n = 0;
  r->bunit = 0;
  r->block = t->first;
}

/* The region block of block k of the image's chain, walked from the last
** one asked for (or the first), each checked to be the entry's; UINT32_MAX
** when the chain ends or leaves the entry's blocks. */
static uint32_t ureader_block(ureader *r, uint64_t k) {
  cc_geo *g = r->g;
  const snap *t = &r->t;
  if (k >= t->nblk) return UINT32_MAX;
  if (k < r->bunit) r->bunit = 0, r->block = t->first;
  uint32_t b = r->block;
  if (b >= g->nblocks || __atomic_load_n(&g->owner[b], __ATOMIC_RELAXED) != t->i + 1)
    return UINT32_MAX;
  for (; r->bunit < k; r->bunit++) {
    b = __atomic_load_n(&g->next[b], __ATOMIC_RELAXED);
    if (b >= g->nblocks || __atomic_load_n(&g->owner[b], __ATOMIC_RELAXED) != t->i + 1)
      return UINT32_MAX;
    r->block = b;
  }
  return b;
}

/* Loads unit u into r->buf; 0 when the chain or the unit's hash fails. */
static int ureader_load(ureader *r, uint64_t u) {
  cc_geo *g = r->g;
  const snap *t = &r->t;
  if (u * SQZ_CC_UNIT >= t->len) return 0;
  uint32_t b = ureader_block(r, u / CC_UPB);
  if (b == UINT32_MAX) return 0;
  size_t off = (size_t)(u % CC_UPB) * SQZ_CC_UNIT;
  size_t n =
      t->len - u * SQZ_CC_UNIT < SQZ_CC_UNIT ? (size_t)(t->len - u * SQZ_CC_UNIT) : SQZ_CC_UNIT;
  memcpy(r->buf, g->data + (size_t)b * SQZ_CC_BLOCK + off, n);
  uint64_t want = __atomic_load_n(&g->uh[(size_t)b * CC_UPB + u % CC_UPB], __ATOMIC_RELAXED);
  if (unit_hash(r->buf, n, t->kh, u) != want) {
    r->unit = UINT64_MAX;
    return 0;
  }
  r->unit = u;
  r->n = n;
  return 1;
}

/* Asks the CPU to start loading bytes [off, off + n) of the image (at most
** 2 KiB), so that the sections a row read needs arrive together rather
** than one cache miss after another. Only a hint: nothing is read here,
** every index is checked, and a walk that fails does nothing. */
static void ureader_prefetch(ureader *r, uint64_t off, size_t n) {
  const snap *t = &r->t;
  if (off >= t->len) return;
  if (n > t->len - off) n = (size_t)(t->len - off);
  if (n > 2048) n = 2048;
  uint32_t b = ureader_block(r, off / SQZ_CC_BLOCK);
  if (b == UINT32_MAX) return;
  cc_geo *g = r->g;
  size_t in = (size_t)(off % SQZ_CC_BLOCK);
  for (size_t x = 0; x < n && in + x < SQZ_CC_BLOCK; x += 64)
    __builtin_prefetch(g->data + (size_t)b * SQZ_CC_BLOCK + in + x);
}

/* Copies n bytes of the image from offset off into dst, verified. 0 when
** they pass the image's end or fail their check. */
static int ureader_read(ureader *r, uint64_t off, void *dst, size_t n) {
  uint8_t *d = dst;
  if (off > r->t.len || n > r->t.len - off) return 0;
  while (n) {
    uint64_t u = off / SQZ_CC_UNIT;
    if (u != r->unit && !ureader_load(r, u)) return 0;
    size_t at = (size_t)(off % SQZ_CC_UNIT);
    size_t k = r->n - at < n ? r->n - at : n;
    memcpy(d, r->buf + at, k);
    d += k, off += k, n -= k;
  }
  return 1;
}

/* A sequential writer of a new image into its chain (built under the lock,
** just now): bytes gather in a unit, which is hashed there and copied out
** whole, so the stored hash is of the caller's bytes, whatever else writes
** into the region meanwhile. */
typedef struct uwriter {
  cc_geo *g;
  uint64_t kh;
  uint32_t block; /* the chain's block of `unit` */
  uint64_t unit;
  size_t fill;
  uint8_t buf[SQZ_CC_UNIT];
} uwriter;

static void uwriter_flush(uwriter *w) {
  if (!w->fill) return;
  cc_geo *g = w->g;
  if (w->unit && w->unit % CC_UPB == 0) w->block = g->next[w->block];
  if (w->block >= g->nblocks) return; /* cannot happen: the chain was just built */
  memcpy(g->data + (size_t)w->block * SQZ_CC_BLOCK + (w->unit % CC_UPB) * SQZ_CC_UNIT, w->buf,
         w->fill);
  g->uh[(size_t)w->block * CC_UPB + w->unit % CC_UPB] = unit_hash(w->buf, w->fill, w->kh, w->unit);
  w->unit++;
  w->fill = 0;
}

static void uwriter_write(uwriter *w, const void *src, size_t n) {
  const uint8_t *s = src;
  while (n) {
    size_t k = SQZ_CC_UNIT - w->fill < n ? SQZ_CC_UNIT - w->fill : n;
    memcpy(w->buf + w->fill, s, k);
    w->fill += k, s += k, n -= k;
    if (w->fill == SQZ_CC_UNIT) uwriter_flush(w);
  }
}

static uint64_t image_len(uint32_t count, uint64_t nbytes, uint32_t flags) {
  return flags & SQZ_CC_DENSE ? CC_HEAD
                              : CC_HEAD + (uint64_t)count * rec_size(CC_KIND(flags)) + nbytes;
}

/* The kind of image col (count rows, not DENSE) is stored as, and in
** *nbytes the bytes of its image's arena: col's arena for CC_MIXED and the
** REF kinds, none for CC_INT and CC_REAL, the rows' bytes for CC_TEXT and
** CC_BLOB. */
static uint32_t kind_of(const sqz_column *col, uint64_t *nbytes) {
  *nbytes = col->nbytes;
  if (col->count == 0) return CC_MIXED;
  uint8_t cls = col->type[0];
  for (uint32_t k = 1; k < col->count; k++)
    if (col->type[k] != cls) return CC_MIXED;
  if (cls == SQZ_CLASS_INT || cls == SQZ_CLASS_REAL) {
    *nbytes = 0; /* no arena */
    return cls == SQZ_CLASS_INT ? CC_INT : CC_REAL;
  }
  if (cls != SQZ_CLASS_TEXT && cls != SQZ_CLASS_BLOB) return CC_MIXED;
  if (col->nbytes > UINT32_MAX) return CC_MIXED;
  uint64_t sum = 0;
  for (uint32_t k = 0; k < col->count; k++) {
    if (col->v[k] > col->nbytes || col->len[k] > col->nbytes - col->v[k]) return CC_MIXED;
    sum += col->len[k];
  }
  if (sum > col->nbytes) /* rows share bytes: offsets and lengths */
    return cls == SQZ_CLASS_TEXT ? CC_TEXT_REF : CC_BLOB_REF;
  *nbytes = sum;
  return cls == SQZ_CLASS_TEXT ? CC_TEXT : CC_BLOB;
}

/* Reads the records of rows [first, first + n) of an image of kind k into
** rows 0.. of out's class, value and length arrays (room for n), with
** TEXT/BLOB values as offsets into the image's arena; 0 when they fail
** their check (an end offset before the one it follows is damage; offsets
** past the arena are left to rows_valid). */
static int records_read(ureader *r, uint32_t k, uint64_t first, uint32_t n, sqz_column *out) {
  size_t rs = rec_size(k);
  uint8_t rec[CC_BATCH * CC_ROW];
  uint32_t prev = 0; /* end offset of the row before (TEXT/BLOB) */
  if ((k == CC_TEXT || k == CC_BLOB) && first > 0 &&
      !ureader_read(r, CC_HEAD + (first - 1) * 4, &prev, 4))
    return 0;
  for (uint32_t k0 = 0; k0 < n; k0 += CC_BATCH) {
    uint32_t m = n - k0 < CC_BATCH ? n - k0 : CC_BATCH;
    if (!ureader_read(r, CC_HEAD + (first + k0) * rs, rec, m * rs)) return 0;
    for (uint32_t i = 0; i < m; i++) {
      const uint8_t *x = rec + i * rs;
      uint32_t j = k0 + i, u32;
      switch (k) {
      case CC_MIXED:
        out->type[j] = x[0];
        memcpy(&out->v[j], x + 1, 8);
        memcpy(&out->len[j], x + 9, 4);
        break;
      case CC_INT:
      case CC_REAL:
        out->type[j] = k == CC_INT ? SQZ_CLASS_INT : SQZ_CLASS_REAL;
        memcpy(&out->v[j], x, 8);
        out->len[j] = 0;
        break;
      case CC_TEXT_REF:
      case CC_BLOB_REF:
        memcpy(&u32, x, 4); /* the offset, then the length */
        out->type[j] = k == CC_TEXT_REF ? SQZ_CLASS_TEXT : SQZ_CLASS_BLOB;
        out->v[j] = u32;
        memcpy(&out->len[j], x + 4, 4);
        break;
      default: /* CC_TEXT, CC_BLOB: the end offset */
        memcpy(&u32, x, 4);
        if (u32 < prev) return 0;
        out->type[j] = k == CC_TEXT ? SQZ_CLASS_TEXT : SQZ_CLASS_BLOB;
        out->v[j] = prev;
        out->len[j] = u32 - prev;
        prev = u32;
        break;
      }
    }
  }
  return 1;
}

/* The image's header, from the entry's copy (checked by its hash: the
** image's first unit is not read); 0 when it does not describe t. */
static int head_read(ureader *r, image_head *ih) {
  const snap *t = &r->t;
  if (t->len < CC_HEAD || t->nblk != blocks_for(t->len) || t->nblk > r->g->nblocks ||
      t->first >= r->g->nblocks || head_hash(&t->head, t->kh, t->len) != t->hh)
    return 0;
  *ih = t->head;
  if (ih->flags & ~(CC_PUBLIC_FLAGS | CC_KIND_MASK) || CC_KIND(ih->flags) >= CC_KINDS ||
      ih->nbytes > t->len || image_len(ih->count, ih->nbytes, ih->flags) != t->len)
    return 0;
  return !(ih->flags & SQZ_CC_DENSE) || (ih->nbytes == 0 && CC_KIND(ih->flags) == CC_MIXED);
}

/* Whether rows [0, n) of out are well formed: a class, and TEXT/BLOB
** within an arena of nbytes. */
static int rows_valid(const sqz_column *out, uint32_t n, uint64_t nbytes) {
  for (uint32_t k = 0; k < n; k++) {
    if (out->type[k] > SQZ_CLASS_BLOB) return 0;
    if (out->type[k] >= SQZ_CLASS_TEXT && (out->v[k] > nbytes || out->len[k] > nbytes - out->v[k]))
      return 0;
  }
  return 1;
}

/* Reads the whole image of t into out, without the lock; 1 verified, 0
** damaged, -2 out of memory, 2 larger than max_bytes. A result other than
** 1 or -2 may also come from the entry being freed and its blocks reused
** meanwhile: the caller compares t.seq afterwards. */
static int image_read(cc_geo *g, const snap *t, sqz_column *out, uint32_t *flags,
                      size_t max_bytes) {
  ureader r;
  ureader_open(&r, g, t);
  image_head ih;
  if (!head_read(&r, &ih)) return 0;
  if (ih.flags & SQZ_CC_FAST) return 2; /* the caller decodes it faster */
  if (!(ih.flags & SQZ_CC_DENSE)) {
    if (ih.nbytes > max_bytes) return 2;
    uint32_t k = CC_KIND(ih.flags);
    if (sqz_column_reserve(out, ih.count, (size_t)ih.nbytes) != 0) return -2;
    if (!records_read(&r, k, 0, ih.count, out) ||
        !ureader_read(&r, CC_HEAD + rec_size(k) * ih.count, out->bytes, (size_t)ih.nbytes) ||
        !rows_valid(out, ih.count, ih.nbytes))
      return 0;
  }
  out->count = ih.flags & SQZ_CC_DENSE ? 0 : ih.count;
  out->nbytes = (size_t)ih.nbytes;
  *flags = ih.flags & CC_PUBLIC_FLAGS;
  return 1;
}

/* Reads rows [first, first + n) of the image of t into out (empty) as an
** n-row column with its own arena; returns as image_read, and 2 (a miss,
** not damage) for rows the image does not hold. Only the units those rows
** touch are read. */
static int image_rows(cc_geo *g, const snap *t, uint32_t first, uint32_t n, sqz_column *out,
                      uint32_t *flags, size_t max_bytes) {
  ureader r;
  ureader_open(&r, g, t);
  image_head ih;
  if (!head_read(&r, &ih)) return 0;
  *flags = ih.flags & CC_PUBLIC_FLAGS;
  if (ih.flags & SQZ_CC_DENSE) return 1;
  if (first > ih.count || n > ih.count - first) return 2; /* not damage: a plain miss */
  if (sqz_column_reserve(out, n, 0) != 0) return -2;
  uint32_t k = CC_KIND(ih.flags);
  size_t rs = rec_size(k);
  uint64_t arena = CC_HEAD + rs * (uint64_t)ih.count;
  ureader_prefetch(&r, CC_HEAD + rs * (uint64_t)first, (size_t)n * rs);
  if (!records_read(&r, k, first, n, out) || !rows_valid(out, n, ih.nbytes)) return 0;
  /* the rows' TEXT/BLOB bytes: need in all, within [lo, hi) of the arena */
  uint64_t need = 0, lo = UINT64_MAX, hi = 0;
  for (uint32_t k = 0; k < n; k++) {
    if (out->type[k] < SQZ_CLASS_TEXT) continue;
    need += out->len[k];
    if (out->v[k] < lo) lo = out->v[k];
    if (out->v[k] + out->len[k] > hi) hi = out->v[k] + out->len[k];
  }
  if (need > max_bytes) return 2;
  size_t at = 0;
  if (need && hi - lo < need + SQZ_CC_UNIT && hi - lo <= max_bytes) {
    /* (nearly) contiguous, as rows decoded in order are: one read. The gaps
    ** add up to less than a unit, so no unit lies wholly in one: every unit
    ** read holds bytes of a row read (a damaged unit elsewhere is no miss) */
    if (sqz_column_reserve(out, n, (size_t)(hi - lo)) != 0) return -2;
    if (!ureader_read(&r, arena + lo, out->bytes, (size_t)(hi - lo))) return 0;
    for (uint32_t k = 0; k < n; k++)
      if (out->type[k] >= SQZ_CLASS_TEXT) out->v[k] -= lo;
    at = (size_t)(hi - lo);
  } else {
    if (sqz_column_reserve(out, n, (size_t)need) != 0) return -2;
    for (uint32_t k = 0; k < n; k++) {
      if (out->type[k] < SQZ_CLASS_TEXT) continue;
      if (!ureader_read(&r, arena + out->v[k], out->bytes + at, out->len[k])) return 0;
      out->v[k] = at;
      at += out->len[k];
    }
  }
  out->count = n;
  out->nbytes = at;
  return 1;
}

/* Finds key and takes a snapshot of its entry (setting its CLOCK bit),
** without the lock: an entry's sequence number is read before and after its
** fields (a seqlock's read side; entry_clear bumps it before it changes any),
** and its state is written VALID last, so a snapshot is of one version of
** one entry or is not taken. What it names is checked again as the image is
** read (every block's owner, every unit's hash) and by the sequence number
** after (read_done), so readers never wait for the lock, nor for a process
** that died holding it. Returns 1 found, 0 not, -1 when the header no longer
** reads as a region. */
static int snapshot(void *mem, size_t size, const sqz_cc_key *key, cc_geo *g, snap *t) {
  if (!geometry(mem, size, g) || !sqz_cc_region_valid(mem, size)) return -1;
  uint64_t kh = key_hash(key);
  uint32_t base = (uint32_t)(kh % g->nsets) * SQZ_CC_WAYS;
  for (uint32_t w = 0; w < SQZ_CC_WAYS; w++) {
    cc_entry *e = &g->e[base + w];
    uint32_t epoch = __atomic_load_n(&g->h->epoch, __ATOMIC_ACQUIRE);
    uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != CC_VALID) continue;
    sqz_cc_key k;
    memcpy(&k, (const void *)&e->key, sizeof k);
    t->i = base + w;
    t->first = __atomic_load_n(&e->first, __ATOMIC_RELAXED);
    t->nblk = __atomic_load_n(&e->nblk, __ATOMIC_RELAXED);
    t->seq = seq;
    t->len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
    t->kh = kh;
    t->epoch = epoch;
    memcpy(&t->head, (const void *)&e->head, sizeof t->head);
    t->hh = __atomic_load_n(&e->hh, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq) continue; /* changed under us */
    if (memcmp(&k, key, sizeof k) != 0) continue;
    /* set only when clear: a store on every hit would take the entry's cache
    ** line from every other core reading it */
    if (!__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
    if (sqz_cc_hook) sqz_cc_hook(2);
    return 1;
  }
  return 0;
}

/* After a read r (of image_read or image_rows) of snapshot t without the
** lock: 1 when it stands; else out is emptied and the result is a miss (0),
** -2, or damage: the entry is dropped (*rejected) and the metadata rebuilt. */
static int read_done(void *mem, size_t size, cc_geo *g, const snap *t, int r, sqz_column *out,
                     int *rejected, int *recovered) {
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint32_t epoch = __atomic_load_n(&g->h->epoch, __ATOMIC_RELAXED);
  int moved = __atomic_load_n(&g->e[t->i].seq, __ATOMIC_RELAXED) != t->seq || epoch != t->epoch ||
              (epoch & 1);
  if (r == 1 && !moved) return 1;
  out->count = 0, out->nbytes = 0;
  if (r == -2) return -2;
  if (r == 2 || moved) return 0; /* too large, or evicted under the copy: a plain miss */
  *rejected = 1;
  if (lock(mem, size, g, recovered) != 0) return -1;
  if (g->e[t->i].seq == t->seq) entry_free(g, t->i);
  rebuild(g); /* damage seldom comes alone: check every chain now */
  unlock(g);
  return 0;
}

int sqz_cc_region_get(void *mem, size_t size, const sqz_cc_key *key, sqz_column *out,
                      uint32_t *flags, size_t max_bytes, int *rejected, int *recovered) {
  cc_geo g;
  snap t;
  int f = snapshot(mem, size, key, &g, &t);
  if (f <= 0) return f;
  /* the copy and its check run without the lock, so readers do not queue
  ** behind each other's copies; every index is checked as it is read */
  int r = image_read(&g, &t, out, flags, max_bytes);
  return read_done(mem, size, &g, &t, r, out, rejected, recovered);
}

int sqz_cc_region_rows(void *mem, size_t size, const sqz_cc_key *key, uint32_t first, uint32_t n,
                       sqz_column *out, uint32_t *flags, size_t max_bytes, int *rejected,
                       int *recovered) {
  cc_geo g;
  snap t;
  int f = snapshot(mem, size, key, &g, &t);
  if (f <= 0) return f;
  int r = image_rows(&g, &t, first, n, out, flags, max_bytes);
  return read_done(mem, size, &g, &t, r, out, rejected, recovered);
}
/* Frees entries by CLOCK until need blocks are free (the header's nfree).
** Returns 0 when the hand went twice around without finding enough. */
static int clock_evict(cc_geo *g, uint32_t need, uint32_t keep, uint64_t *evicted) {
  for (uint64_t steps = 0; g->h->nfree < need && steps < 2 * (uint64_t)g->nentries; steps++) {
    uint32_t i = g->h->hand < g->nentries ? g->h->hand : 0;
    g->h->hand = i + 1 < g->nentries ? i + 1 : 0;
    cc_entry *e = &g->e[i];
    if (e->state != CC_VALID || i == keep) continue;
    if (e->ref) {
      e->ref = 0;
      continue;
    }
    entry_free(g, i);
    (*evicted)++;
  }
  return g->h->nfree >= need;
}

int sqz_cc_region_put(void *mem, size_t size, const sqz_cc_key *key, const sqz_column *col,
                      uint32_t flags, uint64_t *evicted, int *recovered) {
  cc_geo g;
  if (!geometry(mem, size, &g)) return -1;
  uint32_t count = col->count;
  uint64_t nbytes = 0;
  flags &= CC_PUBLIC_FLAGS;
  if (!(flags & SQZ_CC_DENSE)) flags |= kind_of(col, &nbytes) << CC_KIND_SHIFT;
  uint32_t kind = CC_KIND(flags);
  uint64_t len = image_len(count, nbytes, flags);
  if (len > (uint64_t)g.nblocks * SQZ_CC_BLOCK / 4) return 0;
  uint32_t need = blocks_for(len);
  if (lock(mem, size, &g, recovered) != 0) return -1;
  uint64_t kh = key_hash(key);
  int64_t old = find(&g, key, kh);
  if (old >= 0) entry_free(&g, (uint32_t)old);
  /* a way of the set: a free one, else CLOCK within the set */
  uint32_t base = (uint32_t)(kh % g.nsets) * SQZ_CC_WAYS, way = UINT32_MAX;
  for (uint32_t w = 0; w < SQZ_CC_WAYS && way == UINT32_MAX; w++)
    if (g.e[base + w].state != CC_VALID) way = base + w;
  for (uint32_t s = 0; s < 2 * SQZ_CC_WAYS && way == UINT32_MAX; s++) {
    cc_entry *e = &g.e[base + s % SQZ_CC_WAYS];
    if (e->ref)
      e->ref = 0;
    else
      way = base + s % SQZ_CC_WAYS;
  }
  if (way == UINT32_MAX) way = base;
  if (g.e[way].state == CC_VALID) {
    entry_free(&g, way);
    (*evicted)++;
  } else if (g.e[way].state != CC_FREE) {
    entry_free(&g, way);
  }
  if (g.h->nfree > g.nblocks) rebuild(&g); /* a count no region can have: damage */
  if (!clock_evict(&g, need, way, evicted)) {
    rebuild(&g); /* blocks lost to damage come back */
    if (!clock_evict(&g, need, way, evicted)) {
      unlock(&g);
      return 0;
    }
  }
  cc_entry *e = &g.e[way];
  e->key = *key;
  e->len = len;
  e->nblk = need;
  e->state = CC_WRITING;
  uint32_t prev = UINT32_MAX, got = 0, b = g.h->cursor < g.nblocks ? g.h->cursor : 0;
  for (uint32_t k = 0; k < g.nblocks && got < need; k++, b = b + 1 < g.nblocks ? b + 1 : 0) {
    if (g.owner[b]) continue;
    g.owner[b] = way + 1;
    g.h->nfree--;
    if (prev == UINT32_MAX)
      e->first = b;
    else
      g.next[prev] = b;
    prev = b;
    got++;
  }
  g.h->cursor = b;
  if (got < need) { /* nfree said otherwise: damage; start over clean */
    entry_free(&g, way);
    rebuild(&g);
    unlock(&g);
    return 0;
  }
  uwriter w = {.g = &g, .kh = kh, .block = e->first};
  image_head ih = {count, flags, nbytes};
  e->head = ih;
  e->hh = head_hash(&ih, kh, len);
  uwriter_write(&w, &ih, sizeof ih);
  if (!(flags & SQZ_CC_DENSE)) {
    size_t rs = rec_size(kind);
    uint8_t rec[CC_BATCH * CC_ROW];
    uint32_t end = 0;
    for (uint32_t k0 = 0; k0 < count; k0 += CC_BATCH) {
      uint32_t m = count - k0 < CC_BATCH ? count - k0 : CC_BATCH;
      for (uint32_t k = 0; k < m; k++) {
        uint8_t *x = rec + k * rs;
        if (kind == CC_INT || kind == CC_REAL) {
          memcpy(x, &col->v[k0 + k], 8);
        } else if (kind == CC_TEXT_REF || kind == CC_BLOB_REF) {
          uint32_t off = (uint32_t)col->v[k0 + k]; /* <= nbytes <= UINT32_MAX: kind_of */
          memcpy(x, &off, 4);
          memcpy(x + 4, &col->len[k0 + k], 4);
        } else if (kind != CC_MIXED) {
          end += col->len[k0 + k];
          memcpy(x, &end, 4);
        } else {
          /* what a class leaves unused is written as 0, never as whatever the
          ** decoder's arrays held there (other processes read the segment) */
          uint8_t cls = col->type[k0 + k];
          uint64_t v = cls == SQZ_CLASS_NULL ? 0 : col->v[k0 + k];
          uint32_t len = cls >= SQZ_CLASS_TEXT ? col->len[k0 + k] : 0;
          x[0] = cls;
          memcpy(x + 1, &v, 8);
          memcpy(x + 9, &len, 4);
        }
      }
      uwriter_write(&w, rec, m * rs);
      if (k0 == 0 && sqz_cc_hook) sqz_cc_hook(1); /* half written */
    }
    if (kind == CC_TEXT || kind == CC_BLOB) { /* the rows' bytes, one after another */
      for (uint32_t k = 0; k < count; k++)
        if (col->len[k]) uwriter_write(&w, col->bytes + col->v[k], col->len[k]);
    } else if (nbytes) {
      uwriter_write(&w, col->bytes, (size_t)nbytes);
    }
  }
  uwriter_flush(&w);
  e->ref = 0; /* a first use proves nothing: CLOCK keeps what is read again */
  __atomic_store_n(&e->state, CC_VALID, __ATOMIC_RELEASE); /* last: readers take no lock */
  g.h->count++;
  g.h->bytes += len;
  unlock(&g);
  return 1;
}

int sqz_cc_region_usage(void *mem, size_t size, uint64_t *entries, uint64_t *bytes,
                        uint64_t *capacity, int *recovered) {
  cc_geo g;
  if (lock(mem, size, &g, recovered) != 0) return -1;
  *entries = g.h->count;
  *bytes = g.h->bytes;
  *capacity = (uint64_t)g.nblocks * SQZ_CC_BLOCK;
  unlock(&g);
  return 0;
}

/* ---- The segment -------------------------------------------------------- */

/* The segment's name for size bytes and layout version v into buf. */
static void segment_name_v(size_t size, int v, char *buf, size_t n) {
  const char *prefix = getenv("SQUEEZE_CACHE_SEGMENT");
  if (!prefix || !*prefix || strlen(prefix) > 64 || strchr(prefix, '/')) prefix = "squeeze";
  snprintf(buf, n, "/%s-u%u-v%d-%zu", prefix, (unsigned)geteuid(), v, size);
}

void sqz_chunk_cache_segment_name(size_t size, char *buf, size_t n) {
  segment_name_v(size, SQZ_CC_VERSION, buf, n);
}

/* Removes the segments of earlier layout versions (same prefix and size)
** that this user owns: no process of this version uses them, and each holds
** its reserved memory until removed. A process of an earlier version that
** has one mapped keeps its mapping; the next one makes its own. */
static void unlink_older(size_t size) {
  for (int v = 1; v < SQZ_CC_VERSION; v++) {
    char name[128];
    segment_name_v(size, v, name, sizeof name);
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0) continue;
    struct stat st;
    int ours = fstat(fd, &st) == 0 && st.st_uid == geteuid();
    close(fd);
    if (ours) shm_unlink(name);
  }
}

/* Waits up to 500 ms for the segment on fd to reach its size and be
** formatted by its creator; then maps it. NULL when it never does. */
static void *seg_map_existing(int fd, size_t size) {
  for (int t = 0; t < 100; t++) {
    struct stat st;
    if (fstat(fd, &st) != 0) return NULL;
    if ((size_t)st.st_size == size) {
      void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (mem == MAP_FAILED) return NULL;
      for (; t < 100; t++) {
        if (sqz_cc_region_valid(mem, size)) return mem;
        nanosleep(&(struct timespec){0, 5000000L}, NULL);
      }
      munmap(mem, size);
      return NULL;
    }
    if ((size_t)st.st_size > size) return NULL;
    nanosleep(&(struct timespec){0, 5000000L}, NULL);
  }
  return NULL;
}

/* Maps the user's segment of size bytes, creating or replacing it. NULL on
** failure (errno: ENOSPC for a full /dev/shm, EPERM for another user's). */
static void *seg_attach(size_t size) {
  char name[128];
  sqz_chunk_cache_segment_name(size, name, sizeof name);
  for (int attempt = 0; attempt < 4; attempt++) {
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
      void *mem = MAP_FAILED;
      int e = fchmod(fd, 0600) != 0 ? errno : sqz_cc_fallocate(fd, 0, (off_t)size);
      if (!e) {
        mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (mem == MAP_FAILED) e = errno;
      }
      close(fd);
      if (!e && sqz_cc_region_format(mem, size, 1) == 0) {
        unlink_older(size);
        return mem;
      }
      if (mem != MAP_FAILED) munmap(mem, size);
      shm_unlink(name);
      errno = e ? e : EINVAL;
      return NULL;
    }
    if (errno != EEXIST) return NULL;
    fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid()) {
      close(fd);
      errno = EPERM;
      return NULL; /* not ours: never used, never removed */
    }
    void *mem = NULL;
    if (S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600) mem = seg_map_existing(fd, size);
    close(fd);
    if (mem) return mem;
    shm_unlink(name); /* ours but wrong: mode, size, version, layout or never formatted */
  }
  errno = EAGAIN;
  return NULL;
}

/* ---- Admission ---------------------------------------------------------- */

uint64_t sqz_cc_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* SQUEEZE_CACHE_KEEP=all: every decoded chunk is worth keeping, whatever its
** decode took (read when a region is set up) */
static int cc_keep_all;

int sqz_cc_worth_keeping(const sqz_column *col, uint64_t decode_ns) {
  if (__atomic_load_n(&cc_keep_all, __ATOMIC_RELAXED)) return 1;
  uint64_t nbytes;
  uint32_t kind = kind_of(col, &nbytes);
  uint64_t bytes = image_len(col->count, nbytes, kind << CC_KIND_SHIFT);
  return decode_ns * 1000 >= bytes * SQZ_CC_HIT_PS_PER_BYTE;
}

/* ---- The process's cache ---------------------------------------------- */

typedef struct cc_count {
  uint64_t hits, misses, evictions, rejected, recoveries, fallbacks;
} cc_count;

static struct {
  pthread_rwlock_t lock; /* read: a region in use; write: regions change */
  int loaded;            /* settings read from the environment */
  size_t size;           /* 0: off */
  int shared;
  void *proc; /* the process region (anonymous memory), or NULL */
  void *shm;  /* the mapped segment, or NULL */
  size_t mapped;
  int shm_failed; /* the segment could not be had at this size: not tried again */
  cc_count c[2];  /* [0] process, [1] shared */
} cc = {.lock = PTHREAD_RWLOCK_INITIALIZER};

#define BUMP(x) __atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

/* Reads the environment once (with the write lock held). */
static void load_settings(void) {
  if (cc.loaded) return;
  cc.loaded = 1;
  cc.size = SQZ_CC_DEFAULT_SIZE;
  cc.shared = 1;
  const char *s = getenv("SQUEEZE_CACHE_SIZE");
  int64_t v;
  if (s && sqz_parse_size(s, &v) == 0 &&
      (v == 0 || (v >= (int64_t)SQZ_CC_MIN_SIZE && (uint64_t)v <= SQZ_CC_MAX_SIZE)))
    cc.size = (size_t)v;
  int b;
  s = getenv("SQUEEZE_CACHE_SHARED");
  if (s && sqz_parse_bool(s, &b) == 0) cc.shared = b;
}

/* Unmaps both regions (write lock held). */
static void drop_regions(void) {
  if (cc.proc) munmap(cc.proc, cc.mapped);
  if (cc.shm) munmap(cc.shm, cc.mapped);
  cc.proc = cc.shm = NULL;
  cc.mapped = 0;
}

/* Makes the process region (write lock held). */
static void make_proc(void) {
  void *m = mmap(NULL, cc.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return;
  if (sqz_cc_region_format(m, cc.size, 0) != 0) {
    munmap(m, cc.size);
    return;
  }
  cc.proc = m;
  cc.mapped = cc.size;
}

/* Sets up the region the settings ask for (write lock held). */
static void setup(void) {
  load_settings();
  if (!cc.size || cc.proc || cc.shm) return;
  const char *keep = getenv("SQUEEZE_CACHE_KEEP"); /* read with the segment's name */
  __atomic_store_n(&cc_keep_all, keep && !strcmp(keep, "all"), __ATOMIC_RELAXED);
  if (cc.shared && !cc.shm_failed) {
    cc.shm = seg_attach(cc.size);
    if (cc.shm) {
      cc.mapped = cc.size;
      return;
    }
    cc.shm_failed = 1;
    BUMP(cc.c[1].fallbacks);
  }
  make_proc();
}

/* fork() while another thread holds cc.lock would leave the child a lock
** nobody releases: the lock is taken around every fork (pthread_atfork). */
static void fork_prepare(void) {
  pthread_rwlock_wrlock(&cc.lock);
}
static void fork_parent(void) {
  pthread_rwlock_unlock(&cc.lock);
}
/* The child's only thread is not the one that took the lock (glibc's unlock
** compares thread ids): it starts with a new lock instead. */
static void fork_child(void) {
  pthread_rwlock_init(&cc.lock, NULL);
}
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void fork_register(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Takes the read lock with a region in place; returns the region and its
** counters' index, or NULL (lock released) when the cache is off. */
static void *acquire(int *which) {
  pthread_once(&fork_once, fork_register);
  pthread_rwlock_rdlock(&cc.lock);
  if (!cc.proc && !cc.shm && (!cc.loaded || cc.size)) {
    pthread_rwlock_unlock(&cc.lock);
    pthread_rwlock_wrlock(&cc.lock);
    setup();
    pthread_rwlock_unlock(&cc.lock);
    pthread_rwlock_rdlock(&cc.lock);
  }
  if (cc.shm) return *which = 1, cc.shm;
  if (cc.proc) return *which = 0, cc.proc;
  pthread_rwlock_unlock(&cc.lock);
  return NULL;
}

/* The segment failed its lock or header: leave it for the process region. */
static void abandon(void *seg) {
  pthread_rwlock_wrlock(&cc.lock);
  if (cc.shm == seg) {
    munmap(cc.shm, cc.mapped);
    cc.shm = NULL;
    cc.mapped = 0;
    cc.shm_failed = 1;
    BUMP(cc.c[1].fallbacks);
    make_proc();
  }
  pthread_rwlock_unlock(&cc.lock);
}

int sqz_chunk_cache_on(void) {
  pthread_rwlock_rdlock(&cc.lock);
  int on = !cc.loaded || cc.size;
  pthread_rwlock_unlock(&cc.lock);
  return on;
}

/* Admission. A miss stores its chunk, and in a cache smaller than what is
** read every store evicts an entry another request is about to want: reads
** then cost more than with no cache (docs/cache.md, Settings). So while this
** process's recent reads hit less than half the time and its last store had
** to evict a valid entry, only one miss in CC_THRASH_SAMPLE is stored: the
** hit ratio of a cache too small for uniform reads stays what it was (any
** content serves as well), a hot set that fits still gets in (its chunks
** miss often), and the stores' cost falls by that factor. SQUEEZE_CACHE_KEEP=all
** stores every miss. Counters are relaxed atomics: a rough, shared view. */
#define CC_THRASH_SAMPLE 8
#define CC_THRASH_WINDOW 1024 /* reads counted before the counts are halved */
static struct {
  uint32_t hits, misses; /* of this process's recent reads */
  uint32_t full;         /* its last store evicted a valid entry */
  uint32_t turn;         /* misses seen while thrashing */
} adm;

static void admission_count(int hit) {
  __atomic_fetch_add(hit ? &adm.hits : &adm.misses, 1, __ATOMIC_RELAXED);
  uint32_t h = __atomic_load_n(&adm.hits, __ATOMIC_RELAXED);
  uint32_t m = __atomic_load_n(&adm.misses, __ATOMIC_RELAXED);
  if (h + m > CC_THRASH_WINDOW) {
    __atomic_store_n(&adm.hits, h / 2, __ATOMIC_RELAXED);
    __atomic_store_n(&adm.misses, m / 2, __ATOMIC_RELAXED);
  }
}

/* Whether a miss is to be stored now. */
static int admission_admits(void) {
  if (__atomic_load_n(&cc_keep_all, __ATOMIC_RELAXED) ||
      !__atomic_load_n(&adm.full, __ATOMIC_RELAXED))
    return 1;
  if (__atomic_load_n(&adm.hits, __ATOMIC_RELAXED) >=
      __atomic_load_n(&adm.misses, __ATOMIC_RELAXED))
    return 1;
  return __atomic_fetch_add(&adm.turn, 1, __ATOMIC_RELAXED) % CC_THRASH_SAMPLE == 0;
}

/* A read of the process's cache: the whole image (first == UINT32_MAX) or
** rows [first, first + n); counts it. */
static int cache_read(const sqz_cc_key *key, uint32_t first, uint32_t n, sqz_column *out,
                      uint32_t *flags, size_t max_bytes) {
  int w;
  void *m = acquire(&w);
  if (!m) return 0;
  int rejected = 0, recovered = 0;
  int rc = first == UINT32_MAX
               ? sqz_cc_region_get(m, cc.mapped, key, out, flags, max_bytes, &rejected, &recovered)
               : sqz_cc_region_rows(m, cc.mapped, key, first, n, out, flags, max_bytes, &rejected,
                                    &recovered);
  if (rejected) BUMP(cc.c[w].rejected);
  if (recovered) BUMP(cc.c[w].recoveries);
  if (rc == 1)
    BUMP(cc.c[w].hits);
  else if (rc != -2)
    BUMP(cc.c[w].misses);
  if (rc != -2) admission_count(rc == 1);
  pthread_rwlock_unlock(&cc.lock);
  if (rc == -1 && w == 1) abandon(m);
  return rc == 1 ? 1 : rc == -2 ? -1 : 0;
}

int sqz_chunk_cache_get(const sqz_cc_key *key, sqz_column *out, uint32_t *flags, size_t max_bytes) {
  return cache_read(key, UINT32_MAX, 0, out, flags, max_bytes);
}

int sqz_chunk_cache_rows(const sqz_cc_key *key, uint32_t first, uint32_t n, sqz_column *out,
                         uint32_t *flags, size_t max_bytes) {
  if (first == UINT32_MAX) return 0;
  return cache_read(key, first, n, out, flags, max_bytes);
}

void sqz_chunk_cache_put(const sqz_cc_key *key, const sqz_column *col, uint32_t flags) {
  if (!admission_admits()) return;
  int w;
  void *m = acquire(&w);
  if (!m) return;
  uint64_t evicted = 0;
  int recovered = 0;
  int rc = sqz_cc_region_put(m, cc.mapped, key, col, flags, &evicted, &recovered);
  __atomic_store_n(&adm.full, evicted > 0, __ATOMIC_RELAXED);
  if (evicted) __atomic_fetch_add(&cc.c[w].evictions, evicted, __ATOMIC_RELAXED);
  if (recovered) BUMP(cc.c[w].recoveries);
  pthread_rwlock_unlock(&cc.lock);
  if (rc == -1 && w == 1) abandon(m);
}

void sqz_chunk_cache_settings(size_t *size, int *shared) {
  pthread_rwlock_wrlock(&cc.lock);
  load_settings();
  *size = cc.size;
  *shared = cc.shared;
  pthread_rwlock_unlock(&cc.lock);
}

int sqz_chunk_cache_configure(int64_t size, int shared) {
  if (size > 0 && (size < (int64_t)SQZ_CC_MIN_SIZE || (uint64_t)size > SQZ_CC_MAX_SIZE)) return -1;
  pthread_rwlock_wrlock(&cc.lock);
  load_settings();
  size_t nsize = size < 0 ? cc.size : (size_t)size;
  int nshared = shared < 0 ? cc.shared : !!shared;
  if (nsize != cc.size || nshared != cc.shared) {
    drop_regions();
    cc.size = nsize;
    cc.shared = nshared;
    cc.shm_failed = 0;
  }
  pthread_rwlock_unlock(&cc.lock);
  return 0;
}

void sqz_chunk_cache_counters(sqz_cache_counters *proc, sqz_cache_counters *shm) {
  sqz_cache_counters *out[2] = {proc, shm};
  pthread_rwlock_rdlock(&cc.lock);
  void *m[2] = {cc.proc, cc.shm};
  int bad = 0;
  for (int w = 0; w < 2; w++) {
    memset(out[w], 0, sizeof(*out[w]));
    const cc_count *k = &cc.c[w];
    out[w]->hits = __atomic_load_n(&k->hits, __ATOMIC_RELAXED);
    out[w]->misses = __atomic_load_n(&k->misses, __ATOMIC_RELAXED);
    out[w]->evictions = __atomic_load_n(&k->evictions, __ATOMIC_RELAXED);
    out[w]->rejected = __atomic_load_n(&k->rejected, __ATOMIC_RELAXED);
    out[w]->recoveries = __atomic_load_n(&k->recoveries, __ATOMIC_RELAXED);
    out[w]->fallbacks = __atomic_load_n(&k->fallbacks, __ATOMIC_RELAXED);
    int recovered = 0;
    if (m[w] && sqz_cc_region_usage(m[w], cc.mapped, &out[w]->entries, &out[w]->bytes,
                                    &out[w]->capacity, &recovered) != 0)
      bad |= w;
    if (recovered) BUMP(cc.c[w].recoveries), out[w]->recoveries++;
  }
  void *seg = cc.shm;
  pthread_rwlock_unlock(&cc.lock);
  if (bad) abandon(seg);
}

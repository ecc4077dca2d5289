/*
** dictionary.c: a trained dictionary and its digests (dictionary.h).
**
** Digest slots are pointers read with acquire loads; a missing one is built
** under the dictionary's mutex (checked again there, so two threads never
** both build it) and stored with a release store. The DDict draws its
** memory from the dictionary's allocator through ZSTD_customMem, the LZ4
** stream is a plain allocation from it, and the CDicts come from libzstd's
** own malloc (see sqz_dictionary_zstd_cdict).
*/
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCDict_byReference, ZSTD_createDDict_advanced */
#include "dictionary.h"

#include <lz4.h>
#include <pthread.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "codec.h"

#define LEVELS (SQZ_DICTIONARY_LEVEL_MAX - SQZ_DICTIONARY_LEVEL_MIN + 1)

struct sqz_dictionary {
  sqz_allocator allocator;
  pthread_mutex_t mutex;          /* held while a digest is built */
  sqz_dictionary_grow_fn on_grow; /* told of each digest's bytes */
  void *grow_opaque;              /* its argument */
  uint8_t *bytes;                 /* the copy of the dictionary */
  size_t size;                    /* its bytes */
  sqz_hash128 hash;               /* XXH3-128 of bytes */
  size_t memory;                  /* sqz_dictionary_memory(); written under mutex */
  ZSTD_CDict *cdict[LEVELS];      /* per level, index level - LEVEL_MIN */
  ZSTD_DDict *ddict;              /* decompression */
  LZ4_stream_t *lz4;              /* LZ4_loadDict'ed stream */
};

sqz_hash128 sqz_dictionary_hash_of(const void *p, size_t n) {
  XXH128_hash_t h = XXH3_128bits(p, n);
  sqz_hash128 r = {h.low64, h.high64};
  return r;
}

char *sqz_hash128_hex(sqz_hash128 h, char out[33]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[15 - i] = digits[(h.hi >> (4 * i)) & 15];
    out[31 - i] = digits[(h.lo >> (4 * i)) & 15];
  }
  out[32] = 0;
  return out;
}

int sqz_hash128_parse(const char *text, size_t len, sqz_hash128 *h) {
  if (len != 32) return -1;
  uint64_t v[2] = {0, 0};
  for (size_t i = 0; i < 32; i++) {
    char c = text[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = (unsigned)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = (unsigned)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = (unsigned)(c - 'A' + 10);
    } else {
      return -1;
    }
    v[i / 16] = (v[i / 16] << 4) | d;
  }
  h->hi = v[0];
  h->lo = v[1];
  return 0;
}

sqz_dictionary *sqz_dictionary_create(const sqz_allocator *allocator, const void *bytes,
                                      size_t size, sqz_dictionary_grow_fn on_grow, void *opaque) {
  if (size < SQZ_DICTIONARY_MIN || size > SQZ_DICTIONARY_MAX) return NULL;
  sqz_allocator a = sqz_allocator_or_default(allocator);
  sqz_dictionary *d = a.alloc(a.opaque, sizeof(*d));
  if (!d) return NULL;
  memset(d, 0, sizeof(*d));
  d->bytes = a.alloc(a.opaque, size);
  if (!d->bytes || pthread_mutex_init(&d->mutex, NULL) != 0) {
    if (d->bytes) a.free(a.opaque, d->bytes);
    a.free(a.opaque, d);
    return NULL;
  }
  memcpy(d->bytes, bytes, size);
  d->allocator = a;
  d->on_grow = on_grow;
  d->grow_opaque = opaque;
  d->size = size;
  d->hash = sqz_dictionary_hash_of(bytes, size);
  d->memory = sizeof(*d) + size;
  return d;
}

void sqz_dictionary_free(sqz_dictionary *d) {
  if (!d) return;
  for (int i = 0; i < LEVELS; i++)
    ZSTD_freeCDict(d->cdict[i]);
  ZSTD_freeDDict(d->ddict);
  if (d->lz4) d->allocator.free(d->allocator.opaque, d->lz4);
  pthread_mutex_destroy(&d->mutex);
  sqz_allocator a = d->allocator;
  a.free(a.opaque, d->bytes);
  a.free(a.opaque, d);
}

const void *sqz_dictionary_bytes(const sqz_dictionary *d) {
  return d->bytes;
}

size_t sqz_dictionary_size(const sqz_dictionary *d) {
  return d->size;
}

sqz_hash128 sqz_dictionary_hash(const sqz_dictionary *d) {
  return d->hash;
}

size_t sqz_dictionary_memory(const sqz_dictionary *d) {
  return __atomic_load_n(&d->memory, __ATOMIC_RELAXED);
}

/* Accounts for a digest of bytes bytes just built (under the mutex). */
static void grew(sqz_dictionary *d, size_t bytes) {
  __atomic_store_n(&d->memory, d->memory + bytes, __ATOMIC_RELAXED);
  if (d->on_grow) d->on_grow(d->grow_opaque, bytes);
}

static ZSTD_customMem custom_mem(sqz_dictionary *d) {
  ZSTD_customMem mem = {d->allocator.alloc, d->allocator.free, d->allocator.opaque};
  return mem;
}

const struct ZSTD_CDict_s *sqz_dictionary_zstd_cdict(sqz_dictionary *d, int level, size_t *err) {
  if (level < SQZ_DICTIONARY_LEVEL_MIN || level > SQZ_DICTIONARY_LEVEL_MAX) {
    *err = SQZ_ERROR(LEVEL);
    return NULL;
  }
  ZSTD_CDict **slot = &d->cdict[level - SQZ_DICTIONARY_LEVEL_MIN];
  ZSTD_CDict *c = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (c) return c;
  pthread_mutex_lock(&d->mutex);
  c = *slot;
  if (!c) {
    /* Exactly ZSTD_createCDict(bytes, size, level) but by reference (the
    ** CDict refers to d->bytes, which live as long): only these two set the
    ** CDict's compression level, which ZSTD_compress_usingCDict reads for
    ** inputs of 128 KiB and more. The advanced constructors, which take an
    ** allocator, leave it unset, and their CDicts compress large inputs with
    ** the parameters chosen for small ones (13% larger at level 19 on the
    ** birdstrikes rows). So the CDict's memory comes from libzstd's malloc,
    ** the one allocation of squeeze outside its allocator; it is counted in
    ** memory all the same (ZSTD_sizeof_CDict). */
    c = ZSTD_createCDict_byReference(d->bytes, d->size, level);
    if (c) {
      grew(d, ZSTD_sizeof_CDict(c));
      __atomic_store_n(slot, c, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&d->mutex);
  if (!c) *err = SQZ_ERROR(MEMORY);
  return c;
}

const struct ZSTD_DDict_s *sqz_dictionary_zstd_ddict(sqz_dictionary *d, size_t *err) {
  ZSTD_DDict *dd = __atomic_load_n(&d->ddict, __ATOMIC_ACQUIRE);
  if (dd) return dd;
  pthread_mutex_lock(&d->mutex);
  dd = d->ddict;
  if (!dd) {
    dd = ZSTD_createDDict_advanced(d->bytes, d->size, ZSTD_dlm_byRef, ZSTD_dct_auto, custom_mem(d));
    if (dd) {
      grew(d, ZSTD_sizeof_DDict(dd));
      __atomic_store_n(&d->ddict, dd, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&d->mutex);
  if (!dd) *err = SQZ_ERROR(MEMORY);
  return dd;
}

const void *sqz_dictionary_lz4_stream(sqz_dictionary *d, size_t *err) {
  LZ4_stream_t *s = __atomic_load_n(&d->lz4, __ATOMIC_ACQUIRE);
  if (s) return s;
  pthread_mutex_lock(&d->mutex);
  s = d->lz4;
  if (!s) {
    s = d->allocator.alloc(d->allocator.opaque, sizeof(LZ4_stream_t));
    if (s) {
      /* LZ4_initStream, then the last 64 KiB of the bytes (all of a smaller
      ** dictionary) as the history every compression starts from. */
      LZ4_initStream(s, sizeof(*s));
      LZ4_loadDict(s, (const char *)d->bytes, (int)d->size);
      grew(d, sizeof(*s));
      __atomic_store_n(&d->lz4, s, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&d->mutex);
  if (!s) *err = SQZ_ERROR(MEMORY);
  return s;
}

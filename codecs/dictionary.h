/*
** dictionary.h: a trained dictionary and its digested forms, which the zstd
** and lz4 codecs compress and decompress with (docs/dictionaries.md).
**
** A dictionary is a run of bytes (a zstd dictionary as ZDICT writes it, or
** any bytes: zstd then takes them as raw content, and LZ4 always does) and
** its identity, the XXH3-128 hash of those bytes. The ways the libraries use
** a dictionary are built from the bytes on first use and kept until the
** dictionary is freed ("digests"):
**   - one ZSTD_CDict per zstd level, for compressing (ZSTD_createCDict's
**     parameters, so a frame is the same as ZSTD_compress_usingCDict's);
**   - one ZSTD_DDict, for decompressing;
**   - one LZ4_stream_t with the dictionary loaded by LZ4_loadDict; each
**     compression copies it into a working stream, the reuse lz4.h describes
**     for a pre-loaded stream ("copying a pre-loaded dictionary's
**     LZ4_stream_t into a working LZ4_stream_t"). LZ4 decompresses from the
**     bytes themselves (LZ4_decompress_safe_usingDict).
**
** A dictionary is shared by every connection of a process (ext/dict_cache.c
** keeps them): getting a digest is thread safe. A digest is built under the
** dictionary's mutex and published with a release store; later gets read it
** with an acquire load and take no lock. Digests are never freed before the
** dictionary, so a pointer a get returned stays valid as long as the caller
** holds the dictionary (the cache's reference counts see to that).
**
** Memory comes from the allocator given at creation (the DDict's through
** ZSTD_customMem), except the CDicts': they come from libzstd's malloc,
** because only ZSTD_createCDict and ZSTD_createCDict_byReference give a
** CDict the compression level ZSTD_compress_usingCDict reads
** (dictionary.c). sqz_dictionary_memory() counts them all.
*/
#ifndef SQZ_DICTIONARY_H
#define SQZ_DICTIONARY_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqz_dictionary sqz_dictionary;

/* The identity of a dictionary's bytes: XXH3_128bits (xxHash,
** doc/xxhash_spec.md) with seed 0. */
typedef struct sqz_hash128 {
  uint64_t lo; /* low64 of XXH128_hash_t */
  uint64_t hi; /* high64 */
} sqz_hash128;

/* The hash of n bytes at p. */
sqz_hash128 sqz_dictionary_hash_of(const void *p, size_t n);

/* Writes the hash as 32 lower-case hex digits and a NUL into out (33
** bytes): its canonical form, high64 then low64, big-endian, as xxh128sum
** prints it. Returns out. */
char *sqz_hash128_hex(sqz_hash128 h, char out[33]);

/* Parses 32 hex digits (either case; exactly 32, nothing else) into *h.
** Returns 0, or -1 when text is not that. */
int sqz_hash128_parse(const char *text, size_t len, sqz_hash128 *h);

/* The bits of the hash a frame records (docs/format.md, version 3): the low
** 16 (tag_bytes 2) or 32 (tag_bytes 4) bits of lo. */
static inline uint32_t sqz_hash128_tag(sqz_hash128 h, unsigned tag_bytes) {
  return tag_bytes >= 4 ? (uint32_t)h.lo : (uint32_t)(h.lo & 0xFFFFu);
}

/* Smallest and largest dictionary, bytes. Below 8 bytes zstd ignores a
** dictionary of raw content (ZSTD_compress_insertDictionary), and ZDICT,
** asked for at least 256 bytes, can return fewer for repetitive samples;
** the maximum keeps the CDicts of one dictionary within a few MiB (zstd's
** tables grow with the dictionary), and LZ4 uses only its last 64 KiB. */
#define SQZ_DICTIONARY_MIN 8
#define SQZ_DICTIONARY_MAX ((size_t)1 << 20)

/* Called with the number of bytes a dictionary's digests grew by, each time
** one is built (under the dictionary's mutex: it must not take that lock). */
typedef void (*sqz_dictionary_grow_fn)(void *opaque, size_t bytes);

/* Creates a dictionary holding a copy of the size bytes at bytes
** (SQZ_DICTIONARY_MIN..SQZ_DICTIONARY_MAX), with their hash. on_grow (may
** be NULL) is told of each digest built. Returns NULL when the allocator
** fails or size is out of range. Free with sqz_dictionary_free(). */
sqz_dictionary *sqz_dictionary_create(const sqz_allocator *allocator, const void *bytes,
                                      size_t size, sqz_dictionary_grow_fn on_grow, void *opaque);

/* Frees the dictionary and every digest. NULL is a no-op. The caller makes
** sure nobody uses it any more. */
void sqz_dictionary_free(sqz_dictionary *d);

/* Its bytes (owned by d), their size, their hash. */
const void *sqz_dictionary_bytes(const sqz_dictionary *d);
size_t sqz_dictionary_size(const sqz_dictionary *d);
sqz_hash128 sqz_dictionary_hash(const sqz_dictionary *d);

/* Bytes d holds now: the struct, the copy of the bytes and every digest
** built so far (ZSTD_sizeof_CDict, ZSTD_sizeof_DDict, LZ4_sizeofState). */
size_t sqz_dictionary_memory(const sqz_dictionary *d);

/* Lowest and highest zstd level a CDict is built for (the zstd codec's
** range). */
#define SQZ_DICTIONARY_LEVEL_MIN (-7)
#define SQZ_DICTIONARY_LEVEL_MAX 22

/* The digests, built on first use. Each returns the digest (owned by d,
** valid until d is freed), or NULL with *err set: SQZ_ERROR(MEMORY) when the
** allocator fails, SQZ_ERROR(LEVEL) for a level outside the range above,
** SQZ_ERROR(CORRUPT) when zstd refuses the bytes (a damaged dictionary
** header; ZDICT's and raw content are taken). err may not be NULL. */
const struct ZSTD_CDict_s *sqz_dictionary_zstd_cdict(sqz_dictionary *d, int level, size_t *err);
const struct ZSTD_DDict_s *sqz_dictionary_zstd_ddict(sqz_dictionary *d, size_t *err);
const void *sqz_dictionary_lz4_stream(sqz_dictionary *d, size_t *err); /* an LZ4_stream_t */

#ifdef __cplusplus
}
#endif
#endif /* SQZ_DICTIONARY_H */

/*
** bins.h: the page coder of the bins codec (codecs/bins.c), shared with the
** decimal codec (codecs/decimal.c), which turns doubles into integers and
** stores them as bins pages. Private to codecs/; not part of the public
** interface. docs/format/bins.md specifies the bytes.
**
** A page holds up to SQZ_BINS_PAGE int64 values. The encoder and the
** decoder each work in one scratch block from the caller's sqz_ctx, sized
** for the largest page they will see, so a page costs no allocation.
*/
#ifndef SQZ_BINS_H
#define SQZ_BINS_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"

#define SQZ_BINS_PAGE 16384 /* values per page (the last page may hold fewer) */

typedef struct sqz_bins_enc sqz_bins_enc; /* encoder scratch */
typedef struct sqz_bins_dec sqz_bins_dec; /* decoder scratch */

/* The bytes of a raw page of count values: the largest page the encoder
** writes. */
static inline size_t sqz_bins_page_bound(size_t count) {
  return 1 + 8 * count;
}

/* An encoder for pages of up to max_count values (1..SQZ_BINS_PAGE), in one
** scratch block of ctx; NULL when ctx cannot supply it. Give it back with
** sqz_bins_enc_release(). */
sqz_bins_enc *sqz_bins_enc_acquire(sqz_ctx *ctx, size_t max_count);
void sqz_bins_enc_release(sqz_ctx *ctx, sqz_bins_enc *enc);

/* The encoder's value array: the caller stores a page's values there (as
** the bits of int64, max_count of them) before sqz_bins_encode_page(). */
uint64_t *sqz_bins_enc_values(sqz_bins_enc *enc);

/* Encodes the count values (1..max_count) in sqz_bins_enc_values(enc) as a
** page at dst (cap bytes): the smallest of the coded forms the encoder tries
** (docs/format/bins.md, "How squeeze writes it") and the raw page. Returns
** the page's size (at most sqz_bins_page_bound(count)) or
** SQZ_ERROR(DST_TOO_SMALL) when it does not fit cap. Deterministic. */
size_t sqz_bins_encode_page(sqz_bins_enc *enc, unsigned count, uint8_t *dst, size_t cap);

/* A decoder for pages of up to max_count values, as the encoder's. */
sqz_bins_dec *sqz_bins_dec_acquire(sqz_ctx *ctx, size_t max_count);
void sqz_bins_dec_release(sqz_ctx *ctx, sqz_bins_dec *dec);

/* Decodes one page of count values (1..max_count) starting at src[*pos]
** (src holds size bytes) into out, count little-endian int64 (8 * count
** bytes); advances *pos past the page. Returns 0, or SQZ_ERROR(TRUNCATED)
** when src ends inside the page, SQZ_ERROR(VERSION) for a page form or
** sequence kind a newer squeeze may write (2..15), SQZ_ERROR(CORRUPT) for
** any other field out of range. Reads only src[0..size), writes only
** out[0..8 * count). */
size_t sqz_bins_decode_page(sqz_bins_dec *dec, const uint8_t *src, size_t size, size_t *pos,
                            unsigned count, uint8_t *out);

#endif /* SQZ_BINS_H */

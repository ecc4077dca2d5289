/*
** ts_common.h: small helpers private to the time-series codecs (gorilla.c,
** dod.c, delta.c). Not part of the public interface: nothing outside those
** three files includes it.
**
** - the argument checks every typed codec starts with (srcSize and dstSize
**   must be whole 8-byte values);
** - the end-of-stream check the bit-stream decoders share: after the last
**   value only the zero padding of the final byte may remain, so that a
**   stream with trailing bytes or non-zero padding is reported as corrupt
**   and every valid payload has exactly one encoding of its length.
*/
#ifndef SQZ_TS_COMMON_H
#define SQZ_TS_COMMON_H

#include "bitstream.h"
#include "codec.h"

#include <stddef.h>
#include <stdint.h>

/* The check a typed compress() starts with: SRC_SIZE when srcSize is not a
** whole number of 8-byte values, else 0 with *n = the number of values. */
static inline size_t ts_check_src(size_t srcSize, size_t *n) {
  *n = srcSize / 8;
  return srcSize % 8 ? SQZ_ERROR(SRC_SIZE) : 0;
}

/* The checks a typed decompress() starts with. dstSize must be a whole
** number of 8-byte values (else CORRUPT: no valid frame declares it); an
** empty output must come from an empty payload (else CORRUPT) and a
** non-empty one from a non-empty payload (else TRUNCATED). Returns 0 when the
** caller should go on decoding. */
static inline size_t ts_check_dst(size_t dstSize, size_t srcSize) {
  if (dstSize % 8) return SQZ_ERROR(CORRUPT);
  if (dstSize == 0) return srcSize ? SQZ_ERROR(CORRUPT) : 0;
  return srcSize ? 0 : SQZ_ERROR(TRUNCATED);
}

/* The end check of a bit-stream decoder that has read every value: TRUNCATED
** when a read ran past the end of the input, CORRUPT when more than the
** zero padding of the last byte is left over (trailing bytes, or non-zero
** padding bits), else 0. */
static inline size_t ts_br_end(sqz_bitreader *r) {
  if (sqz_br_overflowed(r)) return SQZ_ERROR(TRUNCATED);
  size_t left = (size_t)r->nbits + 8 * (size_t)(r->end - r->ptr);
  if (left >= 8) return SQZ_ERROR(CORRUPT);
  if (sqz_br_read(r, (unsigned)left) != 0) return SQZ_ERROR(CORRUPT);
  return 0;
}

/* A bit writer's result as a codec result: bytes written, or DST_TOO_SMALL
** when the destination overflowed. */
static inline size_t ts_bw_result(sqz_bitwriter *w) {
  size_t n = sqz_bw_finish(w);
  return w->overflow ? SQZ_ERROR(DST_TOO_SMALL) : n;
}

#endif /* SQZ_TS_COMMON_H */

/*
** registry.c: the table of codecs, looked up by name or frame id, and the
** error and kind names of codec.h.
**
** To add a codec: define `const sqz_codec sqz_codec_NAME` in its own file,
** declare it in codec.h and add it to `codecs[]` (the order squeeze_codecs
** lists) and to `by_id[]` (test_frame checks that both agree).
*/
#include "codec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const sqz_codec *const codecs[] = {
    &sqz_codec_zstd,    &sqz_codec_lz4,  &sqz_codec_lz4hc,   &sqz_codec_store,   &sqz_codec_rle,
    &sqz_codec_huffman, &sqz_codec_lz77, &sqz_codec_gorilla, &sqz_codec_dod,     &sqz_codec_delta,
    &sqz_codec_alp,     &sqz_codec_dict, &sqz_codec_bins,    &sqz_codec_decimal,
};
#define CODEC_COUNT (sizeof(codecs) / sizeof(codecs[0]))

const sqz_codec *sqz_codec_by_name(const char *name) {
  for (size_t i = 0; i < CODEC_COUNT; i++)
    if (strcasecmp(codecs[i]->name, name) == 0) return codecs[i];
  return NULL;
}

/* codecs[] indexed by id, for the frame reader's lookups. */
static const sqz_codec *const by_id[SQZ_ID_MAX + 1] = {
    [SQZ_ID_STORE] = &sqz_codec_store, [SQZ_ID_ZSTD] = &sqz_codec_zstd,
    [SQZ_ID_LZ4] = &sqz_codec_lz4,     [SQZ_ID_LZ4HC] = &sqz_codec_lz4hc,
    [SQZ_ID_RLE] = &sqz_codec_rle,     [SQZ_ID_HUFFMAN] = &sqz_codec_huffman,
    [SQZ_ID_LZ77] = &sqz_codec_lz77,   [SQZ_ID_GORILLA] = &sqz_codec_gorilla,
    [SQZ_ID_DOD] = &sqz_codec_dod,     [SQZ_ID_DELTA] = &sqz_codec_delta,
    [SQZ_ID_ALP] = &sqz_codec_alp,     [SQZ_ID_DICT] = &sqz_codec_dict,
    [SQZ_ID_BINS] = &sqz_codec_bins,   [SQZ_ID_DECIMAL] = &sqz_codec_decimal,
};

const sqz_codec *sqz_codec_by_id(unsigned id) {
  return id <= SQZ_ID_MAX ? by_id[id] : NULL;
}

size_t sqz_codec_count(void) {
  return CODEC_COUNT;
}

const sqz_codec *sqz_codec_at(size_t i) {
  return i < CODEC_COUNT ? codecs[i] : NULL;
}

char *sqz_codec_names(char *buf, size_t bufSize) {
  size_t used = 0;
  if (bufSize == 0) return buf;
  buf[0] = 0;
  for (size_t i = 0; i < CODEC_COUNT && used < bufSize; i++) {
    int n = snprintf(buf + used, bufSize - used, "%s%s", i ? ", " : "", codecs[i]->name);
    if (n < 0) break;
    used += (size_t)n;
  }
  return buf;
}

const char *sqz_error_string(size_t r) {
  switch (sqz_error_of(r)) {
  case SQZ_OK:
    return "no error";
  case SQZ_ERROR_GENERIC:
    return "internal library error";
  case SQZ_ERROR_DST_TOO_SMALL:
    return "destination too small";
  case SQZ_ERROR_CORRUPT:
    return "corrupt data";
  case SQZ_ERROR_CHECKSUM:
    return "corrupt data (checksum mismatch)";
  case SQZ_ERROR_LEVEL:
    return "level out of range";
  case SQZ_ERROR_SRC_SIZE:
    return "input length is not a multiple of 8 bytes";
  case SQZ_ERROR_MEMORY:
    return "out of memory";
  case SQZ_ERROR_TOO_LARGE:
    return "size exceeds the length limit";
  case SQZ_ERROR_UNKNOWN_CODEC:
    return "unknown codec";
  case SQZ_ERROR_VERSION:
    return "frame format version is newer than this squeeze";
  case SQZ_ERROR_TRUNCATED:
    return "corrupt data (truncated)";
  case SQZ_ERROR_PARAMETER:
    return "parameter out of range";
  case SQZ_ERROR_DICTIONARY:
    return "the frame needs a dictionary that was not given, or not this one";
  default:
    return "unknown error";
  }
}

const char *sqz_kind_name(sqz_kind kind) {
  switch (kind) {
  case SQZ_KIND_BYTES:
    return "bytes";
  case SQZ_KIND_FLOAT64:
    return "float64";
  case SQZ_KIND_INT64:
    return "int64";
  case SQZ_KIND_TEXT:
    return "text";
  }
  return "bytes";
}

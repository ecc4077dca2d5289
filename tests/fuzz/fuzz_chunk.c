/*
** fuzz_chunk.c: libFuzzer target for the column chunk decoder and encoder
** (ext/table/sqt_chunk.c), and through them every codec a chunk can name. This is
** what the squeeze virtual table does with a chunk blob read from a shadow
** table, which it must never trust.
**
** Input byte 0 picks the mode:
**   bit 0 clear: bytes 1.. are a chunk. With bit 1 set a valid checksum is
**         appended first, so the fuzzer reaches the section parsers behind
**         it. The header's row count and tag are used as the expected ones
**         (limit 4 MiB). Decoding must never crash or touch memory outside
**         the buffers (ASan), and a success must yield exactly that many rows.
**   bit 0 set: bytes 1.. describe values (a class byte, then the value:
**         8 bytes for INT and REAL, a length byte and bytes for TEXT/BLOB);
**         they are encoded with primary class (byte 0 >> 1) % 5 and, per
**         byte 0 >> 4, auto or a registry codec, decoded and compared: every
**         column round trips exactly, and a codec that does not fit the class
**         is refused with PARAMETER.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitstream.h"
#include "sqt_chunk.h"
#include "frame.h"

static sqz_ctx *ctx;

static void decode_any(const uint8_t *data, size_t size, int reseal) {
  size_t n = size + (reseal ? 4 : 0);
  uint8_t *copy = malloc(n ? n : 1);
  if (size) memcpy(copy, data, size);
  if (reseal) sqz_store32le(copy + size, sqz_checksum(copy, size));
  sqz_chunk_info info;
  if (!sqz_is_error(sqz_chunk_parse(&info, copy, n))) {
    sqz_column out;
    sqz_column_init(&out, NULL);
    size_t r = sqz_chunk_decode(ctx, &out, copy, n, info.rows, info.tag, 4u << 20);
    if (!sqz_is_error(r) && out.count != info.rows) abort();
    if (sqz_is_error(r) && out.count != 0) abort();
    sqz_column_free(&out);
  }
  free(copy);
}

static void roundtrip(unsigned pick, const uint8_t *p, size_t size) {
  sqz_column col, out;
  sqz_column_init(&col, NULL);
  sqz_column_init(&out, NULL);
  size_t i = 0;
  while (i < size && col.count < 5000) {
    sqz_class c = (sqz_class)(p[i++] % 5);
    uint64_t v = 0;
    if (c == SQZ_CLASS_INT || c == SQZ_CLASS_REAL) {
      uint8_t b[8] = {0};
      for (int k = 0; k < 8 && i < size; k++)
        b[k] = p[i++];
      v = sqz_load64le(b);
      sqz_column_append(&col, c, v, NULL, 0);
    } else if (c == SQZ_CLASS_TEXT || c == SQZ_CLASS_BLOB) {
      size_t l = i < size ? p[i++] % 40 : 0;
      if (l > size - i) l = size - i;
      sqz_column_append(&col, c, 0, p + i, l);
      i += l;
    } else {
      sqz_column_append(&col, c, 0, NULL, 0);
    }
  }
  if (col.count == 0) goto done;
  sqz_chunk_opts o = {
      .primary = (sqz_class)((pick >> 1) % 5), .codec = NULL, .level = 0, .tag = pick};
  unsigned which = pick >> 4;
  if (which) {
    o.codec = sqz_codec_at((which - 1) % sqz_codec_count());
    o.level = o.codec->default_level;
  }
  sqz_buf buf;
  sqz_buf_init(&buf, NULL);
  sqz_chunk_stats st;
  size_t r = sqz_chunk_encode(ctx, &buf, &col, 0, col.count, &o, &st);
  if (r) {
    if (!o.codec || sqz_error_of(r) != SQZ_ERROR_PARAMETER) abort();
    sqz_buf_free(&buf);
    goto done;
  }
  if (sqz_chunk_decode(ctx, &out, buf.p, buf.n, col.count, o.tag, 1u << 30)) abort();
  if (out.count != col.count) abort();
  for (uint32_t k = 0; k < col.count; k++) {
    sqz_value a = sqz_column_value(&col, k), b = sqz_column_value(&out, k);
    if (a.cls != b.cls || a.n != b.n) abort();
    if ((a.cls == SQZ_CLASS_INT || a.cls == SQZ_CLASS_REAL) && a.v != b.v) abort();
    if (a.n && memcmp(a.p, b.p, a.n) != 0) abort();
  }
  sqz_buf_free(&buf);
done:
  sqz_column_free(&col);
  sqz_column_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) ctx = sqz_ctx_create(NULL);
  if (size < 1) return 0;
  if (data[0] & 1) {
    roundtrip(data[0], data + 1, size - 1);
  } else {
    decode_any(data + 1, size - 1, (data[0] & 2) != 0);
  }
  return 0;
}

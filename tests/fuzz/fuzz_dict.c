/*
** fuzz_dict.c: libFuzzer target for the dict codec (codecs/dict.c).
**
** Input byte 0 picks the mode:
**   even: bytes 1.. are a dict payload; byte 0 >> 1 (times 7, plus the
**         payload size) is the declared original size. Decoding must never
**         crash or touch memory outside the exact-size buffers (ASan), and a
**         success must return exactly the declared size.
**   odd:  bytes 1.. are cut into strings (each byte < 0x20 ends one), laid
**         out as varint length + bytes, compressed, decompressed and compared:
**         every layout round trips, and the output never exceeds bound().
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"
#include "varint.h"

static sqz_ctx *ctx;
static const sqz_codec *dict;

static void decode_any(const uint8_t *data, size_t size, size_t declared) {
  uint8_t *in = malloc(size ? size : 1), *out = malloc(declared ? declared : 1);
  if (size) memcpy(in, data, size);
  size_t r = dict->decompress(ctx, out, declared, in, size);
  if (!sqz_is_error(r) && r != declared) abort();
  free(in);
  free(out);
}

static void roundtrip(const uint8_t *data, size_t size) {
  uint8_t *layout = malloc(size * 2 + 16);
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i < size && data[i] >= 0x20) continue;
    n += sqz_varint_put(layout + n, 10, i - start);
    memcpy(layout + n, data + start, i - start);
    n += i - start;
    start = i + 1;
  }
  size_t bound = dict->bound(n);
  uint8_t *z = malloc(bound), *out = malloc(n ? n : 1);
  sqz_params p = {.level = 0};
  size_t zn = dict->compress(ctx, z, bound, layout, n, &p);
  if (sqz_is_error(zn) || zn > bound) abort();
  if (dict->decompress(ctx, out, n, z, zn) != n) abort();
  if (n && memcmp(out, layout, n) != 0) abort();
  free(layout);
  free(z);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) {
    ctx = sqz_ctx_create(NULL);
    dict = sqz_codec_by_name("dict");
    if (!ctx || !dict) abort();
  }
  if (size < 1) return 0;
  if (data[0] & 1) {
    roundtrip(data + 1, size - 1);
  } else {
    decode_any(data + 1, size - 1, (size_t)(data[0] >> 1) * 7 + size - 1);
  }
  return 0;
}

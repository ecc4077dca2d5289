/*
** fuzz_frame.c: libFuzzer target for the frame reader, and so for every
** codec's decoder behind it, and for the zstd/LZ4 frame readers.
**
** Input byte 0 picks the mode:
**   even: bytes 1.. are a frame; parse it, size it (limit 4 MiB), decode it.
**         Must never crash or touch memory outside the buffers (ASan), and a
**         success must come out exactly the declared size.
**   odd:  bytes 1.. are a value; compress it with codec (byte 0 >> 1) % count
**         through a frame, decode it, and compare: every codec round trips.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static sqz_ctx *ctx;

static void decode_any(const uint8_t *data, size_t size) {
  sqz_frame_info info;
  size_t h = sqz_frame_parse(&info, data, size);
  if (sqz_is_error(h)) return;
  uint64_t n = sqz_frame_content_size(ctx, &info, data, size, 4u << 20);
  if (sqz_is_error((size_t)n)) return;
  uint8_t *out = malloc(n ? (size_t)n : 1);
  size_t r = sqz_frame_decompress(ctx, &info, out, (size_t)n, data, size);
  if (!sqz_is_error(r) && r != n) abort();
  free(out);
}

static void roundtrip(unsigned pick, const uint8_t *data, size_t size) {
  const sqz_codec *codec = sqz_codec_at(pick % sqz_codec_count());
  if (codec->kind == SQZ_KIND_TEXT) return;
  if (codec->kind != SQZ_KIND_BYTES) size -= size % 8;
  sqz_params p = {.level = codec->default_level};
  /* small blocks so the blocked form is reached by small inputs */
  unsigned block_log = pick & 1 ? SQZ_FRAME_BLOCK_LOG_MIN : 0;
  size_t bound = sqz_frame_bound_blocks(codec, size, block_log);
  uint8_t *frame = malloc(bound), *out = malloc(size ? size : 1);
  size_t fs = sqz_frame_compress(ctx, frame, bound, data, size, codec, &p, 0, block_log);
  if (sqz_is_error(fs)) abort();
  sqz_frame_info info;
  if (sqz_is_error(sqz_frame_parse(&info, frame, fs))) abort();
  if (sqz_frame_decompress(ctx, &info, out, size, frame, fs) != size) abort();
  if (size && memcmp(out, data, size) != 0) abort();
  free(frame);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx) ctx = sqz_ctx_create(NULL);
  if (size < 1) return 0;
  if (data[0] & 1) {
    roundtrip(data[0] >> 1, data + 1, size - 1);
  } else {
    /* copy so the decoder sees a buffer of exactly the frame's size */
    uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
    memcpy(copy, data + 1, size - 1);
    decode_any(copy, size - 1);
    free(copy);
  }
  return 0;
}

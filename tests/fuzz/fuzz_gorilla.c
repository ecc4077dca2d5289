/*
** fuzz_gorilla.c: libFuzzer target for the gorilla codec (codecs/gorilla.c): decodes
** arbitrary bytes and round-trips arbitrary and structured input; the modes
** are described in ts_fuzz.h. Seed corpus: tests/fuzz/corpus/fuzz_gorilla/.
*/
#include "ts_fuzz.h"

extern const sqz_codec sqz_codec_gorilla;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return ts_fuzz_one(&sqz_codec_gorilla, data, size);
}

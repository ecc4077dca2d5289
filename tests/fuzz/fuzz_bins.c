/*
** fuzz_bins.c: libFuzzer target for the bins codec (codecs/bins.c,
** codecs/ans.c): decodes arbitrary bytes (up to 65536 values: four pages)
** and round-trips arbitrary and structured input; the modes are described
** in ts_fuzz.h. Byte steps (mode 2) reach every form: repeated steps give
** sparse sequences, small ones bins with tuples, large ones packed blocks.
** Seed corpus: tests/fuzz/corpus/fuzz_bins/ (payloads of every form with
** their counts, among them multi-page and hand-made bins sequences; raw and
** step inputs).
*/
#include "ts_fuzz.h"

extern const sqz_codec sqz_codec_bins;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return ts_fuzz_one(&sqz_codec_bins, data, size);
}

/*
** bench_lz77.c: squeeze's lz77 codec against liblz4 and lz4hc, measured in
** the same run on the real files in examples/data.
**
** Each file is compressed whole and in 1 MiB blocks (the way the frame feeds
** a codec). For every contestant it prints the ratio (original / compressed
** bytes), compression and decompression speed in MB/s of original bytes
** (median of BENCH_RUNS runs, each repeated long enough to time, timed in
** CPU time of the thread; the runs of all contestants are interleaved so
** that load from other processes falls on all of them alike), then the
** ratios that the targets are stated in:
**   lz77 default level vs LZ4_compress_default: size, compress and
**   decompress speed (the median of the ratios within each run, lz4 and
**   lz77 timed back to back); lz77 top level vs LZ4_compress_HC level 12:
**   size and compress speed; vs level 9: size.
** Every output is decoded and compared with the input; a mismatch exits 1.
** It never fails on speed.
**
** Run from the repository root: ./build/bench/bench_lz77 [FILE...]
** (make bench runs it on examples/data).
*/
#include "bench_util.h"
#include "codec.h"
#include "pool.h"

#include <lz4.h>
#include <lz4hc.h>

extern const sqz_codec sqz_codec_lz77;

#define BLOCK_SIZE ((size_t)1 << 20)
#define MIN_RUN_SECONDS 0.02 /* a timed run repeats its work at least this long */

/* One contestant: compresses or decompresses one block, returns bytes
** written (0 on failure). */
typedef struct contestant {
  const char *name;
  int level;
  size_t (*compress)(sqz_ctx *ctx, int level, uint8_t *dst, size_t cap, const uint8_t *src,
                     size_t n);
  size_t (*decompress)(sqz_ctx *ctx, uint8_t *dst, size_t n, const uint8_t *src, size_t csize);
} contestant;

static size_t lz77_c(sqz_ctx *ctx, int level, uint8_t *dst, size_t cap, const uint8_t *src,
                     size_t n) {
  sqz_params p = {.level = level};
  size_t r = sqz_codec_lz77.compress(ctx, dst, cap, src, n, &p);
  return sqz_is_error(r) ? 0 : r;
}
static size_t lz77_d(sqz_ctx *ctx, uint8_t *dst, size_t n, const uint8_t *src, size_t csize) {
  size_t r = sqz_codec_lz77.decompress(ctx, dst, n, src, csize);
  return sqz_is_error(r) ? 0 : r;
}
static size_t lz4_c(sqz_ctx *ctx, int level, uint8_t *dst, size_t cap, const uint8_t *src,
                    size_t n) {
  (void)ctx;
  (void)level;
  int r = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)cap);
  return r > 0 ? (size_t)r : 0;
}
static size_t lz4hc_c(sqz_ctx *ctx, int level, uint8_t *dst, size_t cap, const uint8_t *src,
                      size_t n) {
  (void)ctx;
  int r = LZ4_compress_HC((const char *)src, (char *)dst, (int)n, (int)cap, level);
  return r > 0 ? (size_t)r : 0;
}
static size_t lz4_d(sqz_ctx *ctx, uint8_t *dst, size_t n, const uint8_t *src, size_t csize) {
  (void)ctx;
  int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)csize, (int)n);
  return r >= 0 ? (size_t)r : 0;
}

/* lz77's default level is timed right after lz4, so the two see the same
** load; the other levels follow. The last is the top level. */
enum { C_LZ4, C_DEFAULT, C_HC9, C_HC12, C_OURS_FIRST };
static const int our_levels[] = {1, 3, 4, 6, 9, 10, 12};
#define OUR_COUNT (sizeof(our_levels) / sizeof(our_levels[0]))
#define CONTESTANTS (C_OURS_FIRST + OUR_COUNT)

/* Input cut into blocks of at most block bytes, each compressed into its own
** slot of a buffer sized by the larger bound. */
typedef struct job {
  const uint8_t *src;
  size_t n, block, nblocks, slot;
  uint8_t *comp;    /* nblocks slots of slot bytes */
  size_t *csizes;   /* compressed size per block */
  uint8_t *out;     /* n bytes: the decoded copy */
  size_t csize;     /* sum of csizes */
  int creps, dreps; /* repetitions per timed run */
} job;

static size_t block_len(const job *j, size_t b) {
  size_t off = b * j->block;
  return j->n - off < j->block ? j->n - off : j->block;
}

static int run_compress(sqz_ctx *ctx, const contestant *c, job *j) {
  j->csize = 0;
  for (size_t b = 0; b < j->nblocks; b++) {
    size_t len = block_len(j, b);
    size_t r =
        c->compress(ctx, c->level, j->comp + b * j->slot, j->slot, j->src + b * j->block, len);
    if (!r && len) return 0;
    j->csizes[b] = r;
    j->csize += r;
  }
  return 1;
}

static int run_decompress(sqz_ctx *ctx, const contestant *c, job *j) {
  for (size_t b = 0; b < j->nblocks; b++) {
    size_t len = block_len(j, b);
    if (c->decompress(ctx, j->out + b * j->block, len, j->comp + b * j->slot, j->csizes[b]) != len)
      return 0;
  }
  return 1;
}

/* CPU seconds of this thread: unlike wall time, not counting the slices
** other processes on a shared machine take. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds for reps repetitions of one direction. */
static double time_reps(sqz_ctx *ctx, const contestant *c, job *j, int decompress, int reps) {
  double t0 = cpu_now();
  for (int k = 0; k < reps; k++) {
    if (decompress)
      run_decompress(ctx, c, j);
    else
      run_compress(ctx, c, j);
  }
  double dt = cpu_now() - t0;
  return dt > 0 ? dt : 1e-9;
}

/* Repetitions that make one timed run last about MIN_RUN_SECONDS. */
static int calibrate(sqz_ctx *ctx, const contestant *c, job *j, int decompress) {
  double once = time_reps(ctx, c, j, decompress, 1);
  return once < MIN_RUN_SECONDS ? (int)(MIN_RUN_SECONDS / once) + 1 : 1;
}

/* Benchmarks every contestant on one input. The timed runs are interleaved
** (run r of every contestant, then run r + 1), so load from other processes
** on the machine falls on all of them alike; medians over BENCH_RUNS. */
static void bench_input(sqz_ctx *ctx, const contestant *cs, const char *label, const uint8_t *src,
                        size_t n, size_t block) {
  job jobs[CONTESTANTS];
  double cspeed[CONTESTANTS][BENCH_RUNS], dspeed[CONTESTANTS][BENCH_RUNS];
  double cmed[CONTESTANTS], dmed[CONTESTANTS];
  size_t b1 = sqz_codec_lz77.bound(block), b2 = (size_t)LZ4_compressBound((int)block);
  for (size_t i = 0; i < CONTESTANTS; i++) {
    job *j = &jobs[i];
    *j = (job){src, n, block, n ? (n + block - 1) / block : 0, b1 > b2 ? b1 : b2, 0, 0, 0, 0, 0, 0};
    j->comp = malloc(j->nblocks * j->slot + 1);
    j->csizes = malloc(j->nblocks * sizeof(size_t) + 1);
    j->out = malloc(n + 1);
    if (!j->comp || !j->csizes || !j->out) exit(1);
    if (!run_compress(ctx, &cs[i], j) || !run_decompress(ctx, &cs[i], j) ||
        memcmp(j->out, src, n)) {
      fprintf(stderr, "%s level %d: round trip failed on %s\n", cs[i].name, cs[i].level, label);
      exit(1);
    }
    j->creps = calibrate(ctx, &cs[i], j, 0);
    j->dreps = calibrate(ctx, &cs[i], j, 1);
  }
  for (int r = 0; r < BENCH_RUNS; r++) {
    for (size_t i = 0; i < CONTESTANTS; i++) {
      job *j = &jobs[i];
      cspeed[i][r] = (double)n * j->creps / time_reps(ctx, &cs[i], j, 0, j->creps) / 1e6;
      dspeed[i][r] = (double)n * j->dreps / time_reps(ctx, &cs[i], j, 1, j->dreps) / 1e6;
    }
  }

  printf("\n%s (%zu bytes)\n", label, n);
  printf("  %-12s %5s %8s %10s %10s\n", "codec", "level", "ratio", "comp MB/s", "dec MB/s");
  for (size_t i = 0; i < CONTESTANTS; i++) {
    cmed[i] = bench_median(cspeed[i], BENCH_RUNS);
    dmed[i] = bench_median(dspeed[i], BENCH_RUNS);
    printf("  %-12s %5d %8.3f %10.1f %10.1f\n", cs[i].name, cs[i].level,
           (double)n / (double)jobs[i].csize, cmed[i], dmed[i]);
  }
  /* Speed ratios: the median of the ratios within each run. */
  double cratio[BENCH_RUNS], dratio[BENCH_RUNS];
  for (int r = 0; r < BENCH_RUNS; r++) {
    cratio[r] = cspeed[C_DEFAULT][r] / cspeed[C_LZ4][r];
    dratio[r] = dspeed[C_DEFAULT][r] / dspeed[C_LZ4][r];
  }
  const size_t top = CONTESTANTS - 1;
  printf("  lz77 default vs lz4: size %.3f (target <= 1), comp speed %.2fx (>= 0.8), "
         "dec speed %.2fx (>= 0.7)\n",
         (double)jobs[C_DEFAULT].csize / (double)jobs[C_LZ4].csize,
         bench_median(cratio, BENCH_RUNS), bench_median(dratio, BENCH_RUNS));
  printf("  lz77 level %d vs lz4hc 12: size %.3f, comp speed %.2fx; vs lz4hc 9: size %.3f\n",
         cs[top].level, (double)jobs[top].csize / (double)jobs[C_HC12].csize,
         cmed[top] / cmed[C_HC12], (double)jobs[top].csize / (double)jobs[C_HC9].csize);
  for (size_t i = 0; i < CONTESTANTS; i++) {
    free(jobs[i].comp);
    free(jobs[i].csizes);
    free(jobs[i].out);
  }
}

int main(int argc, char **argv) {
  static const char *const defaults[] = {
      "examples/data/moby-dick.txt",
      "examples/data/birdstrikes.csv",
      "examples/data/earthquakes.json",
      "examples/data/seattle-weather-hourly-normals.csv",
  };
  contestant cs[CONTESTANTS] = {
      [C_LZ4] = {"lz4", 1, lz4_c, lz4_d},
      [C_DEFAULT] = {"lz77", sqz_codec_lz77.default_level, lz77_c, lz77_d},
      [C_HC9] = {"lz4hc", 9, lz4hc_c, lz4_d},
      [C_HC12] = {"lz4hc", 12, lz4hc_c, lz4_d},
  };
  for (size_t i = 0; i < OUR_COUNT; i++)
    cs[C_OURS_FIRST + i] = (contestant){"lz77", our_levels[i], lz77_c, lz77_d};
  if (our_levels[OUR_COUNT - 1] != sqz_codec_lz77.max_level) {
    fprintf(stderr, "bench_lz77: the last of our_levels must be the top level\n");
    return 1;
  }

  sqz_ctx *ctx = sqz_ctx_create(NULL);
  if (!ctx) return 1;
  printf("lz77 vs liblz4 %s: median of %d runs\n", LZ4_versionString(), BENCH_RUNS);
  int nfiles = argc > 1 ? argc - 1 : (int)(sizeof(defaults) / sizeof(defaults[0]));
  for (int f = 0; f < nfiles; f++) {
    const char *path = argc > 1 ? argv[f + 1] : defaults[f];
    size_t n;
    uint8_t *data = bench_read_file(path, &n);
    char label[512];
    snprintf(label, sizeof label, "%s, whole file", path);
    bench_input(ctx, cs, label, data, n, n ? n : 1);
    snprintf(label, sizeof label, "%s, 1 MiB blocks", path);
    bench_input(ctx, cs, label, data, n, BLOCK_SIZE);
    free(data);
  }
  sqz_ctx_free(ctx);
  return 0;
}

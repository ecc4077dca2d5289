/*
** bench_huffman.c: squeeze's huffman codec against zstd's own Huff0, and the
** rle codec against memset/memcpy, measured in the same run.
**
** huffman: each file of examples/data is cut into 128 KiB blocks. Huff0
** compresses every block with HUF_compress4X_repeat (a fresh table per
** block, tableLog 11, as HUF_compress did) and decodes it with
** HUF_decompress4X_hufOnly_wksp (which picks its X1 or X2 decoder); a block
** Huff0 will not compress counts at its raw size, an RLE block at 1 byte.
** squeeze's codec gets the whole file in one call and cuts the same blocks
** itself. Both use BMI2 when the CPU has it. Printed per file: ratio
** (compressed / original bytes), compression and decompression MB/s of
** original bytes (median of BENCH_RUNS runs; in each run single calls of
** the two contestants alternate for at least 40 ms, so load from other
** processes falls on both alike), then squeeze / Huff0 for size
** (target <= 1.01), compression and decompression speed (target >= 0.8).
**
** rle: 1 MiB of zeros, a 1 MiB column of one double, and a sparse column
** (every 100th double set), decoded into 1 MiB; the peer is memset (for the
** constant inputs) or memcpy of the same size: how close decoding comes to
** memory speed.
**
** Every output is decoded and compared with the input; a mismatch exits 1.
** It never fails on speed.
**
** Huff0's prototypes are declared here as in zstd 1.5.4 lib/common/huf.h;
** the functions come from Debian's static libzstd.a.
**
** Run from the repository root: ./build/bench/bench_huffman [FILE...]
*/
#include "bench_util.h"
#include "codec.h"
#include "pool.h"

/* ---- Huff0, zstd 1.5.4 lib/common/huf.h ---- */
typedef size_t HUF_CElt;
typedef uint32_t HUF_DTable;
typedef enum { HUF_repeat_none, HUF_repeat_check, HUF_repeat_valid } HUF_repeat;
enum { HUF_flags_bmi2 = 1 };
#define HUF_WORKSPACE_SIZE ((8 << 10) + 512)
#define HUF_DECOMPRESS_WORKSPACE_SIZE ((2 << 10) + (1 << 9))
#define HUF_TABLELOG_MAX 12
size_t HUF_compress4X_repeat(void *dst, size_t dstSize, const void *src, size_t srcSize,
                             unsigned maxSymbolValue, unsigned tableLog, void *workSpace,
                             size_t wkspSize, HUF_CElt *hufTable, HUF_repeat *repeat, int flags);
size_t HUF_decompress4X_hufOnly_wksp(HUF_DTable *dctx, void *dst, size_t dstSize, const void *cSrc,
                                     size_t cSrcSize, void *workSpace, size_t wkspSize, int flags);
unsigned HUF_isError(size_t code);

extern const sqz_codec sqz_codec_huffman;
extern const sqz_codec sqz_codec_rle;

#define BLOCK ((size_t)128 << 10)
#define MIN_RUN_SECONDS 0.04

static int huf_flags;

/* The Huff0 side of one file: per block, its offset and compressed size in
** comp (0: stored raw, 1: RLE). */
typedef struct huf0_file {
  const uint8_t *src;
  size_t n, blocks, total;
  uint8_t *comp;
  size_t *offset, *csize;
} huf0_file;

static void huf0_compress(huf0_file *f) {
  static uint64_t wksp[HUF_WORKSPACE_SIZE / 8];
  static HUF_CElt ctable[257];
  size_t at = 0;
  f->total = 0;
  for (size_t b = 0; b < f->blocks; b++) {
    size_t len = f->n - b * BLOCK < BLOCK ? f->n - b * BLOCK : BLOCK;
    HUF_repeat repeat = HUF_repeat_none;
    size_t r = HUF_compress4X_repeat(f->comp + at, len + 512, f->src + b * BLOCK, len, 255, 11,
                                     wksp, sizeof wksp, ctable, &repeat, huf_flags);
    if (HUF_isError(r)) {
      fprintf(stderr, "bench_huffman: HUF_compress4X_repeat failed\n");
      exit(1);
    }
    f->offset[b] = at;
    f->csize[b] = r;
    at += r;
    f->total += r == 0 ? len : r; /* not compressible: Huff0 leaves it raw */
  }
}

static void huf0_decompress(const huf0_file *f, uint8_t *out) {
  static HUF_DTable dtable[1 + (1 << HUF_TABLELOG_MAX)];
  static uint32_t wksp[HUF_DECOMPRESS_WORKSPACE_SIZE / 4];
  for (size_t b = 0; b < f->blocks; b++) {
    size_t len = f->n - b * BLOCK < BLOCK ? f->n - b * BLOCK : BLOCK;
    uint8_t *o = out + b * BLOCK;
    if (f->csize[b] == 0) {
      memcpy(o, f->src + b * BLOCK, len); /* a raw block: the bytes as they are */
    } else if (f->csize[b] == 1) {
      memset(o, f->comp[f->offset[b]], len);
    } else {
      dtable[0] = (uint32_t)HUF_TABLELOG_MAX * 0x01000001u;
      size_t r = HUF_decompress4X_hufOnly_wksp(dtable, o, len, f->comp + f->offset[b], f->csize[b],
                                               wksp, sizeof wksp, huf_flags);
      if (HUF_isError(r)) {
        fprintf(stderr, "bench_huffman: HUF_decompress4X_hufOnly_wksp failed\n");
        exit(1);
      }
    }
  }
}

/* Seconds per call of one of the four jobs, timed over enough repeats. */
enum { OURS_C, HUF0_C, OURS_D, HUF0_D, JOBS };

typedef struct job_state {
  sqz_ctx *ctx;
  const uint8_t *src;
  size_t n, ours_size;
  uint8_t *ours, *out;
  huf0_file *huf0;
} job_state;

static void run_job(job_state *s, int job) {
  sqz_params p = {.level = 1};
  size_t r;
  switch (job) {
  case OURS_C:
    r = sqz_codec_huffman.compress(s->ctx, s->ours, sqz_codec_huffman.bound(s->n), s->src, s->n,
                                   &p);
    if (sqz_is_error(r)) exit(1);
    s->ours_size = r;
    break;
  case HUF0_C:
    huf0_compress(s->huf0);
    break;
  case OURS_D:
    r = sqz_codec_huffman.decompress(s->ctx, s->out, s->n, s->ours, s->ours_size);
    if (r != s->n) exit(1);
    break;
  default:
    huf0_decompress(s->huf0, s->out);
    break;
  }
}

/* One run of a pair of jobs (ours and Huff0's, compress or decompress):
** single calls alternate, the order swapped every round, until the run has
** lasted MIN_RUN_SECONDS; each side's time is summed. Load from other
** processes then falls on both sides alike. Seconds per call go to t[0]
** (job a) and t[1] (job b). */
static void time_pair(job_state *s, int a, int b, double *t) {
  double spent[2] = {0, 0}, start = bench_now();
  int rounds = 0;
  do {
    for (int k = 0; k < 2; k++) {
      int side = (rounds + k) & 1;
      double t0 = bench_now();
      run_job(s, side ? b : a);
      spent[side] += bench_now() - t0;
    }
    rounds++;
  } while (bench_now() - start < MIN_RUN_SECONDS);
  t[0] = spent[0] / rounds;
  t[1] = spent[1] / rounds;
}

static void check(const uint8_t *a, const uint8_t *b, size_t n, const char *who, const char *f) {
  if (memcmp(a, b, n) != 0) {
    fprintf(stderr, "bench_huffman: %s round trip failed on %s\n", who, f);
    exit(1);
  }
}

static void bench_file(sqz_ctx *ctx, const char *path) {
  size_t n;
  uint8_t *src = bench_read_file(path, &n);
  huf0_file h = {src, n, (n + BLOCK - 1) / BLOCK, 0, NULL, NULL, NULL};
  h.comp = malloc(n + h.blocks * 512 + 1);
  h.offset = calloc(h.blocks + 1, sizeof(size_t));
  h.csize = calloc(h.blocks + 1, sizeof(size_t));
  job_state s = {ctx, src, n, 0, malloc(sqz_codec_huffman.bound(n)), malloc(n + 1), &h};
  if (!h.comp || !h.offset || !h.csize || !s.ours || !s.out) exit(1);

  for (int job = 0; job < JOBS; job++)
    run_job(&s, job); /* warm up, then check */
  run_job(&s, OURS_D);
  check(s.out, src, n, "huffman", path);
  run_job(&s, HUF0_D);
  check(s.out, src, n, "Huff0", path);

  double t[JOBS][BENCH_RUNS];
  for (int r = 0; r < BENCH_RUNS; r++) {
    double pair[2];
    time_pair(&s, OURS_C, HUF0_C, pair);
    t[OURS_C][r] = pair[0], t[HUF0_C][r] = pair[1];
    time_pair(&s, OURS_D, HUF0_D, pair);
    t[OURS_D][r] = pair[0], t[HUF0_D][r] = pair[1];
  }
  double med[JOBS];
  for (int job = 0; job < JOBS; job++)
    med[job] = bench_median(t[job], BENCH_RUNS);
  double mb = (double)n / 1e6;
  printf("\n%s (%zu bytes, %zu blocks of 128 KiB)\n", path, n, h.blocks);
  printf("  %-8s %8s %10s %10s\n", "codec", "ratio", "comp MB/s", "dec MB/s");
  printf("  %-8s %8.4f %10.1f %10.1f\n", "huffman", (double)s.ours_size / n, mb / med[OURS_C],
         mb / med[OURS_D]);
  printf("  %-8s %8.4f %10.1f %10.1f\n", "Huff0", (double)h.total / n, mb / med[HUF0_C],
         mb / med[HUF0_D]);
  printf("  huffman / Huff0: size %.4f (target <= 1.01), comp speed %.2fx, dec speed %.2fx "
         "(targets >= 0.8)\n",
         (double)s.ours_size / h.total, med[HUF0_C] / med[OURS_C], med[HUF0_D] / med[OURS_D]);
  free(h.comp), free(h.offset), free(h.csize), free(s.ours), free(s.out), free(src);
}

/* ---- rle against memset / memcpy ---- */

typedef struct rle_case {
  const char *name;
  uint8_t *src, *comp, *out;
  size_t n, csize;
  int peer_memset; /* the peer: memset for constant data, else memcpy */
} rle_case;

static double time_rle(sqz_ctx *ctx, rle_case *c, int peer) {
  int reps = 0;
  double t0 = bench_now(), t;
  do {
    if (!peer) {
      if (sqz_codec_rle.decompress(ctx, c->out, c->n, c->comp, c->csize) != c->n) exit(1);
    } else if (c->peer_memset) {
      memset(c->out, c->src[0], c->n);
    } else {
      memcpy(c->out, c->src, c->n);
    }
    reps++;
  } while ((t = bench_now() - t0) < MIN_RUN_SECONDS);
  return t / reps;
}

static void bench_rle(sqz_ctx *ctx) {
  size_t n = (size_t)1 << 20;
  double *col = calloc(n / 8, sizeof(double));
  rle_case cases[3] = {{"zeros", NULL, NULL, NULL, n, 0, 1},
                       {"one double", NULL, NULL, NULL, n, 0, 0},
                       {"sparse doubles", NULL, NULL, NULL, n, 0, 0}};
  printf("\nrle, 1 MiB inputs: decode vs memset/memcpy of 1 MiB (median of %d runs)\n", BENCH_RUNS);
  printf("  %-15s %9s %10s %10s %10s %8s\n", "input", "bytes", "comp MB/s", "dec MB/s", "peer MB/s",
         "dec/peer");
  for (int i = 0; i < 3; i++) {
    rle_case *c = &cases[i];
    for (size_t k = 0; k < n / 8; k++)
      col[k] = i == 0 ? 0.0 : i == 1 ? 21.5 : (k % 100 == 0 ? (double)k * 0.25 : 0.0);
    c->src = malloc(n), c->comp = malloc(sqz_codec_rle.bound(n)), c->out = malloc(n);
    if (!c->src || !c->comp || !c->out) exit(1);
    memcpy(c->src, col, n);
    sqz_params p = {.level = 1};
    double tc[BENCH_RUNS], td[BENCH_RUNS], tp[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
      int reps = 0;
      double t0 = bench_now(), t;
      do {
        c->csize = sqz_codec_rle.compress(ctx, c->comp, sqz_codec_rle.bound(n), c->src, n, &p);
        if (sqz_is_error(c->csize)) exit(1);
        reps++;
      } while ((t = bench_now() - t0) < MIN_RUN_SECONDS);
      tc[r] = t / reps;
      td[r] = time_rle(ctx, c, 0);
      check(c->out, c->src, n, "rle", c->name);
      tp[r] = time_rle(ctx, c, 1);
    }
    double mc = bench_median(tc, BENCH_RUNS), md = bench_median(td, BENCH_RUNS),
           mp = bench_median(tp, BENCH_RUNS), mb = (double)n / 1e6;
    printf("  %-15s %9zu %10.0f %10.0f %10.0f %8.2f\n", c->name, c->csize, mb / mc, mb / md,
           mb / mp, mp / md);
    free(c->src), free(c->comp), free(c->out);
  }
  free(col);
}

int main(int argc, char **argv) {
  static const char *const defaults[] = {
      "examples/data/moby-dick.txt", "examples/data/birdstrikes.csv",
      "examples/data/earthquakes.json", "examples/data/seattle-weather-hourly-normals.csv"};
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  huf_flags = __builtin_cpu_supports("bmi2") ? HUF_flags_bmi2 : 0;
#endif
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  if (!ctx) return 1;
  printf("huffman vs Huff0 (zstd 1.5.4 static), 128 KiB blocks, median of %d runs%s\n", BENCH_RUNS,
         huf_flags ? ", BMI2" : "");
  if (argc > 1) {
    for (int i = 1; i < argc; i++)
      bench_file(ctx, argv[i]);
  } else {
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
      bench_file(ctx, defaults[i]);
  }
  bench_rle(ctx);
  sqz_ctx_free(ctx);
  return 0;
}

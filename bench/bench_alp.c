/*
** bench_alp.c: squeeze's alp codec against zstd -1 and zstd 3 on the same raw
** little-endian doubles, measured in the same run.
**
** zstd -1 is the command-line tool's -1, level 1 (not the negative level).
**
** Series: the pressure, temperature and wind columns of
** examples/data/seattle-weather-hourly-normals.csv (8759 hourly values
** each), and the synthetic 1M-value walks of examples/gen_ts.c when
** build/ts exists (`make build/ts/ts.i64` writes them): val_2dp.f64 (two
** decimals) and val_full.f64 (full precision).
**
** For each series and contestant it prints bits per value (compressed bits /
** values), then encode and decode speed in millions of values per second
** (median of BENCH_RUNS runs, each run repeated long enough to time), the
** ratio of alp's decoding speed to zstd -1's (the target is >= 3x), and for
** the walks the figure of ALP's reference implementation on the same data
** (8.47 bits/value for val_2dp, 52.73 for val_full), which alp must not
** exceed. Every output is decoded and compared with the input bit for bit;
** a mismatch exits 1. It never fails on speed.
**
** Run from the repository root: ./build/bench/bench_alp (make bench does).
*/
#include "bench_util.h"
#include "codec.h"
#include "pool.h"

#include <zstd.h>

extern const sqz_codec sqz_codec_alp;

#define WEATHER_CSV "examples/data/seattle-weather-hourly-normals.csv"
#define MIN_RUN_SECONDS 0.02 /* a timed run repeats its work at least this long */

/* A contestant: compresses n bytes of src into dst (cap bytes) or
** decompresses csize bytes back into n; returns bytes written, 0 on error. */
typedef struct contestant {
  const char *name;
  int level;
  size_t (*compress)(sqz_ctx *ctx, ZSTD_CCtx *zc, int level, uint8_t *dst, size_t cap,
                     const uint8_t *src, size_t n);
  size_t (*decompress)(sqz_ctx *ctx, ZSTD_DCtx *zd, uint8_t *dst, size_t n, const uint8_t *src,
                       size_t csize);
} contestant;

static size_t alp_c(sqz_ctx *ctx, ZSTD_CCtx *zc, int level, uint8_t *dst, size_t cap,
                    const uint8_t *src, size_t n) {
  (void)zc;
  sqz_params p = {.level = level};
  size_t r = sqz_codec_alp.compress(ctx, dst, cap, src, n, &p);
  return sqz_is_error(r) ? 0 : r;
}
static size_t alp_d(sqz_ctx *ctx, ZSTD_DCtx *zd, uint8_t *dst, size_t n, const uint8_t *src,
                    size_t csize) {
  (void)zd;
  size_t r = sqz_codec_alp.decompress(ctx, dst, n, src, csize);
  return sqz_is_error(r) ? 0 : r;
}
static size_t zstd_c(sqz_ctx *ctx, ZSTD_CCtx *zc, int level, uint8_t *dst, size_t cap,
                     const uint8_t *src, size_t n) {
  (void)ctx;
  size_t r = ZSTD_compressCCtx(zc, dst, cap, src, n, level);
  return ZSTD_isError(r) ? 0 : r;
}
static size_t zstd_d(sqz_ctx *ctx, ZSTD_DCtx *zd, uint8_t *dst, size_t n, const uint8_t *src,
                     size_t csize) {
  (void)ctx;
  size_t r = ZSTD_decompressDCtx(zd, dst, n, src, csize);
  return ZSTD_isError(r) ? 0 : r;
}

static const contestant contestants[] = {
    {"alp", 1, alp_c, alp_d},
    {"zstd -1", 1, zstd_c, zstd_d}, /* the command line's -1: level 1 */
    {"zstd 3", 3, zstd_c, zstd_d},
};
#define CONTESTANTS (sizeof(contestants) / sizeof(contestants[0]))

typedef struct result {
  double bits;           /* bits per value */
  double cspeed, dspeed; /* median millions of values per second */
} result;

typedef struct env {
  sqz_ctx *ctx;
  ZSTD_CCtx *zc;
  ZSTD_DCtx *zd;
} env;

/* Measures contestant c on n bytes of doubles at src. Exits 1 when a round
** trip fails. */
static result measure(const env *e, const contestant *c, const uint8_t *src, size_t n) {
  size_t cap = ZSTD_compressBound(n) + sqz_codec_alp.bound(n);
  uint8_t *comp = malloc(cap), *back = malloc(n ? n : 1);
  if (!comp || !back) exit(1);
  double values = (double)(n / 8), ct[BENCH_RUNS], dt[BENCH_RUNS];
  size_t csize = c->compress(e->ctx, e->zc, c->level, comp, cap, src, n);
  if (!csize && n) {
    fprintf(stderr, "%s: compression failed\n", c->name);
    exit(1);
  }
  long reps = 1;
  double t0 = bench_now();
  c->compress(e->ctx, e->zc, c->level, comp, cap, src, n);
  double once = bench_now() - t0;
  if (once < MIN_RUN_SECONDS) reps = (long)(MIN_RUN_SECONDS / (once > 1e-7 ? once : 1e-7)) + 1;
  for (int r = 0; r < BENCH_RUNS; r++) {
    t0 = bench_now();
    for (long i = 0; i < reps; i++)
      c->compress(e->ctx, e->zc, c->level, comp, cap, src, n);
    ct[r] = values * (double)reps / (bench_now() - t0) / 1e6;
  }
  size_t got = c->decompress(e->ctx, e->zd, back, n, comp, csize);
  if (got != n || memcmp(back, src, n) != 0) {
    fprintf(stderr, "%s: round trip failed\n", c->name);
    exit(1);
  }
  t0 = bench_now();
  c->decompress(e->ctx, e->zd, back, n, comp, csize);
  once = bench_now() - t0;
  reps = once < MIN_RUN_SECONDS ? (long)(MIN_RUN_SECONDS / (once > 1e-7 ? once : 1e-7)) + 1 : 1;
  for (int r = 0; r < BENCH_RUNS; r++) {
    t0 = bench_now();
    for (long i = 0; i < reps; i++)
      c->decompress(e->ctx, e->zd, back, n, comp, csize);
    dt[r] = values * (double)reps / (bench_now() - t0) / 1e6;
  }
  result res = {(double)csize * 8 / values, bench_median(ct, BENCH_RUNS),
                bench_median(dt, BENCH_RUNS)};
  free(comp);
  free(back);
  return res;
}

/* Prints one series: a line per contestant, then the decode ratio and the
** reference figure (paper <= 0 when there is none). */
static void run_series(const env *e, const char *name, const uint8_t *src, size_t n, double paper) {
  result r[CONTESTANTS];
  printf("%s (%zu values)\n", name, n / 8);
  for (size_t i = 0; i < CONTESTANTS; i++) {
    r[i] = measure(e, &contestants[i], src, n);
    printf("  %-8s %7.2f bits/value  encode %7.1f Mv/s  decode %7.1f Mv/s\n", contestants[i].name,
           r[i].bits, r[i].cspeed, r[i].dspeed);
  }
  printf("  alp decode / zstd -1 decode: %.2fx (target >= 3x)\n", r[0].dspeed / r[1].dspeed);
  if (paper > 0)
    printf("  ALP reference implementation: %.2f bits/value; alp %.2f (%s)\n", paper, r[0].bits,
           r[0].bits <= paper ? "at or below" : "ABOVE");
}

/* Parses column col (1 = pressure, 2 = temperature, 3 = wind) of the weather
** CSV into *n bytes of doubles. Caller frees. */
static uint8_t *weather_column(const char *csv, size_t size, int col, size_t *n) {
  double *out = malloc(size / 4 * sizeof(double) + 8);
  size_t count = 0;
  const char *p = memchr(csv, '\n', size), *end = csv + size;
  if (!out || !p) exit(1);
  for (p++; p < end;) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    const char *field = p;
    for (int c = 0; c < col && field; c++) {
      field = memchr(field, ',', (size_t)(eol - field));
      if (field) field++;
    }
    if (field) out[count++] = strtod(field, NULL);
    p = eol + 1;
  }
  *n = count * 8;
  return (uint8_t *)out;
}

int main(void) {
  env e = {sqz_ctx_create(NULL), ZSTD_createCCtx(), ZSTD_createDCtx()};
  if (!e.ctx || !e.zc || !e.zd) return 1;
  printf("alp vs zstd on raw little-endian doubles; speeds are medians of %d runs\n\n", BENCH_RUNS);
  size_t size, n;
  uint8_t *csv = bench_read_file(WEATHER_CSV, &size);
  static const char *const columns[] = {"weather pressure", "weather temperature", "weather wind"};
  for (int col = 1; col <= 3; col++) {
    uint8_t *vals = weather_column((const char *)csv, size, col, &n);
    run_series(&e, columns[col - 1], vals, n, 0);
    free(vals);
  }
  free(csv);
  static const struct {
    const char *path;
    double paper;
  } walks[] = {{"build/ts/val_2dp.f64", 8.47}, {"build/ts/val_full.f64", 52.73}};
  for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
    FILE *f = fopen(walks[i].path, "rb");
    if (!f) {
      printf("%s: missing; run `make build/ts/ts.i64` to generate the walks\n", walks[i].path);
      continue;
    }
    fclose(f);
    uint8_t *vals = bench_read_file(walks[i].path, &n);
    run_series(&e, walks[i].path, vals, n, walks[i].paper);
    free(vals);
  }
  ZSTD_freeCCtx(e.zc);
  ZSTD_freeDCtx(e.zd);
  sqz_ctx_free(e.ctx);
  return 0;
}

/*
** bench_timeseries.c: the time-series codecs (gorilla, dod, delta) on real
** and synthetic series, next to zstd on the same raw bytes.
**
** For every series: bits per value, and encode / decode speed in millions of
** values per second (the median of BENCH_RUNS runs, each long enough to time
** about two million values), for the squeeze codec(s) of the series' kind and
** for zstd at levels -1 and 3 (libzstd called directly, one-shot with a
** reused context) on the same little-endian bytes. "vs zstd3" is the codec's
** size divided by zstd level 3's. The last column is the reference figure the
** codec is held to, printed on the codec's row next to its bits/value: for
** gorilla on the gen_ts walks, ~47.1 and ~51.0 bits/value (the paper's XOR
** encoding restarted every ~1,000-1,200 values, as its blocks do;
** docs/format/gorilla.md), and the targets for dod (1-second steps, daily
** closing dates).
**
** Series: examples/data/seattle-weather-hourly-normals.csv (hourly
** timestamps; pressure, temperature, wind as doubles for gorilla and as
** tenths for dod/delta), the trading days of 2000-2023 (weekdays minus NYSE
** holidays, epoch seconds), and the 1M-row gen_ts files in build/ts/ when
** present (make build/ts/ts.i64): ts, the two walks for gorilla, and the
** 2-decimal walk in cents for dod/delta. Run from the repository root:
**
**   make build/ts/ts.i64 build/bench/bench_timeseries && ./build/bench/bench_timeseries
**
** Speed figures depend on the machine and its load; only ratios measured in
** the same run mean much. The benchmark never fails on speed; it exits 1 only
** when a round trip is wrong.
*/
#include "bench_util.h"

#include "ts_series.h"

#include "codec.h"
#include "pool.h"

#include <zstd.h>

extern const sqz_codec sqz_codec_gorilla;
extern const sqz_codec sqz_codec_dod;
extern const sqz_codec sqz_codec_delta;

#define TARGET_VALUES 2000000.0 /* values timed per run */

/* One series: n values as little-endian bytes, its kind, a reference figure. */
typedef struct {
  const char *name;
  const uint8_t *bytes;
  size_t n;
  sqz_kind kind;
  const char *reference[3]; /* per codec column (gorilla | dod, delta), or NULL */
} series;

/* One measured codec on one series. */
typedef struct {
  size_t size;    /* payload bytes */
  double enc_mvs; /* encode, millions of values per second (median) */
  double dec_mvs; /* decode, likewise */
} result;

static sqz_ctx *ctx;
static ZSTD_CCtx *zc;
static ZSTD_DCtx *zd;

/* The function a measurement times: compress (dir 0) or decompress (dir 1),
** returning the size produced. */
typedef size_t (*step_fn)(const void *codec, int dir, uint8_t *dst, size_t cap, const uint8_t *src,
                          size_t srcSize);

static size_t step_squeeze(const void *codec, int dir, uint8_t *dst, size_t cap, const uint8_t *src,
                           size_t srcSize) {
  const sqz_codec *c = codec;
  static const sqz_params params = {.level = 1};
  return dir ? c->decompress(ctx, dst, cap, src, srcSize)
             : c->compress(ctx, dst, cap, src, srcSize, &params);
}

static size_t step_zstd(const void *level, int dir, uint8_t *dst, size_t cap, const uint8_t *src,
                        size_t srcSize) {
  size_t r = dir ? ZSTD_decompressDCtx(zd, dst, cap, src, srcSize)
                 : ZSTD_compressCCtx(zc, dst, cap, src, srcSize, *(const int *)level);
  return ZSTD_isError(r) ? SQZ_ERROR(GENERIC) : r;
}

/* Median millions of values per second of fn over BENCH_RUNS runs, each
** repeating the call enough times to cover TARGET_VALUES values. */
static double time_step(step_fn fn, const void *arg, int dir, uint8_t *dst, size_t cap,
                        const uint8_t *src, size_t srcSize, size_t n) {
  int reps = (int)(TARGET_VALUES / (double)n) + 1;
  double mvs[BENCH_RUNS];
  for (int run = 0; run < BENCH_RUNS; run++) {
    double t0 = bench_now();
    for (int r = 0; r < reps; r++)
      fn(arg, dir, dst, cap, src, srcSize);
    double dt = bench_now() - t0;
    mvs[run] = (double)n * reps / (dt > 0 ? dt : 1e-9) / 1e6;
  }
  return bench_median(mvs, BENCH_RUNS);
}

/* Size and speeds of one codec on one series; exits 1 on a wrong round
** trip. */
static result measure(const char *label, step_fn fn, const void *arg, size_t bound,
                      const series *s) {
  size_t bytes = 8 * s->n;
  uint8_t *comp = malloc(bound), *out = malloc(bytes + 1);
  result res = {0, 0, 0};
  res.size = fn(arg, 0, comp, bound, s->bytes, bytes);
  if (sqz_is_error(res.size) || fn(arg, 1, out, bytes, comp, res.size) != bytes ||
      memcmp(out, s->bytes, bytes) != 0) {
    fprintf(stderr, "%s on %s: round trip failed\n", label, s->name);
    exit(1);
  }
  res.enc_mvs = time_step(fn, arg, 0, comp, bound, s->bytes, bytes, s->n);
  res.dec_mvs = time_step(fn, arg, 1, out, bytes, comp, res.size, s->n);
  free(comp);
  free(out);
  return res;
}

static void print_row(const series *s, const char *codec, result r, size_t zstd3,
                      const char *reference) {
  printf("%-24s %8zu  %-8s %8.3f %9.1f %9.1f %8.3f  %s\n", s->name, s->n, codec,
         8.0 * (double)r.size / (double)s->n, r.enc_mvs, r.dec_mvs, (double)r.size / (double)zstd3,
         reference ? reference : "");
}

static void bench_series(const series *s) {
  static const int levels[2] = {-1, 3};
  result z[2];
  for (int i = 0; i < 2; i++)
    z[i] = measure("zstd", step_zstd, &levels[i], ZSTD_compressBound(8 * s->n), s);
  const sqz_codec *codecs[3] = {&sqz_codec_gorilla, &sqz_codec_dod, &sqz_codec_delta};
  for (int k = 0; k < 3; k++) {
    const sqz_codec *c = codecs[k];
    if (c->kind != s->kind) continue;
    print_row(s, c->name, measure(c->name, step_squeeze, c, c->bound(8 * s->n), s), z[1].size,
              s->reference[k]);
  }
  print_row(s, "zstd-1", z[0], z[1].size, NULL);
  print_row(s, "zstd3", z[1], z[1].size, NULL);
}

int main(void) {
  ctx = sqz_ctx_create(NULL);
  zc = ZSTD_createCCtx();
  zd = ZSTD_createDCtx();
  if (!ctx || !zc || !zd) return 1;

  ts_seattle w;
  if (ts_seattle_load(TS_SEATTLE_PATH, &w) != 0) {
    fprintf(stderr, "cannot read %s (run from the repository root)\n", TS_SEATTLE_PATH);
    return 1;
  }
  series list[20];
  size_t count = 0;
  uint8_t *owned[20];
  size_t nowned = 0;
#define ADD(nm, b, cnt, kd, r0, r1, r2)                                                            \
  do {                                                                                             \
    list[count] = (series){nm, b, cnt, kd, {r0, r1, r2}};                                          \
    owned[nowned++] = (uint8_t *)list[count++].bytes;                                              \
  } while (0)

  ADD("seattle ts (hourly)", ts_pack_i64(w.ts, w.n), w.n, SQZ_KIND_INT64, NULL, "<= 1.05", NULL);
  for (int c = 0; c < 3; c++) {
    static char fname[3][40], iname[3][40];
    snprintf(fname[c], sizeof fname[c], "seattle %s", ts_seattle_names[c]);
    snprintf(iname[c], sizeof iname[c], "seattle %s x10", ts_seattle_names[c]);
    ADD(fname[c], ts_pack_f64(w.col[c], w.n), w.n, SQZ_KIND_FLOAT64, NULL, NULL, NULL);
    int64_t *iv = ts_scale_to_i64(w.col[c], w.n, 10);
    ADD(iname[c], ts_pack_i64(iv, w.n), w.n, SQZ_KIND_INT64, NULL, NULL, NULL);
    free(iv);
  }
  size_t nd;
  int64_t *days = ts_trading_days(2000, 2023, &nd);
  ADD("trading days 2000-2023", ts_pack_i64(days, nd), nd, SQZ_KIND_INT64, NULL,
      "<= 4.5 (~16 w/o divisor)", NULL);
  free(days);

  size_t b1, b2, b3;
  uint8_t *ts = ts_gen_load("ts.i64", &b1), *v2 = ts_gen_load("val_2dp.f64", &b2),
          *vf = ts_gen_load("val_full.f64", &b3);
  if (ts && v2 && vf) {
    ADD("gen_ts ts (1 s steps)", ts, b1 / 8, SQZ_KIND_INT64, NULL, "<= 1.05", NULL);
    ADD("gen_ts val_2dp", v2, b2 / 8, SQZ_KIND_FLOAT64, "~47.1 (paper's XOR in ~1k blocks)", NULL,
        NULL);
    ADD("gen_ts val_full", vf, b3 / 8, SQZ_KIND_FLOAT64, "~51.0 (paper's XOR in ~1k blocks)", NULL,
        NULL);
    /* the 2-decimal walk in cents, as a database would store a price */
    double *d = malloc(b2);
    for (size_t i = 0; d && i < b2 / 8; i++) {
      uint64_t u = sqz_load64le(v2 + 8 * i);
      memcpy(&d[i], &u, 8);
    }
    int64_t *cents = d ? ts_scale_to_i64(d, b2 / 8, 100) : NULL;
    if (cents)
      ADD("gen_ts val_2dp x100", ts_pack_i64(cents, b2 / 8), b2 / 8, SQZ_KIND_INT64, NULL, NULL,
          NULL);
    free(cents);
    free(d);
  } else {
    free(ts), free(v2), free(vf);
    printf("(gen_ts series skipped: %s missing; make build/ts/ts.i64)\n", TS_GEN_DIR);
  }

  printf("time-series codecs vs zstd on the same raw bytes; speeds in M values/s, median of %d "
         "runs\n",
         BENCH_RUNS);
  printf("%-24s %8s  %-8s %8s %9s %9s %8s  %s\n", "series", "values", "codec", "bits/val",
         "enc Mv/s", "dec Mv/s", "vs zstd3", "reference (bits/value)");
  for (size_t i = 0; i < count; i++)
    bench_series(&list[i]);

  for (size_t i = 0; i < nowned; i++)
    free(owned[i]);
  ts_seattle_free(&w);
  ZSTD_freeCCtx(zc);
  ZSTD_freeDCtx(zd);
  sqz_ctx_free(ctx);
  return 0;
}

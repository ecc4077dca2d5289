/*
** bench_numeric.c: the numeric columns of the bundled data, stored by the
** squeeze table with CODEC auto, against the references the column store
** is held to, measured in the same run.
**
** For every REAL and INTEGER column of
**   - examples/data/seattle-weather-hourly-normals.csv (date as epoch
**     seconds, pressure, temperature, wind),
**   - examples/data/birdstrikes.csv (cost_other, cost_repair, cost_total,
**     speed: the four numeric columns; speed has NULLs),
**   - examples/data/earthquakes.json (the numeric fields of each event:
**     mag, time, updated, tz, felt, cdi, mmi, tsunami, sig, nst, dmin, rms,
**     gap, and the coordinates lon, lat, depth; several are mostly NULL),
**   - the gen_ts series of build/ts (ts, val_full, val_2dp; 1,000,000 rows,
**     `make build/ts/ts.i64`), when present,
** it prints the bytes of:
**   zstd19   zstd -19 of the column's values (NULLs left out) as raw
**            little-endian 8-byte values, in one piece;
**   alp      the alp codec on the same doubles (REAL columns);
**   delta    the delta codec on the values scaled to integers: x 10^e with the
**            smallest e (0..18) that makes every value an integer exactly
**            (INTEGER columns: the values); "-" when no e does;
**   new      the decimal codec (REAL) or the bins codec (INTEGER) on the
**            same raw values, in one piece;
**   stored   what the squeeze table stores for the column: stored_bytes of
**            squeeze_stats after the data is loaded into a typed squeeze
**            table (default chunk_rows 8192, CODEC auto) and
**            squeeze_optimize; this counts each chunk's header, NULL
**            section and checksum, which the references do not have;
**   chosen   the codecs auto chose, with their chunk counts.
** "vs best" is stored / the smallest of zstd19, alp and delta: the target is
** <= 1, the goal <= 0.9. For the new codec it prints its decode speed and
** zstd -1's (the command line's -1: level 1) on the same raw values, in MB/s
** of raw values, and their ratio (target >= 3): medians of BENCH_RUNS runs,
** codec and zstd timed back to back in each run, each run repeated long
** enough to time. Every encoding is decoded and compared with the input;
** a mismatch exits 1. It never fails on size or speed: it prints.
**
** Run from the repository root: ./build/bench/bench_numeric (make bench
** does). `bench_numeric quick` skips the timings.
*/
#include <sqlite3.h>

#include "bench_util.h"
#include "ts_series.h"

#include "codec.h"
#include "pool.h"

#include <zstd.h>

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define BIRDS_CSV "examples/data/birdstrikes.csv"
#define QUAKES_JSON "examples/data/earthquakes.json"
#define MIN_RUN_SECONDS 0.02 /* a timed run repeats its work at least this long */

static sqz_ctx *ctx;
static ZSTD_CCtx *zc;
static ZSTD_DCtx *zd;
static int quick;

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "bench_numeric: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
  exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "bench_numeric: %s: %s\n", sql, err ? err : "?");
    exit(1);
  }
}

/* ---- Loading: every table into an in-memory plain table `plain` ---------- */

/* Weather: date as epoch seconds, then the three measurements. */
static void load_weather(sqlite3 *db) {
  ts_seattle w;
  if (ts_seattle_load(TS_SEATTLE_PATH, &w) != 0) die(NULL, TS_SEATTLE_PATH);
  exec(db, "CREATE TABLE plain(date INTEGER, pressure REAL, temperature REAL, wind REAL)");
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "INSERT INTO plain VALUES (?, ?, ?, ?)", -1, &s, NULL)) die(db, "ins");
  exec(db, "BEGIN");
  for (size_t i = 0; i < w.n; i++) {
    sqlite3_bind_int64(s, 1, w.ts[i]);
    for (int c = 0; c < 3; c++)
      sqlite3_bind_double(s, 2 + c, w.col[c][i]);
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(s);
  }
  exec(db, "COMMIT");
  sqlite3_finalize(s);
  ts_seattle_free(&w);
}

/* Birdstrikes: the four numeric columns (fields 11..14); empty is NULL. The
** file has no quoted fields. */
static void load_birds(sqlite3 *db) {
  size_t size;
  char *text = (char *)bench_read_file(BIRDS_CSV, &size);
  text[size] = 0;
  exec(db, "CREATE TABLE plain(cost_other INTEGER, cost_repair INTEGER, cost_total INTEGER,"
           " speed INTEGER)");
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "INSERT INTO plain VALUES (?, ?, ?, ?)", -1, &s, NULL)) die(db, "ins");
  exec(db, "BEGIN");
  char *save = NULL;
  int header = 1;
  for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
    if (header) {
      header = 0;
      continue;
    }
    char *field = line;
    for (int f = 0; f < 10 && field; f++) {
      field = strchr(field, ',');
      if (field) field++;
    }
    for (int c = 0; c < 4; c++) {
      char *end = field ? strchr(field, ',') : NULL;
      if (end) *end = 0;
      if (!field || !*field) {
        sqlite3_bind_null(s, 1 + c);
      } else {
        sqlite3_bind_int64(s, 1 + c, strtoll(field, NULL, 10));
      }
      field = end ? end + 1 : NULL;
    }
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(s);
  }
  exec(db, "COMMIT");
  sqlite3_finalize(s);
  free(text);
}

/* Earthquakes: one row per GeoJSON feature, through SQLite's JSON functions. */
static void load_quakes(sqlite3 *db) {
  size_t size;
  char *text = (char *)bench_read_file(QUAKES_JSON, &size);
  exec(db, "CREATE TABLE plain(mag REAL, time INTEGER, updated INTEGER, tz INTEGER, felt INTEGER,"
           " cdi REAL, mmi REAL, tsunami INTEGER, sig INTEGER, nst INTEGER, dmin REAL, rms REAL,"
           " gap REAL, lon REAL, lat REAL, depth REAL)");
  static const char *sql =
      "INSERT INTO plain SELECT"
      " value->>'$.properties.mag', value->>'$.properties.time', value->>'$.properties.updated',"
      " value->>'$.properties.tz', value->>'$.properties.felt', value->>'$.properties.cdi',"
      " value->>'$.properties.mmi', value->>'$.properties.tsunami', value->>'$.properties.sig',"
      " value->>'$.properties.nst', value->>'$.properties.dmin', value->>'$.properties.rms',"
      " value->>'$.properties.gap', value->>'$.geometry.coordinates[0]',"
      " value->>'$.geometry.coordinates[1]', value->>'$.geometry.coordinates[2]'"
      " FROM json_each(?1, '$.features')";
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, "quakes");
  sqlite3_bind_text(s, 1, text, (int)size, SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_DONE) die(db, "quakes");
  sqlite3_finalize(s);
  free(text);
}

/* gen_ts: 1,000,000 rows of ts, val_full, val_2dp. Returns 0 when missing. */
static int load_gen_ts(sqlite3 *db) {
  size_t nt = 0, nf = 0, n2 = 0;
  uint8_t *t = ts_gen_load("ts.i64", &nt), *f = ts_gen_load("val_full.f64", &nf),
          *v = ts_gen_load("val_2dp.f64", &n2);
  if (!t || !f || !v || nt != nf || nt != n2) {
    free(t), free(f), free(v);
    return 0;
  }
  exec(db, "CREATE TABLE plain(ts INTEGER, val_full REAL, val_2dp REAL)");
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "INSERT INTO plain VALUES (?, ?, ?)", -1, &s, NULL)) die(db, "ins");
  exec(db, "BEGIN");
  for (size_t i = 0; i < nt / 8; i++) {
    sqlite3_bind_int64(s, 1, (sqlite3_int64)sqz_load64le(t + 8 * i));
    sqlite3_bind_double(s, 2, sqz_bits_double(sqz_load64le(f + 8 * i)));
    sqlite3_bind_double(s, 3, sqz_bits_double(sqz_load64le(v + 8 * i)));
    if (sqlite3_step(s) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(s);
  }
  exec(db, "COMMIT");
  sqlite3_finalize(s);
  free(t), free(f), free(v);
  return 1;
}

/* ---- Measuring -------------------------------------------------------------- */

/* Compresses src[0..n) with c into a malloc'd buffer, checks the round
** trip; returns the buffer, its size in *csize. */
static uint8_t *squeeze_encode(const sqz_codec *c, const uint8_t *src, size_t n, size_t *csize) {
  size_t cap = c->bound(n);
  uint8_t *dst = malloc(cap ? cap : 1), *back = malloc(n ? n : 1);
  sqz_params p = {.level = c->default_level};
  *csize = c->compress(ctx, dst, cap, src, n, &p);
  if (!dst || !back || sqz_is_error(*csize) ||
      sqz_is_error(c->decompress(ctx, back, n, dst, *csize)) || memcmp(back, src, n) != 0) {
    fprintf(stderr, "bench_numeric: %s: round trip failed\n", c->name);
    exit(1);
  }
  free(back);
  return dst;
}

static size_t squeeze_size(const sqz_codec *c, const uint8_t *src, size_t n) {
  size_t csize;
  free(squeeze_encode(c, src, n, &csize));
  return csize;
}

/* The smallest e in 0..18 with every double of v[0..n) equal to
** round(v * 10^e) / 10^e, the integers in *ints (malloc'd); -1 when none. */
static int decimal_scale(const double *v, size_t n, int64_t **ints) {
  static const double p10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
  int64_t *out = malloc(8 * n + 8);
  for (int e = 0; e <= 18; e++) {
    size_t i = 0;
    for (; i < n; i++) {
      double x = v[i] * p10[e];
      if (!(x > -9.0e15 && x < 9.0e15)) break;
      int64_t d = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
      if ((double)d / p10[e] != v[i]) break;
      out[i] = d;
    }
    if (i == n) {
      *ints = out;
      return e;
    }
  }
  free(out);
  return -1;
}

/* Median decode speeds (MB/s of raw values) of the codec's payload and of
** zstd level 1's, timed back to back in each of BENCH_RUNS runs; *ratio gets
** the median of the runs' ratios. */
static void decode_speeds(const sqz_codec *c, const uint8_t *src, size_t n, double *mine,
                          double *zstd1, double *ratio) {
  size_t csize, zcap = ZSTD_compressBound(n);
  uint8_t *comp = squeeze_encode(c, src, n, &csize), *z = malloc(zcap), *out = malloc(n);
  size_t zsize = ZSTD_compressCCtx(zc, z, zcap, src, n, 1);
  if (ZSTD_isError(zsize)) die(NULL, "zstd");
  double a[BENCH_RUNS], b[BENCH_RUNS], q[BENCH_RUNS];
  long reps[2] = {1, 1};
  for (int k = 0; k < 2; k++) { /* calibrate: each timed run lasts MIN_RUN_SECONDS */
    double t0 = bench_now();
    if (k == 0)
      c->decompress(ctx, out, n, comp, csize);
    else
      ZSTD_decompressDCtx(zd, out, n, z, zsize);
    double once = bench_now() - t0;
    reps[k] = (long)(MIN_RUN_SECONDS / (once > 1e-7 ? once : 1e-7)) + 1;
  }
  for (int r = 0; r < BENCH_RUNS; r++) {
    double t0 = bench_now();
    for (long i = 0; i < reps[0]; i++)
      c->decompress(ctx, out, n, comp, csize);
    a[r] = (double)n * reps[0] / (bench_now() - t0) / 1e6;
    t0 = bench_now();
    for (long i = 0; i < reps[1]; i++)
      ZSTD_decompressDCtx(zd, out, n, z, zsize);
    b[r] = (double)n * reps[1] / (bench_now() - t0) / 1e6;
    q[r] = a[r] / b[r];
  }
  *mine = bench_median(a, BENCH_RUNS);
  *zstd1 = bench_median(b, BENCH_RUNS);
  *ratio = bench_median(q, BENCH_RUNS);
  free(comp), free(z), free(out);
}

/* Totals over the columns with every reference, for the summary line. */
static int columns, met_target, met_goal, met_speed, timed;

/* One column of `plain` (declared REAL or INTEGER): the references, the
** new codec, and the stored bytes and chosen codecs of the same column in
** the squeeze table `sq`, which stats (a squeeze_stats row per column)
** describes. */
static void column(sqlite3 *db, const char *table, const char *name, int real) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT \"%s\" FROM plain WHERE \"%s\" IS NOT NULL ORDER BY rowid",
           name, name);
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, sql);
  size_t n = 0, cap = 1024;
  uint8_t *raw = malloc(8 * cap);
  while (sqlite3_step(s) == SQLITE_ROW) {
    if (n == cap) raw = realloc(raw, 8 * (cap *= 2));
    uint64_t bits =
        real ? sqz_double_bits(sqlite3_column_double(s, 0)) : (uint64_t)sqlite3_column_int64(s, 0);
    sqz_store64le(raw + 8 * n++, bits);
  }
  sqlite3_finalize(s);
  size_t bytes = 8 * n;

  size_t zcap = ZSTD_compressBound(bytes);
  uint8_t *z = malloc(zcap);
  size_t z19 = ZSTD_compressCCtx(zc, z, zcap, raw, bytes, 19);
  free(z);
  size_t alp = real ? squeeze_size(&sqz_codec_alp, raw, bytes) : 0;
  size_t delta = 0;
  int e = 0;
  if (real) {
    double *v = malloc(bytes + 8);
    for (size_t i = 0; i < n; i++)
      v[i] = sqz_bits_double(sqz_load64le(raw + 8 * i));
    int64_t *ints = NULL;
    e = decimal_scale(v, n, &ints);
    if (e >= 0) {
      uint8_t *packed = ts_pack_i64(ints, n);
      delta = squeeze_size(&sqz_codec_delta, packed, bytes);
      free(packed);
      free(ints);
    }
    free(v);
  } else {
    delta = squeeze_size(&sqz_codec_delta, raw, bytes);
  }
  const sqz_codec *mine = real ? &sqz_codec_decimal : &sqz_codec_bins;
  size_t new_size = squeeze_size(mine, raw, bytes);

  snprintf(sql, sizeof sql,
           "SELECT stored_bytes, chosen FROM squeeze_stats('sq') WHERE name = '%s'", name);
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) die(db, sql);
  if (sqlite3_step(s) != SQLITE_ROW) die(db, "squeeze_stats");
  long long stored = sqlite3_column_int64(s, 0);
  char chosen[64];
  snprintf(chosen, sizeof chosen, "%s", (const char *)sqlite3_column_text(s, 1));
  sqlite3_finalize(s);

  size_t best = z19;
  if (real && alp < best) best = alp;
  if (delta && delta < best) best = delta;
  double vs = (double)stored / (double)best;
  columns++;
  met_target += vs <= 1.0;
  met_goal += vs <= 0.9;
  char label[48], dstr[24], astr[24];
  snprintf(label, sizeof label, "%s.%s", table, name);
  snprintf(astr, sizeof astr, real ? "%zu" : "-", alp);
  snprintf(dstr, sizeof dstr, delta ? "%zu" : "-", delta);
  printf("%-22s %7zu %9zu %9s %9s%s %9zu %9lld %6.3f  %-16s", label, n, z19, astr, dstr,
         real && e > 0 ? "*" : " ", new_size, stored, vs, chosen);
  if (!quick && n > 0) {
    double a, b, q;
    decode_speeds(mine, raw, bytes, &a, &b, &q);
    timed++;
    met_speed += q >= 3.0;
    printf(" %7.0f %7.0f %5.2f", a, b, q);
  }
  printf("\n");
  free(raw);
}

/* Loads one dataset with loader into `plain` of a fresh in-memory database,
** copies it into a squeeze table `sq` of the same columns, optimizes it,
** and prints its numeric columns. */
static void dataset(const char *table, int (*loader)(sqlite3 *), const char *decl,
                    const char *const *cols, const int *real, int ncol) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) die(db, "open");
  if (sqlite3_squeeze_init(db, NULL, NULL) != SQLITE_OK) die(db, "squeeze_init");
  if (!loader(db)) {
    printf("%-22s missing (make build/ts/ts.i64 writes it)\n", table);
    sqlite3_close(db);
    return;
  }
  char sql[512];
  snprintf(sql, sizeof sql, "CREATE VIRTUAL TABLE sq USING squeeze(%s)", decl);
  exec(db, sql);
  exec(db, "BEGIN; INSERT INTO sq SELECT * FROM plain; COMMIT; SELECT squeeze_optimize('sq')");
  for (int i = 0; i < ncol; i++)
    column(db, table, cols[i], real[i]);
  sqlite3_close(db);
}

static int weather(sqlite3 *db) {
  load_weather(db);
  return 1;
}
static int birds(sqlite3 *db) {
  load_birds(db);
  return 1;
}
static int quakes(sqlite3 *db) {
  load_quakes(db);
  return 1;
}

int main(int argc, char **argv) {
  quick = argc > 1 && strcmp(argv[1], "quick") == 0;
  ctx = sqz_ctx_create(NULL);
  zc = ZSTD_createCCtx();
  zd = ZSTD_createDCtx();
  if (!ctx || !zc || !zd) return 1;
  printf(
      "bench_numeric: bytes per column (NULLs left out of the references); decode MB/s of raw"
      " values, medians of %d runs\n(* = delta of the values x 10^e; vs best = stored / min(zstd19,"
      " alp, delta): target <= 1, goal <= 0.9; ratio = new / zstd -1 decode: target >= 3)\n\n",
      BENCH_RUNS);
  printf("%-22s %7s %9s %9s %10s %9s %9s %6s  %-16s %7s %7s %5s\n", "column", "values", "zstd19",
         "alp", "delta", "new", "stored", "vs", "chosen", "new", "zstd-1", "ratio");

  static const char *const wc[] = {"date", "pressure", "temperature", "wind"};
  static const int wr[] = {0, 1, 1, 1};
  dataset("weather", weather, "date INTEGER, pressure REAL, temperature REAL, wind REAL", wc, wr,
          4);
  static const char *const bc[] = {"cost_other", "cost_repair", "cost_total", "speed"};
  static const int br[] = {0, 0, 0, 0};
  dataset("birdstrikes", birds,
          "cost_other INTEGER, cost_repair INTEGER, cost_total INTEGER, speed INTEGER", bc, br, 4);
  static const char *const qc[] = {"mag", "time", "updated", "tz",  "felt", "cdi", "mmi", "tsunami",
                                   "sig", "nst",  "dmin",    "rms", "gap",  "lon", "lat", "depth"};
  static const int qr[] = {1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  dataset("earthquakes", quakes,
          "mag REAL, time INTEGER, updated INTEGER, tz INTEGER, felt INTEGER, cdi REAL, mmi REAL,"
          " tsunami INTEGER, sig INTEGER, nst INTEGER, dmin REAL, rms REAL, gap REAL, lon REAL,"
          " lat REAL, depth REAL",
          qc, qr, 16);
  static const char *const gc[] = {"ts", "val_full", "val_2dp"};
  static const int gr[] = {0, 1, 1};
  dataset("gen_ts", load_gen_ts, "ts INTEGER, val_full REAL, val_2dp REAL", gc, gr, 3);

  printf("\n%d columns: %d at or below the smallest reference, %d at or below 0.9 of it", columns,
         met_target, met_goal);
  if (timed) printf("; %d of %d decode at >= 3x zstd -1", met_speed, timed);
  printf("\n");
  ZSTD_freeCCtx(zc);
  ZSTD_freeDCtx(zd);
  sqz_ctx_free(ctx);
  return 0;
}

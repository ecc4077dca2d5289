/*
** bench_codec_bench.c: are codec_bench's speeds the codecs' own? Its zstd-3
** and lz4 figures next to C loops over the same values, in one process run.
**
** The values are bench_sql.c's: 4,096 slices of 4 KiB of moby-dick.txt at
** shifting offsets, in an in-memory table t(v BLOB). The C loops read them
** from one 16 MiB copy, as codec_bench holds them, not from the 1.2 MB file
** (which would sit in cache and flatter the loops). For each codec it prints
** MB/s of uncompressed data, compress and decompress, from
**   codec_bench  SELECT compress_mb_s, decompress_mb_s FROM codec_bench('t', 'v', ...)
**                (median of PASSES passes, measured inside the extension)
**   frame loop   a C loop over sqz_frame_compress / sqz_frame_decompress, the
**                code codec_bench times (header and xxHash checksum included)
**   library      a C loop over libzstd / liblz4 with one reused context
** and the ratios codec_bench / frame loop (the cost of measuring from SQL;
** target >= 0.90) and codec_bench / library (what a squeeze frame costs).
** The machines are shared, so the three take turns: ROUNDS rounds of PASSES
** passes each, and every figure is the median over the rounds (ratios too:
** the median of each round's ratio).
*/
#include <lz4.h>
#include <sqlite3.h>
#include <zstd.h>

#include "bench_util.h"
#include "frame.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define VALUES 4096
#define VALUE_SIZE 4096
#define PASSES 3 /* timed passes per measurement; the median is taken */
#define ROUNDS 5 /* turns of codec_bench, frame loop, library */

static const uint8_t *values[VALUES];

/* The compress and decompress speeds of one way of measuring, MB/s. */
typedef struct speeds {
  double compress, decompress;
} speeds;

/* codec_bench's own figures for codec:level on t.v (exits on error). */
static speeds run_codec_bench(sqlite3 *db, const char *codec) {
  sqlite3_stmt *stmt;
  char *sql = sqlite3_mprintf("SELECT compress_mb_s, decompress_mb_s, roundtrip_ok FROM "
                              "codec_bench('t', 'v', %Q, 'passes=%d')",
                              codec, PASSES);
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_int(stmt, 2) != 1) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  speeds s = {sqlite3_column_double(stmt, 0), sqlite3_column_double(stmt, 1)};
  sqlite3_finalize(stmt);
  sqlite3_free(sql);
  return s;
}

/* Median MB/s of PASSES passes of the frame API over the values, with
** one sqz_ctx as a connection's pool would hold (exits on error). */
static speeds run_frame_loop(const sqz_codec *codec, int level) {
  sqz_ctx *ctx = sqz_ctx_create(NULL);
  size_t bound = sqz_frame_bound(codec, VALUE_SIZE);
  uint8_t *frames = malloc(bound * VALUES), *out = malloc(VALUE_SIZE);
  size_t sizes[VALUES];
  sqz_params params = {.level = level};
  double tc[PASSES], td[PASSES];
  if (!ctx || !frames || !out) exit(1);
  for (int run = 0; run < PASSES; run++) {
    double t0 = bench_now();
    for (int i = 0; i < VALUES; i++) {
      sizes[i] = sqz_frame_compress(ctx, frames + (size_t)i * bound, bound, values[i], VALUE_SIZE,
                                    codec, &params, 0, 0);
      if (sqz_is_error(sizes[i])) exit(1);
    }
    double t1 = bench_now();
    for (int i = 0; i < VALUES; i++) {
      sqz_frame_info info;
      const uint8_t *f = frames + (size_t)i * bound;
      if (sqz_is_error(sqz_frame_parse(&info, f, sizes[i])) ||
          sqz_is_error(sqz_frame_decompress(ctx, &info, out, VALUE_SIZE, f, sizes[i])))
        exit(1);
    }
    double t2 = bench_now();
    tc[run] = t1 - t0;
    td[run] = t2 - t1;
  }
  free(frames);
  free(out);
  sqz_ctx_free(ctx);
  double mb = (double)VALUES * VALUE_SIZE / 1e6;
  return (speeds){mb / bench_median(tc, PASSES), mb / bench_median(td, PASSES)};
}

/* Median MB/s of PASSES passes of the plain library over the values:
** zstd at level 3 when zstd is set, else lz4 (exits on error). */
static speeds run_library(int zstd) {
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  void *lz4_state = malloc((size_t)LZ4_sizeofState());
  size_t bound = ZSTD_compressBound(VALUE_SIZE);
  uint8_t *frames = malloc(bound * VALUES), *out = malloc(VALUE_SIZE);
  size_t sizes[VALUES];
  double tc[PASSES], td[PASSES];
  if (!cctx || !dctx || !lz4_state || !frames || !out) exit(1);
  for (int run = 0; run < PASSES; run++) {
    double t0 = bench_now();
    for (int i = 0; i < VALUES; i++) {
      uint8_t *f = frames + (size_t)i * bound;
      sizes[i] = zstd ? ZSTD_compressCCtx(cctx, f, bound, values[i], VALUE_SIZE, 3)
                      : (size_t)LZ4_compress_fast_extState(lz4_state, (const char *)values[i],
                                                           (char *)f, VALUE_SIZE, (int)bound, 1);
    }
    double t1 = bench_now();
    size_t total = 0;
    for (int i = 0; i < VALUES; i++) {
      uint8_t *f = frames + (size_t)i * bound;
      total += zstd ? ZSTD_decompressDCtx(dctx, out, VALUE_SIZE, f, sizes[i])
                    : (size_t)LZ4_decompress_safe((const char *)f, (char *)out, (int)sizes[i],
                                                  VALUE_SIZE);
    }
    double t2 = bench_now();
    if (total != (size_t)VALUES * VALUE_SIZE) exit(1);
    tc[run] = t1 - t0;
    td[run] = t2 - t1;
  }
  ZSTD_freeCCtx(cctx);
  ZSTD_freeDCtx(dctx);
  free(lz4_state);
  free(frames);
  free(out);
  double mb = (double)VALUES * VALUE_SIZE / 1e6;
  return (speeds){mb / bench_median(tc, PASSES), mb / bench_median(td, PASSES)};
}

/* Prints one line of the comparison for one direction: the medians over
** the rounds of each speed (sorting the arrays) and of each round's ratios. */
static void report(const char *what, double *bench, double *frame, double *library) {
  double to_frame[ROUNDS], to_library[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    to_frame[r] = bench[r] / frame[r];
    to_library[r] = bench[r] / library[r];
  }
  printf("%-20s codec_bench %6.0f MB/s  frame loop %6.0f MB/s  library %6.0f MB/s  "
         "codec_bench/frame = %.2f  codec_bench/library = %.2f\n",
         what, bench_median(bench, ROUNDS), bench_median(frame, ROUNDS),
         bench_median(library, ROUNDS), bench_median(to_frame, ROUNDS),
         bench_median(to_library, ROUNDS));
}

int main(void) {
  size_t n;
  uint8_t *text = bench_read_file("examples/data/moby-dick.txt", &n);
  sqlite3 *db;
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  sqlite3_exec(db, "CREATE TABLE t(v BLOB)", 0, 0, 0);
  sqlite3_stmt *ins;
  sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(?1)", -1, &ins, NULL);
  uint8_t *copy = malloc((size_t)VALUES * VALUE_SIZE);
  if (!copy) return 1;
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  for (int i = 0; i < VALUES; i++) {
    uint8_t *v = copy + (size_t)i * VALUE_SIZE;
    memcpy(v, text + ((size_t)i * 1237) % (n - VALUE_SIZE), VALUE_SIZE);
    values[i] = v;
    sqlite3_bind_blob(ins, 1, values[i], VALUE_SIZE, SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_exec(db, "COMMIT", 0, 0, 0);

  printf("codec_bench's speeds against C loops: %d values of %d bytes from moby-dick.txt,\n"
         "medians of %d rounds of %d passes (target: codec_bench/frame >= 0.90)\n",
         VALUES, VALUE_SIZE, ROUNDS, PASSES);
  static const struct {
    const char *spec, *name;
    int level, zstd;
  } cases[] = {{"zstd:3", "zstd", 3, 1}, {"lz4:1", "lz4", 1, 0}};
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    double bc[ROUNDS], bd[ROUNDS], fc[ROUNDS], fd[ROUNDS], lc[ROUNDS], ld[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      speeds b = run_codec_bench(db, cases[k].spec);
      speeds f = run_frame_loop(sqz_codec_by_name(cases[k].name), cases[k].level);
      speeds l = run_library(cases[k].zstd);
      bc[r] = b.compress, bd[r] = b.decompress;
      fc[r] = f.compress, fd[r] = f.decompress;
      lc[r] = l.compress, ld[r] = l.decompress;
    }
    char what[64];
    snprintf(what, sizeof what, "compress %s", cases[k].spec);
    report(what, bc, fc, lc);
    snprintf(what, sizeof what, "decompress %s", cases[k].spec);
    report(what, bd, fd, ld);
  }
  sqlite3_close(db);
  free(copy);
  free(text);
  return 0;
}

/*
** bench_enable.c: a table with transparent compression (squeeze_enable, then
** squeeze_maintain) against the same table plain, in one process run.
**
** Data: examples/data/birdstrikes.csv, 10,000 rows, one column at a time in
** a table t(id INTEGER PRIMARY KEY, v TEXT):
**   json      each row as a JSON array of its 14 fields, as sql/demo.sql
**             builds them (about 150 bytes)
**   airport   "Airport Name" (about 20 bytes)
**   aircraft  "Aircraft Make Model" (about 8 bytes)
**   species   "Wildlife Species" (about 15 bytes)
** Each column goes into two database files under build/: one plain, one
** where squeeze_enable('t', 'v', options) then squeeze_maintain() compressed
** it, for each of the options in CONFIGS. It prints:
**   column    the column's stored bytes (frames and values kept as they
**             were) plus its dictionaries' bytes, and the ratio raw / that
**   file      the two files' sizes after VACUUM (page_count * page_size),
**             the measure sqlite-zstd publishes, and their ratio
**   peers     zstd -19 of the column's values concatenated (libzstd's
**             ZSTD_compress, no random access: the bound a row store
**             approaches), each value alone through compress(v, 'zstd', 19),
**             and sqlite-zstd's published file ratio on 7 million IMDb titles
**             as JSON at level 19 (about 2,130 MB to 553 MB, x3.85: the bar
**             chart of https://github.com/phiresky/sqlite-zstd's README,
**             doc/2022-07-31-19-27-57.png)
**   lookups   SELECT v FROM t WHERE id = ? for the same 1,000 random ids on
**             each file (a prepared statement, each value read), the median
**             of LOOKUP_RUNS runs of each, alternated, and enabled / plain
**             (target <= 1.5): all in one read transaction (the cost of the
**             lookup itself), and each in its own (autocommit: SQLite's lock
**             and file check per statement added on both sides); every
**             answer is first checked equal.
** Run it from the repository root (make bench does).
*/
#include <unistd.h>
#include <zstd.h>

#include "bench_birds.h"

int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#define SRC_DB "build/bench_enable_src.db"
#define PLAIN_DB "build/bench_enable_plain.db"
#define ENABLED_DB "build/bench_enable_enabled.db"
#define LOOKUPS 1000
#define LOOKUP_RUNS 15 /* runs of LOOKUPS lookups per table: they are short */
#define SQLITE_ZSTD_RAW_MB 2130.0
#define SQLITE_ZSTD_COMPRESSED_MB 553.0

/* The squeeze_enable options compared; "" is the default (zstd level 3, no
** dictionary). */
static const char *const CONFIGS[] = {"", "dict=auto", "dict=auto,level=19", "codec=lz4,dict=auto"};
#define NCONFIGS (sizeof CONFIGS / sizeof CONFIGS[0])

/* The columns: a label and the expression over birds(f0..f13). */
static const struct {
  const char *label, *expr;
} COLUMNS[] = {{"json", BIRDS_JSON}, {"airport", "f0"}, {"aircraft", "f1"}, {"species", "f8"}};

/* A fresh database file at path (its journal too) with squeeze loaded (by
** sqlite3_auto_extension) and the source attached as src. */
static sqlite3 *open_fresh(const char *path) {
  char journal[256];
  snprintf(journal, sizeof journal, "%s-journal", path);
  unlink(path);
  unlink(journal);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
    exit(1);
  }
  birds_exec(db, "ATTACH '" SRC_DB "' AS src");
  return db;
}

static sqlite3_int64 file_bytes(sqlite3 *db) {
  birds_exec(db, "VACUUM");
  return birds_int(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size");
}

/* Fills table t(id, v) of db with the column's values, in the source's
** rowid order. */
static void fill(sqlite3 *db, const char *expr) {
  char *sql = sqlite3_mprintf("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                              "INSERT INTO t(id, v) SELECT rowid, %s FROM src.birds ORDER BY rowid",
                              expr);
  birds_exec(db, sql);
  sqlite3_free(sql);
}

/* zstd -19 of the values of t.v concatenated in rowid order: its size. */
static size_t zstd19_of_concatenation(sqlite3 *db, size_t *raw) {
  sqlite3_stmt *stmt;
  sqlite3_prepare_v2(db, "SELECT CAST(v AS BLOB) FROM t ORDER BY id", -1, &stmt, NULL);
  size_t cap = 1 << 20, n = 0;
  uint8_t *all = malloc(cap);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    size_t k = (size_t)sqlite3_column_bytes(stmt, 0);
    if (n + k > cap) {
      while (n + k > cap)
        cap *= 2;
      all = realloc(all, cap);
    }
    if (!all) exit(1);
    memcpy(all + n, sqlite3_column_blob(stmt, 0), k);
    n += k;
  }
  sqlite3_finalize(stmt);
  size_t bound = ZSTD_compressBound(n);
  void *out = malloc(bound);
  size_t z = ZSTD_compress(out, bound, all, n, 19);
  if (!out || ZSTD_isError(z)) exit(1);
  free(out);
  free(all);
  *raw = n;
  return z;
}

/* ids[0..LOOKUPS) uniform in [1, rows], from a fixed seed (xorshift64). */
static void random_ids(sqlite3_int64 *ids, int rows) {
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < LOOKUPS; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ids[i] = (sqlite3_int64)(x % (uint64_t)rows) + 1;
  }
}

/* Seconds to look up every id with stmt (SELECT v ... WHERE id = ?),
** reading each value; with check, compares each value with the one that
** other (the same query on the other file) gives and exits on a difference. */
static double lookups(sqlite3_stmt *stmt, const sqlite3_int64 *ids, sqlite3_stmt *check) {
  size_t touched = 0;
  double t0 = bench_now();
  for (int i = 0; i < LOOKUPS; i++) {
    sqlite3_bind_int64(stmt, 1, ids[i]);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
      fprintf(stderr, "lookup of id %lld: %s\n", (long long)ids[i],
              sqlite3_errmsg(sqlite3_db_handle(stmt)));
      exit(1);
    }
    const unsigned char *v = sqlite3_column_text(stmt, 0);
    int n = sqlite3_column_bytes(stmt, 0);
    touched += (size_t)n + (v && n ? v[0] : 0);
    if (check) {
      sqlite3_bind_int64(check, 1, ids[i]);
      if (sqlite3_step(check) != SQLITE_ROW || sqlite3_column_bytes(check, 0) != n ||
          sqlite3_column_type(check, 0) != sqlite3_column_type(stmt, 0) ||
          memcmp(sqlite3_column_text(check, 0), v, (size_t)n) != 0) {
        fprintf(stderr, "id %lld: the enabled table's value differs from the plain one\n",
                (long long)ids[i]);
        exit(1);
      }
      sqlite3_reset(check);
    }
    sqlite3_reset(stmt);
  }
  double t = bench_now() - t0;
  if (touched == 0) exit(1);
  return t;
}

/* lookups() without the check, inside one read transaction of db when txn. */
static double timed_lookups(sqlite3 *db, sqlite3_stmt *stmt, const sqlite3_int64 *ids, int txn) {
  if (txn) birds_exec(db, "BEGIN; SELECT 1 FROM t LIMIT 1");
  double t = lookups(stmt, ids, NULL);
  if (txn) birds_exec(db, "COMMIT");
  return t;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  return stmt;
}

static void run(const char *label, const char *expr, int rows) {
  sqlite3 *plain = open_fresh(PLAIN_DB);
  fill(plain, expr);
  size_t raw;
  size_t z19 = zstd19_of_concatenation(plain, &raw);
  sqlite3_int64 per_value = birds_int(plain, "SELECT sum(length(compress(v, 'zstd', 19))) FROM t");
  sqlite3_int64 plain_file = file_bytes(plain);
  printf("%s: %d values, %zu bytes (%.1f per value); plain file %lld bytes\n", label, rows, raw,
         (double)raw / rows, (long long)plain_file);
  printf("  peers: zstd -19 of the concatenation %zu (x%.2f, no random access); each value alone "
         "with compress(v, 'zstd', 19) %lld (x%.2f); sqlite-zstd published x%.2f (file)\n",
         z19, (double)raw / (double)z19, (long long)per_value, (double)raw / (double)per_value,
         SQLITE_ZSTD_RAW_MB / SQLITE_ZSTD_COMPRESSED_MB);

  sqlite3_int64 ids[LOOKUPS];
  random_ids(ids, rows);
  sqlite3_stmt *pq = prepare(plain, "SELECT v FROM t WHERE id = ?");
  for (size_t c = 0; c < NCONFIGS; c++) {
    sqlite3 *en = open_fresh(ENABLED_DB);
    fill(en, expr);
    char *sql = sqlite3_mprintf("SELECT squeeze_enable('t', 'v', %Q)", CONFIGS[c]);
    birds_int(en, sql);
    sqlite3_free(sql);
    double t0 = bench_now();
    if (birds_int(en, "SELECT squeeze_maintain()") != 0) {
      fprintf(stderr, "%s: squeeze_maintain left rows\n", label);
      exit(1);
    }
    double maintain = bench_now() - t0;
    birds_exec(en, "DETACH src");
    sqlite3_int64 stored = birds_int(en, "SELECT sum(length(CAST(v AS BLOB))) FROM _squeeze_t");
    sqlite3_int64 frames = birds_int(en, "SELECT count(*) FROM _squeeze_t WHERE _squeeze_v = 1");
    sqlite3_int64 dicts = birds_int(en, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                        "'squeeze_dict'")
                              ? birds_int(en, "SELECT total(length(bytes)) FROM squeeze_dict")
                              : 0;
    sqlite3_int64 en_file = file_bytes(en);

    sqlite3_stmt *eq = prepare(en, "SELECT v FROM t WHERE id = ?");
    lookups(eq, ids, pq); /* every answer equal, and both warm */
    printf("  enable '%s': %lld frames; column %lld + dictionaries %lld = %lld bytes (x%.2f, "
           "%.2fx zstd -19 of the concatenation); file %lld (x%.2f); maintain %.2f s\n",
           CONFIGS[c], (long long)frames, (long long)stored, (long long)dicts,
           (long long)(stored + dicts), (double)raw / (double)(stored + dicts),
           (double)(stored + dicts) / (double)z19, (long long)en_file,
           (double)plain_file / (double)en_file, maintain);
    for (int txn = 1; txn >= 0; txn--) {
      double tp[LOOKUP_RUNS], te[LOOKUP_RUNS];
      for (int r = 0; r < LOOKUP_RUNS; r++) {
        tp[r] = timed_lookups(plain, pq, ids, txn);
        te[r] = timed_lookups(en, eq, ids, txn);
      }
      double mp = bench_median(tp, LOOKUP_RUNS), me = bench_median(te, LOOKUP_RUNS);
      printf("    %d lookups by id, %s: plain %.3f ms, enabled %.3f ms (%.2f us each), "
             "%+.2f us each; enabled/plain = %.2f (target <= 1.5)\n",
             LOOKUPS, txn ? "in one read transaction" : "each in its own (autocommit)", mp * 1e3,
             me * 1e3, me / LOOKUPS * 1e6, (me - mp) / LOOKUPS * 1e6, me / mp);
    }
    sqlite3_finalize(eq);
    sqlite3_close(en);
  }
  sqlite3_finalize(pq);
  sqlite3_close(plain);
}

int main(void) {
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  unlink(SRC_DB);
  sqlite3 *src;
  if (sqlite3_open(SRC_DB, &src) != SQLITE_OK) return 1;
  int rows = birds_load(src, "main");
  sqlite3_close(src);
  printf("squeeze_enable + squeeze_maintain against the plain table, on %s; lookups: medians of "
         "%d runs\n",
         BIRDS_CSV, LOOKUP_RUNS);
  for (size_t i = 0; i < sizeof COLUMNS / sizeof COLUMNS[0]; i++)
    run(COLUMNS[i].label, COLUMNS[i].expr, rows);
  unlink(SRC_DB);
  unlink(PLAIN_DB);
  unlink(ENABLED_DB);
  return 0;
}

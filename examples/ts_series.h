/*
** ts_series.h: the series the time-series codecs (gorilla, dod, delta) are
** tested and benchmarked on. Plain C, no cmocka: included by
** tests/unit/test_{gorilla,dod,delta}.c and bench/bench_timeseries.c (so it
** lives here, beside the data and gen_ts.c, not in tests/).
**
** - examples/data/seattle-weather-hourly-normals.csv, parsed: the hourly
**   timestamps as epoch seconds (UTC) and the pressure, temperature and wind
**   columns as doubles;
** - the gen_ts files in build/ts/ (`make build/ts/ts.i64`), when present;
** - the dates of a daily closing price: weekdays minus the New York Stock
**   Exchange's regular holidays, as epoch seconds at midnight UTC.
** Arrays are malloc'd; the caller frees them.
*/
#ifndef SQZ_TS_SERIES_H
#define SQZ_TS_SERIES_H

#include "bitstream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_SEATTLE_PATH "examples/data/seattle-weather-hourly-normals.csv"
#define TS_GEN_DIR "build/ts/"

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (the
** days-from-civil algorithm of H. Hinnant, "chrono-Compatible Low-Level Date
** Algorithms"). */
static inline int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* Day of the week of a day number, 0 = Sunday (1970-01-01 was a Thursday). */
static inline int ts_weekday(int64_t days) {
  return (int)(((days % 7) + 11) % 7);
}

/* The Seattle hourly normals: n rows, ts in epoch seconds, col[0..2] =
** pressure (hPa), temperature (degrees C), wind (m/s). */
typedef struct {
  size_t n;
  int64_t *ts;
  double *col[3];
} ts_seattle;

static const char *const ts_seattle_names[3] = {"pressure", "temperature", "wind"};

static inline void ts_seattle_free(ts_seattle *s) {
  free(s->ts);
  for (int c = 0; c < 3; c++)
    free(s->col[c]);
  memset(s, 0, sizeof *s);
}

/* Parses the CSV (header line, then "YYYY-MM-DDTHH:MM:SS,p,t,w" rows).
** Returns 0, or -1 when the file is missing or a row does not parse. */
static inline int ts_seattle_load(const char *path, ts_seattle *s) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  size_t cap = 0;
  int rc = fgets(line, sizeof line, f) ? 0 : -1; /* header */
  while (rc == 0 && fgets(line, sizeof line, f)) {
    int y, mo, d, h, mi, se;
    double p, t, w;
    if (sscanf(line, "%d-%d-%dT%d:%d:%d,%lf,%lf,%lf", &y, &mo, &d, &h, &mi, &se, &p, &t, &w) != 9) {
      rc = -1;
      break;
    }
    if (s->n == cap) {
      cap = cap ? 2 * cap : 1024;
      s->ts = realloc(s->ts, cap * sizeof *s->ts);
      for (int c = 0; c < 3; c++)
        s->col[c] = realloc(s->col[c], cap * sizeof(double));
      if (!s->ts || !s->col[0] || !s->col[1] || !s->col[2]) {
        rc = -1;
        break;
      }
    }
    s->ts[s->n] =
        ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    s->col[0][s->n] = p;
    s->col[1][s->n] = t;
    s->col[2][s->n] = w;
    s->n++;
  }
  fclose(f);
  if (rc != 0 || s->n == 0) {
    ts_seattle_free(s);
    return -1;
  }
  return 0;
}

/* n doubles / int64 as the little-endian bytes a typed codec takes (8 n
** bytes, malloc'd). */
static inline uint8_t *ts_pack_f64(const double *v, size_t n) {
  uint8_t *b = malloc(8 * n + 1);
  for (size_t i = 0; b && i < n; i++) {
    uint64_t u;
    memcpy(&u, &v[i], 8);
    sqz_store64le(b + 8 * i, u);
  }
  return b;
}
static inline uint8_t *ts_pack_i64(const int64_t *v, size_t n) {
  uint8_t *b = malloc(8 * n + 1);
  for (size_t i = 0; b && i < n; i++)
    sqz_store64le(b + 8 * i, (uint64_t)v[i]);
  return b;
}

/* v[i] * scale rounded to the nearest integer: a one-decimal column as the
** int64 a database would store (1016.6 hPa -> 10166). */
static inline int64_t *ts_scale_to_i64(const double *v, size_t n, double scale) {
  int64_t *r = malloc(8 * n + 1);
  for (size_t i = 0; r && i < n; i++) {
    double x = v[i] * scale;
    r[i] = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
  }
  return r;
}

/* The raw bytes of build/ts/name (gen_ts output), or NULL when it is missing.
** *size gets the length in bytes. */
static inline uint8_t *ts_gen_load(const char *name, size_t *size) {
  char path[256];
  snprintf(path, sizeof path, "%s%s", TS_GEN_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *size = b ? (size_t)n : 0;
  return b;
}

/* Day number of the nth (1-based) weekday wd (0 = Sunday) of y-m; nth = 5
** means the last one. */
static inline int64_t ts_nth_weekday(int y, unsigned m, int wd, int nth) {
  if (nth == 5) {
    int64_t last = ts_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    return last - (ts_weekday(last) - wd + 7) % 7;
  }
  int64_t first = ts_days_from_civil(y, m, 1);
  return first + (wd - ts_weekday(first) + 7) % 7 + 7 * (nth - 1);
}

/* Day number of Easter Sunday of year y (the anonymous Gregorian algorithm,
** as given by Meeus, "Astronomical Algorithms", ch. 8). */
static inline int64_t ts_easter(int y) {
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return ts_days_from_civil(y, (unsigned)month, (unsigned)day);
}

/* A fixed-date holiday as observed: Saturday -> Friday, Sunday -> Monday. New
** Year's Day on a Saturday is not observed (the exchange's rule). */
static inline int64_t ts_observed(int y, unsigned m, unsigned d) {
  int64_t day = ts_days_from_civil(y, m, d);
  int wd = ts_weekday(day);
  if (wd == 0) return day + 1;
  if (wd == 6) return m == 1 && d == 1 ? -1 : day - 1;
  return day;
}

/* Non-zero when day (a weekday of year y) is an NYSE regular holiday. */
static inline int ts_is_holiday(int y, int64_t day) {
  int64_t h[10] = {
      ts_observed(y, 1, 1),       ts_nth_weekday(y, 1, 1, 3),  /* New Year, MLK Day */
      ts_nth_weekday(y, 2, 1, 3), ts_easter(y) - 2,            /* Presidents, Good Friday */
      ts_nth_weekday(y, 5, 1, 5), ts_observed(y, 7, 4),        /* Memorial, Independence */
      ts_nth_weekday(y, 9, 1, 1), ts_nth_weekday(y, 11, 4, 4), /* Labor, Thanksgiving */
      ts_observed(y, 12, 25),     y >= 2022 ? ts_observed(y, 6, 19) : -1, /* Juneteenth */
  };
  for (int i = 0; i < 10; i++)
    if (h[i] == day) return 1;
  return 0;
}

/* The trading days of years y0..y1 as epoch seconds (midnight UTC), in
** order. Returns a malloc'd array of *n values. */
static inline int64_t *ts_trading_days(int y0, int y1, size_t *n) {
  int64_t first = ts_days_from_civil(y0, 1, 1), end = ts_days_from_civil(y1 + 1, 1, 1);
  int64_t *r = malloc((size_t)(end - first) * sizeof *r);
  size_t k = 0;
  for (int y = y0; r && y <= y1; y++) {
    int64_t a = ts_days_from_civil(y, 1, 1), b = ts_days_from_civil(y + 1, 1, 1);
    for (int64_t d = a; d < b; d++) {
      int wd = ts_weekday(d);
      if (wd != 0 && wd != 6 && !ts_is_holiday(y, d)) r[k++] = d * 86400;
    }
  }
  *n = k;
  return r;
}

#endif /* SQZ_TS_SERIES_H */

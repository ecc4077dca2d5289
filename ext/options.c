/*
** options.c: the option-list parser of options.h.
*/
#include "options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A piece of the input text: [p, p + n). */
typedef struct span {
  const char *p;
  size_t n;
} span;

static span trim(span s) {
  while (s.n && isspace((unsigned char)s.p[0]))
    s.p++, s.n--;
  while (s.n && isspace((unsigned char)s.p[s.n - 1]))
    s.n--;
  return s;
}

static int span_is(span s, const char *word) {
  return strlen(word) == s.n && strncasecmp(s.p, word, s.n) == 0;
}

static void fail(char *err, size_t errSize, const char *fmt, ...) {
  if (!errSize) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errSize, fmt, ap);
  va_end(ap);
}

/* Reads the decimal digits of s (an optional sign first) into *v and moves
** s past them. Returns 0, or -1 with no digit or an overflow. */
static int take_int(span *s, int64_t *v) {
  size_t i = 0;
  int neg = 0;
  if (i < s->n && (s->p[i] == '-' || s->p[i] == '+')) neg = s->p[i++] == '-';
  if (i >= s->n || !isdigit((unsigned char)s->p[i])) return -1;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, x = 0;
  for (; i < s->n && isdigit((unsigned char)s->p[i]); i++) {
    unsigned d = (unsigned)(s->p[i] - '0');
    if (x > (limit - d) / 10) return -1;
    x = x * 10 + d;
  }
  *v = neg ? (int64_t)(0 - x) : (int64_t)x;
  s->p += i;
  s->n -= i;
  return 0;
}

int sqz_parse_int64(const char *s, int64_t *v) {
  span t = trim((span){s, strlen(s)});
  int64_t x;
  if (take_int(&t, &x) != 0 || t.n != 0) return -1;
  *v = x;
  return 0;
}

/* A size: digits, then an optional K/M/G and an optional B or iB. Returns 0,
** 1 when it is not a size, 2 when it does not fit an int64_t. */
static int parse_size(span s, int64_t *v) {
  int64_t x;
  if (s.n && (s.p[0] == '-' || s.p[0] == '+')) return 1;
  if (take_int(&s, &x) != 0) return s.n && isdigit((unsigned char)s.p[0]) ? 2 : 1;
  unsigned shift = 0;
  if (s.n) {
    switch (s.p[0]) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    }
    if (shift) s.p++, s.n--;
  }
  if (!(s.n == 0 || span_is(s, "b") || (shift && span_is(s, "ib")))) return 1;
  if (x > (INT64_MAX >> shift)) return 2;
  *v = x << shift;
  return 0;
}

static int parse_bool(span s, int64_t *v) {
  static const char *const yes[] = {"on", "true", "yes", "1"};
  static const char *const no[] = {"off", "false", "no", "0"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (span_is(s, yes[i])) return *v = 1, 0;
    if (span_is(s, no[i])) return *v = 0, 0;
  }
  return -1;
}

int sqz_parse_size(const char *s, int64_t *v) {
  return parse_size(trim((span){s, strlen(s)}), v) == 0 ? 0 : -1;
}

int sqz_parse_bool(const char *s, int *v) {
  int64_t x;
  if (parse_bool(trim((span){s, strlen(s)}), &x) != 0) return -1;
  *v = (int)x;
  return 0;
}

/* "a, b, c" of the spec's keys into buf. */
static const char *list_names(const sqz_opt *spec, int nspec, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < nspec; i++) {
    const char *name = spec[i].name;
    int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", name);
    if (k < 0 || (size_t)k >= size - used) break;
    used += (size_t)k;
  }
  return buf;
}

/* "a, b or c" of the words into buf. */
static const char *list_words(const char *const *words, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; words[i]; i++) {
    const char *sep = i == 0 ? "" : words[i + 1] ? ", " : " or ";
    int k = snprintf(buf + used, size - used, "%s%s", sep, words[i]);
    if (k < 0 || (size_t)k >= size - used) break;
    used += (size_t)k;
  }
  return buf;
}

/* The message for a value of o that does not fit: what the option takes,
** then the value as given. */
static void fail_value(const sqz_opt *o, span value, char *err, size_t errSize) {
  char words[128];
  int n = (int)value.n;
  switch (o->type) {
  case SQZ_OPT_INT:
    if (o->min == INT64_MIN && o->max == INT64_MAX)
      fail(err, errSize, "%s must be an integer, not '%.*s'", o->name, n, value.p);
    else
      fail(err, errSize, "%s must be an integer from %lld to %lld, not '%.*s'", o->name,
           (long long)o->min, (long long)o->max, n, value.p);
    return;
  case SQZ_OPT_SIZE:
    fail(err, errSize,
         "%s must be a size in bytes (optionally with K, M or G) from %lld to %lld, not '%.*s'",
         o->name, (long long)o->min, (long long)o->max, n, value.p);
    return;
  case SQZ_OPT_BOOL:
    fail(err, errSize, "%s must be on or off, not '%.*s'", o->name, n, value.p);
    return;
  case SQZ_OPT_WORD:
    fail(err, errSize, "%s must be %s, not '%.*s'", o->name,
         list_words(o->words, words, sizeof words), n, value.p);
    return;
  case SQZ_OPT_TEXT:
    fail(err, errSize,
         "%s must be a name of 1 to %lld bytes, quoted or not (no quote inside), "
         "not '%.*s'",
         o->name, (long long)o->max, n, value.p);
    return;
  case SQZ_OPT_EXPR:
    fail(err, errSize, "%s must be an SQL expression of 1 to %lld bytes, not '%.*s'", o->name,
         (long long)o->max, n, value.p);
    return;
  }
}

/* Parses one item into out; 0 or -1 with err set. */
static int parse_item(span item, const sqz_opt *spec, int nspec, sqz_opt_value *out, char *err,
                      size_t errSize) {
  char names[128];
  const char *eq = memchr(item.p, '=', item.n);
  if (!eq) {
    fail(err, errSize, "option '%.*s' is not key=value (known: %s)", (int)item.n, item.p,
         list_names(spec, nspec, names, sizeof names));
    return -1;
  }
  span key = trim((span){item.p, (size_t)(eq - item.p)});
  span value = trim((span){eq + 1, item.n - (size_t)(eq - item.p) - 1});
  int k = 0;
  while (k < nspec && !span_is(key, spec[k].name))
    k++;
  if (k == nspec) {
    fail(err, errSize, "unknown option '%.*s' (known: %s)", (int)key.n, key.p,
         list_names(spec, nspec, names, sizeof names));
    return -1;
  }
  const sqz_opt *o = &spec[k];
  if (out[k].set) {
    fail(err, errSize, "option '%s' is given twice", o->name);
    return -1;
  }
  int64_t v = 0;
  int bad = 0; /* 0 fits, 1 malformed, 2 out of range */
  switch (o->type) {
  case SQZ_OPT_INT: {
    span t = value;
    if (take_int(&t, &v) != 0 || t.n != 0) {
      t = value;
      if (t.n && (t.p[0] == '-' || t.p[0] == '+')) t.p++, t.n--;
      bad = t.n && isdigit((unsigned char)t.p[0]) && strspn(t.p, "0123456789") >= t.n ? 2 : 1;
    }
    break;
  }
  case SQZ_OPT_SIZE:
    bad = parse_size(value, &v);
    break;
  case SQZ_OPT_BOOL:
    bad = parse_bool(value, &v) != 0;
    break;
  case SQZ_OPT_WORD:
    for (v = 0; o->words[v] && !span_is(value, o->words[v]); v++)
      ;
    bad = o->words[v] == NULL;
    break;
  case SQZ_OPT_TEXT:
    if (value.n >= 2 && (value.p[0] == '\'' || value.p[0] == '"') &&
        value.p[value.n - 1] == value.p[0])
      value.p++, value.n -= 2;
    v = (int64_t)value.n;
    bad = value.n == 0 || v > o->max || memchr(value.p, '\'', value.n) ||
          memchr(value.p, '"', value.n);
    out[k].text = value.p;
    break;
  case SQZ_OPT_EXPR:
    v = (int64_t)value.n;
    bad = value.n == 0 || v > o->max;
    out[k].text = value.p;
    break;
  }
  if (!bad && (o->type == SQZ_OPT_INT || o->type == SQZ_OPT_SIZE) && (v < o->min || v > o->max))
    bad = 2;
  if (bad) {
    fail_value(o, value, err, errSize);
    return -1;
  }
  out[k].set = 1;
  out[k].v = v;
  return 0;
}

/* The first comma of s outside quotes ('...', "...", a doubled quote inside
** standing for itself) and parentheses, or NULL. */
static const char *top_level_comma(span s) {
  int depth = 0;
  for (size_t i = 0; i < s.n; i++) {
    char ch = s.p[i];
    if (ch == '\'' || ch == '"') {
      for (i++; i < s.n; i++) {
        if (s.p[i] == ch) {
          if (i + 1 < s.n && s.p[i + 1] == ch) {
            i++;
            continue;
          }
          break;
        }
      }
    } else if (ch == '(') {
      depth++;
    } else if (ch == ')') {
      if (depth > 0) depth--;
    } else if (ch == ',' && depth == 0) {
      return s.p + i;
    }
  }
  return NULL;
}

int sqz_list_next(const char **s, const char **item, size_t *len) {
  span rest = trim((span){*s, strlen(*s)});
  if (rest.n == 0) return 0;
  const char *comma = top_level_comma(rest);
  span it = trim((span){rest.p, comma ? (size_t)(comma - rest.p) : rest.n});
  *item = it.p;
  *len = it.n;
  *s = comma ? comma + 1 : rest.p + rest.n;
  return 1;
}

int sqz_options_parse(const char *text, const sqz_opt *spec, int nspec, sqz_opt_value *out,
                      char *err, size_t errSize) {
  if (errSize) err[0] = 0;
  const char *s = text;
  span item;
  while (sqz_list_next(&s, &item.p, &item.n)) {
    if (item.n == 0) {
      fail(err, errSize, "empty option in '%s'", text);
      return -1;
    }
    if (parse_item(item, spec, nspec, out, err, errSize) != 0) return -1;
  }
  if (s != text && s[-1] == ',') {
    fail(err, errSize, "empty option at the end of '%s'", text);
    return -1;
  }
  return 0;
}

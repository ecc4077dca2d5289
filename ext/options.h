/*
** options.h: the one parser of squeeze's option lists, "key=value,key=value",
** shared by compress() ('level=19,window=1M,checksum=off'), codec_bench
** ('sample=500,passes=5') and CREATE VIRTUAL TABLE ... USING squeeze(...)
** (each `chunk_rows = 8192` argument).
**
** Grammar: items separated by commas (a comma inside parentheses or inside
** '...' or "..." quotes, where a doubled quote stands for itself, does not
** separate); an item is `key = value` with optional
** white space around the key and the value; keys match case-insensitively.
** Every malformed input is refused with a message that names the offending
** item: an empty item, an item without '=', an unknown key, a key given twice,
** and a value that does not fit the key's type or range. Value types:
**
**   SQZ_OPT_INT   a decimal integer, optionally signed, in [min, max]
**   SQZ_OPT_SIZE  a byte count: a decimal integer, then optionally K, M or G
**                 (powers of 1024, case-insensitive), optionally followed by
**                 B or iB ("64K", "1MiB", "2GB", "512B"); in [min, max]
**   SQZ_OPT_BOOL  on/off, true/false, yes/no, 1/0 (case-insensitive)
**   SQZ_OPT_WORD  one of the spec's words (case-insensitive); the value is
**                 its index
**   SQZ_OPT_TEXT  any text, bare or in single or double quotes (a quote
**                 inside is not allowed), 1..max bytes
**   SQZ_OPT_EXPR  an SQL expression, as written (quotes kept), 1..max bytes:
**                 "dict_by=strftime('%Y-%m', created)"
**
** No arithmetic can overflow: digits are accumulated with a check against
** INT64_MAX, and a size's suffix is applied only when the product fits.
** Pure C: no sqlite3.h, so the parser is unit-tested on its own.
*/
#ifndef SQZ_EXT_OPTIONS_H
#define SQZ_EXT_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  SQZ_OPT_INT,
  SQZ_OPT_SIZE,
  SQZ_OPT_BOOL,
  SQZ_OPT_WORD,
  SQZ_OPT_TEXT,
  SQZ_OPT_EXPR
} sqz_opt_type;

/* One accepted key. */
typedef struct sqz_opt {
  const char *name;         /* the key */
  sqz_opt_type type;        /* what its value is */
  int64_t min, max;         /* INT and SIZE: the accepted range, inclusive; TEXT and
                               EXPR: max is the longest value in bytes */
  const char *const *words; /* WORD: the accepted words, NULL-terminated */
} sqz_opt;

/* What the parser found for one key. */
typedef struct sqz_opt_value {
  int set;          /* the key was given */
  int64_t v;        /* INT and SIZE: the value (bytes for SIZE); BOOL: 0 or 1;
                       WORD: the index of the word in the spec's list;
                       TEXT, EXPR: the length of text in bytes */
  const char *text; /* TEXT: the value, quotes removed; EXPR: the value as
                       written; pointing into the parsed text (not
                       NUL-terminated) */
} sqz_opt_value;

/* Longest message the parser writes, in bytes with the NUL. */
#define SQZ_OPT_ERROR_MAX 256

/* Parses the NUL-terminated text against spec[0..nspec) into out[0..nspec)
** (out[i] belongs to spec[i]). out is not cleared first, so several texts can
** be parsed into the same out and a key repeated across them is refused; the
** caller zeroes out once. An empty text (or only white space) sets nothing.
** Returns 0 on success; -1 on a malformed text, with a message such as
** "unknown option 'zip' (known: level, window)" written to err (errSize
** bytes, always NUL-terminated when errSize > 0). Never allocates. */
int sqz_options_parse(const char *text, const sqz_opt *spec, int nspec, sqz_opt_value *out,
                      char *err, size_t errSize);

/* The next item of the comma-separated list at *s (commas inside quotes or
** parentheses do not separate): *item points at it and
** *len is its length, white space around it removed (an empty item, as in
** "a,,b", has length 0). Advances *s past the item and its comma. Returns 0
** at the end of the list (only white space left), else 1. */
int sqz_list_next(const char **s, const char **item, size_t *len);

/* Parses all of the NUL-terminated s (leading and trailing white space
** allowed) as a decimal integer into *v. Returns 0, or -1 when s holds
** anything else or the value does not fit an int64_t. */
int sqz_parse_int64(const char *s, int64_t *v);

/* Parses all of the NUL-terminated s (white space around it allowed) as an
** SQZ_OPT_SIZE value ("64M", "1GiB", "4096") into *v, in bytes. Returns 0, or
** -1 when s is anything else or the size does not fit an int64_t. */
int sqz_parse_size(const char *s, int64_t *v);

/* Parses all of s as an SQZ_OPT_BOOL value (on/off, true/false, yes/no,
** 1/0) into *v (0 or 1). Returns 0, or -1 when s is anything else. */
int sqz_parse_bool(const char *s, int *v);

#endif /* SQZ_EXT_OPTIONS_H */

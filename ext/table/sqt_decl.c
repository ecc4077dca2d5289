/*
** sqt_decl.c: parsing the arguments of CREATE VIRTUAL TABLE ...
** USING squeeze(...).
**
**   CREATE VIRTUAL TABLE readings USING squeeze(
**     ts INTEGER CODEC dod, sensor TEXT CODEC dict, temp REAL CODEC auto,
**     body BLOB CODEC zstd(9), note, chunk_rows = 8192);
**
** Each argument is a column, `name [type] [CODEC codec[(level)]]`, or an
** option, `key = value`. Names may be quoted as in SQL ("a b", `a b`,
** [a b], 'a b'). Types: INTEGER (or INT), REAL (or FLOAT, DOUBLE), TEXT,
** BLOB, or none. The codec is `auto` (the default: the smallest of the
** candidates for each chunk) or a codec of squeeze_codecs whose kind fits the
** type: int64 codecs for INTEGER, float64 codecs for REAL, text codecs for
** TEXT, bytes codecs for any column. Options: chunk_rows (1 .. 1048576).
** Any other word is an error that names it.
*/
#include "options.h"
#include "sqt.h"
SQLITE_EXTENSION_INIT3

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A token of an argument. */
typedef enum { TK_END, TK_WORD, TK_NUMBER, TK_PUNCT, TK_BAD } tk_type;

typedef struct token {
  tk_type type;
  int too_long;   /* the word did not fit text: an error, never cut */
  char text[256]; /* the word (unquoted), number or punctuation */
} token;

/* Reads the next token of *s into t and advances *s. */
static void next_token(const char **s, token *t) {
  const char *p = *s;
  while (*p && isspace((unsigned char)*p))
    p++;
  size_t n = 0;
  t->text[0] = 0;
  t->too_long = 0;
  if (!*p) {
    t->type = TK_END;
  } else if (*p == '"' || *p == '`' || *p == '[' || *p == '\'') {
    char close = *p == '[' ? ']' : *p;
    p++;
    t->type = TK_WORD;
    for (;;) {
      if (!*p) {
        t->type = TK_BAD;
        break;
      }
      if (*p == close) {
        if (close != ']' && p[1] == close) { /* doubled quote */
          p++;
        } else {
          p++;
          break;
        }
      }
      if (n + 1 < sizeof t->text)
        t->text[n++] = *p;
      else
        t->too_long = 1;
      p++;
    }
  } else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
    t->type = TK_WORD;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' || (unsigned char)*p >= 0x80) {
      if (n + 1 < sizeof t->text)
        t->text[n++] = *p;
      else
        t->too_long = 1;
      p++;
    }
  } else if (isdigit((unsigned char)*p) ||
             ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
    t->type = TK_NUMBER;
    do {
      if (n + 1 < sizeof t->text)
        t->text[n++] = *p;
      else
        t->too_long = 1;
      p++;
    } while (isalnum((unsigned char)*p) || *p == '_');
  } else {
    t->type = TK_PUNCT;
    t->text[n++] = *p++;
  }
  t->text[n] = 0;
  *s = p;
}

/* A type word: sets *cls and *canonical, or returns 0. */
static int parse_type(const char *w, sqz_class *cls, const char **canonical) {
  static const struct {
    const char *word;
    sqz_class cls;
    const char *canonical;
  } types[] = {
      {"INTEGER", SQZ_CLASS_INT, "INTEGER"}, {"INT", SQZ_CLASS_INT, "INTEGER"},
      {"REAL", SQZ_CLASS_REAL, "REAL"},      {"FLOAT", SQZ_CLASS_REAL, "REAL"},
      {"DOUBLE", SQZ_CLASS_REAL, "REAL"},    {"TEXT", SQZ_CLASS_TEXT, "TEXT"},
      {"BLOB", SQZ_CLASS_BLOB, "BLOB"},
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (sqlite3_stricmp(w, types[i].word) == 0) {
      *cls = types[i].cls;
      *canonical = types[i].canonical;
      return 1;
    }
  }
  return 0;
}

/* Whether codec fits a column of class cls (SQZ_CLASS_NULL: untyped). */
static int codec_fits_column(const sqz_codec *codec, sqz_class cls) {
  if (codec->kind == SQZ_KIND_BYTES) return 1;
  if (cls == SQZ_CLASS_NULL) return 0;
  if (codec->kind == SQZ_KIND_TEXT) return cls == SQZ_CLASS_TEXT;
  return sqz_chunk_codec_fits(codec, cls);
}

/* "auto, zstd, ..." of the codecs that fit cls, into buf. */
static const char *fitting_codecs(sqz_class cls, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "auto");
  for (size_t i = 0; i < sqz_codec_count() && used < size; i++) {
    const sqz_codec *c = sqz_codec_at(i);
    if (codec_fits_column(c, cls))
      used += (size_t)snprintf(buf + used, size - used, ", %s", c->name);
  }
  return buf;
}

/* Parses one column definition whose name token is t. */
static int parse_column(const char *s, token *t, sqt_column *col, char **pzErr) {
  const char *name = t->text;
  col->name = sqlite3_mprintf("%s", name);
  col->type = "";
  col->cls = SQZ_CLASS_NULL;
  col->codec = NULL;
  col->level = 0;
  if (!col->name) return SQLITE_NOMEM;
  char names[1024];
  next_token(&s, t);
  if (t->type == TK_WORD && sqlite3_stricmp(t->text, "CODEC") != 0) {
    if (!parse_type(t->text, &col->cls, &col->type)) {
      *pzErr = sqlite3_mprintf("squeeze: column %s: unknown type '%s' (use INTEGER, REAL, TEXT, "
                               "BLOB or no type)",
                               col->name, t->text);
      return SQLITE_ERROR;
    }
    next_token(&s, t);
  }
  if (t->type == TK_WORD && sqlite3_stricmp(t->text, "CODEC") == 0) {
    next_token(&s, t);
    if (t->type != TK_WORD) {
      *pzErr = sqlite3_mprintf("squeeze: column %s: CODEC needs a codec name (one of: %s)",
                               col->name, fitting_codecs(col->cls, names, sizeof names));
      return SQLITE_ERROR;
    }
    if (sqlite3_stricmp(t->text, "auto") != 0) {
      const sqz_codec *codec = sqz_codec_by_name(t->text);
      if (!codec) {
        *pzErr = sqlite3_mprintf("squeeze: column %s: unknown codec '%s' (known: %s)", col->name,
                                 t->text, fitting_codecs(col->cls, names, sizeof names));
        return SQLITE_ERROR;
      }
      if (!codec_fits_column(codec, col->cls)) {
        *pzErr = sqlite3_mprintf(
            "squeeze: column %s: codec '%s' takes %s values and does not fit a %s column "
            "(use one of: %s)",
            col->name, codec->name, sqz_kind_name(codec->kind),
            col->cls == SQZ_CLASS_NULL ? "untyped" : col->type,
            fitting_codecs(col->cls, names, sizeof names));
        return SQLITE_ERROR;
      }
      col->codec = codec;
      col->level = codec->default_level;
    }
    next_token(&s, t);
    if (t->type == TK_PUNCT && t->text[0] == '(') {
      token lv;
      next_token(&s, &lv);
      int64_t level;
      if (lv.type != TK_NUMBER || sqz_parse_int64(lv.text, &level) != 0) {
        *pzErr = sqlite3_mprintf("squeeze: column %s: codec level must be an integer, not '%s'",
                                 col->name, lv.text);
        return SQLITE_ERROR;
      }
      if (!col->codec) {
        *pzErr = sqlite3_mprintf("squeeze: column %s: auto takes no level", col->name);
        return SQLITE_ERROR;
      }
      if (level < col->codec->min_level || level > col->codec->max_level) {
        *pzErr = sqlite3_mprintf("squeeze: column %s: level %lld out of range for %s (%d..%d)",
                                 col->name, (long long)level, col->codec->name,
                                 col->codec->min_level, col->codec->max_level);
        return SQLITE_ERROR;
      }
      col->level = (int)level;
      next_token(&s, t);
      if (!(t->type == TK_PUNCT && t->text[0] == ')')) {
        *pzErr = sqlite3_mprintf("squeeze: column %s: expected ')' after the level", col->name);
        return SQLITE_ERROR;
      }
      next_token(&s, t);
    }
  }
  if (t->type != TK_END) {
    *pzErr = sqlite3_mprintf("squeeze: column %s: unexpected '%s' (a column is: name [type] "
                             "[CODEC codec[(level)]])",
                             col->name, t->text);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* The options of the declaration, in the order of decl_options. */
enum { OPT_CHUNK_ROWS, OPT_COUNT };
static const sqz_opt decl_options[OPT_COUNT] = {
    {"chunk_rows", SQZ_OPT_INT, 1, SQZ_CHUNK_ROWS_MAX, NULL},
};

int sqt_decl_parse(int argc, const char *const *argv, int max_columns, sqt_decl *d, char **pzErr) {
  memset(d, 0, sizeof(*d));
  d->chunk_rows = SQT_DEFAULT_CHUNK_ROWS;
  int n = argc > 3 ? argc - 3 : 0;
  d->col = sqlite3_malloc64(sizeof(sqt_column) * (size_t)(n ? n : 1));
  if (!d->col) return SQLITE_NOMEM;
  memset(d->col, 0, sizeof(sqt_column) * (size_t)(n ? n : 1));
  int rc = SQLITE_OK;
  sqz_opt_value opt[OPT_COUNT] = {{0, 0}};
  for (int i = 3; i < argc && rc == SQLITE_OK; i++) {
    const char *s = argv[i];
    token t, t2;
    next_token(&s, &t);
    const char *after = s;
    next_token(&after, &t2);
    if (t.too_long) {
      *pzErr = sqlite3_mprintf("squeeze: name longer than %d bytes in '%s'", (int)sizeof t.text - 1,
                               argv[i]);
      rc = SQLITE_ERROR;
    } else if (t.type == TK_WORD && t2.type == TK_PUNCT && t2.text[0] == '=') {
      char err[SQZ_OPT_ERROR_MAX];
      if (sqz_options_parse(argv[i], decl_options, OPT_COUNT, opt, err, sizeof err) != 0) {
        *pzErr = sqlite3_mprintf("squeeze: %s", err);
        rc = SQLITE_ERROR;
      }
    } else if (t.type == TK_WORD) {
      sqt_column *c = &d->col[d->ncol++];
      rc = parse_column(s, &t, c, pzErr);
      if (rc == SQLITE_OK && sqlite3_stricmp(c->name, SQT_COMMAND_COLUMN) == 0) {
        *pzErr = sqlite3_mprintf("squeeze: the column name %s is reserved for commands",
                                 SQT_COMMAND_COLUMN);
        rc = SQLITE_ERROR;
      }
      for (int j = 0; rc == SQLITE_OK && j < d->ncol - 1; j++) {
        if (sqlite3_stricmp(d->col[j].name, c->name) == 0) {
          *pzErr = sqlite3_mprintf("squeeze: duplicate column name: %s", c->name);
          rc = SQLITE_ERROR;
        }
      }
    } else {
      *pzErr = sqlite3_mprintf("squeeze: cannot parse argument '%s'", argv[i]);
      rc = SQLITE_ERROR;
    }
  }
  if (opt[OPT_CHUNK_ROWS].set) d->chunk_rows = (uint32_t)opt[OPT_CHUNK_ROWS].v;
  if (rc == SQLITE_OK && d->ncol == 0) {
    *pzErr = sqlite3_mprintf("squeeze: a table needs at least one column");
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK && d->ncol > max_columns) {
    *pzErr = sqlite3_mprintf("squeeze: too many columns (%d; at most %d)", d->ncol, max_columns);
    rc = SQLITE_ERROR;
  }
  if (rc != SQLITE_OK) sqt_decl_free(d);
  return rc;
}

void sqt_decl_free(sqt_decl *d) {
  for (int i = 0; i < d->ncol; i++)
    sqlite3_free(d->col[i].name);
  sqlite3_free(d->col);
  memset(d, 0, sizeof(*d));
}

char *sqt_decl_schema(const sqt_decl *d) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "CREATE TABLE x(");
  for (int i = 0; i < d->ncol; i++) {
    sqlite3_str_appendf(s, "%s\"%w\"%s%s", i ? ", " : "", d->col[i].name,
                        d->col[i].type[0] ? " " : "", d->col[i].type);
  }
  sqlite3_str_appendall(s, ", " SQT_COMMAND_COLUMN " HIDDEN)");
  return sqlite3_str_finish(s);
}

const char *sqt_decl_codec_text(const sqt_column *c, char *buf, size_t size) {
  if (!c->codec) {
    snprintf(buf, size, "auto");
  } else if (c->codec->min_level == c->codec->max_level || c->level == c->codec->default_level) {
    snprintf(buf, size, "%s", c->codec->name);
  } else {
    snprintf(buf, size, "%s(%d)", c->codec->name, c->level);
  }
  return buf;
}

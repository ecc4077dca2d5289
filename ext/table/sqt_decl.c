/*
** sqt_decl.c: parsing the arguments of CREATE VIRTUAL TABLE ...
** USING squeeze(...).
**
**   CREATE VIRTUAL TABLE readings USING squeeze(
**     ts INTEGER CODEC dod, sensor VARCHAR(20) CODEC dict, temp REAL CODEC auto,
**     body BLOB CODEC zstd(9), note, chunk_rows = 8192);
**   CREATE VIRTUAL TABLE copy USING squeeze(like = 'readings');
**
** Each argument is a column, `name [type] [CODEC codec[(level)]]`, or an
** option, `key = value`. Names may be quoted as in SQL ("a b", `a b`,
** [a b], 'a b'). The type is any type name a plain table accepts
** ("VARCHAR(20)", "DOUBLE PRECISION", "UNSIGNED BIG INT", none), and gives the
** column its affinity by SQLite's rules (https://sqlite.org/datatype3.html,
** section 3.1): INTEGER, TEXT, BLOB, REAL or NUMERIC; the writes apply it
** (sqt_rows.c) as a plain table does. The codec is `auto` (the default: the
** smallest of the candidates for each chunk) or a codec of squeeze_codecs
** whose kind fits the affinity: int64 codecs for INTEGER, float64 codecs for
** REAL, text codecs for TEXT, bytes codecs for any column.
**
** Options (ext/options.h): chunk_rows (1 .. 1048576), strict (on/off: the
** types must then be INT, INTEGER, REAL, TEXT, BLOB or ANY, and a value that
** does not fit its column after affinity is refused as in a STRICT table),
** like (a table whose columns and declared types this one takes; no columns
** are declared with it). Any other word is an error that names it.
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
  const char *start; /* where the token begins in the argument */
  int too_long;      /* the word did not fit text: an error, never cut */
  char text[256];    /* the word (unquoted), number or punctuation */
} token;

/* Reads the next token of *s into t and advances *s. */
static void next_token(const char **s, token *t) {
  const char *p = *s;
  while (*p && isspace((unsigned char)*p))
    p++;
  size_t n = 0;
  t->text[0] = 0;
  t->too_long = 0;
  t->start = p;
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

/* Whether upper-cased type contains word. */
static int type_has(const char *type, const char *word) {
  size_t n = strlen(word);
  for (const char *p = type; *p; p++)
    if (sqlite3_strnicmp(p, word, (int)n) == 0) return 1;
  return 0;
}

/* The affinity of a declared type, by SQLite's rules in this order
** (datatype3.html, 3.1): INT gives INTEGER; CHAR, CLOB or TEXT give TEXT;
** BLOB or no type give BLOB; REAL, FLOA or DOUB give REAL; anything else
** NUMERIC. */
static sqt_affinity type_affinity(const char *type) {
  if (type_has(type, "INT")) return SQT_AFF_INTEGER;
  if (type_has(type, "CHAR") || type_has(type, "CLOB") || type_has(type, "TEXT"))
    return SQT_AFF_TEXT;
  if (type_has(type, "BLOB") || !type[0]) return SQT_AFF_BLOB;
  if (type_has(type, "REAL") || type_has(type, "FLOA") || type_has(type, "DOUB"))
    return SQT_AFF_REAL;
  return SQT_AFF_NUMERIC;
}

/* Sets col's affinity and the class its chunk streams expect from its
** declared type. In a strict table the type must be one of STRICT's and
** sets what a value must be; returns 0 when it is not one. */
static int set_type(sqt_column *col, int strict) {
  col->aff = type_affinity(col->type);
  switch (col->aff) {
  case SQT_AFF_INTEGER:
    col->cls = SQZ_CLASS_INT;
    break;
  case SQT_AFF_REAL:
    col->cls = SQZ_CLASS_REAL;
    break;
  case SQT_AFF_TEXT:
    col->cls = SQZ_CLASS_TEXT;
    break;
  case SQT_AFF_BLOB:
    col->cls = col->type[0] ? SQZ_CLASS_BLOB : SQZ_CLASS_NULL;
    break;
  default:
    col->cls = SQZ_CLASS_NULL; /* NUMERIC: integers and reals, by chunk */
    break;
  }
  col->strict = SQZ_CLASS_NULL;
  if (!strict) return 1;
  static const struct {
    const char *name;
    sqz_class cls;
  } strict_types[] = {{"INT", SQZ_CLASS_INT},   {"INTEGER", SQZ_CLASS_INT},
                      {"REAL", SQZ_CLASS_REAL}, {"TEXT", SQZ_CLASS_TEXT},
                      {"BLOB", SQZ_CLASS_BLOB}, {"ANY", SQZ_CLASS_NULL}};
  for (size_t i = 0; i < sizeof strict_types / sizeof strict_types[0]; i++) {
    if (sqlite3_stricmp(col->type, strict_types[i].name) == 0) {
      col->strict = strict_types[i].cls;
      col->strict_any = strict_types[i].cls == SQZ_CLASS_NULL;
      if (col->strict_any) col->aff = SQT_AFF_BLOB; /* ANY keeps values as given */
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

/* Parses one column definition whose name token is t: the name, the type
** (every token up to CODEC or the end, as written) and the codec. */
static int parse_column(const char *s, token *t, sqt_column *col, int strict, char **pzErr) {
  const char *name = t->text;
  col->name = sqlite3_mprintf("%s", name);
  col->codec = NULL;
  col->level = 0;
  if (!col->name) return SQLITE_NOMEM;
  char names[1024];
  next_token(&s, t);
  const char *type_start = t->start, *type_end = t->start;
  while (t->type != TK_END && !(t->type == TK_WORD && sqlite3_stricmp(t->text, "CODEC") == 0)) {
    if (t->type == TK_BAD || t->too_long || (t->type == TK_PUNCT && !strchr("(),+-", t->text[0]))) {
      *pzErr =
          sqlite3_mprintf("squeeze: column %s: cannot read the type at '%s'", col->name, t->start);
      return SQLITE_ERROR;
    }
    next_token(&s, t);
    type_end = t->type == TK_END ? s : t->start;
  }
  while (type_end > type_start && isspace((unsigned char)type_end[-1]))
    type_end--;
  col->type = sqlite3_mprintf("%.*s", (int)(type_end - type_start), type_start);
  if (!col->type) return SQLITE_NOMEM;
  if (!set_type(col, strict)) {
    *pzErr = sqlite3_mprintf("squeeze: column %s: type '%s' is not one of a strict table's (INT, "
                             "INTEGER, REAL, TEXT, BLOB, ANY)",
                             col->name, col->type);
    return SQLITE_ERROR;
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
            col->cls == SQZ_CLASS_NULL ? (col->type[0] ? "NUMERIC" : "untyped") : col->type,
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
enum { OPT_CHUNK_ROWS, OPT_STRICT, OPT_LIKE, OPT_COUNT };
static const sqz_opt decl_options[OPT_COUNT] = {
    {"chunk_rows", SQZ_OPT_INT, 1, SQZ_CHUNK_ROWS_MAX, NULL},
    {"strict", SQZ_OPT_BOOL, 0, 1, NULL},
    {"like", SQZ_OPT_TEXT, 1, 255, NULL},
};

/* Whether argument s is an option (`key = ...`) rather than a column. */
static int is_option(const char *s) {
  token t, t2;
  next_token(&s, &t);
  next_token(&s, &t2);
  return t.type == TK_WORD && t2.type == TK_PUNCT && t2.text[0] == '=';
}

/* Checks the name of the column just added to d: not reserved, not a
** repeat. */
static int check_name(sqt_decl *d, char **pzErr) {
  const sqt_column *c = &d->col[d->ncol - 1];
  if (sqlite3_stricmp(c->name, SQT_COMMAND_COLUMN) == 0) {
    *pzErr =
        sqlite3_mprintf("squeeze: the column name %s is reserved for commands", SQT_COMMAND_COLUMN);
    return SQLITE_ERROR;
  }
  for (int j = 0; j < d->ncol - 1; j++) {
    if (sqlite3_stricmp(d->col[j].name, c->name) == 0) {
      *pzErr = sqlite3_mprintf("squeeze: duplicate column name: %s", c->name);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Takes the columns and declared types that s yields (rows of name, type)
** into d, each with codec auto; what names the source in messages. */
static int columns_from(sqlite3 *db, sqlite3_stmt *s, const char *what, int strict, int max_columns,
                        sqt_decl *d, char **pzErr) {
  int rc = SQLITE_OK, step;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    if (d->ncol >= max_columns) {
      *pzErr = sqlite3_mprintf("squeeze: too many columns in %s (at most %d)", what, max_columns);
      return SQLITE_ERROR;
    }
    sqt_column *c = &d->col[d->ncol++];
    const char *cname = (const char *)sqlite3_column_text(s, 0);
    const char *ctype = (const char *)sqlite3_column_text(s, 1);
    if (!cname || !cname[0] || strlen(cname) >= sizeof(((token *)0)->text)) {
      *pzErr = sqlite3_mprintf("squeeze: %s: a column name is missing or longer than %d bytes",
                               what, (int)sizeof(((token *)0)->text) - 1);
      return sqlite3_errcode(db) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    c->name = sqlite3_mprintf("%s", cname);
    c->type = sqlite3_mprintf("%s", ctype ? ctype : "");
    if (!c->name || !c->type) return SQLITE_NOMEM;
    if (!set_type(c, strict)) {
      *pzErr = sqlite3_mprintf("squeeze: column %s of %s: type '%s' is not one of a strict "
                               "table's (INT, INTEGER, REAL, TEXT, BLOB, ANY)",
                               c->name, what, c->type);
      return SQLITE_ERROR;
    }
    rc = check_name(d, pzErr);
    if (rc != SQLITE_OK) return rc;
  }
  if (step != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf("squeeze: %s: %s", what, sqlite3_errmsg(db));
    return step;
  }
  return SQLITE_OK;
}

/* xCreate with like: the columns and declared types of table like (len
** bytes; "table" or "schema.table", else in schema zDb) into d. */
static int columns_like(sqlite3 *db, const char *zDb, const char *like, size_t len, int strict,
                        int max_columns, sqt_decl *d, char **pzErr) {
  char *name = sqlite3_mprintf("%.*s", (int)len, like);
  char *what = sqlite3_mprintf("like = '%.*s'", (int)len, like);
  int rc = name && what ? SQLITE_OK : SQLITE_NOMEM;
  const char *table = name, *schema = zDb;
  char *dot = name ? strchr(name, '.') : NULL;
  if (dot) *dot = 0, schema = name, table = dot + 1;
  sqlite3_stmt *s = NULL;
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info(?1, ?2) ORDER BY cid", -1,
                            &s, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, schema, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = columns_from(db, s, what, strict, max_columns, d, pzErr);
  } else if (rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf("squeeze: %s: %s", what, sqlite3_errmsg(db));
  }
  if (rc == SQLITE_OK && d->ncol == 0) {
    *pzErr = sqlite3_mprintf("squeeze: %s: no such table", what);
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(s);
  sqlite3_free(name);
  sqlite3_free(what);
  return rc;
}

/* xConnect with like: the columns recorded in t_config when the table was
** created (sqt_decl_save_columns), so that the table keeps its shape
** whatever becomes of the other table. The file is input: the names and
** types are checked as a declaration's are. */
static int columns_saved(sqlite3 *db, const char *zDb, const char *zName, int strict,
                         int max_columns, sqt_decl *d, char **pzErr) {
  char *sql = sqlite3_mprintf("SELECT c.v, t.v FROM %Q.'%q_config' c LEFT JOIN %Q.'%q_config' t"
                              " ON t.k = 'type:' || substr(c.k, 8) WHERE c.k GLOB 'column:[0-9]*'"
                              " ORDER BY CAST(substr(c.k, 8) AS INTEGER)",
                              zDb, zName, zDb, zName);
  char *what = sqlite3_mprintf("table %s: the columns in %s_config", zName, zName);
  int rc = sql && what ? SQLITE_OK : SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc == SQLITE_OK) {
    rc = columns_from(db, s, what, strict, max_columns, d, pzErr);
  } else if (rc != SQLITE_NOMEM) {
    *pzErr = sqlite3_mprintf("squeeze: %s: %s", what, sqlite3_errmsg(db));
  }
  if (rc == SQLITE_OK && d->ncol == 0) {
    *pzErr = sqlite3_mprintf("squeeze: %s are missing", what);
    rc = SQLITE_CORRUPT_VTAB;
  }
  sqlite3_finalize(s);
  sqlite3_free(sql);
  sqlite3_free(what);
  return rc;
}

int sqt_decl_save_columns(sqlite3 *db, const char *zDb, const char *zName, const sqt_decl *d) {
  if (!d->like) return SQLITE_OK;
  char *sql =
      sqlite3_mprintf("INSERT INTO %Q.'%q_config'(k, v) VALUES (?1, ?2), (?3, ?4)", zDb, zName);
  if (!sql) return SQLITE_NOMEM;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  sqlite3_free(sql);
  for (int i = 0; i < d->ncol && rc == SQLITE_OK; i++) {
    char kname[32], ktype[32];
    snprintf(kname, sizeof kname, "column:%d", i);
    snprintf(ktype, sizeof ktype, "type:%d", i);
    sqlite3_bind_text(s, 1, kname, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, d->col[i].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, ktype, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, d->col[i].type, -1, SQLITE_STATIC);
    int step = sqlite3_step(s), reset = sqlite3_reset(s);
    rc = step == SQLITE_DONE ? SQLITE_OK : reset != SQLITE_OK ? reset : step;
  }
  sqlite3_finalize(s);
  return rc;
}

int sqt_decl_parse(sqlite3 *db, int isCreate, int argc, const char *const *argv, int max_columns,
                   sqt_decl *d, char **pzErr) {
  const char *zDb = argv[1], *zName = argv[2];
  memset(d, 0, sizeof(*d));
  d->chunk_rows = SQT_DEFAULT_CHUNK_ROWS;
  int rc = SQLITE_OK;
  /* the options first: strict and like shape the columns */
  sqz_opt_value opt[OPT_COUNT];
  memset(opt, 0, sizeof opt);
  int ncol = 0;
  for (int i = 3; i < argc && rc == SQLITE_OK; i++) {
    if (!is_option(argv[i])) {
      ncol++;
      continue;
    }
    char err[SQZ_OPT_ERROR_MAX];
    if (sqz_options_parse(argv[i], decl_options, OPT_COUNT, opt, err, sizeof err) != 0) {
      *pzErr = sqlite3_mprintf("squeeze: %s", err);
      rc = SQLITE_ERROR;
    }
  }
  if (rc != SQLITE_OK) return rc;
  if (opt[OPT_CHUNK_ROWS].set) d->chunk_rows = (uint32_t)opt[OPT_CHUNK_ROWS].v;
  d->strict = opt[OPT_STRICT].set && opt[OPT_STRICT].v;
  if (opt[OPT_LIKE].set && ncol > 0) {
    *pzErr = sqlite3_mprintf("squeeze: like takes the columns of another table; declare no "
                             "columns with it");
    return SQLITE_ERROR;
  }
  size_t cap = (size_t)(opt[OPT_LIKE].set ? max_columns : ncol) + 1;
  d->col = sqlite3_malloc64(sizeof(sqt_column) * cap);
  if (!d->col) return SQLITE_NOMEM;
  memset(d->col, 0, sizeof(sqt_column) * cap);
  d->like = opt[OPT_LIKE].set;
  if (d->like && isCreate)
    rc = columns_like(db, zDb, opt[OPT_LIKE].text, (size_t)opt[OPT_LIKE].v, d->strict, max_columns,
                      d, pzErr);
  else if (d->like)
    rc = columns_saved(db, zDb, zName, d->strict, max_columns, d, pzErr);
  for (int i = 3; i < argc && rc == SQLITE_OK; i++) {
    if (is_option(argv[i])) continue;
    const char *s = argv[i];
    token t;
    next_token(&s, &t);
    if (t.too_long) {
      *pzErr = sqlite3_mprintf("squeeze: name longer than %d bytes in '%s'", (int)sizeof t.text - 1,
                               argv[i]);
      rc = SQLITE_ERROR;
    } else if (t.type == TK_WORD) {
      sqt_column *c = &d->col[d->ncol++];
      rc = parse_column(s, &t, c, d->strict, pzErr);
      if (rc == SQLITE_OK) rc = check_name(d, pzErr);
    } else {
      *pzErr = sqlite3_mprintf("squeeze: cannot parse argument '%s'", argv[i]);
      rc = SQLITE_ERROR;
    }
  }
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
  for (int i = 0; i < d->ncol; i++) {
    sqlite3_free(d->col[i].name);
    sqlite3_free(d->col[i].type);
  }
  sqlite3_free(d->col);
  memset(d, 0, sizeof(*d));
}

char *sqt_decl_schema(const sqt_decl *d) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendall(s, "CREATE TABLE x(");
  for (int i = 0; i < d->ncol; i++) {
    /* the declared type as written: SQLite gives the column the same
    ** comparison affinity as the writes give its values */
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

/*
** fn_dict.c: squeeze_train_dict(name, query [, options]), which trains a
** zstd dictionary on the values a query returns and stores it in the
** database (docs/dictionaries.md).
**
**   SELECT squeeze_train_dict('birds', 'SELECT body FROM reports');   -- 1
**   UPDATE reports SET z = compress(body, 'zstd', 'dict=birds');
**   SELECT decompress(z) FROM reports;          -- finds dictionary 1 by itself
**   SELECT squeeze_train_dict('birds', 'SELECT body FROM reports',
**                             'size=64K,level=9,schema=aux');
**
** The query must be one read-only statement; the first column of each row
** is a sample when it is TEXT or BLOB (NULLs and numbers are skipped).
** Samples are chosen and the dictionary trained by codecs/training.c:
** deterministic, whatever order the rows come in. The result is a new row of
** <schema>.squeeze_dict (created on first use, dict_lookup.h has its
** declaration) whose id is returned: a name trained again gets a new id, and
** frames compressed with the old one keep finding it.
**
** Options: size (the dictionary's capacity, 256 bytes to 1 MiB, default
** 16K), level (the zstd level it is made for, -7..22, default 3; compress()
** uses it when given no level), sample_bytes (the most bytes of samples kept,
** default 100 times size), schema (where to store it, default main).
**
** The function writes, so it is registered SQLITE_DIRECTONLY: not from
** triggers, views or schema expressions. Its id, bytes and hash are a pure
** function of the query's values and the options; created_at is the time
** of the call.
*/
#include "dict_lookup.h"
#include "options.h"
#include "register.h"
#include "training.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#define FN "squeeze_train_dict"
#define DEFAULT_SIZE ((int64_t)16 << 10)
#define NAME_MAX_BYTES 200

enum { OPT_SIZE, OPT_LEVEL, OPT_SAMPLE_BYTES, OPT_SCHEMA, OPT_COUNT };

/* The parsed options. */
typedef struct train_options {
  size_t size;         /* dictionary capacity, bytes */
  int level;           /* zstd level */
  size_t sample_bytes; /* sampling budget, bytes */
  char *schema;        /* sqlite3_malloc'd */
} train_options;

/* Reads the options text (NULL: defaults) into *o. Sets an error on
** context and returns 0 when it is malformed or out of range. */
static int read_options(sqlite3_context *context, sqlite3_value *arg, train_options *o) {
  static const sqz_opt spec[OPT_COUNT] = {
      {"size", SQZ_OPT_SIZE, 256, SQZ_DICTIONARY_MAX, NULL}, /* ZDICT_DICTSIZE_MIN.. */
      {"level", SQZ_OPT_INT, SQZ_DICTIONARY_LEVEL_MIN, SQZ_DICTIONARY_LEVEL_MAX, NULL},
      {"sample_bytes", SQZ_OPT_SIZE, 1024, (int64_t)1 << 31, NULL},
      {"schema", SQZ_OPT_TEXT, 0, 128, NULL},
  };
  sqz_opt_value v[OPT_COUNT] = {{0, 0, NULL}};
  if (arg && sqlite3_value_type(arg) != SQLITE_NULL) {
    const char *text = (const char *)sqlite3_value_text(arg);
    if (!text) {
      sqlite3_result_error_nomem(context);
      return 0;
    }
    char err[SQZ_OPT_ERROR_MAX];
    if (sqz_options_parse(text, spec, OPT_COUNT, v, err, sizeof err) != 0) {
      sqz_result_errorf(context, FN, "%s", err);
      return 0;
    }
  }
  o->size = v[OPT_SIZE].set ? (size_t)v[OPT_SIZE].v : (size_t)DEFAULT_SIZE;
  o->level = v[OPT_LEVEL].set ? (int)v[OPT_LEVEL].v : 3;
  o->sample_bytes = v[OPT_SAMPLE_BYTES].set ? (size_t)v[OPT_SAMPLE_BYTES].v : 100 * o->size;
  o->schema = v[OPT_SCHEMA].set ? sqlite3_mprintf("%.*s", (int)v[OPT_SCHEMA].v, v[OPT_SCHEMA].text)
                                : sqlite3_mprintf("main");
  if (!o->schema) {
    sqlite3_result_error_nomem(context);
    return 0;
  }
  sqlite3_int64 limit = sqz_length_limit(sqlite3_context_db_handle(context));
  if ((sqlite3_int64)o->size > limit || (sqlite3_int64)o->sample_bytes > limit) {
    sqz_result_errorf(context, FN, "%s %lld is larger than the length limit (%lld bytes)",
                      (sqlite3_int64)o->size > limit ? "size" : "sample_bytes",
                      (long long)((sqlite3_int64)o->size > limit ? o->size : o->sample_bytes),
                      (long long)limit);
    sqlite3_result_error_code(context, SQLITE_TOOBIG);
    return 0;
  }
  return 1;
}

/* The name must be one that compress()'s options can name: 1 to
** NAME_MAX_BYTES bytes, without commas, quotes, '=' or white space at its
** ends. Sets an error and returns 0 otherwise. */
static int check_name(sqlite3_context *context, sqlite3_value *arg, const char **name) {
  if (sqlite3_value_type(arg) != SQLITE_TEXT) {
    sqz_result_errorf(context, FN, "name must be TEXT, not %s",
                      sqz_type_name(sqlite3_value_type(arg)));
    return 0;
  }
  *name = (const char *)sqlite3_value_text(arg);
  if (!*name) {
    sqlite3_result_error_nomem(context);
    return 0;
  }
  size_t n = strlen(*name);
  const char *s = *name;
  if (n == 0 || n > NAME_MAX_BYTES || strpbrk(s, ",'\"=") || s[0] == ' ' || s[n - 1] == ' ' ||
      s[0] == '\t' || s[n - 1] == '\t') {
    sqz_result_errorf(context, FN,
                      "name '%s' cannot be named in compress()'s options: give 1 to %d bytes "
                      "without commas, quotes, '=' or surrounding spaces",
                      s, NAME_MAX_BYTES);
    return 0;
  }
  return 1;
}

/* Runs query and offers the first column of each row to the sampler.
** Returns an SQLite code (errors set on context). */
static int sample_query(sqlite3_context *context, sqlite3 *db, const char *query,
                        sqz_sampler *sampler, sqlite3_int64 *skipped) {
  sqlite3_stmt *stmt = NULL;
  const char *tail = NULL;
  int rc = sqlite3_prepare_v2(db, query, -1, &stmt, &tail);
  if (rc != SQLITE_OK || !stmt) {
    if (rc == SQLITE_NOMEM) {
      sqlite3_result_error_nomem(context);
    } else {
      sqz_result_errorf(context, FN, "query: %s", rc == SQLITE_OK ? "empty" : sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? SQLITE_ERROR : rc;
  }
  while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
    tail++;
  if (tail && *tail) {
    sqz_result_errorf(context, FN, "query must be one statement; '%s' follows it", tail);
    sqlite3_finalize(stmt);
    return SQLITE_ERROR;
  }
  if (!sqlite3_stmt_readonly(stmt) || sqlite3_column_count(stmt) < 1) {
    sqz_result_errorf(context, FN, "query must be a SELECT that returns the values to train on");
    sqlite3_finalize(stmt);
    return SQLITE_ERROR;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int type = sqlite3_column_type(stmt, 0);
    if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
      (*skipped)++;
      continue;
    }
    const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(stmt, 0)
                                        : sqlite3_column_blob(stmt, 0);
    size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
    if ((!p && n > 0) || sqz_is_error(sqz_sampler_add(sampler, p, n))) {
      rc = SQLITE_NOMEM;
      break;
    }
  }
  if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  } else if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(context);
  } else {
    sqz_result_errorf(context, FN, "query: %s", sqlite3_errmsg(db));
    sqlite3_result_error_code(context, rc);
  }
  sqlite3_finalize(stmt);
  return rc;
}

/* Creates <schema>.squeeze_dict if needed and inserts the dictionary.
** Returns an SQLite code with *id, or sets an error on context. */
static int store(sqlite3_context *context, sqlite3 *db, const train_options *o, const char *name,
                 const void *dict, size_t size, const sqz_training_info *info, sqlite3_int64 *id) {
  char *sql = sqlite3_mprintf(SQZ_DICT_SCHEMA, o->schema, o->schema);
  if (!sql) {
    sqlite3_result_error_nomem(context);
    return SQLITE_NOMEM;
  }
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  sqlite3_free(sql);
  sqlite3_stmt *ins = NULL;
  if (rc == SQLITE_OK) {
    sql = sqlite3_mprintf("INSERT INTO \"%w\".squeeze_dict(name, bytes, hash, samples, "
                          "sample_bytes, level, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                          "strftime('%%Y-%%m-%%d %%H:%%M:%%S', 'now'))",
                          o->schema);
    rc = sql ? sqlite3_prepare_v2(db, sql, -1, &ins, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
  }
  if (rc == SQLITE_OK) {
    char hex[33];
    sqz_hash128_hex(sqz_dictionary_hash_of(dict, size), hex);
    sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(ins, 2, dict, size, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, hex, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 4, (sqlite3_int64)info->samples);
    sqlite3_bind_int64(ins, 5, (sqlite3_int64)info->sample_bytes);
    sqlite3_bind_int(ins, 6, o->level);
    /* the caller's last_insert_rowid() stays what its own statements made it */
    sqlite3_int64 last = sqlite3_last_insert_rowid(db);
    rc = sqlite3_step(ins);
    if (rc == SQLITE_DONE) {
      *id = sqlite3_last_insert_rowid(db);
      rc = SQLITE_OK;
    }
    sqlite3_set_last_insert_rowid(db, last);
  }
  if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(context);
  } else if (rc != SQLITE_OK) {
    sqz_result_errorf(context, FN, "storing the dictionary in %s." SQZ_DICT_TABLE ": %s", o->schema,
                      sqlite3_errmsg(db));
    sqlite3_result_error_code(context, rc);
  }
  sqlite3_finalize(ins);
  return rc;
}

/* squeeze_train_dict(name, query [, options]) -> INTEGER id. */
static void train_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  sqz_conn *c = sqlite3_user_data(context);
  sqlite3 *db = c->db;
  const char *name;
  if (!check_name(context, argv[0], &name)) return;
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
    sqz_result_errorf(context, FN, "query must be TEXT (a SELECT), not %s",
                      sqz_type_name(sqlite3_value_type(argv[1])));
    return;
  }
  const char *query = (const char *)sqlite3_value_text(argv[1]);
  if (!query) {
    sqlite3_result_error_nomem(context);
    return;
  }
  train_options o = {0, 0, 0, NULL};
  if (!read_options(context, argc > 2 ? argv[2] : NULL, &o)) {
    sqlite3_free(o.schema);
    return;
  }
  sqz_sampler *sampler = sqz_sampler_create(sqz_sqlite_allocator(), o.sample_bytes);
  void *dict = sqlite3_malloc64(o.size);
  sqlite3_int64 skipped = 0, id = 0;
  if (!sampler || !dict) {
    sqlite3_result_error_nomem(context);
  } else if (sample_query(context, db, query, sampler, &skipped) == SQLITE_OK) {
    sqz_training_info info;
    size_t n = sqz_sampler_train(sampler, dict, o.size, o.level, &info);
    if (info.values == 0 || info.sample_bytes == 0) {
      sqz_result_errorf(context, FN,
                        "the query returned no TEXT or BLOB values to train on (rows with "
                        "NULL or a number: %lld)",
                        (long long)skipped);
    } else if (sqz_error_of(n) == SQZ_ERROR_MEMORY) {
      sqlite3_result_error_nomem(context);
    } else if (sqz_is_error(n)) {
      sqz_result_errorf(context, FN,
                        "too few samples to train a dictionary: %lld values of %lld bytes in all "
                        "(ZDICT: %s); give it at least 7 values, and about 100 times the "
                        "dictionary size (here %lld bytes) for a useful one",
                        (long long)info.samples, (long long)info.sample_bytes,
                        info.zdict_error ? info.zdict_error : sqz_error_string(n),
                        (long long)(100 * o.size));
    } else if (store(context, db, &o, name, dict, n, &info, &id) == SQLITE_OK) {
      sqz_dicts_changed(c);
      sqlite3_result_int64(context, id);
    }
  }
  sqz_sampler_free(sampler);
  sqlite3_free(dict);
  sqlite3_free(o.schema);
}

int sqz_register_dict(sqlite3 *db, sqz_conn *c) {
  int rc = SQLITE_OK;
  for (int nargs = 2; nargs <= 3 && rc == SQLITE_OK; nargs++)
    rc = sqlite3_create_function_v2(db, FN, nargs, SQLITE_UTF8 | SQLITE_DIRECTONLY, sqz_conn_ref(c),
                                    train_func, NULL, NULL, sqz_conn_unref);
  return rc;
}

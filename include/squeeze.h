/*
** squeeze.h: the public C header of squeeze, the SQLite compression extension.
**
** squeeze's interface is SQL: compress(), decompress(), the time-series codecs,
** codec_bench and the squeeze virtual table (README.md, docs/). From C there is
** one thing to call, the extension's entry point, in one of two ways.
**
** Loaded at run time from the shared object (nothing to link):
**
**   sqlite3_enable_load_extension(db, 1);
**   sqlite3_load_extension(db, "/usr/local/lib/squeeze", NULL, &zErr);
**
** Linked statically from libsqueeze.a, registered for every connection that
** the program opens afterwards:
**
**   #include <sqlite3.h>
**   #include <squeeze.h>
**
**   sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
**   sqlite3_open(":memory:", &db);      -- compress() etc. are there
**
**   gcc app.c $(pkg-config --static --libs squeeze) -lsqlite3
**
** (examples/c/hello.c is a complete program; squeeze.pc's Libs.private names
** zstd, lz4 and xxHash, which libsqueeze.a needs. SQLite itself is not in
** squeeze.pc: the program chooses which SQLite it links, the system's
** -lsqlite3 or its own sqlite3.c.)
**
** What is public, and what is not. This header declares the entry point and
** the version; nothing else in squeeze is an interface for C programs. The
** codec and frame functions of codecs/ (sqz_frame_compress() and the rest) are
** internal: their arguments (the scratch pool, the codec descriptors, the
** error codes) change as the codecs do, they are compiled with hidden
** visibility, and the shared object exports sqlite3_squeeze_init alone. A C
** program compresses through SQL, with a prepared statement such as
** "SELECT compress(?1, 'zstd', 19)"; the bytes it gets back are the stable
** frame format of docs/format.md, which every later release reads.
**
** This header needs <sqlite3.h> (for sqlite3 and sqlite3_api_routines) and
** nothing from squeeze's build tree.
*/
#ifndef SQUEEZE_H
#define SQUEEZE_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of squeeze this header belongs to. At run time the loaded
** extension answers SELECT squeeze_version() (the same text) and
** SELECT squeeze_debug() (its build and the library versions it runs with). */
#define SQUEEZE_VERSION_MAJOR 0
#define SQUEEZE_VERSION_MINOR 1
#define SQUEEZE_VERSION_PATCH 0
#define SQUEEZE_VERSION "0.1.0"
/* MAJOR*10000 + MINOR*100 + PATCH, for #if comparisons. */
#define SQUEEZE_VERSION_NUMBER                                                                     \
  (SQUEEZE_VERSION_MAJOR * 10000 + SQUEEZE_VERSION_MINOR * 100 + SQUEEZE_VERSION_PATCH)

/* SQZ_API marks the symbols the shared object exports. squeeze is compiled
** with -fvisibility=hidden, so everything without it stays inside the library. */
#if defined(_WIN32)
#define SQZ_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define SQZ_API __attribute__((visibility("default")))
#else
#define SQZ_API
#endif

/*
** sqlite3_squeeze_init: registers squeeze's SQL functions, table-valued
** functions and the squeeze virtual table module on db.
**
** db:       the connection; every registration lives until it closes.
** pzErrMsg: unused; squeeze reports failure through the return code only,
**           so *pzErrMsg is never set and there is nothing to free.
** pApi:     the routines of the SQLite that loads the extension, as
**           sqlite3_load_extension() passes them. Linked statically
**           (libsqueeze.a is compiled with SQLITE_CORE) it is ignored and may
**           be NULL.
**
** Returns SQLITE_OK, SQLITE_NOMEM when the connection's state cannot be
** allocated, or the error code of the registration that failed (a
** registration that failed leaves the ones before it in place; SQLite then
** reports the failed load or open). It allocates through sqlite3_malloc64 and
** frees everything it allocated when db closes.
**
** sqlite3_auto_extension() takes the function as void (*)(void):
**   sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
*/
SQZ_API int sqlite3_squeeze_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif /* SQUEEZE_H */

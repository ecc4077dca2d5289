/*
** fn_debug.c: squeeze_debug(), what this build of squeeze is and what it runs with.
**
**   SELECT squeeze_debug();
**
**   squeeze 0.1.0
**   built Dec  4 2025 18:35:12 with gcc 12.2.0 (loadable extension)
**   sqlite 3.40.1 (compiled against 3.40.1)
**   zstd 1.5.4 (compiled against 1.5.4)
**   lz4 1.9.4 (compiled against 1.9.4)
**   xxhash 0.8.1 (compiled against 0.8.1)
**
** One line per item, separated by '\n', no trailing newline. The first word of
** each library line is its name; the version after it is the one running in
** this process (sqlite3_libversion(), ZSTD_versionString(), LZ4_versionString(),
** XXH_versionNumber()), the one in parentheses that of the headers squeeze was
** compiled against. The two differ when the shared libraries were upgraded
** after the build, or when a program loads the extension into an SQLite other
** than the system's (the sqlite line then names the host's SQLite).
**
** "loadable extension" is build/squeeze.so; "static library" is libsqueeze.a,
** compiled with SQLITE_CORE. The build date is __DATE__ and __TIME__, which
** gcc and clang take from SOURCE_DATE_EPOCH when it is set, for reproducible
** builds.
**
** Registered SQLITE_UTF8 | SQLITE_INNOCUOUS, not SQLITE_DETERMINISTIC: the text
** is constant within a process but not a function of the arguments across
** builds and library upgrades, so it has no place in an index expression or a
** generated column; it may appear in views and triggers.
*/
#include "register.h"
SQLITE_EXTENSION_INIT3

#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#ifdef SQLITE_CORE
#define SQZ_BUILD_KIND "static library"
#else
#define SQZ_BUILD_KIND "loadable extension"
#endif

#if defined(__clang__)
#define SQZ_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define SQZ_COMPILER "gcc " __VERSION__
#else
#define SQZ_COMPILER "an unknown compiler"
#endif

/* squeeze_debug() -> TEXT, the lines above. Takes no arguments; fails only
** with SQLITE_NOMEM. */
static void debug_func(sqlite3_context *context, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  unsigned xxh = XXH_versionNumber();
  char *text = sqlite3_mprintf("squeeze %s\n"
                               "built %s %s with %s (%s)\n"
                               "sqlite %s (compiled against %s)\n"
                               "zstd %s (compiled against %s)\n"
                               "lz4 %s (compiled against %s)\n"
                               "xxhash %u.%u.%u (compiled against %u.%u.%u)",
                               SQUEEZE_VERSION, __DATE__, __TIME__, SQZ_COMPILER, SQZ_BUILD_KIND,
                               sqlite3_libversion(), SQLITE_VERSION, ZSTD_versionString(),
                               ZSTD_VERSION_STRING, LZ4_versionString(), LZ4_VERSION_STRING,
                               xxh / 10000, xxh / 100 % 100, xxh % 100, XXH_VERSION_MAJOR,
                               XXH_VERSION_MINOR, XXH_VERSION_RELEASE);
  if (!text) {
    sqlite3_result_error_nomem(context);
    return;
  }
  sqlite3_result_text(context, text, -1, sqlite3_free);
}

int sqz_register_debug(sqlite3 *db, sqz_conn *c) {
  (void)c; /* nothing per connection: holds no reference */
  return sqlite3_create_function_v2(db, "squeeze_debug", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
                                    debug_func, NULL, NULL, NULL);
}

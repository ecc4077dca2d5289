/* hello.c: squeeze linked statically into a C program.
**   gcc hello.c $(pkg-config --static --libs squeeze) -lsqlite3 && ./a.out */
#include <sqlite3.h>
#include <squeeze.h>
#include <stdio.h>

int main(void) {
  sqlite3 *db;
  sqlite3_stmt *stmt;
  /* every connection opened from now on has squeeze's functions */
  sqlite3_auto_extension((void (*)(void))sqlite3_squeeze_init);
  if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT decompress(compress('hello, squeeze')), squeeze_version()",
                         -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    fprintf(stderr, "%s\n", sqlite3_errmsg(db));
    return 1;
  }
  printf("%s (squeeze %s)\n", sqlite3_column_text(stmt, 0), sqlite3_column_text(stmt, 1));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return 0;
}

#!/bin/sh
# The shared object exports sqlite3_squeeze_init and nothing else (-fvisibility=hidden
# plus SQZ_API), and include/squeeze.h stands alone in C and C++.
. tests/pkg/lib.sh

exports=$(nm -D --defined-only "$BUILD/squeeze.so" | awk '{ print $2 " " $3 }')
same "squeeze.so exports one function, sqlite3_squeeze_init (nm -D --defined-only)" \
  "T sqlite3_squeeze_init" "$exports"

static=$(nm --defined-only "$BUILD/libsqueeze.a" 2>/dev/null | awk '$2 == "T" && $3 == "sqlite3_squeeze_init"')
check "libsqueeze.a defines sqlite3_squeeze_init" test -n "$static"

tmpdir
printf '#include <squeeze.h>\nint (*f)(sqlite3 *, char **, const sqlite3_api_routines *) = sqlite3_squeeze_init;\n' \
  > "$TMP/h.c"
check "include/squeeze.h compiles alone as C (-Wall -Wextra -pedantic -Werror)" \
  gcc -std=c99 -Wall -Wextra -pedantic -Werror -Iinclude -fsyntax-only "$TMP/h.c"
check "include/squeeze.h compiles alone as C++" \
  g++ -x c++ -Wall -Wextra -Werror -Iinclude -fsyntax-only "$TMP/h.c"

finish

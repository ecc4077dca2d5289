#!/bin/sh
# make install and make uninstall into temporary directories (PREFIX, then DESTDIR with
# PREFIX), squeeze.pc through pkg-config, and README's C example built with README's
# exact command line against the installed static library.
. tests/pkg/lib.sh
tmpdir
mk() { make -s --no-print-directory BUILD="$BUILD" "$@" >"$TMP/make.log" 2>&1 || cat "$TMP/make.log"; }
version=$(sed -n 's/^#define SQUEEZE_VERSION "\(.*\)"$/\1/p' include/squeeze.h)

# 1. PREFIX: a tree as /usr/local would be.
P=$TMP/prefix
mk install PREFIX="$P"
files=$(cd "$P" && find . -type f | sort | tr '\n' ' ')
same "make install PREFIX= installs exactly the four files" \
  "./include/squeeze.h ./lib/libsqueeze.a ./lib/pkgconfig/squeeze.pc ./lib/squeeze.so " "$files"
check "installed squeeze.so is build/squeeze.so" cmp -s "$BUILD/squeeze.so" "$P/lib/squeeze.so"
check "installed libsqueeze.a is build/libsqueeze.a" cmp -s "$BUILD/libsqueeze.a" "$P/lib/libsqueeze.a"
check "installed squeeze.h is include/squeeze.h" cmp -s include/squeeze.h "$P/include/squeeze.h"

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
same "pkg-config --modversion squeeze is SQUEEZE_VERSION" "$version" \
  "$(pkg-config --modversion squeeze 2>&1)"
same "pkg-config --static --libs squeeze: the library, then zstd, lz4, xxHash" \
  "-L$P/lib -lsqueeze -lzstd -llz4 -lxxhash -lm" "$(pkg-config --static --libs squeeze 2>&1 | sed 's/ *$//')"
same "pkg-config --libs squeeze (shared use: no private libraries)" \
  "-L$P/lib -lsqueeze" "$(pkg-config --libs squeeze 2>&1 | sed 's/ *$//')"
same "pkg-config --cflags squeeze" "-I$P/include" "$(pkg-config --cflags squeeze 2>&1 | sed 's/ *$//')"

# 2. README's C program, compiled with README's line. The header and library are found
# through the environment, as /usr/local's would be by default: PKG_CONFIG_PATH above
# and C_INCLUDE_PATH.
line='gcc app.c $(pkg-config --static --libs squeeze) -lsqlite3'
check "README shows the build line: $line" grep -qxF "$line" README.md
readme code c > "$TMP/readme.c"
check "README's C program is examples/c/hello.c" cmp -s "$TMP/readme.c" examples/c/hello.c
mkdir "$TMP/app"
cp examples/c/hello.c "$TMP/app/app.c"
if (cd "$TMP/app" && C_INCLUDE_PATH="$P/include" sh -c "$line") >"$TMP/gcc.log" 2>&1; then
  ok "app.c builds with: $line"
else
  not_ok "app.c builds with: $line"
  sed 's/^/  /' "$TMP/gcc.log"
fi
check "a.out does not load squeeze.so (libsqueeze.a is linked in)" \
  sh -c "! ldd '$TMP/app/a.out' | grep -q squeeze"
same "a.out prints README's output" "$(readme output-line "$line")" "$(cd "$TMP/app" && ./a.out 2>&1)"

mk uninstall PREFIX="$P"
same "make uninstall PREFIX= removes every file install put" "" "$(find "$P" -type f)"

# 3. DESTDIR: staged for a package; squeeze.pc names PREFIX, not the staging root.
D=$TMP/stage
mkdir -p "$D/opt/sq/lib" "$D/opt/sq/include"
echo keep >"$D/opt/sq/lib/other.so"
echo keep >"$D/opt/sq/include/other.h"
mk install DESTDIR="$D" PREFIX=/opt/sq
files=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
same "make install DESTDIR= PREFIX= stages the four files under DESTDIR" \
  "./opt/sq/include/other.h ./opt/sq/include/squeeze.h ./opt/sq/lib/libsqueeze.a ./opt/sq/lib/other.so ./opt/sq/lib/pkgconfig/squeeze.pc ./opt/sq/lib/squeeze.so " \
  "$files"
same "the staged squeeze.pc says prefix=/opt/sq" "prefix=/opt/sq" \
  "$(grep '^prefix=' "$D/opt/sq/lib/pkgconfig/squeeze.pc")"
mk uninstall DESTDIR="$D" PREFIX=/opt/sq
files=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
same "make uninstall DESTDIR= PREFIX= removes only what install put" \
  "./opt/sq/include/other.h ./opt/sq/lib/other.so " "$files"

finish

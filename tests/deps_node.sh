#!/bin/sh
# Installs bindings/node's npm packages from its package-lock.json (npm ci): better-sqlite3,
# which the Node tests (tests/node, tests/pkg/test_node.sh) load squeeze into. Needs Node 20
# or newer (better-sqlite3 12); as root it installs Debian's nodejs and npm when there is no
# node at all.
#
# better-sqlite3's install script (allowed in package.json's allowScripts) first looks for
# a prebuilt binary on GitHub and, when there is none or no network, compiles its own
# SQLite with node-gyp. node-gyp needs Node's headers: npm_config_nodedir points it at the
# headers installed with node (/usr/include/node), so nothing is downloaded.
#
# Then tests/node's own packages, from its package-lock.json: libsql (libSQL's embedded
# library, a prebuilt binary per platform) and, on Linux x86-64, @flydotio/litestream-linux-x64
# (the Litestream 0.3.13 binary, an optional dependency npm skips on other machines), for
# tests/node/test_libsql.js, test_litestream.js and make demo's last section.
#
#   sh tests/deps_node.sh          both
#   sh tests/deps_node.sh tests    tests/node's only (make demo's Litestream section)
tests=$(cd "$(dirname "$0")" && pwd)
cd "$tests/../bindings/node" || exit 1

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "make deps: installing nodejs npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null || exit 1
  else
    echo "make deps: node and npm are missing; run: sudo apt-get install -y nodejs npm"
    exit 1
  fi
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "make deps: better-sqlite3 12 (the Node test) needs Node 20 or newer; this is $(node --version)"
  exit 1
fi

# tests/node: npm ci unless already installed from this lockfile; then, where npm installs
# Litestream (Linux x86-64), it must run.
tests_node() {
  cd "$tests/node" || exit 1
  if ! [ node_modules/.package-lock.json -nt package-lock.json ] ||
     ! [ -f node_modules/libsql/package.json ]; then
    echo "make deps: npm ci in tests/node (libsql, litestream)"
    npm ci --no-audit --no-fund --loglevel=error || exit 1
  fi
  if [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ]; then
    node_modules/@flydotio/litestream-linux-x64/litestream version >/dev/null || {
      echo "make deps: tests/node/node_modules/@flydotio/litestream-linux-x64/litestream does not run"
      exit 1
    }
  fi
  exit 0
}

[ "${1:-}" = tests ] && tests_node

# Already installed from this lockfile: nothing to do.
if [ -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ] &&
   [ node_modules/.package-lock.json -nt package-lock.json ]; then
  tests_node
fi

prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node_version.h" ]; then
  export npm_config_nodedir="$prefix"
fi
echo "make deps: npm ci in bindings/node (better-sqlite3; compiling it takes a minute or two)"
npm ci --no-audit --no-fund --loglevel=error || exit 1
[ -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ] || {
  echo "make deps: better-sqlite3 was not built (install scripts disabled?)"
  exit 1
}
tests_node

# tests/pkg/lib.sh: sourced by every tests/pkg/test_*.sh, which run from the repository
# root with BUILD set (build/ by default). Each check prints one line, "ok - what" or
# "not ok - what"; tests/run_all.sh counts them. A script ends with `finish`, which exits
# 1 when a check failed.
BUILD=${BUILD:-build}
ROOT=$(pwd)
failures=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failures=$((failures + 1)); }

# check "what" command args...: ok when the command succeeds.
check() {
  what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# same "what" expected actual: ok when the two texts are equal, else both are shown.
same() {
  if [ "$2" = "$3" ]; then ok "$1"; else
    not_ok "$1"
    printf '  expected: %s\n  got:      %s\n' "$2" "$3"
  fi
}

# A fresh temporary directory, removed when the script exits.
tmpdir() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/squeeze-pkg.XXXXXX") || exit 1
  trap 'rm -rf "$TMP"' EXIT
}

# README's fenced blocks: readme code LANG [N], readme output LANG [N], readme output-line
# LINE (tests/pkg/readme_block.py says what each prints).
readme() { /usr/bin/python3 tests/pkg/readme_block.py "$@"; }

finish() { [ "$failures" -eq 0 ]; exit $?; }

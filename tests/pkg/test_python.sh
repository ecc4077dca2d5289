#!/bin/sh
# bindings/python: the package that `make python` stages in build/python is built into a
# wheel and installed (pip, offline, Debian's /usr/bin/python3), then README's Python
# example runs against the installed package and must print what README shows.
. tests/pkg/lib.sh
tmpdir
PY=/usr/bin/python3
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
export PYTHONDONTWRITEBYTECODE=1  # nothing written into bindings/python

# The wheel is built from a copy, so that pip's build files stay out of build/python.
cp -R "$BUILD/python" "$TMP/src"
rm -rf "$TMP/src/build" "$TMP/src"/*.egg-info
if $PY -m pip wheel -q --no-index --no-build-isolation --no-deps -w "$TMP/dist" "$TMP/src" \
    >"$TMP/pip.log" 2>&1; then
  ok "pip wheel builds the package of build/python offline"
else
  not_ok "pip wheel builds the package of build/python offline"
  sed 's/^/  /' "$TMP/pip.log" | tail -20
fi
wheel=$(ls "$TMP"/dist/*.whl 2>/dev/null)
same "the wheel is tagged for this platform, any Python 3 (py3-none-linux_<arch>)" \
  "sqlite_squeeze-$(sed -n 's/^version = "\(.*\)"$/\1/p' bindings/python/pyproject.toml)-py3-none-linux_$(uname -m).whl" \
  "$(basename "$wheel")"
check "the wheel holds squeeze/squeeze.so" $PY -c \
  'import sys, zipfile; sys.exit("squeeze/squeeze.so" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
  "$wheel"
check "pip installs the wheel" \
  $PY -m pip install -q --no-index --no-deps --target "$TMP/site" "$wheel"

# README's example, run from an empty directory with only the installed package on the path.
readme code python > "$TMP/example.py"
check "README has a Python example" test -s "$TMP/example.py"
same "README's Python example prints what README shows" "$(readme output python)" \
  "$(cd "$TMP" && PYTHONPATH="$TMP/site" $PY example.py 2>&1)"

cat > "$TMP/checks.py" <<'PYEOF'
import os, sqlite3, sys
import squeeze

root, site = sys.argv[1], sys.argv[2]
def report(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

path = squeeze.loadable_path()
report(path == os.path.join(site, "squeeze", "squeeze.so") and os.path.isfile(path),
       "loadable_path() is the squeeze.so inside the installed package")
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
squeeze.load(db)
running = db.execute("SELECT squeeze_version()").fetchone()[0]
with open(os.path.join(root, "bindings", "python", "pyproject.toml")) as f:
    project = [l.split('"')[1] for l in f if l.startswith("version = ")][0]
report(squeeze.__version__ == running == project,
       f"__version__ ({squeeze.__version__}), pyproject.toml ({project}) and "
       f"squeeze_version() ({running}) agree")
report(db.execute("SELECT decompress(compress(zeroblob(100000), 'lz4'))").fetchone()[0]
       == bytes(100000), "the loaded extension round-trips a BLOB")
PYEOF
(cd "$TMP" && PYTHONPATH="$TMP/site" $PY checks.py "$ROOT" "$TMP/site" 2>&1) > "$TMP/checks.log"
cat "$TMP/checks.log"
grep -q '^ok - ' "$TMP/checks.log" || not_ok "the Python checks ran"
failures=$((failures + $(grep -c '^not ok - ' "$TMP/checks.log")))

# Without the staged .so (the bare source tree), loadable_path() says what to do.
msg=$(cd "$TMP" && PYTHONPATH="$ROOT/bindings/python" $PY -c \
  'import squeeze
try:
    squeeze.loadable_path()
except FileNotFoundError as e:
    print("FileNotFoundError", "make python" in str(e))' 2>&1)
same "bindings/python without squeeze.so: loadable_path() raises FileNotFoundError naming make python" \
  "FileNotFoundError True" "$msg"

finish

#!/bin/sh
# bindings/node: the package that `make node` stages in build/node/sqlite-squeeze is packed
# with npm pack and installed offline into a temporary project next to better-sqlite3
# (which make deps installs in bindings/node/node_modules), then README's Node example runs
# there and must print what README shows.
. tests/pkg/lib.sh
tmpdir
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
BS3=bindings/node/node_modules/better-sqlite3

v=$(node -p 'require("./'$BS3'/package.json").version' 2>/dev/null)
same "better-sqlite3 12.x is installed in bindings/node (make deps)" "12" "${v%%.*}"
check "better-sqlite3's native module is built" test -f "$BS3/build/Release/better_sqlite3.node"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  check "bindings/node/node_modules is ignored by git" git check-ignore -q bindings/node/node_modules
fi

# npm pack: the tarball holds the loader and the extension.
if (cd "$BUILD/node/sqlite-squeeze" && npm pack --silent --pack-destination "$TMP") \
    >"$TMP/pack.log" 2>&1; then
  ok "npm pack packs build/node/sqlite-squeeze"
else
  not_ok "npm pack packs build/node/sqlite-squeeze"
  sed 's/^/  /' "$TMP/pack.log"
fi
tgz=$(ls "$TMP"/sqlite-squeeze-*.tgz 2>/dev/null)
same "the tarball holds index.js, index.d.ts, package.json and squeeze.so" \
  "package/index.d.ts package/index.js package/package.json package/squeeze.so" \
  "$(tar -tzf "$tgz" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')"

# A project of a user: the tarball installed offline, better-sqlite3 linked in.
mkdir "$TMP/app"
echo '{"name": "app", "version": "1.0.0", "private": true}' > "$TMP/app/package.json"
if (cd "$TMP/app" && npm install --offline --no-save --silent "$tgz") >"$TMP/install.log" 2>&1; then
  ok "npm install of the tarball, offline"
else
  not_ok "npm install of the tarball, offline"
  sed 's/^/  /' "$TMP/install.log"
fi
ln -s "$ROOT/$BS3" "$TMP/app/node_modules/better-sqlite3"
readme code js > "$TMP/app/example.js"
check "README has a Node example" test -s "$TMP/app/example.js"
same "README's Node example prints what README shows" "$(readme output js)" \
  "$(cd "$TMP/app" && node example.js 2>&1)"

cat > "$TMP/app/checks.js" <<'JSEOF'
const path = require('node:path');
const Database = require('better-sqlite3');
const squeeze = require('sqlite-squeeze');
const [root, app] = process.argv.slice(2);
const report = (ok, what) => console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);

report(squeeze.getLoadablePath() ===
       path.join(app, 'node_modules', 'sqlite-squeeze', 'squeeze.so'),
       'getLoadablePath() is the squeeze.so inside the installed package');
const db = new Database(':memory:');
squeeze.load(db);
const running = db.prepare('SELECT squeeze_version()').pluck().get();
const pkg = require(path.join(root, 'bindings', 'node', 'package.json')).version;
report(pkg === running, `package.json (${pkg}) and squeeze_version() (${running}) agree`);
const blob = db.prepare("SELECT decompress(compress(zeroblob(100000), 'lz4'))").pluck().get();
report(Buffer.isBuffer(blob) && blob.length === 100000 && blob.every((b) => b === 0),
       'the loaded extension round-trips a BLOB');
JSEOF
(cd "$TMP/app" && node checks.js "$ROOT" "$TMP/app" 2>&1) > "$TMP/checks.log"
cat "$TMP/checks.log"
grep -q '^ok - ' "$TMP/checks.log" || not_ok "the Node checks ran"
failures=$((failures + $(grep -c '^not ok - ' "$TMP/checks.log")))

# The bare source tree has no squeeze.so: getLoadablePath() says what to do.
msg=$(node -e 'try { require("./bindings/node").getLoadablePath(); console.log("no error"); }
               catch (e) { console.log(String(e.message.includes("make node"))); }' 2>&1)
same "bindings/node without squeeze.so: getLoadablePath() throws, naming make node" "true" "$msg"

finish

#!/bin/sh
# Replicates SQLite databases with Litestream to a local file replica, restores each, and
# prints how many bytes Litestream shipped (its snapshot and WAL files, which it compresses
# with LZ4) beside the database file's size. make demo runs it on the demo's two birdstrikes
# databases; make bench on the 1M-row gen_ts series (bench/litestream.sh).
#
#   sh sql/litestream_ship.sh WORKDIR DB...
#
# Each DB is copied into WORKDIR (so the original is left as it is), switched to WAL mode
# (Litestream needs it) and replicated to WORKDIR/replica/NAME by `litestream replicate`, which
# runs until every replica holds a snapshot; then `litestream restore` writes
# WORKDIR/NAME.restored.db, which is checked with PRAGMA integrity_check, squeeze_check on each
# squeeze table, and against the original: the same .dump (every table, shadow tables too;
# Litestream's own two tables aside). Litestream is the binary make deps installs
# (tests/node/node_modules, npm @flydotio/litestream-linux-x64; LITESTREAM= another).
cd "$(dirname "$0")/.." || exit 1
LITESTREAM=${LITESTREAM:-tests/node/node_modules/@flydotio/litestream-linux-x64/litestream}
if [ "$(uname -s)/$(uname -m)" != Linux/x86_64 ] && [ "$LITESTREAM" = "${LITESTREAM%/*}/litestream" ] &&
   ! "$LITESTREAM" version >/dev/null 2>&1; then
  echo "Litestream: skipped, npm's @flydotio/litestream-linux-x64 runs on Linux x86-64 only (LITESTREAM= another binary)"
  exit 0
fi
if ! "$LITESTREAM" version >/dev/null 2>&1; then
  sh tests/deps_node.sh tests || exit 1
fi
work=$1
shift
rm -rf "$work"
mkdir -p "$work/replica"
work=$(cd "$work" && pwd)
config="$work/litestream.yml"
echo "dbs:" > "$config"
for db in "$@"; do
  name=$(basename "$db" .db)
  cp "$db" "$work/$name.db" || exit 1
  sqlite3 "$work/$name.db" 'PRAGMA journal_mode = WAL' >/dev/null || exit 1
  printf '  - path: %s\n    replicas:\n      - type: file\n        path: %s\n' \
    "$work/$name.db" "$work/replica/$name" >> "$config"
done
# -exec: Litestream replicates while the command runs, and stops (flushing) when it exits.
wait_cmd="sh -c 'for i in \$(seq 600); do n=\$(find $work/replica -path \"*/snapshots/*\" -type f | wc -l); [ \$n -ge $# ] && exit 0; sleep 0.1; done; exit 1'"
"$LITESTREAM" replicate -config "$config" -exec "$wait_cmd" > "$work/litestream.log" 2>&1 || {
  echo "litestream replicate failed:"; cat "$work/litestream.log"; exit 1
}
echo "Litestream $("$LITESTREAM" version): what it shipped to a file replica, and the restored copy"
printf '%-28s %14s %14s  %s\n' database "file bytes" "shipped bytes" "restored copy"
status=0
for db in "$@"; do
  name=$(basename "$db" .db)
  out="$work/$name.restored.db"
  "$LITESTREAM" restore -o "$out" "file://$work/replica/$name" >> "$work/litestream.log" 2>&1 || {
    echo "litestream restore failed:"; cat "$work/litestream.log"; exit 1
  }
  shipped=$(find "$work/replica/$name" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  size=$(stat -c %s "$db")
  checks=$(sqlite3 -cmd '.load build/squeeze' "$out" "
    SELECT 'integrity_check ' || (SELECT group_concat(integrity_check) FROM pragma_integrity_check)
      || coalesce((SELECT ', squeeze_check ' || group_concat(squeeze_check(name))
                   FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE % USING squeeze%'), '')") || exit 1
  # Litestream adds its two tables _litestream_seq and _litestream_lock.
  if [ "$(sqlite3 "$out" .dump | grep -v '^CREATE TABLE _litestream_' | cksum)" = \
       "$(sqlite3 "$db" .dump | cksum)" ]; then
    checks="$checks, same .dump as the original"
  else
    checks="$checks, .dump DIFFERS from the original"; status=1
  fi
  printf '%-28s %14s %14s  %s\n' "$name" "$size" "$shipped" "$checks"
done
exit $status

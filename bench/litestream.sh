#!/bin/sh
# Bytes Litestream ships to a replica for a squeeze table against a plain table with the same
# rows: the 1M-row gen_ts series (examples/gen_ts.c; ts INTEGER, val REAL, two decimals:
# build/ts/ts_2dp.csv, and SERIES=full for the full-precision walk, build/ts/ts_full.csv).
#
#   sh bench/litestream.sh          (make bench runs it; needs make build/ts/ts.i64 and make deps)
#
# Two measurements, each for both tables, on a file replica (Litestream 0.3.13, the binary
# make deps installs):
#   snapshot   the finished database replicated and restored (sql/litestream_ship.sh): what a
#              new replica receives
#   streaming  the rows written in 100 transactions of 10,000 rows while `litestream replicate`
#              runs (its -exec runs the writer, after 1.5 s and followed by 1.5 s so that
#              Litestream, at its default 1 s sync interval, ships everything), then everything
#              in the replica: snapshot and every WAL segment shipped during the load; the
#              restored copy must hold the 1M rows
# Bytes are the replica's file sizes (Litestream compresses both kinds with LZ4).
cd "$(dirname "$0")/.." || exit 1
LITESTREAM=${LITESTREAM:-tests/node/node_modules/@flydotio/litestream-linux-x64/litestream}
series=${SERIES:-2dp}
csv=build/ts/ts_$series.csv
[ -f "$csv" ] || { echo "bench/litestream.sh: $csv missing; run make build/ts/ts.i64"; exit 1; }
work=build/bench/litestream
rm -rf "$work"
mkdir -p "$work"

# The two databases, each loaded in one transaction.
for kind in squeeze plain; do
  if [ $kind = squeeze ]; then decl="CREATE VIRTUAL TABLE series USING squeeze(ts INTEGER, val REAL)"
  else decl="CREATE TABLE series(ts INTEGER, val REAL)"; fi
  sqlite3 -cmd '.load build/squeeze' "$work/${kind}_$series.db" "$decl" \
    ".import --csv --skip 1 $csv series" || exit 1
done
echo "== snapshot: the finished databases (1M rows, $csv)"
sh sql/litestream_ship.sh "$work/snapshot" "$work/squeeze_$series.db" "$work/plain_$series.db" || exit 1

echo "== streaming: 100 transactions of 10,000 rows while litestream replicate runs"
printf '%-28s %14s %14s\n' database "file bytes" "shipped bytes"
for kind in squeeze plain; do
  dir="$work/stream_$kind"
  mkdir -p "$dir"
  db="$dir/$kind.db"
  if [ $kind = squeeze ]; then decl="CREATE VIRTUAL TABLE series USING squeeze(ts INTEGER, val REAL)"
  else decl="CREATE TABLE series(ts INTEGER, val REAL)"; fi
  sqlite3 -cmd '.load build/squeeze' "$db" "PRAGMA journal_mode = WAL" "$decl" >/dev/null || exit 1
  {
    echo ".load build/squeeze"
    echo "ATTACH '$work/plain_$series.db' AS src;"
    i=0
    while [ $i -lt 100 ]; do
      echo "INSERT INTO series SELECT ts, val FROM src.series WHERE rowid > $((i * 10000)) AND rowid <= $(((i + 1) * 10000));"
      i=$((i + 1))
    done
  } > "$dir/load.sql"
  printf 'dbs:\n  - path: %s\n    replicas:\n      - type: file\n        path: %s\n' \
    "$(pwd)/$db" "$(pwd)/$dir/replica" > "$dir/litestream.yml"
  "$LITESTREAM" replicate -config "$dir/litestream.yml" \
    -exec "sh -c 'sleep 1.5; sqlite3 $db < $dir/load.sql && sleep 1.5'" > "$dir/litestream.log" 2>&1 || {
    echo "litestream replicate failed:"; tail "$dir/litestream.log"; exit 1
  }
  "$LITESTREAM" restore -o "$dir/restored.db" "file://$(pwd)/$dir/replica" >> "$dir/litestream.log" 2>&1 || exit 1
  rows=$(sqlite3 -cmd '.load build/squeeze' "$dir/restored.db" "SELECT count(*) FROM series") || exit 1
  [ "$rows" = 1000000 ] || { echo "the restored $kind copy has $rows rows"; exit 1; }
  shipped=$(find "$dir/replica" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  printf '%-28s %14s %14s\n' "${kind}_$series" "$(stat -c %s "$db")" "$shipped"
done

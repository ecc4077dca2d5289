#!/bin/sh
# The chunk cache across processes (docs/cache.md): one sqlite3 process runs a query on a
# squeeze table, a second process runs it again and is timed with the shared cache, a third
# with the cache off (SQUEEZE_CACHE_SIZE=0); squeeze_cache_stats shows what the second one
# found. Its own segment (SQUEEZE_CACHE_SEGMENT) is removed at the end.
cd "$(dirname "$0")/.." || exit 1
db=build/demo_cache.db
rm -f "$db" "$db-journal"
export SQUEEZE_CACHE_SEGMENT="squeeze-demo-$$"
sqlite3 "$db" <<'SQL'
.load ./build/squeeze
CREATE VIRTUAL TABLE readings USING squeeze(ts INTEGER, sensor TEXT CODEC zstd(19),
                                            site TEXT CODEC zstd(19), temp INTEGER,
                                            hum INTEGER);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400000)
INSERT INTO readings SELECT 1700000000 + i * 10, 'sensor-' || (i * 7919 % 997),
  'site ' || (i % 13), 200 + (i * 31 % 97), 40 + (i * 17 % 53) FROM s;
CREATE TABLE readings_plain(ts INTEGER, sensor TEXT, site TEXT, temp INTEGER, hum INTEGER);
INSERT INTO readings_plain(rowid, ts, sensor, site, temp, hum) SELECT rowid, * FROM readings;
SQL
query="SELECT site, count(*), avg(temp), max(sensor), sum(hum) FROM readings GROUP BY site LIMIT 3;"
echo "== process 1: runs the query (decodes every chunk, fills the shared cache)"
printf '.load ./build/squeeze\n.timer on\n%s\n' "$query" | sqlite3 "$db"
echo "== process 2: the same query, shared cache on"
printf '.load ./build/squeeze\n.timer on\n%s\n.timer off\n.mode column\n%s\n' "$query" \
  "SELECT scope, entries, hits, misses, rejected FROM squeeze_cache_stats WHERE name = 'chunks';" |
  sqlite3 "$db"
echo "== process 3: the same query, cache off (SQUEEZE_CACHE_SIZE=0)"
printf '.load ./build/squeeze\n.timer on\n%s\n' "$query" | SQUEEZE_CACHE_SIZE=0 sqlite3 "$db"

# Connection per request, as a web handler does: 300 lookups by rowid, each on a new connection
# (.open, .load, one SELECT). A first process warms the cache; then one process with the shared
# cache and one with the cache off run the same 300 requests.
script=build/demo_cache_requests.sql
requests() {
  awk -v db="$db" -v t="$1" 'BEGIN { for (i = 0; i < 300; i++) {
    printf ".open %s\n.load ./build/squeeze\nSELECT * FROM %s WHERE rowid = %d;\n", db, t,
      1 + (i * 7919) % 400000 } }'
}
requests readings > "$script"
ms() { echo $(($(date +%s%N) / 1000000)); }
sqlite3 < "$script" > build/demo_cache_warm.out
t0=$(ms); sqlite3 < "$script" > build/demo_cache_on.out; t1=$(ms)
SQUEEZE_CACHE_SIZE=0 sqlite3 < "$script" > build/demo_cache_off.out; t2=$(ms)
requests readings_plain | sqlite3 > build/demo_cache_plain.out; t3=$(ms)
cmp -s build/demo_cache_on.out build/demo_cache_off.out || echo "answers differ!"
cmp -s build/demo_cache_on.out build/demo_cache_plain.out || echo "answers differ from the plain table's!"
echo "== 300 requests (connection per request, one row each) in a second process:"
echo "   shared cache on: $((t1 - t0)) ms, cache off: $((t2 - t1)) ms," \
  "the same rows in a plain table: $((t3 - t2)) ms (same answers)"
rm -f "/dev/shm/$SQUEEZE_CACHE_SEGMENT"-u* "$script" build/demo_cache_*.out

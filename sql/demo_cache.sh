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
rm -f "/dev/shm/$SQUEEZE_CACHE_SEGMENT"-u*

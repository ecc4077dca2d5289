-- sql/bench.sql: every codec measured with codec_bench on real columns, summed up per
-- workload, with the Pareto frontier of ratio against speed.
--
--   make bench-report                  runs this script, then gnuplot
--                                      (docs/bench/codec_bench.gp): build/bench/codec_bench.md
--                                      and build/bench/codec_bench.svg
--   make bench-report DOCS=1           the same, copied to docs/bench/ (the committed report)
--   make bench-report TABLE=weather COLUMN=temperature
--   make bench-report DB=my.db TABLE=docs COLUMN=body CODECS=zstd:1..19 OPTIONS=mode=column
--                                      one column, of a bundled table or of a database
--   sqlite3 :memory: < sql/bench.sql   the bundled report without the picture (from the
--                                      repository root, after make)
--
-- It writes build/bench/codec_bench.md (the report), build/bench/codec_bench.dat and
-- build/bench/codec_bench_vars.gp (the plot's data and its workload names).
--
-- Parameters (.parameter set, or the make variables above, which set them): @table and
-- @column choose one column instead of the list of step 2; @db attaches a database file
-- as schema "userdb" and takes @table from it; @codecs is codec_bench's codec list (NULL:
-- every codec that fits the values); @options its options (NULL: passes=5).
--
-- To measure a list of your own columns: in step 1, ATTACH your database (or create and
-- .import your tables), and in step 2 list your columns in bench_columns. A workload is a
-- set of columns whose results are added up: its ratio is the sum of the input bytes over
-- the sum of the output bytes, its speed the input bytes over the summed time. Steps 3 to
-- 6 need no change. Everything the script creates is TEMP: it writes nothing to your
-- database.
.bail on
.load ./build/squeeze

-- 1. The data: the real datasets of examples/data (see examples/data/README.md).
CREATE TEMP TABLE birdstrikes(
  airport TEXT, aircraft TEXT, damage TEXT, flight_date TEXT, operator TEXT,
  origin_state TEXT, phase TEXT, wildlife_size TEXT, species TEXT, time_of_day TEXT,
  cost_other INTEGER, cost_repair INTEGER, cost_total INTEGER, speed INTEGER);
.import --csv --skip 1 examples/data/birdstrikes.csv birdstrikes

CREATE TEMP TABLE weather(date TEXT, pressure REAL, temperature REAL, wind REAL);
.import --csv --skip 1 examples/data/seattle-weather-hourly-normals.csv weather
ALTER TABLE weather ADD COLUMN ts INTEGER;
UPDATE weather SET ts = unixepoch(date);

-- Moby-Dick one paragraph per row: the file has a paragraph per line, and no unit
-- separator (\037) anywhere, so each line is one field.
CREATE TEMP TABLE moby(paragraph TEXT);
.mode ascii
.separator "\037" "\n"
.import examples/data/moby-dick.txt moby
.mode list
.separator "|" "\n"

CREATE TEMP TABLE quakes(time INTEGER, mag REAL, depth REAL, place TEXT);
INSERT INTO quakes
  SELECT json_extract(value, '$.properties.time'), json_extract(value, '$.properties.mag'),
         json_extract(value, '$.geometry.coordinates[2]'), json_extract(value, '$.properties.place')
  FROM json_each(readfile('examples/data/earthquakes.json'), '$.features')
  ORDER BY 1;

-- @db: a database file of yours, attached read-only (mode=ro: a missing file is an
-- error, not a new database); an empty in-memory one when @db is NULL, so that the schema
-- name always exists.
ATTACH iif(@db IS NULL, ':memory:',
           'file:' || replace(replace(replace(@db, '%', '%25'), '?', '%3f'), '#', '%23')
           || '?mode=ro') AS userdb;

-- 2. What to measure: (workload, table, column, codec_bench codecs and options, kind).
--    'text values': compress() on each value, as UPDATE t SET body = compress(body) stores;
--    'text columns': chunks of 8192 values, as the column store stores a TEXT column;
--    'REAL columns', 'INTEGER columns': the typed codecs, per chunk of 8192 values.
--    kind: which rows of codec_bench a workload keeps: 'bytes' (byte codecs), 'typed'
--    (gorilla, alp, dod, delta), NULL (step 3 decides).
CREATE TEMP TABLE bench_columns(workload TEXT, tbl TEXT, col TEXT, codecs TEXT, options TEXT,
                                kind TEXT);
INSERT INTO bench_columns
  SELECT column1, column2, column3, NULL, 'passes=5' || iif(column4 = '', '', ',' || column4),
         iif(column1 LIKE 'text%', 'bytes', 'typed')
  FROM (VALUES
  ('text values', 'moby', 'paragraph', 'mode=value'),
  ('text columns', 'moby', 'paragraph', 'mode=column'),
  ('text columns', 'quakes', 'place', 'mode=column'),
  ('text columns', 'birdstrikes', 'airport', 'mode=column'),
  ('text columns', 'birdstrikes', 'aircraft', 'mode=column'),
  ('text columns', 'birdstrikes', 'damage', 'mode=column'),
  ('text columns', 'birdstrikes', 'flight_date', 'mode=column'),
  ('text columns', 'birdstrikes', 'operator', 'mode=column'),
  ('text columns', 'birdstrikes', 'origin_state', 'mode=column'),
  ('text columns', 'birdstrikes', 'phase', 'mode=column'),
  ('text columns', 'birdstrikes', 'wildlife_size', 'mode=column'),
  ('text columns', 'birdstrikes', 'species', 'mode=column'),
  ('text columns', 'birdstrikes', 'time_of_day', 'mode=column'),
  ('REAL columns', 'weather', 'pressure', ''),
  ('REAL columns', 'weather', 'temperature', ''),
  ('REAL columns', 'weather', 'wind', ''),
  ('REAL columns', 'quakes', 'mag', ''),
  ('REAL columns', 'quakes', 'depth', ''),
  ('INTEGER columns', 'weather', 'ts', ''),
  ('INTEGER columns', 'quakes', 'time', ''),
  ('INTEGER columns', 'birdstrikes', 'cost_total', ''),
  ('INTEGER columns', 'birdstrikes', 'speed', ''))
  WHERE @table IS NULL;
-- @table and @column: that one column alone, its own workload.
INSERT INTO bench_columns
  SELECT @table || '.' || @column, iif(@db IS NULL, '', 'userdb.') || @table, @column, @codecs,
         coalesce(@options, 'passes=5'), NULL
  WHERE @table IS NOT NULL;

-- 3. Measure: one codec_bench call per column, every codec that fits, median of 5 passes.
--    A numeric workload keeps the typed codecs' rows (a column of INTEGER affinity may
--    also hold a few TEXT values, such as the empty strings of birdstrikes.speed). A
--    column without a kind keeps the kind that measured the most values, unless its
--    codecs are named.
CREATE TEMP TABLE results AS
  SELECT c.workload, c.tbl, c.col, b.*
  FROM bench_columns c, codec_bench(c.tbl, c.col, c.codecs, c.options) b
  WHERE c.kind IS NULL OR c.kind = iif(b.bits_per_value IS NULL, 'bytes', 'typed');
DELETE FROM results
 WHERE (SELECT c.kind IS NULL AND c.codecs IS NULL FROM bench_columns c
         WHERE (c.workload, c.tbl, c.col) = (results.workload, results.tbl, results.col))
   AND (bits_per_value IS NULL) <> (SELECT r.bits_per_value IS NULL FROM results r
                                     WHERE (r.workload, r.tbl, r.col)
                                           = (results.workload, results.tbl, results.col)
                                     ORDER BY r.value_count DESC LIMIT 1);
-- Nothing measured (a table without rows, a column of NULLs) stops the script here.
CREATE TEMP TABLE nothing_measured(x);
CREATE TEMP TRIGGER nothing_measured BEFORE INSERT ON nothing_measured BEGIN
  SELECT raise(ABORT, 'bench.sql: codec_bench measured no values (no rows, or only NULLs)');
END;
INSERT INTO nothing_measured SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM results);

-- 4. Sum up each workload and mark its Pareto frontier: a point is on it when no other
--    point of its workload has both a ratio and a speed at least as high (one higher).
CREATE TEMP VIEW summary AS
  SELECT workload, codec, level,
         CASE WHEN (SELECT min_level = max_level FROM squeeze_codecs WHERE name = codec)
              THEN codec ELSE codec || ':' || level END AS label,
         sum(value_count) AS value_count, sum(input_bytes) AS input_bytes,
         sum(output_bytes) AS output_bytes,
         1.0 * sum(input_bytes) / sum(output_bytes) AS ratio,
         sum(input_bytes) / sum(input_bytes / compress_mb_s) AS compress_mb_s,
         sum(input_bytes) / sum(input_bytes / decompress_mb_s) AS decompress_mb_s,
         max(memory_bytes) AS memory_bytes, min(roundtrip_ok) AS roundtrip_ok
  FROM results GROUP BY workload, codec, level;
CREATE TEMP TABLE points AS
  SELECT s.*,
    NOT EXISTS (SELECT 1 FROM summary o WHERE o.workload = s.workload
                AND o.ratio >= s.ratio AND o.compress_mb_s >= s.compress_mb_s
                AND (o.ratio > s.ratio OR o.compress_mb_s > s.compress_mb_s)) AS frontier_c,
    NOT EXISTS (SELECT 1 FROM summary o WHERE o.workload = s.workload
                AND o.ratio >= s.ratio AND o.decompress_mb_s >= s.decompress_mb_s
                AND (o.ratio > s.ratio OR o.decompress_mb_s > s.decompress_mb_s)) AS frontier_d
  FROM summary s;
-- The workloads in the order of step 2, with the plot's legend for each.
CREATE TEMP TABLE workloads(id INTEGER PRIMARY KEY, name TEXT, label TEXT);
INSERT INTO workloads(name, label)
  SELECT workload, CASE workload
           WHEN 'text values' THEN 'text values (compress() per value)'
           WHEN 'text columns' THEN 'text columns (8192-value chunks)'
           WHEN 'REAL columns' THEN 'REAL columns (typed codecs)'
           WHEN 'INTEGER columns' THEN 'INTEGER columns (typed codecs)'
           ELSE workload END
  FROM bench_columns GROUP BY workload ORDER BY min(rowid);

-- 5. The Markdown report.
.output build/bench/codec_bench.md
SELECT '# codec_bench on ' || iif(@table IS NULL, 'the bundled datasets', @table || '.' || @column);
.print ""
.print "Generated by `make bench-report` (sql/bench.sql); the picture is [codec_bench.svg](codec_bench.svg)."
SELECT 'Sizes are exact and reproducible; speeds are medians of '
       || iif(@table IS NULL, '5 passes', 'the passes of `' || coalesce(@options, 'passes=5') || '`');
.print "on the machine that ran it, single-threaded, and vary from run to run. Ratio = input"
.print "bytes / output bytes, frames included; MB/s are of input (uncompressed) bytes; memory is"
.print "the codec's own peak scratch and context memory; * marks the Pareto frontier of ratio"
.print "against that speed."
.print ""
.print "| workload | columns | values | bytes |"
.print "|---|---|---:|---:|"
SELECT '| ' || w.name || ' | ' || (SELECT group_concat(tbl || '.' || col, ', ') FROM bench_columns c
                                   WHERE c.workload = w.name) || ' | '
       || (SELECT value_count FROM points p WHERE p.workload = w.name LIMIT 1) || ' | '
       || (SELECT input_bytes FROM points p WHERE p.workload = w.name LIMIT 1) || ' |'
  FROM workloads w;
.print ""
.mode markdown
SELECT p.workload, p.label AS codec, printf('%.3f', p.ratio) AS ratio,
       printf('%.0f', p.compress_mb_s) || iif(p.frontier_c, ' *', '') AS "compress MB/s",
       printf('%.0f', p.decompress_mb_s) || iif(p.frontier_d, ' *', '') AS "decompress MB/s",
       printf('%.0f KiB', p.memory_bytes / 1024.0) AS memory,
       iif(p.roundtrip_ok, 'ok', 'FAILED') AS "round trip"
  FROM points p JOIN workloads w ON w.name = p.workload
  ORDER BY w.id, p.ratio DESC, p.compress_mb_s DESC;
.mode list
.print ""
.print "Per column: the best ratio (`ORDER BY ratio DESC LIMIT 1`) and the codec that"
.print "decompresses fastest within 10% of that ratio."
.print ""
.mode markdown
WITH best AS (
  SELECT workload, tbl, col, max(ratio) AS ratio FROM results GROUP BY workload, tbl, col)
SELECT b.workload, b.tbl || '.' || b.col AS "column",
       (SELECT r.codec || ':' || r.level FROM results r
         WHERE (r.workload, r.tbl, r.col) = (b.workload, b.tbl, b.col)
         ORDER BY r.ratio DESC, r.decompress_mb_s DESC LIMIT 1) AS "best ratio",
       printf('%.2f', b.ratio) AS ratio,
       (SELECT r.codec || ':' || r.level || printf(' (%.2f, %.0f MB/s)', r.ratio, r.decompress_mb_s)
          FROM results r
         WHERE (r.workload, r.tbl, r.col) = (b.workload, b.tbl, b.col) AND r.ratio >= 0.9 * b.ratio
         ORDER BY r.decompress_mb_s DESC LIMIT 1) AS "fastest within 10%"
  FROM best b JOIN workloads w ON w.name = b.workload
  ORDER BY w.id, b.tbl, b.col;
.mode list

-- 6. The plot's data, for docs/bench/codec_bench.gp: for each workload (in the order of
--    workloads) three blocks separated by two blank lines (gnuplot's index): every point,
--    the compress frontier and the decompress frontier, each sorted by speed. Columns:
--    compress MB/s, decompress MB/s, ratio, label. Then codec_bench_vars.gp: the number
--    of workloads, their legends, the subject of the title, and whether it is the bundled
--    report (whose axes have fixed ranges), as gnuplot statements (single-quoted strings).
.output build/bench/codec_bench.dat
.separator " " "\n"
SELECT printf('%.3f %.3f %.4f %s', compress_mb_s, decompress_mb_s, ratio, label)
       || iif(last, char(10) || char(10), '') FROM (
  SELECT w.id, k.block, p.compress_mb_s, p.decompress_mb_s, p.ratio, p.label,
         row_number() OVER (PARTITION BY w.id, k.block
                            ORDER BY iif(k.block = 2, p.decompress_mb_s, p.compress_mb_s) DESC)
           = 1 AS last,
         iif(k.block = 2, p.decompress_mb_s, p.compress_mb_s) AS speed
  FROM workloads w
  JOIN (SELECT 0 AS block UNION ALL SELECT 1 UNION ALL SELECT 2) k
  JOIN points p ON p.workload = w.name
  WHERE k.block = 0 OR (k.block = 1 AND p.frontier_c) OR (k.block = 2 AND p.frontier_d))
ORDER BY id, block, speed;
.output build/bench/codec_bench_vars.gp
SELECT 'nw = ' || count(*) FROM workloads;
SELECT 'array workload[' || count(*) || '] = ['
       || group_concat('''' || replace(label, '''', '''''') || '''', ', ') || ']'
  FROM (SELECT label FROM workloads ORDER BY id);
SELECT 'subject = ''' || replace(iif(@table IS NULL, 'the bundled datasets',
                                     @table || '.' || @column), '''', '''''') || '''';
SELECT 'bundled = ' || (@table IS NULL);
.output stdout
SELECT workload, count(*) || ' points, ' || sum(frontier_c) || ' on the compress frontier'
  FROM points GROUP BY workload;

-- demo.sql: squeeze's main job on real data, in the sqlite3 shell.
-- Run it with `make demo` (or: sh sql/run_demo.sh, which starts the database
-- files of sections 6 and 8 afresh and runs this file from the repository root).
--
-- Loads Moby-Dick (examples/data/moby-dick.txt) as one row per chapter and the
-- FAA bird-strike table (examples/data/birdstrikes.csv), compresses a TEXT
-- column with every byte codec squeeze has, checks every round trip in SQL,
-- and prints codec, bytes before and after, ratio and time. Then the column
-- store: the Seattle weather series in a squeeze table against a plain one
-- (section 5), and the bird strikes imported from their CSV with .import
-- straight into a squeeze table and a plain table, in files under build/,
-- with the two files' sizes (section 6). Then small values: the bird strikes'
-- JSON rows compressed one by one with a trained dictionary beside plain zstd
-- (section 7), and transparent compression of an existing table, the same
-- queries before and after (section 8). Last, the bundled texts as one large value
-- compressed on 1 and 2 threads, and a file through the sqz command line (section 9).
.load ./build/squeeze
.bail on
.headers on
.mode column

-- 1. Load the data -------------------------------------------------------
CREATE TEMP TABLE book AS SELECT CAST(readfile('examples/data/moby-dick.txt') AS TEXT) AS t;
CREATE TABLE chapters(n INTEGER PRIMARY KEY, body TEXT, z BLOB);
WITH RECURSIVE split(n, rest, body) AS (
  SELECT 0, (SELECT t FROM book), NULL
  UNION ALL
  SELECT n + 1,
         CASE WHEN instr(substr(rest, 2), 'CHAPTER ') > 0
              THEN substr(rest, instr(substr(rest, 2), 'CHAPTER ') + 1) ELSE '' END,
         CASE WHEN instr(substr(rest, 2), 'CHAPTER ') > 0
              THEN substr(rest, 1, instr(substr(rest, 2), 'CHAPTER ')) ELSE rest END
  FROM split WHERE rest <> '')
INSERT INTO chapters(n, body) SELECT n, body FROM split WHERE body IS NOT NULL;

.import --csv examples/data/birdstrikes.csv birdstrikes
ALTER TABLE birdstrikes ADD COLUMN z BLOB;

-- Each bird strike as one JSON text: a mixed record of short fields.
CREATE TEMP VIEW bird_json AS SELECT rowid AS id, json_array(
  "Airport Name", "Aircraft Make Model", "Effect Amount of damage", "Flight Date",
  "Aircraft Airline Operator", "Origin State", "Phase of flight", "Wildlife Size",
  "Wildlife Species", "Time of day", "Cost Other", "Cost Repair", "Cost Total $",
  "Speed IAS in knots") AS body FROM birdstrikes;

SELECT 'moby-dick chapters' AS dataset, count(*) AS rows, sum(length(CAST(body AS BLOB))) AS bytes
  FROM chapters
UNION ALL
SELECT 'birdstrikes rows as JSON', count(*), sum(length(CAST(body AS BLOB))) FROM bird_json;

-- 2. Compress with every byte codec, time it, verify every value ---------
-- One block of statements per codec, generated from squeeze_codecs.
CREATE TEMP TABLE marks(codec TEXT, dataset TEXT, step TEXT, at REAL);
CREATE TEMP TABLE results(codec TEXT, dataset TEXT, bytes_before INTEGER, bytes_after INTEGER,
                          roundtrip_ok INTEGER, rows INTEGER);
.headers off
.mode list
.once build/demo_codecs.sql
SELECT printf('
INSERT INTO marks VALUES(%Q, ''chapters'', ''start'', julianday(''now''));
UPDATE chapters SET z = compress(body, %Q);
INSERT INTO marks VALUES(%Q, ''chapters'', ''compressed'', julianday(''now''));
INSERT INTO results SELECT %Q, ''moby-dick chapters'', sum(length(CAST(body AS BLOB))), sum(length(z)),
  sum(decompress(z) IS body), count(*) FROM chapters;
INSERT INTO marks VALUES(%Q, ''chapters'', ''decompressed'', julianday(''now''));
INSERT INTO marks VALUES(%Q, ''birds'', ''start'', julianday(''now''));
UPDATE birdstrikes SET z = compress((SELECT body FROM bird_json WHERE id = birdstrikes.rowid), %Q);
INSERT INTO marks VALUES(%Q, ''birds'', ''compressed'', julianday(''now''));
INSERT INTO results SELECT %Q, ''birdstrikes rows'', sum(length(CAST(j.body AS BLOB))), sum(length(z)),
  sum(decompress(z) IS j.body), count(*) FROM birdstrikes JOIN bird_json j ON j.id = birdstrikes.rowid;
INSERT INTO marks VALUES(%Q, ''birds'', ''decompressed'', julianday(''now''));',
  name, name, name, name, name, name, name, name, name, name)
FROM squeeze_codecs WHERE kind = 'bytes' ORDER BY rowid;
.read build/demo_codecs.sql

-- 3. The table -------------------------------------------------------------
.headers on
.mode column
SELECT r.dataset, r.codec, r.bytes_before, r.bytes_after,
       printf('%.2f', 1.0 * r.bytes_before / r.bytes_after) AS ratio,
       printf('%.0f', (c.at - s.at) * 86400000) AS compress_ms,
       printf('%.0f', (d.at - c.at) * 86400000) AS verify_ms,
       CASE WHEN r.roundtrip_ok = r.rows THEN 'all ' || r.rows ELSE 'FAILED' END AS roundtrip
FROM results r
JOIN marks s ON s.codec = r.codec AND s.step = 'start'
  AND s.dataset = CASE WHEN r.dataset LIKE 'moby%' THEN 'chapters' ELSE 'birds' END
JOIN marks c ON c.codec = r.codec AND c.step = 'compressed' AND c.dataset = s.dataset
JOIN marks d ON d.codec = r.codec AND d.step = 'decompressed' AND d.dataset = s.dataset
ORDER BY r.dataset DESC, r.bytes_after;

-- Every value must have come back exactly: fail the demo otherwise.
SELECT CASE WHEN sum(roundtrip_ok) = sum(rows) THEN 'all round trips verified in SQL'
            ELSE json('round trip FAILED') END AS check_result FROM results;

-- 4. A compressed column in a real schema ----------------------------------
-- The body is stored compressed; a generated column and an index read it back.
CREATE TABLE notes(id INTEGER PRIMARY KEY, z BLOB,
                   body TEXT GENERATED ALWAYS AS (decompress(z)) VIRTUAL);
INSERT INTO notes(z) SELECT compress(body, 'zstd', 9) FROM chapters;
SELECT id, replace(substr(body, 1, 40), char(10), ' ') AS starts_with, length(z) AS stored, decompressed_size(z) AS original,
       compressed_codec(z) AS codec
FROM notes WHERE body LIKE '%Call me Ishmael%';

-- 5. The compressed column store ---------------------------------------------
-- The bundled hourly weather normals for Seattle (8,759 rows: a timestamp and
-- three readings with one decimal) go into a plain table and into a squeeze
-- table. Then: their sizes, the codec squeeze chose for each column, and the
-- answer and time of a few queries on both (each query run 500 times).
.headers off
.mode list
.import --csv examples/data/seattle-weather-hourly-normals.csv weather_csv
CREATE TABLE weather_plain(ts INTEGER, pressure REAL, temperature REAL, wind REAL);
INSERT INTO weather_plain
  SELECT unixepoch(date), pressure + 0.0, temperature + 0.0, wind + 0.0 FROM weather_csv;
CREATE VIRTUAL TABLE weather USING squeeze(
  ts INTEGER, pressure REAL, temperature REAL, wind REAL, chunk_rows = 1024);
INSERT INTO weather SELECT * FROM weather_plain;
-- 8 full chunks and a tail of 567 rows; make the tail a chunk too
SELECT 'squeeze_optimize wrote ' || squeeze_optimize('weather') || ' chunk(s)';

.headers on
.mode column
SELECT p.bytes AS plain_table_bytes, s.bytes AS squeeze_table_bytes,
       printf('%.1f', 1.0 * p.bytes / s.bytes) AS smaller_by
FROM (SELECT sum(pgsize) AS bytes FROM dbstat WHERE name = 'weather_plain') p,
     (SELECT sum(pgsize) AS bytes FROM dbstat
      WHERE name IN ('weather_config', 'weather_chunk', 'weather_data', 'weather_tail')) s;

SELECT name AS column, chosen AS codec_per_chunk, raw_bytes, stored_bytes,
       printf('%.1f', ratio) AS ratio
FROM squeeze_stats('weather') WHERE name <> 'rowid';

CREATE TEMP TABLE wq(id INTEGER PRIMARY KEY, query TEXT, expr TEXT, cond TEXT);
INSERT INTO wq(query, expr, cond) VALUES
  ('mean temperature, whole year', 'printf(''%.4f'', avg(temperature))', '1'),
  ('mean temperature, 1-7 July', 'printf(''%.4f'', avg(temperature))',
   'ts >= unixepoch(''2010-07-01'') AND ts < unixepoch(''2010-07-08'')'),
  ('hours above 22 degrees', 'count(*)', 'temperature > 22'),
  ('windiest hour', 'max(wind)', '1'),
  ('pressure at row 4242', 'pressure', 'rowid = 4242');
CREATE TEMP TABLE wt(id INTEGER, tbl TEXT, answer TEXT, t0 REAL, t1 REAL);
CREATE TEMP TABLE sink(x);
.headers off
.mode list
.once build/demo_weather.sql
SELECT printf('
INSERT INTO wt VALUES (%d, %Q, (SELECT %s FROM %s WHERE %s), julianday(''now''), NULL);
INSERT INTO sink WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 500)
  SELECT count((SELECT %s FROM %s WHERE %s AND r.i > 0)) FROM r;
UPDATE wt SET t1 = julianday(''now'') WHERE id = %d AND tbl = %Q;',
  id, tbl, expr, tbl, cond, expr, tbl, cond, id, tbl)
FROM wq, (SELECT 'weather_plain' AS tbl UNION ALL SELECT 'weather') ORDER BY id, tbl DESC;
.read build/demo_weather.sql

.headers on
.mode column
SELECT q.query, p.answer AS plain, s.answer AS squeeze,
       printf('%.0f', (p.t1 - p.t0) * 86400e6 / 500) AS plain_us,
       printf('%.0f', (s.t1 - s.t0) * 86400e6 / 500) AS squeeze_us
FROM wq q
JOIN wt p ON p.id = q.id AND p.tbl = 'weather_plain'
JOIN wt s ON s.id = q.id AND s.tbl = 'weather'
ORDER BY q.id;

-- Both tables must have answered alike, and every chunk must verify.
SELECT CASE WHEN (SELECT count(*) FROM wt p JOIN wt s ON s.id = p.id
                  WHERE p.tbl = 'weather_plain' AND s.tbl = 'weather'
                    AND p.answer IS NOT s.answer) = 0
            THEN 'same answers from both tables' ELSE json('answers DIFFER') END AS check_result
UNION ALL
SELECT 'squeeze_check: ' || squeeze_check('weather');

-- 6. A CSV straight into a squeeze table -------------------------------------
-- .import --csv fills a squeeze table as it fills a plain one: the table applies
-- each column's declared type as a plain table does, so the costs and speeds in
-- the CSV's text are stored as integers (an empty speed stays the text '', as in
-- a plain table; text sorts above every number, hence the typeof tests below).
-- The bird strikes go into a plain table and into a squeeze table with the same
-- declaration, each in its own database file under build/ (sql/run_demo.sh
-- removes them first). The sizes are the files' (page_count * page_size) as the
-- import left them: default chunk_rows, no squeeze_optimize, no VACUUM. Rows past
-- the last full chunk of 8,192 wait uncompressed in the table's tail
-- (rows_in_tail).
.headers off
.mode list
ATTACH 'build/demo_birds_plain.db' AS plain_file;
ATTACH 'build/demo_birds_squeeze.db' AS squeeze_file;
CREATE TABLE plain_file.birds(
  "Airport Name" TEXT, "Aircraft Make Model" TEXT, "Effect Amount of damage" TEXT,
  "Flight Date" TEXT, "Aircraft Airline Operator" TEXT, "Origin State" TEXT,
  "Phase of flight" TEXT, "Wildlife Size" TEXT, "Wildlife Species" TEXT, "Time of day" TEXT,
  "Cost Other" INTEGER, "Cost Repair" INTEGER, "Cost Total $" INTEGER,
  "Speed IAS in knots" INTEGER);
CREATE VIRTUAL TABLE squeeze_file.birds USING squeeze(
  "Airport Name" TEXT, "Aircraft Make Model" TEXT, "Effect Amount of damage" TEXT,
  "Flight Date" TEXT, "Aircraft Airline Operator" TEXT, "Origin State" TEXT,
  "Phase of flight" TEXT, "Wildlife Size" TEXT, "Wildlife Species" TEXT, "Time of day" TEXT,
  "Cost Other" INTEGER, "Cost Repair" INTEGER, "Cost Total $" INTEGER,
  "Speed IAS in knots" INTEGER);
-- The tables exist, so the shell would read the header line as a row: --skip 1.
.import --csv --skip 1 --schema plain_file examples/data/birdstrikes.csv birds
.import --csv --skip 1 --schema squeeze_file examples/data/birdstrikes.csv birds

.headers on
.mode column
SELECT p.bytes AS plain_file_bytes, s.bytes AS squeeze_file_bytes,
       printf('%.1f', 1.0 * p.bytes / s.bytes) AS smaller_by,
       (SELECT sum(nrows) FROM squeeze_file.birds_chunk) AS rows_in_chunks,
       (SELECT count(*) FROM squeeze_file.birds_tail) AS rows_in_tail
FROM (SELECT page_count * page_size AS bytes
      FROM pragma_page_count('plain_file'), pragma_page_size('plain_file')) p,
     (SELECT page_count * page_size AS bytes
      FROM pragma_page_count('squeeze_file'), pragma_page_size('squeeze_file')) s;

-- The same questions to both tables ({t} stands for the table).
CREATE TEMP TABLE bq(id INTEGER PRIMARY KEY, query TEXT, sql TEXT);
INSERT INTO bq(query, sql) VALUES
  ('rows', 'SELECT count(*) FROM {t}'),
  ('"Cost Total $" stored as',
   'SELECT group_concat(k || '' '' || n, '', '') FROM
      (SELECT typeof("Cost Total $") AS k, count(*) AS n FROM {t} GROUP BY 1 ORDER BY 1)'),
  ('"Speed IAS in knots" stored as',
   'SELECT group_concat(k || '' '' || n, '', '') FROM
      (SELECT typeof("Speed IAS in knots") AS k, count(*) AS n FROM {t} GROUP BY 1 ORDER BY 1)'),
  ('costliest strike ($)', 'SELECT max("Cost Total $") FROM {t}'),
  ('fastest strike (knots)',
   'SELECT max("Speed IAS in knots") FROM {t} WHERE typeof("Speed IAS in knots") = ''integer'''),
  ('flight dates', 'SELECT min("Flight Date") || '' to '' || max("Flight Date") FROM {t}'),
  ('costliest state ($)',
   'SELECT "Origin State" || '' '' || sum("Cost Total $") FROM {t}
    GROUP BY "Origin State" ORDER BY sum("Cost Total $") DESC LIMIT 1'),
  ('strikes over 200 knots', 'SELECT count(*) FROM {t}
    WHERE "Speed IAS in knots" > 200 AND typeof("Speed IAS in knots") = ''integer''');
CREATE TEMP TABLE ba(id INTEGER, tbl TEXT, answer TEXT);
.headers off
.mode list
.once build/demo_birds.sql
SELECT printf('INSERT INTO ba VALUES (%d, %Q, (%s));', id, tbl, replace(sql, '{t}', tbl))
FROM bq, (SELECT 'plain_file.birds' AS tbl UNION ALL SELECT 'squeeze_file.birds')
ORDER BY id, tbl;
.read build/demo_birds.sql

.headers on
.mode column
SELECT q.query, p.answer AS plain, s.answer AS squeeze
FROM bq q
JOIN ba p ON p.id = q.id AND p.tbl = 'plain_file.birds'
JOIN ba s ON s.id = q.id AND s.tbl = 'squeeze_file.birds'
ORDER BY q.id;

-- Both tables must have answered alike, and every chunk must verify.
SELECT CASE WHEN (SELECT count(*) FROM ba p JOIN ba s ON s.id = p.id
                  WHERE p.tbl = 'plain_file.birds' AND s.tbl = 'squeeze_file.birds'
                    AND p.answer IS NOT s.answer) = 0
            THEN 'same answers from both tables' ELSE json('answers DIFFER') END AS check_result
UNION ALL
SELECT 'squeeze_check: ' || squeeze_check('squeeze_file.birds');

-- 7. Small values: a trained dictionary ---------------------------------------
-- A bird strike as JSON is about 150 bytes: too little for zstd to find repeats
-- inside one value (section 3: x1.08). squeeze_train_dict trains a zstd
-- dictionary on the rows (16 KiB at most, kept in the database's squeeze_dict
-- table); each row is then still compressed on its own, with the dictionary,
-- and decompress() finds the dictionary by itself. Beside it, the plain zstd
-- row of section 3.
.headers off
.mode list
SELECT 'squeeze_train_dict: dictionary ' ||
       squeeze_train_dict('birds_json', 'SELECT body FROM bird_json') || ' trained';
-- timed and checked as each codec of section 2, into the same tables
INSERT INTO marks VALUES('zstd, dict=birds_json', 'birds', 'start', julianday('now'));
UPDATE birdstrikes SET z = compress((SELECT body FROM bird_json WHERE id = birdstrikes.rowid),
                                    'zstd', 'dict=birds_json');
INSERT INTO marks VALUES('zstd, dict=birds_json', 'birds', 'compressed', julianday('now'));
INSERT INTO results SELECT 'zstd, dict=birds_json', 'birdstrikes rows',
  sum(length(CAST(j.body AS BLOB))), sum(length(z)), sum(decompress(z) IS j.body), count(*)
  FROM birdstrikes JOIN bird_json j ON j.id = birdstrikes.rowid;
INSERT INTO marks VALUES('zstd, dict=birds_json', 'birds', 'decompressed', julianday('now'));

.headers on
.mode column
SELECT r.codec AS birdstrikes_rows_as_json, r.bytes_before, r.bytes_after,
       coalesce(length(sd.bytes), 0) AS dictionary_bytes,
       printf('%.2f', 1.0 * r.bytes_before / r.bytes_after) AS ratio,
       printf('%.2f', 1.0 * r.bytes_before / (r.bytes_after + coalesce(length(sd.bytes), 0)))
         AS ratio_with_dictionary,
       printf('%.0f', (c.at - s.at) * 86400000) AS compress_ms,
       printf('%.0f', (d.at - c.at) * 86400000) AS verify_ms,
       CASE WHEN r.roundtrip_ok = r.rows THEN 'all ' || r.rows ELSE 'FAILED' END AS roundtrip
FROM results r
JOIN marks s ON s.codec = r.codec AND s.dataset = 'birds' AND s.step = 'start'
JOIN marks c ON c.codec = r.codec AND c.dataset = 'birds' AND c.step = 'compressed'
JOIN marks d ON d.codec = r.codec AND d.dataset = 'birds' AND d.step = 'decompressed'
LEFT JOIN squeeze_dict sd ON r.codec LIKE '%dict=%' AND sd.name = 'birds_json'
WHERE r.dataset = 'birdstrikes rows' AND r.codec IN ('zstd', 'zstd, dict=birds_json')
ORDER BY r.codec = 'zstd' DESC;
SELECT CASE WHEN roundtrip_ok = rows THEN 'all round trips with the dictionary verified in SQL'
            ELSE json('round trip FAILED') END AS check_result
FROM results WHERE codec = 'zstd, dict=birds_json';

-- 8. Transparent compression of an existing table -------------------------------
-- A table as an application keeps it, in a database file under build/
-- (sql/run_demo.sh removes it first): a key, two short columns with an index
-- on one, and the strike as JSON. The same queries run on it before and after
-- squeeze_enable + squeeze_maintain: the table keeps its name, its index and
-- its answers, while its body column is stored compressed with a dictionary
-- that squeeze_maintain trains (dict=auto). Each query runs 20 times; the
-- times are per run. The sizes are the column's bytes (after: frames plus the
-- dictionary) and the file's after VACUUM.
.headers off
.mode list
ATTACH 'build/demo_strikes.db' AS app;
CREATE TABLE app.strikes(id INTEGER PRIMARY KEY, state TEXT, species TEXT, body TEXT);
CREATE INDEX app.strikes_state ON strikes(state);
INSERT INTO app.strikes
  SELECT b.rowid, b."Origin State", b."Wildlife Species", j.body
  FROM birdstrikes b JOIN bird_json j ON j.id = b.rowid ORDER BY b.rowid;
CREATE TEMP TABLE tq(id INTEGER PRIMARY KEY, query TEXT, sql TEXT);
INSERT INTO tq(query, sql) VALUES
  ('strikes in Texas (index on state)', 'SELECT count(*) FROM app.strikes WHERE state = ''Texas'''),
  ('longest body in Texas', 'SELECT max(length(body)) FROM app.strikes WHERE state = ''Texas'''),
  ('1,000 rows by id, spread out',
   'SELECT sum(length((SELECT body FROM app.strikes WHERE id = value * 7919 % 10000 + 1)))
    FROM generate_series(1, 1000)'),
  ('bodies that mention a goose', 'SELECT count(*) FROM app.strikes WHERE body LIKE ''%goose%'''),
  ('costliest strike (JSON field 12)',
   'SELECT max(CAST(body ->> 12 AS INTEGER)) FROM app.strikes'),
  ('all bodies, bytes', 'SELECT sum(length(CAST(body AS BLOB))) FROM app.strikes');
CREATE TEMP TABLE ta(id INTEGER, phase TEXT, answer TEXT, t0 REAL, t1 REAL);
CREATE TEMP TABLE tsize(phase TEXT, column_bytes INTEGER, dictionary_bytes INTEGER,
                        file_bytes INTEGER);
-- the statements of one phase: each query's answer, then 20 timed runs
CREATE TEMP VIEW tq_script AS
  SELECT printf('INSERT INTO ta VALUES (%d, ''{phase}'', (%s), julianday(''now''), NULL);%s
UPDATE ta SET t1 = julianday(''now'') WHERE id = %d AND phase = ''{phase}'';',
    id, sql, replace(printf('%.20c', char(1)), char(1), printf('
INSERT INTO sink SELECT (%s);', sql)), id) AS line
  FROM tq ORDER BY id;

VACUUM app;
INSERT INTO tsize SELECT 'before', (SELECT sum(length(CAST(body AS BLOB))) FROM app.strikes), 0,
  (SELECT page_count * page_size FROM pragma_page_count('app'), pragma_page_size('app'));
.once build/demo_strikes_before.sql
SELECT replace(line, '{phase}', 'before') FROM tq_script;
.read build/demo_strikes_before.sql

SELECT 'squeeze_enable: ' || squeeze_enable('app.strikes', 'body', 'dict=auto') || ' rows to compress';
SELECT 'squeeze_maintain: ' || squeeze_maintain() || ' rows left';
VACUUM app;
INSERT INTO tsize SELECT 'after',
  (SELECT sum(length(CAST(body AS BLOB))) FROM app._squeeze_strikes),
  (SELECT sum(length(bytes)) FROM app.squeeze_dict),
  (SELECT page_count * page_size FROM pragma_page_count('app'), pragma_page_size('app'));
.once build/demo_strikes_after.sql
SELECT replace(line, '{phase}', 'after') FROM tq_script;
.read build/demo_strikes_after.sql

.headers on
.mode column
SELECT b.column_bytes AS column_before, a.column_bytes AS column_after,
       a.dictionary_bytes AS dictionary,
       printf('%.2f', 1.0 * b.column_bytes / (a.column_bytes + a.dictionary_bytes)) AS ratio,
       b.file_bytes AS file_before, a.file_bytes AS file_after,
       printf('%.2f', 1.0 * b.file_bytes / a.file_bytes) AS file_ratio
FROM tsize b, tsize a WHERE b.phase = 'before' AND a.phase = 'after';
SELECT q.query, b.answer AS before, a.answer AS after,
       printf('%.2f', (b.t1 - b.t0) * 86400000 / 20) AS before_ms,
       printf('%.2f', (a.t1 - a.t0) * 86400000 / 20) AS after_ms
FROM tq q
JOIN ta b ON b.id = q.id AND b.phase = 'before'
JOIN ta a ON a.id = q.id AND a.phase = 'after'
ORDER BY q.id;

-- The same answers before and after, and squeeze_disable gives the plain table back.
SELECT 'squeeze_disable: done' AS step FROM (SELECT squeeze_disable('app.strikes', 'body'));
SELECT CASE WHEN (SELECT count(*) FROM ta b JOIN ta a ON a.id = b.id
                  WHERE b.phase = 'before' AND a.phase = 'after'
                    AND b.answer IS NOT a.answer) = 0
             AND (SELECT count(*) FROM app.strikes s JOIN bird_json j ON j.id = s.id
                  WHERE s.body IS j.body AND typeof(s.body) = 'text') = 10000
            THEN 'same answers before and after; the plain table is back'
            ELSE json('answers DIFFER') END AS check_result;

-- 9. One large value on 1 and 2 threads, and the sqz command line ----------
-- The bundled texts as one BLOB of about 30 MiB, compressed in 1 MiB blocks with
-- threads=1 and threads=2 (the same bytes either way), then a file through build/sqz:
-- sqz writes it, decompress(readfile()) reads it; compress() writes one, sqz -d reads it.
CREATE TEMP TABLE large AS
  SELECT CAST(readfile('examples/data/moby-dick.txt') || readfile('examples/data/earthquakes.json')
      || readfile('examples/data/birdstrikes.csv')
      || readfile('examples/data/seattle-weather-hourly-normals.csv') AS BLOB) AS v;
UPDATE large SET v = CAST(v || v || v || v || v || v || v || v AS BLOB);
CREATE TEMP TABLE large_runs(threads INTEGER, started REAL, ended REAL, frame BLOB);
INSERT INTO large_runs(threads, started) VALUES (1, julianday('now'));
UPDATE large_runs SET frame = (SELECT compress(v, 'zstd', 'threads=1') FROM large)
  WHERE threads = 1;
UPDATE large_runs SET ended = julianday('now') WHERE threads = 1;
INSERT INTO large_runs(threads, started) VALUES (2, julianday('now'));
UPDATE large_runs SET frame = (SELECT compress(v, 'zstd', 'threads=2') FROM large)
  WHERE threads = 2;
UPDATE large_runs SET ended = julianday('now') WHERE threads = 2;
.headers on
.mode column
SELECT threads, (SELECT length(v) >> 20 FROM large) AS MiB, length(frame) AS bytes_after,
       round((ended - started) * 86400000) AS ms,
       round((SELECT length(v) FROM large) / 1048576.0 / ((ended - started) * 86400), 1) AS MiB_s,
       frame = (SELECT frame FROM large_runs WHERE threads = 1) AS same_bytes,
       decompress(frame) = (SELECT v FROM large) AS roundtrip_ok
FROM large_runs ORDER BY threads;
SELECT writefile('build/demo_large.bin', v) > 0 AS wrote_file FROM large;
.system build/sqz -f -T2 build/demo_large.bin
SELECT length(readfile('build/demo_large.bin.sqz')) AS sqz_file_bytes,
       decompress(readfile('build/demo_large.bin.sqz')) = v AS sqz_file_read_by_decompress
FROM large;
SELECT writefile('build/demo_large.sql.sqz', compress(v, 'lz4', 'threads=2')) > 0 AS wrote_frame
FROM large;
.system build/sqz -d -f -T2 -o build/demo_large.sql.out build/demo_large.sql.sqz
SELECT readfile('build/demo_large.sql.out') = v AS compress_frame_read_by_sqz FROM large;

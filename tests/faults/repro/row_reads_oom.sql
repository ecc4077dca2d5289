# Row reads from the chunk cache (sqt_slot_rows, the cursor's windows): a lookup by rowid and
# a short range read their rows straight from the cache when the connection does not hold
# the chunk (a ROLLBACK empties the connection's slots), so every allocation of that path
# fails in turn here: SQLITE_NOMEM, nothing leaked, and the answers equal the plain table's.
table: a INTEGER, s TEXT, r REAL | a INTEGER, s TEXT, r REAL | a, s, r
INSERT INTO %T WITH RECURSIVE q(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM q WHERE i < 3000) SELECT i * 7, 'text ' || (i % 97), i / 3.0 FROM q
SELECT a, s, r FROM %T WHERE rowid = 5
SELECT a, s, r FROM %T WHERE rowid BETWEEN 100 AND 180
SELECT a, s, r FROM %T WHERE rowid BETWEEN 2500 AND 2520 ORDER BY rowid DESC
BEGIN
INSERT INTO %T VALUES (1, 'x', 1.5)
ROLLBACK
SELECT a, s, r FROM %T WHERE rowid = 7
SELECT a, s, r FROM %T WHERE rowid BETWEEN 120 AND 200
SELECT a, s, r FROM %T WHERE rowid BETWEEN 2490 AND 2530 ORDER BY rowid DESC
SELECT a, s, r FROM %T WHERE rowid IN (3, 1500, 2999)

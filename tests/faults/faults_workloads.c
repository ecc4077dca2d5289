/*
** faults_workloads.c: the fixed workloads the fault harnesses run (faults_common.h).
**
** Every value is computed by deterministic SQL (no random()), so the statement on t and its
** mirror on p insert the same values, and every value already has its column's storage class
** (INTEGER column: integers, REAL: reals, TEXT: text, BLOB: blobs or NULL, untyped: anything),
** so affinity, applied or not, cannot make t and p differ. Reads order their rows.
**
** The small workload is short enough for every allocation of it to be failed in turn; the large
** one has more rows, chunks, patches, nested savepoints, OR REPLACE/IGNORE, constraint failures
** and rowid moves, and its fault points are sampled.
*/
#include <sqlite3.h>

#include "faults_common.h"

#define CTE9 "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 9) "

static const fh_step small_steps[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML, "INSERT INTO %T(a, b, c, d, e) VALUES (10, 1.5, 'north', 7, x'00ff')", 0},
    {FH_DML,
     "INSERT INTO %T(a, b, c, d, e) VALUES (11, 2.25, 'south', 'x', NULL), "
     "(12, -0.5, 'east', 2.5, zeroblob(40)), (13, 8.0, 'west', NULL, x'01'), "
     "(14, 3.75, 'north', x'0203', NULL), (15, 0.125, 'south', 42, zeroblob(3))",
     0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML,
     "INSERT INTO %T(a, b, c, d, e) " CTE9
     "SELECT 100 + i, i * 0.5, 'n' || (i % 3), i, zeroblob(i) FROM s",
     0},
    {FH_DML, "UPDATE %T SET b = b * 2, c = c || '!' WHERE a % 3 = 0", 0},
    {FH_CTL, "SAVEPOINT s1", 0},
    {FH_DML, "DELETE FROM %T WHERE rowid IN (2, 9)", 0},
    {FH_DML, "UPDATE %T SET rowid = rowid + 100 WHERE rowid = 5", 0},
    {FH_DML, "INSERT INTO %T(rowid, a, b, c, d, e) VALUES (50, 50, 5.5, 'east', 'fifty', x'05')",
     0},
    {FH_READ, "SELECT rowid, a, b, c, d, e FROM %T WHERE a BETWEEN 12 AND 104 ORDER BY rowid", 0},
    {FH_CTL, "ROLLBACK TO s1", 0},
    {FH_DML, "INSERT INTO %T(a, b, c, d, e) VALUES (16, 9.5, 'west', 'y', x'0607')", 0},
    {FH_CTL, "RELEASE s1", 0},
    {FH_CHECK, NULL, 0},
    {FH_CTL, "COMMIT", 0},
    {FH_OPTIMIZE, NULL, 0},
    {FH_READ, "SELECT rowid, a, c FROM %T WHERE rowid > 3 AND rowid <= 12 ORDER BY rowid", 0},
    {FH_READ, "SELECT count(*), sum(a), min(b), max(c) FROM %T WHERE c >= 'north'", 0},
    {FH_DML, "UPDATE %T SET d = 'changed', e = zeroblob(100) WHERE rowid = 3", 0},
    {FH_DML, "DELETE FROM %T WHERE b > 3", 0},
    {FH_DML, "UPDATE %T SET rowid = -rowid WHERE rowid = 1", 0},
    {FH_READ, "SELECT rowid, a, b, c, d, e FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

const fh_workload fh_small = {
    "small",
    "a INTEGER, b REAL CODEC gorilla, c TEXT, d, e BLOB CODEC zstd, chunk_rows = 4",
    "a INTEGER, b REAL, c TEXT, d, e BLOB",
    "a, b, c, d, e",
    small_steps,
    0,
};

/* n rows from i = 1: a minute apart, a reading with two decimals, five sensor names, a note of
** every storage class, a stored blob of a few hundred bytes. */
#define ROWS(n, first)                                                                             \
  "INSERT INTO %T(ts, v, name, note, body) WITH RECURSIVE s(i) AS (SELECT " #first                 \
  " UNION ALL SELECT i + 1 FROM s WHERE i < " #first " + " #n " - 1) "                             \
  "SELECT 1700000000 + i * 60, round(20 + (i % 7) * 0.25, 2), 'sensor-' || (i % 5), "              \
  "CASE i % 4 WHEN 0 THEN i WHEN 1 THEN 'note ' || i WHEN 2 THEN NULL ELSE i * 0.5 END, "          \
  "zeroblob(100 + (i % 9) * 40) FROM s"

#define COLS5 "(rowid, ts, v, name, note, body)"

static const fh_step large_steps[] = {
    {FH_CREATE, NULL, 0},
    {FH_DML, ROWS(40, 1), 0},
    {FH_DML, "INSERT INTO %T(ts, v, name, note, body) VALUES (1, 0.5, 'one', 'single', x'11')", 0},
    {FH_CTL, "BEGIN", 0},
    {FH_DML, "UPDATE %T SET v = v + 1.25 WHERE ts % 120 = 0", 0},
    {FH_DML, "DELETE FROM %T WHERE rowid BETWEEN 10 AND 14", 0},
    /* rowid 12 is free unless the DELETE above failed */
    {FH_DML, "INSERT INTO %T" COLS5 " VALUES (12, 2, 1.5, 'back', 'again', x'aa')",
     SQLITE_CONSTRAINT},
    {FH_READ, "SELECT rowid, ts, v FROM %T WHERE v > 21.0 ORDER BY rowid", 0},
    {FH_CTL, "SAVEPOINT a", 0},
    {FH_DML, "UPDATE %T SET rowid = rowid + 1000 WHERE rowid BETWEEN 20 AND 23", 0},
    {FH_CTL, "SAVEPOINT b", 0},
    {FH_DML, ROWS(20, 100), 0},
    {FH_DML, "DELETE FROM %T WHERE name = 'sensor-3'", 0},
    {FH_CTL, "ROLLBACK TO b", 0},
    {FH_DML, "UPDATE %T SET note = 'upd ' || rowid WHERE rowid % 5 = 0", 0},
    {FH_CTL, "RELEASE b", 0},
    {FH_CHECK, NULL, 0},
    {FH_CTL, "ROLLBACK TO a", 0},
    {FH_DML,
     "INSERT OR REPLACE INTO %T" COLS5 " VALUES (3, 7, 7.5, 'replaced', NULL, zeroblob(500)), "
     "(60, 8, 8.5, 'new', 8, NULL)",
     0},
    {FH_DML,
     "INSERT OR IGNORE INTO %T" COLS5 " VALUES (4, 9, 9.5, 'ignored', 'no', x'01'), "
     "(61, 10, 10.5, 'kept', 'yes', x'02')",
     0},
    {FH_CTL, "RELEASE a", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_READ,
     "SELECT rowid, name FROM %T WHERE name BETWEEN 'sensor-1' AND 'sensor-2' ORDER BY rowid", 0},
    {FH_READ, "SELECT rowid, ts FROM %T WHERE ts >= 1700001000 AND ts < 1700002000 ORDER BY rowid",
     0},
    {FH_OPTIMIZE, NULL, 0},
    {FH_READ, "SELECT count(*), sum(ts), max(v), min(name) FROM %T", 0},
    /* an explicit rowid that exists: UNIQUE constraint failed, in autocommit mode */
    {FH_DML, "INSERT INTO %T" COLS5 " VALUES (5, 11, 11.5, 'dup', NULL, NULL)", SQLITE_CONSTRAINT},
    /* the third row collides: the first two must not stay */
    {FH_DML,
     "INSERT INTO %T" COLS5 " VALUES (200, 12, 12.5, 'a', 1, x'01'), "
     "(201, 13, 13.5, 'b', 2, x'02'), (5, 14, 14.5, 'c', 3, x'03')",
     SQLITE_CONSTRAINT},
    {FH_CTL, "BEGIN", 0},
    {FH_DML,
     "INSERT INTO %T" COLS5 " VALUES (202, 15, 15.5, 'd', 4, x'04'), "
     "(203, 16, 16.5, 'e', 5, x'05'), (6, 17, 17.5, 'f', 6, x'06')",
     SQLITE_CONSTRAINT},
    {FH_DML, "UPDATE %T SET body = zeroblob(50) WHERE rowid IN (1, 2, 3)", 0},
    {FH_DML,
     "INSERT INTO %T(ts, v, name, note, body) "
     "SELECT ts + 1, v * 2, name || '+', note, body FROM %T WHERE rowid <= 8",
     0},
    {FH_READ, "SELECT rowid, ts, v, name, note, body FROM %T WHERE rowid > 40 ORDER BY rowid", 0},
    {FH_DML, "UPDATE %T SET rowid = rowid - 500 WHERE rowid > 1000", 0},
    {FH_DML, "DELETE FROM %T WHERE v < 20.5", 0},
    {FH_CTL, "COMMIT", 0},
    {FH_CHECK, NULL, 0},
    {FH_DML, "DELETE FROM %T WHERE rowid = (SELECT max(rowid) FROM %T)", 0},
    {FH_DML, ROWS(30, 300), 0},
    {FH_DML, "UPDATE %T SET v = -v WHERE rowid BETWEEN 30 AND 45", 0},
    {FH_READ, "SELECT rowid, v FROM %T WHERE v BETWEEN -25 AND -20 ORDER BY rowid", 0},
    {FH_READ, "SELECT rowid FROM %T WHERE rowid IN (1, 3, 12, 60, 61, 520) ORDER BY rowid", 0},
    {FH_CTL, "SAVEPOINT c", 0},
    {FH_DML, "DELETE FROM %T WHERE rowid % 3 = 0", 0},
    {FH_OPTIMIZE, NULL, 0},
    {FH_READ, "SELECT count(*), min(rowid), max(rowid) FROM %T", 0},
    {FH_CTL, "RELEASE c", 0},
    {FH_CHECK, NULL, 0},
    {FH_DML, "UPDATE %T SET name = 'z' WHERE rowid < 0", 0},
    {FH_READ, "SELECT rowid, ts, v, name, note, body FROM %T ORDER BY rowid", 0},
    {FH_END, NULL, 0},
};

const fh_workload fh_large = {
    "large",
    "ts INTEGER CODEC dod, v REAL CODEC alp, name TEXT CODEC dict, note, body BLOB CODEC store, "
    "chunk_rows = 16",
    "ts INTEGER, v REAL, name TEXT, note, body BLOB",
    "ts, v, name, note, body",
    large_steps,
    0,
};

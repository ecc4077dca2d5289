'use strict';
/*
 * PRAGMA integrity_check and quick_check on squeeze tables in a SQLite that
 * calls xIntegrity (3.44 and later): better-sqlite3's own SQLite (make deps
 * builds it in bindings/node/node_modules), with the extension that make
 * builds, whichever sqlite3.h that build saw. A healthy table is 'ok'; a
 * damaged shadow row gives a row "squeeze table schema.table:" followed by
 * squeeze_check's findings, and the pragma's table argument and schema prefix
 * pick the tables checked.
 *
 *   node tests/node/test_integrity.js        (from the repository root;
 *                                             SQUEEZE_EXT: build/squeeze)
 *
 * Prints one line per check, "ok - what" or "not ok - what" (tests/run_all.sh
 * counts them), and exits 1 when a check failed.
 */

const {EXT, Database, check, same, done} = require('./harness');

/* The rows of a pragma, one string each. */
function pragma(db, sql) {
  return db.prepare(sql).pluck().all();
}

/* Whether rows is exactly one report for schema.table that contains every fragment. */
function reports(rows, schema, table, ...fragments) {
  return rows.length === 1 && rows[0].startsWith(`squeeze table ${schema}.${table}:\n`) &&
         fragments.every((f) => rows[0].includes(f));
}

const SERIES = `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 499)
                SELECT 1700000000 + i, i / 4.0, 'name' || (i % 5) FROM s`;

function open() {
  const db = new Database(':memory:');
  db.loadExtension(EXT);
  db.exec(`CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, s TEXT, chunk_rows = 100);
           INSERT INTO t ${SERIES};
           CREATE VIRTUAL TABLE u USING squeeze(a INTEGER, chunk_rows = 10);
           INSERT INTO u SELECT value FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12]');
           CREATE TABLE plain(x);
           INSERT INTO plain VALUES (1);`);
  db.unsafeMode(true); /* better-sqlite3 turns defensive mode on: shadow tables are read-only */
  return db;
}

/* The data row key of chunk k (0-based, by rowid) and slot (0 rowids, c column c). */
function key(db, table, k, slot) {
  const gen = db.prepare(`SELECT gen FROM ${table}_chunk ORDER BY maxrow LIMIT 1 OFFSET ?`)
                  .pluck().get(k);
  return gen * 65536 + slot;
}

const version = new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get();
const [major, minor] = version.split('.').map(Number);
check(major > 3 || (major === 3 && minor >= 44),
      `better-sqlite3's SQLite (${version}) is 3.44 or newer, so it calls xIntegrity`);

{
  const db = open();
  check(JSON.stringify(pragma(db, 'PRAGMA integrity_check')) === '["ok"]',
        'integrity_check is ok on healthy squeeze tables', pragma(db, 'PRAGMA integrity_check'));
  check(JSON.stringify(pragma(db, 'PRAGMA quick_check')) === '["ok"]',
        'quick_check is ok on healthy squeeze tables');

  /* patches, tombstones, a tail, and rows still in the insert buffer */
  db.exec(`BEGIN; UPDATE t SET v = -1 WHERE rowid = 150; DELETE FROM t WHERE rowid = 250;
           INSERT INTO t(ts) VALUES (1), (2), (3);`);
  check(JSON.stringify(pragma(db, 'PRAGMA integrity_check')) === '["ok"]',
        'integrity_check is ok with patches, tombstones and buffered rows in a transaction');
  db.exec('COMMIT');
  check(db.prepare('SELECT count(*) FROM t').pluck().get() === 502,
        'the check inside the transaction lost no buffered row');

  /* a flipped bit in a column chunk's body */
  const k = key(db, 't', 2, 2);
  const body = db.prepare('SELECT body FROM t_data WHERE key = ?').pluck().get(k);
  const bad = Buffer.from(body);
  bad[bad.length >> 1] ^= 0x10;
  db.prepare('UPDATE t_data SET body = ? WHERE key = ?').run(bad, k);
  let rows = pragma(db, 'PRAGMA integrity_check');
  check(reports(rows, 'main', 't', 'chunk of rows 201..300, column v', 'checksum mismatch'),
        'integrity_check reports a damaged t_data body in a row naming main.t', rows);
  rows = pragma(db, 'PRAGMA quick_check');
  check(reports(rows, 'main', 't', 'column v'), 'quick_check reports it too (mFlags 1)', rows);
  rows = pragma(db, "PRAGMA integrity_check('t')");
  check(reports(rows, 'main', 't', 'column v'), "integrity_check('t') checks t", rows);
  rows = pragma(db, "PRAGMA integrity_check('u')");
  check(JSON.stringify(rows) === '["ok"]', "integrity_check('u') does not check t", rows);
  rows = db.prepare('SELECT * FROM pragma_integrity_check').pluck().all();
  check(reports(rows, 'main', 't', 'column v'), 'the table-valued pragma_integrity_check too',
        rows);
  check(db.prepare("SELECT squeeze_check('t')").pluck().get() === rows[0].split('\n').slice(1)
                                                                  .join('\n'),
        "the report's lines after the first are squeeze_check's");

  /* then a zone map that lies, as well */
  const z = key(db, 't', 3, 2);
  db.prepare('UPDATE t_data SET maxv = 0 WHERE key = ?').run(z);
  rows = pragma(db, 'PRAGMA integrity_check');
  check(reports(rows, 'main', 't', 'chunk of rows 201..300', 'chunk of rows 301..400, column v',
                'zone map does not match its checksum'),
        'a damaged zone map is reported in the same row', rows);

  /* repaired: ok again */
  db.prepare('UPDATE t_data SET body = ? WHERE key = ?').run(body, k);
  db.prepare('UPDATE t_data SET maxv = 99.75 WHERE key = ?').run(z);
  rows = pragma(db, 'PRAGMA integrity_check');
  check(JSON.stringify(rows) === '["ok"]', 'integrity_check is ok once the rows are restored',
        rows);

  /* directory damage in another table, the first one healthy */
  db.exec('UPDATE u_chunk SET nrows = 9 WHERE maxrow = 10');
  rows = pragma(db, 'PRAGMA integrity_check');
  check(reports(rows, 'main', 'u', 'chunk of rows 1..10'),
        'a damaged t_chunk row is reported, naming main.u', rows);
  db.close();
}

{
  /* an attached schema: the row names it, and the schema prefix picks it */
  const db = open();
  db.exec(`ATTACH ':memory:' AS aux;
           CREATE VIRTUAL TABLE aux.w USING squeeze(a TEXT, chunk_rows = 10);
           INSERT INTO aux.w SELECT 'x' || value FROM json_each('[1,2,3,4,5,6,7,8,9,10,11]');`);
  db.prepare('UPDATE aux.w_data SET body = ? WHERE key = ?')
      .run(Buffer.from([0]), key(db, 'aux.w', 0, 1));
  let rows = pragma(db, 'PRAGMA integrity_check');
  check(reports(rows, 'aux', 'w', 'chunk of rows 1..10, column a'),
        'integrity_check reports a table of an attached database as aux.w', rows);
  rows = pragma(db, 'PRAGMA main.integrity_check');
  check(JSON.stringify(rows) === '["ok"]', 'PRAGMA main.integrity_check leaves aux alone', rows);
  rows = pragma(db, "PRAGMA aux.quick_check('w')");
  check(reports(rows, 'aux', 'w', 'column a'), "PRAGMA aux.quick_check('w') reports it", rows);
  db.close();
}

done();

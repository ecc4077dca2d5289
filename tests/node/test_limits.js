'use strict';
/*
 * What a virtual table cannot do (docs/squeeze_table.md), in better-sqlite3's SQLite (3.53):
 * the statements SQLite refuses on a squeeze table and their messages, ALTER TABLE RENAME,
 * the rename of a rebuilt table past a view, what INSERT ... RETURNING returns, and a
 * database opened without squeeze. tests/sql/test_vtab_limits.py checks the same, and the
 * ways around each, in Debian's SQLite 3.40.
 *
 *   node tests/node/test_limits.js        (from the repository root; SQUEEZE_EXT: build/squeeze)
 *
 * Prints "ok - what" or "not ok - what" per check; exits 1 when one failed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const {EXT, Database, same, done} = require('./harness');

/* The error message of preparing sql on db, or 'prepared'. */
function prepareError(db, sql) {
  try {
    db.prepare(sql);
    return 'prepared';
  } catch (e) {
    return e.message;
  }
}

const rows = (db, sql, ...params) => db.prepare(sql).raw().all(...params);

function open(file) {
  const db = new Database(file || ':memory:');
  db.loadExtension(EXT);
  return db;
}

const version = new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get();
console.log(`# SQLite ${version}`);

{
  const db = open();
  db.exec(`CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, device TEXT, value REAL, chunk_rows = 2);
           INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', 3.5);`);
  const before = JSON.stringify([rows(db, 'SELECT rowid, * FROM t'),
                                 rows(db, 'SELECT sql FROM sqlite_schema')]);
  const refused = [
    ['CREATE INDEX ti ON t(device)', 'virtual tables may not be indexed'],
    ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END',
     'cannot create triggers on virtual tables'],
    ['CREATE TRIGGER tr BEFORE UPDATE ON t BEGIN SELECT 1; END',
     'cannot create triggers on virtual tables'],
    ['CREATE TRIGGER tr INSTEAD OF DELETE ON t BEGIN SELECT 1; END',
     'cannot create triggers on virtual tables'],
    ['CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END',
     'cannot create triggers on virtual tables'],
    ['ALTER TABLE t ADD COLUMN extra', 'virtual tables may not be altered'],
    ['ALTER TABLE t DROP COLUMN value', 'cannot drop column from virtual table "t"'],
    ['ALTER TABLE t RENAME COLUMN value TO v', 'cannot rename columns of virtual table "t"'],
    ['INSERT INTO t(rowid, ts) VALUES (1, 5) ON CONFLICT DO NOTHING',
     'UPSERT not implemented for virtual table "t"'],
    ['INSERT INTO t(rowid, ts) VALUES (1, 5) ON CONFLICT(rowid) DO UPDATE SET ts = 6',
     'UPSERT not implemented for virtual table "t"'],
    ['UPDATE t SET value = 0 RETURNING rowid', 'UPDATE RETURNING is not available on virtual tables'],
    ['DELETE FROM t RETURNING *', 'DELETE RETURNING is not available on virtual tables'],
  ];
  for (const [sql, message] of refused) same(`refused when prepared: ${sql}`, message, prepareError(db, sql));
  same('and nothing changed', before, JSON.stringify([rows(db, 'SELECT rowid, * FROM t'),
                                                      rows(db, 'SELECT sql FROM sqlite_schema')]));

  /* RETURNING: computed before the row reaches the table */
  same('INSERT RETURNING gives rowid -1 when the statement does not give it', [[-1, 4]],
       rows(db, 'INSERT INTO t(ts) VALUES (4) RETURNING rowid, ts'));
  same('last_insert_rowid() has it', [[4]], rows(db, 'SELECT last_insert_rowid()'));
  same('a given rowid is returned', [[10, 5]],
       rows(db, 'INSERT INTO t(rowid, ts) VALUES (10, 5) RETURNING rowid, ts'));
  same('values come back with the affinity applied, as stored',
       [['integer', 7, 'real', 5.5, 'text', '12']],
       rows(db, "INSERT INTO t(rowid, ts, value, device) VALUES (20, '7', '5.5', 12) " +
                'RETURNING typeof(ts), ts, typeof(value), value, typeof(device), device'));
  same('the stored row', [['integer', 7, 'real', 5.5, 'text', '12']],
       rows(db, 'SELECT typeof(ts), ts, typeof(value), value, typeof(device), device FROM t ' +
                'WHERE rowid = 20'));
  same('a whole REAL comes back as a REAL (3.40.1 gave an INTEGER)', ['bigint', 'number'],
       db.prepare("INSERT INTO t(ts, value) VALUES (6, '5') RETURNING ts, value").safeIntegers(true)
           .raw().get().map((v) => typeof v));
  same('a row that OR IGNORE skips is returned', [[2, 99], [30, 30]],
       rows(db, 'INSERT OR IGNORE INTO t(rowid, ts) VALUES (2, 99), (30, 30) RETURNING rowid, ts'));
  same('and was not stored', [[2, 2], [30, 30]],
       rows(db, 'SELECT rowid, ts FROM t WHERE rowid IN (2, 30)'));
  const n = db.prepare('SELECT count(*) FROM t').pluck().get();
  same('a subquery in RETURNING sees the rows before its own, not its own', [[n], [n + 1]],
       rows(db, 'INSERT INTO t(ts) VALUES (1), (2) RETURNING (SELECT count(*) FROM t)'));

  /* ALTER TABLE RENAME */
  db.exec('ALTER TABLE t RENAME TO u');
  same('ALTER TABLE RENAME renames the shadow tables',
       [['u'], ['u_chunk'], ['u_config'], ['u_data'], ['u_tail']],
       rows(db, 'SELECT name FROM sqlite_schema ORDER BY 1'));
  same('and squeeze_check is ok', 'ok', db.prepare("SELECT squeeze_check('u')").pluck().get());
  db.exec('CREATE TABLE w_data(x)');
  let msg = 'renamed';
  try { db.exec('ALTER TABLE u RENAME TO w'); } catch (e) { msg = e.message; }
  same('a rename onto a taken shadow name fails with its message',
       'squeeze: there is already another table or index with this name: w_data', msg);
  same('and changes nothing', [['u'], ['u_chunk'], ['u_config'], ['u_data'], ['u_tail'], ['w_data']],
       rows(db, 'SELECT name FROM sqlite_schema ORDER BY 1'));

  /* a rebuilt table renamed past a view that names the old one */
  db.exec(`CREATE VIEW uv AS SELECT rowid AS id, * FROM u;
           BEGIN;
           CREATE VIRTUAL TABLE u_new USING squeeze(ts INTEGER, device TEXT, value REAL, unit TEXT);
           INSERT INTO u_new(rowid, ts, device, value, unit) SELECT rowid, *, 'V' FROM u;
           DROP TABLE u;`);
  msg = 'renamed';
  try { db.exec('ALTER TABLE u_new RENAME TO u'); } catch (e) { msg = e.message; }
  same('ALTER TABLE RENAME checks the views: fails while the old table is gone',
       'error in view uv: no such table: main.u', msg);
  db.exec('PRAGMA legacy_alter_table = ON; ALTER TABLE u_new RENAME TO u;' +
          'PRAGMA legacy_alter_table = OFF; COMMIT');
  same('with legacy_alter_table it renames, and the view reads the new table', [[1, 'V']],
       rows(db, 'SELECT id, unit FROM uv WHERE id = 1'));
  db.close();
}

{
  /* a database opened without squeeze */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squeeze-limits-'));
  const file = path.join(dir, 's.db');
  try {
    let db = open(file);
    db.exec(`CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, chunk_rows = 2);
             INSERT INTO t VALUES (1, 1.5), (2, 2.5), (3, 3.5);`);
    db.close();
    db = new Database(file);
    for (const sql of ['SELECT * FROM t', 'INSERT INTO t VALUES (4, 4.5)', 'PRAGMA table_info(t)',
                       'ALTER TABLE t RENAME TO u', 'DROP TABLE t']) {
      same(`without squeeze: ${sql} needs the module`, 'no such module: squeeze',
           prepareError(db, sql));
    }
    same('without squeeze: the shadow tables can be read', [[2, 1, 2]],
         rows(db, 'SELECT maxrow, minrow, nrows FROM t_chunk'));
    same('without squeeze: integrity_check and quick_check say ok', [['ok'], ['ok']],
         [rows(db, 'PRAGMA integrity_check')[0], rows(db, 'PRAGMA quick_check')[0]]);
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

done();

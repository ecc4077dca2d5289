'use strict';
/*
 * Transparent compression of an existing table (docs/transparent.md) through better-sqlite3,
 * whose SQLite (3.53) is newer than Debian's: squeeze_enable, writes and reads through the
 * view with prepared statements, what .run() reports (changes and lastInsertRowid: what a
 * view's INSTEAD OF trigger gives), squeeze_maintain in a file database while another
 * connection writes, trusted_schema=OFF, and squeeze_disable giving the plain table back.
 *
 *   node tests/node/test_transparent.js   (from the repository root; SQUEEZE_EXT: build/squeeze)
 *
 * Prints "ok - what" or "not ok - what" per check; exits 1 when one failed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const {EXT, Database, check, same, done} = require('./harness');

function open(file) {
  const db = new Database(file || ':memory:');
  db.loadExtension(EXT);
  return db;
}

const rows = (db, sql, ...params) => db.prepare(sql).raw().all(...params);
const one = (db, sql, ...params) => db.prepare(sql).pluck().get(...params);

{
  const db = open();
  db.exec(`CREATE TABLE docs(id INTEGER PRIMARY KEY, kind TEXT, body TEXT, raw BLOB);
           CREATE INDEX docs_kind ON docs(kind);`);
  const ins = db.prepare('INSERT INTO docs(kind, body, raw) VALUES (?, ?, ?)');
  const values = [];
  for (let i = 0; i < 300; i++) {
    const v = [`k${i % 5}`, JSON.stringify({i, name: `item ${i}`, tags: ['a', 'b', 'c'], note: 'x'.repeat(i % 90)}),
               Buffer.alloc(64 + (i % 7), i % 256)];
    values.push(v);
    ins.run(...v);
  }
  const before = rows(db, 'SELECT id, kind, body, raw, typeof(body), typeof(raw) FROM docs ORDER BY id');
  same('squeeze_enable returns the rows to compress', 300,
       one(db, "SELECT squeeze_enable('docs', 'body', 'level=9')"));
  same('a second column', 300, one(db, "SELECT squeeze_enable('docs', 'raw', 'codec=lz4')"));
  same('rows read back before squeeze_maintain', before,
       rows(db, 'SELECT id, kind, body, raw, typeof(body), typeof(raw) FROM docs ORDER BY id'));
  same('squeeze_maintain compresses every row', 0, one(db, 'SELECT squeeze_maintain()'));
  same('rows read back after squeeze_maintain', before,
       rows(db, 'SELECT id, kind, body, raw, typeof(body), typeof(raw) FROM docs ORDER BY id'));
  check(one(db, 'SELECT sum(length(body)) FROM _squeeze_docs') <
        one(db, 'SELECT sum(length(body)) FROM docs'), 'the stored column is smaller');
  const plan = rows(db, "EXPLAIN QUERY PLAN SELECT body FROM docs WHERE kind = 'k3'").map(r => r[3]).join(' ');
  check(plan.includes('docs_kind'), 'the index on another column is used', plan);

  const info = db.prepare("INSERT INTO docs(kind, body) VALUES ('new', 'hello')").run();
  same('.run() through the view: changes 0, lastInsertRowid unchanged (INSTEAD OF trigger)',
       {changes: 0, lastInsertRowid: 300}, info);
  same('the row is there', ['hello', 'text'], db.prepare("SELECT body, typeof(body) FROM docs WHERE id = 301").raw().get());
  db.prepare("UPDATE docs SET body = ? WHERE id = ?").run('changed', 6);
  db.prepare("DELETE FROM docs WHERE kind = 'k4'").run();
  same('UPDATE and DELETE through the view', [241, 'changed'],
       [one(db, 'SELECT count(*) FROM docs'), one(db, 'SELECT body FROM docs WHERE id = 6')]);
  let err = '';
  try {
    db.exec("INSERT INTO docs(id, body) VALUES (1, 'x') ON CONFLICT DO NOTHING");
  } catch (e) {
    err = e.message;
  }
  check(err.includes('cannot UPSERT a view'), 'UPSERT on the view is refused', err);
  db.exec('PRAGMA trusted_schema = OFF');
  same('trusted_schema=OFF: reads', JSON.parse(before[10][2]).i,
       JSON.parse(one(db, 'SELECT body FROM docs WHERE id = 11')).i);
  db.prepare("INSERT INTO docs(kind, body) VALUES ('t', 'written with trusted_schema off')").run();
  same('trusted_schema=OFF: writes', 'written with trusted_schema off',
       one(db, "SELECT body FROM docs WHERE kind = 't'"));
  same('squeeze_maintain again', 0, one(db, 'SELECT squeeze_maintain()'));
  db.exec("SELECT squeeze_disable('docs', 'body'); SELECT squeeze_disable('docs', 'raw');");
  same('squeeze_disable leaves a table named docs', 'table', one(db, "SELECT type FROM sqlite_schema WHERE name = 'docs'"));
  same('no squeeze object is left', 0, one(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_squeeze%' ESCAPE '\\'"));
  same('values and types after squeeze_disable', [242, 'changed', 'text', 'blob'],
       [one(db, 'SELECT count(*) FROM docs'), one(db, 'SELECT body FROM docs WHERE id = 6'),
        one(db, 'SELECT typeof(body) FROM docs WHERE id = 6'), one(db, 'SELECT typeof(raw) FROM docs WHERE id = 6')]);
  db.close();
}

{
  /* A file database in WAL mode: maintain on one connection, a writer on another
   * (better-sqlite3's default busy timeout is 5 s). The writer runs in the same thread
   * between maintain's short calls, which is how a Node program would share the work. */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squeeze-'));
  const file = path.join(dir, 't.db');
  const a = open(file);
  a.pragma('journal_mode = WAL');
  a.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  const ins = a.prepare('INSERT INTO t(v) VALUES (?)');
  a.transaction(() => {
    for (let i = 0; i < 20000; i++) ins.run(`line ${i}: ` + 'the quick brown fox '.repeat(5 + (i % 11)));
  })();
  a.prepare("SELECT squeeze_enable('t', 'v')").get();
  const b = open(file);
  let left = -1, steps = 0;
  while (left !== 0) {
    left = one(a, 'SELECT squeeze_maintain(0)');
    b.prepare('INSERT INTO t(v) VALUES (?)').run(`from b ${steps++}`);
  }
  same('maintain in steps while another connection writes', [0, 20000 + steps],
       [one(b, 'SELECT squeeze_maintain()'), one(b, 'SELECT count(*) FROM t')]);
  check(steps > 1, 'it took several steps', steps);
  same('every row reads back', 'line 19999: ' + 'the quick brown fox '.repeat(5 + (19999 % 11)),
       one(b, 'SELECT v FROM t WHERE id = 20000'));
  a.close();
  b.close();
  fs.rmSync(dir, {recursive: true});
}

done();

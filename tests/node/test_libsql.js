'use strict';
/*
 * squeeze in libSQL's embedded library (the npm package libsql, libSQL's fork of SQLite 3.45,
 * installed by make deps in tests/node): it loads the extension with loadExtension, runs every
 * ```sql example of README.md and docs/*.md and requires what the pages show (as
 * tests/sql/test_docs.py checks them in Debian's SQLite), loads it through the sqlite-squeeze package's load(db) as
 * the README's Node example does, and runs a squeeze table's CRUD: the README's weather table
 * from its CSV, INSERT, UPDATE, DELETE, a rolled-back transaction, squeeze_check and
 * PRAGMA integrity_check (which runs the table's xIntegrity in this SQLite).
 *
 *   node tests/node/test_libsql.js   (from the repository root; SQUEEZE_EXT: build/squeeze)
 */
const fs = require('node:fs');
const path = require('node:path');

const {ROOT, EXT, check, same, done} = require('./harness');

let Libsql;
try {
  Libsql = require('libsql');
} catch (e) {
  check(false, 'the npm package libsql loads (make deps installs it in tests/node)', e.message);
  done();
}

function open() {
  const db = new Libsql(':memory:');
  db.loadExtension(EXT);
  return db;
}

/* A value as the sqlite3 shell prints it in list mode (tests/sql/test_docs.py's render):
 * NULL as '', a BLOB as its UTF-8 text, a REAL with a fraction even when whole. */
function render(v) {
  if (v === null) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number' && Number.isInteger(v)) return `${v}.0`;
  return String(v);
}

/* The ```sql blocks of a page, each a list of lines. */
function sqlBlocks(text) {
  const blocks = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (cur === null && t.startsWith('```sql')) cur = [];
    else if (cur !== null && t.startsWith('```')) { blocks.push(cur); cur = null; }
    else if (cur !== null) cur.push(line);
  }
  return blocks;
}

/* (statement, expected rows or null) pairs of a block: a statement ends with ';' at the end
 * of a line (a trigger with END;), and the '-- ' lines after it are its rows (test_docs.py's
 * convention). */
function examples(block) {
  const out = [];
  let stmt = '', expected = null;
  for (const line of block) {
    /* sqlite3_complete's rule, as far as the pages need it: a trigger ends at END; */
    const trigger = /^\s*CREATE\s+(TEMP\w*\s+)?TRIGGER\b/i.test(stmt);
    const complete = trigger ? /\bEND\s*;\s*$/i.test(stmt) : /;\s*$/.test(stmt);
    if (stmt && complete && line.startsWith('-- ')) { (expected = expected || []).push(line.slice(3)); continue; }
    if (stmt && complete) { out.push([stmt, expected]); stmt = ''; expected = null; }
    if (!stmt && (line.startsWith('.') || line.trim() === '' || line.trimStart().startsWith('--'))) continue;
    stmt += line + '\n';
  }
  if (stmt.trim()) out.push([stmt, expected]);
  return out;
}

/* Runs one statement; its rows rendered as the shell prints them. */
function run(db, sql) {
  const s = db.prepare(sql);
  if (!s.reader) { s.run(); return []; }
  return s.raw().safeIntegers(true).all().map(r => r.map(render).join('|'));
}

/* Runs every example of a page in one connection, in order; returns [count, mismatches]. */
function runPage(page) {
  const db = open();
  let n = 0;
  const bad = [];
  for (const block of sqlBlocks(fs.readFileSync(path.join(ROOT, page), 'utf8'))) {
    for (const [sql, expected] of examples(block)) {
      n++;
      try {
        const got = run(db, sql);
        if (expected && JSON.stringify(got) !== JSON.stringify(expected)) bad.push({sql, expected, got});
      } catch (e) {
        bad.push({sql, error: e.message});
      }
    }
  }
  db.close();
  return [n, bad];
}

{
  const db = open();
  same('libSQL loads squeeze: its SQLite and squeeze versions',
       ['3.45', '0.1.0'], db.prepare('SELECT substr(sqlite_version(), 1, 4), squeeze_version()').raw().get());
  db.close();
  const [n, bad] = runPage('README.md');
  check(n >= 10 && bad.length === 0, `every README.md SQL example prints what the README says in libSQL (${n})`, bad);
  for (const page of fs.readdirSync(path.join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort()) {
    const [m, worse] = runPage(path.join('docs', page));
    if (m) check(worse.length === 0, `every docs/${page} SQL example prints what the page says in libSQL (${m})`, worse);
  }
}

{
  /* The README's Node example, with a libSQL database instead of better-sqlite3's. */
  const pkg = path.join(ROOT, process.env.BUILD || 'build', 'node', 'sqlite-squeeze');
  if (fs.existsSync(path.join(pkg, 'index.js'))) {
    const squeeze = require(pkg);
    const db = new Libsql(':memory:');
    squeeze.load(db);
    same("sqlite-squeeze's load(db) with a libSQL database", 'hello, squeeze',
         db.prepare("SELECT decompress(compress('hello, squeeze'))").raw().get()[0]);
    db.close();
  } else {
    check(false, `the Node package is staged (${pkg}; make node)`);
  }
}

{
  const db = open();
  /* libsql's get() gives an object even after pluck(): the first column of raw(). */
  const one = (sql, ...p) => db.prepare(sql).raw().get(...p)[0];
  const csv = fs.readFileSync(path.join(ROOT, 'examples', 'data', 'seattle-weather-hourly-normals.csv'), 'utf8')
    .trim().split('\n').slice(1).map(l => l.split(','));
  /* Every write goes to the squeeze table and to a plain table, which give the same rows. */
  db.exec(`CREATE VIRTUAL TABLE weather USING squeeze(date TEXT, pressure REAL, temperature REAL, wind REAL);
           CREATE TABLE plain(date TEXT, pressure REAL, temperature REAL, wind REAL);`);
  const both = (sql, ...p) => { for (const t of ['weather', 'plain']) db.prepare(sql.replace('$t', t)).run(...p); };
  db.exec('BEGIN');
  for (const r of csv) both('INSERT INTO $t VALUES (?, ?, ?, ?)', ...r);
  db.exec('COMMIT');
  same("the README's weather table, loaded from its CSV", ['8759|11.13|4.7'],
       run(db, 'SELECT count(*), round(avg(temperature), 2), max(wind) FROM weather'));
  same('the declared affinity turned the text into REAL', 'real', one('SELECT typeof(pressure) FROM weather WHERE rowid = 1'));
  both('UPDATE $t SET wind = wind * 2 WHERE rowid % 10 = 0');
  both('DELETE FROM $t WHERE rowid % 7 = 0');
  both("INSERT INTO $t VALUES ('added', 1000.5, -3.25, 0)");
  both('UPDATE $t SET temperature = NULL, date = ? WHERE rowid BETWEEN 100 AND 120', 'cleared');
  const all = (t) => run(db, `SELECT rowid, *, typeof(pressure) FROM ${t} ORDER BY rowid`);
  const plain = all('plain');
  check(plain.length === 7509, 'UPDATE, DELETE and INSERT', plain.length);
  same('the squeeze table reads as the plain table after them', plain, all('weather'));
  const before = run(db, 'SELECT rowid, * FROM weather ORDER BY rowid');
  db.exec('BEGIN');
  db.prepare('DELETE FROM weather WHERE rowid < 4000').run();
  db.prepare('UPDATE weather SET date = NULL').run();
  db.exec('ROLLBACK');
  same('a rolled-back transaction changes nothing', before, run(db, 'SELECT rowid, * FROM weather ORDER BY rowid'));
  same('squeeze_check', 'ok', one("SELECT squeeze_check('weather')"));
  same('PRAGMA integrity_check (xIntegrity in SQLite 3.45)', ['ok'], run(db, 'PRAGMA integrity_check'));
  check(one("SELECT sum(stored_bytes) FROM squeeze_stats('weather')") <
        one("SELECT sum(raw_bytes) FROM squeeze_stats('weather')"), 'the table is stored compressed');
  db.close();
}

done();

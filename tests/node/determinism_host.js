'use strict';
/*
 * One host of test_determinism.js: runs tests/node/determinism.json's steps in a fresh
 * in-memory database of better-sqlite3 or libsql and prints one JSON object, label -> SHA-256
 * of the step's rows, with the host's SQLite version.
 *
 *   node tests/node/determinism_host.js DRIVER SETTINGS_JSON
 *     DRIVER    better-sqlite3 or libsql
 *     SETTINGS  {"cache": "0" | "64M" | null (squeeze_cache_config('size', ...)),
 *                only where that function exists (test_determinism.js asks),
 *                "warm": true (warm the pool and caches up first: the whole workload once in
 *                another database of the same connection's process, and mixed compress and
 *                decompress calls on the same connection),
 *                "thr": "" or ",threads=N" (appended to zstd's options)}
 *
 * Each cell is hashed with its storage class: tag (i, r, s, b, n), the byte length, a colon,
 * the bytes (a REAL as its 8 little-endian bytes, TEXT as UTF-8), as determinism_host.py does.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const {ROOT, EXT} = require('./harness');

const [driver, settingsText] = process.argv.slice(2);
const settings = JSON.parse(settingsText || '{}');
const Database = driver === 'libsql' ? require('libsql') : require('./harness').Database;
const work = JSON.parse(fs.readFileSync(path.join(__dirname, 'determinism.json'), 'utf8'));

function param(spec) {
  const [[kind, file]] = Object.entries(spec);
  const bytes = fs.readFileSync(path.join(ROOT, 'examples', 'data', file));
  const lines = () => bytes.toString('utf8').replace(/\n$/, '').split('\n');
  if (kind === 'blob') return bytes;
  if (kind === 'text') return bytes.toString('utf8');
  if (kind === 'json_lines') return JSON.stringify(lines());
  if (kind === 'json_csv') return JSON.stringify(lines().slice(1).map(l => l.split(',')));
  throw new Error(`determinism.json: unknown parameter kind ${kind}`);
}
const params = Object.fromEntries(Object.entries(work.params).map(([k, v]) => [k, param(v)]));
params.thr = settings.thr || '';

function cell(h, v) {
  let tag, b;
  if (v === null) { tag = 'n'; b = Buffer.alloc(0); }
  else if (typeof v === 'bigint') { tag = 'i'; b = Buffer.from(v.toString()); }
  else if (typeof v === 'number') { tag = 'r'; b = Buffer.alloc(8); b.writeDoubleLE(v); }
  else if (typeof v === 'string') { tag = 's'; b = Buffer.from(v, 'utf8'); }
  else { tag = 'b'; b = Buffer.from(v); }
  h.update(`${tag}${b.length}:`);
  h.update(b);
}

function run(db) {
  const out = {};
  for (const [label, sql] of work.steps) {
    const s = db.prepare(sql);
    const names = [...new Set(sql.match(/:[a-z_]+/g) || [])].map(n => n.slice(1));
    const bind = Object.fromEntries(names.map(n => [n, params[n]]));
    if (!s.reader) {
      names.length ? s.run(bind) : s.run();
      continue;
    }
    const rows = (names.length ? s.raw().safeIntegers(true).all(bind) : s.raw().safeIntegers(true).all());
    if (label.startsWith('-')) continue;
    const h = crypto.createHash('sha256');
    for (const r of rows) { h.update('row'); for (const v of r) cell(h, v); }
    out[label] = `${rows.length} rows ${h.digest('hex').slice(0, 32)}`;
  }
  return out;
}

function open() {
  const db = new Database(':memory:');
  db.loadExtension(path.resolve(ROOT, EXT));
  if (settings.cache != null) db.prepare("SELECT squeeze_cache_config('size', ?)").raw().get(settings.cache);
  return db;
}

const db = open();
if (settings.warm) {
  const other = open();
  run(other);
  for (let i = 0; i < 200; i++) {
    const v = crypto.createHash('sha256').update(String(i)).digest('hex').repeat(1 + (i * 37) % 3000);
    const codec = ['zstd', 'lz4', 'lz4hc', 'lz77', 'huffman'][i % 5];
    db.prepare('SELECT decompress(compress(?, ?, ?))').raw().get(v, codec, codec === 'huffman' ? '' : `level=${1 + i % 9}`);
  }
}
const out = run(db);
out.host = `${driver} (SQLite ${db.prepare('SELECT sqlite_version()').raw().get()[0]})`;
console.log(JSON.stringify(out));

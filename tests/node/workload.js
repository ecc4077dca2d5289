'use strict';
/*
 * The replication tests' workload: a database with the three ways squeeze stores data, written
 * in numbered batches that are each one transaction, so that any committed prefix of them can
 * be replayed into a fresh database and compared with what a replica restored.
 *
 *   readings  a squeeze table (CREATE VIRTUAL TABLE ... USING squeeze): each batch appends
 *             rows, every third batch updates and every fifth deletes rows across the table
 *   events    a plain table whose body holds compress(x, 'zstd', 'dict=events') frames, the
 *             dictionary trained by squeeze_train_dict at setup
 *   notes     a transparent table (squeeze_enable), written through its view; the writer runs
 *             squeeze_maintain between batches, the replay never does (it changes how rows
 *             are stored, not what they read as)
 *   batches   one row per committed batch, written in the batch's transaction
 *
 *   const w = require('./workload');
 *   w.setup(db); for (let b = 1; b <= k; b++) w.batch(db, b); w.dump(db);
 *
 * db is a better-sqlite3 or libsql Database with squeeze loaded. Every value is a pure
 * function of the batch number, so a replay writes the same rows.
 */

/* A deterministic 32-bit hash of the integers given (Murmur3's finalizer, chained). */
function mix(...xs) {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const ROWS = 150;        /* readings per batch */
const EVENTS = 12;       /* events per batch */
const NOTES = 8;         /* notes per batch */
const WORDS = ['north', 'south', 'pump', 'valve', 'ok', 'alarm', 'reset', 'sensor', 'offline',
               'online', 'pressure', 'flow', 'level', 'maintenance', 'scheduled', 'manual'];

function eventText(b, i) {
  const h = mix(b, i, 1);
  return JSON.stringify({
    batch: b, seq: i, site: `site-${h % 9}`, kind: WORDS[h % WORDS.length],
    detail: Array.from({length: 3 + (h % 5)}, (_, k) => WORDS[mix(b, i, k) % WORDS.length]).join(' '),
    value: (h % 100000) / 100,
  });
}

function noteText(b, i) {
  const h = mix(b, i, 2);
  return `note ${b}.${i}: ` + Array.from({length: 20 + (h % 40)}, (_, k) => WORDS[mix(b, i, k, 3) % WORDS.length]).join(' ');
}

/* Creates the tables and trains the dictionary: one transaction for the tables, then
 * squeeze_train_dict (its own), then squeeze_enable. */
function setup(db) {
  db.exec(`BEGIN;
    CREATE VIRTUAL TABLE readings USING squeeze(ts INTEGER, sensor TEXT, temp REAL, note TEXT,
                                                chunk_rows = 512);
    CREATE TABLE events(id INTEGER PRIMARY KEY, body BLOB);
    CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
    CREATE TABLE batches(id INTEGER PRIMARY KEY, readings INTEGER);
    CREATE TABLE samples(body TEXT);
    COMMIT;`);
  const ins = db.prepare('INSERT INTO samples VALUES (?)');
  db.exec('BEGIN');
  for (let i = 0; i < 400; i++) ins.run(eventText(0, i));
  db.exec('COMMIT');
  db.prepare("SELECT squeeze_train_dict('events', 'SELECT body FROM samples')").run();
  db.prepare("SELECT squeeze_enable('notes', 'body', 'level=5')").run();
}

/* Writes batch b in one transaction. */
function batch(db, b) {
  db.exec('BEGIN IMMEDIATE');
  try {
    const r = db.prepare('INSERT INTO readings VALUES (?, ?, ?, ?)');
    for (let i = 0; i < ROWS; i++) {
      const h = mix(b, i);
      r.run(1700000000 + b * ROWS + i, `s${h % 7}`, Math.round(2000 + (h % 1500)) / 100,
            h % 11 === 0 ? null : WORDS[h % WORDS.length]);
    }
    if (b % 3 === 0) db.prepare('UPDATE readings SET temp = temp + 0.25 WHERE rowid % 13 = ?').run(b % 13);
    if (b % 5 === 0) db.prepare('DELETE FROM readings WHERE rowid % 17 = ?').run(b % 17);
    const e = db.prepare("INSERT INTO events(body) VALUES (compress(?, 'zstd', 'dict=events'))");
    for (let i = 0; i < EVENTS; i++) e.run(eventText(b, i));
    const n = db.prepare('INSERT INTO notes(body) VALUES (?)');
    for (let i = 0; i < NOTES; i++) n.run(noteText(b, i));
    if (b % 4 === 0) db.prepare("UPDATE notes SET body = body || ' (edited)' WHERE id % 9 = ?").run(b % 9);
    db.prepare('INSERT INTO batches VALUES (?, (SELECT count(*) FROM readings))').run(b);
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/* The last committed batch (0: none; null: no tables yet). */
function lastBatch(db) {
  const t = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'batches'").pluck().get();
  if (!t) return null;
  return db.prepare('SELECT coalesce(max(id), 0) FROM batches').pluck().get();
}

/* Every value a user reads, as text that compares exactly: integers as text, reals as their
 * shortest round-trip form, blobs in hex, each tagged with its type. */
function dump(db) {
  const q = (sql) => JSON.stringify(db.prepare(sql).raw().all(), (k, v) =>
    typeof v === 'bigint' ? `i${v}` : v && v.type === 'Buffer' ? `x${Buffer.from(v.data).toString('hex')}` : v);
  return {
    readings: q('SELECT rowid, ts, sensor, temp, note, typeof(ts), typeof(temp) FROM readings ORDER BY rowid'),
    events: q('SELECT id, body, decompress(body) FROM events ORDER BY id'),
    notes: q('SELECT id, body, typeof(body) FROM notes ORDER BY id'),
    batches: q('SELECT * FROM batches ORDER BY id'),
    dictionaries: q('SELECT id, name, bytes, hash, samples, sample_bytes, level FROM squeeze_dict ORDER BY id'),
  };
}

/* The stored bytes of the squeeze table's shadow tables, each ordered by its key. */
function shadow(db, table) {
  const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE ? ESCAPE '\\' ORDER BY name")
    .pluck().all(`${table.replace(/_/g, '\\_')}\\_%`);
  const out = {};
  for (const n of names) out[n] = JSON.stringify(db.prepare(`SELECT * FROM "${n}" ORDER BY 1`).raw().all(),
    (k, v) => v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : typeof v === 'bigint' ? `${v}` : v);
  return out;
}

module.exports = {setup, batch, lastBatch, dump, shadow, mix, ROWS};

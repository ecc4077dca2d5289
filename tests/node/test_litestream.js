'use strict';
/*
 * squeeze under Litestream (page-level replication; 0.3.13, the npm package
 * @flydotio/litestream-linux-x64 that make deps installs in tests/node): `litestream replicate`
 * ships a WAL database to a file replica while a writer (litestream_writer.js) commits batches
 * of tests/node/workload.js into a squeeze table, a table of dictionary-compressed values and a
 * transparent table, and is killed (SIGKILL) at random moments, then restarted. After each kill
 * a copy restored with `litestream restore` must hold at least every batch the writer reported
 * committed, and every restored copy (one while the writer writes, one after each kill, and
 * the last after Litestream stops) must:
 *   - open with squeeze and pass PRAGMA integrity_check (which, in this SQLite, runs the squeeze
 *     table's xIntegrity) and squeeze_check;
 *   - read exactly as a replay of batches 1..k into a fresh database, k its last batch: every
 *     value, the dictionary, and the squeeze table's shadow rows byte for byte;
 *   - take further writes;
 * and the last one must read exactly as the source database.
 *
 *   node tests/node/test_litestream.js   (from the repository root; SQUEEZE_EXT: build/squeeze;
 *                                        SEED=n repeats a run's kill times; KEEP=1 keeps
 *                                        its directory under the system's tmp)
 *
 * Skips (one "ok - " line saying why) only where the binary cannot run: a machine other than
 * Linux x86-64, for which the npm package has no binary.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {spawn, spawnSync} = require('node:child_process');

const {EXT, Database, check, same, done} = require('./harness');
const w = require('./workload');

const LITESTREAM = path.join(__dirname, 'node_modules', '@flydotio', 'litestream-linux-x64', 'litestream');

/* Litestream's version, or null (with the reason printed) where it cannot run here. */
function litestreamVersion() {
  const r = spawnSync(LITESTREAM, ['version'], {encoding: 'utf8'});
  if (!r.error && r.status === 0) return r.stdout.trim();
  if (`${process.platform}/${process.arch}` !== 'linux/x64') {
    console.log(`ok - litestream: skipped, the npm package has a binary for linux/x64 only (this is ${process.platform}/${process.arch})`);
    return null;
  }
  check(false, `litestream runs (${LITESTREAM}; run make deps)`, r.error ? r.error.message : r.stderr);
  return null;
}

function open(file, options) {
  const db = new Database(file, options);
  db.loadExtension(EXT);
  return db;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/* Restores the replica into a new file; returns its path. */
function restore(dir, replica, name) {
  const out = path.join(dir, name);
  const r = spawnSync(LITESTREAM, ['restore', '-o', out, `file://${replica}`], {encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`litestream restore: ${r.stderr}`);
  return out;
}

/* A replay database advanced batch by batch, so that each copy is compared with the replay of
 * exactly its own batches. */
class Replay {
  constructor() {
    this.db = open(':memory:');
    w.setup(this.db);
    this.k = 0;
  }
  to(k) {
    if (k < this.k) {
      this.db.close();
      Object.assign(this, new Replay());
    }
    while (this.k < k) w.batch(this.db, ++this.k);
    return this.db;
  }
}

/* Checks a restored copy against the replay; returns its last batch. */
function verify(file, replay, what) {
  const db = open(file);
  const k = w.lastBatch(db);
  same(`${what}: PRAGMA integrity_check`, ['ok'], db.pragma('integrity_check', {simple: false}).map(r => r.integrity_check));
  same(`${what}: squeeze_check`, 'ok', db.prepare("SELECT squeeze_check('readings')").pluck().get());
  const ref = replay.to(k);
  same(`${what}: every value equals a replay of batches 1..${k}`, w.dump(ref), w.dump(db));
  same(`${what}: the squeeze table's shadow rows equal the replay's, byte for byte`,
       w.shadow(ref, 'readings'), w.shadow(db, 'readings'));
  db.exec("INSERT INTO readings VALUES (1, 'after restore', 2.5, NULL)");
  db.exec("INSERT INTO notes(body) VALUES ('after restore')");
  same(`${what}: takes writes`, ['ok', 'after restore'],
       [db.prepare("SELECT squeeze_check('readings')").pluck().get(),
        db.prepare('SELECT body FROM notes ORDER BY id DESC LIMIT 1').pluck().get()]);
  db.close();
  return k;
}

/* Runs the writer until killed ms milliseconds after its first commit (so that a slow start
 * on a loaded machine still leaves it time to write), calling during() halfway, while it
 * writes; resolves to the last batch it reported. */
function writeFor(src, ms, during) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'litestream_writer.js'), src],
                        {stdio: ['ignore', 'pipe', 'pipe'], env: process.env});
    let out = '', err = '', timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.stdout.on('data', (d) => {
      if (!out) {
        clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), ms);
        setTimeout(during, ms / 2);
      }
      out += d;
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const m = out.match(/committed (\d+)\n(?![\s\S]*committed)/);
      check(signal === 'SIGKILL' && m, `the writer ran until killed ${ms} ms after its first commit`, {code, signal, err});
      resolve(m ? Number(m[1]) : 0);
    });
  });
}

async function main() {
  const version = litestreamVersion();
  if (!version) return;
  const seed = Number(process.env.SEED || Date.now() % 100000);
  console.log(`# litestream ${version}, seed ${seed} (SEED=${seed} repeats the kill times)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqz-litestream-'));
  const src = path.join(dir, 'src.db');
  const replica = path.join(dir, 'replica');
  const config = path.join(dir, 'litestream.yml');
  fs.writeFileSync(config, `dbs:
  - path: ${src}
    monitor-interval: 50ms
    replicas:
      - type: file
        path: ${replica}
        sync-interval: 50ms
`);
  {
    const db = open(src);
    db.pragma('journal_mode = WAL');
    w.setup(db);
    db.close();
  }
  /* Litestream 0.3.13 logs to stdout; both go into lsLog, printed when something fails. */
  const ls = spawn(LITESTREAM, ['replicate', '-config', config], {stdio: ['ignore', 'pipe', 'pipe']});
  let lsLog = '';
  ls.stdout.on('data', (d) => { lsLog += d; });
  ls.stderr.on('data', (d) => { lsLog += d; });
  const replay = new Replay();
  try {
    /* Litestream has made its first snapshot (of the tables) once a restore succeeds. */
    let first;
    for (let t = 0; t < 100 && !first; t++) {
      await sleep(100);
      fs.rmSync(path.join(dir, 'setup.db'), {force: true});
      try { first = restore(dir, replica, 'setup.db'); } catch (e) { /* not yet */ }
    }
    check(first, 'litestream replicated the new database within 10 s', lsLog);
    let committed = 0;
    for (let round = 1; round <= 4; round++) {
      const ms = w.mix(seed, round) % 600;
      let mid, midError;
      const last = await writeFor(src, ms, () => {
        try { mid = restore(dir, replica, `round${round}-mid.db`); } catch (e) { midError = e.message; }
      });
      if (mid) verify(mid, replay, `round ${round}, restored while the writer wrote`);
      else check(false, `round ${round}: litestream restore while the writer wrote`, midError);
      check(last > committed, `round ${round}: the writer committed batches ${committed + 1}..${last}`, last);
      committed = last;
      /* The replica catches up: a restored copy holds every reported batch within 10 s. */
      let file, k = -1;
      for (let t = 0; t < 50 && k < committed; t++) {
        if (file) fs.rmSync(file, {force: true});
        await sleep(200);
        file = restore(dir, replica, `round${round}.db`);
        const db = new Database(file, {readonly: true});
        k = w.lastBatch(db);
        db.close();
      }
      check(k >= committed, `round ${round}: the replica holds every batch the writer reported (${committed}; restored ${k})`);
      verify(file, replay, `round ${round}, restored after the kill`);
    }
    await sleep(300);
    const stopped = new Promise((res) => ls.on('exit', res));
    ls.kill('SIGTERM');
    await stopped;
    const file = restore(dir, replica, 'final.db');
    const s = open(src, {readonly: true});
    const copy = open(file, {readonly: true});
    const k = w.lastBatch(copy);
    same(`the last copy equals the source database (batches 1..${k})`, w.dump(s), w.dump(copy));
    s.close();
    copy.close();
    verify(file, replay, 'restored after litestream stopped');
  } catch (e) {
    check(false, 'litestream test ran to the end', `${e.stack}\n${lsLog}`);
    ls.kill('SIGKILL');
  }
  if (!process.env.KEEP) fs.rmSync(dir, {recursive: true, force: true});
}

main().then(done, (e) => { check(false, 'litestream test', e.stack); done(); });

'use strict';
/*
 * Statement replication (rqlite, libSQL's server) re-runs each write on every node, so every
 * function that can feed a write must give the same bytes for the same input whatever else
 * differs between the nodes. This test runs the steps of tests/node/determinism.json (compress
 * with every bytes codec and option on every bundled file, squeeze_train_dict and compress with
 * its dictionaries, gorilla_encode and dod_encode, two squeeze tables' shadow rows after the same
 * INSERT, UPDATE, DELETE and squeeze_optimize, a transparent table after squeeze_enable and
 * squeeze_maintain) in three processes that differ in everything that must not matter:
 *
 *   better-sqlite3 (its SQLite)   cold pool, chunk cache off, shared cache off, one thread
 *   libsql (SQLite 3.45)          pool and caches warmed by the whole workload first, cache
 *                                 64M, shared cache on, threads=2 when compress accepts it
 *   python3 (Debian's SQLite)     warmed, default cache, threads=4 when accepted
 *
 * and checks that each step's rows hash the same in all three. Whether compress accepts
 * 'threads=N', and whether squeeze_cache_config exists, is asked first; when one does not, a
 * line "# threads: not covered, ..." (or "# the cache size setting: ...") says so, and the hosts
 * still differ in the rest.
 *
 *   node tests/node/test_determinism.js   (from the repository root; SQUEEZE_EXT: build/squeeze)
 */
const path = require('node:path');
const {spawn} = require('node:child_process');

const {EXT, Database, check, same, done} = require('./harness');

/* Whether sql runs in this build; prints what is not covered when it does not. */
function accepted(sql, what) {
  const db = new Database(':memory:');
  db.loadExtension(EXT);
  try {
    db.prepare(sql).get();
    return true;
  } catch (e) {
    console.log(`# ${what}: not covered, ${sql} fails here: ${e.message}`);
    return false;
  } finally {
    db.close();
  }
}

/* Runs one host; resolves to its JSON output (or an error text). */
function host(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => resolve({error: e.message}));
    child.on('exit', (code) => {
      try {
        resolve(code === 0 ? JSON.parse(out) : {error: `exit ${code}: ${err}`});
      } catch (e) {
        resolve({error: `${e.message}: ${out} ${err}`});
      }
    });
  });
}

async function main() {
  const thr = accepted("SELECT compress('x', 'zstd', 'threads=2')", 'threads');
  const size = accepted("SELECT squeeze_cache_config('size')", 'the cache size setting');
  const js = path.join(__dirname, 'determinism_host.js');
  const runs = [
    ['better-sqlite3: cold pool, cache off, shared cache off, one thread',
     process.execPath, [js, 'better-sqlite3', JSON.stringify({cache: size ? '0' : null, warm: false, thr: ''})],
     {SQUEEZE_CACHE_SHARED: 'off'}],
    [`libsql: warmed pool and caches, cache 64M, shared cache on${thr ? ', threads=2' : ''}`,
     process.execPath, [js, 'libsql', JSON.stringify({cache: size ? '64M' : null, warm: true, thr: thr ? ',threads=2' : ''})],
     {SQUEEZE_CACHE_SHARED: 'on'}],
    [`python3: warmed pool and caches, default cache${thr ? ', threads=4' : ''}`,
     '/usr/bin/python3', [path.join(__dirname, 'determinism_host.py'), JSON.stringify({warm: true, thr: thr ? ',threads=4' : ''})],
     {}],
  ];
  const results = await Promise.all(runs.map(([, cmd, args, env]) => host(cmd, args, env)));
  let ok = true;
  results.forEach((r, i) => {
    const good = !r.error && r.host;
    check(good, `host ran: ${runs[i][0]}${good ? ` [${r.host}]` : ''}`, r.error);
    ok = ok && good;
  });
  if (!ok) return;
  const labels = Object.keys(results[0]).filter(k => k !== 'host');
  same('every host ran the same steps', labels, Object.keys(results[1]).filter(k => k !== 'host'));
  same('every host ran the same steps (python3)', labels, Object.keys(results[2]).filter(k => k !== 'host'));
  const hosts = results.map(r => r.host).join(', ');
  for (const label of labels) {
    const got = results.map(r => r[label]);
    /* Only the tails (emptied by the writes that compress them) may be empty. */
    const nonEmpty = !got[0].startsWith('0 rows') || label.endsWith(': tail');
    check(nonEmpty && got.every(g => g === got[0]), `same bytes in ${hosts}: ${label} (${got[0]})`, got);
  }
}

main().then(done, (e) => { check(false, 'determinism test', e.stack); done(); });

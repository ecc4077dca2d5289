'use strict';
/*
 * What the Node tests share: the paths, better-sqlite3 (built in bindings/node by
 * `make deps`), and TAP-like reporting, one "ok - what" or "not ok - what" line per check,
 * which tests/run_all.sh counts.
 *
 *   const t = require('./harness');
 *   t.same('a check', expected, got);
 *   t.check(condition, 'another', detailShownWhenItFails);
 *   t.done();   // exits 1 when a check failed
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/* The built extension: SQUEEZE_EXT (relative to the root) or build/squeeze. */
const EXT = path.resolve(ROOT, process.env.SQUEEZE_EXT || path.join('build', 'squeeze'));
const Database = require(path.join(ROOT, 'bindings', 'node', 'node_modules', 'better-sqlite3'));

let failures = 0;

/* Reports a check that passed when ok, with detail printed when it did not. */
function check(ok, what, detail) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (!ok) {
    failures++;
    if (detail !== undefined) console.log(`  got: ${JSON.stringify(detail)}`);
  }
}

/* Reports whether got equals expected (as JSON). */
function same(what, expected, got) {
  const ok = JSON.stringify(expected) === JSON.stringify(got);
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (!ok) {
    failures++;
    console.log(`  expected: ${JSON.stringify(expected)}\n  got:      ${JSON.stringify(got)}`);
  }
}

/* Ends the test: exit status 1 when a check failed. */
function done() {
  process.exit(failures ? 1 : 0);
}

module.exports = {ROOT, EXT, Database, check, same, done};

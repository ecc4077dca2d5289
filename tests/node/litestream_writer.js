'use strict';
/*
 * The writer test_litestream.js starts and kills: opens the database (WAL mode, squeeze
 * loaded), then commits batches of tests/node/workload.js one after the other, from the one
 * after the last committed, printing "committed N" after each COMMIT returns, and runs
 * squeeze_maintain(0) (one short transaction of the transparent table's compression) after
 * every second batch. It runs until killed, or until batch LAST when given.
 *
 *   node tests/node/litestream_writer.js DB [LAST]
 */
const fs = require('node:fs');
const {EXT, Database} = require('./harness');
const w = require('./workload');

const db = new Database(process.argv[2]);
db.loadExtension(EXT);
db.pragma('busy_timeout = 10000');
db.pragma('journal_mode = WAL');
const last = process.argv[3] ? Number(process.argv[3]) : Infinity;
for (let b = w.lastBatch(db) + 1; b <= last; b++) {
  w.batch(db, b);
  fs.writeSync(1, `committed ${b}\n`);
  if (b % 2 === 0) db.prepare('SELECT squeeze_maintain(0)').pluck().get();
}
db.close();

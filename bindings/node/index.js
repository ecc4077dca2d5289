'use strict';
/*
 * sqlite-squeeze: loads squeeze, the SQLite compression extension, into a
 * better-sqlite3 database.
 *
 *   const Database = require('better-sqlite3');
 *   const squeeze = require('sqlite-squeeze');
 *
 *   const db = new Database(':memory:');
 *   squeeze.load(db);
 *   db.prepare("SELECT decompress(compress('hello'))").pluck().get();  // 'hello'
 *
 * The extension itself, squeeze.so, is shipped inside this package, next to
 * this file (`make node` puts it there, in build/node/sqlite-squeeze/); it is
 * never looked up anywhere else, so the package always loads the extension it
 * was built with. better-sqlite3 is not a dependency: load() works with any
 * database object that has loadExtension(path), as better-sqlite3's does.
 */
const fs = require('node:fs');
const path = require('node:path');

/**
 * The absolute path of the squeeze.so shipped in this package, for
 * db.loadExtension(). Throws an Error when the package was installed without
 * it (from bindings/node instead of the tree that `make node` stages).
 */
function getLoadablePath() {
  const file = path.join(__dirname, 'squeeze.so');
  if (!fs.existsSync(file)) {
    throw new Error(`sqlite-squeeze: ${file} is missing; build the package with \`make node\``);
  }
  return file;
}

/**
 * Loads squeeze into db (a better-sqlite3 Database, or anything with
 * loadExtension(path)). Throws what db.loadExtension throws when SQLite
 * refuses, and what getLoadablePath() throws.
 */
function load(db) {
  db.loadExtension(getLoadablePath());
}

module.exports = { load, getLoadablePath };

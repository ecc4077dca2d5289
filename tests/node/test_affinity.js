'use strict';
/*
 * Affinity in better-sqlite3's SQLite (3.53), against a plain table with the
 * same declaration: TEXT that reads as a number, written into INTEGER, REAL
 * and NUMERIC columns and as rowids, compared in WHERE clauses (literals,
 * bound parameters, IN lists, rowids) and given by UPDATE. In SQLite 3.53
 * sqlite3_value_numeric_type locks the value's connection, so squeeze must
 * apply it to the values SQLite passes in, never to a copy from
 * sqlite3_value_dup (which has no connection: the process crashed).
 * tests/sql/test_vtab_mirror.py does the same in Debian's SQLite.
 *
 *   node tests/node/test_affinity.js        (from the repository root;
 *                                            SQUEEZE_EXT: build/squeeze)
 *
 * Prints "ok - what" or "not ok - what" per check; exits 1 when one failed.
 */

const {EXT, Database, same, done} = require('./harness');

const db = new Database(':memory:');
db.loadExtension(EXT);
const COLUMNS = 'i INTEGER, r REAL, n NUMERIC, t TEXT, b BLOB';
db.exec(`CREATE TABLE p(${COLUMNS});
         CREATE VIRTUAL TABLE s USING squeeze(${COLUMNS}, chunk_rows = 4);`);

/* Runs sql (with %T for the table) on both tables; the rows of each. */
function both(sql, ...params) {
  return ['p', 's'].map((t) => {
    const st = db.prepare(sql.replaceAll('%T', t));
    return st.reader ? st.raw().all(...params) : st.run(...params).changes;
  });
}

function mirror(what, sql, ...params) {
  const [plain, squeezed] = both(sql, ...params);
  same(what, plain, squeezed);
}

const TEXTS = ['7', ' 8 ', '45.93', '1e3', '-0', '1.0', '9223372036854775807', '9223372036854775808',
               '0x10', '12abc', '', 'x', '  ', '3.0e0', '.5', '5.', '+6', '1e400'];
TEXTS.forEach((x, k) => {
  mirror(`INSERT of the text ${JSON.stringify(x)} into every column`,
         'INSERT INTO %T(rowid, i, r, n, t, b) VALUES (?, ?, ?, ?, ?, ?)', k + 1, x, x, x, x, x);
});
mirror('the same values as literals, past a chunk boundary',
       `INSERT INTO %T(i, r, n, t, b) VALUES ('7', '45.93', '1e3', 7, '8'), (' 9', '10', 'x', 1.5, 2)`);
mirror('and from INSERT ... SELECT of text columns',
       "INSERT INTO %T(i, r, n, t) SELECT '100' || value, value || '.25', value, value FROM json_each('[1,2,3,4,5]')");
mirror('rowids given as text', "INSERT INTO %T(rowid, i) VALUES ('1000', 1), (' 1001 ', 2), ('1002.0', 3)");
mirror('every row, with its types',
       'SELECT rowid, quote(i), quote(r), quote(n), quote(t), quote(b) FROM %T ORDER BY rowid');

const WHERE = [
  ["i = '7'"], ["i = ?", '7'], ["i < ' 9'"], ["r > '45'"], ["r BETWEEN '10' AND '50'"],
  ["n IN ('1e3', '1000', 'x')"], ["i IN (?, ?)", '7', ' 9'], ['rowid = ?', '1001'],
  ["rowid IN ('1000', '1002')"], ["rowid >= '1001'"], ["t = 7"], ["t = ?", 1.5], ["b = '8'"],
  ["i = '7' AND t = '7'"],
];
for (const [cond, ...params] of WHERE) {
  mirror(`WHERE ${cond}${params.length ? ' with ' + JSON.stringify(params) : ''}`,
         `SELECT rowid, quote(i), quote(r) FROM %T WHERE ${cond} ORDER BY rowid`, ...params);
}

mirror("UPDATE with text values", "UPDATE %T SET i = '42', r = ' 2 ', n = '2.50' WHERE rowid = '1000'");
mirror("UPDATE moving a row to a text rowid", "UPDATE %T SET rowid = '2000' WHERE rowid = ?", '1001');
mirror('every row after the updates',
       'SELECT rowid, quote(i), quote(r), quote(n), quote(t), quote(b) FROM %T ORDER BY rowid');
same('squeeze_check is ok', 'ok', db.prepare("SELECT squeeze_check('s')").pluck().get());

done();

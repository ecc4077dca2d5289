"""Damaged shadow tables of a squeeze table: every kind of damage gives
SQLITE_CORRUPT_VTAB with a message (never a crash, never wrong rows), and
squeeze_check names the problem. Also shows, by damaging blobs a query must
not touch, that zone maps skip chunks, that only the columns a query uses are
decoded, and that LIMIT stops before the next chunk.
"""
import os
import random
import sqlite3
import tempfile
import unittest

from sqz import SqlTestCase, connect

SQLITE_CORRUPT_VTAB = 267


def cache_config(option, *value):
    """squeeze_cache_config(option [, value]) of this process (the settings are the
    process's, whatever the connection): the setting after setting it."""
    db = connect()
    try:
        args = (option,) + value
        return db.execute("SELECT squeeze_cache_config(%s)" % ", ".join("?" * len(args)),
                          args).fetchone()[0]
    finally:
        db.close()


class Damage(SqlTestCase):
    """The damage is written through self.db, and every read that should see it goes
    through a new connection (self.fresh()), as a damaged file reaches a program: a
    connection keeps the slots it decoded and checked (sqt_cache.c), and a committed
    chunk never changes under it in a table written only by squeeze.

    These tests are of the decoder's own checks, so they run with the process's chunk
    cache off: with it on, a chunk a read kept there answers from the cache without
    reading its body (docs/cache.md), and CachedDamage below shows that."""

    def setUp(self):
        self.saved_cache = cache_config("size")
        cache_config("size", 0)
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "damage.db")
        self.db = connect(self.path)
        self.readers = []
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, s TEXT,"
                        " b BLOB CODEC zstd, chunk_rows = 100)")
        self.db.execute("""INSERT INTO t WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL
                           SELECT i + 1 FROM s WHERE i < 499)
                           SELECT 1700000000 + i, i / 4.0, 'name' || (i % 5), randomblob(i % 9)
                           FROM s""")
        self.rows = self.db.execute("SELECT rowid, * FROM t").fetchall()
        # the data keys of chunk k (0-based) and slot
        self.gens = [r[0] for r in self.db.execute("SELECT gen FROM t_chunk ORDER BY maxrow")]
        self.pristine = sqlite3.connect(":memory:")
        self.db.backup(self.pristine)

    def tearDown(self):
        for r in self.readers:
            r.close()
        self.pristine.close()
        self.db.close()
        self.dir.cleanup()
        cache_config("size", self.saved_cache)

    def fresh(self):
        """A new connection to the damaged file."""
        r = connect(self.path)
        self.readers.append(r)
        return r

    def ask(self, sql):
        """The single value of sql, read through a new connection."""
        return self.fresh().execute(sql).fetchone()[0]

    def restore(self):
        """Puts the file back as setUp left it."""
        self.pristine.backup(self.db)

    def key(self, chunk, slot):
        return (self.gens[chunk] << 16) | slot

    def body(self, chunk, slot):
        return self.one("SELECT body FROM t_data WHERE key = ?", self.key(chunk, slot))

    def set_body(self, chunk, slot, body):
        self.db.execute("UPDATE t_data SET body = ? WHERE key = ?", (body, self.key(chunk, slot)))

    def assertCorrupt(self, sql="SELECT * FROM t", fragment="squeeze: table t"):
        with self.assertRaises(sqlite3.DatabaseError) as cm:
            self.fresh().execute(sql).fetchall()
        self.assertIn(fragment, str(cm.exception))
        self.assertEqual(cm.exception.sqlite_errorcode, SQLITE_CORRUPT_VTAB, str(cm.exception))
        return str(cm.exception)

    def assertCheckFinds(self, fragment):
        report = self.fresh().execute("SELECT squeeze_check('t')").fetchone()[0]
        self.assertIn(fragment, report)
        return report

    def test_bit_flips(self):
        rng = random.Random(1)
        for slot in range(5):
            original = self.body(2, slot)
            for _ in range(20):
                b = bytearray(original)
                bit = rng.randrange(len(b) * 8)
                b[bit // 8] ^= 1 << (bit % 8)
                self.set_body(2, slot, bytes(b))
                # every slot, the rowids too: they are always decoded and checked
                msg = self.assertCorrupt()
                self.assertIn("chunk of rows 201..300", msg)
                self.assertCheckFinds("checksum mismatch")
            self.set_body(2, slot, original)
        self.assertEqual(self.db.execute("SELECT rowid, * FROM t").fetchall(), self.rows)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_truncation_and_junk(self):
        original = self.body(1, 2)
        for n in [0, 1, 5, len(original) // 2, len(original) - 1]:
            self.set_body(1, 2, original[:n])
            self.assertCorrupt()
            self.assertCheckFinds("column v")
        self.set_body(1, 2, original + b"\x00")
        self.assertCorrupt()
        self.set_body(1, 2, "text, not a blob")
        self.assertCorrupt()
        self.set_body(1, 2, original)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_swapped_blobs(self):
        a, b = self.body(0, 1), self.body(1, 1)  # same sizes, both valid chunks
        self.set_body(0, 1, b)
        self.set_body(1, 1, a)
        self.assertCorrupt()
        self.assertCheckFinds("corrupt data")
        self.set_body(0, 1, a)
        self.set_body(1, 1, b)
        c, d = self.body(0, 1), self.body(0, 2)  # another column of the same chunk
        self.set_body(0, 1, d)
        self.assertCorrupt()
        self.set_body(0, 1, c)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_directory_damage(self):
        cases = [
            "UPDATE t_chunk SET nrows = 99 WHERE maxrow = 200",
            "UPDATE t_chunk SET nrows = 0 WHERE maxrow = 200",
            "UPDATE t_chunk SET minrow = 250 WHERE maxrow = 200",
            "UPDATE t_chunk SET minrow = 150 WHERE maxrow = 300",
            "UPDATE t_chunk SET gen = 999 WHERE maxrow = 200",
            "UPDATE t_chunk SET gen = 'x' WHERE maxrow = 200",
            "UPDATE t_chunk SET maxrow = 199 WHERE maxrow = 200",
            "DELETE FROM t_data WHERE key = %d" % self.key(1, 3),
        ]
        for sql in cases:
            with self.subTest(sql=sql):
                self.db.execute(sql)
                self.assertCorrupt()
                self.assertNotEqual(self.ask("SELECT squeeze_check('t')"), "ok")
                self.restore()
        self.assertEqual(self.db.execute("SELECT rowid, * FROM t").fetchall(), self.rows)

    def test_stats_damage_is_found(self):
        self.db.execute("UPDATE t_data SET maxv = 0 WHERE key = ?", (self.key(3, 2),))
        self.assertCheckFinds("min/max do not match")
        self.db.execute("UPDATE t_data SET maxv = 99.75 WHERE key = ?", (self.key(3, 2),))
        self.db.execute("UPDATE t_data SET nnull = 3 WHERE key = ?", (self.key(3, 2),))
        self.assertCheckFinds("null count 3, should be 0")
        self.db.execute("UPDATE t_data SET nnull = 0 WHERE key = ?", (self.key(3, 2),))
        self.db.execute("INSERT INTO t_data VALUES (?, 0, NULL, NULL, 0, 0, x'00', 0)",
                        (self.key(3, 9),))
        self.assertCheckFinds("data rows for 5 chunks")
        self.db.execute("DELETE FROM t_data WHERE key = ?", (self.key(3, 9),))
        self.db.execute("INSERT INTO t_tail(id, dead) VALUES (100000, 1)")
        self.assertCheckFinds("tombstones past the last chunk")
        self.db.execute("DELETE FROM t_tail")
        self.db.execute("UPDATE t_config SET v = 2 WHERE k = 'generation'")
        self.assertCheckFinds("past the last one")

    def test_edited_files_are_corrupt_not_wrong(self):
        # the edits: each query answers SQLITE_CORRUPT_VTAB, never other rows
        cases = [
            # a zone-map max that lies: v of chunk 3 is 75..99.75, not 0
            ("UPDATE t_data SET maxv = 0 WHERE key = %d" % self.key(3, 2),
             "SELECT count(*) FROM t WHERE v > 80", "zone map does not match its checksum"),
            ("UPDATE t_data SET nnull = 100 WHERE key = %d" % self.key(3, 2),
             "SELECT count(*) FROM t WHERE v > 80", "zone map does not match its checksum"),
            ("UPDATE t_data SET minv = 'name2' WHERE key = %d" % self.key(1, 3),
             "SELECT count(*) FROM t WHERE s = 'name1'", "zone map does not match its checksum"),
            # a directory that claims 2^20 rows
            ("UPDATE t_chunk SET nrows = 1048576, maxrow = minrow + 1048575 WHERE maxrow = 500",
             "SELECT count(*) FROM t", "chunk of rows 401..1048976"),
            # two directory rows sharing a generation
            ("UPDATE t_chunk SET gen = (SELECT gen FROM t_chunk WHERE maxrow = 100)"
             " WHERE maxrow = 200", "SELECT count(*) FROM t", "do not match the directory"),
            ("UPDATE t_chunk SET gen = (SELECT gen FROM t_chunk WHERE maxrow = 100)"
             " WHERE maxrow = 200", "SELECT * FROM t WHERE rowid = 150", "chunk of rows 101..200"),
        ]
        for edit, query, fragment in cases:
            with self.subTest(edit=edit, query=query):
                self.db.execute(edit)
                self.assertCorrupt(query, fragment)
                self.assertNotEqual(self.ask("SELECT squeeze_check('t')"), "ok")
                self.restore()
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_integrity_check_pragma(self):
        # The module gives SQLite xIntegrity (module version 4) only when the running
        # library is 3.44 or newer. Debian's 3.40.1 gets version 3: the extension loads,
        # and its integrity_check, which never calls a virtual table, checks the shadow
        # tables as the ordinary tables they are and says ok; squeeze_check finds the
        # damage. tests/node/test_integrity.js checks a newer SQLite's report.
        self.assertEqual(self.db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        self.assertEqual(self.db.execute("PRAGMA quick_check").fetchall(), [("ok",)])
        self.set_body(2, 2, b"damaged")
        rows = self.db.execute("PRAGMA integrity_check").fetchall()
        if sqlite3.sqlite_version_info >= (3, 44, 0):
            self.assertEqual(len(rows), 1)
            self.assertTrue(rows[0][0].startswith("squeeze table main.t:\n"), rows)
            self.assertIn("chunk of rows 201..300, column v", rows[0][0])
        else:
            self.assertEqual(rows, [("ok",)])
        self.assertCheckFinds("chunk of rows 201..300, column v")

    def test_format_1_tables_are_read(self):
        # the first release's tables keep no zone-map checksum: still read and written
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "f1.db")
            db = connect(path)
            db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, chunk_rows = 100)")
            db.execute("INSERT INTO t WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM"
                       " s WHERE i < 499) SELECT 1700000000 + i, i / 4.0 FROM s")
            db.execute("ALTER TABLE t_data DROP COLUMN zsum")
            db.execute("UPDATE t_config SET v = 1 WHERE k = 'format'")
            db.close()
            db = connect(path)
            self.assertEqual(db.execute("SELECT count(*) FROM t WHERE v > 80").fetchone()[0], 179)
            db.execute("INSERT INTO t(ts, v) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
                       " SELECT i + 1 FROM s WHERE i < 150) SELECT 1, i FROM s")
            self.assertEqual(db.execute("SELECT count(*) FROM t_chunk").fetchone()[0], 6)
            self.assertEqual(db.execute("SELECT squeeze_check('t')").fetchone()[0], "ok")
            self.assertEqual(
                db.execute("SELECT v FROM t_config WHERE k = 'format'").fetchone()[0], 1)
            db.close()

    def test_tail_damage(self):
        self.db.execute("INSERT INTO t_tail(id, dead, c0) VALUES (50, 7, 1)")
        self.assertCorrupt("DELETE FROM t WHERE rowid < 100", "tail row 50 is corrupt")
        self.assertCheckFinds("bad dead flag")

    def test_zone_maps_skip_chunks(self):
        # damage every v chunk but the one holding 80 <= v < 105 (rows 321..420 -> chunk 3)
        for k in range(5):
            if k != 3:
                self.set_body(k, 2, b"damaged")
        self.assertEqual(self.ask("SELECT count(*) FROM t WHERE v >= 81 AND v < 90"), 36)
        self.assertEqual(self.ask("SELECT count(*) FROM t WHERE v BETWEEN 80.5 AND 81"), 3)
        self.assertEqual(self.ask("SELECT count(*) FROM t WHERE v IN (81.25, 96)"), 2)
        self.assertCorrupt("SELECT count(*) FROM t WHERE v > 50")

    def test_rowid_ranges_skip_chunks(self):
        for k in (0, 1, 3, 4):
            self.set_body(k, 1, b"damaged")
        self.assertEqual(self.ask("SELECT sum(ts - 1700000000) FROM t WHERE rowid BETWEEN 201 AND 300"),
                         sum(range(200, 300)))
        self.assertEqual(self.ask("SELECT count(ts) FROM t WHERE rowid IN (205, 250, 299)"), 3)
        self.assertCorrupt("SELECT sum(ts) FROM t WHERE rowid > 250")

    def test_rowids_with_gaps_are_decoded_and_checked(self):
        self.db.execute("DELETE FROM t WHERE rowid % 2 = 0")
        self.db.execute("SELECT squeeze_optimize('t')")
        self.gens = [r[0] for r in self.db.execute("SELECT gen FROM t_chunk ORDER BY maxrow")]
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE rowid < 150"), 75)
        a, b = self.body(0, 0), self.body(1, 0)
        self.set_body(0, 0, b)
        self.assertCorrupt("SELECT count(*) FROM t")
        self.set_body(0, 0, a[:-1] + bytes([a[-1] ^ 1]))
        self.assertCorrupt("SELECT count(*) FROM t", "checksum mismatch")

    def test_only_used_columns_are_decoded(self):
        for k in range(5):
            self.set_body(k, 4, b"damaged b")  # column b everywhere
        self.assertEqual(self.ask("SELECT count(ts), sum(v) FROM t"), 500)
        self.assertEqual(len(self.fresh().execute("SELECT ts, s FROM t").fetchall()), 500)
        self.assertCorrupt("SELECT b FROM t")

    def test_rows_failing_where_do_not_decode_other_columns(self):
        self.set_body(4, 4, b"damaged b")  # column b of the last chunk
        got = self.fresh().execute(
            "SELECT ts, b FROM t WHERE s = 'name1' AND ts < 1700000400").fetchall()
        self.assertEqual(len(got), 80)

    def test_limit_stops_before_the_next_chunk(self):
        for k in range(1, 5):
            self.set_body(k, 1, b"damaged")
        r = self.fresh()
        self.assertEqual(len(r.execute("SELECT * FROM t LIMIT 100").fetchall()), 100)
        self.assertEqual(len(r.execute("SELECT * FROM t ORDER BY rowid LIMIT 7").fetchall()), 7)
        self.assertCorrupt("SELECT * FROM t LIMIT 101")


if __name__ == "__main__":
    unittest.main()

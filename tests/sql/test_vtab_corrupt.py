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
from test_cache import stats, use_segment

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


class DamagedFile(SqlTestCase):
    """A file with a squeeze table of 5 chunks of 100 rows, built and read with the chunk
    cache off (so that nothing of it is cached), and the helpers to damage it.

    The damage is written through self.db, and every read that should see it goes
    through a new connection (self.fresh()), as a damaged file reaches a program: a
    connection keeps the slots it decoded and checked (sqt_cache.c), and a committed
    chunk never changes under it in a table written only by squeeze."""

    def setUp(self):
        self.saved_cache = (cache_config("size"), cache_config("shared"),
                            os.environ.get("SQUEEZE_CACHE_SEGMENT"))
        self.prefix = None  # of a segment of this test's own (CachedDamage)
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
        size, shared, env = self.saved_cache
        cache_config("size", 0)  # unmaps this test's segment
        if self.prefix:
            for name in os.listdir("/dev/shm"):
                if name.startswith(self.prefix):
                    os.unlink(os.path.join("/dev/shm", name))
        if env is None:
            os.environ.pop("SQUEEZE_CACHE_SEGMENT", None)
        else:
            os.environ["SQUEEZE_CACHE_SEGMENT"] = env
        cache_config("size", size)
        cache_config("shared", shared)

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


class Damage(DamagedFile):
    """Damage of every kind, read with the process's chunk cache off (as setUp leaves
    it): these tests are of the decoder's own checks. With the cache on, a chunk a read
    kept there answers from the cache without its body being read (docs/cache.md):
    CachedDamage shows that."""

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
            # (its rowids decode, being chunk 100's with their own tag: the directory's
            # checksum of chunk 200's body says they are not its own)
            ("UPDATE t_chunk SET gen = (SELECT gen FROM t_chunk WHERE maxrow = 100)"
             " WHERE maxrow = 200", "SELECT count(*) FROM t",
             "chunk of rows 101..200, column rowid: the body does not match its checksum"),
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


class CachedDamage(DamagedFile):
    """The process's chunk cache on, in a segment of this test's own (docs/cache.md). A
    table of format 3 keeps in its directory (t_chunk.sums) XXH3-64 of each slot's body,
    and the cache keys a chunk by those checksums: a hit reads no body. So a body damaged
    in the file after its chunk was cached is not noticed by the reads of processes
    using the cache while the entry stays: they get the rows as they were written, never
    other rows; squeeze_check reads every body and reports it, and with the cache off the
    read fails as in Damage. A body the cache does not hold is read and checked against
    its checksum. A table of format 1 or 2 has no checksums: its chunks are keyed by a
    hash of the body, so damage is always a miss."""

    # 5 chunks of 5 slots take 25 entries, each in a set of 8 ways chosen by its key's
    # hash: with 1 MiB (8 sets) one of them would be full about once in 50 runs and evict
    # an entry a test counts on; with 16 MiB (about 125 sets), about once in 10^10
    SIZE = "16M"

    def setUp(self):
        super().setUp()
        self.prefix = "sqz-corrupt-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        # no FAST entries: a chunk whose decode happened to take less than a hit would be
        # kept for row reads only, and the scans here would decode its body (a miss, and
        # for a damaged body an error): about 1 run in 10 before this
        os.environ["SQUEEZE_CACHE_KEEP"] = "all"
        self.addCleanup(os.environ.pop, "SQUEEZE_CACHE_KEEP", None)
        use_segment(self.prefix, self.SIZE)

    def read_all(self):
        """Every row through a new connection, which must be the rows written."""
        self.assertEqual(self.fresh().execute("SELECT rowid, * FROM t").fetchall(), self.rows)

    def cache_all(self):
        """Keeps every slot of every chunk in the cache: a lookup by rowid in each chunk
        reads its row through the cache, and its miss decodes and keeps the chunk's
        columns (a scan keeps only what its store budget allows); rowids without gaps are
        always kept."""
        for first in range(1, 500, 100):
            self.fresh().execute("SELECT * FROM t WHERE rowid = ?", (first,)).fetchall()
        self.assertEqual(stats(self.db)["entries"], 5 * 5)  # rowids and 4 columns
        self.read_all()

    def check_reads(self):
        """Point lookups, short ranges and the whole table through new connections:
        the rows written."""
        for rowid in (1, 150, 250, 300, 301, 399, 500):
            self.assertEqual(
                self.fresh().execute("SELECT rowid, * FROM t WHERE rowid = ?", (rowid,)).fetchall(),
                [self.rows[rowid - 1]])
        self.assertEqual(self.fresh().execute(
            "SELECT rowid, * FROM t WHERE rowid BETWEEN 190 AND 310").fetchall(), self.rows[189:310])
        self.assertEqual(self.fresh().execute(
            "SELECT rowid, * FROM t ORDER BY rowid DESC").fetchall(), self.rows[::-1])
        self.read_all()

    def test_damaged_bodies_of_cached_chunks(self):
        self.cache_all()
        v = bytearray(self.body(2, 2))  # column v of rows 201..300: one bit flipped
        v[len(v) // 2] ^= 0x10
        self.set_body(2, 2, bytes(v))
        self.set_body(1, 0, b"damaged")  # the rowids of 101..200 (kept as a row count)
        self.set_body(3, 4, self.body(3, 4)[:-3])  # column b of 301..400, truncated
        before = stats(self.db)
        self.check_reads()
        after = stats(self.db)
        self.assertGreater(after["hits"], before["hits"])
        self.assertEqual(after["misses"], before["misses"])  # no body was decoded
        self.assertEqual(after["rejected"], before["rejected"])
        report = self.assertCheckFinds("chunk of rows 201..300, column v")  # it reads bodies
        self.assertIn("chunk of rows 101..200, column rowid", report)
        self.assertIn("chunk of rows 301..400, column b", report)
        # the cache off: every read of a damaged chunk fails
        cache_config("size", 0)
        for query, fragment in [("SELECT v FROM t WHERE rowid = 250", "chunk of rows 201..300"),
                                ("SELECT count(*) FROM t WHERE rowid BETWEEN 101 AND 200",
                                 "chunk of rows 101..200"),
                                ("SELECT b FROM t WHERE rowid = 350", "chunk of rows 301..400"),
                                ("SELECT * FROM t", "squeeze: table t")]:
            self.assertCorrupt(query, fragment)
        self.assertEqual(self.ask("SELECT sum(ts) FROM t WHERE rowid > 400"),
                         sum(r[1] for r in self.rows[400:]))  # an undamaged chunk
        # on again: the segment outlived this process's mapping, its entries with it
        use_segment(self.prefix, self.SIZE)
        self.check_reads()
        self.restore()
        self.check_reads()
        self.assertEqual(self.ask("SELECT squeeze_check('t')"), "ok")

    def test_a_body_that_is_not_the_one_its_checksum_names(self):
        # bodies that decode (their own checksum and tag hold) but are not the ones the
        # directory row names, over chunks never cached: chunk 0's row pointed at chunk
        # 4's generation, whose bodies are tagged with it
        self.db.execute("UPDATE t_chunk SET gen = ? WHERE maxrow = 100", (self.gens[4],))
        self.assertCorrupt("SELECT count(*) FROM t WHERE rowid < 50", "table t: chunk of rows"
                           " 1..100, column rowid: the body does not match its checksum")
        self.assertCheckFinds("chunk of rows 1..100, column rowid: the body does not match")
        self.restore()
        # column v of chunk 1 over chunk 3's: its tag (its generation) already says so
        self.set_body(3, 2, self.body(1, 2))
        self.assertCorrupt("SELECT * FROM t", "table t: chunk of rows 301..400, column v")
        self.assertCorrupt("SELECT v FROM t WHERE rowid = 350", "chunk of rows 301..400, column v")
        self.assertCheckFinds("chunk of rows 301..400, column v")
        cache_config("size", 0)  # the decoder's own check (the body's tag is its key)
        self.assertCorrupt("SELECT * FROM t", "table t: chunk of rows 301..400, column v")
        use_segment(self.prefix, self.SIZE)
        self.restore()
        self.check_reads()
        self.assertEqual(self.ask("SELECT squeeze_check('t')"), "ok")

    def test_directory_checksums_of_the_wrong_length(self):
        self.cache_all()
        # blobs of other lengths, and values that are not blobs (|| makes text)
        cases = [("substr(sums, 1, 39)", 39), ("CAST(sums || x'00' AS BLOB)", 41), ("x''", 0),
                 ("zeroblob(8)", 8), ("sums || x'00'", None), ("'%s'" % ("t" * 40), None),
                 ("7", None), ("1.5", None)]
        for value, n in cases:
            for size in (self.SIZE, 0):
                with self.subTest(value=value, cache=size):
                    self.db.execute("UPDATE t_chunk SET sums = %s WHERE maxrow = 300" % value)
                    if size:
                        use_segment(self.prefix, size)
                    else:
                        cache_config("size", 0)
                    msg = "table t: directory row of the chunk ending at rowid 300 has checksums"
                    msg += " of %d bytes, not 40" % n if n is not None else " that are not a blob"
                    self.assertCorrupt("SELECT count(*) FROM t", msg)
                    self.assertCorrupt("SELECT * FROM t WHERE rowid = 250", msg)
                    self.assertCheckFinds(msg)
                    self.restore()
        use_segment(self.prefix, self.SIZE)
        self.check_reads()

    def test_a_directory_row_without_checksums(self):
        # a NULL sums is a chunk without checksums, as in format 2: read keyed by its body;
        # squeeze_check reports it, since a format-3 table writes checksums for every chunk
        self.db.execute("UPDATE t_chunk SET sums = NULL WHERE maxrow = 300")
        self.check_reads()
        self.assertEqual(self.ask("SELECT squeeze_check('t')"),
                         "table t: chunk of rows 201..300 has no body checksums in the directory")
        self.set_body(2, 2, self.body(2, 2)[:-1] + b"\x00")
        self.assertCorrupt("SELECT v FROM t WHERE rowid = 250", "chunk of rows 201..300, column v")

    def test_damaged_checksums_are_a_miss(self):
        self.cache_all()
        self.db.execute("UPDATE t_chunk SET sums = zeroblob(40) WHERE maxrow = 300")
        self.assertCorrupt("SELECT * FROM t", "table t: chunk of rows 201..300, column rowid:"
                           " the body does not match its checksum in the directory")
        self.assertCorrupt("SELECT v FROM t WHERE rowid = 250", "chunk of rows 201..300")

    def test_squeeze_check_finds_damaged_checksums(self):
        # squeeze_check compares every body with its checksum in t_chunk.sums
        self.db.execute("UPDATE t_chunk SET sums = zeroblob(40) WHERE maxrow = 300")
        self.assertCheckFinds("chunk of rows 201..300, column rowid: the body does not match"
                              " its checksum in the directory")
        self.db.execute("UPDATE t_chunk SET sums = NULL WHERE maxrow = 300")
        self.assertCheckFinds("chunk of rows 201..300 has no body checksums in the directory")

    def test_format_2_tables(self):
        # format 2 (no t_chunk.sums) is still read, written and checked, with the cache on
        path = os.path.join(self.dir.name, "f2.db")
        db = connect(path)
        self.readers.append(db)
        db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, s TEXT CODEC zstd,"
                   " chunk_rows = 100)")
        db.execute("INSERT INTO t WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM"
                   " s WHERE i < 500) SELECT 1700000000 + i, 'name' || (i % 7) FROM s")
        db.execute("ALTER TABLE t_chunk DROP COLUMN sums")
        db.execute("UPDATE t_config SET v = 2 WHERE k = 'format'")
        want = [(i, 1700000000 + i, "name%d" % (i % 7)) for i in range(1, 501)]

        def read(sql, *args):
            r = connect(path)
            self.readers.append(r)
            return r.execute(sql, args).fetchall()

        self.assertEqual(read("SELECT rowid, * FROM t"), want)
        before = stats(self.db)
        self.assertEqual(read("SELECT rowid, * FROM t"), want)
        self.assertGreater(stats(self.db)["hits"], before["hits"])  # the rowids at least
        self.assertEqual(read("SELECT rowid, * FROM t WHERE rowid = 250"), [want[249]])
        self.assertEqual(read("SELECT rowid, * FROM t WHERE rowid BETWEEN 95 AND 205"),
                         want[94:205])
        w = connect(path)
        self.readers.append(w)
        w.execute("INSERT INTO t(ts, s) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
                  " SELECT i + 1 FROM s WHERE i < 150) SELECT -i, 'new' FROM s")
        w.execute("UPDATE t SET s = 'changed' WHERE rowid = 42")
        want += [(500 + i, -i, "new") for i in range(1, 151)]
        want[41] = (42, want[41][1], "changed")
        self.assertEqual(read("SELECT rowid, * FROM t"), want)
        self.assertEqual(read("SELECT count(*) FROM t_chunk"), [(6,)])
        self.assertEqual(read("SELECT v FROM t_config WHERE k = 'format'"), [(2,)])
        self.assertEqual(read("SELECT squeeze_check('t')"), [("ok",)])
        # a chunk without checksums is keyed by its body's hash: a damaged body is another
        # key, so whatever the cache holds, the damage is found
        gen = read("SELECT gen FROM t_chunk WHERE maxrow = 300")[0][0]
        body = read("SELECT body FROM t_data WHERE key = ?", gen << 16 | 2)[0][0]
        w.execute("UPDATE t_data SET body = ? WHERE key = ?", (body[:-1] + bytes([body[-1] ^ 1]),
                                                               gen << 16 | 2))
        with self.assertRaises(sqlite3.DatabaseError) as cm:
            read("SELECT s FROM t WHERE rowid BETWEEN 201 AND 300")
        self.assertEqual(cm.exception.sqlite_errorcode, SQLITE_CORRUPT_VTAB)
        self.assertIn("table t: chunk of rows 201..300, column s", str(cm.exception))


if __name__ == "__main__":
    unittest.main()

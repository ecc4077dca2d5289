"""Randomized mirror test of the squeeze virtual table against a plain table.

The same random mix of INSERT (automatic and explicit rowids, every ON CONFLICT
mode, multi-row), UPDATE (values and rowids), DELETE, BEGIN/COMMIT/ROLLBACK and
SAVEPOINT/RELEASE/ROLLBACK TO goes to a squeeze table and to a plain table with
the same declared types (the squeeze table applies their affinities as a plain
table does). After every batch both must hold the same rows under the same rowids
with the same types, answer the same filtered queries, and squeeze_check must
say 'ok'. Small chunk_rows values make chunks, patches, compaction and the
insert buffer meet often. Seeds are fixed, so a failure replays.

EncodingMirrorTest runs the same mirror in UTF-8, UTF-16le and UTF-16be
databases, with TEXT values whose order differs between UTF-8 and UTF-16
(SQLite's BINARY collation compares the database encoding's bytes: in UTF-16le
'\u0100' sorts before 'a', and in both UTF-16 forms U+FF61 sorts after U+10000,
a surrogate pair) and range queries (<, >, BETWEEN) on TEXT, which the zone
maps must answer as a plain table does in every encoding.
"""
import os
import random
import sqlite3
import tempfile
import unittest

from sqz import connect

COLS = ["a", "b", "c", "d"]
PLAIN_DECL = "a INTEGER, b REAL, c TEXT, d"
DECL = "a INTEGER CODEC {a}, b REAL CODEC {b}, c TEXT CODEC {c}, d CODEC {d}"
CODECS = {"a": ["auto", "dod", "delta", "zstd(1)"], "b": ["auto", "alp", "gorilla", "lz4"],
          "c": ["auto", "dict", "zstd"], "d": ["auto", "zstd", "huffman", "store"]}


# Text whose order depends on the encoding: UTF-8 bytes and UTF-16 code units
# agree below U+D800 only in big-endian; U+E000..U+FFFF sort after the
# surrogate pairs of U+10000.. in UTF-16 and before them in UTF-8.
UNICODE_WORDS = ["a", "b", "z", "A", "", "\u0100", "\u0101", "\u00e9", "\u00e9t\u00e9",
                 "\uff61", "\uff61x", "\U00010000", "\U00010000x", "\U0001f600",
                 "\ue000", "\ufffd", "\u07ff", "\u0800", "a\U00010000", "a\uff61",
                 "north", "south"]


def as_text(v):
    """v as a CSV file holds it: numbers as their text (.import makes TEXT)."""
    if isinstance(v, bool) or v is None or isinstance(v, (str, bytes)):
        return v
    return repr(v) if isinstance(v, float) else str(v)


def value(rng, col, unicode=False, text_input=False):
    """A random value, mostly of the column's type, sometimes of another.
    unicode: TEXT values from UNICODE_WORDS for c and d (EncodingMirrorTest);
    text_input: numbers given as TEXT, as .import of a CSV gives them."""
    if text_input:
        return as_text(value(rng, col, unicode))
    if unicode and col in "cd" and rng.random() < 0.5:
        return rng.choice(UNICODE_WORDS)
    r = rng.random()
    if r < 0.08:
        return None
    if r < 0.16:
        # another class, and TEXT that looks like a number (affinity converts
        # it where the column's type says so)
        return rng.choice([rng.randint(-5, 5), rng.random() * 100, "t%d" % rng.randint(0, 9),
                           bytes([rng.randint(0, 255) for _ in range(rng.randint(0, 4))]),
                           "12", " 45.93 ", "1e3", "3.0", "x12", "0x10", 3.0, -0.0, 2 ** 62,
                           9007199254740993])
    if col == "a":
        return rng.choice([rng.randint(0, 1000), 1700000000 + rng.randint(0, 100000),
                           rng.randint(-2 ** 63, 2 ** 63 - 1)])
    if col == "b":
        return rng.choice([round(rng.uniform(-50, 50), 2), rng.random(), float(rng.randint(0, 9))])
    if col == "c":
        return rng.choice(["north", "south", "east", "west", "", "é" * rng.randint(1, 3)])
    return rng.choice([rng.randint(0, 9), "x" * rng.randint(0, 20), b"\x00\x01" * rng.randint(0, 3)])


def row(rng, unicode=False, text_input=False):
    return tuple(value(rng, c, unicode, text_input) for c in COLS)


class Mirror:
    def __init__(self, db, rng, unicode=False, text_input=False):
        self.db = db
        self.rng = rng
        self.unicode = unicode
        self.text_input = text_input
        self.savepoints = []
        self.in_txn = False
        self.log = []  # the last statements, for failure messages

    def both(self, sql, args=()):
        """Runs sql on both tables; both must fail or both succeed."""
        self.log = (self.log + [(sql, args)])[-6:]
        errors = []
        for t in ("sq", "pl"):
            try:
                self.db.execute(sql.format(t=t), args)
                errors.append(None)
            except sqlite3.Error as e:
                errors.append(str(e).replace("sq.", "T.").replace("pl.", "T."))
        if errors[0] != errors[1]:
            raise AssertionError("%s %r: squeeze %r, plain %r" % (sql, args, errors[0], errors[1]))

    def control(self, sql):
        self.log = (self.log + [(sql, ())])[-6:]
        self.db.execute(sql)

    def max_rowid(self):
        return max(self.db.execute("SELECT max(rowid) FROM pl").fetchone()[0] or 0, 0)

    def step(self):
        rng = self.rng
        op = rng.random()
        conflict = rng.choice(["", "", "OR IGNORE ", "OR REPLACE ", "OR ABORT ", "OR FAIL "])
        if op < 0.30:
            self.both("INSERT INTO {t} VALUES (?, ?, ?, ?)", row(rng, self.unicode, self.text_input))
        elif op < 0.38:
            rid = rng.randint(-3, self.max_rowid() + 5)
            self.both("INSERT %sINTO {t}(rowid, a, b, c, d) VALUES (?, ?, ?, ?, ?)" % conflict,
                      (rid,) + row(rng, self.unicode, self.text_input))
        elif op < 0.44:
            n = rng.randint(1, 40)
            vals = [v for _ in range(n) for v in row(rng, self.unicode, self.text_input)]
            self.both("INSERT %sINTO {t}(a, b, c, d) VALUES " % conflict +
                      ", ".join(["(?, ?, ?, ?)"] * n), vals)
        elif op < 0.48:
            rids = [rng.randint(1, self.max_rowid() + 3) for _ in range(rng.randint(1, 5))]
            vals = [v for r in rids for v in (r,) + row(rng, self.unicode, self.text_input)]
            self.both("INSERT %sINTO {t}(rowid, a, b, c, d) VALUES " % conflict +
                      ", ".join(["(?, ?, ?, ?, ?)"] * len(rids)), vals)
        elif op < 0.58:
            col = rng.choice(COLS)
            rid = rng.randint(1, self.max_rowid() + 1)
            self.both("UPDATE %s{t} SET %s = ? WHERE rowid = ?" % (conflict, col),
                      (value(rng, col, self.unicode), rid))
        elif op < 0.63:
            lo = rng.randint(0, self.max_rowid() + 1)
            self.both("UPDATE {t} SET b = ?, c = ? WHERE rowid BETWEEN ? AND ?",
                      (value(rng, "b", self.unicode), value(rng, "c", self.unicode), lo, lo + rng.randint(0, 30)))
        elif op < 0.66:
            self.both("UPDATE {t} SET a = a + 1 WHERE typeof(a) = 'integer' AND a < ?",
                      (rng.randint(0, 1000),))
        elif op < 0.70:
            rid = rng.randint(1, self.max_rowid() + 1)
            self.both("UPDATE %s{t} SET rowid = ? WHERE rowid = ?" % conflict,
                      (rng.randint(1, self.max_rowid() + 10), rid))
        elif op < 0.72:
            self.both("UPDATE %s{t} SET rowid = rowid + ? WHERE rowid > ?" % conflict,
                      (rng.randint(-3, 50), rng.randint(0, self.max_rowid())))
        elif op < 0.80:
            self.both("DELETE FROM {t} WHERE rowid = ?", (rng.randint(1, self.max_rowid() + 1),))
        elif op < 0.84:
            lo = rng.randint(0, self.max_rowid() + 1)
            self.both("DELETE FROM {t} WHERE rowid BETWEEN ? AND ?", (lo, lo + rng.randint(0, 50)))
        elif op < 0.86:
            self.both("DELETE FROM {t} WHERE b > ?", (rng.uniform(20, 60),))
        elif op < 0.87:
            self.both("DELETE FROM {t} WHERE rowid = (SELECT max(rowid) FROM {t})")
        elif op < 0.91:
            if not self.in_txn and not self.savepoints:
                self.control("BEGIN")
                self.in_txn = True
            elif not self.in_txn:
                pass
            elif rng.random() < 0.5:
                self.control("COMMIT")
                self.in_txn = False
                self.savepoints = []
            else:
                self.control("ROLLBACK")
                self.in_txn = False
                self.savepoints = []
        elif op < 0.95:
            name = "s%d" % len(self.savepoints)
            self.control("SAVEPOINT " + name)
            self.savepoints.append(name)
        elif self.savepoints:
            name = self.savepoints[-1]
            if rng.random() < 0.5:
                self.control("RELEASE " + name)
                self.savepoints.pop()
            else:
                self.control("ROLLBACK TO " + name)

    def finish(self):
        if self.in_txn or self.savepoints:
            self.control("COMMIT" if self.rng.random() < 0.5 else "ROLLBACK")
        self.in_txn = False
        self.savepoints = []


QUERIES = [
    ("SELECT rowid, a, typeof(a), b, typeof(b), c, typeof(c), d, typeof(d) FROM {t} ORDER BY rowid", ()),
    ("SELECT rowid, a FROM {t} WHERE a > ? ORDER BY rowid", (500,)),
    ("SELECT rowid, b FROM {t} WHERE b BETWEEN ? AND ? ORDER BY rowid", (-10.5, 10.5)),
    ("SELECT rowid, c FROM {t} WHERE c = 'north' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE c IN ('east', 'west') ORDER BY rowid", ()),
    ("SELECT rowid FROM {t} WHERE rowid IN (1, 5, 9, 13, 40, 41) ORDER BY rowid", ()),
    ("SELECT rowid, d FROM {t} WHERE rowid > ? AND rowid <= ? ORDER BY rowid", (10, 60)),
    ("SELECT rowid, a FROM {t} WHERE a IN (1, 2, 3, 500) ORDER BY rowid", ()),
    ("SELECT count(*), sum(typeof(a) = 'integer'), total(b) FROM {t}", ()),
    ("SELECT rowid, b FROM {t} WHERE rowid >= 2.5 AND rowid < 30.5 ORDER BY rowid", ()),
    ("SELECT rowid FROM {t} ORDER BY rowid LIMIT 7", ()),
    ("SELECT rowid, a, b, c, d FROM {t} ORDER BY rowid DESC", ()),
    ("SELECT rowid, d FROM {t} ORDER BY rowid DESC LIMIT 10", ()),
    ("SELECT rowid, a FROM {t} WHERE rowid > ? AND rowid <= ? ORDER BY rowid DESC", (10, 60)),
    ("SELECT rowid FROM {t} WHERE rowid IN (1, 5, 9, 13, 40, 41) ORDER BY rowid DESC", ()),
    ("SELECT rowid, b FROM {t} WHERE b BETWEEN ? AND ? ORDER BY rowid DESC", (-10.5, 10.5)),
    ("SELECT rowid, a FROM {t} WHERE d IS NULL ORDER BY rowid DESC", ()),
    ("SELECT max(a), min(a), max(b), min(b), max(c), min(c), max(d), min(d) FROM {t}", ()),
    ("SELECT rowid, a FROM {t} ORDER BY a, rowid", ()),
    ("SELECT rowid, b FROM {t} ORDER BY b DESC, rowid", ()),
    ("SELECT rowid, c FROM {t} ORDER BY c, rowid", ()),
    ("SELECT typeof(a), typeof(b), typeof(c), typeof(d), count(*) FROM {t} GROUP BY 1, 2, 3, 4"
     " ORDER BY 1, 2, 3, 4", ()),
    ("SELECT rowid, a FROM {t} WHERE d IS NULL ORDER BY rowid", ()),
    ("SELECT rowid FROM {t} WHERE b IS NOT NULL AND c IS NULL ORDER BY rowid", ()),
    ("SELECT rowid, d FROM {t} WHERE a IS NOT NULL AND a > ? ORDER BY rowid", (300,)),
]


class MirrorTest(unittest.TestCase):
    extra_queries = []

    def compare(self, db, note, mirror=None):
        if mirror:
            note += "; last statements:\n" + "\n".join(
                "  %s %r" % (q[:100], a if len(repr(a)) < 300 else "...") for q, a in mirror.log)
        for sql, args in QUERIES + self.extra_queries:
            got = db.execute(sql.format(t="sq", c="c"), args).fetchall()
            want = db.execute(sql.format(t="pl", c="c"), args).fetchall()
            if sql.startswith("SELECT count"):
                got = [(g[0], g[1], round(g[2], 6)) for g in got]
                want = [(w[0], w[1], round(w[2], 6)) for w in want]
            self.assertEqual(got, want, "%s: %s" % (note, sql))
        self.assertEqual(db.execute("SELECT squeeze_check('sq')").fetchone()[0], "ok", note)

    def run_seed(self, seed, steps, chunk_rows, encoding=None, unicode=False, text_input=False):
        rng = random.Random(seed)
        db = connect()
        try:
            if encoding:
                db.execute("PRAGMA encoding = '%s'" % encoding)
            codecs = {c: rng.choice(CODECS[c]) for c in COLS}
            db.execute("CREATE VIRTUAL TABLE sq USING squeeze(%s, chunk_rows = %d)" %
                       (DECL.format(**codecs), chunk_rows))
            db.execute("CREATE TABLE pl(%s)" % PLAIN_DECL)
            if encoding:
                got = db.execute("PRAGMA encoding").fetchone()[0]
                self.assertEqual(got, encoding, "the database encoding")
            m = Mirror(db, rng, unicode, text_input)
            every = int(os.environ.get("SQZ_MIRROR_EVERY", "25"))  # 1 to debug a seed
            for i in range(steps):
                m.step()
                if i % every == every - 1:
                    # inside a transaction the tables must agree too
                    self.compare(db, "seed %d step %d" % (seed, i), m)
                if rng.random() < 0.01:
                    m.finish()
                    db.execute("SELECT squeeze_optimize('sq')")
                    self.compare(db, "seed %d after optimize" % seed)
            m.finish()
            self.compare(db, "seed %d end" % seed)
        finally:
            db.close()

    def test_small_chunks(self):
        for seed in range(6):
            with self.subTest(seed=seed):
                self.run_seed(seed, 400, chunk_rows=1 + seed % 4 * 3)

    def test_text_input(self):
        """Every value given as TEXT, as .import of a CSV gives it: the declared
        types' affinities must turn it into what a plain table holds."""
        for seed in range(200, 204):
            with self.subTest(seed=seed):
                self.run_seed(seed, 400, chunk_rows=2 + seed % 4 * 5, text_input=True)

    def test_medium_chunks(self):
        for seed in range(100, 103):
            with self.subTest(seed=seed):
                self.run_seed(seed, 600, chunk_rows=16 + seed % 3 * 16)

    def test_file_database_reopened(self):
        """The same on a file, reopening the connection between batches."""
        import os
        import tempfile
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.db")
            db = connect(path)
            db.execute("CREATE VIRTUAL TABLE sq USING squeeze(%s, chunk_rows = 5)" %
                       DECL.format(a="auto", b="auto", c="auto", d="auto"))
            db.execute("CREATE TABLE pl(%s)" % PLAIN_DECL)
            for batch in range(6):
                m = Mirror(db, rng)
                for _ in range(80):
                    m.step()
                m.finish()
                self.compare(db, "batch %d" % batch)
                db.close()
                db = connect(path)
                self.compare(db, "batch %d reopened" % batch)
            db.close()


# Range queries on TEXT whose answers depend on the database encoding, with
# literals (which the zone maps use) and with parameters.
TEXT_QUERIES = [
    ("SELECT rowid, c FROM {t} WHERE {c} < 'a' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} > 'z' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} >= '\uff61' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} < '\U00010000' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} < '\uff61' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} > '\U00010000' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} BETWEEN '\u0100' AND '\U00010000' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} BETWEEN '\uff61' AND '\U0001f600' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} > '\ue000' AND {c} < '\ufffd' ORDER BY rowid", ()),
    ("SELECT rowid, c FROM {t} WHERE {c} < ? ORDER BY rowid", ("\u0101",)),
    ("SELECT rowid, c FROM {t} WHERE {c} > ? ORDER BY rowid", ("\uff61",)),
    ("SELECT rowid, c FROM {t} WHERE {c} BETWEEN ? AND ? ORDER BY rowid", ("a", "\U00010000")),
    ("SELECT rowid, d FROM {t} WHERE d > 'x' ORDER BY rowid", ()),
    ("SELECT rowid, d FROM {t} WHERE d BETWEEN '\u0100' AND '\U00010000' ORDER BY rowid", ()),
    ("SELECT min(c), max(c), count(c) FROM {t} WHERE {c} >= 'a'", ()),
]


class EncodingMirrorTest(MirrorTest):
    """The mirror in UTF-8, UTF-16le and UTF-16be databases, with text whose
    order depends on the encoding and range queries on it."""
    extra_queries = TEXT_QUERIES

    def run_encoding(self, encoding):
        for seed in range(300, 304):
            with self.subTest(encoding=encoding, seed=seed):
                self.run_seed(seed, 300, chunk_rows=2 + seed % 3 * 3, encoding=encoding,
                              unicode=True)

    def test_utf8(self):
        self.run_encoding("UTF-8")

    def test_utf16le(self):
        self.run_encoding("UTF-16le")

    def test_utf16be(self):
        self.run_encoding("UTF-16be")

    def test_zone_map_text_order(self):
        """The issue's repro, and U+FF61 against U+10000, in every encoding; in a
        file database also reopened, where xConnect learns the encoding from the
        format row rather than from PRAGMA encoding."""
        with tempfile.TemporaryDirectory() as d:
            for encoding in ("UTF-8", "UTF-16le", "UTF-16be"):
                path = os.path.join(d, encoding + ".db")
                self.zone_map_text_order(encoding, path, reopen=False)
                self.zone_map_text_order(encoding, path, reopen=True)

    def zone_map_text_order(self, encoding, path, reopen):
        db = connect(path)
        try:
            if not reopen:
                db.execute("PRAGMA encoding = '%s'" % encoding)
                db.execute("CREATE VIRTUAL TABLE sq USING squeeze(s TEXT, chunk_rows = 2)")
                db.execute("CREATE TABLE pl(s TEXT)")
                for t in ("sq", "pl"):
                    db.execute("INSERT INTO %s VALUES ('a'), ('b'), ('\u0100'), ('\u0101'), "
                               "('\uff61'), ('\U00010000')" % t)
                db.commit()
            for where in ("s < 'a'", "s > 'b'", "s >= '\uff61'", "s < '\U00010000'",
                          "s < '\uff61'", "s > '\U00010000'", "s BETWEEN 'b' AND '\uff61'"):
                got, want = (db.execute("SELECT group_concat(rowid) FROM (SELECT rowid FROM "
                                        "%s WHERE %s ORDER BY rowid)" % (t, where)).fetchone()[0]
                             for t in ("sq", "pl"))
                with self.subTest(encoding=encoding, where=where, reopen=reopen):
                    self.assertEqual(got, want, "%s: WHERE %s" % (encoding, where))
        finally:
            db.close()

    # the UTF-8-only tests of MirrorTest are not repeated here
    test_small_chunks = None
    test_medium_chunks = None
    test_file_database_reopened = None


if __name__ == "__main__":
    unittest.main()

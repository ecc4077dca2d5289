"""The squeeze virtual table through SQL: declaration, types, chunks,
transactions, rowid rules, zone maps, colUsed, ORDER BY/LIMIT, the
maintenance functions and its shadow tables. The randomized comparison with a
plain table is test_vtab_mirror.py; damaged shadow rows are test_vtab_corrupt.py.
"""
import os
import sqlite3
import tempfile
import unittest

from sqz import SqlTestCase, connect

SERIES = """WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
            SELECT 1700000000 + i AS ts, round(100 + 10 * sin(i / 50.0), 2) AS v,
                   'sensor-' || ((i * 2654435761) % 1000003 % 7) AS s FROM s"""


class Declaration(SqlTestCase):
    def create(self, args):
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(%s)" % args)

    def test_full_declaration(self):
        self.create("ts INTEGER CODEC dod, sensor TEXT CODEC dict, temp REAL CODEC auto,"
                    " body BLOB CODEC zstd(9), note, chunk_rows = 8192")
        cols = self.db.execute("SELECT name, type FROM pragma_table_info('t')").fetchall()
        self.assertEqual(cols, [("ts", "INTEGER"), ("sensor", "TEXT"), ("temp", "REAL"),
                                ("body", "BLOB"), ("note", "")])
        shadows = [r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_schema WHERE name LIKE 't\\_%' ESCAPE '\\' ORDER BY 1")]
        self.assertEqual(shadows, ["t_chunk", "t_config", "t_data", "t_tail"])
        self.assertEqual(self.one("SELECT v FROM t_config WHERE k = 'format'"), 3)
        # format 3: the directory keeps XXH3-64 of each slot's body (rowids and 5 columns)
        cols = [r[0] for r in self.db.execute("SELECT name FROM pragma_table_info('t_chunk')")]
        self.assertEqual(cols, ["maxrow", "minrow", "nrows", "gen", "sums"])

    def test_quoted_names_and_synonyms(self):
        self.create('"a b" INT, [c] DOUBLE CODEC gorilla, `d` FLOAT, \'e\' text codec LZ4')
        cols = self.db.execute("SELECT name, type FROM pragma_table_info('t')").fetchall()
        # SQLite spells the standard type names in capitals, as for a plain table.
        self.assertEqual(cols, [("a b", "INT"), ("c", "DOUBLE"), ("d", "FLOAT"), ("e", "TEXT")])
        self.db.execute('INSERT INTO t VALUES (1, 2.5, 3.5, \'x\')')
        self.assertEqual(self.db.execute('SELECT "a b", c, d, e FROM t').fetchall(),
                         [(1, 2.5, 3.5, "x")])

    def test_errors_name_the_problem(self):
        cases = [
            ("ts INTEGER CODEC dodd", "unknown codec 'dodd'"),
            ("ts INTEGER CODEC alp", "codec 'alp' takes float64 values and does not fit a INTEGER"),
            ("temp REAL CODEC dod", "codec 'dod' takes int64 values"),
            ("s TEXT CODEC gorilla", "codec 'gorilla'"),
            ("b BLOB CODEC dict", "codec 'dict' takes text values"),
            ("x CODEC delta", "does not fit a untyped column"),
            ("ts VARCHAR(20), strict = on", "type 'VARCHAR(20)' is not one of a strict table's"),
            ("ts INTEGER, like = 'other'", "like takes the columns of another table"),
            ("like = 'nosuch'", "like = 'nosuch': no such table"),
            ("squeeze_command TEXT", "reserved for commands"),
            ("ts INTEGER CODEC", "CODEC needs a codec name"),
            ("d DECIMAL(10, 5) CODEC alp", "does not fit a NUMERIC column"),
            ("ts INTEGER, chunk_rows = 0", "chunk_rows must be an integer from 1 to 1048576"),
            ("ts INTEGER, chunk_rows = 5, chunk_rows = 6", "option 'chunk_rows' is given twice"),
            ("x" * 300 + " INTEGER", "name longer than 255 bytes"),
            ("ts INTEGER, chunk_rows = 2000000", "chunk_rows"),
            ("ts INTEGER, chunk_rows = many", "chunk_rows"),
            ("ts INTEGER, zip = 1", "unknown option 'zip'"),
            ("b BLOB CODEC zstd(99)", "level 99 out of range for zstd"),
            ("b BLOB CODEC zstd(x)", "codec level must be an integer"),
            ("b BLOB CODEC auto(3)", "auto takes no level"),
            ("a, A", "duplicate column name: A"),
            ("chunk_rows = 10", "at least one column"),
            ("a INTEGER CODEC dod extra", "unexpected 'extra'"),
        ]
        for args, fragment in cases:
            with self.subTest(args=args):
                self.assertSqlError(fragment, "CREATE VIRTUAL TABLE bad USING squeeze(%s)" % args)
                self.assertIsNone(self.db.execute(
                    "SELECT 1 FROM sqlite_schema WHERE name LIKE 'bad%'").fetchone())

    def test_newer_format_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "f.db")
            db = connect(path)
            db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER)")
            db.execute("UPDATE t_config SET v = 99 WHERE k = 'format'")
            db.close()
            db = connect(path)
            with self.assertRaises(sqlite3.Error) as cm:
                db.execute("SELECT * FROM t").fetchall()
            self.assertIn("format 99 by a newer squeeze", str(cm.exception))
            db.close()


class TypesAndChunks(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(i INTEGER, r REAL, s TEXT, b BLOB,"
                        " u, chunk_rows = 4)")

    def test_values_are_stored_as_a_plain_table_stores_them(self):
        # the declared types' affinities apply on the way in, as in a plain table
        self.db.execute("CREATE TABLE p(i INTEGER, r REAL, s TEXT, b BLOB, u)")
        rows = [(3, 3, 3, 3, 3), ("x", "x", "x", "x", "x"), (1.5, 2.5, 3.5, 4.5, 5.5),
                (None, None, None, None, None), (b"\x00\xff", b"", b"z", b"\x01", b""),
                (2 ** 63 - 1, -0.0, "", b"", -2 ** 63), ("12", "1e3", 7, 8.25, "\u00e9\u2713"),
                (" 45.93 ", "45.93", 45.93, "45.93", "45.93"), ("3.0", "3", 3.0, "3.0", 3.0),
                ("0x10", "1e400", 2 ** 53 + 1, "-0", "12abc"), (9.5e18, 2 ** 62, 1e20, 1, "")]
        for r in rows * 3:  # several chunks
            self.db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", r)
            self.db.execute("INSERT INTO p VALUES (?, ?, ?, ?, ?)", r)
        sql = "SELECT %s FROM {t} ORDER BY rowid" % ", ".join(
            "%s, typeof(%s)" % (c, c) for c in "irsbu")
        self.assertEqual(self.db.execute(sql.format(t="t")).fetchall(),
                         self.db.execute(sql.format(t="p")).fetchall())
        self.assertGreater(self.one("SELECT count(*) FROM t_chunk"), 3)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")
        # and so do UPDATEs
        self.db.execute("UPDATE t SET i = '42', r = '1.25', s = 7 WHERE rowid % 2 = 0")
        self.db.execute("UPDATE p SET i = '42', r = '1.25', s = 7 WHERE rowid % 2 = 0")
        self.assertEqual(self.db.execute(sql.format(t="t")).fetchall(),
                         self.db.execute(sql.format(t="p")).fetchall())

    def test_real_column_takes_integers_as_reals(self):
        self.db.execute("INSERT INTO t(r) VALUES (3), ('x'), (2.5), ('4')")
        got = self.db.execute("SELECT typeof(r), r FROM t").fetchall()
        self.assertEqual(got, [("real", 3.0), ("text", "x"), ("real", 2.5), ("real", 4.0)])

    def test_any_type_name(self):
        types = ["VARCHAR(20)", "BIGINT", "DATETIME", "NUMERIC", "BOOLEAN", "DOUBLE PRECISION",
                 "UNSIGNED BIG INT", "DECIMAL(10, 5)", "NVARCHAR(100)", "CLOB", "FLOATING POINT"]
        decl = ", ".join("c%d %s" % (k, t) for k, t in enumerate(types))
        self.db.execute("CREATE VIRTUAL TABLE a USING squeeze(%s)" % decl)
        self.db.execute("CREATE TABLE pa(%s)" % decl)
        self.assertEqual(self.db.execute("SELECT type FROM pragma_table_info('a')").fetchall(),
                         [(t,) for t in types])
        for v in ["12", "1.5", "2024-01-02", "1e3", 7, 2.0, "true", None]:
            args = [v] * len(types)
            marks = ", ".join("?" * len(types))
            self.db.execute("INSERT INTO a VALUES (%s)" % marks, args)
            self.db.execute("INSERT INTO pa VALUES (%s)" % marks, args)
        sql = "SELECT %s FROM {t} ORDER BY rowid" % ", ".join(
            "c%d, typeof(c%d)" % (k, k) for k in range(len(types)))
        self.assertEqual(self.db.execute(sql.format(t="a")).fetchall(),
                         self.db.execute(sql.format(t="pa")).fetchall())

    def test_strict(self):
        self.db.execute("CREATE VIRTUAL TABLE s USING squeeze(i INTEGER, r REAL, t TEXT, b BLOB,"
                        " x ANY, strict = on)")
        self.db.execute("INSERT INTO s VALUES ('12', 3, 4, x'00', 'y')")
        self.assertEqual(self.db.execute("SELECT typeof(i), typeof(r), typeof(t), typeof(x)"
                                         " FROM s").fetchone(), ("integer", "real", "text", "text"))
        for vals, message in [(("x", 1.0, "a", b"", 1), "cannot store TEXT value in INTEGER column s.i"),
                              ((1, "y", "a", b"", 1), "cannot store TEXT value in REAL column s.r"),
                              ((1, 1.0, "a", "t", 1), "cannot store TEXT value in BLOB column s.b")]:
            with self.subTest(message=message):
                e = self.assertSqlError(message, "INSERT INTO s VALUES (?, ?, ?, ?, ?)", *vals)
                self.assertEqual(e.sqlite_errorcode, 3091)  # SQLITE_CONSTRAINT_DATATYPE
        self.assertEqual(self.one("SELECT count(*) FROM s"), 1)

    def test_like(self):
        self.db.execute("CREATE TABLE plain(ts INTEGER, price DECIMAL(8, 2), name VARCHAR(20))")
        self.db.execute("INSERT INTO plain VALUES (1, '10.50', 'a'), (2, 11, 'b')")
        self.db.execute("CREATE VIRTUAL TABLE s USING squeeze(like = 'plain', chunk_rows = 2)")
        self.db.execute("INSERT INTO s SELECT * FROM plain")
        self.assertEqual(self.db.execute("SELECT name, type FROM pragma_table_info('s')").fetchall(),
                         [("ts", "INTEGER"), ("price", "DECIMAL(8, 2)"), ("name", "VARCHAR(20)")])
        self.assertEqual(self.db.execute("SELECT * FROM s").fetchall(),
                         self.db.execute("SELECT * FROM plain").fetchall())
        self.db.execute("CREATE VIRTUAL TABLE s2 USING squeeze(like = 'main.plain')")
        self.assertEqual(self.one("SELECT count(*) FROM pragma_table_info('s2')"), 3)

    def test_like_keeps_its_columns(self):
        """The columns are taken once, at CREATE: the table opens the same after the other
        table is altered or dropped, in a new connection, and a file whose kept columns
        are gone is reported as corrupt."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "like.db")
            db = connect(path)
            db.execute('CREATE TABLE src(a INT, "we""ird" DECIMAL(10, 2))')
            db.execute("CREATE VIRTUAL TABLE s USING squeeze(like = 'src')")
            db.execute("INSERT INTO s VALUES (1, '2.50')")
            db.execute("ALTER TABLE src ADD COLUMN c TEXT")
            db.commit()
            db.close()
            db = connect(path)
            self.assertEqual(db.execute("SELECT *, typeof(\"we\"\"ird\") FROM s").fetchall(),
                             [(1, 2.5, "real")])
            db.execute("DROP TABLE src")
            db.commit()
            db.close()
            db = connect(path)
            self.assertEqual(db.execute("SELECT name, type FROM pragma_table_info('s')").fetchall(),
                             [("a", "INT"), ('we"ird', "DECIMAL(10, 2)")])
            db.execute("DELETE FROM s_config WHERE k GLOB 'column:*'")
            db.commit()
            db.close()
            db = connect(path)
            with self.assertRaisesRegex(sqlite3.DatabaseError, "the columns in s_config are missing"):
                db.execute("SELECT * FROM s").fetchall()
            db.close()

    def test_nulls_everywhere(self):
        for k in range(10):
            self.db.execute("INSERT INTO t VALUES (?, NULL, ?, NULL, NULL)",
                            (k if k % 3 else None, None if k % 2 else "v"))
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE i IS NULL"), 4)
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE s IS NULL"), 5)
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE r IS NULL"), 10)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_texts_around_the_terminated_size(self):
        # texts up to 255 bytes are given to SQLite with a terminator, longer ones and ones
        # holding a NUL byte with their length: every kind reads back whole, in every encoding
        texts = ["", "a", "x" * 254, "y" * 255, "z" * 256, "\u00e9" * 127 + "e", "a\x00b",
                 "\x00", "q" * 200 + "\x00" + "r" * 100, "end\x00"]
        for enc in ("UTF-8", "UTF-16le", "UTF-16be"):
            with self.subTest(encoding=enc):
                db = connect(":memory:")
                db.execute("PRAGMA encoding = '%s'" % enc)
                db.execute("CREATE VIRTUAL TABLE t USING squeeze(s TEXT, chunk_rows = 4)")
                db.execute("CREATE TABLE p(s TEXT)")
                for x in texts:
                    db.execute("INSERT INTO t VALUES (?)", (x,))
                    db.execute("INSERT INTO p VALUES (?)", (x,))
                sql = "SELECT s, length(s), length(CAST(s AS BLOB)), hex(s) FROM %s ORDER BY rowid"
                want = db.execute(sql % "p").fetchall()
                self.assertEqual(db.execute(sql % "t").fetchall(), want)
                self.assertEqual([r[0] for r in db.execute("SELECT s FROM t")], texts)
                self.assertGreater(db.execute("SELECT count(*) FROM t_chunk").fetchone()[0], 1)
                db.close()

    def test_large_values(self):
        big = os.urandom(300000)
        text = "word " * 100000
        self.db.execute("INSERT INTO t(b, s) VALUES (?, ?)", (big, text))
        for _ in range(5):
            self.db.execute("INSERT INTO t(b, s) VALUES (?, ?)", (big[:1000], text[:10]))
        self.assertEqual(self.one("SELECT b FROM t WHERE rowid = 1"), big)
        self.assertEqual(self.one("SELECT s FROM t WHERE rowid = 1"), text)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_bulk_insert_select(self):
        self.db.execute("CREATE VIRTUAL TABLE ts USING squeeze(ts INTEGER, v REAL, s TEXT,"
                        " chunk_rows = 1000)")
        self.db.execute("INSERT INTO ts " + SERIES, (9999,))
        self.assertEqual(self.one("SELECT count(*) FROM ts"), 10000)
        self.assertEqual(self.one("SELECT count(*) FROM ts_chunk"), 10)
        self.assertEqual(self.one("SELECT count(*) FROM ts_tail"), 0)
        plain = self.db.execute("SELECT sum(ts), total(v), count(DISTINCT s) FROM (%s)" % SERIES,
                                (9999,)).fetchone()
        self.assertEqual(self.db.execute("SELECT sum(ts), total(v), count(DISTINCT s) FROM ts")
                         .fetchone(), plain)
        stats = {r[0]: r for r in self.db.execute("SELECT * FROM squeeze_stats('ts')")}
        self.assertIn(stats["ts"][3].split()[0], ("dod", "delta", "bins"))
        self.assertIn(stats["v"][3].split()[0], ("alp", "decimal"))
        self.assertIn(stats["s"][3].split()[0], ("dict", "zstd"))  # 7 names: ~3 bits a row
        self.assertGreater(stats["s"][8], 10)
        self.assertGreater(stats["ts"][8], 50)  # ratio


class Transactions(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT, chunk_rows = 3)")

    def rows(self):
        return self.db.execute("SELECT rowid, a, b FROM t").fetchall()

    def test_rollback(self):
        self.db.execute("INSERT INTO t VALUES (1, 'a')")
        self.db.execute("BEGIN")
        for k in range(10):
            self.db.execute("INSERT INTO t VALUES (?, 'x')", (k,))
        self.db.execute("UPDATE t SET b = 'changed' WHERE rowid = 1")
        self.db.execute("ROLLBACK")
        self.assertEqual(self.rows(), [(1, 1, "a")])
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_savepoints(self):
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t VALUES (1, 'one')")
        self.db.execute("SAVEPOINT s1")
        self.db.execute("INSERT INTO t VALUES (2, 'two')")
        self.db.execute("INSERT INTO t VALUES (3, 'three')")
        self.db.execute("SAVEPOINT s2")
        self.db.execute("INSERT INTO t VALUES (4, 'four')")
        self.db.execute("DELETE FROM t WHERE a = 1")
        self.db.execute("ROLLBACK TO s2")
        self.assertEqual([r[1] for r in self.rows()], [1, 2, 3])
        self.db.execute("INSERT INTO t VALUES (5, 'five')")
        self.db.execute("RELEASE s2")
        self.db.execute("ROLLBACK TO s1")
        self.assertEqual([r[1] for r in self.rows()], [1])
        self.db.execute("INSERT INTO t VALUES (6, 'six')")
        self.db.execute("COMMIT")
        self.assertEqual(self.rows(), [(1, 1, "one"), (2, 6, "six")])

    def test_failed_statement_in_transaction_is_undone(self):
        self.db.execute("INSERT INTO t(rowid, a) VALUES (10, 10)")
        self.db.execute("BEGIN")
        with self.assertRaises(sqlite3.IntegrityError):
            self.db.execute("INSERT INTO t(rowid, a) VALUES (11, 1), (12, 2), (10, 3)")
        self.assertEqual([r[0] for r in self.rows()], [10])
        self.db.execute("INSERT OR FAIL INTO t(rowid, a) VALUES (11, 1), (10, 3)") \
            if False else None
        with self.assertRaises(sqlite3.IntegrityError):
            self.db.execute("INSERT OR FAIL INTO t(rowid, a) VALUES (11, 1), (10, 3)")
        self.assertEqual([r[0] for r in self.rows()], [10, 11])  # FAIL keeps earlier rows
        self.db.execute("COMMIT")
        self.assertEqual([r[0] for r in self.rows()], [10, 11])

    def test_commit_persists_and_other_connections_see_it(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.db")
            a, b = connect(path), connect(path)
            a.execute("CREATE VIRTUAL TABLE t USING squeeze(x INTEGER, chunk_rows = 4)")
            self.assertEqual(b.execute("SELECT count(*) FROM t").fetchone()[0], 0)
            a.execute("BEGIN")
            a.executemany("INSERT INTO t VALUES (?)", [(k,) for k in range(10)])
            a.execute("COMMIT")
            self.assertEqual(b.execute("SELECT count(*), sum(x) FROM t").fetchone(), (10, 45))
            b.execute("INSERT INTO t VALUES (100)")  # b's rowid must follow a's rows
            self.assertEqual(a.execute("SELECT max(rowid) FROM t").fetchone()[0], 11)
            a.execute("DELETE FROM t WHERE x < 5")
            self.assertEqual(b.execute("SELECT count(*) FROM t").fetchone()[0], 6)
            a.close()
            b.close()
            c = connect(path)
            self.assertEqual(c.execute("SELECT group_concat(x) FROM t").fetchone()[0],
                             "5,6,7,8,9,100")
            self.assertEqual(c.execute("SELECT squeeze_check('t')").fetchone()[0], "ok")
            c.close()


class Rowids(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(a, chunk_rows = 2)")
        self.db.execute("CREATE TABLE p(a)")

    def both(self, sql, *args):
        out = []
        for t in ("t", "p"):
            try:
                self.db.execute(sql.format(t=t), args)
                out.append("ok")
            except sqlite3.Error as e:
                out.append(type(e).__name__ + ": " + str(e).replace(t + ".", "T."))
        self.assertEqual(out[0], out[1], sql)
        self.assertEqual(self.db.execute("SELECT rowid, a FROM t").fetchall(),
                         self.db.execute("SELECT rowid, a FROM p").fetchall(), sql)
        return out[0]

    def test_rules_of_a_rowid_table(self):
        self.both("INSERT INTO {t} VALUES (1)")
        self.both("INSERT INTO {t}(rowid, a) VALUES (10, 2)")
        self.both("INSERT INTO {t} VALUES (3)")  # 11
        self.assertIn("UNIQUE constraint failed: T.rowid",
                      self.both("INSERT INTO {t}(rowid, a) VALUES (10, 4)"))
        self.both("INSERT OR IGNORE INTO {t}(rowid, a) VALUES (10, 5)")
        self.both("INSERT OR REPLACE INTO {t}(rowid, a) VALUES (10, 6)")
        self.both("INSERT INTO {t}(rowid, a) VALUES (-5, 7)")
        self.both("INSERT INTO {t}(rowid, a) VALUES ('20', 8)")
        self.both("INSERT INTO {t}(rowid, a) VALUES (21.0, 9)")
        self.assertIn("datatype mismatch", self.both("INSERT INTO {t}(rowid, a) VALUES (2.5, 9)"))
        self.assertIn("datatype mismatch", self.both("INSERT INTO {t}(rowid, a) VALUES ('x', 9)"))
        self.both("DELETE FROM {t} WHERE rowid = 21")
        self.both("INSERT INTO {t} VALUES (10)")  # reuses 21, as max + 1
        self.both("UPDATE {t} SET rowid = 100 WHERE rowid = 1")
        self.both("UPDATE {t} SET rowid = rowid + 1")
        self.both("UPDATE OR REPLACE {t} SET rowid = 11 WHERE rowid = 101")
        self.both("DELETE FROM {t} WHERE rowid > 15")
        self.both("INSERT INTO {t} VALUES (11)")
        self.both("DELETE FROM {t}")
        self.both("INSERT INTO {t} VALUES (12)")  # empty table: rowid 1
        self.both("INSERT INTO {t}(rowid, a) VALUES (-9, 13)")
        self.both("DELETE FROM {t} WHERE rowid = 1")
        self.both("INSERT INTO {t} VALUES (14)")  # max is -9: rowid -8

    def test_largest_rowid_gives_random_ones(self):
        self.db.execute("INSERT INTO t(rowid, a) VALUES (9223372036854775807, 'max')")
        for k in range(5):
            self.db.execute("INSERT INTO t VALUES (?)", (k,))
        ids = [r[0] for r in self.db.execute("SELECT rowid FROM t")]
        self.assertEqual(len(set(ids)), 6)
        self.assertTrue(all(i > 0 for i in ids))
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")


class Queries(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, s TEXT,"
                        " chunk_rows = 100)")
        self.db.execute("INSERT INTO t " + SERIES, (999,))
        self.db.execute("CREATE TABLE p AS SELECT rowid AS id, * FROM t")

    def same(self, where, *args, order="ORDER BY rowid"):
        got = self.db.execute("SELECT rowid, * FROM t WHERE %s %s" % (where, order), args).fetchall()
        want = self.db.execute("SELECT id, ts, v, s FROM p WHERE %s %s" % (
            where.replace("rowid", "id"), order.replace("rowid", "id")), args).fetchall()
        self.assertEqual(got, want, where)
        return got

    def test_constraints(self):
        self.same("rowid = 500")
        self.same("rowid BETWEEN 250 AND 260")
        self.same("rowid > 990")
        self.same("rowid >= 995.5")
        self.same("rowid < 3.5")
        self.same("rowid IN (1, 100, 101, 999, 5000, 100)")
        self.same("rowid > 'abc'")
        self.same("rowid < 'abc' AND rowid < 4")
        self.same("ts BETWEEN ? AND ?", 1700000100, 1700000199)
        self.same("ts = 1700000500")
        self.same("ts IN (1700000001, 1700000998)")
        self.same("v > 109.9")
        self.same("v < 90.05 AND rowid < 500")
        self.same("s = 'sensor-3' AND ts < 1700000100")
        self.same("s IN ('sensor-1', 'sensor-2') AND rowid < 30")
        self.same("ts > '1700000990'")  # numeric affinity on the right-hand side
        self.same("s > 5")  # TEXT affinity on the right-hand side
        self.same("v IS NULL")
        self.same("ts = ? ", None)

    def test_order_by_rowid_is_consumed(self):
        plan = " ".join(r[3] for r in self.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM t WHERE ts > 5 ORDER BY rowid"))
        self.assertNotIn("TEMP B-TREE", plan)
        plan = " ".join(r[3] for r in self.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM t ORDER BY rowid DESC"))
        self.assertNotIn("TEMP B-TREE", plan)
        self.same("1", order="ORDER BY rowid DESC LIMIT 3")

    def test_descending_scans(self):
        """ORDER BY rowid DESC walks chunks, rows and the tail backwards: the same rows as
        a plain table's, with patches, tombstones, tail rows, gaps, ranges, IN lists, zone
        maps and NULL tests."""
        self.db.execute("UPDATE t SET v = -v WHERE rowid % 7 = 0")
        self.db.execute("UPDATE p SET v = -v WHERE id % 7 = 0")
        self.db.execute("DELETE FROM t WHERE rowid % 11 = 3")
        self.db.execute("DELETE FROM p WHERE id % 11 = 3")
        self.db.execute("INSERT INTO t(rowid, ts, v, s) VALUES (5000, 1, 2, 'x'), (4000, 1, NULL, 'y')")
        self.db.execute("INSERT INTO p(id, ts, v, s) VALUES (5000, 1, 2, 'x'), (4000, 1, NULL, 'y')")
        for where in ["1", "rowid > 990", "rowid < 3.5", "rowid BETWEEN 250 AND 260",
                      "rowid BETWEEN 3000 AND 4500", "rowid IN (1, 100, 101, 999, 5000, 4000, 3)",
                      "rowid = 500", "rowid = 3", "v IS NULL", "v IS NOT NULL AND rowid < 40",
                      "ts > 1700000990", "v < 0 AND rowid > 900", "s = 'x'"]:
            for limit in ["", " LIMIT 1", " LIMIT 10", " LIMIT 5 OFFSET 3"]:
                self.same(where, order="ORDER BY rowid DESC" + limit)

    def test_descending_scan_sees_writes_made_during_it(self):
        """Writes made by the same connection while a descending scan runs: the scan goes
        on from the last row returned and sees the table as it is now, as a plain table's
        scan does."""
        self.db.execute("CREATE TABLE q(id INTEGER PRIMARY KEY, ts INTEGER, v REAL, s TEXT)")
        self.db.execute("INSERT INTO q SELECT * FROM p")
        got = {}
        for tab, key in (("t", "rowid"), ("q", "id")):
            seen = []
            scan = self.db.execute("SELECT %s, v FROM %s ORDER BY %s DESC" % (key, tab, key))
            for r, v in scan:
                seen.append((r, v))
                if r % 50 == 0:
                    # delete a row below, change one further down, add one above
                    self.db.execute("DELETE FROM %s WHERE %s = ?" % (tab, key), (r - 3,))
                    self.db.execute("UPDATE %s SET v = 1e9 WHERE %s = ?" % (tab, key), (r - 7,))
                    self.db.execute("INSERT INTO %s(%s, v) VALUES (?, 5)" % (tab, key), (r + 10000,))
            got[tab] = seen
        self.assertEqual(got["t"], got["q"])
        self.assertEqual(sum(1 for r, v in got["t"] if v == 1e9), 20)

    def test_joins_use_rowid_lookups(self):
        got = self.db.execute("SELECT count(*), sum(t.v) FROM p JOIN t ON t.rowid = p.id"
                              " WHERE p.id % 97 = 0").fetchone()
        want = self.db.execute("SELECT count(*), sum(v) FROM p WHERE id % 97 = 0").fetchone()
        self.assertEqual(got, want)

    def test_text_that_looks_numeric_in_a_numeric_column(self):
        # SQLite compares a REAL/INTEGER column with numeric affinity on both
        # sides: '12' < 500 holds. Zone maps must not drop such a chunk.
        self.db.execute("CREATE VIRTUAL TABLE n USING squeeze(a INTEGER, c TEXT, chunk_rows = 2)")
        self.db.executemany("INSERT INTO n VALUES (?, ?)",
                            [(1000, "b"), (2000, "c"), ("12", 5), ("x", 7.5), (3000, "a")])
        for where in ["a < 500", "a > 1500", "a = 12", "c < 'a'", "c = '5'", "c > '7'"]:
            with self.subTest(where=where):
                got = self.db.execute("SELECT rowid FROM n WHERE %s" % where).fetchall()
                want = self.db.execute("SELECT rowid FROM n WHERE (%s) IS 1" % where).fetchall()
                self.assertEqual(got, want)


class WritesDuringScans(SqlTestCase):
    def test_updating_rows_while_iterating_them(self):
        # the common loop "for each row: UPDATE it" in autocommit mode, where
        # every UPDATE commits (and may compact chunks) under the open SELECT:
        # the squeeze table must see exactly what a plain table sees
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT, chunk_rows = 8)")
        self.db.execute("CREATE TABLE p(a, b)")
        results = {}
        for tb in ("t", "p"):
            self.db.executemany("INSERT INTO %s VALUES (?, ?)" % tb,
                                [(i, "x%d" % i) for i in range(100)])
            seen = []
            for rowid, a, b in self.db.execute("SELECT rowid, a, b FROM %s WHERE rowid > 3" % tb):
                seen.append((rowid, a, b))
                self.db.execute("UPDATE %s SET a = a + 1000 WHERE rowid = ?" % tb, (rowid,))
                self.db.execute("UPDATE %s SET b = 'ahead' WHERE rowid = ?" % tb, (rowid + 2,))
                if rowid % 7 == 0:
                    self.db.execute("DELETE FROM %s WHERE rowid = ?" % tb, (rowid + 1,))
                if rowid % 11 == 0:
                    self.db.execute("INSERT INTO %s(a, b) VALUES (?, 'new')" % tb, (rowid,))
                if rowid % 30 == 0 and tb == "t":
                    self.db.execute("SELECT squeeze_optimize('t')")
                if rowid > 400:
                    break
            results[tb] = (seen, self.db.execute("SELECT rowid, * FROM %s" % tb).fetchall())
        self.assertEqual(results["t"], results["p"])
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_insert_select_from_itself(self):
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, chunk_rows = 3)")
        self.db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
        self.db.execute("INSERT INTO t SELECT a + 100 FROM t")
        self.assertEqual(self.one("SELECT count(*) FROM t"), 20)
        got = self.db.execute("SELECT count(*) FROM t a JOIN t b ON a.rowid = b.rowid").fetchone()
        self.assertEqual(got[0], 20)


class Maintenance(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, s TEXT,"
                        " chunk_rows = 100)")
        self.db.execute("INSERT INTO t " + SERIES, (1049,))

    def test_stats(self):
        rows = self.db.execute("SELECT name, type, codec, chunks, nulls, raw_bytes,"
                               " stored_bytes > 0, ratio > 1 FROM squeeze_stats('t')").fetchall()
        self.assertEqual([r[:3] for r in rows], [("rowid", "INTEGER", "auto"),
                                                 ("ts", "INTEGER", "auto"), ("v", "REAL", "auto"),
                                                 ("s", "TEXT", "auto")])
        self.assertEqual({r[3] for r in rows}, {10})
        self.assertEqual(rows[1][5], 8000)
        self.assertTrue(all(r[6] and r[7] for r in rows))
        self.assertSqlError("no squeeze table named 'nope'", "SELECT * FROM squeeze_stats('nope')")
        self.assertSqlError("squeeze_stats: usage: SELECT * FROM squeeze_stats('table')",
                            "SELECT * FROM squeeze_stats")

    def test_optimize(self):
        self.db.execute("DELETE FROM t WHERE rowid % 3 = 0")
        self.db.execute("UPDATE t SET s = 'changed' WHERE rowid % 5 = 0")
        before = self.db.execute("SELECT rowid, * FROM t").fetchall()
        self.assertGreater(self.one("SELECT count(*) FROM t_tail"), 0)
        written = self.one("SELECT squeeze_optimize('t')")
        self.assertGreater(written, 0)
        self.assertEqual(self.one("SELECT count(*) FROM t_tail"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM t_chunk"), 7)  # 700 rows: 7 full chunks
        self.assertEqual(self.db.execute("SELECT rowid, * FROM t").fetchall(), before)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")
        self.assertEqual(self.one("SELECT squeeze_optimize('t')"), 0)  # nothing left to do

    def test_optimize_in_a_transaction_rolls_back(self):
        self.db.execute("DELETE FROM t WHERE rowid < 500")
        self.db.execute("BEGIN")
        self.db.execute("SELECT squeeze_optimize('t')")
        self.db.execute("ROLLBACK")
        self.assertEqual(self.one("SELECT count(*) FROM t"), 551)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_function_errors(self):
        self.assertSqlError("squeeze_check: no squeeze table named 'x'", "SELECT squeeze_check('x')")
        self.assertSqlError("squeeze_optimize: needs a table name", "SELECT squeeze_optimize(NULL)")
        self.db.execute("CREATE TABLE plain(a)")
        self.assertSqlError("no squeeze table named 'plain'", "SELECT squeeze_check('plain')")
        self.assertEqual(self.one("SELECT squeeze_check('main.t')"), "ok")

    def test_rename_and_drop(self):
        self.db.execute("ALTER TABLE t RENAME TO u")
        self.assertEqual(self.one("SELECT count(*) FROM u"), 1050)
        self.assertEqual(self.one("SELECT count(*) FROM u_chunk"), 10)
        self.assertEqual(self.one("SELECT squeeze_check('u')"), "ok")
        self.db.execute("INSERT INTO u(ts) VALUES (1)")
        self.db.execute("DROP TABLE u")
        self.assertEqual(self.one("SELECT count(*) FROM sqlite_schema"), 0)


class ChangeCounts(SqlTestCase):
    """changes() after each statement is what a plain table's is; total_changes() also
    counts the rows squeeze writes to its shadow tables (documented, as for fts5)."""

    def test_changes_match_a_plain_table(self):
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT, chunk_rows = 4)")
        self.db.execute("CREATE TABLE p(a INTEGER, b TEXT)")
        rows = ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)"
                " SELECT i, 'q' FROM s")
        for sql in ["INSERT INTO {t} VALUES (1, 'x'), (2, 'y'), (3, 'z')",
                    "INSERT INTO {t}(rowid, a) VALUES (10, 5)",
                    "INSERT OR REPLACE INTO {t}(rowid, a) VALUES (2, 7), (11, 8)",
                    "INSERT OR IGNORE INTO {t}(rowid, a) VALUES (2, 7), (12, 8)",
                    "UPDATE {t} SET a = a + 1",
                    "UPDATE {t} SET rowid = rowid + 100 WHERE rowid < 3",
                    "DELETE FROM {t} WHERE a > 5",
                    "INSERT INTO {t} " + rows,
                    "UPDATE {t} SET b = 'r' WHERE rowid % 3 = 0",
                    "DELETE FROM {t}"]:
            got = []
            for t in ("t", "p"):
                self.db.execute(sql.format(t=t))
                got.append(self.one("SELECT changes()"))
            self.assertEqual(got[0], got[1], sql)


class DecodedCache(unittest.TestCase):
    """The decoded-slot cache (sqt_cache.c) never serves what the file no longer holds."""

    ROWS = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) "

    def test_other_connections_and_restores(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.db")
            a, b = connect(path), connect(path)
            a.execute("CREATE VIRTUAL TABLE t USING squeeze(v INTEGER, chunk_rows = 100)")
            a.execute("INSERT INTO t " + self.ROWS + "SELECT i FROM s")
            older = sqlite3.connect(":memory:")
            a.backup(older)
            a.execute("DELETE FROM t")
            a.execute("INSERT INTO t(rowid, v) " + self.ROWS + "SELECT i, i * 10 FROM s")
            self.assertEqual(b.execute("SELECT sum(v) FROM t").fetchone()[0], 50500)
            # an older copy comes back; its next chunk takes the generation (and the
            # directory row) of the chunk b has decoded, with other values
            older.backup(a)
            a.execute("DELETE FROM t")
            a.execute("INSERT INTO t(rowid, v) " + self.ROWS + "SELECT i, i * 7 FROM s")
            self.assertEqual(a.execute("SELECT maxrow, minrow, nrows, gen, length(sums)"
                                       " FROM t_chunk").fetchall(), [(100, 1, 100, 2, 16)])
            self.assertEqual(b.execute("SELECT sum(v) FROM t").fetchone()[0], 35350)
            self.assertEqual(b.execute("SELECT v FROM t WHERE rowid = 3").fetchone()[0], 21)
            for c in (a, b, older):
                c.close()

    def test_rollback_forgets_generations(self):
        db = connect()
        db.execute("CREATE VIRTUAL TABLE t USING squeeze(v INTEGER, chunk_rows = 10)")
        db.execute("BEGIN")
        db.execute("INSERT INTO t " + self.ROWS + "SELECT i FROM s")
        self.assertEqual(db.execute("SELECT sum(v) FROM t").fetchone()[0], 5050)
        db.execute("ROLLBACK")
        db.execute("INSERT INTO t " + self.ROWS + "SELECT -i FROM s")
        self.assertEqual(db.execute("SELECT sum(v) FROM t").fetchone()[0], -5050)
        self.assertEqual(db.execute("SELECT v FROM t WHERE rowid = 5").fetchone()[0], -5)
        db.close()


class NewConnectionLookups(unittest.TestCase):
    """A new connection's first scan of a narrow rowid range counts the tail's rows in it
    before it prepares the tail SELECT (sqt_scan.c, tail_may_hold): rows only the tail
    holds (inserted, updated, deleted since the chunks were written) must still be seen,
    by lookups, short ranges in both orders and IN lists, each from a connection of its
    own, as a plain table shows them."""

    def test_tail_rows_seen_by_new_connections(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.db")
            w = connect(path)
            for tb, kind in (("t", "VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT, chunk_rows = 50)"),
                             ("p", "TABLE p(a INTEGER, b TEXT)")):
                w.execute("CREATE " + kind)
                w.execute("INSERT INTO %s(rowid, a, b) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL"
                          " SELECT i + 1 FROM s WHERE i < 500) SELECT i, i * 3, 'r' || i FROM s" % tb)
            w.execute("SELECT squeeze_optimize('t')")
            self.assertEqual(w.execute("SELECT count(*) FROM t_tail").fetchone()[0], 0)
            for tb in ("t", "p"):  # each change leaves a row in t's tail
                w.execute("INSERT INTO %s(rowid, a, b) VALUES (1000, 1, 'new')" % tb)
                w.execute("UPDATE %s SET b = 'changed' WHERE rowid = 120" % tb)
                w.execute("DELETE FROM %s WHERE rowid = 333" % tb)
            self.assertGreater(w.execute("SELECT count(*) FROM t_tail").fetchone()[0], 0)
            queries = ["SELECT rowid, * FROM %s WHERE rowid = 1000",
                       "SELECT rowid, * FROM %s WHERE rowid = 120",
                       "SELECT rowid, * FROM %s WHERE rowid = 333",
                       "SELECT rowid, * FROM %s WHERE rowid = 121",
                       "SELECT rowid, * FROM %s WHERE rowid BETWEEN 110 AND 130",
                       "SELECT rowid, * FROM %s WHERE rowid BETWEEN 330 AND 340 ORDER BY rowid DESC",
                       "SELECT rowid, * FROM %s WHERE rowid IN (5, 120, 333, 1000, 2000)",
                       "SELECT rowid, * FROM %s WHERE rowid >= 990"]
            for q in queries:
                got = {}
                for tb in ("t", "p"):
                    r = connect(path)
                    got[tb] = r.execute(q % tb).fetchall()
                    r.close()
                self.assertEqual(got["t"], got["p"], q)
            # a scan that saw no tail row in its range, then a write of its own connection
            # into that range under it: it reads the tail again and sees the new version
            r = connect(path)
            seen = []
            for rowid, b in r.execute("SELECT rowid, b FROM t WHERE rowid BETWEEN 200 AND 205"):
                seen.append((rowid, b))
                if rowid == 200:
                    r.execute("UPDATE t SET b = 'ahead' WHERE rowid = 203")
            self.assertEqual(seen, [(i, "ahead" if i == 203 else "r%d" % i) for i in range(200, 206)])
            r.close()
            # the same, descending, and through an IN list
            for q, first, ahead, want in [
                    ("SELECT rowid, b FROM t WHERE rowid BETWEEN 210 AND 215 ORDER BY rowid DESC",
                     215, 212, list(range(215, 209, -1))),
                    ("SELECT rowid, b FROM t WHERE rowid IN (220, 222, 224)", 220, 224,
                     [220, 222, 224])]:
                r = connect(path)
                seen = []
                for rowid, b in r.execute(q):
                    seen.append((rowid, b))
                    if rowid == first:
                        r.execute("UPDATE t SET b = 'ahead' WHERE rowid = ?", (ahead,))
                self.assertEqual(seen, [(i, "ahead" if i == ahead else "r%d" % i) for i in want], q)
                r.close()
            w.close()


if __name__ == "__main__":
    unittest.main()

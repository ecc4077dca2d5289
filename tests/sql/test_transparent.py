"""Transparent compression of an existing table: squeeze_enable, squeeze_maintain,
squeeze_disable (docs/transparent.md).

Every test checks values and their storage classes as a plain table would give
them, before and after squeeze_maintain, and the limits the reference page lists
(last_insert_rowid, changes, UPSERT, rowid of a view) as they are.
"""
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from sqz import DATA, EXT, ROOT, SqlTestCase, connect


def schema(db, *, skip_config=True):
    """Every schema object as (type, name, tbl_name, sql), sorted."""
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
    return [r for r in rows if not (skip_config and r[1].startswith("sqlite_autoindex__squeeze"))]


def unquoted(rows):
    """The schema rows with double quotes removed: SQLite's ALTER TABLE RENAME
    quotes the names it writes."""
    return [tuple(x.replace('"', "") if isinstance(x, str) else x for x in r) for r in rows]


class Basics(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.executescript("""
            CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT DEFAULT 'untitled', body);
            CREATE INDEX docs_title ON docs(title);
        """)
        self.rows = [
            (1, "a", "hello " * 50),
            (2, "b", b"\x00\x01" * 100),
            (3, "c", 42),
            (4, "d", 2.5),
            (5, "e", None),
            (6, "f", ""),
            (7, "g", b""),
            (8, "h", "short"),
            (9, "i", "é" * 300),
        ]
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", self.rows)

    def contents(self):
        return self.db.execute("SELECT id, title, body, typeof(body) FROM docs ORDER BY id").fetchall()

    def expected(self):
        return [(i, t, b, {str: "text", bytes: "blob", int: "integer", float: "real",
                           type(None): "null"}[type(b)]) for i, t, b in self.rows]

    def states(self):
        return dict(self.db.execute("SELECT id, _squeeze_body FROM _squeeze_docs"))

    def test_round_trip_every_storage_class(self):
        self.assertEqual(self.one("SELECT squeeze_enable('docs', 'body')"), len(self.rows))
        self.assertEqual(self.contents(), self.expected())  # before maintain: all pending
        self.assertEqual(set(self.states().values()), {None})
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.contents(), self.expected())
        st = self.states()
        self.assertEqual(st[1], 1)  # long text: a frame
        self.assertEqual(st[2], 1)
        self.assertEqual([st[i] for i in (3, 4, 5, 6, 7, 8)], [0] * 6)  # kept as written
        stored = self.db.execute("SELECT body FROM _squeeze_docs WHERE id = 1").fetchone()[0]
        self.assertIsInstance(stored, bytes)
        self.assertLess(len(stored), 60)

    def test_frame_looking_values_stay_what_they_are(self):
        self.one("SELECT squeeze_enable('docs', 'body')")
        frame = self.one("SELECT compress('hello hello hello hello hello hello')")
        zst = b"\x28\xb5\x2f\xfd" + bytes(20)
        self.db.execute("INSERT INTO docs VALUES (20, 'frame', ?), (21, 'zstd', ?)", (frame, zst))
        for _ in range(2):  # pending, then after maintain
            self.assertEqual(self.one("SELECT body FROM docs WHERE id = 20"), frame)
            self.assertEqual(self.one("SELECT body FROM docs WHERE id = 21"), zst)
            self.one("SELECT squeeze_maintain()")
        self.assertEqual(self.one("SELECT decompress(body) FROM docs WHERE id = 20"),
                         "hello hello hello hello hello hello")

    def test_writes_through_the_view(self):
        self.one("SELECT squeeze_enable('docs', 'body')")
        self.one("SELECT squeeze_maintain()")
        self.db.execute("INSERT INTO docs(body) VALUES ('x' || printf('%.500c', 'y'))")
        self.assertEqual(self.one("SELECT max(id) FROM docs"), 10)
        self.assertEqual(self.one("SELECT title FROM docs WHERE id = 10"), "untitled")
        self.assertIsNone(self.states()[10])
        # an UPDATE of another column keeps the stored frame
        before = self.one("SELECT body FROM _squeeze_docs WHERE id = 1")
        self.db.execute("UPDATE docs SET title = 'A' WHERE id = 1")
        self.assertEqual(self.one("SELECT body FROM _squeeze_docs WHERE id = 1"), before)
        self.assertEqual(self.states()[1], 1)
        # an UPDATE of the column stores the new value as written
        self.db.execute("UPDATE docs SET body = 'new' WHERE id = 1")
        self.assertEqual(self.db.execute("SELECT body, _squeeze_body FROM _squeeze_docs WHERE id = 1")
                         .fetchone(), ("new", None))
        # the same value with another type is a change
        self.db.execute("UPDATE docs SET body = CAST(body AS BLOB) WHERE id = 8")
        self.assertEqual(self.one("SELECT typeof(body) FROM docs WHERE id = 8"), "blob")
        # the key
        self.db.execute("UPDATE docs SET id = 100 WHERE id = 2")
        self.assertEqual(self.one("SELECT body FROM docs WHERE id = 100"), b"\x00\x01" * 100)
        self.db.execute("DELETE FROM docs WHERE id IN (3, 100)")
        self.assertEqual(self.one("SELECT count(*) FROM docs"), 8)
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT body FROM docs WHERE id = 1"), "new")

    def test_direct_write_to_the_backing_table_is_never_misread(self):
        self.one("SELECT squeeze_enable('docs', 'body')")
        self.one("SELECT squeeze_maintain()")
        self.db.execute("UPDATE _squeeze_docs SET body = 'plain again' WHERE id = 1")
        self.assertEqual(self.one("SELECT body FROM docs WHERE id = 1"), "plain again")
        self.assertIsNone(self.states()[1])

    def test_indexes_on_other_columns_are_used(self):
        self.one("SELECT squeeze_enable('docs', 'body')")
        plan = " ".join(r[3] for r in self.db.execute(
            "EXPLAIN QUERY PLAN SELECT body FROM docs WHERE title = 'c'"))
        self.assertIn("USING INDEX docs_title", plan)
        plan = " ".join(r[3] for r in self.db.execute(
            "EXPLAIN QUERY PLAN SELECT body FROM docs WHERE id = 3"))
        self.assertIn("INTEGER PRIMARY KEY", plan)

    def test_integer_primary_key(self):
        self.one("SELECT squeeze_enable('docs', 'body')")
        self.db.execute("INSERT INTO docs(id, body) VALUES (50, 'fifty')")
        self.db.execute("INSERT INTO docs(body) VALUES ('next')")
        self.assertEqual(self.one("SELECT id FROM docs WHERE body = 'next'"), 51)
        self.assertSqlError("UNIQUE constraint failed", "INSERT INTO docs(id, body) VALUES (50, 'x')")
        self.db.execute("INSERT OR REPLACE INTO docs(id, body) VALUES (50, 'replaced')")
        self.db.execute("INSERT OR IGNORE INTO docs(id, body) VALUES (50, 'ignored')")
        self.assertEqual(self.one("SELECT body FROM docs WHERE id = 50"), "replaced")
        self.assertSqlError("datatype mismatch", "INSERT INTO docs(id, body) VALUES ('x', 'y')")

    def test_what_a_view_cannot_do(self):
        """The limits docs/transparent.md lists, as they are."""
        self.db.execute("INSERT INTO docs(body) VALUES ('plain')")  # last_insert_rowid 10
        self.one("SELECT squeeze_enable('docs', 'body')")
        total = self.db.total_changes
        cur = self.db.execute("INSERT INTO docs(body) VALUES ('through the view')")
        # last_insert_rowid() and changes() are not set by an INSTEAD OF trigger
        self.assertEqual(self.one("SELECT last_insert_rowid()"), 10)
        self.assertEqual(self.one("SELECT changes()"), 0)
        self.assertEqual(cur.rowcount, 0)
        self.assertEqual(self.db.total_changes, total + 1)  # the trigger's insert counts here
        # RETURNING gives the values as written to the view
        self.assertEqual(self.db.execute(
            "INSERT INTO docs(body) VALUES ('r') RETURNING id, body").fetchall(), [(None, "r")])
        self.assertSqlError("cannot UPSERT a view",
                            "INSERT INTO docs(id, body) VALUES (1, 'x') ON CONFLICT DO NOTHING")
        self.assertIsNone(self.one("SELECT rowid FROM docs WHERE id = 1"))
        # an explicit NULL in a column with a DEFAULT takes the default
        self.db.execute("INSERT INTO docs(id, title, body) VALUES (60, NULL, 'n')")
        self.assertEqual(self.one("SELECT title FROM docs WHERE id = 60"), "untitled")
        # comparisons with a number get no TEXT affinity from the view's column
        self.db.execute("CREATE TABLE tx(id INTEGER PRIMARY KEY, v TEXT)")
        self.db.execute("INSERT INTO tx VALUES (1, 5)")
        self.assertEqual(self.one("SELECT count(*) FROM tx WHERE v = 5"), 1)
        self.one("SELECT squeeze_enable('tx', 'v')")
        self.assertEqual(self.one("SELECT count(*) FROM tx WHERE v = 5"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM tx WHERE v = '5'"), 1)

    def test_disable_restores_the_table(self):
        self.db.executescript("""
            CREATE TABLE log(id INTEGER PRIMARY KEY, doc INTEGER REFERENCES docs(id), what);
            CREATE TRIGGER docs_ins AFTER INSERT ON docs BEGIN
              INSERT INTO log(doc, what) VALUES (new.id, 'insert'); END;
            CREATE TRIGGER docs_upd AFTER UPDATE OF title ON docs BEGIN
              INSERT INTO log(doc, what) VALUES (new.id, 'title'); END;
            CREATE VIEW titled AS SELECT id, title, body FROM docs WHERE title <> '';
            CREATE TRIGGER log_del AFTER DELETE ON log BEGIN DELETE FROM docs WHERE id = old.doc; END;
        """)
        before = schema(self.db)
        rows = self.db.execute("SELECT rowid, * FROM docs ORDER BY rowid").fetchall()
        self.one("SELECT squeeze_enable('docs', 'body')")
        self.one("SELECT squeeze_maintain()")
        # views and triggers elsewhere keep their text and read the view
        self.assertEqual([r for r in schema(self.db) if r[1] in ("titled", "log_del")],
                         [r for r in before if r[1] in ("titled", "log_del")])
        self.assertEqual(self.one("SELECT body FROM titled WHERE id = 1"), "hello " * 50)
        self.db.execute("INSERT INTO docs(title, body) VALUES ('t', 'through the view')")
        self.assertEqual(self.one("SELECT what FROM log ORDER BY id DESC LIMIT 1"), "insert")
        self.db.execute("DELETE FROM log WHERE doc = 10")
        self.assertEqual(self.one("SELECT count(*) FROM docs WHERE id = 10"), 0)
        self.one("SELECT squeeze_disable('docs', 'body')")
        self.assertEqual(unquoted(schema(self.db)), unquoted(before))
        self.assertEqual(self.db.execute("SELECT rowid, * FROM docs ORDER BY rowid").fetchall(), rows)
        self.assertEqual(self.db.execute("SELECT typeof(body) FROM docs ORDER BY id").fetchall(),
                         [(t,) for *_, t in self.expected()])
        self.assertEqual(self.one("PRAGMA integrity_check"), "ok")

    def test_two_columns(self):
        self.db.execute("ALTER TABLE docs ADD COLUMN notes TEXT")
        self.db.execute("UPDATE docs SET notes = printf('%.200c', 'n') || id")
        self.one("SELECT squeeze_enable('docs', 'body')")
        self.one("SELECT squeeze_enable('docs', 'notes', 'codec=lz4,level=9')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT compressed_codec(notes) FROM _squeeze_docs WHERE id = 1"),
                         "lz4")
        self.assertEqual(self.contents(), self.expected())
        self.assertEqual(self.one("SELECT notes FROM docs WHERE id = 3"), "n" * 200 + "3")
        self.one("SELECT squeeze_disable('docs', 'body')")
        self.assertEqual(self.contents(), self.expected())
        self.assertEqual(self.one("SELECT notes FROM docs WHERE id = 3"), "n" * 200 + "3")
        self.one("SELECT squeeze_disable('docs', 'notes')")
        self.assertEqual(self.one("SELECT count(*) FROM sqlite_schema WHERE name LIKE '_squeeze%'"), 0)


def bird_rows(db, table="birds"):
    """The bundled bird strikes as JSON rows (about 150 bytes each), with their state."""
    import csv
    with open(os.path.join(DATA, "birdstrikes.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    state = head.index("Origin State")
    db.execute(f"CREATE TABLE {table}(id INTEGER PRIMARY KEY, state TEXT, body TEXT)")
    marks = ", ".join("?" * len(head))
    db.executemany(f"INSERT INTO {table}(state, body) VALUES (?, json_array({marks}))",
                   [(r[state], *r) for r in rows])
    return len(rows)


class Dictionaries(SqlTestCase):
    """dict=auto, dict_by and a named dictionary (docs/transparent.md)."""

    def stored(self, table="birds"):
        return self.one(f"SELECT sum(length(body)) FROM _squeeze_{table}")

    def test_auto_trains_one_dictionary(self):
        n = bird_rows(self.db)
        plain = self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall()
        self.one("SELECT squeeze_enable('birds', 'body', 'dict=auto')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.db.execute("SELECT name, samples FROM squeeze_dict").fetchall(),
                         [("birds.body", n)])
        self.assertEqual(self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall(), plain)
        with_dict = self.stored()
        # the same rows without a dictionary take far more room
        bird_rows(self.db, "nodict")
        self.one("SELECT squeeze_enable('nodict', 'body')")
        self.one("SELECT squeeze_maintain()")
        raw = self.one("SELECT sum(length(body)) FROM nodict")
        self.assertLess(with_dict * 3, raw)
        self.assertGreater(self.stored("nodict"), with_dict * 2)
        # new rows use the dictionary trained before
        self.db.execute("INSERT INTO birds(state, body) SELECT state, body FROM nodict LIMIT 100")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM squeeze_dict"), 1)
        self.assertEqual(self.one("SELECT count(*) FROM _squeeze_birds WHERE _squeeze_body = 1"),
                         n + 100)
        # a retrained dictionary of the same name: new frames use it, old ones keep theirs
        self.one("SELECT squeeze_train_dict('birds.body', 'SELECT body FROM nodict', 'size=4K')")
        self.db.execute("UPDATE birds SET body = body || ' ' WHERE id <= 10")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.db.execute("SELECT body FROM birds WHERE id > 10 ORDER BY id LIMIT 5")
                         .fetchall(), [(b,) for _, b in plain[10:15]])
        self.assertEqual(self.one("SELECT body FROM birds WHERE id = 3"), plain[2][1] + " ")
        self.one("SELECT squeeze_disable('birds', 'body')")
        self.assertEqual(self.db.execute("SELECT body FROM birds WHERE id > 10 ORDER BY id").fetchall(),
                         [(b,) for _, b in plain[10:]] + [(b,) for b, in self.db.execute(
                             "SELECT body FROM nodict ORDER BY id LIMIT 100")])

    def test_a_deleted_or_altered_dictionary_is_an_error_never_wrong_rows(self):
        bird_rows(self.db)
        self.one("SELECT squeeze_enable('birds', 'body', 'dict=auto')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        plain = self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall()
        for change, msg in [("DELETE FROM squeeze_dict", "dictionary 1 not found"),
                            ("UPDATE squeeze_dict SET bytes = substr(bytes, 1, 100)",
                             "dictionary 1 does not match its hash")]:
            with self.subTest(change=change):
                self.db.execute("SAVEPOINT s")
                self.db.execute(change)
                self.assertSqlError("decompress: " + msg, "SELECT body FROM birds WHERE id = 7")
                self.assertSqlError("decompress: " + msg, "SELECT count(*) FROM birds"
                                    " WHERE body LIKE '%goose%'")
                self.db.execute("ROLLBACK TO s")
                self.db.execute("RELEASE s")
        self.assertEqual(self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall(), plain)

    def test_auto_with_too_few_rows(self):
        self.db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        self.db.executemany("INSERT INTO t(v) VALUES (?)",
                            [("some value %d " % i * 20,) for i in range(10)])
        self.one("SELECT squeeze_enable('t', 'v', 'dict=auto')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM sqlite_schema WHERE name = 'squeeze_dict'"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM _squeeze_t WHERE _squeeze_v = 1"), 10)

    def test_dict_by_one_dictionary_per_group(self):
        bird_rows(self.db)
        plain = self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall()
        held = self.one("SELECT count(*) FROM birds WHERE state = 'Michigan'")
        self.assertGreater(held, 0)
        self.one("SELECT squeeze_enable('birds', 'body', "
                 "'level=5, dict_by=CASE WHEN state = ''Michigan'' THEN NULL "
                 "WHEN state IN (''California'', ''Texas'') THEN state ELSE ''other, rest'' END')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual([r[0] for r in self.db.execute("SELECT name FROM squeeze_dict ORDER BY name")],
                         ["birds.body.California", "birds.body.Texas", "birds.body.other_ rest~" +
                          self.one("SELECT substr(name, -8) FROM squeeze_dict WHERE name LIKE '%rest%'")])
        # rows whose group is NULL wait, as they are
        self.assertEqual(self.one("SELECT count(*) FROM _squeeze_birds WHERE _squeeze_body IS NULL"), held)
        self.assertEqual(self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall(), plain)
        self.db.execute("UPDATE birds SET state = 'Ohio' WHERE state = 'Michigan'")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM _squeeze_birds WHERE _squeeze_body IS NULL"), 0)
        self.assertEqual(self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall(), plain)
        self.one("SELECT squeeze_disable('birds', 'body')")
        self.assertEqual(self.db.execute("SELECT id, body FROM birds ORDER BY id").fetchall(), plain)
        self.assertEqual(self.one("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%groups%'"), 0)

    def test_named_dictionary(self):
        bird_rows(self.db)
        self.one("SELECT squeeze_train_dict('mine', 'SELECT body FROM birds', 'size=8K')")
        self.one("SELECT squeeze_enable('birds', 'body', 'dict=mine,checksum=off')")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM squeeze_dict"), 1)
        self.assertLess(self.stored(), self.one("SELECT sum(length(body)) FROM birds") / 3)

    def test_refusals(self):
        bird_rows(self.db)
        before = schema(self.db, skip_config=False)
        self.assertSqlError("squeeze_enable: dict_by: no such column: nope",
                            "SELECT squeeze_enable('birds', 'body', 'dict_by=nope')")
        self.assertSqlError("squeeze_enable: compress: no dictionary named 'absent'",
                            "SELECT squeeze_enable('birds', 'body', 'dict=absent')")
        self.assertSqlError("cannot be combined with dict=none",
                            "SELECT squeeze_enable('birds', 'body', 'dict=none,dict_by=state')")
        self.assertSqlError("codec 'lz4hc' takes no dictionary",
                            "SELECT squeeze_enable('birds', 'body', 'codec=lz4hc,dict=auto')")
        self.assertSqlError("takes lz4 levels 1 and 2",
                            "SELECT squeeze_enable('birds', 'body', 'codec=lz4,level=9,dict=auto')")
        self.assertEqual(schema(self.db, skip_config=False), before)
        # a DIRECTONLY function cannot hide in dict_by: it runs from a view
        self.one("SELECT squeeze_enable('birds', 'body', 'dict_by=squeeze_version()')")
        self.db.execute("SELECT squeeze_disable('birds', 'body')")


class Errors(SqlTestCase):
    """Every refusal names the function, and a call that fails changes nothing."""

    def setUp(self):
        super().setUp()
        self.db.executescript("""
            CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b BLOB, n INTEGER, c TEXT CHECK (length(c) < 100),
                           g TEXT GENERATED ALWAYS AS (upper(a)), i TEXT, f TEXT REFERENCES t(id),
                           j TEXT);
            CREATE INDEX t_i ON t(i);
            CREATE TABLE nopk(a TEXT);
            CREATE TABLE wr(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
            CREATE TABLE st(id INTEGER PRIMARY KEY, v TEXT, w ANY) STRICT;
            CREATE TABLE trig(id INTEGER PRIMARY KEY, v TEXT, w TEXT);
            CREATE TRIGGER trig_any AFTER UPDATE ON trig BEGIN SELECT 1; END;
            CREATE TABLE uses(id INTEGER PRIMARY KEY, v TEXT, w TEXT);
            CREATE TRIGGER uses_v AFTER INSERT ON uses BEGIN SELECT length(new.v); END;
            CREATE VIEW v AS SELECT * FROM t;
            CREATE VIRTUAL TABLE vt USING squeeze(a TEXT);
            INSERT INTO t(a, b, c) VALUES ('x', x'00', 'y');
        """)

    def refused(self, fragment, sql):
        before = schema(self.db, skip_config=False)
        e = self.assertSqlError(fragment, sql)
        self.assertTrue(str(e).startswith(sql.split("(")[0].split()[-1] + ":"), str(e))
        self.assertEqual(schema(self.db, skip_config=False), before)

    def test_refusals(self):
        self.refused("squeeze_enable: no such table: nope", "SELECT squeeze_enable('nope', 'a')")
        self.refused("no such column: zz in t", "SELECT squeeze_enable('t', 'zz')")
        self.refused("v is a view", "SELECT squeeze_enable('v', 'a')")
        self.refused("vt is a virtual table", "SELECT squeeze_enable('vt', 'a')")
        self.refused("WITHOUT ROWID", "SELECT squeeze_enable('wr', 'v')")
        self.refused("nopk has no PRIMARY KEY", "SELECT squeeze_enable('nopk', 'a')")
        self.refused("in the PRIMARY KEY", "SELECT squeeze_enable('t', 'id')")
        self.refused("is in index t_i", "SELECT squeeze_enable('t', 'i')")
        self.refused("used by a constraint or a generated column", "SELECT squeeze_enable('t', 'c')")
        self.refused("is a generated column", "SELECT squeeze_enable('t', 'g')")
        self.refused("INTEGER affinity", "SELECT squeeze_enable('t', 'n')")
        self.refused("is a foreign key", "SELECT squeeze_enable('t', 'f')")
        self.refused("STRICT table st is TEXT", "SELECT squeeze_enable('st', 'v')")
        self.refused("fires on every UPDATE", "SELECT squeeze_enable('trig', 'v')")
        self.refused("trigger uses_v of uses uses column v", "SELECT squeeze_enable('uses', 'v')")
        self.refused("used by a constraint or a generated column", "SELECT squeeze_enable('t', 'a')")
        self.refused("unknown codec 'zsdt'", "SELECT squeeze_enable('t', 'j', 'codec=zsdt')")
        self.refused("level 23 out of range", "SELECT squeeze_enable('t', 'j', 'level=23')")
        self.refused("codec 'gorilla' compresses float64", "SELECT squeeze_enable('t', 'j', 'codec=gorilla')")
        self.refused("unknown option 'zip'", "SELECT squeeze_enable('t', 'j', 'zip=1')")
        self.refused("table must be a name", "SELECT squeeze_enable(NULL, 'j')")
        self.refused("column j of t is not enabled", "SELECT squeeze_disable('t', 'j')")

    def test_accepted_neighbours(self):
        """What the refusals leave allowed: ANY in a STRICT table, a trigger that
        watches other columns, a column beside an index."""
        self.one("SELECT squeeze_enable('st', 'w')")
        self.db.execute("DROP TRIGGER trig_any")
        self.db.execute("CREATE TRIGGER trig_w AFTER UPDATE OF w ON trig BEGIN SELECT 1; END")
        self.one("SELECT squeeze_enable('trig', 'v')")
        self.one("SELECT squeeze_enable('t', 'j')")
        self.refused("column j of t is enabled already", "SELECT squeeze_enable('t', 'j')")
        self.refused("is enabled already", "SELECT squeeze_enable('T', 'J')")
        self.one("SELECT squeeze_enable('t', 'b')")  # a second column

    def test_failure_inside_a_transaction_keeps_the_transaction(self):
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(a) VALUES ('kept')")
        self.assertSqlError("no such column", "SELECT squeeze_enable('t', 'zz')")
        self.assertFalse(self.db.in_transaction is False)
        self.db.execute("COMMIT")
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE a = 'kept'"), 1)

    def test_maintain_arguments(self):
        self.assertSqlError("squeeze_maintain: seconds must be a number",
                            "SELECT squeeze_maintain('soon')")
        self.assertSqlError("squeeze_maintain: seconds must be a number",
                            "SELECT squeeze_maintain(-1)")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)  # nothing enabled
        self.db.execute("BEGIN")
        self.assertSqlError("cannot run inside a transaction", "SELECT squeeze_maintain()")
        self.db.execute("ROLLBACK")

    def test_functions_cannot_be_called_from_the_schema(self):
        self.db.execute("CREATE VIEW sneaky AS SELECT squeeze_enable('t', 'a')")
        self.assertSqlError("unsafe use of squeeze_enable", "SELECT * FROM sneaky")


class TrustedSchemaOff(SqlTestCase):
    def test_reads_and_writes(self):
        self.db.executescript("""
            CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT DEFAULT (lower('X')), v TEXT COLLATE NOCASE);
            INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
              SELECT printf('%.300c', char(65 + i % 26)) FROM n;
        """)
        self.one("SELECT squeeze_enable('t', 'v')")
        self.one("SELECT squeeze_maintain()")
        self.db.execute("PRAGMA trusted_schema = OFF")
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE v = lower(printf('%.300c', 'C'))"), 2)
        self.db.execute("INSERT INTO t(v) VALUES ('new')")
        self.db.execute("UPDATE t SET v = 'changed' WHERE id = 1")
        self.db.execute("DELETE FROM t WHERE id = 2")
        self.assertEqual(self.one("SELECT group_concat(k || v) FROM t WHERE id IN (1, 51)"),
                         "xchanged,xnew")
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.one("SELECT squeeze_disable('t', 'v')")


class Attached(SqlTestCase):
    def test_schema_dot_table(self):
        self.db.execute("ATTACH ':memory:' AS aux")
        self.db.executescript("""
            CREATE TABLE aux.t(id INTEGER PRIMARY KEY, v TEXT);
            INSERT INTO aux.t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
              SELECT printf('%.200c', 'a') FROM n;
        """)
        self.assertEqual(self.one("SELECT squeeze_enable('aux.t', 'v')"), 10)
        self.assertEqual(self.one("SELECT squeeze_maintain()"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM aux._squeeze_t WHERE _squeeze_v = 1"), 10)
        self.assertEqual(self.one("SELECT max(v) FROM aux.t"), "a" * 200)
        self.one("SELECT squeeze_disable('aux.t', 'v')")
        self.assertEqual(self.one("SELECT typeof(v) FROM aux.t LIMIT 1"), "text")


class Utf16(unittest.TestCase):
    def test_utf16_database(self):
        db = connect()
        db.execute("PRAGMA encoding = 'UTF-16le'")
        db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        vals = ["\u00e9t\u00e9 " * 80, "\U0001f600" * 40, "abc", ""]
        db.executemany("INSERT INTO t(v) VALUES (?)", [(v,) for v in vals])
        db.execute("SELECT squeeze_enable('t', 'v')")
        self.assertEqual(db.execute("SELECT squeeze_maintain()").fetchone()[0], 0)
        self.assertEqual([r[0] for r in db.execute("SELECT v FROM t ORDER BY id")], vals)
        self.assertEqual(db.execute("SELECT count(*) FROM _squeeze_t WHERE _squeeze_v = 1")
                         .fetchone()[0], 2)
        db.close()


def random_value(rng):
    r = rng.random()
    if r < 0.1:
        return None
    if r < 0.2:
        return rng.choice([rng.randint(-9, 9), rng.random(), b"", "", "12", " 4 "])
    if r < 0.4:
        return bytes(rng.randint(0, 3) for _ in range(rng.randint(0, 300)))
    if r < 0.5:
        return rng.choice(["x", "y", "é"]) * rng.randint(1, 400)
    return " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "{\"k\": 1}", "é"])
                    for _ in range(rng.randint(0, 80)))


class Mirror(unittest.TestCase):
    """The same random statements to an enabled table and to an untouched plain
    one give the same answers; squeeze_maintain runs now and then in between."""

    def run_mirror(self, seed, steps):
        rng = random.Random(seed)
        db = connect()
        decl = "(id INTEGER PRIMARY KEY, k INTEGER, s TEXT COLLATE NOCASE, v, w TEXT DEFAULT 'd')"
        db.execute("CREATE TABLE plain" + decl)
        db.execute("CREATE TABLE sq" + decl)
        db.execute("CREATE INDEX sq_k ON sq(k)")
        db.execute("CREATE INDEX plain_k ON plain(k)")
        for i in range(60):
            row = (rng.randint(0, 9), rng.choice(["a", "B", "c"]), random_value(rng),
                   random_value(rng) or "w")
            for t in ("plain", "sq"):
                db.execute(f"INSERT INTO {t}(k, s, v, w) VALUES (?, ?, ?, ?)", row)
        db.execute("SELECT squeeze_enable('sq', 'v')")
        db.execute("SELECT squeeze_enable('sq', 's', 'codec=lz4')")
        db.execute("SELECT squeeze_enable('sq', 'w', 'level=1,checksum=off')")
        queries = [
            "SELECT id, k, s, v, w, typeof(v), typeof(w) FROM {t} ORDER BY id",
            "SELECT s, count(*), max(v), min(w) FROM {t} GROUP BY s ORDER BY s",
            "SELECT id FROM {t} WHERE s = 'b' ORDER BY id",
            "SELECT id FROM {t} WHERE v > 'beta' AND k < 5 ORDER BY id",
            "SELECT id FROM {t} WHERE v IS NULL OR w = '' ORDER BY id",
            "SELECT DISTINCT typeof(v) FROM {t} ORDER BY 1",
            "SELECT id, length(v), hex(substr(v, 1, 4)) FROM {t} WHERE k = 3 ORDER BY v, id",
        ]
        for step in range(steps):
            r = rng.random()
            args = ()
            if r < 0.25:
                sql = "INSERT INTO {t}(k, s, v, w) VALUES (?, ?, ?, ?)"
                # w has a DEFAULT: no explicit NULL (the view gives the default, see docs)
                args = (rng.randint(0, 9), rng.choice(["a", "b", "C", None]), random_value(rng),
                        random_value(rng) or "w")
            elif r < 0.3:
                sql = "INSERT OR REPLACE INTO {t}(id, k, v) VALUES (?, ?, ?)"
                args = (rng.randint(1, 80), rng.randint(0, 9), random_value(rng))
            elif r < 0.45:
                sql = "UPDATE {t} SET v = ? WHERE k = ?"
                args = (random_value(rng), rng.randint(0, 9))
            elif r < 0.55:
                sql = "UPDATE {t} SET k = k + 1, w = ? WHERE id % 7 = ?"
                args = (random_value(rng), rng.randint(0, 6))
            elif r < 0.6:
                sql = "UPDATE {t} SET s = upper(s), v = v WHERE id > ?"
                args = (rng.randint(0, 80),)
            elif r < 0.7:
                sql = "DELETE FROM {t} WHERE id = ? OR v = ?"
                args = (rng.randint(1, 100), random_value(rng))
            elif r < 0.75:
                sql = "UPDATE {t} SET id = id + 1000 WHERE id = ?"
                args = (rng.randint(1, 100),)
            else:
                sql = None
            if sql:
                errs = []
                for t in ("plain", "sq"):
                    try:
                        db.execute(sql.format(t=t), args)
                        errs.append(None)
                    except sqlite3.Error as e:
                        errs.append(str(e).replace("sq.", "").replace("_squeeze_", "")
                                    .replace("plain.", ""))
                self.assertEqual(errs[0], errs[1], sql)
            if rng.random() < 0.1:
                db.execute("SELECT squeeze_maintain(0)")
            if step % 10 == 0 or step == steps - 1:
                for q in queries:
                    self.assertEqual(db.execute(q.format(t="plain")).fetchall(),
                                     db.execute(q.format(t="sq")).fetchall(), (seed, step, q))
        self.assertEqual(db.execute("SELECT squeeze_maintain()").fetchone()[0], 0)
        for q in queries:
            self.assertEqual(db.execute(q.format(t="plain")).fetchall(),
                             db.execute(q.format(t="sq")).fetchall(), q)
        self.assertGreater(db.execute("SELECT count(*) FROM _squeeze_sq WHERE _squeeze_v = 1")
                           .fetchone()[0], 5)
        for c in ("v", "s", "w"):
            db.execute(f"SELECT squeeze_disable('sq', '{c}')")
        self.assertEqual(db.execute("SELECT * FROM plain ORDER BY id").fetchall(),
                         db.execute("SELECT * FROM sq ORDER BY id").fetchall())
        db.close()

    def test_mirror(self):
        for seed in (1, 2, 3):
            self.run_mirror(seed, 250)


class Maintain(unittest.TestCase):
    """Short transactions, interruption and resumption, a writer on another
    connection, a lock held by another connection."""

    ROWS = 4000

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.db")
        db = connect(self.path)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        db.execute("BEGIN")
        rng = random.Random(7)
        words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit",
                 "sed", "do", "eiusmod", "tempor", str(rng.random())]
        db.executemany("INSERT INTO t(v) VALUES (?)",
                       [(f"row {i} " + " ".join(rng.choice(words) + str(rng.randint(0, 99))
                                                for _ in range(60 + i % 40)),)
                        for i in range(self.ROWS)])
        db.execute("COMMIT")
        db.execute("SELECT squeeze_enable('t', 'v', 'level=19')")
        self.expected = db.execute("SELECT id, v FROM t ORDER BY id").fetchall()
        db.close()

    def tearDown(self):
        self.dir.cleanup()

    def compressed(self, db):
        return db.execute("SELECT count(*) FROM _squeeze_t WHERE _squeeze_v = 1").fetchone()[0]

    def test_steps_and_deadlines(self):
        db = connect(self.path)
        left = db.execute("SELECT squeeze_maintain(0)").fetchone()[0]
        self.assertGreater(left, 0)
        self.assertLess(left, self.ROWS)
        self.assertEqual(self.compressed(db), self.ROWS - left)
        self.assertEqual(db.execute("SELECT id, v FROM t ORDER BY id").fetchall(), self.expected)
        self.assertEqual(db.execute("SELECT squeeze_maintain()").fetchone()[0], 0)
        self.assertEqual(self.compressed(db), self.ROWS)
        self.assertEqual(db.execute("SELECT id, v FROM t ORDER BY id").fetchall(), self.expected)
        db.close()

    def test_interrupt_and_resume(self):
        db = connect(self.path)
        timer = threading.Timer(0.05, db.interrupt)
        timer.start()
        with self.assertRaises(sqlite3.OperationalError) as cm:
            db.execute("SELECT squeeze_maintain()").fetchall()
        timer.join()
        self.assertIn("squeeze_maintain: interrupted", str(cm.exception))
        done = self.compressed(db)
        self.assertGreater(done, 0)
        self.assertLess(done, self.ROWS)
        self.assertTrue(db.autocommit if hasattr(db, "autocommit") else not db.in_transaction)
        self.assertEqual(db.execute("SELECT id, v FROM t ORDER BY id").fetchall(), self.expected)
        self.assertEqual(db.execute("SELECT squeeze_maintain()").fetchone()[0], 0)
        self.assertEqual(self.compressed(db), self.ROWS)
        self.assertEqual(db.execute("SELECT id, v FROM t ORDER BY id").fetchall(), self.expected)
        db.close()

    def test_writer_on_another_connection(self):
        """A writer with a busy timeout is never kept waiting long while
        maintain runs, and readers see correct rows all along."""
        waits, errors = [], []
        stop = threading.Event()

        def writer():
            w = connect(self.path)
            w.execute("PRAGMA busy_timeout = 5000")
            i = 0
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    w.execute("INSERT INTO t(v) VALUES (?)", (f"written {i} " * 30,))
                    w.execute("UPDATE t SET v = v || '!' WHERE id = ?", (1 + i % 50,))
                except sqlite3.Error as e:
                    errors.append(str(e))
                waits.append(time.monotonic() - t0)
                i += 1
                time.sleep(0.002)
            w.close()

        def reader():
            r = connect(self.path)
            while not stop.is_set():
                for v, in r.execute("SELECT v FROM t WHERE id IN (7, 777, 3333)"):
                    if not v.startswith("row "):
                        errors.append("bad read " + v[:20])
            r.close()

        threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
        for t in threads:
            t.start()
        db = connect(self.path)
        db.execute("PRAGMA busy_timeout = 5000")
        left = db.execute("SELECT squeeze_maintain()").fetchone()[0]
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(waits), 10)
        self.assertLess(max(waits), 1.0, sorted(waits)[-5:])
        self.assertEqual(db.execute("SELECT squeeze_maintain()").fetchone()[0], 0)
        self.assertGreaterEqual(left, 0)
        n = db.execute("SELECT count(*) FROM t").fetchone()[0]
        self.assertEqual(n, self.ROWS + len(waits))
        self.assertEqual(db.execute("SELECT count(*) FROM _squeeze_t WHERE _squeeze_v IS NULL")
                         .fetchone()[0], 0)
        db.close()

    def test_lock_held_by_another_connection(self):
        other = connect(self.path)
        other.execute("BEGIN IMMEDIATE")
        db = connect(self.path)
        t0 = time.monotonic()
        left = db.execute("SELECT squeeze_maintain(0.3)").fetchone()[0]
        self.assertEqual(left, self.ROWS)  # nothing done, no error
        self.assertLess(time.monotonic() - t0, 2.0)
        other.execute("ROLLBACK")
        self.assertLess(db.execute("SELECT squeeze_maintain(0.3)").fetchone()[0], self.ROWS)
        other.close()
        db.close()


@unittest.skipUnless(shutil.which("sqlite3"), "needs the sqlite3 shell")
class Shell(unittest.TestCase):
    """The sqlite3 shell: enable, maintain with its progress on a terminal,
    .dump of an enabled table and its restore (with and without squeeze)."""

    def shell(self, db, sql, **kw):
        return subprocess.run(["sqlite3", "-bail", "-cmd", ".load " + EXT, db], input=sql,
                              capture_output=True, text=True, check=True, **kw)

    def test_dump_and_restore(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst, bare = (os.path.join(d, n) for n in ("a.db", "b.db", "c.db"))
            self.shell(src, """
                CREATE TABLE t(id INTEGER PRIMARY KEY, tag TEXT, v TEXT, w TEXT);
                CREATE INDEX t_tag ON t(tag);
                INSERT INTO t(tag, v, w) SELECT value % 3, printf('%.400c', 'q') || value,
                  json_object('n', value, 'tag', value % 3, 'text', 'the same words each time')
                  FROM generate_series(1, 1000);
                SELECT squeeze_enable('t', 'v');
                SELECT squeeze_enable('t', 'w', 'dict=auto');
                SELECT squeeze_maintain();
                INSERT INTO t(tag, v) VALUES ('pending', 'not compressed yet');
            """)
            dump = subprocess.run(["sqlite3", src, ".dump"], capture_output=True, text=True,
                                  check=True).stdout
            self.assertIn('CREATE VIEW "t"', dump)
            subprocess.run(["sqlite3", dst], input=dump, text=True, check=True)
            # without squeeze: the database opens and restores; the view needs it
            subprocess.run(["sqlite3", bare], input=dump, text=True, check=True)
            r = subprocess.run(["sqlite3", bare, "SELECT count(*) FROM _squeeze_t"],
                               capture_output=True, text=True)
            self.assertEqual(r.stdout.strip(), "1001")
            q = ("SELECT count(*), sum(length(v)), max(v), group_concat(w) FROM t;"
                 "SELECT v FROM t WHERE tag = 'pending'; SELECT name FROM squeeze_dict;")
            self.assertIn("t.w", self.shell(src, q).stdout)
            self.assertEqual(self.shell(src, q).stdout, self.shell(dst, q).stdout)
            out = self.shell(dst, "SELECT squeeze_maintain(); SELECT squeeze_disable('t', 'v');"
                                  "SELECT squeeze_disable('t', 'w');"
                                  "SELECT count(*), typeof(v) FROM t;").stdout
            self.assertEqual(out.split(), ["0", "1001|text"])

    def test_the_session_of_the_reference_page(self):
        """docs/transparent.md's shell session: its input lines, run in the shell from the
        repository root, print its output lines; its progress line (stderr, on a terminal
        only) has the shape squeeze_maintain writes."""
        with open(os.path.join(ROOT, "docs", "transparent.md"), encoding="utf-8") as f:
            block = f.read().split("```console\n", 1)[1].split("```", 1)[0].splitlines()
        prompt = "sqlite> "
        inputs = [line[len(prompt):] for line in block if line.startswith(prompt)]
        progress = [line for line in block if line.startswith("squeeze_maintain: ")]
        expected = [line for line in block
                    if not line.startswith((prompt, "$ ", "squeeze_maintain: "))]
        self.assertEqual(inputs[0], ".load ./build/squeeze")
        self.assertEqual(len(progress), 1)
        self.assertRegex(progress[0], r"^squeeze_maintain: strikes\.body: 10000 of 10000 rows "
                                      r"\(100%\), \d+\.\d MB to \d+\.\d MB, \d+\.\d s$")
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run(["sqlite3", "-bail", os.path.join(d, "birds.db")],
                               input="\n".join([".load " + EXT] + inputs[1:]) + "\n",
                               capture_output=True, text=True, cwd=ROOT, check=True)
        self.assertEqual(r.stdout.splitlines(), expected)
        self.assertEqual(r.stderr, "")

    def test_progress_on_a_terminal(self):
        import pty
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.db")
            setup = """
                CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
                INSERT INTO t(v) SELECT printf('%.300c', 'z') || value FROM generate_series(1, 3000);
                SELECT squeeze_enable('t', 'v', 'level=19');
            """
            self.shell(path, setup)
            # not a terminal: nothing on stderr
            r = self.shell(path, "SELECT squeeze_maintain();")
            self.assertEqual(r.stdout.strip(), "0")
            self.assertEqual(r.stderr, "")
            self.shell(path, "INSERT INTO t(v) SELECT printf('%.300c', 'y') || value "
                             "FROM generate_series(1, 3000);")
            master, slave = pty.openpty()
            p = subprocess.run(["sqlite3", "-cmd", ".load " + EXT, path, "SELECT squeeze_maintain();"],
                               stdout=subprocess.PIPE, stderr=slave, text=True, check=True)
            os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            os.close(master)
            self.assertEqual(p.stdout.strip(), "0")
            self.assertIn(b"squeeze_maintain: t.v:", out)
            self.assertIn(b"(100%)", out)


if __name__ == "__main__":
    unittest.main()

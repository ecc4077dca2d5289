"""What a virtual table cannot do, and the ways around it (docs/squeeze_table.md, "What a
virtual table cannot do"): every claim of that section, in Debian's SQLite. The statements
SQLite refuses on a squeeze table, with its messages; ALTER TABLE RENAME through xRename;
zone maps and an indexed side table instead of CREATE INDEX; triggers that write to a squeeze
table and INSTEAD OF triggers on a view over one; rebuilding a table instead of ALTER TABLE
... COLUMN; OR REPLACE, OR IGNORE and UPDATE-then-INSERT instead of UPSERT; what INSERT ...
RETURNING returns; and, through the sqlite3 shell, a database opened without squeeze.
tests/node/test_limits.js checks the same statements in better-sqlite3's newer SQLite.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from sqz import EXT, SqlTestCase, connect

SERIES = """WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 399)
            SELECT 1700000000 + i, 'dev' || (i / 100), i / 4.0 FROM s"""


class Refused(SqlTestCase):
    """The statements SQLite keeps for ordinary tables fail when prepared and change nothing."""

    CASES = [
        ("CREATE INDEX ti ON t(device)", "virtual tables may not be indexed"),
        ("CREATE UNIQUE INDEX ti ON t(ts)", "virtual tables may not be indexed"),
        ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
         "cannot create triggers on virtual tables"),
        ("CREATE TRIGGER tr BEFORE UPDATE ON t BEGIN SELECT 1; END",
         "cannot create triggers on virtual tables"),
        ("CREATE TRIGGER tr BEFORE DELETE ON t BEGIN SELECT 1; END",
         "cannot create triggers on virtual tables"),
        ("CREATE TRIGGER tr INSTEAD OF INSERT ON t BEGIN SELECT 1; END",
         "cannot create triggers on virtual tables"),
        ("CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
         "cannot create triggers on virtual tables"),
        ("ALTER TABLE t ADD COLUMN extra REAL", "virtual tables may not be altered"),
        ("ALTER TABLE t DROP COLUMN value", 'cannot drop column from virtual table "t"'),
        ("ALTER TABLE t RENAME COLUMN value TO v", 'cannot rename columns of virtual table "t"'),
        ("INSERT INTO t(rowid, ts) VALUES (1, 5) ON CONFLICT DO NOTHING",
         'UPSERT not implemented for virtual table "t"'),
        ("INSERT INTO t(rowid, ts) VALUES (1, 5) ON CONFLICT DO UPDATE SET ts = 6",
         'UPSERT not implemented for virtual table "t"'),
        ("INSERT INTO t(rowid, ts) VALUES (1, 5) ON CONFLICT(rowid) DO UPDATE SET ts = excluded.ts",
         'UPSERT not implemented for virtual table "t"'),
        ("UPDATE t SET value = 0 WHERE rowid = 1 RETURNING rowid, value",
         "UPDATE RETURNING is not available on virtual tables"),
        ("DELETE FROM t WHERE rowid = 2 RETURNING *",
         "DELETE RETURNING is not available on virtual tables"),
    ]

    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, device TEXT,"
                        " value REAL, chunk_rows = 100)")
        self.db.execute("INSERT INTO t " + SERIES)

    def state(self):
        return (self.db.execute("SELECT rowid, * FROM t").fetchall(),
                self.db.execute("SELECT type, name, sql FROM sqlite_schema").fetchall(),
                self.db.execute("SELECT name FROM sqlite_temp_schema").fetchall())

    def test_each_fails_when_prepared_and_changes_nothing(self):
        before = self.state()
        for sql, message in self.CASES:
            with self.subTest(sql=sql):
                # EXPLAIN only prepares: the error comes from the prepare
                self.assertSqlError(message, "EXPLAIN " + sql)
                self.assertSqlError(message, sql)
                self.assertEqual(self.state(), before)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_rename_renames_the_shadow_tables(self):
        rows = self.db.execute("SELECT rowid, * FROM t").fetchall()
        self.db.execute("ALTER TABLE t RENAME TO u")
        names = [r[0] for r in self.db.execute("SELECT name FROM sqlite_schema ORDER BY 1")]
        self.assertEqual(names, ["u", "u_chunk", "u_config", "u_data", "u_tail"])
        self.assertEqual(self.db.execute("SELECT rowid, * FROM u").fetchall(), rows)
        self.assertEqual(self.one("SELECT squeeze_check('u')"), "ok")

    def test_rename_is_in_the_transaction(self):
        rows = self.db.execute("SELECT rowid, * FROM t").fetchall()
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t(ts) VALUES (1)")  # in the insert buffer: flushed first
        self.db.execute("ALTER TABLE t RENAME TO u")
        self.assertEqual(self.one("SELECT count(*) FROM u"), 401)
        self.db.execute("ROLLBACK")
        self.assertEqual(self.db.execute("SELECT rowid, * FROM t").fetchall(), rows)
        self.assertEqual(self.one("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'u%'"), 0)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")

    def test_rename_onto_a_taken_shadow_name_fails_and_changes_nothing(self):
        self.db.execute("CREATE TABLE u_data(x)")
        before = self.state()
        self.assertSqlError("squeeze: there is already another table or index with this name:"
                            " u_data", "ALTER TABLE t RENAME TO u")
        self.assertEqual(self.state(), before)
        self.assertEqual(self.one("SELECT squeeze_check('t')"), "ok")


class InsteadOfAnIndex(SqlTestCase):
    def create(self, order):
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, device TEXT,"
                        " value REAL, chunk_rows = 100)")
        self.db.execute("INSERT INTO t SELECT * FROM (%s) ORDER BY %s" % (SERIES, order))
        gens = [r[0] for r in self.db.execute("SELECT gen FROM t_chunk ORDER BY maxrow")]
        return gens

    def damage_all_but(self, gens, keep, slot):
        for k, gen in enumerate(gens):
            if k != keep:
                self.db.execute("UPDATE t_data SET body = x'00' WHERE key = ?", ((gen << 16) | slot,))

    def test_zone_maps_skip_the_chunks_of_other_values_when_the_rows_are_sorted(self):
        gens = self.create("2")  # by device: chunk k holds 'dev<k>' only
        self.damage_all_but(gens, 2, 2)  # every chunk's device column but chunk 2's
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE device = 'dev2'"), 100)
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE device BETWEEN 'dev2' AND 'dev2z'"),
                         100)
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE ts IN (1700000200, 1700000299)"),
                         2)
        self.assertEqual(self.one("SELECT count(*) FROM t WHERE device > 'dev1'"
                                  " AND device < 'dev3'"), 100)
        with self.assertRaises(sqlite3.DatabaseError):
            self.one("SELECT count(*) FROM t WHERE device = 'dev1'")
        # an IN list is no literal: a TEXT column's zone maps are not used for it
        with self.assertRaises(sqlite3.DatabaseError):
            self.one("SELECT count(*) FROM t WHERE device IN ('dev2', 'x')")

    def test_and_cannot_when_they_are_not(self):
        gens = self.create("random()")  # every chunk holds every device
        self.damage_all_but(gens, 2, 2)
        with self.assertRaises(sqlite3.DatabaseError):
            self.one("SELECT count(*) FROM t WHERE device = 'dev2'")

    def test_an_indexed_side_table_reads_only_the_chunks_of_its_rowids(self):
        gens = self.create("random()")
        self.db.execute("CREATE TABLE device_index(device TEXT, id INTEGER,"
                        " PRIMARY KEY (device, id)) WITHOUT ROWID")
        self.db.execute("INSERT INTO device_index SELECT device, rowid FROM t")
        want = self.db.execute("SELECT rowid, ts, value FROM t WHERE device = 'dev3'"
                               " AND rowid BETWEEN 201 AND 300 ORDER BY rowid").fetchall()
        self.db.execute("DELETE FROM device_index WHERE id NOT BETWEEN 201 AND 300")
        sql = ("SELECT rowid, ts, value FROM t WHERE rowid IN"
               " (SELECT id FROM device_index WHERE device = 'dev3') ORDER BY rowid")
        plan = " / ".join(r[3] for r in self.db.execute("EXPLAIN QUERY PLAN " + sql))
        self.assertIn("SEARCH device_index USING PRIMARY KEY (device=?)", plan)
        self.assertIn("VIRTUAL TABLE INDEX 3:", plan)  # rowid constraint, ORDER BY rowid consumed
        plan = self.db.execute("EXPLAIN QUERY PLAN " + sql.replace(" ORDER BY rowid", "")).fetchall()
        self.assertIn("VIRTUAL TABLE INDEX 2:", " / ".join(r[3] for r in plan))
        for slot in range(4):  # everything but chunk 2 (rows 201..300) damaged
            self.damage_all_but(gens, 2, slot)
        self.assertTrue(want)
        self.assertEqual(self.db.execute(sql).fetchall(), want)


class InsteadOfTriggers(SqlTestCase):
    VIEW = """
        CREATE VIRTUAL TABLE events USING squeeze(
          ts INTEGER CODEC dod, device TEXT CODEC dict, value REAL, chunk_rows = 4);
        CREATE TABLE device_index(device TEXT, id INTEGER, PRIMARY KEY (device, id)) WITHOUT ROWID;
        CREATE VIEW events_in AS SELECT rowid AS id, ts, device, value FROM events;
        CREATE TRIGGER events_in_insert INSTEAD OF INSERT ON events_in BEGIN
          INSERT INTO events(ts, device, value) VALUES (new.ts, new.device, new.value);
          INSERT INTO device_index VALUES (new.device, last_insert_rowid());
        END;
        CREATE TRIGGER events_in_delete INSTEAD OF DELETE ON events_in BEGIN
          DELETE FROM events WHERE rowid = old.id;
          DELETE FROM device_index WHERE device = old.device AND id = old.id;
        END;"""

    def test_a_view_with_instead_of_triggers_under_trusted_schema_off(self):
        self.db.executescript(self.VIEW)
        self.db.close()
        with tempfile.TemporaryDirectory() as d:  # the schema read back from a file, untrusted
            path = os.path.join(d, "v.db")
            db = connect(path)
            db.executescript(self.VIEW)
            db.close()
            self.db = connect(path)
            self.db.execute("PRAGMA trusted_schema = OFF")
            self.db.execute("INSERT INTO events(ts, device, value) VALUES (1, 'skip', 0)")
            self.db.execute("""INSERT INTO events_in(ts, device, value) VALUES
                (1700000000, 'a', 1.5), (1700000060, 'b', 2.5), (1700000120, 'a', 3.5),
                (1700000180, 'c', 4.5), (1700000240, 'b', 5.5), (1700000300, 'a', 6.5)""")
            # last_insert_rowid() in the trigger is the squeeze table's new rowid
            self.assertEqual(self.db.execute("SELECT * FROM device_index").fetchall(),
                             [("a", 2), ("a", 4), ("a", 7), ("b", 3), ("b", 6), ("c", 5)])
            self.db.execute("DELETE FROM events_in WHERE id = 3")
            self.assertEqual(self.db.execute(
                "SELECT rowid, ts, value FROM events WHERE rowid IN"
                " (SELECT id FROM device_index WHERE device = 'b')").fetchall(),
                [(6, 1700000240, 5.5)])
            # the write straight to the table skipped the triggers
            self.assertEqual(self.one("SELECT count(*) FROM device_index WHERE id = 1"), 0)
            self.assertEqual(self.one("SELECT count(*) FROM events"), 6)
            self.db.close()
            self.db = connect()

    def test_a_trigger_on_another_table_writes_to_a_squeeze_table(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.db")
            db = connect(path)
            db.executescript("""
                CREATE VIRTUAL TABLE log USING squeeze(ts INTEGER, what TEXT);
                CREATE TABLE plain(x);
                CREATE TRIGGER plain_log AFTER INSERT ON plain BEGIN
                  INSERT INTO log VALUES (new.x, 'inserted');
                END;""")
            db.close()
            db = connect(path)
            db.execute("PRAGMA trusted_schema = OFF")
            db.execute("INSERT INTO plain VALUES (42), (43)")
            self.assertEqual(db.execute("SELECT rowid, * FROM log").fetchall(),
                             [(1, 42, "inserted"), (2, 43, "inserted")])
            db.close()


class InsteadOfAlterTable(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.executescript(InsteadOfTriggers.VIEW)
        self.db.execute("""INSERT INTO events_in(ts, device, value) VALUES
            (1700000000, 'a', 1.5), (1700000060, 'b', 2.5), (1700000120, 'a', 3.5),
            (1700000180, 'c', 4.5), (1700000240, 'b', 5.5), (1700000300, 'a', 6.5)""")
        self.db.execute("DELETE FROM events_in WHERE id = 2")
        self.rows = self.db.execute("SELECT rowid, * FROM events").fetchall()

    def rebuild(self):
        self.db.execute("""CREATE VIRTUAL TABLE events_new USING squeeze(ts INTEGER CODEC dod,
                           device TEXT CODEC dict, value REAL, unit TEXT, chunk_rows = 4)""")
        self.db.execute("""INSERT INTO events_new(rowid, ts, device, value, unit)
                           SELECT rowid, ts, device, value, 'V' FROM events""")
        self.db.execute("DROP TABLE events")

    def test_rename_checks_the_views_naming_the_old_table(self):
        self.db.execute("BEGIN")
        self.rebuild()
        self.assertSqlError("error in view events_in: no such table: main.events",
                            "ALTER TABLE events_new RENAME TO events")
        self.db.execute("ROLLBACK")
        self.assertEqual(self.db.execute("SELECT rowid, * FROM events").fetchall(), self.rows)

    def test_legacy_alter_table_around_the_rename(self):
        self.db.execute("BEGIN")
        self.db.execute("PRAGMA legacy_alter_table = ON")
        self.rebuild()
        self.db.execute("ALTER TABLE events_new RENAME TO events")
        self.db.execute("PRAGMA legacy_alter_table = OFF")
        self.db.execute("COMMIT")
        self.assertEqual(self.db.execute("SELECT rowid, ts, device, value FROM events").fetchall(),
                         self.rows)
        self.assertEqual(self.db.execute("SELECT DISTINCT unit FROM events").fetchall(), [("V",)])
        names = [r[0] for r in self.db.execute("SELECT name FROM sqlite_schema WHERE name LIKE"
                                               " 'events%' ORDER BY 1")]
        self.assertEqual(names, ["events", "events_chunk", "events_config", "events_data",
                                 "events_in", "events_in_delete", "events_in_insert",
                                 "events_tail"])
        # the view and its triggers work on the new table
        self.db.execute("INSERT INTO events_in(ts, device, value) VALUES (1, 'b', 7.5)")
        self.assertEqual(self.db.execute("SELECT id FROM device_index WHERE device = 'b'").fetchall(),
                         [(5,), (7,)])
        self.assertEqual(self.one("SELECT squeeze_check('events')"), "ok")

    def test_dropping_and_recreating_the_views_instead(self):
        sql = self.db.execute("SELECT sql FROM sqlite_schema WHERE type IN ('view', 'trigger')"
                              " ORDER BY type = 'trigger'").fetchall()
        self.db.execute("BEGIN")
        self.db.execute("DROP VIEW events_in")  # its triggers go with it
        self.rebuild()
        self.db.execute("ALTER TABLE events_new RENAME TO events")
        for (s,) in sql:
            self.db.execute(s)
        self.db.execute("COMMIT")
        self.assertEqual(self.db.execute("SELECT rowid, ts, device, value FROM events").fetchall(),
                         self.rows)

    def test_like_copies_columns_and_types_not_codecs(self):
        self.db.execute("CREATE VIRTUAL TABLE copy USING squeeze(like = 'events')")
        self.assertEqual(self.db.execute("SELECT name, type FROM pragma_table_info('copy')").fetchall(),
                         [("ts", "INTEGER"), ("device", "TEXT"), ("value", "REAL")])
        self.db.execute("INSERT INTO copy SELECT * FROM events")
        codecs = self.db.execute("SELECT name, codec FROM squeeze_stats('copy')").fetchall()
        self.assertEqual(codecs, [("rowid", "auto"), ("ts", "auto"), ("device", "auto"),
                                  ("value", "auto")])
        self.assertEqual(self.db.execute("SELECT name, codec FROM squeeze_stats('events')"
                                         " WHERE name = 'ts'").fetchall(), [("ts", "dod")])


class InsteadOfUpsert(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE latest USING squeeze(device TEXT, value REAL)")
        self.db.execute("INSERT INTO latest VALUES ('a', 1.0), ('b', 2.0)")

    def upsert(self, device, value):
        self.db.execute("BEGIN")
        self.db.execute("UPDATE latest SET value = ?2 WHERE device = ?1", (device, value))
        self.db.execute("INSERT INTO latest(device, value) SELECT ?1, ?2"
                        " WHERE NOT EXISTS (SELECT 1 FROM latest WHERE device = ?1)",
                        (device, value))
        self.db.execute("COMMIT")

    def test_update_then_insert_where_not_exists(self):
        self.upsert("a", 5.0)
        self.upsert("c", 6.0)
        self.upsert("c", 7.0)
        self.assertEqual(self.db.execute("SELECT rowid, * FROM latest").fetchall(),
                         [(1, "a", 5.0), (2, "b", 2.0), (3, "c", 7.0)])

    def test_or_replace_replaces_the_whole_row(self):
        self.db.execute("INSERT OR REPLACE INTO latest(rowid, device) VALUES (1, 'x'), (5, 'e')")
        self.assertEqual(self.db.execute("SELECT rowid, * FROM latest").fetchall(),
                         [(1, "x", None), (2, "b", 2.0), (5, "e", None)])

    def test_or_ignore_keeps_the_row_there(self):
        self.db.execute("INSERT OR IGNORE INTO latest(rowid, device, value)"
                        " VALUES (2, 'z', 0.0), (3, 'c', 4.0)")
        self.assertEqual(self.db.execute("SELECT rowid, * FROM latest").fetchall(),
                         [(1, "a", 1.0), (2, "b", 2.0), (3, "c", 4.0)])

    def test_no_other_uniqueness(self):
        self.db.execute("INSERT OR REPLACE INTO latest(device, value) VALUES ('a', 9.0)")
        self.assertEqual(self.one("SELECT count(*) FROM latest WHERE device = 'a'"), 2)


class Returning(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE VIRTUAL TABLE t USING squeeze(i INTEGER, r REAL, s TEXT,"
                        " chunk_rows = 2)")
        self.db.execute("INSERT INTO t VALUES (1, 1.5, 'a'), (2, 2.5, 'b'), (3, 3.5, 'c')")

    def test_rowid_is_minus_one_unless_given(self):
        self.assertEqual(self.db.execute("INSERT INTO t(i) VALUES (4) RETURNING rowid, i").fetchall(),
                         [(-1, 4)])
        self.assertEqual(self.one("SELECT last_insert_rowid()"), 4)
        self.assertEqual(self.db.execute("INSERT INTO t(i) SELECT 5 UNION ALL SELECT 6"
                                         " RETURNING rowid").fetchall(), [(-1,), (-1,)])
        self.assertEqual(self.db.execute("INSERT INTO t(rowid, i) VALUES (10, 7), ('11', 8)"
                                         " RETURNING rowid, i").fetchall(), [(10, 7), (11, 8)])
        self.assertEqual(self.db.execute("SELECT rowid, i FROM t WHERE rowid > 3").fetchall(),
                         [(4, 4), (5, 5), (6, 6), (10, 7), (11, 8)])

    def test_values_after_affinity_as_stored(self):
        got = self.db.execute("INSERT INTO t(rowid, i, r, s) VALUES (20, '7', '5.5', 12)"
                              " RETURNING typeof(i), i, typeof(r), r, typeof(s), s").fetchall()
        self.assertEqual(got, [("integer", 7, "real", 5.5, "text", "12")])
        stored = self.db.execute("SELECT typeof(i), i, typeof(r), r, typeof(s), s FROM t"
                                 " WHERE rowid = 20").fetchall()
        self.assertEqual(got, stored)
        self.assertEqual(self.db.execute("INSERT INTO t(r) VALUES ('5') RETURNING typeof(r)")
                         .fetchall(), [("real",)])

    def test_whole_reals_of_a_later_column_come_back_as_integers_in_3_40(self):
        self.db.execute("CREATE TABLE p(i INTEGER, r REAL, s TEXT)")
        for table in ("t", "p"):  # squeeze and plain alike
            got = self.db.execute("INSERT INTO %s(i, r) VALUES (5, '5') RETURNING i, r, typeof(r)"
                                  % table).fetchall()
            stored = self.db.execute("SELECT r FROM %s WHERE i = 5" % table).fetchall()
            self.assertEqual(stored, [(5.0,)])
            self.assertIs(type(stored[0][0]), float)
            if sqlite3.sqlite_version == "3.40.1":
                self.assertEqual(got, [(5, 5, "real")])
                self.assertIs(type(got[0][1]), int)

    def test_a_row_or_ignore_skips_is_returned(self):
        got = self.db.execute("INSERT OR IGNORE INTO t(rowid, i) VALUES (2, 99), (9, 9)"
                              " RETURNING rowid, i").fetchall()
        self.assertEqual(got, [(2, 99), (9, 9)])
        self.assertEqual(self.db.execute("SELECT rowid, i FROM t WHERE rowid IN (2, 9)").fetchall(),
                         [(2, 2), (9, 9)])

    def test_a_subquery_never_sees_the_row_it_returns(self):
        got = self.db.execute("INSERT INTO t(i) VALUES (4), (5) RETURNING"
                              " (SELECT count(*) FROM t), (SELECT max(rowid) FROM t)").fetchall()
        if sqlite3.sqlite_version == "3.40.1":
            self.assertEqual(got, [(3, 3), (3, 3)])  # none of the statement's rows
        else:
            self.assertEqual(got[0], (3, 3))  # newer: the rows before it (tests/node)
            self.assertIn(got[1], [(3, 3), (4, 4)])
        self.assertEqual(self.one("SELECT count(*) FROM t"), 5)

    def test_select_before_update_or_delete(self):
        self.db.execute("BEGIN")
        gone = self.db.execute("SELECT rowid, * FROM t WHERE i >= 2").fetchall()
        self.db.execute("DELETE FROM t WHERE i >= 2")
        self.db.execute("COMMIT")
        self.assertEqual(gone, [(2, 2, 2.5, "b"), (3, 3, 3.5, "c")])
        self.assertEqual(self.one("SELECT count(*) FROM t"), 1)


SHELL = shutil.which("sqlite3")


class WithoutTheExtension(unittest.TestCase):
    """A database with a squeeze table in the sqlite3 shell, squeeze not loaded."""

    def setUp(self):
        self.assertIsNotNone(SHELL, "the sqlite3 shell is missing (make deps installs it)")
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "s.db")
        db = connect(self.path)
        db.execute("CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, chunk_rows = 2)")
        db.execute("INSERT INTO t VALUES (1, 1.5), (2, 2.5), (3, 3.5)")
        db.execute("CREATE TABLE plain(x)")
        self.rows = db.execute("SELECT rowid, * FROM t").fetchall()
        db.close()

    def tearDown(self):
        self.tmp.cleanup()

    def shell(self, sql, *options):
        """Runs sql in the sqlite3 shell on the database (every statement, also after an
        error); returns (stdout, stderr)."""
        p = subprocess.run([SHELL, *options, self.path], input=sql, capture_output=True,
                           text=True, timeout=60)
        return p.stdout, p.stderr

    def test_the_schema_stays_and_every_use_of_the_table_needs_squeeze(self):
        out, err = self.shell("SELECT sql FROM sqlite_schema WHERE name = 't';")
        self.assertEqual(out.strip(),
                         "CREATE VIRTUAL TABLE t USING squeeze(ts INTEGER, v REAL, chunk_rows = 2)")
        for sql in ["SELECT * FROM t;", "INSERT INTO t VALUES (4, 4.5);", "PRAGMA table_info(t);",
                    "SELECT * FROM pragma_table_info('t');", "ALTER TABLE t RENAME TO u;",
                    "DROP TABLE t;"]:
            with self.subTest(sql=sql):
                out, err = self.shell(sql)
                self.assertEqual(out, "")
                self.assertIn("no such module: squeeze", err)
        db = connect(self.path)  # all still there
        self.assertEqual(db.execute("SELECT rowid, * FROM t").fetchall(), self.rows)
        db.close()

    def test_the_shadow_tables_can_be_read(self):
        out, err = self.shell("SELECT k, v FROM t_config ORDER BY k;"
                              " SELECT maxrow, minrow, nrows, length(sums) FROM t_chunk;"
                              " SELECT id, dead, c0, c1 FROM t_tail;"
                              " SELECT count(*), sum(length(body) > 0) FROM t_data;")
        self.assertEqual(err, "")
        # sums: XXH3-64 of the bodies of the rowids and of the 2 columns
        self.assertEqual(out.split(), ["format|3", "generation|1", "2|1|2|24", "3|0|3|3.5", "3|3"])

    def test_integrity_check_and_vacuum(self):
        out, err = self.shell("PRAGMA integrity_check; PRAGMA quick_check; VACUUM;"
                              " PRAGMA integrity_check;")
        self.assertEqual((out.split(), err), (["ok", "ok", "ok"], ""))
        db = connect(self.path)
        self.assertEqual(db.execute("SELECT rowid, * FROM t").fetchall(), self.rows)
        self.assertEqual(db.execute("SELECT squeeze_check('t')").fetchone()[0], "ok")
        db.close()

    def test_writes_to_shadow_tables_are_accepted_even_in_defensive_mode(self):
        out, err = self.shell("INSERT INTO t_tail(id, dead, c0, c1) VALUES (9, 0, 9, 9.5);"
                              " UPDATE t_data SET body = x'00' WHERE key = (SELECT min(key) + 1"
                              " FROM t_data);",
                              "-cmd", ".dbconfig defensive on")
        self.assertEqual(err, "")
        self.assertIn("defensive on", out)
        db = connect(self.path)
        # the tail row is a new row of the table; the body is damage squeeze reports (with
        # the chunk cache off: setUp's read may have kept the chunk there, and a cached
        # chunk answers without its body, docs/cache.md; test_vtab_corrupt.CachedDamage)
        size = db.execute("SELECT squeeze_cache_config('size')").fetchone()[0]
        db.execute("SELECT squeeze_cache_config('size', 0)")
        try:
            self.assertEqual(db.execute("SELECT rowid, * FROM t WHERE rowid > 2").fetchall(),
                             [(3, 3, 3.5), (9, 9, 9.5)])
            with self.assertRaises(sqlite3.DatabaseError) as cm:
                db.execute("SELECT * FROM t").fetchall()
            self.assertIn("chunk of rows 1..2, column ts", str(cm.exception))
        finally:
            db.execute("SELECT squeeze_cache_config('size', ?)", (size,))
        self.assertIn("column ts: corrupt data", db.execute("SELECT squeeze_check('t')").fetchone()[0])
        db.close()
        # with squeeze loaded, defensive mode protects them (xShadowName)
        out, err = self.shell("INSERT INTO t_tail(id, dead, c0, c1) VALUES (10, 0, 1, 1);",
                              "-cmd", ".load " + EXT, "-cmd", ".dbconfig defensive on")
        self.assertIn("table t_tail may not be modified", err)

    def test_last_resort_removal_with_writable_schema(self):
        out, err = self.shell("PRAGMA writable_schema = ON;"
                              " DELETE FROM sqlite_schema WHERE type = 'table' AND name = 't';",
                              "-cmd", ".dbconfig defensive on")
        self.assertIn("table sqlite_master may not be modified", err)  # not in defensive mode
        out, err = self.shell("PRAGMA writable_schema = ON;"
                              " DELETE FROM sqlite_schema WHERE type = 'table' AND name = 't';"
                              " PRAGMA writable_schema = OFF;"
                              " DROP TABLE t_config; DROP TABLE t_chunk; DROP TABLE t_data;"
                              " DROP TABLE t_tail;"
                              " SELECT name FROM sqlite_schema; PRAGMA integrity_check;")
        self.assertEqual((out.split(), err), (["plain", "ok"], ""))
        out, err = self.shell("SELECT name FROM sqlite_schema; PRAGMA integrity_check;")
        self.assertEqual((out.split(), err), (["plain", "ok"], ""))


if __name__ == "__main__":
    unittest.main()

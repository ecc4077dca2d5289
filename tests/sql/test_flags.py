"""Every SQL function and table-valued function squeeze registers, with its flags.

Statement replication (rqlite, libSQL's server; docs/scale.md) re-runs each write on every
node, so a function whose result is not a pure function of its arguments and the database
must not be reachable from a view or trigger: it is SQLITE_DIRECTONLY. Pure functions are
SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS. The lists below are the whole surface: a function
added without an entry here fails the test, so its flags are decided, and docs/scale.md's
table says which are safe in replicated writes.
"""
import sqlite3
import unittest

from sqz import connect

DETERMINISTIC, DIRECTONLY, INNOCUOUS = 0x800, 0x80000, 0x200000
PURE = DETERMINISTIC | INNOCUOUS

# (name, number of arguments) -> flags, as PRAGMA function_list reports them.
FUNCTIONS = {
    ("compress", 1): PURE,
    ("compress", 2): PURE,
    ("compress", 3): PURE,
    ("decompress", 1): PURE,
    ("compressed_codec", 1): PURE,
    ("decompressed_size", 1): PURE,
    ("is_compressed", 1): PURE,
    ("gorilla_encode", 1): PURE,
    ("dod_encode", 1): PURE,
    ("squeeze_version", 0): PURE,
    # the build and the libraries running: the same in one process, not across machines
    ("squeeze_debug", 0): INNOCUOUS,
    # they write, or read the whole table (and squeeze_maintain's work depends on time)
    ("squeeze_check", 1): DIRECTONLY,
    ("squeeze_optimize", 1): DIRECTONLY,
    ("squeeze_train_dict", 2): DIRECTONLY,
    ("squeeze_train_dict", 3): DIRECTONLY,
    ("squeeze_enable", 2): DIRECTONLY,
    ("squeeze_enable", 3): DIRECTONLY,
    ("squeeze_disable", 2): DIRECTONLY,
    ("squeeze_maintain", 0): DIRECTONLY,
    ("squeeze_maintain", 1): DIRECTONLY,
    # sets this connection's threads
    ("squeeze_config", 1): DIRECTONLY,
    ("squeeze_config", 2): DIRECTONLY,
    # sets this process's chunk cache
    ("squeeze_cache_config", 1): DIRECTONLY,
    ("squeeze_cache_config", 2): DIRECTONLY,
}

# Table-valued functions and the squeeze module: innocuous (usable from views and triggers,
# also under trusted_schema=OFF) or direct-only (never from them), with a query that uses each.
TABLES = {
    "squeeze_codecs": ("innocuous", "SELECT count(*) FROM squeeze_codecs"),
    "gorilla_decode": ("innocuous", "SELECT count(*) FROM gorilla_decode(NULL)"),
    "dod_decode": ("innocuous", "SELECT count(*) FROM dod_decode(NULL)"),
    "squeeze": ("innocuous", "SELECT count(*) FROM t"),
    # reads every chunk of a table
    "squeeze_stats": ("directonly", "SELECT count(*) FROM squeeze_stats('t')"),
    # timings of this machine
    "codec_bench": ("directonly", "SELECT count(*) FROM codec_bench('p', 'x')"),
    # counters of this connection and process
    "squeeze_pool_stats": ("directonly", "SELECT count(*) FROM squeeze_pool_stats"),
    "squeeze_cache_stats": ("directonly", "SELECT count(*) FROM squeeze_cache_stats"),
}


class Flags(unittest.TestCase):
    def test_every_function_and_its_flags(self):
        plain = sqlite3.connect(":memory:")
        before = {(n, a) for n, a in plain.execute("SELECT name, narg FROM pragma_function_list")}
        db = connect()
        got = {(n, a): f for n, a, f in db.execute("SELECT name, narg, flags FROM pragma_function_list")
               if (n, a) not in before}
        mask = DETERMINISTIC | DIRECTONLY | INNOCUOUS
        self.assertEqual({k: f & mask for k, f in got.items()}, FUNCTIONS)

    def test_every_module(self):
        plain = sqlite3.connect(":memory:")
        before = {n for (n,) in plain.execute("SELECT name FROM pragma_module_list")}
        db = connect()
        got = {n for (n,) in db.execute("SELECT name FROM pragma_module_list")} - before
        self.assertEqual(got, set(TABLES))

    def test_tables_from_views_and_triggers(self):
        db = connect()
        db.executescript("""
            CREATE VIRTUAL TABLE t USING squeeze(x INTEGER);
            INSERT INTO t VALUES (1), (2);
            CREATE TABLE p(x); INSERT INTO p VALUES (x'00');
            CREATE TABLE log(n);
        """)
        for name, (kind, query) in TABLES.items():
            for trusted in ("OFF", "ON"):
                with self.subTest(table=name, trusted_schema=trusted):
                    db.execute(f"PRAGMA trusted_schema = {trusted}")
                    self.assertIsNotNone(db.execute(query).fetchone())  # direct use always works
                    db.execute(f"CREATE VIEW v AS {query}")
                    db.execute(f"CREATE TRIGGER tr AFTER INSERT ON p BEGIN INSERT INTO log {query}; END")
                    try:
                        for use in ("SELECT * FROM v", "INSERT INTO p VALUES (1)"):
                            if kind == "innocuous":
                                db.execute(use).fetchall()
                            else:
                                with self.assertRaisesRegex(sqlite3.Error, "unsafe use of virtual table"):
                                    db.execute(use).fetchall()
                    finally:
                        db.execute("DROP VIEW v")
                        db.execute("DROP TRIGGER tr")

    def test_directonly_functions_not_from_triggers(self):
        db = connect()
        db.executescript("""
            CREATE TABLE p(x); CREATE TABLE log(v);
            CREATE TRIGGER tr AFTER INSERT ON p BEGIN INSERT INTO log VALUES (squeeze_maintain(0)); END;
        """)
        with self.assertRaisesRegex(sqlite3.Error, "unsafe use of squeeze_maintain"):
            db.execute("INSERT INTO p VALUES (1)")


if __name__ == "__main__":
    unittest.main()

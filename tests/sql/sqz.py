"""Shared helpers for the SQL-level tests: a connection with squeeze loaded."""
import os
import sqlite3
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXT = os.path.join(ROOT, os.environ.get("SQUEEZE_EXT", os.path.join("build", "squeeze")))
DATA = os.path.join(ROOT, "examples", "data")


def connect(path=":memory:"):
    """A connection to path with build/squeeze.so loaded."""
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(EXT)
    db.enable_load_extension(False)
    return db


def read_data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


class SqlTestCase(unittest.TestCase):
    """A test case with a fresh in-memory connection in self.db."""

    def setUp(self):
        self.db = connect()

    def tearDown(self):
        self.db.close()

    def one(self, sql, *args):
        """The single value of the first row of sql."""
        return self.db.execute(sql, args).fetchone()[0]

    def assertSqlError(self, fragment, sql, *args):
        """sql fails with an error message containing fragment; returns the error."""
        with self.assertRaises(sqlite3.Error) as cm:
            self.db.execute(sql, args).fetchall()
        self.assertIn(fragment, str(cm.exception))
        return cm.exception

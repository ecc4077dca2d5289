"""SIGKILL during committed write batches on a squeeze table, in DELETE and WAL
journal modes.

tests/crash/crash_writer.py runs transactions (inserts, updates, deletes,
squeeze_optimize) on a file database and prints each batch number after its
COMMIT returns. This test kills it with SIGKILL at random moments, several
times over the same file, and after each kill checks that
  - PRAGMA integrity_check and squeeze_check('t') say ok;
  - the table holds whole transactions only: exactly the rows (rowids, values
    and types) that replaying batches 1..N on a plain table gives, where N is
    the last batch reported, or the one after it (killed between its COMMIT
    and the print).
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from sqz import ROOT, connect

sys.path.insert(0, os.path.join(ROOT, "tests", "crash"))
from crash_writer import batch_statements  # noqa: E402

WRITER = os.path.join(ROOT, "tests", "crash", "crash_writer.py")


def expected(n):
    """Rows of t after batches 1..n, replayed on a plain table."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t(batch, i, v, note)")
    for b in range(1, n + 1):
        for sql, args in batch_statements(b):
            db.execute(sql, args)
    rows = db.execute("SELECT rowid, batch, i, v, note, typeof(v) FROM t ORDER BY rowid").fetchall()
    db.close()
    return rows


class Crash(unittest.TestCase):
    def run_mode(self, mode, kills, seed):
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "crash.db")
            last = 0
            for k in range(kills):
                proc = subprocess.Popen([sys.executable, WRITER, path, mode],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                time.sleep(rng.uniform(0.15, 0.6))
                proc.send_signal(signal.SIGKILL)
                out, err = proc.communicate()
                reported = [int(x) for x in out.split()]
                self.assertEqual(proc.returncode, -signal.SIGKILL, err)
                if reported:
                    last = reported[-1]
                db = connect(path)
                try:
                    self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                    if not db.execute("SELECT 1 FROM sqlite_schema WHERE name = 't'").fetchone():
                        # killed before CREATE VIRTUAL TABLE committed (a slow start, as
                        # under ASan on a loaded machine): nothing may have been reported
                        self.assertEqual(last, 0, "%s kill %d: table t vanished" % (mode, k))
                        continue
                    self.assertEqual(db.execute("SELECT squeeze_check('t')").fetchone()[0], "ok")
                    n = db.execute("SELECT max(batch) FROM t").fetchone()[0] or 0
                    self.assertIn(n, (last, last + 1), "kill %d" % k)
                    got = db.execute("SELECT rowid, batch, i, v, note, typeof(v) FROM t"
                                     " ORDER BY rowid").fetchall()
                    self.assertEqual(got, expected(n), "%s kill %d after batch %d" % (mode, k, n))
                    last = n
                finally:
                    db.close()
            self.assertGreater(last, kills)  # the writer made progress between kills

    def test_delete_journal(self):
        self.run_mode("DELETE", 6, 1)

    def test_wal(self):
        self.run_mode("WAL", 6, 2)


if __name__ == "__main__":
    unittest.main()

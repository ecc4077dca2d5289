"""Writer for the SIGKILL test of the squeeze virtual table (tests/sql/test_vtab_crash.py).

Usage: crash_writer.py DB JOURNAL_MODE

Opens DB (creating the squeeze table t on first use), finds the last batch that
committed (max(batch)), and runs committed write batches from there on, printing
each batch number once its COMMIT has returned, until it is killed. A batch is a
transaction that inserts rows, updates and deletes rows of earlier batches, and
now and then runs squeeze_optimize; everything in it follows from the batch
number alone (batch_statements), so the test can replay batches 1..N on a plain
table and compare.
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sql"))
from sqz import connect  # noqa: E402

# chunk_rows = 100 with 5-40 rows a batch: commits seal the tail into partial chunks
# (64 rows and up), merge them as they grow, and compact chunks whose patches pass
# their threshold, so every automatic rewrite runs under the kills
DECL = "batch INTEGER, i INTEGER, v REAL, note TEXT, chunk_rows = 100"


def batch_statements(b):
    """The statements of batch b, as (sql, args) pairs."""
    rng = random.Random(b)
    out = []
    for i in range(rng.randint(5, 40)):
        out.append(("INSERT INTO t(batch, i, v, note) VALUES (?, ?, ?, ?)",
                    (b, i, round(rng.uniform(-100, 100), 2), rng.choice(["a", "b", None, "cc"]))))
    out.append(("UPDATE t SET note = ? WHERE batch = ? AND i % 2 = 0", ("u%d" % b, b - 1)))
    out.append(("DELETE FROM t WHERE batch = ? AND i % 3 = 0", (b - 2,)))
    if b % 5 == 0:
        out.append(("UPDATE t SET v = v + 1 WHERE batch < ? AND i = 1", (b,)))
    return out


def main():
    path, mode = sys.argv[1], sys.argv[2]
    db = connect(path)
    db.execute("PRAGMA journal_mode = %s" % mode).fetchall()
    db.execute("PRAGMA synchronous = FULL")
    if not db.execute("SELECT 1 FROM sqlite_schema WHERE name = 't'").fetchone():
        db.execute("CREATE VIRTUAL TABLE t USING squeeze(%s)" % DECL)
    b = (db.execute("SELECT max(batch) FROM t").fetchone()[0] or 0) + 1
    while True:
        db.execute("BEGIN")
        for sql, args in batch_statements(b):
            db.execute(sql, args)
        if b % 7 == 0:
            db.execute("SELECT squeeze_optimize('t')").fetchall()
        db.execute("COMMIT")
        print(b, flush=True)
        b += 1


if __name__ == "__main__":
    main()

"""bench_driver_ranges.py: 100-row rowid ranges through Python's sqlite3, the
way an application reads a squeeze table (a driver asks sqlite3_column_text
for every TEXT value), against the plain table with the same rows.

It reads build/bench-shmcache/t.db, which ./build/bench/bench_shmcache builds
(3M rows: tables sq and pl, three INTEGER and two TEXT columns). One process,
one connection per table; the chunk cache is a fresh shared segment of 1 GiB
of its own (SQUEEZE_CACHE_SEGMENT), warmed by one lookup per chunk before the
clock starts. Squeeze and plain take turns (--turns, default 5), 2,000
ranges each; it prints the medians and the median of the per-turn ratios.
It checks that both tables return one range's rows alike and that every
range has 100 rows. It never fails on speed.

Run from the repository root with Debian's Python (the one on PATH may not
load extensions):
    /usr/bin/python3 bench/bench_driver_ranges.py [--so build/squeeze.so] [--turns 5]
"""
import argparse
import os
import random
import sqlite3
import statistics
import sys
import time

DB = "build/bench-shmcache/t.db"
RANGES = 2000
SQL = "SELECT a, b, c, s1, s2 FROM %s WHERE rowid BETWEEN ? AND ? + 99"


def connect(so):
    db = sqlite3.connect(DB)
    db.enable_load_extension(True)
    db.load_extension(so)
    db.execute("SELECT squeeze_cache_config('size', '1G')")
    db.execute("SELECT squeeze_cache_config('shared', 'on')")
    return db


def ranges(db, table, seed):
    rnd = random.Random(seed)
    nrows = db.execute("SELECT max(rowid) FROM pl").fetchone()[0]
    q = SQL % table
    rows = 0
    t = time.perf_counter()
    for _ in range(RANGES):
        r = rnd.randrange(1, nrows - 99)
        rows += len(db.execute(q, (r, r)).fetchall())
    return (time.perf_counter() - t) / RANGES, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--so", default="build/squeeze.so")
    ap.add_argument("--turns", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(DB):
        sys.exit("%s is missing: run ./build/bench/bench_shmcache first" % DB)
    os.environ["SQUEEZE_CACHE_SEGMENT"] = "sqz-bench-driver-%d" % os.getpid()
    db = connect(os.path.abspath(args.so))
    try:
        for r in range(1, db.execute("SELECT max(rowid) FROM pl").fetchone()[0], 8192):
            db.execute("SELECT * FROM sq WHERE rowid = ?", (r,)).fetchall()
        for t in ("sq", "pl"):  # one range's rows compared
            a = db.execute(SQL % t, (12345, 12345)).fetchall()
            if t == "sq":
                want = a
            elif a != want:
                sys.exit("squeeze and plain tables differ")
        per = {"sq": [], "pl": []}
        for turn in range(args.turns):
            for t in per:
                s, n = ranges(db, t, turn)
                if n != 100 * RANGES:
                    sys.exit("%s: %d rows, expected %d" % (t, n, 100 * RANGES))
                per[t].append(s)
        ratio = statistics.median(a / b for a, b in zip(per["sq"], per["pl"]))
        print("100-row ranges through Python's sqlite3 (medians of %d turns of %d):"
              % (args.turns, RANGES))
        print("  plain    %7.1f us/range" % (statistics.median(per["pl"]) * 1e6))
        print("  squeeze  %7.1f us/range  %.2fx plain (warm shared cache)"
              % (statistics.median(per["sq"]) * 1e6, ratio))
    finally:
        db.close()
        for name in os.listdir("/dev/shm"):
            if name.startswith(os.environ["SQUEEZE_CACHE_SEGMENT"] + "-"):
                os.unlink(os.path.join("/dev/shm", name))


if __name__ == "__main__":
    main()

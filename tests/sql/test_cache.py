"""The chunk cache across connections and processes (docs/cache.md): squeeze_cache_config,
the environment, squeeze_cache_stats, and forked processes that write, read, damage the
segment and die while using it. Each test names its own segment (SQUEEZE_CACHE_SEGMENT)
and removes it."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import re
import unittest

from sqz import EXT, ROOT, SqlTestCase, connect

ROWS = 20000


def layout_version():
    """SQZ_CC_VERSION of ext/chunk_cache.h: the region layout's version, in the segment's name."""
    with open(os.path.join(ROOT, "ext", "chunk_cache.h")) as f:
        return int(re.search(r"^#define SQZ_CC_VERSION (\d+)", f.read(), re.M).group(1))


def build(path):
    db = connect(path)
    # b's zstd chunks take longer to decode than to copy: the cache keeps them
    # (sqz_cc_worth_keeping); a and c may decode faster than that and be left out
    db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT CODEC zstd(19), c INTEGER,"
               " chunk_rows = 1024)")
    db.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)"
               " INSERT INTO t(rowid, a, b, c) SELECT i, 0, 'name ' || (i % 97), i * 3 FROM s",
               (ROWS,))
    db.close()


def stats(db, scope="shared"):
    row = db.execute("SELECT entries, hits, misses, rejected, recoveries, fallbacks"
                     " FROM squeeze_cache_stats WHERE name = 'chunks' AND scope = ?",
                     (scope,)).fetchone()
    return dict(zip(["entries", "hits", "misses", "rejected", "recoveries", "fallbacks"], row))


def use_segment(prefix, size="1M"):
    """In this process: the cache on, shared, in the segment of prefix (mapped afresh)."""
    os.environ["SQUEEZE_CACHE_SEGMENT"] = prefix
    db = connect()
    db.execute("SELECT squeeze_cache_config('size', 0)")
    db.execute("SELECT squeeze_cache_config('size', ?)", (size,))
    db.execute("SELECT squeeze_cache_config('shared', 'on')")
    db.close()


def fork(fn):
    """Runs fn() in a child; returns (pid, read end of a pipe carrying fn's JSON result)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            out = fn()
        except BaseException as e:  # reported to the parent, which fails the test
            out, code = {"error": repr(e)}, 1
        with os.fdopen(w, "w") as f:
            json.dump(out, f)
        os._exit(code)
    os.close(w)
    return pid, r


def join(pid, r):
    with os.fdopen(r) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    out = json.loads(text) if text else {}
    return status, out


class CacheTest(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.prefix = "sqz-test-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        self.saved = self.db.execute("SELECT squeeze_cache_config('size'),"
                                     " squeeze_cache_config('shared')").fetchone()
        self.saved_env = os.environ.get("SQUEEZE_CACHE_SEGMENT")
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "c.db")

    def tearDown(self):
        for name in os.listdir("/dev/shm"):
            if name.startswith(self.prefix):
                os.unlink(os.path.join("/dev/shm", name))
        if self.saved_env is None:
            os.environ.pop("SQUEEZE_CACHE_SEGMENT", None)
        else:
            os.environ["SQUEEZE_CACHE_SEGMENT"] = self.saved_env
        self.db.execute("SELECT squeeze_cache_config('size', 0)")
        self.db.execute("SELECT squeeze_cache_config('size', ?)", (self.saved[0],))
        self.db.execute("SELECT squeeze_cache_config('shared', ?)", (self.saved[1],))
        self.tmp.cleanup()
        super().tearDown()

    def segment(self, size=1 << 20):
        return "/dev/shm/%s-u%d-v%d-%d" % (self.prefix, os.geteuid(), layout_version(), size)

    def test_config(self):
        q = lambda *a: self.db.execute("SELECT squeeze_cache_config(%s)" % ",".join("?" * len(a)),
                                       a).fetchone()[0]
        self.assertEqual(q("size", "8M"), 8 << 20)
        self.assertEqual(q("SIZE"), 8 << 20)
        self.assertEqual(q("size", 1 << 20), 1 << 20)
        self.assertEqual(q("size", "512KiB"), 512 << 10)
        self.assertEqual(q("shared", "off"), 0)
        self.assertEqual(q("shared", "on"), 1)
        self.assertEqual(q("size", 0), 0)
        self.assertIsNone(q(None))
        self.assertIsNone(q("size", None))
        self.assertEqual(q("size"), 0)
        self.assertSqlError("squeeze_cache_config: unknown option 'colour' (known: size, shared)", "SELECT squeeze_cache_config('colour')")
        self.assertSqlError("squeeze_cache_config: size must be", "SELECT squeeze_cache_config('size', 100)")
        self.assertSqlError("squeeze_cache_config: size must be", "SELECT squeeze_cache_config('size', '12Q')")
        self.assertSqlError("squeeze_cache_config: size must be", "SELECT squeeze_cache_config('size', -1)")
        self.assertSqlError("squeeze_cache_config: shared must be on or off", "SELECT squeeze_cache_config('shared', 'maybe')")
        self.assertEqual(q("size"), 0)  # a refused value changes nothing

    def test_environment(self):
        code = ("import sqlite3; db = sqlite3.connect(':memory:'); db.enable_load_extension(True);"
                "db.load_extension(%r); print(db.execute(\"SELECT squeeze_cache_config('size'),"
                " squeeze_cache_config('shared')\").fetchone())" % EXT)
        run = lambda env: subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env),
                                         capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(run({"SQUEEZE_CACHE_SIZE": "3M", "SQUEEZE_CACHE_SHARED": "off"}),
                         "(3145728, 0)")
        self.assertEqual(run({"SQUEEZE_CACHE_SIZE": "0"}), "(0, 1)")
        self.assertEqual(run({"SQUEEZE_CACHE_SIZE": "junk", "SQUEEZE_CACHE_SHARED": "junk"}),
                         "(67108864, 1)")

    def test_connections_share_and_a_write_is_seen(self):
        build(self.path)
        use_segment(self.prefix)
        a, b = connect(self.path), connect(self.path)
        q = "SELECT sum(a), sum(c), count(DISTINCT b) FROM t"
        want = a.execute(q).fetchone()
        before = stats(b)
        self.assertEqual(b.execute(q).fetchone(), want)
        after = stats(b)
        self.assertGreater(after["hits"], before["hits"])
        self.assertGreater(after["entries"], ROWS // 1024)  # more than the chunks' rowids
        self.assertEqual(os.stat(self.segment()).st_mode & 0o777, 0o600)
        # a transaction sees its own writes; others see them once committed
        a.execute("BEGIN")
        a.execute("UPDATE t SET a = 5 WHERE rowid <= 3000")
        self.assertEqual(a.execute("SELECT sum(a) FROM t").fetchone()[0], 15000)
        self.assertEqual(b.execute("SELECT sum(a) FROM t").fetchone()[0], 0)
        a.execute("COMMIT")
        self.assertEqual(b.execute("SELECT sum(a) FROM t").fetchone()[0], 15000)
        self.assertEqual(connect(self.path).execute("SELECT sum(a) FROM t").fetchone()[0], 15000)

    def test_row_reads_match_a_plain_table(self):
        """Point lookups, short ranges (read straight from the cache: few rows of a chunk),
        LIMITs and whole scans, each through a new connection, between random UPDATEs,
        DELETEs and REPLACEs (patches in the tail, rewritten chunks): the same rows as a
        plain table given the same statements."""
        use_segment(self.prefix, "16M")
        hits, answered = stats(connect())["hits"], 0
        for seed in (1, 2):
            rng = random.Random(seed)
            path = os.path.join(self.tmp.name, "diff%d.db" % seed)
            db = connect(path)
            db.execute("CREATE VIRTUAL TABLE t USING squeeze(a INTEGER, b TEXT CODEC zstd, c REAL,"
                       " d, chunk_rows = %d)" % (100 if seed == 1 else 1000))
            db.execute("CREATE TABLE p(a INTEGER, b TEXT, c REAL, d)")
            n = 3000
            value = lambda: rng.choice([None, rng.randrange(-999, 999), rng.random(),
                                        "s%d" % rng.randrange(50), bytes([rng.randrange(256)])])
            rows = [(i, rng.randrange(100), "name%d" % rng.randrange(30) * rng.randrange(1, 4),
                     rng.random() * 100, value()) for i in range(1, n + 1)]
            db.execute("BEGIN")
            for t in ("t", "p"):
                db.executemany("INSERT INTO %s(rowid, a, b, c, d) VALUES (?, ?, ?, ?, ?)" % t, rows)
            db.execute("COMMIT")
            # {t}: the table; :r a rowid, :k and :w counts, :v a value (a mapping may hold more)
            writes = ["UPDATE {t} SET a = a + 1, b = 'u' || b WHERE rowid BETWEEN :r AND :r + :w",
                      "DELETE FROM {t} WHERE rowid BETWEEN :r AND :r + :w",
                      "INSERT OR REPLACE INTO {t}(rowid, a, b, c, d) VALUES (:r, 7, 'new', 1.5, :v)",
                      "UPDATE {t} SET d = :v WHERE rowid = :r"]
            reads = ["SELECT rowid, * FROM {t} WHERE rowid = :r",
                     "SELECT rowid, a, d FROM {t} WHERE rowid BETWEEN :r AND :r + :k ORDER BY rowid",
                     "SELECT rowid, b, c FROM {t} WHERE rowid BETWEEN :r AND :r + :k"
                     " ORDER BY rowid DESC",
                     "SELECT rowid, d FROM {t} WHERE rowid IN (:r, :r + :k) ORDER BY rowid",
                     "SELECT rowid, b FROM {t} WHERE rowid > :r ORDER BY rowid LIMIT 5",
                     "SELECT rowid, a, b FROM {t} WHERE rowid < :r ORDER BY rowid DESC LIMIT 7",
                     "SELECT rowid, c FROM {t} WHERE a = :k % 100 AND rowid BETWEEN :r AND :r + 300",
                     "SELECT count(*), sum(a), group_concat(b), sum(length(d)) FROM {t}"]
            for step in range(200):
                args = {"r": rng.randrange(1, n + 200), "k": rng.randrange(300),
                        "w": rng.randrange(30), "v": value()}
                if rng.random() < 0.3:
                    sql = rng.choice(writes)
                    for t in ("t", "p"):
                        db.execute(sql.format(t=t), args)
                sql = rng.choice(reads)
                r = connect(path)
                with self.subTest(seed=seed, step=step, sql=sql, args=args):
                    want = r.execute(sql.format(t="p"), args).fetchall()
                    self.assertEqual(r.execute(sql.format(t="t"), args).fetchall(), want)
                    answered += len(want)
                r.close()
            db.close()
        self.assertGreater(answered, 4000)
        self.assertGreater(stats(connect())["hits"], hits + 500)

    def test_readers_never_see_uncommitted_or_stale_rows(self):
        """A writer sets every row's a to the transaction's number (some transactions roll
        back, having written -1); readers in 3 other processes, a connection per query,
        must always see one value in every row, never -1, never going back."""
        build(self.path)
        deadline = time.time() + 4

        def writer():
            use_segment(self.prefix)
            db = connect(self.path)
            db.execute("PRAGMA busy_timeout = 5000")
            n = 0
            while time.time() < deadline:
                db.execute("BEGIN IMMEDIATE")
                if random.random() < 0.3:
                    db.execute("UPDATE t SET a = -1 WHERE rowid % 3 = 0")
                    db.execute("ROLLBACK")
                else:
                    n += 1
                    db.execute("UPDATE t SET a = ?", (n,))
                    db.execute("COMMIT")
            return {"commits": n}

        def reader():
            use_segment(self.prefix)
            last, reads = 0, 0
            while time.time() < deadline:
                db = connect(self.path)
                db.execute("PRAGMA busy_timeout = 5000")
                lo, hi, cnt = db.execute("SELECT min(a), max(a), count(*) FROM t").fetchone()
                if lo != hi or lo < last or cnt != ROWS:
                    return {"bad": [lo, hi, last, cnt]}
                last, reads = lo, reads + 1
                r = random.randrange(1, ROWS - 100)
                vals = {v for (v,) in db.execute("SELECT a FROM t WHERE rowid BETWEEN ? AND ?",
                                                 (r, r + 99))}
                if len(vals) != 1 or min(vals) < last:
                    return {"bad": sorted(vals)}
                s = stats(db)
                db.close()
            return {"reads": reads, "hits": s["hits"]}

        procs = [fork(writer)] + [fork(reader) for _ in range(3)]
        results = [join(*p) for p in procs]
        for status, out in results:
            self.assertEqual(status, 0, out)
            self.assertNotIn("bad", out)
        self.assertGreater(results[0][1]["commits"], 2)
        self.assertGreater(sum(out["hits"] for _, out in results[1:]), 0)

    def test_damage_while_readers_run(self):
        """Random bytes over the segment (past its header) while 3 readers run: every answer
        is the cache-off answer, and rejected counts the damage."""
        build(self.path)
        queries = ["SELECT sum(a), sum(c), group_concat(DISTINCT b) FROM t",
                   "SELECT b, c FROM t WHERE rowid BETWEEN 5000 AND 5099",
                   "SELECT count(*), sum(length(b)) FROM t WHERE c % 7 = 1"]
        off = connect()
        off.execute("SELECT squeeze_cache_config('size', 0)")
        plain = connect(self.path)
        want = [plain.execute(q).fetchall() for q in queries]
        plain.close()
        use_segment(self.prefix)
        connect(self.path).execute(queries[0]).fetchall()  # the segment exists and is full
        deadline = time.time() + 3

        def reader():
            use_segment(self.prefix)
            n = 0
            while time.time() < deadline:
                db = connect(self.path)
                for q, w in zip(queries, want):
                    got = [list(r) for r in db.execute(q).fetchall()]
                    if got != [list(r) for r in w]:
                        return {"bad": q}
                    n += 1
                s = stats(db)
                db.close()
            return {"answers": n, "rejected": s["rejected"]}

        procs = [fork(reader) for _ in range(3)]
        rng = random.Random(7)
        size = os.path.getsize(self.segment())
        with open(self.segment(), "r+b") as f:
            while time.time() < deadline:
                f.seek(rng.randrange(4096, size - 64))
                f.write(os.urandom(rng.randrange(1, 64)))
                f.flush()
                time.sleep(0.0005)
        results = [join(*p) for p in procs]
        for status, out in results:
            self.assertEqual(status, 0, out)
            self.assertNotIn("bad", out)
        self.assertGreater(sum(out["rejected"] for _, out in results), 0)

    def test_processes_killed_while_reading(self):
        """Readers SIGKILLed at random moments, 30 times: the others and a new one go on."""
        build(self.path)
        use_segment(self.prefix, "512K")  # small: stores and evictions all the time
        want = connect(self.path).execute("SELECT sum(c), count(DISTINCT b) FROM t").fetchone()

        def reader():
            use_segment(self.prefix, "512K")
            while True:
                db = connect(self.path)
                r = random.randrange(1, ROWS - 3000)
                db.execute("SELECT sum(c), max(b) FROM t WHERE rowid BETWEEN ? AND ?",
                           (r, r + 3000)).fetchall()
                db.close()

        for _ in range(30):
            pid, r = fork(reader)
            time.sleep(random.uniform(0.005, 0.05))
            os.kill(pid, signal.SIGKILL)
            join(pid, r)

        def check():
            use_segment(self.prefix, "512K")
            t0 = time.time()
            got = connect(self.path).execute("SELECT sum(c), count(DISTINCT b) FROM t").fetchone()
            return {"got": list(got), "seconds": time.time() - t0}

        status, out = join(*fork(check))
        self.assertEqual(status, 0, out)
        self.assertEqual(out["got"], list(want))
        self.assertLess(out["seconds"], SQZ_LOCK_SECONDS + 5)


SQZ_LOCK_SECONDS = 2

if __name__ == "__main__":
    unittest.main()

"""codec_bench: exact sizes against compress(), round trips, sampling, typed codecs, mode=column,
options, every error path, interrupt and DIRECTONLY.

Tables are small and passes=1 wherever speed is not the point, so the suite stays fast on a
shared machine."""
import os
import pty
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from sqz import EXT, SqlTestCase, connect, read_data

FAST = "passes=1"


def open_db(path, **kwargs):
    """A connection to path with squeeze loaded; kwargs go to sqlite3.connect."""
    db = sqlite3.connect(path, isolation_level=None, **kwargs)
    db.enable_load_extension(True)
    db.load_extension(EXT)
    db.enable_load_extension(False)
    return db


def moby_lines(n):
    lines = [l for l in read_data("moby-dick.txt").decode().splitlines() if l.strip()]
    return lines[:n]


class CodecBenchCase(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE TABLE mail(id INTEGER PRIMARY KEY, body TEXT, raw BLOB)")
        self.lines = moby_lines(300)
        self.db.executemany("INSERT INTO mail(body, raw) VALUES (?, ?)",
                            [(l, (l * 3).encode()) for l in self.lines])
        self.db.execute("INSERT INTO mail(body, raw) VALUES (NULL, NULL)")

    def bench(self, table, column, codecs=None, options=FAST, cols="*"):
        return self.db.execute(f"SELECT {cols} FROM codec_bench(?, ?, ?, ?)",
                               (table, column, codecs, options)).fetchall()

    def rows(self, table, column, codecs=None, options=FAST):
        cur = self.db.execute("SELECT * FROM codec_bench(?, ?, ?, ?)",
                              (table, column, codecs, options))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def codecs_of_kind(self, kind):
        return [r[0] for r in self.db.execute(
            "SELECT name FROM squeeze_codecs WHERE kind = ?", (kind,))]


class ExactSizes(CodecBenchCase):
    def check_column(self, column):
        rows = self.rows("mail", column)
        self.assertEqual({r["codec"] for r in rows}, set(self.codecs_of_kind("bytes")))
        count, size = self.db.execute(
            f"SELECT count({column}), sum(length(CAST({column} AS BLOB))) FROM mail").fetchone()
        for r in rows:
            with self.subTest(column=column, codec=r["codec"], level=r["level"]):
                expected = self.one(f"SELECT sum(length(compress({column}, ?, ?))) FROM mail",
                                    r["codec"], r["level"])
                self.assertEqual(r["output_bytes"], expected)
                self.assertEqual(r["value_count"], count)
                self.assertEqual(r["input_bytes"], size)
                self.assertEqual(r["roundtrip_ok"], 1)
                self.assertAlmostEqual(r["ratio"], size / expected)
                self.assertIsNone(r["bits_per_value"])
                self.assertGreater(r["compress_mb_s"], 0)
                self.assertGreater(r["decompress_mb_s"], 0)
                self.assertGreaterEqual(r["memory_bytes"], 0)

    def test_text_column_every_byte_codec(self):
        self.check_column("body")

    def test_blob_column_every_byte_codec(self):
        self.check_column("raw")

    def test_default_levels_min_default_max_capped(self):
        for name, lo, default, hi in self.db.execute(
                "SELECT name, min_level, default_level, max_level FROM squeeze_codecs"
                " WHERE kind = 'bytes'").fetchall():
            with self.subTest(codec=name):
                levels = [r[0] for r in self.bench("mail", "body", name, cols="level")]
                self.assertEqual(levels, sorted({lo, default, min(hi, 19)}))

    def test_level_lists(self):
        got = self.bench("mail", "body", "zstd:1, zstd:min..-6 ,lz4hc:max,zstd:1,zstd:default",
                         cols="codec, level")
        self.assertEqual(got, [("zstd", 1), ("zstd", -7), ("zstd", -6), ("lz4hc", 12),
                               ("zstd", 3)])

    def test_memory_is_the_codecs_own(self):
        rows = {r["codec"]: r for r in self.rows("mail", "body", "store,zstd:3")}
        self.assertEqual(rows["store"]["memory_bytes"], 0)
        self.assertGreater(rows["zstd"]["memory_bytes"], 0)

    def test_large_values_are_blocked_like_compress(self):
        data = read_data("moby-dick.txt")
        self.db.execute("CREATE TABLE big(b BLOB)")
        self.db.execute("INSERT INTO big VALUES (?)", (data,))
        (out,) = self.bench("big", "b", "lz4", cols="output_bytes")[0]
        self.assertEqual(out, self.one("SELECT length(compress(b, 'lz4')) FROM big"))


class ModeColumn(CodecBenchCase):
    def test_chunks_concatenated(self):
        values = [r[0] for r in self.db.execute(
            "SELECT body FROM mail WHERE body IS NOT NULL ORDER BY id")]
        for chunk_rows in (100, 8192):
            chunks = ["".join(values[i:i + chunk_rows]) for i in range(0, len(values), chunk_rows)]
            for codec, level in (("zstd", 3), ("lz4", 1), ("huffman", 1)):
                with self.subTest(chunk_rows=chunk_rows, codec=codec):
                    row = self.rows("mail", "body", f"{codec}:{level}",
                                    f"mode=column,chunk_rows={chunk_rows},passes=1")[0]
                    expected = sum(self.one("SELECT length(compress(?, ?, ?))", c, codec, level)
                                   for c in chunks)
                    self.assertEqual(row["output_bytes"], expected)
                    self.assertEqual(row["value_count"], len(values))
                    self.assertEqual(row["roundtrip_ok"], 1)

    def test_column_mode_compresses_better_on_small_values(self):
        value = self.bench("mail", "body", "zstd:3", "mode=value,passes=1", "ratio")[0][0]
        column = self.bench("mail", "body", "zstd:3", "mode=column,passes=1", "ratio")[0][0]
        self.assertGreater(column, value)

    def test_chunk_above_length_limit(self):
        self.db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10000)
        err = self.assertSqlError("above SQLITE_LIMIT_LENGTH",
                                  "SELECT * FROM codec_bench('mail', 'body', 'lz4',"
                                  " 'mode=column,passes=1')")
        self.assertEqual(err.sqlite_errorname, "SQLITE_TOOBIG")


class TypedCodecs(CodecBenchCase):
    def setUp(self):
        super().setUp()
        self.db.execute("CREATE TABLE w(id INTEGER PRIMARY KEY, ts INTEGER, temp REAL)")
        weather = read_data("seattle-weather-hourly-normals.csv").decode().splitlines()[1:1201]
        rows = [(1262304000 + 3600 * i, float(line.split(",")[2]))
                for i, line in enumerate(weather)]
        self.db.executemany("INSERT INTO w(ts, temp) VALUES (?, ?)", rows)

    def expected(self, column, codec, encoder, chunk_rows):
        """Sum of compress() over the column's chunks, as little-endian arrays."""
        n = self.one("SELECT count(*) FROM w")
        total = 0
        for start in range(0, n, chunk_rows):
            total += self.one(
                f"SELECT length(compress(decompress({encoder}({column})), ?))"
                f" FROM (SELECT {column} FROM w WHERE id > ? AND id <= ? ORDER BY id)",
                codec, start, start + chunk_rows)
        return total

    def check(self, column, kind, encoder):
        for chunk_rows in (8192, 500):
            rows = self.rows("w", column, None, f"passes=1,chunk_rows={chunk_rows}")
            self.assertEqual([r["codec"] for r in rows], self.codecs_of_kind(kind))
            for r in rows:
                with self.subTest(codec=r["codec"], chunk_rows=chunk_rows):
                    out = self.expected(column, r["codec"], encoder, chunk_rows)
                    self.assertEqual(r["output_bytes"], out)
                    self.assertEqual(r["value_count"], 1200)
                    self.assertEqual(r["input_bytes"], 1200 * 8)
                    self.assertEqual(r["roundtrip_ok"], 1)
                    self.assertAlmostEqual(r["bits_per_value"], out * 8 / 1200)

    def test_real_column_float64_codecs(self):
        self.check("temp", "float64", "gorilla_encode")

    def test_integer_column_int64_codecs(self):
        self.check("ts", "int64", "dod_encode")

    def test_mode_does_not_change_typed_codecs(self):
        a = self.bench("w", "temp", None, "mode=value,passes=1", "codec, output_bytes")
        b = self.bench("w", "temp", None, "mode=column,passes=1", "codec, output_bytes")
        self.assertEqual(a, b)

    def test_mixed_column_measures_each_type(self):
        self.db.execute("CREATE TABLE m(v)")
        self.db.executemany("INSERT INTO m VALUES (?)",
                            [(1.5,), (2,), ("text",), (b"\x00\x01",), (3,), (None,)])
        counts = {r[0]: (r[1], r[2]) for r in self.bench("m", "v", None, FAST,
                                                          "codec, value_count, input_bytes")}
        for name in self.codecs_of_kind("float64"):
            self.assertEqual(counts[name], (1, 8))
        for name in self.codecs_of_kind("int64"):
            self.assertEqual(counts[name], (2, 16))
        for name in self.codecs_of_kind("bytes"):
            self.assertEqual(counts[name], (2, 6))
        for name in self.codecs_of_kind("text"):
            self.assertNotIn(name, counts)


class Sampling(CodecBenchCase):
    def sample(self, options):
        return self.bench("mail", "body", "store,zstd:3", options,
                          "codec, value_count, input_bytes, output_bytes")

    def test_same_seed_same_sample(self):
        a = self.sample("sample=50,seed=7,passes=1")
        self.assertEqual(a, self.sample("sample=50,seed=7,passes=1"))
        self.assertEqual([r[1] for r in a], [50, 50])

    def test_default_seed_is_fixed(self):
        self.assertEqual(self.sample("sample=50,passes=1"), self.sample("sample=50,seed=1,passes=1"))

    def test_other_seed_other_sample(self):
        sizes = {self.sample(f"sample=50,seed={s},passes=1")[0][2] for s in range(1, 6)}
        self.assertGreater(len(sizes), 1)

    def test_sample_larger_than_column_takes_all(self):
        self.assertEqual(self.sample("sample=100000,passes=1"), self.sample("passes=1"))

    def test_sample_exact_against_compress_of_sampled_values(self):
        # a sample of all but one value: sizes still match compress() on that subset
        n = len(self.lines)
        (count, inp, out) = self.bench("mail", "body", "lz4", f"sample={n - 1},passes=1",
                                       "value_count, input_bytes, output_bytes")[0]
        total_in, total_out = self.db.execute(
            "SELECT sum(length(CAST(body AS BLOB))), sum(length(compress(body, 'lz4'))) FROM mail"
        ).fetchone()
        self.assertEqual(count, n - 1)
        per_value = {(len(l.encode()), self.one("SELECT length(compress(?, 'lz4'))", l))
                     for l in self.lines}
        self.assertIn((total_in - inp, total_out - out), per_value)


class Arguments(CodecBenchCase):
    def test_empty_table_and_null_column_give_no_rows(self):
        self.db.execute("CREATE TABLE empty(x TEXT)")
        self.assertEqual(self.bench("empty", "x"), [])
        self.assertEqual(self.bench("empty", "x", "gorilla,zstd:3"), [])
        self.db.execute("CREATE TABLE nulls(x)")
        self.db.execute("INSERT INTO nulls VALUES (NULL), (NULL)")
        self.assertEqual(self.bench("nulls", "x"), [])

    def test_hidden_columns_give_the_arguments(self):
        row = self.db.execute("SELECT table_name, column_name, codecs, options FROM"
                              " codec_bench('mail', 'body', 'lz4', 'passes=1')").fetchone()
        self.assertEqual(row, ("mail", "body", "lz4", "passes=1"))

    def test_arguments_from_a_join(self):
        got = self.db.execute(
            "SELECT c.name, b.codec, b.value_count FROM pragma_table_info('mail') c,"
            " codec_bench('mail', c.name, NULL, 'passes=1') b"
            " WHERE b.codec IN ('store', 'delta') ORDER BY c.name").fetchall()
        self.assertEqual(got, [("body", "store", 300), ("id", "delta", 301),
                               ("raw", "store", 300)])

    def test_schema_names_quotes_and_case(self):
        self.db.execute("ATTACH ':memory:' AS aux")
        self.db.execute("CREATE TABLE aux.q(v BLOB)")
        self.db.execute("INSERT INTO aux.q VALUES (x'0102')")
        self.assertEqual(self.bench("aux.q", "v", "store", FAST, "input_bytes"), [(2,)])
        self.db.execute('CREATE TABLE "we""ird ]t"("c""ol" TEXT)')
        self.db.execute('INSERT INTO "we""ird ]t" VALUES (\'abc\')')
        self.assertEqual(self.bench('we"ird ]t', 'c"ol', "store", FAST, "input_bytes"), [(3,)])
        self.assertEqual(self.bench("MAIL", "BODY", "store", FAST, "value_count"), [(300,)])

    def test_views_and_temp_tables(self):
        self.db.execute("CREATE TEMP TABLE tt(x TEXT)")
        self.db.execute("INSERT INTO tt VALUES ('hello')")
        self.assertEqual(self.bench("tt", "x", "store", FAST, "value_count"), [(1,)])
        self.db.execute("CREATE VIEW firsts AS SELECT substr(body, 1, 10) AS head FROM mail")
        self.assertEqual(self.bench("firsts", "head", "store", FAST, "value_count"), [(300,)])

    def test_index_does_not_change_the_order(self):
        self.db.execute("CREATE TABLE s(id INTEGER PRIMARY KEY, v INTEGER)")
        self.db.executemany("INSERT INTO s(v) VALUES (?)", [((i * 7919) % 1000,) for i in range(1000)])
        before = self.bench("s", "v", "delta", FAST, "output_bytes")
        self.db.execute("CREATE INDEX s_v ON s(v)")
        self.assertEqual(self.bench("s", "v", "delta", FAST, "output_bytes"), before)

    def test_works_on_a_read_only_database(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mail.db")
            rw = connect(path)
            rw.execute("CREATE TABLE mail(body TEXT)")
            rw.executemany("INSERT INTO mail VALUES (?)", [(l,) for l in self.lines])
            rw.close()
            ro = open_db(f"file:{path}?mode=ro", uri=True)
            try:
                got = ro.execute("SELECT codec, value_count FROM"
                                 " codec_bench('mail', 'body', 'zstd:3', 'passes=1')").fetchall()
            finally:
                ro.close()
        self.assertEqual(got, [("zstd", 300)])


    def test_options_allow_white_space(self):
        got = self.bench("mail", "body", " store ,\tlz4:1 ", " passes = 2 ,\tmode= column ",
                         "codec, options")
        self.assertEqual(got, [("store", " passes = 2 ,\tmode= column "),
                               ("lz4", " passes = 2 ,\tmode= column ")])


@unittest.skipUnless(shutil.which("sqlite3"), "needs the sqlite3 shell")
class Progress(unittest.TestCase):
    SQL = ("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('a'), ('b');"
           " SELECT count(*) FROM codec_bench('t', 'x', 'store,lz4:1', 'passes=1');")

    def shell(self, stderr):
        return subprocess.run(["sqlite3", "-cmd", ".load " + EXT, ":memory:", self.SQL],
                              stdout=subprocess.PIPE, stderr=stderr, timeout=30)

    def test_a_line_per_row_when_stderr_is_a_terminal(self):
        master, slave = pty.openpty()
        try:
            out = self.shell(slave)
            os.close(slave)
            slave = None
            messages = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                messages += chunk
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)
        self.assertEqual(out.stdout.strip(), b"2")
        lines = messages.decode().splitlines()
        self.assertEqual(lines, ["codec_bench: store level 0 (1 of 2) on 2 values",
                                 "codec_bench: lz4 level 1 (2 of 2) on 2 values"])

    def test_silent_otherwise(self):
        out = self.shell(subprocess.PIPE)
        self.assertEqual((out.stdout.strip(), out.stderr), (b"2", b""))


class Errors(CodecBenchCase):
    CASES = [
        ("nope", "body", None, FAST, "codec_bench: no such table: 'nope'"),
        ("nosuch.mail", "body", None, FAST, "codec_bench: no such table: 'nosuch.mail'"),
        ("mail", "bdy", None, FAST, "codec_bench: table 'mail' has no column 'bdy'"),
        ("mail", "body", "zsdt", FAST, "codec_bench: unknown codec 'zsdt' (known: zstd, lz4"),
        ("mail", "body", "zstd:23", FAST, "codec_bench: bad level '23' for zstd (a number from -7"),
        ("mail", "body", "zstd:x", FAST, "codec_bench: bad level 'x'"),
        ("mail", "body", "zstd:5..1", FAST, "codec_bench: bad level '5..1'"),
        ("mail", "body", "", FAST, "codec_bench: the codec list is empty"),
        ("mail", "body", "gorilla", FAST,
         "codec_bench: codec 'gorilla' (kind float64) takes REAL values; column 'body' has none"),
        ("mail", "body", None, "passes=0", "codec_bench: passes must be an integer from 1 to 100"),
        ("mail", "body", None, "passes=101", "codec_bench: passes must be an integer"),
        ("mail", "body", None, "sample=0", "codec_bench: sample must be an integer from 1"),
        ("mail", "body", None, "sample=ten", "codec_bench: sample must be an integer"),
        ("mail", "body", None, "seed=1.5", "codec_bench: seed must be an integer"),
        ("mail", "body", None, "chunk_rows=0", "codec_bench: chunk_rows must be an integer"),
        ("mail", "body", None, "mode=row", "codec_bench: mode must be value or column, not 'row'"),
        ("mail", "body", None, "speed=1", "codec_bench: unknown option 'speed' (known: sample"),
        ("mail", "body", None, "passes", "codec_bench: option 'passes' is not key=value"),
        ("mail", "body", None, "x" * 200, "codec_bench: option 'xxxxxxxx"),
        ("mail", "body", None, "passes=3,passes=4", "codec_bench: option 'passes' is given twice"),
        ("mail", "body", None, "passes=3,,seed=2", "codec_bench: empty option"),
        ("mail", "body", None, "passes=3,", "codec_bench: empty option at the end"),
        ("mail", "body", None, "sample=99999999999999999999", "codec_bench: sample must be an integer from 1"),
    ]

    def test_each_error(self):
        for table, column, codecs, options, message in self.CASES:
            with self.subTest(message=message):
                self.assertSqlError(message, "SELECT * FROM codec_bench(?, ?, ?, ?)",
                                    table, column, codecs, options)

    def test_text_kind_codecs_are_not_measured(self):
        for name in self.codecs_of_kind("text"):
            self.assertSqlError(f"codec_bench: codec '{name}' (kind text)",
                                "SELECT * FROM codec_bench('mail', 'body', ?)", name)

    def test_missing_arguments(self):
        usage = "codec_bench: usage: SELECT * FROM codec_bench('table', 'column'"
        self.assertSqlError(usage, "SELECT * FROM codec_bench")
        self.assertSqlError(usage, "SELECT * FROM codec_bench('mail')")
        self.assertSqlError(usage, "SELECT * FROM codec_bench(NULL, 'body')")

    def test_directonly_in_view_and_trigger(self):
        self.db.execute("CREATE VIEW v AS SELECT * FROM codec_bench('mail', 'body', 'store')")
        self.assertSqlError("unsafe use of virtual table", "SELECT * FROM v")
        self.db.execute("CREATE TABLE log(x)")
        self.db.execute("CREATE TRIGGER tr AFTER INSERT ON log BEGIN"
                        " SELECT * FROM codec_bench('mail', 'body', 'store'); END")
        self.assertSqlError("unsafe use of virtual table", "INSERT INTO log VALUES (1)")


class Interrupt(SqlTestCase):
    def setUp(self):
        # sqlite3_interrupt() comes from another thread: allow the connection to be shared
        self.db = open_db(":memory:", check_same_thread=False)

    def test_interrupt_stops_promptly(self):
        self.db.execute("CREATE TABLE big(b TEXT)")
        self.db.execute("INSERT INTO big SELECT hex(randomblob(300)) FROM (WITH RECURSIVE"
                        " c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)"
                        " SELECT x FROM c)")
        done = threading.Event()
        result = {}

        def run():
            start = time.monotonic()
            try:
                self.db.execute("SELECT * FROM codec_bench('big', 'b', 'zstd:19,lz4hc:12',"
                                " 'passes=50')").fetchall()
                result["error"] = None
            except sqlite3.OperationalError as e:
                result["error"] = str(e)
            result["seconds"] = time.monotonic() - start
            done.set()

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.3)
        stopped_at = time.monotonic()
        self.db.interrupt()
        self.assertTrue(done.wait(10))
        worker.join()
        self.assertEqual(result["error"], "interrupted")
        self.assertLess(time.monotonic() - stopped_at, 1.0)
        # the connection is usable afterwards
        self.assertEqual(self.one("SELECT count(*) FROM codec_bench('big', 'b', 'store',"
                                  " 'passes=1,sample=10')"), 1)


if __name__ == "__main__":
    unittest.main()

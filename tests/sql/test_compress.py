"""compress(), decompress(), compressed_codec(), decompressed_size() through SQL."""
import os
import sqlite3
import subprocess
import tempfile
import unittest

from sqz import SqlTestCase, read_data

FILES = ["moby-dick.txt", "birdstrikes.csv", "earthquakes.json",
         "seattle-weather-hourly-normals.csv"]
BLOCK = 1 << 20


class RoundTrip(SqlTestCase):
    def byte_codecs(self):
        return self.db.execute(
            "SELECT name, min_level, default_level, max_level FROM squeeze_codecs"
            " WHERE kind = 'bytes'").fetchall()

    def test_every_byte_codec_on_real_files(self):
        for name in FILES:
            data = read_data(name)
            for codec, lo, default, hi in self.byte_codecs():
                for level in sorted({lo, default, min(hi, 19)}):
                    with self.subTest(file=name, codec=codec, level=level):
                        frame = self.one("SELECT compress(?, ?, ?)", data, codec, level)
                        self.assertEqual(self.one("SELECT decompress(?)", frame), data)
                        # rle is for runs: on text it falls back to the stored form
                        if codec not in ("store", "rle"):
                            self.assertLess(len(frame), len(data))
                        self.assertLessEqual(len(frame), len(data) + 32)

    def test_text_stays_text_with_nul_and_non_ascii(self):
        text = "naïve café ✓ \x00 embedded NUL — 日本語 " * 50
        for codec, _, default, _ in self.byte_codecs():
            with self.subTest(codec=codec):
                row = self.db.execute(
                    "SELECT typeof(x), x FROM (SELECT decompress(compress(?, ?)) AS x)",
                    (text, codec)).fetchone()
                self.assertEqual(row, ("text", text))
                self.assertEqual(self.one("SELECT length(CAST(decompress(compress(?, ?)) AS BLOB))",
                                          text, codec), len(text.encode()))

    def test_sizes_around_the_small_result(self):
        # values up to 255 bytes are decompressed on the stack and copied into the result
        # (texts without a NUL byte with their terminator); longer ones are handed over
        for n in [0, 1, 254, 255, 256, 257, 4096]:
            for v in ["x" * n, ("a\x00" * n)[:n], bytes(range(256)) * (n // 256) + bytes(n % 256)]:
                for codec in ["zstd", "lz4", "store", "rle", "huffman"]:
                    with self.subTest(n=n, kind=type(v).__name__, codec=codec):
                        row = self.db.execute("SELECT typeof(x), x, length(CAST(x AS BLOB)) FROM"
                                              " (SELECT decompress(compress(?, ?)) AS x)",
                                              (v, codec)).fetchone()
                        self.assertEqual(row, ("text" if isinstance(v, str) else "blob", v,
                                               len(v.encode() if isinstance(v, str) else v)))

    def test_edge_sizes(self):
        base = read_data("moby-dick.txt")
        data = (base * (16 * BLOCK // len(base) + 1))[: 16 * BLOCK]
        for n in [0, 1, 4096, BLOCK - 1, BLOCK, BLOCK + 1, 16 * BLOCK]:
            for codec in ["zstd", "lz4", "lz4hc", "store"]:
                with self.subTest(n=n, codec=codec):
                    v = data[:n]
                    frame = self.one("SELECT compress(?, ?)", v, codec)
                    self.assertEqual(self.one("SELECT decompress(?)", frame), v)
                    self.assertEqual(self.one("SELECT decompressed_size(?)", frame), n)

    def test_empty_text_and_blob(self):
        self.assertEqual(self.db.execute("SELECT typeof(decompress(compress(''))),"
                                         " decompress(compress(''))").fetchone(), ("text", ""))
        self.assertEqual(self.one("SELECT decompress(compress(x''))"), b"")

    def test_null_in_null_out(self):
        for sql in ["compress(NULL)", "compress(NULL, 'lz4')", "compress(NULL, 'zstd', 5)",
                    "decompress(NULL)", "compressed_codec(NULL)", "decompressed_size(NULL)"]:
            self.assertIsNone(self.one("SELECT " + sql), sql)

    def test_null_codec_and_level_mean_defaults(self):
        frame = self.one("SELECT compress('abc abc abc abc abc abc', NULL, NULL)")
        self.assertEqual(self.one("SELECT decompress(?)", frame), "abc abc abc abc abc abc")

    def test_header_readers(self):
        data = read_data("birdstrikes.csv")
        for codec in ["zstd", "lz4", "lz4hc"]:
            frame = self.one("SELECT compress(?, ?)", data, codec)
            self.assertEqual(self.one("SELECT compressed_codec(?)", frame), codec)
            self.assertEqual(self.one("SELECT decompressed_size(?)", frame), len(data))
        # incompressible values are stored
        self.assertEqual(self.one("SELECT compressed_codec(compress(randomblob(1000)))"), "store")

    def test_small_value_header_at_most_8_bytes(self):
        for n in range(0, 100):
            v = os.urandom(n)
            self.assertLessEqual(self.one("SELECT length(compress(?))", v) - n, 8)

    def test_options_text(self):
        data = read_data("moby-dick.txt")
        f1 = self.one("SELECT compress(?, 'zstd', 'level=19,window=64K')", data)
        self.assertEqual(self.one("SELECT decompress(?)", f1), data)
        f2 = self.one("SELECT compress(?, 'zstd', 'checksum=off')", data)
        f3 = self.one("SELECT compress(?, 'zstd')", data)
        self.assertEqual(len(f3) - len(f2), 4)
        self.assertEqual(self.one("SELECT decompress(?)", f2), data)

    def test_deterministic_output(self):
        data = read_data("earthquakes.json")
        for codec in ["zstd", "lz4", "lz4hc"]:
            a = self.one("SELECT compress(?, ?)", data, codec)
            b = self.one("SELECT compress(?, ?)", data, codec)
            self.assertEqual(a, b)


class Errors(SqlTestCase):
    def test_unknown_codec_lists_known(self):
        self.assertSqlError("compress: unknown codec 'zsdt' (known: zstd, lz4",
                            "SELECT compress('x', 'zsdt')")

    def test_level_out_of_range_gives_range(self):
        self.assertSqlError("compress: level 23 out of range for zstd (-7..22)",
                            "SELECT compress('x', 'zstd', 23)")
        self.assertSqlError("out of range for lz4hc (1..12)", "SELECT compress('x', 'lz4hc', 0)")
        self.assertSqlError("compress: unknown option 'speed'",
                            "SELECT compress('x', 'zstd', 'speed=3')")
        self.assertSqlError("compress: window 3K must be a power of two from 1K to 1G bytes for zstd",
                            "SELECT compress('x', 'zstd', 'window=3K')")

    def test_wrong_types(self):
        self.assertSqlError("compress: X must be TEXT or BLOB, not INTEGER", "SELECT compress(42)")
        self.assertSqlError("compress: X must be TEXT or BLOB, not REAL", "SELECT compress(4.2)")
        self.assertSqlError("decompress: argument must be a BLOB", "SELECT decompress('text')")
        # the header readers answer NULL for anything that is not a frame
        self.assertIsNone(self.one("SELECT decompressed_size(7)"))
        self.assertIsNone(self.one("SELECT compressed_codec('text')"))

    def test_not_a_frame(self):
        self.assertSqlError("decompress: not a squeeze, zstd or lz4 frame",
                            "SELECT decompress(x'00112233445566')")
        self.assertSqlError("decompress:", "SELECT decompress(x'')")
        self.assertIsNone(self.one("SELECT compressed_codec(x'DEADBEEF')"))
        self.assertIsNone(self.one("SELECT decompressed_size(x'DEADBEEF')"))

    def test_truncated_and_flipped(self):
        data = read_data("seattle-weather-hourly-normals.csv")[:20000]
        for codec in ["zstd", "lz4", "lz4hc", "store"]:
            frame = self.one("SELECT compress(?, ?)", data, codec)
            for cut in [1, 2, 3, 5, 8, len(frame) // 2, len(frame) - 1]:
                self.assertSqlError("decompress:", "SELECT decompress(?)", frame[:cut])
            for pos in range(0, len(frame), max(1, len(frame) // 200)):
                bad = bytearray(frame)
                bad[pos] ^= 0x10
                try:
                    out = self.one("SELECT decompress(?)", bytes(bad))
                except sqlite3.Error as e:
                    self.assertIn("decompress:", str(e))
                else:
                    self.fail("flip at %d of %s decoded to %d bytes" % (pos, codec, len(out)))

    def test_checksum_mismatch_message(self):
        frame = bytearray(self.one("SELECT compress('hello world', 'store')"))
        frame[-1] ^= 1
        self.assertSqlError("decompress: corrupt data (checksum mismatch)",
                            "SELECT decompress(?)", bytes(frame))

    def test_newer_version(self):
        frame = bytearray(self.one("SELECT compress('hello world', 'store')"))
        self.assertEqual(frame[0], 0xC2)
        frame[0] = 0xC5  # 0xC3 needs a dictionary, 0xC4 is the streamed frame of sqz
        self.assertSqlError("decompress: frame format version is newer",
                            "SELECT decompress(?)", bytes(frame))

    def test_type_flag_is_covered_by_the_checksum(self):
        # bit 5 of the descriptor says TEXT; flipping it must fail the checksum
        for value in ["some text " * 20, b"some bytes " * 20]:
            for codec in ["store", "zstd", "lz4"]:
                frame = bytearray(self.one("SELECT compress(?, ?)", value, codec))
                frame[1] ^= 0x20
                with self.subTest(value=type(value), codec=codec):
                    self.assertSqlError("decompress: corrupt data (checksum mismatch)",
                                        "SELECT decompress(?)", bytes(frame))

    def test_version_1_frames_still_decode(self):
        # written by the first release, whose checksum did not cover the type
        self.assertEqual(self.one("SELECT decompress(x'C16005FDDC625C68656C6C6F')"), "hello")
        self.assertEqual(self.one("SELECT typeof(decompress(x'C14005FDDC625C68656C6C6F'))"),
                         "blob")

    def test_length_limit(self):
        data = b"a" * 100000
        frame = self.one("SELECT compress(?)", data)
        self.db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 50000)
        err = self.assertSqlError("decompress: result larger than the length limit",
                                  "SELECT decompress(?)", frame)
        self.assertEqual(err.sqlite_errorcode, sqlite3.SQLITE_TOOBIG)

    def test_hidden_size_zstd_bomb_refused(self):
        bomb = open("tests/fixtures/zeros-1.5G-nosize.zst", "rb").read()
        self.assertIsNone(self.one("SELECT decompressed_size(?)", bomb))
        err = self.assertSqlError("decompress: result larger than the length limit",
                                  "SELECT decompress(?)", bomb)
        self.assertEqual(err.sqlite_errorcode, sqlite3.SQLITE_TOOBIG)
        sized = open("tests/fixtures/zeros-1.5G.zst", "rb").read()
        self.assertEqual(self.one("SELECT decompressed_size(?)", sized), 1500000000)
        err = self.assertSqlError("decompress: result larger", "SELECT decompress(?)", sized)
        self.assertEqual(err.sqlite_errorcode, sqlite3.SQLITE_TOOBIG)


class Options(SqlTestCase):
    """The third argument of compress() goes through the one options parser."""

    def test_malformed_options_are_refused_by_name(self):
        cases = [
            ("window=9999999999999G", "window must be a size"),
            ("window=1KBB", "window must be a size"),
            ("window=1024i", "window must be a size"),
            ("level=5,level=6", "option 'level' is given twice"),
            ("high", "option 'high' is not key=value (known: level, window, checksum, acceleration, dict, threads, format)"),
            ("level=3,", "empty option at the end"),
            ("checksum=perhaps", "checksum must be on or off, not 'perhaps'"),
            ("level=19x", "level must be an integer"),
        ]
        for options, fragment in cases:
            with self.subTest(options=options):
                self.assertSqlError("compress: " + fragment,
                                    "SELECT compress('x', 'zstd', ?)", options)

    def test_spaces_and_text_levels(self):
        for options in [" level = 3 ", "level=3", "3", " 3 "]:
            frame = self.one("SELECT compress(?, 'zstd', ?)", "spaces" * 50, options)
            self.assertEqual(frame, self.one("SELECT compress(?, 'zstd', 3)", "spaces" * 50))

    def test_window_only_where_the_codec_has_one(self):
        self.assertSqlError("compress: codec 'lz4' has no window option",
                            "SELECT compress('x', 'lz4', 'window=64K')")
        self.assertSqlError("compress: window 32M must be a power of two from 1K to 16M bytes"
                            " for lz77", "SELECT compress('x', 'lz77', 'window=32M')")
        data = read_data("moby-dick.txt")[:300000]
        for codec in ("zstd", "lz77"):
            frame = self.one("SELECT compress(?, ?, 'window=64K')", data, codec)
            self.assertEqual(self.one("SELECT decompress(?)", frame), data)

    def test_acceleration_is_lz4s_own(self):
        data = read_data("moby-dick.txt")[:300000]
        fast = self.one("SELECT compress(?, 'lz4', 'acceleration=8')", data)
        plain = self.one("SELECT compress(?, 'lz4')", data)
        self.assertEqual(self.one("SELECT decompress(?)", fast), data)
        self.assertGreater(len(fast), len(plain))  # faster, so larger
        self.assertSqlError("compress: codec 'zstd' has no acceleration option",
                            "SELECT compress('x', 'zstd', 'acceleration=2')")


class FrameQuestions(SqlTestCase):
    def test_is_compressed(self):
        self.assertEqual(self.one("SELECT is_compressed(compress('x'))"), 1)
        self.assertEqual(self.one("SELECT is_compressed(compress(zeroblob(5000), 'lz4'))"), 1)
        self.assertEqual(self.one("SELECT is_compressed(x'28B52FFD2000010000')"), 1)  # zstd tool
        for value in ["'text'", "x'00'", "x''", "42", "4.5"]:
            with self.subTest(value=value):
                self.assertEqual(self.one("SELECT is_compressed(%s)" % value), 0)
        self.assertIsNone(self.one("SELECT is_compressed(NULL)"))

    def test_typed_codec_messages_describe_the_input(self):
        self.assertSqlError("compress: codec 'dict' takes a BLOB of strings, each a varint length"
                            " and its bytes (docs/format/dict.md), not TEXT",
                            "SELECT compress('abc', 'dict')")
        self.assertSqlError("compress: codec 'dict' takes a BLOB of strings, each a varint length"
                            " and its bytes (docs/format/dict.md); this BLOB is not one",
                            "SELECT compress(x'05616263', 'dict')")
        self.assertSqlError("compress: codec 'alp' takes a BLOB of little-endian 8-byte values;"
                            " 3 bytes is not a multiple of 8", "SELECT compress(x'000102', 'alp')")
        # a well-formed layout round trips
        layout = bytes([3]) + b"abc" + bytes([0]) + bytes([3]) + b"abc"
        self.assertEqual(self.one("SELECT decompress(compress(?, 'dict'))", layout), layout)


class ForeignFrames(SqlTestCase):
    def run_tool(self, args, data):
        return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout

    def test_zstd_and_lz4_tool_output(self):
        data = read_data("moby-dick.txt")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.txt")
            open(path, "wb").write(data)
            subprocess.run(["zstd", "-q", "-19", path, "-o", path + ".zst"], check=True)
            subprocess.run(["lz4", "-q", path, path + ".lz4"], check=True)
            for ext in [".zst", ".lz4"]:
                self.assertEqual(self.one("SELECT decompress(readfile(?))", path + ext)
                                 if self.has_readfile() else
                                 self.one("SELECT decompress(?)", open(path + ext, "rb").read()),
                                 data)
        piped = self.run_tool(["zstd", "-q", "-c", "-"], data)  # no content size
        self.assertIsNone(self.one("SELECT decompressed_size(?)", piped))
        self.assertEqual(self.one("SELECT decompress(?)", piped), data)
        self.assertEqual(self.one("SELECT compressed_codec(?)", piped), "zstd")
        lz = self.run_tool(["lz4", "-q", "-c", "-BD", "--content-size", "-"], data)
        self.assertEqual(self.one("SELECT decompress(?)", lz), data)
        self.assertEqual(self.one("SELECT compressed_codec(?)", lz), "lz4")
        # concatenated frames decode to the concatenation
        two = self.run_tool(["zstd", "-q", "-c", "-"], b"abc") + \
            self.run_tool(["zstd", "-q", "-c", "-"], b"def")
        self.assertEqual(self.one("SELECT decompress(?)", two), b"abcdef")
        # a damaged foreign frame is an error
        bad = bytearray(piped)
        bad[len(bad) // 2] ^= 0xFF
        self.assertSqlError("decompress:", "SELECT decompress(?)", bytes(bad))
        self.assertSqlError("decompress:", "SELECT decompress(?)", lz[: len(lz) // 2])

    def has_readfile(self):
        try:
            self.db.execute("SELECT readfile('/dev/null')")
            return True
        except sqlite3.Error:
            return False


class SchemaUse(SqlTestCase):
    def test_generated_column_and_index_under_untrusted_schema(self):
        db = self.db
        db.execute("PRAGMA trusted_schema=OFF")
        db.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, z BLOB,"
                   " body TEXT GENERATED ALWAYS AS (decompress(z)) VIRTUAL)")
        db.execute("CREATE INDEX docs_size ON docs(decompressed_size(z))")
        db.execute("CREATE INDEX docs_body ON docs(decompress(z))")
        db.execute("CREATE VIEW v AS SELECT id, decompress(z) AS b FROM docs")
        lines = read_data("moby-dick.txt").decode().splitlines()[:500]
        db.executemany("INSERT INTO docs(z) VALUES (compress(?))", [(l,) for l in lines])
        self.assertEqual(self.one("SELECT count(*) FROM docs WHERE body = ?", lines[10]),
                         lines.count(lines[10]))
        plan = " ".join(r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM docs WHERE decompress(z) = ?", (lines[10],)))
        self.assertIn("docs_body", plan)
        self.assertEqual(self.one("SELECT b FROM v WHERE id = 11"), lines[10])
        self.assertEqual(self.one("PRAGMA integrity_check"), "ok")


class Tables(SqlTestCase):
    def test_squeeze_codecs(self):
        rows = self.db.execute("SELECT name, kind, min_level, default_level, max_level,"
                               " description FROM squeeze_codecs").fetchall()
        names = [r[0] for r in rows]
        for n in ["zstd", "lz4", "lz4hc", "store"]:
            self.assertIn(n, names)
        z = [r for r in rows if r[0] == "zstd"][0]
        self.assertEqual(z[1:5], ("bytes", -7, 3, 22))
        for r in rows:
            self.assertIn(r[1], ["bytes", "float64", "int64", "text"])
            self.assertTrue(r[5])

    def test_pool_stats_reuse(self):
        data = read_data("birdstrikes.csv")[:4096]
        self.db.execute("SELECT compress(?)", (data,)).fetchall()
        before = self.db.execute("SELECT hits, misses, blocks FROM squeeze_pool_stats").fetchone()
        for _ in range(50):
            self.db.execute("SELECT decompress(compress(?))", (data,)).fetchall()
        after = self.db.execute("SELECT hits, misses, blocks, in_use FROM squeeze_pool_stats"
                                ).fetchone()
        self.assertGreaterEqual(after[0] - before[0], 50)  # every call reused a block
        self.assertEqual(after[1], before[1])               # and none missed
        self.assertEqual(after[3], 0)                       # nothing left checked out

    def test_version(self):
        self.assertRegex(self.one("SELECT squeeze_version()"), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main()

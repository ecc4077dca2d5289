"""Large values: compress(x, codec, 'threads=N'), squeeze_config('threads', N), the
standard frames format=zstd and format=lz4 (checked with the real zstd and lz4 tools),
and the peak memory of compressing a large value (sqlite3_memory_highwater)."""
import ctypes
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import unittest

from sqz import SqlTestCase, read_data

BYTE_CODECS = ["zstd", "lz4", "lz4hc", "huffman", "rle", "lz77", "store"]


def text_corpus(size):
    """size bytes of the bundled real texts, repeated."""
    parts = [read_data(n) for n in ("moby-dick.txt", "earthquakes.json", "birdstrikes.csv")]
    data = b"".join(parts)
    return (data * (size // len(data) + 1))[:size]


def sqlite_library():
    """The libsqlite3 the sqlite3 module runs on, for its memory statistics."""
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return None
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


class TestThreads(SqlTestCase):
    def setUp(self):
        super().setUp()
        # 3.5 blocks of 1 MiB, the last one short
        self.data = text_corpus(3 * (1 << 20) + 700_000)

    def test_same_bytes_whatever_the_thread_count(self):
        for codec in BYTE_CODECS:
            one = self.one("SELECT compress(?, ?, 'threads=1')", self.data, codec)
            for t in (2, 3, 8):
                self.assertEqual(self.one("SELECT compress(?, ?, ?)", self.data, codec,
                                          f"threads={t}"), one, f"{codec} threads={t}")
            self.assertEqual(self.one("SELECT decompress(?)", one), self.data, codec)

    def test_typed_codec_in_threads(self):
        import struct
        values = struct.pack("<%dd" % 300_000, *[i * 0.25 for i in range(300_000)])
        one = self.one("SELECT compress(?, 'gorilla', 'threads=1')", values)
        self.assertEqual(self.one("SELECT compress(?, 'gorilla', 'threads=4')", values), one)
        self.assertEqual(self.one("SELECT decompress(?)", one), values)

    def test_with_a_dictionary(self):
        self.db.execute("CREATE TABLE m(t)")
        self.db.executemany("INSERT INTO m VALUES (?)",
                            [(f"row {i} of mail with some words, {i % 7}",) for i in range(500)])
        self.one("SELECT squeeze_train_dict('mail', 'SELECT t FROM m')")
        big = "".join(f"row {i} of mail with some words, {i % 7}\n" for i in range(80000)).encode()
        for codec in ("zstd", "lz4"):
            one = self.one("SELECT compress(?, ?, 'dict=mail,threads=1')", big, codec)
            self.assertEqual(one[0], 0xC3)
            self.assertEqual(self.one("SELECT compress(?, ?, 'dict=mail,threads=3')", big, codec),
                             one)
            self.one("SELECT squeeze_config('threads', 2)")
            self.assertEqual(self.one("SELECT decompress(?)", one), big)
            self.one("SELECT squeeze_config('threads', 1)")

    def test_text_stays_text(self):
        text = self.data.decode("utf-8", "replace")
        self.assertEqual(self.one("SELECT decompress(compress(?, 'zstd', 'threads=2'))", text),
                         text)

    def test_connection_default(self):
        self.assertEqual(self.one("SELECT squeeze_config('threads')"), 1)
        one = self.one("SELECT compress(?)", self.data)
        self.assertEqual(self.one("SELECT squeeze_config('threads', 2)"), 2)
        self.assertEqual(self.one("SELECT squeeze_config('THREADS')"), 2)
        self.assertEqual(self.one("SELECT compress(?)", self.data), one)
        # decompress() runs on the connection's threads too
        self.assertEqual(self.one("SELECT decompress(?)", one), self.data)
        # a damaged block is still an error, never other bytes
        bad = bytearray(one)
        bad[len(bad) // 2] ^= 0x40
        self.assertSqlError("decompress: corrupt data", "SELECT decompress(?)", bytes(bad))

    def test_interrupt_returns_promptly(self):
        # 32 MiB at zstd level 19 takes many seconds; an interrupt 0.3 s in must end it
        # within the blocks in flight: at most 2 per thread, so at most about 4 times one
        # block's time (measured here, as sanitizers and load slow it down) on 2 threads
        self.db.execute("CREATE TABLE t(b)")
        self.db.execute("INSERT INTO t VALUES (?)", (text_corpus(32 << 20),))
        start = time.monotonic()
        self.one("SELECT length(compress(substr(b, 1, 1048576), 'zstd', 19)) FROM t")
        block = time.monotonic() - start
        for options in ("level=19,threads=2", "level=19,threads=1", "format=zstd,level=19"):
            timer = threading.Timer(0.3, self.db.interrupt)
            start = time.monotonic()
            timer.start()
            with self.assertRaises(sqlite3.OperationalError) as cm:
                self.db.execute("SELECT compress(b, 'zstd', ?) FROM t", (options,)).fetchall()
            elapsed = time.monotonic() - start
            timer.join()
            self.assertIn("interrupted", str(cm.exception))
            self.assertLess(elapsed, 0.3 + 4 * block + 1.0, options)
            self.assertLess(elapsed, 32 * block / 2, options)  # well before the end
        # the connection goes on
        self.assertEqual(self.one("SELECT decompress(compress('after'))"), "after")

    def test_thread_errors(self):
        for bad in ("0", "1000", "abc", "2.5", "-1"):
            self.assertSqlError("compress: threads must be an integer from 1 to 64",
                                "SELECT compress('x', 'zstd', ?)", "threads=" + bad)
        for bad in (0, 1000, "abc", 2.5, None):
            self.assertSqlError("squeeze_config: threads must be an integer from 1 to 64",
                                "SELECT squeeze_config('threads', ?)", bad)
        self.assertSqlError("squeeze_config: unknown setting 'cores'",
                            "SELECT squeeze_config('cores')")
        self.assertEqual(self.one("SELECT squeeze_config('threads')"), 1)


@unittest.skipUnless(shutil.which("zstd") and shutil.which("lz4"), "zstd and lz4 tools (make deps)")
class TestStandardFrames(SqlTestCase):
    def tool(self, args, blob):
        """The stdout of a tool run on blob, or a failure naming its stderr."""
        p = subprocess.run(args, input=blob, capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout

    def test_zstd_tool_reads_them(self):
        for data in (b"", b"hello", text_corpus(100_000), text_corpus(2 * (1 << 20) + 5)):
            for options in ("format=zstd", "format=zstd,level=19", "format=zstd,level=-5",
                            "format=zstd,threads=2,level=1", "format=zstd,window=64K"):
                frame = self.one("SELECT compress(?, 'zstd', ?)", data, options)
                self.assertEqual(frame[:4], b"\x28\xb5\x2f\xfd")
                self.assertEqual(self.tool(["zstd", "-dc"], frame), data, options)
                self.assertEqual(self.one("SELECT decompress(?)", frame), data)

    def test_lz4_tool_reads_them(self):
        for data in (b"", b"hello", text_corpus(100_000), text_corpus(2 * (1 << 20) + 5)):
            for options in ("format=lz4", "format=lz4,level=12", "format=lz4,acceleration=8",
                            "format=lz4,threads=3,level=9"):
                frame = self.one("SELECT compress(?, 'lz4', ?)", data, options)
                self.assertEqual(frame[:4], b"\x04\x22\x4d\x18")
                self.assertEqual(self.tool(["lz4", "-dc"], frame), data, options)
                self.assertEqual(self.one("SELECT decompress(?)", frame), data)

    def test_same_bytes_whatever_the_thread_count(self):
        data = text_corpus(3 * (1 << 20) + 1)
        for codec in ("zstd", "lz4"):
            one = self.one("SELECT compress(?, ?, ?)", data, codec, f"format={codec},threads=1")
            two = self.one("SELECT compress(?, ?, ?)", data, codec, f"format={codec},threads=2")
            self.assertEqual(one, two)

    def test_tools_check_the_content(self):
        frame = bytearray(self.one("SELECT compress(?, 'zstd', 'format=zstd')",
                                   text_corpus(50_000)))
        frame[-2] ^= 1  # inside the XXH64 content checksum
        p = subprocess.run(["zstd", "-dc"], input=bytes(frame), capture_output=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertSqlError("decompress: corrupt data", "SELECT decompress(?)", bytes(frame))

    def test_refusals(self):
        self.assertSqlError("compress: format=zstd takes codec 'zstd', not 'lz4'",
                            "SELECT compress('x', 'lz4', 'format=zstd')")
        self.assertSqlError("compress: format=lz4 takes codec 'lz4', not 'lz4hc'",
                            "SELECT compress('x', 'lz4hc', 'format=lz4')")
        self.assertSqlError("compress: format must be squeeze, zstd or lz4, not 'gzip'",
                            "SELECT compress('x', 'zstd', 'format=gzip')")
        self.assertSqlError("compress: format=zstd cannot be combined with checksum=",
                            "SELECT compress('x', 'zstd', 'format=zstd,checksum=off')")
        self.assertSqlError("compress: level 30 out of range for zstd",
                            "SELECT compress('x', 'zstd', 'format=zstd,level=30')")
        # format=squeeze is the default frame
        self.assertEqual(self.one("SELECT compress('hello', 'zstd', 'format=squeeze')"),
                         self.one("SELECT compress('hello', 'zstd')"))


@unittest.skipUnless(sqlite_library(), "libsqlite3.so.0 for sqlite3_memory_highwater")
class TestMemory(SqlTestCase):
    def peak_of(self, sql, *args):
        """Bytes SQLite had allocated at the peak of sql, and the result."""
        lib = sqlite_library()
        lib.sqlite3_memory_highwater(1)
        result = self.one(sql, *args)
        return lib.sqlite3_memory_highwater(0), result

    def test_no_full_size_scratch_copy(self):
        # 64 MiB in a table: reading the row assembles it in one allocation (the input);
        # beyond it and the result, compress() may hold only a few block buffers. The
        # frame layer once held a scratch copy of the bound as well (128 MiB over).
        data = text_corpus(64 << 20)
        self.db.execute("CREATE TABLE t(b)")
        self.db.execute("INSERT INTO t VALUES (?)", (data,))
        lib = sqlite_library()
        for options in ("level=1,threads=1", "level=1,threads=2", "format=zstd,threads=2",
                        "format=zstd,threads=1"):
            codec = "zstd"
            base = lib.sqlite3_memory_used()
            peak, frame = self.peak_of("SELECT compress(b, ?, ?) FROM t", codec, options)
            extra = peak - base - len(data) - len(frame)
            self.assertLess(extra, 16 << 20, f"{options}: {extra} bytes over")
        self.db.execute("UPDATE t SET b = ?", (frame,))
        # decompress: the input and the result only, whatever the threads
        for threads in (1, 2):
            self.one("SELECT squeeze_config('threads', ?)", threads)
            base = lib.sqlite3_memory_used()
            peak, n = self.peak_of("SELECT length(decompress(b)) FROM t")
            self.assertEqual(n, len(data))
            self.assertLess(peak - base - len(frame) - len(data), 4 << 20)


if __name__ == "__main__":
    unittest.main()

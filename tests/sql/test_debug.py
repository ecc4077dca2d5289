"""squeeze_debug(): its lines, the versions it reports, how it is registered."""
import ctypes
import re
import sqlite3
import unittest

from sqz import SqlTestCase


def header_version(path, prefix):
    """MAJOR.MINOR.RELEASE from the #defines prefix_{MAJOR,MINOR,RELEASE} of a header."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parts = [re.search(rf"#define\s+{prefix}_{p}\s+(\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "RELEASE")]
    return ".".join(parts)


def library(soname, fn, restype):
    """fn of the shared library soname, as this process (and so the extension) has it."""
    f = getattr(ctypes.CDLL(soname), fn)
    f.restype, f.argtypes = restype, []
    return f()


class SqueezeDebug(SqlTestCase):
    def lines(self):
        return self.one("SELECT squeeze_debug()").split("\n")

    def test_six_lines_in_order(self):
        lines = self.lines()
        self.assertEqual(len(lines), 6, lines)
        self.assertEqual(lines[0], "squeeze " + self.one("SELECT squeeze_version()"))
        self.assertRegex(lines[1], r"^built \w{3} [ \d]\d \d{4} \d\d:\d\d:\d\d with "
                                   r"(gcc|clang) .+ \(loadable extension\)$")
        for line, name in zip(lines[2:], ("sqlite", "zstd", "lz4", "xxhash")):
            self.assertRegex(line, rf"^{name} \d+\.\d+\.\d+ \(compiled against \d+\.\d+\.\d+\)$")

    def versions(self, name):
        """(running, compiled against) of the line of library name."""
        line = [l for l in self.lines() if l.startswith(name + " ")][0]
        m = re.match(rf"^{name} (\S+) \(compiled against (\S+)\)$", line)
        return m.group(1), m.group(2)

    def test_running_versions_are_the_loaded_libraries(self):
        self.assertEqual(self.versions("sqlite")[0], sqlite3.sqlite_version)
        self.assertEqual(self.versions("zstd")[0],
                         library("libzstd.so.1", "ZSTD_versionString", ctypes.c_char_p).decode())
        self.assertEqual(self.versions("lz4")[0],
                         library("liblz4.so.1", "LZ4_versionString", ctypes.c_char_p).decode())
        n = library("libxxhash.so.0", "XXH_versionNumber", ctypes.c_uint)
        self.assertEqual(self.versions("xxhash")[0], f"{n // 10000}.{n // 100 % 100}.{n % 100}")

    def test_compiled_versions_are_the_headers(self):
        with open("/usr/include/sqlite3.h", encoding="utf-8") as f:
            sqlite_h = re.search(r'#define SQLITE_VERSION\s+"([^"]+)"', f.read()).group(1)
        self.assertEqual(self.versions("sqlite")[1], sqlite_h)
        self.assertEqual(self.versions("zstd")[1],
                         header_version("/usr/include/zstd.h", "ZSTD_VERSION"))
        self.assertEqual(self.versions("lz4")[1],
                         header_version("/usr/include/lz4.h", "LZ4_VERSION"))
        self.assertEqual(self.versions("xxhash")[1],
                         header_version("/usr/include/xxhash.h", "XXH_VERSION"))

    def test_innocuous_not_deterministic(self):
        self.db.execute("PRAGMA trusted_schema = OFF")
        self.db.execute("CREATE VIEW v AS SELECT squeeze_debug() AS d")
        self.assertEqual(self.one("SELECT d = squeeze_debug() FROM v"), 1)
        self.assertSqlError("non-deterministic",
                            "CREATE TABLE g(x, y AS (squeeze_debug()))")
        self.db.execute("CREATE TABLE t(x)")
        self.assertSqlError("non-deterministic", "CREATE INDEX i ON t(squeeze_debug())")

    def test_takes_no_arguments(self):
        self.assertSqlError("wrong number of arguments", "SELECT squeeze_debug(1)")


if __name__ == "__main__":
    unittest.main()

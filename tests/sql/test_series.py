"""gorilla_encode / gorilla_decode and dod_encode / dod_decode through SQL."""
import csv
import datetime
import math
import struct

from sqz import SqlTestCase, DATA
import os


def weather():
    """(epoch seconds, pressure, temperature, wind) rows of the real hourly series."""
    rows = []
    with open(os.path.join(DATA, "seattle-weather-hourly-normals.csv"), newline="") as f:
        for r in csv.DictReader(f):
            ts = int(datetime.datetime.fromisoformat(r["date"]).replace(
                tzinfo=datetime.timezone.utc).timestamp())
            rows.append((ts, float(r["pressure"]), float(r["temperature"]), float(r["wind"])))
    return rows


class Series(SqlTestCase):
    def load(self, values, column="v", kind="REAL"):
        self.db.execute(f"CREATE TABLE s(i INTEGER PRIMARY KEY, {column} {kind})")
        self.db.executemany(f"INSERT INTO s({column}) VALUES (?)", [(v,) for v in values])

    def gorilla_roundtrip(self, values, blob=None):
        if blob is None:
            blob = self.one("SELECT gorilla_encode(v) FROM (SELECT v FROM s ORDER BY i)")
        rows = self.db.execute("SELECT seq, value FROM gorilla_decode(?)", (blob,)).fetchall()
        self.assertEqual([r[0] for r in rows], list(range(1, len(values) + 1)))
        for (seq, got), want in zip(rows, values):
            self.assertEqual(struct.pack("<d", got), struct.pack("<d", want), seq)
        return blob

    def test_gorilla_real_weather(self):
        rows = weather()
        self.assertGreater(len(rows), 8000)
        for col in (1, 2, 3):
            self.db.execute("DROP TABLE IF EXISTS s")
            values = [r[col] for r in rows]
            self.load(values)
            blob = self.gorilla_roundtrip(values)
            self.assertEqual(self.one("SELECT compressed_codec(?)", blob), "gorilla")
            self.assertLess(len(blob), 8 * len(values))  # smaller than the raw doubles

    def test_dod_real_weather_timestamps(self):
        ts = [r[0] for r in weather()]
        self.load(ts, "t", "INTEGER")
        blob = self.one("SELECT dod_encode(t) FROM (SELECT t FROM s ORDER BY i)")
        self.assertEqual(self.one("SELECT compressed_codec(?)", blob), "dod")
        got = [r[0] for r in self.db.execute("SELECT ts FROM dod_decode(?) ORDER BY seq", (blob,))]
        self.assertEqual(got, ts)
        self.assertLess(len(blob) * 8 / len(ts), 2.0)  # hourly steps: a bit or two per value
        # the decoded bytes are the packed little-endian values
        self.assertEqual(self.one("SELECT decompress(?)", blob), struct.pack(f"<{len(ts)}q", *ts))

    def test_special_values(self):
        values = [0.0, -0.0, math.inf, -math.inf, 5e-324, 2.2250738585072014e-308,
                  1.7976931348623157e308, -1.7976931348623157e308, 1.0, 1.0, 1.0, 3.14159]
        # Bound parameters, not a table: SQLite stores an integral REAL such as -0.0
        # as the integer 0 in a record, so a table would not keep -0.0.
        union = " UNION ALL ".join("SELECT ?" for _ in values)
        blob = self.one(f"SELECT gorilla_encode(v) FROM ({union.replace('SELECT ?', 'SELECT ? AS v', 1)})",
                        *values)
        self.gorilla_roundtrip(values, blob)
        # NaN: SQLite has no NaN REAL, so a decoded NaN reads as NULL; the bytes survive.
        nan = struct.pack("<d", float("nan"))
        f = self.one("SELECT compress(?, 'gorilla')", nan * 3)
        self.assertEqual(self.one("SELECT decompress(?)", f), nan * 3)
        self.assertEqual(self.db.execute("SELECT value FROM gorilla_decode(?)", (f,)).fetchall(),
                         [(None,)] * 3)

    def test_edges_empty_one_two(self):
        self.load([])
        self.assertIsNone(self.one("SELECT gorilla_encode(v) FROM s"))
        self.assertIsNone(self.one("SELECT dod_encode(i) FROM s"))
        self.assertEqual(self.db.execute("SELECT * FROM gorilla_decode(NULL)").fetchall(), [])
        for n in (1, 2):
            self.db.execute("DELETE FROM s")
            vals = [42.5 + i for i in range(n)]
            self.db.executemany("INSERT INTO s(v) VALUES (?)", [(v,) for v in vals])
            self.gorilla_roundtrip(vals)

    def test_extreme_timestamps(self):
        ts = [-(2**63), 2**63 - 1, 0, -(2**63), 2**63 - 1, 1, -1, 2**62]
        self.load(ts, "t", "INTEGER")
        blob = self.one("SELECT dod_encode(t) FROM (SELECT t FROM s ORDER BY i)")
        self.assertEqual([r[0] for r in self.db.execute("SELECT ts FROM dod_decode(?)", (blob,))],
                         ts)

    def test_integers_into_gorilla(self):
        self.load([1, 2, 3], "v", "")
        self.gorilla_roundtrip([1.0, 2.0, 3.0])

    def test_errors(self):
        self.assertSqlError("gorilla_encode: NULL at row 2", "SELECT gorilla_encode(v) FROM "
                            "(SELECT 1.0 AS v UNION ALL SELECT NULL)")
        self.assertSqlError("gorilla_encode: value at row 1 is TEXT, not REAL",
                            "SELECT gorilla_encode('x')")
        self.assertSqlError("gorilla_encode: INTEGER 9007199254740993 at row 1 has no exact REAL",
                            "SELECT gorilla_encode(9007199254740993)")
        self.assertSqlError("dod_encode: ts at row 1 is REAL, not INTEGER",
                            "SELECT dod_encode(1.5)")
        self.assertSqlError("dod_encode: NULL at row 1", "SELECT dod_encode(NULL)")
        self.assertSqlError("gorilla_decode: blob holds codec 'dod', not gorilla",
                            "SELECT * FROM gorilla_decode((SELECT dod_encode(5)))")
        self.assertSqlError("dod_decode: blob holds codec 'zstd', not dod",
                            "SELECT * FROM dod_decode(compress(zeroblob(64)))")
        self.assertSqlError("gorilla_decode: not a squeeze frame",
                            "SELECT * FROM gorilla_decode(x'0102030405')")
        self.assertSqlError("gorilla_decode: argument must be a BLOB",
                            "SELECT * FROM gorilla_decode('text')")
        blob = bytearray(self.one("SELECT gorilla_encode(v) FROM (SELECT 1.5 AS v UNION ALL "
                                  "SELECT 2.25 UNION ALL SELECT 7.0)"))
        for cut in range(1, len(blob)):
            self.assertSqlError("gorilla_decode:", "SELECT * FROM gorilla_decode(?)",
                                bytes(blob[:cut]))
        blob[-1] ^= 0x40
        self.assertSqlError("gorilla_decode: corrupt data", "SELECT * FROM gorilla_decode(?)",
                            bytes(blob))

    def test_typed_codecs_through_compress(self):
        packed = struct.pack("<4d", 1.5, 2.5, 2.5, -0.0)
        for codec in self.db.execute("SELECT name FROM squeeze_codecs WHERE kind = 'float64'"):
            f = self.one("SELECT compress(?, ?)", packed, codec[0])
            self.assertEqual(self.one("SELECT decompress(?)", f), packed)
            self.assertEqual(self.one("SELECT count(*) FROM gorilla_decode(?)", f), 4)
        ints = struct.pack("<3q", 10, 20, 35)
        for codec in self.db.execute("SELECT name FROM squeeze_codecs WHERE kind = 'int64'"):
            f = self.one("SELECT compress(?, ?)", ints, codec[0])
            self.assertEqual(self.one("SELECT group_concat(ts) FROM dod_decode(?)", f), "10,20,35")
        self.assertSqlError("compress: codec 'gorilla' takes a BLOB of little-endian 8-byte "
                            "values; 7 bytes is not a multiple of 8",
                            "SELECT compress(zeroblob(7), 'gorilla')")
        self.assertSqlError("compress: codec 'dod' takes a BLOB of little-endian 8-byte values, "
                            "not TEXT", "SELECT compress('abcdefgh', 'dod')")

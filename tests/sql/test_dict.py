"""Trained dictionaries: squeeze_train_dict, compress(x, codec, 'dict=name'), decompress of
version-3 frames, the squeeze_dict table, squeeze_cache_stats (docs/dictionaries.md)."""
import csv
import ctypes
import gc
import os
import re
import sqlite3
import tempfile
import threading
import unittest

from sqz import DATA, SqlTestCase, connect

FIELDS = ["Airport Name", "Aircraft Make Model", "Effect Amount of damage", "Flight Date",
          "Aircraft Airline Operator", "Origin State", "Phase of flight", "Wildlife Size",
          "Wildlife Species", "Time of day", "Cost Other", "Cost Repair", "Cost Total $",
          "Speed IAS in knots"]


def load_birds(db):
    """The bird strikes as table birds(f0..f13) and the view bird_json(id, body): each row
    a JSON array of its 14 fields, as sql/demo.sql builds them."""
    with open(os.path.join(DATA, "birdstrikes.csv"), newline="") as f:
        rows = list(csv.reader(f))[1:]
    cols = ", ".join(f"f{i}" for i in range(14))
    db.execute(f"CREATE TABLE birds({cols})")
    db.executemany(f"INSERT INTO birds VALUES({', '.join('?' * 14)})", rows)
    db.execute(f"CREATE VIEW bird_json AS SELECT rowid AS id, json_array({cols}) AS body"
               " FROM birds")
    return len(rows)


def varint(b, pos):
    """(value, next position) of the LEB128 varint at b[pos]."""
    v = shift = 0
    while True:
        v |= (b[pos] & 0x7F) << shift
        shift += 7
        pos += 1
        if not b[pos - 1] & 0x80:
            return v, pos


def frame_dict_id(frame):
    """The dictionary id a version-3 frame records (docs/format.md)."""
    assert frame[0] == 0xC3
    _, pos = varint(frame, 2)
    if frame[1] & 0x40:
        pos += 4
    return varint(frame, pos)[0]


LIBC = ctypes.CDLL(None)
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")
WARM_CONNECTIONS = 200
RSS_SLACK = 512 << 10


def rss_bytes():
    """This process's resident memory in bytes (/proc/self/statm), after a garbage
    collection and glibc's malloc_trim(0), which gives the free pages of every arena back
    to the system: what stays resident is what is still allocated, so memory that a leak
    holds shows even where freed memory could have hidden it."""
    gc.collect()
    LIBC.malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cache_row(db):
    return db.execute("SELECT entries, in_use, bytes, capacity, hits, misses, evictions"
                      " FROM squeeze_cache_stats WHERE name = 'dictionaries'").fetchone()


class DictTestCase(SqlTestCase):
    """A connection with the bird strikes and a dictionary 'birds' trained on their JSON."""

    def setUp(self):
        super().setUp()
        self.rows = load_birds(self.db)
        self.dict_id = self.one("SELECT squeeze_train_dict('birds', 'SELECT body FROM bird_json')")


class RoundTrip(DictTestCase):
    def test_json_rows_zstd(self):
        bad = self.one("SELECT count(*) FROM bird_json"
                       " WHERE decompress(compress(body, 'zstd', 'dict=birds')) IS NOT body")
        self.assertEqual(bad, 0)
        raw, plain, trained = self.db.execute(
            "SELECT sum(length(body)), sum(length(compress(body))),"
            " sum(length(compress(body, 'zstd', 'dict=birds'))) FROM bird_json").fetchone()
        self.assertEqual(raw, 1503108)
        self.assertGreater(plain / trained, 3.0)  # x1.08 without, x3.7 with (measured)
        self.assertGreater(raw / trained, 3.5)

    def test_json_rows_lz4(self):
        bad = self.one("SELECT count(*) FROM bird_json"
                       " WHERE decompress(compress(body, 'lz4', 'dict=birds')) IS NOT body")
        self.assertEqual(bad, 0)
        plain, trained = self.db.execute(
            "SELECT sum(length(compress(body, 'lz4'))),"
            " sum(length(compress(body, 'lz4', 'dict=birds'))) FROM bird_json").fetchone()
        self.assertLess(trained * 2, plain)
        self.assertEqual(self.one("SELECT decompress(compress(body, 'lz4', 'level=2,dict=birds'))"
                                  " = body FROM bird_json WHERE id = 7"), 1)

    def test_short_text_columns(self):
        for col in ["f0", "f1", "f8"]:
            with self.subTest(column=col):
                did = self.one(f"SELECT squeeze_train_dict('{col}', 'SELECT {col} FROM birds')")
                self.assertGreater(did, self.dict_id)
                bad = self.one(f"SELECT count(*) FROM birds WHERE"
                               f" decompress(compress({col}, 'zstd', 'dict={col}')) IS NOT {col}")
                self.assertEqual(bad, 0)
                raw, plain, trained = self.db.execute(
                    f"SELECT sum(length({col})), sum(length(compress({col}))),"
                    f" sum(length(compress({col}, 'zstd', 'dict={col}'))) FROM birds").fetchone()
                self.assertLess(trained, plain)

    def test_blob_text_types_and_levels(self):
        for value in ["a row of text that the dictionary has seen: BARKSDALE AIR FORCE BASE ARPT",
                      b"BARKSDALE AIR FORCE BASE ARPT as bytes \x00\x01", "", b""]:
            for opts in ["dict=birds", "level=19,dict=birds", "level=-5,dict=birds",
                         "checksum=off,dict=birds", "dict = 'birds' , level = 1"]:
                with self.subTest(value=value, opts=opts):
                    row = self.db.execute(
                        "SELECT typeof(x), x FROM (SELECT decompress(compress(?, 'zstd', ?)) AS x)",
                        (value, opts)).fetchone()
                    self.assertEqual(row[1], value)
                    self.assertEqual(row[0], "text" if isinstance(value, str) else "blob")

    def test_large_values_and_blocks(self):
        # values over 128 KiB keep a zstd frame; over 1 MiB they are blocked
        body = self.one("SELECT group_concat(body, char(10)) FROM bird_json")
        for n in [1000, 128 * 1024 - 1, 128 * 1024, 128 * 1024 + 1, 1 << 20, (1 << 20) + 5000]:
            with self.subTest(n=n):
                v = body[:n]
                frame = self.one("SELECT compress(?, 'zstd', 'dict=birds')", v)
                self.assertEqual(frame[0], 0xC3)
                self.assertEqual(self.one("SELECT decompress(?)", frame), v)

    def test_headers(self):
        frame = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 1")
        self.assertEqual(frame[0], 0xC3)
        self.assertEqual(self.db.execute(
            "SELECT is_compressed(?1), compressed_codec(?1), decompressed_size(?1)",
            (frame,)).fetchone(), (1, "zstd", 141))
        # header: C3, descriptor, size varint (2 bytes: 141), checksum 4, id 1, tag 2 bytes
        self.assertEqual(frame[1] & 0x1F, 1)
        self.assertEqual(frame[8], self.dict_id)
        self.assertEqual(frame_dict_id(frame), self.dict_id)
        nock = self.one("SELECT compress(body, 'zstd', 'checksum=off,dict=birds') FROM bird_json"
                        " WHERE id = 1")
        self.assertEqual(len(nock), len(frame) - 4 + 2)  # no checksum: a 4-byte tag

    def test_stored_values_need_no_dictionary(self):
        frame = self.one("SELECT compress(randomblob(50), 'zstd', 'dict=birds')")
        self.assertEqual(frame[0], 0xC2)
        self.assertEqual(self.one("SELECT compressed_codec(?)", frame), "store")
        self.db.execute("DELETE FROM squeeze_dict")
        self.assertEqual(len(self.one("SELECT decompress(?)", frame)), 50)

    def test_deterministic(self):
        a = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 42")
        b = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 42")
        self.assertEqual(a, b)
        # the same rows train the same dictionary, in another database too
        other = connect()
        load_birds(other)
        other.execute("SELECT squeeze_train_dict('birds', 'SELECT body FROM bird_json')")
        self.assertEqual(other.execute("SELECT bytes, hash FROM squeeze_dict").fetchone(),
                         self.db.execute("SELECT bytes, hash FROM squeeze_dict").fetchone())
        self.assertEqual(other.execute("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json"
                                       " WHERE id = 42").fetchone()[0], a)
        other.close()

    def test_default_level_is_the_dictionary_s(self):
        self.one("SELECT squeeze_train_dict('b9', 'SELECT body FROM bird_json', 'level=9')")
        self.assertEqual(self.one("SELECT level FROM squeeze_dict WHERE name = 'b9'"), 9)
        same = self.one("SELECT compress(body, 'zstd', 'dict=b9') = compress(body, 'zstd',"
                        " 'level=9,dict=b9') FROM bird_json WHERE id = 3")
        self.assertEqual(same, 1)


class Table(DictTestCase):
    def test_row(self):
        row = self.db.execute("SELECT id, name, length(bytes), hash, samples, sample_bytes, level,"
                              " created_at FROM squeeze_dict").fetchone()
        self.assertEqual(row[:3], (1, "birds", 16384))
        self.assertRegex(row[3], "^[0-9a-f]{32}$")
        self.assertEqual(row[4:7], (self.rows, 1503108, 3))
        self.assertRegex(row[7], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

    def test_options(self):
        i = self.one("SELECT squeeze_train_dict('small', 'SELECT body FROM bird_json',"
                     " 'size=4K,level=1,sample_bytes=64K')")
        row = self.db.execute("SELECT length(bytes) <= 4096, samples < 1000, sample_bytes <= 65536,"
                              " level FROM squeeze_dict WHERE id = ?", (i,)).fetchone()
        self.assertEqual(row, (1, 1, 1, 1))

    def test_sampling_is_deterministic_and_bounded(self):
        ids = [self.one("SELECT squeeze_train_dict('s', 'SELECT body FROM bird_json"
                        " ORDER BY id', 'sample_bytes=100K')") for _ in range(2)]
        a, b = (self.db.execute("SELECT bytes, samples, sample_bytes FROM squeeze_dict"
                                " WHERE id = ?", (i,)).fetchone() for i in ids)
        self.assertEqual(a, b)
        self.assertLessEqual(a[2], 100 * 1024)
        self.assertGreater(a[1], 500)

    def test_retrain_gives_a_new_id_and_old_frames_still_decode(self):
        old = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 5")
        new_id = self.one("SELECT squeeze_train_dict('birds', 'SELECT f8 FROM birds')")
        self.assertEqual(new_id, self.dict_id + 1)
        new = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 5")
        self.assertEqual(frame_dict_id(old), self.dict_id)
        self.assertEqual(frame_dict_id(new), new_id)
        body = self.one("SELECT body FROM bird_json WHERE id = 5")
        self.assertEqual(self.one("SELECT decompress(?)", old), body)
        self.assertEqual(self.one("SELECT decompress(?)", new), body)

    def test_ids_are_not_reused(self):
        newest = self.one("SELECT squeeze_train_dict('x', 'SELECT body FROM bird_json')")
        self.db.execute("DELETE FROM squeeze_dict WHERE id = ?", (newest,))
        again = self.one("SELECT squeeze_train_dict('x', 'SELECT body FROM bird_json')")
        self.assertEqual(again, newest + 1)  # AUTOINCREMENT

    def test_dump_carries_it(self):
        frames = self.db.execute("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json"
                                 " WHERE id <= 20").fetchall()
        dump = "\n".join(self.db.iterdump())
        self.assertIn('CREATE TABLE squeeze_dict(', dump)
        copy = connect()
        copy.executescript(dump)
        for (frame,) in frames:
            self.assertIsNotNone(copy.execute("SELECT decompress(?)", (frame,)).fetchone()[0])
        copy.close()

    def test_backup_carries_it(self):
        frame = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json WHERE id = 9")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "copy.db")
            target = sqlite3.connect(path)
            self.db.backup(target)
            target.close()
            copy = connect(path)
            self.assertEqual(copy.execute("SELECT decompress(?)", (frame,)).fetchone()[0],
                             self.one("SELECT body FROM bird_json WHERE id = 9"))
            copy.close()

    def test_last_insert_rowid_is_the_caller_s(self):
        self.db.execute("CREATE TABLE t(x)")
        self.db.execute("INSERT INTO t VALUES(1), (2), (3)")
        self.one("SELECT squeeze_train_dict('y', 'SELECT body FROM bird_json')")
        self.assertEqual(self.one("SELECT last_insert_rowid()"), 3)


class Errors(DictTestCase):
    def frame(self, row=1, opts="dict=birds"):
        return self.one("SELECT compress(body, 'zstd', ?) FROM bird_json WHERE id = ?", opts, row)

    def test_deleted_dictionary(self):
        frame = self.frame()
        self.db.execute("DELETE FROM squeeze_dict WHERE id = 1")
        self.assertSqlError("decompress: dictionary 1 not found", "SELECT decompress(?)", frame)
        fresh = connect()
        with self.assertRaisesRegex(sqlite3.Error, "^decompress: dictionary 1 not found$"):
            fresh.execute("SELECT decompress(?)", (frame,)).fetchone()
        fresh.close()

    def test_lz4_frames_of_a_deleted_replaced_or_truncated_dictionary(self):
        frame = self.frame(opts="dict=birds", row=3)
        lz4 = self.one("SELECT compress(body, 'lz4', 'dict=birds') FROM bird_json WHERE id = 3")
        self.assertEqual(lz4[0], 0xC3)
        self.one("SELECT squeeze_train_dict('other', 'SELECT f0 FROM birds')")
        for change, msg in [("DELETE FROM squeeze_dict WHERE id = 1", "dictionary 1 not found"),
                            ("UPDATE squeeze_dict SET (bytes, hash) = (SELECT bytes, hash FROM"
                             " squeeze_dict WHERE name = 'other') WHERE id = 1",
                             "dictionary 1 does not match its hash"),
                            ("UPDATE squeeze_dict SET bytes = substr(bytes, 1, length(bytes) / 2)"
                             " WHERE id = 1", "dictionary 1 does not match its hash")]:
            with self.subTest(change=change):
                self.db.execute("SAVEPOINT s")
                self.db.execute(change)
                for f in (lz4, frame):
                    self.assertSqlError("decompress: " + msg, "SELECT decompress(?)", f)
                self.db.execute("ROLLBACK TO s")
                self.db.execute("RELEASE s")
        self.assertEqual(self.one("SELECT decompress(?)", lz4),
                         self.one("SELECT body FROM bird_json WHERE id = 3"))

    def test_replaced_dictionary(self):
        frame = self.frame()
        self.one("SELECT squeeze_train_dict('other', 'SELECT f8 FROM birds')")
        self.db.execute("UPDATE squeeze_dict SET (bytes, hash) = (SELECT bytes, hash FROM"
                        " squeeze_dict WHERE name = 'other') WHERE id = 1")
        self.assertSqlError("decompress: dictionary 1 does not match its hash",
                            "SELECT decompress(?)", frame)

    def test_altered_or_truncated_bytes(self):
        frame = self.frame()
        for change in ["bytes = substr(bytes, 1, 1000)", "bytes = x''",
                       "bytes = substr(bytes, 1, 99) || (CASE substr(bytes, 100, 1) WHEN x'00' THEN x'01'"
                       " ELSE x'00' END) || substr(bytes, 101)",
                       "bytes = bytes || x'00'"]:
            with self.subTest(change=change):
                self.db.execute("SAVEPOINT s")
                self.db.execute(f"UPDATE squeeze_dict SET {change} WHERE id = 1")
                self.assertSqlError("decompress: dictionary 1 does not match its hash",
                                    "SELECT decompress(?)", frame)
                self.assertSqlError("compress: dictionary 1 does not match its hash",
                                    "SELECT compress('x', 'zstd', 'dict=birds')")
                self.db.execute("ROLLBACK TO s")
                self.db.execute("RELEASE s")
        self.assertIsNotNone(self.one("SELECT decompress(?)", frame))

    def test_altered_bytes_seen_by_a_new_connection(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "d.db")
            db = connect(path)
            load_birds(db)
            db.execute("SELECT squeeze_train_dict('birds', 'SELECT body FROM bird_json')")
            frame = db.execute("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json"
                               " WHERE id = 1").fetchone()[0]
            other = connect(path)
            other.execute("UPDATE squeeze_dict SET bytes = zeroblob(length(bytes))")
            other.close()
            fresh = connect(path)
            with self.assertRaisesRegex(sqlite3.Error, "dictionary 1 does not match its hash"):
                fresh.execute("SELECT decompress(?)", (frame,)).fetchone()
            fresh.close()
            db.close()

    def test_hostile_rows(self):
        frame = self.frame()
        for change, msg in [("hash = 'not a hash'", "dictionary 1 has no valid hash"),
                            ("hash = NULL", "dictionary 1 has no valid hash"),
                            ("bytes = zeroblob(2000000)", "dictionary 1 is 2000000 bytes"),
                            ("bytes = NULL", "does not match its hash")]:
            with self.subTest(change=change):
                self.db.execute("SAVEPOINT s")
                self.db.execute("PRAGMA ignore_check_constraints = 1")
                self.db.execute("CREATE TABLE tmp AS SELECT * FROM squeeze_dict")
                self.db.execute("DROP TABLE squeeze_dict")
                self.db.execute("CREATE TABLE squeeze_dict AS SELECT * FROM tmp")
                self.db.execute(f"UPDATE squeeze_dict SET {change}")
                self.assertSqlError(msg, "SELECT decompress(?)", frame)
                self.db.execute("ROLLBACK TO s")
                self.db.execute("RELEASE s")

    def test_missing_table_and_database(self):
        frame = self.frame()
        self.db.execute("DROP TABLE squeeze_dict")
        self.assertSqlError("decompress: dictionary 1 not found", "SELECT decompress(?)", frame)
        self.assertSqlError("compress: no dictionary named 'birds'",
                            "SELECT compress('x', 'zstd', 'dict=birds')")

    def test_unknown_name(self):
        self.assertSqlError("compress: no dictionary named 'nope' (squeeze_train_dict makes one)",
                            "SELECT compress('x', 'zstd', 'dict=nope')")

    def test_bad_compress_options(self):
        for opts, msg in [
                ("dict=birds", "codec 'huffman' takes no dictionary (dict= works with zstd and lz4)"),
                ("window=64K,dict=birds", "window cannot be combined with dict="),
                ("dict=", "dict must be a name of 1 to 200 bytes"),
                ("dict=birds,dict=birds", "option 'dict' is given twice")]:
            with self.subTest(opts=opts):
                codec = "huffman" if "huffman" in msg else "zstd"
                self.assertSqlError("compress: " + msg, "SELECT compress('x', ?, ?)", codec, opts)
        self.assertSqlError("compress: dict= takes lz4 levels 1 and 2 (LZ4's fast compressor), not 9",
                            "SELECT compress('x', 'lz4', 'level=9,dict=birds')")
        self.assertSqlError("compress: codec 'lz4hc' takes no dictionary",
                            "SELECT compress('x', 'lz4hc', 'dict=birds')")

    def test_bad_train_arguments(self):
        q = "'SELECT body FROM bird_json'"
        for args, msg in [
                (f"'a,b', {q}", "name 'a,b' cannot be named in compress()'s options"),
                (f"'', {q}", "name '' cannot be named"),
                (f"' x', {q}", "name ' x' cannot be named"),
                (f"NULL, {q}", "name must be TEXT, not NULL"),
                (f"7, {q}", "name must be TEXT, not INTEGER"),
                ("'n', NULL", "query must be TEXT (a SELECT), not NULL"),
                ("'n', 'SELEKT 1'", "query: near \"SELEKT\": syntax error"),
                ("'n', 'DELETE FROM birds'", "query must be a SELECT"),
                ("'n', 'SELECT 1; SELECT 2'", "query must be one statement; 'SELECT 2' follows it"),
                ("'n', ''", "query: empty"),
                (f"'n', {q}, 'size=100'", "size must be"),
                (f"'n', {q}, 'size=2M'", "size must be"),
                (f"'n', {q}, 'level=23'", "level must be"),
                (f"'n', {q}, 'zip=1'", "unknown option 'zip' (known: size, level, sample_bytes, schema)"),
                (f"'n', {q}, 'sample_bytes=10'", "sample_bytes must be"),
                (f"'n', {q}, 'schema=nowhere'", "storing the dictionary in nowhere.squeeze_dict"),
        ]:
            with self.subTest(args=args):
                self.assertSqlError("squeeze_train_dict: " + msg,
                                    f"SELECT squeeze_train_dict({args})")
        self.assertEqual(self.one("SELECT count(*) FROM squeeze_dict"), 1)

    def test_too_few_samples(self):
        self.assertSqlError("squeeze_train_dict: the query returned no TEXT or BLOB values",
                            "SELECT squeeze_train_dict('n', 'SELECT body FROM bird_json WHERE 0')")
        self.assertSqlError("squeeze_train_dict: the query returned no TEXT or BLOB values"
                            " to train on (rows with NULL or a number: 2)",
                            "SELECT squeeze_train_dict('n', 'SELECT NULL UNION ALL SELECT 1')")
        for n in [1, 6]:
            with self.subTest(values=n):
                self.assertSqlError(
                    f"squeeze_train_dict: too few samples to train a dictionary: {n} values of",
                    f"SELECT squeeze_train_dict('n', 'SELECT body FROM bird_json LIMIT {n}')")
        # 10 values are enough for ZDICT: a small dictionary that still round-trips
        i = self.one("SELECT squeeze_train_dict('ten', 'SELECT body FROM bird_json LIMIT 10')")
        self.assertEqual(self.one("SELECT samples FROM squeeze_dict WHERE id = ?", i), 10)
        self.assertLess(self.one("SELECT length(bytes) FROM squeeze_dict WHERE id = ?", i), 16384)
        self.assertEqual(self.one("SELECT count(*) FROM bird_json WHERE"
                                  " decompress(compress(body, 'zstd', 'dict=ten')) IS NOT body"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM squeeze_dict"), 2)

    def test_length_limit(self):
        self.db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 100000)
        e = self.assertSqlError("squeeze_train_dict: sample_bytes 1638400 is larger than the"
                                " length limit (100000 bytes)",
                                "SELECT squeeze_train_dict('n', 'SELECT body FROM bird_json')")
        self.assertEqual(e.sqlite_errorcode, sqlite3.SQLITE_TOOBIG)

    def test_directonly(self):
        self.db.execute("CREATE TABLE t(x)")
        self.db.execute("CREATE TRIGGER tr AFTER INSERT ON t BEGIN"
                        " SELECT squeeze_train_dict('t', 'SELECT body FROM bird_json'); END")
        self.assertSqlError("unsafe use of squeeze_train_dict()", "INSERT INTO t VALUES(1)")
        self.db.execute("CREATE VIEW v AS SELECT squeeze_train_dict('v', 'SELECT 1') AS id")
        self.assertSqlError("unsafe use of squeeze_train_dict()", "SELECT * FROM v")

    def test_hostile_frames(self):
        frame = bytearray(self.frame())
        for change, msg in [((8, 0), "not a squeeze, zstd or lz4 frame, or a damaged header"),
                            ((1, (frame[1] & 0xE0)), "not a squeeze, zstd or lz4 frame"),
                            ((8, 99), "decompress: dictionary 99 not found")]:
            with self.subTest(change=change):
                f = bytearray(frame)
                f[change[0]] = change[1]
                self.assertSqlError(msg, "SELECT decompress(?)", bytes(f))
        # a flipped tag bit: the tag no longer matches the row
        f = bytearray(frame)
        f[9] ^= 1
        self.assertSqlError("decompress: dictionary 1 does not match its hash",
                            "SELECT decompress(?)", bytes(f))


class Schemas(DictTestCase):
    def test_attached(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "aux.db")
            self.db.execute("ATTACH ? AS aux", (path,))
            i = self.one("SELECT squeeze_train_dict('air', 'SELECT f0 FROM birds', 'schema=aux')")
            self.assertEqual(i, 1)  # aux's own first id: same number as main's 'birds'
            self.assertEqual(self.one("SELECT count(*) FROM aux.squeeze_dict"), 1)
            f_aux = self.one("SELECT compress(f0, 'zstd', 'dict=air') FROM birds WHERE rowid = 3")
            f_main = self.one("SELECT compress(body, 'zstd', 'dict=birds') FROM bird_json"
                              " WHERE id = 3")
            self.assertEqual((frame_dict_id(f_aux), frame_dict_id(f_main)), (1, 1))
            # both frames say id 1; the tag picks the right database
            self.assertEqual(self.one("SELECT decompress(?)", f_aux),
                             self.one("SELECT f0 FROM birds WHERE rowid = 3"))
            self.assertEqual(self.one("SELECT decompress(?)", f_main),
                             self.one("SELECT body FROM bird_json WHERE id = 3"))
            # a name in main comes first
            self.one("SELECT squeeze_train_dict('air', 'SELECT body FROM bird_json')")
            f = self.one("SELECT compress(f0, 'zstd', 'dict=air') FROM birds WHERE rowid = 3")
            self.assertEqual(frame_dict_id(f), 2)
            self.db.execute("DETACH aux")
            self.assertSqlError("decompress: dictionary 1 does not match its hash",
                                "SELECT decompress(?)", f_aux)

    def test_rollback_forgets_a_trained_name(self):
        for mode in ["delete", "wal"]:
            with self.subTest(journal=mode), tempfile.TemporaryDirectory() as tmp:
                db = connect(os.path.join(tmp, "r.db"))
                db.execute(f"PRAGMA journal_mode = {mode}")
                load_birds(db)
                db.execute("BEGIN")
                db.execute("SELECT squeeze_train_dict('r', 'SELECT body FROM bird_json')")
                inside = db.execute("SELECT compress(body, 'zstd', 'dict=r') FROM bird_json"
                                    " WHERE id = 1").fetchone()[0]
                self.assertIsNotNone(db.execute("SELECT decompress(?)", (inside,)).fetchone())
                db.execute("ROLLBACK")
                with self.assertRaisesRegex(sqlite3.Error, "no dictionary named 'r'"):
                    db.execute("SELECT compress('x', 'zstd', 'dict=r')").fetchone()
                # the same id again, other bytes: frames name the new one
                db.execute("SELECT squeeze_train_dict('r', 'SELECT f8 FROM birds')")
                new = db.execute("SELECT compress(f8, 'zstd', 'dict=r') FROM birds"
                                 " WHERE rowid = 1").fetchone()[0]
                fresh = connect(os.path.join(tmp, "r.db"))
                self.assertEqual(fresh.execute("SELECT decompress(?)", (new,)).fetchone()[0],
                                 db.execute("SELECT f8 FROM birds WHERE rowid = 1").fetchone()[0])
                fresh.close()
                db.close()

    def test_other_connection_trains_and_deletes(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "o.db")
            a, b = connect(path), connect(path)
            load_birds(a)
            a.execute("SELECT squeeze_train_dict('o', 'SELECT body FROM bird_json')")
            f1 = a.execute("SELECT compress('x', 'zstd', 'dict=o')").fetchone()[0]
            b.execute("SELECT squeeze_train_dict('o', 'SELECT f8 FROM birds')")
            f2 = a.execute("SELECT compress('x', 'zstd', 'dict=o')").fetchone()[0]
            self.assertEqual((f1[0], f2[0]), (0xC2, 0xC2))  # 'x' is stored
            f2 = a.execute("SELECT compress(f8, 'zstd', 'dict=o') FROM birds"
                           " WHERE rowid = 2").fetchone()[0]
            self.assertEqual(frame_dict_id(f2), 2)  # a sees b's new dictionary
            b.execute("DELETE FROM squeeze_dict")
            with self.assertRaisesRegex(sqlite3.Error, "no dictionary named 'o'"):
                a.execute("SELECT compress('x', 'zstd', 'dict=o')").fetchone()
            a.close()
            b.close()


class StatementMemo(DictTestCase):
    """decompress() trusts a dictionary it found for the rest of a statement only while that
    statement's own read transaction keeps other connections' commits out (fn_compress.c)."""

    def test_many_dictionaries_in_one_statement(self):
        # more dictionaries than the memo holds (4), interleaved row by row
        for i in range(6):
            self.one(f"SELECT squeeze_train_dict('d{i}', 'SELECT body FROM bird_json"
                     f" WHERE id % 6 = {i}')")
        self.db.execute("CREATE TABLE m AS SELECT id AS k, body AS v FROM bird_json")
        self.db.execute("ALTER TABLE m ADD z")
        self.db.execute("UPDATE m SET z = compress(v, 'zstd', 'dict=d' || (k % 6))")
        ids = {frame_dict_id(z) for (z,) in self.db.execute("SELECT z FROM m WHERE z >= x'c3'"
                                                           " AND z < x'c4'")}
        self.assertEqual(len(ids), 6)
        self.assertEqual(self.one("SELECT count(*) FROM m WHERE decompress(z) IS NOT v"), 0)
        self.assertEqual(self.one("SELECT count(*) FROM m WHERE decompress(z) IS v"), self.rows)

    @staticmethod
    def trained(path, mode):
        """A connection to a new database at path in journal mode, with the bird strikes and
        a dictionary 'd' trained on their JSON."""
        db = connect(path)
        db.execute(f"PRAGMA journal_mode = {mode}")
        load_birds(db)
        db.execute("SELECT squeeze_train_dict('d', 'SELECT body FROM bird_json')")
        return db

    def test_deleted_by_another_connection_while_a_statement_runs(self):
        for mode in ["delete", "wal"]:
            with self.subTest(journal=mode), tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "m.db")
                a = self.trained(path, mode)
                frame = a.execute("SELECT compress(body, 'zstd', 'dict=d') FROM bird_json"
                                  " WHERE id = 1").fetchone()[0]
                # a statement that reads no table holds no read transaction between its
                # rows: a dictionary deleted meanwhile is an error at its next row
                cur = a.execute("SELECT decompress(column1) FROM (VALUES (?1), (?1), (?1), (?1))",
                                (frame,))
                self.assertIsNotNone(cur.fetchone()[0])
                b = connect(path)
                b.execute("DELETE FROM squeeze_dict")
                with self.assertRaisesRegex(sqlite3.Error, "dictionary 1 not found"):
                    cur.fetchall()
                b.close()
                a.close()

    def test_a_statement_keeps_its_snapshot(self):
        # WAL: another connection may commit while a statement reads; the statement goes on
        # with the dictionary of its snapshot, the next one sees the deletion
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.db")
            a = self.trained(path, "wal")
            a.execute("CREATE TABLE t AS SELECT id, body, compress(body, 'zstd', 'dict=d') AS z"
                      " FROM bird_json WHERE id <= 100")
            cur = a.execute("SELECT decompress(z) IS body FROM t ORDER BY id")
            self.assertEqual(cur.fetchone()[0], 1)
            b = connect(path)
            b.execute("DELETE FROM squeeze_dict")
            self.assertEqual({r[0] for r in cur.fetchall()}, {1})
            with self.assertRaisesRegex(sqlite3.Error, "dictionary 1 not found"):
                a.execute("SELECT decompress(z) FROM t").fetchall()
            b.close()
            a.close()


class Cache(SqlTestCase):
    def setUp(self):
        super().setUp()
        load_birds(self.db)

    def test_stats_row(self):
        cols = [d[0] for d in self.db.execute("SELECT * FROM squeeze_cache_stats").description]
        self.assertEqual(cols, ["name", "scope", "entries", "in_use", "bytes", "capacity", "hits",
                                "misses", "evictions", "rejected", "recoveries", "fallbacks"])
        self.assertEqual(self.db.execute("SELECT name, scope FROM squeeze_cache_stats").fetchall(),
                         [("dictionaries", "process"), ("chunks", "process"),
                          ("chunks", "shared")])

    def test_another_connection_does_not_digest_again(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "c.db")
            a = connect(path)
            load_birds(a)
            a.execute("SELECT squeeze_train_dict('c', 'SELECT body FROM bird_json')")
            a.execute("SELECT compress(body, 'zstd', 'dict=c') FROM bird_json").fetchall()
            frame = a.execute("SELECT compress(body, 'zstd', 'dict=c') FROM bird_json"
                              " WHERE id = 1").fetchone()[0]
            a.execute("SELECT decompress(?)", (frame,)).fetchone()
            before = cache_row(a)
            b = connect(path)
            self.assertEqual(b.execute("SELECT decompress(compress(body, 'zstd', 'dict=c'))"
                                       " = body FROM bird_json WHERE id = 2").fetchone()[0], 1)
            after = cache_row(b)
            # entries, bytes, capacity, misses unchanged: nothing digested again; one more hit
            self.assertEqual((after[0], after[2], after[3], after[5]),
                             (before[0], before[2], before[3], before[5]))
            self.assertGreater(after[4], before[4])
            b.close()
            a.close()

    def test_connections_opening_and_closing_while_others_compress(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.db")
            setup = connect(path)
            load_birds(setup)
            setup.execute("SELECT squeeze_train_dict('m', 'SELECT body FROM bird_json')")
            setup.execute("SELECT squeeze_train_dict('m2', 'SELECT f0 FROM birds')")
            setup.execute("SELECT decompress(compress('warm up: BARKSDALE AIR FORCE BASE ARPT',"
                          " 'zstd', 'dict=m')), decompress(compress('warm BARKSDALE', 'lz4',"
                          " 'dict=m2')), decompress(compress('BARKSDALE', 'zstd', 'dict=m2')),"
                          " decompress(compress('warm up: BARKSDALE AIR FORCE BASE', 'lz4',"
                          " 'dict=m'))")
            setup.close()
            start = cache_row(self.db)
            rss_warm = None
            stop = threading.Event()
            errors = []

            def worker(codec, name):
                try:
                    db = connect(path)
                    while not stop.is_set():
                        ok = db.execute(f"SELECT count(*) FROM (SELECT body FROM bird_json"
                                        f" WHERE id % 50 = 0) WHERE decompress(compress(body,"
                                        f" '{codec}', 'dict={name}')) IS NOT body").fetchone()[0]
                        if ok != 0:
                            errors.append("mismatch")
                    db.close()
                except Exception as e:  # reported below
                    errors.append(repr(e))

            threads = [threading.Thread(target=worker, args=a)
                       for a in [("zstd", "m"), ("lz4", "m"), ("zstd", "m2")]]
            for t in threads:
                t.start()
            for i in range(1000):
                if i == WARM_CONNECTIONS and not SANITIZED:
                    rss_warm = rss_bytes()
                db = connect(path)
                body = db.execute("SELECT body FROM bird_json WHERE id = ?",
                                  (i % 100 + 1,)).fetchone()[0]
                name = "m" if i % 2 else "m2"
                self.assertEqual(db.execute(f"SELECT decompress(compress(?, 'zstd', 'dict={name}'))",
                                            (body,)).fetchone()[0], body)
                db.close()
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            end = cache_row(self.db)
            # the same entries, none in use, the same bytes: every reference came back
            self.assertEqual((end[0], end[1], end[2]), (start[0], start[1], start[2]))
            self.assertEqual(end[5], start[5])  # no dictionary digested again
            # the process's memory: once the first connections have warmed SQLite's and the
            # allocator's caches, 800 more connections leave it where it was (a leak of 1 KiB
            # per connection would not pass the bound). Not under ASan (make asan), whose
            # allocator keeps freed memory in quarantine and finds leaks itself.
            if rss_warm is not None:
                grown = rss_bytes() - rss_warm
                self.assertLess(grown, RSS_SLACK, f"resident memory grew by {grown} bytes over "
                                f"{1000 - WARM_CONNECTIONS} connections")


if __name__ == "__main__":
    unittest.main()

"""CSV files into a squeeze table through the sqlite3 shell's .import, against a plain table.

DirectImport: `.import --csv` of examples/data/birdstrikes.csv straight into a squeeze
table declared beforehand, and into a plain table with the same declaration, each in its
own database file. The squeeze table converts the CSV's text by the declared types as the
plain table does, so both must hold the same rows with the same storage classes, answer
max/min/count/ORDER BY/GROUP BY alike, and the squeeze file must be at least 5 times
smaller than the plain one right after the import commits.

TextNumbers: a CSV imported without a declaration (every column TEXT, numbers as text),
then `INSERT INTO t SELECT * FROM imported` into a declared squeeze table and a plain one:
numbers must come out as numbers in both, and alike.

.import is a shell command, so the imports run in the sqlite3 shell (3.40.1 here: into a
table that exists it reads the header line as a row unless given --skip 1); the checks
read the files afterwards through the Python module, squeeze loaded.
"""
import csv
import os
import shutil
import subprocess
import tempfile
import unittest

from sqz import DATA, EXT, connect

# birdstrikes.csv: ten text columns (dates ISO 8601, as TEXT), three costs that are always
# integers, and a speed that is an integer or empty ('' is not a number: both tables keep
# it as TEXT, so the squeeze table stores it as an exception in an INTEGER column).
BIRDS = [("Airport Name", "TEXT"), ("Aircraft Make Model", "TEXT"),
         ("Effect Amount of damage", "TEXT"), ("Flight Date", "TEXT"),
         ("Aircraft Airline Operator", "TEXT"), ("Origin State", "TEXT"),
         ("Phase of flight", "TEXT"), ("Wildlife Size", "TEXT"), ("Wildlife Species", "TEXT"),
         ("Time of day", "TEXT"), ("Cost Other", "INTEGER"), ("Cost Repair", "INTEGER"),
         ("Cost Total $", "INTEGER"), ("Speed IAS in knots", "INTEGER")]
# seattle-weather-hourly-normals.csv: an ISO 8601 timestamp and three readings with one
# decimal.
WEATHER = [("date", "TEXT"), ("pressure", "REAL"), ("temperature", "REAL"), ("wind", "REAL")]

def q(name):
    return '"%s"' % name.replace('"', '""')


def decl(columns):
    return ", ".join("%s %s" % (q(n), t) for n, t in columns)


def shell(path, script, load=True):
    """Runs script in the sqlite3 shell on the database file path (squeeze loaded when load),
    stopping at the first error; fails the calling test on any error output."""
    args = ["sqlite3", "-bail"]
    if load:
        args += ["-cmd", ".load '%s'" % EXT]
    out = subprocess.run(args + [path], input=script.encode(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=120)
    if out.returncode != 0 or out.stderr:
        raise AssertionError("sqlite3 shell failed (%d): %s" % (out.returncode,
                                                                 out.stderr.decode()))
    return out.stdout.decode()


def csv_rows(name):
    """The data rows of a bundled CSV, without its header, as Python's csv module reads them."""
    with open(os.path.join(DATA, name), newline="") as f:
        return list(csv.reader(f))[1:]


def affinity(value, type_):
    """value (CSV text) as a plain table of declared type type_ stores it, for the kinds of
    text the bundled files hold: an integer literal in an INTEGER column is an integer, a
    number in a REAL column a real, anything else stays text (they hold no decimal in an
    INTEGER column, which this would get wrong)."""
    if type_ == "INTEGER":
        try:
            return int(value)
        except ValueError:
            return value
    if type_ == "REAL":
        try:
            return float(value)
        except ValueError:
            return value
    return value


def with_types(rows):
    """rows with each value paired with its Python type (1 == 1.0, but not here)."""
    return [tuple((type(v).__name__, v) for v in r) for r in rows]


def typed_rows(db, table, columns):
    """Every row of table by rowid: the rowid, then (typeof, value) per column."""
    cols = ", ".join("typeof(%s), %s" % (q(n), q(n)) for n, _ in columns)
    rows = db.execute("SELECT rowid, %s FROM %s ORDER BY rowid" % (cols, table)).fetchall()
    return [(r[0],) + tuple(zip(r[1::2], r[2::2])) for r in rows]


def type_counts(db, table, name):
    return db.execute("SELECT typeof(%s), count(*) FROM %s GROUP BY 1 ORDER BY 1"
                      % (q(name), table)).fetchall()


def file_bytes(db, schema):
    """page_count * page_size of an attached schema, and its free pages."""
    def pragma(name):
        return db.execute("PRAGMA %s.%s" % (schema, name)).fetchone()[0]
    return pragma("page_count") * pragma("page_size"), pragma("freelist_count")


def dbstat(db, schema):
    """Bytes of pages per table of a schema, from dbstat."""
    return db.execute("SELECT name, sum(pgsize) FROM dbstat(?) GROUP BY name ORDER BY name",
                      (schema,)).fetchall()


class MirrorChecks:
    """Checks shared by both cases: the squeeze table t in the file sq_path, the plain table
    t in plain_path, both declared with COLUMNS and holding the rows of the CSV (expected),
    attached to self.db as sq and plain."""

    COLUMNS = []

    def setUp(self):
        self.db = connect()
        self.db.execute("ATTACH ? AS sq", (self.sq_path,))
        self.db.execute("ATTACH ? AS plain", (self.plain_path,))

    def tearDown(self):
        self.db.close()

    def per_column_queries(self):
        out = []
        for n, _ in self.COLUMNS:
            c = q(n)
            out += ["SELECT max(%s), min(%s), count(%s), count(DISTINCT %s), typeof(max(%s)),"
                    " typeof(min(%s)) FROM {t}" % (c, c, c, c, c, c),
                    "SELECT rowid, %s FROM {t} ORDER BY %s, rowid LIMIT 30" % (c, c),
                    "SELECT rowid, %s FROM {t} ORDER BY %s DESC, rowid LIMIT 30" % (c, c),
                    "SELECT %s, count(*) FROM {t} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 30" % c]
        return out

    def assert_same_answers(self, queries):
        for sql in queries:
            with self.subTest(sql=sql):
                self.assertEqual(self.db.execute(sql.format(t="sq.t")).fetchall(),
                                 self.db.execute(sql.format(t="plain.t")).fetchall())

    def test_same_rows_and_types(self):
        sq = typed_rows(self.db, "sq.t", self.COLUMNS)
        self.assertEqual(len(sq), len(self.expected))
        self.assertEqual(sq, typed_rows(self.db, "plain.t", self.COLUMNS))
        for n, _ in self.COLUMNS:
            with self.subTest(column=n):
                self.assertEqual(type_counts(self.db, "sq.t", n),
                                 type_counts(self.db, "plain.t", n))

    def test_rows_are_the_csv_by_affinity(self):
        # An oracle of its own, so both tables cannot agree on a wrong answer (a header
        # read as a row, numbers left as text).
        want = [tuple(affinity(v, t) for v, (_, t) in zip(r, self.COLUMNS))
                for r in self.expected]
        got = self.db.execute("SELECT %s FROM sq.t ORDER BY rowid"
                              % ", ".join(q(n) for n, _ in self.COLUMNS)).fetchall()
        self.assertEqual(with_types(got), with_types(want))

    def test_same_answers_per_column(self):
        self.assert_same_answers(self.per_column_queries())

    def test_squeeze_check(self):
        self.assertEqual(self.db.execute("SELECT squeeze_check('sq.t')").fetchone()[0], "ok")


@unittest.skipUnless(shutil.which("sqlite3"), "needs the sqlite3 shell")
class DirectImport(MirrorChecks, unittest.TestCase):
    COLUMNS = BIRDS

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.sq_path = os.path.join(cls.dir.name, "squeeze.db")
        cls.plain_path = os.path.join(cls.dir.name, "plain.db")
        data = os.path.join(DATA, "birdstrikes.csv")
        # Default chunk_rows, no squeeze_optimize and no VACUUM on either side: the sizes are
        # of the files a user has once the import has committed (the shell runs .import in
        # one transaction). VACUUM would only hide pages the squeeze table freed itself; the
        # plain file, written once, has none to lose.
        shell(cls.sq_path, "CREATE VIRTUAL TABLE t USING squeeze(%s);\n"
              ".import --csv --skip 1 '%s' t\n" % (decl(BIRDS), data))
        shell(cls.plain_path, "CREATE TABLE t(%s);\n.import --csv --skip 1 '%s' t\n"
              % (decl(BIRDS), data), load=False)
        cls.expected = csv_rows("birdstrikes.csv")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_declared_types_and_counts(self):
        info = "SELECT name, type FROM pragma_table_info('t', ?)"
        self.assertEqual(self.db.execute(info, ("sq",)).fetchall(), BIRDS)
        self.assertEqual(self.db.execute(info, ("plain",)).fetchall(), BIRDS)
        self.assertEqual(self.db.execute("SELECT count(*) FROM sq.t").fetchone()[0], 10000)
        self.assertEqual(type_counts(self.db, "sq.t", "Cost Total $"), [("integer", 10000)])
        self.assertEqual(type_counts(self.db, "sq.t", "Speed IAS in knots"),
                         [("integer", 7164), ("text", 2836)])

    def test_same_answers_to_queries(self):
        self.assert_same_answers([
            'SELECT "Origin State", count(*), sum("Cost Total $"), max("Speed IAS in knots"),'
            ' min("Flight Date"), max("Flight Date") FROM {t} GROUP BY 1 ORDER BY 1',
            'SELECT "Wildlife Size", "Phase of flight", count(*), sum("Cost Repair"),'
            ' min("Cost Other") FROM {t} GROUP BY 1, 2 ORDER BY 1, 2',
            'SELECT substr("Flight Date", 1, 4) AS y, count(*), max("Cost Total $") FROM {t}'
            ' GROUP BY y ORDER BY y',
            'SELECT rowid, "Cost Total $", "Airport Name" FROM {t}'
            ' ORDER BY "Cost Total $" DESC, rowid LIMIT 25',
            'SELECT sum("Cost Other"), sum("Cost Repair"), total("Speed IAS in knots"),'
            ' count("Speed IAS in knots") FROM {t}',
            'SELECT count(*) FROM {t} WHERE "Speed IAS in knots" > 250',
            'SELECT count(*) FROM {t} WHERE "Speed IAS in knots" = \'\'',
            'SELECT count(*) FROM {t} WHERE "Cost Total $" = \'0\'',
            'SELECT count(*), min(rowid) FROM {t} WHERE "Cost Repair" BETWEEN 1000 AND 50000',
            'SELECT count(*) FROM {t} WHERE "Flight Date" BETWEEN \'1995-01-01\' AND \'1995-12-31\'',
            'SELECT "Airport Name", max("Cost Total $") FROM {t} WHERE "Time of day" = \'Night\''
            ' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10',
        ])

    def test_five_times_smaller_than_plain(self):
        sq, sq_free = file_bytes(self.db, "sq")
        plain, plain_free = file_bytes(self.db, "plain")
        self.assertEqual(sq, os.path.getsize(self.sq_path))
        self.assertEqual(plain, os.path.getsize(self.plain_path))
        rows = self.db.execute("SELECT (SELECT count(*) FROM sq.t_chunk),"
                               " (SELECT sum(nrows) FROM sq.t_chunk),"
                               " (SELECT count(*) FROM sq.t_tail)").fetchone()
        if 5 * sq > plain:
            self.fail("squeeze file %d bytes (%d free pages), plain %d bytes (%d free pages):"
                      " %.2fx smaller, not 5x; squeeze dbstat %s; plain dbstat %s; %d chunk(s)"
                      " of %s rows, %d tail rows"
                      % (sq, sq_free, plain, plain_free, plain / sq, dbstat(self.db, "sq"),
                         dbstat(self.db, "plain"), rows[0], rows[1], rows[2]))


class TextNumbersCase(MirrorChecks):
    """A CSV imported with no declaration (all TEXT), then INSERT ... SELECT * into a declared
    squeeze table and a plain one (each in its own file, as in DirectImport)."""

    CSV = ""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.sq_path = os.path.join(cls.dir.name, "squeeze.db")
        cls.plain_path = os.path.join(cls.dir.name, "plain.db")
        shell(cls.sq_path, ".import --csv '%s' imported\n"
              "CREATE VIRTUAL TABLE t USING squeeze(%s);\n"
              "INSERT INTO t SELECT * FROM imported;\n"
              "ATTACH '%s' AS plain;\n"
              "CREATE TABLE plain.t(%s);\n"
              "INSERT INTO plain.t SELECT * FROM imported;\n"
              % (os.path.join(DATA, cls.CSV), decl(cls.COLUMNS), cls.plain_path,
                 decl(cls.COLUMNS)))
        cls.expected = csv_rows(cls.CSV)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_imported_columns_are_text(self):
        for n, _ in self.COLUMNS:
            with self.subTest(column=n):
                self.assertEqual(type_counts(self.db, "sq.imported", n),
                                 [("text", len(self.expected))])

    def test_numbers_become_numbers(self):
        for i, (n, t) in enumerate(self.COLUMNS):
            if t not in ("INTEGER", "REAL"):
                continue
            with self.subTest(column=n):
                values = [affinity(r[i], t) for r in self.expected]
                numbers = [v for v in values if not isinstance(v, str)]
                kind = "integer" if t == "INTEGER" else "real"
                self.assertIn((kind, len(numbers)), type_counts(self.db, "sq.t", n))
                # the largest number, where the imported text compares as strings
                got = self.db.execute("SELECT max(%s) FROM sq.t WHERE typeof(%s) <> 'text'"
                                      % (q(n), q(n))).fetchone()[0]
                self.assertEqual(got, max(numbers))


@unittest.skipUnless(shutil.which("sqlite3"), "needs the sqlite3 shell")
class TextNumbersWeather(TextNumbersCase, unittest.TestCase):
    CSV = "seattle-weather-hourly-normals.csv"
    COLUMNS = WEATHER


@unittest.skipUnless(shutil.which("sqlite3"), "needs the sqlite3 shell")
class TextNumbersBirds(TextNumbersCase, unittest.TestCase):
    CSV = "birdstrikes.csv"
    COLUMNS = BIRDS

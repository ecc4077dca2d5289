"""Every ```sql example in README.md and docs/*.md runs and prints what the page says.

In an example, each statement ends with ';' and the lines after it that start with
'-- ' are its expected rows (columns joined by '|', NULL as an empty string, as the
sqlite3 shell prints in list mode). Dot-commands (.load) are skipped: the test
connection has squeeze loaded already. The blocks of one page share a connection,
in order, from the repository root.
"""
import glob
import os
import sqlite3
import unittest

from sqz import ROOT, connect


def pages():
    return [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))


def sql_blocks(text):
    blocks, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if current is None and stripped.startswith("```sql"):
            current = []
        elif current is not None and stripped.startswith("```"):
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def examples(block):
    """(statement, expected rows or None) pairs of one block."""
    out, stmt, expected = [], "", None
    for line in block:
        if stmt and sqlite3.complete_statement(stmt) and line.startswith("-- "):
            expected = (expected or []) + [line[3:]]
            continue
        if line.startswith(".") and not stmt:
            continue
        if stmt and sqlite3.complete_statement(stmt):
            out.append((stmt, expected))
            stmt, expected = "", None
        if line.strip() == "" and not stmt:
            continue
        if line.lstrip().startswith("--") and not stmt:
            continue
        stmt += line + "\n"
    if stmt.strip():
        out.append((stmt, expected))
    return out


def render(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class DocExamples(unittest.TestCase):
    def test_every_example(self):
        checked = 0
        for page in pages():
            with open(page, encoding="utf-8") as f:
                blocks = sql_blocks(f.read())
            if not blocks:
                continue
            db = connect()
            try:
                for block in blocks:
                    for stmt, expected in examples(block):
                        with self.subTest(page=os.path.basename(page), sql=stmt.strip()):
                            rows = db.execute(stmt).fetchall()
                            if expected is not None:
                                got = ["|".join(render(v) for v in r) for r in rows]
                                self.assertEqual(got, expected)
                                checked += 1
            finally:
                db.close()
        self.assertGreater(checked, 0)


if __name__ == "__main__":
    unittest.main()

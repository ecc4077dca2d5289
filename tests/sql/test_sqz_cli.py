"""build/sqz, the command line (docs/sqz.md): round trips, its frames read by decompress()
and compress()'s read by sqz -d, files and pipes, refusals and exit codes, truncated and
corrupt inputs (an error, a non-zero exit and no partial output), a full disk, the progress
line on a terminal."""
import os
import pty
import shutil
import subprocess
import tempfile
import unittest

from sqz import ROOT, SqlTestCase, read_data

SQZ = os.path.join(ROOT, os.environ.get("SQZ_BIN", os.path.join("build", "sqz")))


def corpus(size):
    data = read_data("moby-dick.txt") + read_data("earthquakes.json")
    return (data * (size // len(data) + 1))[:size]


def run(*args, stdin=None):
    return subprocess.run([SQZ, *args], input=stdin, capture_output=True)


class SqzTestCase(SqlTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="sqz-test-")

    def tearDown(self):
        shutil.rmtree(self.dir)
        super().tearDown()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def ok(self, *args, stdin=None):
        p = run(*args, stdin=stdin)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p


class TestRoundTrip(SqzTestCase):
    def test_files_and_threads(self):
        for size in (0, 1, 5000, 3 * (1 << 20) + 12345):
            data = corpus(size)
            src = self.write("f", data)
            outs = []
            for threads in ("-T1", "-T2", "-T3"):
                self.ok("-q", "-f", threads, src)
                outs.append(self.read("f.sqz"))
                os.rename(self.path("f.sqz"), self.path("g.sqz"))
                self.ok("-q", "-d", "-f", threads, "-o", self.path("g"), self.path("g.sqz"))
                self.assertEqual(self.read("g"), data, f"{size} {threads}")
            self.assertEqual(outs[0], outs[1])
            self.assertEqual(outs[0], outs[2])
            self.assertEqual(self.read("f"), data)  # the input is kept

    def test_codecs_and_levels(self):
        data = corpus(2 * (1 << 20) + 7)
        src = self.write("f", data)
        for args in (["--codec", "lz4"], ["--codec=huffman"], ["--codec", "store"],
                     ["-19"], ["-1", "--codec", "lz4hc"], ["--codec", "lz77", "-T2"]):
            packed = self.ok("-c", *args, src).stdout
            self.assertEqual(self.ok("-d", "-c", stdin=packed).stdout, data, args)
            self.assertEqual(self.one("SELECT decompress(?)", packed), data, args)

    def test_pipes(self):
        data = corpus(1_500_000)
        packed = self.ok("-T2", stdin=data).stdout
        self.assertEqual(self.ok("-d", stdin=packed).stdout, data)
        self.assertEqual(self.ok("-d", "-", stdin=packed).stdout, data)

    def test_decompress_reads_sqz_and_sqz_reads_compress(self):
        data = corpus(3 * (1 << 20))
        self.write("f", data)
        self.ok("-q", self.path("f"))
        self.assertEqual(self.one("SELECT decompress(?)", self.read("f.sqz")), data)
        self.assertEqual(self.one("SELECT decompressed_size(?)", self.read("f.sqz")), len(data))
        self.assertEqual(self.one("SELECT compressed_codec(?)", self.read("f.sqz")), "zstd")
        # and back: frames from compress(), saved as files (what writefile() writes)
        for value, codec in ((data, "zstd"), (data, "lz4"), (b"small", "zstd"),
                             ("text " * 1000, "huffman"), (b"", "zstd")):
            frame = self.one("SELECT compress(?, ?)", value, codec)
            out = self.ok("-d", "-c", stdin=frame).stdout
            self.assertEqual(out, value.encode() if isinstance(value, str) else value)

    def test_frames_in_a_row(self):
        a, b = corpus(1_200_000), b"second part"
        pa = self.ok("-c", stdin=a).stdout
        pb = self.one("SELECT compress(?, 'lz4')", b)
        self.assertEqual(self.ok("-d", "-c", stdin=pa + pb).stdout, a + b)

    def test_remove_and_keep(self):
        src = self.write("f", b"x" * 10000)
        self.ok("-q", "-k", src)
        self.assertTrue(os.path.exists(src))
        os.unlink(self.path("f.sqz"))
        self.ok("-q", "--rm", src)
        self.assertFalse(os.path.exists(src))
        self.ok("-q", "-d", "--rm", self.path("f.sqz"))
        self.assertFalse(os.path.exists(self.path("f.sqz")))
        self.assertEqual(self.read("f"), b"x" * 10000)

    def test_test_mode(self):
        packed = self.ok("-c", stdin=corpus(100000)).stdout
        p = self.ok("-t", stdin=packed)
        self.assertEqual(p.stdout, b"")
        bad = bytearray(packed)
        bad[len(bad) // 2] ^= 1
        self.assertEqual(run("-t", stdin=bytes(bad)).returncode, 1)


class TestRefusals(SqzTestCase):
    def test_usage_errors_exit_2(self):
        src = self.write("f", b"data")
        for args in (["-T1000", src], ["-Tx", src], ["--codec", "gorilla", src],
                     ["--codec", "nope", src], ["--frobnicate", src], ["-Z", src],
                     ["-o", self.path("x"), src, src], ["-30", src], ["-o"],
                     ["-c", "-o", self.path("x"), src]):
            p = run(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(b"sqz: ", p.stderr)
        self.assertFalse(os.path.exists(self.path("f.sqz")))

    def test_existing_output_is_not_overwritten(self):
        src = self.write("f", b"new data " * 100)
        self.write("f.sqz", b"precious")
        p = run(src)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"already exists", p.stderr)
        self.assertEqual(self.read("f.sqz"), b"precious")
        self.ok("-q", "-f", src)
        self.assertEqual(self.one("SELECT decompress(?)", self.read("f.sqz")), b"new data " * 100)

    def test_missing_input_and_suffix(self):
        p = run(self.path("absent"))
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"No such file", p.stderr)
        src = self.write("f.txt", b"abc")
        p = run("-d", src)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"unknown suffix", p.stderr)

    def test_dictionary_frames_are_for_sql(self):
        rows = [f"row {i} of mail with some words" for i in range(200)]
        self.db.execute("CREATE TABLE m(t)")
        self.db.executemany("INSERT INTO m VALUES (?)", [(r,) for r in rows])
        self.one("SELECT squeeze_train_dict('mail', 'SELECT t FROM m')")
        frame = self.one("SELECT compress(?, 'zstd', 'dict=mail')", rows[3] * 5)
        p = run("-d", "-c", stdin=frame)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"dictionary", p.stderr)


class TestDamage(SqzTestCase):
    def setUp(self):
        super().setUp()
        self.data = corpus(2 * (1 << 20) + 100)
        self.write("f", self.data)
        self.ok("-q", self.path("f"))
        self.packed = self.read("f.sqz")

    def check_refused(self, damaged, what):
        self.write("d.sqz", damaged)
        p = run("-q", "-d", self.path("d.sqz"))
        self.assertEqual(p.returncode, 1, what)
        self.assertIn(b"sqz: ", p.stderr)
        self.assertFalse(os.path.exists(self.path("d")), what)
        # an existing output stays as it was, even with -f
        self.write("d", b"old")
        p = run("-q", "-d", "-f", self.path("d.sqz"))
        self.assertEqual(p.returncode, 1, what)
        self.assertEqual(self.read("d"), b"old", what)
        os.unlink(self.path("d"))
        self.assertEqual([n for n in os.listdir(self.dir) if "tmp" in n], [])

    def test_truncated(self):
        n = len(self.packed)
        for cut in (0, 1, 2, 3, 4, 100, n // 3, n // 2, n - 6, n - 5, n - 1):
            self.check_refused(self.packed[:cut], f"cut at {cut}")
        p = run("-d", "-c", stdin=self.packed[: n // 2])
        self.assertIn(b"truncated", p.stderr)

    def test_corrupt(self):
        n = len(self.packed)
        for pos in (0, 1, 2, 3, 4, n // 4, n // 2, n - 5, n - 3, n - 1):
            bad = bytearray(self.packed)
            bad[pos] ^= 0x10
            self.check_refused(bytes(bad), f"byte {pos}")
        self.check_refused(self.packed + b"junk", "trailing bytes")
        # an unblocked frame that declares 2 GiB: refused before anything is allocated
        self.check_refused(b"\xC1\x00\x80\x80\x80\x80\x08", "declared 2 GiB, unblocked")
        self.check_refused(b"not a squeeze file at all", "text")


@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0, "mounting a tmpfs needs root")
class TestFullDisk(SqzTestCase):
    def test_small_tmpfs(self):
        mnt = self.path("mnt")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        try:
            src = self.write("f", os.urandom(2 << 20))  # does not shrink: 2 MiB out
            p = run("-q", "-o", os.path.join(mnt, "f.sqz"), src)
            self.assertEqual(p.returncode, 1)
            self.assertIn(b"No space left on device", p.stderr)
            self.assertEqual(os.listdir(mnt), [])
        finally:
            subprocess.run(["umount", mnt])
        with open("/dev/full", "wb") as full:
            p = subprocess.run([SQZ, "-c", src], stdout=full, capture_output=False,
                               stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"write error", p.stderr)


def on_a_terminal(*args):
    """sqz args run with its standard streams on a pseudo-terminal: (exit status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(SQZ, [SQZ, *args])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


class TestTerminal(SqzTestCase):
    def test_no_terminal_input_or_compressed_output(self):
        status, out = on_a_terminal()
        self.assertEqual(status, 1)
        self.assertIn(b"not reading from a terminal", out)
        src = self.write("f", b"abc")
        status, out = on_a_terminal("-c", src)
        self.assertEqual(status, 1)
        self.assertIn(b"not writing compressed data to a terminal", out)

    def test_progress_line_on_a_terminal(self):
        src = self.write("f", corpus(3 << 20))
        status, out = on_a_terminal("-f", src)
        self.assertEqual(status, 0)
        self.assertIn(b"MiB ->", out)  # the progress line
        self.assertIn(b"%", out)  # the summary
        # and nothing of it without a terminal
        self.assertEqual(self.ok("-f", src).stderr, b"")
        self.assertEqual(self.ok("-q", "-f", src).stderr, b"")
        self.assertIn(b"->", self.ok("-v", "-f", src).stderr)


def console_examples(path):
    """(command, expected output lines) of every ```console block of a page."""
    out, block = [], None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if block is None and line.strip() == "```console":
                block = []
            elif block is not None and line.strip() == "```":
                out.extend(block)
                block = None
            elif block is not None and line.startswith("$ "):
                block.append((line[2:], []))
            elif block is not None:
                block[-1][1].append(line)
    return out


class TestManualPage(SqzTestCase):
    def test_examples_of_docs_sqz_md(self):
        """Each `$` command of docs/sqz.md prints what the page says."""
        examples = console_examples(os.path.join(ROOT, "docs", "sqz.md"))
        self.assertGreater(len(examples), 5)
        # `sqz` on the PATH, whatever SQZ_BIN names; the examples run in work
        work, bindir = self.path("work"), self.path("bin")
        os.mkdir(work)
        os.mkdir(bindir)
        shutil.copy(os.path.join(ROOT, "examples", "data", "moby-dick.txt"), work)
        os.symlink(SQZ, os.path.join(bindir, "sqz"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
        for command, expected in examples:
            p = subprocess.run(["bash", "-c", command], cwd=work, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(p.stdout.decode().splitlines(), expected, command)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_sql.c into tests/fuzz/corpus/fuzz_sql/.

Deterministic: the same files every run. The input format is documented at the
top of fuzz_sql.c: byte 0 the template (0-2) or the functions mode (3), then
edits to the shadow tables (ended by a byte >= 0xE0), then the parameters of
the read and write batteries. The functions-mode seeds hold real frames made
by the built extension (build/squeeze.so, `make` first) and by the zstd and
lz4 command-line tools.

    python3 tests/fuzz/gen_sql_corpus.py
"""
import os
import sqlite3
import struct
import subprocess
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_sql")

CONFIG, CHUNK, DATA, TAIL = range(4)
END = b"\xff"


def le64(v):
    return struct.pack("<q", v)


# value specs (value_expr in fuzz_sql.c)
def v_null():
    return b"\x00"


def v_small(x):
    return bytes([1, x & 255])


def v_int(x):
    return b"\x02" + le64(x)


def v_special(i):
    return bytes([3, i])


def v_delta(d):
    return bytes([4, d & 255])


def v_gen(d):
    return bytes([5, d & 255])


def v_real(x):
    return b"\x06" + struct.pack("<d", x)


def v_text(s):
    b = s.encode()
    return bytes([8, len(b)]) + b


def v_blob(b):
    return bytes([9, len(b)]) + b


def v_flip(bit, reseal):
    return bytes([10 | (16 if reseal else 0), bit & 255, bit >> 8])


def v_splice(off, delete, ins, reseal):
    return bytes([11 | (16 if reseal else 0), off & 255, off >> 8, delete, len(ins)]) + ins


def v_rows(n):
    return bytes([12 | 16, n & 255, (n >> 8) & 255, (n >> 16) & 31])


def v_tag(t):
    return b"\x0c" + le64(t)


def v_copy(k):
    return bytes([13, k])


def v_retag_copy(k):
    return bytes([14, k])


def v_chunk(rows, fill, length):
    """A valid chunk of rows rows for this data row's key (fz_chunk)."""
    r = rows - 1
    return bytes([14 | 16, r & 255, (r >> 8) & 255, r >> 16, fill, length & 255, length >> 8])


def v_numtext(x):
    return bytes([15, x & 255])


def update(table, col, value, row):
    return bytes([table, col]) + value + bytes([row])


def update2(table, col, value, col2, value2, row):
    return bytes([table | 7 << 2, col]) + value + bytes([col2]) + value2 + bytes([row])


def insert_copy(table, col, value, row, replace=False):
    return bytes([table | (5 if replace else 4) << 2, col]) + value + bytes([row])


def delete(table, row):
    return bytes([table | 6 << 2, 0, row])


# parameter tails: LIMIT, six predicates, six writes, then the second read battery
PARAMS_A = bytes([12, 0, 5, 76, 0, 10, 104, 0, 140, 0, 0, 4, 0]) + b"0000\0\0\0\0" + bytes(
    [0, 150,
     0, 20, 5,          # INSERT 21 rows
     0, 1, 7, 3,        # INSERT OR REPLACE rowid 7
     0, 100, 3, 9,      # UPDATE rowid 3..9
     0, 70, 2,          # UPDATE SET rowid = 30 WHERE rowid = 2
     0, 3, 4, 8,        # DELETE rowid IN (3, 4, 8)
     0, 1, 30,          # DELETE WHERE a BETWEEN
     20, 1, 4, 7, 2, 9, 11, 13, 60, 80, 0, 3])
PARAMS_B = bytes([3, 4, 70, 71, 72, 1, 2, 2, 1, 9, 5, 7, 8, 11, 3, 0, 0, 9, 1, 1, 13, 2, 2,
                  7,                    # squeeze_optimize
                  7, 2, 0, 30, 8, 4, 1, 2, 9, 2, 60, 60,  # a transaction
                  2, 1, 9, 9, 9, 3, 5, 7, 200, 64, 65, 66])


def table_seeds():
    s = {}
    for t in range(3):
        s[f"t{t}_clean_a"] = bytes([t]) + END + PARAMS_A
        s[f"t{t}_clean_b"] = bytes([t]) + END + PARAMS_B
    edits = {
        # t_config: row 0 'format', row 1 'generation'
        "config_format_2": update(CONFIG, 1, v_small(2), 0),
        "config_format_text": update(CONFIG, 1, v_numtext(1), 0),
        "config_format_null": update(CONFIG, 1, v_null(), 0),
        "config_gen_low": update(CONFIG, 1, v_small(1), 1),
        "config_gen_big": update(CONFIG, 1, v_special(12), 1),
        "config_gen_deleted": delete(CONFIG, 1),
        # t_chunk: maxrow, minrow, nrows, gen
        "chunk_nrows_plus": update(CHUNK, 2, v_delta(1), 1),
        "chunk_nrows_minus": update(CHUNK, 2, v_delta(-1), 2),
        "chunk_nrows_big": update(CHUNK, 2, v_special(9), 0),
        "chunk_minrow_low": update(CHUNK, 1, v_delta(-3), 3),
        "chunk_maxrow_high": update(CHUNK, 0, v_delta(2), 1),
        "chunk_gen_missing": update(CHUNK, 3, v_special(12), 1),
        "chunk_gen_huge": update(CHUNK, 3, v_special(15), 2),
        "chunk_gen_real": update(CHUNK, 3, v_real(2.0), 1),
        "chunk_overlap_copy": insert_copy(CHUNK, 0, v_delta(3), 1),
        "chunk_deleted": delete(CHUNK, 2),
        "chunk_range_grown": update2(CHUNK, 0, v_delta(100), 1, v_delta(-3), 5),
        # t_data: key, nnull, minv, maxv, codec, raw, body
        "data_flip": update(DATA, 6, v_flip(70, False), 7),
        "data_flip_reseal": update(DATA, 6, v_flip(70, True), 7),
        "data_flip_reseal_rowids": update(DATA, 6, v_flip(29, True), 24),
        "data_splice_reseal": update(DATA, 6, v_splice(9, 2, b"\x7f\xff\x01", True), 9),
        "data_truncate": update(DATA, 6, v_splice(6, 255, b"", True), 10),
        "data_rows_big": update(DATA, 6, v_rows(1 << 20), 8),
        "data_rows_plus": update(DATA, 6, v_rows(17), 8),
        "data_tag_wrong": update(DATA, 6, v_tag(65537), 13),
        "data_body_from_other": update(DATA, 6, v_retag_copy(9), 8),
        "data_body_text": update(DATA, 6, v_text("not a chunk"), 8),
        "data_nnull": update(DATA, 1, v_delta(1), 9),
        "data_minv_high": update(DATA, 2, v_special(4), 7),
        "data_maxv_low": update(DATA, 3, v_small(-5), 8),
        "data_maxv_text": update(DATA, 3, v_text("zzz"), 9),
        "data_key_moved": update(DATA, 0, v_gen(1), 10),
        "data_deleted": delete(DATA, 11),
        "data_dup_key": insert_copy(DATA, 0, v_delta(-1), 12, replace=True),
        "data_raw_codec": update2(DATA, 4, v_small(99), 5, v_special(10), 7),
        # t_tail: id, dead, c0..c4
        "tail_dead_2": update(TAIL, 1, v_small(2), 0),
        "tail_dead_real": update(TAIL, 1, v_real(1.0), 1),
        "tail_id_in_chunk": update(TAIL, 0, v_small(33), 2),
        "tail_patch_copy": insert_copy(TAIL, 0, v_small(50), 3),
        "tail_tombstone_past_end": insert_copy(TAIL, 1, v_small(1), 4),
        "tail_value_blob": update(TAIL, 2, v_blob(b"\x00\x01\x02"), 1),
        "tail_deleted": delete(TAIL, 0),
    }
    for name, e in sorted(edits.items()):
        h = zlib.crc32(name.encode())  # a template and parameters that do not move
        t = h % 3
        s[f"t{t}_{name}"] = bytes([t]) + e + END + (PARAMS_A if h & 8 else PARAMS_B)
    # two edits together: a chunk inflating past the length limit, moved and retagged
    s["t0_two_edits"] = (b"\x00" + update(DATA, 6, v_rows(1 << 19), 15) +
                         update(CHUNK, 2, v_special(9), 2) + END + PARAMS_A)
    # the last chunk of template 0 (rowids 243..288, generation 6) made to hold
    # 2^20 rows without gaps, and its column b (data row 32: key 6 << 16 | 2)
    # a valid chunk of 2^20 NULLs, of 2^20 alternating NULLs and INTEGERs, or
    # (2^16 rows) of TEXT values of 200 bytes: 13 MB, past the length limit
    big = update2(CHUNK, 0, v_int(243 + (1 << 20) - 1), 2, v_special(9), 5)
    s["t0_inflate_nulls"] = b"\x00" + big + update(DATA, 6, v_chunk(1 << 20, 0, 0), 32) + END
    mid = update2(CHUNK, 0, v_int(243 + (1 << 16) - 1), 2, v_special(7), 5)  # 2^16 rows
    s["t0_inflate_text"] = b"\x00" + mid + update(DATA, 6, v_chunk(1 << 16, 2, 200), 32) + END
    s["t0_inflate_ints"] = (b"\x00" + big + update(DATA, 6, v_chunk(1 << 20, 3, 0), 32) + END +
                            PARAMS_A)
    return s


def function_seeds():
    s = {}
    text = ("the quick brown fox jumps over the lazy dog " * 12).encode()
    doubles = b"".join(struct.pack("<d", 20 + 0.25 * i) for i in range(40))
    stamps = b"".join(struct.pack("<q", 1700000000 + 60 * i + (i % 3)) for i in range(40))
    ext = os.path.join(ROOT, "build", "squeeze")
    if os.path.exists(ext + ".so"):
        db = sqlite3.connect(":memory:")
        db.enable_load_extension(True)
        db.load_extension(ext)
        for codec in ["zstd", "lz4", "lz4hc", "store", "rle", "huffman", "lz77"]:
            frame = db.execute("SELECT compress(?, ?)", (text, codec)).fetchone()[0]
            s[f"fn_{codec}"] = bytes([3, 0]) + frame
        for codec in ["gorilla", "alp"]:
            frame = db.execute("SELECT compress(?, ?)", (doubles, codec)).fetchone()[0]
            s[f"fn_{codec}"] = bytes([3, 0x40 | 14]) + frame
        for codec in ["dod", "delta"]:
            frame = db.execute("SELECT compress(?, ?)", (stamps, codec)).fetchone()[0]
            s[f"fn_{codec}"] = bytes([3, 16]) + frame
        frame = db.execute("SELECT compress('short text', 'zstd', 'checksum=off')").fetchone()[0]
        s["fn_text_nochecksum"] = bytes([3, 1]) + frame
    for tool, name in [(["zstd", "-q", "-c"], "fn_zstd_tool"), (["lz4", "-q", "-c"], "fn_lz4_tool")]:
        try:
            out = subprocess.run(tool, input=text, capture_output=True, check=True).stdout
            s[name] = bytes([3, 2]) + out
        except (OSError, subprocess.CalledProcessError):
            pass
    s["fn_doubles_raw"] = bytes([3, 0x40 | 20]) + doubles
    s["fn_stamps_raw"] = bytes([3, 18]) + stamps
    s["fn_junk"] = bytes([3, 5]) + bytes(range(64))
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {**table_seeds(), **function_seeds()}
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()

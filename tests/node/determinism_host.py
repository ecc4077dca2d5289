"""One host of test_determinism.js in Debian's Python, whose sqlite3 module is SQLite 3.40.1:
runs tests/node/determinism.json's steps and prints label -> SHA-256 of the rows as JSON, as
determinism_host.js does (same settings, same hashing of cells).

    /usr/bin/python3 tests/node/determinism_host.py SETTINGS_JSON
"""
import hashlib
import json
import os
import re
import sqlite3
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
EXT = os.path.join(ROOT, os.environ.get("SQUEEZE_EXT", os.path.join("build", "squeeze")))
settings = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
with open(os.path.join(HERE, "determinism.json"), encoding="utf-8") as f:
    work = json.load(f)


def param(spec):
    (kind, name), = spec.items()
    with open(os.path.join(ROOT, "examples", "data", name), "rb") as f:
        data = f.read()
    text = data.decode("utf-8")
    lines = (text[:-1] if text.endswith("\n") else text).split("\n")
    if kind == "blob":
        return data
    if kind == "text":
        return data.decode("utf-8")
    if kind == "json_lines":
        return json.dumps(lines)
    if kind == "json_csv":
        return json.dumps([line.split(",") for line in lines[1:]])
    raise ValueError(f"determinism.json: unknown parameter kind {kind}")


params = {k: param(v) for k, v in work["params"].items()}
params["thr"] = settings.get("thr") or ""


def cell(h, v):
    if v is None:
        tag, b = "n", b""
    elif isinstance(v, int):
        tag, b = "i", str(v).encode()
    elif isinstance(v, float):
        tag, b = "r", struct.pack("<d", v)
    elif isinstance(v, str):
        tag, b = "s", v.encode("utf-8")
    else:
        tag, b = "b", bytes(v)
    h.update(f"{tag}{len(b)}:".encode())
    h.update(b)


def run(db):
    out = {}
    for label, sql in work["steps"]:
        names = dict.fromkeys(n[1:] for n in re.findall(r":[a-z_]+", sql))
        rows = db.execute(sql, {n: params[n] for n in names}).fetchall()
        if label.startswith("-"):
            continue
        h = hashlib.sha256()
        for r in rows:
            h.update(b"row")
            for v in r:
                cell(h, v)
        out[label] = f"{len(rows)} rows {h.hexdigest()[:32]}"
    return out


def connect():
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(EXT)
    if settings.get("cache") is not None:
        db.execute("SELECT squeeze_cache_config('size', ?)", (settings["cache"],)).fetchall()
    return db


db = connect()
if settings.get("warm"):
    run(connect())
    for i in range(200):
        v = hashlib.sha256(str(i).encode()).hexdigest() * (1 + (i * 37) % 3000)
        codec = ["zstd", "lz4", "lz4hc", "lz77", "huffman"][i % 5]
        opts = "" if codec == "huffman" else f"level={1 + i % 9}"
        db.execute("SELECT decompress(compress(?, ?, ?))", (v, codec, opts)).fetchall()
out = run(db)
out["host"] = f"python3 sqlite3 (SQLite {sqlite3.sqlite_version})"
print(json.dumps(out))

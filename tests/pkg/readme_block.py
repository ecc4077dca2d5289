"""Prints a fenced block of README.md, for the tests that run README's examples.

    readme_block.py code LANG [N]     the Nth ```LANG block (N from 1, default 1)
    readme_block.py output LANG [N]   the ```text block right after it: what it prints
    readme_block.py output-line LINE  the ```text block right after the block that has
                                      LINE as one of its lines

Exits 1, printing nothing, when there is no such block."""
import os
import sys


def blocks(path):
    """(language, text) of every fenced block of the file, in order."""
    out, lang, lines = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fence = line.strip()
            if lang is None and fence.startswith("```"):
                lang, lines = fence[3:].strip(), []
            elif lang is not None and fence == "```":
                out.append((lang, "".join(lines)))
                lang = None
            elif lang is not None:
                lines.append(line)
    return out


def find(found, args, mode):
    """Index in found of the block that args name."""
    if mode == "output-line":
        for i, (_, text) in enumerate(found):
            if args[0] in text.splitlines():
                return i
        return None
    lang, n = args[0], int(args[1]) if len(args) > 1 else 1
    matches = [i for i, (block_lang, _) in enumerate(found) if block_lang == lang]
    return matches[n - 1] if 0 < n <= len(matches) else None


def main(argv):
    if len(argv) < 2 or argv[0] not in ("code", "output", "output-line"):
        print(__doc__, file=sys.stderr)
        return 2
    found = blocks(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md"))
    i = find(found, argv[1:], argv[0])
    if i is None:
        return 1
    if argv[0] != "code":
        i += 1
        if i >= len(found) or found[i][0] != "text":
            return 1
    sys.stdout.write(found[i][1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Which tables and indexes a shard's COMMITs wrote: the pages of each transaction in its WAL.

    scripts/wal-pages.py SHARD_FILE [--last N]

Reads SHARD_FILE-wal frame by frame (the frames of the WAL's current generation: those
whose salts are the header's), splits them at each commit frame, and names the table or
index that owns each page (`dbstat`, through the `sqlite3` command on a copy of the file
and its WAL, so the shard itself is not opened). Prints one line per transaction: its
frames (pages written) by table and index, most first.

The WAL is deleted when a shard closes cleanly, so take it while the shard is open, e.g.
during `loyalty bench history --data DIR`: copy `DIR/shard/shard-0000.sqlite-wal` and then
the file beside it (a copy taken mid-COMMIT ends at the last complete transaction). A late
day of that bench and what its pages were is in docs/big-shards.md ("What is not met").
"""

import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def transactions(wal: bytes) -> tuple[int, list[list[int]]]:
    """The page size and the page numbers of each complete transaction in the WAL."""
    if len(wal) < 32:
        return 0, []
    magic, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
    if magic not in (0x377F0682, 0x377F0683):
        sys.exit("not a WAL file (bad magic number)")
    done: list[list[int]] = []
    pages: list[int] = []
    at = 32
    while at + 24 + page_size <= len(wal):
        page, size_after_commit, s1, s2 = struct.unpack(">4I", wal[at : at + 16])
        if (s1, s2) != (salt1, salt2):
            break  # an older generation's frame: the current one ends here
        pages.append(page)
        if size_after_commit:
            done.append(pages)
            pages = []
        at += 24 + page_size
    return page_size, done


def owners(path: str) -> dict[int, str]:
    """Page number → table or index, from dbstat on a copy of the file and its WAL."""
    with tempfile.TemporaryDirectory() as directory:
        copy = os.path.join(directory, "shard.sqlite")
        shutil.copyfile(path, copy)
        shutil.copyfile(path + "-wal", copy + "-wal")
        out = subprocess.run(
            ["sqlite3", "-readonly", copy, "SELECT pageno, name FROM dbstat"], capture_output=True, text=True, check=True
        ).stdout
    result = {}
    for line in out.splitlines():
        page, name = line.split("|", 1)
        result[int(page)] = name
    return result


def main() -> None:
    args = sys.argv[1:]
    last = None
    if "--last" in args:
        at = args.index("--last")
        last = int(args[at + 1])
        del args[at : at + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    path = args[0]
    with open(path + "-wal", "rb") as f:
        page_size, done = transactions(f.read())
    print(f"page size {page_size}: {len(done)} transactions, {sum(map(len, done))} frames")
    names = owners(path)
    for index, pages in enumerate(done[-last:] if last else done):
        count = collections.Counter(names.get(page, "(free)") for page in pages)
        shares = ", ".join(f"{name} {n}" for name, n in count.most_common())
        print(f"transaction {index}: {len(pages)} frames ({len(set(pages))} pages): {shares}")


if __name__ == "__main__":
    main()

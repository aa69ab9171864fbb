#!/usr/bin/env python3
"""Where one thread's time went, from `perf script` output: by library, by leaf symbol,
and, for its kernel samples, by the system call (or fault) that entered the kernel.

    perf record -e cpu-clock -F 499 -g -p PID -o late.data -- sleep 25
    perf report -i late.data --stdio --no-children --sort pid -g none   # the thread ids
    perf script -i late.data > late.txt
    scripts/thread-profile.py late.txt TID [--skip Snapshot,SyncedFile]

`--skip` leaves out the samples within 0.2 s of a sample whose stack names one of the
given symbols (in `bench history`, the snapshot taken between days on the same thread:
Debian's libsqlite3 has no frame pointers, so a stack inside SQLite does not show who
called it). Used for docs/big-shards.md, "Checkpoints in the COMMIT".
"""
import argparse
import bisect
import collections
import re

HEADER = re.compile(r"^\S.*?\s(\d+)\s+(?:\[\d+\]\s+)?(\d+\.\d+):")
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
ENTRIES = ("__x64_sys_", "ksys_", "asm_exc_", "exc_page_fault", "do_user_addr_fault")


def samples(path):
    """(thread id, time, [(symbol, object)] innermost first) for each sample."""
    current = None
    with open(path, errors="replace") as text:
        for line in text:
            if not line.strip():
                if current:
                    yield current
                current = None
                continue
            if not line[0].isspace():
                header = HEADER.match(line)
                current = (header.group(1), float(header.group(2)), []) if header else None
                continue
            frame = FRAME.match(line)
            if current and frame:
                current[2].append((re.sub(r"\+0x[0-9a-f]+$", "", frame.group(1)), frame.group(2)))
    if current:
        yield current


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", help="output of `perf script`")
    parser.add_argument("tid", help="the thread to look at")
    parser.add_argument("--skip", default="", help="comma-separated symbol parts: samples near those are left out")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    mine = [s for s in samples(args.script) if s[0] == args.tid]
    skip = [part for part in args.skip.split(",") if part]
    marked = sorted(t for _, t, frames in mine if any(p in f for f, _ in frames for p in skip))

    def near(t):
        i = bisect.bisect_left(marked, t - 0.2)
        return i < len(marked) and marked[i] <= t + 0.2

    kept = [s for s in mine if not near(s[1])]
    if not kept:
        raise SystemExit(f"no samples of thread {args.tid} (of {len(mine)} before --skip)")
    total = len(kept)
    objects, leaves, entries = collections.Counter(), collections.Counter(), collections.Counter()
    for _, _, frames in kept:
        symbol, where = frames[0] if frames else ("?", "?")
        kernel = "kernel" in where
        objects["kernel" if kernel else where.rsplit("/", 1)[-1]] += 1
        leaves[symbol[:90]] += 1
        if kernel:
            inside = [f for f, o in frames if "kernel" in o]
            entry = next((f for f in reversed(inside) if f.startswith(ENTRIES)), "?")
            caller = next((f for f, o in frames if "kernel" not in o), "?")
            entries[f"{entry} <- {caller[:50]}"] += 1
    print(f"thread {args.tid}: {total} samples ({len(mine) - total} left out near {', '.join(skip) or 'nothing'})")
    for title, counter in (("by object", objects), ("by leaf symbol", leaves), ("kernel, by entry", entries)):
        print(f"-- {title}")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / total:6.1f} %  {name}")


if __name__ == "__main__":
    main()

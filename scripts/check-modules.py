#!/usr/bin/env python3
"""The module graph: checked against the code, drawn into docs/architecture.md.

Reads the targets of Package.swift (`swift package dump-package`) and the `import` lines
of every Swift file, and fails (exit 1, one line a problem) when:

- a file imports a module its target does not declare (a hidden edge: it builds only
  because some other dependency happens to bring the module along);
- a target declares a dependency that none of its files imports (an unused edge, such
  as the one that once pulled SQLite into the gateway);
- a service module (Gateway, Worker, ClearingNode) depends on another service module;
- anything but the storage layer (SQLite) depends on or imports SQLite's C library;
- docs/architecture.md's module graph is not the one Package.swift gives.

`--write` redraws the graph in docs/architecture.md instead of failing on it.
Run by scripts/test.sh; docs/changing.md says when to touch the graph.
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "architecture.md")
BEGIN = "<!-- module-graph: drawn by scripts/check-modules.py --write; checked by scripts/test.sh -->"
END = "<!-- end of module graph -->"

# Modules of the toolchain and the OS: importing them needs no declared dependency.
SYSTEM = {
    "Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Musl", "Darwin",
    "Synchronization", "FoundationXML", "FoundationNetworking", "Testing", "XCTest", "_Concurrency", "os",
}
SERVICES = {"Gateway", "Worker", "ClearingNode"}
STORAGE, C_SQLITE = "SQLite", "CSQLite"
# Our own modules under Sources/, drawn in the graph (tests, test support and C shims are left out).
GRAPH_KINDS = {"regular", "executable"}

IMPORT = re.compile(
    r"^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_]\w*)"
)


def targets():
    output = subprocess.run(
        ["swift", "package", "dump-package"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    package = json.loads(output)
    result = []
    for target in package["targets"]:
        deps = []
        for dep in target["dependencies"]:
            if "byName" in dep:
                deps.append(dep["byName"][0])
            elif "target" in dep:
                deps.append(dep["target"][0])
            elif "product" in dep:
                deps.append(dep["product"][0])
        kind = target["type"]
        path = target.get("path") or os.path.join("Tests" if kind == "test" else "Sources", target["name"])
        result.append({"name": target["name"], "kind": kind, "path": path, "deps": deps,
                       "exclude": target.get("exclude", [])})
    return result


def imports(target):
    """module → first file importing it, over the target's Swift files; None when the
    target has no Swift file (a C target: its dependencies are link settings)."""
    found = {}
    swift_files = 0
    base = os.path.join(ROOT, target["path"])
    excluded = [os.path.join(base, e) for e in target["exclude"]]
    for directory, _, files in os.walk(base):
        if any(directory == e or directory.startswith(e + os.sep) for e in excluded):
            continue
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            swift_files += 1
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                in_string = False  # inside a multi-line string literal (a script for python3…)
                for line in handle:
                    if line.count('"""') % 2 == 1:
                        in_string = not in_string
                        continue
                    match = None if in_string else IMPORT.match(line)
                    if match:
                        found.setdefault(match.group(1), os.path.relpath(path, ROOT))
    return found if swift_files else None


def graph(all_targets):
    ours = {
        t["name"] for t in all_targets
        if t["kind"] in GRAPH_KINDS and t["path"].startswith("Sources" + os.sep) and os.path.isdir(os.path.join(ROOT, t["path"]))
    }
    lines = ["```mermaid", "graph TD"]
    for target in sorted(all_targets, key=lambda t: t["name"]):
        if target["name"] not in ours:
            continue
        for dep in sorted(d for d in target["deps"] if d in ours):
            lines.append(f"    {target['name']} --> {dep}")
    lines.append("```")
    return "\n".join(lines)


def main():
    write = "--write" in sys.argv[1:]
    all_targets = targets()
    names = {t["name"] for t in all_targets}
    problems = []
    for target in all_targets:
        name, deps = target["name"], set(target["deps"])
        if target["kind"] == "system" or not os.path.isdir(os.path.join(ROOT, target["path"])):
            continue
        used = imports(target)
        if used is None:
            continue
        for module, where in sorted(used.items()):
            if module in SYSTEM or module == name or module in deps:
                continue
            problems.append(f"{where}: imports {module}, which target {name} does not declare in Package.swift")
        for dep in sorted(deps - set(used)):
            problems.append(f"Package.swift: target {name} declares {dep}, which none of its files imports (an unused edge)")
        if name in SERVICES:
            for dep in sorted(deps & SERVICES):
                problems.append(f"Package.swift: service module {name} depends on service module {dep}")
        if name != STORAGE and (C_SQLITE in deps or C_SQLITE in used):
            problems.append(f"Package.swift: {name} reaches SQLite's C library; only the {STORAGE} module may")

    drawn = graph(all_targets)
    with open(DOC, encoding="utf-8") as handle:
        doc = handle.read()
    if BEGIN not in doc or END not in doc:
        problems.append(f"docs/architecture.md: no module graph between the markers (run {sys.argv[0]} --write)")
    else:
        start = doc.index(BEGIN) + len(BEGIN)
        stop = doc.index(END)
        current = doc[start:stop].strip()
        if current != drawn:
            if write:
                doc = doc[:start] + "\n" + drawn + "\n" + doc[stop:]
                with open(DOC, "w", encoding="utf-8") as handle:
                    handle.write(doc)
                print("docs/architecture.md: module graph redrawn")
            else:
                problems.append("docs/architecture.md: the module graph is not Package.swift's; run scripts/check-modules.py --write")

    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in the module graph")
        return 1
    print(f"module graph: {len(all_targets)} targets, every edge used and declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())

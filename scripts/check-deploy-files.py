#!/usr/bin/env python3
"""Static checks of docker/ and ops/ (no Docker engine on the development machine):
every YAML file parses, and every `loyalty` invocation in them names a real subcommand
and only options that subcommand's --help lists."""
import pathlib, subprocess, sys
import yaml

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / ".build/debug/loyalty")
problems = []

def invocations(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("command", "args") and isinstance(value, list) and value and isinstance(value[0], str):
                yield value
            else:
                yield from invocations(value)
    elif isinstance(node, list):
        for item in node:
            yield from invocations(item)

help_cache = {}
def help_of(path):
    key = tuple(path)
    if key not in help_cache:
        run = subprocess.run([binary, *path, "--help"], capture_output=True, text=True)
        help_cache[key] = run.stdout if run.returncode == 0 else None
    return help_cache[key]

def split_command(argv):
    """The longest run of leading words that names a (nested) subcommand, and the rest."""
    path = []
    for word in argv:
        if word.startswith("-") or help_of(path + [word]) is None or "SUBCOMMANDS" not in (help_of(path) or "SUBCOMMANDS"):
            break
        path.append(word)
    return path, argv[len(path):]

files = sorted(list((root / "docker").glob("*.yaml")) + list((root / "ops").rglob("*.yaml")))
for path in files:
    try:
        documents = list(yaml.safe_load_all(path.read_text()))
    except yaml.YAMLError as error:
        problems.append(f"{path.relative_to(root)}: not valid YAML: {error}")
        continue
    for document in documents:
        for argv in invocations(document):
            command, rest = split_command(argv)
            subcommand = " ".join(command)
            text = help_of(command) if command else None
            if text is None or "SUBCOMMANDS" in text:
                problems.append(f"{path.relative_to(root)}: `loyalty {' '.join(argv[:2])}` is not a runnable command")
                continue
            for arg in rest:
                if arg.startswith("--") and f"{arg.split('=')[0]} " not in text and f"{arg.split('=')[0]}\n" not in text:
                    problems.append(f"{path.relative_to(root)}: `loyalty {subcommand}` has no option {arg}")

dockerfile = (root / "docker/Dockerfile").read_text()
for needed in ["librdkafka", "libsqlite3", "--product loyalty", "config/programme.sample.json"]:
    if needed not in dockerfile:
        problems.append(f"docker/Dockerfile: expected to mention {needed}")

for problem in problems:
    print(problem, file=sys.stderr)
print(f"deploy files: {len(files)} YAML file(s) checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)

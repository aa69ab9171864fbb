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
def options_of(subcommand):
    if subcommand not in help_cache:
        run = subprocess.run([binary, subcommand, "--help"], capture_output=True, text=True)
        help_cache[subcommand] = run.stdout if run.returncode == 0 else None
    return help_cache[subcommand]

files = sorted(list((root / "docker").glob("*.yaml")) + list((root / "ops").rglob("*.yaml")))
for path in files:
    try:
        documents = list(yaml.safe_load_all(path.read_text()))
    except yaml.YAMLError as error:
        problems.append(f"{path.relative_to(root)}: not valid YAML: {error}")
        continue
    for document in documents:
        for argv in invocations(document):
            subcommand = argv[0]
            text = options_of(subcommand)
            if text is None:
                problems.append(f"{path.relative_to(root)}: `loyalty {subcommand}` is not a command")
                continue
            for arg in argv[1:]:
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

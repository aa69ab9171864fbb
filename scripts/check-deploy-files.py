#!/usr/bin/env python3
"""Static checks of the deployment files (no Docker engine or cluster on the development
machine), run by scripts/test.sh with the built binary:

  check-deploy-files.py [BINARY]          self-test, then check the repository
  check-deploy-files.py --self-test [BINARY]   only the self-test

What it checks, in docker/ (compose.yaml, Dockerfile), ops/ (k8s, prometheus, grafana,
shell scripts) and the ```sh blocks of docs/operations.md:
- every YAML and JSON file parses;
- every `loyalty` invocation names a runnable subcommand and only options that
  subcommand's --help lists (the binary is the truth);
- ports: the metrics port of each worker / clearing node and the gateway's API port is the
  flag passed or the contract's default (docs/operations.md, "Metrics"), and the container
  ports, probes, scrape annotations and Prometheus targets use that port; the probes ask
  /health (liveness) and /ready (readiness); the defaults in --help agree with the contract;
- paths: every file or directory flag lies on a volume mounted in that container (or a file
  the image holds), and the ones a node writes lie on a writable mount; every volume mount
  names a volume; every ConfigMap and Secret referenced is generated or defined; every
  manifest is listed in the kustomization; pods run as the image's user;
- metrics: every metric name in the alert and recording rules and the Grafana dashboard is
  in the metrics table of docs/operations.md with the labels used on it, and every name in
  that table is registered in Sources/ (a full literal "loyalty_…", or a swift-prometheus
  descriptor with literal namespace/metricName/unitName);
- every runbook link of an alert points at a heading of docs/operations.md;
- with promtool on PATH (Debian package prometheus; optional): the rules and the
  dashboard's queries parse, and the alert rules' unit tests (ops/prometheus/*.test.yaml) pass.
"""
import json, pathlib, re, shlex, shutil, subprocess, sys, tempfile
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
# The contract (docs/operations.md, "Metrics"): the port flag of each node and its default.
PORTS = {"worker": ("--metrics-port", 9470), "clearing run": ("--metrics-port", 9471), "gateway": ("--port", 8080)}
READ_FLAGS = {"--programme", "--secrets", "--key", "--public-key", "--bootstrap-file"}
WRITE_FLAGS = {"--data", "--state", "--out", "--snapshot-dir", "--archive-dir", "--private-key"}
TARGET_LABELS = {"job", "instance", "pod", "namespace"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
IMAGE = "loyalty-clearing"


class Help:
    """`loyalty … --help` of the binary, cached: options and defaults per subcommand."""

    def __init__(self, binary):
        self.binary, self.cache = binary, {}

    shared = {}

    @classmethod
    def of(cls, binary):
        """One cache per binary for every check of a run (the self-test runs many)."""
        return cls.shared.setdefault(binary, cls(binary))

    def text(self, path):
        key = tuple(path)
        if key not in self.cache:
            run = subprocess.run([self.binary, *path, "--help"], capture_output=True, text=True)
            self.cache[key] = run.stdout if run.returncode == 0 else None
        return self.cache[key]

    def split(self, argv):
        """The longest run of leading words naming a (nested) subcommand, and the rest."""
        path = []
        for word in argv:
            current = self.text(path)
            if word.startswith("-") or current is None or "SUBCOMMANDS" not in current or self.text(path + [word]) is None:
                break
            path.append(word)
        return path, argv[len(path):]

    def options(self, path):
        text = self.text(path) or ""
        return set(re.findall(r"(?m)^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", text.split("OPTIONS:", 1)[-1]))

    def required(self, path):
        """Options the USAGE line lists outside brackets (swift-argument-parser's required ones)."""
        usage = (self.text(path) or "").partition("USAGE:")[2].split("\n\n")[0]
        required = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", re.sub(r"\[[^\]]*\]", "", usage)))
        # Options checked at run time that say so ("--programme <file> …; required"), except
        # for `dev` and `bench`, which keep the built-in sample.
        if path[:1] not in (["dev"], ["bench"]):
            required |= {flag for flag in self.options(path) if re.match(r"[^.]*?;\s*required\b", self.description(path, flag))}
        return required

    def description(self, path, flag):
        text = (self.text(path) or "").split("OPTIONS:", 1)[-1]
        match = re.search(r"(?ms)^\s+" + re.escape(flag) + r"\b(.*?)(?=^\s+-|\Z)", text)
        return " ".join(match.group(1).split()) if match else ""

    def default(self, path, flag):
        found = re.search(r"\(default:\s*([^)]*)\)", self.description(path, flag))
        return found.group(1).strip() if found else None


class Invocation:
    """One `loyalty` command line in a file, with what its container provides when known."""

    def __init__(self, where, argv, mounts=None, ports=None, service=None):
        self.where, self.argv, self.service = where, argv, service
        self.mounts = mounts  # [(path, writable)], or None when the file does not say
        self.ports = ports  # [(what, port)] that must equal the node's port, or None


class Checker:
    def __init__(self, root, binary):
        self.root, self.help, self.problems = pathlib.Path(root), Help.of(binary), []
        self.image_files, self.image_uid = set(), None
        self.invocations, self.scrape_targets = [], []  # scrape: (where, service, port)

    def problem(self, text):
        self.problems.append(text)

    def rel(self, path):
        return str(pathlib.Path(path).relative_to(self.root))

    def load_yaml(self, path):
        try:
            return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as error:
            self.problem(f"{self.rel(path)}: not valid YAML: {error}")
            return []

    # --- collecting invocations -------------------------------------------------------

    def dockerfile(self):
        path = self.root / "docker/Dockerfile"
        if not path.exists():
            return
        text = path.read_text()
        for needed in ["librdkafka", "libsqlite3", "--product loyalty", "config/programme.sample.json"]:
            if needed not in text:
                self.problem(f"docker/Dockerfile: expected to mention {needed}")
        final = text.split("\nFROM ")[-1]  # the runtime stage
        self.image_files = {m.split()[-1] for m in re.findall(r"(?m)^COPY\s+(.+)$", final)}
        uid = re.search(r"--uid\s+(\d+)", final)
        self.image_uid = int(uid.group(1)) if uid else None
        for instruction in re.findall(r"(?m)^CMD\s+(\[.*\])\s*$", final):
            argv = json.loads(instruction)
            if argv and argv != ["--help"]:
                self.invocations.append(Invocation("docker/Dockerfile CMD", argv))

    def compose(self):
        path = self.root / "docker/compose.yaml"
        if not path.exists():
            return
        for document in self.load_yaml(path):
            services = document.get("services", {})
            for name, service in services.items():
                for volume in service.get("volumes", []):
                    source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
                    if source.startswith(".") and not (path.parent / source).exists():
                        self.problem(f"docker/compose.yaml service {name}: mounts {source}, which does not exist")
                if not str(service.get("image", "")).startswith(IMAGE):
                    continue
                mounts = []
                for volume in service.get("volumes", []):
                    parts = volume.split(":") if isinstance(volume, str) else [volume.get("source", ""), volume["target"]]
                    mounts.append((parts[1], not (len(parts) > 2 and parts[2] == "ro")))
                mounts += [(f"/run/secrets/{s if isinstance(s, str) else s['source']}", False) for s in service.get("secrets", [])]
                ports = [(f"expose/ports of {name}", int(str(p).split(":")[-1])) for p in service.get("expose", []) + service.get("ports", [])]
                where = f"docker/compose.yaml service {name}"
                if isinstance(service.get("command"), list):
                    self.invocations.append(Invocation(where, service["command"], mounts, ports, name))
                entry = service.get("entrypoint")
                if isinstance(entry, list) and entry[:2] == ["/bin/sh", "-c"]:
                    for argv in shell_invocations(entry[2]):
                        self.invocations.append(Invocation(where + " entrypoint", argv, mounts, None))

    def kubernetes(self):
        directory = self.root / "ops/k8s"
        if not directory.exists():
            return
        defined = {"ConfigMap": set(), "Secret": set()}
        references, listed = [], set()
        kustomization = directory / "kustomization.yaml"
        if kustomization.exists():
            for document in self.load_yaml(kustomization):
                listed = set(document.get("resources", []))
                for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
                    defined[kind] |= {g["name"] for g in document.get(key, [])}
                for resource in sorted(listed):
                    if not (directory / resource).exists():
                        self.problem(f"ops/k8s/kustomization.yaml: lists {resource}, which does not exist")
        for path in sorted(directory.glob("*.yaml")):
            if path.name == "kustomization.yaml":
                continue
            if kustomization.exists() and path.name not in listed:
                self.problem(f"{self.rel(path)}: not listed in ops/k8s/kustomization.yaml resources")
            for document in self.load_yaml(path):
                kind, name = document.get("kind"), document.get("metadata", {}).get("name")
                if kind in defined:
                    defined[kind].add(name)
                template = document.get("spec", {}).get("template")
                if template:
                    references += self.pod(path, f"{kind} {name}", document, template)
        for where, kind, name in references:
            if name not in defined[kind]:
                self.problem(f"{where}: refers to {kind} {name}, which no manifest or generator defines")

    def pod(self, path, owner, document, template):
        spec, annotations = template.get("spec", {}), template.get("metadata", {}).get("annotations", {})
        where_pod = f"{self.rel(path)} {owner}"
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in document["spec"].get("volumeClaimTemplates", [])}
        references = [(where_pod, "ConfigMap", v["configMap"]["name"]) for v in volumes.values() if "configMap" in v]
        references += [(where_pod, "Secret", v["secret"]["secretName"]) for v in volumes.values() if "secret" in v]
        uid = spec.get("securityContext", {}).get("runAsUser")
        if self.image_uid is not None and uid is not None and uid != self.image_uid:
            self.problem(f"{where_pod}: runAsUser {uid} is not the image's user {self.image_uid} (docker/Dockerfile)")
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            where = f"{where_pod} container {container['name']}"
            for env in container.get("env", []):
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if key in env.get("valueFrom", {}):
                        references.append((where, kind, env["valueFrom"][key]["name"]))
            mounts = []
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes and mount["name"] not in claims:
                    self.problem(f"{where}: mounts volume {mount['name']}, which the pod does not define")
                source = volumes.get(mount["name"], {})
                writable = not mount.get("readOnly") and not ({"configMap", "secret"} & set(source))
                mounts.append((mount["mountPath"], writable))
            if not str(container.get("image", "")).startswith(IMAGE):
                continue
            command = container.get("command") or []
            argv = command[1:] + container.get("args", []) if command and command[0].endswith("loyalty") else container.get("args", [])
            if command[:2] == ["/bin/sh", "-c"]:
                for shell_argv in shell_invocations(command[2]):
                    self.invocations.append(Invocation(where, shell_argv, mounts, None))
                continue
            ports = self.container_ports(where, container, annotations)
            self.invocations.append(Invocation(where, argv, mounts, ports))
            # A worker applies one shard per core it sees, and a CPU limit does not change
            # what it sees: its --apply-threads must be the limit.
            cpu = str(container.get("resources", {}).get("limits", {}).get("cpu", ""))
            if argv[:1] == ["worker"] and cpu:
                threads = argv[argv.index("--apply-threads") + 1] if "--apply-threads" in argv[:-1] else None
                if not cpu.isdigit() or threads != cpu:
                    self.problem(f"{where}: limits.cpu {cpu} needs --apply-threads {cpu} (whole cores), not {threads}")
        return references

    def container_ports(self, where, container, annotations):
        named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        ports = [(f"containerPort {name}", number) for name, number in named.items()]
        for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
            get = container.get(probe, {}).get("httpGet")
            if get is None:
                if container.get("ports"):
                    self.problem(f"{where}: no {probe} with httpGet {path}")
                continue
            if get.get("path") != path:
                self.problem(f"{where}: {probe} asks {get.get('path')}, expected {path}")
            port = get.get("port")
            if isinstance(port, str) and port not in named:
                self.problem(f"{where}: {probe} names port {port}, which the container does not declare")
            ports.append((probe, named.get(port, port)))
        if "prometheus.io/port" in annotations:
            ports.append(("annotation prometheus.io/port", int(annotations["prometheus.io/port"])))
        return ports

    def shell_scripts(self):
        for path in sorted((self.root / "ops").rglob("*.sh")):
            text = path.read_text()
            for argv in shell_invocations(text, variables=True, arrays=shell_arrays(text)):
                self.invocations.append(Invocation(self.rel(path), argv))
            # Calls of a function that runs the binary with its arguments after a first one
            # (`launch NAME ARGS...` running `"$bin" "$@"` after a shift).
            for wrapper in shell_wrappers(text):
                for argv in shell_invocations(text, names={wrapper}, arrays=shell_arrays(text)):
                    path_words, _ = self.help.split(argv[1:])
                    if path_words and "SUBCOMMANDS" not in (self.help.text(path_words) or "SUBCOMMANDS"):
                        argv = argv[1:]
                    self.invocations.append(Invocation(f"{self.rel(path)} ({wrapper} …)", argv))

    def docs(self):
        path = self.root / "docs/operations.md"
        if not path.exists():
            return
        for block in re.findall(r"(?ms)^[ \t]*```(?:sh|bash|shell)\n(.*?)^[ \t]*```", path.read_text()):
            for argv in shell_invocations(block):
                self.invocations.append(Invocation("docs/operations.md", argv))

    # --- checking invocations ---------------------------------------------------------

    def check_invocations(self):
        for node, (flag, port) in PORTS.items():
            found = self.help.default(node.split(), flag)
            if found is not None and found != str(port):
                self.problem(f"`loyalty {node} --help`: {flag} defaults to {found}; the contract (docs/operations.md, Metrics) says {port}")
        for invocation in self.invocations:
            self.check_invocation(invocation)

    def check_invocation(self, invocation):
        path, rest = self.help.split(invocation.argv)
        text = self.help.text(path) if path else None
        if text is None or "SUBCOMMANDS" in text:
            self.problem(f"{invocation.where}: `loyalty {' '.join(invocation.argv[:2])}` is not a runnable command")
            return
        command, options, values = " ".join(path), self.help.options(path), {}
        for index, arg in enumerate(rest):
            if not arg.startswith("--"):
                continue
            flag, _, inline = arg.partition("=")
            if flag not in options:
                self.problem(f"{invocation.where}: `loyalty {command}` has no option {flag}")
            elif inline or index + 1 < len(rest):
                values[flag] = inline or rest[index + 1]
        given = {arg.partition("=")[0] for arg in rest}
        for flag in sorted(self.help.required(path) - given):
            self.problem(f"{invocation.where}: `loyalty {command}` needs {flag}")
        if command in PORTS and invocation.ports is not None:
            flag, default = PORTS[command]
            port = int(values.get(flag, default)) if values.get(flag, str(default)).isdigit() else None
            if port == 0:
                self.problem(f"{invocation.where}: {flag} 0 (an ephemeral port) cannot be probed or scraped")
            for what, declared in invocation.ports:
                if declared != port:
                    self.problem(f"{invocation.where}: {what} is {declared}, but `loyalty {command}` listens on {port}")
            for where, service, target_port in self.scrape_targets:
                if service == invocation.service and target_port != port:
                    self.problem(f"{where}: scrapes {service}:{target_port}, but `loyalty {command}` listens on {port}")
        if invocation.mounts is not None:
            for flag, value in values.items():
                if flag in READ_FLAGS | WRITE_FLAGS and "$" not in value:
                    self.check_path(invocation, flag, value)

    def check_path(self, invocation, flag, value):
        under = [writable for mount, writable in invocation.mounts if value == mount or value.startswith(mount.rstrip("/") + "/")]
        if flag in WRITE_FLAGS and not any(under):
            state = "a read-only mount" if under else "no mounted volume"
            self.problem(f"{invocation.where}: {flag} {value} is written by the node but lies on {state}")
        elif flag in READ_FLAGS and not under and value not in self.image_files:
            self.problem(f"{invocation.where}: {flag} {value} is neither on a mounted volume nor a file of the image")

    # --- Prometheus, Grafana, metric names ---------------------------------------------

    def prometheus(self):
        expressions, runbooks = [], []
        for path in sorted((self.root / "ops/prometheus").glob("*.y*ml")) if (self.root / "ops/prometheus").exists() else []:
            for document in self.load_yaml(path):
                for group in document.get("groups", []):
                    for rule in group.get("rules", []):
                        name = rule.get("alert") or rule.get("record")
                        expressions.append((f"{self.rel(path)} {name}", rule["expr"], path))
                        if "alert" in rule:
                            runbooks.append((f"{self.rel(path)} {name}", rule.get("annotations", {}).get("runbook_url")))
                for scrape in document.get("scrape_configs", []):
                    for static in scrape.get("static_configs", []):
                        for target in static.get("targets", []):
                            host, _, port = target.rpartition(":")
                            self.scrape_targets.append((f"{self.rel(path)} job {scrape['job_name']}", host, int(port)))
        for path in sorted((self.root / "ops/grafana").rglob("*.json")) if (self.root / "ops/grafana").exists() else []:
            try:
                document = json.loads(path.read_text())
            except json.JSONDecodeError as error:
                self.problem(f"{self.rel(path)}: not valid JSON: {error}")
                continue
            for title, expr in panel_queries(document):
                expressions.append((f"{self.rel(path)} panel '{title}'", expr, path))
        for path in sorted((self.root / "ops/grafana").rglob("*.y*ml")) if (self.root / "ops/grafana").exists() else []:
            self.load_yaml(path)
        return expressions, runbooks

    def metrics(self, expressions, runbooks):
        table, headings = operations_doc(self.root / "docs/operations.md")
        used = {n for _, expr, _ in expressions for n, _ in metric_uses(expr)}
        registered = registered_metrics(self.root / "Sources", set(table) | used | {n[: -len(x)] for n in used for x in HISTOGRAM_SUFFIXES if n.endswith(x)})
        for name in sorted(table):
            if name not in registered:
                self.problem(f"docs/operations.md Metrics: {name} is not registered by any source in Sources/")
        for where, expr, _ in expressions:
            for name, labels in metric_uses(expr):
                base = name
                if base not in table:
                    base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s) and name[: -len(s)] in table), name)
                if base not in table:
                    known = "registered in Sources/ but not" if base in registered else "neither registered in Sources/ nor"
                    self.problem(f"{where}: metric {name} is {known} in docs/operations.md's Metrics table")
                    continue
                allowed = table[base] | TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set())
                for label in sorted(labels - allowed):
                    self.problem(f"{where}: metric {name} has no label {label} (labels: {', '.join(sorted(table[base])) or 'none'})")
        for where, url in runbooks:
            anchor = (url or "").partition("docs/operations.md#")[2]
            if not anchor:
                self.problem(f"{where}: no runbook_url into docs/operations.md")
            elif anchor not in headings:
                self.problem(f"{where}: runbook anchor #{anchor} is not a heading of docs/operations.md")

    def promtool(self, expressions):
        if shutil.which("promtool") is None:
            return
        rules = {"groups": [{"name": "check", "rules": [{"record": f"check:expression:{i}", "expr": e} for i, (_, e, _) in enumerate(expressions)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as handle:
            yaml.safe_dump(rules, handle)
            handle.flush()
            for path in [handle.name] + sorted({str(p) for _, _, p in expressions if str(p).endswith((".yaml", ".yml"))}):
                run = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
                if run.returncode != 0:
                    self.problem(f"promtool check rules: {(run.stdout + run.stderr).strip()}")
        for path in sorted((self.root / "ops/prometheus").glob("*.test.yaml")):
            run = subprocess.run(["promtool", "test", "rules", path.name], cwd=path.parent, capture_output=True, text=True)
            if run.returncode != 0:
                self.problem(f"promtool test rules {self.rel(path)}: {(run.stdout + run.stderr).strip()}")

    def run(self):
        for folder in ("docker", "ops"):
            for path in sorted((self.root / folder).rglob("*.y*ml")) if (self.root / folder).exists() else []:
                self.load_yaml(path)
        self.dockerfile()
        expressions, runbooks = self.prometheus()
        self.compose()
        self.kubernetes()
        self.shell_scripts()
        self.docs()
        self.check_invocations()
        self.metrics(expressions, runbooks)
        self.promtool(expressions)
        return self.problems


def shell_arrays(text):
    """Every word assigned to each shell array anywhere in the text (`name=(...)`), so that
    `"${name[@]}"` is checked as all the words it can hold."""
    arrays = {}
    for name, words in re.findall(r"(?m)\b(\w+)=\((.*)\)\s*$", text):
        try:
            arrays.setdefault(name, []).extend(shlex.split(words))
        except ValueError:
            pass
    return arrays


def shell_invocations(text, variables=False, names=("loyalty",), arrays=None):
    """`loyalty …` command lines in shell text (continuations joined, comments dropped), up to
    the next operator. With variables, `"$bin"`-style words whose name mentions loyalty or bin count too."""
    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if index > 0 and words[index - 1] == "-c":  # a quoted script: `sh -c '…'`
                yield from shell_invocations(word, variables, names, arrays)
            is_binary = word in names or re.search(r"(?:bin|debug|release)/loyalty$", word) is not None
            if variables and re.fullmatch(r"\$\{?[A-Za-z_]*(?:LOYALTY|loyalty|BIN|bin)[A-Za-z_]*(?::-[^}]*)?\}?", word):
                is_binary = True
            previous = words[index - 1] if index > 0 else ""
            if not is_binary or previous in ("command", "which", "[", "test", "function") or re.fullmatch(r"-[a-zA-Z]", previous):
                continue
            argv = []
            for rest in words[index + 1:]:
                if rest in ("|", "||", "&&", ";", "&", "}") or rest.startswith((">", "2>", "<")):
                    break
                array = re.fullmatch(r"\$\{(\w+)\[@\]\}", rest.rstrip(";"))
                argv.extend((arrays or {}).get(array.group(1), []) if array else [rest.rstrip(";")])
                if rest.endswith(";"):
                    break
            if argv and argv[0] not in ("--help", "help") and not argv[0].startswith("$"):
                yield argv


def shell_wrappers(text):
    """Shell functions that run the binary with their arguments: `"$bin" "$@"` in the body."""
    name, body = None, []
    for line in text.splitlines() + [""]:
        one_line = re.match(r"^(\w+)\(\)\s*\{(.*)\}\s*$", line)
        start = re.match(r"^(\w+)\(\)\s*\{", line)
        if one_line or (name and line.startswith("}")):
            found, whole = (one_line.group(1), one_line.group(2)) if one_line else (name, "\n".join(body))
            if re.search(r'"\$\{?\w+\}?"\s+"\$@"(?!\s*--help)', whole):
                yield found
            name, body = None, []
        elif start:
            name, body = start.group(1), []
        elif name:
            body.append(line)


def panel_queries(node, title=""):
    if isinstance(node, dict):
        title = node.get("title", title)
        if isinstance(node.get("expr"), str):
            yield title, node["expr"]
        for value in node.values():
            yield from panel_queries(value, title)
    elif isinstance(node, list):
        for item in node:
            yield from panel_queries(item, title)


def metric_uses(expr):
    """(metric name, label names used on it) for each loyalty_* metric in a PromQL expression:
    labels of its selector, and of `by (…)` / `without (…)` clauses whose argument holds it."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    uses = {}
    for match in re.finditer(r"\b(loyalty_[a-z0-9_]+)\b(\s*\{([^}]*)\})?", expr):
        labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", match.group(3) or ""))
        uses.setdefault(match.group(1), set()).update(labels)
    for match in re.finditer(r"\b(?:by|without)\s*\(([^)]*)\)\s*\(", expr):
        depth, end = 1, match.end()
        while end < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[end], 0)
            end += 1
        labels = {label.strip() for label in match.group(1).split(",") if label.strip()}
        for name in re.findall(r"\b(loyalty_[a-z0-9_]+)\b", expr[match.end():end]):
            uses[name].update(labels)
    return sorted(uses.items())


def github_slug(heading):
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", heading.strip().lower()))


def operations_doc(path):
    """The Metrics table of docs/operations.md ({name: labels}) and its heading anchors."""
    if not path.exists():
        return {}, set()
    text = path.read_text()
    headings = {github_slug(h) for h in re.findall(r"(?m)^#{1,6}\s+(.+?)\s*$", text)}
    table = {}
    for name, labels in re.findall(r"(?m)^\|\s*`(loyalty_[a-z0-9_]+)(?:\{([a-z_, ]*)\})?`\s*\|", text):
        table[name] = {label.strip() for label in labels.split(",") if label.strip()}
    return table, headings


def registered_metrics(sources, used):
    """The names among `used` that Sources/ registers: a full literal "loyalty_…" in a Swift
    file, or, in a file that makes Prometheus metrics, literals that join into the name as
    swift-prometheus joins a descriptor: namespace "loyalty_…", metricName and an optional
    unitName, each a literal of that file (constants and small helpers stay readable, and a
    misspelled name still has no literal to match)."""
    found = set()
    for path in sources.rglob("*.swift") if sources.exists() else []:
        text = path.read_text(errors="replace")
        literals = set(re.findall(r'"([a-z0-9_]+)"', text))
        found |= {name for name in used if name in literals}
        if "metricName" not in text:
            continue
        for namespace in (l for l in literals if l.startswith("loyalty_")):
            for name in used:
                rest = name[len(namespace) + 1:] if name.startswith(namespace + "_") else None
                if rest and (rest in literals or any(rest.endswith("_" + u) and rest[: -len(u) - 1] in literals for u in literals)):
                    found.add(name)
    return found


SELF_TEST_GOOD = {
    "docker/Dockerfile": "FROM x AS build\nRUN apt-get install librdkafka-dev libsqlite3-dev && swift build --product loyalty\n"
    "FROM y\nRUN useradd --system --uid 10001 loyalty\nCOPY config/programme.sample.json /etc/loyalty/programme.json\n",
    "docker/compose.yaml": "services:\n  worker-1:\n    image: loyalty-clearing\n"
    '    command: ["worker", "--bootstrap", "kafka:9092", "--programme", "/etc/loyalty/programme.json", "--data", "/var/lib/loyalty/shards"]\n'
    "    volumes: [shards:/var/lib/loyalty/shards]\n    expose: ['9470']\n"
    "  prometheus:\n    image: prom/prometheus\n    volumes: ['../ops/prometheus/prometheus-compose.yaml:/etc/prometheus/prometheus.yaml:ro']\n",
    "ops/prometheus/alerts.yaml": "groups:\n  - name: g\n    rules:\n      - alert: LoyaltyConsumerLagHigh\n"
    "        expr: max by (partition) (loyalty_worker_consumer_lag) > 10\n"
    "        annotations: { runbook_url: 'x/docs/operations.md#loyaltyconsumerlaghigh' }\n",
    "ops/prometheus/prometheus-compose.yaml": "scrape_configs:\n  - job_name: loyalty-worker\n    static_configs:\n      - targets: ['worker-1:9470']\n",
    "docs/operations.md": "# Ops\n\n## Metrics\n\n| name | type |\n|---|---|\n| `loyalty_worker_consumer_lag{partition}` | gauge |\n\n"
    "### LoyaltyConsumerLagHigh\n\n```sh\nloyalty worker --programme P --data DIR\nloyalty ledger snapshot --partition 1 --to S  # now\n"
    "kubectl exec p -- sh -c 'loyalty ledger snapshot --partition 2 --to \"$S\"'\n```\n",
    "ops/run.sh": 'bin=x\nlaunch() {\n  shift\n  "$bin" "$@" &\n}\nextra=(--data /tmp/d)\nlaunch w1 worker --bootstrap k:9092 --programme p.json "${extra[@]}"\n',
    "ops/k8s/kustomization.yaml": "resources: [worker.yaml]\nconfigMapGenerator:\n  - { name: programme, files: [programme.json] }\n",
    "ops/k8s/worker.yaml": "kind: StatefulSet\nmetadata: { name: w }\nspec:\n  template:\n"
    "    metadata: { annotations: { prometheus.io/port: '9470' } }\n    spec:\n"
    "      securityContext: { runAsUser: 10001 }\n      containers:\n        - name: worker\n          image: loyalty-clearing\n"
    "          args: [worker, --programme, /etc/p/programme.json, --data, /data, --apply-threads, '2']\n"
    "          ports: [{ name: metrics, containerPort: 9470 }]\n"
    "          resources: { limits: { cpu: '2' } }\n"
    "          livenessProbe: { httpGet: { path: /health, port: metrics } }\n"
    "          readinessProbe: { httpGet: { path: /ready, port: 9470 } }\n"
    "          volumeMounts: [{ name: data, mountPath: /data }, { name: p, mountPath: /etc/p, readOnly: true }]\n"
    "      volumes: [{ name: p, configMap: { name: programme } }]\n"
    "  volumeClaimTemplates: [{ metadata: { name: data } }]\n",
    "Sources/Worker/Metrics.swift": 'let lag = registry.makeGauge(descriptor: .init(namespace: "loyalty_worker", metricName: "consumer",\n'
    '    unitName: "lag", helpText: "Records behind."))\n',
}
# Each breakage, and the words the check must answer it with.
SELF_TEST_BAD = [
    ("docker/compose.yaml", '"--data"', '"--dta"', "has no option --dta"),
    ("ops/prometheus/alerts.yaml", "loyalty_worker_consumer_lag", "loyalty_worker_consumer_lagg", "metric loyalty_worker_consumer_lagg"),
    ("ops/prometheus/alerts.yaml", "by (partition)", "by (partiton)", "has no label partiton"),
    ("docker/compose.yaml", "expose: ['9470']", "expose: ['9471']", "is 9471, but `loyalty worker` listens on 9470"),
    ("ops/prometheus/prometheus-compose.yaml", "worker-1:9470", "worker-1:9471", "scrapes worker-1:9471"),
    ("docker/compose.yaml", "shards:/var/lib/loyalty/shards]", "shards:/var/lib/loyalty/other]", "--data /var/lib/loyalty/shards is written"),
    ("docs/operations.md", "### LoyaltyConsumerLagHigh", "### Lag", "runbook anchor #loyaltyconsumerlaghigh"),
    ("docs/operations.md", "loyalty worker --programme P --data DIR", "loyalty worker --programme P --dat DIR", "docs/operations.md: `loyalty worker` has no option --dat"),
    ("ops/run.sh", "--data /tmp/d", "--dtaa /tmp/d", "ops/run.sh (launch …): `loyalty worker` has no option --dtaa"),
    ("ops/k8s/worker.yaml", "port: 9470 }", "port: 9471 }", "readinessProbe is 9471, but `loyalty worker` listens on 9470"),
    ("ops/k8s/worker.yaml", "path: /health", "path: /ready", "livenessProbe asks /ready, expected /health"),
    ("ops/k8s/worker.yaml", "mountPath: /data }", "mountPath: /data, readOnly: true }", "--data /data is written by the node but lies on a read-only mount"),
    ("ops/k8s/worker.yaml", "name: programme }", "name: programm }", "refers to ConfigMap programm"),
    ("ops/k8s/worker.yaml", "runAsUser: 10001", "runAsUser: 1000", "runAsUser 1000 is not the image's user 10001"),
    ("ops/k8s/worker.yaml", "--programme,", "--programe,", "`loyalty worker` has no option --programe"),
    ("docker/compose.yaml", '"--programme", "/etc/loyalty/programme.json", ', "", "`loyalty worker` needs --programme"),
    ("docker/compose.yaml", "prometheus-compose.yaml:", "prometheus.yml:", "mounts ../ops/prometheus/prometheus.yml, which does not exist"),
    ("ops/k8s/worker.yaml", "cpu: '2'", "cpu: '4'", "limits.cpu 4 needs --apply-threads 4"),
    ("ops/prometheus/prometheus-compose.yaml", "targets: ['worker-1:9470']", "targets: ['worker-1:9470'", "not valid YAML"),
    ("docs/operations.md", "--partition 2", "--partitoin 2", "`loyalty ledger snapshot` has no option --partitoin"),
    ("docs/operations.md", "--partition 1 --to S", "--partition 1", "`loyalty ledger snapshot` needs --to"),
    ("Sources/Worker/Metrics.swift", 'metricName: "consumer"', 'metricName: "consumers"', "Metrics: loyalty_worker_consumer_lag is not registered"),
]


def self_test(binary):
    """The check passes a small correct tree and fails each breakage of it, naming it."""
    failures = []

    def run(files):
        with tempfile.TemporaryDirectory() as root:
            for name, text in files.items():
                (pathlib.Path(root) / name).parent.mkdir(parents=True, exist_ok=True)
                (pathlib.Path(root) / name).write_text(text)
            return Checker(root, binary).run()

    problems = run(SELF_TEST_GOOD)
    if problems:
        failures.append(f"the correct fixture has problems: {problems}")
    for name, old, new, expected in SELF_TEST_BAD:
        assert old in SELF_TEST_GOOD[name], old
        problems = run(dict(SELF_TEST_GOOD, **{name: SELF_TEST_GOOD[name].replace(old, new)}))
        if not any(expected in problem for problem in problems):
            failures.append(f"{name}: {old!r} -> {new!r} should report '{expected}', got {problems}")
    for failure in failures:
        print(f"self-test: {failure}", file=sys.stderr)
    print(f"deploy files self-test: {len(SELF_TEST_BAD)} breakages, {len(failures)} failure(s)")
    return not failures


def main(argv):
    only_self_test = "--self-test" in argv
    arguments = [a for a in argv if a != "--self-test"]
    binary = arguments[0] if arguments else str(REPO / ".build/debug/loyalty")
    if not self_test(binary):
        return 1
    if only_self_test:
        return 0
    problems = list(dict.fromkeys(Checker(REPO, binary).run()))  # a file read twice says it once
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"deploy files: {len(problems)} problem(s)" + ("" if shutil.which("promtool") else " (promtool not found: rules checked without it)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

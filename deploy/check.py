# The checks behind deploy/check.sh that need no external tool: parsing, cross-file consistency, that every command named in deploy/ exists in the repo, and that every process gets the environment its code reads.
"""Validate deploy/ against itself and against the repository, without Docker or a cluster.

Run through deploy/check.sh (which adds the optional tool-based checks). Prints one line per
finding and exits 1 if any check failed. Standard library plus PyYAML only, so it runs in the
project's virtualenv.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
DEFINITIONS = DEPLOY / "rabbitmq" / "definitions.json"
RABBITMQ_CONF = DEPLOY / "rabbitmq" / "rabbitmq.conf"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
GATEWAY_PORT = 8000

errors: list[str] = []


def fail(message: str) -> None:
    errors.append(message)
    print(f"  FAIL {message}")


def ok(message: str) -> None:
    print(f"  ok   {message}")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------------------------------------
# Parsing


def load_yaml_files() -> dict[Path, list]:
    docs: dict[Path, list] = {}
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
    for path in files:
        try:
            with path.open() as fh:
                docs[path] = [d for d in yaml.safe_load_all(fh) if d is not None]
            ok(f"YAML parses: {rel(path)} ({len(docs[path])} document(s))")
        except yaml.YAMLError as exc:
            fail(f"YAML does not parse: {rel(path)}: {exc}")
    if COMPOSE not in docs:
        fail(f"missing or unparsable {rel(COMPOSE)}")
    return docs


def load_json_files() -> dict[Path, object]:
    out: dict[Path, object] = {}
    for path in sorted(p for p in DEPLOY.rglob("*.json") if p.is_file()):
        try:
            out[path] = json.loads(path.read_text())
            ok(f"JSON parses: {rel(path)}")
        except json.JSONDecodeError as exc:
            fail(f"JSON does not parse: {rel(path)}: {exc}")
    return out


def check_header_comments() -> None:
    """Every file says in its first line (after a shebang) what it is for."""
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        if path.suffix == ".json":
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                continue  # already reported by load_json_files
            if not (isinstance(data, dict) and isinstance(data.get("_comment"), str)):
                fail(f"{rel(path)}: JSON has no comments; give it a top-level \"_comment\"")
            continue
        lines = path.read_text().splitlines()
        if lines and lines[0].startswith("#!"):
            lines = lines[1:]
        if not lines or not lines[0].startswith("#"):
            fail(f"{rel(path)}: first line is not a comment saying what the file is for")
    ok("every file in deploy/ opens with a comment line")


# ---------------------------------------------------------------------------------------------
# The repository: console scripts, nameko services, packages


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def defines(path: Path, kind: str, name: str) -> bool:
    return re.search(rf"^\s*{kind}\s+{re.escape(name)}\b", path.read_text(), re.M) is not None


def own_database_packages() -> set[str]:
    """Top-level packages that `vetlife-migrate` accepts besides services/ (chassis/migrate.py)."""
    match = re.search(r"^OWN_DATABASE_PACKAGES\s*=\s*\(([^)]*)\)",
                      (ROOT / "chassis" / "migrate.py").read_text(), re.M)
    return set(re.findall(r"[\"']([a-z_]+)[\"']", match.group(1))) if match else set()


def has_migrations(service: str) -> bool:
    """Mirrors chassis/migrate.py's service_migrations for what deploy/ runs."""
    if (ROOT / "services" / service / "__init__.py").is_file():
        return True
    return service in own_database_packages() and (ROOT / service / "migrations").is_dir()


def check_cli_arguments(where: str, argv: list[str], path: Path) -> bool:
    """A console script's subcommand (argparse add_parser) and --options must exist in its module."""
    text = path.read_text()
    subcommands = re.findall(r"add_parser\(\s*[\"']([\w-]+)[\"']", text)
    if subcommands and (len(argv) < 2 or argv[1] not in subcommands):
        fail(f"{where}: {argv[0]} needs one of the subcommands {subcommands}, got {argv[1:2]}")
        return False
    for option in (a.split("=", 1)[0] for a in argv[1:] if a.startswith("--")):
        if f'"{option}"' not in text and f"'{option}'" not in text:
            fail(f"{where}: {argv[0]} has no option {option} ({rel(path)})")
            return False
    return True


def check_command(where: str, argv: list[str]) -> None:
    """`argv` must be `nameko run --config <file> <module>:<Class>` or a [project.scripts] entry."""
    if not argv:
        fail(f"{where}: no command (every vetlife process must set its own)")
        return
    scripts = project().get("scripts", {})
    if argv[0] == "nameko":
        if argv[1:2] != ["run"]:
            fail(f"{where}: nameko command is not `nameko run`: {shlex.join(argv)}")
            return
        args = argv[2:]
        config = None
        if "--config" in args:
            i = args.index("--config")
            config = args[i + 1] if i + 1 < len(args) else None
            args = args[:i] + args[i + 2:]
        if config is None:
            fail(f"{where}: `nameko run` without --config")
        elif not (ROOT / config).is_file():
            fail(f"{where}: nameko config {config} does not exist under {ROOT}")
        services = [a for a in args if not a.startswith("-")]
        if not services:
            fail(f"{where}: `nameko run` names no service module")
        for spec in services:
            module, _, cls = spec.partition(":")
            path = module_file(module)
            if path is None:
                fail(f"{where}: module {module} has no file under {ROOT}")
            elif cls and not defines(path, "class", cls):
                fail(f"{where}: {rel(path)} defines no class {cls}")
            else:
                ok(f"{where}: nameko run {spec} ({rel(path)}, config {config})")
        return
    if argv[0] in scripts:
        target = scripts[argv[0]]
        module, _, func = target.partition(":")
        path = module_file(module)
        if path is None or (func and not defines(path, "def", func)):
            fail(f"{where}: console script {argv[0]} -> {target}, which does not exist")
            return
        # migrate and relay take the service's name: it must be a service package (migrate also
        # takes a package with a database of its own, e.g. the gateway), and the relay also
        # imports contracts.<service> for the events' public form.
        if argv[0] in {"vetlife-migrate", "vetlife-relay"}:
            service = argv[1] if len(argv) > 1 else ""
            if argv[0] == "vetlife-migrate" and not has_migrations(service):
                fail(f"{where}: vetlife-migrate {service!r}: no package services/{service}, and "
                     f"not one of chassis/migrate.py's OWN_DATABASE_PACKAGES with migrations/")
                return
            if argv[0] == "vetlife-relay" and not (
                    ROOT / "services" / service / "__init__.py").is_file():
                fail(f"{where}: vetlife-relay {service!r}: no package services/{service}")
                return
            if argv[0] == "vetlife-relay" and module_file(f"contracts.{service}") is None:
                fail(f"{where}: vetlife-relay {service}: no module contracts.{service}")
                return
        if not check_cli_arguments(where, argv, path):
            return
        ok(f"{where}: {shlex.join(argv)} (console script -> {target})")
        return
    fail(f"{where}: {argv[0]!r} is neither `nameko run` nor a [project.scripts] console script")


def as_argv(command) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


# ---------------------------------------------------------------------------------------------
# Dockerfile and its ignore file


def check_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    lines = [ln.strip() for ln in text.splitlines()]
    instructions = [ln for ln in lines if ln and not ln.startswith("#")]
    froms = [ln for ln in instructions if ln.upper().startswith("FROM ")]
    if not froms or "python:3.11-slim" not in froms[0]:
        fail("Dockerfile: base image is not python:3.11-slim")
    users = [ln.split(None, 1)[1] for ln in instructions if ln.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        fail("Dockerfile: the final USER is missing or root")
    else:
        ok(f"Dockerfile: runs as USER {users[-1]}")
    copies = [ln for ln in instructions if ln.upper().startswith("COPY ")]
    idx_req = next((i for i, c in enumerate(copies) if "requirements.txt" in c), None)
    idx_code = next((i for i, c in enumerate(copies) if "chassis" in c), None)
    if idx_req is None or idx_code is None or idx_req > idx_code:
        fail("Dockerfile: requirements.txt must be copied (and installed) before the code")
    else:
        ok("Dockerfile: dependencies layer comes before the code")
    ignore = {ln.strip() for ln in DOCKERIGNORE.read_text().splitlines()}
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())
    includes = find["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = sorted({pattern.rstrip("*").rstrip(".") for pattern in includes})
    for needed in ["requirements.txt", "pyproject.toml", *(f"{p}/" for p in packages)]:
        if not any(needed in c for c in copies):
            fail(f"Dockerfile: nothing COPYs {needed}")
        if f"!{needed}" not in ignore:
            fail(f"Dockerfile.dockerignore: {needed} is not let back in (!{needed})")
    ok(f"Dockerfile and Dockerfile.dockerignore carry every package: {', '.join(packages)}")
    env = dict(re.findall(r"\b(SERVICE|SERVICE_CLASS)=(\S+)", text))
    if "SERVICE" in env and "SERVICE_CLASS" in env:
        service, cls = env["SERVICE"], env["SERVICE_CLASS"]
        check_command("Dockerfile default CMD", [
            "nameko", "run", "--config", f"services/{service}/config.yaml",
            f"services.{service}.service:{cls}",
        ])
    else:
        fail("Dockerfile: no default SERVICE/SERVICE_CLASS for the default CMD")


# ---------------------------------------------------------------------------------------------
# RabbitMQ definitions


def sha256_password_matches(password_hash: str, password: str) -> bool:
    raw = base64.b64decode(password_hash)
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode()).digest() == digest


def code_constant(path: Path, name: str) -> str | None:
    match = re.search(rf'^{name}\s*=\s*"([^"]+)"', path.read_text(), re.M)
    return match.group(1) if match else None


def check_rabbitmq(definitions: dict, compose: dict) -> None:
    vhosts = {v.get("name") for v in definitions.get("vhosts", [])}
    if "/" not in vhosts:
        fail("definitions.json: vhost '/' is missing")
    exchanges = {(e["vhost"], e["name"]): e for e in definitions.get("exchanges", [])}

    def expect(name: str, kind: str) -> None:
        ex = exchanges.get(("/", name))
        if ex is None:
            fail(f"definitions.json: exchange {name} is missing")
            return
        # Must equal what the code declares, or RabbitMQ answers PRECONDITION_FAILED.
        want = {"type": kind, "durable": True, "auto_delete": False, "internal": False}
        got = {k: ex.get(k) for k in want}
        if got != want:
            fail(f"definitions.json: exchange {name} is {got}, the code declares {want}")
        else:
            ok(f"definitions.json: exchange {name} ({kind}, durable, not auto-delete)")

    dead_letters = code_constant(ROOT / "chassis" / "deadletters.py", "EXCHANGE")
    if dead_letters and dead_letters != "vetlife.dead-letters":
        fail(f"chassis/deadletters.py names the dead-letter exchange {dead_letters!r} now")
    expect(dead_letters or "vetlife.dead-letters", "direct")
    # Every relayed service's events exchange (chassis/relay.py: `<service>.events`, topic).
    relayed = sorted({
        as_argv(svc.get("command"))[1]
        for svc in compose.get("services", {}).values()
        if as_argv(svc.get("command"))[:1] == ["vetlife-relay"] and len(as_argv(svc["command"])) > 1
    })
    for service in relayed:
        expect(f"{service}.events", "topic")

    users = {u["name"]: u for u in definitions.get("users", [])}
    perms = {(p["user"], p["vhost"]) for p in definitions.get("permissions", [])}
    uris = {
        svc.get("environment", {}).get("AMQP_URI")
        for svc in compose.get("services", {}).values()
        if isinstance(svc.get("environment"), dict)
    } - {None}
    for uri in sorted(uris):
        parsed = urlparse(uri)
        user = users.get(parsed.username or "")
        vhost = unquote(parsed.path[1:]) or "/"  # amqp://host/ means the default vhost "/"
        if user is None:
            fail(f"compose AMQP_URI user {parsed.username!r} is not in definitions.json")
        elif user.get("hashing_algorithm") != "rabbit_password_hashing_sha256" or not \
                sha256_password_matches(user["password_hash"], parsed.password or ""):
            fail(f"compose AMQP_URI password for {parsed.username!r} does not match its hash")
        elif (parsed.username, vhost) not in perms:
            fail(f"definitions.json: {parsed.username!r} has no permissions on vhost {vhost!r}")
        else:
            ok(f"compose AMQP_URI user {parsed.username!r}: password matches, may use vhost {vhost}")

    conf = dict(
        (k.strip(), v.strip())
        for k, _, v in (ln.partition("=") for ln in RABBITMQ_CONF.read_text().splitlines()
                        if ln.strip() and not ln.lstrip().startswith("#"))
    )
    target = conf.get("load_definitions")
    rabbit = compose.get("services", {}).get("rabbitmq", {})
    mounts = {}
    for volume in rabbit.get("volumes", []):
        parts = volume.split(":")
        if len(parts) >= 2 and parts[0].startswith("."):
            mounts[parts[1]] = (DEPLOY / parts[0]).resolve()
    if mounts.get(target) != DEFINITIONS.resolve():
        fail(f"rabbitmq.conf loads {target}, but compose mounts definitions.json elsewhere")
    elif RABBITMQ_CONF.resolve() not in mounts.values():
        fail("compose does not mount rabbitmq/rabbitmq.conf into the rabbitmq container")
    else:
        ok(f"rabbitmq.conf load_definitions = {target} is where compose mounts definitions.json")


# ---------------------------------------------------------------------------------------------
# Processes: what each compose service and each Kubernetes container runs, with what environment
# and which mounts. The same checks then run on both.


@dataclass
class Mount:
    path: str           # where it is mounted in the container
    kind: str           # compose: volume, bind, tmpfs; k8s: pvc, emptyDir, configMap, secret, ...
    source: str         # the named volume, host path, claim name or volume name
    read_only: bool


@dataclass
class Process:
    platform: str       # "compose" or "k8s"
    where: str
    argv: list[str]
    env: dict[str, str | None]   # None: set, value not known here (e.g. a fieldRef)
    mounts: list[Mount] = field(default_factory=list)
    replicas: int = 1


def mount_for(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount a file path lies on (the deepest one), or None if it is in the image."""
    best = None
    for mount in mounts:
        on = path == mount.path or path.startswith(mount.path.rstrip("/") + "/")
        if on and (best is None or len(mount.path) > len(best.path)):
            best = mount
    return best


def is_gateway(argv: list[str]) -> bool:
    return argv[:2] == ["nameko", "run"] and any(a.startswith("gateway.") for a in argv)


def anchors_of(proc: Process) -> str | None:
    """The anchor file a `vetlife-audit` process reads: --anchors, else AUDIT_ANCHOR_PATH."""
    for i, arg in enumerate(proc.argv):
        if arg == "--anchors" and i + 1 < len(proc.argv):
            return proc.argv[i + 1]
        if arg.startswith("--anchors="):
            return arg.split("=", 1)[1]
    return proc.env.get("AUDIT_ANCHOR_PATH")


# ---------------------------------------------------------------------------------------------
# Compose


def compose_mounts(svc: dict) -> list[Mount]:
    mounts = [Mount(str(t).split(":")[0], "tmpfs", "tmpfs", False) for t in svc.get("tmpfs", [])]
    for volume in svc.get("volumes", []):
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), str(volume.get("target", ""))
            read_only = bool(volume.get("read_only"))
            kind = volume.get("type", "volume")
        else:
            # Split on ":" but not inside ${VAR:-default}.
            parts = re.findall(r"(?:\$\{[^}]*\}|[^:])+", str(volume))
            source, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", parts[0])
            read_only = len(parts) >= 3 and "ro" in parts[2].split(",")
            kind = "bind" if source[:1] in {".", "/", "~", "$"} else "volume"
        mounts.append(Mount(target, kind, source, read_only))
    return mounts


def compose_env(svc: dict) -> dict[str, str | None]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {str(k): None if v is None else str(v) for k, v in env.items()}


def check_compose(compose: dict) -> list[Process]:
    services = compose.get("services", {})
    declared_volumes = set((compose.get("volumes") or {}).keys())
    processes: list[Process] = []
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items() if isinstance(
                svc.get("depends_on"), dict) else []:
            condition = (spec or {}).get("condition", "service_started")
            target = services.get(dep)
            if target is None:
                fail(f"compose {name}: depends_on unknown service {dep}")
            elif condition == "service_healthy" and "healthcheck" not in target:
                fail(f"compose {name}: waits for {dep} healthy, but {dep} has no healthcheck")
            elif condition == "service_completed_successfully" and \
                    str(target.get("restart", "no")) != "no":
                fail(f"compose {name}: waits for {dep} to complete, but {dep} restarts")
            elif target.get("profiles") and not svc.get("profiles"):
                fail(f"compose {name}: depends on {dep}, which only starts with profile "
                     f"{target['profiles']}: a plain `up` would fail")
        mounts = compose_mounts(svc)
        for mount in mounts:
            if mount.kind == "volume" and mount.source not in declared_volumes:
                fail(f"compose {name}: volume {mount.source} is not declared under volumes:")
        if "build" in svc:  # a vetlife process from our image
            argv = as_argv(svc.get("command"))
            check_command(f"compose {name}", argv)
            processes.append(Process("compose", f"compose {name}", argv, compose_env(svc), mounts))
    gateway = services.get("gateway", {})
    if not any(str(p).endswith(f":{GATEWAY_PORT}") for p in gateway.get("ports", [])):
        fail(f"compose gateway: container port {GATEWAY_PORT} is not published")
    ok(f"compose: depends_on conditions are consistent across {len(services)} services")
    return processes


# ---------------------------------------------------------------------------------------------
# Kubernetes


def k8s_objects(docs: dict[Path, list]) -> list[tuple[Path, dict]]:
    return [(p, d) for p, ds in docs.items() if K8S in p.parents for d in ds if isinstance(d, dict)]


def pod_template(obj: dict) -> dict | None:
    if obj.get("kind") in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
        return obj["spec"]["template"]
    if obj.get("kind") == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return None


def pod_spec(obj: dict) -> dict | None:
    template = pod_template(obj)
    return template["spec"] if template is not None else None


def secret_data(obj: dict) -> dict[str, str]:
    data = {k: str(v) for k, v in (obj.get("stringData") or {}).items()}
    for key, value in (obj.get("data") or {}).items():
        data[key] = base64.b64decode(value).decode("utf-8", "replace")
    return data


def k8s_env(where: str, container: dict, config_maps: dict[str, dict],
            secrets: dict[str, dict]) -> dict[str, str | None]:
    """The container's environment as the kubelet builds it; a missing source or key fails."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        for ref, known, what in (("configMapRef", config_maps, "ConfigMap"),
                                 ("secretRef", secrets, "Secret")):
            if ref in source:
                name = source[ref]["name"]
                if name not in known:
                    fail(f"{where}: {what} {name} is not defined"
                         + (" in secret.example.yaml" if what == "Secret" else ""))
                env.update({prefix + k: v for k, v in known.get(name, {}).items()})
    for item in container.get("env", []):
        name, value_from = item["name"], item.get("valueFrom")
        if value_from is None:
            env[name] = str(item.get("value", ""))
            continue
        for ref, known, what in (("configMapKeyRef", config_maps, "ConfigMap"),
                                 ("secretKeyRef", secrets, "Secret")):
            if ref in value_from:
                source, key = value_from[ref]["name"], value_from[ref]["key"]
                if source not in known or key not in known[source]:
                    if not value_from[ref].get("optional"):
                        fail(f"{where}: env {name} needs key {key} of {what} {source}, which "
                             "is not defined")
                    break
                env[name] = known[source][key]
                break
        else:
            env[name] = None  # fieldRef / resourceFieldRef: set at run time
    return env


def k8s_mounts(where: str, spec: dict, container: dict) -> list[Mount]:
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = []
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"])
        if volume is None:
            fail(f"{where}: volumeMount {mount['name']} names no volume of the pod")
            continue
        if "persistentVolumeClaim" in volume:
            kind, source = "pvc", volume["persistentVolumeClaim"]["claimName"]
        else:
            kind, source = next((k for k in volume if k != "name"), "unknown"), mount["name"]
        mounts.append(Mount(mount["mountPath"], kind, source, bool(mount.get("readOnly"))))
    return mounts


def check_k8s(objects: list[tuple[Path, dict]]) -> list[Process]:
    processes: list[Process] = []
    config_maps = {o["metadata"]["name"]: {k: str(v) for k, v in (o.get("data") or {}).items()}
                   for _, o in objects if o.get("kind") == "ConfigMap"}
    secrets = {o["metadata"]["name"]: secret_data(o) for _, o in objects if o.get("kind") == "Secret"}
    claims = {o["metadata"]["name"]: o for _, o in objects
              if o.get("kind") == "PersistentVolumeClaim"}
    namespaces = {o["metadata"]["name"] for _, o in objects if o.get("kind") == "Namespace"}
    if namespaces != {"vetlife"}:
        fail(f"k8s: expected exactly the Namespace vetlife, found {sorted(namespaces)}")
    images = set()
    pod_labels: list[dict] = []
    for path, obj in objects:
        kind, name = obj.get("kind"), obj.get("metadata", {}).get("name")
        where = f"k8s {rel(path)} {kind}/{name}"
        if kind != "Namespace" and obj["metadata"].get("namespace") != "vetlife":
            fail(f"{where}: not in namespace vetlife")
        spec = pod_spec(obj)
        if spec is None:
            continue
        template_labels = pod_template(obj)["metadata"].get("labels", {})
        if kind == "Deployment":
            selector = obj["spec"]["selector"]["matchLabels"]
            if any(template_labels.get(k) != v for k, v in selector.items()):
                fail(f"{where}: selector {selector} does not match the pod labels")
            pod_labels.append((template_labels, spec))
        if not spec.get("securityContext", {}).get("runAsNonRoot"):
            fail(f"{where}: pod securityContext lacks runAsNonRoot: true")
        for volume in spec.get("volumes", []):
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and claim not in claims:
                fail(f"{where}: PersistentVolumeClaim {claim} is not defined in k8s/")
        for container in spec.get("containers", []):
            images.add(container.get("image"))
            res = container.get("resources", {})
            if not all(res.get(a, {}).get(b) for a in ("requests", "limits")
                       for b in ("cpu", "memory")):
                fail(f"{where}: container {container['name']} lacks cpu/memory requests+limits")
            argv = as_argv(container.get("command")) + as_argv(container.get("args"))
            check_command(where, argv)
            processes.append(Process(
                "k8s", where, argv, k8s_env(where, container, config_maps, secrets),
                k8s_mounts(where, spec, container),
                obj["spec"].get("replicas", 1) if kind == "Deployment" else 1))
        if kind == "Deployment" and name.endswith("-relay"):
            # Exactly one relay per service, stopped before its successor starts.
            if obj["spec"].get("replicas") != 1 or \
                    obj["spec"].get("strategy", {}).get("type") != "Recreate":
                fail(f"{where}: a relay needs replicas: 1 and strategy Recreate")
            else:
                ok(f"{where}: replicas 1, strategy Recreate")
        if kind == "Deployment" and name == "gateway":
            container = spec["containers"][0]
            ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe"):
                get = container.get(probe, {}).get("httpGet", {})
                port = ports.get(get.get("port"), get.get("port"))
                if get.get("path") != "/health" or port != GATEWAY_PORT:
                    fail(f"{where}: {probe} must GET /health on port {GATEWAY_PORT}")
            ok(f"{where}: readiness and liveness probes GET /health on {GATEWAY_PORT}")
        if kind == "CronJob":
            job = obj["spec"]["jobTemplate"]["spec"]
            if obj["spec"].get("concurrencyPolicy") != "Forbid":
                fail(f"{where}: concurrencyPolicy must be Forbid (runs must not pile up)")
            if spec.get("restartPolicy") != "Never" or "activeDeadlineSeconds" not in job:
                fail(f"{where}: needs restartPolicy Never and an activeDeadlineSeconds, so a "
                     "failure is a failed Job (what alerts) and a hung run ends")
            else:
                ok(f"{where}: schedule {obj['spec']['schedule']!r}, Forbid, fails as a Job")
    if len(images) != 1:
        fail(f"k8s: workloads use several images {sorted(images)}; there is one vetlife image")
    services: dict[str, dict] = {}
    for path, obj in objects:
        if obj.get("kind") != "Service":
            continue
        services[obj["metadata"]["name"]] = obj
        if obj["spec"].get("type") == "ExternalName":
            continue
        selector = obj["spec"].get("selector", {})
        matches = [spec for labels, spec in pod_labels
                   if all(labels.get(k) == v for k, v in selector.items())]
        where = f"k8s {rel(path)} Service/{obj['metadata']['name']}"
        if not matches:
            fail(f"{where}: selector {selector} matches no Deployment's pods")
            continue
        named = {p.get("name"): p["containerPort"]
                 for c in matches[0]["containers"] for p in c.get("ports", [])}
        for port in obj["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str) and target not in named:
                fail(f"{where}: targetPort {target} is not a container port name")
            elif named.get(target, target) != GATEWAY_PORT and obj["metadata"]["name"] == "gateway":
                fail(f"{where}: does not reach the gateway's port {GATEWAY_PORT}")
        ok(f"{where}: selects the pods of a Deployment, ports resolve")
    for path, obj in objects:
        if obj.get("kind") != "Ingress":
            continue
        where = f"k8s {rel(path)} Ingress/{obj['metadata']['name']}"
        backends = [p["backend"]["service"] for r in obj["spec"].get("rules", [])
                    for p in (r.get("http") or {}).get("paths", []) if "service" in p["backend"]]
        for backend in backends:
            service = services.get(backend["name"])
            port = backend.get("port", {})
            ports = [(p.get("name"), p["port"]) for p in (service or {}).get("spec", {}).get(
                "ports", [])]
            if service is None:
                fail(f"{where}: backend Service {backend['name']} is not defined")
            elif not any(port.get("name") == n or port.get("number") == num for n, num in ports):
                fail(f"{where}: backend port {port} is not a port of Service {backend['name']}")
        ok(f"{where}: {len(backends)} backend(s) resolve to a Service port")
    for process in processes:
        for mount in process.mounts:
            claim = claims.get(mount.source) if mount.kind == "pvc" else None
            modes = (claim or {}).get("spec", {}).get("accessModes", [])
            if claim is not None and process.replicas > 1 and not mount.read_only and \
                    "ReadWriteMany" not in modes:
                fail(f"{process.where}: {process.replicas} replicas write to claim "
                     f"{mount.source}, which is not ReadWriteMany")
    return processes


# ---------------------------------------------------------------------------------------------
# Environment: every process gets what its code reads


# What the gateway reads from the environment (gateway/config.yaml's ${NAME:default} and the
# gateway package's os.environ/env.get calls), each name sorted into one of three kinds. A name
# the code reads that is in none of them, or a name here the code no longer reads, fails the
# check: someone has to decide where it belongs.
GATEWAY_ENV_REQUIRED: list[tuple[str, ...]] = [
    # Its default is a development value that would be wrong (or fail closed) in a deployment.
    ("AMQP_URI",),                                  # default: guest on localhost
    ("GATEWAY_DATABASE_URL",),                      # default: the local vetlife_gateway
    ("AUDIT_ANCHOR_PATH",),                         # default: .run/ inside the read-only image
    ("VETLIFE_TOKEN_ISSUER",),                      # default: vetlife-local (vetlife-token)
    ("VETLIFE_TOKEN_AUDIENCE",),
    ("VETLIFE_JWKS_URL", "VETLIFE_JWKS_PATH"),      # one of them; default: .run/keys/jwks.json
    # The portals' session cookie Secure behind a TLS-terminating proxy (the gateway sees http);
    # default: only when the request itself is https. Stated, so nobody forgets it in production.
    ("VETLIFE_PORTAL_SECURE_COOKIES",),
]
GATEWAY_ENV_DEFAULTED = {
    # Safe defaults: may be left out.
    "GATEWAY_ADDRESS", "GATEWAY_PORT", "GATEWAY_MAX_WORKERS", "GATEWAY_MAX_BODY_BYTES", "LOG_LEVEL",
    # The overview's circuit breakers and the bundle streams: tuned, never needed.
    "GATEWAY_BREAKER_FAILURES", "GATEWAY_BREAKER_COOL_DOWN_SECONDS",
    "GATEWAY_OVERVIEW_SECTION_TIMEOUT_SECONDS", "GATEWAY_MAX_STREAMS",
    "GATEWAY_STREAM_POLL_SECONDS", "GATEWAY_STREAM_HEARTBEAT_SECONDS",
    "GATEWAY_STREAM_LIFETIME_SECONDS",
}
GATEWAY_ENV_DEV_ONLY = {
    # Where `vetlife-token` keeps the development signing key: production has no signing key.
    "VETLIFE_KEY_DIR", "VETLIFE_SIGNING_KEY_PATH",
}
ENV_READ = re.compile(
    r"(?:environ(?:\.get)?\s*[(\[]|\benv\.get\(|getenv\()\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
CONFIG_ENV = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
DATABASE_URL_OF = re.compile(r"database_url\(\s*[\"']([a-z_]+)[\"']")


def gateway_env_reads() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        text = path.read_text()
        names |= set(ENV_READ.findall(text))
        names |= {f"{s.upper()}_DATABASE_URL" for s in DATABASE_URL_OF.findall(text)}
    for path in sorted((ROOT / "gateway").glob("*.yaml")):
        names |= set(CONFIG_ENV.findall(path.read_text()))
    return names


def check_gateway_env_list() -> None:
    reads = gateway_env_reads()
    listed = {n for group in GATEWAY_ENV_REQUIRED for n in group} | GATEWAY_ENV_DEFAULTED | \
        GATEWAY_ENV_DEV_ONLY
    for name in sorted(reads - listed):
        fail(f"gateway reads {name}, which check.py does not classify: add it to "
             "GATEWAY_ENV_REQUIRED (and to compose and k8s) or GATEWAY_ENV_DEFAULTED")
    for name in sorted(listed - reads):
        fail(f"check.py lists {name}, but the gateway no longer reads it (renamed?)")
    if reads == listed:
        ok(f"gateway reads {len(reads)} environment variables, all classified in check.py")


def required_env(argv: list[str]) -> list[tuple[str, ...]]:
    """What a process cannot run correctly without, by its command."""
    if argv[:2] == ["nameko", "run"]:
        required = [("AMQP_URI",)]
        for spec in (a for a in argv[2:] if ":" in a):
            parts = spec.split(":")[0].split(".")
            if parts[0] == "services" and len(parts) > 1:
                required.append((f"{parts[1].upper()}_DATABASE_URL",))
            elif parts[0] == "gateway":
                required += GATEWAY_ENV_REQUIRED
        return required
    if argv[:1] == ["vetlife-migrate"] and len(argv) > 1:
        return [(f"{argv[1].upper()}_DATABASE_URL",)]
    if argv[:1] == ["vetlife-relay"] and len(argv) > 1:
        return [("AMQP_URI",), (f"{argv[1].upper()}_DATABASE_URL",)]
    if argv[:1] == ["vetlife-audit"]:
        return [("GATEWAY_DATABASE_URL",)]
    return []


def check_env(processes: list[Process]) -> None:
    for proc in processes:
        missing = [" or ".join(group) for group in required_env(proc.argv)
                   if not any(proc.env.get(name) or (name in proc.env and proc.env[name] is None)
                              for name in group)]
        if missing:
            label = proc.argv[-1] if proc.argv[:2] == ["nameko", "run"] else shlex.join(proc.argv[:2])
            fail(f"{proc.where}: {label} needs {', '.join(missing)}, which it does not get")
        elif required_env(proc.argv):
            ok(f"{proc.where}: gets the {len(required_env(proc.argv))} variable(s) it needs")
        if proc.platform == "k8s":
            for name in sorted(GATEWAY_ENV_DEV_ONLY & set(proc.env)):
                fail(f"{proc.where}: sets {name}: production holds no signing key, only the "
                     "identity provider's public keys (VETLIFE_JWKS_URL)")
        url = proc.env.get("VETLIFE_JWKS_URL")
        if url and not url.startswith("https://") and proc.platform == "k8s":
            fail(f"{proc.where}: VETLIFE_JWKS_URL {url} is not https: whoever can answer it "
                 "instead of the identity provider could mint any token")
        path = proc.env.get("VETLIFE_JWKS_PATH")
        if is_gateway(proc.argv) and path and not url and mount_for(path, proc.mounts) is None:
            fail(f"{proc.where}: VETLIFE_JWKS_PATH {path} is on no mount: the image holds no "
                 "JWKS, so every token would be refused")


def check_anchor_file(processes: list[Process], platform: str) -> None:
    """The gateway's anchor file is on a persistent, writable volume, and the verify job reads
    the same file from the same volume."""
    procs = [p for p in processes if p.platform == platform]
    gateways = [p for p in procs if is_gateway(p.argv)]
    verifiers = [p for p in procs if p.argv[:2] == ["vetlife-audit", "verify"]]
    written: set[tuple[str, str, str]] = set()
    for gateway in gateways:
        path = gateway.env.get("AUDIT_ANCHOR_PATH")
        if not path:
            continue  # reported by check_env
        mount = mount_for(path, gateway.mounts)
        if not path.startswith("/"):
            fail(f"{gateway.where}: AUDIT_ANCHOR_PATH {path} is relative (inside the image)")
        elif mount is None or mount.kind not in {"volume", "pvc"}:
            fail(f"{gateway.where}: AUDIT_ANCHOR_PATH {path} is not on a persistent volume "
                 f"({mount.kind if mount else 'the read-only image'}): the anchors would be lost")
        elif mount.read_only:
            fail(f"{gateway.where}: AUDIT_ANCHOR_PATH {path} is on a read-only mount")
        else:
            written.add((path, mount.kind, mount.source))
            ok(f"{gateway.where}: anchors go to {path} on {mount.kind} {mount.source}")
    if platform == "k8s" and gateways and not verifiers:
        fail("k8s: nothing runs `vetlife-audit verify`: the audit chain would never be checked")
    for verifier in verifiers:
        path = anchors_of(verifier)
        mount = mount_for(path, verifier.mounts) if path else None
        read = (path, mount.kind, mount.source) if mount else (path, "image", "")
        if written and read not in written:
            fail(f"{verifier.where}: reads anchors {read}, but the gateway writes "
                 f"{sorted(written)}: verify would check a different (or no) file")
        elif written:
            ok(f"{verifier.where}: verifies against the gateway's anchor file {path}")


def check_db_roles(processes: list[Process]) -> None:
    """A package whose migrations own its tables (the gateway's audit log) must not run as the
    owner: its migration role and its process role differ."""
    for package in sorted(own_database_packages()):
        var = f"{package.upper()}_DATABASE_URL"
        for platform in ("compose", "k8s"):
            procs = [p for p in processes if p.platform == platform and p.env.get(var)]
            owners = {urlparse(p.env[var]).username for p in procs
                      if p.argv[:2] == ["vetlife-migrate", package]}
            if not owners:
                fail(f"{platform}: nothing runs `vetlife-migrate {package}` with {var}")
                continue
            for proc in procs:
                if proc.argv[:2] == ["vetlife-migrate", package]:
                    continue
                user = urlparse(proc.env[var]).username
                if user in owners:
                    fail(f"{proc.where}: connects as {user!r}, the role {package}'s migrations "
                         "run as (the tables' owner can disable the audit log's triggers)")
                else:
                    ok(f"{proc.where}: {var} as {user!r}, not the owner {sorted(owners)}")


def check_departments(definitions: dict, objects: list[tuple[Path, dict]]) -> None:
    """The department users of definitions.json, the department password Secret and the docs
    that list RabbitMQ's accounts all name the same users."""
    users = [u["name"] for u in definitions.get("users", [])]
    departments = sorted(u[len("dept-"):] for u in users if u.startswith("dept-"))
    secret = next((secret_data(o) for _, o in objects if o.get("kind") == "Secret"
                   and o["metadata"]["name"] == "vetlife-bus-departments"), None)
    if secret is None:
        fail("secret.example.yaml: no Secret vetlife-bus-departments (one password per department)")
    elif sorted(secret) != departments:
        fail(f"secret.example.yaml: vetlife-bus-departments has {sorted(secret)}, "
             f"definitions.json's department users are {departments}")
    else:
        ok(f"vetlife-bus-departments has a password key for each of {len(departments)} departments")
    for doc in (DEPLOY / "README.md", RABBITMQ_CONF):
        text = doc.read_text()
        unnamed = [u for u in users if u not in text]
        if unnamed:
            fail(f"{rel(doc)} does not name the RabbitMQ users {unnamed} (definitions.json)")
        else:
            ok(f"{rel(doc)} names every RabbitMQ user in definitions.json")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    print("-- parsing")
    docs = load_yaml_files()
    jsons = load_json_files()
    check_header_comments()
    compose = (docs.get(COMPOSE) or [{}])[0]
    print("-- Dockerfile")
    check_dockerfile()
    print("-- compose.yaml")
    compose_processes = check_compose(compose)
    print("-- rabbitmq")
    definitions = jsons.get(DEFINITIONS)
    objects = k8s_objects(docs)
    if isinstance(definitions, dict):
        check_rabbitmq(definitions, compose)
        check_departments(definitions, objects)
    else:
        fail("rabbitmq/definitions.json is missing or not an object")
    print("-- k8s")
    k8s_processes = check_k8s(objects)
    # The same processes run under compose and under Kubernetes: a service added to one and
    # forgotten in the other shows up here.
    compose_commands = {tuple(p.argv) for p in compose_processes}
    k8s_commands = {tuple(p.argv) for p in k8s_processes}
    if sorted(tuple(p.argv) for p in compose_processes) != sorted(
            tuple(p.argv) for p in k8s_processes):
        fail(f"compose and k8s run different processes: only in compose "
             f"{sorted(compose_commands - k8s_commands)}, only in k8s "
             f"{sorted(k8s_commands - compose_commands)}")
    else:
        ok(f"compose and k8s run the same {len(k8s_processes)} processes")
    print("-- environment, anchors, database roles")
    processes = compose_processes + k8s_processes
    check_gateway_env_list()
    check_env(processes)
    for platform in ("compose", "k8s"):
        check_anchor_file(processes, platform)
    check_db_roles(processes)
    print(f"-- {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

# The checks behind deploy/check.sh that need no external tool: parsing, cross-file consistency, and that every command named in deploy/ exists in the repo.
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
        # migrate and relay take the service's name: it must be a service package, and the relay
        # also imports contracts.<service> for the events' public form.
        if argv[0] in {"vetlife-migrate", "vetlife-relay"}:
            service = argv[1] if len(argv) > 1 else ""
            if not (ROOT / "services" / service / "__init__.py").is_file():
                fail(f"{where}: {argv[0]} {service!r}: no package services/{service}")
                return
            if argv[0] == "vetlife-relay" and module_file(f"contracts.{service}") is None:
                fail(f"{where}: vetlife-relay {service}: no module contracts.{service}")
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
# Compose


def check_compose(compose: dict) -> dict[str, list[str]]:
    services = compose.get("services", {})
    commands: dict[str, list[str]] = {}
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
        if "build" in svc:  # a vetlife process from our image
            argv = as_argv(svc.get("command"))
            check_command(f"compose {name}", argv)
            commands[name] = argv
    gateway = services.get("gateway", {})
    if not any(str(p).endswith(f":{GATEWAY_PORT}") for p in gateway.get("ports", [])):
        fail(f"compose gateway: container port {GATEWAY_PORT} is not published")
    ok(f"compose: depends_on conditions are consistent across {len(services)} services")
    return commands


# ---------------------------------------------------------------------------------------------
# Kubernetes


def k8s_objects(docs: dict[Path, list]) -> list[tuple[Path, dict]]:
    return [(p, d) for p, ds in docs.items() if K8S in p.parents for d in ds if isinstance(d, dict)]


def pod_spec(obj: dict) -> dict | None:
    if obj.get("kind") in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
        return obj["spec"]["template"]["spec"]
    return None


def check_k8s(objects: list[tuple[Path, dict]]) -> dict[str, list[str]]:
    commands: dict[str, list[str]] = {}
    config_maps = {o["metadata"]["name"] for _, o in objects if o.get("kind") == "ConfigMap"}
    secrets = {o["metadata"]["name"] for _, o in objects if o.get("kind") == "Secret"}
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
        template_labels = obj["spec"]["template"]["metadata"].get("labels", {})
        if kind == "Deployment":
            selector = obj["spec"]["selector"]["matchLabels"]
            if any(template_labels.get(k) != v for k, v in selector.items()):
                fail(f"{where}: selector {selector} does not match the pod labels")
            pod_labels.append((template_labels, spec))
        if not spec.get("securityContext", {}).get("runAsNonRoot"):
            fail(f"{where}: pod securityContext lacks runAsNonRoot: true")
        for container in spec.get("containers", []):
            images.add(container.get("image"))
            res = container.get("resources", {})
            if not all(res.get(a, {}).get(b) for a in ("requests", "limits")
                       for b in ("cpu", "memory")):
                fail(f"{where}: container {container['name']} lacks cpu/memory requests+limits")
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in config_maps:
                    fail(f"{where}: ConfigMap {source['configMapRef']['name']} is not defined")
                if "secretRef" in source and source["secretRef"]["name"] not in secrets:
                    fail(f"{where}: Secret {source['secretRef']['name']} is not in "
                         "secret.example.yaml")
            argv = as_argv(container.get("command")) + as_argv(container.get("args"))
            check_command(where, argv)
            commands[name] = argv
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
    if len(images) != 1:
        fail(f"k8s: workloads use several images {sorted(images)}; there is one vetlife image")
    for path, obj in objects:
        if obj.get("kind") != "Service" or obj["spec"].get("type") == "ExternalName":
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
    return commands


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
    compose_commands = check_compose(compose)
    print("-- rabbitmq")
    definitions = jsons.get(DEFINITIONS)
    if isinstance(definitions, dict):
        check_rabbitmq(definitions, compose)
    else:
        fail("rabbitmq/definitions.json is missing or not an object")
    print("-- k8s")
    k8s_commands = check_k8s(k8s_objects(docs))
    # The same processes run under compose and under Kubernetes: a service added to one and
    # forgotten in the other shows up here.
    if sorted(map(tuple, compose_commands.values())) != sorted(map(tuple, k8s_commands.values())):
        only_compose = set(map(tuple, compose_commands.values())) - set(
            map(tuple, k8s_commands.values()))
        only_k8s = set(map(tuple, k8s_commands.values())) - set(
            map(tuple, compose_commands.values()))
        fail(f"compose and k8s run different processes: only in compose {sorted(only_compose)}, "
             f"only in k8s {sorted(only_k8s)}")
    else:
        ok(f"compose and k8s run the same {len(k8s_commands)} processes")
    print(f"-- {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""The drills' own PostgreSQL and RabbitMQ: started, broken and restarted here, never the shared ones."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

BASE = Path(os.environ.get("VETLIFE_FAULTS_DIR", "/tmp/vetlife-faults"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
# The Erlang cookie lives in the rabbitmq user's home; sharing it lets rabbitmqctl reach our node.
RABBIT_HOME = "/var/lib/rabbitmq"


class InfrastructureError(RuntimeError):
    """Raised when a private instance cannot be started, stopped or reached."""


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, timeout: float, up: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port) == up:
            return True
        time.sleep(0.1)
    return False


def _run(args: list[str], timeout: float = 60, check: bool = True, env: dict | None = None):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise InfrastructureError(f"{' '.join(args)} failed ({result.returncode}): "
                                  f"{(result.stderr or result.stdout).strip()[-800:]}")
    return result


def _chown(path: Path, user: str) -> None:
    shutil.chown(path, user, user)
    for child in path.rglob("*"):
        shutil.chown(child, user, user)


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster in /tmp, on its own port and socket directory."""

    def __init__(self, port: int):
        self.port = port
        self.root = BASE / "pg"
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.logfile = self.root / "postgres.log"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _pg(self, *args: str, timeout: float = 60, check: bool = True):
        return _run(["runuser", "-u", "postgres", "--", *args], timeout=timeout, check=check)

    def _pg_ctl(self, *args: str, timeout: float = 60, check: bool = True):
        return self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args,
                        timeout=timeout, check=check)

    def stop_leftover(self) -> None:
        """A previous run killed before its clean-up may have left our cluster running."""
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", "-w", check=False)

    def create(self) -> None:
        if port_in_use(self.port):
            raise InfrastructureError(f"port {self.port} is taken; set VETLIFE_FAULTS_PG_PORT")
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        _chown(self.root, "postgres")
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", timeout=120)
        with open(self.data / "postgresql.conf", "a") as conf:
            # Crash-like stops must be survivable, so durability stays on; the rest is sizing.
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.socket_dir}'\n"
                       "max_connections = 200\nshared_buffers = 64MB\n")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.logfile), "-w", "-t", "60", "start", timeout=90)
        if not wait_for_port(self.port, 30):
            raise InfrastructureError("the private PostgreSQL did not open its port")

    def restart(self) -> None:
        self._pg_ctl("-l", str(self.logfile), "-w", "-t", "60", "-m", "fast", "restart",
                     timeout=90)

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects clients cleanly; `immediate` is a crash (recovery at next start)."""
        self._pg_ctl("stop", "-m", mode, "-w", "-t", "60", timeout=90)

    def shut_down(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30", timeout=60, check=False)


class PrivateRabbit:
    """A second RabbitMQ node on this machine: its own name, ports, Mnesia and logs."""

    def __init__(self, port: int, dist_port: int, nodename: str = "vetlife-faults@localhost"):
        self.port = port
        self.dist_port = dist_port
        self.nodename = nodename
        self.root = BASE / "rabbit"
        self.uri = f"amqp://guest:guest@127.0.0.1:{port}/"

    @property
    def pid_file(self) -> Path:
        return self.root / "mnesia" / f"{self.nodename}.pid"

    def _env(self) -> dict:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": RABBIT_HOME,
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
        }

    def _as_rabbitmq(self, tool: str, *args: str, timeout: float = 60, check: bool = True):
        env_args = [f"{k}={v}" for k, v in self._env().items()]
        return _run(["runuser", "-u", "rabbitmq", "--", "env", *env_args,
                     str(RABBIT_BIN / tool), *args], timeout=timeout, check=check)

    def ctl(self, *args: str, timeout: float = 60, check: bool = True):
        return self._as_rabbitmq("rabbitmqctl", "-n", self.nodename, *args, timeout=timeout,
                                 check=check)

    def stop_leftover(self) -> None:
        if self.pid_file.exists():
            self.ctl("stop", timeout=60, check=False)
            self._kill_leftover_beam()

    def _kill_leftover_beam(self) -> None:
        try:
            pid = int(self.pid_file.read_text().strip())
            # Only our node's VM: a stale pid file may name a recycled pid by now.
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if self.nodename.split("@")[0].encode() not in cmdline:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def create(self) -> None:
        for port in (self.port, self.dist_port):
            if port_in_use(port):
                raise InfrastructureError(f"port {port} is taken; set VETLIFE_FAULTS_AMQP_PORT "
                                          "/ VETLIFE_FAULTS_DIST_PORT")
        (self.root / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.root / "log").mkdir(exist_ok=True)
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            # The drills write a few thousand small messages; the default 50 MB floor is enough,
            # but a full /tmp must not silently block publishers mid-drill.
            "disk_free_limit.absolute = 10MB\n"
        )
        _chown(self.root, "rabbitmq")

    def start(self) -> None:
        self._as_rabbitmq("rabbitmq-server", "-detached", timeout=60)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            # await_startup fails at once while the node has not registered with epmd yet.
            if self.ctl("await_startup", "--timeout", "60", timeout=70, check=False).returncode == 0:
                if wait_for_port(self.port, 30):
                    return
            time.sleep(0.5)
        raise InfrastructureError(f"the private RabbitMQ node did not start; see {self.root}/log")

    def stop(self) -> None:
        """Stops the whole node (the Erlang VM too) and waits until its process has gone."""
        self.ctl("stop", str(self.pid_file), timeout=90)
        wait_for_port(self.port, 30, up=False)

    def queue_depth(self, queue: str) -> int | None:
        """Ready plus unacknowledged messages of `queue`; None if it does not exist."""
        result = self.ctl("-q", "list_queues", "name", "messages", "--no-table-headers",
                          timeout=30, check=False)
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[0] == queue:
                return int(parts[1])
        return None

    def consumers(self, queue: str) -> int:
        result = self.ctl("-q", "list_queues", "name", "consumers", "--no-table-headers",
                          timeout=30, check=False)
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[0] == queue:
                return int(parts[1])
        return 0

    def shut_down(self) -> None:
        if self.pid_file.exists():
            self.ctl("stop", str(self.pid_file), timeout=60, check=False)
            self._kill_leftover_beam()

"""The local stack's supervisord configuration: every process of `make up`, restarted when it dies."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from chassis.processes import COMMANDS, STACK


def config(run_dir: Path, root: Path, processes=STACK) -> str:
    """supervisord.conf for `processes`, logging to `<run_dir>/<name>.log` (JSON lines)."""
    run_dir = run_dir.resolve()
    lines = [
        "; Written by vetlife-supervisor-config for make up; regenerated on every make up.",
        "[supervisord]",
        f"logfile={run_dir}/supervisord.log",
        f"pidfile={run_dir}/supervisord.pid",
        "nodaemon=false",
        # Environment (database URLs, AMQP_URI, GATEWAY_PORT...) is inherited from make up.
        "",
        "[unix_http_server]",
        f"file={run_dir}/supervisor.sock",
        "chmod=0700",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run_dir}/supervisor.sock",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    for priority, name in enumerate(processes, start=1):
        lines += [
            "",
            f"[program:{name}]",
            f"command={shlex.join(COMMANDS[name])}",
            f"directory={root.resolve()}",
            f"priority={priority * 10}",
            "autostart=true",
            # A crashed process (kill -9, an unhandled error) is started again, with backoff.
            "autorestart=true",
            "startsecs=2",
            "startretries=10",
            "stopsignal=TERM",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={run_dir}/{name}.log",
            "redirect_stderr=true",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=3",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the local stack's supervisord.conf.")
    parser.add_argument("--run-dir", default=".run", help="where logs, pid and socket go")
    parser.add_argument("--output", help="the file to write (default: <run-dir>/supervisord.conf)")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    output = Path(args.output) if args.output else run_dir / "supervisord.conf"
    output.write_text(config(run_dir, Path.cwd()))
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

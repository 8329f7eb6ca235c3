"""Run one reference department: `python -m examples.departments public_security` (see README.md here)."""
from __future__ import annotations

import argparse
import signal
import sys

from chassis import logs
from examples.departments.profiles import PROFILES
from examples.departments.reference import ReferenceDepartment, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m examples.departments",
        description="A REFERENCE department system for its discharge-bundle matters (not the "
                    "department's real system).")
    parser.add_argument("department", choices=sorted(PROFILES))
    parser.add_argument("--delay", type=float, help="seconds between acknowledging and "
                        "answering (default VETLIFE_DEPT_DELAY_SECONDS or 20)")
    parser.add_argument("--refuse-share", type=float, help="share of first attempts refused "
                        "(default VETLIFE_DEPT_REFUSE_SHARE or 0.1)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.department)
    if args.delay is not None:
        settings.delay = args.delay
    if args.refuse_share is not None:
        settings.refuse_share = args.refuse_share
    logs.configure(f"dept-{args.department}")
    department = ReferenceDepartment(settings)

    def stop(*_):
        department.stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    department.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

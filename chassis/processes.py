"""How each vetlife process is started, written once for the e2e tests, make bench and make faults."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_BIN = Path(sys.executable).parent
_NAMEKO = str(_BIN / "nameko")

# Run from the repository root; configuration comes from the environment (README).
COMMANDS: dict[str, list[str]] = {
    "registry": [_NAMEKO, "run", "--config", "services/registry/config.yaml",
                 "services.registry.service:RegistryService"],
    "registry-relay": [sys.executable, "-m", "chassis.relay", "registry"],
    "gateway": [_NAMEKO, "run", "--config", "gateway/config.yaml",
                "gateway.service:GatewayService"],
    "hr_department": [_NAMEKO, "run", "--config", "examples/hr_department/config.yaml",
                      "examples.hr_department.service:HrDepartment"],
}


# What `make up` runs, in start order (examples are not part of the stack).
STACK = ("registry", "registry-relay", "gateway")


def stop(processes, grace: float = 15.0) -> None:
    """Ask every process to stop (SIGTERM), then kill what has not stopped after `grace`."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()

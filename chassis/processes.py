"""How each vetlife process is started, written once for the e2e tests, make bench and make faults."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_BIN = Path(sys.executable).parent
_NAMEKO = str(_BIN / "nameko")

# Every service of the platform: each is services/<name>/ with its config.yaml, its nameko
# class <Name>Service in service.py, its own database and its relay. Adding a service is a name
# here; make up, the e2e tests, bench and faults start what this module lists.
SERVICES: tuple[str, ...] = ("registry", "employment", "disputes", "placement", "benefits",
                             "bundle")
# The other departments' systems for the discharge bundle, as REFERENCE implementations
# (examples/departments): part of make up and the e2e stack unless VETLIFE_REFERENCE_DEPARTMENTS=0.
REFERENCE_DEPARTMENTS: tuple[str, ...] = ("public_security", "hr_social_security",
                                          "medical_insurance", "party_organisation",
                                          "armed_forces")


def _service(name: str) -> list[str]:
    return [_NAMEKO, "run", "--config", f"services/{name}/config.yaml",
            f"services.{name}.service:{name.capitalize()}Service"]


# Run from the repository root; configuration comes from the environment (README).
COMMANDS: dict[str, list[str]] = {
    **{name: _service(name) for name in SERVICES},
    **{f"{name}-relay": [sys.executable, "-m", "chassis.relay", name] for name in SERVICES},
    "gateway": [_NAMEKO, "run", "--config", "gateway/config.yaml",
                "gateway.service:GatewayService"],
    "hr_department": [_NAMEKO, "run", "--config", "examples/hr_department/config.yaml",
                      "examples.hr_department.service:HrDepartment"],
    **{f"dept-{name}": [sys.executable, "-m", "examples.departments", name]
       for name in REFERENCE_DEPARTMENTS},
}


def reference_departments_on(env=os.environ) -> bool:
    return env.get("VETLIFE_REFERENCE_DEPARTMENTS", "1").strip() not in ("0", "false", "off")

# What `make up` runs, in start order (examples are not part of the stack, except the reference
# departments behind their flag: they answer the bundle's matters so bundles complete).
STACK = (*SERVICES, *(f"{name}-relay" for name in SERVICES), "gateway",
         *((f"dept-{name}" for name in REFERENCE_DEPARTMENTS) if reference_departments_on()
           else ()))


def stop(processes, grace: float = 15.0) -> None:
    """Ask every process to stop (SIGTERM), then kill what has not stopped after `grace`."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()

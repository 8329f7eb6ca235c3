"""deploy/ agrees with the code: every process, setting, secret and migration ops need (deploy/check.py)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_deploy_files_agree_with_the_code():
    # The same checks `deploy/check.sh` starts with (it adds the tool-based ones: compose,
    # Kubernetes schemas, hadolint, shellcheck, which need tools this test does not install).
    # A new setting the code reads but deploy/ does not classify fails here, not in production.
    run = subprocess.run([sys.executable, str(ROOT / "deploy" / "check.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    problems = [line for line in run.stdout.splitlines() if line.lstrip().startswith("FAIL")]
    assert run.returncode == 0 and not problems, "\n".join(problems) or run.stdout[-2000:]

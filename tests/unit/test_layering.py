"""Domain code stays free of infrastructure (docs/architecture.md: aggregates import no framework)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"nameko", "kombu", "pika", "psycopg2", "marshmallow", "eventlet", "chassis"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_domain_module_imports_infrastructure():
    domain_files = list(ROOT.glob("services/*/domain/*.py"))
    assert domain_files
    offenders = {str(p.relative_to(ROOT)): imported_roots(p) & FORBIDDEN for p in domain_files}
    assert {path: roots for path, roots in offenders.items() if roots} == {}


def test_every_module_starts_with_a_docstring():
    modules = [p for folder in ("chassis", "contracts", "services", "gateway", "examples")
               for p in (ROOT / folder).rglob("*.py")]
    missing = [str(p.relative_to(ROOT)) for p in modules if ast.get_docstring(ast.parse(
        p.read_text())) is None]
    assert missing == []


def test_nothing_points_outside_the_repository_for_its_explanations():
    """The project explains itself: docs/ and README, never a document readers do not have."""
    files = [p for folder in ("chassis", "contracts", "services", "gateway", "examples", "tests",
                              "docs", "deploy", "bench", "faults", "scripts")
             for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md", ".sh", ".yaml"}]
    files.append(ROOT / "README.md")
    this = Path(__file__).resolve()
    offenders = [str(p.relative_to(ROOT)) for p in files if p.resolve() != this
                 and ("ARCHITECTURE.md" in p.read_text() or "../shared" in p.read_text())]
    assert offenders == []

"""Reading the catalogue of matters from configuration (catalogue.yaml, or the file BUNDLE_CATALOGUE names)."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from services.bundle.commands import ADAPTERS, NEEDS
from services.bundle.domain.catalogue import Catalogue, EventRule, MatterSpec, Term
from services.bundle.domain.errors import CatalogueInvalid

DEFAULT = Path(__file__).with_name("catalogue.yaml")
_KEYS = {"key", "title", "department", "term", "applies", "command", "events", "done_on_reply",
         "already_codes", "next_step", "reference_field", "after"}


def load(path: str | Path | None = None) -> Catalogue:
    """The catalogue the service runs with; a file that is not usable stops the start."""
    path = Path(path or os.environ.get("BUNDLE_CATALOGUE") or DEFAULT)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueInvalid(f"cannot read the catalogue {path}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("matters"), list):
        raise CatalogueInvalid(f"{path}: expected `matters:` with a list of matters")
    return parse(raw["matters"], str(path))


def parse(matters: list, where: str = "catalogue") -> Catalogue:
    specs = []
    for item in matters:
        if not isinstance(item, dict):
            raise CatalogueInvalid(f"{where}: every matter is a mapping")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise CatalogueInvalid(f"{where}: {item.get('key')}: unknown field(s) {unknown}")
        try:
            term = item["term"]
            spec = MatterSpec(
                key=str(item["key"]), title=str(item["title"]),
                department=str(item["department"]),
                term=Term(int(term["count"]), str(term.get("unit", "working_days"))),
                applies=str(item.get("applies", "always")), command=item.get("command"),
                events={str(t): _rule(r) for t, r in (item.get("events") or {}).items()},
                done_on_reply=bool(item.get("done_on_reply", False)),
                already_codes=tuple(item.get("already_codes") or ()),
                reference_field=item.get("reference_field"),
                after=tuple(item.get("after") or ()),
                **({"next_step": str(item["next_step"])} if item.get("next_step") else {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueInvalid(f"{where}: {item.get('key')}: {exc!r}") from None
        if spec.command and spec.command not in ADAPTERS:
            raise CatalogueInvalid(f"{where}: {spec.key}: no command adapter {spec.command!r} "
                                   f"(known: {', '.join(sorted(ADAPTERS))})")
        if spec.command and ADAPTERS[spec.command].service != spec.department:
            raise CatalogueInvalid(f"{where}: {spec.key}: {spec.command} goes to "
                                   f"{ADAPTERS[spec.command].service}, not {spec.department}")
        missing = [m for m in NEEDS.get(spec.command or "", ()) if m not in spec.after]
        if missing:
            raise CatalogueInvalid(f"{where}: {spec.key}: {spec.command} needs "
                                   f"{', '.join(missing)} done first: list it under `after`")
        specs.append(spec)
    return Catalogue(tuple(specs))


def _rule(value) -> EventRule:
    if isinstance(value, str):
        return EventRule(value)
    return EventRule(str(value["step"]), dict(value.get("when") or {}))

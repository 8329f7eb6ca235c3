"""Employers (用人单位): registered once per unified social credit code."""
from __future__ import annotations

from datetime import date

from .commands import RegisterEmployer
from .credit_code import parse_credit_code
from .errors import InvalidEmploymentData
from .events import EmployerRegistered, Event
from .rules import Problems, optional_text, required_text


def register_employer(cmd: RegisterEmployer, employer_id: str, today: date) -> list[Event]:
    """An employer on file. The credit code is checked here; that no other employer holds it is
    the store's unique claim (the caller's to enforce)."""
    problems = Problems()
    name = required_text(problems, "name", cmd.name, 200)
    township = required_text(problems, "township", cmd.township)
    try:
        code = parse_credit_code(cmd.credit_code)
    except InvalidEmploymentData as invalid:
        code = None
        for problem in invalid.fields["credit_code"]:
            problems.add("credit_code", problem)
    problems.raise_if_any("the employer cannot be registered as given")
    return [EmployerRegistered(
        employer_id=employer_id, name=name, credit_code=code.value,
        individual_business=code.individual_business, township=township,
        industry=optional_text(cmd.industry), contact_name=optional_text(cmd.contact_name),
        contact_phone=optional_text(cmd.contact_phone), registered_on=today)]

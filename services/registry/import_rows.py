"""One spreadsheet row of a veteran file: its columns, its checks, its reasons in Chinese.

A row is checked by exactly what checks a registration over the API: the request contract
(contracts.registry.RegisterVeteranRequest), then the registry's decision (domain.file.register),
which parses the resident ID number with python-stdnum's parts. What this module adds is only what
a spreadsheet needs before that: Chinese headers and values (男/女, 退役士兵…), date cells and
the usual ways clerks type dates, and every problem told back in Chinese, per column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from marshmallow import ValidationError

from contracts import instance
from contracts import registry as contract
from services.registry.domain import model
from services.registry.domain.errors import RegistryError

# (request field, the header a bureau's spreadsheet uses), in the order an error file lists them.
COLUMNS = (
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("sex", "性别"),
    ("birth_date", "出生日期"),
    ("phone", "联系电话"),
    ("address", "住址"),
    ("township", "镇街"),
    ("service_station", "服务站"),
    ("enlisted_on", "入伍时间"),
    ("discharged_on", "退役时间"),
    ("branch", "军种"),
    ("rank", "军衔"),
    ("discharge_category", "退役类别"),
    # Optional: the day a file kept on paper was first registered; the figures count it from then.
    ("effective_on", "建档日期"),
)
HEADERS = {field: header for field, header in COLUMNS}
REQUIRED = ("name", "id_number", "township", "service_station", "enlisted_on", "branch", "rank",
            "discharge_category")
# The columns an error file adds; a corrected error file brings them back, and they are ignored.
ROW_NUMBER, REASON = "行号", "错误原因"
ADDED_COLUMNS = (ROW_NUMBER, REASON)

CATEGORY_WORDS = {"退役士兵": "discharged_soldier", "转业干部": "transferred_officer",
                  "转业士官": "transferred_nco", "退休干部": "retired_officer",
                  "复员干部": "demobilised"}
CATEGORY_NAMES = {code: word for word, code in CATEGORY_WORDS.items()}
SEX_WORDS = {"男": "male", "女": "female"}
SEX_NAMES = {code: word for word, code in SEX_WORDS.items()}
_DATE_FIELDS = ("birth_date", "enlisted_on", "discharged_on", "effective_on")
_TYPED_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
# Labels for the fields the decision names that are not columns of their own.
_LABELS = {**HEADERS, "declared_sex": "性别", "declared_birth_date": "出生日期"}
_CATEGORY_LIST = "、".join(CATEGORY_WORDS)

# The contract's and the decision's problems, in Chinese. Matched whole, or by the pattern.
_REASONS = {
    "Missing data for required field.": "必填，不能为空",
    "Field may not be null.": "必填，不能为空",
    "is required": "必填，不能为空",
    "is required and must not contain control characters": "必填，且不能含控制字符",
    "must not contain control characters": "不能含控制字符",
    "Not a valid date.": "不是有效日期，应写作 1990-12-01",
    "Not a valid string.": "应为文字",
    "must be a date": "不是有效日期，应写作 1990-12-01",
    "must not be in the future": "不能是将来的日期",
    f"must be on or after the {model.MIN_ENLISTMENT_AGE}th birthday":
        f"不能早于{model.MIN_ENLISTMENT_AGE}周岁生日",
    "must not be before the enlistment date": "不能早于入伍时间",
    "must not be before the birth date": "不能早于出生日期",
    "must be male or female": "须为“男”或“女”",
    "does not match the sex encoded in the resident ID number": "与身份证号所含性别不符",
    "does not match the birth date encoded in the resident ID number": "与身份证号所含出生日期不符",
    model.PHONE_PROBLEM: "须为11位手机号（13-19开头）或带区号的固定电话，如 0579-82345678",
    contract.PHONE.error: "须为11位手机号（13-19开头）或带区号的固定电话，如 0579-82345678",
    contract.ID_NUMBER.error: "须为17位数字加1位校验码（数字或X）",
    "it must be text": "应为文字",
    "only digits are allowed, except a final X": "只能是数字，末位可为X",
    "check character does not match (ISO 7064 MOD 11-2)": "校验码不正确",
    "the birth date part is not a real date": "所含出生日期不存在",
    "the birth date part is before 1900": "所含出生日期早于1900年",
    "the birth date part is in the future": "所含出生日期在将来",
    "a file for this resident ID number already exists": "已在档",
}
_PATTERNS = (
    (re.compile(r"Must be one of: .*"), None),  # by field, below
    (re.compile(r"must be one of: .*"), None),
    (re.compile(r"Longer than maximum length (\d+)\."), "过长，最多{0}个字"),
    (re.compile(r"it must be (\d+) characters long, not (\d+)"), "应为{0}位，实为{1}位"),
)
_ONE_OF = {"sex": "须为“男”或“女”", "declared_sex": "须为“男”或“女”",
           "discharge_category": f"须为{_CATEGORY_LIST}之一"}
OUTSIDE_REACH = "不在您所在服务站的范围内"
ID_NUMBER_AS_NUMBER = "须以文本保存：存为数字的身份证号会丢失末几位"


class RowProblems(Exception):
    """A row the registry would refuse: each column's problems, already in Chinese."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(f"row refused in: {', '.join(fields)}")  # names only: values are personal
        self.fields = fields

    @property
    def reason(self) -> str:
        return reason_text(self.fields)


@dataclass(frozen=True)
class CheckedRow:
    """A row the registry accepts: the command and the event its registration writes."""

    command: model.RegisterVeteran
    event: model.VeteranRegistered


def reason_text(fields: dict[str, list[str]]) -> str:
    """错误原因: each column with its problems, in column order (`身份证号：校验码不正确；…`)."""
    order = {name: n for n, (name, _) in enumerate(COLUMNS)}
    parts = []
    for field_name in sorted(fields, key=lambda f: order.get(_column_of(f), len(order))):
        label = _LABELS.get(field_name, field_name)
        parts.append(f"{label}：{'，'.join(dict.fromkeys(fields[field_name]))}")
    return "；".join(parts)


def _column_of(field_name: str) -> str:
    return {"declared_sex": "sex", "declared_birth_date": "birth_date"}.get(field_name, field_name)


def in_chinese(field_name: str, problem: str) -> str:
    """One problem of the contract or the decision, as a clerk reads it."""
    if problem.startswith("resident ID number is invalid: "):
        problem = problem.split(": ", 1)[1]
    if problem in _REASONS:
        return _REASONS[problem]
    for pattern, text in _PATTERNS:
        match = pattern.fullmatch(problem)
        if match:
            if text is None:
                return _ONE_OF.get(field_name, "不是可选的值")
            return text.format(*match.groups())
    # A problem this table does not know yet still says which column, and keeps the original.
    return f"不符合要求（{problem}）"


def field_of(header: str) -> str | None:
    """The request field a header names (Chinese or the field's own name), or None."""
    header = header.strip() if isinstance(header, str) else ""
    for field_name, chinese in COLUMNS:
        if header in (chinese, field_name):
            return field_name
    return None


def missing_columns(headers: list[str]) -> list[str]:
    """The required columns a file's header row lacks, as their Chinese headers."""
    present = {field_of(h) for h in headers}
    return [HEADERS[f] for f in REQUIRED if f not in present]


def to_request(cells: dict[str, object]) -> tuple[dict, dict[str, list[str]]]:
    """A row's cells (by request field) as the registration request's JSON, and the problems
    found before the contract looks (an ID number stored as a number). Empty cells are left out,
    as a form leaves out what was not filled in."""
    payload: dict[str, object] = {}
    problems: dict[str, list[str]] = {}
    for field_name, value in cells.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field_name in _DATE_FIELDS:
            value = _date_text(value)
        elif field_name == "id_number":
            if isinstance(value, float):
                problems["id_number"] = [ID_NUMBER_AS_NUMBER]
                continue
            value = str(value).strip().replace(" ", "").upper()
        elif field_name == "phone":
            value = str(int(value)) if isinstance(value, float) and value.is_integer() \
                else str(value).strip()
        elif field_name == "sex":
            value = SEX_WORDS.get(str(value).strip(), str(value).strip())
        elif field_name == "discharge_category":
            value = CATEGORY_WORDS.get(str(value).strip(), str(value).strip())
        elif not isinstance(value, str):
            value = str(value)
        payload[field_name] = value
    return payload, problems


def _date_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        typed = _TYPED_DATE.fullmatch(value.strip())
        if typed:
            year, month, day = typed.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return value.strip()
    return str(value)


def check_row(cells: dict[str, object], veteran_id: str, today: date,
              within_stations: frozenset[str] | None = None) -> CheckedRow:
    """The registration a row asks for, decided as the API decides it; RowProblems if refused.

    `within_stations`: a station worker's stations (None: the whole district), as the gateway
    holds a registration to them.
    """
    payload, early = to_request(cells)
    try:
        data = instance(contract.RegisterVeteranRequest).load(payload)
    except ValidationError as refused:
        problems = {f: [in_chinese(f, p) for p in _messages(ps)]
                    for f, ps in refused.messages_dict.items()}
        raise RowProblems({**problems, **early}) from None
    if early:
        raise RowProblems(early)
    if within_stations is not None and data["service_station"] not in within_stations:
        raise RowProblems({"service_station": [OUTSIDE_REACH]})
    command = model.RegisterVeteran(declared_sex=data.pop("sex", None),
                                    declared_birth_date=data.pop("birth_date", None), **data)
    try:
        events = model.register(command, veteran_id, today)
    except RegistryError as refused:
        raise RowProblems({f: [in_chinese(f, p) for p in ps]
                           for f, ps in refused.fields.items()}) from None
    return CheckedRow(command, events[0])


def _messages(problems) -> list[str]:
    if isinstance(problems, dict):  # a nested field's problems; none of ours has one
        return [str(p) for ps in problems.values() for p in _messages(ps)]
    return [str(p) for p in problems]


def duplicate_reason(first_row: int) -> dict[str, list[str]]:
    return {"id_number": [f"与第{first_row}行的身份证号重复"]}

"""How the pages write dates, times, money and a bundle matter's status, in the bureau's words."""
from __future__ import annotations

import datetime as dt
import functools

from chassis.clock import SHANGHAI
from services.bundle import catalogue as bundle_catalogue

# A matter's status as the veteran reads it: at most six, and what the veteran did ("已提交")
# is never what the department did ("已办结"). The bundle's own statuses (contracts/bundle.py)
# map onto them; not_applicable and left_out are not tasks and are listed apart.
MATTER_LABELS = {
    "requested": ("submitted", "已提交"),
    "acknowledged": ("in_progress", "办理中"),
    "in_progress": ("in_progress", "办理中"),
    "overdue": ("overdue", "已超期"),
    "done": ("done", "已办结"),
    "refused": ("refused", "被退回"),
    "withdrawn": ("withdrawn", "已撤回"),
}
TASK_STATUSES = tuple(dict.fromkeys(key for key, _ in MATTER_LABELS.values()))

BUNDLE_LABELS = {"open": "办理中", "action_needed": "需要您处理", "complete": "已全部办结",
                 "closed": "已结束"}

ACTION_LABELS = {"read_file": "查看档案", "list_veterans": "查看名单", "amend_contact": "修改联系方式",
                 "register_veteran": "建立档案", "read_access_log": "查看访问记录",
                 "search_audit": "审计查询", "get_bundle": "查看办理进度",
                 "list_bundles": "查看办理进度", "record_matter_outcome": "答复办理结果",
                 "veteran_overview": "查看综合信息"}

ROLE_LABELS = {"veteran": "退役军人本人", "station_worker": "服务站工作人员",
               "registry_clerk": "信息采集员", "placement_officer": "安置科工作人员",
               "benefits_officer": "优抚科工作人员", "disputes_officer": "权益维护科工作人员",
               "employment_officer": "就业创业科工作人员", "approver": "审批人",
               "leader": "局领导", "auditor": "审计员", "department": "部门系统"}

FIELD_LABELS = {"name": "姓名", "id_number": "公民身份号码", "sex": "性别", "birth_date": "出生日期",
                "phone": "联系电话", "address": "住址", "township": "镇街",
                "service_station": "服务站", "enlisted_on": "入伍时间", "discharged_on": "退役时间",
                "branch": "军种", "rank": "军衔", "discharge_category": "退役类别",
                "life_stage": "人生阶段", "party_member": "党员", "party_branch": "党组织",
                "grid_worker": "网格员", "honours": "荣誉", "survivor_ties": "遗属关系",
                "area_code_known": "行政区划已识别"}


# A file's coded values as the bureau says them; a code not listed is shown as it is.
VALUE_LABELS = {
    "sex": {"male": "男", "female": "女"},
    "discharge_category": {"discharged_soldier": "退役士兵", "transferred_officer": "转业军官",
                           "transferred_nco": "转业士官", "retired_officer": "退休军官",
                           "demobilised": "复员军人"},
    "life_stage": {"enlistment": "入伍", "service": "服役", "discharge": "退役",
                   "employment": "就业创业", "preferential": "优抚"},
}


def file_value(name: str, value) -> str:
    """One field of the file as the page shows it: coded values in Chinese, dates as 年月日."""
    labels = VALUE_LABELS.get(name)
    if labels and isinstance(value, str):
        return labels.get(value, value)
    return field_value(value)


@functools.cache
def matter_titles() -> dict[str, str]:
    """The bundle's matters, key -> title, from the same catalogue file the bundle service runs
    with (BUNDLE_CATALOGUE, as deploy/ sets it for both), in its order."""
    return {m.key: m.title for m in bundle_catalogue.load().matters}


def matter_status(status: str) -> tuple[str, str]:
    """(key, Chinese label) of a matter's status as the task list shows it."""
    return MATTER_LABELS.get(status, ("submitted", "已提交"))


def chinese_date(value) -> str:
    """2026-11-27 (a date, or ISO text) as 2026年11月27日; nothing as an empty string."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_moment(value) -> str:
    """An ISO timestamp as the day and minute in Beijing time: 2026年11月27日 14:03."""
    if value in (None, ""):
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return f"{chinese_date(moment.date())} {moment:%H:%M}"


def yuan(fen) -> str:
    """Integer fen as ¥1,234.56 (negative amounts keep their sign before the symbol)."""
    if fen is None:
        return ""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("money is integer fen")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def field_value(value) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "、".join(field_value(v) if not isinstance(v, dict) else
                        "，".join(str(x) for x in v.values() if x not in (None, ""))
                        for v in value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return chinese_date(value)
        except ValueError:
            return value
    return str(value)


# -- the workbench's lists: one page size, one page number, one pager ------------------------------

PAGE_SIZE = 15


def page_number(value: str | None) -> int:
    """The ?page= of a list: a whole number from 1 to 100,000; anything else is page 1."""
    return int(value) if value and value.isdigit() and 0 < int(value) <= 100000 else 1


def pager(page: int, total: int, link, page_size: int = PAGE_SIZE) -> dict:
    """"第1–15条，共N条" and the previous/next links (`link(page_number)`), None where there is none."""
    first = (page - 1) * page_size + 1 if total else 0
    last = min(page * page_size, total)
    return {"text": f"第{first}–{last}条，共{total}条",
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if last < total else None}

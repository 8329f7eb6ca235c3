"""What the veteran is told when a matter is refused, runs late, or the bundle completes.

The text goes to the veteran's own channel (the province's app, or an SMS to the phone on
file), so it names the matter, the department, the reason and the next step, and nothing else:
no name, ID number, address or reference of anyone. A department's reason is passed on as the
department wrote it, for the veteran it is about.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .catalogue import MatterSpec

PREFIX = "【退役军人一件事】"


@dataclass(frozen=True)
class Notice:
    kind: str  # matter_refused | matter_overdue | bundle_completed | bundle_closed
    title: str
    body: str


def refused(spec: MatterSpec, reason: str, next_step: str, correction: bool) -> Notice:
    what = "更正为未能办理" if correction else "未能办理"
    return Notice(
        "matter_refused",
        f"{PREFIX}{spec.title}{what}",
        f"您申请的“{spec.title}”（{spec.department_name}）{what}。原因：{reason}。"
        f"下一步：{next_step}。您可以在浙里办查看办理进度，或联系所在退役军人服务站。")


def overdue(spec: MatterSpec, due_on: date) -> Notice:
    return Notice(
        "matter_overdue",
        f"{PREFIX}{spec.title}已超过承诺时限",
        f"您申请的“{spec.title}”（{spec.department_name}）未能在承诺时限"
        f"（{due_on.isoformat()}）内办结。我们已提醒{spec.department_name}和您所在的服务站跟进，"
        f"下一步：{spec.next_step}")


def completed(outcome: str) -> Notice:
    if outcome == "complete":
        return Notice("bundle_completed", f"{PREFIX}全部事项已办结",
                      "您的退役军人一件事申请中的全部事项均已办结。您可以在浙里办查看每个事项的办理结果。")
    return Notice("bundle_closed", f"{PREFIX}申请已办结",
                  "您的退役军人一件事申请已办结（部分事项已撤回）。您可以在浙里办查看每个事项的办理结果。")

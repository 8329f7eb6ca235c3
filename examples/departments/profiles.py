"""What each reference department answers: its reference numbers and its refusals, per matter.

The texts are what a real department would write to the veteran: the reason, and what to do
next. They are examples, not the departments' rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    department: str
    name: str
    prefix: str  # its reference numbers, e.g. JDGA-20261127-3f2a1c
    # matter -> (reason, next step) when it refuses
    refusals: dict[str, tuple[str, str]] = field(default_factory=dict)
    default_refusal: tuple[str, str] = (
        "提交的材料不完整", "请携带退役证件和户口簿原件到办事窗口补充材料后重新提交。")

    def refusal(self, matter: str) -> tuple[str, str]:
        return self.refusals.get(matter, self.default_refusal)


PROFILES: dict[str, Profile] = {p.department: p for p in (
    Profile("public_security", "金华市公安局金东分局（参考实现）", "JDGA", {
        "household_registration": ("户口迁入地址与入伍前户籍地不一致",
                                   "请携带入伍通知书复印件和现住址证明到户籍窗口核实后重新申请。"),
        "id_card": ("照片不符合居民身份证制证要求",
                    "请到任一派出所户籍窗口或指定照相馆重新采集照片后重新申请。"),
    }),
    Profile("hr_social_security", "金东区人力资源和社会保障局（参考实现）", "JDRS", {
        "pension_insurance": ("未收到部队出具的养老保险关系转移凭证",
                              "请联系原部队财务部门开具军人退役养老保险参保缴费凭证后重新提交。"),
    }),
    Profile("medical_insurance", "金东区医疗保障局（参考实现）", "JDYB", {
        "medical_insurance": ("未收到军人退役医疗保险关系转移接续函",
                              "请联系原部队后勤部门补开转移接续函后重新提交。"),
    }),
    Profile("party_organisation", "中共金东区委组织部（参考实现）", "JDZZ", {
        "party_membership": ("组织关系介绍信已过有效期",
                             "请联系原部队党组织重新开具组织关系介绍信后重新提交。"),
    }),
    Profile("armed_forces", "金东区人民武装部（参考实现）", "JDWZ", {
        "reserve_registration": ("本人尚未完成预备役登记信息核对",
                                 "请在 7 日内到所在镇（街道）武装部核对登记信息后重新提交。"),
    }),
)}

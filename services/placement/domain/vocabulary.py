"""Placement's words: rank classes, placement modes, case kinds, statuses and the articles behind them."""
from enum import StrEnum

REGULATION = "安置条例"  # 《退役军人安置条例》 (2024), whose articles the rules below cite


def article(number: int) -> str:
    return f"{REGULATION} Art. {number}"


class RankClass(StrEnum):
    """Where the rank puts a soldier in the regulation's lines (Arts. 5, 36, 38)."""

    OFFICER = "officer"  # 军官
    # 中级以上军士: the line Art. 36 draws for retirement (上士 and above, 三/四级士官 and above).
    SENIOR_NCO = "senior_nco"
    JUNIOR_NCO = "junior_nco"  # 初级军士: 下士, 中士 (一/二级士官)
    CONSCRIPT = "conscript"  # 义务兵: 列兵, 上等兵


NCO_CLASSES = frozenset({RankClass.SENIOR_NCO, RankClass.JUNIOR_NCO})


class Mode(StrEnum):
    """The ways a discharged soldier is placed (安置方式)."""

    SELF_EMPLOYMENT = "self_employment"  # 自主就业
    ASSIGNED_WORK = "assigned_work"  # 安排工作
    RETIREMENT = "retirement"  # 退休
    SUPPORT = "support"  # 供养
    MONTHLY_RETIREMENT_PAY = "monthly_retirement_pay"  # 逐月领取退役金
    OFFICER_TRANSFER = "officer_transfer"  # 转业
    DEMOBILISATION = "demobilisation"  # 复员


# Art. 5: the modes each rank may be placed by at all.
MODES_BY_RANK: dict[RankClass, frozenset[Mode]] = {
    RankClass.OFFICER: frozenset({Mode.RETIREMENT, Mode.OFFICER_TRANSFER,
                                  Mode.MONTHLY_RETIREMENT_PAY, Mode.DEMOBILISATION}),
    RankClass.SENIOR_NCO: frozenset({Mode.MONTHLY_RETIREMENT_PAY, Mode.SELF_EMPLOYMENT,
                                     Mode.ASSIGNED_WORK, Mode.RETIREMENT, Mode.SUPPORT}),
    RankClass.JUNIOR_NCO: frozenset({Mode.MONTHLY_RETIREMENT_PAY, Mode.SELF_EMPLOYMENT,
                                     Mode.ASSIGNED_WORK, Mode.RETIREMENT, Mode.SUPPORT}),
    RankClass.CONSCRIPT: frozenset({Mode.SELF_EMPLOYMENT, Mode.ASSIGNED_WORK, Mode.SUPPORT}),
}


class DisabilityNature(StrEnum):
    COMBAT = "combat"  # 因战
    DUTY = "duty"  # 因公
    ILLNESS = "illness"  # 因病


class HonourKind(StrEnum):
    """The honours the placement rules count; everything else is `other`."""

    MEDAL = "medal"  # 勋章
    HONOUR_TITLE = "honour_title"  # 荣誉称号
    FIRST_CLASS_MERIT = "first_class_merit"  # 一等功
    SECOND_CLASS_MERIT = "second_class_merit"  # 二等功
    THIRD_CLASS_MERIT = "third_class_merit"  # 三等功
    FIRST_LEVEL_COMMENDATION = "first_level_commendation"  # 一级表彰
    OTHER = "other"


class CaseKind(StrEnum):
    SOLDIER = "soldier"  # 退役士兵 (军士 or 义务兵) reporting in
    OFFICER = "officer"  # 退役军官, e.g. a 转业军官
    SPOUSE = "spouse"  # 随调配偶, linked to an officer's case


class PostKind(StrEnum):
    """Where a placement lands; the summary reports rates for the first two."""

    ADMINISTRATIVE = "administrative"  # 行政机关 (参公) post
    INSTITUTION = "institution"  # 事业单位 post
    ENTERPRISE = "enterprise"  # 企业 (state-owned enterprise) post


class TransferMethod(StrEnum):
    """How a transferred officer (and a spouse moving with them) is assigned (Art. 15)."""

    EXAMINATION_AND_ASSESSMENT = "examination_and_assessment"  # 考试考核
    TWO_WAY_SELECTION = "two_way_selection"  # 双向选择
    DIRECT_SELECTION = "direct_selection"  # 直接选调
    SCORE_BASED_CHOICE = "score_based_choice"  # 赋分选岗


class Forfeiture(StrEnum):
    """Why placement benefits were given up, each with its article."""

    LATE_REPORT_IN = "late_report_in"  # Art. 51
    DECLINED_POST = "declined_post"  # Art. 34
    PROSECUTED_WHILE_WAITING = "prosecuted_while_waiting"  # Art. 34


FORFEITURE_ARTICLES = {
    Forfeiture.LATE_REPORT_IN: article(51),
    Forfeiture.DECLINED_POST: article(34),
    Forfeiture.PROSECUTED_WHILE_WAITING: article(34),
}


class Status(StrEnum):
    """Where a case stands (docs/placement.md draws the lifecycle)."""

    REPORTED = "reported"  # 已报到: choosing a mode
    FORFEITED = "forfeited"  # placement benefits given up (Arts. 34, 51)
    WAITING = "waiting"  # 待安排: assigned work chosen, allowance paid
    SCORED = "scored"  # 已赋分
    POST_OFFERED = "post_offered"
    POST_ACCEPTED = "post_accepted"
    LETTER_ISSUED = "letter_issued"  # 介绍信 issued: the unit has 30 days
    ON_POST = "on_post"  # 已上岗
    CONTRACTED = "contracted"  # 劳动(聘用)合同 signed
    SELF_EMPLOYED = "self_employed"  # self-employment chosen, subsidy assessed
    SUBSIDY_PAID = "subsidy_paid"  # 一次性经济补助 paid
    HANDED_OVER = "handed_over"  # retirement, support, monthly pay, demobilisation: handed on
    AWAITING_ASSIGNMENT = "awaiting_assignment"  # transfer chosen (officer) or spouse received
    ASSIGNED = "assigned"  # assignment method and planned post kind decided (Art. 15)
    PLACED = "placed"  # officer or spouse on their post
    CLOSED = "closed"


OPEN_STATUSES = frozenset(Status) - {Status.CLOSED}
# Clocks the case runs on (names of the chassis deadlines).
PLACEMENT_CLOCK = "placement"  # 6 months from reception (Art. 31)
ON_POST_CLOCK = "on_post"  # 30 days from the referral letter (Art. 75)

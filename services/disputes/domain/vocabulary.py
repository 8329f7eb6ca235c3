"""The bureau's words for petitions, disputes and proxy cases, and the limits the rules use."""

from enum import StrEnum


class Channel(StrEnum):
    """How a petition reached the bureau (信访形式)."""

    IN_PERSON = "in_person"  # 走访
    LETTER = "letter"  # 来信
    PHONE = "phone"  # 来电
    ONLINE = "online"  # 网上信访


class PetitionerKind(StrEnum):
    VETERAN = "veteran"  # the veteran themselves
    FAMILY = "family"  # a family member on the veteran's behalf
    GROUP = "group"  # a group, through its representatives (集体访)


class Category(StrEnum):
    """What a petition or dispute is about: with the veteran, it names the matter."""

    PLACEMENT = "placement"  # 安置
    BENEFITS = "benefits"  # 优抚待遇
    PENSION = "pension"  # 抚恤
    SOCIAL_INSURANCE = "social_insurance"  # 社会保险接续
    EMPLOYMENT = "employment"  # 就业创业
    MEDICAL = "medical"  # 医疗
    HOUSING = "housing"  # 住房
    HONOURS = "honours"  # 褒扬
    OTHER = "other"


class PetitionState(StrEnum):
    """Where a petition stands (信访工作条例: registered, decided, handled, answered, reviewed)."""

    REGISTERED = "registered"  # 登记, waiting for the intake decision
    ACCEPTED = "accepted"  # 受理, being handled: the opinion's clock runs
    REFUSED = "refused"  # 不予受理
    TRANSFERRED = "transferred"  # 转送 to the organ that has the matter
    ROUTED_OUT = "routed_out"  # 导入 litigation, arbitration or an administrative procedure
    ANSWERED = "answered"  # 处理意见 issued: the review window is open
    UNDER_REVIEW = "under_review"  # 复查 asked
    REVIEWED = "reviewed"  # 复查意见 given: the re-review window is open
    UNDER_RE_REVIEW = "under_re_review"  # 复核 asked
    FINAL = "final"  # 终结: the same facts are not taken again


# A petition in one of these states is still being dealt with: the same matter lodged again
# is linked to it, not opened twice.
OPEN_STATES = frozenset({PetitionState.REGISTERED, PetitionState.ACCEPTED,
                         PetitionState.ANSWERED, PetitionState.UNDER_REVIEW,
                         PetitionState.REVIEWED, PetitionState.UNDER_RE_REVIEW})


class IntakeDecision(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    TRANSFER = "transfer"
    ROUTE_OUT = "route_out"


class Procedure(StrEnum):
    """Where a petition is routed out to, when the law gives the matter its own procedure."""

    LITIGATION = "litigation"  # 诉讼
    ARBITRATION = "arbitration"  # 仲裁 (labour or personnel arbitration)
    ADMINISTRATIVE_RECONSIDERATION = "administrative_reconsideration"  # 行政复议
    ADMINISTRATIVE_RULING = "administrative_ruling"  # 行政裁决 and other statutory procedures


class RefusalGround(StrEnum):
    SAME_FACTS_FINAL = "same_facts_final"  # answered finally already
    NOT_WITHIN_REMIT = "not_within_remit"
    BEING_HANDLED_ELSEWHERE = "being_handled_elsewhere"
    OTHER = "other"


class OpinionOutcome(StrEnum):
    SUPPORT = "support"  # 予以支持
    EXPLAIN = "explain"  # 解释说明
    REJECT = "reject"  # 不予支持


class ReviewStage(StrEnum):
    REVIEW = "review"  # 复查
    RE_REVIEW = "re_review"  # 复核


class ReviewOutcome(StrEnum):
    UPHELD = "upheld"  # 维持
    VARIED = "varied"  # 变更
    REVOKED = "revoked"  # 撤销


class Level(StrEnum):
    """Where an escalation went: above the district."""

    CITY = "city"  # 市
    PROVINCE = "province"  # 省 (赴省)
    CAPITAL = "capital"  # 进京


# 零赴省进京: the bureau's target counts these levels.
TARGET_LEVELS = frozenset({Level.PROVINCE, Level.CAPITAL})


class EscalationReason(StrEnum):
    WENT_HIGHER = "went_higher"  # 越级: the petitioner went above the district first
    WENT_HIGHER_WHILE_OPEN = "went_higher_while_open"  # took it higher while it was open here
    DISSATISFIED = "dissatisfied"  # with the opinion or a review
    OVERDUE = "overdue"  # a step ran past its clock
    URGENT = "urgent"  # reported upward as urgent (Art. 25)
    OTHER = "other"


class DisputeState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


class DisputeOutcome(StrEnum):
    RESOLVED = "resolved"  # 化解: settled, by mediation or otherwise
    UNRESOLVED = "unresolved"  # closed without settlement (e.g. taken to court)


class LegalAidState(StrEnum):
    NONE = "none"
    REFERRED = "referred"  # waiting for the legal aid centre's decision
    GRANTED = "granted"  # waiting for a lawyer
    REFUSED = "refused"
    LAWYER_ASSIGNED = "lawyer_assigned"


class MatterKind(StrEnum):
    """What a proxy case (权益维护代办) handles on the veteran's behalf."""

    BENEFITS_APPLICATION = "benefits_application"
    CARD = "card"  # 优待证
    SOCIAL_INSURANCE = "social_insurance"
    HOUSEHOLD_REGISTRATION = "household_registration"
    MEDICAL = "medical"
    EMPLOYMENT = "employment"
    LEGAL = "legal"
    OTHER = "other"


class AgentKind(StrEnum):
    STAFF = "staff"  # a bureau or station staff member
    MILITIA_HEAD = "militia_head"  # a village militia company head 民兵连长


class ProxyState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class ProxyOutcome(StrEnum):
    COMPLETED = "completed"  # 办结
    NOT_COMPLETED = "not_completed"


class HardshipTrigger(StrEnum):
    """Why a case opens a hardship referral (帮扶援助 triggers)."""

    ILLNESS = "illness"
    DISABILITY_COSTS = "disability_costs"
    LONG_UNEMPLOYMENT = "long_unemployment"
    OLD_WOUND = "old_wound"
    DISASTER_OR_ACCIDENT = "disaster_or_accident"
    OTHER = "other"


class CaseKind(StrEnum):
    PETITION = "petition"
    DISPUTE = "dispute"
    PROXY_CASE = "proxy_case"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """An enumeration's values, as events and messages carry them."""
    return tuple(member.value for member in enum)


# A group sends at most five representatives (信访工作条例 Art. 20).
MAX_REPRESENTATIVES = 5

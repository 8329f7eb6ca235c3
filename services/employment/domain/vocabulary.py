"""The employment service's words: kinds of posts, of training, of closing, and the limits on them."""
from __future__ import annotations

# Kinds of posts, as the bureau's posting forms group them. Matching groups postings by kind, so
# the list is closed: a new kind is a line here (and in the contract's enum).
POSTING_KINDS = (
    "manufacturing",    # 制造业
    "logistics",        # 物流运输 (drivers, warehouses)
    "security",         # 安保
    "construction",     # 建筑
    "services",         # 服务业
    "technical",        # 技术岗位
    "public_welfare",   # 公益性岗位, for the hard to employ
    "public_sector",    # 机关事业单位
    "other",
)

# 适应性培训 (every placement mode, about a month after discharge), 技能培训 (free, with a
# certificate and referral), 学历教育 (tuition aid for a degree).
TRAINING_KINDS = ("adaptive", "skills", "degree")

CLOSE_REASONS = ("filled", "withdrawn", "expired")

# Where a job seeker's registration came from: placement's reporting-in of a self-employed
# veteran, or registered directly by staff.
SOURCES = ("placement", "direct")

# A job seeker is seeking until hired.
SEEKING, EMPLOYED = "seeking", "employed"

# Sanity limits that catch typing errors (a pay in yuan typed as fen is 100 times too small,
# one in fen typed with extra zeros too large), not rules of law.
MAX_MONTHLY_PAY_FEN = 10_000_000      # 100,000 yuan a month
MAX_HEADCOUNT = 10_000
MAX_REQUIREMENTS = 20
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_CONTRACT_MONTHS = 600
MAX_AWARD_FEN = 100_000_000           # 1,000,000 yuan

# The employer's tax relief for hiring a veteran needs a contract of a year or more with social
# insurance paid: the figures count the hires that qualify.
TAX_RELIEF_MIN_CONTRACT_MONTHS = 12

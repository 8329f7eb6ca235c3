"""The bureau's words for benefits, as the codes stored in events and carried on the wire."""

# Hardship relief 困难帮扶: what brought the hardship on (the bureau's five triggers).
RELIEF_TRIGGERS = ("illness", "long_unemployment", "recurring_wound", "disaster", "other")

# Entitlements 优抚待遇. The periodic ones are paid every year while active and make their
# holder a priority beneficiary 重点优抚对象; the one-time ones are paid once.
DISABILITY_PENSION = "disability_pension"        # 残疾抚恤金
SURVIVORS_PENSION = "survivors_pension"          # 定期抚恤金 (烈属, 因公牺牲/病故军人遗属)
LIVING_ALLOWANCE = "living_allowance"            # 定期生活补助
NURSING_ALLOWANCE = "nursing_allowance"          # 护理费
MARTYR_COMMENDATION = "martyr_commendation"      # 烈士褒扬金 (one-time)
DEATH_PENSION = "death_pension"                  # 一次性抚恤金 (one-time)
PERIODIC_KINDS = (DISABILITY_PENSION, SURVIVORS_PENSION, LIVING_ALLOWANCE, NURSING_ALLOWANCE)
ONE_TIME_KINDS = (MARTYR_COMMENDATION, DEATH_PENSION)
ENTITLEMENT_KINDS = PERIODIC_KINDS + ONE_TIME_KINDS

# How a disability came about: 因战 in combat, 因公 on duty, 因病 by illness.
NATURES = ("combat", "duty", "illness")
# How the fallen died (the registry's survivor ties): 烈士, 因公牺牲, 病故.
TIES = ("martyr", "died_on_duty", "died_of_illness")
# The survivor's relation to the fallen, as the survivors' pension knows it.
RELATIONS = ("parent", "spouse", "child", "sibling")
# Who receives a periodic living allowance 定期生活补助.
LIVING_CATEGORIES = ("combat_or_test_veteran", "came_home_ill", "rural_over_60",
                     "enlisted_before_1954", "martyr_child_rural_over_60")

# Why a periodic entitlement is suspended (and may resume) or ended for good.
SUSPENSION_REASONS = ("imprisoned", "deprived_of_political_rights", "wanted")
END_REASONS = ("death", "life_sentence", "expelled_from_army", "fraud", "no_longer_eligible")

# The preferential-treatment card 优待证: who holds it, and what bars it.
CARD_CATEGORIES = ("veteran", "survivor")
CARD_BARS = ("struck_off_or_expelled", "deprived_of_political_rights", "imprisoned", "wanted")

# Condolence campaigns 走访慰问.
CAMPAIGN_KINDS = ("festival", "survivor_families", "hardship", "other")

# Who decided: the four-eyes rules compare these subjects, never names.
OPINIONS = ("support", "oppose")
DECISIONS = ("approve", "reject")
OFFER_ANSWERS = ("confirm", "decline")

# Social care services for priority beneficiaries (社会化服务), as the bureau buys them.
SOCIAL_CARE_SERVICES = ("special_disease_check", "health_record", "home_care", "rehabilitation",
                        "psychological_support", "legal_consultation", "other")

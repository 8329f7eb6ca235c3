"""The registry facts placement keeps: what the registry's public events say of a veteran, as far as needed."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from services.placement.domain.facts import makes_martyr_child

# The registry's event types placement reads, in one ordered subscription (one stream's events in
# the registry's order, so a discharge never lands before the registration it amends).
EVENT_TYPES = ("VeteranRegistered", "DischargeRecorded", "HonourAdded", "SurvivorTieMarked")

_UPSERT = ("INSERT INTO registry_facts (veteran_id, registry_position) VALUES (%s, %s) "
           "ON CONFLICT (veteran_id) DO UPDATE SET registry_position = EXCLUDED.registry_position")


def record(cur, event: RecordedEvent) -> None:
    """Keep one registry event's facts, in the subscriber's transaction (with its inbox row)."""
    data = event.data
    veteran_id = data["veteran_id"]
    cur.execute(_UPSERT, (veteran_id, event.position))
    if event.event_type == "VeteranRegistered":
        cur.execute(
            "UPDATE registry_facts SET service_station = %s, township = %s, rank = %s, "
            "enlisted_year = %s, discharged_year = %s WHERE veteran_id = %s",
            (data["service_station"], data["township"], data["rank"], data["enlisted_year"],
             data["discharged_year"], veteran_id))
    elif event.event_type == "DischargeRecorded":
        cur.execute(
            "UPDATE registry_facts SET discharged_year = %s, rank = coalesce(%s, rank) "
            "WHERE veteran_id = %s", (data["discharged_year"], data.get("rank"), veteran_id))
    elif event.event_type == "HonourAdded":
        cur.execute("UPDATE registry_facts SET honours = array_append(honours, %s) "
                    "WHERE veteran_id = %s", (data["honour"], veteran_id))
    elif event.event_type == "SurvivorTieMarked":
        if makes_martyr_child(data["tie"], data["relation"]):
            cur.execute("UPDATE registry_facts SET martyr_child = true WHERE veteran_id = %s",
                        (veteran_id,))

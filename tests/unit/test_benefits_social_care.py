"""Social care services 社会化服务: a stream per service received, from the list, no future day."""
from datetime import date

import pytest

from services.benefits.domain import social_care as care
from services.benefits.domain.case import Actor, VeteranFacts
from services.benefits.domain.errors import InvalidRequest

TODAY = date(2020, 12, 31)
VETERAN = VeteranFacts("v1", "多湖街道退役军人服务站", "多湖街道")
ACTOR = Actor("worker-1", ("station_worker",))


def test_a_service_received_is_recorded_at_the_veterans_station():
    [event] = care.record_social_care(care.RecordSocialCare(
        VETERAN, "special_disease_check", date(2020, 6, 1), "金东区中医院", ACTOR), "c1", TODAY)
    assert (event.care_id, event.station, event.service, event.recorded_by) == (
        "c1", "多湖街道退役军人服务站", "special_disease_check", "worker-1")
    case = care.SocialCare.from_events("c1", [event])
    assert (case.state, case.veteran_id) == ("provided", "v1")


def test_an_unknown_service_a_future_day_or_no_provider_is_refused():
    with pytest.raises(InvalidRequest) as refused:
        care.record_social_care(care.RecordSocialCare(
            VETERAN, "massage", date(2021, 1, 1), " ", ACTOR), "c1", TODAY)
    assert set(refused.value.fields) == {"service", "provided_on", "provider"}

"""The district's veterans' service stations (退役军人服务中心/站): their events, requests, replies and routes.

The registry keeps them, one stream per station: its level (the district's centre, a township's
station, a village's or community's), the station above it, where its build stands (planned,
being built, built) and the ratings it has earned (示范型 exemplary, 新时代枫桥式 Fengqiao-style).
The bureau's figures count them (docs/figures.md). A station is an organisation: nothing here is
personal data.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.routes import Route

LEVELS = ("district", "township", "village")
STATUSES = ("planned", "building", "built")
RATINGS = ("exemplary", "fengqiao")
# A station's level sits under the one before it: a township's station under the district's
# centre, a village's under its township's.
PARENT_LEVEL = {"township": "district", "village": "township"}

_NO_CONTROL = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="must not contain control characters")


def _text(max_length: int = 100, **kw):
    return fields.String(validate=[validate.Length(min=1, max=max_length), _NO_CONTROL], **kw)


def _one_of(values, **kw):
    return fields.String(validate=validate.OneOf(values), **kw)


# -- events ----------------------------------------------------------------------------------------

class StationRegisteredV1(Schema):
    station_id = fields.String(required=True)
    station_name = fields.String(required=True)
    level = fields.String(required=True)
    parent_id = fields.String(allow_none=True)
    township = fields.String(allow_none=True)
    status = fields.String(required=True)
    planned_on = fields.Date(required=True)
    built_on = fields.Date(allow_none=True)


class StationBuildRecordedV1(Schema):
    station_id = fields.String(required=True)
    status = fields.String(required=True)
    on = fields.Date(required=True)


class StationRatedV1(Schema):
    station_id = fields.String(required=True)
    rating = fields.String(required=True)
    rated_on = fields.Date(required=True)


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "StationRegistered": StationRegisteredV1,
    "StationBuildRecorded": StationBuildRecordedV1,
    "StationRated": StationRatedV1,
}


class StationRegisteredPublicV1(Schema):
    """A station as the district plans it: an organisation, published whole."""

    station_id = fields.String(required=True)
    station_name = fields.String(required=True)
    level = _one_of(LEVELS, required=True)
    parent_id = fields.String(required=True, allow_none=True)
    township = fields.String(required=True, allow_none=True)
    status = _one_of(STATUSES, required=True)
    planned_on = fields.Date(required=True)
    built_on = fields.Date(required=True, allow_none=True)


class StationBuildRecordedPublicV1(Schema):
    station_id = fields.String(required=True)
    status = _one_of(STATUSES, required=True)
    on = fields.Date(required=True)


class StationRatedPublicV1(Schema):
    station_id = fields.String(required=True)
    rating = _one_of(RATINGS, required=True)
    rated_on = fields.Date(required=True)


PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "StationRegistered": StationRegisteredPublicV1,
    "StationBuildRecorded": StationBuildRecordedPublicV1,
    "StationRated": StationRatedPublicV1,
}


# -- requests and replies --------------------------------------------------------------------------

class RegisterStationRequest(Schema):
    name = _text(required=True, metadata={"description": "e.g. 多湖街道退役军人服务站"})
    level = _one_of(LEVELS, required=True)
    parent_id = fields.String(allow_none=True, validate=validate.Length(max=36), metadata={
        "description": "the station above it (a village's: its township's)"})
    township = _text(allow_none=True, metadata={"description": "null only for the district's "
                                                "centre"})
    status = _one_of(STATUSES, load_default="planned")
    planned_on = fields.Date(allow_none=True, metadata={"description": "default: today"})
    built_on = fields.Date(allow_none=True, metadata={"description": "required when built"})

    class Meta:
        example = {"name": "多湖街道退役军人服务站", "level": "township", "township": "多湖街道",
                   "status": "built", "planned_on": "2020-03-01", "built_on": "2020-10-15"}

    @validates_schema
    def _built(self, data, **kwargs):
        if data.get("status") == "built" and not data.get("built_on"):
            raise ValidationError("a built station needs the day it was built", "built_on")


class RecordStationBuildRequest(Schema):
    status = _one_of(("building", "built"), required=True)
    on = fields.Date(required=True, metadata={"description": "the day it started or was built"})

    class Meta:
        example = {"status": "built", "on": "2020-11-20"}


class RateStationRequest(Schema):
    rating = _one_of(RATINGS, required=True, metadata={"description": "exemplary 示范型 or "
                                                       "fengqiao 新时代枫桥式"})
    rated_on = fields.Date(required=True)

    class Meta:
        example = {"rating": "exemplary", "rated_on": "2020-12-01"}


class ListStationsQuery(Schema):
    level = _one_of(LEVELS)
    status = _one_of(STATUSES)
    township = _text()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class StationAccepted(Schema):
    station_id = fields.String(required=True)
    version = fields.Integer(required=True)
    replayed = fields.Boolean(required=True)


class StationSummary(Schema):
    station_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_id = fields.String(required=True, allow_none=True)
    township = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    planned_on = fields.Date(required=True)
    built_on = fields.Date(required=True, allow_none=True)
    ratings = fields.List(fields.String(), required=True)


class StationList(Schema):
    items = fields.List(fields.Nested(StationSummary), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


_STATION = "/stations/{station_id}"
ROUTES = (
    Route("register_station", "registry", "POST", "/stations",
          "register a service station (planned, being built or built) with its level and the "
          "station above it; one per name", request=RegisterStationRequest,
          reply=StationAccepted, status=201, errors=(400, 404, 409, 422)),
    Route("list_stations", "registry", "GET", "/stations",
          "the service stations, by level, build status and township", query=ListStationsQuery,
          reply=StationList, errors=(400,)),
    Route("record_station_build", "registry", "POST", f"{_STATION}/build",
          "record that a station's building started or that it was built",
          request=RecordStationBuildRequest, reply=StationAccepted),
    Route("rate_station", "registry", "POST", f"{_STATION}/rating",
          "record a rating a built station earned (示范型, 新时代枫桥式)",
          request=RateStationRequest, reply=StationAccepted),
)

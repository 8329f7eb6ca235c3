"""How a case's read reply shows its statutory deadlines: nest DeadlineView (chassis deadlines_for)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

DEADLINE_STATES = ("pending", "met", "overdue", "cancelled")


class DeadlineView(Schema):
    """One statutory clock of a case, e.g. the petition's written opinion within 60 days.

    A reply nests it as `deadlines = fields.List(fields.Nested(DeadlineView), required=True)`
    and fills it with `chassis.deadlines.deadlines_for(cur, case_id)`.
    """

    name = fields.String(required=True, metadata={"description": "which clock, e.g. opinion"})
    generation = fields.Integer(
        required=True, metadata={"description": "1, or 2 and on once the clock was set again "
                                                "(an extension replaces the running clock)"})
    due_on = fields.Date(required=True, metadata={"description": "the last day (Asia/Shanghai)"})
    due_at = fields.AwareDateTime(
        required=True, metadata={"description": "the instant it runs out: 24:00 of due_on in "
                                                 "Asia/Shanghai, or an exact time"})
    state = fields.String(
        required=True, validate=validate.OneOf(DEADLINE_STATES),
        metadata={"description": "pending: running, not yet due; met: done (see late); "
                                 "overdue: due and not met; cancelled: replaced or withdrawn "
                                 "(shown only when asked for)"})
    met_at = fields.AwareDateTime(allow_none=True, required=True)
    fired_at = fields.AwareDateTime(
        allow_none=True, required=True,
        metadata={"description": "when the overdue event was recorded, if it was"})
    late = fields.Boolean(required=True, metadata={"description": "true: met after it was overdue"})

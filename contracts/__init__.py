"""The wire: versioned marshmallow schemas for every event, command and reply, and the event catalogue."""

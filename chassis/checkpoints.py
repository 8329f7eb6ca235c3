"""Checkpoints: how far each reader of a store (relay, projection, catch-up) has got, by position."""
from __future__ import annotations


def read_checkpoint(cur, name: str) -> int:
    cur.execute("SELECT position FROM checkpoints WHERE name = %s", (name,))
    row = cur.fetchone()
    return row[0] if row else 0


def save_checkpoint(cur, name: str, position: int) -> None:
    cur.execute(
        "INSERT INTO checkpoints (name, position) VALUES (%s, %s) ON CONFLICT (name) "
        "DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
        (name, position),
    )

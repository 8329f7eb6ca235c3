"""The relay's pipeline: at most two batches unconfirmed, each checkpointed only after its confirms."""
from types import SimpleNamespace

import pytest

from chassis.relay import Relay


class FakePublisher:
    """Records what the relay does, in order: sends, confirm waits; confirms on request."""

    def __init__(self):
        self.log: list[tuple] = []
        self.unconfirmed: list[int] = []
        self.most_unconfirmed = 0

    def send(self, messages):
        batch = messages[-1]
        self.unconfirmed.append(batch)
        self.most_unconfirmed = max(self.most_unconfirmed, len(self.unconfirmed))
        self.log.append(("send", batch))
        return batch

    def confirmed(self, sent):
        self.unconfirmed.remove(sent)
        self.log.append(("confirmed", sent))
        return 0

    def close(self):
        pass


def relay_over(positions: int, batch_size: int, unpublishable: int | None = None):
    relay = Relay("registry", store=None, amqp_url="amqp://unused", public_form=None,
                  batch_size=batch_size)
    publisher = relay.publisher = FakePublisher()
    checkpoint = {"position": 0}

    def read_all(after, limit):
        return [SimpleNamespace(position=p) for p in range(after + 1, min(after + limit, positions) + 1)]

    def outgoing(event):
        if event.position == unpublishable:
            raise LookupError("no public form for this event type")
        return event.position  # the last message of a batch names the batch

    def save(position):
        publisher.log.append(("checkpoint", position))
        checkpoint["position"] = position

    relay.store = SimpleNamespace(read_all=read_all)
    relay.outgoing = outgoing
    relay.position = lambda: checkpoint["position"]
    relay._save_position = save
    return relay, publisher, checkpoint


def test_at_most_two_batches_are_unconfirmed_and_each_checkpoint_follows_its_confirms():
    relay, publisher, checkpoint = relay_over(positions=23, batch_size=5)

    assert relay.relay_pending() == 23

    assert publisher.most_unconfirmed == 2
    assert checkpoint["position"] == 23
    confirmed = set()
    for step, batch in publisher.log:
        if step == "confirmed":
            confirmed.add(batch)
        elif step == "checkpoint":
            assert batch in confirmed, f"checkpoint {batch} saved before its confirms"
    # The third batch goes out only once the first is confirmed and checkpointed.
    assert publisher.log[:5] == [("send", 5), ("send", 10), ("confirmed", 5), ("checkpoint", 5),
                                 ("send", 15)]


def test_the_relay_stops_before_an_unpublishable_batch_with_everything_before_it_settled():
    relay, publisher, checkpoint = relay_over(positions=23, batch_size=5, unpublishable=17)

    with pytest.raises(LookupError):
        relay.relay_pending()

    assert checkpoint["position"] == 15
    assert publisher.unconfirmed == []
    assert ("send", 20) not in publisher.log

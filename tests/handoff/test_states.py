"""The handoff state machine refuses every transition it does not list."""

from __future__ import annotations

import itertools

import pytest

from handoff.states import TRANSITIONS, IllegalTransition, Status, ensure_transition, sources_of

ALLOWED = {
    ("queued", "assigned"), ("queued", "abandoned"),
    ("transferred", "assigned"), ("transferred", "abandoned"),
    ("assigned", "resolved"), ("assigned", "queued"), ("assigned", "transferred"),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(Status, Status)))
def test_every_pair_of_states(old: Status, new: Status) -> None:
    if (old, new) in ALLOWED:
        ensure_transition(old, new)
    else:
        with pytest.raises(IllegalTransition):
            ensure_transition(old, new)


def test_sources_of_assigned_are_the_waiting_states() -> None:
    assert set(sources_of(Status.ASSIGNED)) == {"queued", "transferred"}
    assert not TRANSITIONS[Status.RESOLVED] and not TRANSITIONS[Status.ABANDONED]

"""Status lifecycle of a case: which changes make sense."""

from __future__ import annotations

STATUSES = ("gemeld", "in_behandeling", "ingepland", "afgehandeld", "geannuleerd")
INITIAL = "gemeld"

TRANSITIONS: dict[str, frozenset[str]] = {
    "gemeld": frozenset({"in_behandeling", "ingepland", "afgehandeld", "geannuleerd"}),
    "in_behandeling": frozenset({"ingepland", "afgehandeld", "geannuleerd"}),
    "ingepland": frozenset({"in_behandeling", "afgehandeld", "geannuleerd"}),
    # A finished case can be reopened when the problem comes back; a cancelled one cannot.
    "afgehandeld": frozenset({"in_behandeling"}),
    "geannuleerd": frozenset(),
}

LABELS = {
    "gemeld": "gemeld",
    "in_behandeling": "in behandeling",
    "ingepland": "ingepland",
    "afgehandeld": "afgehandeld",
    "geannuleerd": "geannuleerd",
}


class TransitionError(ValueError):
    pass


def check_transition(current: str, new: str, note: str | None) -> None:
    """Raise TransitionError unless `current` -> `new` is allowed.

    Keeping the status while adding a note for the resident is always allowed.
    """
    if new not in TRANSITIONS:
        raise TransitionError(f"unknown status {new!r}")
    if new == current:
        if not note:
            raise TransitionError(f"case is already {current!r}; add a 'toelichting' to note")
        return
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise TransitionError(f"cannot go from {current!r} to {new!r} (allowed: {allowed})")

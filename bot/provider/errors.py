"""What can go wrong when talking to a panel, split by what the caller must do about it."""

from __future__ import annotations


class ProviderFailure(Exception):
    """Base of every error the provider client raises."""


class ProviderError(ProviderFailure):
    """The panel answered and said no. `text` is its message, verbatim, for operators."""

    def __init__(self, text: str, *, action: str = "") -> None:
        super().__init__(f"panel refused {action or 'the call'}: {text}")
        self.text = text
        self.action = action

    @property
    def lacks_funds(self) -> bool:
        lowered = self.text.casefold()
        return "not enough funds" in lowered or "insufficient" in lowered


class ProviderUnavailable(ProviderFailure):
    """No usable answer: connection failure, 5xx, HTML or another body that is not the API.

    For `add` this is raised only when the request certainly never reached the panel
    (the connection was not established), so nothing can have been ordered.
    """

    def __init__(self, reason: str, *, action: str = "") -> None:
        super().__init__(f"panel unavailable ({action or 'call'}): {reason}")
        self.reason = reason
        self.action = action


class OrderOutcomeUnknown(ProviderFailure):
    """`add` was sent but no usable reply came back: the order may or may not exist.

    Never retried automatically: a second `add` could buy the same thing twice.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"outcome of add unknown: {reason}")
        self.reason = reason

"""What can go wrong when talking to a panel, split by what the caller must do about it."""

from __future__ import annotations

import re
from enum import StrEnum


class AccountIssue(StrEnum):
    """A refusal about the shop's own account at the panel, not about one order: until it
    is fixed every order would be charged and refused, so ordering pauses."""

    NO_FUNDS = "no_funds"
    INVALID_KEY = "invalid_key"
    IP_NOT_ALLOWED = "ip_not_allowed"
    API_DISABLED = "api_disabled"


# Panels word these differently; each pattern is matched case-insensitively anywhere in
# the panel's text. Order matters: "API key is disabled" is a key problem, not the API's.
_ACCOUNT_PATTERNS: tuple[tuple[AccountIssue, re.Pattern[str]], ...] = (
    (
        AccountIssue.NO_FUNDS,
        re.compile(
            r"not enough (funds|balance|money)|insufficient (funds|balance)|low balance"
            r"|no funds|balance is (too low|not enough)",
            re.I,
        ),
    ),
    (
        AccountIssue.IP_NOT_ALLOWED,
        re.compile(
            r"\bip\b.{0,40}(not allowed|not whitelisted|blocked|denied|forbidden|restricted)"
            r"|(not allowed|unauthori[sz]ed|blocked|denied).{0,40}\bip\b",
            re.I,
        ),
    ),
    (
        AccountIssue.INVALID_KEY,
        re.compile(
            r"\b(invalid|incorrect|wrong|bad|unknown|expired|disabled|revoked|inactive|blocked)"
            r"\s+(api\s+)?key\b|\b(api\s+)?key\s+(is\s+)?(invalid|incorrect|not found|"
            r"disabled|revoked|expired|inactive|blocked)|\bno such (api\s+)?key\b",
            re.I,
        ),
    ),
    (
        AccountIssue.API_DISABLED,
        re.compile(
            r"\bapi\s+(access\s+)?(is\s+)?(disabled|not enabled|turned off|suspended|blocked)"
            r"|\b(disabled|no)\s+api\s+access|\b(account|user)\s+(is\s+)?(banned|suspended|"
            r"disabled|blocked|inactive)",
            re.I,
        ),
    ),
)

# The panel does not know the action at all (an old or trimmed-down API).
_UNKNOWN_ACTION = re.compile(
    r"incorrect request|(unknown|invalid|unsupported|bad|wrong)\s+action|action\s+(is\s+)?"
    r"(not found|not supported|unknown|invalid|not allowed)|method not (allowed|supported)",
    re.I,
)


# The panel will not sell this service now, whoever orders it: another panel may.
_SERVICE_GONE = re.compile(
    r"(incorrect|invalid|unknown|wrong|bad)\s+service(\s+id)?\b|service\s+(id\s+)?(is\s+)?"
    r"(disabled|not active|inactive|not available|unavailable|not found|does not exist|"
    r"deactivated|paused|suspended|off)\b|no such service",
    re.I,
)


def account_issue(text: str) -> AccountIssue | None:
    """Which account-level refusal the panel's words describe, if any."""
    sample = text[:300]
    for issue, pattern in _ACCOUNT_PATTERNS:
        if pattern.search(sample):
            return issue
    return None


class ProviderFailure(Exception):
    """Base of every error the provider client raises."""


class ProviderError(ProviderFailure):
    """The panel answered and said no. `text` is its message, verbatim, for operators."""

    def __init__(self, text: str, *, action: str = "") -> None:
        super().__init__(f"panel refused {action or 'the call'}: {text}")
        self.text = text
        self.action = action

    @property
    def account_issue(self) -> AccountIssue | None:
        """Set when the refusal is about the shop's account (key, IP, API, funds)."""
        return account_issue(self.text)

    @property
    def lacks_funds(self) -> bool:
        return self.account_issue is AccountIssue.NO_FUNDS

    @property
    def service_gone(self) -> bool:
        """The panel does not sell the service now (disabled, an incorrect service id)."""
        return bool(_SERVICE_GONE.search(self.text[:300]))

    @property
    def about_the_panel(self) -> bool:
        """A definite refusal for a reason about the panel, not this order (the shop's
        account: funds, key, IP, API; or the service there): another panel may take it."""
        return self.account_issue is not None or self.service_gone

    @property
    def unknown_action(self) -> bool:
        """The panel does not offer the action that was called."""
        return bool(_UNKNOWN_ACTION.search(self.text[:300]))


class ProviderUnavailable(ProviderFailure):
    """No usable answer: connection failure, 5xx, HTML or another body that is not the API.

    For `add` this is raised only when the request certainly never reached the panel
    (the connection was not established), so nothing can have been ordered.
    """

    def __init__(self, reason: str, *, action: str = "") -> None:
        super().__init__(f"panel unavailable ({action or 'call'}): {reason}")
        self.reason = reason
        self.action = action


class BadReply(ProviderUnavailable):
    """The panel answered with JSON, but not in the API's shape (or out of bounds)."""


class NotApiReply(ProviderUnavailable):
    """The panel's URL answered something that is not JSON at all (an HTML page, text)."""


class OrderOutcomeUnknown(ProviderFailure):
    """`add` was sent but no usable reply came back: the order may or may not exist.

    Never retried automatically: a second `add` could buy the same thing twice.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"outcome of add unknown: {reason}")
        self.reason = reason


__all__ = [
    "AccountIssue",
    "BadReply",
    "NotApiReply",
    "OrderOutcomeUnknown",
    "ProviderError",
    "ProviderFailure",
    "ProviderUnavailable",
    "account_issue",
]

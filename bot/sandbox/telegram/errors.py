"""Bot API error replies in Telegram's own shapes."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the emulator answers with ``{"ok": false, ...}``.

    ``kind`` is a short machine name counted in ``Counters.violations``.
    """

    def __init__(
        self,
        code: int,
        description: str,
        *,
        kind: str = "bad_request",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.kind = kind
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str, kind: str = "bad_request") -> ApiError:
    return ApiError(400, f"Bad Request: {message}", kind=kind)


def missing(field: str, message: str | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {message or field + ' is empty'}", kind="missing_field")


def chat_not_found() -> ApiError:
    return ApiError(400, "Bad Request: chat not found", kind="chat_not_found")


def blocked() -> ApiError:
    return ApiError(403, "Forbidden: bot was blocked by the user", kind="blocked")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        kind="too_many_requests",
        retry_after=retry_after,
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", kind="unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found", kind="unknown_method")

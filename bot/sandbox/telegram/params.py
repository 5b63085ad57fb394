"""Request parameters as the Bot API accepts them: query string, urlencoded form, multipart
form (with uploaded files) or a JSON body. Form values are strings; nested objects arrive as
JSON text (that is how aiogram sends reply_markup, entities, prices ...)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request, missing


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


async def read_request(request: web.Request) -> Params:
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        try:
            if ctype == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object", "invalid_json")
                raw.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(
                            filename=value.filename or key,
                            content_type=value.content_type or "application/octet-stream",
                            data=value.file.read(),
                        )
                    else:
                        raw[key] = value
        except web.HTTPRequestEntityTooLarge as exc:
            raise ApiError(413, "Request Entity Too Large", kind="too_large") from exc
        except json.JSONDecodeError as exc:
            raise bad_request("can't parse JSON object", "invalid_json") from exc
        except ApiError:
            raise
        except Exception as exc:  # malformed multipart, bad encodings ...: still a 400
            raise bad_request("can't parse request body", "invalid_body") from exc
    return Params(raw)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


class Params:
    """Typed access to one request's parameters, raising Telegram's 400 errors."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def __contains__(self, name: str) -> bool:
        return not _is_empty(self.raw.get(name))

    def string(
        self, name: str, *, required: bool = False, message: str | None = None
    ) -> str | None:
        value = self.raw.get(name)
        if _is_empty(value):
            if required:
                raise missing(name, message)
            return None
        if isinstance(value, UploadedFile):
            raise bad_request(f"{name} must be a String")
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f"{name} must be a String")

    def integer(
        self, name: str, *, required: bool = False, message: str | None = None
    ) -> int | None:
        value = self.raw.get(name)
        if _is_empty(value):
            if required:
                raise missing(name, message)
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if _is_empty(value):
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
        raise bad_request(f"invalid {name} specified")

    def parsed(self, name: str, *, error: str | None = None) -> Any:
        """A nested object: given as JSON text in forms, or as is in a JSON body."""
        value = self.raw.get(name)
        if _is_empty(value):
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise bad_request(
                    error or f"can't parse {name} JSON object", "invalid_json"
                ) from exc
        if isinstance(value, UploadedFile):
            raise bad_request(error or f"can't parse {name} JSON object", "invalid_json")
        return value

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        value = self.raw.get(name)
        if _is_empty(value):
            return None
        if isinstance(value, (bool, UploadedFile)):
            raise bad_request("chat not found", "chat_not_found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text

    def file(self, name: str) -> UploadedFile | str | None:
        """An InputFile: an uploaded part, ``attach://<part>``, or a file_id / URL string."""
        value = self.raw.get(name)
        if _is_empty(value):
            return None
        if isinstance(value, UploadedFile):
            return value
        if isinstance(value, str):
            if value.startswith("attach://"):
                attached = self.raw.get(value[len("attach://") :])
                if isinstance(attached, UploadedFile):
                    return attached
                raise bad_request("wrong file identifier/HTTP URL specified", "file_invalid")
            return value
        raise bad_request("wrong file identifier/HTTP URL specified", "file_invalid")

"""Files: what the bot sends as a photo or a document (an upload, a known file_id, a URL),
and getFile."""

from __future__ import annotations

import re
import secrets
from typing import Any

from ..errors import bad_request
from ..files import extension_for, guess_mime, image_info, name_from_url
from ..models import StoredFile
from ..params import Params, UploadedFile
from .base import BotApi, api_method


def input_file(api: BotApi, p: Params, field: str, kind: str) -> StoredFile:
    value = p.file(field)
    if value is None:
        raise bad_request(f"there is no {field} in the request", "missing_field")
    if isinstance(value, UploadedFile):
        return store_upload(api, value, kind)
    known = api.state.file(value)
    if known is not None:
        if known.kind != kind:
            raise bad_request(
                f"can't use file of type {known.kind.title()} as {kind.title()}",
                "file_invalid",
            )
        return known
    if re.match(r"^https?://[^\s/]+", value):
        return api.state.add_file(
            StoredFile(
                file_id=_file_id(kind),
                file_unique_id=_unique_id(),
                kind=kind,
                url=value,
                filename=name_from_url(value),
                mime_type=guess_mime(name_from_url(value), None),
                width=512 if kind == "photo" else 0,
                height=512 if kind == "photo" else 0,
            )
        )
    raise bad_request("wrong file identifier/HTTP URL specified", "file_invalid")


def store_upload(api: BotApi, upload: UploadedFile, kind: str) -> StoredFile:
    number = api.state.new_id()
    mime = guess_mime(upload.filename, upload.content_type)
    width = height = 0
    if kind == "photo":
        info = image_info(upload.data)
        if info is None:
            raise bad_request("IMAGE_PROCESS_FAILED", "file_invalid")
        mime, width, height = info
    if not upload.data:
        raise bad_request("file must be non-empty", "file_invalid")
    ext = extension_for(mime, upload.filename)
    folder = "photos" if kind == "photo" else "documents"
    return api.state.add_file(
        StoredFile(
            file_id=_file_id(kind),
            file_unique_id=_unique_id(),
            kind=kind,
            data=upload.data,
            filename=upload.filename,
            mime_type=mime,
            width=width,
            height=height,
            file_path=f"{folder}/file_{number}.{ext}",
        )
    )


def _file_id(kind: str) -> str:
    prefix = "AgACAgIAAxkBAA" if kind == "photo" else "BQACAgIAAxkBAA"
    return prefix + secrets.token_urlsafe(30)


def _unique_id() -> str:
    return "AQAD" + secrets.token_urlsafe(9)


@api_method("getFile")
async def get_file(api: BotApi, p: Params) -> Any:
    file_id = p.string("file_id", required=True, message="file_id is empty") or ""
    file = api.state.file(file_id)
    if file is None:
        raise bad_request("invalid file_id", "file_invalid")
    result: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
    if file.data is not None:
        result["file_size"] = file.size
        result["file_path"] = file.file_path
    return result

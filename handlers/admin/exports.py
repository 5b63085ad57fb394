"""/export orders|ledger|customers [from] [to]: a CSV document of that window.

The rows are written to a spooled temporary file (in memory while small, on disk beyond
that) and uploaded from it in chunks; nothing is sent while a transaction is open.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator
from typing import IO, TYPE_CHECKING

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import InputFile, Message

from bot.deps import Deps
from bot.shop.exports import ExportService, parse_export
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import export_texts
from handlers.admin.common import Usage, admin_router, command_args

if TYPE_CHECKING:
    from aiogram import Bot

IN_MEMORY = 4 * 1024 * 1024  # bytes kept in memory before the file moves to disk
MAX_UPLOAD_MB = 50  # what Telegram lets a bot send as a document


class SpooledFile(InputFile):
    """An upload read in chunks from an open binary file."""

    def __init__(self, file: IO[bytes], filename: str) -> None:
        super().__init__(filename=filename)
        self.file = file

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        self.file.seek(0)
        while chunk := self.file.read(self.chunk_size):
            yield chunk


def create_router() -> Router:
    router = admin_router("admin_exports")
    router.message.register(cmd_export, Command("export"))
    return router


async def cmd_export(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    parsed = parse_export(command_args(command))
    if parsed is None:
        raise Usage("export")
    kind, window = parsed
    service = ExportService(shop.session, deps.clock, deps.settings.shop_currency)
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as sink:
        result = await service.write(user.telegram_id, kind, window, sink)
        if sink.tell() > MAX_UPLOAD_MB * 1024 * 1024:
            await message.answer(export_texts.too_big(MAX_UPLOAD_MB))
            return
        await message.answer_document(
            SpooledFile(sink, result.filename), caption=export_texts.caption(result)
        )

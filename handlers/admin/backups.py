"""/backup: a service's backups at other panels.

/backup <service id>                               the list, in order
/backup <service id> <panel>:<panel service id>    both sides, prices, margin; confirm
/backup <service id> off <panel>                   remove the backup at that panel
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.numbers import parse_whole
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import keyboards as kb
from handlers.admin import texts
from handlers.admin.callbacks import BackupAction, BackupCD
from handlers.admin.common import Usage, admin_router, command_args, reply

MAX_PANEL_SERVICE_ID = 64  # characters, as the catalogue keeps them


def create_router() -> Router:
    router = admin_router("admin_backups")
    router.message.register(cmd_backup, Command("backup"))
    router.callback_query.register(cb_backup, BackupCD.filter(F.action.in_(set(BackupAction))))
    return router


async def cmd_backup(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    words = command_args(command)
    service_id = parse_whole(words[0].removeprefix("#"), low=1) if words else None
    if service_id is None or len(words) > 3:
        raise Usage("backup")
    currency = deps.settings.shop_currency
    if len(words) == 1:
        listing = await shop.admin.backups(user.telegram_id, service_id)
        await message.answer(texts.backup_list(listing, currency))
        return
    if len(words) == 3 and words[1].lower() == "off":
        listing = await shop.admin.remove_backup(user.telegram_id, service_id, words[2].lower())
        await message.answer(
            texts.backup_removed(words[2].lower()) + "\n\n" + texts.backup_list(listing, currency)
        )
        return
    if len(words) != 2 or ":" not in words[1]:
        raise Usage("backup")
    panel, _, panel_service_id = words[1].partition(":")
    panel_service_id = panel_service_id.strip()
    if not panel or not panel_service_id or len(panel_service_id) > MAX_PANEL_SERVICE_ID:
        raise Usage("backup")
    preview = await shop.admin.backup_preview(
        user.telegram_id, service_id, panel.lower(), panel_service_id
    )
    await message.answer(
        texts.backup_preview(preview, currency),
        reply_markup=kb.confirm_backup(preview.service.id, preview.backup.id),
    )


async def cb_backup(
    query: CallbackQuery, callback_data: BackupCD, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    if callback_data.action is BackupAction.CANCEL:
        await reply(query, texts.backup_cancelled())
        return
    listing = await shop.admin.add_backup(
        user.telegram_id, callback_data.service_id, callback_data.backup_id
    )
    await reply(
        query,
        texts.backup_added() + "\n\n" + texts.backup_list(listing, deps.settings.shop_currency),
    )

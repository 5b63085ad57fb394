"""Callback data of the menu, the catalogue, search pages and the language choice
(prefixes "m", "c", "s", "q", "l")."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.common.callbacks import Id, Page, Small


class Menu(StrEnum):
    MAIN = "m"
    NEW_ORDER = "n"
    ORDERS = "o"
    BALANCE = "b"
    TOPUP = "t"
    LANGUAGE = "l"
    HELP = "h"


class MenuCD(CallbackData, prefix="m"):
    action: Menu


class CatalogView(StrEnum):
    PLATFORMS = "p"
    CATEGORIES = "c"
    SERVICES = "s"


class CatalogCD(CallbackData, prefix="c"):
    view: CatalogView
    platform: Small = -1  # index into the platforms list; -1: none
    category: str = ""  # a short stable hash of the category name
    page: Page = 0


class ServiceAction(StrEnum):
    CARD = "c"
    ORDER = "o"


class ServiceCD(CallbackData, prefix="s"):
    action: ServiceAction
    service_id: Id
    page: Page = 0


class SearchCD(CallbackData, prefix="q"):
    """A page of the last search; the query stays in the customer's FSM data and `key`
    (a short hash of it) tells a button of an older search from the current one."""

    key: str
    page: Page = 0


class LanguageCD(CallbackData, prefix="l"):
    code: str

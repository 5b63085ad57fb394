"""Admins and the catalogue's platforms: the list with counts, a rename (onto an existing
platform: a merge) and its undo. Renames live in the settings table and apply wherever
customers see a platform (bot/shop/catalog.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.shop.admin.base import AdminServiceBase
from bot.shop.catalog import PlatformCount
from bot.shop.errors import NotFound
from bot.shop.platforms import renamed, reset, shown
from db.uow import reads, writes


@dataclass(frozen=True, slots=True)
class PlatformOverview:
    platforms: tuple[PlatformCount, ...]
    renames: tuple[tuple[str, str], ...]  # (derived platform, shown as), by the first


@dataclass(frozen=True, slots=True)
class PlatformRename:
    """What a rename or a reset did: the platforms it moved and where they show now."""

    moved: tuple[str, ...]  # derived platforms affected
    target: str | None  # the name shown now; None after a reset (each shows as itself)
    merged: bool  # the target was a platform already


class AdminPlatforms(AdminServiceBase):
    """`AdminService`'s use cases about platform names."""

    @reads
    async def platform_names(self) -> list[str]:
        """Every name a platform goes by: as derived, as shown, and renamed ones."""
        renames = await self.shop_settings.platform_renames()
        derived = [name for name, _ in await self.catalog.storefront.platforms()]
        names = {*derived, *renames, *(shown(name, renames) for name in derived)}
        return sorted(names, key=str.casefold)

    @writes
    async def platform_overview(self, actor_id: int) -> PlatformOverview:
        counts = await self.catalog.platform_counts()
        renames = await self.shop_settings.platform_renames()
        await self.record(actor_id, "platform_list", target_type="platform")
        return PlatformOverview(tuple(counts), tuple(sorted(renames.items())))

    @writes
    async def rename_platform(self, actor_id: int, source: str, target: str) -> PlatformRename:
        """Show the platform `source` (any case) as `target`; NotFound when there is none."""
        async with self.session.begin_nested():
            renames = await self.shop_settings.platform_renames()
            derived = [name for name, _ in await self.catalog.storefront.platforms()]
            shown_before = {shown(name, renames).casefold() for name in derived}
            after = renamed(renames, derived, source, target)
            if after is None:
                raise NotFound("platform", source)
            moved = tuple(sorted(set(renames) ^ set(after) | _changed(renames, after)))
            final = next((shown(name, after) for name in moved), target)
            merged = final.casefold() in shown_before - {source.casefold()}
            await self.shop_settings.set_platform_renames(after)
            await self.record(
                actor_id,
                "platform_rename",
                target_type="platform",
                target_id=source,
                to=final,
                moved=list(moved),
                merged=merged,
            )
        return PlatformRename(moved, final, merged)

    @writes
    async def reset_platform(self, actor_id: int, name: str) -> PlatformRename:
        """Undo the renames from or to `name` (any case); NotFound when there are none."""
        async with self.session.begin_nested():
            renames = await self.shop_settings.platform_renames()
            after = reset(renames, name)
            if after is None:
                raise NotFound("platform", name)
            moved = tuple(sorted(set(renames) - set(after)))
            await self.shop_settings.set_platform_renames(after)
            await self.record(
                actor_id,
                "platform_reset",
                target_type="platform",
                target_id=name,
                moved=list(moved),
            )
        return PlatformRename(moved, None, False)


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {key for key in before.keys() & after.keys() if before[key] != after[key]}

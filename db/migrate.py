"""Alembic, driven from code: no alembic.ini (the top level of the repo is fixed).

    await upgrade(url)            # to head; `python -m bot migrate`, and `run`/`demo` on start
    await downgrade(url, "base")

Both also take an AsyncEngine (tests pass one bound to a private schema). For maintainers:

    python -m db.migrate upgrade [REV] | downgrade [REV] | current | revision -m "message"

with DATABASE_URL from the environment (`revision` autogenerates against that database,
which must be at head).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import DEFAULT_DATABASE_URL, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def _run(target: str | AsyncEngine, operation: Callable[[Config], object]) -> None:
    """Run an alembic command on one connection, in one transaction."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        async with engine.begin() as connection:

            def run(sync_connection: Connection) -> None:
                config = alembic_config()
                config.attributes["connection"] = sync_connection  # read by env.py
                operation(config)

            await connection.run_sync(run)
    finally:
        if isinstance(target, str):
            await engine.dispose()


async def upgrade(target: str | AsyncEngine, revision: str = "head") -> None:
    await _run(target, lambda config: command.upgrade(config, revision))


async def downgrade(target: str | AsyncEngine, revision: str = "base") -> None:
    await _run(target, lambda config: command.downgrade(config, revision))


async def current(target: str | AsyncEngine) -> str | None:
    """The database's revision, None when it was never migrated."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        if isinstance(target, str):
            await engine.dispose()


async def revision(target: str | AsyncEngine, message: str) -> None:
    await _run(target, lambda config: command.revision(config, message, autogenerate=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m db.migrate")
    parser.add_argument("action", choices=["upgrade", "downgrade", "current", "revision"])
    parser.add_argument("revision", nargs="?")
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if args.action == "upgrade":
        asyncio.run(upgrade(url, args.revision or "head"))
    elif args.action == "downgrade":
        asyncio.run(downgrade(url, args.revision or "-1"))
    elif args.action == "current":
        print(asyncio.run(current(url)))
    else:
        asyncio.run(revision(url, args.message))


if __name__ == "__main__":
    main()

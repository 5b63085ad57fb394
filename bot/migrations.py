"""Migrations as the bot runs them (`python -m bot migrate`, and every Application on
creation): to the latest schema, one replica at a time.

On PostgreSQL a session advisory lock is held on a connection of its own while Alembic
(db/migrate.py) runs on another: the first replica migrates, the others wait and then
find the schema at head. SQLite is one process by design and is migrated directly.
"""

from __future__ import annotations

import hashlib

MIGRATION_LOCK = "smm-bot:migrate"


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock: bot/jobs/locks.py's hash without
    its prefix, so that replicas of older and newer releases still wait for each other."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def migrate(database_url: str) -> None:
    """Upgrade the database to the latest schema; replicas starting together take turns."""
    from sqlalchemy import text

    from db.migrate import upgrade
    from db.session import create_engine

    if not database_url.startswith("postgresql"):
        await upgrade(database_url)
        return
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            key = _advisory_key(MIGRATION_LOCK)
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await connection.commit()
            try:
                await upgrade(database_url)
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
    finally:
        await engine.dispose()


__all__ = ["migrate"]

"""Repositories: SQL behind small classes that take an AsyncSession and never commit."""

from db.repositories.audit import AuditRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.ledger import LedgerRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo
from db.repositories.providers import ProviderRepo
from db.repositories.refills import RefillRepo
from db.repositories.settings import SettingsRepo
from db.repositories.users import UserRepo

__all__ = [
    "AuditRepo",
    "CatalogRepo",
    "LedgerRepo",
    "MarkupRepo",
    "OrderRepo",
    "ProviderRepo",
    "RefillRepo",
    "SettingsRepo",
    "UserRepo",
]

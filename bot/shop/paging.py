"""Where a page of rows stands among all of them: the base of the pages use cases return."""

from __future__ import annotations


class Paging:
    """`has_prev` and `has_next` of page `page` (from 0) of `per_page` rows out of `total`;
    the dataclass that inherits it declares the three fields."""

    __slots__ = ()
    page: int
    per_page: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.per_page < self.total


__all__ = ["Paging"]

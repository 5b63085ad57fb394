"""Search of the catalogue by words, pure: tokens, light stemming, each language's words
for the panel's, one-typo tolerance and the ranking (bot/shop/catalog.py runs it)."""

from bot.shop.search.scoring import Index, Query, Row, index_of, parse_query, rank

__all__ = ["Index", "Query", "Row", "index_of", "parse_query", "rank"]

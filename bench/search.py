"""Search over a large catalogue: the seeded panel's 179 services copied to about 5,000
(each copy's names made distinct), ranked for a few queries in English and Russian.

    python bench/search.py [--copies 30] [--rounds 20]

Prints the cost of the first search (the index built) and of a warm one (the index kept
per process while the rows are the same), per query; the rows themselves come from one
SELECT of four columns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.provider.seeded_catalogue import build_catalogue
from bot.shop.platforms import platform_of
from bot.shop.search import index_of, parse_query, rank

QUERIES = (("followers", "en"), ("подписчики тикток", "ru"), ("folowers instagram", "en"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rows = [
        (copy * 1000 + s.service_id, f"{s.name} #{copy}", s.category, platform_of(s.category))
        for copy in range(args.copies)
        for s in build_catalogue(1)
    ]

    def search(text: str, locale: str) -> int:
        # As the shop does: the rows as read (a new tuple each time), the index by them.
        return len(rank(parse_query(text, locale), index_of(tuple(rows))))

    start = time.perf_counter()
    found = search(*QUERIES[0])
    first = time.perf_counter() - start
    print(f"{len(rows)} services; first search (index built): {first * 1000:.0f} ms, {found} found")
    for text, locale in QUERIES:
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            found = search(text, locale)
            times.append(time.perf_counter() - start)
        print(f"«{text}»: {found} found, warm p50 {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()

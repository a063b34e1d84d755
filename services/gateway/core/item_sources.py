"""Where each item of a 汇总 came from, through every level: 中国科协 ← 广东省科协 ← 深圳市科协 ← 南山区科协.

A row of an ask's table holds a unit's latest submission; a 汇总 carries the contributions it took (each with
its own contributions, down to the unit that wrote the item), and an item sent up by itself (直接/择优上报)
names its source unit. The 汇总表 in every format (CSV, Excel, Word) and the 汇总 page name items this way.
"""

from collections.abc import Sequence

from shared.contracts.submissions import TableRow
from shared.schemas import Contribution


def _chains(unit: str, count: int, contributions: Sequence[Contribution]) -> list[list[str]]:
    """For each of ``count`` items held by ``unit``: the units it came through, ``unit`` first, its source last.

    A unit's own items come first, then each contribution's in order (as a 汇总 lists them), each contribution
    in turn its own first and then its contributions': every level of a 汇总 names where an item came from."""
    contributed = sum(c.items for c in contributions)
    out = [[unit]] * max(0, count - contributed)
    for c in contributions:
        out += [[unit, *chain] for chain in _chains(c.unit_name, c.items, c.contributions)]
    return (out + [[unit]] * count)[:count]


def item_sources(row: TableRow) -> list[tuple[str, list[str]]]:
    """(source unit, path) for each item of a row; the path is empty for the row's unit's own items."""
    chains = _chains(row.unit_name, len(row.items), row.contributions)
    if not row.contributions and row.source_unit_name and row.source_unit_name != row.unit_name:
        chains = [[row.unit_name, row.source_unit_name]] * len(row.items)  # an item sent up, recorded without them
    return [(chain[-1], chain if len(chain) > 1 else []) for chain in chains]

"""Filtered span pages read in two steps (a bounded probe, then older matches) lose nothing.

The probe is shrunk to a few spans so that every path runs on a handful of rows: the page
filled by the probe, filled partly by the probe and partly by older spans, found only among
older spans, and a probe that read every span there is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine
from spyglass_query_api.queries.span_pages import SpanPageQuery, read_span_page

Store = Callable[..., Awaitable[None]]

# spans 0..9, one second apart; the gold ones are 1, 4, 5 and 8
GOLD = {1, 4, 5, 8}


async def _page(database_url: str, *, probe: int, fetch: int, descending: bool) -> list[str]:
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.connect() as connection:
            project = (
                await connection.execute(text("SELECT id FROM projects WHERE name = 'paged'"))
            ).scalar_one()

            rows = await read_span_page(
                connection,
                SpanPageQuery(
                    "s.name",
                    ["s.project_rowid = :project"],
                    ["s.attributes @> CAST(:gold AS jsonb)"],
                    {"project": project, "gold": '{"metadata": {"tier": "gold"}}'},
                    fetch=fetch,
                    descending=descending,
                    probe=probe,
                ),
            )
            return [row.name for row in rows]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("probe", [1, 2, 3, 5, 9, 10, 50])
@pytest.mark.parametrize("fetch", [1, 2, 3, 4, 10])
@pytest.mark.parametrize("descending", [True, False])
async def test_every_probe_size_gives_the_same_page(
    database_url: str, store_spans: Store, probe: int, fetch: int, descending: bool
) -> None:
    await store_spans(
        "paged",
        *(
            {
                "trace": f"{number:032x}",
                "span": f"{number + 1:016x}",
                "name": f"span-{number}",
                "start": number,
                "attributes": {"metadata": {"tier": "gold" if number in GOLD else "free"}},
            }
            for number in range(10)
        ),
    )
    in_order = sorted(GOLD, reverse=descending)

    names = await _page(database_url, probe=probe, fetch=fetch, descending=descending)

    assert names == [f"span-{number}" for number in in_order[:fetch]]

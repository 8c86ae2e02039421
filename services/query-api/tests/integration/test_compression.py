"""gzip on the query API's answers: a client that accepts gzip gets large answers compressed,
as from Phoenix; small answers, clients that do not accept it, and the span query's
``multipart/mixed`` data frames get them as they are."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import orjson
import pytest

from spyglass_core.settings import DbSettings
from spyglass_db import create_engine, create_session_maker
from spyglass_query_api.app import QueryApiResources, create_app
from spyglass_query_api.settings import QueryApiServerSettings, QueryApiSettings

pytestmark = pytest.mark.slow

TRACE = "c" * 32
SPANS = 40


async def _seed(store_spans: Callable[..., Awaitable[None]]) -> None:
    await store_spans(
        "compressed",
        *(
            {"trace": TRACE, "span": f"{number + 1:016x}", "name": f"step {number}",
             "start": number, "parent": None if number == 0 else f"{1:016x}",
             "attributes": {"input": {"value": f"question number {number} " * 8}}}
            for number in range(SPANS)
        ),
    )  # fmt: skip


async def _raw(
    api: httpx.AsyncClient, method: str, path: str, accept_encoding: str, **kwargs: object
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent, not decoded."""
    headers = {"Accept-Encoding": accept_encoding}
    request = api.build_request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    response = await api.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, body


OUTLINE = {
    "query": "query ($traceId: ID) { trace(traceId: $traceId) { outline } }",
    "variables": {"traceId": TRACE},
}


async def test_large_answers_go_gzipped_to_clients_that_accept_it(
    api: httpx.AsyncClient, store_spans: Callable[..., Awaitable[None]]
) -> None:
    await _seed(store_spans)

    zipped, zipped_body = await _raw(api, "POST", "/graphql", "gzip, deflate", json=OUTLINE)
    plain, plain_body = await _raw(api, "POST", "/graphql", "identity", json=OUTLINE)
    rest, rest_body = await _raw(api, "GET", "/v1/projects/compressed/spans", "gzip")
    version, version_body = await _raw(api, "GET", "/arize_phoenix_version", "gzip")

    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert len(zipped_body) < len(plain_body) / 2
    answer = orjson.loads(gzip.decompress(zipped_body))
    assert answer == orjson.loads(plain_body)
    assert len(answer["data"]["trace"]["outline"]["rows"]) == SPANS
    assert "content-encoding" not in plain.headers
    assert rest.headers["content-encoding"] == "gzip"
    assert len(orjson.loads(gzip.decompress(rest_body))["data"]) == SPANS
    # A short answer is not worth compressing.
    assert version.status_code == 200
    assert "content-encoding" not in version.headers
    assert version_body.decode().count(".") >= 1


async def test_span_query_frames_are_never_compressed(
    api: httpx.AsyncClient, store_spans: Callable[..., Awaitable[None]]
) -> None:
    await _seed(store_spans)

    frames, body = await _raw(
        api, "POST", "/v1/spans", "gzip", params={"project_name": "compressed"}, json={}
    )

    assert frames.status_code == 200
    assert frames.headers["content-type"].startswith("multipart/mixed")
    assert len(body) > 4096
    assert "content-encoding" not in frames.headers
    assert b"step 39" in body


@pytest.fixture
async def uncompressed_api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A query API with ``SPYGLASS_QUERY_API_GZIP_LEVEL=0``."""
    settings = QueryApiSettings(
        db=DbSettings(url=database_url), server=QueryApiServerSettings(gzip_level=0)
    )
    engine = create_engine(settings.db)
    app = create_app(settings, QueryApiResources(engine, create_session_maker(engine)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        yield client
    await engine.dispose()


async def test_level_zero_turns_compression_off(
    uncompressed_api: httpx.AsyncClient, store_spans: Callable[..., Awaitable[None]]
) -> None:
    await _seed(store_spans)

    answer, body = await _raw(uncompressed_api, "POST", "/graphql", "gzip", json=OUTLINE)

    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert len(orjson.loads(body)["data"]["trace"]["outline"]["rows"]) == SPANS

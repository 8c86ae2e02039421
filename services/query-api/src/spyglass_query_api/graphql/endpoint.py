"""``/graphql`` on the litestar app: POST runs a query, GET serves the GraphiQL explorer.

Each request runs in the request's one transaction (the ``connection`` dependency), with its
own DataLoaders. Queries nest at most ``MAX_QUERY_DEPTH`` fields, cost at most
``MAX_QUERY_COST`` (``cost.py``) and carry no argument PostgreSQL can't hold (``storable.py``);
all three are checked before anything runs. Mutations run too (retention policies, as in
Phoenix): their resolvers check every argument before writing, so a refused one changes nothing.
Queries need READ and mutations WRITE (``spyglass_query_api.access``): a viewer's mutation is
refused before anything runs, 403 with the reason in ``errors``.
"""

from __future__ import annotations

import logging
from typing import Any

from ariadne import graphql
from ariadne.explorer import ExplorerGraphiQL
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
)
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN
from litestar.types import ControllerRouterHandler

from spyglass_auth import Access
from spyglass_query_api.access import mutation_denial, principal_of
from spyglass_query_api.dependencies import Db
from spyglass_query_api.graphql.context import RequestContext
from spyglass_query_api.graphql.cost import cost_limit_rule
from spyglass_query_api.graphql.depth import DepthLimitRule
from spyglass_query_api.graphql.errors import format_error
from spyglass_query_api.graphql.executable import executable_schema
from spyglass_query_api.graphql.storable import storable_arguments_rule
from spyglass_spans import ModelPriceTable

GRAPHQL_PATH = "/graphql"

_EXPLORER = ExplorerGraphiQL(title="Spyglass GraphQL")


class _Unlogged(logging.LoggerAdapter[logging.Logger]):
    """ariadne logs every error it formats; ``format_error`` logs the unexpected ones, once."""

    def error(self, *_: object, **__: object) -> None:
        """Log nothing."""


_UNLOGGED = _Unlogged(logging.getLogger(__name__))
FORBIDDEN = "FORBIDDEN"
"""The ``extensions.code`` of a mutation the caller may not run (answered 403)."""


def _mutations_refused(reason: str) -> type[ASTValidationRule]:
    class MutationsRefused(ValidationRule):
        """Refuses every mutation of the document: the caller may only read."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            if node.operation is OperationType.MUTATION:
                self.report_error(GraphQLError(reason, node, extensions={"code": FORBIDDEN}))

    return MutationsRefused


def _validation_rules(
    context: Any, _document: DocumentNode, data: dict[str, Any]
) -> list[type[ASTValidationRule]]:
    """The checks a query passes before it runs: who may mutate, depth, cost, and storable
    arguments."""
    variables = data.get("variables")
    if not isinstance(variables, dict):
        variables = {}
    rules: list[type[ASTValidationRule]] = [
        DepthLimitRule,
        cost_limit_rule(variables),
        storable_arguments_rule(variables),
    ]
    refused = mutation_denial(context.principal if isinstance(context, RequestContext) else None)
    if refused is not None:
        rules.insert(0, _mutations_refused(refused))
    return rules


def _forbidden(result: dict[str, Any]) -> bool:
    errors = result.get("errors") or []
    return any((error.get("extensions") or {}).get("code") == FORBIDDEN for error in errors)


@post(GRAPHQL_PATH, include_in_schema=False, status_code=HTTP_200_OK, opt={"access": Access.READ})
async def graphql_query(
    connection: Db, prices: NamedDependency[ModelPriceTable], request: Request[Any, Any, Any]
) -> Response[Any]:
    """Run one GraphQL query; errors come back in the body's ``errors`` (400 if it never ran)."""
    try:
        data = await request.json()
    except Exception as error:  # litestar's decoder: invalid JSON, NaN, a lone surrogate...
        return Response(
            {"errors": [{"message": f"The body is not valid JSON: {error}"}]},
            status_code=HTTP_400_BAD_REQUEST,
        )
    if not isinstance(data, dict):
        return Response(
            {"errors": [{"message": "The body must be a JSON object with a 'query'"}]},
            status_code=HTTP_400_BAD_REQUEST,
        )
    context = RequestContext(connection, prices, principal_of(request))
    try:
        succeeded, result = await graphql(
            executable_schema(),
            data,
            context_value=context,
            validation_rules=_validation_rules,
            error_formatter=format_error,
            logger=_UNLOGGED,
        )
    finally:
        await context.close()
    ran = succeeded or "data" in result
    if not ran and _forbidden(result):
        return Response(result, status_code=HTTP_403_FORBIDDEN)
    return Response(result, status_code=HTTP_200_OK if ran else HTTP_400_BAD_REQUEST)


@get(
    GRAPHQL_PATH, include_in_schema=False, media_type=MediaType.HTML, opt={"access": Access.PUBLIC}
)
async def graphql_explorer() -> str:
    """GraphiQL, to try queries in a browser."""
    return _EXPLORER.html(None)


def graphql_handlers() -> list[ControllerRouterHandler]:
    """The route handlers of ``/graphql``."""
    return [graphql_query, graphql_explorer]

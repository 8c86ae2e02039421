"""The query layer: what REST (``rest/``) and GraphQL (``graphql/``) read, one module per entity.

Each module holds the typed rows of its entity (frozen dataclasses) and the statements that read
them, written with SQLAlchemy Core over the tables of ``spyglass_db.models`` and executed on the
``AsyncConnection`` the caller already has (so the caller owns the transaction). The handlers of
both doors only parse requests and shape answers; definitions that both show — a trace's root
span, latency, tokens and cost — live here once (``traces.py``), so ``/v1`` and the UI always
show the same figures.

Statements are built once, at import time, with bind parameters for every value: SQLAlchemy
then compiles each one once per process (its compiled cache is keyed by the statement's
structure), not once a request.
"""

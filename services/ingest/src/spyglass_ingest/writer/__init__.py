"""The writer: consumes span batches from JetStream and writes them to PostgreSQL.

Composed in :mod:`spyglass_ingest.writer.app`; run by ``spyglass-ingest writer``.
"""

"""The OTLP receiver: decodes, normalizes and publishes spans to JetStream.

Composed in :mod:`spyglass_ingest.receiver.app`; run by ``spyglass-ingest receiver``.
"""

"""The span write path (moved here from the ingest writer; see README.md)."""

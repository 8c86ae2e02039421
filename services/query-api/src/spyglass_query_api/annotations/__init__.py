"""Annotations written by client ids, and the parking of those whose target isn't stored yet."""

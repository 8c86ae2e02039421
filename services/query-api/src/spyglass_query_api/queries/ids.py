"""Phoenix's ids: GlobalIDs (base64 of ``Type:rowid``), and identifiers that may be names.

Phoenix's REST API and its clients name rows by Relay GlobalIDs. Many ``{..._identifier}`` path
parameters take either a GlobalID or a natural key (a project name, a session id, an OTel trace
or span id); a value is taken as a GlobalID only if it decodes to ``<Type>:<digits>`` of the
expected type.

A GlobalID's row id is ASCII digits only (``Project:1\n`` or Arabic-Indic digits are not GlobalIDs)
and fits PostgreSQL's ``bigint``: a larger number names no row, so the value is not a GlobalID
(a name, or an invalid cursor, wherever it appears).
"""

from __future__ import annotations

import base64
import binascii
import re

from spyglass_core.storable import MAX_BIGINT

_NODE = re.compile(r"([A-Za-z]+):([0-9]{1,19})")


def global_id(type_name: str, rowid: int) -> str:
    """The GlobalID of row ``rowid`` of ``type_name``: ``Project:1`` -> ``UHJvamVjdDox``."""
    return base64.b64encode(f"{type_name}:{rowid}".encode()).decode()


def decode_global_id(value: str) -> tuple[str, int] | None:
    """``(type name, rowid)`` if ``value`` is a GlobalID (a row id within ``bigint``), else None."""
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    match = _NODE.fullmatch(decoded)
    if match is None:
        return None
    rowid = int(match.group(2))
    if rowid > MAX_BIGINT:
        return None
    return match.group(1), rowid


def rowid_of(value: str, type_name: str) -> int | None:
    """The rowid if ``value`` is a GlobalID of ``type_name``, else None (a name, say)."""
    node = decode_global_id(value)
    if node is None or node[0] != type_name:
        return None
    return node[1]

"""Jobs carry who asked for them: before a worker acts for a user, it asks whether it still may.

A job queued by a user who has since been deleted, or demoted to viewer, must not go on
spending that user's rights (and the team's credits): the worker stops it, saying why. A job
with no requester was queued while auth was off and runs as before.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from spyglass_auth.principal import Access, Credential, Principal, Role, denial
from spyglass_db.auth import user_by_id


async def requester_problem(
    connection: AsyncConnection, user_id: int | None, access: Access = Access.WRITE
) -> str | None:
    """Why the user who asked for a job may no longer have it done (None: they may, or no
    user asked)."""
    if user_id is None:
        return None
    user = await user_by_id(connection, user_id)
    return requester_refusal(
        user_id, user.username if user else None, user.role if user else None, access
    )


def requester_refusal(
    user_id: int | None, username: str | None, role: str | None, access: Access = Access.WRITE
) -> str | None:
    """:func:`requester_problem` for a requester already read (``role`` None: the user no
    longer exists)."""
    if user_id is None:
        return None
    if role is None:
        return f"the user who asked for it (User:{user_id}) no longer exists"
    acting = Principal(user_id=user_id, role=Role(role), credential=Credential.SESSION)
    refused = denial(acting, access)
    if refused is None:
        return None
    return f"the user who asked for it ({username}) may no longer: {refused.message}"

"""Template context shared by every page: who is looking, in which clinic."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from skinterval.clinics.queries import staff_member_for


def staff_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"staff_member": staff_member_for(user)}

"""Bearer tokens: issued once, stored hashed, refused when revoked or inactive."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from skinterval.accounts.api_tokens import (
    issue_token,
    revoke_token,
    user_for_bearer,
    user_for_token,
)
from skinterval.accounts.models import ApiToken
from skinterval.testing import make_user

pytestmark = pytest.mark.django_db


def _request(header: str | None):
    headers = {} if header is None else {"Authorization": header}
    return RequestFactory().get("/api/patients/", headers=headers)


def test_the_secret_is_shown_once_and_only_its_hash_is_stored():
    user = make_user("alice")
    token = issue_token(user=user, name="laptop")
    row = ApiToken.objects.get(user=user)
    assert token.startswith(f"skt_{row.token_prefix}_")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.token_prefix, row.name}
    assert user_for_bearer(_request(f"Bearer {token}")) == user


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Token skt_x", "Bearer skt_nope_x"],
)
def test_missing_or_unknown_tokens_give_no_user(header):
    issue_token(user=make_user(), name="other")
    assert user_for_bearer(_request(header)) is None


def test_a_token_with_one_character_changed_is_refused():
    token = issue_token(user=make_user(), name="x")
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert user_for_token(changed) is None


def test_revoked_tokens_and_inactive_users_are_refused():
    user = make_user()
    token = issue_token(user=user, name="x")
    revoke_token(token=ApiToken.objects.get(user=user))
    assert user_for_token(token) is None

    other = make_user()
    token = issue_token(user=other, name="y")
    other.is_active = False
    other.save()
    assert user_for_token(token) is None


def test_last_used_is_touched_at_most_once_a_minute():
    user = make_user()
    token = issue_token(user=user, name="x")
    start = timezone.now()
    user_for_token(token, now=start)
    user_for_token(token, now=start + timedelta(seconds=30))
    assert ApiToken.objects.get().last_used_at == start
    user_for_token(token, now=start + timedelta(seconds=61))
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


def test_create_api_token_command_prints_a_working_token():
    user = make_user("alice")
    out = StringIO()
    call_command("create_api_token", "alice", "--name", "ci", stdout=out)
    token = out.getvalue().strip()
    assert user_for_token(token) == user
    assert ApiToken.objects.get(user=user).name == "ci"
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=StringIO())


def test_revoke_api_token_command_refuses_the_token_from_then_on():
    user = make_user("alice")
    token = issue_token(user=user, name="lost laptop")
    prefix = ApiToken.objects.get().token_prefix
    call_command("revoke_api_token", prefix, stdout=StringIO())
    assert user_for_token(token) is None
    with pytest.raises(CommandError):
        call_command("revoke_api_token", "nope", stdout=StringIO())

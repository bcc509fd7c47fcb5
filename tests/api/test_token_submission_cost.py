"""What a submission with a token costs in SQL statements, beside an anonymous one.

With the token's answer cached (complaints.api.authentication) a partner's or a staff member's
submission runs exactly the anonymous statements: the submitting account's webhook endpoints
come with the reference data the submission reads anyway (kernel.refdata), not from a lookup of
their own. The first request with a token reads the token, user, staff profile and permissions
in one statement; none of them is read again while the answer is cached.
"""

from __future__ import annotations

import pytest

from kernel.models import Notification, WebhookEndpoint

from .conftest import token_client
from .test_submission_cost import MAX_STATEMENTS, _submit

# What authentication used to read on every request: the token and user, the user's own and
# group permissions, the staff profile.
AUTH_TABLES = ("authtoken_token", "auth_user", "auth_permission", "complaints_staffprofile")
WEBHOOK_LOOKUP = "escalation_webhookendpoint"


def _reads_auth(statement: str) -> bool:
    return any(f'"{table}"' in statement for table in AUTH_TABLES)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["pat", "alice", "sam"])
def test_a_token_submission_costs_what_an_anonymous_one_costs(request, api, org, persona):
    _submit(api, 1)  # the day's first: creates its ticket sequence, fills the caches
    anonymous = _submit(api, 2)
    client = token_client(request.getfixturevalue(persona))
    cold = _submit(client, 3)
    warm = _submit(client, 4)

    assert not any(_reads_auth(s) for s in warm), "\n".join(warm)
    assert not any(WEBHOOK_LOOKUP in s for s in warm), "\n".join(warm)
    assert len(warm) == len(anonymous) <= MAX_STATEMENTS, "\n".join(warm)
    # The first request with the token: one statement, before the transaction, for all of it.
    (authentication,) = [s for s in cold if _reads_auth(s)]
    assert cold.index(authentication) == 0 and cold[1] == "BEGIN"
    assert len(cold) == len(warm) + 1, "\n".join(cold)


@pytest.mark.django_db(transaction=True)
def test_a_partners_endpoint_is_used_from_its_creation_and_not_after_it_is_switched_off(
    api, org, pat
):
    client = token_client(pat)
    _submit(client, 1)  # the reference data is cached without an endpoint
    endpoint = WebhookEndpoint.objects.create(
        partner=pat, url="http://127.0.0.1:9/hook", secret="s3cret"
    )
    _submit(client, 2)
    hooks = Notification.objects.filter(channel="webhook", endpoint=endpoint)
    assert hooks.count() == 1  # the new endpoint was seen at once (the version changed)
    endpoint.is_active = False
    endpoint.save()
    _submit(client, 3)
    assert hooks.count() == 1  # switched off: nothing more queued for it

"""What a submission with a token costs in SQL statements, beside an anonymous one.

With the token's answer cached (complaints.api.authentication) a partner's or a staff member's
submission runs the anonymous statements plus one: the submitting account's webhook endpoints
(escalation.notify). The first request with a token reads the token, user, staff profile and
permissions in one statement; none of them is read again while the answer is cached.
"""

from __future__ import annotations

import pytest

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
def test_a_token_submission_costs_an_anonymous_one_plus_the_webhook_lookup(
    request, api, org, persona
):
    _submit(api, 1)  # the day's first: creates its ticket sequence, fills the caches
    anonymous = _submit(api, 2)
    client = token_client(request.getfixturevalue(persona))
    cold = _submit(client, 3)
    warm = _submit(client, 4)

    assert not any(_reads_auth(s) for s in warm), "\n".join(warm)
    assert len([s for s in warm if WEBHOOK_LOOKUP not in s]) == len(anonymous) <= MAX_STATEMENTS
    assert len(warm) <= MAX_STATEMENTS + 1, "\n".join(warm)
    # The first request with the token: one statement, before the transaction, for all of it.
    (authentication,) = [s for s in cold if _reads_auth(s)]
    assert cold.index(authentication) == 0 and cold[1] == "BEGIN"
    assert len(cold) == len(warm) + 1, "\n".join(cold)

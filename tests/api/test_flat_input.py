"""Input serializers built from one prototype per class keep each request's fields its own."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from complaints.api.serializers import FlatInput, SubmitSerializer
from tests.api.conftest import SUBMISSION


def test_it_gives_every_instance_its_own_bound_fields():
    first, second = SubmitSerializer(data=SUBMISSION), SubmitSerializer(data={})
    for name in ("tracking_no", "category", "insured_amount"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second


def test_it_validates_each_instance_on_its_own_data():
    bad = SubmitSerializer(data={**SUBMISSION, "category": "nonsense", "tracking_no": ""})
    good = SubmitSerializer(data=SUBMISSION)
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"category", "tracking_no"}
    assert good.validated_data["category"] == SUBMISSION["category"]


def test_it_refuses_nested_serializers():
    class Nested(FlatInput):
        inner = SubmitSerializer()

    with pytest.raises(TypeError):
        Nested(data={}).fields  # noqa: B018


def test_it_takes_plain_fields_of_every_kind():
    class Plain(FlatInput):
        n = serializers.IntegerField(min_value=1)
        when = serializers.DateTimeField(required=False)

    assert Plain(data={"n": "3"}).is_valid()
    assert not Plain(data={"n": "0"}).is_valid()

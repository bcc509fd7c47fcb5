"""Staff actions on a complaint over the API, built from the one registry (complaints/actions.py).

Each action's body is a serializer generated from the registry's fields under the API's public
names (`facts`, `process`, `channel`, `note`: docs/api.md); its errors come back under the same
names. `available_actions` is the one answer to "what may this user do to this complaint now";
every staff response carries it, and the action endpoint runs exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from rest_framework import serializers

from complaints import actions as registry
from complaints.models import Complaint, Unit
from kernel.errors import InvalidInput


def _serializer_field(f: registry.Field) -> serializers.Field:
    help_text = str(f.help or f.label)
    if f.kind == "bool":
        return serializers.BooleanField(default=f.default, help_text=help_text)
    if f.kind == "maybe":
        return serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text=help_text
        )
    if f.kind == "choice":
        return serializers.ChoiceField(choices=list(f.choices), help_text=help_text)
    if f.kind == "handler":  # a username, or null for nobody (required all the same)
        return serializers.CharField(max_length=f.max_length, allow_null=True, help_text=help_text)
    optional = {} if f.required else {"required": False, "allow_blank": True, "default": f.default}
    return serializers.CharField(max_length=f.max_length, help_text=help_text, **optional)


# The schema's names of the bodies several actions share, as published before the registry.
_SHARED_BODIES = {
    **dict.fromkeys(("reopen", "reject", "withdraw", "pause", "escalate"), "ReasonBody"),
    "resume": "OptionalReasonBody",
}
_bodies: dict[str, type[serializers.Serializer]] = {}


def _body(action: registry.Action) -> type[serializers.Serializer] | None:
    fields = {f.api_name: _serializer_field(f) for f in action.fields if f.api_name}
    if not fields:
        return None
    api_name = action.api_name or action.name
    name = _SHARED_BODIES.get(api_name) or "".join(p.title() for p in api_name.split("_")) + "Body"
    if name not in _bodies:
        _bodies[name] = type(name, (serializers.Serializer,), fields)
    return _bodies[name]


def _unit(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise InvalidInput("责任单位不存在。", field_errors={"unit": "责任单位不存在。"})
    return unit


def _handler(username: str | None):
    if username is None:
        return None
    handler = get_user_model().objects.filter(username=username).first()
    if handler is None:
        message = "处理人须为本单位在职的网点人员。"
        raise InvalidInput(message, field_errors={"handler": message})
    return handler


_RESOLVE = {"unit": _unit, "handler": _handler}


@dataclass(frozen=True)
class ApiAction:
    action: registry.Action
    body: type[serializers.Serializer] | None

    @property
    def summary(self) -> str:
        return self.action.summary

    def run(self, complaint: Complaint, by, validated: dict):
        """Run the service with the body's values under the service's names; its field errors
        come back under the API's names."""
        inputs = {}
        for f in self.action.fields:  # a field the API does not offer: its default
            value = f.default if f.api_name is None else validated.get(f.api_name, f.default)
            inputs[f.name] = _RESOLVE[f.kind](value) if f.kind in _RESOLVE else value
        try:
            return self.action.run(complaint, by, inputs)
        except InvalidInput as exc:
            names = {f.name: f.api_name for f in self.action.fields if f.api_name}
            fields = {names.get(k, k): v for k, v in exc.field_errors.items()}
            raise InvalidInput(exc.message, field_errors=fields) from exc


ACTIONS: dict[str, ApiAction] = {
    name: ApiAction(action, _body(action)) for name, action in registry.API_ACTIONS.items()
}


def available_actions(complaint: Complaint, user, *, perms: set[str] | None = None) -> list[str]:
    """The actions (API names) this user may take on this complaint in its current state."""
    return registry.available(registry.API_ACTIONS, complaint, user, perms=perms)


user_perms = registry.perms_of

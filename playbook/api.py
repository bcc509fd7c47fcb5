"""REST API of templates and macros on one complaint: list them filled, use one, run a macro.

Thin: validate → service → present; errors in the one shape of kernel.api_errors. The list is
two queries whatever the number of templates (the complaint, then its templates).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api.views import errors
from kernel.errors import InvalidInput, NotAllowed, NotFound

from . import services
from .models import Macro, ReplyTemplate, TemplateKind


class FilledPartSerializer(serializers.Serializer):
    text = serializers.CharField()
    unfilled = serializers.ListField(child=serializers.CharField(), help_text="未能填充的占位符")


class TemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TemplateKind.choices)
    title = serializers.CharField()
    category = serializers.CharField(help_text="为空表示适用于所有类别")
    scope = serializers.ChoiceField(choices=["company", "unit"])
    parts = serializers.DictField(
        child=FilledPartSerializer(),
        help_text="答复口径：basic_facts / handling / result；联系记录和回访话术：text",
    )


class MacroSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    scope = serializers.ChoiceField(choices=["company", "unit"])
    priority = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_blank=True)
    has_note = serializers.BooleanField()
    template_id = serializers.IntegerField(allow_null=True)


class MacroOutcomeSerializer(serializers.Serializer):
    ticket_no = serializers.CharField()
    done = serializers.ListField(
        child=serializers.ChoiceField(["category", "priority", "note", "template"])
    )
    priority = serializers.CharField()
    category = serializers.CharField()
    template = TemplateSerializer(allow_null=True)


def present_template(template: ReplyTemplate, filled: dict) -> dict:
    return {
        "id": template.pk,
        "kind": template.kind,
        "title": template.title,
        "category": template.category,
        "scope": "unit" if template.unit_id else "company",
        "parts": {
            name: {"text": part.text, "unfilled": list(part.unfilled)}
            for name, part in filled.items()
        },
    }


def present_macro(macro: Macro) -> dict:
    return {
        "id": macro.pk,
        "title": macro.title,
        "scope": "unit" if macro.unit_id else "company",
        "priority": macro.priority,
        "category": macro.category,
        "has_note": bool(macro.note),
        "template_id": macro.template_id,
    }


def _pk(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value <= 0 or value > 2**31 - 1:
        raise InvalidInput(_("编号无效。"), field_errors={"id": _("编号无效。")})
    return value


class TemplatesView(APIView):
    @extend_schema(
        operation_id="complaint_templates_list",
        summary="工单可用的答复模板（已填充）",
        parameters=[
            OpenApiParameter("kind", enum=TemplateKind.values, required=False),
            OpenApiParameter("q", str, required=False, description="按名称或内容筛选"),
        ],
        responses={200: TemplateSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request, ticket_no: str):
        complaint, templates = services.templates_for_staff(
            by=request.user,
            ticket_no=ticket_no.strip().upper(),
            kind=request.query_params.get("kind", ""),
            query=request.query_params.get("q", ""),
        )
        values = services.complaint_values(complaint)
        data = [
            present_template(
                t,
                {name: services.placeholders.fill(text, values) for name, text in t.parts.items()},
            )
            for t in templates[:50]
        ]
        return Response(data)


class TemplateUseView(APIView):
    @extend_schema(
        operation_id="complaint_template_use",
        summary="选用一条模板（计入使用记录），返回填充后的内容",
        request=None,
        responses={200: TemplateSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, ticket_no: str, template_id):
        _complaint, template, filled = services.template_use(
            by=request.user, ticket_no=ticket_no.strip().upper(), template_id=_pk(template_id)
        )
        return Response(present_template(template, filled))


class MacrosView(APIView):
    @extend_schema(
        operation_id="complaint_macros_list",
        summary="工单可用的宏",
        responses={200: MacroSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, ticket_no: str):
        _complaint, macros = services.macros_for_staff(
            by=request.user, ticket_no=ticket_no.strip().upper()
        )
        return Response([present_macro(m) for m in macros[:50]])


class MacroApplyView(APIView):
    @extend_schema(
        operation_id="complaint_macro_apply",
        summary="执行宏：调整优先级、添加内部备注、带出模板，每项分别记录",
        request=None,
        responses={200: MacroOutcomeSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, ticket_no: str, macro_id):
        outcome = services.macro_apply(
            by=request.user, ticket_no=ticket_no.strip().upper(), macro_id=_pk(macro_id)
        )
        template = None
        if outcome.template is not None:
            template = present_template(outcome.template, outcome.filled)
        return Response(
            {
                "ticket_no": outcome.complaint.ticket_no,
                "done": outcome.done,
                "priority": outcome.complaint.priority,
                "category": outcome.complaint.category,
                "template": template,
            }
        )


class TemplateWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TemplateKind.choices)
    title = serializers.CharField(max_length=60)
    category = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    unit = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**31 - 1,
        help_text="为空表示全公司通用",
    )
    basic_facts = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    handling = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    result = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TemplateRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    unit = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()
    use_count = serializers.IntegerField()
    basic_facts = serializers.CharField()
    handling = serializers.CharField()
    result = serializers.CharField()
    text = serializers.CharField()


def present_record(template: ReplyTemplate) -> dict:
    return {
        "id": template.pk,
        "kind": template.kind,
        "title": template.title,
        "category": template.category,
        "unit": template.unit_id,
        "is_active": template.is_active,
        "use_count": template.use_count,
        "basic_facts": template.basic_facts,
        "handling": template.handling,
        "result": template.result,
        "text": template.text,
    }


def _input(request) -> services.TemplateInput:
    serializer = TemplateWriteSerializer(data=request.data)
    if not serializer.is_valid():
        fields = {name: str(problems[0]) for name, problems in serializer.errors.items()}
        raise InvalidInput(_("模板内容无效。"), field_errors=fields)
    data = dict(serializer.validated_data)
    unit_id = data.pop("unit")
    return services.TemplateInput(**data, unit_id=unit_id)


def _template(request, template_id) -> ReplyTemplate:
    if not services.may_keep_any(request.user):
        raise NotAllowed(_("您不能维护答复模板。"))
    template = services.templates_kept_by(request.user).filter(pk=_pk(template_id)).first()
    if template is None:
        raise NotFound(_("模板不存在。"))
    return template


class TemplateListView(APIView):
    @extend_schema(
        operation_id="templates_list",
        summary="我可维护的答复模板",
        responses={200: TemplateRecordSerializer(many=True), **errors(403)},
    )
    def get(self, request):
        if not services.may_keep_any(request.user):
            raise NotAllowed(_("您不能维护答复模板。"))
        return Response([present_record(t) for t in services.templates_kept_by(request.user)[:200]])

    @extend_schema(
        operation_id="templates_create",
        summary="新建答复模板（与答复相同的检查：模糊、推诿的口径不能保存）",
        request=TemplateWriteSerializer,
        responses={201: TemplateRecordSerializer, **errors(400, 403)},
    )
    def post(self, request):
        template = services.template_save(by=request.user, data=_input(request))
        return Response(present_record(template), status=201)


class TemplateDetailView(APIView):
    @extend_schema(
        operation_id="templates_update",
        summary="修改答复模板（与答复相同的检查）",
        request=TemplateWriteSerializer,
        responses={200: TemplateRecordSerializer, **errors(400, 403, 404)},
    )
    def post(self, request, template_id):
        template = services.template_save(
            by=request.user, data=_input(request), template=_template(request, template_id)
        )
        return Response(present_record(template))


class TemplateDeactivateView(APIView):
    @extend_schema(
        operation_id="templates_deactivate",
        summary="停用答复模板（不删除，历史保留）",
        request=None,
        responses={200: TemplateRecordSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, template_id):
        template = services.template_deactivate(
            by=request.user, template=_template(request, template_id)
        )
        return Response(present_record(template))

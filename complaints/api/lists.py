"""The work lists' API (issue 20 §3): bulk actions and the requesting user's saved views.

Thin, as the rest of the API: validate the shape, call complaints.services.bulk or
complaints.services.saved_views, answer in the one error shape (kernel.api_errors).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import SavedView
from complaints.services import bulk
from complaints.services.saved_views import (
    require_list_user,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
    saved_views_for,
)

from .parsers import SafeJSONParser
from .serializers import FlatInput
from .throttling import PartnerThrottle
from .views import errors


def _errors(*codes: int) -> dict:
    return errors(*codes, texts={404: "视图不存在"})


# --- Bulk ---------------------------------------------------------------------------------


class BulkSerializer(FlatInput):
    action = serializers.ChoiceField(
        choices=list(bulk.ACTION_LABELS),
        help_text="dispatch 下发、reassign 改派、assign 指派处理人、"
        "mark_read 通知标为已读、note 添加备注",
    )
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=24),
        min_length=1,
        max_length=bulk.MAX_TICKETS,
        help_text=f"工单号，最多{bulk.MAX_TICKETS}件",
    )
    unit = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True, help_text="下发/改派的单位编码"
    )
    handler = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="指派处理人：员工的用户编号",
    )
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="改派原因（改派必填）",
    )
    text = serializers.CharField(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="备注内容（添加备注必填）",
    )


class BulkItemSerializer(serializers.Serializer):
    ticket_no = serializers.CharField()
    ok = serializers.BooleanField()
    code = serializers.CharField(
        help_text="done，或拒绝的类别：invalid、forbidden、not_found、conflict"
    )
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkItemSerializer(many=True)


class BulkView(APIView):
    """POST: one action on up to 100 complaints, each in its own transaction."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="complaints_bulk",
        summary="批量操作：逐件检查权限与状态、逐件记录，返回每件的结果",
        request=BulkSerializer,
        responses={200: BulkResultSerializer, **_errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        serializer = BulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = bulk.complaints_bulk(
            by=request.user,
            action=data["action"],
            tickets=data["tickets"],
            unit=data["unit"],
            handler=data["handler"],
            reason=data["reason"],
            text=data["text"],
        )
        return Response(
            {
                "action": result.action,
                "done": len(result.done),
                "refused": len(result.refused),
                "results": [
                    {"ticket_no": i.ticket_no, "ok": i.ok, "code": i.code, "message": i.message}
                    for i in result.items
                ],
            }
        )


# --- Saved views --------------------------------------------------------------------------


class SavedViewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    list = serializers.ChoiceField(choices=SavedView.List.choices)
    query = serializers.CharField(help_text="列表的查询串，如 status=verifying&due=overdue")
    shared_unit = serializers.CharField(allow_null=True, help_text="共享给的单位编码")
    mine = serializers.BooleanField(help_text="是否为本人创建（只有创建人可以改名或删除）")


class SavedViewListSerializer(serializers.Serializer):
    results = SavedViewSerializer(many=True)


class SavedViewCreateSerializer(FlatInput):
    name = serializers.CharField(max_length=40)
    list = serializers.ChoiceField(choices=SavedView.List.choices)
    query = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    share = serializers.BooleanField(
        required=False, default=False, help_text="共享给本单位（仅单位负责人）"
    )


class SavedViewRenameSerializer(FlatInput):
    name = serializers.CharField(max_length=40)


class SavedViewFilterSerializer(FlatInput):
    list = serializers.ChoiceField(
        choices=SavedView.List.choices, required=False, default=SavedView.List.QUEUE
    )


def _present(view: SavedView, user) -> dict:
    return {
        "id": view.pk,
        "name": view.name,
        "list": view.list,
        "query": view.query,
        "shared_unit": view.shared_unit.code if view.shared_unit_id else None,
        "mine": view.owner_id == user.pk,
    }


class SavedViewsView(APIView):
    """GET: the requesting user's views of a list (own and shared with their unit). POST: save."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="saved_view_list",
        summary="我的视图（本人的，以及单位负责人共享给本单位的）",
        parameters=[SavedViewFilterSerializer],
        responses={200: SavedViewListSerializer, **_errors(400, 401, 403, 429)},
    )
    def get(self, request):
        require_list_user(request.user)
        query = SavedViewFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        views = saved_views_for(request.user, query.validated_data["list"])
        return Response({"results": [_present(v, request.user) for v in views]})

    @extend_schema(
        operation_id="saved_view_create",
        summary="保存视图",
        request=SavedViewCreateSerializer,
        responses={201: SavedViewSerializer, **_errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        serializer = SavedViewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        view = saved_view_create(
            by=request.user,
            list_name=data["list"],
            name=data["name"],
            query=data["query"],
            share=data["share"],
        )
        return Response(_present(view, request.user), status=status.HTTP_201_CREATED)


class SavedViewDetailView(APIView):
    """PATCH: rename one's own view. DELETE: delete it. Another user's view is refused."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]
    parser_classes = [SafeJSONParser]

    @extend_schema(
        operation_id="saved_view_rename",
        summary="视图改名",
        request=SavedViewRenameSerializer,
        responses={200: SavedViewSerializer, **_errors(400, 401, 403, 404, 415, 429)},
    )
    def patch(self, request, view_id: int):
        serializer = SavedViewRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        view = saved_view_rename(
            view_id=view_id, by=request.user, name=serializer.validated_data["name"]
        )
        return Response(_present(view, request.user))

    @extend_schema(
        operation_id="saved_view_delete",
        summary="删除视图",
        request=None,
        responses={204: None, **_errors(401, 403, 404, 429)},
    )
    def delete(self, request, view_id: int):
        saved_view_delete(view_id=view_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

from django.urls import path

from . import evidence, lists, notices, printing, team, ticket, views

app_name = "web"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/earlier/", views.earlier_complaints, name="earlier"),
    path("console/done/<str:ticket_no>/", views.intake_done, name="intake_done"),
    path("queue/", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
    # Issue 20 §2: the unit's staff, their loads and on-duty switches, automatic assignment.
    path("queue/team/", team.team, name="team"),
    path("queue/team/duty/<int:user_id>/", team.team_duty, name="team_duty"),
    path("queue/team/settings/", team.team_settings, name="team_settings"),
    # Issue 20 §3: saved views of a list and bulk actions on its selected complaints.
    path("lists/views/", lists.saved_view_save, name="saved_view_save"),
    path(
        "lists/views/<int:view_id>/<str:change>/",
        lists.saved_view_change,
        name="saved_view_change",
    ),
    path("lists/bulk/", lists.bulk_action, name="bulk"),
    path("search/", views.search, name="search"),
    path("notices/", notices.notices, name="notices"),
    path("notices/badge/", notices.notice_badge, name="notice_badge"),
    path("notices/read-all/", notices.notices_read_all, name="notices_read_all"),
    path("notices/<int:notice_id>/read/", notices.notice_read, name="notice_read"),
    path("notices/<int:notice_id>/open/", notices.notice_open, name="notice_open"),
    path("tickets/<str:ticket_no>/", ticket.ticket_detail, name="ticket"),
    path("tickets/<str:ticket_no>/do/<str:name>/", ticket.ticket_action, name="action"),
    path("tickets/<str:ticket_no>/reply-check/", ticket.reply_check, name="reply_check"),
    path("tickets/<str:ticket_no>/reveal/", ticket.reveal_personal_data, name="reveal"),
    path(
        "tickets/<str:ticket_no>/evidence/<str:token>/",
        evidence.attachment_download,
        name="attachment",
    ),
    # Issue 20 §5: evidence shown in the browser (audited) and its thumbnails; the print-out.
    path(
        "tickets/<str:ticket_no>/evidence/<str:token>/view/",
        evidence.attachment_view,
        name="attachment_view",
    ),
    path(
        "tickets/<str:ticket_no>/evidence/<str:token>/thumb/",
        evidence.attachment_thumbnail,
        name="attachment_thumb",
    ),
    path("tickets/<str:ticket_no>/print/", printing.ticket_print, name="print"),
    path("tickets/<str:ticket_no>/print.pdf", printing.ticket_print_pdf, name="print_pdf"),
]

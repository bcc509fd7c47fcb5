from django.urls import path

from . import notices, ticket, views

app_name = "web"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/earlier/", views.earlier_complaints, name="earlier"),
    path("console/done/<str:ticket_no>/", views.intake_done, name="intake_done"),
    path("queue/", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
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
        ticket.attachment_download,
        name="attachment",
    ),
]

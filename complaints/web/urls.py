from django.urls import path

from . import ticket, views

app_name = "web"

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/earlier/", views.earlier_complaints, name="earlier"),
    path("console/done/<str:ticket_no>/", views.intake_done, name="intake_done"),
    path("queue/", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
    path("search/", views.search, name="search"),
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

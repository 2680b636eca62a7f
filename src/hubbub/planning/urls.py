from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from hubbub.planning import views

app_name = "planning"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(pattern_name="planning:calendar"), name="home"),
    path("calendar/", views.calendar_week, name="calendar"),
    path("calendar/month/", views.calendar_month, name="calendar_month"),
    path("calendar/move/", views.move_any, name="move_any"),
    path("posts/<int:pk>/move/", views.post_move, name="post_move"),
    path("schedule-fold/", views.schedule_fold, name="schedule_fold"),
    path("posts/<int:pk>/late/", views.post_late_policy, name="post_late_policy"),
    path("queues/", views.queues, name="queues"),
    path("queues/<int:pk>/", views.queue_detail, name="queue"),
    path("queues/<int:pk>/edit/", views.queue_edit, name="queue_edit"),
    path("queues/<int:pk>/delete/", views.queue_delete, name="queue_delete"),
    path("queues/<int:pk>/pause/", views.queue_pause, name="queue_pause"),
    path("queues/<int:pk>/resume/", views.queue_resume, name="queue_resume"),
    path("queues/<int:pk>/slots/", views.slot_add, name="slot_add"),
    path("queues/<int:pk>/slots/<int:slot>/remove/", views.slot_remove, name="slot_remove"),
    path("queues/<int:pk>/posts/", views.queue_add_post, name="queue_add_post"),
    path("queues/<int:pk>/posts/<int:entry>/top/", views.entry_top, name="entry_top"),
    path("queues/<int:pk>/posts/<int:entry>/remove/", views.entry_remove, name="entry_remove"),
    path("recurring/", views.recurring_list, name="recurring"),
    path("recurring/<int:pk>/edit/", views.recurring_edit, name="recurring_edit"),
    path("recurring/<int:pk>/pause/", views.recurring_pause, name="recurring_pause"),
    path("recurring/<int:pk>/resume/", views.recurring_resume, name="recurring_resume"),
    path("recurring/<int:pk>/delete/", views.recurring_delete, name="recurring_delete"),
]

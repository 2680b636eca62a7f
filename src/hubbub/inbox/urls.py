from django.urls import path

from hubbub.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/state/", views.entry_state, name="state"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/count/", views.count, name="count"),
]

from django.urls import path

from hubbub.catchup import views

app_name = "catchup"
urlpatterns = [
    path("", views.catch_up, name="page"),
    path("done/", views.caught_up, name="done"),
    path("feed/make/", views.feed_make, name="feed_make"),
    path("feed/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.atom", views.feed, name="feed"),
]

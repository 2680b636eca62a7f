from django.urls import URLPattern, URLResolver, path

from hubbub.imports import views

app_name = "imports"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.csv_upload, name="csv"),
    path("csv/<int:pk>/", views.csv_detail, name="csv_detail"),
    path("csv/<int:pk>/import/", views.csv_confirm, name="csv_confirm"),
    path("csv/<int:pk>/discard/", views.csv_discard, name="csv_discard"),
    path("csv/sample.csv", views.csv_sample, name="csv_sample"),
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/new/", views.feed_new, name="feed_new"),
    path("feeds/<int:pk>/", views.feed_detail, name="feed_detail"),
    path("feeds/<int:pk>/<str:action>/", views.feed_action, name="feed_action"),
]

from django.urls import path

from hubbub.connections import apps_views, cap_views, choose_views, media_views, views

app_name = "connections"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("connect/", views.connect_choose, name="connect"),
    path("connect/<slug:network>/", views.connect_start, name="connect_start"),
    path("callback/<slug:network>/", views.connect_callback, name="callback"),
    path("choose/<slug:network>/", choose_views.choose_accounts, name="choose"),
    path("<int:pk>/reconnect/", views.reconnect, name="reconnect"),
    path("<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path("<int:pk>/read-cap/", cap_views.read_cap, name="read_cap"),
    path("<int:pk>/media-server/", media_views.media_server, name="media_server"),
    path("apps/", apps_views.apps_page, name="apps"),
    path("apps/<slug:network>/", apps_views.app_save, name="app_save"),
    path("apps/<slug:network>/remove/", apps_views.app_remove, name="app_remove"),
    path("apps/<slug:network>/check/", apps_views.app_check, name="app_check"),
]

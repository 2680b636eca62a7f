from django.urls import path

from hubbub.connections import views

app_name = "connections"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("connect/", views.connect_choose, name="connect"),
    path("connect/<slug:network>/", views.connect_start, name="connect_start"),
    path("callback/<slug:network>/", views.connect_callback, name="callback"),
    path("<int:pk>/reconnect/", views.reconnect, name="reconnect"),
    path("<int:pk>/disconnect/", views.disconnect, name="disconnect"),
]

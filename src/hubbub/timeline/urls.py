from django.urls import path

from hubbub.timeline import conversation_views, icons, live_stream, views

app_name = "timeline"
urlpatterns = [
    path("", views.deck_home, name="home"),
    path("events/", live_stream.events, name="events"),
    path("icons.svg", icons.sprite, name="icons"),
    path("new/", views.deck_create, name="deck_create"),
    path("<int:pk>/", views.deck, name="deck"),
    path("<int:pk>/rename/", views.deck_rename, name="deck_rename"),
    path("<int:pk>/delete/", views.deck_delete, name="deck_delete"),
    path("<int:pk>/defaults/", views.deck_defaults, name="deck_defaults"),
    path("<int:pk>/order/", views.deck_order, name="deck_order"),
    path("<int:pk>/columns/add/", views.column_add, name="column_add"),
    path("columns/<int:pk>/", views.column, name="column"),
    path("columns/<int:pk>/newer/", views.column_newer, name="column_newer"),
    path("columns/<int:pk>/remove/", views.column_remove, name="column_remove"),
    path("columns/<int:pk>/move/", views.column_move, name="column_move"),
    path("columns/<int:pk>/width/", views.column_width, name="column_width"),
    path("columns/<int:pk>/read/", views.column_read, name="column_read"),
    path("items/<int:pk>/react/", views.item_react, name="item_react"),
    path("items/<int:pk>/conversation/", conversation_views.item_conversation,
         name="item_conversation"),
]

from django.urls import path

from hubbub.publishing import compose_views, mention_views, panel_views, replies_views, views

app_name = "publishing"
urlpatterns = [
    path("", compose_views.compose, name="compose"),
    path("compose/count/", compose_views.count, name="count"),
    path("compose/autosave/", compose_views.autosave, name="autosave"),
    path("compose/mentions/", mention_views.mention_options, name="mention_options"),
    path("compose/target/<int:pk>/<str:op>/", compose_views.target_step, name="target_step"),
    path("compose/panel/", panel_views.panel, name="panel"),
    path("compose/panel/post/<int:pk>/", panel_views.panel_post, name="panel_post"),
    path("compose/groups/", panel_views.group_save, name="group_save"),
    path("compose/groups/<int:pk>/delete/", panel_views.group_delete, name="group_delete"),
    path("compose/stash/<str:token>/", views.stash_preview, name="stash_preview"),
    path("posts/", views.posts, name="posts"),
    path("posts/drafts/", views.drafts_list, name="drafts"),
    path("posts/drafts/<int:pk>/send/", views.draft_send, name="draft_send"),
    path("posts/drafts/<int:pk>/discard/", views.draft_discard, name="draft_discard"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/replies/", replies_views.post_replies, name="post_replies"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/cancel/", views.post_cancel, name="post_cancel"),
    path("posts/<int:pk>/duplicate/", views.post_duplicate, name="post_duplicate"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("posts/media/<int:pk>/", views.media_file, name="media"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("deliveries/<int:pk>/send-now/", views.delivery_send_now, name="delivery_send_now"),
    path("deliveries/<int:pk>/cancel/", views.delivery_cancel, name="delivery_cancel"),
    path("deliveries/<int:pk>/delete/", views.delivery_delete, name="delivery_delete"),
    path("settings/alt-text/", views.alt_text_setting, name="alt_text_setting"),
]

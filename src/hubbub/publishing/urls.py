from django.urls import path

from hubbub.publishing import views

app_name = "publishing"
urlpatterns = [
    path("", views.compose, name="compose"),
    path("compose/count/", views.count, name="count"),
    path("compose/stash/<str:token>/", views.stash_preview, name="stash_preview"),
    path("posts/", views.posts, name="posts"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/cancel/", views.post_cancel, name="post_cancel"),
    path("posts/media/<int:pk>/", views.media_file, name="media"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("deliveries/<int:pk>/send-now/", views.delivery_send_now, name="delivery_send_now"),
    path("deliveries/<int:pk>/cancel/", views.delivery_cancel, name="delivery_cancel"),
]

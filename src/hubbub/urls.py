from django.urls import include, path

from hubbub.timeline import media_proxy

urlpatterns = [
    path("", include("hubbub.publishing.urls")),
    path("accounts/", include("hubbub.accounts.urls")),
    path("connections/", include("hubbub.connections.urls")),
    path("deck/", include("hubbub.timeline.urls")),
    path("plan/", include("hubbub.planning.urls")),
    path("import/", include("hubbub.imports.urls")),
    path("proxy/image/<str:signature>/<str:address>", media_proxy.image, name="image_proxy"),
]

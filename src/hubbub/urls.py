from django.urls import include, path

from hubbub.publishing import public_media_views
from hubbub.timeline import media_proxy

urlpatterns = [
    path("", include("hubbub.publishing.urls")),
    path("accounts/", include("hubbub.accounts.urls")),
    path("connections/", include("hubbub.connections.urls")),
    path("deck/", include("hubbub.timeline.urls")),
    path("plan/", include("hubbub.planning.urls")),
    path("import/", include("hubbub.imports.urls")),
    path("rules/", include("hubbub.listening.urls")),
    path("people/", include("hubbub.people.urls")),
    path("inbox/", include("hubbub.inbox.urls")),
    path("catch-up/", include("hubbub.catchup.urls")),
    path("public/media/<str:token>/<str:name>", public_media_views.public_media,
         name="public_media"),
    path("proxy/image/<str:signature>/<str:address>", media_proxy.image, name="image_proxy"),
]

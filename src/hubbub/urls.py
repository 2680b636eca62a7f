from django.urls import include, path

urlpatterns = [
    path("", include("hubbub.publishing.urls")),
    path("accounts/", include("hubbub.accounts.urls")),
    path("connections/", include("hubbub.connections.urls")),
    path("deck/", include("hubbub.timeline.urls")),
    path("plan/", include("hubbub.planning.urls")),
    path("import/", include("hubbub.imports.urls")),
]

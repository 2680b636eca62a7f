from django.urls import path

from hubbub.listening import import_views, notice_views, views

app_name = "listening"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("new/", views.rule_form, name="rule_new"),
    path("<int:pk>/", views.rule_form, name="rule_edit"),
    path("<int:pk>/move/", views.rule_move, name="rule_move"),
    path("<int:pk>/pause/", views.rule_pause, name="rule_pause"),
    path("<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("export/", views.export, name="export"),
    path("import/", views.import_file, name="import"),
    path("import-mutes/<int:pk>/", import_views.import_mutes, name="import_mutes"),
    path("columns/<int:pk>/", views.allow_list, name="allow_list"),
    path("notices/<int:pk>/seen/", notice_views.notice_seen, name="notice_seen"),
    path("notices/seen/", notice_views.notices_seen_all, name="notices_seen_all"),
]

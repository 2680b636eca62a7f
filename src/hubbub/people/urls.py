from django.urls import path

from hubbub.people import views

app_name = "people"
urlpatterns = [
    path("", views.people, name="people"),
    path("<int:pk>/", views.person, name="person"),
    path("<int:pk>/accounts/", views.account_add, name="account_add"),
    path("<int:pk>/accounts/<int:account>/remove/", views.account_remove, name="account_remove"),
    path("<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("suggestions/confirm/", views.suggestion_confirm, name="suggestion_confirm"),
    path("suggestions/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("from-item/<int:item>/", views.from_item, name="from_item"),
]

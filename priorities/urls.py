from django.urls import path

from priorities import views

urlpatterns = [
    path("<int:pk>/update/", views.action_update, name="action-update"),
]

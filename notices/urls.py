from django.urls import path

from notices import views

urlpatterns = [
    path("", views.account_settings, name="account-settings"),
]

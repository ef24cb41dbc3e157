from django.urls import path

from api import tokens
from notices import views

urlpatterns = [
    path("", views.account_settings, name="account-settings"),
    path("tokens/", tokens.token_list, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", tokens.revoke, name="api-token-revoke"),
]

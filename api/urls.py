"""/api/v1/: every endpoint answers to a token, not to the sign-in page (so not to
LoginRequiredMiddleware either: a request without a token gets 401, not a redirect)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from api import views
from api.auth import TokenAuthentication


class Schema(views.ReadOnly, SpectacularAPIView):
    """The OpenAPI schema, for a token or for a signed-in person reading it in a browser
    (GET only, so a session brings no cross-site write with it)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


def _api(view) -> object:
    return login_not_required(view.as_view())


urlpatterns = [
    path("plans/", _api(views.PlanList), name="api-plans"),
    path("areas/", _api(views.AreaList), name="api-areas"),
    path("kpis/", _api(views.KpiList), name="api-kpis"),
    path("kpis/<int:pk>/series/", _api(views.KpiSeries), name="api-kpi-series"),
    path("actions/", _api(views.ActionList), name="api-actions"),
    path("findings/", _api(views.FindingList), name="api-findings"),
    path("schema/", _api(Schema), name="api-schema"),
]

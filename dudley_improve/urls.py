from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from dudley_improve import views
from metrics import approvals
from metrics import views as metrics_views

admin.site.site_header = "Dudley children's services improvement: data administration"
admin.site.site_title = "Improvement plan admin"
admin.site.index_title = "Plans, KPIs and actuals"

# 403 and 404 use Django's handlers with templates/403.html and 404.html.
handler500 = "dudley_improve.views.server_error"

urlpatterns = [
    path("", include("reports.urls")),
    path("updates/", include("metrics.urls")),
    path("actions/", include("priorities.urls")),
    path("account/", include("notices.urls")),
    path("api/v1/", include("api.urls")),
    path("approvals/", approvals.approvals, name="approvals"),
    path("approvals/<int:pk>/return/", approvals.return_figure, name="approval-return"),
    path("start/", metrics_views.after_login, name="after-login"),
    path(
        "accounts/login/",
        # Checked before the view, which redirects a signed-in user whatever the method.
        require_http_methods(["GET", "HEAD", "POST"])(
            auth_views.LoginView.as_view(redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
]

from django.urls import path

from reports import findings_views, returns_views, scorecard_views, views
from reports.exports import views as export_views
from reports.exports import xlsx_views

urlpatterns = [
    path("", views.home, name="home"),
    path("areas/<int:pk>/", views.area_detail, name="area-detail"),
    path("pack/", views.board_pack, name="board-pack"),
    path("pack/board-pack.<str:fmt>", export_views.pack_download, name="pack-download"),
    path("areas/<int:pk>/area.<str:fmt>", export_views.area_download, name="area-download"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi-detail"),
    path("kpis/<int:pk>/kpi.xlsx", xlsx_views.kpi_xlsx, name="kpi-xlsx"),
    path("scorecard/", scorecard_views.scorecard_page, name="scorecard"),
    path("scorecard/scorecard.csv", scorecard_views.scorecard_csv, name="scorecard-csv"),
    path("scorecard/scorecard.xlsx", xlsx_views.scorecard_xlsx, name="scorecard-xlsx"),
    path("returns/", returns_views.returns_page, name="returns"),
    path("returns/returns.csv", returns_views.returns_csv, name="returns-csv"),
    path("findings/", findings_views.findings_register, name="findings"),
    path("findings/<int:pk>/", findings_views.finding_detail, name="finding-detail"),
]

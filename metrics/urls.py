from django.urls import path, register_converter

from metrics import views
from metrics.periods import MonthConverter

register_converter(MonthConverter, "month")

urlpatterns = [
    path("", views.my_updates, name="my-updates"),
    path("<int:pk>/<month:period>/", views.kpi_entry, name="kpi-entry"),
]

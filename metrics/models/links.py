"""Which KPIs show whether a finding has been answered, from a day on."""

from django.db import models
from simple_history.models import HistoricalRecords

from metrics.models.kpis import Kpi
from priorities.models import DatedLink, Finding


class FindingKpi(DatedLink):
    """A KPI that shows whether a finding has been answered, from a day on."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="kpi_links")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="finding_links")
    history = HistoricalRecords()

    class Meta:
        ordering = ["finding", "since", "pk"]
        verbose_name = "KPI showing the difference"
        verbose_name_plural = "KPIs showing the difference"
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "kpi", "since"], name="finding_kpi_once_a_day"
            ),
            DatedLink.ends_after_start("finding_kpi_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} from {self.since:%-d %b %Y}"

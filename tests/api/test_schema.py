"""The published OpenAPI schema: every endpoint in it, generated without a warning."""

import pytest
import yaml
from django.core.management import call_command

from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/plans/",
    "/api/v1/areas/",
    "/api/v1/kpis/",
    "/api/v1/kpis/{id}/series/",
    "/api/v1/actions/",
    "/api/v1/findings/",
]


def test_the_schema_lists_every_endpoint_read_only_with_its_filters():
    client, _, _ = token_client()
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert set(schema["paths"]) == set(PATHS)
    assert {method for path in schema["paths"].values() for method in path} == {"get"}
    kpi_params = {p["name"] for p in schema["paths"]["/api/v1/kpis/"]["get"]["parameters"]}
    assert kpi_params >= {"plan", "area", "owner", "period", "page", "page_size", "format"}
    assert schema["components"]["securitySchemes"]["token"]["name"] == "Authorization"
    assert client.get("/api/v1/schema/", {"format": "json"}).json()["openapi"].startswith("3.")


def test_the_schema_generates_without_warnings(tmp_path):
    # Fails on any warning drf-spectacular raises about a view, serializer or filter.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    assert "/api/v1/kpis/{id}/series/" in (tmp_path / "api.yaml").read_text()

"""The OpenAPI schema: every operation also says it answers CSV (``?format=csv``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

FORMAT = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv"],
    description="json (the default) or csv; or send Accept: text/csv.",
)


class ApiSchema(AutoSchema):
    def get_override_parameters(self):
        return [*super().get_override_parameters(), FORMAT]


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal token from your settings page: Token <token>.",
        }

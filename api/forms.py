from django import forms

from api.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label="What is the token for?",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="For example, Power BI board dashboard. You will see this name in the list.",
        error_messages={"required": "Say what the token is for."},
    )

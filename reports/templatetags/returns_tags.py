from django import template

from reports.returns import may_see_returns

register = template.Library()


@register.filter
def sees_returns(user) -> bool:
    """Whether the menu offers /returns/: {% if user|sees_returns %}."""
    return may_see_returns(user)

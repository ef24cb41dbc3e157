"""The read-only API under /api/v1/ for Power BI, Excel and the council's own scripts.

Personal tokens (``ApiToken``) authenticate it; it reads what the board pages
read, through the same functions, and writes nothing but a token's last use.
"""

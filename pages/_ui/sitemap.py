"""The site's pages: their files, titles, icons and sections, and the roles that may open each.

Page file names belong to the UI: kpi.access knows roles and permissions, this map says which role
opens which page. Draws nothing.
"""
from __future__ import annotations

from pathlib import Path

from kpi.access.roles import ADMINS, DATA_STAFF, EVERYONE, Account

PAGES_DIR = Path(__file__).resolve().parent.parent

# (file, message key of its title, icon, section). A page appears once its file exists.
PAGES = (
    ("overview.py", "overview.page_title", ":material/dashboard:", "leadership"),
    ("funds.py", "funds.page_title", ":material/payments:", "leadership"),
    ("meetings.py", "meetings.page_title", ":material/groups:", "leadership"),
    ("ratings.py", "ratings.page_title", ":material/star:", "leadership"),
    ("indicators.py", "indicators.page_title", ":material/monitoring:", "leadership"),
    ("problems.py", "problems.page_title", ":material/report:", "leadership"),
    ("rectification.py", "rectification.page_title", ":material/task_alt:", "leadership"),
    ("coverage.py", "coverage.page_title", ":material/travel_explore:", "leadership"),
    ("unit_profile.py", "profile.page_title", ":material/account_tree:", "leadership"),
    ("briefing.py", "briefing.page_title", ":material/slideshow:", "leadership"),
    ("upload.py", "upload.page_title", ":material/upload_file:", "data"),
    ("history.py", "history.page_title", ":material/history:", "data"),
    ("accounts.py", "auth.accounts.page_title", ":material/manage_accounts:", "admin"),
    ("audit.py", "audit.page_title", ":material/policy:", "admin"),
)


# Page file → the roles that may open it. A page missing here opens for nobody (fail closed).
PAGE_ROLES: dict[str, frozenset[str]] = {
    **{page: EVERYONE for page in (
        "overview.py", "funds.py", "meetings.py", "ratings.py", "indicators.py", "problems.py",
        "rectification.py", "coverage.py", "unit_profile.py", "briefing.py")},
    "upload.py": DATA_STAFF,
    "history.py": DATA_STAFF,
    "accounts.py": ADMINS,
    "audit.py": ADMINS,
}


def may_open(account: Account | None, page_file: str) -> bool:
    """True when `account` may open the page `page_file` (e.g. 'upload.py')."""
    return account is not None and not account.disabled and account.role in PAGE_ROLES.get(page_file, ())

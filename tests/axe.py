"""axe-core (WCAG 2.2 A/AA) in the browser tests: one way to run it, for every page test.

axe is injected once per document and asked for violations alone; left to its defaults it also gathers
every passing check and sends them all back, which doubled the cost of a run.
"""

from __future__ import annotations

from functools import cache

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The rules whose outcome a colour scheme can change. Our dark scheme (static/css/bookclub.css) and the
# admin's only swap colour custom properties, so a page checked whole in one scheme needs only these in
# the other.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


@cache
def _axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def axe_violations(page, *, colours_only: bool = False) -> str:
    """The page's WCAG A/AA violations as a readable report, or "" when there are none. With
    `colours_only`, the colour rules alone (for a page already checked whole in the other scheme)."""
    from axe_playwright_python.base import AxeResults

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    run_only = (
        {"type": "rule", "values": COLOUR_RULES} if colours_only else {"type": "tag", "values": WCAG_TAGS}
    )
    # resultTypes trims the nodes of passes and incompletes but still lists those rules; only the
    # violations travel back.
    violations = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)",
        {"runOnly": run_only, "resultTypes": ["violations"]},
    )
    results = AxeResults({"violations": violations})
    if results.violations_count == 0:
        return ""
    return f"{page.url}\n{results.generate_report()}"

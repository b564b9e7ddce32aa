"""The axe helper every page test uses finds what it is asked to find (tests/axe.py)."""

import pytest

from tests.axe import axe_violations

pytestmark = [pytest.mark.browser]

FLAWED = """<!doctype html><html lang="en"><head><title>Flawed</title></head><body><main>
<h1>Flawed</h1>
<p style="color:#bbb;background:#fff">Grey on white, too faint to read.</p>
<input type="text">
</main></body></html>"""


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_a_full_run_reports_an_unlabelled_field_and_faint_text(page):
    page.set_content(FLAWED)

    report = axe_violations(page)

    assert "label" in report
    assert "color-contrast" in report


def test_the_colour_run_reports_faint_text_and_nothing_else(page):
    page.set_content(FLAWED)

    report = axe_violations(page, colours_only=True)

    assert "color-contrast" in report
    assert "Form elements must have labels" not in report


def test_axe_is_injected_once_per_document_and_runs_again(page):
    page.set_content(FLAWED)
    axe_violations(page)
    page.evaluate("() => { window.axe.marker = 'kept'; }")

    assert "color-contrast" in axe_violations(page, colours_only=True)
    assert page.evaluate("() => window.axe.marker") == "kept"


def test_a_clean_page_gives_an_empty_report(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Fine</title></head>'
        "<body><main><h1>Fine</h1><p>Black on white.</p></main></body></html>"
    )

    assert axe_violations(page) == ""
    assert axe_violations(page, colours_only=True) == ""

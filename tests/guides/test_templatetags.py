"""The `markdown` template filter: Markdown in, sanitized HTML out."""

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from guides.templatetags.guide_extras import markdown_filter, markdown_to_text


def render(text: str) -> str:
    return Template("{% load guide_extras %}{{ text|markdown }}").render(Context({"text": text}))


def test_it_renders_markdown_to_html():
    assert render("A *quiet* **novel**.") == "<p>A <em>quiet</em> <strong>novel</strong>.</p>"


def test_it_keeps_lists_quotes_code_and_line_breaks():
    html = render("- one\n- two\n\n1. first\n\n> quoted\n\n`code`  \nnext")

    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<code>code</code><br>" in html


def test_links_keep_their_href_and_get_nofollow_noopener():
    html = render("[the film](https://example.org/film)")

    assert html == '<p><a href="https://example.org/film" rel="nofollow noopener">the film</a></p>'


def test_it_returns_safe_html_so_templates_do_not_escape_it_twice():
    assert isinstance(markdown_filter("*hi*"), SafeString)
    assert "&lt;em&gt;" not in render("*hi*")


def test_plain_text_special_characters_are_escaped():
    assert render("1 < 2 & 3 > 2") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


def test_script_elements_are_removed_with_their_content():
    html = render("Before <script>alert('xss')</script> after")

    assert "<script" not in html
    assert "alert" not in html
    assert "Before" in html
    assert "after" in html


@pytest.mark.parametrize(
    "payload",
    [
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_dangerous_link_targets_are_dropped(payload):
    html = render(payload)

    assert "javascript" not in html.lower()
    assert "data:" not in html
    assert "click" in html


@pytest.mark.parametrize(
    "payload",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        '<a href="https://example.org" onmouseover="alert(1)">hi</a>',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_event_handler_attributes_are_dropped(payload):
    html = render(payload)

    assert "alert" not in html
    assert "<img" not in html
    assert "<svg" not in html


@pytest.mark.parametrize(
    "payload",
    [
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
        "<form action='/x'><input name='a'></form>",
        '<span style="position:fixed">x</span>',
        '<a href="https://example.org" class="button" id="x" target="_blank">x</a>',
    ],
)
def test_tags_and_attributes_outside_the_allow_list_are_stripped(payload):
    html = render(payload)

    for banned in (
        "<iframe",
        "<style",
        "display:none",
        "<form",
        "<input",
        "<span",
        "style=",
        "class=",
        "id=",
        "target=",
    ):
        assert banned not in html


def test_headings_become_plain_text():
    html = render("# Big heading")

    assert "<h1" not in html
    assert "Big heading" in html


@pytest.mark.parametrize("empty", ["", None])
def test_empty_input_gives_empty_output(empty):
    assert markdown_filter(empty) == ""


def test_markdown_to_text_strips_markup_and_unescapes():
    assert markdown_to_text("A *very* <b>good</b> book & more.\n\n<script>bad()</script>Next") == (
        "A very good book & more. Next"
    )


def test_markdown_to_text_truncates_at_a_word_boundary():
    text = markdown_to_text("alpha beta gamma delta epsilon", 17)

    assert text == "alpha beta gamma…"
    assert len(text) <= 17


def test_markdown_to_text_leaves_short_text_alone():
    assert markdown_to_text("Short.", 200) == "Short."

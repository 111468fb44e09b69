"""Evidence narratives and comments are Markdown written by learners and staff: rendered with raw HTML
turned off, then cleaned by an allow-list sanitizer (nh3) as a second line, so nothing a user typed
becomes markup other than these few tags."""

from __future__ import annotations

from typing import Final

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_markdown"]

_ALLOWED_TAGS: Final = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES: Final = {"a": {"href", "title"}}
_SCHEMES: Final = {"http", "https", "mailto"}

# commonmark without raw HTML; tables and images stay off (an image would fetch from anywhere).
_MARKDOWN: Final = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for ``text`` (None or empty: nothing). Links open without a referrer or opener."""
    if not text:
        return Markup("")
    html = _MARKDOWN.render(text)
    # Headings in a narrative become h3/h4 so they do not break the page's outline.
    for level in (1, 2):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitized just above

"""Web pages: an HTML page's article text (no navigation, footers or related links) and its title,
date, outlet and URL. The only module that knows trafilatura."""

from __future__ import annotations

from typing import Any

import attrs

from wiretrace.errors import EmptyInputError, InputError
from wiretrace.ingest.decode import Decoder, decode_page, too_large
from wiretrace.ingest.fields import UNPARSED_DATE, normalize_date, shorten
from wiretrace.models import Document, Notice

HTML_SUFFIXES = (".html", ".htm")
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
NO_ARTICLE = "no article text found"

# htmldate (trafilatura's date finder) with a time of day when the page gives one. It writes a
# page that gives only a day as midnight with no zone, which is read back as the bare day. Its
# extensive search is off: it takes dates from the text, such as a footer's copyright year.
_DATE_PARAMS: dict[str, Any] = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_DAY_ONLY = "T00:00:00"

# Where pages state their publication date. These are read first, with `normalize_date` (which
# keeps the time and zone, and reads US dates and epoch seconds); htmldate's finding is used when
# none of them parses, and a stated date that cannot be read is reported, not dropped.
_DATE_XPATH = (
    "//meta[@property='article:published_time' or @property='og:published_time'"
    " or @itemprop='datePublished' or @name='date' or @name='pubdate' or @name='publishdate'"
    " or @name='DC.date' or @name='dc.date' or @name='DC.date.issued'"
    " or @name='dcterms.created' or @name='article:published_time']/@content"
    " | //time[@itemprop='datePublished' or @pubdate]/@datetime"
)


@attrs.frozen
class Article:
    """What a web page holds: its article text and metadata (None where the page gives none).

    `unparsed_date` is a publication date the page gives in a form that could not be read.
    """

    text: str
    title: str | None = None
    outlet: str | None = None
    published: str | None = None
    url: str | None = None
    unparsed_date: str | None = None


def extract_article(html: str, *, url: str | None = None) -> Article | None:
    """The article of a web page, or None when the page holds no article text.

    `url` is where the page was found, used when the page does not name its own. The outlet is
    the site name the page gives, else its host name. Errors of the HTML parser propagate.
    """
    import trafilatura  # imported when first needed: it takes about 0.4 s

    tree = trafilatura.load_html(html)
    if tree is None:
        return None
    # trafilatura's Document (its type says "or a dict", which it is only with as_dict=True).
    result: Any = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,
        date_extraction_params=_DATE_PARAMS,
    )
    if result is None or not (result.text or "").strip():
        return None
    published, unparsed = _published(result.date, tree)
    return Article(
        text=str(result.text),
        title=result.title,
        outlet=result.sitename or result.hostname,
        published=published,
        url=result.url or url,
        unparsed_date=unparsed,
    )


def _published(found: str | None, tree: Any) -> tuple[str | None, str | None]:
    """The page's normalized publication date, and a date it states that cannot be read."""
    stated = [str(value).strip() for value in tree.xpath(_DATE_XPATH) if str(value).strip()]
    for value in stated:
        normalized = normalize_date(value)
        if normalized is not None:
            return normalized, None
    if found:
        day, _, time = found.partition("T")
        return normalize_date(day if f"T{time}" == _DAY_ONLY else found), None
    return None, (stated[0] if stated else None)


def read_page(
    raw: bytes,
    decoder: Decoder,
    *,
    document_id: str,
    input: str,
    max_chars: int,
    url: str | None = None,
    content_type: str | None = None,
    fallback_published: str | None = None,
) -> tuple[Document, tuple[Notice, ...]]:
    """A `Document` from a saved web page's bytes, and notices about it.

    Raises `EmptyInputError` for a page with no text (reason "empty") or no article text
    (`NO_ARTICLE`), and `InputError` for a page that does not decode, is larger than `max_chars`
    characters, or breaks the HTML parser. `fallback_published` (a capture time) is used when the
    page gives no date of its own.
    """
    html = decode_page(raw, decoder, input=input, content_type=content_type)
    if len(html) > max_chars:
        raise InputError(too_large(f"{len(html):,} characters", max_chars), input=input)
    if not html.strip():
        raise EmptyInputError("empty", input=input)
    try:
        article = extract_article(html, url=url)
    except Exception as error:  # noqa: BLE001 - any parser failure on hostile input is bad input
        raise InputError(
            f"could not be parsed as HTML ({type(error).__name__}: {shorten(str(error))}); "
            "check that it is a web page",
            input=input,
        ) from None
    if article is None:
        raise EmptyInputError(NO_ARTICLE, input=input)
    notices: tuple[Notice, ...] = ()
    if article.unparsed_date is not None:
        message = f"published date {shorten(article.unparsed_date)} {UNPARSED_DATE}"
        notices = (Notice(input=input, line=None, message=message),)
    document = Document(
        id=document_id,
        text=article.text,
        outlet=article.outlet,
        published=article.published or fallback_published,
        title=article.title,
        url=article.url,
    )
    return document, notices

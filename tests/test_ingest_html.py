"""Tests for web input: saved HTML pages and WARC archives in, article `Document`s out."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from webpages import MAYOR, RESCUE, ROWING, STORY, news_page, request, write_warc
from wiretrace.cli import cli
from wiretrace.errors import InputError
from wiretrace.ingest import Article, extract_article, load_documents
from wiretrace.ingest.decode import MAX_MAX_DOCUMENT_CHARS
from wiretrace.models import Document, Notice, Skipped

WARC_PASSED_OVER = (
    "passed over {total} of its {records} records: {details}; only HTML responses with a 2xx "
    "status and HTML resource records become documents"
)


def write_page(path: Path, html: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(html, str):
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(html)
    return path


# HTML pages


def test_html_page_gives_only_its_article_text(tmp_path: Path) -> None:
    """Navigation, related links and the footer are not part of a page's document text."""
    path = write_page(tmp_path / "bridge.html", news_page([STORY, RESCUE]))

    (doc,) = load_documents(path).documents

    assert STORY in doc.text and RESCUE in doc.text
    for boilerplate in ("Subscribe", "Related stories", "Tram fares", "All rights reserved"):
        assert boilerplate not in doc.text


def test_html_page_metadata(tmp_path: Path) -> None:
    """Title, outlet (site name), URL and publication time (in UTC) come from the page."""
    html = news_page([STORY], url="https://harbourpost.example/2024/bridge")
    path = write_page(tmp_path / "bridge.html", html)

    (doc,) = load_documents(path).documents

    assert (doc.id, doc.title, doc.outlet, doc.url, doc.published) == (
        "bridge.html",
        "Bridge collapses into the Senna",
        "The Harbour Post",
        "https://harbourpost.example/2024/bridge",
        "2024-05-04T06:30:00Z",
    )


def test_html_page_with_a_day_only_is_published_that_day(tmp_path: Path) -> None:
    """A page that gives only a day is published that day, with no made-up time."""
    path = write_page(tmp_path / "a.html", news_page([STORY], published="2024-05-04"))

    assert load_documents(path).documents[0].published == "2024-05-04"


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("7/23/17", "2017-07-23"),
        ("Sat, 04 May 2024 08:30:00 +0200", "2024-05-04T06:30:00Z"),
        ("2031-01-02", "2031-01-02"),
    ],
)
def test_html_page_dates_in_other_forms(tmp_path: Path, published: str, expected: str) -> None:
    """US dates, RFC 2822 and dates after today in a page's metadata are read."""
    path = write_page(tmp_path / "a.html", news_page([STORY], published=published))

    assert load_documents(path).documents[0].published == expected


def test_html_page_date_that_cannot_be_parsed_is_a_notice(tmp_path: Path) -> None:
    """A page date that cannot be parsed leaves the date empty and gives a notice."""
    path = write_page(tmp_path / "a.html", news_page([STORY], published="the other day"))

    loaded = load_documents(path)

    assert loaded.documents[0].published is None
    assert loaded.notices == (
        Notice(
            str(path),
            None,
            "published date 'the other day' cannot be parsed; the document is read without a "
            "date (dates are read in ISO 8601, RFC 2822, M/D/YY or epoch seconds or milliseconds)",
        ),
    )


def test_html_page_without_site_name_has_its_host_as_outlet(tmp_path: Path) -> None:
    """A page that names no site gets the host of its URL as outlet."""
    html = news_page([STORY], url="https://eveningstar.example/tram").replace("og:site_name", "x")
    path = write_page(tmp_path / "a.html", html)

    assert load_documents(path).documents[0].outlet == "eveningstar.example"


def test_html_files_in_a_folder_have_relative_path_ids(tmp_path: Path) -> None:
    """.html and .htm files below a folder are read, ids their paths relative to the folder."""
    write_page(tmp_path / "post" / "bridge.html", news_page([STORY]))
    write_page(tmp_path / "star" / "tram.htm", news_page([RESCUE], site="Evening Star"))

    docs = load_documents(tmp_path).documents

    assert [(doc.id, doc.outlet) for doc in docs] == [
        ("post/bridge.html", "The Harbour Post"),
        ("star/tram.htm", "Evening Star"),
    ]


def test_html_page_is_decoded_by_its_declared_charset(tmp_path: Path) -> None:
    """A page declaring windows-1252 is read as windows-1252 without --encoding."""
    text = "Café owners on the quay said the crossing had been shaking for weeks. " + STORY
    html = news_page([text], charset="windows-1252").encode("cp1252")
    path = write_page(tmp_path / "a.html", html)

    assert "Café owners" in load_documents(path).documents[0].text


def test_html_byte_order_mark_beats_the_declared_charset(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark wins over a (wrong) declared charset."""
    text = "Café owners on the quay said the crossing had been shaking for weeks. " + STORY
    html = codecs.BOM_UTF8 + news_page([text], charset="windows-1252").encode("utf-8")
    path = write_page(tmp_path / "a.html", html)

    assert "Café owners" in load_documents(path).documents[0].text


def test_html_encoding_option_reads_pages_that_declare_none(tmp_path: Path) -> None:
    """A page with no declared charset is decoded with `encoding`."""
    text = "Café owners on the quay said the crossing had been shaking for weeks. " + STORY
    html = news_page([text]).replace('<meta charset="utf-8">', "").encode("cp1252")
    path = write_page(tmp_path / "a.html", html)

    assert "Café owners" in load_documents(path, encoding="cp1252").documents[0].text


def test_html_page_that_does_not_decode_suggests_encoding(tmp_path: Path) -> None:
    """An undeclared page that is not UTF-8 is an error naming the byte and --encoding."""
    html = news_page(["Café " + STORY]).replace('<meta charset="utf-8">', "").encode("cp1252")
    path = write_page(tmp_path / "a.html", html)
    offset = html.index(b"\xe9")

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert str(raised.value) == (
        f"{path}: is not valid UTF-8 text (byte 0xe9 at offset {offset}); "
        "pass --encoding to name its encoding (e.g. --encoding cp1252)"
    )


def test_html_page_without_article_text_is_skipped_even_in_fail_mode(tmp_path: Path) -> None:
    """A page with no article text is listed as skipped, never fatal."""
    html = "<html><head><title>Index</title></head><body><nav><ul><li>Home</li></ul></nav></body></html>"
    path = write_page(tmp_path / "index.html", html)

    loaded = load_documents(path, on_error="fail")

    assert loaded.skipped == (Skipped(str(path), None, "no article text found"),)


def test_empty_html_file_is_skipped_as_empty(tmp_path: Path) -> None:
    """A blank .html file is Skipped with reason 'empty'."""
    path = write_page(tmp_path / "a.htm", " \n")

    assert load_documents(path).skipped == (Skipped(str(path), None, "empty"),)


def test_extract_article_returns_the_article_and_its_metadata() -> None:
    """extract_article gives the text and metadata of an HTML string."""
    article = extract_article(news_page([STORY], published=None), url="https://hp.example/a")

    assert article == Article(
        text=f"Bridge collapses into the Senna\n{STORY}",
        title="Bridge collapses into the Senna",
        outlet="The Harbour Post",
        published=None,
        url="https://hp.example/a",
    )


def test_extract_article_gives_none_for_a_page_without_text() -> None:
    """extract_article returns None when a page has no text at all."""
    assert extract_article("<html><body></body></html>") is None


# WARC archives


def crawl(path: Path, **page_options: str) -> Path:
    """A crawl of two fictional outlets: the Evening Star copied the Harbour Post's story."""
    post = news_page([STORY, RESCUE, MAYOR], **page_options)
    star = news_page(
        ["Our reporter was on the quay.", STORY.replace("Saturday", "Saturday morning")],
        site="Evening Star",
        title="Tram plunges into river",
        published="2024-05-04T12:00:00Z",
    )
    return write_warc(
        path,
        [
            request("https://harbourpost.example/bridge"),
            ("response", "https://harbourpost.example/bridge", post, {}),
            request("https://eveningstar.example/tram"),
            ("response", "https://eveningstar.example/tram", star, {}),
            (
                "response",
                "https://eveningstar.example/logo.png",
                b"\x89PNG\r\n",
                {"content_type": "image/png"},
            ),
            (
                "response",
                "https://eveningstar.example/old",
                "<html></html>",
                {"status": "404 Not Found"},
            ),
        ],
    )


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_html_responses_become_documents_with_their_uri_as_id(
    tmp_path: Path, name: str
) -> None:
    """Each HTML response of a WARC (gzipped or not) is a document whose id is its target URI."""
    path = crawl(tmp_path / name)

    docs = load_documents(path).documents

    assert [(doc.id, doc.outlet, doc.published) for doc in docs] == [
        ("https://harbourpost.example/bridge", "The Harbour Post", "2024-05-04T06:30:00Z"),
        ("https://eveningstar.example/tram", "Evening Star", "2024-05-04T12:00:00Z"),
    ]
    assert STORY in docs[0].text and "Subscribe" not in docs[0].text


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_pages_are_read_with_the_highest_document_limit(tmp_path: Path, name: str) -> None:
    """With the highest max_document_chars a web page and a WARC's pages are read as with the
    default (not in one read of the limit's bytes, more memory than a machine has)."""
    write_page(tmp_path / "page.html", news_page([STORY]))
    crawl(tmp_path / name)

    highest = load_documents(tmp_path, max_document_chars=MAX_MAX_DOCUMENT_CHARS)

    assert highest == load_documents(tmp_path)
    assert len(highest.documents) == 3


def test_warc_other_records_are_counted_in_one_notice(tmp_path: Path) -> None:
    """Requests, non-HTML responses, error responses and warcinfo are counted, not skipped."""
    path = crawl(tmp_path / "crawl.warc.gz")

    loaded = load_documents(path)

    assert loaded.skipped == ()
    assert loaded.notices == (
        Notice(
            str(path),
            None,
            WARC_PASSED_OVER.format(
                total=5,
                records=7,
                details="3 of other record types (2 request, 1 warcinfo), 1 not HTML "
                "(image/png), 1 with a non-2xx status (HTTP 404)",
            ),
        ),
    )


def test_warc_date_is_used_only_when_the_page_has_none(tmp_path: Path) -> None:
    """A page without a date of its own gets the capture time; one with a date keeps it."""
    dated = news_page([STORY], published="2024-05-04")
    undated = news_page([ROWING], published=None, site="Evening Star")
    path = write_warc(
        tmp_path / "a.warc.gz",
        [
            ("response", "https://a.example/1", dated, {"date": "2024-06-01T10:00:00Z"}),
            ("response", "https://b.example/2", undated, {"date": "2024-06-01T10:00:00Z"}),
        ],
    )

    docs = load_documents(path).documents

    assert [doc.published for doc in docs] == ["2024-05-04", "2024-06-01T10:00:00Z"]


def test_warc_date_that_cannot_be_parsed_gives_a_notice(tmp_path: Path) -> None:
    """A page left undated because its WARC-Date cannot be parsed gets a notice saying so."""
    undated = news_page([ROWING], published=None, site="Evening Star")
    path = write_warc(
        tmp_path / "a.warc",
        [("response", "https://b.example/2", undated, {"date": "not-a-date"})],
        warcinfo=False,
    )

    loaded = load_documents(path)

    assert [doc.published for doc in loaded.documents] == [None]
    assert loaded.notices == (
        Notice(
            str(path),
            None,
            "record https://b.example/2: WARC-Date 'not-a-date' cannot be parsed; the document "
            "is read without a date (dates are read in ISO 8601, RFC 2822, M/D/YY or epoch "
            "seconds or milliseconds)",
        ),
    )


def test_warc_repeated_capture_of_a_page_is_counted_once_read(tmp_path: Path) -> None:
    """A second capture of a URI already read is passed over and counted."""
    page = news_page([STORY])
    path = write_warc(
        tmp_path / "a.warc.gz",
        [
            ("response", "https://a.example/1", page, {}),
            ("response", "https://a.example/1", page, {}),
        ],
        warcinfo=False,
    )

    loaded = load_documents(path)

    assert [doc.id for doc in loaded.documents] == ["https://a.example/1"]
    assert loaded.notices[0].message == WARC_PASSED_OVER.format(
        total=1, records=2, details="1 repeating a page already read"
    )


def test_warc_resource_record_holding_html_is_a_document(tmp_path: Path) -> None:
    """A resource record with an HTML content type (a saved page) is a document too."""
    path = write_warc(
        tmp_path / "a.warc",
        [
            (
                "resource",
                "file:///saved/bridge.html",
                news_page([STORY]),
                {"content_type": "text/html"},
            )
        ],
        warcinfo=False,
    )

    assert [doc.id for doc in load_documents(path).documents] == ["file:///saved/bridge.html"]


def test_warc_page_charset_from_the_http_header(tmp_path: Path) -> None:
    """The charset of a response's Content-Type header decodes the page."""
    text = "Café owners on the quay said the crossing had been shaking for weeks. " + STORY
    page = news_page([text]).replace('<meta charset="utf-8">', "").encode("cp1252")
    options = {"content_type": "text/html; charset=windows-1252"}
    path = write_warc(tmp_path / "a.warc", [("response", "https://a.example/1", page, options)])

    assert "Café owners" in load_documents(path).documents[0].text


def test_warc_page_that_does_not_decode_names_the_record(tmp_path: Path) -> None:
    """A page in a WARC that does not decode is an error naming the file and the record."""
    page = news_page(["Café " + STORY]).replace('<meta charset="utf-8">', "").encode("cp1252")
    options = {"content_type": "text/html"}
    path = write_warc(tmp_path / "a.warc", [("response", "https://a.example/1", page, options)])

    offset = page.index(b"\xe9")

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert str(raised.value) == (
        f"{path}: record https://a.example/1: is not valid UTF-8 text "
        f"(byte 0xe9 at offset {offset}); "
        "pass --encoding to name its encoding (e.g. --encoding cp1252)"
    )


def test_warc_page_without_article_is_skipped_naming_the_record(tmp_path: Path) -> None:
    """A captured page with no article text is Skipped with the record's URI, never fatal."""
    empty_page = "<html><head><title>Index</title></head><body></body></html>"
    path = write_warc(
        tmp_path / "a.warc.gz",
        [
            ("response", "https://a.example/index", empty_page, {}),
            ("response", "https://a.example/1", news_page([STORY]), {}),
        ],
    )

    loaded = load_documents(path, on_error="fail")

    assert [doc.id for doc in loaded.documents] == ["https://a.example/1"]
    assert loaded.skipped == (
        Skipped(str(path), None, "record https://a.example/index: no article text found"),
    )


def test_warc_record_over_the_size_limit_is_an_error(tmp_path: Path) -> None:
    """A captured page larger than the limit is an error naming the record and the option."""
    page = news_page([STORY])
    path = write_warc(
        tmp_path / "a.warc", [("response", "https://a.example/1", page, {})], warcinfo=False
    )

    loaded = load_documents(path, on_error="skip", max_document_chars=100)

    (skipped,) = loaded.skipped
    assert skipped.reason.startswith("record https://a.example/1: is too large (")
    assert skipped.reason.endswith(
        "the limit is 100 characters); pass --max-document-chars to raise the limit"
    )


def test_file_that_is_not_a_warc_is_an_error(tmp_path: Path) -> None:
    """A .warc file that does not start like a WARC file is an error saying what it starts with."""
    path = write_page(tmp_path / "a.warc", "<html>not an archive</html>")

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert str(raised.value) == (
        f"{path}: is not a WARC file (it starts with b'<html', not b'WARC/'); "
        "check that it is a web archive"
    )


def test_warc_gz_that_is_not_gzip_is_an_error(tmp_path: Path) -> None:
    """A .warc.gz file starting like gzip but broken is a gzip error."""
    path = write_page(tmp_path / "a.warc.gz", b"\x1f\x8b\x08\x00broken")

    with pytest.raises(InputError, match=r"is not a valid gzip file \("):
        load_documents(path)


def test_truncated_warc_gz_keeps_the_pages_before_the_damage(tmp_path: Path) -> None:
    """In skip mode a truncated WARC.gz gives the pages before the damage, then one Skipped."""
    records = [
        ("response", f"https://a.example/{n}", news_page([STORY, f"Update number {n}."]), {})
        for n in range(40)
    ]
    path = write_warc(tmp_path / "a.warc.gz", records)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    loaded = load_documents(path, on_error="skip")

    assert 5 < len(loaded.documents) < 40
    (skipped,) = loaded.skipped
    assert skipped.reason.startswith(f"record https://a.example/{len(loaded.documents)}: ends ")
    assert skipped.reason.endswith(
        " bytes short of its length; the archive is truncated or damaged, check that it is complete"
    )


def test_warc_gzipped_as_one_whole_file_says_how_to_fix_it(tmp_path: Path) -> None:
    """A WARC gzipped whole, not record by record, is named so, with the command that fixes it."""
    records = [("response", f"https://a.example/{n}", news_page([STORY]), {}) for n in range(3)]
    plain = write_warc(tmp_path / "a.warc", records)
    path = tmp_path / "a.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))

    loaded = load_documents(path, on_error="skip")

    assert loaded.skipped == (
        Skipped(
            str(path),
            None,
            "is gzipped as one whole file, so it cannot be read after 1 record; a .warc.gz "
            "needs each record gzipped on its own: fix it with `warcio recompress FILE "
            "NEW_FILE`, or decompress it and pass the plain .warc file",
        ),
    )


def test_warc_cut_inside_a_record_header_is_truncated(tmp_path: Path) -> None:
    """A WARC that ends inside a record's headers is truncated, with no Python internals."""
    records = [("response", f"https://a.example/{n}", news_page([STORY]), {}) for n in range(2)]
    path = write_warc(tmp_path / "a.warc", records)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"WARC-Target-URI") + len(b"WARC-Targ")])

    loaded = load_documents(path, on_error="skip")

    assert [doc.id for doc in loaded.documents] == ["https://a.example/0"]
    assert loaded.skipped == (
        Skipped(
            str(path),
            None,
            "is truncated or damaged after 2 records (a record without its WARC-Type or "
            "Content-Length header); check that it is complete",
        ),
    )


def test_empty_warc_file_is_skipped_as_empty(tmp_path: Path) -> None:
    """A zero-byte .warc file is Skipped with reason 'empty'."""
    path = write_page(tmp_path / "a.warc", b"")

    assert load_documents(path).skipped == (Skipped(str(path), None, "empty"),)


def test_warc_in_a_folder_is_read(tmp_path: Path) -> None:
    """A .warc.gz below a folder is read like one given directly."""
    (tmp_path / "crawls").mkdir()
    crawl(tmp_path / "crawls" / "crawl.warc.gz")

    docs = load_documents(tmp_path).documents

    assert [doc.id for doc in docs] == [
        "https://harbourpost.example/bridge",
        "https://eveningstar.example/tram",
    ]


def test_same_page_in_two_warcs_is_a_duplicate_naming_the_first(tmp_path: Path) -> None:
    """The same URI in two archives is a duplicate id, and the message says what to do."""
    first = crawl(tmp_path / "one.warc.gz")
    second = crawl(tmp_path / "two.warc.gz")

    with pytest.raises(InputError) as raised:
        load_documents([first, second])

    assert str(raised.value) == (
        f"{second}: duplicate id 'https://harbourpost.example/bridge' (first seen in {first}); "
        "the same page was captured in two archives; pass --on-error skip to keep the first"
    )


def test_page_with_the_id_of_a_record_read_before_is_no_capture_in_two_archives(
    tmp_path: Path,
) -> None:
    """A WARC page whose URI a JSON Lines record had as its id is skipped saying to choose
    another id field for the records (it said the page was captured in two archives)."""
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"id": "https://harbourpost.example/bridge", "text": STORY}) + "\n",
        encoding="utf-8",
    )
    archive = crawl(tmp_path / "crawl.warc.gz")

    loaded = load_documents([records, archive], on_error="skip")

    assert [doc.id for doc in loaded.documents] == [
        "https://harbourpost.example/bridge",
        "https://eveningstar.example/tram",
    ]
    assert loaded.skipped == (
        Skipped(
            str(archive),
            None,
            f"duplicate id 'https://harbourpost.example/bridge' (first seen in {records} line 1); "
            "a page's id is its URI: pass --id-field to choose another id field for the records",
        ),
    )


def test_same_page_in_two_warcs_skipped_says_the_first_is_kept(tmp_path: Path) -> None:
    """With --on-error skip, the later capture of a page is listed as skipped saying the first is
    kept (it said to pass --on-error skip, as in fail mode)."""
    first = crawl(tmp_path / "one.warc.gz")
    second = crawl(tmp_path / "two.warc.gz")

    result = CliRunner().invoke(
        cli,
        ["report", str(first), str(second), "--on-error", "skip", "--format", "json", "-j", "1"],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == [
        {
            "input": str(second),
            "line": None,
            "reason": f"duplicate id {uri!r} (first seen in {first}); the same page was captured "
            "in two archives; the first is kept",
        }
        for uri in ("https://harbourpost.example/bridge", "https://eveningstar.example/tram")
    ]


def response_record(number: int, uri: str, block: bytes) -> bytes:
    """A WARC response record written by hand (warcio's writer leaves an empty
    WARC-Target-URI header out, and gives a response HTTP headers of its own)."""
    return (
        (
            f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Date: 2024-05-04T10:00:00Z\r\n"
            f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{number:012d}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(block)}\r\n\r\n"
        ).encode()
        + block
        + b"\r\n\r\n"
    )


def test_warc_responses_that_are_no_http_pages_are_counted_by_why(tmp_path: Path) -> None:
    """A response with an empty WARC-Target-URI is counted as without a target URI, one with no
    content as empty, one to an ftp URI as non-HTTP (the first two were counted as non-HTTP
    responses)."""
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + news_page([STORY]).encode()
    path = tmp_path / "crawl.warc"
    path.write_bytes(
        response_record(1, "https://harbourpost.example/bridge", page)
        + response_record(2, "", page)
        + response_record(3, "https://harbourpost.example/empty", b"")
        + response_record(4, "ftp://harbourpost.example/bridge.html", page)
    )

    result = CliRunner().invoke(cli, ["report", str(path), "--format", "json", "-j", "1"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [document["id"] for document in report["documents"]] == [
        "https://harbourpost.example/bridge"
    ]
    assert report["notices"] == [
        {
            "input": str(path),
            "line": None,
            "message": WARC_PASSED_OVER.format(
                total=3,
                records=4,
                details="1 to a non-HTTP URI, 1 with no content, 1 without a target URI",
            ),
        }
    ]


@pytest.mark.parametrize("on_error", ["fail", "skip"])
@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_records_without_a_target_uri_header_are_passed_over(
    tmp_path: Path, name: str, on_error: str
) -> None:
    """A response or request record with no WARC-Target-URI header at all is counted as without a
    target URI, as one with an empty URI is, and the records after it are read (warcio failed
    on it: the file was reported damaged there and the rest of it lost)."""
    path = write_warc(
        tmp_path / name,
        [
            ("response", "https://harbourpost.example/bridge", news_page([STORY]), {}),
            request(""),
            ("response", "", news_page([RESCUE]), {}),
            ("response", "https://eveningstar.example/rowing", news_page([ROWING]), {}),
        ],
    )
    data = path.read_bytes()
    assert (gzip.decompress(data) if name.endswith(".gz") else data).count(b"Target-URI") == 2

    loaded = load_documents(path, on_error=on_error)

    assert [document.id for document in loaded.documents] == [
        "https://harbourpost.example/bridge",
        "https://eveningstar.example/rowing",
    ]
    assert loaded.skipped == ()
    assert loaded.notices == (
        Notice(
            str(path),
            None,
            WARC_PASSED_OVER.format(
                total=3,
                records=5,
                details="2 of other record types (1 request, 1 warcinfo), 1 without a target URI",
            ),
        ),
    )


# The command on saved news pages


def test_report_on_a_warc_finds_the_copied_story(tmp_path: Path) -> None:
    """`wiretrace report crawl.warc.gz` finds the story the Evening Star took from the Post."""
    path = crawl(tmp_path / "crawl.warc.gz")

    result = CliRunner().invoke(cli, ["report", str(path), "--format", "json", "--jobs", "1"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["documents"] == 2
    assert report["summary"]["notices"] == 1
    (pair,) = report["pairs"]
    assert (pair["source"], pair["target"], pair["direction"]) == (
        "https://harbourpost.example/bridge",
        "https://eveningstar.example/tram",
        "published",
    )
    assert "Kessel Street Bridge gave way" in pair["passages"][0]["source_text"]


def test_report_offsets_point_into_the_extracted_article_text(tmp_path: Path) -> None:
    """For web pages, passage offsets slice the article text as extracted, not the HTML."""
    write_page(tmp_path / "post.html", news_page([STORY, MAYOR]))
    write_page(tmp_path / "star.html", news_page([ROWING, STORY], site="Evening Star"))

    result = CliRunner().invoke(cli, ["report", str(tmp_path), "--format", "json", "-j", "1"])

    report = json.loads(result.stdout)
    docs = {doc.id: doc for doc in load_documents(tmp_path).documents}
    passage = report["pairs"][0]["passages"][0]
    source = docs[report["pairs"][0]["source"]]
    assert source.text[passage["source_start"] : passage["source_end"]] == passage["source_text"]
    assert STORY[:60] in passage["source_text"]


def test_gzip_helper_writes_real_gzip(tmp_path: Path) -> None:
    """The test helper writes a gzipped WARC for a .gz name (guards the other tests)."""
    path = crawl(tmp_path / "crawl.warc.gz")

    with gzip.open(path, "rb") as stream:
        assert stream.read(5) == b"WARC/"


def test_document_read_from_html_is_a_plain_document(tmp_path: Path) -> None:
    """A page read from disk is an ordinary Document (no HTML kept)."""
    path = write_page(tmp_path / "a.html", news_page([STORY], published=None))

    (doc,) = load_documents(path).documents

    assert isinstance(doc, Document) and "<p>" not in doc.text

"""Saved web pages and web archives for the tests, built from fictional news written for them.

Outlets, places and people are invented (the same fictional city as the demo corpus); no real
page is used. `news_page` wraps article paragraphs in the navigation, related links and footer
a news site adds, so tests can check that only the article is read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

STORY = (
    "A section of the Kessel Street Bridge gave way during the morning rush hour in the port "
    "city of Halvergate on Saturday, sending at least 14 vehicles and a crowded tram into the "
    "Senna river. Officials said the city had closed the crossing to heavy goods vehicles in "
    "November after an inspection found corrosion in the main girders."
)
RESCUE = (
    "Rescue teams worked through the night to pull survivors from the water, the harbour master "
    "said, and divers searched the riverbed near the eastern pier until dawn on Sunday."
)
MAYOR = "Mayor Ilse Varen called it the darkest day in the city's modern history."
ROWING = (
    "The Dalmere rowing club won the national eights championship on the lake at Vissen on "
    "Sunday, beating the holders by two lengths in a strong crosswind that troubled every crew."
)

NAVIGATION = ["Home", "World", "Business", "Sport", "Weather", "Subscribe"]
RELATED = ["Tram fares to rise in spring", "Harbour festival draws record crowds"]
FOOTER = "Copyright 2024 {site}. All rights reserved. Contact the newsroom. Privacy policy."


def news_page(
    paragraphs: Iterable[str],
    *,
    site: str = "The Harbour Post",
    title: str = "Bridge collapses into the Senna",
    published: str | None = "2024-05-04T08:30:00+02:00",
    url: str | None = None,
    charset: str = "utf-8",
    extra_meta: str = "",
) -> str:
    """A news site's page: navigation, the article, related links and a footer."""
    meta = [f'<meta charset="{charset}">', f'<meta property="og:site_name" content="{site}">']
    if published is not None:
        meta.append(f'<meta property="article:published_time" content="{published}">')
    if url is not None:
        meta.append(f'<link rel="canonical" href="{url}">')
    navigation = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in NAVIGATION)
    related = "".join(f'<li><a href="/r{n}">{item}</a></li>' for n, item in enumerate(RELATED))
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>{"".join(meta)}{extra_meta}'
        f"<title>{title} | {site}</title></head>\n<body>"
        f"<header><nav><ul>{navigation}</ul></nav></header>\n"
        f"<main><article><h1>{title}</h1>{body}</article></main>\n"
        f'<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>\n'
        f"<footer><p>{FOOTER.format(site=site)}</p></footer></body></html>\n"
    )


def write_warc(
    path: Path,
    records: Iterable[tuple[str, str, bytes | str, dict[str, str]]],
    *,
    warcinfo: bool = True,
) -> Path:
    """Write a WARC file (gzipped when `path` ends in .gz) with warcio's own writer.

    Each record is (record type, target URI, payload, options); options are "status" (HTTP
    status line, default "200 OK"), "content_type" (default "text/html; charset=utf-8") and
    "date" (WARC-Date). A response gets HTTP headers; a request, resource or metadata record
    gets the content type as its WARC content type.
    """
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        if warcinfo:
            writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for record_type, uri, payload, options in records:
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            content_type = options.get("content_type", "text/html; charset=utf-8")
            headers = {"WARC-Date": options["date"]} if "date" in options else None
            if record_type == "response":
                http = StatusAndHeaders(
                    options.get("status", "200 OK"),
                    [("Content-Type", content_type)],
                    protocol="HTTP/1.1",
                )
                record = writer.create_warc_record(
                    uri,
                    "response",
                    payload=io.BytesIO(data),
                    http_headers=http,
                    warc_headers_dict=headers,
                )
            else:
                record = writer.create_warc_record(
                    uri,
                    record_type,
                    payload=io.BytesIO(data),
                    warc_content_type=content_type,
                    warc_headers_dict=headers,
                )
            writer.write_record(record)
    return path


def request(uri: str) -> tuple[str, str, bytes, dict[str, str]]:
    """The request record a crawler writes before a response."""
    return (
        "request",
        uri,
        b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
        {"content_type": "application/http; msgtype=request"},
    )

"""Web archives: every HTML page captured in a WARC (or WARC.gz) file becomes a document. The only
module that knows warcio."""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import attrs

from wiretrace.errors import EmptyInputError, InputError
from wiretrace.ingest.decode import (
    MAX_BYTES_PER_CHAR,
    Decoder,
    read_at_most,
    too_large,
    unreadable,
)
from wiretrace.ingest.fields import UNPARSED_DATE, normalize_date, shorten
from wiretrace.ingest.html import HTML_CONTENT_TYPES, read_page
from wiretrace.models import Document, Notice

WARC_SUFFIXES = (".warc", ".warc.gz")

_T = TypeVar("_T")
_WARC_MAGIC = b"WARC/"
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
_PAGE_TYPES = ("response", "resource")
_HTTP_SCHEMES = ("http:", "https:")
_TAIL_BYTES = 64
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")
_WARNING_START = re.compile(r"(?m)^\s*(?=WARNING)")
# Why a record is passed over: what it is (counted in the notice), and a detail, "" for none.
_Reason = tuple[str, str]
_NO_URI: _Reason = ("without a target URI", "")


def read_warc(
    path: Path, given: str, decoder: Decoder, max_chars: int
) -> Iterator[tuple[Document, str, None] | InputError | Notice]:
    """Yield a document for each HTML page a WARC file captured, in file order.

    A page is a ``response`` record with an HTTP 2xx status and an HTML content type, or a
    ``resource`` record with an HTML content type. Its id is the record's WARC-Target-URI; its
    text, title, outlet, URL and date come from the page (see `wiretrace.ingest.html`), the
    date falling back to the capture time (WARC-Date). Every other record, and a later capture
    of a URI already read, is passed over and counted in one `Notice` at the end. A page that
    cannot be read is an `InputError` whose reason names the record; a file that is not a WARC
    file, or is damaged, ends with an `InputError`.
    """
    try:
        with open(path, "rb") as stream:
            problem = _check_start(stream)
            if problem == "":
                yield EmptyInputError("empty", input=given)
                return
            if problem is not None:
                yield InputError(problem, input=given)
                return
            yield from _read_records(stream, path, given, decoder, max_chars)
    except OSError as error:
        yield unreadable(error, given)


def _check_start(stream: IO[bytes]) -> str | None:
    """Why the stream is not a WARC file ("" when it is empty, None when it starts like one).

    The stream is rewound.
    """
    head = stream.read(len(_WARC_MAGIC) * 8)
    if not head:
        return ""
    start = head
    if head.startswith(_GZIP_MAGIC):
        stream.seek(0)
        try:
            with gzip.GzipFile(fileobj=stream) as unzipped:
                start = unzipped.read(len(_WARC_MAGIC))
        except _GZIP_ERRORS as error:
            return (
                f"is not a valid gzip file ({shorten(str(error))}); check that it is complete, "
                "or decompress it and pass the plain .warc file"
            )
    stream.seek(0)
    if not start.startswith(_WARC_MAGIC):
        return (
            f"is not a WARC file (it starts with {shorten(start[: len(_WARC_MAGIC)])}, "
            "not b'WARC/'); check that it is a web archive"
        )
    return None


def _read_records(
    stream: IO[bytes], path: Path, given: str, decoder: Decoder, max_chars: int
) -> Iterator[tuple[Document, str, None] | InputError | Notice]:
    passed_over: Counter[_Reason] = Counter()
    seen: set[str] = set()
    warnings: list[str] = []
    archive = _archive(stream)
    records = _quietly(lambda: iter(archive), warnings)
    count = 0
    previous: Any = None
    while True:
        try:
            record = _quietly(lambda: next(records, None), warnings)
        except Exception as error:  # noqa: BLE001 - warcio raises anything on damaged input
            yield InputError(_damaged(error, count), input=given)
            break
        # warcio reads a record's remaining bytes when moving to the next one, and ends a file
        # that stops inside a record without complaint: the record's own length tells.
        if previous is not None and _bytes_missing(previous):
            yield _truncated_error(previous, given)
        previous = None
        if record is None:
            leftover = _leftover(path, archive, count)
            if leftover:
                yield InputError(
                    f"is truncated or damaged after {count} records ({leftover:,} bytes at its "
                    "end are not a whole record); check that it is complete",
                    input=given,
                )
            break
        if not record.rec_type or record.rec_headers.get_header("Content-Length") is None:
            # What warcio makes of a file that stops inside a record's headers.
            yield InputError(
                f"is truncated or damaged after {count} records (a record without its "
                "WARC-Type or Content-Length header); check that it is complete",
                input=given,
            )
            break
        count += 1
        uri, content_type, why_not = _classify(record)
        if why_not is None and uri in seen:
            why_not = ("repeating a page already read", "")
        if why_not is not None or uri is None:
            passed_over[why_not or _NO_URI] += 1
            previous = record
            continue
        seen.add(uri)
        yield from _read_page_record(record, uri, content_type, given, decoder, max_chars, warnings)
    if passed_over:
        yield Notice(input=given, line=None, message=_passed_over_message(passed_over, count))
    if warnings:
        yield Notice(
            input=given,
            line=None,
            message=(
                f"the WARC reader warned {len(warnings)} time(s), first: "
                f"{shorten(warnings[0], 120)}; some records may be damaged"
            ),
        )


def _archive(stream: IO[bytes]) -> Any:
    """warcio's iterator over the records of `stream`, reading a record with no WARC-Target-URI
    header as one with an empty URI: warcio's own loader fails on it (it looks for an http(s)
    scheme in None), ending the file there."""
    from warcio.archiveiterator import ArchiveIterator  # imported when first needed

    archive = ArchiveIterator(stream)
    load_http_headers = archive.loader.load_http_headers

    def load_http_headers_of_any_uri(
        record_type: str, uri: str | None, record_stream: Any, length: int | None
    ) -> Any:
        return load_http_headers(record_type, uri or "", record_stream, length)

    archive.loader.load_http_headers = load_http_headers_of_any_uri
    return archive


def _damaged(error: Exception, count: int) -> str:
    """Why the records after the first `count` cannot be read, from warcio's error."""
    after = f"after {count} record{'' if count == 1 else 's'}"
    if "non-chunked gzip" in str(error):
        return (
            f"is gzipped as one whole file, so it cannot be read {after}; a .warc.gz needs each "
            "record gzipped on its own: fix it with `warcio recompress FILE NEW_FILE`, or "
            "decompress it and pass the plain .warc file"
        )
    if type(error).__name__ == "ArchiveLoadFailed":
        return (
            f"is not a valid WARC file {after} ({shorten(str(error))}); check that it is complete"
        )
    # Any other error is warcio tripping over a record cut short or malformed.
    return (
        f"is truncated or damaged {after} (the next record's headers cannot be read); "
        "check that it is complete"
    )


def _leftover(path: Path, archive: Any, count: int) -> int:
    """How many bytes after the last record warcio read are more than blank lines.

    warcio ends a file that stops inside a record's headers as if it ended cleanly.
    """
    end = archive.get_record_offset() + archive.get_record_length() if count else 0
    with open(path, "rb") as stream:
        size = stream.seek(0, io.SEEK_END)
        stream.seek(end)
        tail = stream.read(_TAIL_BYTES)
    return size - end if tail.strip(b"\r\n") else 0


def _bytes_missing(record: Any) -> int:
    """How many bytes of the record's declared length the file did not have (once read)."""
    return max(0, int(getattr(record.raw_stream, "limit", 0) or 0))


def _truncated_error(record: Any, given: str) -> InputError:
    uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_type
    return _record_error(
        uri,
        f"ends {_bytes_missing(record):,} bytes short of its length; the archive is truncated "
        "or damaged, check that it is complete",
        given,
    )


def _classify(record: Any) -> tuple[str | None, str | None, _Reason | None]:
    """(target URI, content type, why the record is not a page: None when it is one)."""
    uri = record.rec_headers.get_header("WARC-Target-URI")
    if record.rec_type not in _PAGE_TYPES:
        return uri, None, ("of other record types", record.rec_type)
    if record.rec_type == "response":
        headers = record.http_headers
        # warcio reads the HTTP headers of a response only to an http(s) URI, with content.
        if headers is None and not uri:
            return uri, None, _NO_URI
        if headers is None and not uri.startswith(_HTTP_SCHEMES):
            return uri, None, ("to a non-HTTP URI", "")
        if headers is None:
            return uri, None, ("with no content", "")
        status = headers.get_statuscode() or "?"
        if not status.startswith("2"):
            return uri, None, ("with a non-2xx status", f"HTTP {status[:20]}")
        content_type = headers.get_header("Content-Type")
    else:
        content_type = record.rec_headers.get_header("Content-Type")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in HTML_CONTENT_TYPES:
        return uri, content_type, ("not HTML", mime or "no content type")
    if not uri:
        return None, content_type, _NO_URI
    return uri, content_type, None


def _read_page_record(
    record: Any,
    uri: str,
    content_type: str | None,
    given: str,
    decoder: Decoder,
    max_chars: int,
    warnings: list[str],
) -> Iterator[tuple[Document, str, None] | InputError | Notice]:
    cap = max_chars * MAX_BYTES_PER_CHAR
    length = record.length or 0
    if length > cap:
        yield _record_error(uri, too_large(f"{length:,} bytes", max_chars), given)
        return
    try:
        # content_stream() undoes chunking and Content-Encoding, so a page can grow here.
        raw = _quietly(lambda: read_at_most(record.content_stream(), cap + 1), warnings)
    except Exception as error:  # noqa: BLE001 - warcio raises anything on damaged input
        yield _record_error(
            uri, f"cannot be read ({type(error).__name__}: {shorten(str(error))})", given
        )
        return
    if len(raw) > cap:
        yield _record_error(uri, too_large(f"more than {cap:,} bytes", max_chars), given)
        return
    if _bytes_missing(record):
        yield _truncated_error(record, given)
        return
    capture_date = record.rec_headers.get_header("WARC-Date")
    captured = normalize_date(capture_date)
    try:
        document, notices = read_page(
            raw,
            decoder,
            document_id=uri,
            input=given,
            max_chars=max_chars,
            url=uri,
            content_type=content_type,
            fallback_published=captured,
        )
    except InputError as error:
        yield _record_error(uri, error.reason, given, type(error))
        return
    for notice in notices:
        yield attrs.evolve(notice, message=f"record {uri}: {notice.message}")
    if document.published is None and capture_date and captured is None:
        message = f"record {uri}: WARC-Date {shorten(capture_date)} {UNPARSED_DATE}"
        yield Notice(input=given, line=None, message=message)
    yield document, given, None


def _record_error(
    uri: str, reason: str, given: str, kind: type[InputError] = InputError
) -> InputError:
    return kind(f"record {uri}: {reason}", input=given)


def _passed_over_message(counts: Counter[_Reason], records: int) -> str:
    """The notice counting the records passed over by why, most first: "3 of other record types
    (2 request, 1 warcinfo), 1 not HTML (image/png)"."""
    reasons: dict[str, Counter[str]] = {}
    for (why, detail), number in counts.items():
        reasons.setdefault(why, Counter())[detail] += number
    parts = []
    for why, details in sorted(reasons.items(), key=lambda kv: (-kv[1].total(), kv[0])):
        part = f"{details.total()} {why}"
        if len(details) == 1 and "" not in details:
            part += f" ({next(iter(details))})"
        elif len(details) > 1:
            part += f" ({_counted(details)})"
        parts.append(part)
    return (
        f"passed over {sum(counts.values())} of its {records} records: {', '.join(parts)}; only "
        "HTML responses with a 2xx status and HTML resource records become documents"
    )


def _counted(counts: Counter[str]) -> str:
    """The counts, most first: "2 request, 1 warcinfo"."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{number} {what}" for what, number in ordered)


def _quietly(call: Callable[[], _T], warnings: list[str]) -> _T:
    """`call()`, keeping what it writes to stderr (warcio writes warnings there) in `warnings`.

    The library never prints; swapping sys.stderr affects the whole process, so it is done only
    around warcio's own calls.
    """
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stderr(buffer):
            return call()
    finally:
        # Terminal control sequences (a progress display refreshing meanwhile) are not warnings.
        text = _CONTROL.sub("", buffer.getvalue())
        warnings.extend(
            " ".join(part.split()) for part in _WARNING_START.split(text) if part.strip()
        )

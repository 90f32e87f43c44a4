"""Bad input never crashes and never vanishes: one-line errors in fail mode, every skip listed."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import json_values, mixed_encoding_lines, nested_json, record_like
from webpages import MAYOR, RESCUE, STORY, news_page, request, write_warc
from wiretrace.cli import cli
from wiretrace.ingest import load_documents
from wiretrace.models import Notice, Report, Skipped
from wiretrace.report import render_json, render_text

READS = (
    "wiretrace reads .txt, .md, .html, .htm, .jsonl, .ndjson, .csv and .warc files "
    "(.jsonl, .ndjson and .warc also gzipped)"
)
ENCODING_FIX = "pass --encoding to name its encoding (e.g. --encoding cp1252)"
HOSTILE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", *args, "--jobs", "1"], prog_name="wiretrace")


def report_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_fails_with(path: Path | str, message: str, *options: str) -> None:
    """In fail mode: exit 1, nothing on stdout, exactly one line on stderr."""
    result = run(str(path), *options)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {message}\n"


def assert_skips_with(path: Path | str, entry: dict[str, Any], *options: str) -> None:
    """In skip mode: exit 0 and the input listed in `skipped` and counted in the summary."""
    report = report_json(str(path), "--on-error", "skip", *options)
    assert report["skipped"] == [entry]
    assert report["summary"]["skipped"] == 1


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder, so messages show short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Each kind of bad input, with its exact message in both modes


def test_invalid_utf8(cwd: Path) -> None:
    """Text that is not UTF-8 names the byte, its offset and --encoding."""
    Path("latin1.txt").write_bytes("Un café au lait.".encode("cp1252"))
    reason = f"is not valid UTF-8 text (byte 0xe9 at offset 6); {ENCODING_FIX}"

    assert_fails_with("latin1.txt", f"latin1.txt: {reason}")
    assert_skips_with("latin1.txt", {"input": "latin1.txt", "line": None, "reason": reason})


def test_invalid_utf8_line_of_jsonl(cwd: Path) -> None:
    """A JSON Lines line that is not UTF-8 is named by its line."""
    Path("a.jsonl").write_bytes(b'{"id": "1", "text": "one"}\n{"id": "2", "text": "caf\xe9"}\n')
    reason = f"is not valid UTF-8 text (byte 0xe9 at offset 51); {ENCODING_FIX}"

    assert_fails_with("a.jsonl", f"a.jsonl line 2: {reason}")
    assert_skips_with("a.jsonl", {"input": "a.jsonl", "line": 2, "reason": reason})


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        ("report.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        ("dump.jsonl", gzip.compress(b'{"id": 1}\n'), "gzip data"),
        ("export.csv", b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive or an Office document"),
        ("page.html", b"<html>\x00\x01\x02</html>", "a NUL byte at offset 6"),
        ("picture.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
    ],
)
def test_binary_file(cwd: Path, name: str, data: bytes, what: str) -> None:
    """A binary file says what it looks like and which files wiretrace reads."""
    Path(name).write_bytes(data)
    reason = f"looks like a binary file ({what}); {READS}"

    assert_fails_with(name, f"{name}: {reason}")
    assert_skips_with(name, {"input": name, "line": None, "reason": reason})


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.jsonl", b'{"id": "1", "text": "One."}\n\x00\x01\n{"id": "3", "text": "Three."}\n'),
        ("a.csv", b"id,text\n1,One.\n2,T\x00wo.\n3,Three.\n"),
    ],
)
def test_nul_byte_near_the_start_costs_only_its_line(cwd: Path, name: str, data: bytes) -> None:
    """A NUL byte after a first line of text is bad input on its line, not a binary file."""
    Path(name).write_bytes(data)
    line = 2 if name == "a.jsonl" else 3
    reason = "holds a NUL byte, which text never holds; remove it"

    assert_fails_with(name, f"{name} line {line}: {reason}")
    report = report_json(name, "--on-error", "skip")
    assert report["skipped"] == [{"input": name, "line": line, "reason": reason}]
    assert [doc["id"] for doc in report["documents"]] == ["1", "3"]


def test_malformed_json_line(cwd: Path) -> None:
    """A line that is not JSON names the line and the column."""
    Path("a.jsonl").write_text('{"id": "1", "text": "one"}\n{"id": "2", "text": \n')
    reason = "is not valid JSON (Expecting value at column 21)"

    assert_fails_with("a.jsonl", f"a.jsonl line 2: {reason}")
    assert_skips_with("a.jsonl", {"input": "a.jsonl", "line": 2, "reason": reason})


def test_json_error_ending_in_at_is_not_doubled(cwd: Path) -> None:
    """A message that ends in "at" is followed by the column, not by a second "at"."""
    Path("a.jsonl").write_text('{"id": "1", "text": "never closed}\n')
    reason = "is not valid JSON (Unterminated string starting at column 21)"

    assert_fails_with("a.jsonl", f"a.jsonl line 1: {reason}")


def test_json_number_too_long_says_so(cwd: Path) -> None:
    """A number of thousands of digits is named plainly, not by how Python's limit is raised."""
    Path("a.jsonl").write_text('{"id": "1", "text": "A story.", "n": ' + "9" * 5000 + "}\n")
    reason = "is not valid JSON (a number has more than 4,300 digits; write it as a string, or shorten it)"

    assert_fails_with("a.jsonl", f"a.jsonl line 1: {reason}")
    assert_skips_with("a.jsonl", {"input": "a.jsonl", "line": 1, "reason": reason})


def test_deeply_nested_json_line(cwd: Path) -> None:
    """A line nested deeper than Python can parse is malformed JSON, not a crash."""
    Path("a.jsonl").write_text('{"id": "1", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    reason = (
        "is not valid JSON (maximum recursion depth exceeded while decoding a JSON array from a "
        "unicode string)"
    )

    assert_fails_with("a.jsonl", f"a.jsonl line 1: {reason}")
    assert_skips_with("a.jsonl", {"input": "a.jsonl", "line": 1, "reason": reason})


def test_csv_row_with_text_after_a_closing_quote_costs_only_its_row(cwd: Path) -> None:
    """A row with text after its closing quote is bad; the rows after it are read."""
    Path("a.csv").write_text('id,text\na,"quoted"junk after\nb,"Fine text."\nc,More text.\n')
    reason = "is not valid CSV (',' expected after '\"'); check the quoting of this row"

    assert_fails_with("a.csv", f"a.csv line 2: {reason}")
    report = report_json("a.csv", "--on-error", "skip")
    assert report["skipped"] == [{"input": "a.csv", "line": 2, "reason": reason}]
    assert [doc["id"] for doc in report["documents"]] == ["b", "c"]


UNCLOSED_QUOTE = (
    'is not valid CSV (a quote opened in this row is never closed); close it, or double it ("") '
    "where it is part of the text; the rest of the file (lines 2-4) was not read"
)


@pytest.mark.parametrize("options", [(), ("--max-document-chars", "10")])
def test_csv_quote_never_closed_says_the_rest_was_not_read(
    cwd: Path, options: tuple[str, ...]
) -> None:
    """A quote left open names the lines it swallowed, whatever the size limit, not the limit."""
    Path("a.csv").write_text('id,text\na,"never closed\nb,A text of some words.\nc,More.\n')

    assert_fails_with("a.csv", f"a.csv line 2: {UNCLOSED_QUOTE}", *options)
    assert_skips_with("a.csv", {"input": "a.csv", "line": 2, "reason": UNCLOSED_QUOTE}, *options)


def test_csv_row_over_the_limit_in_a_closed_quote_is_read_past(cwd: Path) -> None:
    """A quoted field of many lines over the limit is too large; the rows after it are read."""
    lines = "\n".join(letter * 30 for letter in "abc")
    Path("a.csv").write_text(f'id,text\n1,"{lines}"\n2,Fine.\n')
    reason = (
        "is too large (a row of more than 60 characters, lines 2-4; the limit is 10 characters); "
        "pass --max-document-chars to raise the limit"
    )

    report = report_json("a.csv", "--on-error", "skip", "--max-document-chars", "10")

    assert report["skipped"] == [{"input": "a.csv", "line": 2, "reason": reason}]
    assert [doc["id"] for doc in report["documents"]] == ["2"]


def test_missing_text_field(cwd: Path) -> None:
    """A record without a text field lists its fields and suggests --text-field."""
    Path("a.csv").write_text("id,story\n1,A story.\n")
    reason = (
        "field 'text' is missing (found fields: id, story); "
        "pass --text-field to name the field that holds the article body"
    )

    assert_fails_with("a.csv", f"a.csv line 2: {reason}")
    assert_skips_with("a.csv", {"input": "a.csv", "line": 2, "reason": reason})


def test_field_names_with_line_breaks_stay_on_one_line(cwd: Path) -> None:
    """Field names holding line breaks are quoted, so the message stays one line."""
    Path("a.jsonl").write_text(json.dumps({"id": "1", "a\nb": "x"}) + "\n")

    assert_fails_with(
        "a.jsonl",
        "a.jsonl line 1: field 'text' is missing (found fields: id, 'a\\nb'); "
        "pass --text-field to name the field that holds the article body",
    )


def test_unreadable_file(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the system will not let us read names the system's reason and what to check."""
    Path("locked.txt").write_text("A story.")

    def refuse(path: Any, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("wiretrace.ingest.readers.open", refuse, raising=False)
    reason = "cannot be read (Permission denied); check that it exists and that you may read it"

    assert_fails_with("locked.txt", f"locked.txt: {reason}")
    assert_skips_with("locked.txt", {"input": "locked.txt", "line": None, "reason": reason})


def test_broken_link_in_a_folder_is_unreadable(cwd: Path) -> None:
    """A link to a file that is gone, inside a folder, is an unreadable file."""
    Path("in").mkdir()
    os.symlink(cwd / "gone.txt", cwd / "in" / "story.txt")
    reason = (
        "cannot be read (No such file or directory); check that it exists and that you may read it"
    )

    assert_fails_with("in", f"{os.path.join('in', 'story.txt')}: {reason}")


def test_empty_documents_are_listed_in_both_modes(cwd: Path) -> None:
    """Empty files and records are listed with reason 'empty' and never stop the run."""
    Path("blank.txt").write_text("  \n")
    Path("a.jsonl").write_text('{"id": "1", "text": ""}\n{"id": "2", "text": "Some text."}\n')

    for mode in ("fail", "skip"):
        report = report_json("blank.txt", "a.jsonl", "--on-error", mode)
        assert report["skipped"] == [
            {"input": "blank.txt", "line": None, "reason": "empty"},
            {"input": "a.jsonl", "line": 1, "reason": "empty"},
        ]
        assert report["summary"]["documents"] == 1


def test_empty_folder_is_listed_in_both_modes(cwd: Path) -> None:
    """A folder with no files is listed as 'empty', like an empty file, and never stops the run."""
    Path("in").mkdir()
    Path("a.txt").write_text("Some text.")

    for mode in ("fail", "skip"):
        report = report_json("in", "a.txt", "--on-error", mode)
        assert report["skipped"] == [{"input": "in", "line": None, "reason": "empty"}]
        assert report["summary"]["documents"] == 1


def test_page_without_article_is_listed_in_both_modes(cwd: Path) -> None:
    """A web page with no article text is listed as skipped and never stops the run."""
    Path("index.html").write_text("<html><head><title>Index</title></head><body></body></html>")

    for mode in ("fail", "skip"):
        report = report_json("index.html", "--on-error", mode)
        assert report["skipped"] == [
            {"input": "index.html", "line": None, "reason": "no article text found"}
        ]


def test_document_over_the_limit(cwd: Path) -> None:
    """A document longer than --max-document-chars names its size, the limit and the option."""
    Path("long.txt").write_text("word " * 30)
    reason = (
        "is too large (150 characters; the limit is 100 characters); "
        "pass --max-document-chars to raise the limit"
    )

    assert_fails_with("long.txt", f"long.txt: {reason}", "--max-document-chars", "100")
    assert_skips_with(
        "long.txt",
        {"input": "long.txt", "line": None, "reason": reason},
        "--max-document-chars",
        "100",
    )


def test_huge_jsonl_line_is_read_past_not_held(cwd: Path) -> None:
    """A line longer than any document within the limit is rejected by its size; later lines read."""
    huge = json.dumps({"id": "huge", "text": "word " * 200_000})
    Path("a.jsonl").write_text(huge + "\n" + json.dumps({"id": "2", "text": "Fine."}) + "\n")
    reason = (
        f"is too large (a line of {len(huge) + 1:,} bytes; the limit is 1,000 characters); "
        "pass --max-document-chars to raise the limit"
    )

    assert_fails_with("a.jsonl", f"a.jsonl line 1: {reason}", "--max-document-chars", "1000")
    report = report_json("a.jsonl", "--on-error", "skip", "--max-document-chars", "1000")
    assert report["skipped"] == [{"input": "a.jsonl", "line": 1, "reason": reason}]
    assert [doc["id"] for doc in report["documents"]] == ["2"]


def test_max_document_chars_must_be_positive(cwd: Path) -> None:
    """--max-document-chars 0 is a usage error (exit 2)."""
    Path("a.txt").write_text("A story.")

    assert run("a.txt", "--max-document-chars", "0").exit_code == 2


def test_lone_surrogate_escape(cwd: Path) -> None:
    """A \\u escape of half a surrogate pair is bad input, not a crash when writing the report."""
    Path("a.jsonl").write_text('{"id": "1", "text": "half \\ud83d of a smile"}\n')
    reason = (
        "holds a lone surrogate escape (\\ud83d), which is not valid Unicode; correct or remove it"
    )

    assert_fails_with("a.jsonl", f"a.jsonl line 1: {reason}")
    assert_skips_with("a.jsonl", {"input": "a.jsonl", "line": 1, "reason": reason})


def test_unsupported_file_named_directly(cwd: Path) -> None:
    """A text file of a kind wiretrace does not read says which kinds it reads."""
    Path("feed.xml").write_text("<rss/>")

    assert_fails_with("feed.xml", f"feed.xml: is not a supported input; {READS}")


def test_json_file_gets_the_json_lines_hint(cwd: Path) -> None:
    """A .json file is told to be named .jsonl if it holds JSON Lines."""
    Path("a.json").write_text('{"id": 1, "text": "x"}\n')

    assert_fails_with(
        "a.json",
        f"a.json: is not a supported input; {READS}; "
        "for JSON Lines (one JSON object per line) name the file .jsonl",
    )


def test_file_that_is_not_a_warc(cwd: Path) -> None:
    """A .warc file that is something else says what it starts with."""
    Path("crawl.warc").write_text("<html>saved page</html>")
    reason = (
        "is not a WARC file (it starts with b'<html', not b'WARC/'); check that it is a web archive"
    )

    assert_fails_with("crawl.warc", f"crawl.warc: {reason}")
    assert_skips_with("crawl.warc", {"input": "crawl.warc", "line": None, "reason": reason})


def test_utf16_with_byte_order_mark_is_read_without_encoding(cwd: Path) -> None:
    """A UTF-16 byte-order mark is honoured without --encoding."""
    Path("a.txt").write_bytes("Un café au lait.".encode("utf-16"))

    report = report_json("a.txt")

    assert (report["summary"]["documents"], report["documents"][0]["length"]) == (1, 16)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.jsonl", '{"id": "1", "text": "Un caf\u00e9."}\n'),
        ("a.csv", "id,text\n1,Un caf\u00e9.\n"),
    ],
)
def test_utf16_without_byte_order_mark_names_the_byte_order(
    cwd: Path, name: str, data: str
) -> None:
    """--encoding utf-16 on lines without a byte-order mark asks for the byte order."""
    Path(name).write_bytes(data.encode("utf-16-le"))
    reason = (
        "has no byte-order mark, which --encoding utf-16 needs to tell the byte order; "
        "pass --encoding utf-16-le"
    )

    assert_fails_with(name, f"{name}: {reason}", "--encoding", "utf-16")
    assert_skips_with(name, {"input": name, "line": None, "reason": reason}, "--encoding", "utf-16")
    assert report_json(name, "--encoding", "utf-16-le")["summary"]["documents"] == 1


@pytest.mark.parametrize(
    ("name", "codec", "nul"),
    [("a.jsonl", "utf-16-le", 1), ("a.txt", "utf-16-be", 0), ("a.csv", "utf-32-le", 1)],
)
def test_utf16_without_byte_order_mark_is_not_called_binary(
    cwd: Path, name: str, codec: str, nul: int
) -> None:
    """UTF-16 or UTF-32 text without a byte-order mark is named, with the --encoding to pass."""
    text = '{"id": "1", "text": "A story."}\n' if name != "a.csv" else "id,text\n1,A story.\n"
    Path(name).write_bytes(text.encode(codec))
    reason = (
        f"looks like {codec.upper()} text without a byte-order mark (a NUL byte at offset {nul}); "
        f"pass --encoding {codec}"
    )

    assert_fails_with(name, f"{name}: {reason}")


# A folder of every kind, in both modes


@pytest.fixture
def mixed(cwd: Path) -> Path:
    """A folder of good and bad files of every kind; bad names sort after the first good one."""
    folder = cwd / "mixed"
    (folder / "web").mkdir(parents=True)
    (folder / "a-good.txt").write_text(STORY + " " + MAYOR)
    (folder / "b-binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "c-empty.txt").write_text("\n")
    (folder / "d-latin1.txt").write_bytes("Un café au lait.".encode("cp1252"))
    os.symlink(cwd / "gone.txt", folder / "e-gone.txt")
    (folder / "f-records.jsonl").write_text(
        json.dumps({"id": "j1", "text": RESCUE, "date": "7/23/17"})
        + "\n{not json}\n"
        + json.dumps({"id": "j3", "story": "No text field."})
        + "\n"
        + json.dumps({"id": "j4", "text": STORY, "date": "someday"})
        + "\n"
    )
    (folder / "g-rows.csv").write_text(f'id,text\nc1,"{MAYOR}"\nc2,\n')
    (folder / "notes.pdf").write_bytes(b"%PDF-1.7\n\x00")
    (folder / "web" / "post.html").write_text(news_page([STORY, RESCUE]))
    (folder / "web" / "index.html").write_text("<html><body></body></html>")
    write_warc(
        folder / "web" / "crawl.warc.gz",
        [
            request("https://eveningstar.example/tram"),
            ("response", "https://eveningstar.example/tram", news_page([STORY]), {}),
        ],
    )
    return folder


def test_mixed_folder_fail_mode_stops_at_the_first_bad_file(mixed: Path) -> None:
    """In fail mode the first bad file (in path order) stops the run with one line."""
    path = os.path.join("mixed", "b-binary.txt")

    assert_fails_with("mixed", f"{path}: looks like a binary file (a PNG image); {READS}")


def test_mixed_folder_skip_mode_reports_everything(mixed: Path) -> None:
    """In skip mode every good document is read and every bad input is listed and counted."""
    report = report_json("mixed", "--on-error", "skip")

    def where(*parts: str) -> str:
        return os.path.join("mixed", *parts)

    assert [doc["id"] for doc in report["documents"]] == [
        "a-good.txt",
        "j1",
        "j4",
        "c1",
        "https://eveningstar.example/tram",
        "web/post.html",
    ]
    assert [(item["input"], item["line"], item["reason"][:30]) for item in report["skipped"]] == [
        (where("b-binary.txt"), None, "looks like a binary file (a PN"),
        (where("c-empty.txt"), None, "empty"),
        (where("d-latin1.txt"), None, "is not valid UTF-8 text (byte "),
        (where("e-gone.txt"), None, "cannot be read (No such file o"),
        (where("f-records.jsonl"), 2, "is not valid JSON (Expecting p"),
        (where("f-records.jsonl"), 3, "field 'text' is missing (found"),
        (where("g-rows.csv"), 3, "empty"),
        (where("web", "index.html"), None, "no article text found"),
    ]
    assert [(item["input"], item["line"]) for item in report["notices"]] == [
        ("mixed", None),
        (where("f-records.jsonl"), 4),
        (where("web", "crawl.warc.gz"), None),
    ]
    assert report["summary"] == {**report["summary"], "documents": 6, "skipped": 8, "notices": 3}
    assert report["pairs"]


def test_mixed_folder_notices(mixed: Path) -> None:
    """Files passed over, dates that cannot be parsed and WARC records passed over are noticed."""
    report = report_json("mixed", "--on-error", "skip")

    assert [item["message"] for item in report["notices"]] == [
        f"passed over 1 file it does not read (1 .pdf); {READS}",
        "published date 'someday' in field 'date' cannot be parsed; the document is read without "
        "a date (dates are read in ISO 8601, RFC 2822, M/D/YY or epoch seconds or milliseconds)",
        "passed over 2 of its 3 records: 2 of other record types (1 request, 1 warcinfo); only "
        "HTML responses with a 2xx status and HTML resource records become documents",
    ]


# Notices in the reports


def test_json_report_lists_and_counts_notices() -> None:
    """The JSON report has a 'notices' list and a count in the summary."""
    notice = Notice("a.jsonl", 3, "published date 'x' in field 'date' cannot be parsed")

    report = json.loads(render_json(Report(documents=(), pairs=(), notices=(notice,))))

    assert report["notices"] == [
        {"input": "a.jsonl", "line": 3, "message": notice.message},
    ]
    assert report["summary"]["notices"] == 1


def test_text_report_lists_notices_briefly() -> None:
    """The text report counts the notices and shows the first twenty."""
    notices = tuple(Notice("a.jsonl", line, "odd date") for line in range(1, 26))

    text = render_text(Report(documents=(), pairs=(), notices=notices))

    assert "0 skipped, 25 notices" in text.splitlines()[0]
    assert "  a.jsonl line 20: odd date" in text
    assert "  a.jsonl line 21: odd date" not in text
    assert "  ... and 5 more (the JSON report lists them all)" in text


def test_load_documents_returns_notices(tmp_path: Path) -> None:
    """load_documents carries notices in `Loaded.notices`, skips in `Loaded.skipped`."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "text": "t", "date": "soon"}\n{"id": "2", "text": ""}\n')

    loaded = load_documents(path)

    assert [notice.line for notice in loaded.notices] == [1]
    assert loaded.skipped == (Skipped(str(path), 2, "empty"),)


# Hostile inputs never give a traceback


def assert_handled(path: Path) -> None:
    """Both modes end with exit 0 or 1 and no uncaught exception; fail mode errors in one line."""
    for mode in ("fail", "skip"):
        result = run(str(path), "--on-error", mode, "--max-document-chars", "5000")
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            assert mode == "fail"
            assert result.stderr.startswith("Error: ")
            assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")


SUFFIXES = [".txt", ".md", ".html", ".jsonl", ".jsonl.gz", ".csv", ".warc", ".warc.gz"]


@HOSTILE
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    """Random bytes under any supported name are reported, never a traceback."""
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)

    assert_handled(path)


@HOSTILE
@given(lines=st.lists(json_values() | record_like(), max_size=8))
def test_random_json_lines(tmp_path: Path, lines: list[object]) -> None:
    """Any JSON values, one per line, are read or reported, never a traceback."""
    path = tmp_path / "input.jsonl"
    path.write_text("".join(json.dumps(value) + "\n" for value in lines), encoding="utf-8")

    assert_handled(path)


@HOSTILE
@given(rows=st.lists(st.lists(st.text(max_size=20), max_size=4), max_size=6))
def test_random_csv(tmp_path: Path, rows: list[list[str]]) -> None:
    """Any CSV cells (quotes, commas, line breaks) are read or reported, never a traceback."""
    path = tmp_path / "input.csv"
    path.write_text("\n".join(",".join(row) for row in rows), encoding="utf-8")

    assert_handled(path)


@HOSTILE
@given(line=nested_json())
def test_deeply_nested_json(tmp_path: Path, line: str) -> None:
    """JSON nested thousands deep is reported, never a RecursionError traceback."""
    path = tmp_path / "input.jsonl"
    path.write_text(line + "\n", encoding="utf-8")

    assert_handled(path)


@HOSTILE
@given(size=st.integers(5_000, 200_000), newline=st.booleans(), suffix=st.sampled_from(SUFFIXES))
def test_huge_lines(tmp_path: Path, size: int, newline: bool, suffix: str) -> None:
    """A single line longer than the limit is reported in every kind of file."""
    path = tmp_path / f"input{suffix}"
    body = json.dumps({"id": "1", "text": "w" * size}) + ("\n" if newline else "")
    data = body.encode("utf-8")
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)

    assert_handled(path)


@HOSTILE
@given(data=mixed_encoding_lines(), suffix=st.sampled_from([".txt", ".jsonl", ".csv", ".html"]))
def test_mixed_encodings(tmp_path: Path, data: bytes, suffix: str) -> None:
    """Lines in a mix of encodings are read or reported, never a traceback."""
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)

    assert_handled(path)


@HOSTILE
@given(
    paragraphs=st.lists(st.text(max_size=200), max_size=4),
    markup=st.sampled_from(["<div>", "</p>", "<table>", "<!--", "<script>", "&#0;", "<![CDATA["]),
)
def test_broken_html(tmp_path: Path, paragraphs: list[str], markup: str) -> None:
    """Pages with stray or unclosed markup and any text are read or reported, never a traceback."""
    path = tmp_path / "input.html"
    path.write_text(news_page([markup.join(paragraphs)]), encoding="utf-8", errors="surrogatepass")

    assert_handled(path)


@HOSTILE
@given(records=st.lists(st.tuples(st.binary(max_size=400), st.sampled_from(["200 OK", "500 X"]))))
def test_warc_of_random_pages(tmp_path: Path, records: list[tuple[bytes, str]]) -> None:
    """A WARC whose pages are random bytes is read or reported, never a traceback."""
    path = write_warc(
        tmp_path / "input.warc.gz",
        [
            ("response", f"https://x.example/{n}", payload, {"status": status})
            for n, (payload, status) in enumerate(records)
        ],
    )

    assert_handled(path)

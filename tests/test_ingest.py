"""Tests for the ingest stage: files and records in, `Document` and `Skipped` records out."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_data import shared_data
from wiretrace.errors import ConfigError, InputError
from wiretrace.ingest import FieldMap, Loaded, fields, load_documents, read_inputs, readers
from wiretrace.ingest.decode import MAX_MAX_DOCUMENT_CHARS, Decoder
from wiretrace.ingest.fields import document_from_mapping, normalize_date
from wiretrace.models import Document, Skipped

NEWS = shared_data() / "news"


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


# Folders and text files


def test_folder_reads_txt_and_md_recursively_in_sorted_order(tmp_path: Path) -> None:
    """A folder gives one document per .txt/.md file below it, ids relative with '/'."""
    (tmp_path / "susp").mkdir()
    (tmp_path / "src" / "deep").mkdir(parents=True)
    (tmp_path / "susp" / "suspicious-document00005.txt").write_text("five", encoding="utf-8")
    (tmp_path / "src" / "deep" / "b.md").write_text("bee", encoding="utf-8")
    (tmp_path / "a.txt").write_text("ay", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("ignored", encoding="utf-8")

    loaded = load_documents([tmp_path])

    assert [doc.id for doc in loaded.documents] == [
        "a.txt",
        "src/deep/b.md",
        "susp/suspicious-document00005.txt",
    ]
    assert [doc.text for doc in loaded.documents] == ["ay", "bee", "five"]


def test_folder_documents_have_no_metadata(tmp_path: Path) -> None:
    """Documents read from text files have no outlet, date or title."""
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")

    (doc,) = load_documents([tmp_path]).documents

    assert (doc.outlet, doc.published, doc.title, doc.url) == (None, None, None, None)


def test_folder_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    """Hidden files and folders (names starting with a dot) are passed over."""
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "copy.txt").write_text("copy", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / "seen.txt").write_text("seen", encoding="utf-8")

    assert [doc.id for doc in load_documents([tmp_path]).documents] == ["seen.txt"]


def test_folder_follows_links_to_folders(tmp_path: Path) -> None:
    """A link to a folder inside a folder is followed, its files named by the link's path."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("ay", encoding="utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "c.txt").write_text("see", encoding="utf-8")
    os.symlink(tmp_path / "real", tmp_path / "in" / "linked")

    loaded = load_documents([tmp_path / "in"])

    assert [doc.id for doc in loaded.documents] == ["c.txt", "linked/a.txt"]
    assert (loaded.skipped, loaded.notices) == ((), ())


def test_folder_reached_twice_is_read_once_with_a_notice(tmp_path: Path) -> None:
    """A loop of links, or a second link to a folder, is passed over with a notice naming it."""
    (tmp_path / "x" / "sub").mkdir(parents=True)
    (tmp_path / "x" / "sub" / "b.txt").write_text("bee", encoding="utf-8")
    os.symlink("..", tmp_path / "x" / "sub" / "loop")
    os.symlink("sub", tmp_path / "x" / "zlink")
    root = str(tmp_path / "x")

    loaded = load_documents([root])

    assert [doc.id for doc in loaded.documents] == ["sub/b.txt"]
    assert [(notice.input, notice.message) for notice in loaded.notices] == [
        (
            os.path.join(root, "zlink"),
            f"passed over: the same folder as {os.path.join(root, 'sub')}, which is read "
            "already (links to folders are followed, and each folder is read once)",
        ),
        (
            os.path.join(root, "sub", "loop"),
            f"passed over: the same folder as {root}, which is read already "
            "(links to folders are followed, and each folder is read once)",
        ),
    ]


def test_single_text_file_id_is_its_name(tmp_path: Path) -> None:
    """A .txt file given directly is one document whose id is the file name."""
    path = tmp_path / "story.txt"
    path.write_text("A story.\r\nSecond line.", encoding="utf-8")

    (doc,) = load_documents(path).documents

    assert (doc.id, doc.text) == ("story.txt", "A story.\r\nSecond line.")


def test_skipped_input_inside_folder_is_folder_joined_with_relative_path(tmp_path: Path) -> None:
    """A skipped file inside a folder is named by the folder path joined with its own path."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blank.txt").write_text("  \n", encoding="utf-8")

    loaded = load_documents([str(tmp_path)])

    assert loaded.skipped == (
        Skipped(os.path.join(str(tmp_path), "sub", "blank.txt"), None, "empty"),
    )


# JSON Lines and CSV


def test_jsonl_reads_records_in_order(tmp_path: Path) -> None:
    """Each line of a .jsonl file is one document, in file order."""
    path = write_jsonl(
        tmp_path / "a.jsonl", [{"id": "1", "text": "one"}, {"id": "2", "text": "two"}]
    )

    assert [doc.id for doc in load_documents(path).documents] == ["1", "2"]


def test_ndjson_is_read_as_json_lines(tmp_path: Path) -> None:
    """A .ndjson file is read like a .jsonl file."""
    path = write_jsonl(tmp_path / "a.ndjson", [{"id": "x", "text": "ex"}])

    assert load_documents(path).documents == (Document(id="x", text="ex"),)


def test_jsonl_gz_is_decompressed(tmp_path: Path) -> None:
    """A .jsonl.gz file is decompressed while read."""
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "g", "text": "zipped"}) + "\n")

    assert load_documents(path).documents == (Document(id="g", text="zipped"),)


def test_jsonl_blank_lines_are_ignored_and_lines_count_from_one(tmp_path: Path) -> None:
    """Blank lines are ignored but still counted in the 1-based line numbers."""
    path = tmp_path / "a.jsonl"
    path.write_text('\n{"id": "1", "text": "one"}\n   \n{"id": "2"}\n', encoding="utf-8")

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert raised.value.line == 4


def test_csv_reads_rows_with_header(tmp_path: Path) -> None:
    """A CSV file's header row names the fields of the rows below it."""
    path = tmp_path / "a.csv"
    path.write_text("id,text,outlet\n1,first text,Daily\n2,second,Weekly\n", encoding="utf-8")

    docs = load_documents(path).documents

    assert [(doc.id, doc.text, doc.outlet) for doc in docs] == [
        ("1", "first text", "Daily"),
        ("2", "second", "Weekly"),
    ]


def test_csv_line_is_the_physical_row_where_the_record_starts(tmp_path: Path) -> None:
    """A CSV record after a multi-line quoted field is reported at the line where it starts."""
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,"line one\nline two"\n2,"  "\n', encoding="utf-8")

    loaded = load_documents(path)

    assert loaded.documents[0].text == "line one\nline two"
    assert loaded.skipped == (Skipped(str(path), 4, "empty"),)


def test_csv_holds_fields_larger_than_the_default_limit(tmp_path: Path) -> None:
    """A CSV field longer than csv's default 128 KiB limit is read whole."""
    text = "word " * 40_000
    path = tmp_path / "a.csv"
    path.write_text(f"id,text\n1,{text}\n", encoding="utf-8")

    assert load_documents(path).documents[0].text == text


def test_csv_row_with_wrong_number_of_fields_is_an_error(tmp_path: Path) -> None:
    """A CSV row whose field count differs from the header's is an error on its line."""
    path = tmp_path / "a.csv"
    path.write_text("id,text\n1,one,extra\n", encoding="utf-8")

    with pytest.raises(InputError, match="has 3 fields but the header row has 2") as raised:
        load_documents(path)

    assert raised.value.line == 2


def test_csv_with_an_unclosed_quote_is_an_error(tmp_path: Path) -> None:
    """A quote left open is an error at its row, not a field swallowing the rest of the file."""
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,"unclosed\n2,more\n', encoding="utf-8")

    with pytest.raises(InputError, match="is not valid CSV") as raised:
        load_documents(path)

    assert raised.value.line == 2


@pytest.mark.parametrize("content", ["", "\n\n", "id,text\n"])
def test_csv_without_records_is_skipped_as_empty(tmp_path: Path, content: str) -> None:
    """A CSV file with no rows below the header, or none at all, is Skipped as 'empty'."""
    path = tmp_path / "a.csv"
    path.write_text(content, encoding="utf-8")

    assert load_documents(path).skipped == (Skipped(str(path), None, "empty"),)


def test_inputs_are_read_in_the_order_given(tmp_path: Path) -> None:
    """Documents come out input by input, in the order the inputs were given."""
    second = write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "text": "bee"}])
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "ay"}])

    assert [doc.id for doc in load_documents([second, first]).documents] == ["b", "a"]


def test_read_inputs_streams_documents(tmp_path: Path) -> None:
    """read_inputs yields the first document before reading the rest of the file."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "text": "one"}\nnot json\n', encoding="utf-8")

    first = next(iter(read_inputs([path])))

    assert first == Document(id="1", text="one")


def test_load_documents_returns_a_loaded_record(tmp_path: Path) -> None:
    """load_documents returns documents and skipped records as tuples."""
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "text": "one"}, {"id": "2", "text": ""}])

    loaded = load_documents(path)

    assert loaded == Loaded(
        documents=(Document(id="1", text="one"),), skipped=(Skipped(str(path), 2, "empty"),)
    )


# Field names


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"ID": "a", "body": "t"}, ("a", "t")),
        ({"_id": "a", "content": "t"}, ("a", "t")),
        ({"doc_id": "a", "article": "t"}, ("a", "t")),
        ({"article_id": "a", "full_text": "t"}, ("a", "t")),
    ],
)
def test_id_and_text_aliases_are_recognised(record: dict[str, str], expected: tuple) -> None:
    """The usual names for the id and the text are recognised without options."""
    doc = document_from_mapping(record)

    assert (doc.id, doc.text) == expected


@pytest.mark.parametrize(
    ("record", "outlet"),
    [
        ({"outlet": "O", "site_name": "S", "source": "R", "domain": "d.com"}, "O"),
        ({"site_name": "S", "source": "R", "domain": "d.com"}, "S"),
        ({"source": "R", "domain": "d.com"}, "R"),
        ({"domain": "d.com"}, "d.com"),
        ({"publisher": "P"}, "P"),
        ({"channel": "C"}, "C"),
    ],
)
def test_outlet_prefers_the_more_specific_name(record: dict[str, str], outlet: str) -> None:
    """Of several outlet names, outlet and site_name beat source, which beats domain."""
    assert document_from_mapping({"id": "1", "text": "t", **record}).outlet == outlet


@pytest.mark.parametrize(
    ("record", "published"),
    [
        ({"datetime": "2024-12-04T09:00:28+00:00", "date": "2024-12-04"}, "2024-12-04T09:00:28Z"),
        (
            {"date": "2019-11-01", "published_time": "2019-11-01T12:00:46+00:00"},
            "2019-11-01T12:00:46Z",
        ),
        ({"published": "2020-01-02", "datetime": "2020-01-03T00:00:00"}, "2020-01-02"),
        ({"published_at": "2020-01-02T03:04:05Z"}, "2020-01-02T03:04:05Z"),
        ({"pubdate": "2020-01-02"}, "2020-01-02"),
        ({"time": 1572609646}, "2019-11-01T12:00:46Z"),
        ({"datetime": None, "date": "2020-01-02"}, "2020-01-02"),
    ],
)
def test_published_prefers_the_more_specific_name(record: dict[str, Any], published: str) -> None:
    """Of several date names, published/published_time/datetime beat date."""
    assert document_from_mapping({"id": "1", "text": "t", **record}).published == published


def test_title_and_url_aliases_are_recognised() -> None:
    """headline is a title and link is a url; url beats source_url."""
    record = {"id": "1", "text": "t", "headline": "H", "link": "L", "source_url": "www.x.com"}

    doc = document_from_mapping(record)

    assert (doc.title, doc.url) == ("H", "L")


def test_explicit_field_map_names_the_fields(tmp_path: Path) -> None:
    """A FieldMap names fields that the usual names would not find."""
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"key": 7, "story": "text", "paper": "P", "when": "2020-01-02", "h": "T", "u": "U"}],
    )
    field_map = FieldMap(
        id_field="key",
        text_field="story",
        outlet_field="paper",
        date_field="when",
        title_field="h",
        url_field="u",
    )

    (doc,) = load_documents(path, field_map=field_map).documents

    assert doc == Document(
        id="7", text="text", outlet="P", published="2020-01-02", title="T", url="U"
    )


def test_explicit_text_field_wins_over_the_usual_name() -> None:
    """An explicit text field is used even when a usual name is present too."""
    record = {"id": "1", "text": "short", "body": "the body"}

    assert document_from_mapping(record, FieldMap(text_field="body")).text == "the body"


def test_integer_ids_become_strings() -> None:
    """A numeric id is turned into its string."""
    assert document_from_mapping({"id": 42, "text": "t"}).id == "42"


def test_missing_id_uses_the_fallback() -> None:
    """A record without an id gets the fallback id the reader passes."""
    doc = document_from_mapping({"text": "t"}, fallback_id="a.jsonl:3")

    assert doc.id == "a.jsonl:3"


def test_missing_id_without_fallback_names_the_option() -> None:
    """A record without an id and no fallback is an error suggesting --id-field."""
    with pytest.raises(InputError, match="pass --id-field"):
        document_from_mapping({"text": "t"})


def test_jsonl_record_without_id_gets_file_name_and_line(tmp_path: Path) -> None:
    """A JSON Lines record without an id is named '<file name>:<line>'."""
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "one"}, {"text": "two"}])

    assert [doc.id for doc in load_documents(path).documents] == ["a.jsonl:1", "a.jsonl:2"]


def test_missing_text_field_message_lists_fields_and_option() -> None:
    """A record without a text field names the fields it has and the option to pass."""
    with pytest.raises(InputError) as raised:
        document_from_mapping({"id": "1", "a": 1, "b": 2}, input="x.jsonl", line=3)

    assert str(raised.value) == (
        "x.jsonl line 3: field 'text' is missing (found fields: id, a, b); "
        "pass --text-field to name the field that holds the article body"
    )


def test_text_that_is_not_a_string_is_an_error() -> None:
    """A text field holding a number is an error."""
    with pytest.raises(InputError, match="field 'text' must be a string, got int"):
        document_from_mapping({"id": "1", "text": 5})


def test_document_from_record_uses_the_usual_names() -> None:
    """Document.from_record reads a mapping with the usual field names."""
    doc = Document.from_record({"id": "1", "text": "t", "source": "S", "date": "7/23/17"})

    assert (doc.outlet, doc.published) == ("S", "2017-07-23")


# Dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-11-01", "2019-11-01"),
        ("0001-11-30", "0001-11-30"),
        ("2019-11-01T12:00:46+00:00", "2019-11-01T12:00:46Z"),
        ("2019-11-01T12:00:46Z", "2019-11-01T12:00:46Z"),
        ("2019-11-01T12:00:46.250Z", "2019-11-01T12:00:46Z"),
        ("2024-12-04T09:00:28+03:00", "2024-12-04T06:00:28Z"),
        ("1987-02-26T15:01:01", "1987-02-26T15:01:01Z"),
        ("1987-02-26 15:01", "1987-02-26T15:01:00Z"),
        ("Fri, 01 Nov 2019 12:00:46 +0000", "2019-11-01T12:00:46Z"),
        ("Fri, 01 Nov 2019 14:00:46 +0200", "2019-11-01T12:00:46Z"),
        ("7/23/17", "2017-07-23"),
        ("07/23/2017", "2017-07-23"),
        ("12/31/69", "1969-12-31"),
        (1572609646, "2019-11-01T12:00:46Z"),
        (1572609646.9, "2019-11-01T12:00:46Z"),
        ("1572609646", "2019-11-01T12:00:46Z"),
        (1572609646250, "2019-11-01T12:00:46Z"),
        ("1572609646250", "2019-11-01T12:00:46Z"),
        (541000000000, "1987-02-22T13:46:40Z"),
        (2019, None),
        (20191101, None),
        (86400, None),
        (0, None),
        (-1572609646, None),
        (10**13, None),
        ("12345678901234", None),
        (" 2019-11-01 ", "2019-11-01"),
        ("", None),
        (None, None),
        ("yesterday", None),
        ("2019-13-01", None),
        ("23/07/2017", None),
        ("2019", None),
        ("12345", None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_normalize_date(value: Any, expected: str | None) -> None:
    """Dates become YYYY-MM-DD, times UTC YYYY-MM-DDTHH:MM:SSZ, the unparseable None."""
    assert normalize_date(value) == expected


@given(st.text(alphabet="0123456789-/:. +TZFriNov") | st.sampled_from(["2019-11-01", " 7/23/17"]))
def test_normalize_date_string_kept(value: str) -> None:
    """A date string read again gives what the uncached parse gives (normalized dates are kept)."""
    expected = fields._normalize_date_text.__wrapped__(value)
    assert normalize_date(value) == expected
    assert normalize_date(value) == expected


def test_unparseable_date_leaves_published_unknown() -> None:
    """A date that does not parse gives a document with no published date, not an error."""
    assert document_from_mapping({"id": "1", "text": "t", "date": "soon"}).published is None


# Decoding


@given(
    st.text(
        alphabet=st.sampled_from(
            ["\\", "u", "U", "d", "D", "8", "b", "f", "0", "é", "☃", "😀", '"']
        )
        | st.characters(codec="utf-8")
    )
)
def test_surrogate_escape_found_in_utf8_bytes_as_in_text(line: str) -> None:
    """Searching a line's UTF-8 bytes for a surrogate's \\u escape finds one exactly when
    searching its text does."""
    raw = line.encode("utf-8")
    by_bytes = readers._SURROGATE_ESCAPE_UTF8.search(raw) is not None
    assert by_bytes == (readers._SURROGATE_ESCAPE.search(line) is not None)


def test_lone_surrogate_found_on_a_long_line(tmp_path: Path) -> None:
    """A lone surrogate's escape far into a line longer than the read buffer is found."""
    path = tmp_path / "a.jsonl"
    filler = "é" * readers._LINE_BUFFER
    lines = [
        '{"id": "1", "text": "' + filler + '"}',
        '{"id": "2", "text": "' + filler + ' \\ud83d"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    loaded = load_documents(path, on_error="skip")

    assert [document.id for document in loaded.documents] == ["1"]
    assert loaded.skipped[0].line == 2
    assert "lone surrogate escape (\\ud83d)" in loaded.skipped[0].reason


def test_lone_surrogate_found_in_another_encoding(tmp_path: Path) -> None:
    """A lone surrogate's escape in a file read in an encoding other than UTF-8 is found too."""
    path = tmp_path / "a.jsonl"
    path.write_bytes('{"id": "1", "text": "caf\xe9 \\ud83d"}\n'.encode("cp1252"))

    loaded = load_documents(path, on_error="skip", encoding="cp1252")

    assert loaded.documents == ()
    assert "lone surrogate escape (\\ud83d)" in loaded.skipped[0].reason


def test_utf8_bom_is_stripped_from_jsonl(tmp_path: Path) -> None:
    """A UTF-8 byte order mark at the start of a JSON Lines file is not part of the data."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"id": "1", "text": "one"}\n')

    assert load_documents(path).documents == (Document(id="1", text="one"),)


def test_utf8_bom_is_stripped_from_csv_header(tmp_path: Path) -> None:
    """A UTF-8 byte order mark does not become part of the first CSV column name."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbfid,text\n1,one\n")

    assert load_documents(path).documents == (Document(id="1", text="one"),)


def test_utf8_bom_is_stripped_from_text_file(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is not part of a text file's document text."""
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfHello")

    assert load_documents(path).documents[0].text == "Hello"


def test_invalid_utf8_message(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 give the byte, its offset and the --encoding option."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "1", "text": "one"}\n{"id": "2", "text": "caf\xe9"}\n')

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert str(raised.value) == (
        f"{path} line 2: is not valid UTF-8 text (byte 0xe9 at offset 51); "
        "pass --encoding to name its encoding (e.g. --encoding cp1252)"
    )


def test_encoding_option_decodes_other_encodings(tmp_path: Path) -> None:
    """With encoding='cp1252', Windows-1252 bytes are read."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "1", "text": "caf\xe9"}\n')

    assert load_documents(path, encoding="cp1252").documents[0].text == "café"


def test_utf16_file_is_read_with_its_encoding(tmp_path: Path) -> None:
    """An encoding whose newline is not one byte (UTF-16) is still read line by line."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "text": "one"}\n{"id": "2", "text": "two"}\n', encoding="utf-16")

    assert [doc.id for doc in load_documents(path, encoding="utf-16").documents] == ["1", "2"]


def test_unknown_encoding_is_a_config_error(tmp_path: Path) -> None:
    """An encoding Python does not know raises ConfigError before anything is read."""
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        read_inputs([tmp_path], encoding="klingon")


@pytest.mark.parametrize(
    "encoding",
    [
        "rot13",
        "base64",
        "hex",
        "zlib",
        "bz2",
        "uu_codec",
        "quopri",
        "undefined",
        "punycode",
        "idna",
    ],
)
def test_codec_that_is_no_text_encoding_is_a_config_error(tmp_path: Path, encoding: str) -> None:
    """A codec that is not a text encoding of files (rot13, zlib, punycode, ...) raises
    ConfigError before anything is read, as an unknown encoding does."""
    with pytest.raises(ConfigError, match=rf"^'{encoding}' is not a text encoding; pass a"):
        read_inputs([tmp_path], encoding=encoding)


@pytest.mark.parametrize("limit", [0, 10**12 + 1, 10**23])
def test_document_limit_out_of_range_is_a_config_error(tmp_path: Path, limit: int) -> None:
    """A max_document_chars below 1 or above a trillion raises ConfigError showing it."""
    with pytest.raises(ConfigError, match=rf"max_document_chars .* got {limit}$"):
        read_inputs([tmp_path], max_document_chars=limit)


@pytest.mark.parametrize("limit", [np.int64(12), np.uint16(12), np.int32(12)])
def test_document_limit_may_be_a_numpy_integer(tmp_path: Path, limit: Any) -> None:
    """A max_document_chars that is a numpy integer is taken as the whole number it is, as
    Settings takes one (it raised ConfigError "must be a whole number")."""
    (tmp_path / "a.txt").write_text("A text file.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("A longer text file.", encoding="utf-8")

    loaded = load_documents(tmp_path, on_error="skip", max_document_chars=limit)

    assert loaded == load_documents(tmp_path, on_error="skip", max_document_chars=12)
    assert [doc.id for doc in loaded.documents] == ["a.txt"]
    assert [item.input for item in loaded.skipped] == [str(tmp_path / "b.txt")]


@pytest.mark.parametrize("limit", [True, 12.0, "12", None])
def test_document_limit_that_is_no_whole_number_is_a_config_error(
    tmp_path: Path, limit: Any
) -> None:
    """A max_document_chars that is a bool, a float, a str or None raises ConfigError showing it."""
    with pytest.raises(ConfigError, match=r"^max_document_chars must be a whole number, got "):
        read_inputs([tmp_path], max_document_chars=limit)


def test_highest_document_limit_reads_files(tmp_path: Path) -> None:
    """With the highest max_document_chars, files are read as with the default (not in one read
    of the limit's bytes, more memory than a machine has)."""
    (tmp_path / "a.txt").write_text("A text file.", encoding="utf-8")
    (tmp_path / "b.csv").write_text("id,text\nb,A row.\n", encoding="utf-8")
    write_jsonl(tmp_path / "c.jsonl", [{"id": "c", "text": "A line."}])

    highest = load_documents(tmp_path, max_document_chars=MAX_MAX_DOCUMENT_CHARS)

    assert highest == load_documents(tmp_path)
    assert [doc.text for doc in highest.documents] == ["A text file.", "A row.", "A line."]


@pytest.mark.parametrize("name", [field.name for field in attrs.fields(FieldMap)])
def test_empty_field_name_is_a_config_error(name: str) -> None:
    """An empty field name raises ConfigError (a ValueError) naming the field."""
    with pytest.raises(ConfigError, match=rf"^{name} must be a field name .*; got ''$"):
        FieldMap(**{name: ""})


# Errors


def test_malformed_json_line_reports_its_line(tmp_path: Path) -> None:
    """A line that is not JSON is an error naming the file and the 1-based line."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1", "text": "one"}\n{"id": "2", "text": \n', encoding="utf-8")

    with pytest.raises(InputError, match=r"a\.jsonl line 2: is not valid JSON \(Expecting value"):
        load_documents(path)


def test_json_value_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    """A JSON Lines line holding an array is an error."""
    path = write_jsonl(tmp_path / "a.jsonl", [["id", "text"]])

    with pytest.raises(InputError, match="holds a JSON array, not an object"):
        load_documents(path)


def _line_read(line: str) -> list[object]:
    """What the JSON Lines reader makes of one line (line 3 of a.jsonl), errors as messages."""
    context = readers._Context(FieldMap(), Decoder.for_encoding("utf-8"), 1000)
    read = readers._record_from_json(line, None, Path("a.jsonl"), "a.jsonl", 3, context)
    return [str(item) if isinstance(item, InputError) else item for item in read]


_JSON_RECORDS = st.dictionaries(
    st.sampled_from(["id", "text", "title", "n"]), st.text(max_size=8) | st.integers()
).map(json.dumps)


@given(
    record=_JSON_RECORDS,
    cut=st.integers(min_value=0, max_value=80),
    ending=st.sampled_from(["", "\n", "\r\n", "\r", "\n\r\n", " \n"]),
)
def test_a_json_line_reads_as_it_does_without_its_line_ending(
    record: str, cut: int, ending: str
) -> None:
    """A line is parsed as it is (its line ending being JSON whitespace) and gives the record
    or the error (the same column: not past the end) of the line without its ending, valid or
    cut short anywhere."""
    line = record[:cut] + ending

    assert _line_read(line) == _line_read(line.rstrip("\r\n"))


@pytest.mark.parametrize("blank", ["   ", "\t", "\u3000", "\x1c\x0b", "\r"])
def test_jsonl_lines_of_any_whitespace_are_blank(tmp_path: Path, blank: str) -> None:
    """A line of whitespace (as str.isspace has it) is passed over and still counted."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(f'{blank}\n{{"id": "1", "text": "one"}}\n{blank}\n{{"id": "2"}}\n'.encode())

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert raised.value.line == 4


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    """A path that does not exist is an error telling the user to check it."""
    missing = tmp_path / "nope.jsonl"

    with pytest.raises(InputError) as raised:
        load_documents(missing)

    assert str(raised.value) == f"{missing}: no such file or folder; check the path"


def test_unsupported_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    """A file with an unknown extension is an error listing what is supported."""
    path = tmp_path / "a.xml"
    path.write_text("<a/>", encoding="utf-8")

    with pytest.raises(InputError) as raised:
        load_documents(path)

    assert str(raised.value) == (
        f"{path}: is not a supported input; wiretrace reads .txt, .md, .html, .htm, .jsonl, "
        ".ndjson, .csv and .warc files (.jsonl, .ndjson and .warc also gzipped)"
    )


def test_corrupt_gzip_is_an_error(tmp_path: Path) -> None:
    """A .jsonl.gz file that is not gzip data is an error."""
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(b"this is not gzip")

    with pytest.raises(InputError, match="is not a valid gzip file"):
        load_documents(path)


def test_truncated_gzip_keeps_the_documents_before_the_damage(tmp_path: Path) -> None:
    """In skip mode a truncated .jsonl.gz gives its intact lines, then one Skipped."""
    lines = "".join(json.dumps({"id": str(i), "text": f"text {i}"}) + "\n" for i in range(2000))
    data = gzip.compress(lines.encode("utf-8"))
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])

    loaded = load_documents(path, on_error="skip")

    assert loaded.documents
    assert len(loaded.skipped) == 1
    assert "is not a valid gzip file" in loaded.skipped[0].reason


def test_invalid_on_error_is_a_value_error(tmp_path: Path) -> None:
    """on_error other than 'fail' or 'skip' raises ValueError at the call."""
    with pytest.raises(ValueError, match="on_error must be 'fail' or 'skip'"):
        read_inputs([tmp_path], on_error="ignore")  # type: ignore[arg-type]


def test_skip_mode_collects_every_bad_record(tmp_path: Path) -> None:
    """With on_error='skip' each bad record and input is a Skipped and reading goes on."""
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id": "1", "text": "one"}\noops\n{"id": "3", "body": 5}\n{"id": "4", "text": "four"}\n',
        encoding="utf-8",
    )
    missing = tmp_path / "missing.csv"

    loaded = load_documents([path, missing], on_error="skip")

    assert [doc.id for doc in loaded.documents] == ["1", "4"]
    assert [(s.input, s.line) for s in loaded.skipped] == [
        (str(path), 2),
        (str(path), 3),
        (str(missing), None),
    ]


def test_skip_mode_skips_only_the_undecodable_line(tmp_path: Path) -> None:
    """With on_error='skip' a line with invalid UTF-8 is skipped and later lines are read."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "1", "text": "caf\xe9"}\n{"id": "2", "text": "two"}\n')

    loaded = load_documents(path, on_error="skip")

    assert [doc.id for doc in loaded.documents] == ["2"]
    assert loaded.skipped[0].line == 1


def test_empty_documents_are_skipped_even_in_fail_mode(tmp_path: Path) -> None:
    """Empty or whitespace-only texts are Skipped with reason 'empty' and never raise."""
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": "1", "text": ""}, {"id": "2", "text": " \n\t"}, {"id": "3", "text": None}],
    )

    loaded = load_documents(path, on_error="fail")

    assert loaded.documents == ()
    assert loaded.skipped == tuple(Skipped(str(path), line, "empty") for line in (1, 2, 3))


def test_document_from_mapping_raises_empty_for_blank_text() -> None:
    """document_from_mapping raises InputError with the reason 'empty' for blank text."""
    with pytest.raises(InputError) as raised:
        document_from_mapping({"id": "1", "text": "   "})

    assert raised.value.reason == "empty"


def test_duplicate_id_is_skipped_with_where_it_was_first_seen(tmp_path: Path) -> None:
    """A later document with an id already read is Skipped, naming where it was first seen."""
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "text": "one"}])
    second = write_jsonl(
        tmp_path / "b.jsonl", [{"id": "y", "text": "why"}, {"id": "x", "text": "2"}]
    )

    loaded = load_documents([first, second], on_error="skip")

    assert [doc.text for doc in loaded.documents] == ["one", "why"]
    assert loaded.skipped == (
        Skipped(
            str(second),
            2,
            f"duplicate id 'x' (first seen in {first} line 1); "
            "pass --id-field to choose another id field",
        ),
    )


def test_duplicate_id_of_standard_input_read_as_an_article_says_to_give_a_file(
    tmp_path: Path,
) -> None:
    """A stream read as one article (standard input, id -) whose id was seen before is skipped
    saying to give the article as a file (it said to rename one of the files)."""
    records = write_jsonl(tmp_path / "a.jsonl", [{"id": "-", "text": "one"}])
    piped = readers.TextStream(io.BytesIO(b"an article piped in"))

    loaded = load_documents([records, piped], on_error="skip")

    assert [doc.text for doc in loaded.documents] == ["one"]
    assert loaded.skipped == (
        Skipped(
            "-",
            None,
            f"duplicate id '-' (first seen in {records} line 1); an article read from a stream "
            "has the stream's name as its id; save it to a file and give the file instead (its "
            "id is then its path)",
        ),
    )


def test_duplicate_id_of_a_file_after_a_piped_record_names_both_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose id a record on standard input had is skipped saying to rename the file or
    choose another id field for the records (it said to rename one of the files)."""
    monkeypatch.chdir(tmp_path)
    Path("story.txt").write_text("two", encoding="utf-8")
    piped = readers.TextStream(io.BytesIO(b'{"id": "story.txt", "text": "one"}\n'), format="jsonl")

    loaded = load_documents([piped, "story.txt"], on_error="skip")

    assert [doc.text for doc in loaded.documents] == ["one"]
    assert loaded.skipped == (
        Skipped(
            "story.txt",
            None,
            "duplicate id 'story.txt' (first seen in - line 1); a file's id is its path below "
            "the folder given: rename the file, or pass --id-field to choose another id field "
            "for the records",
        ),
    )


def test_duplicate_id_raises_in_fail_mode(tmp_path: Path) -> None:
    """In fail mode a duplicate id raises InputError at the later record."""
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": 1, "text": "one"}, {"id": "1", "text": "1"}])

    with pytest.raises(InputError, match="duplicate id '1'") as raised:
        load_documents(path)

    assert raised.value.line == 2


# Real corpora

CORPORA = {
    "allsides/articles.jsonl.gz": {"outlet": True, "published": True},
    "tgcontest/articles.jsonl.gz": {"outlet": True, "published": True},
    "ru-telegram/posts.jsonl.gz": {"outlet": True, "published": True},
    "reuters21578/articles.jsonl.gz": {"outlet": True, "published": True},
    "bbc2005/articles.jsonl.gz": {"outlet": True, "published": False},
}


@pytest.mark.slow
@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_real_corpus_loads_with_default_field_names(corpus: str, tmp_path: Path) -> None:
    """The first 500 lines of each shared news corpus load with no field options."""
    source = NEWS / corpus
    if not source.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{source} is missing; CI needs the shared news corpora")
        pytest.skip(f"{source} is absent; put the shared corpora in {NEWS} to run this test")
    sample = tmp_path / "sample.jsonl"
    with gzip.open(source, "rb") as stream:
        sample.write_bytes(b"".join(itertools.islice(stream, 500)))

    loaded = load_documents(sample)
    docs = loaded.documents

    assert len(docs) + len(loaded.skipped) == 500
    assert all(skipped.reason == "empty" for skipped in loaded.skipped)
    assert len(docs) > 400
    assert all(doc.id and doc.text.strip() for doc in docs)
    if CORPORA[corpus]["outlet"]:
        assert all(doc.outlet for doc in docs)
    if CORPORA[corpus]["published"]:
        assert sum(doc.published is not None for doc in docs) > 0.8 * len(docs)
    else:
        assert all(doc.published is None for doc in docs)


@pytest.mark.parametrize("gzipped", [False, True])
def test_files_whose_lines_end_in_a_lone_cr_are_read_line_by_line(
    tmp_path: Path, gzipped: bool
) -> None:
    """CSV and JSON Lines files with old Mac line ends (a lone CR, as Excel's "CSV (Macintosh)"
    writes) give one record per line, as with LF or CRLF (the whole file was one bad line)."""
    rows = [{"id": f"r{k}", "text": f"article number {k} with a few words"} for k in range(3)]
    csv_text = "id,text\r" + "".join(f"{row['id']},{row['text']}\r" for row in rows)
    jsonl_text = "\r".join(json.dumps(row) for row in rows)  # (no line end at the very end)
    for name, text in (("mac.csv", csv_text), ("mac.jsonl", jsonl_text)):
        path = tmp_path / name
        if gzipped and name.endswith(".jsonl"):
            path = tmp_path / (name + ".gz")
            path.write_bytes(gzip.compress(text.encode("utf-8")))
        else:
            path.write_bytes(text.encode("utf-8"))
        loaded = load_documents(path)
        assert [(d.id, d.text) for d in loaded.documents] == [
            (row["id"], row["text"]) for row in rows
        ]
        assert loaded.skipped == ()


LONG_WORDS = " ".join(f"word{k}" for k in range(1_500))  # some 12 KiB


@pytest.mark.parametrize("name", ["long.csv", "long.jsonl", "long.jsonl.gz"])
def test_a_first_line_over_8_kib_holding_a_cr_keeps_its_lf_line_ends(
    tmp_path: Path, name: str
) -> None:
    """A file whose lines end in LF, with a first line longer than the 8 KiB first read to tell
    line ends and a lone CR in that line (in a CSV header's quoted field; JSON whitespace), is
    read by its LF-ended lines (it was split at its CRs as an old Mac file: bad lines, no
    record)."""
    rows = [(f"r{k}", f"article number {k} with a few words") for k in range(3)]
    if name.endswith(".csv"):
        text = f'id,text,"where\rfrom",{LONG_WORDS.replace(" ", "_")}\n'
        text += "".join(f"{id_},{body},desk,\n" for id_, body in rows)
    else:
        first = json.dumps({"id": "r0", "text": rows[0][1], "note": LONG_WORDS})
        text = first.replace(', "note"', ',\r "note"') + "\n"
        text += "".join(json.dumps({"id": id_, "text": body}) + "\n" for id_, body in rows[1:])
    data = text.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    loaded = load_documents(path)

    assert [(d.id, d.text) for d in loaded.documents] == rows
    assert loaded.skipped == ()


@given(st.binary(max_size=80).map(lambda data: data.replace(b"\n", b"\r")), st.integers(1, 12))
def test_lone_cr_lines_are_split_and_over_long_ones_read_past(data: bytes, max_bytes: int) -> None:
    """`_cr_byte_lines` gives each CR-ended line with its CR (the last one without, if the file
    does not end in CR) and its length, None for a line over `max_bytes`, whatever the size of
    the blocks it reads."""
    parts = data.split(b"\r")
    lines = [part + b"\r" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    expected = [(line if len(line) <= max_bytes else None, len(line)) for line in lines]
    for block in (1, 3, 7, 1 << 20):
        original = readers._SKIP_CHUNK
        readers._SKIP_CHUNK = block
        try:
            assert list(readers._cr_byte_lines(io.BytesIO(data), max_bytes)) == expected
        finally:
            readers._SKIP_CHUNK = original


def test_text_lines_closed_unfinished_after_their_file_let_go_quietly(tmp_path: Path) -> None:
    """A reader of UTF-16 lines left at its error (a caller that stops at the first bad input)
    and closed after its file was: nothing raised or reported as an ignored exception (its
    detaching from the closed file did raise, and Python printed the traceback)."""
    good = '{"id": "a", "text": "hello"}\n'.encode("utf-16-le")
    stream = io.BytesIO(good + b"\x00\xdc\x00\xdc" + good)
    context = readers._Context(FieldMap(), Decoder.for_encoding("utf-16-le"), 1000)
    lines = readers._decoded_text_lines(stream, context.decoder, "bad.jsonl", context)
    items = list(itertools.islice(lines, 1))
    assert items[-1][2] is not None and "utf-16" in str(items[-1][2]).lower()
    stream.close()
    lines.close()  # raised ValueError: I/O operation on closed file

"""Tests for the `wiretrace` command: help, version, exit codes, outputs, the demo."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import wiretrace
from wiretrace.align import text_similarity
from wiretrace.cli import DEMO_HTML, cli
from wiretrace.report.html import format_size
from wiretrace.shingle import tokenize

COMMANDS = ["compare", "report", "demo", "index", "trace"]
STORY = (
    "A section of the Kessel Street Bridge gave way during the morning rush hour in the port "
    "city of Halvergate on Saturday, sending at least 14 vehicles and a crowded tram into the "
    "Senna river."
)
OTHER = (
    "The Dalmere rowing club won the national eights championship on the lake at Vissen on "
    "Sunday, beating the holders by two lengths in a strong crosswind."
)
EXTRA = (
    "Officials said the city had closed the crossing to heavy goods vehicles in November after "
    "an inspection found corrosion."
)
STORY_WORDS = 35
EXTRA_WORDS = 19

# Ground truth of the demo corpus (src/wiretrace/demo/README.md): who copied from whom.
DEMO_EDGES = [
    ("wire-ndx-0412", "hpost-1187"),
    ("wire-ndx-0412", "evestar-0931"),
    ("wire-ndx-0412", "svcourier-2210"),
    ("wire-ndx-0412", "observer-3316"),
    ("wire-ndx-0412", "quill-0226"),
    ("wire-ndx-0412", "wire-ndx-0412u1"),
    ("wire-ndx-0412u1", "sradio-0415"),
    ("wire-ndx-0412u1", "talkline-9048"),
    ("svcourier-2210", "ledger-5540"),
    ("svcourier-2210", "kestrel-7702"),
]


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="wiretrace", input=input)


@pytest.fixture
def texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder: full.txt (story and a sentence), excerpt.txt (the story), other.txt."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "full.txt").write_text(STORY + " " + EXTRA, encoding="utf-8")
    (tmp_path / "excerpt.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "other.txt").write_text(OTHER, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    """The JSON of `wiretrace demo --format json`."""
    result = run("demo", "--format", "json", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pair_sets(report: dict[str, Any]) -> list[set[str]]:
    return [{pair["source"], pair["target"]} for pair in report["pairs"]]


# Help and version


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_group_help_lists_every_command(flag: str) -> None:
    """`wiretrace --help` exits 0 and lists compare, report and demo with an example."""
    result = run(flag)
    assert result.exit_code == 0
    assert "Usage: wiretrace" in result.output
    assert all(command in result.output for command in COMMANDS)
    assert "Example" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    """`wiretrace COMMAND --help` exits 0 and shows a runnable example."""
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"Usage: wiretrace {command}" in result.output
    assert "Example" in result.output
    assert f"wiretrace {command}" in result.output.split("Example")[1]


def test_help_does_not_load_the_pipeline() -> None:
    """`wiretrace --help` answers without importing the compiled loops, datasketch, networkx or
    trafilatura (each takes a noticeable fraction of a second); a report still finds them."""
    heavy = ("numba", "datasketch", "networkx", "trafilatura", "wiretrace.pipeline")
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from wiretrace.cli import cli\n"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
        f"print([name for name in {heavy!r} if name in sys.modules])\n"
        "import wiretrace\n"
        "wiretrace.find_reuse\n"
        "print('wiretrace.pipeline' in sys.modules)\n"
    )
    lines = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == ["[]", "True"]


def test_package_names_resolve_lazily() -> None:
    """Every public name is importable and in `dir(wiretrace)`; unknown names still fail."""
    for name in wiretrace.__all__:
        assert getattr(wiretrace, name) is not None
        assert name in dir(wiretrace)
    assert wiretrace.report.render_stats_text is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = wiretrace.nothing_here  # type: ignore[attr-defined]


def test_group_has_no_undocumented_commands() -> None:
    """The commands tested here are all the commands there are."""
    assert sorted(cli.commands) == sorted(COMMANDS)


@pytest.mark.parametrize(
    "option",
    ["--shingle-size", "--window-size", "--num-perm", "--threshold", "--seed-size", "--min-length"],
)
def test_setting_options_are_kebab_case_twins(option: str) -> None:
    """The settings are options of compare and report under their kebab-case names."""
    assert option in run("compare", "--help").output
    assert option in run("report", "--help").output


def test_version() -> None:
    """`wiretrace --version` prints the package version."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"wiretrace, version {wiretrace.__version__}\n"


# compare


def short_similarity(first: str, second: str) -> float:
    return text_similarity(first, tokenize(first), second, tokenize(second))


def test_compare_json_has_the_exact_structure(texts: Path) -> None:
    """`compare excerpt.txt full.txt --format json` gives one exact pair, in the given order."""
    result = run("compare", "excerpt.txt", "full.txt", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    end = len(STORY) - 1  # the final full stop is not part of the passage
    assert data["schema"] == "wiretrace.report/1"
    assert data["summary"] == {
        "documents": 2,
        "pairs": 1,
        "passages": 1,
        "skipped": 0,
        "notices": 0,
        "clusters": 1,
        "boilerplate": 0,
        "boilerplate_documents": 0,
    }
    assert data["settings"] == wiretrace.Settings().to_dict()
    assert data["documents"] == [
        {
            "id": "excerpt.txt",
            "outlet": None,
            "published": None,
            "title": None,
            "url": None,
            "length": len(STORY),
        },
        {
            "id": "full.txt",
            "outlet": None,
            "published": None,
            "title": None,
            "url": None,
            "length": len(STORY) + 1 + len(EXTRA),
        },
    ]
    assert data["pairs"] == [
        {
            "source": "excerpt.txt",
            "target": "full.txt",
            "direction": "unknown",
            # Two texts of at most 60 words are compared as short texts: the pair's similarity
            # is their text similarity; the passage keeps its word-level score.
            "similarity": round(short_similarity(STORY, STORY + " " + EXTRA), 4),
            "source_coverage": 1.0,
            "target_coverage": round(STORY_WORDS / (STORY_WORDS + EXTRA_WORDS), 4),
            "passages": [
                {
                    "source_start": 0,
                    "source_end": end,
                    "target_start": 0,
                    "target_end": end,
                    "similarity": 1.0,
                    "kind": "narration",
                    "matched_words": STORY_WORDS,
                    "source_words": STORY_WORDS,
                    "target_words": STORY_WORDS,
                    "source_text": STORY[:end],
                    "target_text": STORY[:end],
                    "edits": [],
                }
            ],
        }
    ]
    (cluster,) = data["clusters"]
    assert cluster["members"] == [
        {"document": "excerpt.txt", "start": 0, "end": end},
        {"document": "full.txt", "start": 0, "end": end},
    ]
    # The fuller text is the origin; the excerpt trimmed it.
    assert cluster["root"] == "full.txt"
    assert [(e["parent"], e["child"]) for e in cluster["edges"]] == [("full.txt", "excerpt.txt")]
    assert (data["skipped"], data["boilerplate"]) == ([], [])


def test_compare_text_names_both_files(texts: Path) -> None:
    """The text report of compare shows the pair by file name, in the given order."""
    result = run("compare", "excerpt.txt", "full.txt")
    assert result.exit_code == 0
    assert "Pair 1: excerpt.txt -> full.txt" in result.stdout


def test_compare_of_unrelated_files_exits_0_with_no_pairs(texts: Path) -> None:
    """No reuse is a result, not an error."""
    result = run("compare", "excerpt.txt", "other.txt")
    assert result.exit_code == 0
    assert "No reused passages found." in result.stdout


def test_compare_applies_setting_options(texts: Path) -> None:
    """--min-length above the passage length removes the pair (in a text of more than 60 words:
    two shorter texts are compared as wholes, by their text similarity)."""
    (texts / "long.txt").write_text(f"{STORY} {EXTRA} {OTHER}", encoding="utf-8")
    result = run("compare", "excerpt.txt", "long.txt", "--format", "json")
    assert len(json.loads(result.stdout)["pairs"]) == 1
    result = run("compare", "excerpt.txt", "long.txt", "--min-length", "100", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["pairs"] == []
    assert data["settings"]["min_length"] == 100


def test_compare_finds_a_summary_unless_the_model_is_off(texts: Path) -> None:
    """The golden summary case (written for the project): the summary passage by default, inside
    the paragraph that summarises the source; no pair with --summary-probability 1.0 (off)."""
    case = json.loads((Path(__file__).parent / "golden" / "summary-inserted.json").read_text())
    (texts / "source.txt").write_text(case["source"], encoding="utf-8")
    (texts / "target.txt").write_text(case["target"], encoding="utf-8")
    off = run(
        "compare", "source.txt", "target.txt", "--summary-probability", "1", "--format", "json"
    )
    assert off.exit_code == 0
    assert json.loads(off.stdout)["pairs"] == []
    result = run("compare", "source.txt", "target.txt", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["settings"]["summary_probability"] == 0.55
    [pair] = data["pairs"]
    passage = pair["passages"][0]
    target_text = case["target"] if pair["target"] == "target.txt" else case["source"]
    start = "target_start" if pair["target"] == "target.txt" else "source_start"
    end = start.replace("start", "end")
    assert case["target_excerpt"] in target_text[passage[start] : passage[end]]


def test_missing_input_file_exits_1_with_a_one_line_message(texts: Path) -> None:
    """A missing file gives exit 1 and one line naming it on stderr, no traceback."""
    result = run("compare", "excerpt.txt", "missing.txt")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: missing.txt: no such file or folder; check the path\n"
    assert "Traceback" not in result.output


def test_bad_setting_value_exits_1_naming_the_setting(texts: Path) -> None:
    """--num-perm 1 is refused with a one-line message naming num_perm."""
    result = run("compare", "excerpt.txt", "full.txt", "--num-perm", "1")
    assert result.exit_code == 1
    assert result.stderr == "Error: num_perm must be >= 2, got 1\n"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "4294967296", "seed must be <= 4294967295"),
        ("--seed", "-1", "seed must be >= 0"),
        ("--num-perm", "10000000", "num_perm must be <= 2048"),
        ("--max-gap", "99999999999999999999", "max_gap must be <= 1000000000"),
        ("--min-length", "99999999999999999999", "min_length must be <= 1000000000"),
        ("--window-size", "99999999999999999999", "window_size must be <= 1000000000"),
        ("--shingle-size", "99999999999999999999", "shingle_size must be <= 1000000000"),
        ("--seed-size", "99999999999999999999", "seed_size must be <= 1000000000"),
        ("--boilerplate-docs", "99999999999999999999", "boilerplate_docs must be <= 1000000000"),
    ],
)
@pytest.mark.parametrize("command", ["compare", "report"])
def test_out_of_range_setting_exits_1_naming_the_setting(
    texts: Path, command: str, option: str, value: str, message: str
) -> None:
    """A setting beyond its range (a seed of 2**32, 10 million permutations, a 20-digit count)
    is refused with a one-line message showing the limit and the value."""
    result = run(command, "excerpt.txt", "full.txt", option, value)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}, got {value}\n"


@pytest.mark.parametrize("encoding", ["rot13", "zlib", "undefined", "punycode"])
@pytest.mark.parametrize("command", ["compare", "report"])
def test_codec_that_is_no_text_encoding_exits_1(texts: Path, command: str, encoding: str) -> None:
    """--encoding rot13 (or another codec that is not a text encoding of files) is refused with a
    one-line message, as an unknown encoding is."""
    result = run(command, "excerpt.txt", "full.txt", "--encoding", encoding)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {encoding!r} is not a text encoding; pass a Python codec name such as utf-8 or "
        "cp1252\n"
    )


@pytest.mark.parametrize("field", ["id", "text", "outlet", "date", "title", "url"])
def test_empty_field_name_exits_1_naming_the_field(texts: Path, field: str) -> None:
    """--id-field '' (or another empty field name) is refused with a one-line message."""
    result = run("report", "excerpt.txt", f"--{field}-field", "")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {field}_field must be a field name (a non-empty string), or None to recognise "
        "the usual names; got ''\n"
    )


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("report", "--jobs", "99999999999999999999"),
        ("report", "--max-document-chars", "99999999999999999999999"),
        ("demo", "--jobs", "99999999999999999999"),
    ],
)
def test_too_large_option_is_a_usage_error(
    texts: Path, command: str, option: str, value: str
) -> None:
    """--jobs or --max-document-chars beyond its range exits 2 with click's message showing it."""
    inputs = ["excerpt.txt"] if command == "report" else []
    result = run(command, *inputs, option, value)
    assert result.exit_code == 2
    assert f"{value} is not in the range 1<=x<=" in result.stderr
    assert not (texts / DEMO_HTML).exists()


def test_bogus_format_is_a_usage_error(texts: Path) -> None:
    """--format bogus exits 2 with click's usage message."""
    result = run("compare", "excerpt.txt", "full.txt", "--format", "bogus")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_missing_argument_is_a_usage_error() -> None:
    """compare with one file exits 2."""
    result = run("compare", "excerpt.txt")
    assert result.exit_code == 2
    assert "Missing argument 'TARGET'" in result.stderr


def test_output_option_writes_the_file(texts: Path) -> None:
    """-o FILE writes the report there, nothing to stdout, a note to stderr."""
    result = run("compare", "excerpt.txt", "full.txt", "--format", "json", "-o", "pair.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Report written to pair.json" in result.stderr
    written = json.loads((texts / "pair.json").read_text(encoding="utf-8"))
    assert written["pairs"][0]["source"] == "excerpt.txt"


def test_output_file_equals_stdout_output(texts: Path) -> None:
    """The file written with -o has exactly what stdout would have shown."""
    shown = run("compare", "excerpt.txt", "full.txt", "--format", "json").stdout
    run("compare", "excerpt.txt", "full.txt", "--format", "json", "-o", "pair.json")
    assert (texts / "pair.json").read_text(encoding="utf-8") == shown


@pytest.mark.parametrize(
    ("output", "says"),
    [
        ("", "is empty; give a file name, or - for standard output"),
        ("missing/pair.json", "folder 'missing' does not exist; create it"),
    ],
)
def test_an_output_path_no_report_can_be_written_to_is_refused_before_any_work(
    texts: Path, output: str, says: str
) -> None:
    """-o with an empty name or in a folder that does not exist is a usage error (exit 2)
    naming the option and what to do, before the texts are read."""
    result = run("report", "missing.txt", "-o", output)
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output'" in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [["compare", "excerpt.txt", "full.txt"], ["report", "excerpt.txt", "full.txt"]]
)
def test_a_report_is_not_written_over_one_of_its_inputs(texts: Path, command: list[str]) -> None:
    """-o naming one of the run's input files (here through another path to it) is a usage
    error and the file is left as it was."""
    before = (texts / "full.txt").read_bytes()
    result = run(*command, "-o", str(texts / "." / "full.txt"))
    assert result.exit_code == 2
    assert "is an input of this run; writing the report there would replace it" in result.stderr
    assert (texts / "full.txt").read_bytes() == before


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("output_format", ["json", "text", "html"])
def test_a_report_that_cannot_be_written_names_where(texts: Path, output_format: str) -> None:
    """A write that fails (a full disk: /dev/full) ends with exit 1 and one line naming the
    output and why, for the file and for standard output alike."""
    arguments = ["compare", "excerpt.txt", "full.txt", "--format", output_format]
    result = run(*arguments, "-o", "/dev/full")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: /dev/full: cannot write the report (No space left on device); "
    )
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "wiretrace", *arguments],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert completed.returncode == 1
    assert completed.stderr.startswith(
        "Error: standard output: cannot write the report (No space left on device); "
    )


def test_a_closed_standard_output_is_an_error_not_a_traceback(texts: Path) -> None:
    """Run with standard output closed (`>&-`), the command says so and exits 1; with -o the
    report is written."""
    command = f"{sys.executable} -m wiretrace compare excerpt.txt full.txt"
    closed = subprocess.run(["sh", "-c", f"{command} >&-"], capture_output=True, text=True)
    assert closed.returncode == 1
    assert closed.stderr == (
        "Error: standard output is closed; pass -o FILE to write the report to a file\n"
    )
    written = subprocess.run(
        ["sh", "-c", f"{command} -o pair.txt >&-"], capture_output=True, text=True
    )
    assert written.returncode == 0, written.stderr
    assert (texts / "pair.txt").read_text(encoding="utf-8").startswith("wiretrace:")


def test_text_to_a_pipe_has_no_color(texts: Path) -> None:
    """The text report on a non-terminal stdout has no ANSI escapes."""
    assert "\x1b[" not in run("compare", "excerpt.txt", "full.txt").stdout


# report


def test_report_on_a_folder_of_text_files(texts: Path) -> None:
    """`report FOLDER` reads every .txt file and finds the one pair, the fuller text first."""
    result = run("report", str(texts), "--format", "json", "--jobs", "1")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [doc["id"] for doc in data["documents"]] == ["excerpt.txt", "full.txt", "other.txt"]
    assert [(p["source"], p["target"], p["direction"]) for p in data["pairs"]] == [
        ("full.txt", "excerpt.txt", "text")
    ]


def test_report_missing_folder_exits_1(texts: Path) -> None:
    """A missing input gives exit 1 and one line naming it."""
    result = run("report", "nope", "--jobs", "1")
    assert result.exit_code == 1
    assert result.stderr == "Error: nope: no such file or folder; check the path\n"


def test_report_stops_on_a_bad_input_by_default(texts: Path) -> None:
    """A file that is not UTF-8 gives exit 1 and a message naming it and --encoding."""
    (texts / "latin1.txt").write_bytes("café au lait".encode("latin-1"))
    result = run("report", str(texts), "--jobs", "1")
    assert result.exit_code == 1
    assert "latin1.txt: is not valid UTF-8 text" in result.stderr
    assert "--encoding" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_report_skips_bad_inputs_when_asked(texts: Path) -> None:
    """--on-error skip lists the bad file in the report and finds the reuse anyway."""
    (texts / "latin1.txt").write_bytes("café au lait".encode("latin-1"))
    result = run("report", str(texts), "--on-error", "skip", "--format", "json", "--jobs", "1")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (skipped,) = data["skipped"]
    assert skipped["input"].endswith("latin1.txt")
    assert len(data["pairs"]) == 1


def test_report_skips_empty_files_always(texts: Path) -> None:
    """An empty file is listed as skipped ('empty') without --on-error skip."""
    (texts / "empty.txt").write_text("  \n", encoding="utf-8")
    result = run("report", str(texts), "--format", "json", "--jobs", "1")
    assert result.exit_code == 0
    (skipped,) = json.loads(result.stdout)["skipped"]
    assert (Path(skipped["input"]).name, skipped["reason"]) == ("empty.txt", "empty")


def test_report_needs_an_input() -> None:
    """`report` without inputs is a usage error."""
    assert run("report").exit_code == 2


def test_report_reads_standard_input(texts: Path) -> None:
    """INPUT `-` is standard input: one article, its id `-`, read in its place among the
    inputs."""
    arguments = ["report", "excerpt.txt", "-", "--format", "json", "--jobs", "1"]
    result = run(*arguments, input=STORY + " " + EXTRA)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [doc["id"] for doc in data["documents"]] == ["excerpt.txt", "-"]
    assert [(p["source"], p["target"]) for p in data["pairs"]] == [("-", "excerpt.txt")]


def test_report_reads_standard_input_as_a_text_file_is_read(texts: Path) -> None:
    """Standard input is decoded as a text file is: its byte-order mark wins, --encoding names
    another encoding, bytes that do not decode are an error naming `-` (exit 1, no traceback)
    or, with --on-error skip, listed as skipped; no text is skipped as "empty", and a text over
    --max-document-chars is too large."""
    arguments = ["report", "excerpt.txt", "-", "--format", "json", "--jobs", "1"]
    text = "Café " + STORY
    result = run(*arguments, input=text.encode("utf-16"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"][1] == {
        "id": "-",
        "outlet": None,
        "published": None,
        "title": None,
        "url": None,
        "length": len(text),
    }
    result = run(*arguments, input=text.encode("cp1252"))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: -: is not valid UTF-8 text (byte 0xe9 at offset 3); pass --encoding to name its "
        "encoding (e.g. --encoding cp1252)\n"
    )
    result = run(*arguments, "--on-error", "skip", input=text.encode("cp1252"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == [
        {
            "input": "-",
            "line": None,
            "reason": "is not valid UTF-8 text (byte 0xe9 at offset 3); pass --encoding to name "
            "its encoding (e.g. --encoding cp1252)",
        }
    ]
    result = run(*arguments, "--encoding", "cp1252", input=text.encode("cp1252"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"][1]["length"] == len(text)
    result = run(*arguments, input=b"  \n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == [{"input": "-", "line": None, "reason": "empty"}]
    result = run("report", "-", "--max-document-chars", "100", input="word " * 100)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: -: is too large (500 characters; the limit is 100 characters); pass "
        "--max-document-chars to raise the limit\n"
    )


# Records read from standard input (--stdin-format).
STREAMED = [
    {"id": "wire-1", "text": STORY, "outlet": "Wire", "published": "2024-05-01T08:00:00Z"},
    {"id": "paper-2", "text": STORY + " " + EXTRA, "outlet": "Paper"},
    {"id": "other-3", "text": OTHER},
]


def _jsonl(records: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")


def _csv(records: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "text", "outlet", "published"])
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    ("stream_format", "suffix", "encode"),
    [
        ("jsonl", ".jsonl", _jsonl),
        ("jsonl", ".jsonl.gz", lambda records: gzip.compress(_jsonl(records))),
        ("csv", ".csv", _csv),
    ],
)
def test_report_reads_records_from_standard_input(
    texts: Path, stream_format: str, suffix: str, encode: Any
) -> None:
    """With --stdin-format jsonl or csv, standard input is read as a JSON Lines or CSV file is
    (gzipped or not): the report is the one of the same bytes given as a file (before: one
    article, the records' text)."""
    data = encode(STREAMED)
    (texts / f"records{suffix}").write_bytes(data)
    common = ["--format", "json", "--jobs", "1"]
    from_file = run("report", f"records{suffix}", *common)
    assert from_file.exit_code == 0, from_file.output
    streamed = run("report", "-", "--stdin-format", stream_format, *common, input=data)
    assert streamed.exit_code == 0, streamed.output
    assert json.loads(streamed.stdout) == json.loads(from_file.stdout)
    assert [doc["id"] for doc in json.loads(streamed.stdout)["documents"]] == [
        "wire-1",
        "paper-2",
        "other-3",
    ]


def test_records_on_standard_input_are_checked_as_a_files_are(texts: Path) -> None:
    """A bad record on standard input is an error naming `-` and its line (exit 1), or with
    --on-error skip listed as skipped while the others are read."""
    data = _jsonl(STREAMED[:2]) + b"not json\n"
    arguments = ["report", "-", "--stdin-format", "jsonl", "--format", "json", "--jobs", "1"]
    result = run(*arguments, input=data)
    assert result.exit_code == 1
    assert result.stderr == "Error: - line 3: is not valid JSON (Expecting value at column 1)\n"
    result = run(*arguments, "--on-error", "skip", input=data)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [doc["id"] for doc in report["documents"]] == ["wire-1", "paper-2"]
    assert report["skipped"] == [
        {"input": "-", "line": 3, "reason": "is not valid JSON (Expecting value at column 1)"}
    ]
    result = run(*arguments[:3], "xml", input=data)
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'jsonl', 'csv'" in result.stderr


@pytest.mark.parametrize(
    "command",
    [["report", "excerpt.txt", "other.txt"], ["index", "add", "news.db", "excerpt.txt"]],
)
@pytest.mark.parametrize("stream_format", ["jsonl", "text"])
def test_stdin_format_without_standard_input_is_a_usage_error(
    texts: Path, command: list[str], stream_format: str
) -> None:
    """--stdin-format given when no input is - exits 2 saying it applies only to - (it was
    ignored: files named in its place were read by their own names), and nothing is made."""
    result = run(*command, "--stdin-format", stream_format, "--jobs", "1")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        "Error: Invalid value for '--stdin-format': applies only to an input - (standard "
        "input), and no input is -; leave it out, or give - to read standard input\n"
    )
    assert not (texts / "news.db").exists()


def test_compare_reads_standard_input(texts: Path) -> None:
    """SOURCE or TARGET `-` is standard input, its id `-`."""
    result = run("compare", "-", "excerpt.txt", "--format", "json", input=STORY + " " + EXTRA)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [doc["id"] for doc in data["documents"]] == ["-", "excerpt.txt"]
    assert [(p["source"], p["target"]) for p in data["pairs"]] == [("-", "excerpt.txt")]
    result = run("compare", "excerpt.txt", "-", input=b"\xff\xfe")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: -: expected one article, found 0 (empty); compare takes two text files\n"
    )


@pytest.mark.parametrize(
    ("command", "argument"),
    [
        (["compare", "-", "-"], "'SOURCE' / 'TARGET'"),
        (["report", "-", "excerpt.txt", "-"], "'INPUTS...'"),
    ],
)
def test_standard_input_given_twice_is_a_usage_error(
    texts: Path, command: list[str], argument: str
) -> None:
    """`-` given twice (standard input can be read only once) exits 2 naming the argument."""
    result = run(*command, input=STORY)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for {argument}: - (standard input) is given more than once; it "
        "can be read only once, so give it once (a file named - is ./-)\n"
    )


@pytest.mark.parametrize(
    "command", [["compare", "-", "excerpt.txt"], ["report", "-", "--jobs", "1"]]
)
def test_a_report_is_not_written_over_its_standard_input(texts: Path, command: list[str]) -> None:
    """-o naming the file that standard input reads (`- < full.txt -o full.txt`) is a usage
    error and the file is left as it was; -o elsewhere writes the report."""
    before = (texts / "full.txt").read_bytes()

    def run_reading_full_txt(output: str) -> subprocess.CompletedProcess[str]:
        with open(texts / "full.txt", "rb") as stdin:
            arguments = [sys.executable, "-m", "wiretrace", *command, "-o", output]
            return subprocess.run(arguments, stdin=stdin, capture_output=True, text=True)

    refused, written = run_reading_full_txt("./full.txt"), run_reading_full_txt("out.txt")
    assert refused.returncode == 2
    assert refused.stderr.endswith(
        "Error: Invalid value for '-o' / '--output': ./full.txt is an input of this run "
        "(standard input); writing the report there would replace it: give another file name\n"
    )
    assert (texts / "full.txt").read_bytes() == before
    assert written.returncode == 0, written.stderr
    assert (texts / "out.txt").read_text(encoding="utf-8").startswith("wiretrace:")


def test_a_closed_standard_input_is_an_error_not_a_traceback(texts: Path) -> None:
    """Run with standard input closed (`<&-`), `report -` says so and exits 1."""
    command = f"{sys.executable} -m wiretrace report excerpt.txt - -j 1"
    closed = subprocess.run(["sh", "-c", f"{command} <&-"], capture_output=True, text=True)
    assert closed.returncode == 1
    assert closed.stderr == "Error: standard input is closed; give a file instead of -\n"


# demo


def test_demo_reports_the_wire_and_its_verbatim_rerun(demo_json: dict[str, Any]) -> None:
    """The demo has a pair between wire-ndx-0412 and hpost-1187."""
    assert {"wire-ndx-0412", "hpost-1187"} in pair_sets(demo_json)


@pytest.mark.parametrize("document_id", ["tribune-4471", "fbs-6123"])
def test_demo_unrelated_and_own_words_articles_are_in_no_pair(
    demo_json: dict[str, Any], document_id: str
) -> None:
    """The rowing article and the same story in own words match nothing."""
    assert all(document_id not in pair for pair in pair_sets(demo_json))


@pytest.mark.parametrize(("source", "target"), DEMO_EDGES)
def test_demo_finds_every_true_reuse_edge(
    demo_json: dict[str, Any], source: str, target: str
) -> None:
    """Each parent -> copy edge of the demo ground truth is a reported pair."""
    assert {source, target} in pair_sets(demo_json)


def test_demo_lists_its_13_documents(demo_json: dict[str, Any]) -> None:
    """The demo corpus has 13 documents, the wire first."""
    assert len(demo_json["documents"]) == 13
    assert demo_json["documents"][0]["id"] == "wire-ndx-0412"


def test_demo_orients_by_publication_time(demo_json: dict[str, Any]) -> None:
    """The wire precedes the Courier; the mis-dated Harbour Post precedes the wire."""
    directions = {(p["source"], p["target"]): p["direction"] for p in demo_json["pairs"]}
    assert directions[("wire-ndx-0412", "svcourier-2210")] == "published"
    assert directions[("hpost-1187", "wire-ndx-0412")] == "published"


def test_demo_writes_an_html_page_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`wiretrace demo` writes wiretrace-demo.html here, says where on stderr, prints nothing."""
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = (tmp_path / "wiretrace-demo.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "svcourier-2210" in page
    size = len(page.encode("utf-8"))
    assert result.stderr.startswith("Report written to wiretrace-demo.html (")
    assert f"{size:,} bytes" in page
    assert (tmp_path / "wiretrace-demo.html").resolve().as_uri() in result.stderr


@pytest.mark.parametrize(("output_format", "start"), [("text", "wiretrace: 13"), ("json", "{")])
def test_demo_text_and_json_go_to_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str, start: str
) -> None:
    """`demo --format text|json` prints the report and writes no file."""
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--format", output_format, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)
    assert list(tmp_path.iterdir()) == []


def test_demo_html_to_stdout_with_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo -o -` prints the HTML page instead of writing the file."""
    monkeypatch.chdir(tmp_path)
    result = run("demo", "-o", "-", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("output_format", ["html", "csv"])
def test_compare_writes_html_and_csv(texts: Path, output_format: str) -> None:
    """`compare --format html|csv -o FILE` writes the file and reports its size."""
    name = f"pair.{output_format}"
    result = run("compare", "excerpt.txt", "full.txt", "--format", output_format, "-o", name)
    assert result.exit_code == 0, result.output
    written = (texts / name).read_bytes()
    assert f"Report written to {name} ({format_size(len(written))})" in result.stderr
    assert b"excerpt.txt" in written


def test_report_shows_no_progress_bar_when_stderr_is_not_a_terminal(texts: Path) -> None:
    """Progress bars are for terminals: to a pipe, stderr stays empty and stdout is the report."""
    result = run("report", str(texts), "--format", "json", "--jobs", "1")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["schema"] == "wiretrace.report/1"


def test_report_html_to_stdout(texts: Path) -> None:
    """`report FOLDER --format html` prints one page with the pair's documents."""
    result = run("report", str(texts), "--format", "html", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert result.stdout.count("</html>") == 1
    assert "full.txt" in result.stdout


def test_installed_console_script_runs_the_demo() -> None:
    """The installed `wiretrace` script runs `demo --format json` and prints the report."""
    script = Path(sys.executable).parent / "wiretrace"
    assert script.exists(), f"console script not found at {script}"
    completed = subprocess.run(
        [str(script), "demo", "--format", "json", "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert data["schema"] == "wiretrace.report/1"
    assert {"wire-ndx-0412", "hpost-1187"} in pair_sets(data)


@pytest.mark.parametrize(
    ("arguments", "status", "out", "err"),
    [
        (["demo", "--format", "csv", "--jobs", "1"], 0, "source,", ""),
        (["--version"], 0, "wiretrace, version", ""),
        (["report", "missing.jsonl"], 1, "", "missing.jsonl"),
        (["report", "--format", "pdf", "x.jsonl"], 2, "", "Invalid value for '--format'"),
    ],
)
def test_the_command_ends_with_its_status_and_all_its_output(
    arguments: list[str], status: int, out: str, err: str, tmp_path: Path
) -> None:
    """`python -m wiretrace` (the console script's `main`, which ends the process without the
    interpreter's teardown) exits with the command's status, every byte written: the whole
    report on stdout, an error's message on stderr."""
    completed = subprocess.run(
        [sys.executable, "-m", "wiretrace", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert completed.returncode == status, completed.stderr
    assert out in completed.stdout and err in completed.stderr
    if arguments[0] == "demo":
        assert completed.stdout == CliRunner().invoke(cli, arguments).stdout


@pytest.mark.parametrize("when", ["first file", "mid-run"])
def test_a_terminated_run_stops_cleanly_leaving_no_temporary_files(
    tmp_path: Path, when: str
) -> None:
    """SIGTERM to `wiretrace report` (`kill`, a job scheduler's stop) ends it with status 143
    through its clean-up: its temporary files are gone and no worker process is left. Sent as
    soon as anything appears in its temporary folder (Python's own probe file comes first), and
    in the middle of the run: once its working folder exists and its worker processes run."""
    import random
    import signal
    import time

    rng = random.Random(5)
    vocabulary = [f"w{k}" for k in range(3_000)]
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for number in range(4_000):
            text = " ".join(rng.choices(vocabulary, k=400))
            out.write(json.dumps({"id": f"d{number}", "text": text}) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    command = [sys.executable, "-m", "wiretrace", "report", str(corpus), "--format", "json"]
    command += ["-o", str(tmp_path / "report.json"), "--jobs", "2"]
    process = subprocess.Popen(
        command, env={**os.environ, "TMPDIR": str(work)}, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120

    def started() -> bool:
        if when == "first file":
            return any(work.iterdir())
        return any(entry.name.startswith("wiretrace-") for entry in work.iterdir())

    while not started() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if when == "mid-run":
        time.sleep(0.5)  # the workers forked and at work
    assert process.poll() is None, "the run ended before it could be stopped"
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, errors
    assert list(work.iterdir()) == []
    assert not (tmp_path / "report.json").exists()
    still = [
        entry.name
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and str(corpus).encode() in _command_line(entry)
    ]
    assert still == []


def test_a_stop_that_comes_during_a_callback_from_c_still_ends_the_command() -> None:
    """SIGTERM handled while Python code runs in a callback from C (as numba compiling a kernel
    calls back through ctypes, where an exception is printed as ignored and dropped) still ends
    the command with status 143, once out of the callback, with nothing printed about it."""
    script = textwrap.dedent(
        """
        import ctypes, os, signal, sys, time
        from wiretrace import cli
        cli._stop_cleanly_on_terminate()

        @ctypes.CFUNCTYPE(None)
        def callback():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(200):  # the handler runs in here
                time.sleep(0.001)

        try:
            callback()
            time.sleep(5)
            print("went on")
        except SystemExit as done:
            cli._exit_now(done.code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "went on" not in done.stdout
    assert done.stderr == ""


def test_a_stop_while_a_workspace_is_being_made_deletes_it(tmp_path: Path) -> None:
    """SIGTERM handled while the run's token store has made its temporary folder but has not yet
    been handed to the code that closes it (the stop raised in its constructor) still ends the
    command with 143 and leaves no temporary file: the stopped work's objects are freed before
    the process ends, and the folder's finalizer deletes it."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": f"d{k}", "text": f"story {k} " * 30}) + "\n" for k in range(50)),
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    script = textwrap.dedent(
        f"""
        import os, signal, sys, time
        from wiretrace import cli, spill
        made = spill.TokenStore.__init__

        def stopped_while_made(self, *args, **kwargs):
            made(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs in here
                time.sleep(0.001)

        spill.TokenStore.__init__ = stopped_while_made
        sys.argv = ["wiretrace", "report", {str(corpus)!r}, "--jobs", "1", "-o", os.devnull]
        cli.main()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(work)},
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert list(work.iterdir()) == []


def _command_line(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""


def test_the_command_loads_numba_without_scipy_linalg_which_still_imports_after() -> None:
    """`_load_numba` sets numba up without its look for a BLAS (an import of scipy.linalg, a
    third of a second): the compiled loops run, and scipy.linalg imports as usual after."""
    code = (
        "import sys\n"
        "from wiretrace import cli, shingle\n"
        "cli._load_numba()\n"
        "tokens = shingle.tokenize('Reuters said on Monday')\n"
        "assert tokens.ids.tolist() == shingle.tokenize_plain('Reuters said on Monday').ids.tolist()\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "import scipy.linalg.cython_blas\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_an_html_report_written_to_a_file_is_the_rendered_page(tmp_path: Path) -> None:
    """`--format html -o FILE` writes the page a piece at a time (never held whole): the file
    is `render_html`'s page byte for byte, and states its own size."""
    corpus = str(wiretrace.demo_corpus_path())
    output = tmp_path / "report.html"
    result = run("report", corpus, "--format", "html", "-o", str(output), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Report written to {output} (")
    page = wiretrace.render_html(wiretrace.find_reuse_in([corpus], jobs=1))
    assert output.read_bytes() == page.encode("utf-8")
    shown = re.search(r'id="file-size">([\d,]+) bytes', page)
    assert shown is not None and int(shown.group(1).replace(",", "")) == output.stat().st_size


def test_records_read_as_one_text_get_a_notice(texts: Path) -> None:
    """JSON Lines piped in without --stdin-format are read as one article, as documented, with a
    notice saying how to read the records; a text that merely starts with a brace gets none."""
    arguments = ["report", "excerpt.txt", "-", "--format", "json", "--jobs", "1"]
    result = run(*arguments, input=_jsonl(STREAMED))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [doc["id"] for doc in report["documents"]] == ["excerpt.txt", "-"]
    assert report["notices"] == [
        {
            "input": "-",
            "line": None,
            "message": "read as one text article, though it looks like JSON Lines (its first "
            "line is a JSON object); to read its records, pass --stdin-format jsonl (report, "
            "index add)",
        }
    ]
    result = run(*arguments, input="{Editor's note} " + STORY)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notices"] == []

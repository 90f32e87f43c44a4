"""Tests for `wiretrace index add|stats` and `wiretrace trace`, kill -9 resume, and a reader
querying while a writer adds."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from redis_server import redis_index, redis_url  # noqa: F401 - fixtures
from strategies import LATIN
from wiretrace import Index
from wiretrace.cli import cli
from wiretrace.index.sqlite import SQLiteStore

RNG_WORDS = random.Random(31)
WORDS = tuple(
    sorted({"".join(RNG_WORDS.choices(LATIN, k=RNG_WORDS.randint(3, 9))) for _ in range(5_000)})
)
WIRE_COMMAND = [sys.executable, "-m", "wiretrace"]
GENERATED = 3000


def words(seed: int, count: int) -> str:
    """`count` seeded random words: text that shares nothing with other seeds."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(count))


WIRE = words(1, 100)


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="wiretrace", input=input)


def write_corpus(path: Path, count: int, *, seed: int = 0) -> Path:
    """A JSON Lines corpus of `count` generated articles; article 0 is the wire story."""
    rows = [{"id": "wire", "text": WIRE, "outlet": "Wire", "published": "2024-05-01"}]
    rows += [
        {"id": f"a{k}", "text": words(seed * 100_000 + k + 10, 120), "outlet": f"O{k % 7}"}
        for k in range(1, count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with corpus.jsonl (20 articles) and article.txt (reusing the wire)."""
    monkeypatch.chdir(tmp_path)
    write_corpus(tmp_path / "corpus.jsonl", 20)
    (tmp_path / "article.txt").write_text(words(5, 50) + " " + WIRE, encoding="utf-8")
    return tmp_path


# Help


@pytest.mark.parametrize("command", [["index"], ["index", "add"], ["index", "stats"], ["trace"]])
def test_index_commands_have_help_with_an_example(command: list[str]) -> None:
    """Each index command's help ends with a runnable example of itself."""
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert f"Usage: wiretrace {' '.join(command)}" in result.output
    assert f"wiretrace {' '.join(command)}" in result.output.split("Example")[1]


def test_index_group_lists_its_commands() -> None:
    """`wiretrace index` has exactly the commands add and stats."""
    result = run("index", "--help")
    assert "add" in result.output and "stats" in result.output


# index add / stats


def test_index_add_prints_a_summary(work: Path) -> None:
    """`index add` says what it added; a second run finds everything unchanged."""
    first = run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "news.db: 20 added, 0 replaced, 0 unchanged, 0 skipped; 20 documents in the index\n"
    )
    second = run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    assert second.stdout == (
        "news.db: 0 added, 0 replaced, 20 unchanged, 0 skipped; 20 documents in the index\n"
    )


def test_index_stats_json(work: Path) -> None:
    """`index stats --format json` prints documents, settings, size, dates and outlets."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1", "--num-perm", "32")
    result = run("index", "stats", "news.db", "--format", "json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["documents"] == 20
    assert stats["settings"]["num_perm"] == 32
    assert stats["bytes"] > 0
    assert stats["published"]["first"] == "2024-05-01T00:00:00Z"
    assert stats["outlets"] == 8


def test_index_stats_text(work: Path) -> None:
    """`index stats` prints one fact a line."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    lines = run("index", "stats", "news.db").stdout.splitlines()
    assert lines[0] == "index      news.db (sqlite)"
    assert lines[1] == "documents  20"


def test_index_stats_of_a_missing_index_fails(work: Path) -> None:
    """Stats of a missing index exit 1 with a message saying how to build one."""
    result = run("index", "stats", "none.db")
    assert result.exit_code == 1
    assert "none.db: no index here; build one with `wiretrace index add none.db" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--seed", "4294967296"], "seed must be <= 4294967295, got 4294967296"),
        (["--num-perm", "10000000"], "num_perm must be <= 2048, got 10000000"),
        (
            ["--encoding", "rot13"],
            "'rot13' is not a text encoding; pass a Python codec name such as utf-8 or cp1252",
        ),
        (
            ["--id-field", ""],
            "id_field must be a field name (a non-empty string), or None to recognise the usual "
            "names; got ''",
        ),
    ],
)
def test_index_add_with_a_bad_option_makes_no_index(
    work: Path, options: list[str], message: str
) -> None:
    """A bad --seed, --num-perm, --encoding or field name exits 1 with a one-line message before
    the index is made."""
    result = run("index", "add", "news.db", "corpus.jsonl", "-j", "1", *options)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert not (work / "news.db").exists()


def test_index_add_with_too_large_batch_size_makes_no_index(work: Path) -> None:
    """--batch-size beyond a billion exits 2 with click's message before the index is made."""
    result = run("index", "add", "news.db", "corpus.jsonl", "--batch-size", "99999999999999999999")
    assert result.exit_code == 2
    assert "99999999999999999999 is not in the range 1<=x<=1000000000" in result.stderr
    assert not (work / "news.db").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["index", "add", "news.db", "corpus.jsonl", "-j", "1"],
        ["trace", "article.txt", "--index", "news.db"],
    ],
)
def test_index_recording_an_invalid_seed_exits_1_saying_to_rebuild(
    work: Path, command: list[str]
) -> None:
    """An index recording a seed of 2**32 (earlier versions made one) ends `index add` and
    `trace` with a one-line message to build a new index."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    with sqlite3.connect(work / "news.db") as connection:
        connection.execute("UPDATE meta SET value = '4294967296' WHERE name = 'seed'")
    result = run(*command)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: news.db: the index was built with an invalid setting (seed must be <= 4294967295, "
        "got 4294967296); its keys cannot be used, so build a new index from the same inputs\n"
    )


# trace


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("", "'' does not name an index file (SQLite would keep nothing on disk)"),
        (":memory:", "':memory:' does not name an index file"),
        ("folder", "folder: is a folder; give the path of an index file (e.g. folder/news.db)"),
        ("/dev/null", "/dev/null: is not a regular file; give the path of an index file"),
        ("missing/news.db", "missing/news.db: folder 'missing' does not exist; create it"),
    ],
)
@pytest.mark.parametrize("command", ["add", "stats", "trace"])
def test_an_index_path_that_names_no_index_file_is_refused(
    work: Path, location: str, says: str, command: str
) -> None:
    """An index path that cannot hold an index (empty, SQLite's in-memory name, a folder, a
    device, a file in a missing folder) ends every index command with exit 1 and one line
    saying what to give, and nothing is made (`index add ''` made a temporary database that
    kept nothing, with exit 0)."""
    if location == "/dev/null" and not os.path.exists("/dev/null"):
        pytest.skip("needs /dev/null")
    (work / "folder").mkdir()
    before = sorted(path.name for path in work.rglob("*"))
    if command == "add":
        result = run("index", "add", location, "corpus.jsonl", "-j", "1")
    elif command == "stats":
        result = run("index", "stats", location)
    else:
        result = run("trace", "article.txt", "--index", location)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {says}")
    assert "Traceback" not in result.output
    assert sorted(path.name for path in work.rglob("*")) == before


def _database(path: Path, *, wal: bool, damaged: bool = False) -> None:
    """Another program's SQLite database at `path` (one table), in WAL or rollback mode; with
    `damaged`, its first page past the header overwritten."""
    connection = sqlite3.connect(path)
    if wal:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.execute("INSERT INTO notes VALUES ('a note')")
    connection.commit()
    connection.close()
    if damaged:
        data = bytearray(path.read_bytes())
        data[100:4096] = b"\xff" * (4096 - 100)
        path.write_bytes(bytes(data))


NO_INDEX_FILES = [
    ("damaged WAL", "cannot be opened as a wiretrace index (database disk image is malformed)"),
    ("text", "cannot be opened as a wiretrace index (file is not a database)"),
    ("other WAL", "is a SQLite database but not a wiretrace index (tables: notes)"),
    ("other rollback", "is a SQLite database but not a wiretrace index (tables: notes)"),
    ("empty", "holds no index; build one with `wiretrace index add bad.db INPUT...`"),
]


@pytest.mark.parametrize(
    ("command", "kind", "says"),
    [
        (command, kind, says)
        for command in ("add", "stats", "trace")
        for kind, says in NO_INDEX_FILES
        if (command, kind) != ("add", "empty")  # index add makes its index in an empty file
    ],
)
def test_a_file_that_is_no_index_is_refused_leaving_nothing_behind(
    work: Path, command: str, kind: str, says: str
) -> None:
    """A file that is not an index (damaged, not SQLite, another program's database, empty for
    the commands that only read an index) ends the command with exit 1 and one line, the file
    unchanged and no file made next to it (its -wal and -shm files were left, and a database in
    rollback mode turned to WAL mode; an empty file was made an index by stats and trace)."""
    bad = work / "bad.db"
    if kind == "text":
        bad.write_text("not a database\n", encoding="utf-8")
    elif kind == "empty":
        bad.touch()
    else:
        _database(bad, wal=kind != "other rollback", damaged=kind == "damaged WAL")
    before = bad.read_bytes()
    names = sorted(path.name for path in work.iterdir())
    if command == "add":
        arguments = ["index", "add", "bad.db", "corpus.jsonl", "-j", "1"]
    elif command == "stats":
        arguments = ["index", "stats", "bad.db"]
    else:
        arguments = ["trace", "article.txt", "--index", "bad.db"]
    # In a process of its own: the command ends without closing what it left open.
    result = subprocess.run([*WIRE_COMMAND, *arguments], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: bad.db: {says}")
    assert len(result.stderr.splitlines()) == 1
    assert sorted(path.name for path in work.iterdir()) == names
    assert bad.read_bytes() == before


def test_trace_prints_the_report_with_sources(work: Path) -> None:
    """`trace --format json` gives the report contract, the wire as source of the article."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "article.txt", "--index", "news.db", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "wiretrace.report/1"
    assert [(p["source"], p["target"]) for p in data["pairs"]] == [("wire", "article.txt")]
    assert data["sources"] == [
        {
            "article": "article.txt",
            "own_share": 0.3333,
            "sources": [{"id": "wire", "outlet": "Wire", "share": 0.6667}],
        }
    ]


def test_trace_reads_standard_input(work: Path) -> None:
    """ARTICLE `-` is read from standard input."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "-", "--index", "news.db", "--format", "json", input=WIRE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sources"][0]["sources"][0]["share"] == 1.0


def test_trace_reads_standard_input_as_a_text_file_is_read(work: Path) -> None:
    """Standard input is decoded as a text file is: its byte-order mark wins, --encoding names
    another encoding, bytes that do not decode are an error naming `-` (exit 1, no traceback),
    and no text is reported as skipped ("empty")."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    arguments = ["trace", "-", "--index", "news.db", "--format", "json"]
    result = CliRunner().invoke(cli, arguments, input=WIRE.encode("utf-16"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sources"][0]["sources"][0]["share"] == 1.0
    accented = ("Café " + WIRE).encode("cp1252")
    result = CliRunner().invoke(cli, arguments, input=accented)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: -: is not valid UTF-8 text (byte 0xe9 at offset 3);")
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, [*arguments, "--encoding", "cp1252"], input=accented)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"][0]["length"] == len("Café " + WIRE)
    result = CliRunner().invoke(cli, arguments, input=b"  \n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped"] == [{"input": "-", "line": None, "reason": "empty"}]


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("bogus", "unknown encoding 'bogus'"), ("rot13", "'rot13' is not a text encoding")],
)
def test_trace_standard_input_with_a_bad_encoding_exits_1(
    work: Path, encoding: str, message: str
) -> None:
    """`trace -` with an unknown encoding, or a codec that is no text encoding, exits 1 with a
    one-line message."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "-", "--index", "news.db", "--encoding", encoding, input=WIRE)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {message}; pass a Python codec name such as utf-8 or cp1252\n"
    )


def test_trace_standard_input_given_twice_is_a_usage_error(work: Path) -> None:
    """ARTICLE `-` twice (standard input can be read only once) exits 2 naming the argument."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "-", "article.txt", "-", "--index", "news.db", input=WIRE)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for 'ARTICLES...': - (standard input) is given more than once; it "
        "can be read only once, so give it once (a file named - is ./-)\n"
    )


def test_index_add_reads_records_from_standard_input(work: Path) -> None:
    """`index add INDEX - --stdin-format jsonl` adds standard input's JSON Lines records, gzipped
    or not, as from the same file (before: one article, the records' text)."""
    data = (work / "corpus.jsonl").read_bytes()
    result = run("index", "add", "piped.db", "-", "--stdin-format", "jsonl", "-j", "1", input=data)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "piped.db: 20 added, 0 replaced, 0 unchanged, 0 skipped; 20 documents in the index\n"
    )
    packed = gzip.compress(data)
    arguments = ("index", "add", "packed.db", "-", "--stdin-format", "jsonl", "-j", "1")
    assert run(*arguments, input=packed).exit_code == 0
    assert run("index", "add", "file.db", "corpus.jsonl", "-j", "1").exit_code == 0
    ids = [json.loads(line)["id"] for line in data.splitlines()]
    contents = []
    for name in ("piped.db", "packed.db", "file.db"):
        with Index.open(name, create=False) as index:
            contents.append([index.get(document_id) for document_id in ids])
    assert contents[0] == contents[1] == contents[2]
    assert None not in contents[0]


def test_index_add_reads_standard_input(work: Path) -> None:
    """`index add INDEX -` adds standard input as one article, its id `-`, read as a text file
    is (--encoding; bad bytes an error naming `-`, or skipped with --on-error skip)."""
    result = run("index", "add", "news.db", "corpus.jsonl", "-", "-j", "1", input=WIRE + " x")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "news.db: 21 added, 0 replaced, 0 unchanged, 0 skipped; 21 documents in the index\n"
    )
    with Index.open("news.db", create=False) as index:
        assert index.get("-").text == WIRE + " x"
    accented = ("Café " + WIRE).encode("cp1252")
    result = run("index", "add", "news.db", "-", "-j", "1", input=accented)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: -: is not valid UTF-8 text (byte 0xe9 at offset 3);")
    result = run("index", "add", "news.db", "-", "-j", "1", "--on-error", "skip", input=accented)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("skipped -: is not valid UTF-8 text (byte 0xe9 at offset 3);")
    result = run("index", "add", "news.db", "-", "-j", "1", "--encoding", "cp1252", input=accented)
    assert result.exit_code == 0, result.output
    with Index.open("news.db", create=False) as index:
        assert index.get("-").text == "Café " + WIRE


def test_index_add_standard_input_given_twice_is_a_usage_error(work: Path) -> None:
    """INPUTS `-` twice exits 2 naming the argument, before the index is made."""
    result = run("index", "add", "news.db", "-", "corpus.jsonl", "-", input=WIRE)
    assert result.exit_code == 2
    assert "Invalid value for 'INPUTS...': - (standard input) is given more than once" in (
        result.stderr
    )
    assert not (work / "news.db").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["index", "add", "-", "corpus.jsonl"],
        ["index", "stats", "-"],
        ["trace", "article.txt", "--index", "-"],
    ],
)
def test_an_index_named_dash_is_a_usage_error(work: Path, command: list[str]) -> None:
    """INDEX `-` (an index is never standard input or output) exits 2 saying what to give, and
    nothing is made (`index add -` made a SQLite file named -)."""
    before = sorted(path.name for path in work.iterdir())
    result = run(*command, input=WIRE)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "- is not an index (an index cannot be read from standard input); give the path of a "
        "SQLite file such as news.db (./- for a file named -) or redis://host:port/db\n"
    )
    assert sorted(path.name for path in work.iterdir()) == before


def test_trace_text_lists_sources(work: Path) -> None:
    """The text report ends with each article's sources and its own share."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    output = run("trace", "article.txt", "--index", "news.db").stdout
    assert output.endswith("Sources of article.txt:\n   66.7%  wire (Wire)\n   33.3%  its own\n\n")


def test_trace_time_window(work: Path) -> None:
    """--since after the source's date leaves it out."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "article.txt", "--index", "news.db", "--since", "2024-05-02")
    assert result.exit_code == 0
    assert "No reused passages found." in result.stdout


def test_trace_with_mismatched_settings_fails(work: Path) -> None:
    """Tracing with another --num-perm than the index's exits 1 and says what to do."""
    run("index", "add", "news.db", "corpus.jsonl", "-j", "1")
    result = run("trace", "article.txt", "--index", "news.db", "--num-perm", "128")
    assert result.exit_code == 1
    assert "built with num_perm=64, not 128" in result.stderr
    assert "Leave out --num-perm" in result.stderr


def test_trace_needs_an_index(work: Path) -> None:
    """Without --index, trace is a usage error (exit 2)."""
    assert run("trace", "article.txt").exit_code == 2


def test_cli_against_redis(work: Path, request: pytest.FixtureRequest) -> None:
    """The same commands work with a redis:// index."""
    location = request.getfixturevalue("redis_index")
    added = run("index", "add", location, "corpus.jsonl", "-j", "1")
    assert added.exit_code == 0, added.output
    traced = run("trace", "article.txt", "--index", location, "--format", "json")
    assert json.loads(traced.stdout)["sources"][0]["sources"][0]["id"] == "wire"
    stats = json.loads(run("index", "stats", location, "--format", "json").stdout)
    assert (stats["documents"], stats["backend"]) == (20, "redis")


# Crash safety and concurrency (the installed command, in subprocesses)


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
            return int(connection.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def _add_command(index: str, corpus: Path) -> list[str]:
    return [*WIRE_COMMAND, "index", "add", index, str(corpus), "-j", "1", "--batch-size", "50"]


def test_kill_9_during_add_leaves_a_sound_index_that_resumes(tmp_path: Path) -> None:
    """kill -9 at several moments of an add: the file passes integrity_check, answers queries,
    and the same command then completes with every document stored once."""
    corpus = write_corpus(tmp_path / "corpus.jsonl", GENERATED)
    index = tmp_path / "news.db"
    command = _add_command(str(index), corpus)
    counts = []
    for target in (300, 1200, 2100):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _count(index) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, (
            process.stderr.read() if process.stderr else ""
        )
        with sqlite3.connect(index) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with Index.open(index, create=False) as opened:
            counts.append(len(opened))
            assert [pair.source for pair in opened.trace(WIRE).pairs] == ["wire"]
    assert 0 < counts[0] < counts[1] < counts[2] < GENERATED
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"; {GENERATED} documents in the index" in finished.stdout
    assert f"{counts[2]} unchanged" in finished.stdout
    with sqlite3.connect(index) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = connection.execute("SELECT count(DISTINCT id), count(*) FROM documents").fetchone()
        numbers = {row[0] for row in connection.execute("SELECT number FROM documents")}
    assert ids == (GENERATED, GENERATED)
    store = SQLiteStore(str(index), create=False)
    keys, owners = store.postings()
    store.close()
    # Every document has its postings, each once, and no posting is left of another.
    assert set(owners.tolist()) == numbers
    assert len(set(zip(keys.tolist(), owners.tolist(), strict=True))) == len(keys)


def test_kill_9_during_a_redis_add_resumes(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A Redis add killed mid-way keeps whole batches only, and the same command completes."""
    location = request.getfixturevalue("redis_index")
    corpus = write_corpus(tmp_path / "corpus.jsonl", 1500, seed=1)
    command = _add_command(location, corpus)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    count = 0
    while count < 400 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            with Index.open(location, create=False) as opened:
                count = len(opened)
        except Exception:  # not created yet
            count = 0
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with Index.open(location, create=False) as opened:
        killed_at = len(opened)
        assert [pair.source for pair in opened.trace(WIRE).pairs] == ["wire"]
    assert 0 < killed_at < 1500 and killed_at % 50 == 0
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"{killed_at} unchanged" in finished.stdout
    assert "; 1500 documents in the index" in finished.stdout


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_readers_query_while_a_writer_adds(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Traces answer, and find the indexed source, all the while another process adds (and
    replaces the source with a dated version of it: a trace never sees it half replaced)."""
    index = (
        str(tmp_path / "news.db") if backend == "sqlite" else request.getfixturevalue("redis_index")
    )
    with Index.open(index) as opened:
        opened.add([{"id": "wire", "text": WIRE, "outlet": "Wire"}])
    corpus = write_corpus(tmp_path / "corpus.jsonl", GENERATED, seed=2)
    writer = subprocess.Popen(
        _add_command(str(index), corpus), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    seen: list[int] = []
    with Index.open(index, create=False) as reader:
        while writer.poll() is None:
            report = reader.trace(words(9, 30) + " " + WIRE)
            assert [pair.source for pair in report.pairs] == ["wire"]
            seen.append(len(reader))
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert len(set(seen)) > 2, "the reader should have seen the index grow"
    assert seen == sorted(seen)
    with Index.open(index, create=False) as reader:
        assert len(reader) == GENERATED

"""The `wiretrace` command: a thin layer over the library (parse options, call, render, echo)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import click
from click.core import ParameterSource
from rich.console import Console

import wiretrace
from wiretrace import _warm
from wiretrace.config import MAX_COUNT, MAX_JOBS
from wiretrace.errors import WiretraceError
from wiretrace.ingest.decode import (
    DEFAULT_MAX_DOCUMENT_CHARS,
    MAX_MAX_DOCUMENT_CHARS,
    Decoder,
)
from wiretrace.ingest.fields import FieldMap
from wiretrace.ingest.readers import STREAM_FORMATS, TextStream

if TYPE_CHECKING:
    from wiretrace.models import Report

# The library's modules are imported by the commands that use them: `wiretrace --help` and a
# mistyped option answer at once.

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = ("text", "json")
# A report (not index stats) can also be a self-contained web page or a spreadsheet table.
REPORT_FORMATS = (*FORMATS, "html", "csv")
DEMO_HTML = "wiretrace-demo.html"
FIELD_OPTIONS = (
    ("id", "the document id (JSONL/CSV)"),
    ("text", "the article body (JSONL/CSV)"),
    ("outlet", "the outlet name (JSONL/CSV)"),
    ("date", "the publication date (JSONL/CSV)"),
    ("title", "the title (JSONL/CSV)"),
    ("url", "the URL (JSONL/CSV)"),
)
STAGE_LABELS = {
    "read": "Tokenizing documents",
    "sketch": "Sketching windows",
    "align": "Aligning candidate pairs",
    "add": "Adding documents to the index",
}


def _check_reading(context: click.Context, parameter: click.Parameter, value: str | None) -> Any:
    """Check an --encoding or --*-field value as the readers will, when the option is parsed:
    a bad one ends the command as a library error does, before anything (an index) is made."""
    if value is not None:
        try:
            if parameter.name == "encoding":
                Decoder.for_encoding(value)
            else:
                FieldMap(**{str(parameter.name): value})
        except WiretraceError as error:
            raise click.ClickException(str(error)) from None
    return value


def _setting_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The pipeline settings as options, each the kebab-case twin of a `Settings` field."""
    options = [
        click.option("--shingle-size", type=int, help="Words per shingle in the sketches [3]."),
        click.option("--window-size", type=int, help="Shingles per sketched window [16]."),
        click.option(
            "--num-perm", type=int, help="MinHash permutations per window, at most 2048 [64]."
        ),
        click.option("--threshold", type=float, help="Window Jaccard similarity to catch [0.4]."),
        click.option("--seed", type=int, help="MinHash seed, 0 to 2**32 - 1 [1]."),
        click.option("--seed-size", type=int, help="Words per exact seed match [3]."),
        click.option(
            "--max-gap", type=int, help="Words between matches merged into one passage [12]."
        ),
        click.option("--min-length", type=int, help="Matched words a passage needs [15]."),
        click.option("--min-similarity", type=float, help="Word similarity a passage needs [0.5]."),
        click.option(
            "--sentence-similarity",
            type=float,
            help="Sentence likeness that seeds re-worded copy; 1.0: exact word seeds only [0.35].",
        ),
        click.option(
            "--summary-probability",
            type=float,
            help="Report a summary where the summary model is this sure (English); 1.0: off "
            "[0.55].",
        ),
        click.option(
            "--boilerplate-docs",
            type=int,
            help="Documents of one outlet that make its repeated text boilerplate [20].",
        ),
        click.option(
            "--own-boilerplate-docs",
            type=int,
            help="Documents of one outlet that make text only it carries (in nine in ten of the "
            "documents holding it) its boilerplate; 0: off [5].",
        ),
        click.option(
            "--own-boilerplate-cover",
            type=float,
            help="With --own-boilerplate-docs: a document that text would cover more of (a "
            "story sent again) keeps it; 1.0: no exception [0.5].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _output_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True, allow_dash=True),
        default="-",
        show_default=True,
        callback=_checked_output,
        help="Write the report to this file ('-': stdout).",
    )(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(REPORT_FORMATS),
        default="text",
        show_default=True,
        help="Report format: html is one self-contained page, csv one row per passage.",
    )(function)


def _input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        *(
            click.option(f"--{name}-field", callback=_check_reading, help=f"Field holding {what}.")
            for name, what in FIELD_OPTIONS
        ),
        click.option(
            "--encoding",
            default="utf-8",
            show_default=True,
            callback=_check_reading,
            help="Text encoding of the inputs (a web page's declared charset comes first).",
        ),
        click.option(
            "--max-document-chars",
            type=click.IntRange(min=1, max=MAX_MAX_DOCUMENT_CHARS),
            default=DEFAULT_MAX_DOCUMENT_CHARS,
            show_default=True,
            help="Longest document read, in characters; a longer one is a bad input.",
        ),
        click.option(
            "--stdin-format",
            type=click.Choice(STREAM_FORMATS),
            default="text",
            show_default=True,
            help="How an input - (standard input) is read: one text article, or JSON Lines or "
            "CSV records (gzipped or not) as such a file is.",
        ),
        click.option(
            "--on-error",
            type=click.Choice(["fail", "skip"]),
            default="fail",
            show_default=True,
            help="On bad input: stop with a message, or skip it and list it in the report.",
        ),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=1, max=MAX_JOBS),
            help="Worker processes [all cores].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(options: dict[str, Any]) -> wiretrace.Settings:
    known = {field.name for field in attrs.fields(wiretrace.Settings)}
    return wiretrace.Settings.from_options({k: v for k, v in options.items() if k in known})


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr, when stderr is a terminal."""
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGE_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _checked_output(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    """The --output option's value, refused at once (before any work) when no report could be
    written there: an empty name, or a file in a folder that does not exist."""
    if value is None or value == "-":
        return value
    if not value:
        raise click.BadParameter("is empty; give a file name, or - for standard output")
    folder = Path(value).parent
    if not folder.is_dir():
        raise click.BadParameter(
            f"folder {str(folder)!r} does not exist; create it, or give a path in an existing "
            "folder"
        )
    return value


def _not_an_input(output: str, inputs: tuple[str, ...]) -> None:
    """UsageError when the report would be written over one of its input files (standard input
    too, when it is read from a file: `- < article.txt`)."""
    if output == "-" or not os.path.isfile(output):
        return
    for given in inputs:
        # A standard input that is no file (a pipe, a terminal, a test's buffer) is none.
        with contextlib.suppress(OSError, ValueError):
            if given == "-":
                same = sys.stdin is not None and os.path.samestat(
                    os.fstat(sys.stdin.fileno()), os.stat(output)
                )
            else:
                same = os.path.isfile(given) and os.path.samefile(given, output)
            if same:
                raise click.BadParameter(
                    f"{output} is an input of this run"
                    + (" (standard input)" if given == "-" else "")
                    + "; writing the report there would replace it: give another file name",
                    param_hint="'-o' / '--output'",
                )


def _standard_input(
    inputs: tuple[str, ...], argument: str, stream_format: str = "text"
) -> list[str | TextStream]:
    """The inputs with `-` as standard input, which the library reads as a text file is (one
    article, its id `-`), or as a JSON Lines or CSV file is (`stream_format`). A UsageError
    when `-` is given twice (standard input can be read only once), and an error when standard
    input is closed (`<&-`). A UsageError, too, when the command's --stdin-format is given and
    no input is `-`: it would be ignored."""
    if "-" not in inputs:
        given = click.get_current_context().get_parameter_source("stdin_format")
        if given not in (None, ParameterSource.DEFAULT):
            raise click.BadParameter(
                "applies only to an input - (standard input), and no input is -; leave it out, "
                "or give - to read standard input",
                param_hint="'--stdin-format'",
            )
        return list(inputs)
    if inputs.count("-") > 1:
        raise click.BadParameter(
            "- (standard input) is given more than once; it can be read only once, so give it "
            "once (a file named - is ./-)",
            param_hint=f"'{argument}'",
        )
    if sys.stdin is None:
        raise click.ClickException("standard input is closed; give a file instead of -")
    stream = TextStream(sys.stdin.buffer, format=stream_format)
    return [stream if given == "-" else given for given in inputs]


def _index_location(_: click.Context, __: click.Parameter, value: str) -> str:
    """The INDEX argument (or --index option), refused when it is `-`: an index is a file or a
    server, never standard input or output."""
    if value == "-":
        raise click.BadParameter(
            "- is not an index (an index cannot be read from standard input); give the path of "
            "a SQLite file such as news.db (./- for a file named -) or redis://host:port/db"
        )
    return value


def _emit(report: Report, output_format: str, output: str) -> None:
    """Write the report to `output` ('-': standard output); a ClickException naming where when
    it cannot be written."""
    if output == "-" and sys.stdout is None:
        raise click.ClickException(
            "standard output is closed; pass -o FILE to write the report to a file"
        )
    try:
        _write_report(report, output_format, output)
    except BrokenPipeError:
        raise
    except OSError as error:
        where = "standard output" if output == "-" else output
        raise click.ClickException(
            f"{where}: cannot write the report ({error.strerror or error}); check that you may "
            "write there, with room left on the disk"
        ) from None


def _write_report(report: Report, output_format: str, output: str) -> None:
    from wiretrace.report.html import format_size, iter_html
    from wiretrace.report.json import iter_json

    to_terminal = output == "-" and sys.stdout.isatty()
    jobs = report.settings.jobs if report.settings is not None else 1
    if output_format in ("json", "html") and output != "-":
        # Written as it is made: a large report is never held whole as JSON or HTML text.
        with open(output, "w", encoding="utf-8", newline="") as stream:
            if output_format == "json":
                pieces = iter_json(report, jobs=jobs)
            else:
                pieces = iter_html(report, jobs=jobs)
            for piece in pieces:
                stream.write(piece)
        where = f"{output} ({format_size(Path(output).stat().st_size)})"
        if output_format == "html":
            where += f"; open it in a web browser: {Path(output).resolve().as_uri()}"
        Console(stderr=True, soft_wrap=True).print(
            f"Report written to {where}", highlight=False, markup=False
        )
        return
    if output_format == "json":
        rendered = wiretrace.render_json(report)
    elif output_format == "html":
        rendered = wiretrace.render_html(report, jobs=jobs)
    elif output_format == "csv":
        # A CSV file starts with a byte-order mark so that Excel reads it as UTF-8.
        rendered = wiretrace.render_csv(report, bom=output != "-")
    else:
        rendered = wiretrace.render_text(report, color=to_terminal, jobs=jobs)
    if output == "-":
        click.echo(rendered, nl=False)
    else:
        data = rendered.encode("utf-8")
        Path(output).write_bytes(data)
        Console(stderr=True, soft_wrap=True).print(
            f"Report written to {output} ({format_size(len(data))})", highlight=False, markup=False
        )


_BLAS = "scipy.linalg.cython_blas"


def _load_numba() -> None:
    """Load numba's compiler (wiretrace's compiled loops run on it) without the look for a BLAS
    it takes on the way: it imports scipy.linalg (about 0.3 s, scipy being installed with
    datasketch) to know whether it can compile linear algebra, and wiretrace's loops do none.
    Only the command does this, in its own process; a program that imports wiretrace keeps
    numba as numba sets itself up. scipy.linalg imports as usual afterwards. On a machine's
    first run, the kernels start compiling on another core too (`_warm_kernels`)."""
    _numba_without_blas()
    _warm_kernels()


def _numba_without_blas() -> None:
    """Import numba's compiler without scipy.linalg (see `_load_numba`)."""
    if _BLAS in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    # A None in sys.modules makes that import raise ImportError: numba then records "no BLAS".
    sys.modules[_BLAS] = None  # type: ignore[assignment]
    try:
        import numba.np.arraymath  # noqa: F401
    except ImportError:  # a numba that needs it after all: loaded as it wants
        del sys.modules[_BLAS]
        import numba.np.arraymath  # noqa: F401
    finally:
        sys.modules.pop(_BLAS, None)


def _warm_kernels() -> None:
    """On a machine's first run (kernels missing from the disk cache), have a helper process
    compile them on another core while the command runs (`wiretrace._warm`), and say so on a
    terminal; the helper stops when the command ends."""
    context = click.get_current_context(silent=True)
    if context is None:
        return
    if context.with_resource(_warm.warming()) and sys.stderr.isatty():
        click.echo(
            "First run on this machine: compiling wiretrace's inner loops for it "
            "(about half a minute, once; later runs load them).",
            err=True,
        )


def _library_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become a one-line message and exit status 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except WiretraceError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(
                f"{error.filename or ''}: {error.strerror or error}"
            ) from None

    return wrapper


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(wiretrace.__version__, "--version", prog_name="wiretrace")
def cli() -> None:
    """Find reused passages across news articles, how they changed, and who took them from whom.

    \b
    Example:
        wiretrace demo
    """


@cli.command()
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("target", type=click.Path(dir_okay=False, allow_dash=True))
@_setting_options
@_output_options
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    callback=_check_reading,
    help="Text encoding of both files.",
)
@_library_errors
def compare(
    source: str, target: str, output_format: str, output: str, encoding: str, **options: Any
) -> None:
    """Align two articles and show every reused passage and how it changed.

    SOURCE and TARGET are text files (.txt, .md); either may be - for standard input (its id
    is -).

    \b
    Example:
        wiretrace compare wire.txt copy.txt --format json -o pair.json
    """
    _not_an_input(output, (source, target))
    first, second = _standard_input((source, target), "SOURCE' / 'TARGET")
    _load_numba()
    report = wiretrace.compare_files(first, second, encoding=encoding, settings=_settings(options))
    _emit(report, output_format, output)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@_setting_options
@_input_options
@_output_options
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Run on this machine's cores, or on Apache Spark (pip install 'wiretrace[spark]').",
)
@click.option(
    "--spark-master",
    default="local[*]",
    show_default=True,
    help="Spark master URL for --engine spark.",
)
@_library_errors
def report(inputs: tuple[str, ...], output_format: str, output: str, **options: Any) -> None:
    """Find which articles reuse which, with every passage, in a corpus.

    INPUTS are folders (every supported file below), text (.txt, .md), web pages (.html, .htm),
    web archives (.warc, .warc.gz), JSON Lines (.jsonl, .ndjson, .jsonl.gz) or CSV files; field
    names are recognised (id, text/body/content, outlet/source/site_name/domain,
    published/date/datetime) or named with the --*-field options. An input - is standard
    input: one article read as a text file is (its id is -), or with --stdin-format jsonl or
    csv records read as such a file is (`zcat news.jsonl.gz | wiretrace report -
    --stdin-format jsonl`).

    \b
    Example:
        wiretrace report articles.jsonl.gz --format json -o report.json
    """
    _not_an_input(output, inputs)
    given = _standard_input(inputs, "INPUTS...", options.pop("stdin_format"))
    fields = {k: options.pop(k) for k in list(options) if k.endswith("_field")}
    find_reuse_in: Callable[..., Report] = wiretrace.find_reuse_in
    master = options.pop("spark_master")
    if options.pop("engine") == "spark":
        from wiretrace import spark

        find_reuse_in = functools.partial(spark.find_reuse_in, master=master)
    else:
        _load_numba()
    with _progress(sys.stderr.isatty()) as progress:
        result = find_reuse_in(
            given,
            fields=fields,
            on_error=options.pop("on_error"),
            encoding=options.pop("encoding"),
            max_document_chars=options.pop("max_document_chars"),
            progress=progress,
            settings=_settings(options),
        )
    _emit(result, output_format, output)


@cli.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(REPORT_FORMATS),
    default="html",
    show_default=True,
    help="Report format: html is one self-contained page, csv one row per passage.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    callback=_checked_output,
    help=f"Write the report to this file ('-': stdout) [html: {DEMO_HTML}, else stdout].",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1, max=MAX_JOBS), help="Worker processes [all cores]."
)
@_library_errors
def demo(output_format: str, output: str | None, jobs: int | None) -> None:
    """Run the report on the bundled demo corpus: one fictional wire story spreading.

    The corpus (13 fictional articles, written for wiretrace) ships with the package. By default
    the report is a web page, written to wiretrace-demo.html in the current folder.

    \b
    Example:
        wiretrace demo --format json -o demo.json
    """
    _load_numba()
    result = wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=jobs)
    if output is None:
        output = DEMO_HTML if output_format == "html" else "-"
    _emit(result, output_format, output)


def _index_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The settings an index's bucket keys are made with: recorded in a new index, checked after."""
    options = [
        click.option("--shingle-size", type=int, help="Words per shingle in the sketches [3]."),
        click.option("--window-size", type=int, help="Shingles per sketched window [16]."),
        click.option(
            "--num-perm", type=int, help="MinHash permutations per window, at most 2048 [64]."
        ),
        click.option("--threshold", type=float, help="Window Jaccard similarity to catch [0.4]."),
        click.option("--seed", type=int, help="MinHash seed, 0 to 2**32 - 1 [1]."),
        click.option(
            "--own-boilerplate-docs",
            type=int,
            help="Made with it, the index also counts every shingle's holders in all, so that "
            "traces can use --own-boilerplate-docs; 0: off [5].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@cli.group("index", context_settings=CONTEXT_SETTINGS)
def index_group() -> None:
    """Build and inspect a persistent index of articles to trace new articles against.

    INDEX is a SQLite file (made when missing) or a Redis server: redis://host:port/db.

    \b
    Example:
        wiretrace index add news.db articles.jsonl.gz && wiretrace index stats news.db
    """


@index_group.command("add")
@click.argument("index_location", metavar="INDEX", callback=_index_location)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@_index_options
@_input_options
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=MAX_COUNT),
    default=1000,
    show_default=True,
    help="Documents per transaction; a stopped add keeps every finished batch.",
)
@_library_errors
def index_add(
    index_location: str, inputs: tuple[str, ...], batch_size: int, **options: Any
) -> None:
    """Add articles to a persistent index; run it again to resume a stopped add.

    INPUTS are read as by `wiretrace report` (- is standard input). An id already in the index
    is replaced when its content changed and skipped when it did not. A new index records the
    settings; later runs must use the same ones.

    \b
    Example:
        wiretrace index add news.db articles.jsonl.gz --on-error skip
    """
    given = _standard_input(inputs, "INPUTS...", options.pop("stdin_format"))
    fields = {k: options.pop(k) for k in list(options) if k.endswith("_field")}
    reading = {k: options.pop(k) for k in ("on_error", "encoding", "max_document_chars")}
    _load_numba()
    with (
        _progress(sys.stderr.isatty()) as progress,
        wiretrace.Index.open(index_location, **options) as index,
    ):
        _note_without_counts(index, index_location, options)
        result = index.add_from(
            given, fields=fields, batch_size=batch_size, progress=progress, **reading
        )
    for item in result.skipped:
        where = f"{item.input} line {item.line}" if item.line is not None else item.input
        click.echo(f"skipped {where}: {item.reason}", err=True)
    for notice in result.notices:
        where = f"{notice.input} line {notice.line}" if notice.line is not None else notice.input
        click.echo(f"notice {where}: {notice.message}", err=True)
    click.echo(
        f"{index_location}: {result.added} added, {result.replaced} replaced, "
        f"{result.unchanged} unchanged, {len(result.skipped)} skipped; "
        f"{result.documents} documents in the index"
    )


def _note_without_counts(
    index: wiretrace.Index, index_location: str, options: dict[str, Any]
) -> None:
    """Say on stderr when an index made without the counts an outlet's own boilerplate needs
    (by an earlier wiretrace, or with --own-boilerplate-docs 0) is used with the setting left at
    its default: it then traces without it."""
    default = wiretrace.Settings().own_boilerplate_docs
    if (
        options.get("own_boilerplate_docs") is None
        and index.settings.own_boilerplate_docs != default
    ):
        Console(stderr=True, soft_wrap=True).print(
            f"Note: {index_location} was made without counting each shingle's holders in all, "
            f"so it traces with --own-boilerplate-docs 0 (report uses {default}): an outlet's "
            "footers and notices found in fewer than --boilerplate-docs of its documents are not "
            "masked. Build a new index with 'wiretrace index add' from the same inputs to trace "
            "as report does.",
            highlight=False,
            markup=False,
        )


@index_group.command("stats")
@click.argument("index_location", metavar="INDEX", callback=_index_location)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@_library_errors
def index_stats(index_location: str, output_format: str) -> None:
    """Show what an index holds: documents, settings, size, date range, top outlets.

    \b
    Example:
        wiretrace index stats news.db --format json
    """
    with wiretrace.Index.open(index_location, create=False) as index:
        stats = index.stats()
    if output_format == "json":
        click.echo(wiretrace.report.render_stats_json(stats), nl=False)
    else:
        click.echo(wiretrace.report.render_stats_text(stats), nl=False)


@cli.command()
@click.argument("articles", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option(
    "--index",
    "index_location",
    required=True,
    metavar="INDEX",
    callback=_index_location,
    help="The index to trace against: a SQLite file or redis://host:port/db.",
)
@click.option("--since", help="Only sources published on or after this ISO date or time.")
@click.option("--until", help="Only sources published on or before this ISO date (or time).")
@_setting_options
@_output_options
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    callback=_check_reading,
    help="Text encoding of ARTICLE.",
)
@_library_errors
def trace(
    articles: tuple[str, ...],
    index_location: str,
    since: str | None,
    until: str | None,
    output_format: str,
    output: str,
    encoding: str,
    **options: Any,
) -> None:
    """Trace articles back to their sources in an index: passages, shares, edits.

    ARTICLE is a file (as read by `wiretrace report`; a text file is one article) or - for
    standard input; several may be given. In the report each indexed document an article reuses
    is a source and the article the target; "sources" sums up each article's shares.

    \b
    Example:
        wiretrace trace new-article.txt --index news.db --since 2019-11-01 --format json
    """
    _not_an_input(output, articles)
    inputs = _standard_input(articles, "ARTICLES...")
    _load_numba()
    with wiretrace.Index.open(index_location, create=False, **options) as index:
        _note_without_counts(index, index_location, options)
        result = index.trace_files(inputs, since=since, until=until, encoding=encoding)
    _emit(result, output_format, output)


def main() -> None:
    """Entry point of the `wiretrace` console script."""
    _stop_cleanly_on_terminate()
    code: str | int | None = 0
    try:
        cli(prog_name="wiretrace")
    except SystemExit as done:
        code = done.code
    # Out of the handler, the exception and its traceback are gone, and with them the frames of
    # the work it stopped: what they held is freed now and its finalizers run (a workspace that a
    # SIGTERM caught half made, not yet handed to the code that closes it, deletes its files),
    # before the process ends without the interpreter's teardown.
    _exit_now(code)


class _Terminated(SystemExit):
    """The command was sent SIGTERM: its status is 128 + the signal's number."""

    code: int


def _stop_cleanly_on_terminate() -> None:
    """Make SIGTERM (`kill`, a job scheduler's stop) end the command as Ctrl-C does, through its
    clean-up, so that a run's temporary files (several times its texts' size) are deleted; the
    status is 143 (128 + SIGTERM). Worker processes forked from it stop at once as before."""
    command = os.getpid()

    def terminated(number: int, _: object) -> None:
        if os.getpid() != command:  # a forked worker: the default action
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise _Terminated(128 + number)

    # A signal's handler runs in whatever Python code the main thread runs next: that may be a
    # callback from C (numba compiling a kernel calls back into Python through ctypes), which
    # ends an exception there as "ignored" and goes on. The stop is then raised again a moment
    # later, by a timer's signal (raised here, it would be ignored again), until it is raised
    # where it can end the command.
    ignored = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if (
            isinstance(info.exc_value, _Terminated)
            and os.getpid() == command
            and hasattr(signal, "setitimer")
        ):
            status = info.exc_value.code

            def again(_: int, __: object) -> None:
                raise _Terminated(status)

            signal.signal(signal.SIGALRM, again)
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        ignored(info)

    sys.unraisablehook = unraisable
    signal.signal(signal.SIGTERM, terminated)
    # Python finds its temporary folder (on first use) by writing a probe file there and deleting
    # it: a SIGTERM between the two left the file behind. Found now, with SIGTERM held back until
    # the probe is gone (where signals can be held back: POSIX).
    if not hasattr(signal, "pthread_sigmask"):
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        tempfile.gettempdir()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _exit_now(code: str | int | None) -> NoReturn:
    """End the process with `code` (as SystemExit takes it) once the standard streams are
    flushed, without the interpreter's teardown: unloading the compiled kernels alone takes a
    third of a second, more than a small run's whole report. Every file the command wrote is
    closed by then. A Spark run ends the usual way (its JVM stops from a hook at exit)."""
    if "pyspark" in sys.modules:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (`>&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`), or a closed stream
            status = status or 1
    os._exit(status)

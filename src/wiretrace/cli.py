"""The `wiretrace` command: a thin layer over the library (parse options, call, render, echo)."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import wiretrace
from wiretrace.errors import WiretraceError
from wiretrace.models import Report

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
FORMATS = ("text", "json")
STAGE_LABELS = {
    "read": "Tokenizing documents",
    "sketch": "Sketching windows",
    "align": "Aligning candidate pairs",
}


def _setting_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The pipeline settings as options, each the kebab-case twin of a `Settings` field."""
    options = [
        click.option("--shingle-size", type=int, help="Words per shingle in the sketches [3]."),
        click.option("--window-size", type=int, help="Shingles per sketched window [16]."),
        click.option("--num-perm", type=int, help="MinHash permutations per window [64]."),
        click.option("--threshold", type=float, help="Window Jaccard similarity to catch [0.4]."),
        click.option("--seed", type=int, help="MinHash seed [1]."),
        click.option("--seed-size", type=int, help="Words per exact seed match [3]."),
        click.option(
            "--max-gap", type=int, help="Words between matches merged into one passage [12]."
        ),
        click.option("--min-length", type=int, help="Matched words a passage needs [15]."),
        click.option("--min-similarity", type=float, help="Word similarity a passage needs [0.5]."),
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
        help="Write the report to this file ('-': stdout).",
    )(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Report format.",
    )(function)


def _input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--id-field", help="Field holding the document id (JSONL/CSV)."),
        click.option("--text-field", help="Field holding the article body (JSONL/CSV)."),
        click.option("--outlet-field", help="Field holding the outlet name (JSONL/CSV)."),
        click.option("--date-field", help="Field holding the publication date (JSONL/CSV)."),
        click.option("--title-field", help="Field holding the title (JSONL/CSV)."),
        click.option("--url-field", help="Field holding the URL (JSONL/CSV)."),
        click.option(
            "--encoding", default="utf-8", show_default=True, help="Text encoding of the inputs."
        ),
        click.option(
            "--on-error",
            type=click.Choice(["fail", "skip"]),
            default="fail",
            show_default=True,
            help="On bad input: stop with a message, or skip it and list it in the report.",
        ),
        click.option(
            "-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [all cores]."
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


def _emit(report: Report, output_format: str, output: str) -> None:
    to_terminal = output == "-" and sys.stdout.isatty()
    if output_format == "json":
        rendered = wiretrace.render_json(report)
    else:
        rendered = wiretrace.render_text(report, color=to_terminal)
    if output == "-":
        click.echo(rendered, nl=False)
    else:
        Path(output).write_text(rendered, encoding="utf-8")
        Console(stderr=True).print(f"Report written to {output}", highlight=False)


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
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=False))
@click.argument("target", type=click.Path(dir_okay=False, allow_dash=False))
@_setting_options
@_output_options
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of both files.")
@_library_errors
def compare(
    source: str, target: str, output_format: str, output: str, encoding: str, **options: Any
) -> None:
    """Align two articles and show every reused passage and how it changed.

    SOURCE and TARGET are text files (.txt, .md).

    \b
    Example:
        wiretrace compare wire.txt copy.txt --format json -o pair.json
    """
    report = wiretrace.compare_files(source, target, encoding=encoding, settings=_settings(options))
    _emit(report, output_format, output)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=False))
@_setting_options
@_input_options
@_output_options
@_library_errors
def report(inputs: tuple[str, ...], output_format: str, output: str, **options: Any) -> None:
    """Find which articles reuse which, with every passage, in a corpus.

    INPUTS are folders (every .txt/.md file below), JSON Lines (.jsonl, .ndjson, .jsonl.gz) or
    CSV files; field names are recognised (id, text/body/content, outlet/source/site_name/domain,
    published/date/datetime) or named with the --*-field options.

    \b
    Example:
        wiretrace report articles.jsonl.gz --format json -o report.json
    """
    fields = {k: options.pop(k) for k in list(options) if k.endswith("_field")}
    with _progress(sys.stderr.isatty()) as progress:
        result = wiretrace.find_reuse_in(
            inputs,
            fields=fields,
            on_error=options.pop("on_error"),
            encoding=options.pop("encoding"),
            progress=progress,
            settings=_settings(options),
        )
    _emit(result, output_format, output)


@cli.command()
@_output_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [all cores].")
@_library_errors
def demo(output_format: str, output: str, jobs: int | None) -> None:
    """Run the report on the bundled demo corpus: one fictional wire story spreading.

    The corpus (13 fictional articles, written for wiretrace) ships with the package.

    \b
    Example:
        wiretrace demo --format json -o demo.json
    """
    result = wiretrace.find_reuse_in([str(wiretrace.demo_corpus_path())], jobs=jobs)
    _emit(result, output_format, output)


def main() -> None:
    """Entry point of the `wiretrace` console script."""
    cli(prog_name="wiretrace")

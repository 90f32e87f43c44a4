"""The text report: per pair, coverage both ways and each passage with its differences marked.

Differences are shown as a word diff: ``[-removed-]`` and ``{+added+}`` (struck red and green on a
colour terminal), readable when piped to a file as well.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.text import Text

from wiretrace.models import Document, Pair, Passage, Report


def _describe(document: Document) -> str:
    parts = [part for part in (document.outlet, document.published) if part]
    return f"{document.id} ({', '.join(parts)})" if parts else document.id


def word_diff(source: Document, passage: Passage) -> Text:
    """The source passage with its edits marked: [-removed-]{+added+}."""
    text = Text()
    position = passage.source_start
    for edit in sorted(passage.edits, key=lambda e: (e.source_start, e.source_end)):
        text.append(source.text[position : edit.source_start])
        removed, added = edit.source_text.rstrip(), edit.target_text.rstrip()
        if removed:
            text.append(f"[-{removed}-]", style="bold red strike")
        if added:
            text.append(f"{{+{added}+}}", style="bold green")
        trailing = edit.source_text[len(removed) :] if removed else edit.target_text[len(added) :]
        text.append(trailing)
        position = edit.source_end
    text.append(source.text[position : passage.source_end])
    return text


def _pair_section(number: int, pair: Pair, documents: dict[str, Document]) -> list[RenderableType]:
    source, target = documents[pair.source], documents[pair.target]
    lines: list[RenderableType] = [
        Text.assemble(
            (f"Pair {number}: ", "bold"),
            (pair.source, "bold cyan"),
            " -> ",
            (pair.target, "bold cyan"),
            f"  similarity {pair.similarity:.2f}, direction: {pair.direction}",
        ),
        Text(f"  source  {_describe(source)}: {pair.source_coverage:.0%} of it reused"),
        Text(f"  target  {_describe(target)}: {pair.target_coverage:.0%} of it reused"),
    ]
    for index, passage in enumerate(pair.passages, 1):
        lines.append(
            Text(
                f"  Passage {index}: source {passage.source_start}-{passage.source_end}, "
                f"target {passage.target_start}-{passage.target_end}, "
                f"similarity {passage.similarity:.2f}, {passage.matched_words} words matched, "
                f"{len(passage.edits)} edits",
                style="bold",
            )
        )
        lines.append(Padding(word_diff(source, passage), (0, 0, 0, 4), expand=False))
    lines.append(Text(""))
    return lines


def render_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The report as text for a terminal (`color`) or a file."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False
    )
    documents = {doc.id: doc for doc in report.documents}
    passages = sum(len(pair.passages) for pair in report.pairs)
    console.print(
        Text(
            f"wiretrace: {len(report.documents)} documents, {len(report.pairs)} pairs with reuse, "
            f"{passages} passages, {len(report.skipped)} skipped",
            style="bold",
        )
    )
    console.print()
    for number, pair in enumerate(report.pairs, 1):
        for line in _pair_section(number, pair, documents):
            console.print(line)
    if not report.pairs:
        console.print("No reused passages found.")
        console.print()
    if report.skipped:
        console.print(Text("Skipped inputs:", style="bold yellow"))
        for item in report.skipped:
            where = f"{item.input} line {item.line}" if item.line is not None else item.input
            console.print(Text(f"  {where}: {item.reason}"))
    return "".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines())

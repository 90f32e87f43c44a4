"""The text report: per pair, coverage both ways and each passage with its differences marked.

Differences are shown as a word diff: ``[-removed-]`` and ``{+added+}`` (struck red and green on a
colour terminal), readable when piped to a file as well.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, cast

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.text import Text
from rich.tree import Tree

from wiretrace._workers import in_order
from wiretrace.config import Settings, whole_number
from wiretrace.corpus import documents_by_id
from wiretrace.models import (
    Document,
    Mutation,
    Pair,
    Passage,
    Report,
    ReuseCluster,
    check_report,
)

# Control characters (C0, DEL, C1), which a terminal would act on (moving the cursor, clearing
# the screen, setting its title, ...): shown escaped, as \\x1b. Texts of the input may hold
# them; only the text report's own colours (SGR sequences, when it is for a terminal) are kept.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _label(text: str) -> str:
    """A name (an id, an outlet, a path) on one line: every control character escaped."""
    return _CONTROL.sub(_escaped, text)


def _terminal_safe(output: str, color: bool) -> str:
    """`output` with its control characters other than line ends and tabs escaped; with
    `color`, the colour sequences the report's console made are kept."""
    if not color:
        return _CONTROL_BUT_LINES.sub(_escaped, output)
    parts = _SGR.split(output)
    return "".join(
        part if k % 2 else _CONTROL_BUT_LINES.sub(_escaped, part) for k, part in enumerate(parts)
    )


def _describe(document: Document) -> str:
    parts = [_label(part) for part in (document.outlet, document.published) if part]
    return f"{_label(document.id)} ({', '.join(parts)})" if parts else _label(document.id)


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


def _pair_section(
    number: int, pair: Pair, documents: Mapping[str, Document]
) -> list[RenderableType]:
    source, target = documents[pair.source], documents[pair.target]
    lines: list[RenderableType] = [
        Text.assemble(
            (f"Pair {number}: ", "bold"),
            (_label(pair.source), "bold cyan"),
            " -> ",
            (_label(pair.target), "bold cyan"),
            f"  similarity {pair.similarity:.2f}, direction: {pair.direction}",
        ),
        Text(f"  source  {_describe(source)}: {pair.source_coverage:.0%} of it reused"),
        Text(f"  target  {_describe(target)}: {pair.target_coverage:.0%} of it reused"),
    ]
    for index, passage in enumerate(pair.passages, 1):
        found = " (summary: the source's names and terms, not its wording)"
        lines.append(
            Text(
                f"  Passage {index}{found if passage.kind == 'summary' else ''}: "
                f"source {passage.source_start}-{passage.source_end}, "
                f"target {passage.target_start}-{passage.target_end}, "
                f"similarity {passage.similarity:.2f}, {passage.matched_words} words matched, "
                f"{len(passage.edits)} edits",
                style="bold",
            )
        )
        lines.append(Padding(word_diff(source, passage), (0, 0, 0, 4), expand=False))
    lines.append(Text(""))
    return lines


MUTATION_STYLES = {
    "number": "bold magenta",
    "quote": "bold yellow",
    "attribution": "bold red",
    "hedge": "bold cyan",
    "name": "bold blue",
    "sentence_added": "green",
    "sentence_removed": "red",
}


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _mutation_line(mutation: Mutation) -> Text:
    line = Text("  ")
    line.append(f"{mutation.type}: ", style=MUTATION_STYLES.get(mutation.type, "bold"))
    if mutation.source_text.strip() and mutation.target_text.strip():
        line.append(f'"{_short(mutation.source_text, 40)}" -> "{_short(mutation.target_text, 40)}"')
    elif mutation.target_text.strip():
        line.append(f'+ "{_short(mutation.target_text)}"')
    else:
        line.append(f'- "{_short(mutation.source_text)}"')
    return line


def _cluster_tree(cluster: ReuseCluster, documents: Mapping[str, Document]) -> Tree:
    """A cluster's lineage as a tree: each child under its parent, with the hop's mutations."""
    label = Text.assemble(
        (f"Cluster {cluster.id}", "bold"),
        f" ({cluster.kind}, {len(cluster.documents)} documents",
        f"; versions: {', '.join(cluster.versions)})" if cluster.versions else ")",
    )
    if cluster.kind == "quote":
        label.append(" - a quotation carried independently, not copied")
    tree = Tree(label)
    children: dict[str, list] = {}
    for edge in cluster.edges:
        children.setdefault(edge.parent, []).append(edge)

    def add(node: Tree, document: str) -> None:
        for edge in sorted(children.get(document, []), key=lambda e: e.child):
            credit = f", credits {_label(edge.credit)}" if edge.credit else ", no credit"
            branch = node.add(
                Text.assemble(
                    (_describe(documents[edge.child]), "cyan"),
                    f"  confidence {edge.confidence:.2f}{credit}",
                )
            )
            for mutation in edge.mutations:
                branch.add(_mutation_line(mutation))
            add(branch, edge.child)

    for root in cluster.roots:
        add(tree.add(Text.assemble((_describe(documents[root]), "bold cyan"), "  (origin)")), root)
    return tree


MAX_NOTICES_SHOWN = 20
MAX_BOILERPLATE_OUTLETS = 20
BOILERPLATE_EXAMPLES = 3


def _boilerplate_section(report: Report, documents: Mapping[str, Document]) -> list[Text]:
    """Boilerplate found, per outlet (most spans first): its count and its commonest texts."""
    by_outlet: dict[str, list[tuple[str, str]]] = {}
    for span in report.boilerplate:
        outlet = _label(documents[span.document].outlet or "(no outlet)")
        by_outlet.setdefault(outlet, []).append((span.document, " ".join(span.text.split())))
    spans = len(report.boilerplate)
    lines = [
        Text.assemble(
            ("Boilerplate: ", "bold"),
            f"{spans} span{'' if spans == 1 else 's'} in "
            f"{len({span.document for span in report.boilerplate})} documents (text an outlet "
            "repeats in many articles; not reuse)",
        )
    ]
    ranked = sorted(by_outlet.items(), key=lambda item: (-len(item[1]), item[0]))
    for outlet, found in ranked[:MAX_BOILERPLATE_OUTLETS]:
        lines.append(
            Text(
                f"  {outlet}: {len(found)} spans in {len({doc for doc, _ in found})} documents",
                style="bold",
            )
        )
        for text, count in Counter(text for _, text in found).most_common(BOILERPLATE_EXAMPLES):
            lines.append(Text(f'    {count} x "{_short(text, 88)}"', style="dim"))
    if len(ranked) > MAX_BOILERPLATE_OUTLETS:
        more = len(ranked) - MAX_BOILERPLATE_OUTLETS
        lines.append(Text(f"  ... and {more} more outlets (the JSON report lists every span)"))
    lines.append(Text(""))
    return lines


# Pairs (or clusters) whose sections one task writes, when several jobs write them.
PAIRS_PER_TASK = 256
# The report being written, its documents, colour and width: shared with the worker processes
# forked to write its pairs' sections.
_WRITING: tuple[Report, Mapping[str, Document], bool, int | None] | None = None


# The console's height: given, it does not ask the terminal its size at every line.
_HEIGHT = 25


def _console(buffer: io.StringIO, color: bool, width: int | None) -> Console:
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        height=_HEIGHT,
        highlight=False,
    )


def _rich_word_wrap() -> Callable[[str, int], list[int]] | None:
    """rich's own word wrap (`divide_line`: where a line breaks), from a private module of
    rich's; None where it has none (then rich's console writes every line)."""
    try:
        from rich._wrap import divide_line
    except ImportError:  # pragma: no cover - depends on rich's version
        return None
    return cast(Callable[[str, int], list[int]], divide_line)


_DIVIDE_LINE = _rich_word_wrap()

# Narrower consoles are left to rich (a passage's text is indented by 4).
_PLAIN_WIDTH = 10
# What `_plain_lines` leaves to rich: tabs and control characters (rich drops some, the report
# escapes the rest).
_NOT_PLAIN = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _plain_lines(text: str, width: int, indent: str = "") -> list[str] | None:
    """`text` as rich's console writes a Text of it `width` cells wide with no colour, each line
    after `indent` (as a Padding indents), trailing spaces aside; None for a text it does not
    write the same way (see _NOT_PLAIN; characters not one cell wide; an indented text of no
    characters but line ends)."""
    if _NOT_PLAIN.search(text) is not None or (indent and not text.strip("\n")):
        return None  # (a Padding of no text but line ends is sized as rich sizes it)
    lines = []
    for paragraph in text.split("\n"):
        if not all(cell_len(character) == 1 for character in set(paragraph)):
            return None
        # rich's own word wrap; a piece is longer than the width only by its trailing spaces,
        # which rich crops.
        assert _DIVIDE_LINE is not None
        bounds = [0, *_DIVIDE_LINE(paragraph, width), len(paragraph)]
        lines += [indent + paragraph[a:b][:width] for a, b in zip(bounds, bounds[1:], strict=False)]
    return lines


def _plain_section(
    number: int, pair: Pair, documents: Mapping[str, Document], width: int
) -> str | None:
    """`_pair_section`'s lines as the console writes them with no colour (see `_plain_lines`),
    or None when a line of it is one `_plain_lines` leaves to rich."""
    lines = []
    for item in _pair_section(number, pair, documents):
        text, indent = (
            (item.renderable, " " * item.left) if isinstance(item, Padding) else (item, "")
        )
        wrapped = _plain_lines(cast(Text, text).plain, width - len(indent), indent)
        if wrapped is None:
            return None
        lines += wrapped
    return "\n".join(lines) + "\n"


def _sections(
    report: Report,
    documents: Mapping[str, Document],
    color: bool,
    width: int | None,
    task: tuple[str, int],
) -> str:
    """As the report's console writes them: the lineage trees of PAIRS_PER_TASK clusters from a
    start (each with a blank line after it), or the sections of as many pairs (numbered from
    the start + 1; without colour, as `_plain_section` writes them where it can: the same lines
    but for their trailing spaces, which `render_text` strips)."""
    part, start = task
    buffer = io.StringIO()
    console = _console(buffer, color, width)
    if part == "clusters":
        for cluster in report.clusters[start : start + PAIRS_PER_TASK]:
            console.print(_cluster_tree(cluster, documents))
            console.print()
        return buffer.getvalue()
    plain = not color and console.width >= _PLAIN_WIDTH and _DIVIDE_LINE is not None
    for number, pair in enumerate(report.pairs[start : start + PAIRS_PER_TASK], start + 1):
        written = _plain_section(number, pair, documents, console.width) if plain else None
        if written is not None:
            buffer.write(written)
            continue
        for line in _pair_section(number, pair, documents):
            console.print(line)
    return buffer.getvalue()


def _written(task: tuple[str, int]) -> str:
    """In a worker process (or here): `_sections` of the report being written."""
    assert _WRITING is not None
    return _sections(*_WRITING, task)


def render_text(
    report: Report, *, color: bool = False, width: int = 100, jobs: int | None = 1
) -> str:
    """The report as text for a terminal (`color`) or a file, `width` columns wide (1 to
    `config.MAX_COUNT`; None: the terminal's). Anything but a Report raises TypeError. With
    `jobs` above 1 (None: all cores), worker processes write the pairs' sections; the text is
    the same."""
    global _WRITING
    check_report(report, "render_text")
    if width is not None:
        whole_number("width", width, 1)
    workers = Settings(jobs=jobs).workers
    buffer = io.StringIO()
    console = _console(buffer, color, width)
    documents = documents_by_id(report.documents)
    passages = sum(len(pair.passages) for pair in report.pairs)
    console.print(
        Text(
            f"wiretrace: {len(report.documents)} documents, {len(report.pairs)} pairs with reuse, "
            f"{passages} passages, {len(report.skipped)} skipped"
            + (f", {len(report.notices)} notices" if report.notices else "")
            + (f", {len(report.boilerplate)} boilerplate spans" if report.boilerplate else ""),
            style="bold",
        )
    )
    console.print()
    # The clusters' trees, then the pairs' sections, a few hundred a task.
    tasks = [("clusters", start) for start in range(0, len(report.clusters), PAIRS_PER_TASK)]
    tasks += [("pairs", start) for start in range(0, len(report.pairs), PAIRS_PER_TASK)]
    _WRITING = (report, documents, color, width)
    try:
        for piece in in_order(_written, tasks, workers):
            buffer.write(piece)
    finally:
        _WRITING = None
    if not report.pairs:
        console.print("No reused passages found.")
        console.print()
    if report.boilerplate:
        for line in _boilerplate_section(report, documents):
            console.print(line)
    for trace in report.traces:
        console.print(Text(f"Sources of {_label(trace.article)}:", style="bold"))
        for item in trace.sources:
            outlet = f" ({_label(item.outlet)})" if item.outlet else ""
            console.print(Text(f"  {item.share:6.1%}  {_label(item.source)}{outlet}"))
        console.print(Text(f"  {trace.own_share:6.1%}  its own"))
        console.print()
    if report.skipped:
        console.print(Text("Skipped inputs:", style="bold yellow"))
        for skipped in report.skipped:
            where = (
                f"{_label(skipped.input)} line {skipped.line}"
                if skipped.line is not None
                else _label(skipped.input)
            )
            console.print(Text(f"  {where}: {skipped.reason}"))
    if report.notices:
        console.print(Text("Notices:", style="bold"))
        for notice in report.notices[:MAX_NOTICES_SHOWN]:
            where = _label(notice.input) + (
                f" line {notice.line}" if notice.line is not None else ""
            )
            console.print(Text(f"  {where}: {notice.message}"))
        if len(report.notices) > MAX_NOTICES_SHOWN:
            more = len(report.notices) - MAX_NOTICES_SHOWN
            console.print(Text(f"  ... and {more} more (the JSON report lists them all)"))
    shown = _terminal_safe(buffer.getvalue(), color)
    return "".join(line.rstrip(" ") + "\n" for line in shown.splitlines())


def render_stats_text(stats: Mapping[str, Any]) -> str:
    """An index's statistics (`Index.stats`) as text: one fact a line, then the top outlets."""
    settings = ", ".join(f"{name}={value}" for name, value in stats["settings"].items())
    published = stats["published"]
    lines = [
        f"index      {stats['location']} ({stats['backend']})",
        f"documents  {stats['documents']}",
        f"size       {stats['bytes'] / 2**20:.1f} MiB",
        f"published  {published['first'] or '?'} .. {published['last'] or '?'}",
        f"settings   {settings}",
        f"outlets    {stats['outlets']}",
    ]
    lines += [
        f"  {item['documents']:>8}  {item['outlet'] or '(no outlet)'}"
        for item in stats["top_outlets"]
    ]
    return "\n".join(lines) + "\n"

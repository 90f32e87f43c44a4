"""Direction of reuse: which document of a pair is the origin, from publication times or text."""

from __future__ import annotations

from wiretrace.models import Direction, Document

# Coverage must differ by more than this for the texts alone to decide a direction.
TEXT_DIRECTION_MARGIN = 0.05


def orient_pair(
    first: Document, second: Document, first_coverage: float, second_coverage: float
) -> tuple[Document, Document, Direction]:
    """(source, target, direction) for two documents that share passages.

    Publication times decide when both are known and differ (a bare date only decides against a
    different date). Otherwise the texts decide: the copy is the text more covered by the shared
    passages (a trimmed or excerpted copy derives from the fuller text). Where neither decides, the
    given order stands and the direction is "unknown".
    """
    earlier = _earlier(first, second)
    if earlier is not None:
        return (first, second, "published") if earlier is first else (second, first, "published")
    if second_coverage > first_coverage + TEXT_DIRECTION_MARGIN:
        return first, second, "text"
    if first_coverage > second_coverage + TEXT_DIRECTION_MARGIN:
        return second, first, "text"
    return first, second, "unknown"


def _earlier(first: Document, second: Document) -> Document | None:
    """The document published first, or None when the dates are missing or cannot tell."""
    first_time, second_time = first.published_at, second.published_at
    if first_time is None or second_time is None:
        return None
    if not (first.published_has_time and second.published_has_time):
        first_time = first_time.replace(hour=0, minute=0, second=0, microsecond=0)
        second_time = second_time.replace(hour=0, minute=0, second=0, microsecond=0)
    if first_time == second_time:
        return None
    return first if first_time < second_time else second

"""Field mapping: which key of an input record holds the id, the text, the outlet and the date."""

from __future__ import annotations

import email.utils
import functools
import math
import re
import reprlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs

from wiretrace.errors import ConfigError, EmptyInputError, InputError
from wiretrace.models import Document, Notice

# Each tuple is in order of preference: when a record has several of these keys, the first one
# with a value wins. Specific names come before generic ones ("datetime" carries a time of day
# that "date" lacks; "site_name" is a name where "domain" is only a host).
ID_ALIASES: tuple[str, ...] = ("id", "ID", "_id", "doc_id", "article_id")
TEXT_ALIASES: tuple[str, ...] = ("text", "body", "content", "article", "full_text")
OUTLET_ALIASES: tuple[str, ...] = (
    "outlet",
    "site_name",
    "publisher",
    "source",
    "channel",
    "domain",
)
PUBLISHED_ALIASES: tuple[str, ...] = (
    "published",
    "published_time",
    "published_at",
    "datetime",
    "pubdate",
    "date",
    "time",
)
TITLE_ALIASES: tuple[str, ...] = ("title", "headline")
URL_ALIASES: tuple[str, ...] = ("url", "link", "source_url")

_MAX_FIELDS_SHOWN = 20
UNPARSED_DATE = (
    "cannot be parsed; the document is read without a date "
    "(dates are read in ISO 8601, RFC 2822, M/D/YY or epoch seconds or milliseconds)"
)

# reprlib keeps a shown value short without building the repr of a huge or deeply nested one.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 2


def _optional_field_name(instance: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(
            f"{attribute.name} must be a field name (a non-empty string), or None to recognise the "
            f"usual names; got {value!r}"
        )


@attrs.frozen(kw_only=True)
class FieldMap:
    """Which record keys hold each document field; None means "recognise the usual names".

    The usual names are, in order of preference: `ID_ALIASES`, `TEXT_ALIASES`,
    `OUTLET_ALIASES`, `PUBLISHED_ALIASES` (for `date_field`), `TITLE_ALIASES`, `URL_ALIASES`.
    """

    id_field: str | None = attrs.field(default=None, validator=_optional_field_name)
    text_field: str | None = attrs.field(default=None, validator=_optional_field_name)
    outlet_field: str | None = attrs.field(default=None, validator=_optional_field_name)
    date_field: str | None = attrs.field(default=None, validator=_optional_field_name)
    title_field: str | None = attrs.field(default=None, validator=_optional_field_name)
    url_field: str | None = attrs.field(default=None, validator=_optional_field_name)

    @classmethod
    def from_fields(cls, fields: Mapping[str, str | None] | None) -> FieldMap:
        """The field map of a library call's `fields` (None values: the usual names).

        `fields` not a mapping, or naming an option FieldMap does not have, raises ConfigError
        listing the options.
        """
        if fields is None:
            return cls()
        known = [field.name for field in attrs.fields(cls)]
        if not isinstance(fields, Mapping):
            raise ConfigError(
                f"fields must be a mapping of field options ({', '.join(known)}) to field "
                f"names, got {type(fields).__name__} {shorten(fields)}"
            )
        unknown = sorted(map(str, set(fields) - set(known)))
        if unknown:
            raise ConfigError(
                f"unknown field option(s) {', '.join(unknown)}; known field options: "
                f"{', '.join(known)}"
            )
        return cls(**{name: value for name, value in fields.items() if value is not None})


def document_from_mapping(
    record: Mapping[str, Any],
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    *,
    input: str = "",
    line: int | None = None,
    fallback_id: str | None = None,
) -> Document:
    """Build a `Document` from one input record, finding each field by `field_map`.

    Raises `InputError` (naming `input` and `line`) when the text is missing or not a string,
    or when there is no id and no `fallback_id`. Empty or whitespace-only text raises
    `EmptyInputError` with the reason ``"empty"``, which readers turn into a `Skipped` record.
    A date that cannot be parsed leaves `published` as None (`read_record` also says so).
    """
    return read_record(record, field_map, input=input, line=line, fallback_id=fallback_id)[0]


def read_record(
    record: Mapping[str, Any],
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    *,
    input: str = "",
    line: int | None = None,
    fallback_id: str | None = None,
) -> tuple[Document, tuple[Notice, ...]]:
    """`document_from_mapping`, with a `Notice` for each value that was read as nothing.

    A publication date that cannot be parsed is such a value: the document has no date, and
    the notice shows the value and where it was.
    """
    text = _find_text(record, field_map, input=input, line=line)
    # isspace, where strip would copy a text that ends in a line break only to look at it.
    if not text or text.isspace():
        raise EmptyInputError("empty", input=input, line=line)
    published, unparsed = _find_published(record, field_map.date_field)
    notices: tuple[Notice, ...] = ()
    if unparsed is not None:
        name, value = unparsed
        notices = (
            Notice(
                input=input,
                line=line,
                message=f"published date {shorten(value)} in field {name!r} {UNPARSED_DATE}",
            ),
        )
    document = Document(
        id=_find_id(record, field_map, input=input, line=line, fallback_id=fallback_id),
        text=text,
        outlet=_find_scalar(record, field_map.outlet_field, OUTLET_ALIASES, "outlet", input, line),
        published=published,
        title=_find_scalar(record, field_map.title_field, TITLE_ALIASES, "title", input, line),
        url=_find_scalar(record, field_map.url_field, URL_ALIASES, "url", input, line),
    )
    return document, notices


def _found_fields(record: Mapping[str, Any]) -> str:
    # A name with a line break or a control character is quoted, keeping messages on one line.
    names = [name if name.isprintable() else repr(name) for name in map(str, record)]
    if not names:
        return "the record is empty"
    shown = ", ".join(names[:_MAX_FIELDS_SHOWN])
    if len(names) > _MAX_FIELDS_SHOWN:
        shown += f", and {len(names) - _MAX_FIELDS_SHOWN} more"
    return f"found fields: {shown}"


def _first_key(record: Mapping[str, Any], aliases: tuple[str, ...]) -> str | None:
    """The first alias present in `record` with a value (not None, not an empty string)."""
    for name in aliases:
        if name in record:
            value = record[name]
            if value is not None and value != "":
                return name
    return None


def _find_text(
    record: Mapping[str, Any], field_map: FieldMap, *, input: str, line: int | None
) -> str:
    name = (
        field_map.text_field
        or _first_key(record, TEXT_ALIASES)
        or next((alias for alias in TEXT_ALIASES if alias in record), None)
    )
    if name is None or name not in record:
        raise InputError(
            f"field {name or 'text'!r} is missing ({_found_fields(record)}); "
            "pass --text-field to name the field that holds the article body",
            input=input,
            line=line,
        )
    value = record[name]
    # A null body is how many exports write "no text"; it is the same as an empty one.
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(
            f"field {name!r} must be a string, got {type(value).__name__} {shorten(value)}; "
            "pass --text-field to name the field that holds the article body",
            input=input,
            line=line,
        )
    return value


def _find_id(
    record: Mapping[str, Any],
    field_map: FieldMap,
    *,
    input: str,
    line: int | None,
    fallback_id: str | None,
) -> str:
    name = field_map.id_field or _first_key(record, ID_ALIASES)
    if name is None and fallback_id is not None:
        return fallback_id
    value = None if name is None else record.get(name)
    if value is None or value == "":
        raise InputError(
            f"field {name or 'id'!r} is missing ({_found_fields(record)}); "
            "pass --id-field to name the field that holds the document id",
            input=input,
            line=line,
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(
            f"field {name!r} must be a string or an integer, got {type(value).__name__} "
            f"{shorten(value)}; pass --id-field to name the field that holds the document id",
            input=input,
            line=line,
        )
    return str(value)


def _find_scalar(
    record: Mapping[str, Any],
    explicit: str | None,
    aliases: tuple[str, ...],
    option: str,
    input: str,
    line: int | None,
) -> str | None:
    name = explicit if explicit is not None else _first_key(record, aliases)
    value = None if name is None else record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(
            f"field {name!r} must be a string, got {type(value).__name__} {shorten(value)}; "
            f"pass --{option}-field to name another field",
            input=input,
            line=line,
        )
    return str(value)


def _find_published(
    record: Mapping[str, Any], explicit: str | None
) -> tuple[str | None, tuple[str, Any] | None]:
    """The normalized date, and else the first (field, value) given that did not parse."""
    names = (explicit,) if explicit is not None else PUBLISHED_ALIASES
    unparsed: tuple[str, Any] | None = None
    for name in names:
        value = record.get(name)
        if value is None or value == "":
            continue
        normalized = normalize_date(value)
        # A generic alias that does not parse should not hide a later one that does.
        if normalized is not None:
            return normalized, None
        unparsed = unparsed or (name, value)
    return None, unparsed


def shorten(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to about `limit` characters, on one line, safe on huge or deep values."""
    shown = _REPR.repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
_EPOCH = re.compile(r"\d{9,13}(?:\.\d+)?")
# Epoch seconds from March 1973 (nine digits) up to the year 5138 (twelve digits); epoch
# milliseconds from there up to 10**13 (the year 2286).
_EPOCH_SECONDS = (1e8, 1e11)
_EPOCH_MILLISECONDS = (1e11, 1e13)


def normalize_date(value: Any) -> str | None:
    """A publication date or time as ``YYYY-MM-DD`` or UTC ``YYYY-MM-DDTHH:MM:SSZ``; else None.

    Understands ISO 8601 dates and datetimes (naive times are taken as UTC), RFC 2822
    (``Fri, 01 Nov 2019 12:00:46 +0000``), US ``M/D/YY`` and ``MM/DD/YYYY``, epoch seconds (a
    number, or a string of digits, from 10**8 up to 10**11: March 1973 to the year 5138) and
    epoch milliseconds (from 10**11 up to 10**13, 12 or 13 digits: JavaScript's timestamps).
    Anything else gives None: a number such as 2019 (a year, not a moment of 1970) or 20191101
    is no date.
    """
    if type(value) is str:  # (most often, and cached)
        return _normalize_date_text(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _from_epoch_number(value)
    if not isinstance(value, str):
        return None
    return _normalize_date_text(value)


# The dates of a corpus's articles repeat (news of the same days).
@functools.lru_cache(maxsize=4096)
def _normalize_date_text(value: str) -> str | None:
    """`normalize_date` of a string."""
    text = value.strip()
    if not text:
        return None
    if _EPOCH.fullmatch(text):
        return _from_epoch_number(float(text))
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if _ISO_DATETIME.fullmatch(text):
        try:
            return _format_datetime(datetime.fromisoformat(text))
        except ValueError:
            return None
    us_date = _US_DATE.fullmatch(text)
    if us_date:
        return _from_us_date(*us_date.groups())
    try:
        return _format_datetime(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _format_datetime(moment: datetime) -> str | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    # isoformat, not strftime: strftime("%Y") drops the leading zeros of years before 1000.
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _from_epoch_number(number: float) -> str | None:
    """The moment of epoch seconds or milliseconds in their ranges (see `normalize_date`)."""
    if _EPOCH_SECONDS[0] <= number < _EPOCH_SECONDS[1]:
        return _from_epoch(number)
    if _EPOCH_MILLISECONDS[0] <= number < _EPOCH_MILLISECONDS[1]:
        return _from_epoch(number / 1000)
    return None


def _from_epoch(seconds: float) -> str | None:
    if not math.isfinite(seconds):
        return None
    try:
        return _format_datetime(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _from_us_date(month: str, day: str, year: str) -> str | None:
    full_year = int(year)
    if len(year) == 2:
        # The same pivot as strptime's %y: 69-99 are 1900s, 00-68 are 2000s.
        full_year += 1900 if full_year >= 69 else 2000
    try:
        return date(full_year, int(month), int(day)).isoformat()
    except ValueError:
        return None


def check_many(values: Any, name: str, expected: str) -> Iterable[Any]:
    """`values` when it is a collection of items (a list, a tuple, an iterator, a generator...);
    TypeError naming `name` and saying what is `expected` for one value where many are (a str,
    bytes), a mapping (its keys are not the items) or None."""
    if values is None:
        raise TypeError(f"{name} must be {expected}, got None")
    if isinstance(values, str | bytes | bytearray | Mapping):
        kind = type(values).__name__
        hint = "; put one in a list" if isinstance(values, str | bytes | bytearray) else ""
        raise TypeError(f"{name} must be {expected}, got a {kind} {shorten(values)}{hint}")
    if not isinstance(values, Iterable):
        raise TypeError(f"{name} must be {expected}, got {type(values).__name__} {values!r}")
    return values

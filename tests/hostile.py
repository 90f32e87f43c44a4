"""A corpus whose every field is an attack on the HTML report: markup, script, event handlers,
`javascript:` URLs, a `</script>` that would end the data block, line separators.

Every payload that ran would set `window.__wiretracePwned` (or open a dialog); the report must
show all of it as text.
"""

from __future__ import annotations

import wiretrace

FLAG = "__wiretracePwned"

SCRIPT_TAG = f'<script>window.{FLAG} = "script tag"; alert(1)</script>'
IMG_ONERROR = f"<img src=x onerror=\"window.{FLAG}='img onerror'; alert(2)\">"
CLOSE_SCRIPT = f'</script><script>window.{FLAG} = "closed the data block"</script>'
SVG_ONLOAD = f'<svg onload="window.{FLAG}=1"></svg>'
ATTRIBUTE_BREAK = f'"><iframe src="javascript:window.{FLAG}=1"></iframe>'
SEPARATORS = "line\u2028separator and paragraph\u2029separator"
ENTITY = "&lt;b&gt;not bold&lt;/b&gt; &amp; <!-- not a comment -->"
ASTRAL = "📰🗞️ 𝐁𝐫𝐞𝐚𝐤𝐢𝐧𝐠"  # characters outside the BMP: two UTF-16 units each
PAYLOADS = (SCRIPT_TAG, IMG_ONERROR, CLOSE_SCRIPT, SVG_ONLOAD, ATTRIBUTE_BREAK, SEPARATORS, ENTITY)

STORY = (
    "HALVERGATE, March 14 — Rescue crews had pulled 42 people from the water and the wreckage by "
    "mid-morning, and 27 of them were taken to hospital, said Marta Olvany, head of the Lower "
    "Senna emergency directorate. {0} Nine people were in critical condition at St. Benedek "
    "General Hospital, she said, and an unknown number were still missing. {1} The operator "
    "suspended all services on the line and said it was working with police to identify those "
    "on board. {2} The collapse cut the main road link between the port and the northern "
    "districts, and police warned of heavy congestion on the two remaining river crossings. {3}"
)

HOSTILE_ID = f"<img src=x onerror=\"window.{FLAG}='id'\">"
HOSTILE_OUTLET = f"<script>window.{FLAG}='outlet'</script> Wire"
HOSTILE_TITLE = f"</title><script>window.{FLAG}='title'</script>{SEPARATORS}"
JAVASCRIPT_URL = f"javascript:window.{FLAG}='url';alert(3)"
DATA_URL = f"data:text/html,<script>window.{FLAG}='data url'</script>"
QUOTE_URL = f'https://news.example/a"><script>window.{FLAG}="href"</script>'


def hostile_records() -> list[dict[str, str]]:
    """Three articles: the hostile wire story, a copy with a number changed, a copy of the copy."""
    wire = ASTRAL + " " + STORY.format(SCRIPT_TAG, IMG_ONERROR, CLOSE_SCRIPT, SVG_ONLOAD)
    copy = (
        ASTRAL
        + " "
        + STORY.format(SCRIPT_TAG, IMG_ONERROR, CLOSE_SCRIPT, ATTRIBUTE_BREAK)
        .replace("42", "24")
        .replace("were taken", "were reportedly taken")
        + " "
        + SEPARATORS
        + " "
        + ENTITY
    )
    return [
        {
            "id": HOSTILE_ID,
            "text": wire,
            "outlet": HOSTILE_OUTLET,
            "published": "2026-03-14T09:12:00Z",
            "title": HOSTILE_TITLE,
            "url": JAVASCRIPT_URL,
        },
        {
            "id": f"copy-{SCRIPT_TAG}",
            "text": copy,
            "outlet": f"Courier {ATTRIBUTE_BREAK}",
            "published": "2026-03-14T12:20:00Z",
            "title": f"{IMG_ONERROR} headline",
            "url": QUOTE_URL,
        },
        {
            "id": "copy-of-copy\u2028",
            "text": copy.replace("Nine people", "Nine people, officials said,"),
            "outlet": SVG_ONLOAD,
            "title": CLOSE_SCRIPT,
            "url": DATA_URL,
        },
    ]


def hostile_report() -> wiretrace.Report:
    """The report on the hostile corpus: pairs, passages, edits and a lineage with mutations."""
    return wiretrace.find_reuse(hostile_records(), jobs=1)

"""A live meeting screen as a browser running htmx 2 and its SSE extension would keep it, without a browser.

`make bench-live` measures what a person sees, so each simulated screen keeps the HTML of its page and
changes it only the way htmx would, following the page's own attributes (nothing here knows our
templates):

- the element with `sse-connect` names the stream; `sse-close` names the event that closes it;
- an event named in an element's `sse-swap="name[,name]"` is swapped into that element (or its
  `hx-target`) per its `hx-swap` (innerHTML by default), `hx-swap-oob` elements in the data included;
- an event named in an element's `hx-trigger="sse:name"` makes that element issue its `hx-get`, with the
  headers htmx sends (`HX-Request: true`, `HX-Target`, `HX-Trigger`, `HX-Current-URL`, `hx-headers`), and
  the response is swapped per its `hx-target`/`hx-swap`/`hx-select` (204 and errors swap nothing;
  `HX-Retarget` and `HX-Reswap` are honoured);
- one request per element at a time: an event arriving meanwhile queues one more request (the last one),
  issued after the response only if the element is still in the page -- htmx's default `hx-sync`, which
  drops it when the response replaced the element (outerHTML).

`hx-target`, `hx-swap`, `hx-select` and `hx-headers` are inherited from ancestors, as htmx does by
default. What is not modelled is listed in `HtmxPage.unsupported` when a page uses it (trigger
modifiers such as `delay:`, other verbs than `hx-get` on an SSE trigger, our own static JS).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

# ---------- The event-stream format ----------


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: str
    id: str | None = None


class SseParser:
    """Server-Sent Events read incrementally from the bytes of a response, as EventSource reads them
    (HTML Living Standard, "Parsing an event stream"): lines end in CRLF, LF or CR; a blank line
    dispatches; `data` lines join with newlines; comments start with a colon; an event with no data is
    not dispatched; `id` persists for the events after it (and for Last-Event-ID on reconnect)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._first_line = True
        self._after_cr = False
        self._name = ""
        self._data: list[str] = []
        self.last_event_id: str | None = None
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF whose CR ended the previous chunk
        self._after_cr = False
        self._buffer += chunk
        events: list[SseEvent] = []
        while True:
            cr, lf = self._buffer.find(b"\r"), self._buffer.find(b"\n")
            ends = [index for index in (cr, lf) if index >= 0]
            if not ends:
                break
            end = min(ends)
            skip = 2 if self._buffer[end : end + 2] == b"\r\n" else 1
            if end == cr and end == len(self._buffer) - 1:
                self._after_cr = True
            line = self._buffer[:end].decode("utf-8", errors="replace")
            self._buffer = self._buffer[end + skip :]
            if self._first_line:
                line = line.removeprefix("\ufeff")
                self._first_line = False
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if line == "":
            if not self._data:
                self._name = ""
                return None
            event = SseEvent(self._name or "message", "\n".join(self._data), self.last_event_id)
            self._name, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._name = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


# ---------- The page ----------


@dataclass(eq=False)
class Fetch:
    """A request htmx would issue for `element` (its `hx-get`, triggered by an SSE event)."""

    element: lxml.html.HtmlElement
    url: str
    headers: dict[str, str]
    target: lxml.html.HtmlElement | None  # chosen when the request is issued, as htmx does


@dataclass
class Applied:
    """What a response did to the page."""

    changed: bool = False
    error: str | None = None
    follow_ups: list[Fetch] = field(default_factory=list)


def attribute(element, name: str) -> str | None:
    """An htmx attribute, plain or with the `data-` prefix htmx also accepts."""
    value = element.get(name)
    return value if value is not None else element.get("data-" + name)


def closest_attribute(element, name: str):
    """(value, declaring element) of the nearest ancestor-or-self with the attribute: htmx's inheritance."""
    node = element
    while node is not None:
        value = attribute(node, name)
        if value is not None:
            return value, node
        node = node.getparent()
    return None, None


@lru_cache(maxsize=256)
def css(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


_parsed: dict[str, lxml.html.HtmlElement] = {}


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """The nodes of `html` as the children (and leading text) of a detached <div>.

    Every screen of an audience is sent the same data: it is parsed once and each screen swaps in a
    copy of its own (a copy costs a fraction of a parse), which keeps the load generator light."""
    parsed = _parsed.get(html)
    if parsed is None:
        if len(_parsed) >= 16:
            _parsed.pop(next(iter(_parsed)))
        parsed = _parsed[html] = _parse_fragment(html)
    return copy.deepcopy(parsed)


def _parse_fragment(html: str) -> lxml.html.HtmlElement:
    container = lxml.html.Element("div")
    if not html.strip():
        container.text = html or None
        return container
    nodes = lxml.html.fragments_fromstring(html)
    if nodes and isinstance(nodes[0], str):
        container.text = nodes.pop(0)
    for node in nodes:
        container.append(node)
    return container


def _insert_at(parent, index: int, fragment) -> None:
    """Put the fragment's leading text and children into `parent` right before its child number `index`
    (at the end when `index` is the number of children)."""
    text = fragment.text or ""
    nodes = list(fragment)
    if text:
        if index == 0:
            parent.text = (parent.text or "") + text
        else:
            before = parent[index - 1]
            before.tail = (before.tail or "") + text
    for offset, node in enumerate(nodes):
        parent.insert(index + offset, node)


def _clear(element) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None


SWAP_STYLES = {
    "innerHTML",
    "outerHTML",
    "beforebegin",
    "afterbegin",
    "beforeend",
    "afterend",
    "delete",
    "none",
    "textContent",
}

# Attribute steps first (`//@name/..`): several times faster in libxml2 than `//*[@name]`, and a
# screen runs them on every event. Unions come back in document order.
_SSE_SWAP = etree.XPath("//@sse-swap/.. | //@data-sse-swap/..")
_TRIGGERED = etree.XPath("//@hx-trigger/.. | //@data-hx-trigger/..")
_OOB = etree.XPath(".//@hx-swap-oob/.. | .//@data-hx-swap-oob/..")
_SSE_CONNECT = etree.XPath("//@sse-connect/.. | //@data-sse-connect/..")
_BY_ID = etree.XPath("//@id[. = $id]/..")


def trigger_events(spec: str) -> list[tuple[str, str]]:
    """(event name, the rest) of each trigger in an hx-trigger value, e.g. "sse:meeting, poll"."""
    triggers, depth, current = [], 0, ""
    for char in spec:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            triggers.append(current)
            current = ""
        else:
            current += char
    triggers.append(current)
    result = []
    for trigger in triggers:
        trigger = trigger.strip()
        name = re.match(r"[^\s\[]*", trigger).group(0)
        rest = trigger[len(name) :]
        if rest.startswith("["):  # an event filter, e.g. click[ctrlKey]
            rest = rest[rest.find("]") + 1 :] if "]" in rest else ""
        if name:
            result.append((name, rest.strip()))
    return result


class HtmxPage:
    """The HTML of one screen, changed as htmx would change it."""

    def __init__(self, html: str, url: str) -> None:
        self.url = url
        self.root = lxml.html.document_fromstring(html)
        self.unsupported: set[str] = set()
        self._in_flight: dict[lxml.html.HtmlElement, Fetch | None] = {}
        # The text each swap put into the page since `take_inserted()`: an answer shows up on a screen
        # in what a swap brought, so a screen looks there and not through its whole page each time.
        self._inserted: list[str] = []
        self._sse_swapping: list | None = None  # the elements with sse-swap, until a swap brings others
        connects = _SSE_CONNECT(self.root)
        self.stream_element = connects[0] if connects else None
        if len(connects) > 1:
            self.unsupported.add("more than one sse-connect (only the first is followed)")

    # What the page says about its stream.

    @property
    def stream_url(self) -> str | None:
        if self.stream_element is None:
            return None
        return urljoin(self.url, attribute(self.stream_element, "sse-connect"))

    @property
    def close_event(self) -> str | None:
        return None if self.stream_element is None else attribute(self.stream_element, "sse-close")

    def text(self) -> str:
        """What the screen shows, as text (the body's text content)."""
        body = self.root.find("body")
        return (body if body is not None else self.root).text_content()

    def html(self) -> str:
        return lxml.html.tostring(self.root, encoding="unicode")

    def select(self, selector: str) -> list:
        return css(selector)(self.root)

    def take_inserted(self) -> str:
        """The text the swaps since the last call put into the page."""
        text, self._inserted = "\n".join(self._inserted), []
        return text

    # Events.

    def handle_event(self, event: SseEvent) -> tuple[bool, list[Fetch]]:
        """Apply a stream event: swap it into the elements that name it in `sse-swap`, and return the
        requests of the elements whose `hx-trigger` names it. Returns (the page changed, requests)."""
        changed = False
        if self.stream_element is None:
            return False, []
        if self._sse_swapping is None:
            self._sse_swapping = _SSE_SWAP(self.root)
        swapping = [
            element
            for element in self._sse_swapping
            if event.name in [name.strip() for name in attribute(element, "sse-swap").split(",")]
            and self._under_stream(element)
        ]
        for element in swapping:
            if not self.contains(element):  # swapped away by an earlier one
                continue
            target = self.target_of(element)
            if target is None:
                self.unsupported.add(f"sse-swap target not found: {attribute(element, 'hx-target')}")
                continue
            self.swap(target, event.data, self.swap_style_of(element), self.select_of(element))
            changed = True
        fetches = []
        for element in _TRIGGERED(self.root):
            names = dict(trigger_events(attribute(element, "hx-trigger")))
            if "sse:" + event.name not in names or not self._under_stream(element):
                continue
            if names["sse:" + event.name].strip():
                self.unsupported.add(f"hx-trigger modifiers ignored: {attribute(element, 'hx-trigger')}")
            fetch = self._fetch_for(element)
            if fetch is not None:
                fetches.append(fetch)
        return changed, fetches

    def _under_stream(self, element) -> bool:
        node = element
        while node is not None:
            if node is self.stream_element:
                return True
            node = node.getparent()
        return False

    def contains(self, element) -> bool:
        node = element
        while node.getparent() is not None:
            node = node.getparent()
        return node is self.root

    # Requests.

    def _fetch_for(self, element) -> Fetch | None:
        path = attribute(element, "hx-get")
        if path is None:
            verbs = [verb for verb in ("post", "put", "patch", "delete") if attribute(element, "hx-" + verb)]
            if verbs:
                self.unsupported.add(f"hx-{verbs[0]} on an SSE trigger is not issued")
            return None
        target = self.target_of(element)
        headers = {"HX-Request": "true", "HX-Current-URL": self.url}
        if target is not None and target.get("id"):
            headers["HX-Target"] = target.get("id")
        if element.get("id"):
            headers["HX-Trigger"] = element.get("id")
        if element.get("name"):
            headers["HX-Trigger-Name"] = element.get("name")
        headers |= self._hx_headers(element)
        fetch = Fetch(element, urljoin(self.url, path), headers, target)
        if element in self._in_flight:
            self._in_flight[element] = fetch  # queued: the last one wins
            return None
        self._in_flight[element] = None
        return fetch

    def _hx_headers(self, element) -> dict[str, str]:
        chain = [element, *element.iterancestors()]
        headers: dict[str, str] = {}
        for node in reversed(chain):  # nearer ancestors override farther ones
            value = attribute(node, "hx-headers")
            if value:
                try:
                    headers |= {str(k): str(v) for k, v in json.loads(value).items()}
                except (ValueError, AttributeError):
                    self.unsupported.add("hx-headers that are not a JSON object")
        return headers

    def handle_response(
        self, fetch: Fetch, status: int | None, headers: dict[str, str], body: str
    ) -> Applied:
        """Apply the response to `fetch` (status None: the request failed). Header names lowercase."""
        applied = Applied()
        queued = self._in_flight.pop(fetch.element, None)
        if status is None:
            applied.error = "request failed"
        elif status >= 400:
            applied.error = f"HTTP {status} from {fetch.url}"
        elif status != 204:
            if headers.get("hx-refresh") == "true" or "hx-redirect" in headers or "hx-location" in headers:
                self.unsupported.add("HX-Refresh / HX-Redirect / HX-Location (the page is not reloaded)")
            # A target swapped away meanwhile takes the response out of sight, as in a browser.
            target = fetch.target if fetch.target is not None and self.contains(fetch.target) else None
            if "hx-retarget" in headers:
                found = self.select(headers["hx-retarget"])
                target = found[0] if found else None
            style = headers.get("hx-reswap") or self.swap_style_of(fetch.element)
            if target is not None:
                self.swap(target, body, style, self.select_of(fetch.element))
                applied.changed = True
        # htmx issues the queued request only while its element is still in the page.
        if queued is not None and self.contains(fetch.element):
            self._in_flight[fetch.element] = None
            applied.follow_ups.append(queued)
        return applied

    # Attributes htmx inherits.

    def target_of(self, element):
        value, declared_on = closest_attribute(element, "hx-target")
        if value is None:
            return element
        value = value.strip()
        if value == "this":
            return declared_on
        if value in ("body", "document"):
            return self.root.find("body")
        if value.startswith("closest "):
            selector = css(value[len("closest ") :])
            return next(
                (node for node in [element, *element.iterancestors()] if selector(node)[:1] == [node]), None
            )
        if value.startswith("find "):
            found = css(value[len("find ") :])(element)
            return next((node for node in found if node is not element), None)
        if value.split(None, 1)[0] in ("next", "previous"):
            self.unsupported.add(f"hx-target {value}")
            return None
        found = self.select(value)
        return found[0] if found else None

    def swap_style_of(self, element) -> str:
        value, _ = closest_attribute(element, "hx-swap")
        style = value.split()[0] if value and value.split() else "innerHTML"
        if style not in SWAP_STYLES:
            self.unsupported.add(f"hx-swap {style}")
            return "innerHTML"
        return style

    def select_of(self, element) -> str | None:
        value, _ = closest_attribute(element, "hx-select")
        return value

    # Swapping.

    def swap(self, target, html: str, style: str, select: str | None = None) -> None:
        """htmx's swap: out-of-band elements first, then the rest into `target` per `style`."""
        if style == "textContent":
            _clear(target)
            target.text = html
            self._inserted.append(html)
            return
        fragment = parse_fragment(html)
        if "sse-swap" in html:
            self._sse_swapping = None  # new elements may listen to the stream
        self._swap_out_of_band(fragment)
        if select:
            chosen = lxml.html.Element("div")
            for node in css(select)(fragment):
                node = copy.deepcopy(node)
                node.tail = None
                chosen.append(node)
            fragment = chosen
        self._swap_fragment(target, style, fragment)

    def _swap_out_of_band(self, fragment) -> None:
        for element in _OOB(fragment):
            if not self._in_fragment(fragment, element):
                continue  # went with an out-of-band element around it
            value = attribute(element, "hx-swap-oob")
            element.attrib.pop("hx-swap-oob", None)
            element.attrib.pop("data-hx-swap-oob", None)
            style, selector = "outerHTML", None
            if value and value != "true":
                if value.find(":") > 0:
                    style, selector = value.split(":", 1)
                else:
                    style = value
            if selector is None:
                targets = _BY_ID(self.root, id=element.get("id")) if element.get("id") else []
            else:
                targets = self.select(selector)
            for target in targets:
                clone = copy.deepcopy(element)
                clone.tail = None
                if style == "outerHTML":
                    wrapped = lxml.html.Element("div")
                    wrapped.append(clone)
                    self._swap_fragment(target, style, wrapped)
                else:  # the element's content goes in, as htmx does for every other style
                    self._swap_fragment(target, style, clone)
            element.drop_tree()

    @staticmethod
    def _in_fragment(fragment, element) -> bool:
        node = element
        while node is not None:
            if node is fragment:
                return True
            node = node.getparent()
        return False

    def _swap_fragment(self, target, style: str, fragment) -> None:
        parent = target.getparent()
        if style in ("none", "delete"):
            if style == "delete":
                target.drop_tree()
            return
        self._inserted.append(fragment.text_content())
        if style == "innerHTML":
            _clear(target)
            _insert_at(target, 0, fragment)
        elif style == "beforeend":
            _insert_at(target, len(target), fragment)
        elif style == "afterbegin":
            old_text, target.text = target.text, None
            nodes = list(fragment)
            _insert_at(target, 0, fragment)
            if old_text:
                if nodes:
                    nodes[-1].tail = (nodes[-1].tail or "") + old_text
                else:
                    target.text = (target.text or "") + old_text
        elif parent is None:
            self.unsupported.add(f"{style} of the document's root")
        elif style in ("outerHTML", "beforebegin"):
            _insert_at(parent, parent.index(target), fragment)
            if style == "outerHTML":
                target.drop_tree()
        elif style == "afterend":
            old_tail, target.tail = target.tail, None
            nodes = list(fragment)
            _insert_at(parent, parent.index(target) + 1, fragment)
            if old_tail:
                if nodes:
                    nodes[-1].tail = (nodes[-1].tail or "") + old_tail
                else:
                    target.tail = (target.tail or "") + old_tail

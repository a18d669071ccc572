"""Fetching and parsing TwiML documents for a call leg."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import requests

from callback.sandbox.callbacks import signed_request
from callback.sandbox.store import Source


class TwimlError(Exception):
    """The TwiML could not be fetched or parsed (Twilio's 11200 / 12100)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def fetch(token: str, source: Source, params: dict[str, str]) -> tuple[ET.Element, str | None]:
    """Return the <Response> element of `source` and the URL it came from."""
    if source.twiml is not None:
        return parse(source.twiml), None
    if not source.url:
        raise TwimlError(21205, "no Url or Twiml to fetch instructions from")
    try:
        response = signed_request(token, source.method, source.url, params)
    except requests.RequestException as exc:
        raise TwimlError(11200, f"HTTP retrieval failure: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise TwimlError(11200, f"HTTP retrieval failure: status {response.status_code}")
    return parse(response.text), source.url


def parse(text: str) -> ET.Element:
    """Parse a TwiML document and return its <Response> element."""
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - loopback sandbox, app's own TwiML
    except ET.ParseError as exc:
        raise TwimlError(12100, f"Document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(12100, f"Document root is <{root.tag}>, not <Response>")
    return root


def target(element: ET.Element, base: str | None, attribute: str = "action") -> str | None:
    """Return the absolute URL named by `attribute` (or the element text for <Redirect>)."""
    value = element.get(attribute) if attribute else (element.text or "").strip()
    if not value:
        return None
    return urljoin(base, value) if base else value


def number(element: ET.Element, name: str, default: float) -> float:
    """Return a numeric attribute, or `default` when absent or malformed."""
    try:
        return float(element.get(name, default))
    except ValueError:
        return default


def flag(element: ET.Element, name: str) -> bool:
    """Return a boolean attribute ("true"/"false")."""
    return element.get(name, "false").strip().lower() == "true"


def method(element: ET.Element, default: str = "POST") -> str:
    """Return the element's HTTP method attribute."""
    return element.get("method", default).upper()

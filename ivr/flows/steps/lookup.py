"""``lookup``: ask a self-service backend over HTTP and keep its JSON reply.

Caller values go into the URL URL-encoded and into the body JSON-encoded, so
a caller can never change the request's shape. The body may carry sensitive
values (a PIN to check) but the timeline records only the URL without its
query, the status and short digests of the request's parts (URL with query,
headers, body) rendered with every sensitive value masked: enough for replay to
tell that a changed flow would send another request, nothing to recover a value
from that is not already on the timeline.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from ivr.flows.effects import Lookup, Play
from ivr.flows.events import Event, LookupDone, LookupFailed, PlaybackDone
from ivr.flows.nodes import Lookup as LookupNode
from ivr.flows.steps.base import Go, Step, Transition, UnexpectedEvent, Wait
from ivr.flows.template import is_sensitive, lookup, render, url_value


class LookupStep(Step[LookupNode]):
    """One visit to a lookup node: optional hold prompt, then the request."""

    kind = "lookup"
    _digests: dict[str, str] | None = None

    def enter(self) -> Transition:
        hold = self.state.prompts(self.node.hold_prompt)
        if hold:
            return Wait((Play(self.name, hold),))
        return self._request()

    def _request(self) -> Wait:
        variables = self.state.variables
        url = render(self.node.url, variables, escape=url_value)
        headers = tuple((k, render(v, variables)) for k, v in self.node.headers.items())
        body = None
        if self.node.body is not None:
            body = json.dumps(_render_json(self.node.body, variables), ensure_ascii=False)
        self._digests = request_digests(self.node, variables, self.state.sensitive)
        effect = Lookup(self.name, self.node.method, url, headers, body, self.node.timeout,
                        tuple(self._digests.items()))
        return Wait((effect,))

    def handle(self, event: Event) -> Transition:
        if isinstance(event, PlaybackDone):
            return self._request()
        where = urlsplit(self.node.url)
        shown = f"{where.scheme}://{where.netloc}{where.path}"
        if isinstance(event, LookupDone):
            error = refusal(event)
            self.state.note("lookup", {"url": shown, "status": event.status,
                                       "latency_ms": event.latency_ms, "ok": error is None,
                                       **({"error": error} if error else {}),
                                       "request": self._digests})
            if error is not None:
                return Go(self.node.on_error)
            secrets = self.node.sensitive_results
            self.state.set_variable(self.node.result, event.data, secret_paths=secrets)
            result = self.node.result
            for name, path in self.node.assign.items():
                # A value picked from a secret part of the reply is itself secret.
                secret = name in secrets or is_sensitive(f"{result}.{path}", secrets)
                self.state.set_variable(name, _pick(event.data, path), sensitive=secret,
                                        secret_paths=secrets)
            return Go(self.node.next)
        if isinstance(event, LookupFailed):
            self.state.note("lookup", {"url": shown, "status": None, "ok": False,
                                       "error": event.reason, "latency_ms": event.latency_ms,
                                       "request": self._digests})
            return Go(self.node.on_error)
        raise UnexpectedEvent(f"lookup {self.name!r} did not expect {event!r}")


#: What a sensitive (or unset) value renders as in the digested request.
_MASKED = "\x00masked\x00"


def request_digests(node: LookupNode, variables: dict[str, Any],
                    hidden: set[str]) -> dict[str, str]:
    """Short SHA-256 digests of the request's URL (with query), headers and body.

    Sensitive values (*hidden*) are masked before digesting, so two calls that differ
    only in a PIN send "the same request", and a digest reveals no secret.
    """
    parts: dict[str, Any] = {
        "url": [node.method, render(node.url, variables, escape=url_value, missing=_MASKED,
                                    hidden=hidden)],
        "headers": sorted((k.lower(), render(v, variables, missing=_MASKED, hidden=hidden))
                          for k, v in node.headers.items()),
        "body": _render_json(node.body, variables, hidden),
    }
    return {name: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
            for name, value in parts.items()}


def refusal(event: LookupDone) -> str | None:
    """Why a reply that arrived is not a result (``None`` when it is one)."""
    if 300 <= event.status < 400:
        return f"redirect refused (HTTP {event.status})"
    if not 200 <= event.status < 300:
        return f"HTTP {event.status}"
    if event.data is None:
        return f"HTTP {event.status} with an empty reply"
    return None


def _pick(data: Any, path: str) -> Any:
    return lookup(data, path) if isinstance(data, dict) else None


def _render_json(value: Any, variables: dict[str, Any], hidden: set[str] | None = None) -> Any:
    """The body with variables filled in; with *hidden*, sensitive ones masked."""
    if isinstance(value, str):
        if hidden is None:
            return render(value, variables)
        return render(value, variables, missing=_MASKED, hidden=hidden)
    if isinstance(value, dict):
        return {k: _render_json(v, variables, hidden) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_json(v, variables, hidden) for v in value]
    return value

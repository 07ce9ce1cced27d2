"""What the demo prints under a call: the words the recogniser heard, how a callback went."""

from __future__ import annotations

from ivr.calls.store.base import CallStore
from ivr.demo.callbacks import Rings


async def heard(store: CallStore, call_id: str) -> str:
    """One line per speech turn of the stored call: text, confidence and what the menu did."""
    flush = getattr(store, "flush", None)
    if flush is not None:
        await flush()
    record = await store.get(call_id)
    turns = [e.data for e in record.timeline if e.kind == "speech"] if record else []
    if not turns:
        return "            (no speech turn was stored)"
    return "\n".join(
        f"            heard {str(t.get('text') or '(nothing)')!r} at confidence "
        f"{float(t.get('confidence') or 0):.2f}: {t.get('result', 'answer')}"
        f"{' (narrow-band line)' if t.get('narrowband') else ''}"
        for t in turns)


def rang(rings: Rings | None) -> str:
    """How the dispatcher's pass went for the callback just requested."""
    if rings is None:
        return "            callback stored; not dialled (callbacks need the SQL store)"
    if rings.connected:
        return "            called back: answered, pressed 1, connected to an agent"
    if rings.answered:
        return "            called back: answered, not connected"
    if rings.unanswered:
        return "            called back: no answer; the dispatcher will try again"
    return "            callback stored; the dispatcher found nothing to dial yet"

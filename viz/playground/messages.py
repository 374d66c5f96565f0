"""The messages between the page and its session: JSON objects with a ``type``.

From the page (``parse`` checks them and raises ``MessageError`` with a message the page
shows; nothing a page sends can crash the server):

=================  ===========================================  ========================
type               fields                                       does
=================  ===========================================  ========================
``set``            ``changes``: {setting: value}                change settings
``reset``                                                       starting weights again
``regenerate``                                                  a new seed: new data
``step``                                                        train one epoch
``play``/``pause``                                              start / stop training
``ack``                                                         a frame has been drawn
``select_neuron``  ``layer``, ``neuron`` (0-based; layer counts  show a neuron's graph
                   the hidden layers, then the output)
``clear_neuron``                                                hide the graph
``select_point``   ``index`` (into the data points)             graph for that point
=================  ===========================================  ========================

To the page: ``state``, ``network``, ``frame``, ``graph`` (see ``Session``), ``status``
(``playing``: true/false) and ``error`` (``message``).

``play``, ``pause`` and ``ack`` steer the training loop (``driver``); ``apply`` runs the
others on a session and returns the replies to send.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from viz.playground.session import Session

MAX_MESSAGE_CHARS = 20_000
#: Each type and the fields it needs (every field is required).
FIELDS: dict[str, tuple[str, ...]] = {
    "set": ("changes",), "reset": (), "regenerate": (), "step": (), "play": (), "pause": (),
    "ack": (), "select_neuron": ("layer", "neuron"), "clear_neuron": (),
    "select_point": ("index",),
}
LOOP_COMMANDS = ("play", "pause", "ack")


class MessageError(ValueError):
    """A message from the page that cannot be carried out; the text says why."""


@dataclass(frozen=True)
class Command:
    """A checked message: its type and its fields."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


def error_message(text: str) -> dict[str, Any]:
    """The message that shows ``text`` in the page's error banner."""
    return {"type": "error", "message": text}


def parse(text: str | bytes) -> Command:
    """Check one message from the page; raise MessageError saying what is wrong."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageError(f"message of {len(text):,} characters is too long (at most "
                           f"{MAX_MESSAGE_CHARS:,})")
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise MessageError(f"message is not valid JSON ({err})") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise MessageError('message must be a JSON object with a "type", e.g. {"type": "play"}')
    kind = message["type"]
    if kind not in FIELDS:
        raise MessageError(f"unknown message type {kind!r}; known: {', '.join(FIELDS)}")
    missing = [name for name in FIELDS[kind] if name not in message]
    if missing:
        raise MessageError(f"{kind}: missing field(s) {', '.join(missing)}")
    args = {name: message[name] for name in FIELDS[kind]}
    for name, value in args.items():
        if name != "changes" and (isinstance(value, bool) or not isinstance(value, int)):
            raise MessageError(f"{kind}: {name} must be a whole number, got {value!r}")
    if kind == "set" and not isinstance(args["changes"], dict):
        raise MessageError(f"set: changes must be an object of setting: value pairs, got "
                           f"{args['changes']!r}")
    return Command(kind, args)


def apply(session: Session, command: Command) -> list[dict[str, Any]]:
    """Carry out a session command; return the messages to send back, in order.

    Raises ValueError (with a message for the page) for a neuron or a point that does
    not exist; ``session.train_epoch`` may raise ``TrainingDiverged``.
    """
    kind, args = command.kind, command.args
    if kind in LOOP_COMMANDS:
        raise MessageError(f"{kind} steers the training loop; send it to the driver")
    if kind == "set":
        errors, rebuilt = session.update(args["changes"])
        return [session.state_message(errors), *(_rebuilt(session) if rebuilt else [])]
    if kind == "regenerate":
        session.update({"seed": random.randrange(2**31)})
        return [session.state_message(), *_rebuilt(session)]
    if kind == "reset":
        session.reset()
        return _rebuilt(session)
    if kind == "step":
        session.train_epoch()
        return [session.frame(), *_graph(session)]
    if kind == "select_neuron":
        session.select_neuron(args["layer"], args["neuron"])
        return [session.graph_message()]
    if kind == "clear_neuron":
        session.selected = None
        return [session.graph_message()]
    session.select_point(args["index"])  # select_point
    return [session.graph_message()]


def _rebuilt(session: Session) -> list[dict[str, Any]]:
    """After new data or a new network: its layout, a first frame, the graph if shown."""
    return [session.network_message(), session.frame(), *_graph(session)]


def _graph(session: Session) -> list[dict[str, Any]]:
    return [session.graph_message()] if session.selected is not None else []

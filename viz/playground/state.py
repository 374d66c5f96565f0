"""The playground's settings, and how they travel in the page's address.

Everything a student can change lives in one frozen dataclass, ``Settings``. The page
keeps it in its address (the query string, ``?data=xor&activation=relu&...``), so a
reload, a bookmark or a link a teacher shares brings back exactly the same set-up:
the same data, the same starting weights (``seed``), the same network and training.

``parse_query`` turns the address's key=value pairs into Settings plus a list of
problems in plain English. A bad value never stops the page: that one setting falls
back to its default and the page shows the message (the fix is in it).
``Settings.updated`` applies changes from the page the same way, but a bad change keeps
the current value. ``Settings.to_query`` writes the canonical address back.

Teacher mode is the ``hide`` setting: a comma-separated list of controls (see
``CONTROLS``) that the page does not show, e.g. ``hide=engine,optimizer``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

# Data sets: name -> task. The real ones come from nn.data (see datasets.py).
DATASETS: dict[str, str] = {
    "circle": "classification", "xor": "classification", "gauss": "classification",
    "spiral": "classification", "moons": "classification", "iris": "classification",
    "cancer": "classification", "plane": "regression", "bumps": "regression",
}
REAL_DATASETS = ("iris", "cancer")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
ENGINES = ("tensor", "value")
#: The controls a teacher can hide (``hide=...``); each names a control on the page.
CONTROLS = ("data", "noise", "train", "points", "regenerate", "features", "layers",
            "activation", "lr", "batch", "optimizer", "reg", "rate", "dropout", "engine")
MAX_LAYERS, MAX_NEURONS = 6, 8


@dataclass(frozen=True)
class Settings:
    """One complete set-up of the playground (the defaults are a good first lesson)."""

    data: str = "circle"            # which data set (DATASETS)
    noise: int = 0                  # % : how far points are jittered (synthetic data)
    train: int = 50                 # % of the points used for training, the rest test
    points: int = 200               # how many points (synthetic data)
    seed: int = 1                   # data, starting weights, batches and dropout
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)  # neurons per hidden layer, 0-6 layers of 1-8
    activation: str = "tanh"        # of the hidden layers; the output is linear
    lr: float = 0.03                # learning rate
    batch: int | None = 10          # mini-batch size; None: full batch
    optimizer: str = "sgd"
    reg: str = "none"               # regularisation of the weights: none, l1, l2
    rate: float = 0.0               # regularisation rate (lambda)
    dropout: float = 0.0            # probability of dropping a hidden unit while training
    engine: str = "tensor"          # which engine trains: Tensor or scalar Value
    hide: tuple[str, ...] = ()      # teacher mode: controls the page hides

    @property
    def task(self) -> str:
        """'classification' or 'regression', from the data set."""
        return DATASETS[self.data]

    @property
    def layer_sizes(self) -> list[int]:
        """Inputs, hidden layers and the one output: e.g. [2, 4, 2, 1]."""
        return [len(self.features), *self.hidden, 1]

    def to_query(self) -> str:
        """The canonical address query (without '?'), every setting in a fixed order."""
        return "&".join(f"{f.name}={_FORMAT[f.name](getattr(self, f.name))}"
                        for f in fields(self))

    def as_strings(self) -> dict[str, str]:
        """Every setting as the text the page's controls show."""
        return {f.name: _FORMAT[f.name](getattr(self, f.name)) for f in fields(self)}

    def updated(self, changes: Mapping[str, Any]) -> tuple[Settings, list[str]]:
        """These settings with ``changes`` applied; a bad change keeps the current value.

        Returns the new Settings and one message per change that was refused.
        """
        if not isinstance(changes, Mapping):
            return self, [f"changes must be an object of setting: value pairs, got "
                          f"{type(changes).__name__}"]
        return _parse(changes, base=self, keep="keeping")


def parse_query(query: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Settings from the address's key=value pairs, and a message per bad or unknown one.

    Missing keys take their defaults; a bad value falls back to the default.
    """
    return _parse(query, base=Settings(), keep="using the default")


def _parse(pairs: Mapping[str, Any], base: Settings, keep: str) -> tuple[Settings, list[str]]:
    values: dict[str, Any] = {}
    errors: list[str] = []
    for key, raw in pairs.items():
        if key not in _PARSE:
            errors.append(f"unknown setting {key!r} ignored; the settings are "
                          f"{', '.join(_PARSE)}")
            continue
        try:
            values[key] = _PARSE[key](_as_text(raw))
        except ValueError as err:
            current = _FORMAT[key](getattr(base, key))
            errors.append(f"{key}: {err}; {keep} ({key}={current})")
    return replace(base, **values), errors


def _as_text(raw: Any) -> str:
    """A value from an address or a JSON message as text (lists become a, b, c)."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, Mapping):
        raise ValueError(f"got {raw!r}, which is not a setting value (give text or a number)")
    if isinstance(raw, (list, tuple)):
        return ",".join(_as_text(item) for item in raw)
    return str(raw).strip()


# --- one parser and one formatter per setting -----------------------------------------


def _choice(options: tuple[str, ...] | dict[str, str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"{text!r} is not one of {', '.join(options)}")
        return text
    return parse


def _number(kind: type, low: float, high: float, low_open: bool = False) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        what = "a whole number" if kind is int else "a number"
        bounds = f"{'above' if low_open else 'from'} {low:g} {'up ' if low_open else ''}to {high:g}"
        try:
            value = kind(float(text)) if kind is float else int(text)
        except (ValueError, OverflowError):
            raise ValueError(f"{text!r} is not {what}; give {what} {bounds}") from None
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            raise ValueError(f"{text!r} is out of range; give {what} {bounds}")
        return value
    return parse


def _name_list(options: tuple[str, ...], what: str, allow_empty: bool) -> Callable[[str], tuple]:
    def parse(text: str) -> tuple[str, ...]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in options]
        if unknown:
            raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}; choose from "
                             f"{', '.join(options)}")
        if not items and not allow_empty:
            raise ValueError(f"choose at least one {what} from {', '.join(options)}")
        return tuple(item for item in options if item in items)  # canonical order, no repeats
    return parse


def _hidden(text: str) -> tuple[int, ...]:
    if text in ("", "none"):
        return ()
    sizes = []
    for item in text.split(","):
        try:
            n = int(item)
        except ValueError:
            n = 0
        if not 1 <= n <= MAX_NEURONS:
            raise ValueError(f"{item.strip()!r} is not a layer size; give a comma-separated list "
                             f"of 1-{MAX_NEURONS} neurons per hidden layer (or 'none')")
        sizes.append(n)
    if len(sizes) > MAX_LAYERS:
        raise ValueError(f"{len(sizes)} hidden layers; at most {MAX_LAYERS} are allowed")
    return tuple(sizes)


def _batch(text: str) -> int | None:
    if text == "full":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 1000:
        raise ValueError(f"{text!r} is not a batch size; give a whole number from 1 to 1000 or "
                         "'full' (every training point in one step)")
    return n


_PARSE: dict[str, Callable[[str], Any]] = {
    "data": _choice(DATASETS),
    "noise": _number(int, 0, 50),
    "train": _number(int, 10, 90),
    "points": _number(int, 20, 1000),
    "seed": _number(int, 0, 2**31 - 1),
    "features": _name_list(FEATURES, "feature", allow_empty=False),
    "hidden": _hidden,
    "activation": _choice(ACTIVATIONS),
    "lr": _number(float, 0.0, 10.0, low_open=True),
    "batch": _batch,
    "optimizer": _choice(OPTIMIZERS),
    "reg": _choice(REGULARIZATIONS),
    "rate": _number(float, 0.0, 10.0),
    "dropout": _number(float, 0.0, 0.9),
    "engine": _choice(ENGINES),
    "hide": _name_list(CONTROLS, "control", allow_empty=True),
}


def _join(items: tuple) -> str:
    return ",".join(str(item) for item in items)


_FORMAT: dict[str, Callable[[Any], str]] = {name: str for name in _PARSE}
_FORMAT.update(
    features=_join,
    hidden=lambda sizes: _join(sizes) if sizes else "none",
    batch=lambda n: "full" if n is None else str(n),
    lr=lambda x: f"{x:g}",
    rate=lambda x: f"{x:g}",
    dropout=lambda x: f"{x:g}",
    hide=_join,
)

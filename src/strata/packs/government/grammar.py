"""A small slot grammar that writes city reports in four voices from the YAML lexicon.

Frames (`lexicon/voices.yaml`) and each event type's slots (`lexicon/<type>.yaml`) expand
recursively: `{slot}` draws one alternative, `{slot|cap}` / `{slot|lc}` change the first letter,
`{int:A-B}` draws a number. Citizen app messages then get typing noise: lower case, abbreviations
and typos. Every draw comes from the caller's `random.Random`, so a seed fixes the output.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from strata.packs.errors import InvalidPack

LEXICON = Path(__file__).resolve().parent / "lexicon"
VOICES = ("hotline", "app", "inspector", "sensor")
_SLOT = re.compile(r"\{([a-z_]+)(?::(\d+)-(\d+))?(?:\|(cap|lc))?\}")
_ARTICLE = re.compile(r"\b([Aa]) (?=[aeio][a-z])(?!one\b)")
_MAX_DEPTH = 8
ABBREVIATIONS = {
    "street": "st", "road": "rd", "please": "pls", "thanks": "thx", "you": "u", "because": "coz",
    "near": "nr", "avenue": "ave", "about": "abt", "people": "ppl", "someone": "some1",
    "minutes": "mins", "week": "wk", "really": "rly", "and": "&", "with": "w/", "outside": "o/s",
    "tonight": "2nite", "before": "b4", "see": "c", "are": "r", "at": "@", "for": "4",
    "pavement": "pavemnt", "message": "msg", "information": "info", "morning": "am",
}  # fmt: skip


@dataclass(frozen=True)
class Lexicon:
    """Frames per voice, slots shared by every type, and each type's slots and sensor frames."""

    frames: dict[str, list[str]]
    common: dict[str, list[str]]
    slots: dict[str, dict[str, list[str]]]
    sensors: dict[str, list[str]]

    @property
    def event_types(self) -> list[str]:
        """The event types the lexicon can write, sorted."""
        return sorted(self.slots)


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("slots"), dict):
        raise InvalidPack(
            f"Lexicon file {str(path)!r} needs a `slots:` mapping.",
            hint="See lexicon/voices.yaml for the format.",
        )
    return data


@cache
def load_lexicon(root: Path = LEXICON) -> Lexicon:
    """Every lexicon file under `root` (cached per folder)."""
    voices = _read(root / "voices.yaml")
    slots, sensors = {}, {}
    for path in sorted(root.glob("*.yaml")):
        if path.name == "voices.yaml":
            continue
        data = _read(path)
        slots[path.stem] = {k: [str(v) for v in vs] for k, vs in data["slots"].items()}
        sensors[path.stem] = [str(v) for v in data.get("sensor") or []]
    return Lexicon(voices["frames"], voices["slots"], slots, sensors)


class Writer:
    """Writes one report: frame expansion for one event type, voice and context."""

    def __init__(
        self, lexicon: Lexicon, event_type: str, rng: random.Random, context: dict[str, str]
    ) -> None:
        self.lexicon, self.event_type, self.rng, self.context = lexicon, event_type, rng, context

    def _choices(self, name: str) -> list[str] | None:
        own = self.lexicon.slots[self.event_type].get(name)
        return own if own is not None else self.lexicon.common.get(name)

    def _value(self, match: re.Match[str], depth: int) -> str:
        name, low, high, case = match.groups()
        if name == "int":
            text = str(self.rng.randint(int(low), int(high)))
        elif name in self.context:
            text = self.context[name]
        else:
            choices = self._choices(name)
            if choices is None:
                raise InvalidPack(
                    f'Lexicon slot "{name}" is used by type "{self.event_type}" but not defined.',
                    hint=f"Add `{name}:` to lexicon/{self.event_type}.yaml or voices.yaml.",
                )
            text = self.expand(self.rng.choice(choices), depth + 1)
        if case == "cap":
            return text[:1].upper() + text[1:]
        return text[:1].lower() + text[1:] if case == "lc" else text

    def expand(self, template: str, depth: int = 0) -> str:
        """The template with every slot filled (recursively, to a fixed depth)."""
        if depth > _MAX_DEPTH:
            raise InvalidPack(
                f'Lexicon of "{self.event_type}" nests slots over {_MAX_DEPTH} deep: {template!r}.',
                hint="A slot probably refers to itself.",
            )
        return _SLOT.sub(lambda m: self._value(m, depth), template)

    def write(self, voice: str) -> str:
        """One report in a voice (`hotline`, `app`, `inspector`, `sensor`)."""
        frames = self.lexicon.sensors[self.event_type] if voice == "sensor" else None
        text = tidy(self.expand(self.rng.choice(frames or self.lexicon.frames[voice])))
        if voice == "app":
            return casual(text, self.rng)
        return text[:1].upper() + text[1:]


def tidy(text: str) -> str:
    """Spacing and punctuation left by empty slots, and `a` before a vowel."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r",\s*([.;])", r"\1", text)
    text = re.sub(r"\.(\s*\.)+", ".", text)
    text = re.sub(r"([:;,-])\s*$", "", text).strip()
    text = re.sub(r"^[,.;:-]\s*", "", text)
    return _ARTICLE.sub(lambda m: f"{m.group(1)}n ", text)


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _word(word: str, rng: random.Random) -> str:
    core = word.strip(",.!?:;()")
    if any(c.isdigit() or c == "@" for c in word) or not core:
        return word
    short = ABBREVIATIONS.get(core.lower())
    if short is not None and rng.random() < 0.35:
        return word.replace(core, short)
    if len(core) >= 5 and rng.random() < 0.05:
        return word.replace(core, _typo(core, rng))
    return word


def casual(text: str, rng: random.Random) -> str:
    """A citizen app message: often lower case, abbreviated, with typos and loose punctuation."""
    if rng.random() < 0.7:
        text = text.lower()
    text = " ".join(_word(w, rng) for w in text.split(" "))
    if rng.random() < 0.25:
        text = text.replace(",", "")
    if rng.random() < 0.5:
        text = text.rstrip(".")
    if rng.random() < 0.1:
        text += rng.choice(["!!", "??", " !!!", " pls", " asap", " thx"])
    return text


__all__ = ["LEXICON", "VOICES", "Lexicon", "Writer", "casual", "load_lexicon", "tidy"]

"""The text rules from configuration: topic dictionary and sentiment lexicons (docs/voice-of-customer.md).

`load_text_rules(topics_path, sentiment_dir)` reads csi/config/topics.yaml and the
files of csi/config/sentiment/ (defaults: the shipped ones) into a
transforms.text_facts.TextRules. Any bad entry raises TextConfigError with one
line naming the file, the line or topic, and what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from transforms.text_facts import TextRules
from transforms.text_sentiment import build_lexicon
from transforms.text_topics import Topic, topic_terms_ok

CONFIG_DIR = Path(__file__).parent / "config"
DEFAULT_TOPICS = CONFIG_DIR / "topics.yaml"
DEFAULT_SENTIMENT_DIR = CONFIG_DIR / "sentiment"
LANGUAGES = ("zh", "en")
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_KEYS = {
    "language_zh_min_share": float,
    "intensifier_factor": float,
    "negation_window_tokens": int,
    "negative_below": float,
    "positive_above": float,
}


class TextConfigError(ValueError):
    """A bad topic dictionary or sentiment lexicon (one line: file, where, what)."""


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TextConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise TextConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None


def load_topics(path: Path = DEFAULT_TOPICS) -> tuple[Topic, ...]:
    doc = _yaml(path)
    items = doc.get("topics") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise TextConfigError(f"{path}: expected a non-empty list under 'topics'")
    topics: list[Topic] = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise TextConfigError(f"{path}: topic #{i} is not a mapping")
        tid = item.get("topic_id")
        if not isinstance(tid, str) or not _TOPIC_ID.match(tid):
            raise TextConfigError(f"{path}: topic #{i}: topic_id must be snake_case text, got {tid!r}")
        if any(t.topic_id == tid for t in topics):
            raise TextConfigError(f"{path}: topic {tid!r} is defined twice")
        unknown = set(item) - {"topic_id", "label", "zh", "en"}
        if unknown:
            raise TextConfigError(f"{path}: topic {tid!r}: unknown key(s) {sorted(unknown)}")
        terms = {}
        for lang in LANGUAGES:
            raw = item.get(lang) or []
            if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
                raise TextConfigError(f"{path}: topic {tid!r}: {lang} must be a list of non-empty strings")
            terms[lang] = tuple(t.strip() for t in raw)
        topic = Topic(tid, str(item.get("label") or tid), terms["zh"], terms["en"])
        problem = topic_terms_ok(topic)
        if problem:
            raise TextConfigError(f"{path}: topic {tid!r} {problem}")
        topics.append(topic)
    return tuple(topics)


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TextConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append((no, line))
    return out


def _polarity(path: Path) -> dict[str, float]:
    words: dict[str, float] = {}
    for no, line in _lines(path):
        parts = line.split("\t")
        try:
            if len(parts) != 2:
                raise ValueError
            weight = float(parts[1])
        except ValueError:
            raise TextConfigError(f"{path}:{no}: expected 'term<TAB>weight', got {line!r}") from None
        if not -1.0 <= weight <= 1.0:
            raise TextConfigError(f"{path}:{no}: weight of {parts[0]!r} must be in [-1, 1], got {weight}")
        words.setdefault(parts[0].strip(), weight)
    return words


def _rules(path: Path) -> dict[str, float | int]:
    doc = _yaml(path)
    if not isinstance(doc, dict):
        raise TextConfigError(f"{path}: expected a mapping of rules")
    unknown = set(doc) - set(_RULE_KEYS)
    if unknown:
        raise TextConfigError(f"{path}: unknown key(s) {sorted(unknown)}")
    out: dict[str, float | int] = {}
    for key, kind in _RULE_KEYS.items():
        if key not in doc:
            raise TextConfigError(f"{path}: missing key {key!r}")
        value = doc[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (kind is int and not isinstance(value, int))
        ):
            raise TextConfigError(f"{path}: {key} must be a{'n integer' if kind is int else ' number'}, got {value!r}")
        out[key] = kind(value)
    return out


def load_text_rules(topics_path: Path | str | None = None, sentiment_dir: Path | str | None = None) -> TextRules:
    """TextRules from the topic dictionary and the sentiment directory (defaults: shipped files)."""
    topics = load_topics(Path(topics_path) if topics_path else DEFAULT_TOPICS)
    sdir = Path(sentiment_dir) if sentiment_dir else DEFAULT_SENTIMENT_DIR
    rules = _rules(sdir / "rules.yaml")
    polarity: dict[str, float] = {}
    negators: list[str] = []
    intensifiers: list[str] = []
    for lang in LANGUAGES:
        for term, w in _polarity(sdir / f"{lang}_polarity.tsv").items():
            polarity.setdefault(term, w)
        negators += [line for _, line in _lines(sdir / f"{lang}_negators.txt")]
        intensifiers += [line for _, line in _lines(sdir / f"{lang}_intensifiers.txt")]
    try:
        lexicon = build_lexicon(
            polarity,
            negators,
            intensifiers,
            intensifier_factor=rules["intensifier_factor"],
            window=rules["negation_window_tokens"],
            negative_below=rules["negative_below"],
            positive_above=rules["positive_above"],
        )
        return TextRules(topics, lexicon, zh_min_share=rules["language_zh_min_share"])
    except ValueError as exc:
        raise TextConfigError(f"{sdir}: {exc}") from None

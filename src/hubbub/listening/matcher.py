"""Rules compiled into lookup structures, and an item checked against all of them at once.

Pure (no database). An item's text is normalised once (casefold, accents stripped) and split
into words once (`Doc`); a person's rules are compiled once (`compile_rules`) into dicts from a
word, an author, a hashtag or a domain to the rules that name it. Checking an item looks up its
words, authors, hashtags and domains in those dicts, which gives the few candidate rules; only
those (and the rules that name nothing indexable, e.g. "has media") are then checked condition by
condition, in their order. A phrase is checked only on the rules its longest word picked.

Conditions are those of `conditions.py`; what a matching rule does is summed in `Effect`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from hubbub.listening.conditions import INDEXED, Action, Condition, RuleSpec
from hubbub.listening.text import author_key, fold, host_of, words_of

_HASHTAG = re.compile(r"#(\w+)")
_HOST = re.compile(r"https?://([^\s/?#\"'<>\\]+)", re.IGNORECASE)
_HOST_LOWER = re.compile(r"https?://([^\s/?#\"'<>\\]+)")  # on lower-cased text (hosts_in)


# What an item is looked at for (RuleSet.needs): a Doc built for some of them leaves the
# others empty, which only a RuleSet whose rules look at none of them may match against.
PARTS = frozenset({"words", "author", "hashtag", "domain", "language", "media", "kind"})
_PART_OF = {"words": "words", "author": "author", "person": "author", "hashtag": "hashtag",
            "domain": "domain", "language": "language", "has_media": "media",
            "no_alt": "media", "kind": "kind"}
_EMPTY: Mapping[str, Any] = {}


@dataclass(slots=True)
class Doc:
    """What the rules look at in one item, computed once."""

    network: str
    connection_id: int
    feed_ids: AbstractSet[int]
    kinds: AbstractSet[str]  # of "reply", "repost", "quote"
    authors: AbstractSet[str]
    words: list[str]  # in order, repeated as they are (phrases are looked for in `joined`)
    hashtags: AbstractSet[str]
    hosts: tuple[str, ...]
    languages: AbstractSet[str]
    has_media: bool
    missing_alt: bool
    _joined: str | None = None

    @property
    def joined(self) -> str:
        """" w1 w2 ... " for whole-phrase checks (made when a phrase is first looked for)."""
        if self._joined is None:
            self._joined = " " + " ".join(self.words) + " "
        return self._joined


def words_text(row: Mapping[str, Any]) -> str:
    """The text words are looked for in: the text, content warning, alt text, link card."""
    text = row.get("text") or ""
    warning = row.get("content_warning")
    media = row.get("media")
    card = row.get("card")
    if not (warning or media or card):
        return text
    parts = [text, warning or ""]
    for entry in media or ():
        if (type(entry) is dict or isinstance(entry, Mapping)) and entry.get("description"):
            parts.append(str(entry["description"]))
    if card and (type(card) is dict or isinstance(card, Mapping)):
        parts.append(str(card.get("title") or ""))
        parts.append(str(card.get("description") or ""))
    return "\n".join(parts)


_hosts_seen: dict[str, str] = {}


def _host(authority: str) -> str:
    """host_of, remembered: timelines link to the same few sites over and over."""
    host = _hosts_seen.get(authority)
    if host is None:
        if len(_hosts_seen) >= 4096:
            _hosts_seen.clear()
        host = _hosts_seen[authority] = host_of(authority)
    return host


def hosts_in(linked: str) -> tuple[str, ...]:
    """The hosts of the addresses in `linked`, in order, once each: what `_HOST.findall`
    finds. Its pattern ignores case, which keeps the regular expression engine from jumping
    to each "http" (it tries the pattern at every character of a long HTML): the lower-cased
    text is searched with the case-sensitive pattern instead, 1.5x faster. The same addresses:
    the only character other than the letters' two cases that the ignore-case pattern takes
    for one of "https" is the long s (U+017F, as "s"); the only one lower-cased by its
    neighbours is the capital sigma (final or not), which host_of, lower-casing the address
    alone, could see otherwise. A text holding either is searched as before. Lower-casing
    never makes or removes a separator, and host_of lower-cases anyway (tests/listening/
    test_matcher.py checks every character)."""
    plain = "\u017f" not in linked and "\u03a3" not in linked
    found = _HOST_LOWER.findall(linked.lower()) if plain else _HOST.findall(linked)
    return tuple(dict.fromkeys(map(_host, found)))


_NONE: frozenset[Any] = frozenset()


def doc_of(row: Mapping[str, Any], feed_ids: Iterable[int] = (), *, network: str | None = None,
           connection_id: int | None = None, needs: AbstractSet[str] = PARTS) -> Doc:
    """A Doc from an item's stored values (an Item's fields, or ingest's normalized row).
    `needs`: the parts (PARTS) some rule looks at (RuleSet.needs); the others stay empty (one
    shared empty set: a Doc's sets are read, never changed)."""
    text = row.get("text") or ""
    tokens = words_of(words_text(row)) if "words" in needs else []

    hashtags: AbstractSet[str] = _NONE
    if "hashtag" in needs:
        extra = row.get("extra")
        tags = extra.get("hashtags") if type(extra) is dict or isinstance(extra, Mapping) \
            else None
        if "#" in text or isinstance(tags, list):
            hashtags = {fold(tag) for tag in _HASHTAG.findall(text)} if "#" in text else set()
            if isinstance(tags, list):
                hashtags.update(fold(str(tag)) for tag in tags)

    hosts: tuple[str, ...] = ()
    if "domain" in needs:
        # The HTML holds the text's links (and the addresses the text shows shortened): it is
        # scanned instead of the text when there is one.
        linked = row.get("html") or text
        card = row.get("card")
        if card and (type(card) is dict or isinstance(card, Mapping)) and card.get("url"):
            linked += " " + str(card["url"])
        if "://" in linked:
            hosts = hosts_in(linked)

    kind = row.get("kind") or ""
    authors: AbstractSet[str] = _NONE
    if "author" in needs:
        found: set[str] = set()
        handle = row.get("author_handle")
        if handle:
            found.add(author_key(handle))
        remote_id = row.get("remote_id") or ""
        if remote_id.startswith("at://did:") and kind != "repost":
            found.add(remote_id[5:].split("/", 1)[0].lower())  # the Bluesky author's DID
        found.discard("")
        authors = found

    languages: AbstractSet[str] = _NONE
    if "language" in needs:
        extra = row.get("extra")
        if extra and (type(extra) is dict or isinstance(extra, Mapping)):
            found = set()
            langs = extra.get("langs")
            if isinstance(langs, list):
                found.update(fold(str(lang)).split("-", 1)[0] for lang in langs)
            if isinstance(extra.get("language"), str) and extra["language"]:
                found.add(fold(extra["language"]).split("-", 1)[0])
            languages = found

    kinds: AbstractSet[str] = _NONE
    if "kind" in needs:
        found = set()
        if kind == "reply" or row.get("in_reply_to"):
            found.add("reply")
        if kind == "repost" or row.get("reposted_by"):
            found.add("repost")
        if kind == "quote" or row.get("quote"):
            found.add("quote")
        kinds = found
    media = (row.get("media") or ()) if "media" in needs else ()
    return Doc(
        network if network is not None else str(row.get("network") or ""),
        connection_id if connection_id is not None else int(row.get("connection_id") or 0),
        feed_ids if type(feed_ids) in (set, frozenset) else frozenset(feed_ids),  # type: ignore[arg-type]
        kinds,
        authors,
        tokens,
        hashtags,
        hosts,
        languages,
        bool(media),
        bool(media) and any(
            (type(m) is dict or isinstance(m, Mapping)) and not m.get("description")
            for m in media),
    )


# --- compiled rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Check:
    """One condition, ready to test."""

    kind: str
    negate: bool
    values: frozenset[Any]  # words: single words; also authors, tags, domains, ids...
    phrases: tuple[str, ...] = ()  # " w1 w2 " forms of the multi-word values

    def holds(self, doc: Doc, column_feeds: Mapping[int, frozenset[int]]) -> bool:
        return self._test(doc, column_feeds) != self.negate

    def _test(self, doc: Doc, column_feeds: Mapping[int, frozenset[int]]) -> bool:
        kind = self.kind
        if kind == "words":
            if not self.values.isdisjoint(doc.words):
                return True
            return any(p in doc.joined for p in self.phrases)
        if kind == "author":
            return not self.values.isdisjoint(doc.authors)
        if kind == "hashtag":
            return not self.values.isdisjoint(doc.hashtags)
        if kind == "domain":
            return any(_domain_hit(host, self.values) for host in doc.hosts)
        if kind == "language":
            return not self.values.isdisjoint(doc.languages)
        if kind == "has_media":
            return doc.has_media
        if kind == "no_alt":
            return doc.missing_alt
        if kind == "kind":
            return not self.values.isdisjoint(doc.kinds)
        if kind == "network":
            return doc.network in self.values
        if kind == "connection":
            return doc.connection_id in self.values
        if kind == "column":
            return any(not column_feeds.get(c, frozenset()).isdisjoint(doc.feed_ids)
                       for c in self.values)
        return False


@lru_cache(maxsize=4096)
def _suffixes(host: str) -> tuple[str, ...]:
    """The host and each domain above it ("a.b.example", "b.example", "example"): what a
    domain condition is looked up by. Remembered: timelines link to the same few sites."""
    found = []
    while host:
        found.append(host)
        _, dot, host = host.partition(".")
        if not dot:
            break
    return tuple(found)


def _domain_hit(host: str, domains: frozenset[str]) -> bool:
    while host:
        if host in domains:
            return True
        _, dot, host = host.partition(".")
        if not dot:
            return False
    return False


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: int
    position: int
    checks: tuple[_Check, ...]
    actions: tuple[Action, ...]
    expires_at: datetime | None

    def holds(self, doc: Doc, column_feeds: Mapping[int, frozenset[int]]) -> bool:
        return all(check.holds(doc, column_feeds) for check in self.checks)


@dataclass(slots=True)
class Effect:
    """What the matching rules do to one item."""

    hidden_until: datetime | None = None  # HIDE_FOREVER for "hide"
    priority: bool = False
    read: bool = False
    notify: bool = False
    inbox: bool = False  # "add to the inbox" (inbox/selectors.py reads ItemMark.inbox)
    send_to: set[int] = field(default_factory=set)
    rule_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rule_ids


HIDE_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
NOTHING = Effect()  # what RuleSet.match gives when no rule matched: shared, read only


def _longest(words: list[str]) -> str:
    """The word a phrase is indexed by: its longest (likely the rarest), the last of ties."""
    return max(reversed(words), key=len)


def _check_of(condition: Condition, people: Mapping[int, frozenset[str]]) -> _Check:
    kind = condition.kind
    if kind == "person":  # any account of the named people, on every network: an author check
        keys = frozenset(k for pk in condition.values for k in people.get(pk, ()))
        return _Check("author", condition.negate, keys)
    if kind == "words":
        singles: set[str] = set()
        phrases: list[str] = []
        for value in condition.values:
            tokens = words_of(str(value))
            if len(tokens) == 1:
                singles.add(tokens[0])
            elif tokens:
                phrases.append(" " + " ".join(tokens) + " ")
        return _Check(kind, condition.negate, frozenset(singles), tuple(phrases))
    return _Check(kind, condition.negate, frozenset(condition.values))


class RuleSet:
    """A person's active rules, compiled. `match(doc)` -> Effect (empty when nothing matched)."""

    def __init__(self, rules: Sequence[CompiledRule],
                 column_feeds: Mapping[int, frozenset[int]]) -> None:
        self.rules = tuple(rules)
        self.column_feeds = column_feeds
        self.by_word: dict[str, list[int]] = {}
        self.by_author: dict[str, list[int]] = {}
        self.by_tag: dict[str, list[int]] = {}
        self.by_domain: dict[str, list[int]] = {}
        self.always: list[int] = []
        # network (None: any) -> the always-checked rules for it, and the lists merged
        self._always_on: dict[str | None, list[int]] = {}
        for index, rule in enumerate(self.rules):
            self._index(index, rule)
        anywhere = self._always_on.pop(None, [])
        self._always_for: dict[str, list[int]] = {
            network: sorted({*anywhere, *some}) for network, some in self._always_on.items()
            if network is not None}
        self._always_else = anywhere
        # The parts of an item (PARTS) some rule looks at: doc_of(..., needs=) makes only these.
        self.needs = frozenset(_PART_OF[c.kind] for rule in self.rules for c in rule.checks
                               if c.kind in _PART_OF)

    def _index(self, index: int, rule: CompiledRule) -> None:
        key = next((c for c in rule.checks if c.kind in INDEXED and not c.negate), None)
        if key is None:
            self.always.append(index)
            # A rule for some networks only is checked on their items only.
            only = next((c for c in rule.checks if c.kind == "network" and not c.negate), None)
            for network in only.values if only is not None else (None,):
                self._always_on.setdefault(network, []).append(index)
            return
        if key.kind == "words":
            table = self.by_word
            values: Iterable[str] = [*key.values, *(_longest(p.split()) for p in key.phrases)]
        else:
            table = {"author": self.by_author, "hashtag": self.by_tag,
                     "domain": self.by_domain}[key.kind]
            values = key.values
        for value in values:
            bucket = table.setdefault(value, [])
            if not bucket or bucket[-1] != index:
                bucket.append(index)

    def word_needles(self) -> frozenset[str] | None:
        """When every rule is found by a word (no author, tag, domain or always-checked rule):
        the words whose presence, as a substring of an ASCII text's lower case, every match
        needs. A cheap test that passes every item a rule can match (a superset)."""
        if self.always or self.by_author or self.by_tag or self.by_domain:
            return None
        return frozenset(self.by_word)

    def candidates(self, doc: Doc) -> list[int]:
        """The indexes of the rules to check on the item, in order. When no word, author, tag
        or domain of the item names a rule (most items): the always-checked rules' own list,
        shared (read, never changed), with no set made."""
        always = self._always_for.get(doc.network, self._always_else)  # sorted
        found: set[int] | None = None
        # The item's words (authors, tags) that name some rule: a test of the table's keys in C
        # (no allocation when none does, the usual case), then their intersection.
        by_word, by_author, by_tag = self.by_word, self.by_author, self.by_tag
        if by_word and not by_word.keys().isdisjoint(doc.words):
            found = set(always)
            for key in by_word.keys() & doc.words:
                found.update(by_word[key])
        if by_author and not by_author.keys().isdisjoint(doc.authors):
            found = set(always) if found is None else found
            for key in by_author.keys() & doc.authors:
                found.update(by_author[key])
        if by_tag and doc.hashtags and not by_tag.keys().isdisjoint(doc.hashtags):
            found = set(always) if found is None else found
            for key in by_tag.keys() & doc.hashtags:
                found.update(by_tag[key])
        by_domain = self.by_domain
        if by_domain:
            for host in doc.hosts:
                suffixes = _suffixes(host)
                if not by_domain.keys().isdisjoint(suffixes):
                    found = set(always) if found is None else found
                    for key in by_domain.keys() & suffixes:
                        found.update(by_domain[key])
        if found is None:
            return always
        return sorted(found) if len(found) > 1 else list(found)

    def match(self, doc: Doc) -> Effect:
        """What the rules do to the item. When none matches: the one shared empty Effect (not
        one made an item: a collector walking a large heap made their making the cost), which
        callers read and never change."""
        if not self.rules:
            return NOTHING
        effect: Effect | None = None
        decided = False
        column_feeds = self.column_feeds
        for index in self.candidates(doc):
            rule = self.rules[index]
            if not rule.holds(doc, column_feeds):
                continue
            if effect is None:
                effect = Effect()
            effect.rule_ids.append(rule.rule_id)
            for action in rule.actions:
                decided = _apply(effect, action, rule, decided)
        return NOTHING if effect is None else effect


def _apply(effect: Effect, action: Action, rule: CompiledRule, decided: bool) -> bool:
    """One action into the effect. Hiding and priority are decided by the first rule (in order)
    that hides or marks priority; the rest add up. Returns whether that is decided now."""
    kind = action.kind
    if kind in ("hide", "hide_until"):
        if not decided:
            until = action.until if kind == "hide_until" and action.until else HIDE_FOREVER
            if rule.expires_at is not None and rule.expires_at < until:
                until = rule.expires_at
            effect.hidden_until = min(until, HIDE_FOREVER)  # a stored rule past the range
        return True
    if kind == "priority":
        if not decided:
            effect.priority = True
        return True
    if kind == "send_to" and action.column:
        effect.send_to.add(action.column)
    elif kind == "mark_read":
        effect.read = True
    elif kind == "notify":
        effect.notify = True
    elif kind == "inbox":
        effect.inbox = True
    return decided


def compile_rules(specs: Iterable[RuleSpec], column_feeds: Mapping[int, frozenset[int]], *,
                  now: datetime, people: Mapping[int, frozenset[str]] | None = None) -> RuleSet:
    """The active rules (not paused, not expired) in order, compiled. `people`: person id ->
    the author keys of their accounts (a person condition matches any of them)."""
    people = people or {}
    compiled = [
        CompiledRule(spec.rule_id, spec.position,
                     tuple(_check_of(c, people) for c in spec.conditions),
                     tuple(spec.actions), spec.expires_at)
        for spec in sorted(specs, key=lambda s: (s.position, s.rule_id))
        if not spec.paused and (spec.expires_at is None or spec.expires_at > now)
        and spec.conditions
    ]
    return RuleSet(compiled, column_feeds)

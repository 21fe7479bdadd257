"""Reading a free-text brief the cheap way: its subject, setting, kind, and a stable seed.

These heuristics are deliberately simple and deterministic; the local provider is a template
renderer, not a language model, and only needs a noun phrase it can weave into its templates.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_][\w'&+-]*")  # unicode-aware: "Café Noir" stays whole

# Leading requests and framing phrases ("make an ad for", "a video about") carry no subject.
_LEAD_PATTERNS = [
    r"(?:please\s+)?(?:create|make|generate|produce|write|render|design|build|show)\s+(?:me\s+)?",
    r"(?:an?\s+|the\s+)?(?:short\s+|quick\s+|cinematic\s+|\d+[- ]?(?:s|sec|second)s?\s+)*"
    r"(?:video|film|movie|clip|story|spot|reel|ad|advert|advertisement|commercial|promo|teaser|"
    r"trailer|music\s+video|campaign)\s+(?:about|for|of|on|featuring|showing|starring)\s+",
    r"(?:an?|the)\s+",
]
_TRAILING_FRAMING = re.compile(
    r"\s+(?:video|film|clip|story|spot|reel|ad|ads|advert|advertisement|commercial|promo|teaser|"
    r"trailer|campaign|music\s+video)$",
    re.IGNORECASE,
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end the subject's noun phrase and start a clause about it.
_CLAUSE_WORDS = _wordset(
    """who that which where when while whose as with without in on at during after before from into
    inside under over across through near beside against because but and to for is are was were has
    have had must can will could would should finally"""
)
_ARTICLES = frozenset({"a", "an", "the"})
_PLACE_PREPOSITIONS = _wordset("in on at inside across through under during beneath above")
_AD_WORDS = _wordset(
    """ad ads advert adverts advertisement advertising commercial commercials product products brand
    branding launch launches sale sales promo promotion promotional marketing campaign shop store buy
    discount offer perfume fragrance cologne sneakers shoes watch skincare cosmetics lipstick serum
    coffee beverage drink smartphone headphones app startup"""
)
_SMALL_WORDS = _wordset("a an and as at but by for in nor of on or the to with vs via")
_MAX_SUBJECT_WORDS = 5


@dataclass(frozen=True)
class Brief:
    """What the templates need from a prompt."""

    subject: str  # e.g. "luxurious perfume"
    setting: str  # e.g. "a storm", or "" when the prompt names none
    is_ad: bool
    seed: int


def stable_seed(*parts: str) -> int:
    """Return a 63-bit seed derived from text, identical across processes and Python versions."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _normalise(prompt: str) -> str:
    return " ".join(prompt.split()).strip(" .!?\"'")


def _strip_lead(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for pattern in _LEAD_PATTERNS:
            stripped = re.sub(rf"^{pattern}", "", text, count=1, flags=re.IGNORECASE)
            if stripped != text and stripped:
                text, changed = stripped, True
    return text


def _looks_like_verb(word: str, following: str | None) -> bool:
    # "keeper discovers a ..." — a plural-looking word followed by a determiner is usually a verb.
    lowered = word.lower()
    return (
        lowered.endswith("s")
        and not lowered.endswith("ss")
        and following is not None
        and following.lower() in {"a", "an", "the", "his", "her", "their", "its", "to", "out", "up"}
    )


def extract_subject(prompt: str) -> str:
    """Return a brief's subject noun phrase ("A luxurious perfume advertisement" → "luxurious perfume")."""
    text = _TRAILING_FRAMING.sub("", _strip_lead(_normalise(prompt)))
    words = _WORD.findall(text.split(",")[0].split(".")[0])
    kept: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        if kept and (word.lower() in _CLAUSE_WORDS or _looks_like_verb(word, following)):
            break
        kept.append(word)
        if len(kept) == _MAX_SUBJECT_WORDS:
            break
    while kept and kept[0].lower() in _ARTICLES:
        kept.pop(0)
    subject = _TRAILING_FRAMING.sub("", " ".join(kept))
    if not subject:
        return ""
    first, *rest = subject.split(" ")
    # Lower a sentence-initial capital ("Luxurious perfume"), keep real names ("Acme Coffee", "iPhone").
    if first[:1].isupper() and first[1:].islower() and all(not w[:1].isupper() for w in rest):
        first = first.lower()
    return " ".join([first, *rest])


def extract_setting(prompt: str) -> str:
    """Return the last place named in the brief ("... during a storm" → "a storm"), or ""."""
    found = ""
    for clause in re.split(r"[,.;:!?]", _normalise(prompt)):
        words = _WORD.findall(clause)
        for i, word in enumerate(words):
            if word.lower() not in _PLACE_PREPOSITIONS:
                continue
            phrase: list[str] = []
            for nxt in words[i + 1 : i + 6]:
                if nxt.lower() in _CLAUSE_WORDS or nxt.lower() in _PLACE_PREPOSITIONS:
                    break
                phrase.append(nxt)
            # A place needs a determiner ("a storm") or a name ("Mars"); "in love" is not one.
            is_place = len(phrase) > 1 if phrase and phrase[0].lower() in _ARTICLES else bool(phrase)
            if is_place and (phrase[0].lower() in _ARTICLES or phrase[0][:1].isupper()):
                found = " ".join(phrase)
    return found


def is_ad_prompt(prompt: str) -> bool:
    """Return True when the brief reads like an ad, product or brand film."""
    return any(word.lower() in _AD_WORDS for word in _WORD.findall(prompt))


def read_brief(prompt: str, *, fallback_subject: str = "") -> Brief:
    """Extract everything the templates need from a brief."""
    subject = extract_subject(prompt) or extract_subject(fallback_subject) or "the idea"
    return Brief(
        subject=subject,
        setting=extract_setting(prompt),
        is_ad=is_ad_prompt(prompt),
        seed=stable_seed(_normalise(prompt).lower()),
    )


def title_case(text: str) -> str:
    """Title-case text, leaving small words lower and words with inner capitals ("iPhone") alone."""
    words = text.split()
    out: list[str] = []
    for i, word in enumerate(words):
        edge = i in (0, len(words) - 1)
        if any(c.isupper() for c in word[1:]) or (word[:1].isupper()):
            out.append(word)
        elif word.lower() in _SMALL_WORDS and not edge:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def with_article(subject: str) -> str:
    """Return "the <subject>" for common nouns and the bare name for proper ones."""
    if subject[:1].isupper() or subject.lower().startswith(("the ", "my ", "our ", "your ")):
        return subject
    return f"the {subject}"

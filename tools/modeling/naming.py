"""English names for DynamoDB tables and indexes made from MySQL names.

A MySQL name is split into words at underscores and other separators, at camel-case boundaries
(`CountryLanguage` keeps both words; inner capitals are never lowered), and inside a run of lower
case letters where it is made of common schema words (`countrylanguage` -> country, language;
MySQL's world database spells it so). A run that is not entirely made of known words stays one
word: nothing is split on a guess.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_MIN_RUN = 6  # shorter runs are one word (two 3-letter words at least)

# Words common in schema names. Words that look like two words but are one (`password`,
# `timestamp`) are listed so they are never split.
WORDS = frozenset("""
account action activity actor address admin agent album alert amount answer app application approval
archive area article artist asset attachment attribute audit author balance bank batch bill billing
block blog board body book booking box branch brand budget bug build business calendar call campaign
card cart case cast catalog category channel charge chat check checkout city claim class client code
collection color column comment company config contact content contract cost country coupon course
credit currency customer data database date day deal delivery department detail device discount
district document domain draft duration email employee end entry event exchange expense export
feature fee feedback field file filename film flag flight folder follower form friend fund game genre
gift grade group guest history holiday host hostname hour image import incident income index info
invoice inventory issue item job key keyword label language lead ledger lesson level library license
like limit line link list location lock log login manager map mark market media member menu message
meta method metric milestone minute mode model module month movie name network news node note
notification number office offer option order organization owner package page parent part partner
password path payment payroll people permission person phone photo picture place plan platform play
playlist policy poll position post price product profile program project promotion property provider
purchase quantity question queue quota rate rating reason receipt record region registration release
rental report request reservation resource response result return review reward role room route rule
sale salary schedule school score season section security seller sequence server service session shipper
setting shift ship shipment shipping shop size skill slot source spec staff stage state statement
status step stock store subject subscription summary supplier support survey tag target task tax team
template tenant term test text thread ticket time timestamp title token topic total track transaction
territory transfer trip type unit update upload user username value vendor version video view visit vote
warehouse web website week work workflow year zone id
""".split())


def _known(word: str) -> bool:
    """A listed word, or its plural (`tracks`, `categories`, `addresses`)."""
    if len(word) < 3:
        return word == "id"
    return (word in WORDS or (word.endswith("s") and word[:-1] in WORDS)
            or (word.endswith("ies") and word[:-3] + "y" in WORDS) or (word.endswith("es") and word[:-2] in WORDS))


@lru_cache(maxsize=4096)
def _segment(run: str) -> tuple[str, ...] | None:
    """The fewest known words that spell `run` exactly (lower case), or None."""
    best: list[tuple[str, ...] | None] = [()] + [None] * len(run)
    for end in range(1, len(run) + 1):
        for start in range(end):
            word, head = run[start:end], best[start]
            if head is None or not _known(word):
                continue
            if best[end] is None or len(head) + 1 < len(best[end]):  # type: ignore[arg-type]
                best[end] = head + (word,)
    return best[-1]


def _split_run(word: str) -> list[str]:
    """A camel-case piece (`Countrylanguage`, `countrylanguage`) split into known words when it is
    made of them, keeping the original letters; else the piece as it is."""
    if word.isupper() and len(word) > 2:  # an all-caps word (`ORDERLINES`): split as lower case
        word = word.lower()
    lowered = word.lower()
    if len(word) < _MIN_RUN or _known(lowered) or not word[1:].islower():
        return [word]
    parts = _segment(lowered)
    if not parts or len(parts) < 2:
        return [word]
    out, pos = [], 0
    for part in parts:
        out.append(word[pos:pos + len(part)])
        pos += len(part)
    return out


def words(name: str) -> list[str]:
    """The words of a MySQL name, in order, with their original letters."""
    out: list[str] = []
    for chunk in _SEPARATORS.split(name):
        for piece in _CAMEL.findall(chunk):
            out += _split_run(piece)
    return out


def pascal(name: str) -> str:
    """`film_category` -> `FilmCategory`, `countrylanguage` -> `CountryLanguage`, `CountryLanguage`
    kept, `ORDER_LINES` -> `OrderLines`; characters DynamoDB names refuse become word breaks."""
    return "".join(word[:1].upper() + word[1:] for word in words(name))

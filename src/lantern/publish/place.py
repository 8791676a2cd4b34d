"""What a build covers, in words (pure): "England", "Colchester", "Essex, Southend-on-Sea and
Thurrock", and titles that do not name a different place."""

from __future__ import annotations

from collections.abc import Sequence

ENGLAND = "E92000001"


def join_names(names: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``; four or more: the first two and how many others."""
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        return "the selected areas"
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return f"{names[0]}, {names[1]} and {len(names) - 2} other areas"


def comparator_label(place: str, names: Sequence[str]) -> str:
    """Column heading for the average of the map's areas: the place when it is one area."""
    return place if len([n for n in names if n]) == 1 else "Map average"


def strip_place(title: str, place_names: Sequence[str], keep: Sequence[str] = ()) -> str:
    """Drop a leading place name that is not one of ``keep`` ("Essex COVID-19 … index" on an
    England map reads "COVID-19 … index"); the longest matching name wins."""
    for name in sorted({n for n in place_names if n}, key=len, reverse=True):
        if name in keep:
            continue
        if title.startswith(name + " ") and len(title) > len(name) + 1:
            rest = title[len(name) + 1 :]
            return rest[0].upper() + rest[1:]
    return title


def rank_note(place: str, total: int, national: bool) -> str:
    """Which areas rank 1 and decile 1 are the most vulnerable among."""
    if national or place == "England":
        return f"Rank 1 and decile 1 are the most vulnerable of England's {total:,} neighbourhoods."
    return (
        f"Rank 1 and decile 1 are the most vulnerable of the {total:,} neighbourhoods of {place}."
    )

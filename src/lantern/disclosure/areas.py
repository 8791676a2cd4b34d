"""How published areas add up: every area is a set of *atoms*, and sums follow from the sets.

An atom is the smallest piece two geographies share: for England and Wales, one row of the ONS
LSOA 2011 → 2021 best-fit lookup (an LSOA 2011 and an LSOA 2021 that overlap). Every LSOA of
either vintage is a union of atoms, and every MSOA, ward, district, county, region, CCG or ICB is
the union of its LSOAs' atoms. Two published areas then nest (one set inside the other), overlap
or are apart, whatever their tables declare.

``structure(codes, sets)`` turns a list of published area codes into sum equations:

* a *laminar* group (every two areas nested or apart, as LSOA ⊂ MSOA ⊂ district) becomes a tree:
  each area equals the sum of its largest published sub-areas plus, when they do not cover it,
  one unpublished remainder ("the rest of E02000001");
* any other group (wards overlapping MSOAs, 2011 areas overlapping 2021 ones) is written in base
  form: each area equals the sum of the unpublished pieces ("classes": atoms lying in exactly the
  same published areas), a piece that is itself a published area being that area's cell.

Codes the sets do not know are atoms of their own (linked to nothing). Pure: no file I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class AreaSets:
    """Known area codes, each as a set of atom ids (CSR: ``indptr``/``atoms`` per code)."""

    codes: pd.Index
    indptr: np.ndarray
    atoms: np.ndarray
    n_atoms: int
    names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_pairs(
        cls,
        codes: Sequence[str] | np.ndarray,
        atoms: Sequence[int] | np.ndarray,
        names: Iterable[str] = (),
    ) -> AreaSets:
        """From ``(code, atom)`` pairs (duplicates ignored)."""
        frame = pd.DataFrame({"code": np.asarray(codes, dtype=object), "atom": atoms})
        frame = frame.drop_duplicates().sort_values(["code", "atom"], kind="stable")
        index = pd.Index(frame["code"].unique())
        counts = frame.groupby("code", sort=True).size().reindex(index).to_numpy()
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        n_atoms = int(frame["atom"].max()) + 1 if len(frame) else 0
        return cls(index, indptr, frame["atom"].to_numpy(np.int64), n_atoms, frozenset(names))

    @classmethod
    def empty(cls) -> AreaSets:
        return cls(pd.Index([], dtype=object), np.zeros(1, np.int64), np.zeros(0, np.int64), 0)

    def __len__(self) -> int:
        return len(self.codes)

    def knows(self, codes: Sequence[str] | np.ndarray) -> np.ndarray:
        found: np.ndarray = self.codes.get_indexer(np.asarray(codes, dtype=object)) >= 0
        return found

    def pairs(self, codes: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(area position in codes, atom)`` for every atom of every code; unknown codes get
        an atom of their own (numbered after the known atoms)."""
        codes = np.asarray(codes, dtype=object)
        pos = self.codes.get_indexer(codes)
        known = pos >= 0
        starts = np.where(known, self.indptr[np.maximum(pos, 0)], 0)
        lengths = np.where(known, self.indptr[np.maximum(pos, 0) + 1] - starts, 0)
        area = np.repeat(np.arange(len(codes)), lengths)
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        atom = self.atoms[np.arange(lengths.sum()) + offsets] if lengths.sum() else np.zeros(0, int)
        unknown = np.flatnonzero(~known)
        area = np.concatenate([area, unknown])
        atom = np.concatenate([atom, self.n_atoms + np.arange(len(unknown))]).astype(np.int64)
        return area.astype(np.int64), atom


@dataclass
class Structure:
    """Sum equations over ``len(codes)`` published areas and ``len(implicit)`` unpublished pieces.

    Nodes ``0..n-1`` are the areas (in the order given), ``n..n+k-1`` the pieces. Equation ``e``
    says ``node total[e] == sum(node parts[ptr[e]:ptr[e+1]])``. ``implicit[j]`` describes piece j
    as ``(kind, codes)``: ``("rest", (parent, child, ...))`` or ``("piece", (area, area, ...))``.
    """

    codes: np.ndarray
    implicit: list[tuple[str, tuple[str, ...]]]
    total: np.ndarray
    ptr: np.ndarray
    parts: np.ndarray
    nested: bool

    @property
    def n_nodes(self) -> int:
        return len(self.codes) + len(self.implicit)


def _components(area: np.ndarray, atom: np.ndarray, n_areas: int) -> np.ndarray:
    atoms, atom_ix = np.unique(atom, return_inverse=True)
    n = n_areas + len(atoms)
    graph = sparse.coo_matrix((np.ones(len(area)), (area, n_areas + atom_ix)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    out: np.ndarray = labels[:n_areas]
    return out


def structure(codes: Sequence[str] | np.ndarray, sets: AreaSets) -> Structure:
    """Sum equations linking the given (unique) area codes; see the module docstring."""
    codes = np.asarray(codes, dtype=object)
    n = len(codes)
    area, atom = sets.pairs(codes)
    size = np.bincount(area, minlength=n)
    rank = np.argsort(np.argsort(codes, kind="stable"), kind="stable")
    # Per atom, its areas from smallest to largest: each area's "next container".
    order = np.lexsort((rank[area], size[area], atom))
    a_s, t_s = area[order], atom[order]
    same = np.r_[t_s[1:] == t_s[:-1], False]
    nxt = np.where(same, np.r_[a_s[1:], -1], -1)
    lo_next = np.full(n, np.iinfo(np.int64).max)
    hi_next = np.full(n, -2)
    np.minimum.at(lo_next, a_s, nxt)
    np.maximum.at(hi_next, a_s, nxt)
    consistent = lo_next == hi_next
    labels = _components(area, atom, n) if n else np.zeros(0, np.int64)
    bad = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    bad[labels[~consistent]] = True
    laminar_area = ~bad[labels] if n else np.zeros(0, bool)

    totals: list[np.ndarray] = []
    part_lists: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    implicit: list[tuple[str, tuple[str, ...]]] = []

    # Laminar components: tree form.
    parent = np.where(laminar_area, hi_next, -1)
    kids = np.flatnonzero(parent >= 0)
    if len(kids):
        by_parent = kids[np.argsort(parent[kids], kind="stable")]
        heads, first = np.unique(parent[by_parent], return_index=True)
        seg = np.split(by_parent, first[1:])
        covered = np.bincount(parent[kids], weights=size[kids], minlength=n)
        parts_of_head = []
        for h, children in zip(heads, seg, strict=True):
            if covered[h] < size[h]:
                implicit.append(("rest", (str(codes[h]), *map(str, codes[children]))))
                children = np.r_[children, n + len(implicit) - 1]
            parts_of_head.append(children)
        totals.append(heads)
        lengths.append(np.array([len(c) for c in parts_of_head], dtype=np.int64))
        part_lists.append(np.concatenate(parts_of_head))

    # Other components: base form over classes of atoms.
    other = ~laminar_area
    if other.any():
        keep = other[area]
        o_area, o_atom = area[keep], atom[keep]
        sig = (
            pd.DataFrame({"atom": o_atom, "area": o_area})
            .sort_values(["atom", "area"])
            .groupby("atom")["area"]
            .agg(tuple)
        )
        classes = pd.Index(sig.unique())
        cls_of_atom = pd.Series(classes.get_indexer(sig.to_numpy()), index=sig.index)
        area_classes = (
            pd.DataFrame({"area": o_area, "cls": cls_of_atom.reindex(o_atom).to_numpy()})
            .drop_duplicates()
            .groupby("area")["cls"]
            .agg(lambda s: tuple(sorted(s)))
        )
        node_of_class = np.full(len(classes), -1, dtype=np.int64)
        for a, cl in area_classes.items():
            if len(cl) == 1 and node_of_class[cl[0]] < 0:
                node_of_class[cl[0]] = a
        missing = np.flatnonzero(node_of_class < 0)
        node_of_class[missing] = n + len(implicit) + np.arange(len(missing))
        implicit += [("piece", tuple(str(codes[m]) for m in classes[c])) for c in missing]
        for a, cl in area_classes.items():
            nodes = node_of_class[list(cl)]
            if len(nodes) == 1 and nodes[0] == a:
                continue
            totals.append(np.array([a]))
            lengths.append(np.array([len(nodes)]))
            part_lists.append(nodes)

    total = np.concatenate(totals).astype(np.int64) if totals else np.zeros(0, np.int64)
    length = np.concatenate(lengths).astype(np.int64) if lengths else np.zeros(0, np.int64)
    parts = np.concatenate(part_lists).astype(np.int64) if part_lists else np.zeros(0, np.int64)
    ptr = np.concatenate([[0], np.cumsum(length)]).astype(np.int64)
    return Structure(codes, implicit, total, ptr, parts, bool(laminar_area.all()))

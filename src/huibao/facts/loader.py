"""The one inputs loader: a pack with its workbook(s), checked, rolled up, as facts.

Every reader of a campaign's data comes through ``load_inputs``: the planner, a worker
running a notebook, and an analyst's own JupyterLab. It reads the files, runs the checks,
builds the 上级单位 tree and rolls its indicators up once, and computes the facts.

The result is kept (``CACHE_SIZE`` workbooks per process) and reused while every input
file — the data files ``data_path`` expands to now, and the campaign pack's files — keeps
the size and modification time it had when read. A hit returns a fresh copy, so a notebook
that changes its inputs changes nothing for the next one. Errors are never kept.
"""

from __future__ import annotations

import json
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from huibao import config
from huibao.errors import HuibaoError
from huibao.facts import hierarchy
from huibao.facts.compute import FACT_COLUMNS, compute_facts
from huibao.facts.metric import Metric, metrics_for
from huibao.inputs.checks import refused_units, validate
from huibao.inputs.findings import Findings
from huibao.inputs.workbook import Workbook, expand, read_workbook
from huibao.packs.schema import Pack, load_pack

CACHE_SIZE = 8   # workbooks a process keeps (a batch runs units workbook by workbook)


@dataclass
class Inputs:
    """A campaign pack with one workbook's data, what was found in it, and its facts.

    ``facts`` hold the rolled-up values of units with units below them; ``workbook``
    what the files say; ``tree`` the 上级单位 hierarchy of the roster. ``refused``: units
    whose rows are refused whole (``checks.refused_units``: not in 单位信息, or a name no
    folder can carry); ``findings`` report them, and ``facts`` leave them out, so they are
    nobody's peer, in no count, rank, chart or roll-up.
    """

    pack: Pack
    workbook: Workbook
    facts: pd.DataFrame
    findings: Findings
    tree: hierarchy.Tree
    refused: frozenset[str] = field(default_factory=frozenset)
    _metrics: dict[tuple[str, int], tuple] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def level(self, unit: str) -> int:
        """The unit's hierarchy level: 0 without 上级单位, 1 below such a unit, …"""
        return self.tree.levels.get(unit, 0)

    def metrics(self, unit: str, year: int) -> dict[str, Metric]:
        """``metrics_for`` the unit-year with the workbook's targets, worked out once (a
        document reads them for its text, its key table and its headline); again if
        ``facts`` or the targets were replaced meanwhile."""
        facts, targets = self.facts, self.workbook.targets
        kept = self._metrics.get((unit, year))
        if kept is None or kept[0] is not facts or kept[1] is not targets:
            kept = (facts, targets, metrics_for(facts, self.pack, unit, year, targets))
            self._metrics[(unit, year)] = kept
        return dict(kept[2])

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_metrics": {}}   # a cache: not worth shipping to workers


def check_workbook(wb: Workbook, pack: Pack, refused: set[str] | None = None
                   ) -> tuple[Findings, hierarchy.RollUp]:
    """Every problem of ``wb`` (reading, table checks, hierarchy) and its roll-up.

    The checks see every row; the roll-up only those of units not refused whole
    (``refused``, by default ``checks.refused_units``), whose rows feed no other unit's
    numbers.
    """
    refused = refused_units(wb) if refused is None else refused
    rolled = hierarchy.roll_up_workbook(without_units(wb, refused), pack)
    findings = validate(wb, pack, levels=rolled.tree.levels, rolled=rolled.rolled)
    findings.extend(rolled.problems)
    return findings, rolled


def without_units(wb: Workbook, units: set[str]) -> Workbook:
    """``wb`` without the data rows of ``units`` (the roster and the findings kept)."""
    if not units:
        return wb
    return replace(wb, **{name: frame[~frame["unit"].isin(units)] for name in (
        "values", "targets", "rows", "blanks", "honours", "activities", "systems", "texts")
        if not (frame := getattr(wb, name)).empty})


def read_inputs(campaign: str, data_path: str | Path | list, root: Path | None = None) -> Inputs:
    """Read and check the input files (a path, folder, glob or list; relative to root).

    Problems are kept in ``findings``, not raised: the document kinds decide per unit.
    """
    root = root or config.project_root()
    pack = load_pack(campaign, config.templates_dir(root))
    wb = read_workbook(data_path, pack, root)
    refused = refused_units(wb)
    findings, rolled = check_workbook(wb, pack, refused)
    if rolled.values.empty:
        facts = pd.DataFrame(columns=FACT_COLUMNS)
    else:
        targets = without_units(wb, refused).targets
        facts = compute_facts(rolled.values, targets, pack, rolled.tree.levels)
    return Inputs(pack, wb, facts, findings, rolled.tree, frozenset(refused))


_cache: OrderedDict[str, tuple[tuple, bytes]] = OrderedDict()


def _stamp(campaign: str, data_path: object, root: Path) -> tuple:
    files = [*expand(data_path, root),
             *sorted(p for p in config.campaign_dir(campaign, root).rglob("*") if p.is_file())]
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            out.append((str(f), None))
        else:
            out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


def stamp(campaign: str, data_path: object, root: Path) -> tuple:
    """The state of every file the inputs are read from: (path, modification time, size)."""
    return _stamp(campaign, data_path, Path(root))


def load_inputs(campaign: str, data_path: str | Path | list, root: Path | None = None) -> Inputs:
    """``read_inputs``, reused while the input files stay the same (see the module doc)."""
    root = Path(root) if root is not None else config.project_root()
    key = _key(campaign, data_path, root)
    try:
        now = _stamp(campaign, data_path, root)
    except (HuibaoError, OSError):  # let read_inputs report an unusable data_path
        return read_inputs(campaign, data_path, root)
    kept = _cache.get(key)
    if kept is not None and kept[0] == now:
        _cache.move_to_end(key)
        return pickle.loads(kept[1])
    inputs = read_inputs(campaign, data_path, root)
    _keep(key, now, pickle.dumps(inputs))
    return inputs


def _keep(key: str, stamp: tuple, blob: bytes) -> None:
    _cache[key] = (stamp, blob)
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def clear_cache() -> None:
    _cache.clear()


@dataclass(frozen=True)
class Snapshot:
    """Inputs as one process read them, for another to reuse (``prime``): the pickled
    ``Inputs`` and the files' state (``stamp``) taken before they were read."""

    campaign: str
    data_path: object
    root: str
    stamp: tuple
    blob: bytes


def _key(campaign: str, data_path: object, root: Path) -> str:
    return json.dumps([campaign, data_path, str(root)], default=str, ensure_ascii=False)


def snapshot(campaign: str, data_path: object, root: Path) -> Snapshot | None:
    """What ``load_inputs`` kept for these arguments (call right after it), or None."""
    kept = _cache.get(_key(campaign, data_path, Path(root)))
    if kept is None:
        return None
    return Snapshot(campaign, data_path, str(root), kept[0], kept[1])


def prime(shot: Snapshot) -> bool:
    """Reuse ``shot`` for the next ``load_inputs`` of its arguments in this process, if the
    files here are in the state it was read from (else they are read again: never stale).

    A batch's workers would each read and check every workbook the planner has already
    read; this hands them the planner's result instead.
    """
    root = Path(shot.root).resolve()   # as a notebook's ``config.project_root()``
    try:
        now = _stamp(shot.campaign, shot.data_path, root)
    except (HuibaoError, OSError):
        return False
    if [s[1:] for s in now] != [s[1:] for s in shot.stamp]:   # sizes and times, in order
        return False
    _keep(_key(shot.campaign, shot.data_path, root), now, shot.blob)
    return True

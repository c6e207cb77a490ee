"""The template sandbox: nothing a template can reach touches the file system.

Two kinds of test: a walk over everything reachable from the template context of real
documents (unit and roll-up, several packs), through attributes, items and the results of
calling the functions it holds, asserting that only plain data and known pure callables
are there; and real escapes rendered through the kit's own ``narrative.render`` with the
real context, asserting that each fails and leaves the file system as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import types
import warnings
from decimal import Decimal
from pathlib import Path, PurePath

import pytest
from batch_project import make_project
from jinja2.sandbox import SecurityError
from pydantic import BaseModel

from huibao.documents import area as rollup
from huibao.documents import unit as report
from huibao.errors import RenderError
from huibao.facts import loader
from huibao.packs import params
from huibao.prose import narrative
from huibao.prose.placement import OwnText
from huibao.prose.sandbox import Call, Record, record_fields

YEAR = 2025
LEAVES = (str, bool, int, float, Decimal, dt.date, type(None))
# Modules whose functions a template may reach as methods of its objects: pure ones.
PURE_MODULES = {"huibao.facts.metric", "huibao.prose.placement", "huibao.prose.sandbox"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project, so that an escape that worked could only harm the copy."""
    return make_project(tmp_path_factory.mktemp("sandbox") / "p")


def unit_context(project: Path, campaign: str, unit: str | None = None) -> dict:
    data = params.merged(project / "params", campaign)["data_path"]
    inputs = loader.load_inputs(campaign, data, project)
    unit = unit or str(inputs.workbook.units["unit"].iloc[-1])
    return report.context(inputs, unit, YEAR, project)


def area_context(project: Path, campaign: str) -> dict:
    r = rollup.load(campaign, root=project)
    return rollup.context(r, YEAR, project)


def _public(obj: object) -> list[tuple[str, object]]:
    out = []
    for name in dir(obj):
        if name.startswith("_"):
            continue  # Jinja's sandbox never hands these out
        try:
            out.append((name, getattr(obj, name)))
        except Exception:  # a property that needs data the object lacks
            continue
    return out


def walk(value: object, where: str, seen: set[int], found: list[str],
         keys: list[str], metrics: list[object]) -> None:
    """Every value reachable from ``value``; what is neither plain nor pure goes to found."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, LEAVES):
        return
    bad = (PurePath, io.IOBase, types.ModuleType, type, BaseModel)
    if isinstance(value, bad) or type(value).__module__.split(".")[0] in ("pandas", "numpy"):
        found.append(f"{where}: {type(value).__name__}")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            walk(v, f"{where}[{k!r}]", seen, found, keys, metrics)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            walk(v, f"{where}[{i}]", seen, found, keys, metrics)
        return
    if isinstance(value, Call):
        # call it with what a template could pass: indicator keys, metrics, nothing
        for args in [(), *[(k,) for k in keys], *[(m,) for m in metrics]]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a number where a word belongs
                    result = value(*args)
            except Exception:
                continue
            walk(result, f"{where}{args[:1]!r}", seen, found, keys, metrics)
        return
    if isinstance(value, types.MethodType):
        if value.__func__.__module__ not in PURE_MODULES or isinstance(value.__self__, type):
            found.append(f"{where}: method {value.__qualname__}")
        return
    if callable(value):
        found.append(f"{where}: callable {value!r}")
        return
    if isinstance(value, Record):
        for k, v in record_fields(value).items():
            walk(v, f"{where}.{k}", seen, found, keys, metrics)
        return
    if dataclasses.is_dataclass(value) or isinstance(value, OwnText):
        for name, v in _public(value):
            walk(v, f"{where}.{name}", seen, found, keys, metrics)
        return
    found.append(f"{where}: {type(value).__name__}")


def reachable_problems(context: dict) -> list[str]:
    view = narrative.template_context(context)
    env = narrative.make_env(Path("."))
    keys = [i.key for i in context["pack"].indicators]
    metrics = list(view["m"].values())
    found: list[str] = []
    seen: set[int] = set()
    for name, value in view.items():
        walk(value, name, seen, found, keys, metrics)
    for name, value in env.globals.items():
        if isinstance(value, Call):
            walk(value, name, seen, found, keys, metrics)
    return found


@pytest.mark.parametrize("campaign", ["wenming_city", "shijian", "shuangyong"])
def test_unit_context_holds_plain_data_only(project, campaign):
    context = unit_context(project, campaign)
    assert isinstance(context["pack"].folder, Path)  # what the kit itself holds …
    assert reachable_problems(context) == []         # … is not what the template gets


@pytest.mark.parametrize("campaign", ["wenming_city", "jizhen"])
def test_rollup_context_holds_plain_data_only(project, campaign):
    assert reachable_problems(area_context(project, campaign)) == []


def test_the_walk_finds_what_it_should():
    """The walk itself catches paths, models, frames and file methods."""
    import pandas as pd

    found: list[str] = []
    walk({"a": [Path("/tmp")], "b": Record(c=io.StringIO()), "d": pd.DataFrame(),
          "e": Path.write_text, "f": Path("/").exists},
         "ctx", set(), found, [], [])
    assert len(found) == 5, found
    with pytest.raises(SecurityError):  # a function returning a path: the call fails
        Call(lambda: Path("/"))()


ESCAPES = [
    "{{ pack.folder.joinpath('pwned').write_text('y') }}",
    "{{ pack.folder }}",
    "{{ pack['folder'] }}",
    "{{ pack | attr('folder') }}",
    "{{ pack.template_path('工作总结') }}",
    "{{ pack.model_copy() }}",
    "{{ pack.parse_file(SECRET) }}",
    "{{ m.awareness_rate.ind.parse_file(SECRET) }}",
    "{{ m.awareness_rate.ind.model_validate_json('{}') }}",
    "{% for k, v in m.items() %}{{ v.ind.parse_file(SECRET) }}{% endfor %}",
    "{{ m.awareness_rate.__class__ }}",
    "{{ unit.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__['os'].remove(SECRET) }}",
    "{{ cycler.__init__.__globals__.os.remove(SECRET) }}",
    "{{ clause._fn.__globals__ }}",
    "{{ own.practice.__self__ }}",
    "{{ own.practice.__func__.__globals__['re'] }}",
    "{{ pack.in_group('x').__class__ }}",
    "{{ (honours_all | first).__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ '{0.__class__}'.format(pack) }}",
    "{% include '../../../../../../etc/hostname' %}",
    "{% include SECRET %}",
    "{% import '../indicators.yaml' as x %}",
]


@pytest.mark.parametrize("attack", ESCAPES)
def test_escapes_fail_and_touch_no_file(project, tmp_path, attack):
    secret = tmp_path / "secret.json"
    secret.write_text('{"campaign": "stolen"}', encoding="utf-8")
    context = {**unit_context(project, "wenming_city", "示例县"), "SECRET": str(secret)}
    folder = tmp_path / "tpl"
    folder.mkdir()
    template = folder / "attack.md.j2"
    template.write_text(attack, encoding="utf-8")
    before = sorted(p.name for p in (project / "templates" / "wenming_city").iterdir())
    try:
        out = narrative.render(template, context)
    except RenderError:
        out = ""
    assert "stolen" not in out and "wenming_city" not in out and "/" not in out, out
    assert secret.exists()
    assert sorted(p.name for p in (project / "templates" / "wenming_city").iterdir()) == before
    assert not (project / "templates" / "wenming_city" / "pwned").exists()


def test_escape_through_a_call_result_fails(project, tmp_path):
    """Objects a roll-up function returns (a unit's metric) are as plain as the context."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"campaign": "stolen"}', encoding="utf-8")
    context = {**area_context(project, "wenming_city"), "SECRET": str(secret)}
    assert any(context["misses"](k) for k in context["matrix_keys"])  # there is a miss
    template = tmp_path / "attack.md.j2"
    template.write_text("{% for k in matrix_keys %}{% for x in misses(k) %}"
                        "{{ x.m.ind.parse_file(SECRET) }}{% endfor %}{% endfor %}",
                        encoding="utf-8")
    with pytest.raises(RenderError):
        narrative.render(template, context)
    template.write_text("{% for k in matrix_keys %}{% for x in misses(k) %}"
                        "{{ x.unit }}{{ x.m.ind.name }}{% endfor %}{% endfor %}",
                        encoding="utf-8")
    assert narrative.render(template, context)  # the plain data itself reads as before


def test_templates_still_read_what_they_need(project, tmp_path):
    context = unit_context(project, "wenming_city", "示例县")
    template = tmp_path / "ok.md.j2"
    template.write_text(
        "{{ pack.name }}|{{ pack.in_group('organisation') | map(attribute='key') | list | "
        "length > 0 }}|{{ m.awareness_rate.ind.kind }}|{{ qty(m.awareness_rate) }}|"
        "{{ '{}'.format(unit.name) }}|{% set ns = namespace(a=[]) %}"
        "{% set ns.a = ns.a + [1] %}{{ ns.a | length }}|{{ m.awareness_rate.shown(92.345) }}",
        encoding="utf-8")
    out = narrative.render(template, context).split("|")
    assert out[0] == "创建全国文明城市" and out[1] == "True" and out[2] == "rate"
    assert out[3].endswith("%") and out[4] == "示例县" and out[5] == "1"
    assert out[6] == "92.3"

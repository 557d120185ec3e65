"""Randomised call details: Faker generators in the scenario's locale, trainer lists,
fixed values and safe arithmetic.  ``--seed`` makes a call reproducible and
``--var NAME=VALUE`` pins any variable (pinned values win over generated ones): its
companions that were not pinned themselves are derived again from the pinned value (a
name's reading by OpenJTalk, its family name by a space or Faker's list of family names,
a date's weekday), ``--var SLOT=VALUE`` pins the variable behind a slot, and a pin that
breaks the scenario's arithmetic is a one-line error.
"""

from __future__ import annotations

import ast
import math
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from faker import Faker

from simulator import template
from simulator.errors import OpsimError

if TYPE_CHECKING:
    from simulator.schema import Scenario, Variable

LOCALES = {"ja": "ja_JP", "en": "en_US"}

Generated = dict[str, str]  # the variable itself under "" and companions under their suffix
Generator = Callable[[Faker, str, "Variable"], Generated]


def _person(f: Faker, lang: str, female: bool | None) -> Generated:
    """A full name with its reading and family name; ``female`` None: either."""
    if lang == "ja":
        last, last_kana, _ = f.last_name_pair()
        if female is None:
            female = f.random.random() < 0.5
        first, first_kana, _ = (f.first_name_female_pair() if female
                                else f.first_name_male_pair())
        return {"": f"{last}{first}", "_reading": f"{last_kana}{first_kana}",
                "_family": last, "_family_reading": last_kana}
    first = (f.first_name() if female is None
             else f.first_name_female() if female else f.first_name_male())
    last = f.last_name()
    return {"": f"{first} {last}", "_reading": f"{first} {last}", "_family": last,
            "_family_reading": last}


def _name(f: Faker, lang: str, var: Variable) -> Generated:
    return _person(f, lang, None)


def _female_name(f: Faker, lang: str, var: Variable) -> Generated:
    return _person(f, lang, True)


def _male_name(f: Faker, lang: str, var: Variable) -> Generated:
    return _person(f, lang, False)


def _address(f: Faker, lang: str, var: Variable) -> Generated:
    if lang == "ja":
        pref, city, town = f.prefecture(), f.city(), f.town()
        block = f"{f.random_int(1, 9)}丁目{f.random_int(1, 30)}番{f.random_int(1, 20)}号"
        return {"": f"{pref}{city}{town}{block}", "_postcode": f.postcode()}
    return {"": f"{f.street_address()}, {f.city()}, {f.state_abbr()}",
            "_postcode": f.zipcode()}


def _phone(f: Faker, lang: str, var: Variable) -> Generated:
    if lang == "ja":
        return {"": f"0{f.random_element(['9', '8', '7'])}0-{f.numerify('####')}-{f.numerify('####')}"}
    return {"": f"{f.random_int(2, 9)}{f.numerify('##-###-####')}"}


def _digits(f: Faker, lang: str, var: Variable) -> Generated:
    return {"": f.numerify(var.pattern or "########")}


def _postcode(f: Faker, lang: str, var: Variable) -> Generated:
    return {"": f.postcode() if lang == "ja" else f.zipcode()}


def _date(f: Faker, lang: str, var: Variable) -> Generated:
    d = f.date_between(start_date="+3d", end_date="+40d")
    weekday_ja = "月火水木金土日"[d.weekday()]
    if lang == "ja":
        return {"": f"{d.month}月{d.day}日", "_weekday": f"{weekday_ja}曜日"}
    return {"": d.strftime("%B ") + str(d.day), "_weekday": d.strftime("%A")}


GENERATORS: dict[str, Generator] = {
    "name": _name,  # companions: _reading, _family, _family_reading
    "female_name": _female_name,  # the same companions (a persona with gender: female)
    "male_name": _male_name,
    "address": _address,  # companion: _postcode
    "phone": _phone,
    "order_number": _digits,  # pattern, default ########
    "code": _digits,
    "postcode": _postcode,
    "date": _date,  # companion: _weekday
}
_NAME_COMPANIONS = ["_reading", "_family", "_family_reading"]
_COMPANIONS = {"name": _NAME_COMPANIONS, "female_name": _NAME_COMPANIONS,
               "male_name": _NAME_COMPANIONS, "address": ["_postcode"], "date": ["_weekday"]}


def companions(name: str, generator: str | None) -> list[str]:
    """Extra variables a generator defines beside ``name`` (e.g. ``customer_reading``)."""
    return [name + s for s in _COMPANIONS.get(generator or "", [])]


_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv)
#: a constant or result beyond this is not an amount of money or goods (floats lose cents)
_LARGEST = 1e15


def compute_names(expr: str) -> list[str]:
    """Variable names used by an arithmetic expression; ValueError if it is not plain
    arithmetic, or longer than the ``compute_chars`` limit."""
    from simulator.limits import current, exceeded

    if len(expr) > current().compute_chars:
        raise ValueError(exceeded("an expression is at most {n} characters", "compute_chars")
                         + f", this one has {len(expr):,}")
    try:
        tree = ast.parse(expr, mode="eval")
    except (SyntaxError, RecursionError, MemoryError):
        raise ValueError(f"not an arithmetic expression: {expr!r}") from None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.Load, ast.Constant, *_OPS)):
            raise ValueError(f"only + - * / and variable names are allowed, not "
                             f"{type(node).__name__} in {expr!r}")
        elif isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
            raise ValueError(f"only numbers are allowed as constants in {expr!r}")
        elif isinstance(node, ast.Constant) and not abs(float(node.value)) <= _LARGEST:  # type: ignore[arg-type]
            raise ValueError(f"the number {node.value!r} is too large in {expr!r}")
    return names


def _number(text: str) -> float:
    cleaned = text.replace(",", "").replace("円", "").replace("$", "").strip()
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _apply(op: ast.operator, a: float, b: float) -> float:
    """One operation; ZeroDivisionError for a division by zero."""
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.FloorDiv):
        return a // b
    return a / b


def compute(expr: str, values: Mapping[str, str]) -> str:
    """The value of ``expr`` over ``values`` (validated at load; a ``--var`` pin can still
    make it divide by zero or overflow: a one-line error naming the expression)."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            try:
                return _number(values[node.id])
            except ValueError:
                raise OpsimError(f"variable '{node.id}' = {values[node.id]!r} is not a number "
                                 f"(used in {expr!r})") from None
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            try:
                return _apply(node.op, a, b)
            except ZeroDivisionError:
                raise OpsimError(f"division by zero in {expr!r}") from None
        raise OpsimError(f"cannot compute {expr!r}")  # pragma: no cover - checked at load

    try:
        compute_names(expr)
    except ValueError as e:
        raise OpsimError(str(e)) from None
    result = ev(ast.parse(expr, mode="eval"))
    if not abs(result) <= _LARGEST:
        raise OpsimError(f"{expr!r} = {result:g}: too large for an amount")
    return str(int(result)) if float(result).is_integer() else f"{result:.2f}"


#: how many combinations of declared values :func:`compute_problem` tries at most
_COMBINATIONS = 1000


def compute_problem(expr: str, possible: Mapping[str, Sequence[str] | None]
                    ) -> tuple[str | None, list[str] | None]:
    """At load time: would ``expr`` fail for some declared value of its variables?

    ``possible`` gives each variable's declared values (a fixed value, the choices, an
    earlier computed variable's possible results) or None when it is generated (Faker) and
    cannot be known.  Returns (the problem or None, the possible results or None).  A
    division by a declared zero, a declared value that is not a number and a result too
    large are problems; generated values are not guessed."""
    tree = ast.parse(expr, mode="eval")

    def ev(node: ast.AST) -> set[float] | None:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return {float(node.value)}  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            declared = possible.get(node.id)
            if declared is None:
                return None
            out = set()
            for v in declared:
                try:
                    out.add(_number(v))
                except ValueError:
                    raise _Problem(f"variable '{node.id}' can be {v!r}, which is not a "
                                   "number") from None
            return out
        assert isinstance(node, ast.BinOp)
        a, b = ev(node.left), ev(node.right)
        if isinstance(node.op, ast.Div | ast.FloorDiv) and b is not None and 0.0 in b:
            raise _Problem(f"divides by zero: {ast.unparse(node.right)} can be 0")
        if a is None or b is None or len(a) * len(b) > _COMBINATIONS:
            return None
        results = {_apply(node.op, x, y) for x in a for y in b}
        if any(not abs(r) <= _LARGEST for r in results):
            raise _Problem("the result is too large for an amount")
        return results

    try:
        found = ev(tree)
    except _Problem as e:
        return str(e), None
    if found is None:
        return None, None
    return None, [str(int(r)) if float(r).is_integer() else f"{r:.2f}" for r in sorted(found)]


class _Problem(Exception):
    pass


def declared(var: Variable) -> list[str] | None:
    """The values a (not computed) variable can take without pins: its fixed value or its
    choices; None when generated or templated (not known before the call)."""
    if var.choices is not None:
        return list(var.choices)
    if var.value is not None and "{" not in var.value:
        return [var.value]
    return None


def parse_pins(pairs: list[str]) -> dict[str, str]:
    """``["color=黒", "size=M"]`` -> dict; a clear error for a malformed pair."""
    pins: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise OpsimError(f"--var {pair!r}: expected NAME=VALUE")
        pins[name.strip()] = value
    return pins


# ----------------------------------------------------------------------------- pins


def _reading(text: str) -> str:
    """The katakana reading of a pinned name (OpenJTalk when installed, else the text)."""
    from simulator.matching import katakana_reading

    return katakana_reading(text) or text


def _family_names_ja() -> dict[str, str]:
    """Faker's own Japanese family names and their readings, longest first."""
    from faker.providers.person.ja_JP import Provider

    pairs = [(p[0], p[1]) for p in Provider.last_name_pairs]
    return dict(sorted(pairs, key=lambda p: -len(p[0])))


def split_name(name: str, language: str) -> tuple[str, str | None]:
    """(family name, its reading or None) of a full name: split on a space, else (Japanese)
    on Faker's list of family names, else the first two kanji."""
    t = name.strip()
    parts = t.replace("\u3000", " ").split()
    if language != "ja":
        return (parts[-1] if parts else t), (parts[-1] if parts else t)
    if len(parts) >= 2:
        return parts[0], None
    for family, kana in _family_names_ja().items():
        if t.startswith(family) and len(t) > len(family):
            return family, kana
    return (t[:2] if len(t) >= 3 else t), None


def _weekday(value: str, language: str, today: date) -> str | None:
    """The weekday of a pinned date (12月5日 / December 5): its next occurrence from today."""
    import re

    months = ["january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december"]
    m = re.search(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日", value)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
    else:
        m2 = re.search(rf"\b({'|'.join(months)})\s+(\d{{1,2}})", value.lower())
        if not m2:
            return None
        month, day = months.index(m2.group(1)) + 1, int(m2.group(2))
    for year in (today.year, today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if d >= today:
            break
    if language == "ja":
        return "月火水木金土日"[d.weekday()] + "曜日"
    return d.strftime("%A")


def derive_companions(name: str, generator: str, value: str, language: str,
                      pinned: Mapping[str, str], today: date | None = None) -> dict[str, str]:
    """The companions of a pinned value that were not pinned themselves: a name's reading
    (OpenJTalk), family name and its reading; a date's weekday."""
    out: dict[str, str] = {}
    comps = companions(name, generator)
    if generator in ("name", "female_name", "male_name"):
        family, family_kana = split_name(value, language)
        if language == "ja":
            reading = _reading(value.replace(" ", "").replace("\u3000", ""))
            fam_reading = family_kana or _reading(family)
        else:
            reading, fam_reading = value, family
        out = {name + "_reading": reading, name + "_family": family,
               name + "_family_reading": fam_reading}
    elif generator == "date":
        wd = _weekday(value, language, today or date.today())
        if wd is not None:
            out = {name + "_weekday": wd}
    return {k: v for k, v in out.items() if k in comps and k not in pinned}


def resolve_pins(scenario: Scenario, pins: Mapping[str, str]) -> dict[str, str]:
    """``--var`` pins by variable name; a slot id pins the variable behind that slot
    (``--var name=佐藤健`` pins ``customer_name`` when slot ``name`` is ``{customer_name}``)."""
    known: list[str] = []
    for vname, var in scenario.variables.items():
        known.append(vname)
        known.extend(companions(vname, var.faker))
    out: dict[str, str] = {}
    for key, value in pins.items():
        target = key
        if key not in known and key in scenario.slots:
            used = template.fields(scenario.slots[key].value)
            if len(used) == 1 and scenario.slots[key].value.strip() == "{" + used[0] + "}":
                target = used[0]
        if target not in known:
            slots = [s for s in scenario.slots if s not in known]
            raise OpsimError(f"--var {key}: scenario '{scenario.id}' has no such variable; "
                             f"expected one of: {', '.join(known + slots)}")
        out[target] = value
    return out


def generate(scenario: Scenario, seed: int, pins: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every variable's value for one call (in declaration order, companions included)."""
    pins = resolve_pins(scenario, pins or {})
    fake = Faker(LOCALES[scenario.language])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    values: dict[str, str] = {}
    for name, var in scenario.variables.items():
        if var.faker is not None:
            generated = GENERATORS[var.faker](fake, scenario.language, var)
            for suffix, val in generated.items():
                values[name + suffix] = val
        elif var.choices is not None:
            values[name] = rng.choice(var.choices)
        elif var.value is not None:
            values[name] = template.render(var.value, values)
        if name in pins:
            values[name] = pins[name]
            if var.faker is not None:
                values.update(derive_companions(name, var.faker, pins[name], scenario.language,
                                                pins))
        for comp in companions(name, var.faker):
            if comp in pins:
                values[comp] = pins[comp]  # an explicit companion pin always wins
        if var.compute is not None:
            if name in pins:
                values[name] = pins[name]
            else:
                try:
                    values[name] = compute(var.compute, values)
                except OpsimError as e:
                    culprits = [n for n in compute_names(var.compute) if n in pins]
                    if not culprits:
                        raise
                    pinned = ", ".join(f"--var {n}={pins[n]}" for n in culprits)
                    raise OpsimError(f"{pinned}: {e.message}") from None
    return values

"""The user's outlets file (outlets.toml or .csv): each outlet's name, web domains, country, language and
any labels the user chooses; and a story's coverage by those labels — which kinds of outlet reported
it and which did not. storydiff ships no ratings of its own: every label comes from the user's file.

TOML::

    [[outlet]]
    name = "The Vessby Lantern"
    domains = ["lantern.example"]
    country = "SE"
    language = "en"
    labels = { lean = "centre", owner = "public trust" }

CSV: a header naming `name` and any of `domains` (separated by spaces or ';'), `country`, `language`;
every other column is a label.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storydiff.errors import InputError
from storydiff.model import _Plain

MAX_FILE_BYTES = 5_000_000  # bytes of an outlets file
FIELDS = ("name", "domains", "country", "language", "labels")
BUILTIN_KEYS = ("country", "language")  # grouped like labels in coverage


@dataclass(frozen=True, slots=True)
class Outlet(_Plain):
    """One outlet as the user describes it."""

    name: str
    domains: tuple[str, ...] = ()  # web hosts, without www. (subdomains match too)
    country: str = ""
    language: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # (key, value) pairs, in file order

    def value(self, key: str) -> str:
        """The outlet's country, language or label `key` ("" when it has none)."""
        if key in BUILTIN_KEYS:
            return str(getattr(self, key))
        return next((v for k, v in self.labels if k == key), "")


@dataclass(frozen=True, slots=True)
class Group(_Plain):
    """The outlets sharing one value of one key, split into those that reported a story and the rest."""

    key: str  # country, language or a label key
    value: str
    reported: tuple[str, ...]
    silent: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Coverage(_Plain):
    """A story's coverage by the labels of the outlets file."""

    groups: tuple[Group, ...]
    unlisted: tuple[str, ...] = ()  # outlets of the story the file does not name

    def lines(self) -> list[str]:
        """One line per key=value: 'lean=centre: 2 of 3 reported (A, B; not C)'."""
        out = []
        for g in self.groups:
            total = len(g.reported) + len(g.silent)
            names = ", ".join(g.reported) or "none"
            missing = f"; not {', '.join(g.silent)}" if g.silent else ""
            out.append(f"{g.key}={g.value}: {len(g.reported)} of {total} reported ({names}{missing})")
        if self.unlisted:
            out.append(f"not in the outlets file: {', '.join(self.unlisted)}")
        return out

    def summary(self) -> str:
        """All keys on one line: 'country SE 1/2, NO 0/1 · lean centre 1/1, left 0/1 · unlisted: X'."""
        parts: dict[str, list[str]] = {}
        for g in self.groups:
            parts.setdefault(g.key, []).append(f"{g.value} {len(g.reported)}/{len(g.reported) + len(g.silent)}")
        text = " · ".join(f"{key} {', '.join(values)}" for key, values in parts.items())
        if self.unlisted:
            text += (" · " if text else "") + f"not in the outlets file: {', '.join(self.unlisted)}"
        return text


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "") if "//" in url else url
    host = host.strip().strip(".").lower()
    return host[4:] if host.startswith("www.") else host


class Outlets:
    """The outlets of one file, looked up by URL (domain) or by name."""

    def __init__(self, outlets: Iterable[Outlet] = (), source: str = "") -> None:
        self.outlets = tuple(outlets)
        self.source = source
        self._by_name: dict[str, Outlet] = {}
        self._by_domain: dict[str, Outlet] = {}
        for o in self.outlets:
            if o.name.casefold() in self._by_name:
                raise InputError(source or "outlets", f"outlet {o.name!r} is listed twice")
            self._by_name[o.name.casefold()] = o
            for d in o.domains:
                other = self._by_domain.get(d)
                if other is not None:
                    raise InputError(source or "outlets", f"domain {d!r} belongs to both {other.name!r} "
                                     f"and {o.name!r}")
                self._by_domain[d] = o

    def __len__(self) -> int:
        return len(self.outlets)

    def match(self, *, url: str = "", name: str = "") -> Outlet | None:
        """The outlet of a page: by its URL's host (or a parent domain), else by outlet name."""
        host = _host(url) if url else ""
        while host:
            if host in self._by_domain:
                return self._by_domain[host]
            host = host.partition(".")[2]
        return self._by_name.get(name.strip().casefold()) if name else None

    def keys(self) -> list[str]:
        """country, language (when any outlet has one) and every label key, in file order."""
        keys = [k for k in BUILTIN_KEYS if any(o.value(k) for o in self.outlets)]
        for o in self.outlets:
            keys += [k for k, _ in o.labels if k not in keys]
        return keys

    def coverage(self, reports: Iterable[Any]) -> Coverage:
        """Coverage of a story from its reports (anything with `.outlet` and `.url`, e.g. Articles)."""
        reported: set[str] = set()
        unlisted: list[str] = []
        for art in reports:
            outlet = self.match(url=getattr(art, "url", "") or "", name=getattr(art, "outlet", "") or "")
            if outlet is not None:
                reported.add(outlet.name)
            else:
                label = getattr(art, "outlet", "") or _host(getattr(art, "url", "") or "") or "(unknown)"
                if label not in unlisted:
                    unlisted.append(label)
        groups = []
        for key in self.keys():
            values: dict[str, list[Outlet]] = {}
            for o in self.outlets:
                if o.value(key):
                    values.setdefault(o.value(key), []).append(o)
            for value, members in values.items():
                groups.append(Group(key, value, tuple(o.name for o in members if o.name in reported),
                                    tuple(o.name for o in members if o.name not in reported)))
        return Coverage(tuple(groups), tuple(unlisted))


def _clean_domains(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(";", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, "domains must be a list of host names")
    return tuple(d for d in (_host(v) for v in value) if d)


def _outlet(record: dict[str, Any], where: str) -> Outlet:
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise InputError(where, f"unknown key {unknown[0]!r}; expected {', '.join(FIELDS)} "
                         "(put your own keys under labels)")
    name = record.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(where, "an outlet needs a name")
    labels = record.get("labels") or {}
    if not isinstance(labels, dict):
        raise InputError(where, "labels must be a table of key = \"value\"")
    pairs = []
    for key, value in labels.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        if not isinstance(value, (str, int, float, bool)):
            raise InputError(where, f"label {key!r} must be text")
        if str(value).strip():
            pairs.append((str(key).strip(), str(value).strip()))
    for key in ("country", "language"):
        if not isinstance(record.get(key, ""), str):
            raise InputError(where, f"{key} must be text")
    return Outlet(" ".join(name.split()), _clean_domains(record.get("domains", []), where),
                  record.get("country", "").strip(), record.get("language", "").strip(), tuple(pairs))


def load_outlets(path: str | os.PathLike[str]) -> Outlets:
    """Read outlets.toml or a .csv outlets file; InputError names the file and the line or outlet."""
    source = str(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise InputError(source, f"file is over the {MAX_FILE_BYTES}-byte limit")
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(source, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, f"cannot read file ({exc})") from None
    suffix = p.suffix.lower()
    if suffix == ".toml":
        return Outlets(_toml(text, source), source)
    if suffix == ".csv":
        return Outlets(_csv(text, source), source)
    raise InputError(source, f"unknown outlets file type {suffix or '(none)'!r}; expected .toml or .csv")


def _toml(text: str, source: str) -> list[Outlet]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"bad TOML ({exc})") from None
    extra = sorted(set(data) - {"outlet"})
    if extra:
        raise InputError(source, f"unknown table {extra[0]!r}; list outlets as [[outlet]] tables")
    records = data.get("outlet", [])
    if not isinstance(records, list):
        raise InputError(source, "list outlets as [[outlet]] tables")
    return [_outlet(r, f"{source}: outlet {i}") for i, r in enumerate(records, 1)]


def _csv(text: str, source: str) -> list[Outlet]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "name" not in header:
        raise InputError(source, "CSV header names no 'name' column")
    out = []
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        where = f"{source}:{reader.line_num}"
        if len(row) != len(header):
            raise InputError(where, f"row has {len(row)} cells, the header names {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        record: dict[str, Any] = {k: cells.pop(k) for k in ("name", "country", "language") if k in cells}
        record["domains"] = cells.pop("domains", "") or cells.pop("domain", "")
        cells.pop("domain", None)
        record["labels"] = {k: v for k, v in cells.items() if k and v}
        out.append(_outlet(record, where))
    return out


__all__ = ["Coverage", "Group", "Outlet", "Outlets", "load_outlets"]

"""Walk ingest inputs (directories, JSONL, CSV, WARC, single files, URLs) into raw items, one per article.

Reading here is cheap and sequential (bytes, lines, records); turning an item into an Article
(`to_article`) is the expensive part and runs in worker processes. A bad input or record becomes an
`InputFailure` naming it (path, path:LINE or path@OFFSET) and the walk goes on with the rest.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from storydiff.errors import InputError, NoArticleError
from storydiff.ingest.readers import (
    JSON_SUFFIXES,
    MAX_BYTES,
    SUFFIXES,
    article_from_record,
    decode_bytes,
    read_article,
    read_bytes,
)
from storydiff.model import Article

MAX_RECORD_BYTES = 10_000_000  # bytes in one JSONL line, CSV row or WARC payload (untrusted input)
MAX_CSV_FIELD = 5_000_000  # characters in one CSV field
MAX_JSON_LIST_BYTES = 200_000_000  # bytes of a .json file holding a list of records

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv", ".csv.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
RECORD_FIELDS = ("url", "outlet", "title", "published", "text", "html")  # what a CSV header names
WARC_HTML_TYPES = ("text/html", "application/xhtml+xml")
FIELD_ALIASES = {  # other names feeds and datasets give the record fields (used when the field is absent)
    "publisher": "outlet", "site": "outlet", "source_name": "outlet", "hostname": "outlet",
    "headline": "title", "link": "url", "date": "published", "timestamp": "published",
    "pubdate": "published", "published_at": "published", "content": "text",
}
EPOCH_MS_DIGITS = 13  # an all-digit date this long is milliseconds since 1970, 9-11 digits seconds


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Limits on what the walk accepts."""

    max_file_bytes: int = MAX_BYTES  # a single article file larger than this is refused
    max_record_bytes: int = MAX_RECORD_BYTES  # one JSONL line, CSV row or WARC payload
    published: str | None = None  # date assumed for inputs that carry none (ISO)


@dataclass(frozen=True, slots=True)
class RawInput:
    """One article's worth of raw input, not yet extracted."""

    source: str  # where it came from: path, path:LINE (JSONL/CSV) or path@OFFSET (WARC)
    kind: str  # file | record | html | url
    payload: Any  # file: the path; record: a dict; html: the page bytes; url: the URL
    input_hash: str  # sha256 of the raw bytes: the same input twice has the same hash
    url: str = ""
    published: str | None = None  # fallback date (WARC capture date, --published)


@dataclass(frozen=True, slots=True)
class InputFailure:
    """An input or record that yields no article, and why; `error` False means skipped on purpose."""

    source: str
    reason: str
    error: bool = True


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kind_of(path: Path) -> str | None:
    """The reader for a file name: jsonl, csv, warc, file, or None when unsupported."""
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(WARC_SUFFIXES):
        return "warc"
    if path.suffix.lower() in SUFFIXES:
        return "file"
    return None


def iter_inputs(paths: Iterable[str | os.PathLike[str]],
                options: SourceOptions | None = None) -> Iterator[RawInput | InputFailure]:
    """Yield a RawInput per article found under the paths, or an InputFailure per bad input."""
    options = options or SourceOptions()
    seen: set[str] = set()
    for raw in paths:
        key = input_key(raw)
        if key in seen:  # one file, folder or URL named twice is read once
            yield InputFailure(str(raw), "given more than once; read once")
            continue
        seen.add(key)
        if isinstance(raw, str) and raw[:8].lower().startswith(("http://", "https://")):
            yield _url(raw, options)
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path, options)
        elif not path.exists():
            yield InputFailure(str(path), "no such file or directory")
        elif kind_of(path) is None:
            yield InputFailure(str(path), _unsupported(path))
        else:
            yield from _read_path(path, options)


def input_key(raw: str | os.PathLike[str]) -> str:
    """What an input argument names (the URL as given, or the resolved path): one named twice is read once."""
    text = os.fspath(raw)
    if text[:8].lower().startswith(("http://", "https://")):
        return text
    try:
        return str(Path(text).resolve())
    except (OSError, RuntimeError):
        return text


def _unsupported(path: Path) -> str:
    kinds = ", ".join([*sorted(SUFFIXES), *JSONL_SUFFIXES, *CSV_SUFFIXES, *WARC_SUFFIXES])
    return f"unsupported file type {path.suffix or '(none)'!r}; expected one of {kinds}"


def _url(url: str, options: SourceOptions) -> RawInput | InputFailure:
    """An http(s) URL argument: fetched (politely, through the fetch cache) by the worker."""
    from storydiff.ingest.fetch import normalize_url, repair_url

    try:
        normal = normalize_url(repair_url(url))
    except ValueError as exc:
        return InputFailure(url, f"not a valid URL ({exc})")
    return RawInput(url, "url", url, _hash(b"url\x1f" + normal.encode("utf-8", "replace")), url=normal,
                    published=options.published)


def _walk(folder: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    """Every supported file under a folder, recursively, in name order; hidden entries are ignored."""
    for root, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if kind_of(path) is None:
                yield InputFailure(str(path), "unsupported file type", error=False)
                continue
            yield from _read_path(path, options)


def _read_path(path: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    kind = kind_of(path)
    try:
        if kind == "jsonl":
            yield from _jsonl(path, options)
        elif kind == "csv":
            yield from _csv(path, options)
        elif kind == "warc":
            yield from _warc(path, options)
        else:
            yield from _file(path, options)
    except InputError as exc:
        yield InputFailure(exc.source, exc.reason)
    except OSError as exc:
        yield InputFailure(str(path), f"cannot read file ({exc.strerror or exc})")
    except (EOFError, zlib.error) as exc:  # a truncated or corrupt .gz
        yield InputFailure(str(path), f"cannot read further: corrupt or truncated compressed file ({exc})")
    except Exception as exc:  # noqa: BLE001 - untrusted input must not stop the other inputs
        yield InputFailure(str(path), f"cannot read further ({type(exc).__name__}: {exc})"[:300])


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _file(path: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    source = str(path)
    data = read_bytes(path, source, options.max_file_bytes if path.suffix.lower() not in JSON_SUFFIXES
                      else max(options.max_file_bytes, MAX_JSON_LIST_BYTES))
    if path.suffix.lower() in JSON_SUFFIXES and data.lstrip()[:1] == b"[":
        yield from _json_list(path, data)
        return
    if len(data) > options.max_file_bytes:
        raise InputError(source, f"file is {len(data)} bytes, over the {options.max_file_bytes}-byte limit")
    yield RawInput(source, "file", source, _hash(data), published=options.published)


def _json_list(path: Path, data: bytes) -> Iterator[RawInput | InputFailure]:
    """A .json file holding a list of article objects."""
    try:
        records = json.loads(decode_bytes(data, str(path)))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(str(path), "bad JSON: nested too deeply") from None
    for i, record in enumerate(records):
        source = f"{path}[{i}]"
        if not isinstance(record, dict):
            yield InputFailure(source, f"expected an article object, got {type(record).__name__}")
            continue
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
        yield RawInput(source, "record", normalise_record(record), _hash(raw))


def _jsonl(path: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    """One article object per line; a broken line is reported with its number and skipped."""
    limit = options.max_record_bytes
    with _open_binary(path) as fh:
        lineno = 0
        while True:
            try:
                line = fh.readline(limit + 1)
            except (OSError, EOFError) as exc:  # truncated or corrupt gzip
                yield InputFailure(f"{path}:{lineno + 1}", f"cannot read further ({exc})")
                return
            if not line:
                return
            lineno += 1
            source = f"{path}:{lineno}"
            if len(line) > limit and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the oversized line
                    line = fh.readline(1 << 20)
                yield InputFailure(source, f"line is over the {limit}-byte limit")
                continue
            item = parse_jsonl_line(line, source, options.published)
            if item is not None:
                yield item


def parse_jsonl_line(line: bytes, source: str, published: str | None = None) -> RawInput | InputFailure | None:
    """One JSON Lines line as a record, or why it is not one (None for a blank line); Spark reads lines with it too."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        where = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        msg = (exc.msg if isinstance(exc, json.JSONDecodeError)
               else "nested too deeply" if isinstance(exc, RecursionError) else "not UTF-8")
        return InputFailure(source, f"bad JSON line{where}: {msg}")
    if not isinstance(record, dict):
        return InputFailure(source, f"expected an article object, got {type(record).__name__}")
    record = normalise_record(record)
    return RawInput(source, "record", record, _hash(line.strip()), url=_str(record.get("url")), published=published)


def normalise_record(record: dict[str, Any]) -> dict[str, Any]:
    """Map aliased field names (publisher, headline, link, timestamp, ...) and epoch times to the record fields."""
    out = dict(record)
    for alias, name in FIELD_ALIASES.items():
        if alias in out and not out.get(name):
            value = out.pop(alias)
            if value not in (None, ""):
                out[name] = value
    published = out.get("published")
    if isinstance(published, (int, float)) and not isinstance(published, bool):
        published = str(int(published))
    if isinstance(published, str) and published.strip().isdigit() and 9 <= len(published.strip()) <= 13:
        seconds = int(published) / (1000 if len(published.strip()) == EPOCH_MS_DIGITS else 1)
        try:
            out["published"] = datetime.fromtimestamp(seconds, UTC).isoformat()
        except (ValueError, OverflowError, OSError):
            out["published"] = None  # not a date after all
    return out


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _csv(path: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    """A CSV file whose header names url, outlet, title, published and text or html (any order, any case)."""
    csv.field_size_limit(MAX_CSV_FIELD)
    with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                                    newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(str(path), "empty CSV file") from None
        except csv.Error as exc:
            raise InputError(f"{path}:1", f"bad CSV header ({exc})") from None
        names = [h.strip().lower() for h in header]
        if not {"title", "text", "html", "body", "headline", "content"} & set(names):
            raise InputError(str(path), "CSV header names no title, text or html column "
                             f"(expected some of: {', '.join(RECORD_FIELDS)}; found: {', '.join(names)[:200]})")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield InputFailure(f"{path}:{reader.line_num}", f"bad CSV row ({exc})")
                continue
            source = f"{path}:{reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield InputFailure(source, f"row has {len(row)} cells, the header names {len(names)}")
                continue
            size = sum(len(c) for c in row)
            if size > options.max_record_bytes:
                yield InputFailure(source, f"row is over the {options.max_record_bytes}-character limit")
                continue
            record = normalise_record({k: v for k, v in zip(names, row, strict=True) if k and v != ""})
            raw_row = "\x1f".join(row).encode("utf-8", "replace")
            yield RawInput(source, "record", record, _hash(raw_row), url=record.get("url", ""),
                           published=options.published)


def _warc(path: Path, options: SourceOptions) -> Iterator[RawInput | InputFailure]:
    """HTML responses (and resources) of a WARC file; a corrupt or truncated record ends that file."""
    from warcio.archiveiterator import ArchiveIterator

    limit = options.max_record_bytes
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        offset = following = 0  # this record's offset, and where the next one starts
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on corrupt input
                yield InputFailure(f"{path}@{following}", f"bad WARC record ({' '.join(str(exc).split())[:200]}); "
                                   "the rest of this file is skipped")
                return
            try:
                data = _warc_html(record, limit)
                # (the offset is known only once the record has been read: warcio reads to its end)
                offset = records.get_record_offset()
                following = offset + records.get_record_length()
            except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on corrupt input
                yield InputFailure(f"{path}@{following}", f"bad WARC record ({' '.join(str(exc).split())[:200]}); "
                                   "the rest of this file is skipped")
                return
            if data is None:
                continue
            source = f"{path}@{offset}"
            missing = getattr(record.raw_stream, "limit", 0)  # bytes of the record block not read
            if missing > 0 and len(data) <= limit and not record.raw_stream.read(1):  # ... because the file ended
                yield InputFailure(source, f"truncated WARC record: the file ends {missing} bytes short of its "
                                   f"{record.length}-byte Content-Length; the record and the rest of this file are skipped")
                return
            if len(data) > limit:
                yield InputFailure(source, f"payload is over the {limit}-byte limit")
                continue
            if not data.strip():
                yield InputFailure(source, "empty payload", error=False)
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            day = (record.rec_headers.get_header("WARC-Date") or "")[:10] or None
            yield RawInput(source, "html", data, _hash(url.encode("utf-8", "replace") + b"\x1f" + data),
                           url=url, published=options.published or day)


def _warc_html(record: Any, limit: int) -> bytes | None:
    """The HTML payload of a response or resource record (up to limit + 1 bytes), or None for others."""
    if record.rec_type not in ("response", "resource"):
        return None
    if record.http_headers is not None:
        if record.rec_type == "response" and record.http_headers.get_statuscode() != "200":
            return None
        ctype = record.http_headers.get_header("Content-Type") or ""
    else:
        ctype = record.rec_headers.get_header("Content-Type") or ""
    if not ctype.lower().startswith(WARC_HTML_TYPES):
        return None
    return bytes(record.content_stream().read(limit + 1))


def to_article(item: RawInput) -> Article:
    """Extract the Article from one raw input (runs in a worker process); InputError when there is none."""
    if item.kind == "file":
        return read_article(item.payload, published=item.published)
    if item.kind == "url":
        from storydiff.ingest.fetch import read_url

        return read_url(item.payload, published=item.published)
    if item.kind == "record":
        art = article_from_record(item.payload, source=item.source, published=item.published)
        if not art.title and not art.body:
            raise NoArticleError(item.source, "no article text found")
        return art
    if item.kind == "html":
        from storydiff.ingest.extract import extract_html

        text = decode_bytes(item.payload, item.source)
        art = extract_html(text, url=item.url, source=item.source)
        if not art.published and item.published:
            art = replace(art, published=item.published)
        return art
    raise InputError(item.source, f"unknown input kind {item.kind!r}")

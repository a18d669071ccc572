"""Where does a phone number still live? Searches the database, Redis and log text.

`find_number` is run after end-to-end scenarios: once a request is terminal it must
return []. It looks for the number in E.164, international and national formats and
as bare digits, inside every column of every table, every Redis key name and value of
every type, and RQ's zlib-compressed, base64-encoded or pickled job data and results.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import pickletools
import re
import zlib
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneNumberFormat
from redis import Redis
from sqlalchemy import Connection, Engine, MetaData, select

SEPARATORS = re.compile(r"[\s().\-/]")
BASE64_SHAPE = re.compile(rb"^[A-Za-z0-9+/=\s]{16,}$")
# RQ nests at most base64 of zlib of a pickle; one more level for safety.
MAX_DECODE_DEPTH = 3


def number_forms(number_e164: str) -> tuple[list[str], str]:
    """Return the written forms of the number, and its national significant digits."""
    number = phonenumbers.parse(number_e164)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    forms = {
        number_e164,
        phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        national,
        number_e164.lstrip("+"),
        SEPARATORS.sub("", national),
    }
    return sorted(forms), phonenumbers.national_significant_number(number)


def text_holds(text: str, forms: list[str], significant: str) -> bool:
    """Return whether `text` holds any form, or the digits with separators taken out."""
    return any(form in text for form in forms) or significant in SEPARATORS.sub("", text)


def find_number(
    number_e164: str, engine: Engine | Connection, redis: Redis, log_text: str = ""
) -> list[str]:
    """Return where the number is found: "table.column", "redis:<key>" or "logs".

    `engine` may be a Connection, to search inside a test's open transaction.
    """
    forms, significant = number_forms(number_e164)
    places = {
        place for place, text in database_texts(engine) if text_holds(text, forms, significant)
    }
    places |= {
        f"redis:{key}" for key, text in redis_texts(redis) if text_holds(text, forms, significant)
    }
    if log_text and text_holds(log_text, forms, significant):
        places.add("logs")
    return sorted(places)


def database_texts(bind: Engine | Connection) -> Iterator[tuple[str, str]]:
    """Yield ("table.column", text) for every non-null cell of every table."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            yield from database_texts(connection)
        return
    metadata = MetaData()
    metadata.reflect(bind)
    for table in metadata.sorted_tables:
        for row in bind.execute(select(table)):
            for column, value in zip(table.columns, row, strict=True):
                if value is not None:
                    yield f"{table.name}.{column.name}", _text(value)


def redis_texts(redis: Redis) -> Iterator[tuple[str, str]]:
    """Yield (key, text) for every key of the db: its name and every value it holds."""
    for raw_key in redis.scan_iter(count=1000):
        key = raw_key.decode("latin-1")
        parts = [raw_key, *_redis_values(redis, raw_key)]
        yield key, "\n".join(text for part in parts for text in expand(part))


def _redis_values(redis: Redis, key: bytes) -> list[bytes]:
    kind = redis.type(key).decode()
    if kind == "string":
        return [redis.get(key) or b""]
    if kind == "hash":
        return [item for pair in redis.hgetall(key).items() for item in pair]
    if kind == "list":
        return list(redis.lrange(key, 0, -1))
    if kind == "set":
        return list(redis.smembers(key))
    if kind == "zset":
        return [member for member, _score in redis.zrange(key, 0, -1, withscores=True)]
    if kind == "stream":
        entries = redis.xrange(key, "-", "+")
        return [item for _id, fields in entries for pair in fields.items() for item in pair]
    return []  # "none": the key expired between SCAN and TYPE


def expand(blob: bytes, depth: int = 0) -> Iterator[str]:
    """Yield the blob as text, and the text of what it decodes to (zlib, base64, pickle)."""
    yield blob.decode("latin-1")
    if depth < MAX_DECODE_DEPTH:
        for decoded in _decodings(blob):
            yield from expand(decoded, depth + 1)
    yield from _pickle_values(blob)


def _decodings(blob: bytes) -> list[bytes]:
    decoded = []
    with contextlib.suppress(zlib.error):
        decoded.append(zlib.decompress(blob))
    if BASE64_SHAPE.match(blob):
        with contextlib.suppress(binascii.Error, ValueError):
            decoded.append(base64.b64decode(blob))
    return decoded


def _pickle_values(blob: bytes) -> Iterator[str]:
    # Reads the opcodes without unpickling: strings and integers a pickle carries come out
    # as text, so a number passed to a job as an int is found too.
    if not blob.startswith(b"\x80"):
        return
    values: list[str] = []
    try:
        for _opcode, argument, _position in pickletools.genops(blob):
            if isinstance(argument, bytes):
                values.append(argument.decode("latin-1"))
            elif argument is not None:
                values.append(str(argument))
    except (ValueError, EOFError, UnicodeDecodeError):
        pass  # a prefix that looked like a pickle; what was read is still searched
    yield "\n".join(values)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return "\n".join(expand(value))
    return str(value)

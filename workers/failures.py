"""Scrub phone-shaped text from a failed job's exception before RQ stores it.

RQ 3.0 runs a worker's exception handlers (Worker.handle_exception) and only then
formats the same exception object into the traceback text it keeps in the job hash
(`exc_info`) and in the results stream (Worker.handle_job_failure). A handler that
rewrites the exception in place therefore decides what RQ stores. A Twilio error quoting
the dialled `To` number is the case this exists for.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rq.job import Job

from callback.phones.masking import has_phone_shaped, mask_phone_shaped


def scrub_failure(
    job: Job,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
) -> bool:
    """Mask phone numbers in the exception (and its causes); let other handlers run."""
    for exc in _chain(exc_value):
        scrub_exception(exc)
    return True


def _chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend((current.__cause__, current.__context__))
    return found


def scrub_exception(exc: BaseException) -> None:
    """Rewrite `exc` in place so neither str(exc) nor its attributes hold a number."""
    exc.args = tuple(_masked(arg) for arg in exc.args)
    for name, value in list(vars(exc).items()):
        if name.startswith("__"):
            continue
        masked = _masked(value)
        if masked is not value:
            setattr(exc, name, masked)
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        exc.__notes__ = [mask_phone_shaped(str(note)) for note in notes]
    text = str(exc)
    if has_phone_shaped(text):
        # The class builds its text from something we could not reach; a subclass that
        # returns the masked text keeps the type name readable in the stored traceback.
        cls = type(exc)
        namespace = {"__str__": _fixed(text), "__module__": cls.__module__}
        exc.__class__ = type(cls.__name__, (cls,), namespace)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phone_shaped(value) if has_phone_shaped(value) else value
    if isinstance(value, int | float | bool | type(None)):
        return value
    text = repr(value)
    return mask_phone_shaped(text) if has_phone_shaped(text) else value


def _fixed(text: str) -> Any:
    masked = mask_phone_shaped(text)
    return lambda _self: masked

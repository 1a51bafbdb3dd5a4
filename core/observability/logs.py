"""Logging of every Balie process: JSON lines or text on stderr, personal data masked.

`configure_logging(service, fmt=..., level=...)` sets up the root logger once per
process, with the format and level of its settings (core/settings.py):

- `BALIE_LOG_FORMAT=json`: one JSON object per line with `timestamp` (ISO 8601, UTC),
  `level`, `logger`, `service`, `message`, plus `exc_info` and any `extra` fields;
  `text` (the default): `LEVEL logger: message`, as `make run` always showed.
- `BALIE_LOG_LEVEL`: the root level (default INFO).

In both formats `MaskingFilter` replaces e-mail addresses, phone numbers, postcodes
with house numbers, BSNs and IBANs in the message, its arguments, extra fields and
tracebacks by labels such as `[e-mailadres]` (core.privacy.masking). aiohttp's access
log is off: it holds residents' IP addresses and URLs; the request metrics replace it.

Rasa configures its own logging; `rasa_logging_args()` gives `rasa run` the
same JSON format through `--logging-config-file`, and `adopt_rasa_logging()` (called
by the metrics broker inside Rasa) brings the loggers Rasa and Sanic set up later in line.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from core.privacy.masking import mask

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
RASA_LOGGING_CONFIG = Path(__file__).with_name("rasa-logging.yml")
# Loggers that would write personal data or noise at INFO.
QUIET = {"aiohttp.access": logging.WARNING}
# The key order of a JSON line; other fields (exc_info, extras) follow.
FIELD_ORDER = ("timestamp", "level", "logger", "service", "message")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_EXTRA_SKIP = set(RESERVED_ATTRS) | {"message", "asctime"}


class MaskingFilter(logging.Filter):
    """Masks personal data in what a record will print; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it
            return True
        record.msg, record.args = mask(message), None
        if record.exc_info:
            # Exceptions repeat what they were given (a refused e-mail address, ...).
            text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_text, record.exc_info = mask(text), None
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _EXTRA_SKIP and isinstance(value, str):
                setattr(record, key, mask(value))
        return True


class DropAll(logging.Filter):
    """Silences a handler (used in rasa-logging.yml for coloredlogs' handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


class JsonFormatter(_JsonFormatter):
    """JSON lines: timestamp, level, logger, service, message (+ exc_info, extras)."""

    def __init__(self, service: str) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"service": service},
            timestamp=True,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(log_data.get("message"), str):  # Rasa colours its warnings
            log_data["message"] = ANSI_RE.sub("", log_data["message"])
        ordered = {key: log_data.pop(key) for key in FIELD_ORDER if key in log_data}
        return ordered | log_data


def rasa_json_formatter() -> JsonFormatter:
    """The formatter of rasa-logging.yml; a config file cannot route Python's warnings
    into logging, so this does (as `configure_logging` does in JSON mode)."""
    logging.captureWarnings(True)
    return JsonFormatter("rasa")


class StderrHandler(logging.Handler):
    """Writes each record as one line to the current sys.stderr.

    Deliberately not a StreamHandler: Rasa's coloredlogs set-up replaces every
    StreamHandler on stderr with its own coloured one.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def make_handler(service: str, fmt: str) -> logging.Handler:
    handler = StderrHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(MaskingFilter())
    return handler


def _console(handler: logging.Handler) -> bool:
    """Balie's handler, or one writing to the terminal (basicConfig's, coloredlogs', spaCy's)."""
    if isinstance(handler, StderrHandler):
        return True
    consoles = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    return isinstance(handler, logging.StreamHandler) and handler.stream in consoles


def _loggers() -> list[logging.Logger]:
    named = logging.Logger.manager.loggerDict.values()
    return [logging.getLogger(), *(lg for lg in named if isinstance(lg, logging.Logger))]


def configure_logging(service: str, *, fmt: str, level: str) -> None:
    """Balie's handler in place of every console handler; safe to call again.

    Libraries that gave their logger a console handler of their own (spaCy, Sanic in
    Rasa) log through the root logger's instead, or through Balie's handler when they
    do not propagate. Other handlers (a test runner's capture, a file) stay.
    """
    handler = make_handler(service, fmt)
    root = logging.getLogger()
    for logger in _loggers():
        consoles = [h for h in logger.handlers if _console(h)]
        for old in consoles:
            logger.removeHandler(old)
        if logger is root or (consoles and not logger.propagate):
            logger.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    # Python's warnings become log records too, so a JSON log stays all JSON.
    logging.captureWarnings(fmt == "json")


def rasa_logging_args(fmt: str) -> list[str]:
    """Extra `rasa run` arguments: JSON logging when BALIE_LOG_FORMAT=json, else none."""
    if fmt != "json":
        return []
    return ["--logging-config-file", str(RASA_LOGGING_CONFIG)]


def adopt_rasa_logging(fmt: str, level: str) -> None:
    """Inside the Rasa server, once it runs: Balie's handler for every logger.

    After reading the logging config file Rasa installs coloredlogs on the root logger
    and Sanic gives its loggers handlers of their own; spaCy adds one when the model
    loads. In JSON mode they are all replaced by Balie's JSON handler (levels and
    propagation stay as Rasa set them); in text mode Rasa's handlers stay and get the
    masking filter.
    """
    try:
        import spacy  # noqa: F401  (the tokenizer loads it anyway; its handler goes now)
    except ImportError:
        pass
    if fmt == "json":
        configure_logging("rasa", fmt=fmt, level=level)
        return
    for logger in _loggers():
        for handler in logger.handlers:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())

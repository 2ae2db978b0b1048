"""Keep personal data away from the language model.

Before a draft leaves the machine, e-mails, phone numbers, payment cards, IBANs and national
identity codes are swapped for placeholders such as ``[EMAIL_1]``; the model rewrites around
them and :meth:`Redaction.restore` puts the originals back. Checksums (Luhn, IBAN, isikukood,
PESEL) come from python-stdnum so that ordinary order numbers are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stdnum import iban, luhn
from stdnum.ee import ik as isikukood
from stdnum.pl import pesel

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_ELEVEN_DIGITS = re.compile(r"\b\d{11}\b")
_PHONE = re.compile(r"(?<![\w#])\+?\d[\d ()-]{6,}\d\b")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_card(text: str) -> bool:
    return 13 <= len(_digits(text)) <= 19 and luhn.is_valid(_digits(text))


def _is_national_id(text: str) -> bool:
    return isikukood.is_valid(text) or pesel.is_valid(text)


def _is_phone(text: str) -> bool:
    digits = _digits(text)
    if _ISO_DATE.fullmatch(text):
        return False
    # An explicit '+' or separators make a phone number; a bare run of digits is more
    # likely an order or invoice number, which the rewrite must keep verbatim anyway.
    return 7 <= len(digits) <= 15 and (text.startswith("+") or not text.isdigit())


# Order matters: the most specific kinds claim their spans first.
_KINDS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("EMAIL", _EMAIL, lambda _: True),
    ("IBAN", _IBAN, lambda text: iban.is_valid(text)),
    ("CARD", _CARD, _is_card),
    ("ID", _ELEVEN_DIGITS, _is_national_id),
    ("PHONE", _PHONE, _is_phone),
]


@dataclass
class Redaction:
    """Placeholders handed out so far and the values they stand for."""

    values: dict[str, str] = field(default_factory=dict)

    def redact(self, text: str) -> str:
        """Replace personal data in ``text`` with placeholders (the same value, the same one)."""
        for kind, pattern, accept in _KINDS:
            text = pattern.sub(lambda m, k=kind, ok=accept: self._swap(k, m.group(0), ok), text)
        return text

    def restore(self, text: str) -> str:
        """Put the original values back in place of their placeholders."""
        for placeholder, value in self.values.items():
            text = text.replace(placeholder, value)
        return text

    def _swap(self, kind: str, value: str, accept: Callable[[str], bool]) -> str:
        if value.startswith("[") or not accept(value):
            return value
        for placeholder, known in self.values.items():
            if known == value:
                return placeholder
        count = sum(1 for p in self.values if p.startswith(f"[{kind}_"))
        placeholder = f"[{kind}_{count + 1}]"
        self.values[placeholder] = value
        return placeholder

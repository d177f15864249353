"""Checksums and validators behind the structured PII recognisers: Luhn, IBAN, China ID, SSN."""

from __future__ import annotations

import ipaddress
from datetime import date

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"


def digits(text: str) -> str:
    """Only the digits of `text` (separators dropped)."""
    return "".join(ch for ch in text if ch.isdigit())


def luhn_ok(number: str) -> bool:
    """True when a 13-19 digit payment card number passes the Luhn check."""
    if not 13 <= len(number) <= 19 or not number.isdigit() or len(set(number)) == 1:
        return False
    total = 0
    for index, ch in enumerate(reversed(number)):
        value = int(ch) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """True when an IBAN (no spaces, upper case) passes the ISO 13616 mod-97 check."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    if not compact.isalnum():
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def cn_id_ok(number: str) -> bool:
    """True when an 18-character Chinese resident identity number has a valid date and check."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    total = sum(int(ch) * w for ch, w in zip(number[:17], _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11] == number[17].upper()


def ssn_ok(number: str) -> bool:
    """True when a 9-digit US SSN has a valid area, group and serial (no 000, 666, 9xx)."""
    if len(number) != 9 or not number.isdigit():
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def ip_ok(text: str) -> bool:
    """True when `text` is a well-formed IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True

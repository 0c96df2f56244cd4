"""PINs, join codes and resume tokens: what a learner proves who they are with, and how it is kept.

Only hashes reach the store. PINs and join codes are short, so they are stretched with scrypt
(standard library) and a random salt; the parameters are stored with every hash so that they can
be raised later without breaking old ones. Resume tokens are long random strings from the page,
so one SHA-256 is enough for them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from tutor.errors import UserError

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12
PIN_RULE = f"{PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits"
# 2**15 x 8 x 128 bytes = 32 MiB and about 70 ms a hash on an idle core (140 ms on a busy one): slow
# enough to make guessing a 4-digit PIN from a stolen store take minutes, not microseconds, and
# cheap enough for a room of thirty logging in at once.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_BYTES = 32
_SALT_BYTES = 16
_MAX_MEMORY = 64 * 1024 * 1024
# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a join code is read off paper or a projector and typed by hand.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 7


def check_pin(pin: str) -> str:
    if not (PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS and pin.isascii() and pin.isdigit()):
        raise UserError(f"a PIN is {PIN_RULE}")
    return pin


def hash_secret(secret: str) -> str:
    """'scrypt$n$r$p$salt$key' (hex): everything needed to check the secret again."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def secret_matches(secret: str, stored: str | None) -> bool:
    """Whether `secret` is the one `stored` was made from. With nothing stored the same work is done,
    so the time taken does not tell whether a learner exists."""
    if stored is None:
        _scrypt(secret, bytes(_SALT_BYTES), SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        expected = bytes.fromhex(key)
        found = _scrypt(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:  # a hash this version cannot read never matches
        return False
    return hmac.compare_digest(found, expected)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=_KEY_BYTES)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(typed: str) -> str:
    """Codes are shown in capitals but may be typed in any case, with spaces or dashes."""
    return "".join(typed.split()).replace("-", "").upper()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

"""What counts as white space in text people type (notes, messages, labels, tags): one definition for the app and
for openapi.yaml.

Python's ``str.strip`` and ``\\s`` (the characters ``str.isspace`` knows), JSON Schema's ECMA-262 ``\\s`` and
Rust's (jsonschema-rs) each see a different set; the app strips exactly ``WHITESPACE`` and the schema's patterns
spell the same set out (``WHITESPACE_CLASS``), so a value the schema calls blank the app calls blank too.
"""

from __future__ import annotations

# str.isspace()'s characters, and U+FEFF (a byte-order mark, white space to ECMA-262).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


# The same set as the body of a regular-expression class, each character written \uXXXX (which Python, ECMA-262
# and Rust all read alike), as openapi.yaml's patterns write it.
def _character_class(characters: str) -> str:
    codes = sorted(ord(character) for character in characters)
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs)


WHITESPACE_CLASS = _character_class(WHITESPACE)


def strip_text(text: str) -> str:
    """``text`` without white space at either end."""
    return text.strip(WHITESPACE)


def has_visible_text(text: str) -> bool:
    """Whether ``text`` says anything: at least one character that is not white space."""
    return bool(strip_text(text))

"""Where the data shipped with the package lives.

In a wheel the repo's ``seeds/`` and ``models/`` folders are installed inside
the package as ``customs_topics/_shipped/``; in a source checkout they are
read from the repo itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(*parts: str) -> Path:
    """Path of ``seeds/...`` or ``models/...`` in a wheel or a checkout."""
    inside = _PACKAGE.joinpath("_shipped", *parts)
    if inside.exists():
        return inside
    return _PACKAGE.parent.joinpath(*parts)

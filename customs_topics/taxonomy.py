"""The theme taxonomy: theme ids, names, definitions and include/exclude notes.

The built-in taxonomy (``taxonomy.json`` in this package) holds the four
themes of the annotation guide. A user taxonomy file has the same JSON shape;
with ``"extends": "customs-topics"`` its themes are added to the built-in
ones, otherwise it replaces them.

Example:
    >>> from customs_topics import load_taxonomy
    >>> tax = load_taxonomy()
    >>> tax.ids
    ('illicit_trade', 'strategic_trade_control', 'facilitation', 'health_goods')
    >>> tax["health_goods"].name
    'Health goods'
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SourceError, TaxonomyError

BUILTIN_NAME = "customs-topics"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Theme:
    """One theme: a stable ``id`` (snake_case), a display ``name``, a
    ``definition`` and the guide's ``includes``/``excludes`` notes."""

    id: str
    name: str
    definition: str
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "definition": self.definition,
            "includes": list(self.includes),
            "excludes": list(self.excludes),
        }


@dataclass(frozen=True)
class Taxonomy:
    """An ordered, validated collection of themes."""

    themes: tuple[Theme, ...]
    name: str = BUILTIN_NAME
    version: str = "1"
    description: str = ""
    decisions: tuple[str, ...] = field(default=())

    @property
    def ids(self) -> tuple[str, ...]:
        """Theme ids in taxonomy order (the model's label order)."""
        return tuple(t.id for t in self.themes)

    def __getitem__(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def __contains__(self, theme_id: object) -> bool:
        return theme_id in self.ids

    def __len__(self) -> int:
        return len(self.themes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "themes": [t.to_dict() for t in self.themes],
            "decisions": list(self.decisions),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "<taxonomy>", base: Taxonomy | None = None) -> Taxonomy:
        """Validate a parsed taxonomy document (see :func:`load_taxonomy`)."""
        if not isinstance(data, dict):
            raise TaxonomyError("expected a JSON object with a 'themes' list", source=source)
        raw = data.get("themes")
        if not isinstance(raw, list) or not raw:
            raise TaxonomyError("expected a non-empty list of themes", source=source, field="themes")
        themes = list(base.themes) if base is not None else []
        seen = {t.id for t in themes}
        for i, item in enumerate(raw):
            where = f"themes[{i}]"
            if not isinstance(item, dict):
                raise TaxonomyError("expected an object", source=source, field=where)
            theme_id = item.get("id")
            if not isinstance(theme_id, str) or not _ID.match(theme_id):
                raise TaxonomyError(
                    f"expected a snake_case id (letters, digits, _), got {theme_id!r}",
                    source=source,
                    field=f"{where}.id",
                )
            if theme_id in seen:
                raise TaxonomyError(f"duplicate theme id {theme_id!r}", source=source, field=f"{where}.id")
            seen.add(theme_id)
            for key in ("name", "definition"):
                value = item.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise TaxonomyError("expected a non-empty string", source=source, field=f"{where}.{key}")
            notes = {}
            for key in ("includes", "excludes"):
                value = item.get(key, [])
                if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                    raise TaxonomyError("expected a list of strings", source=source, field=f"{where}.{key}")
                notes[key] = tuple(value)
            themes.append(Theme(theme_id, item["name"].strip(), item["definition"].strip(), **notes))
        decisions = data.get("decisions", [])
        if not isinstance(decisions, list) or not all(isinstance(x, str) for x in decisions):
            raise TaxonomyError("expected a list of strings", source=source, field="decisions")
        return cls(
            themes=tuple(themes),
            name=str(data.get("name", f"{base.name} (extended)" if base else "custom")),
            version=str(data.get("version", "1")),
            description=str(data.get("description", base.description if base else "")),
            decisions=(base.decisions if base else ()) + tuple(decisions),
        )


def _read_json(path: Path) -> Any:
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, expected a taxonomy JSON file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise TaxonomyError("not UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(
            f"invalid JSON ({exc.msg} at column {exc.colno})", source=str(path), line=exc.lineno
        ) from None


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Load and validate a taxonomy; the built-in one when ``path`` is None.

    A user file with ``"extends": "customs-topics"`` adds its themes to the
    four built-in ones. Ids must be unique snake_case strings; names and
    definitions non-empty. Problems raise
    :class:`~customs_topics.errors.TaxonomyError` naming the file and field.

    Example:
        >>> import json, tempfile, os
        >>> spec = {"extends": "customs-topics", "themes": [{"id": "food_safety",
        ...         "name": "Food safety", "definition": "SPS controls at the border."}]}
        >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        ...     json.dump(spec, fh)
        >>> load_taxonomy(fh.name).ids[-1]
        'food_safety'
        >>> os.unlink(fh.name)
    """
    if path is None:
        text = resources.files("customs_topics").joinpath("taxonomy.json").read_text("utf-8")
        return Taxonomy.from_dict(json.loads(text), source="customs_topics/taxonomy.json")
    data = _read_json(Path(path))
    base = None
    if isinstance(data, dict) and "extends" in data:
        if data["extends"] != BUILTIN_NAME:
            raise TaxonomyError(
                f"can only extend {BUILTIN_NAME!r}, got {data['extends']!r}", source=str(path), field="extends"
            )
        base = load_taxonomy()
    return Taxonomy.from_dict(data, source=str(path), base=base)

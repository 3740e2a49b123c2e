"""Which input field or column holds the title, the text and the id.

Shared by the record formats (JSON Lines, CSV/TSV). By default the title is
``title``, the text ``body`` (else ``text``) and the id ``id``; a
:class:`FieldMap` names others (``FieldMap(title="headline", text="content")``).

Example:
    >>> FieldMap(title="headline").text_names
    ('body', 'text')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldMap:
    """Names of the title, text and id fields of a record (``None``: the defaults)."""

    title: str | None = None
    text: str | None = None
    id: str | None = None

    @property
    def title_name(self) -> str:
        """The field holding the title (``title`` by default; it may be missing)."""
        return self.title or "title"

    @property
    def text_names(self) -> tuple[str, ...]:
        """The fields tried for the text, in order (``body``, then ``text``, by default)."""
        return (self.text,) if self.text else ("body", "text")

    @property
    def id_name(self) -> str:
        """The field holding the id (``id`` by default)."""
        return self.id or "id"

    def hint(self, what: str) -> str:
        """How to name the field for ``what`` (``'title'``, ``'text'``, ``'id'``)."""
        return f"name it with {what}_field= (CLI: --{what}-field)"


DEFAULT_FIELDS = FieldMap()

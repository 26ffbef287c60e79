"""Disease terms and their ancestors, for matching disease-specific consent (DUO DS).

DUO pairs DS with a MONDO disease, and a purpose matches a DS consent when the consent's disease
is the purpose's disease or one of its ancestors (regulations.md §5.2 A: "walk up from the
purpose"). The hierarchy is read from an OBO file, such as MONDO's official ``mondo.obo``
release, named by the node's ``[access] disease_ontology``. Without one, a DS consent matches
only its own disease: hgr never guesses a relation it cannot read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hgr.exceptions import FormatError

__all__ = ["DiseaseOntology", "read_obo"]


@dataclass
class DiseaseOntology:
    """Terms, their names and their ``is_a`` parents."""

    names: dict[str, str] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    source: str = "none"

    def ancestors(self, term: str) -> set[str]:
        """``term`` and every term above it."""
        seen = {term}
        stack = [term]
        while stack:
            for parent in self.parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def within(self, term: str, scope: str) -> bool:
        """Whether ``term`` is ``scope`` or one of its descendants."""
        return scope in self.ancestors(term)


def read_obo(path: Path) -> DiseaseOntology:
    """The ``[Term]`` stanzas of an OBO 1.4 file: ids, names and ``is_a`` links (obsolete
    terms left out). FormatError when the file is not OBO."""
    try:
        lines: Iterable[str] = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the ontology: {exc}", code="E_ONTOLOGY") from None
    ontology = DiseaseOntology(source=str(path))
    stanza: str | None = None
    current: dict[str, list[str]] = {}

    def close() -> None:
        if stanza == "[Term]" and "id" in current and "true" not in current.get("is_obsolete", []):
            term = current["id"][0]
            ontology.names[term] = current.get("name", [term])[0]
            for parent in current.get("is_a", []):
                ontology.parents[term].add(parent.split()[0])  # drops {qualifiers} ! name

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("["):
            close()
            stanza, current = line, {}
        elif line and not line.startswith("!") and stanza is not None:
            key, sep, value = line.partition(":")
            if not sep:
                raise FormatError(f"{path}:{number}: not an OBO tag-value line", code="E_ONTOLOGY")
            current.setdefault(key.strip(), []).append(value.strip())
    close()
    if not ontology.names:
        raise FormatError(f"{path}: no [Term] stanza: not an OBO ontology", code="E_ONTOLOGY")
    return ontology

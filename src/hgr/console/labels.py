"""The console's words for the registry's controlled values: sex, vital status, material,
storage status, consent status and affection (hgr.vocabulary), the stages of a catalogue
entry (hgr.catalogue.models), and where a survey return stands at its province.

They are marked here for the message catalogue, and a page shows ``_(value)``: a reader of
Chinese sees 男, 全血, 可用 where the registry holds ``male``, ``whole_blood``, ``available``.
A value with no entry is shown as it is stored.
"""

from __future__ import annotations

__all__ = ["VOCABULARY"]


def _(message: str) -> str:
    """Mark ``message`` for the catalogue (it is translated when a page shows it)."""
    return message


VOCABULARY = (
    # hgr.vocabulary.Sex
    _("male"),
    _("female"),
    _("other"),
    _("unknown"),
    # VitalStatus
    _("alive"),
    _("deceased"),
    # MaterialType
    _("whole_blood"),
    _("serum"),
    _("plasma"),
    _("buffy_coat"),
    _("pbmc"),
    _("dna"),
    _("rna"),
    _("cdna"),
    _("saliva"),
    _("urine"),
    _("feces"),
    _("tissue_frozen"),
    _("tissue_ffpe"),
    _("cell_line"),
    _("csf"),
    # StorageStatus
    _("available"),
    _("reserved"),
    _("depleted"),
    _("destroyed"),
    _("transferred"),
    # ConsentStatus
    _("active"),
    _("withdrawn"),
    _("expired"),
    _("superseded"),
    # AffectedStatus ("unknown" above)
    _("affected"),
    _("unaffected"),
    # hgr.catalogue.models.CatalogueStatus
    _("declared"),
    _("province_approved"),
    _("province_rejected"),
    _("registered"),
    _("rejected"),
    # hgr.survey.editions.InstitutionStatus: a return as its province sees it
    _("returned"),
    _("late"),
    _("missing"),
    _("overdue"),
    _("invalid"),
    # What a survey table is counted by (hgr.survey.dictionary FieldSpec.by)
    _("sex"),
    _("material"),
    _("data_category"),
    _("disease"),
    _("population"),
    _("region"),
    _("duo"),
)

"""Closed vocabularies of the registry, shared by every package that reads or reports them.

Values are the lower-case words written in templates and stored in the database. Where a
standard exists the vocabulary follows it: material types after MIABIS 2.0 ``MaterialType``,
data categories after MIABIS ``DataCategory`` with sequencing split into WGS / WES as China's
security-review trigger needs (Implementation Rules, exome/genome data of > 500 persons).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AffectedStatus",
    "ConsentStatus",
    "ControlStatus",
    "DataCategory",
    "Encryption",
    "EthicsStatus",
    "FileKind",
    "InstitutionKind",
    "MaterialType",
    "RegionLevel",
    "Relationship",
    "Sex",
    "StorageStatus",
    "VitalStatus",
    "choices",
]


class RegionLevel(StrEnum):
    NATION = "nation"
    PROVINCE = "province"
    PREFECTURE = "prefecture"


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    BIOBANK = "biobank"
    COMPANY = "company"


class ControlStatus(StrEnum):
    """Who controls an institution, in the sense of HGR Regulation Art. 21 ("foreign party")."""

    DOMESTIC = "domestic"
    FOREIGN = "foreign"
    FOREIGN_CONTROLLED = "foreign_controlled"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class MaterialType(StrEnum):
    """Sample material, after MIABIS 2.0 MaterialType."""

    WHOLE_BLOOD = "whole_blood"
    SERUM = "serum"
    PLASMA = "plasma"
    BUFFY_COAT = "buffy_coat"
    PBMC = "pbmc"
    DNA = "dna"
    RNA = "rna"
    CDNA = "cdna"
    SALIVA = "saliva"
    URINE = "urine"
    FECES = "feces"
    TISSUE_FROZEN = "tissue_frozen"
    TISSUE_FFPE = "tissue_ffpe"
    CELL_LINE = "cell_line"
    CSF = "csf"
    OTHER = "other"


class DataCategory(StrEnum):
    """What kinds of data a collection holds, after MIABIS DataCategory."""

    BIOLOGICAL_SAMPLES = "biological_samples"
    WHOLE_GENOME = "whole_genome"
    WHOLE_EXOME = "whole_exome"
    GENOTYPE_ARRAY = "genotype_array"
    TARGETED_SEQUENCING = "targeted_sequencing"
    TRANSCRIPTOMICS = "transcriptomics"
    EPIGENOMICS = "epigenomics"
    PROTEOMICS = "proteomics"
    METABOLOMICS = "metabolomics"
    IMAGING = "imaging"
    MEDICAL_RECORDS = "medical_records"
    SURVEY_DATA = "survey_data"
    GENEALOGICAL_RECORDS = "genealogical_records"
    OTHER = "other"


class StorageStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    DEPLETED = "depleted"
    DESTROYED = "destroyed"
    TRANSFERRED = "transferred"


class ConsentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class EthicsStatus(StrEnum):
    """Where an ethics approval stands besides its dates: a committee may suspend or withdraw
    it before it ends (an approval's validity window gives pending and expired)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class VitalStatus(StrEnum):
    """Whether a donor is alive, after Phenopackets v2 VitalStatus."""

    ALIVE = "alive"
    DECEASED = "deceased"
    UNKNOWN = "unknown"


class AffectedStatus(StrEnum):
    AFFECTED = "affected"
    UNAFFECTED = "unaffected"
    UNKNOWN = "unknown"


class FileKind(StrEnum):
    VCF = "vcf"
    BCF = "bcf"
    PLINK = "plink"
    CRAM = "cram"
    BAM = "bam"
    FASTQ = "fastq"
    PHENOTYPES = "phenotypes"
    CONSENT_DOCUMENT = "consent_document"
    OTHER = "other"


class Encryption(StrEnum):
    NONE = "none"
    CRYPT4GH = "crypt4gh"


def choices(enum: type[StrEnum]) -> str:
    """The allowed values of a vocabulary, for error messages."""
    return ", ".join(member.value for member in enum)


class Relationship(StrEnum):
    """How two people are related, in the classes genotypes can tell apart (KING's degrees).

    Both a declared pedigree and the KING-robust kinship of two samples are put in these
    classes, so the two compare directly.
    """

    DUPLICATE = "duplicate"  # the same person, or monozygotic twins
    PARENT_OFFSPRING = "parent-offspring"
    FULL_SIBLINGS = "full-siblings"
    SECOND_DEGREE = "second-degree"  # half-siblings, grandparent, aunt or uncle
    THIRD_DEGREE = "third-degree"  # first cousins, great-grandparent
    UNRELATED = "unrelated"

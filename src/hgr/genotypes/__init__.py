"""The genotype store: VCF/BCF files into one VCF Zarr store per collection, sealed at rest."""

from hgr.genotypes.builds import GenomeBuild, detect_build
from hgr.genotypes.export import ExportedFile, export_raw
from hgr.genotypes.ingest import IngestResult, current_store, ingest
from hgr.genotypes.models import GenotypeSample, GenotypeSampleQc, GenotypeSource, GenotypeStore
from hgr.genotypes.qc import QcReport, QcThresholds
from hgr.genotypes.qc_report import qc_report
from hgr.genotypes.raw_files import SealedFile
from hgr.genotypes.store import CollectionDirectory, open_store
from hgr.genotypes.verify import StoreVerification, verify_store

__all__ = [
    "CollectionDirectory",
    "ExportedFile",
    "GenomeBuild",
    "GenotypeSample",
    "GenotypeSampleQc",
    "GenotypeSource",
    "GenotypeStore",
    "IngestResult",
    "QcReport",
    "QcThresholds",
    "SealedFile",
    "StoreVerification",
    "current_store",
    "detect_build",
    "export_raw",
    "ingest",
    "open_store",
    "qc_report",
    "verify_store",
]

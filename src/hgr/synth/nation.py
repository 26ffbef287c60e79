"""A seeded synthetic nation for the demo, the tests and the benchmarks.

Writes, under one directory::

    nation.json                        seed, counts, and what is where
    institutions.csv                   every institution (some foreign-controlled)
    institutions/<CODE>/               one folder per institution, ready for `hgr import`:
        collections.csv donors.csv samples.csv consents.csv ethics_approvals.csv
        families.csv pedigree.ped genotypes.vcf.gz (+ .tbi) data_files.csv (the VCF's record)
    truth/duplicates.tsv               people enrolled at two institutions under two ids
    truth/relationships.tsv            declared first-degree relatives (parent-offspring, sibs)
    truth/planted.tsv                  planted errors for QC to find: a declared sex that is
                                       not the genetic one, two samples swapped in a VCF, a
                                       low-quality sample (10% calls missing, 1% noise)

The same seed gives the same files. Families span 2-4 generations; some carry an autosomal
dominant disease with affected members in at least three generations.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hgr.crypto import file_sha256
from hgr.exceptions import ConfigurationError
from hgr.issues import Report
from hgr.progress import Progress, silent
from hgr.registry.fields import USCC_ALPHABET, uscc_check_character
from hgr.registry.regions import default_region_file, read_regions
from hgr.registry.templates import TEMPLATES
from hgr.synth.genotypes import POPULATIONS, add_children, simulate_founders, write_vcf

__all__ = ["NationSummary", "SynthConfig", "synthesise_nation"]

MAX_GENOTYPED_DONORS = 50_000
# Autosomal dominant conditions followed in families: (ORPHA, label, hallmark HPO terms).
DISEASES = (
    ("ORPHA:399", "Huntington disease", ("HP:0002072", "HP:0000726")),
    ("ORPHA:558", "Marfan syndrome", ("HP:0001166", "HP:0001083")),
    ("ORPHA:733", "Familial adenomatous polyposis", ("HP:0005227",)),
)
# Disease-specific consent (DUO DS) names a MONDO disease.
MONDO = {"ORPHA:399": "MONDO:0007739", "ORPHA:558": "MONDO:0007947"}
# Founders born before this year are recorded as deceased (pedigree drawings slash them).
DECEASED_BORN_BEFORE = 1935
MATERIALS = ("whole_blood", "dna", "plasma", "serum", "saliva", "tissue_frozen")


@dataclass(frozen=True)
class SynthConfig:
    donors: int = 300
    seed: int = 1
    genotypes: bool = True
    sites_per_chromosome: int = 200
    duplicate_fraction: float = 0.02
    family_fraction: float = 0.3
    withdrawal_fraction: float = 0.05
    # Planted errors (at least one of each when genotypes are simulated).
    sex_mismatch_fraction: float = 0.01
    swap_fraction: float = 0.005
    low_quality_fraction: float = 0.01


@dataclass(frozen=True)
class NationSummary:
    donors: int
    institutions: int
    provinces: int
    families: int
    duplicates: int


@dataclass
class Person:
    index: int
    sex: str
    birth_year: int
    population: str
    father: int | None = None
    mother: int | None = None
    family: str | None = None
    affected: bool = False
    institution: int = 0
    enrolments: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Institution:
    code: str
    name: str
    kind: str
    legal_person_id: str
    province: str
    control: str
    foreign_equity_pct: float | None
    population: str


def _uscc(rng: np.random.Generator, province: str) -> str:
    body = "91" + province + "".join(rng.choice(list(USCC_ALPHABET), 9))
    return body + uscc_check_character(body)


class _Builder:
    def __init__(self, config: SynthConfig) -> None:
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.people: list[Person] = []
        self.families: dict[str, tuple[int, str | None]] = {}  # code -> (institution, disease)
        self.institutions: list[Institution] = []
        self.provinces: list[str] = []

    def person(self, sex: str, born: int, population: str, **kw: Any) -> Person:
        p = Person(len(self.people), sex, born, population, **kw)
        self.people.append(p)
        return p

    def build_institutions(self) -> None:
        report = Report()
        provinces = [
            r.code for r in read_regions(default_region_file(), report) if r.level == "province"
        ]
        n_inst = int(np.clip(self.config.donors // 1_500, 4, 300))
        n_prov = int(np.clip(n_inst // 2, 2, len(provinces)))
        self.provinces = sorted(self.rng.choice(provinces, n_prov, replace=False).tolist())
        kinds = ["hospital", "university", "research_institute", "biobank", "company"]
        for i in range(n_inst):
            province = self.provinces[i % n_prov]
            foreign = i % 10 == 3  # a few foreign-controlled companies (HGR Reg. Art. 21)
            population = POPULATIONS[int(province[:2]) % 3] if i % 7 != 5 else "HIGHLAND"
            self.institutions.append(
                Institution(
                    code=f"INS-{province[:2]}-{i + 1:03d}",
                    name=f"Synthetic {kinds[i % 5].replace('_', ' ')} {i + 1}",
                    kind="company" if foreign else kinds[i % 5],
                    legal_person_id=_uscc(self.rng, province),
                    province=province,
                    control="foreign_controlled" if foreign else "domestic",
                    foreign_equity_pct=float(self.rng.integers(51, 90)) if foreign else None,
                    population=population,
                )
            )

    def build_people(self) -> None:
        config = self.config
        n_dup = max(1, int(config.donors * config.duplicate_fraction))
        target = config.donors - n_dup
        family_people = int(target * config.family_fraction)
        while len(self.people) < family_people:
            self.build_family(len(self.families))
        while len(self.people) < target:
            inst = int(self.rng.integers(len(self.institutions)))
            self.person(
                str(self.rng.choice(["male", "female"])),
                int(self.rng.integers(1935, 2005)),
                self.population_at(inst),
                institution=inst,
            )
        for p in self.people:
            p.enrolments.append((p.institution, f"D{p.index:07d}"))
        singles = [p for p in self.people if p.family is None]
        picked = self.rng.choice(len(singles), min(n_dup, len(singles)), replace=False)
        for p in (singles[int(k)] for k in picked):
            other = (p.institution + 1 + int(self.rng.integers(len(self.institutions) - 1))) % len(
                self.institutions
            )
            p.enrolments.append((other, f"X{p.index:07d}"))

    def population_at(self, institution: int) -> str:
        home = self.institutions[institution].population
        return home if self.rng.random() < 0.85 else str(self.rng.choice(POPULATIONS))

    def build_family(self, number: int) -> None:
        inst = int(self.rng.integers(len(self.institutions)))
        code = f"FAM{number + 1:05d}"
        generations = int(self.rng.integers(2, 5))
        disease = None
        if generations >= 3 and self.rng.random() < 0.4:
            disease = DISEASES[number % len(DISEASES)][0]
        self.families[code] = (inst, disease)
        pop = self.population_at(inst)
        born = int(self.rng.integers(1925, 1945))
        father = self.person("male", born, pop, family=code, institution=inst)
        mother = self.person("female", born + 2, pop, family=code, institution=inst)
        father.affected = disease is not None
        couple = (father, mother)
        for generation in range(1, generations):
            children = []
            for k in range(int(self.rng.integers(1, 4))):
                child = self.person(
                    str(self.rng.choice(["male", "female"])),
                    couple[0].birth_year + 25 + k * 2,
                    pop,
                    father=couple[0].index,
                    mother=couple[1].index,
                    family=code,
                    institution=inst,
                )
                carrier = couple[0].affected or couple[1].affected
                # Dominant inheritance; the first child carries it so that the disease is
                # seen in every generation of a disease family.
                child.affected = carrier and (k == 0 or self.rng.random() < 0.5)
                children.append(child)
            if generation == generations - 1:
                break
            heir = children[0]
            spouse = self.person(
                "female" if heir.sex == "male" else "male",
                heir.birth_year,
                pop,
                family=code,
                institution=inst,
            )
            couple = (heir, spouse) if heir.sex == "male" else (spouse, heir)


def _write_table(path: Path, template: str, rows: Iterable[dict[str, Any]]) -> None:
    columns = TEMPLATES[template].column_names
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def _document_sha256(version: str) -> str:
    return hashlib.sha256(f"consent form {version}".encode()).hexdigest()


@dataclass
class Planted:
    """Errors planted in the files, and written to truth/planted.tsv."""

    sex_flipped: set[int] = field(default_factory=set)  # person indices
    low_quality: set[int] = field(default_factory=set)
    swapped: dict[int, int] = field(default_factory=dict)  # person → whose genotypes they get


def _plant(builder: _Builder) -> Planted:
    """Choose people to carry planted errors: singles enrolled once, each error once."""
    config, rng = builder.config, np.random.default_rng(builder.config.seed + 17)
    singles = [p for p in builder.people if p.family is None and len(p.enrolments) == 1]
    order = [singles[int(k)] for k in rng.permutation(len(singles))]
    n = len(builder.people)

    def count(fraction: float) -> int:
        return max(1, int(n * fraction))

    planted = Planted()
    planted.sex_flipped = {p.index for p in order[: count(config.sex_mismatch_fraction)]}
    rest = order[len(planted.sex_flipped) :]
    planted.low_quality = {p.index for p in rest[: count(config.low_quality_fraction)]}
    rest = rest[len(planted.low_quality) :]
    pairs = 0
    for first in rest:
        if pairs >= count(config.swap_fraction):
            break
        if first.index in planted.swapped:
            continue
        partners = (
            p
            for p in rest
            if p.index != first.index
            and p.index not in planted.swapped
            and p.sex == first.sex
            and p.institution == first.institution
        )
        second = next(partners, None)
        if second is not None:  # same sex: a swap that sex checks cannot see
            planted.swapped[first.index] = second.index
            planted.swapped[second.index] = first.index
            pairs += 1
    return planted


def _probands(members: Sequence[tuple[Person, str]]) -> dict[str, str]:
    """Each family's proband: its youngest affected member, the one who came to attention."""
    chosen: dict[str, tuple[Person, str]] = {}
    for person, local_id in members:
        if person.family and person.affected:
            best = chosen.get(person.family)
            if best is None or person.birth_year > best[0].birth_year:
                chosen[person.family] = (person, local_id)
    return {family: local_id for family, (_, local_id) in chosen.items()}


def _write_institution(
    builder: _Builder,
    number: int,
    folder: Path,
    members: list[tuple[Person, str]],
    planted: Planted,
) -> dict[str, int]:
    """Write one institution's templates; returns its VCF samples (sample id → person)."""
    rng = np.random.default_rng(builder.config.seed * 7919 + number)
    inst = builder.institutions[number]
    folder.mkdir(parents=True, exist_ok=True)
    family_ids = sorted({p.family for p, _ in members if p.family})
    diseases = {d for f in family_ids if (d := builder.families[f][1]) is not None}
    collections = [
        {
            "collection_id": f"{inst.code}-POP",
            "name": "Population cohort",
            "material_types": "whole_blood;dna;plasma",
            "data_categories": "biological_samples;genotype_array",
            "duo_codes": "GRU",
        }
    ]
    if family_ids:
        collections.append(
            {
                "collection_id": f"{inst.code}-FAM",
                "name": "Family cohort",
                "material_types": "whole_blood;dna",
                "data_categories": "biological_samples;genotype_array;genealogical_records",
                "disease_focus": ";".join(sorted(diseases)),
                "duo_codes": "HMB;IRB",
            }
        )
    _write_table(folder / "collections.csv", "collections", collections)
    donors, samples, consents, genotyped = [], [], [], {}
    for person, local_id in members:
        disease = builder.families[person.family][1] if person.family else None
        terms = next((d for d in DISEASES if d[0] == disease), None)
        declared = person.sex
        if person.index in planted.sex_flipped:
            declared = "female" if person.sex == "male" else "male"
        donors.append(
            {
                "donor_id": local_id,
                "sex": declared,
                "birth_year": person.birth_year,
                "residence_region": inst.province,
                "population": person.population,
                "vital_status": "deceased" if person.birth_year < DECEASED_BORN_BEFORE else "alive",
                "phenotypes": ";".join(terms[2]) if terms and person.affected else "",
                "diagnoses": terms[0] if terms and person.affected else "",
            }
        )
        collection = f"{inst.code}-FAM" if person.family else f"{inst.code}-POP"
        year = min(max(person.birth_year + 18, 2015) + int(rng.integers(0, 8)), 2025)
        taken_on = dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        taken = taken_on.isoformat()
        for s in range(1 + int(rng.random() < 0.5)):
            code = f"{local_id}-S{s + 1}"
            samples.append(
                {
                    "sample_id": code,
                    "donor_id": local_id,
                    "material_type": "dna" if s == 0 else str(rng.choice(MATERIALS)),
                    "collection_id": collection,
                    "collection_date": taken,
                    "storage_status": "available",
                }
            )
        genotyped[f"{local_id}-S1"] = planted.swapped.get(person.index, person.index)
        withdrawn = rng.random() < builder.config.withdrawal_fraction
        mondo = MONDO.get(disease or "", "")
        version = "FAM-v2" if person.family else "POP-v1"
        consents.append(
            {
                "donor_id": local_id,
                "document_version": version,
                "document_sha256": _document_sha256(version),
                "signed_on": taken,
                "permission": "DS" if mondo else ("HMB" if person.family else "GRU"),
                "disease": mondo,
                "modifiers": "IRB;NCU" if person.family else "",
                "status": "withdrawn" if withdrawn else "active",
                "withdrawn_on": (
                    taken_on + dt.timedelta(days=int(rng.integers(30, 300)))
                ).isoformat()
                if withdrawn
                else "",
            }
        )
    _write_table(folder / "donors.csv", "donors", donors)
    _write_table(folder / "samples.csv", "samples", samples)
    _write_table(folder / "consents.csv", "consents", consents)
    _write_table(
        folder / "ethics_approvals.csv",
        "ethics_approvals",
        [
            {
                "committee": f"{inst.name} Ethics Committee",
                "reference": f"{inst.code}-EC-2015-01",
                # Open-ended, as an institution-wide approval renewed by annual review is: an
                # end date here would make every dataset of the synthetic nation lapse that day.
                "valid_from": "2015-01-01",
                "valid_to": "",
                "scope": "Collection, storage and genetic research use of donated samples",
            }
        ],
    )
    probands = _probands(members)
    _write_table(
        folder / "families.csv",
        "families",
        [
            {
                "family_id": f,
                "condition": builder.families[f][1] or "",
                "condition_label": next(
                    (d[1] for d in DISEASES if d[0] == builder.families[f][1]), ""
                ),
                "proband": probands.get(f, ""),
            }
            for f in family_ids
        ],
    )
    ids = {p.index: local for p, local in members}
    with (folder / "pedigree.ped").open("w", encoding="utf-8") as ped:
        for person, local_id in members:
            if person.family:
                father = ids.get(person.father, "0") if person.father is not None else "0"
                mother = ids.get(person.mother, "0") if person.mother is not None else "0"
                sex = "1" if person.sex == "male" else "2"
                status = "2" if person.affected else "1"
                ped.write(f"{person.family}\t{local_id}\t{father}\t{mother}\t{sex}\t{status}\n")
    return genotyped


def synthesise_nation(
    out_dir: Path, config: SynthConfig, progress: Progress = silent
) -> NationSummary:
    """Write a synthetic nation to ``out_dir`` (see the module docstring for the layout)."""
    if config.genotypes and config.donors > MAX_GENOTYPED_DONORS:
        raise ConfigurationError(
            f"genotypes are simulated for at most {MAX_GENOTYPED_DONORS:,} donors: "
            "use --no-genotypes for larger nations",
            code="E_SYNTH_SIZE",
        )
    progress("building people and families", 0, 1)
    builder = _Builder(config)
    builder.build_institutions()
    builder.build_people()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(exist_ok=True)
    _write_table(
        out_dir / "institutions.csv",
        "institutions",
        [
            {
                "code": i.code,
                "name": i.name,
                "kind": i.kind,
                "legal_person_id": i.legal_person_id,
                "country": "CN",
                "region_code": i.province,
                "control": i.control,
                "foreign_equity_pct": i.foreign_equity_pct or "",
                "controlling_party": "Synthetic Holdings Ltd (overseas)"
                if i.foreign_equity_pct
                else "",
            }
            for i in builder.institutions
        ],
    )
    members: dict[int, list[tuple[Person, str]]] = {i: [] for i in range(len(builder.institutions))}
    for person in builder.people:
        for inst, local_id in person.enrolments:
            members[inst].append((person, local_id))
    haplotypes = None
    planted = _plant(builder) if config.genotypes else Planted()
    if config.genotypes:
        progress("simulating genotypes (msprime)", 0, 1)
        founders = [p for p in builder.people if p.father is None]
        position = {p.index: k for k, p in enumerate(founders)}
        haplotypes = simulate_founders(
            [p.population for p in founders],
            config.sites_per_chromosome,
            config.seed,
            sexes=[p.sex for p in founders],
        )
        children = [p for p in builder.people if p.father is not None]
        for k, child in enumerate(children):
            position[child.index] = len(founders) + k
        add_children(
            haplotypes,
            [(position[c.father], position[c.mother]) for c in children],  # type: ignore[index]
            config.seed,
            sexes=[c.sex for c in children],
        )
    for number, institution in enumerate(builder.institutions):
        progress(f"writing {institution.code}", number, len(builder.institutions))
        folder = out_dir / "institutions" / institution.code
        genotyped = _write_institution(builder, number, folder, members[number], planted)
        if haplotypes is not None and genotyped:
            vcf = folder / "genotypes.vcf.gz"
            write_vcf(
                vcf,
                haplotypes,
                {s: position[i] for s, i in genotyped.items()},
                discordance={
                    **{s: 0.002 for s in genotyped if s.startswith("X")},
                    **{f"D{i:07d}-S1": 0.01 for i in planted.low_quality},
                },
                missing={f"D{i:07d}-S1": 0.10 for i in planted.low_quality},
                seed=config.seed + number,
            )
            _write_table(
                folder / "data_files.csv",
                "data_files",
                [
                    {
                        "location": f"file:{path.name}",
                        "kind": kind,
                        "size_bytes": path.stat().st_size,
                        "sha256": file_sha256(path),
                        "encryption": "none",
                    }
                    for path, kind in ((vcf, "vcf"), (vcf.with_name(vcf.name + ".tbi"), "other"))
                ],
            )
    with (out_dir / "truth" / "duplicates.tsv").open("w", encoding="utf-8") as handle:
        handle.write("institution_a\tdonor_a\tinstitution_b\tdonor_b\n")
        for p in builder.people:
            if len(p.enrolments) == 2:
                (a, da), (b, db) = p.enrolments
                handle.write(
                    f"{builder.institutions[a].code}\t{da}\t{builder.institutions[b].code}\t{db}\n"
                )
    with (out_dir / "truth" / "relationships.tsv").open("w", encoding="utf-8") as handle:
        handle.write("institution\tdonor_a\tdonor_b\trelationship\n")
        sibs: dict[tuple[int, int], list[Person]] = {}
        for p in builder.people:
            if p.father is None or p.mother is None:
                continue
            code = builder.institutions[p.institution].code
            for parent in (p.father, p.mother):
                handle.write(f"{code}\tD{parent:07d}\tD{p.index:07d}\tparent-offspring\n")
            sibs.setdefault((p.father, p.mother), []).append(p)
        for group in sibs.values():
            for i, first in enumerate(group):
                for second in group[i + 1 :]:
                    code = builder.institutions[first.institution].code
                    handle.write(f"{code}\tD{first.index:07d}\tD{second.index:07d}\tfull-sibling\n")
    _write_planted(out_dir / "truth" / "planted.tsv", builder, planted)
    summary = NationSummary(
        donors=sum(len(p.enrolments) for p in builder.people),
        institutions=len(builder.institutions),
        provinces=len(builder.provinces),
        families=len(builder.families),
        duplicates=sum(1 for p in builder.people if len(p.enrolments) == 2),
    )
    (out_dir / "nation.json").write_text(
        json.dumps(
            {"config": asdict(config), "summary": asdict(summary), "provinces": builder.provinces},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return summary


def _write_planted(path: Path, builder: _Builder, planted: Planted) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("institution\tdonor_id\tsample_id\tkind\tdetail\n")
        for p in builder.people:
            code = builder.institutions[p.institution].code
            where = f"{code}\tD{p.index:07d}\tD{p.index:07d}-S1"
            if p.index in planted.sex_flipped:
                declared = "female" if p.sex == "male" else "male"
                handle.write(f"{where}\tsex_mismatch\tdeclared {declared}, genetically {p.sex}\n")
            if p.index in planted.low_quality:
                handle.write(f"{where}\tlow_quality\t10% calls missing, 1% discordant\n")
            if p.index in planted.swapped:
                other = planted.swapped[p.index]
                handle.write(f"{where}\tsample_swap\tholds the genotypes of D{other:07d}\n")

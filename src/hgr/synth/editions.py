"""Synthetic national survey editions, from donors drawn one by one (the truth is known).

A nation of donors at institutions in provinces: each donor has a sex, a population, a
province of residence, samples of some materials, data categories, perhaps a rare disease and
a consent; about one person in a hundred is enrolled at two institutions (two donor records,
one person). :meth:`SyntheticNation.edition` counts them exactly as a national edition does
(:func:`hgr.survey.editions.compile_nation`), so that what is published of it can be attacked
with the truth in hand; :meth:`SyntheticNation.corrected` adds one donor (a correction), and
an edition may leave provinces out (a late province).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["SyntheticNation", "synthetic_nation"]

SEXES = ("female", "male", "unknown")
AGES = ("0-17", "18-39", "40-59", "60-79", "80+", "unknown")
POPULATIONS = ("han", "zhuang", "hui", "uyghur", "miao", "tibetan", "yi", "unknown")
MATERIALS = ("whole_blood", "dna", "plasma", "serum", "saliva", "tissue_ffpe")
CATEGORIES = ("biological_samples", "clinical", "genotype_array", "whole_exome", "whole_genome")
SCOPES = ("DUO:0000042", "DUO:0000006", "DUO:0000007", "DUO:0000004", "DUO:0000011")
KINDS = ("hospital", "biobank", "university", "research_institute")
_REGIONS = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
)
PROVINCES = tuple(f"{code}0000" for code in _REGIONS.split())
DISEASES = 40
SEQUENCED = [CATEGORIES.index("whole_exome"), CATEGORIES.index("whole_genome")]


@dataclass(frozen=True)
class SyntheticNation:
    """Donor records, one row each (arrays), and the institutions that hold them."""

    institutions: list[tuple[str, str, str]]  # (code, province, kind)
    institution: np.ndarray  # per record: index into institutions
    person: np.ndarray  # per record: the person (shared by a person's records)
    sex: np.ndarray
    age: np.ndarray  # index into AGES
    population: np.ndarray
    residence: np.ndarray  # index into PROVINCES
    materials: np.ndarray  # (records, materials): samples of each material
    categories: np.ndarray  # (records, categories): bool
    disease: np.ndarray  # ORPHA index, or -1
    scope: np.ndarray  # consent scope index, or -1 (no consent recorded)
    withdrawn: np.ndarray  # bool: the consent was withdrawn in the cycle
    genotyped: np.ndarray  # bool
    facts: np.ndarray  # (institutions, 4): ethics approvals, expired, families, members

    def corrected(self, seed: int = 1) -> SyntheticNation:
        """The nation with one more donor record, at one institution (a new person)."""
        rng = np.random.default_rng(seed)
        k = int(rng.integers(len(self.institution)))
        arrays = {
            name: np.concatenate([getattr(self, name), getattr(self, name)[k : k + 1]])
            for name in (
                "institution",
                "sex",
                "age",
                "population",
                "residence",
                "materials",
                "categories",
                "disease",
                "scope",
                "withdrawn",
                "genotyped",
            )
        }
        arrays["person"] = np.r_[self.person, self.person.max() + 1]
        return replace(self, **arrays)  # type: ignore[arg-type]

    def edition(self, cycle: str = "2025", without: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The national edition's content as compiled, leaving the provinces ``without``
        out (they sent nothing yet)."""
        n_inst = len(self.institutions)
        kept = np.array([p not in without for _, p, _ in self.institutions])
        records = kept[self.institution]
        inst = self.institution[records]

        def per(column: np.ndarray, size: int) -> np.ndarray:
            return np.bincount(inst * size + column[records], minlength=n_inst * size).reshape(
                n_inst, size
            )

        def named(counts: np.ndarray, names: Sequence[str]) -> list[dict[str, int]]:
            return [
                {names[int(j)]: int(row[j]) for j in np.flatnonzero(row)} for row in counts.tolist()
            ]

        donors = np.bincount(inst, minlength=n_inst)
        materials = self.materials[records]
        samples = np.zeros((n_inst, len(MATERIALS)), dtype=np.int64)
        with_material = np.zeros_like(samples)
        np.add.at(samples, inst, materials)
        np.add.at(with_material, inst, materials > 0)
        in_category = np.zeros((n_inst, len(CATEGORIES)), dtype=np.int64)
        np.add.at(in_category, inst, self.categories[records])
        diseased = self.disease[records] >= 0
        by_disease = np.bincount(
            inst[diseased] * DISEASES + self.disease[records][diseased],
            minlength=n_inst * DISEASES,
        ).reshape(n_inst, DISEASES)
        active = ~self.withdrawn[records] & (self.scope[records] >= 0)
        by_scope = np.bincount(
            inst[active] * len(SCOPES) + self.scope[records][active],
            minlength=n_inst * len(SCOPES),
        ).reshape(n_inst, len(SCOPES))
        withdrawn = np.bincount(inst, weights=self.withdrawn[records], minlength=n_inst)
        unconsented = np.bincount(inst, weights=~active, minlength=n_inst)
        genotyped = np.bincount(inst, weights=self.genotyped[records], minlength=n_inst)
        tables = {
            "donors_by_sex": named(per(self.sex, len(SEXES)), SEXES),
            "donors_by_age": named(per(self.age, len(AGES)), AGES),
            "donors_by_population": named(per(self.population, len(POPULATIONS)), POPULATIONS),
            "donors_by_residence": named(per(self.residence, len(PROVINCES)), PROVINCES),
            "samples_by_material": named(samples, MATERIALS),
            "donors_by_material": named(with_material, MATERIALS),
            "persons_by_data_category": named(in_category, CATEGORIES),
            "donors_by_disease": named(by_disease, [f"ORPHA:{100 + d}" for d in range(DISEASES)]),
            "consents_by_scope": named(by_scope, SCOPES),
        }
        institutions = {}
        for i, (code, province, kind) in enumerate(self.institutions):
            if not kept[i]:
                continue
            approvals, expired, families, members = (int(x) for x in self.facts[i])
            fields: dict[str, Any] = {
                "donors": int(donors[i]),
                "samples": int(samples[i].sum()),
                "genotyped_donors": int(genotyped[i]),
                "consents_withdrawn": int(withdrawn[i]),
                "donors_without_consent": int(unconsented[i]),
                "ethics_approvals": approvals,
                "ethics_expired": expired,
                "families": families,
                "pedigree_members": members,
            }
            fields |= {name: rows[i] for name, rows in tables.items()}
            institutions[code] = {
                "province": province,
                "kind": kind,
                "name": f"Institution {code}",
                "fields": fields,
            }
        persons = self.persons(without)
        provinces = sorted({p for _, p, _ in self.institutions} - set(without))
        return {
            "kind": "nation",
            "cycle": cycle,
            "subject": "CN",
            "provinces": {p: {"institutions": []} for p in provinces},
            "institutions": institutions,
            "totals": {"donors": int(donors.sum()), "persons": persons["nation"]},
            "persons": persons,
        }

    def persons(self, without: frozenset[str] = frozenset()) -> dict[str, Any]:
        """People counted once: in the nation, within each province and each kind; and so
        the people with whole-genome or whole-exome data (``sequenced``)."""
        kept = np.array([p not in without for _, p, _ in self.institutions])
        records = kept[self.institution]
        sequenced = records & (self.categories[:, SEQUENCED].any(axis=1))
        found = self._distinct(records)
        return found | {"sequenced": self._distinct(sequenced)}

    def _distinct(self, records: np.ndarray) -> dict[str, Any]:
        """The persons among the donor records ``records`` (a mask), by group."""
        province = np.array([p for _, p, _ in self.institutions])[self.institution[records]]
        kind = np.array([k for _, _, k in self.institutions])[self.institution[records]]
        person = self.person[records]

        def distinct(groups: np.ndarray) -> dict[str, int]:
            if not groups.size:
                return {}
            pairs = np.unique(np.stack([np.unique(groups, return_inverse=True)[1], person]), axis=1)
            names = np.unique(groups)
            return {str(names[g]): int(n) for g, n in enumerate(np.bincount(pairs[0]))}

        in_province = distinct(province)
        nation = int(np.unique(person).size)
        return {
            "nation": nation,
            "by_province": in_province,
            "by_kind": distinct(kind),
            "in_several_provinces": sum(in_province.values()) - nation,
        }


def synthetic_nation(
    donors: int, institutions: int, provinces: int = 6, seed: int = 0
) -> SyntheticNation:
    """A nation of ``donors`` donor records at ``institutions`` institutions spread over the
    first ``provinces`` provinces; institution sizes vary tenfold and more, as they do."""
    rng = np.random.default_rng(seed)
    places = PROVINCES[:provinces]
    listed = [
        (f"I{i:04d}", places[i % provinces], KINDS[int(rng.integers(len(KINDS)))])
        for i in range(institutions)
    ]
    size = rng.lognormal(0.0, 1.0, institutions)
    institution = rng.choice(institutions, size=donors, p=size / size.sum())
    # About 1% of records are a second enrolment of a person already enrolled elsewhere.
    person = np.arange(donors)
    again = rng.random(donors) < 0.01
    again[0] = False
    person[again] = rng.choice(np.flatnonzero(~again), again.sum())
    sex = rng.choice(len(SEXES), donors, p=[0.5, 0.48, 0.02])
    age = rng.choice(len(AGES), donors, p=[0.08, 0.3, 0.33, 0.22, 0.05, 0.02])
    population = rng.choice(
        len(POPULATIONS), donors, p=[0.86, 0.03, 0.03, 0.02, 0.02, 0.015, 0.015, 0.01]
    )
    home = np.array([PROVINCES.index(p) for _, p, _ in listed])[institution]
    elsewhere = rng.random(donors) < 0.08
    residence = np.where(elsewhere, rng.integers(0, len(PROVINCES), donors), home)
    weights = np.array([0.4, 0.25, 0.15, 0.1, 0.07, 0.03])
    materials = rng.poisson(weights * 2.0, (donors, len(MATERIALS)))
    materials[materials.sum(axis=1) == 0, 0] = 1  # every donor gave a sample
    categories = rng.random((donors, len(CATEGORIES))) < np.array([0.97, 0.6, 0.3, 0.05, 0.02])
    rare = rng.random(donors) < 0.3
    zipf = 1.0 / np.arange(1, DISEASES + 1)
    disease = np.where(rare, rng.choice(DISEASES, donors, p=zipf / zipf.sum()), -1)
    scope = rng.choice(len(SCOPES), donors, p=[0.5, 0.25, 0.15, 0.07, 0.03])
    scope[rng.random(donors) < 0.01] = -1  # no consent on record
    withdrawn = (rng.random(donors) < 0.005) & (scope >= 0)
    genotyped = categories[:, 2] | categories[:, 3] | categories[:, 4]
    families = rng.poisson(2, institutions)
    facts = np.stack(
        [
            rng.integers(1, 30, institutions),
            rng.integers(0, 4, institutions),
            families,
            families * 4 + rng.poisson(1, institutions),
        ],
        axis=1,
    )
    return SyntheticNation(
        listed,
        institution,
        person,
        sex,
        age,
        population,
        residence,
        materials,
        categories,
        disease,
        scope,
        withdrawn,
        genotyped,
        facts,
    )

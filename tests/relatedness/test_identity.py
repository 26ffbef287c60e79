"""Fingerprints from institutions' stores, sealed to the national node, linked, counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hgr.audit import Actor
from hgr.cli.main import app
from hgr.crypto import load_node_keys
from hgr.exceptions import FormatError, IntegrityBroken
from hgr.node import open_node
from hgr.relatedness.fingerprints import open_fingerprints
from hgr.relatedness.identity import unique_donors
from hgr.relatedness.models import DonorLink
from hgr.synth import SynthConfig, synthesise_nation

runner = CliRunner()


def _ok(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A synthetic nation: one node per institution, a national node, sealed fingerprints."""
    root = tmp_path_factory.mktemp("nation")
    synthesise_nation(root / "synth", SynthConfig(donors=300, seed=11, sites_per_chromosome=150))
    institutions = root / "synth" / "institutions.csv"
    codes = sorted(p.name for p in (root / "synth" / "institutions").iterdir())
    national = root / "national"
    _ok("init", national, "--role", "nation")
    _ok("import", institutions, "--home", national)
    panel = root / "panel.tsv"
    first_vcf = root / "synth" / "institutions" / codes[0] / "genotypes.vcf.gz"
    _ok("relatedness", "panel", first_vcf, "--out", panel, "--sites", "600")
    files = []
    for code in codes:
        folder = root / "synth" / "institutions" / code
        if not (folder / "genotypes.vcf.gz").exists():
            continue
        home = root / code
        _ok("init", home, "--institution", code)
        _ok("import", institutions, "--home", home)
        templates = [p for p in sorted(folder.iterdir()) if p.suffix in {".csv", ".ped"}]
        _ok("import", *templates, "--home", home, "--institution", code)
        _ok("genotypes", "ingest", folder / "genotypes.vcf.gz", "-c", f"{code}-POP", "--home", home)
        sealed = root / f"{code}.fp.c4gh"
        _ok(
            "relatedness",
            "fingerprint",
            "-c",
            f"{code}-POP",
            "--panel",
            panel,
            "--recipient",
            national / "keys" / "node.c4gh.pub",
            "--out",
            sealed,
            "--home",
            home,
        )
        files.append(sealed)
    return {"root": root, "national": national, "files": files, "codes": codes}


def test_duplicates_across_institutions_become_links(nation: dict[str, object]) -> None:
    national = nation["national"]
    output = _ok("relatedness", "link", *nation["files"], "--home", national)  # type: ignore[misc]
    root = Path(str(nation["root"]))
    truth = (root / "synth" / "truth" / "duplicates.tsv").read_text().splitlines()[1:]
    # Duplicates are enrolled in population cohorts; planted sample swaps and low-quality
    # samples are all singles, so every planted duplicate pair is genotyped twice.
    node = open_node(Path(str(national)))
    try:
        with node.db.reader() as session:
            links = session.scalars(select(DonorLink)).all()
            # The people behind the linked records, and one donor enrolled once.
            linked = [(k.institution_a, k.donor_a) for k in links]
            linked += [(k.institution_b, k.donor_b) for k in links]
            people = unique_donors(session, [*linked, ("INS-00-000", "single")])
    finally:
        node.close()
    assert people == len(links) + 1
    expected = {frozenset({line.split("\t")[0], line.split("\t")[2]}) for line in truth}
    found = {frozenset({link.institution_a, link.institution_b}) for link in links}
    assert len(links) == len(truth)
    assert found == expected
    assert all(link.kinship > 0.354 and link.discordance < 0.03 for link in links)
    assert f"{len(truth)} new links" in output
    again = _ok("relatedness", "link", *nation["files"], "--home", national)  # type: ignore[misc]
    assert "0 new links" in again


def test_a_fingerprint_file_opens_only_where_it_was_sealed_to(
    nation: dict[str, object], tmp_path: Path
) -> None:
    from hgr.crypto import load_node_keys

    files = nation["files"]
    sealed = files[0]  # type: ignore[index]
    institution_keys = load_node_keys(Path(str(nation["root"])) / nation["codes"][0] / "keys")  # type: ignore[index]
    with pytest.raises(IntegrityBroken) as caught:
        open_fingerprints(sealed, institution_keys)
    assert caught.value.code == "E_FINGERPRINT_SEAL"
    national_keys = load_node_keys(Path(str(nation["national"])) / "keys")
    assert len(open_fingerprints(sealed, national_keys).genotypes.samples) > 0
    damaged = tmp_path / "damaged.c4gh"
    damaged.write_bytes(sealed.read_bytes()[:-100])  # type: ignore[attr-defined]
    with pytest.raises((IntegrityBroken, FormatError)):
        open_fingerprints(damaged, national_keys)


def test_an_institutions_families_are_checked_against_its_store(
    nation: dict[str, object], tmp_path: Path
) -> None:
    root = Path(str(nation["root"]))
    truth = (root / "synth" / "truth" / "relationships.tsv").read_text().splitlines()[1:]
    code = next(line.split("\t")[0] for line in truth)
    output = _ok(
        "relatedness",
        "pedigree",
        "-c",
        f"{code}-POP",
        "--out",
        tmp_path / "fam",
        "--home",
        root / code,
    )
    assert "families with genotyped members checked" in output
    rows = [line.split("\t") for line in (tmp_path / "fam.pedigree.tsv").read_text().splitlines()]
    assert rows[0][-1] == "status"
    parent_child = [r for r in rows[1:] if r[3] == "parent-offspring"]
    assert parent_child
    # The synthetic families are declared truly (planted errors are among single donors).
    assert all(r[4] == "parent-offspring" for r in parent_child)
    assert "wrong-parent" not in output
    assert "sample-swap" not in output


def test_bad_panels_are_named(tmp_path: Path) -> None:
    from hgr.exceptions import UsageError
    from hgr.relatedness.fingerprints import read_panel

    with pytest.raises(UsageError) as missing:
        read_panel(tmp_path / "absent.tsv")
    assert missing.value.code == "E_NO_FILE"
    bad = tmp_path / "bad.tsv"
    bad.write_text("#contig\tposition\tref\talt\n1\t100\tA\tG\n1\tten\tA\tG\n")
    with pytest.raises(FormatError) as malformed:
        read_panel(bad)
    assert malformed.value.code == "E_PANEL"
    assert f"{bad}:3" in str(malformed.value)
    short = tmp_path / "short.tsv"
    short.write_text("".join(f"1\t{100 + k}\tA\tG\n" for k in range(50)))
    with pytest.raises(FormatError, match="at least 100"):
        read_panel(short)


def test_fingerprints_of_another_panel_or_another_build_are_refused(
    nation: dict[str, object], tmp_path: Path
) -> None:
    from hgr.crypto import load_node_keys
    from hgr.exceptions import Conflict
    from hgr.relatedness.fingerprints import Fingerprints, seal_fingerprints
    from hgr.relatedness.identity import link_donors

    root = Path(str(nation["root"]))
    national = Path(str(nation["national"]))
    keys = load_node_keys(national / "keys")
    files = nation["files"]
    original = open_fingerprints(files[0], keys)  # type: ignore[index]
    other = tmp_path / "other-panel.c4gh"
    seal_fingerprints(
        Fingerprints("0" * 64, original.genotypes), national / "keys" / "node.c4gh.pub", other, keys
    )
    node = open_node(national)
    try:
        with pytest.raises(Conflict) as caught:
            link_donors(
                node.db,
                node.keys,
                [files[1], other],
                actor=Actor("t", "operator"),
                grounds="t",  # type: ignore[index]
            )
    finally:
        node.close()
    assert caught.value.code == "E_FINGERPRINT_PANEL"
    # A panel on other coordinates (another build) covers none of the store's sites.
    panel = tmp_path / "elsewhere.tsv"
    panel.write_text("".join(f"1\t{10_000_000 + 7 * k}\tA\tG\n" for k in range(200)))
    code = str(nation["codes"][0])  # type: ignore[index]
    result = runner.invoke(
        app,
        [
            "relatedness",
            "fingerprint",
            "-c",
            f"{code}-POP",
            "--panel",
            str(panel),
            "--recipient",
            str(national / "keys" / "node.c4gh.pub"),
            "--out",
            str(tmp_path / "x.c4gh"),
            "--home",
            str(root / code),
        ],
    )
    assert result.exit_code == 1
    assert "E_PANEL_COVERAGE" in result.output
    assert not (tmp_path / "x.c4gh").exists()


def test_not_a_fingerprint_file_inside_a_good_seal(
    nation: dict[str, object], tmp_path: Path
) -> None:
    from crypt4gh import lib as c4gh_lib

    from hgr.crypto import load_node_keys

    keys = load_node_keys(Path(str(nation["national"])) / "keys")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"hello, this is no fingerprint")
    sealed = tmp_path / "sealed.c4gh"
    public = crypt4gh_public(keys)
    with plain.open("rb") as source, sealed.open("wb") as target:
        c4gh_lib.encrypt([(0, keys.crypt4gh_secret(), public)], source, target)
    with pytest.raises(FormatError) as caught:
        open_fingerprints(sealed, keys)
    assert caught.value.code == "E_FINGERPRINT_FORMAT"


def crypt4gh_public(keys: object) -> bytes:
    from hgr.genotypes.raw_files import recipient_key

    return recipient_key(keys.crypt4gh_public)  # type: ignore[attr-defined]


def test_kinship_of_a_collection_from_the_command_line(
    nation: dict[str, object], tmp_path: Path
) -> None:
    root = Path(str(nation["root"]))
    code = str(nation["codes"][0])  # type: ignore[index]
    output = _ok(
        "relatedness", "king", "-c", f"{code}-POP", "--out", tmp_path / "k", "--home", root / code
    )
    lines = (tmp_path / "k.pairs.tsv").read_text().splitlines()
    assert lines[0] == "sample_a\tsample_b\tkinship\tibs0\tn_sites\trelationship"
    assert all(line.startswith(f"{code}/{code}-POP/") for line in lines[1:])
    assert "shared SNVs" in output
    missing = runner.invoke(
        app,
        [
            "relatedness",
            "king",
            "-c",
            "NOPE",
            "--out",
            str(tmp_path / "n"),
            "--home",
            str(root / code),
        ],
    )
    assert missing.exit_code == 1
    assert "E_NO_COLLECTION" in missing.output
    no_such_device = runner.invoke(
        app,
        [
            "relatedness",
            "king",
            "-c",
            f"{code}-POP",
            "--out",
            str(tmp_path / "d"),
            "--home",
            str(root / code),
            "--device",
            "tpu",
        ],
    )
    assert no_such_device.exit_code == 1
    assert "E_USAGE" in no_such_device.output
    assert not (tmp_path / "d.pairs.tsv").exists()


def test_relatives_at_other_institutions_are_linked_on_request(
    nation: dict[str, object], tmp_path: Path
) -> None:
    import dataclasses

    from hgr.relatedness.fingerprints import Fingerprints, seal_fingerprints
    from hgr.relatedness.identity import link_donors
    from hgr.synth.fingerprints import synthetic_fingerprints

    root = Path(str(nation["root"]))
    home = tmp_path / "nation2"
    _ok("init", home, "--role", "nation")
    _ok("import", root / "synth" / "institutions.csv", "--home", home)
    codes = [str(c) for c in nation["codes"]][:2]  # type: ignore[attr-defined]
    synthetic = synthetic_fingerprints(300, 1_024, duplicates=6, siblings=12, seed=21)
    where = [codes[i % 2] for i in range(len(synthetic.fingerprints.samples))]
    names = tuple(f"{where[i]}/p{i}" for i in range(len(where)))
    packed = dataclasses.replace(synthetic.fingerprints, samples=names)
    sealed = []
    for code in codes:
        mine = [i for i, c in enumerate(where) if c == code]
        path = tmp_path / f"{code}.c4gh"
        prints = Fingerprints("p" * 64, packed.subset(mine))
        seal_fingerprints(
            prints, home / "keys" / "node.c4gh.pub", path, load_node_keys(home / "keys")
        )
        sealed.append(path)
    node = open_node(home)
    try:
        plain = link_donors(node.db, node.keys, sealed, actor=Actor("t", "operator"), grounds="t")
        assert plain.relatives == 0
        result = link_donors(
            node.db, node.keys, sealed, actor=Actor("t", "operator"), grounds="t", relatives=True
        )
        with node.db.reader() as session:
            links = session.scalars(select(DonorLink)).all()
            people = unique_donors(
                session, [(n.partition("/")[0], n.partition("/")[2]) for n in names]
            )
    finally:
        node.close()
    across = {(a, b) for a, b in synthetic.siblings if where[a] != where[b]}
    kinds = {}
    for link in links:
        pair = tuple(sorted(int(d.removeprefix("p")) for d in (link.donor_a, link.donor_b)))
        kinds[pair] = link.relationship
    # Duplicates are linked wherever they are (one person enrolled twice at one institution
    # too); relatives only across institutions.
    assert {p for p, k in kinds.items() if k == "duplicate"} == synthetic.duplicates
    assert {p for p, k in kinds.items() if k == "full-siblings"} == across
    assert result.relatives == len(across)
    assert people == len(names) - len(synthetic.duplicates)  # relatives are not one person


def test_a_broken_reference_vcf_gives_no_panel(tmp_path: Path) -> None:
    from tests.genotypes.vcfs import good_vcf

    vcf = good_vcf(tmp_path / "ref.vcf.gz", compress="gzip")
    vcf.write_bytes(vcf.read_bytes()[:-20])
    out = tmp_path / "panel.tsv"
    result = runner.invoke(app, ["relatedness", "panel", str(vcf), "--out", str(out)])
    assert result.exit_code == 1
    assert "(E_TRUNCATED)" in result.output
    assert not out.exists()

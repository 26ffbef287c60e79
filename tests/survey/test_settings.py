"""The [survey] settings of node.toml: the suppression threshold and the nation's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from hgr.config import NODE_FILE, load_settings, write_settings
from hgr.config import Settings as NodeSettings
from hgr.exceptions import ConfigurationError


def _node(tmp_path: Path, survey: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_settings(NodeSettings(home=tmp_path))
    with (tmp_path / NODE_FILE).open("a") as handle:
        handle.write(f"[survey]\n{survey}\n")
    return tmp_path


def test_the_threshold_is_read_from_the_node_file(tmp_path: Path) -> None:
    settings = load_settings(_node(tmp_path, 'suppress_below = 10\nnation = "XX"'))
    assert settings.survey.suppress_below == 10
    assert settings.survey.nation == "XX"
    assert load_settings(_node(tmp_path / "d", "")).survey.suppress_below == 5


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("suppress_below = 0", "at least 1"),
        ('suppress_below = "5"', "must be a int"),
        ("threshold = 5", "unknown [survey] setting"),
    ],
)
def test_bad_survey_settings_are_refused(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[")):
        load_settings(_node(tmp_path, line))


def test_the_catalogue_exclusion_list_can_be_replaced(tmp_path: Path) -> None:
    from hgr.config import EXCLUDED_CONDITIONS

    assert "haemophilia" in load_settings(_node(tmp_path / "a", "")).catalogue.excluded
    path = _node(tmp_path / "b", "")
    with (path / NODE_FILE).open("a") as handle:
        handle.write('[catalogue]\nexcluded = ["ORPHA:399"]\n')
    assert load_settings(path).catalogue.excluded == ("ORPHA:399",)
    assert "ORPHA:399" not in EXCLUDED_CONDITIONS

import pytest

from lantern.errors import ConfigError
from lantern.index import PRESETS, load_preset, parse_spec_text, spec_to_toml

BAD_SPEC = """
[index]
id = "x"
ties = "random"
colour = "blue"

[combine]
weighting = "explicit"
transform = "log"

[[domains]]
id = "a"
normalisation = "sqrt"
weighting = "pca"
[[domains.indicators]]
id = "i1"
polarity = "sideways"

[[domains]]
id = "a"
weight = -1
[[domains.indicators]]
id = "i1"
"""


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        parse_spec_text(BAD_SPEC, source="my.toml")
    text = str(info.value)
    for expected in [
        "index.title",  # required
        "index.ties",
        "index.colour",  # unknown key
        "combine.transform",
        "domains[0].normalisation",
        "domains[0].weighting",  # pca with one indicator
        "domains[0].weight",  # explicit combine needs a weight
        "domains[0].indicators[0].polarity",
        "domains[1].weight",  # negative
        "domains[1].indicators[0].id",  # duplicate indicator
        "domain id 'a' appears more than once",
    ]:
        assert expected in text, expected
    assert len(info.value.problems) >= 11
    assert all(p.file == "my.toml" for p in info.value.problems)


def test_toml_syntax_error_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_spec_text("[index\nid=", source="broken.toml")


@pytest.mark.parametrize("name", PRESETS)
def test_presets_parse_and_round_trip_through_resolved_toml(name):
    spec = load_preset(name)
    again = parse_spec_text(spec_to_toml(spec), source="resolved")
    assert again == spec


def test_unknown_preset():
    with pytest.raises(ConfigError, match="not one of"):
        load_preset("nope")


NEW_OPTIONS = """
[index]
id = "x"
title = "X"
ties = "min"
output_ties = "average"
[combine]
weighting = "explicit"
rescale_weights = false
[classify]
rank_direction = "least_vulnerable_first"
ntiles = "equal_count"
summary_proportion = 0.2
rank_rounded = false
[[domains]]
id = "d"
weight = 0.5
rescale_weights = false
[[domains.indicators]]
id = "a"
polarity = "higher_better"
invert = "complement"
"""


def test_new_options_parse_and_round_trip():
    spec = parse_spec_text(NEW_OPTIONS)
    assert spec.score_ties == "average" and spec.ties == "min"
    assert not spec.combine.rescale_weights and not spec.domains[0].rescale_weights
    assert spec.classify.rank_direction == "least_vulnerable_first"
    assert spec.classify.ntiles == "equal_count" and spec.classify.summary_proportion == 0.2
    assert spec.domains[0].indicators[0].invert == "complement"
    assert parse_spec_text(spec_to_toml(spec)) == spec


def test_new_options_are_checked_all_at_once():
    bad = (
        NEW_OPTIONS.replace('"least_vulnerable_first"', '"sideways"')
        .replace("summary_proportion = 0.2", "summary_proportion = 2")
        .replace("rescale_weights = false\n[classify]", "rescale_weights = 'no'\n[classify]")
        .replace('invert = "complement"', 'invert = "flip"')
        .replace('output_ties = "average"', 'output_ties = "random"')
    )
    with pytest.raises(ConfigError) as exc:
        parse_spec_text(bad, source="bad.toml")
    text = str(exc.value)
    for key in (
        "classify.rank_direction",
        "classify.summary_proportion",
        "combine.rescale_weights",
        "invert",
        "index.output_ties",
    ):
        assert key in text, key

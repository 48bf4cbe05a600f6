"""The shared schema pieces (pcnsim.schema), strict parameters, and folder names from labels."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError, model_validator

from pcnsim.errors import PCNSimInputError
from pcnsim.output import SLUG_MAX, slug
from pcnsim.params import Params
from pcnsim.schema import (
    EXCERPT,
    MAX_DEPTH,
    Date,
    Number,
    StrictModel,
    Whole,
    check_shape,
    excerpt,
    fail,
    input_error,
    validate,
)


# ---------------------------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("values, field", [
    ({"homophily": True}, "homophily"), ({"homophily": "0.5"}, "homophily"), ({"has_base": "yes"}, "has_base"),
    ({"has_base": 1}, "has_base"), ({"practices_per_staff": 2.0}, "practices_per_staff"),
    ({"practices_per_staff": True}, "practices_per_staff"), ({"homophily": float("nan")}, "homophily"),
    ({"budget_2020": float("inf")}, "budget_2020"), ({"start_date": dt.datetime(2020, 1, 1)}, "start_date"),
    ({"start_date": dt.date(9999, 12, 1)}, "start_date"), ({"start_date": dt.date(1, 1, 1)}, "start_date"),
    ({"start_date": 737150}, "start_date"), ({"start_date": "1.4.2019"}, "start_date"),
    ({"homophily": np.bool_(True)}, "homophily"),
])
def test_parameters_are_strict(values, field):
    with pytest.raises(PCNSimInputError) as e:
        Params.from_dict(values)
    assert e.value.field == field and field in str(e.value) and "expected" in str(e.value)


def test_parameters_keep_what_is_meant():
    p = Params.from_dict({"budget_2019": 92, "practices_per_staff": np.int64(2), "homophily": np.float64(0.4),
                          "start_date": "2020-04-01", "has_base": np.bool_(True)})
    assert isinstance(p.budget_2019, float) and p.budget_2019 == 92.0  # an int is fine for a number
    assert type(p.practices_per_staff) is int and p.start_date == dt.date(2020, 4, 1) and p.has_base is True
    assert "1990-01-01 to 2100-12-31" in str(pytest.raises(PCNSimInputError, Params.from_dict,
                                                           {"arrs_start": dt.date(2200, 1, 1)}).value)


def test_a_long_bad_value_is_quoted_short():
    with pytest.raises(PCNSimInputError) as e:
        Params.from_dict({"homophily": "x" * 10_000_000})
    assert len(str(e.value)) < 300 and "(10,000,000 characters)" in str(e.value)


# ---------------------------------------------------------------------------------------------- the base
class Block(StrictModel):
    KEYS_OF = "a calibration block"
    name: Annotated[str, Field(min_length=1)]
    max_evals: Whole(2, 10_000, "evaluations") = 20
    tolerance: Number(0, 1) = 0.1


class Config(StrictModel):
    """A toy config, as a calibration or ensemble file would be: the shared base needs nothing else."""

    start: Date = dt.date(2019, 4, 1)
    blocks: list[Block] = []

    @model_validator(mode="after")
    def _names_differ(self) -> Config:
        if len({b.name for b in self.blocks}) != len(self.blocks):
            raise fail("blocks", "two blocks have the same name")
        return self


@pytest.mark.parametrize("data, field, words", [
    ({"blocks": [{"name": "a"}, {"name": "b", "max_evals": True}]}, "blocks[1].max_evals",
     "blocks[1].max_evals = true is not allowed: expected a whole number from 2 to 10,000 (evaluations)"),
    ({"blocks": [{"name": "a", "tolerence": 0.2}]}, "blocks[0].tolerence",
     "unknown key 'tolerence' in blocks[0] (did you mean 'tolerance'?); allowed keys of a calibration block"),
    ({"start": "2019-13-01"}, "start", "start = \"2019-13-01\" is not allowed: expected a date (YYYY-MM-DD)"),
    ({"blocks": [{}]}, "blocks[0].name", "blocks[0].name is required"),
    ({"blocks": "a"}, "blocks", "blocks = \"a\" is not allowed: expected an array"),
    ({"blocks": [{"name": "a", "tolerance": "0." + "1" * 500}]}, "blocks[0].tolerance", "(502 characters)"),
])
def test_the_shared_base_names_the_field_path(data, field, words):
    with pytest.raises(PCNSimInputError) as e:
        validate(Config, data, where="cal.toml")
    assert e.value.field == field, str(e.value)
    assert str(e.value).startswith("cal.toml: ") and words in str(e.value), str(e.value)


def test_a_model_validator_names_its_field():
    try:
        Config.model_validate({"blocks": [{"name": "a"}, {"name": "a"}]})
    except ValidationError as err:
        e = input_error(err, {}, where="cal.toml")
    assert e.field == "blocks" and "two blocks have the same name" in str(e)


def test_shape_guards_do_not_recurse():
    deep: object = 1
    for _ in range(100_000):  # far deeper than Python's recursion limit
        deep = [deep]
    with pytest.raises(PCNSimInputError, match=f"nested more than {MAX_DEPTH} levels"):
        check_shape({"a": deep})
    assert len(excerpt(deep)) <= EXCERPT + 3  # and quoting it is safe
    with pytest.raises(PCNSimInputError, match="more than 1,000 values"):
        check_shape({"a": list(range(2000))}, max_nodes=1000)
    assert excerpt(10**5000).startswith("a whole number of about 5,000 digits")


# ---------------------------------------------------------------------------------------------- names
@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.text(max_size=300))
def test_any_name_makes_a_safe_folder_inside_the_root(name):
    s = slug(name)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", s) and len(s) <= SLUG_MAX
    assert s not in (".", "..") and not s.endswith((".", "-"))
    root = Path("/results")
    assert (root / s).resolve().parent == root


def test_slugs_keep_plain_names_and_separate_lossy_ones():
    assert slug("default") == "default" and slug("supervision_2h") == "supervision_2h"
    assert slug("../../victim") == "victim" and slug("/etc/passwd") == "etc-passwd"
    assert slug("日本") != slug("中国") and slug("日本").startswith("scenario-")
    assert slug("x" * 300) != slug("x" * 299) and len(slug("x" * 300)) == SLUG_MAX


def test_the_england_limits_of_the_scenario_schema_are_englands():
    from pcnsim import england, scenario

    assert (scenario.ENGLAND_MAX_NETWORKS, scenario.ENGLAND_NETWORKS, scenario.ENGLAND_SEED) == (
        england.MAX_NETWORKS, england.N_NETWORKS, england.DEFAULT_SEED)

"""A paced sweep rests in proportion to its work, so that it keeps to its share of the time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from spyglass_db.pacing import UNPACED, Pace
from spyglass_db.retention import RetentionSettings


def test_a_fifth_of_the_time_working_rests_four_times_as_long_as_it_worked() -> None:
    assert Pace(0.2).rest_seconds(0.25) == pytest.approx(1.0)
    assert Pace(0.5).rest_seconds(0.25) == pytest.approx(0.25)


def test_flat_out_never_rests() -> None:
    assert UNPACED.rest_seconds(10.0) == 0.0
    assert Pace(1.0).rest_seconds(3.0) == 0.0


@pytest.mark.parametrize("duty_cycle", [0.0, -0.5, 1.5, float("nan")])
def test_a_duty_cycle_outside_zero_to_one_is_refused(duty_cycle: float) -> None:
    with pytest.raises(ValueError, match="duty_cycle"):
        Pace(duty_cycle)


@pytest.mark.parametrize("value", ["0", "-1", "1.01", "nan", "fast"])
def test_the_setting_refuses_what_pace_would(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_RETENTION_DUTY_CYCLE", value)
    with pytest.raises(ValidationError, match="duty_cycle"):
        RetentionSettings()

"""What the `spyglass.evaluate` task does with the job ids it is handed: anything but a list of
at most 1,000 job ids is refused whole (logged, nothing run); ids outside bigint are left out."""

from __future__ import annotations

from typing import Any

import pytest

from spyglass_eval_worker.app import MAX_JOBS_PER_TASK, _job_ids


@pytest.mark.parametrize(
    "value",
    [
        None,
        "1,2",
        {"job_ids": [1]},
        ["1"],
        ["\x00"],
        [True],
        [1.5],
        [float("nan")],
        [[1]],
        [[[[1]]]],
        list(range(1, MAX_JOBS_PER_TASK + 2)),
    ],
    ids=repr,
)
def test_anything_but_a_list_of_ids_is_refused(value: Any) -> None:
    assert _job_ids(value) is None


def test_ids_outside_bigint_are_left_out_and_duplicates_kept_for_the_claim() -> None:
    # The claim takes each job once (claim_jobs reads a set), so duplicates are harmless.
    assert _job_ids([2**63, -1, 0, 7, 7, 2**63 - 1]) == [7, 7, 2**63 - 1]
    assert _job_ids([]) == []

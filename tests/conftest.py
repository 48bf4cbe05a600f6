import warnings

import pytest

warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile (or load) the kernels of one network and find the outcome names once, before any test runs,
    in every process that runs tests: tests that bound how long a refusal takes then measure the refusal,
    not the first compile of a fresh checkout (about 20 s) on whichever worker gets there first."""
    from pcnsim.evaluate import outcome_names

    outcome_names()


@pytest.fixture(scope="session")
def default_summary():
    """Summary of the default scenario, seed 1 (shared by several tests)."""
    from pcnsim.scenario import load

    sc = load(None)
    return sc.build_model(seed=1).run(sc.weeks).summary()

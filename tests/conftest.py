import warnings

import pytest

warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")


@pytest.fixture(scope="session")
def default_summary():
    """Summary of the default scenario, seed 1 (shared by several tests)."""
    from pcnsim.scenario import load

    sc = load(None)
    return sc.build_model(seed=1).run(sc.weeks).summary()

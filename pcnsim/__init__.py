"""pcnsim: an agent-based simulation of staff retention in England's Primary Care Networks, on Mesa.

>>> from pcnsim import PCNModel
>>> model = PCNModel(rng=42)
>>> model.run(52)            # doctest: +SKIP
>>> model.summary()["network"]["arrs_fte_end"]   # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pcnsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from pcnsim import evaluate  # noqa: E402  (a callable module: pcnsim.evaluate(**scalars) and its helpers)
from pcnsim.agents import StaffMember  # noqa: E402
from pcnsim.errors import PCNSimInputError  # noqa: E402
from pcnsim.model import PCNModel  # noqa: E402
from pcnsim.params import Params  # noqa: E402
from pcnsim.threads import set_threads  # noqa: E402

__all__ = ["PCNModel", "PCNSimInputError", "Params", "StaffMember", "__version__", "evaluate", "set_threads"]

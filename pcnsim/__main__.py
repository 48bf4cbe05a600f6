"""``python -m pcnsim`` is the ``pcnsim`` command."""

import sys

from pcnsim.cli import main

sys.exit(main())

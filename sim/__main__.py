"""Let ``python -m sim`` run the ``caseload`` command line."""

import sys

from sim.cli import main

sys.exit(main())

"""Let ``python -m sim`` run the ``caseload`` command line."""

import sys

from sim.cli.main import main

sys.exit(main())

"""``python -m tools.conformance``: write or check the harnesses' golden vectors (see :mod:`.vectors`)."""

import sys

from tools.conformance.vectors import main

sys.exit(main())

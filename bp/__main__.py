import sys

from bp.cli import main

sys.exit(main())

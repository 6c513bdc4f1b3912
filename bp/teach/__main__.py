import sys

from bp.teach.cli import main

sys.exit(main())

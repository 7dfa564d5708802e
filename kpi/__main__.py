"""`python -m kpi COMMAND ...`: the command line, see kpi.cli."""
import sys

from kpi.cli import main

if __name__ == "__main__":
    sys.exit(main())

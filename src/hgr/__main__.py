"""``python -m hgr``: the same command line as ``hgr``."""

from hgr.cli.main import main

main()

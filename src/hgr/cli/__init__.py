"""The ``hgr`` command line.

Its modules evaluate annotations when they are defined (they do not use ``from __future__
import annotations``): typer reads every command's signature at start-up, and string
annotations would be compiled and evaluated again for each of some hundred commands on every
run. Each command imports the services it calls when it runs, so that ``hgr --help`` loads no
service at all (tests/cli/test_startup.py).
"""

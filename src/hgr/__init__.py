"""hgr: registry and governance platform for human genetic resources."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hgr")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

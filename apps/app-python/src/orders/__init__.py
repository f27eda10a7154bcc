"""Orders: the kindops-lab reference workload (orders API + queue worker)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orders")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]

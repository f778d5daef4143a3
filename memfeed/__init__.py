"""memfeed: personalized feeds and LLM memory for mobile apps, from one understanding of each user."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("memfeed")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

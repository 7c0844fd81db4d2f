"""tcrm: a CRM for people who live in the terminal."""

try:  # written by the build from the git tag (see [tool.hatch.version] in pyproject.toml)
    from tcrm._version import __version__
except ImportError:  # a source tree that was never installed
    __version__ = "0+unknown"

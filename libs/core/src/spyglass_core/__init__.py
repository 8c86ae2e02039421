"""What every Spyglass process shares: settings, logging, errors, lifecycle and health."""

__version__ = "0.1.0"

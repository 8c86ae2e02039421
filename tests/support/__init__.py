"""Fixtures and helpers shared by every test in the workspace (loaded by the root conftest)."""

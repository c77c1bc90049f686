"""The project store: every read and write of a study's database goes through here."""

from qualkit.store.project import Project

__all__ = ["Project"]

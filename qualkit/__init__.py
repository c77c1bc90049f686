"""qualkit: qualitative interview studies, from transcripts to a verbatim-backed report."""

__version__ = "0.1.0"

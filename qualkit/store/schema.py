"""Tables of a qualkit project (SQLAlchemy Core): SQLite file or PostgreSQL server."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# The Alembic revision this code reads and writes; tests check it is the migrations' head.
SCHEMA_REVISION = "0005"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

project_meta = Table(
    "project_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("profile", String(50)),
    Column("role", String(200)),
    Column("branch", String(200)),
    Column("company_size", String(100)),
    Column("gender", String(50)),
    Column("age_band", String(50)),
    Column("extra", JSON, nullable=False, default=dict),
)

interviews = Table(
    "interviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="SET NULL")),
    Column("content_hash", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("source_format", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("meta", JSON, nullable=False, default=dict),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False
    ),
    Column("idx", Integer, nullable=False),
    Column("speaker", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("time_start", Float),
    Column("time_end", Float),
    UniqueConstraint("interview_id", "idx"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False
    ),
    Column("turn_id", Integer, ForeignKey("turns.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    UniqueConstraint("interview_id", "idx"),
    Index("ix_segments_turn_id", "turn_id"),
)

codebook_versions = Table(
    "codebook_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("source_path", Text),
    Column("content", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("note", Text),
)


def segment_text():
    """A segment's text, derived from its offsets into the interview (never stored twice)."""
    from sqlalchemy import func

    return func.substr(interviews.c.text, segments.c.start + 1, segments.c.end - segments.c.start)


# One row per (segment, code, coder). The auto-coder is the coder AUTO_CODER with status
# 'suggested'; people's rows are 'accepted' or 'rejected'. Reruns touch only AUTO_CODER rows.
codings = Table(
    "codings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(100), nullable=False),
    Column("coder", String(100), nullable=False),
    Column("origin", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float),
    Column("passes", Boolean),
    Column("explanation", JSON),
    Column("codebook_version", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("segment_id", "code", "coder"),
    Index("ix_codings_code_status", "code", "status"),
    Index("ix_codings_coder", "coder"),
)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE")),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE")),
    Column("code", String(100)),
    Column("coder", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Append-only: never updated or deleted. Keys are copied, not foreign, so the log outlives
# what it describes.
decision_log = Table(
    "decision_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("coder", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("interview", String(255)),
    Column("segment_id", Integer),
    Column("code", String(100)),
    Column("before", JSON),
    Column("after", JSON),
    Index("ix_decision_log_segment_id", "segment_id"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("model", String(100), primary_key=True),
    Column("text_hash", String(64), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# Lemmatised sentences of a text, so pattern matching on a rerun needs no spaCy model.
lemma_cache = Table(
    "lemma_cache",
    metadata,
    Column("pipeline", String(100), primary_key=True),
    Column("text_hash", String(64), primary_key=True),
    Column("lemmas", JSON, nullable=False),
)

# Trained models that depend only on inputs named by the key (codebook, embedder, version):
# numpy arrays in .npz form, never pickles.
model_cache = Table(
    "model_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Discovered topics (qualkit.topics): one row per run with the parameters that produced it,
# its topics, and each segment's topic and 2-D map position. Older runs are kept.
topic_runs = Table(
    "topic_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("params", JSON, nullable=False),
    Column("n_segments", Integer, nullable=False),
    Column("n_outliers", Integer, nullable=False),
)

topics = Table(
    "topics",
    metadata,
    Column("run_id", Integer, ForeignKey("topic_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", Integer, primary_key=True),
    Column("label", String(300), nullable=False),
    Column("custom_label", Boolean, nullable=False, default=False),
    Column("keywords", JSON, nullable=False),
    Column("size", Integer, nullable=False),
    Column("emerging", Boolean, nullable=False),
    Column("codes", JSON, nullable=False),
    Column("similarity", JSON, nullable=False),
    Column("interviews", JSON, nullable=False),
    Column("profiles", JSON, nullable=False),
    Column("representative", JSON, nullable=False),
    Column("merged_from", JSON, nullable=False, default=list),
    Column("promoted_code", String(100)),
)

topic_segments = Table(
    "topic_segments",
    metadata,
    Column("run_id", Integer, ForeignKey("topic_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", Integer, nullable=False),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Index("ix_topic_segments_run_id_topic", "run_id", "topic"),
)

# Coder accounts (qualkit.team), opt-in: a project without any keeps the open, name-only UI.
# Passwords are stored as argon2id hashes only.
coders = Table(
    "coders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # 'lead' or 'coder'
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# Who codes what: a whole interview (segment_id NULL) or a sample of its segments, per coder.
# blind hides other people's decisions from the coder; hide_auto hides the auto-coder's.
assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("coder", String(100), nullable=False),
    Column(
        "interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False
    ),
    Column("segment_id", Integer, ForeignKey("segments.id", ondelete="CASCADE")),
    Column("blind", Boolean, nullable=False, default=True),
    Column("hide_auto", Boolean, nullable=False, default=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("coder", "interview_id", "segment_id"),
)

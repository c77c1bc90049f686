"""The codebook: YAML file -> validated Codebook; every error names the file, line and field."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qualkit.errors import QualkitError

SCHEMA_VERSION = 1
CODE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fr: str = Field(min_length=1)
    en: str | None = None


class Code(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    label: Label
    definition: str = Field(min_length=1)
    include: list[str] = []
    exclude: list[str] = []
    examples: list[str] = []
    counter_examples: list[str] = []
    patterns: list[str] = []
    parent: str | None = None
    color: str | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not CODE_ID.match(value):
            raise ValueError("must be lowercase letters, digits and underscores (e.g. job_threat)")
        return value

    @field_validator("color")
    @classmethod
    def _color_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("must be a hex colour like '#d1495b'")
        return value

    def title(self, lang: str = "fr") -> str:
        return self.label.en if lang == "en" and self.label.en else self.label.fr


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int
    name: str = "codebook"
    language: str = "fr"
    codes: list[Code]
    # Statements that carry none of the codes: negatives that calibrate the auto-coder.
    background: list[str] = []

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported schema version {value}; this qualkit reads version {SCHEMA_VERSION}"
            )
        return value

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def to_yaml(self) -> str:
        data = self.model_dump(exclude_none=True, exclude_defaults=False)
        if not data.get("background"):
            data.pop("background", None)
        for code in data["codes"]:
            for key in ("include", "exclude", "examples", "counter_examples", "patterns"):
                if not code.get(key):
                    code.pop(key, None)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise QualkitError("no such codebook file", path=path) from None
    except UnicodeDecodeError:
        raise QualkitError("codebook is not UTF-8 text", path=path) from None
    return parse_codebook(text, path)


# libyaml's safe loader when PyYAML was built with it: ten times faster on a large codebook.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_codebook(text: str, path: str | Path = "<codebook>") -> Codebook:
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise QualkitError(
            f"YAML syntax error: {exc.problem}",
            path=path,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise QualkitError(f"YAML error: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise QualkitError(
            "a codebook is a YAML mapping with 'schema_version' and 'codes'", path=path, line=1
        )
    try:
        codebook = Codebook.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif error["type"] == "missing":
            message = f"missing required field '{loc[-1]}'"
        raise QualkitError(message, path=path, line=_line(root, loc), field=_dotted(loc)) from None
    _check_references(codebook, root, path)
    return codebook


def _check_references(codebook: Codebook, root, path) -> None:
    seen: dict[str, int] = {}
    for i, code in enumerate(codebook.codes):
        if code.id in seen:
            raise QualkitError(
                f"duplicate code id '{code.id}' (first defined as codes[{seen[code.id]}])",
                path=path,
                line=_line(root, ("codes", i, "id")),
                field=f"codes[{i}].id",
            )
        seen[code.id] = i
    for i, code in enumerate(codebook.codes):
        if code.parent is not None and code.parent not in seen:
            raise QualkitError(
                f"unknown parent '{code.parent}'",
                path=path,
                line=_line(root, ("codes", i, "parent")),
                field=f"codes[{i}].parent",
            )
    parents = {c.id: c.parent for c in codebook.codes}
    for i, code in enumerate(codebook.codes):
        chain, current = [code.id], code.parent
        while current is not None:
            if current in chain:
                raise QualkitError(
                    "parent cycle: " + " -> ".join([*chain, current]),
                    path=path,
                    line=_line(root, ("codes", i, "parent")),
                    field=f"codes[{i}].parent",
                )
            chain.append(current)
            current = parents.get(current)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(node, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node found along `loc` (1-based)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line

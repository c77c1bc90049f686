"""Every CLI command is documented in the README (a command without docs fails)."""

from __future__ import annotations

from conftest import ROOT

from qualkit.cli import app


def _commands(typer_app, prefix=""):
    for command in typer_app.registered_commands:
        yield prefix + (command.name or command.callback.__name__.rstrip("_").replace("_", "-"))
    for group in typer_app.registered_groups:
        yield from _commands(group.typer_instance, prefix + group.name + " ")


def test_docs_every_command_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(app) if f"qualkit {c}" not in readme]
    assert missing == []


def test_docs_architecture_names_every_module():
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    modules = sorted(p.stem for p in (ROOT / "qualkit").glob("*.py") if p.stem[0] != "_")
    assert [m for m in modules if f"{m}.py" not in architecture] == []

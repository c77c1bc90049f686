"""Commands that need no model start fast: no spaCy, torch or BERTopic import at start-up."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("spacy", "torch", "bertopic", "sentence_transformers", "umap", "streamlit", "pandas")


def test_startup_cli_imports_no_model(project_path):
    code = (
        "import sys\n"
        "from qualkit.cli import main\n"
        "try:\n"
        f"    main(['status', {str(project_path)!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"

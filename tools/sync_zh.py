"""Copy the code cells of each English notebook into its Chinese twin (中文版).

The Chinese edition lives beside the English one, under the same file names:

    notebooks/NN_name.ipynb  ->  notebooks/zh/NN_name.ipynb
    exercises/NN_name.ipynb  ->  exercises/zh/NN_name.ipynb

Both editions have the same cells in the same order. Only the Markdown cells
are translated; every code cell (its source, outputs, execution count, metadata
and id) and the notebook's own metadata (kernel, language) are the English
edition's. So a change of code is made once:

    jupyter nbconvert --to notebook --execute --inplace \\
        --ExecutePreprocessor.record_timing=False notebooks/NN_name.ipynb
    jupyter nbconvert --to notebook --inplace --coalesce-streams notebooks/NN_name.ipynb
    python tools/sync_zh.py

Usage:

    python tools/sync_zh.py [--check] [ENGLISH_NOTEBOOK ...]

Without arguments every English notebook that has a twin is synced; English
notebooks without a twin are listed and skipped. A notebook given by name may be
either edition's. ``--check`` writes nothing and
exits 1 if any twin differs from what syncing would make it.

Syncing refuses (exit 1, nothing written for that notebook) when the two
editions do not have the same cell structure, the same number of cells with
the same types in the same order, and names the first cell that differs: add
or remove the Markdown cell in the Chinese twin first. Files are written
atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The folders of the English edition; each twin is in the ``zh`` folder below it.
FOLDERS = ("notebooks", "exercises")

#: What a code cell carries; all of it is copied from the English edition.
CODE_KEYS = ("source", "outputs", "execution_count", "metadata", "id")

#: Notebook-level keys copied from the English edition (kernel and format).
NOTEBOOK_KEYS = ("metadata", "nbformat", "nbformat_minor")


class StructureError(ValueError):
    """The two editions do not have the same cells in the same order."""


def twin_of(english: Path) -> Path:
    """The Chinese twin's path: the same name, in the ``zh`` folder beside it."""
    return english.parent / "zh" / english.name


def english_notebooks(root: Path = ROOT) -> list[Path]:
    """Every numbered English notebook: notebooks/NN_*.ipynb and exercises/NN_*.ipynb."""
    return [p for folder in FOLDERS for p in sorted((root / folder).glob("[0-9][0-9]_*.ipynb"))]


def shown(path: Path) -> str:
    """The path relative to the repository when it is inside it, for messages."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dumps(nb: dict) -> str:
    """The notebook as Jupyter and nbconvert write it (so an unchanged file stays byte-equal)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _snippet(cell: dict) -> str:
    text = cell.get("source", "")
    text = text if isinstance(text, str) else "".join(text)
    first = text.strip().splitlines()[0] if text.strip() else "(empty)"
    return first[:60]


def structure_difference(english: dict, chinese: dict) -> str | None:
    """None if both have the same number and types of cells, else the first difference."""
    en, zh = english["cells"], chinese["cells"]
    for index, (e, z) in enumerate(zip(en, zh, strict=False)):  # lengths compared below
        if e["cell_type"] != z["cell_type"]:
            return (
                f"cell {index} is {e['cell_type']} in English ({_snippet(e)!r}) "
                f"but {z['cell_type']} in Chinese ({_snippet(z)!r})"
            )
    if len(en) != len(zh):
        index = min(len(en), len(zh))
        extra, where = (en[index], "English") if len(en) > len(zh) else (zh[index], "Chinese")
        return (
            f"{len(en)} cells in English, {len(zh)} in Chinese; "
            f"cell {index} exists only in the {where} edition "
            f"({extra['cell_type']}: {_snippet(extra)!r})"
        )
    return None


def synced(english: dict, chinese: dict) -> dict:
    """The Chinese notebook with every code cell (and the notebook metadata) from the English one.

    Raises StructureError if the cell structures differ.
    """
    problem = structure_difference(english, chinese)
    if problem:
        raise StructureError(problem)
    out = dict(chinese)
    for key in NOTEBOOK_KEYS:
        if key in english:
            out[key] = english[key]
    cells = []
    for e, z in zip(english["cells"], chinese["cells"], strict=True):
        if e["cell_type"] == "code":
            cell = {k: v for k, v in z.items() if k not in CODE_KEYS}
            cell.update({k: e[k] for k in CODE_KEYS if k in e})
            cells.append(cell)
        else:
            cells.append(z)
    out["cells"] = cells
    return out


def differences(english: dict, chinese: dict) -> list[str]:
    """What syncing would change: the code cells (by index and field) and the notebook metadata."""
    found = [f"notebook {key}" for key in NOTEBOOK_KEYS if english.get(key) != chinese.get(key)]
    for index, (e, z) in enumerate(zip(english["cells"], chinese["cells"], strict=True)):
        if e["cell_type"] == "code":
            fields = [k for k in CODE_KEYS if e.get(k) != z.get(k)]
            if fields:
                found.append(f"cell {index} ({', '.join(fields)})")
    return found


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync(english_path: Path, check: bool = False) -> str:
    """Sync one twin; returns "unchanged", "updated: ..." or, under check, "differs: ...".

    Raises StructureError (nothing written) if the structures differ.
    """
    chinese_path = twin_of(english_path)
    english, chinese_text = read(english_path), chinese_path.read_text(encoding="utf-8")
    chinese = json.loads(chinese_text)
    new_text = dumps(synced(english, chinese))
    if new_text == chinese_text:
        return "unchanged"
    what = ", ".join(differences(english, chinese)) or "formatting"
    if check:
        return f"differs: {what}"
    write_atomically(chinese_path, new_text)
    return f"updated: {what}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Copy code cells and outputs from each English notebook into its Chinese twin."
    )
    parser.add_argument("--check", action="store_true", help="report differences, write nothing")
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="English notebooks (default: every one with a twin)"
    )
    args = parser.parse_args(argv)

    explicit = bool(args.notebooks)
    paths = [p.resolve() for p in args.notebooks] if explicit else english_notebooks()
    failed = False
    for path in paths:
        if path.parent.name == "zh":  # a Chinese notebook named: sync it from its English twin
            path = path.parent.parent / path.name
        if not path.is_file():
            print(f"{shown(path)}: no such notebook", file=sys.stderr)
            failed = True
            continue
        if not twin_of(path).is_file():
            print(f"{shown(path)}: no Chinese twin yet ({shown(twin_of(path))})")
            failed = failed or explicit
            continue
        try:
            result = sync(path, check=args.check)
        except StructureError as e:
            print(
                f"{shown(path)}: refused, the Chinese twin's cells differ: {e}. "
                "Make the two editions have the same cells in the same order first.",
                file=sys.stderr,
            )
            failed = True
            continue
        print(f"{shown(path)} -> {shown(twin_of(path))}: {result}")
        failed = failed or result.startswith("differs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The files a batch run writes are other files than its input and than each other.

Opening the results file truncates it: were it the input under another name (the same path, a
relative spelling, a symbolic or a hard link), the book would be destroyed before its first row
is read; were ``--errors`` the results file, each would overwrite the other; the checkpoint is
replaced whole. So every pair among the input, ``--out``, ``--errors`` and the files derived
from ``--out`` (checkpoint, Parquet journal) is compared before anything is opened, and a run
where two are one file is refused with both named (``InputError``: exit 2 on the command line).

Two paths are one file when they resolve to the same path (symbolic links and ``..`` followed,
even for a file that does not exist yet) or, both existing, when ``os.path.samefile`` says so
(same device and inode: hard links, case-insensitive file systems, bind mounts).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.batch.checkpoint import temporary_path
from engine.batch.table import is_parquet
from engine.errors import FieldProblem, InputError
from knowledge_base import load_knowledge

if TYPE_CHECKING:
    from engine.batch.runner import BatchOptions


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (see the module docstring)."""
    try:
        if first.resolve() == second.resolve():
            return True
    except (OSError, RuntimeError):  # a symbolic link loop: the inode comparison decides
        pass
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def _written(options: BatchOptions, lang: str) -> list[tuple[str, Path]]:
    """Every file the run writes, each with the option (or the file of ``--out``) it comes
    from, as the message names it."""
    kb = load_knowledge()
    checkpoint = kb.text("batch.file.checkpoint", lang)
    written = [
        ("--out", options.out),
        ("--errors" if options.errors else kb.text("batch.file.errors", lang), options.errors_path),
        (checkpoint, options.checkpoint_path),
        (checkpoint, temporary_path(options.checkpoint_path)),
    ]
    if is_parquet(options.out):
        written.append((kb.text("batch.file.journal", lang), options.journal_path))
    return written


def check_files(options: BatchOptions) -> None:
    """Refuse a run that would write over its input, or write two outputs to one file, or write
    into a directory; every problem is named, with both files of a collision."""
    kb, lang = load_knowledge(), options.lang
    written = _written(options, lang)
    problems = [
        FieldProblem(label, str(path), kb.text("batch.is_directory", lang))
        for label, path in written
        if path.is_dir()
    ]
    named = [(kb.text("batch.file.input", lang), options.input), *written]
    for (first, one), (second, other) in itertools.combinations(named, 2):
        if first != second and same_file(one, other):
            message = kb.text("batch.same_file", lang, first=first, second=second)
            problems.append(FieldProblem(f"{first}, {second}", str(other), message))
    if problems:
        raise InputError(problems)

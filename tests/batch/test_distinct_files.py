"""Issue 19, batch: the input, ``--out``, ``--errors`` and the files derived from ``--out`` are
distinct files. A run where two are one file (same path, another spelling, a symbolic or hard
link) is refused with exit 2 and both named, before anything is written: the input is intact."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.batch.paths import same_file
from tests.batch.conftest import Cli
from tests.batch.test_batch import batch, write_book

Setup = Callable[[Path], tuple[str, list[str], tuple[str, str]]]
"""tmp dir → (input file name, arguments after the input, the two names the message gives)."""


def _symlink(folder: Path) -> tuple[str, list[str], tuple[str, str]]:
    (folder / "link.csv").symlink_to(folder / "book.csv")
    return "book.csv", ["--out", "link.csv"], ("the input", "--out")


def _hard_link(folder: Path) -> tuple[str, list[str], tuple[str, str]]:
    os.link(folder / "book.csv", folder / "copy.csv")
    return "book.csv", ["--out", "copy.csv"], ("the input", "--out")


def _errors_link_to_out(folder: Path) -> tuple[str, list[str], tuple[str, str]]:
    (folder / "e.csv").symlink_to(folder / "r.csv")  # neither exists yet
    return "book.csv", ["--out", "r.csv", "--errors", "e.csv"], ("--out", "--errors")


def _rename(name: str, args: list[str], names: tuple[str, str]) -> Setup:
    def setup(folder: Path) -> tuple[str, list[str], tuple[str, str]]:
        (folder / "book.csv").rename(folder / name)
        return name, args, names

    return setup


def _plain(args: list[str], names: tuple[str, str]) -> Setup:
    return lambda folder: ("book.csv", args, names)


CASES: dict[str, Setup] = {
    "out is the input": _plain(["--out", "book.csv"], ("the input", "--out")),
    "out is the input, spelled otherwise": _plain(
        ["--out", "./sub/../book.csv"], ("the input", "--out")
    ),
    "errors is the input": _plain(
        ["--out", "r.csv", "--errors", "book.csv"], ("the input", "--errors")
    ),
    "out and errors are one file": _plain(
        ["--out", "r.csv", "--errors", "r.csv"], ("--out", "--errors")
    ),
    "out is a symbolic link to the input": _symlink,
    "out is a hard link to the input": _hard_link,
    "errors is a symbolic link to out": _errors_link_to_out,
    "the default errors file is the input": _rename(
        "r.csv.errors.csv", ["--out", "r.csv"], ("the input", "the errors file of --out")
    ),
    "the checkpoint is the input": _rename(
        "r.csv.checkpoint.json", ["--out", "r.csv"], ("the input", "the checkpoint of --out")
    ),
    "the Parquet journal is the input": _rename(
        "r.parquet.journal.csv", ["--out", "r.parquet"], ("the input", "the journal of --out")
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_colliding_files_are_refused_and_the_input_is_intact(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    write_book(tmp_path / "book.csv", 5)
    name, args, (first, second) = CASES[case](tmp_path)
    before = (tmp_path / name).read_bytes()
    files = set(tmp_path.iterdir())
    code, _, stderr = cli("batch", name, *args, "--workers", 1, "--no-record")
    assert code == 2
    assert f"{first} and {second} are the same file" in stderr
    assert (tmp_path / name).read_bytes() == before
    assert set(tmp_path.iterdir()) == files  # nothing written


def test_the_real_command_refuses_out_on_the_input_in_chinese(tmp_path: Path) -> None:
    source = tmp_path / "book.csv"
    write_book(source, 5)
    before = source.read_bytes()
    done = batch(str(source), "--out", str(source), "--lang", "zh", "--no-record")
    assert done.returncode == 2
    assert "输入文件与--out是同一个文件" in done.stderr
    assert source.read_bytes() == before


def test_out_is_a_directory_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "book.csv"
    write_book(source, 5)
    code, _, stderr = cli("batch", source, "--out", tmp_path, "--no-record")
    assert code == 2 and "--out" in stderr and "is a directory" in stderr


def test_distinct_files_are_not_the_same_file(tmp_path: Path) -> None:
    one, other = tmp_path / "a.csv", tmp_path / "b.csv"
    one.write_text("x\n", encoding="utf-8")
    other.write_text("x\n", encoding="utf-8")
    assert not same_file(one, other)
    assert not same_file(one, tmp_path / "missing.csv")
    assert same_file(one, tmp_path / "." / "a.csv")

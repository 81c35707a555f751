"""Folder discovery: recursive, stable, skips system files, survives symlink loops."""

from __future__ import annotations

import os

from pneumoscan.reading.discovery import discover, is_skipped_name


def test_skips_system_and_hidden_files(mixed_folder):
    root, expected = mixed_folder
    names = [p.name for p in discover([root])]
    assert sorted(names) == sorted(expected)
    for junk in (".DS_Store", "Thumbs.db", "DICOMDIR"):
        assert is_skipped_name(junk) and junk not in names


def test_order_is_stable_and_recursive(mixed_folder):
    root, _ = mixed_folder
    first, second = discover([root]), discover([root])
    assert first == second
    assert any(p.parent.name == "sub" for p in first)


def test_symlink_loop_terminates(tmp_path, mixed_folder):
    root, expected = mixed_folder
    os.symlink(root, root / "sub" / "loop")
    files = discover([root])
    assert len(files) == len(expected)


def test_files_and_folders_mixed_without_duplicates(mixed_folder):
    root, expected = mixed_folder
    extra = root / "a_dark.png"
    files = discover([extra, root, extra])
    assert files[0] == extra
    assert len(files) == len(expected)


def test_missing_path_is_kept_so_it_gets_a_row(tmp_path):
    assert discover([tmp_path / "gone.dcm"]) == [tmp_path / "gone.dcm"]


def test_non_recursive(mixed_folder):
    root, expected = mixed_folder
    assert all(p.parent == root for p in discover([root], recursive=False))

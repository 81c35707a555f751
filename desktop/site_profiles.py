"""Site profiles in the window: the adopted ones join the operating points at start, and a
profile adopted in the validation dialog joins them at once, without a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from pneumoscan.errors import ModelError

if TYPE_CHECKING:
    from desktop.main_window import MainWindow
    from pneumoscan.model.profiles import SiteProfile
    from pneumoscan.screener import Screener


def load(screener: Screener | None) -> tuple[list[SiteProfile], list[str]]:
    """The profiles this model can use, and one sentence for each left out: a profile measured with
    another model (its threshold means nothing for this one), one looser than this model's scope
    gate allows, or an unreadable file. Said, so that a site's profile never vanishes unexplained."""
    from pneumoscan.model.profiles import list_profiles, profile_problems

    if screener is None:
        return [], []
    loaded, left_out = [], profile_problems()
    for profile in list_profiles():
        try:
            screener.add_profile(profile)
        except ModelError as exc:
            left_out.append(f"{profile.name}: {exc}")
            continue
        loaded.append(profile)
    return loaded, left_out


def open_validation(window: MainWindow) -> None:
    from desktop.validation_dialog import ValidationDialog

    if window.screener is None:
        QMessageBox.critical(window, "PneumoScan", f"The model could not be loaded:\n{window.model_problem}")
        return
    window.validation_dialog = ValidationDialog(window, window.screener, window.runner)
    window.validation_dialog.profile_adopted.connect(window.add_site_profile)
    window.validation_dialog.show()


def add_site_profile(window: MainWindow, profile: SiteProfile) -> None:
    """A profile adopted again under the same name replaces the earlier one in the list and the box."""
    window.site_profiles = [p for p in window.site_profiles if p.name != profile.name] + [profile]
    window.screener.add_profile(profile)
    gate = ", site gate" if profile.gate else ""
    label = f"{profile.operating_point.replace('_', ' ')} ({profile.threshold:.3f}{gate})"
    idx = window.op_box.findData(profile.operating_point)
    if idx >= 0:
        window.op_box.setItemText(idx, label)
    else:
        window.op_box.addItem(label, profile.operating_point)
    window.op_box.adjustSize()  # the toolbar keeps the box's first width otherwise; the label would be cut

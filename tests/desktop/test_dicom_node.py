"""File > DICOM Node...: films sent by C-STORE join the worklist; the status line and the send queue."""

from __future__ import annotations

import pydicom
import pytest
from pynetdicom import AE

from pneumoscan.node.config import NodeConfigError, NodeOptions, Peer
from tests.dicom_factory import gradient, make_dataset, save
from tests.pacs import free_port


def c_store(port: int, paths) -> list[int]:
    ae = AE("XRAY1")
    datasets = [pydicom.dcmread(p) for p in paths]
    for ds in datasets:
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate("127.0.0.1", port, ae_title="PNEUMOSCAN")
    assert assoc.is_established
    out = [int(assoc.send_c_store(ds).Status) for ds in datasets]
    assoc.release()
    return out


def test_node_arrivals_join_the_worklist_and_the_queue_shows_waiting_results(live_window, qtbot, tmp_path):
    from desktop.dicom_node import QueueDialog

    w = live_window
    pacs_port = free_port()  # nothing listens there: the PACS is down
    options = NodeOptions(
        port=free_port(),
        spool=tmp_path / "spool",
        report=tmp_path / "node.csv",
        send_to=Peer("PACS", "127.0.0.1", pacs_port),
    )
    assert w.node.start(options)
    qtbot.waitUntil(lambda: "Listening as PNEUMOSCAN" in w.node.state_label.text(), timeout=20000)
    films = [save(make_dataset(gradient(256, 200) // (i + 1)), tmp_path / f"f{i}.dcm") for i in range(2)]
    assert c_store(options.port, films) == [0, 0]
    qtbot.waitUntil(lambda: len(w.model.results) == 2, timeout=30000)
    qtbot.waitUntil(lambda: "waiting 4" in w.node.state_label.text(), timeout=30000)
    assert "received 2" in w.node.state_label.text()
    qtbot.waitUntil(lambda: bool(w.node.status.last_error), timeout=30000)  # the first round failed
    dialog = QueueDialog(w, w.node)
    qtbot.addWidget(dialog)
    assert dialog.files.count() == 4 and dialog.retry.isEnabled()
    assert "no association" in dialog.summary.text()
    dialog.show()
    dialog.grab().save(str(tmp_path / "queue.png"))
    w.grab().save(str(tmp_path / "node.png"))
    dialog.retry.click()  # the PACS is still down: the queue stays, nothing is lost
    w.node.stop()
    qtbot.waitUntil(lambda: w.node.job is None, timeout=20000)
    assert "DICOM node stopped" in w.node.state_label.text()
    assert len(list((tmp_path / "spool" / "outbox").iterdir())) == 4


def test_node_dialog_checks_settings(qtbot, settings, tmp_path):
    from desktop.dicom_node import NodeDialog

    dialog = NodeDialog(None, settings, tmp_path)
    qtbot.addWidget(dialog)
    dialog.bind.setText("0.0.0.0")
    with pytest.raises(NodeConfigError, match="--allow"):
        dialog.options()
    dialog.allow.setText("XRAY1, PACS@10.0.0.5")
    dialog.send_to.setText("PACS@10.0.0.5:104")
    options = dialog.options()
    assert [c.aet for c in options.allow] == ["XRAY1", "PACS"] and options.send_to.port == 104
    assert options.report == tmp_path / "pneumoscan_node.csv"
    dialog._accept()
    assert settings.value("node/allow") == "XRAY1, PACS@10.0.0.5"

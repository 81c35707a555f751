"""The node in this process, with pynetdicom as the modality and as the PACS.

Real associations on loopback ports; screening with the tiny test model. Tests against
software no one here wrote (Orthanc, dcmtk) are in ``tests/node_pacs``.
"""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pydicom
import pytest
from pynetdicom import AE, evt
from pynetdicom.sop_class import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    Verification,
)

from pneumoscan.node.config import Caller, NodeOptions, Peer
from pneumoscan.node.service import DicomNode
from pneumoscan.screener import Screener
from tests.dicom_factory import SYNTAXES, gradient, make_dataset, save


@pytest.fixture(scope="module")
def screener(tiny_manifest) -> Screener:
    return Screener(tiny_manifest, threads=1)


def films(tmp_path: Path, n: int, syntax: str = "explicit", modality: str = "DX") -> list[Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        img = gradient(256, 200)
        img[i % 256, :] = i % 251
        out.append(save(make_dataset(img, modality=modality), tmp_path / f"film{i}.dcm", SYNTAXES[syntax]))
    return out


class Pacs:
    """A pynetdicom storage SCP standing in for the PACS: keeps what it receives by SOP Instance UID."""

    def __init__(self, status: int = 0x0000) -> None:
        self.status = status
        self.received: dict[str, int] = {}
        ae = AE("PACS")
        ae.supported_contexts = __import__("pynetdicom").StoragePresentationContexts
        for cx in ae.supported_contexts:
            cx.transfer_syntax = [str(t) for t in SYNTAXES.values()] + ["1.2.840.10008.1.2.1"]
        self.server = ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, self._store)]
        )
        self.port = self.server.server_address[1]

    def _store(self, event) -> int:
        if self.status == 0:
            uid = str(event.request.AffectedSOPInstanceUID)
            self.received[uid] = self.received.get(uid, 0) + 1
        return self.status

    def stop(self) -> None:
        self.server.shutdown()


def make_node(screener, tmp_path: Path, **kw) -> DicomNode:
    opts = NodeOptions(port=0, spool=tmp_path / "spool", report=tmp_path / "report.csv", **kw)
    node = DicomNode(screener, opts)
    node.start()
    return node


def send(port: int, paths: list[Path], aet: str = "MODALITY", contexts=None):
    """C-STORE ``paths`` as a modality would; returns the statuses (None when not sent)."""
    ae = AE(aet)
    for ds in (pydicom.dcmread(p) for p in paths):
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    for cx in contexts or []:
        ae.add_requested_context(cx)
    assoc = ae.associate("127.0.0.1", port, ae_title="PNEUMOSCAN")
    if not assoc.is_established:
        return None
    out = []
    for p in paths:
        rsp = assoc.send_c_store(pydicom.dcmread(p))
        out.append(int(rsp.Status) if "Status" in rsp else None)
    assoc.release()
    return out


def wait_screened(node: DicomNode, n: int, rounds: int = 200, deliver: bool = True) -> None:
    for _ in range(rounds):
        node.step() if deliver else node.watch.step()
        if node.watch.stats.screened >= n:
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"screened {node.watch.stats.screened} of {n}")


def test_echo_and_store_in_every_decodable_syntax_are_screened_once(screener, tmp_path):
    node = make_node(screener, tmp_path)
    try:
        ae = AE("MODALITY")
        ae.add_requested_context(Verification)
        assoc = ae.associate("127.0.0.1", node.acceptor.port, ae_title="PNEUMOSCAN")
        assert assoc.is_established and int(assoc.send_c_echo().Status) == 0
        assoc.release()
        paths = [p for i, s in enumerate(SYNTAXES) for p in films(tmp_path / s, 1 + (i == 0), s)]
        assert send(node.acceptor.port, paths) == [0] * len(paths)
        assert send(node.acceptor.port, paths[:2]) == [0, 0]  # sent again: stored, not screened again
        wait_screened(node, len(paths))
        node.step()
        rows = (tmp_path / "report.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
        assert len(rows) == len(paths)
        assert all(",ok," in r or ",out_of_scope," in r for r in rows), rows
    finally:
        node.close()


def test_other_storage_classes_are_declined_and_logged(screener, tmp_path):
    events: list[str] = []
    opts = NodeOptions(port=0, spool=tmp_path / "spool", report=tmp_path / "r.csv")
    node = DicomNode(screener, opts, on_event=events.append)
    node.start()
    try:
        ae = AE("MODALITY")
        ae.add_requested_context(CTImageStorage)
        ae.add_requested_context(ComputedRadiographyImageStorage)
        assoc = ae.associate("127.0.0.1", node.acceptor.port, ae_title="PNEUMOSCAN")
        assert assoc.is_established
        accepted = {cx.abstract_syntax for cx in assoc.accepted_contexts}
        assoc.release()
        assert accepted == {ComputedRadiographyImageStorage}
        assert any("declined 1 class(es): CT Image Storage" in e for e in events), events
    finally:
        node.close()


@pytest.mark.parametrize(
    ("allow", "caller", "admitted"),
    [
        ("MODALITY", "INTRUDER", False),
        ("MODALITY@10.9.9.9", "MODALITY", False),
        ("MODALITY@127.0.0.1", "MODALITY", True),
    ],
)
def test_unknown_caller_is_rejected_and_logged(screener, tmp_path, allow, caller, admitted):
    events: list[str] = []
    spool, report = tmp_path / "spool", tmp_path / "r.csv"
    opts = NodeOptions(port=0, spool=spool, report=report, allow=[Caller.parse(allow)])
    node = DicomNode(screener, opts, on_event=events.append)
    node.start()
    try:
        paths = films(tmp_path, 1)
        assert (send(node.acceptor.port, paths, aet=caller) == [0]) is admitted
        assert any(f"rejected association from '{caller}'" in e for e in events) is not admitted
        assert len(list((spool / "incoming").iterdir())) == int(admitted)
    finally:
        node.close()


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EACCES])
def test_a_spool_that_cannot_be_written_answers_failure_never_success(screener, tmp_path, monkeypatch, err):
    node = make_node(screener, tmp_path)
    try:
        import pneumoscan.node.spool as spool_mod

        def broken(fd):
            raise OSError(err, "simulated")

        monkeypatch.setattr(spool_mod.os, "fsync", broken)
        assert send(node.acceptor.port, films(tmp_path, 1)) == [0xA700]
        monkeypatch.undo()
        assert not list((tmp_path / "spool" / "incoming").iterdir())
        assert node.acceptor.refused == 1
    finally:
        node.close()


def test_results_reach_the_pacs_once_after_it_was_down(screener, tmp_path):
    port_holder = Pacs()
    port = port_holder.port
    port_holder.stop()  # the PACS is down: its port refuses connections
    node = make_node(screener, tmp_path, send_to=Peer("PACS", "127.0.0.1", port))
    try:
        send(node.acceptor.port, films(tmp_path, 3))
        wait_screened(node, 3)
        node.step()
        assert node.outbox.status().waiting == 6 and node.outbox.failed_attempts >= 1
        pacs = None
        for _ in range(50):
            try:
                pacs = Pacs.__new__(Pacs)
                pacs.status, pacs.received = 0, {}
                ae = AE("PACS")
                ae.supported_contexts = __import__("pynetdicom").StoragePresentationContexts
                pacs.server = ae.start_server(
                    ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, pacs._store)]
                )
                break
            except OSError:
                threading.Event().wait(0.1)
        node.outbox.retry_now()
        node.step()
        node.step()
        assert node.outbox.status().waiting == 0
        assert len(pacs.received) == 6 and set(pacs.received.values()) == {1}
        log = (tmp_path / "spool" / "delivery.log").read_text()
        assert log.count("\tdelivered\t") == 6 and "\tfailed\t" in log
        pacs.stop()
    finally:
        node.close()


def test_a_pacs_failure_status_keeps_the_result_queued(screener, tmp_path):
    pacs = Pacs(status=0xA700)
    node = make_node(screener, tmp_path, send_to=Peer("PACS", "127.0.0.1", pacs.port))
    try:
        send(node.acceptor.port, films(tmp_path, 1))
        wait_screened(node, 1)
        node.step()
        assert node.outbox.status().waiting == 2
        assert "0xA700" in node.outbox.status().last_error
        pacs.status = 0
        node.outbox.retry_now()
        node.step()
        assert node.outbox.status().waiting == 0 and len(pacs.received) == 2
    finally:
        node.close()
        pacs.stop()


def test_a_send_logged_as_delivered_is_not_sent_again_after_a_crash(screener, tmp_path):
    pacs = Pacs()
    node = make_node(screener, tmp_path, send_to=Peer("PACS", "127.0.0.1", pacs.port))
    try:
        send(node.acceptor.port, films(tmp_path, 1))
        wait_screened(node, 1, deliver=False)
    finally:
        node.close()
    waiting = sorted((tmp_path / "spool" / "outbox").iterdir())
    assert len(waiting) == 2
    with open(tmp_path / "spool" / "delivery.log", "a") as fh:  # killed after the log, before the unlink
        fh.write(f"2026-01-01T00:00:00\t{waiting[0].name}\tdelivered\tstatus 0x0000\n")
    node = make_node(screener, tmp_path, send_to=Peer("PACS", "127.0.0.1", pacs.port))
    try:
        node.step()
        assert len(pacs.received) == 1 and waiting[0].stem not in pacs.received
        assert not list((tmp_path / "spool" / "outbox").iterdir())
    finally:
        node.close()
        pacs.stop()


def test_dicom_out_gets_a_copy_of_every_result(screener, tmp_path):
    node = make_node(screener, tmp_path, dicom_out=tmp_path / "results")
    try:
        send(node.acceptor.port, films(tmp_path, 2))
        wait_screened(node, 2)
        node.step()
        assert len(list((tmp_path / "results").glob("*.dcm"))) == 4
        assert node.outbox.status().waiting == 0
    finally:
        node.close()


def test_a_dx_film_is_accepted(screener, tmp_path):
    node = make_node(screener, tmp_path)
    try:
        paths = films(tmp_path, 1)
        assert pydicom.dcmread(paths[0]).SOPClassUID == DigitalXRayImageStorageForPresentation
        assert send(node.acceptor.port, paths) == [0]
    finally:
        node.close()


@pytest.mark.parametrize("inside", ["outbox", "incoming", ""])
@pytest.mark.parametrize("what", ["report", "pdf"])
def test_report_or_pdf_inside_the_spool_is_refused(screener, tmp_path, inside, what):
    """The outbox would send them to the PACS, incoming would screen them: refused before listening."""
    from pneumoscan.node.config import NodeConfigError

    spool = tmp_path / "spool"
    place = spool / inside / f"out.{'csv' if what == 'report' else 'pdf'}"
    kw = {"report": place} if what == "report" else {"report": tmp_path / "r.csv", "pdf": place}
    with pytest.raises(NodeConfigError, match="spool"):
        DicomNode(screener, NodeOptions(port=0, spool=spool, send_to=Peer("PACS", "127.0.0.1", 1), **kw))

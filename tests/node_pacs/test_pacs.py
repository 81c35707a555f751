"""The node against software no one here wrote: dcmtk's echoscu/storescu and an Orthanc PACS.

Marked ``pacs`` (``make test-pacs``; ``.ci/run`` installs Debian's orthanc and dcmtk first).
The node is the real command in a child process with the tiny test model.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.uid import generate_uid

from tests.dicom_factory import SYNTAXES, gradient, make_dataset, save
from tests.pacs import Node, Orthanc, free_port, need, tool

pytestmark = pytest.mark.pacs

CR_SOP = "1.2.840.10008.5.1.4.1.1.1"


def chest_films(folder: Path, n: int, syntaxes=("explicit",), studies: int = 1) -> list[Path]:
    """``n`` chest CR/DX films (child, CHEST, AP), spread over ``studies`` studies and ``syntaxes``."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uids = [generate_uid() for _ in range(studies)]
    out = []
    for i in range(n):
        img = gradient(256, 200)
        img[i % 256, :] = (i * 7) % 251
        img[:, (i // 256) % 200] = 17
        ds = make_dataset(
            img, modality="CR" if i % 2 else "DX", tags={"StudyInstanceUID": study_uids[i % studies]}
        )
        if i % 2:
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = CR_SOP
        out.append(save(ds, folder / f"film{i:04d}.dcm", SYNTAXES[syntaxes[i % len(syntaxes)]]))
    return out


def uid_of(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


#: storescu's option that proposes each transfer syntax (it converts nothing without one)
PROPOSE = {
    "1.2.840.10008.1.2": "-xi",
    "1.2.840.10008.1.2.1": "-xe",
    "1.2.840.10008.1.2.2": "-xb",
    "1.2.840.10008.1.2.1.99": "-xd",
    "1.2.840.10008.1.2.5": "-xr",
    "1.2.840.10008.1.2.4.90": "-xv",
    "1.2.840.10008.1.2.4.91": "-xw",
    "1.2.840.10008.1.2.4.50": "-xy",
    "1.2.840.10008.1.2.4.51": "-xx",
    "1.2.840.10008.1.2.4.70": "-xs",
    "1.2.840.10008.1.2.4.80": "-xt",
    "1.2.840.10008.1.2.4.81": "-xu",
}


def storescu(port: int, files: list[Path], aet: str = "MODALITY"):
    """dcmtk's storescu, one association per transfer syntax (as a modality configured for it)."""
    groups: dict[str, list[Path]] = {}
    for f in files:
        try:
            ts = str(pydicom.dcmread(f, stop_before_pixels=True, force=True).file_meta.TransferSyntaxUID)
        except (AttributeError, OSError, ValueError, TypeError):
            ts = ""
        groups.setdefault(PROPOSE.get(ts, "-xe"), []).append(f)
    done = None
    for option, group in groups.items():
        done = tool(
            "storescu",
            "-R",
            option,
            "-aet",
            aet,
            "-aec",
            "PNEUMOSCAN",
            "127.0.0.1",
            str(port),
            *map(str, group),
        )
        if done.returncode:
            return done
    return done


@pytest.fixture
def node_port() -> int:
    return free_port()


def test_echoscu_and_an_unknown_caller_rejected(tiny_manifest, tmp_path, node_port):
    need("echoscu")
    node = Node(tmp_path, tiny_manifest, node_port, "--allow", "MODALITY")
    try:
        ok = tool("echoscu", "-aet", "MODALITY", "-aec", "PNEUMOSCAN", "127.0.0.1", str(node_port))
        assert ok.returncode == 0, ok.stderr
        bad = tool("echoscu", "-aet", "INTRUDER", "-aec", "PNEUMOSCAN", "127.0.0.1", str(node_port))
        assert bad.returncode != 0 and "Rejected" in bad.stderr + bad.stdout
        node.wait_for("rejected association from 'INTRUDER'")
    finally:
        assert node.stop() == 0


def test_storescu_in_every_syntax_and_pydicom_test_files(tiny_manifest, tmp_path, node_port):
    need("storescu")
    node = Node(tmp_path, tiny_manifest, node_port)
    try:
        films = chest_films(tmp_path / "films", len(SYNTAXES), tuple(SYNTAXES))
        sent = storescu(node_port, films)
        assert sent.returncode == 0, sent.stderr
        rows = node.wait_rows(len(films))
        assert {Path(r["path"]).stem for r in rows} == {uid_of(p) for p in films}
        assert {r["status"] for r in rows} <= {"ok", "out_of_scope"}
        # every test file in pydicom's wheel, one association each: odd, broken and foreign ones included
        wheel = Path(pydicom.data.__file__).parent / "test_files"  # no download: the wheel's own files
        for path in sorted(p for p in wheel.rglob("*") if p.is_file() and p.suffix.lower() in (".dcm", "")):
            storescu(node_port, [path])
        assert tool("echoscu", "-aec", "PNEUMOSCAN", "127.0.0.1", str(node_port)).returncode == 0
        stored = {str(p) for p in (tmp_path / "spool" / "incoming").iterdir()}
        assert len(stored) > len(films)  # some of pydicom's files are CR, DX or SC
        rows = node.wait_rows(len(stored))  # every instance answered Success has its row
        deadline = time.monotonic() + 30
        while {r["path"] for r in rows} != stored and time.monotonic() < deadline:
            time.sleep(0.3)
            rows = node.rows()
        assert {r["path"] for r in rows} == stored and node.proc.poll() is None
        declined = [line for line in node.lines if "declined" in line]
        assert any("CT Image Storage" in line for line in declined)
    finally:
        assert node.stop() == 0


def _study_ids(orthanc: Orthanc) -> list[str]:
    return orthanc.get("/studies")


def _result_series(orthanc: Orthanc, study: str) -> dict[str, int]:
    out = {}
    for s in orthanc.series_of(study):
        out[str(s["MainDicomTags"].get("SeriesNumber", ""))] = len(s["Instances"])
    return out


def test_orthanc_pushes_studies_and_gets_results_back_into_them(tiny_manifest, tmp_path, node_port):
    need("Orthanc")
    pacs = Orthanc(tmp_path / "orthanc", node_port).start()
    try:
        films = chest_films(tmp_path / "films", 6, ("explicit", "rle", "jpeg"), studies=3)
        for f in films:
            pacs.upload(f)
        studies = _study_ids(pacs)
        assert len(studies) == 3
        node = Node(
            tmp_path,
            tiny_manifest,
            node_port,
            "--allow",
            "ORTHANC",
            "--send-to",
            f"ORTHANC@127.0.0.1:{pacs.dicom}",
        )
        try:
            pacs.push_to_node(studies)
            node.wait_rows(6)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(pacs.instances()) < 18:
                time.sleep(0.5)
        finally:
            assert node.stop() == 0
        assert len(pacs.instances()) == 18  # 6 films + 6 SC + 6 SR, in the films' own studies
        assert sorted(_study_ids(pacs)) == sorted(studies)
        for study in studies:
            series = _result_series(pacs, study)
            assert series.get("9901") == 2 and series.get("9902") == 2, series
    finally:
        pacs.stop()


def test_pacs_down_then_up_gets_every_result_once(tiny_manifest, tmp_path, node_port):
    need("Orthanc", "storescu")
    pacs = Orthanc(tmp_path / "orthanc", node_port)  # configured, not started: the PACS is down
    node = Node(tmp_path, tiny_manifest, node_port, "--send-to", f"ORTHANC@127.0.0.1:{pacs.dicom}")
    try:
        films = chest_films(tmp_path / "films", 4)
        assert storescu(node_port, films).returncode == 0
        node.wait_rows(4)
        node.wait_for("send failed")
        pacs.start()
        outbox, deadline = tmp_path / "spool" / "outbox", time.monotonic() + 120
        while any(outbox.iterdir()) and time.monotonic() < deadline:  # retried with back-off
            time.sleep(0.5)
        assert len(pacs.instances()) == 8
    finally:
        node.stop()
        pacs.stop()
    log = (tmp_path / "spool" / "delivery.log").read_text().splitlines()
    assert sum("\tdelivered\t" in line for line in log) == 8


def test_killed_mid_batch_and_restarted_screens_and_delivers_each_once(tiny_manifest, tmp_path, node_port):
    need("Orthanc")
    pacs = Orthanc(tmp_path / "orthanc", node_port).start()
    try:
        films = chest_films(tmp_path / "films", 40, ("explicit", "rle"), studies=4)
        # the films' own instances: a push of whole studies would carry our SR back, which the node
        # declines and Orthanc then ends the job (README: route only the CR/DX series)
        originals = [pacs.upload(f)["ID"] for f in films]
        args = ("--allow", "ORTHANC", "--send-to", f"ORTHANC@127.0.0.1:{pacs.dicom}")
        node = Node(tmp_path, tiny_manifest, node_port, *args)
        import threading

        pusher = threading.Thread(target=lambda: _push_quietly(pacs, originals), daemon=True)
        pusher.start()
        node.wait_rows(5)
        node.stop(signal.SIGKILL)
        pusher.join(timeout=120)
        node = Node(tmp_path, tiny_manifest, node_port, *args)
        try:
            pacs.push_to_node(originals)  # the PACS sends again what it could not finish (all of it)
            rows = node.wait_rows(40)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(pacs.instances()) < 120:
                time.sleep(0.5)
            time.sleep(2)
            rows = node.rows()
        finally:
            assert node.stop() == 0
        uids = [Path(r["path"]).stem for r in rows]
        assert len(uids) == 40 and set(uids) == {uid_of(f) for f in films}  # each screened once
        assert len(pacs.instances()) == 120  # 40 films + 40 SC + 40 SR: nothing twice, nothing missing
    finally:
        pacs.stop()


def _push_quietly(pacs: Orthanc, studies: list[str]) -> None:
    try:
        pacs.push_to_node(studies)
    except OSError:  # the node was killed mid-push: Orthanc's job fails
        pass


def test_a_burst_of_500_instances(tiny_manifest, tmp_path, node_port):
    need("storescu")
    node = Node(tmp_path, tiny_manifest, node_port)
    try:
        films = chest_films(tmp_path / "films", 500)
        sent = storescu(node_port, films)
        assert sent.returncode == 0, sent.stderr[-2000:]
        rows = node.wait_rows(500, timeout=600)
        assert len({r["path"] for r in rows}) == 500
    finally:
        assert node.stop() == 0


@pytest.mark.parametrize("cut", ["mid_association_request", "garbage", "mid_dataset"])
def test_a_truncated_transfer_never_stops_the_node(tiny_manifest, tmp_path, node_port, cut):
    need("echoscu")
    node = Node(tmp_path, tiny_manifest, node_port)
    try:
        if cut == "mid_dataset":
            _store_and_vanish(node_port, chest_films(tmp_path / "films", 1)[0])
        else:
            with socket.create_connection(("127.0.0.1", node_port)) as s:
                if cut == "garbage":
                    s.sendall(b"\x07\x00\x00\x00\xff\xff\xff\xff" + b"\x00" * 64)
                else:  # the first bytes of an A-ASSOCIATE-RQ announcing more than is ever sent
                    s.sendall(b"\x01\x00\x00\x00\x10\x00\x00\x01\x00\x00PNEUMOSCAN      ")
                time.sleep(0.3)
        ok = tool("echoscu", "-aec", "PNEUMOSCAN", "127.0.0.1", str(node_port))
        assert ok.returncode == 0, ok.stderr
        assert not list((tmp_path / "spool" / "incoming").iterdir())
    finally:
        assert node.stop() == 0


def _store_and_vanish(port: int, film: Path) -> None:
    """Open an association, send a P-DATA-TF PDU that announces more than arrives, close the socket."""
    import struct

    from pynetdicom import AE

    ds = pydicom.dcmread(film)
    ae = AE("MODALITY")
    ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate("127.0.0.1", port, ae_title="PNEUMOSCAN")
    assert assoc.is_established
    context_id = assoc.accepted_contexts[0].context_id
    payload = b"\x00" * 200  # a fragment of a dataset (the PDV says "data, not last")
    pdv = struct.pack(">IBB", 1 + 1 + 5000, context_id, 0x00) + payload
    pdu = struct.pack(">BBI", 0x04, 0, 6 + 5000) + pdv  # 5,000 bytes announced, 200 sent
    sock = assoc.dul.socket.socket
    sock.sendall(pdu)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    time.sleep(0.5)


def test_kept_in_spool_films_survive_as_files_not_only_rows(tiny_manifest, tmp_path, node_port):
    """Every instance answered Success is a whole file in the spool (what 'nothing lost' rests on)."""
    need("storescu")
    node = Node(tmp_path, tiny_manifest, node_port)
    try:
        films = chest_films(tmp_path / "films", 3, ("rle", "jpeg2000", "deflated"))
        assert storescu(node_port, films).returncode == 0
        node.wait_rows(3)
    finally:
        assert node.stop() == 0
    for f in films:
        kept = tmp_path / "spool" / "incoming" / f"{uid_of(f)}.dcm"
        assert pydicom.dcmread(kept).pixel_array.shape == pydicom.dcmread(f).pixel_array.shape


@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KB tmpfs (root only): a real full disk under the spool."""
    import os
    import subprocess

    mount = tmp_path / "tiny"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)]).returncode
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_a_full_disk_answers_failure_and_keeps_what_it_acknowledged(
    tiny_manifest, tmp_path, node_port, tiny_disk
):
    need("storescu")
    node = Node(tmp_path, tiny_manifest, node_port, "--spool", str(tiny_disk / "spool"))
    try:
        films = chest_films(tmp_path / "films", 20)  # about 50 KB each: the disk holds some
        sent = storescu(node_port, films)
        assert sent.returncode != 0 or "0xa700" in (sent.stdout + sent.stderr).lower()
        stored = {p.stem for p in (tiny_disk / "spool" / "incoming").iterdir()}
        assert 0 < len(stored) < 20
        node.wait_for("NOT stored")
        rows = node.wait_rows(len(stored))
        assert {Path(r["path"]).stem for r in rows} == stored  # every Success is a whole, screened film
        assert node.proc.poll() is None
    finally:
        node.stop()

"""C-STORE of result files to the PACS, one association per round.

An association that cannot be made (PACS down, refused, wrong title) is a ``SendError`` for the
whole round: the caller backs off and tries again later. Per instance, the PACS's status decides:
Success and Warning mean stored; anything else is a failure for that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pneumoscan.node.config import Peer


class SendError(RuntimeError):
    """No association with the destination; nothing was sent."""


@dataclass(frozen=True)
class Sent:
    path: Path
    ok: bool
    detail: str  # "status 0x0000", "status 0xA700", "not offered", ...


def _status_ok(status: int) -> bool:
    return status == 0x0000 or status in (0xB000, 0xB007, 0xB006)  # Success, or Warning (stored)


def send_files(peer: Peer, files: list[Path], calling_aet: str, timeout: float = 10.0) -> list[Sent]:
    """Send ``files`` in one association; raises ``SendError`` when none can be made."""
    import pydicom
    from pynetdicom import AE

    datasets, out = [], []
    for path in files:
        try:
            datasets.append((path, pydicom.dcmread(path)))
        except (OSError, ValueError) as exc:
            out.append(Sent(path, False, f"unreadable result file ({exc})"))
    if not datasets:
        return out
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    pairs = sorted({(str(ds.SOPClassUID), str(ds.file_meta.TransferSyntaxUID)) for _, ds in datasets})
    for sop, ts in pairs[:128]:
        ae.add_requested_context(sop, ts)
    assoc = ae.associate(peer.host, peer.port, ae_title=peer.aet)
    if not assoc.is_established:
        why = "rejected" if assoc.is_rejected else "aborted" if assoc.is_aborted else "no connection"
        raise SendError(f"no association with {peer} ({why})")
    try:
        for path, ds in datasets:
            if not assoc.is_established:
                out.append(Sent(path, False, "association lost"))
                continue
            try:
                rsp = assoc.send_c_store(ds)
            except (ValueError, RuntimeError) as exc:  # no accepted context for this class/syntax
                out.append(Sent(path, False, f"not sent ({exc})"))
                continue
            status = getattr(rsp, "Status", None)
            if status is None:
                out.append(Sent(path, False, "no response (timeout or connection lost)"))
            else:
                out.append(Sent(path, _status_ok(int(status)), f"status 0x{int(status):04X}"))
    finally:
        if assoc.is_established:
            assoc.release()
    return out

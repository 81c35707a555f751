"""The acceptor: which storage classes and transfer syntaxes are offered, who is let in.

Only the images PneumoScan judges are offered: CR, DX (for presentation and for processing) and
Secondary Capture, in every transfer syntax the reader can decode here (asked of pydicom's
decoders at start, so a missing codec plugin narrows the offer instead of failing after Success).
Other classes (CT, MR, mammography, SR...) are declined at negotiation and the log names them.
Callers are checked in ``EVT_REQUESTED`` (title and, when given, host) and rejected with the
standard "calling AE title not recognised" before any data is exchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydicom.uid import UID, AllTransferSyntaxes
from pynetdicom import AE, evt
from pynetdicom.sop_class import (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    SecondaryCaptureImageStorage,
    Verification,
)

from pneumoscan.node.config import NodeOptions
from pneumoscan.node.spool import Spool

STORAGE_CLASSES = (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    SecondaryCaptureImageStorage,
)
SUCCESS, OUT_OF_RESOURCES, CANNOT_UNDERSTAND = 0x0000, 0xA700, 0xC000

log = logging.getLogger("pneumoscan.node")


def decodable_syntaxes() -> list[UID]:
    """Transfer syntaxes whose pixel data this installation decodes (native ones always)."""
    from pydicom.pixels import get_decoder

    out = []
    for ts in AllTransferSyntaxes:
        try:
            if get_decoder(ts).is_available:
                out.append(ts)
        except NotImplementedError:
            continue
    return out


def _sop_name(uid: str) -> str:
    name = UID(uid).name
    return f"{name} ({uid})" if name != uid else uid


class Acceptor:
    """The pynetdicom AE with our contexts, limits and handlers; ``on_stored(path)`` per instance."""

    def __init__(
        self,
        options: NodeOptions,
        spool: Spool,
        on_stored: Callable[[str], None],
        on_event: Callable[[str], None],
    ) -> None:
        self.options, self.spool = options, spool
        self.on_stored, self.on_event = on_stored, on_event
        self.ae = ae = AE(ae_title=options.aet)
        ae.maximum_pdu_size = options.max_pdu
        ae.maximum_associations = options.max_associations
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = options.timeout
        ae.add_supported_context(Verification)
        self.syntaxes = decodable_syntaxes()
        for sop in STORAGE_CLASSES:
            ae.add_supported_context(sop, self.syntaxes)
        self.server = None
        self.received = 0
        self.refused = 0

    def start(self) -> None:
        """Listen (in pynetdicom's threads); raises ``OSError`` when the port cannot be bound."""
        handlers = [
            (evt.EVT_REQUESTED, self._requested),
            (evt.EVT_ACCEPTED, self._accepted),
            (evt.EVT_C_ECHO, self._echo),
            (evt.EVT_C_STORE, self._store),
            (evt.EVT_ABORTED, self._aborted),
        ]
        self.server = self.ae.start_server(
            (self.options.bind, self.options.port), block=False, evt_handlers=handlers
        )

    @property
    def port(self) -> int:
        """The port actually bound (``--port 0`` picks a free one, for tests)."""
        return self.server.server_address[1] if self.server else self.options.port

    def stop(self, wait: float = 10.0) -> None:
        """Stop accepting; associations in progress may finish for ``wait`` seconds, then are aborted."""
        import time

        if self.server is None:
            return
        self.server.shutdown()
        deadline = time.monotonic() + wait
        while self.ae.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        for assoc in self.ae.active_associations:
            assoc.abort()
        self.server = None

    # --- handlers (pynetdicom's threads; they never raise) ----------------------------------------
    def _requested(self, event) -> None:
        assoc = event.assoc
        aet = str(assoc.requestor.primitive.calling_ae_title).strip()
        address = assoc.requestor.address
        allow = self.options.allow
        if allow and not any(c.admits(aet, address) for c in allow):
            self.on_event(f"rejected association from {aet!r} at {address}: not in --allow")
            assoc.acse.send_reject(0x01, 0x01, 0x03)  # rejected-permanent, service user, calling AET
            assoc.is_rejected = True
            assoc.kill()

    def _accepted(self, event) -> None:
        assoc = event.assoc
        declined = sorted({_sop_name(cx.abstract_syntax) for cx in assoc.rejected_contexts})
        who = f"{assoc.requestor.ae_title.strip()} at {assoc.requestor.address}"
        if declined:  # a modality proposes every class it has; name the first few
            more = f" and {len(declined) - 6} more" if len(declined) > 6 else ""
            self.on_event(
                f"association from {who}: declined {len(declined)} class(es): {', '.join(declined[:6])}{more}"
            )

    def _echo(self, event) -> int:
        return SUCCESS

    def _aborted(self, event) -> None:
        who = f"{event.assoc.requestor.ae_title.strip()} at {event.assoc.requestor.address}"
        self.on_event(f"association from {who} aborted; instances not answered Success were not kept")

    def _store(self, event) -> int:
        uid = str(event.request.AffectedSOPInstanceUID or "")
        try:
            encoded = event.encoded_dataset(include_meta=True)
        except Exception as exc:  # noqa: BLE001 - a failure status, never a crash of the node
            self.refused += 1
            self.on_event(f"instance {uid}: could not be read from the association ({exc})")
            return CANNOT_UNDERSTAND
        try:
            path = self.spool.store(uid, encoded)
        except OSError as exc:
            self.refused += 1
            self.on_event(f"instance {uid} NOT stored ({exc.strerror or exc}): sender told to retry")
            return OUT_OF_RESOURCES
        self.received += 1
        self.on_stored(str(path))
        return SUCCESS

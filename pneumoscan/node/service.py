"""``DicomNode``: the acceptor, the spool, the screening and the outbox, as one thing to start and stop.

Screening is the watch's pipeline unchanged (``watch.FolderWatch`` on the spool's ``incoming/``):
once per SOP Instance UID, rows appended to one report, state kept across restarts, the same
DICOM results, PDF and batch check. A received instance is offered to it at once; the watch's
rescan finds anything received before a crash. Results are written into the spool's ``outbox/``
and delivered from there by their own thread, so a PACS that times out never holds up screening.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pneumoscan.node.config import NodeConfigError, NodeOptions
from pneumoscan.node.outbox import Outbox
from pneumoscan.node.scp import Acceptor
from pneumoscan.node.spool import Spool
from pneumoscan.outputs.guard import OutputError, check_targets, folder_target, resolved
from pneumoscan.results import ScreenResult
from pneumoscan.watch import FolderWatch, WatchOptions


@dataclass(frozen=True)
class NodeStatus:
    """What the status bar and the log say: one line a technician can read."""

    aet: str
    port: int
    received: int
    refused: int
    screened: int
    sent: int
    waiting: int
    last_error: str

    @property
    def line(self) -> str:
        text = f"Listening as {self.aet} on {self.port}: received {self.received}, screened {self.screened}"
        return text + f", results sent {self.sent}, waiting {self.waiting}"


class DicomNode:
    def __init__(
        self,
        screener,
        options: NodeOptions,
        on_results: Callable[[list[ScreenResult]], None] | None = None,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options.check()
        self.on_event = on_event or (lambda message: None)
        _outside_spool(options)
        self.spool = Spool(options.spool)
        if options.dicom_out is not None:
            try:
                check_targets([folder_target(options.dicom_out)], [], [self.spool.root])
            except OutputError as exc:
                raise NodeConfigError(str(exc)) from exc
        makes_results = options.send_to is not None or options.dicom_out is not None
        self.watch = FolderWatch(
            self.spool.incoming,
            screener,
            WatchOptions(
                report=options.report,
                dicom_out=self.spool.outbox if makes_results else None,
                pdf=options.pdf,
                no_phi=options.no_phi,
                settle=options.settle,
                give_up=1.0,  # a spooled file is whole (renamed in after the last byte): no waiting for more
                rescan=10.0,
            ),
            on_results=on_results,
        )
        self.outbox = Outbox(
            self.spool.outbox,
            self.spool.root / "delivery.log",
            options.send_to,
            options.dicom_out,
            options.aet,
            self.on_event,
        )
        self.acceptor = Acceptor(options, self.spool, self._stored, self.on_event)

    def _stored(self, path: str) -> None:
        self.watch.offer(Path(path))

    @property
    def notices(self) -> list[str]:
        return self.watch.notices

    def start(self) -> None:
        """Listen; ``OSError`` when the port is taken or may not be bound (the watch lock is released)."""
        try:
            self.acceptor.start()
        except OSError:
            self.watch.close()
            raise

    def status(self) -> NodeStatus:
        box = self.outbox.status()
        return NodeStatus(
            self.options.aet,
            self.acceptor.port,
            self.acceptor.received,
            self.acceptor.refused,
            self.watch.stats.screened,
            box.sent,
            box.waiting,
            box.last_error,
        )

    def step(self, cancel: threading.Event | None = None) -> list[ScreenResult]:
        """Screen what has arrived, then deliver what is due (tests call this for one round)."""
        done = self.watch.step(cancel=cancel)
        self.outbox.deliver()
        return done

    def run(self, stop: threading.Event, on_error: Callable[[str], None] | None = None) -> None:
        """Serve until ``stop``: the watch in this thread, deliveries in another; then close down."""
        sender = threading.Thread(
            target=self._deliver_loop, args=(stop,), name="pneumoscan-send", daemon=True
        )
        sender.start()
        closer = threading.Thread(
            target=self._stop_accepting, args=(stop,), name="pneumoscan-stop", daemon=True
        )
        closer.start()  # at stop: no new associations at once; one in progress may finish
        try:
            self.watch.run(stop, interval=0.2, on_error=on_error)
        finally:
            stop.set()
            closer.join(timeout=15)
            sender.join(timeout=15)
            self.watch.close()

    def _stop_accepting(self, stop: threading.Event) -> None:
        stop.wait()
        self.acceptor.stop()

    def _deliver_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.outbox.deliver()
            except Exception as exc:  # noqa: BLE001 - the queue stays on disk; the next round retries
                self.on_event(f"delivery round failed ({type(exc).__name__}: {exc})")
            stop.wait(0.5)

    def close(self) -> None:
        """For callers that used ``step`` (tests, the workstation's synchronous mode)."""
        self.acceptor.stop(wait=0)
        self.watch.close()


def _outside_spool(options: NodeOptions) -> None:
    """The report (with its state) and the PDFs may not live in the spool: in ``outbox/`` they would
    be sent to the PACS, in ``incoming/`` screened, and the spool is the node's to clear."""
    spool = resolved(options.spool)
    for role, path in (("report", options.report), ("PDF summary", options.pdf)):
        if path is not None and spool in resolved(path).parents:
            raise NodeConfigError(f"the {role} {path} is inside the spool {options.spool}; put it elsewhere")

"""What the node is told on its command line: its own title, who may call it, where results go.

Parsed and checked before anything listens, so that a typo in ``--allow`` or ``--send-to`` is a
message at start, not a node that rejects every caller or queues every result forever.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

#: AE titles: 1-16 characters of the default character repertoire, no backslash, not all spaces.
_AET = re.compile(r"^[ -\[\]-~]{1,16}$")


class NodeConfigError(ValueError):
    """A setting that cannot work; the message says which and why."""


def check_aet(title: str, what: str = "AE title") -> str:
    title = title.strip()
    if not title or not _AET.match(title):
        raise NodeConfigError(
            f"{what} {title!r} is not a valid AE title (1-16 printable characters, no '\\')"
        )
    return title


@dataclass(frozen=True)
class Caller:
    """One ``--allow`` entry: an AE title, and optionally the only host it may call from."""

    aet: str
    host: str = ""

    @classmethod
    def parse(cls, text: str) -> Caller:
        aet, _, host = text.partition("@")
        return cls(check_aet(aet, "--allow"), host.strip())

    def admits(self, aet: str, address: str) -> bool:
        return aet.strip() == self.aet and (not self.host or self.host == address)


@dataclass(frozen=True)
class Peer:
    """``--send-to AET@HOST:PORT``: the PACS that receives the results."""

    aet: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Peer:
        aet, at, rest = text.partition("@")
        host, colon, port = rest.rpartition(":")
        if not at or not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise NodeConfigError(f"--send-to {text!r}: expected AET@HOST:PORT, e.g. PACS@10.0.0.5:104")
        return cls(check_aet(aet, "--send-to"), host.strip("[]"), int(port))

    def __str__(self) -> str:
        return f"{self.aet}@{self.host}:{self.port}"


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass
class NodeOptions:
    aet: str = "PNEUMOSCAN"
    port: int = 11112
    bind: str = "127.0.0.1"
    allow: list[Caller] = field(default_factory=list)
    send_to: Peer | None = None
    spool: Path = Path("pneumoscan-spool")
    report: Path = Path("report.csv")
    dicom_out: Path | None = None
    pdf: Path | None = None
    no_phi: bool = False
    max_pdu: int = 65536  # bytes; DICOM's usual maximum, enough for a film in a few hundred PDUs
    max_associations: int = 8
    timeout: float = 30.0  # seconds of silence before a peer is dropped (ACSE, DIMSE, network)
    settle: float = 0.2  # spooled files are whole when they appear (renamed in): no long wait

    def check(self) -> NodeOptions:
        """Raise ``NodeConfigError`` for settings that cannot work or would be unsafe."""
        check_aet(self.aet)
        if not 0 <= self.port < 65536:  # 0: any free port (printed at start)
            raise NodeConfigError(f"--port {self.port}: must be 1-65535")
        if not is_loopback(self.bind) and not self.allow:
            raise NodeConfigError(
                f"--bind {self.bind} listens on the network: give --allow AET[@HOST] for each caller "
                "(the X-ray unit, the PACS); without it any machine on the network could send films"
            )
        return self

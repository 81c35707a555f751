"""Command-line settings of the node: parsed, checked, refused with a reason."""

from __future__ import annotations

import pytest

from pneumoscan.node.config import Caller, NodeConfigError, NodeOptions, Peer


@pytest.mark.parametrize(
    ("text", "aet", "host", "port"),
    [
        ("PACS@10.0.0.5:104", "PACS", "10.0.0.5", 104),
        ("ORTHANC@localhost:4242", "ORTHANC", "localhost", 4242),
    ],
)
def test_peer_parses(text, aet, host, port):
    assert Peer.parse(text) == Peer(aet, host, port)


@pytest.mark.parametrize(
    "text", ["PACS", "PACS@host", "@host:104", "PACS@host:0", "PACS@host:x", "A" * 17 + "@h:1"]
)
def test_bad_peer_is_refused_with_the_expected_form(text):
    with pytest.raises(NodeConfigError):
        Peer.parse(text)


@pytest.mark.parametrize(
    ("entry", "aet", "address", "admitted"),
    [
        ("MODALITY", "MODALITY", "10.0.0.9", True),
        ("MODALITY", "OTHER", "10.0.0.9", False),
        ("MODALITY@10.0.0.9", "MODALITY", "10.0.0.9", True),
        ("MODALITY@10.0.0.9", "MODALITY", "10.0.0.8", False),
    ],
)
def test_caller_admits_title_and_host(entry, aet, address, admitted):
    assert Caller.parse(entry).admits(aet, address) is admitted


def test_a_network_address_needs_allow():
    with pytest.raises(NodeConfigError, match="--allow"):
        NodeOptions(bind="0.0.0.0").check()
    NodeOptions(bind="0.0.0.0", allow=[Caller("MODALITY")]).check()
    NodeOptions(bind="127.0.0.1").check()  # loopback: on purpose, no list needed


def test_bad_own_title_is_refused():
    with pytest.raises(NodeConfigError):
        NodeOptions(aet="WAY_TOO_LONG_A_TITLE").check()

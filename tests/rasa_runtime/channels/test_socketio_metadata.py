"""What a web page may put in a socket.io message's metadata: the widget's own keys, checked;
every reserved key (common/protocol.py) is the channel's to set, never the client's."""

from __future__ import annotations

from common.protocol import RESERVED_METADATA_KEYS
from rasa_runtime.channels.socketio import client_metadata, valid_session_id

SIGNED = {"identifier": "leila@example.com", "identifier_hash": "ab" * 32}


def test_the_widgets_keys_are_kept() -> None:
    sent = {"language": "fa", "shown": "بله", "identity": SIGNED}
    assert client_metadata(sent, "/affirm") == sent


def test_every_reserved_key_and_anything_unknown_is_dropped() -> None:
    sent = {key: "x" for key in RESERVED_METADATA_KEYS} | {"unknown": 1, "language": "en"}
    assert client_metadata(sent, "typed text") == {"language": "en"}


def test_values_of_the_wrong_shape_are_dropped() -> None:
    assert client_metadata({"language": "xx", "shown": "typed text"}, "typed text") == {}
    assert client_metadata({"shown": "x" * 501}, "/affirm") == {}
    assert client_metadata({"identity": SIGNED | {"extra": "y"}}, "hi") == {"identity": SIGNED}
    for identity in ({"identifier": "a", "identifier_hash": "ü" * 64},
                     {"identifier": "a" * 321, "identifier_hash": "ab"},
                     {"identifier": "a", "identifier_hash": "ab\n"}, "a.ab"):
        assert client_metadata({"identity": identity}, "hi") == {}
    assert client_metadata("{\"verified_phone\": \"+98912\"}", "hi") == {}


def test_a_session_id_is_the_widgets_kind_and_nothing_more() -> None:
    assert valid_session_id("9f2c0d1e")
    assert not valid_session_id("9f2c0d1e\n")
    assert not valid_session_id("telegram:42")

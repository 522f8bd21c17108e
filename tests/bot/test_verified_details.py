"""What the bot passes on as verified: a phone number only from Telegram's connector, which
checked it is the sender's own; the shop's signed identity only from the web widget or an m.me
link (the service checks the hash); photos only from the messenger that brought them; and at a
session's start, what identifies the customer, or nothing for an anonymous web visitor. Each key
counts only from the channel that sets it (common/protocol.py METADATA_OWNERS)."""

from actions.handoff_context import attachments, signed_identity, verified_identities
from actions.session_start import arrival

SIGNED = {"identifier": "leila@example.com", "identifier_hash": "ab" * 32}


def _user(channel: str, **metadata: object) -> dict:
    return {"event": "user", "text": "/share_contact", "input_channel": channel,
            "metadata": metadata, "timestamp": 1.0}


def test_only_telegrams_connector_vouches_for_a_phone_number() -> None:
    events = [_user("telegram", verified_phone="+989121234567"),
              _user("rest", verified_phone="+989000000000"),  # a REST client could write this
              _user("socketio", verified_phone="+989000000001")]
    assert verified_identities(events) == [
        {"kind": "phone", "value": "+989121234567", "source": "telegram_contact"}]


def test_the_latest_signed_identity_goes_with_the_context() -> None:
    events = [_user("messenger", identity={"identifier": "old", "identifier_hash": "00"}),
              _user("socketio", identity=SIGNED), _user("socketio")]
    assert signed_identity(events) == SIGNED
    assert signed_identity([_user("socketio", identity={"identifier": "x"})]) is None
    # only the widget and an m.me link carry one; a hash is hex
    assert signed_identity([_user("telegram", identity=SIGNED),
                            _user("rest", identity=SIGNED)]) is None
    assert signed_identity([_user("socketio", identity=SIGNED | {
        "identifier_hash": "zz" * 32})]) is None


def test_photos_are_listed_for_the_agent() -> None:
    photo = {"type": "image", "channel": "telegram", "ref": "file-1"}
    assert attachments([_user("telegram", attachments=[photo, {"ref": ""}])]) == [
        photo | {"timestamp": 1.0}]


def test_a_photo_the_service_would_refuse_is_left_out_not_the_escalation() -> None:
    """A ref over the contract's length would make the service refuse the whole handoff."""
    long = {"type": "image", "channel": "messenger", "ref": "https://cdn.example/" + "a" * 2000}
    odd = {"type": "image", "channel": "messenger", "ref": ["not", "a", "ref"]}
    kept = {"type": "image", "channel": "messenger", "ref": "https://cdn.example/p.jpg"}
    assert attachments([_user("messenger", attachments=[long, odd, kept])]) == [
        kept | {"timestamp": 1.0}]


def test_photos_count_only_from_the_messenger_that_brought_them() -> None:
    """A web visitor's metadata names no photo, and a platform's message only its own."""
    foreign = {"type": "image", "channel": "whatsapp", "ref": "https://evil.example/p.png"}
    assert attachments([_user("socketio", attachments=[foreign]),
                        _user("rest", attachments=[foreign]),
                        _user("telegram", attachments=[foreign]),
                        _user("telegram", attachments="boom")]) == []


def test_at_a_sessions_start_the_customer_is_named_by_what_verifies_them() -> None:
    assert arrival("whatsapp:+989121234567", {}) == {
        "channel": "whatsapp", "signed_identity": None, "verified": []}
    assert arrival("telegram:42", {"verified_phone": "+98912"})["verified"] == [
        {"kind": "phone", "value": "+98912", "source": "telegram_contact"}]
    assert arrival("9f2c0d", {"identity": SIGNED}) == {
        "channel": "socketio", "signed_identity": SIGNED, "verified": []}
    # an anonymous web visitor: nothing verifies them; the service only looks them up
    assert arrival("9f2c0d", {"language": "fa"}) == {
        "channel": "socketio", "signed_identity": None, "verified": []}
    assert arrival("messenger:77", {"verified_phone": "+98912"})["verified"] == []
    # a web visitor's verified phone is not one; Telegram's connector sets no identity
    assert arrival("9f2c0d", {"verified_phone": "+98912"})["verified"] == []
    assert arrival("telegram:42", {"identity": SIGNED})["signed_identity"] is None

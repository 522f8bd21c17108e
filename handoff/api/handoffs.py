"""The agents' side of the queue: list, claim, chat, note, transfer, release and resolve (and
flag a customer's message for the trainers).

An agent sees only the handoffs of their own teams; only the assignee writes to the customer.
Endpoints that also wait on Rasa are async; their database work runs in the thread pool, so a
busy database never stalls the event loop.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import or_, select

from common.protocol import META_HANDOFF_STATUS, WEB_CHANNEL, widget_custom, widget_status
from handoff import inbox, media_fetch, queue
from handoff.api.upstream import rasa_failed
from handoff.dependencies import CurrentAgent, DbSession, Events, OutboxDep, Rasa, RowId
from handoff.events import Event, Kind, about
from handoff.models import (
    Agent,
    Attachment,
    AuditEvent,
    ContactIdentity,
    Conversation,
    Handoff,
    Message,
    Note,
    Rating,
    Team,
)
from handoff.rasa_client import PlatformFailed, RasaUnavailable
from handoff.schemas import (
    AttachmentOut,
    AuditOut,
    HandoffDetail,
    HandoffOut,
    IdentityOut,
    MessageOut,
    NoteOut,
    RatingOut,
    ResolvedOut,
    SendText,
    Transfer,
)
from handoff.states import WAITING, Status

routes = APIRouter(prefix="/api/v1/handoffs", tags=["handoffs"])

LISTS = {
    "open": None,
    "waiting": [str(s) for s in WAITING],
    "assigned": [Status.ASSIGNED],
    "resolved": [Status.RESOLVED],
    "abandoned": [Status.ABANDONED],
}


def _visible(session: DbSession, handoff_id: int, agent: Agent) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.team_id not in agent.team_ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no handoff {handoff_id} in your teams")
    return handoff


def assigned_to(session: DbSession, handoff_id: int, agent: Agent) -> Handoff:
    handoff = _visible(session, handoff_id, agent)
    if handoff.agent_id != agent.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this handoff is not assigned to you")
    return handoff


@routes.get("", response_model=list[HandoffOut])
def list_handoffs(
    session: DbSession, agent: CurrentAgent,
    status_: str = Query("open", alias="status", pattern=f"^({'|'.join(LISTS)})$"),
    limit: int = Query(200, ge=1, le=1000),
) -> list[Handoff]:
    """`open`: the waiting queue of your teams plus your own chats, in serving order."""
    query = select(Handoff).where(Handoff.team_id.in_(agent.team_ids))
    if status_ == "open":
        mine = (Handoff.status == Status.ASSIGNED) & (Handoff.agent_id == agent.id)
        query = query.where(or_(Handoff.status.in_(LISTS["waiting"]), mine))
    else:
        query = query.where(Handoff.status.in_(LISTS[status_]))
    query = query.order_by(Handoff.priority.desc(), Handoff.created_at, Handoff.id).limit(limit)
    return list(session.scalars(query))


@routes.post("/next", response_model=HandoffOut | None)
def claim_next(session: DbSession, agent: CurrentAgent, events: Events) -> Handoff | None:
    """Take the next handoff you can serve (your teams and languages), or null if none waits."""
    handoff = queue.claim_next(session, agent.id)
    if handoff is not None:
        events.emit(about(Kind.HANDOFF_ASSIGNED, handoff))
    return handoff


def _attachments(session: DbSession, handoff_id: int) -> list[AttachmentOut]:
    """The handoff's photos as listed, without their bytes (only the one-photo route reads
    those): a chat with many photos opens as fast as one without."""
    rows = session.execute(
        select(Attachment.id, Attachment.message_id, Attachment.channel,
               Attachment.content_type, Attachment.error, Attachment.created_at,
               Attachment.data.is_not(None))
        .where(Attachment.handoff_id == handoff_id).order_by(Attachment.id))
    return [AttachmentOut(id=id_, handoff_id=handoff_id, message_id=message_id,
                          channel=channel, content_type=content_type,
                          state="ready" if ready else "failed" if error else "fetching",
                          url=f"/api/v1/handoffs/{handoff_id}/attachments/{id_}",
                          created_at=created_at)
            for id_, message_id, channel, content_type, error, created_at, ready in rows]


def _verified(session: DbSession, handoff: Handoff) -> list[IdentityOut]:
    rows = session.execute(
        select(ContactIdentity.kind, ContactIdentity.value)
        .join(Conversation, Conversation.contact_id == ContactIdentity.contact_id)
        .where(Conversation.id == handoff.conversation_pk)
        .order_by(ContactIdentity.id))
    return [IdentityOut(kind=kind, value=value) for kind, value in rows]


@routes.get("/{handoff_id}", response_model=HandoffDetail)
def get_handoff(handoff_id: RowId, session: DbSession, agent: CurrentAgent) -> HandoffDetail:
    handoff = _visible(session, handoff_id, agent)
    place = queue.standing(session, handoff)
    notes = session.scalars(select(Note).where(Note.handoff_id == handoff.id).order_by(Note.id))
    audit = session.scalars(select(AuditEvent).where(AuditEvent.handoff_id == handoff.id)
                            .order_by(AuditEvent.id))
    rating = session.scalars(select(Rating).where(Rating.handoff_id == handoff.id)).first()
    return HandoffDetail(
        **HandoffOut.model_validate(handoff).model_dump(),
        position=place.position,
        expected_wait_seconds=place.expected_wait_seconds,
        context=handoff.context,
        messages=[MessageOut.model_validate(m) for m in queue.messages_after(session, handoff.id)],
        notes=[NoteOut.model_validate(n) for n in notes],
        history=[HandoffOut.model_validate(h)
                 for h in queue.history(session, handoff, agent.team_ids)],
        audit=[AuditOut.model_validate(a) for a in audit],
        rating=RatingOut.model_validate(rating) if rating else None,
        attachments=_attachments(session, handoff.id),
        verified=_verified(session, handoff),
    )


@routes.get("/{handoff_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"image/*": {}}}})
def get_attachment(handoff_id: RowId, attachment_id: RowId, session: DbSession,
                   agent: CurrentAgent) -> Response:
    """A photo the customer sent, to agents of the handoff's team (404 otherwise)."""
    _visible(session, handoff_id, agent)
    attachment = session.scalars(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.handoff_id == handoff_id)).first()
    if attachment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such attachment in this handoff")
    if attachment.data is None:
        raise HTTPException(status.HTTP_409_CONFLICT, attachment.error or "not fetched yet")
    try:  # by its bytes again: a photo stored before they were checked may be anything
        media_type = media_fetch.image_type(attachment.data)
    except media_fetch.Refused as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, f"not fetched: {refused}") from None
    return Response(attachment.data, media_type=media_type,
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@routes.post("/{handoff_id}/claim", response_model=HandoffOut)
def claim(handoff_id: RowId, session: DbSession, agent: CurrentAgent, events: Events) -> Handoff:
    _visible(session, handoff_id, agent)
    handoff = queue.claim(session, handoff_id, agent.id)
    events.emit(about(Kind.HANDOFF_ASSIGNED, handoff))
    return handoff


@routes.get("/{handoff_id}/messages", response_model=list[MessageOut])
def list_messages(handoff_id: RowId, session: DbSession, agent: CurrentAgent,
                  after: int = Query(0, ge=0)) -> list[Message]:
    _visible(session, handoff_id, agent)
    return queue.messages_after(session, handoff_id, after)


@routes.post("/{handoff_id}/messages/{message_id}/flag", status_code=204)
def flag_message(handoff_id: RowId, message_id: RowId, session: DbSession,
                 agent: CurrentAgent) -> Response:
    """The bot should have understood this customer message: it goes to the trainers' inbox."""
    handoff = _visible(session, handoff_id, agent)
    message = session.get(Message, message_id)
    if message is None or message.handoff_id != handoff.id or message.sender != "customer":
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no customer message {message_id} in handoff {handoff_id}")
    inbox.flag(session, handoff, message)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@routes.post("/{handoff_id}/messages", response_model=MessageOut, status_code=201)
async def send_message(handoff_id: RowId, body: SendText, session: DbSession,
                       agent: CurrentAgent, outbox: OutboxDep) -> Message:
    """Store the agent's message, then deliver it; if Rasa is down it is retried, not lost."""
    message = await run_in_threadpool(_store_agent_message, session, handoff_id, agent,
                                      body.text)
    flushed = await outbox.flush(handoff_id)
    if message.id in flushed.delivered_at:
        message.delivered_at = flushed.delivered_at[message.id]
    else:  # not delivered yet, or by a flush running beside this one: the row says which
        await run_in_threadpool(_reload, session, message)
    return message


def _store_agent_message(session: DbSession, handoff_id: int, agent: Agent, text: str) -> Message:
    """Check and store in one worker-thread call and one transaction: the way to the customer
    is as short as it can be."""
    handoff = assigned_to(session, handoff_id, agent)
    return queue.add_agent_message(session, handoff, agent.id, text)


def _reload(session: DbSession, message: Message) -> None:
    session.refresh(message)
    session.commit()


@routes.post("/{handoff_id}/notes", response_model=NoteOut, status_code=201)
def add_note(handoff_id: RowId, body: SendText, session: DbSession, agent: CurrentAgent,
             events: Events) -> Note:
    """An internal note for colleagues; never shown to the customer."""
    handoff = _visible(session, handoff_id, agent)
    note = Note(handoff_id=handoff.id, agent_id=agent.id, text=body.text, created_at=time.time())
    session.add(note)
    session.commit()
    events.emit(Event(Kind.NOTE_CREATED, handoff.id, handoff.team_id, data={
        "note_id": note.id, "note": NoteOut.model_validate(note).model_dump(mode="json")}))
    return note


def _transfer(session: DbSession, handoff_id: int, body: Transfer, agent: Agent) -> Handoff:
    handoff = assigned_to(session, handoff_id, agent)
    actor = f"agent:{agent.id}"
    if body.agent_id is not None:
        target = session.get(Agent, body.agent_id)
        if target is None or handoff.team_id not in target.team_ids:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such agent in this team")
        return queue.transfer_to_agent(session, handoff, target.id, actor)
    # to a team that exists: only admins make teams (PUT /api/v1/teams/{name})
    team = session.scalars(select(Team).where(Team.name == body.team)).first()
    if team is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such team")
    return queue.transfer_to_team(session, handoff, team, actor)


@routes.post("/{handoff_id}/transfer", response_model=HandoffOut)
async def transfer(handoff_id: RowId, body: Transfer, session: DbSession, agent: CurrentAgent,
                   events: Events) -> Handoff:
    """To a colleague (who gets it at once) or to a team (whose queue it joins, keeping its age)."""
    moved = await run_in_threadpool(_transfer, session, handoff_id, body, agent)
    events.emit(about(Kind.HANDOFF_TRANSFERRED, moved))
    return moved


@routes.post("/{handoff_id}/release", response_model=HandoffOut)
def release(handoff_id: RowId, session: DbSession, agent: CurrentAgent,
            events: Events) -> Handoff:
    """Give the handoff back to the queue (it keeps its place)."""
    handoff = assigned_to(session, handoff_id, agent)
    queue.requeue(session, handoff, f"agent:{agent.id}", "released")
    events.emit(about(Kind.HANDOFF_RELEASED, handoff))
    return handoff


@routes.post("/{handoff_id}/abandon", response_model=HandoffOut)
def abandon(handoff_id: RowId, session: DbSession, agent: CurrentAgent,
            events: Events) -> Handoff:
    """Close a waiting handoff whose customer has left (or that is spam), without a reply."""
    handoff = _visible(session, handoff_id, agent)
    queue.abandon(session, handoff, f"agent:{agent.id}", "closed from the queue")
    events.emit(about(Kind.HANDOFF_ABANDONED, handoff))
    return handoff


@routes.post("/{handoff_id}/resolve", response_model=ResolvedOut)
async def resolve(handoff_id: RowId, session: DbSession, agent: CurrentAgent, events: Events,
                  outbox: OutboxDep, rasa: Rasa) -> ResolvedOut:
    """Hand the conversation back to the bot, which resumes with the slots it had. A customer
    whose platform refuses our messages (the bot blocked) does not stop it: the answer says
    which messages never reached them, and whether the bot's words after the handback did."""
    handoff = await run_in_threadpool(assigned_to, session, handoff_id, agent)
    await run_in_threadpool(session.commit)  # no connection held while Rasa is awaited
    if handoff.status != Status.ASSIGNED:
        raise queue.HandoffConflict(f"cannot resolve a handoff that is {handoff.status}")
    if not (await outbox.flush(handoff_id)).complete:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Rasa has not taken earlier messages yet")
    try:
        if handoff.channel == WEB_CHANNEL:
            await rasa.send_bot_message(
                handoff.conversation_id, None, {META_HANDOFF_STATUS: "resolved"},
                widget_custom(handoff=widget_status(
                    reference=handoff.reference, status="resolved", availability=None,
                    position=None, expected_wait_seconds=None, agent=None)))
        await rasa.hand_back(handoff.conversation_id)  # resumes the bot, then its words
        handback_delivered = True
    except PlatformFailed:  # the bot has resumed; only its words did not reach the customer
        handback_delivered = False
    except RasaUnavailable as error:
        raise rasa_failed(error) from None
    resolved = await run_in_threadpool(queue.resolve, session, handoff, f"agent:{agent.id}")
    events.emit(about(Kind.HANDOFF_RESOLVED, resolved))
    undeliverable = await run_in_threadpool(_undeliverable_ids, session, handoff_id)
    return ResolvedOut(**HandoffOut.model_validate(resolved).model_dump(),
                       undeliverable_message_ids=undeliverable,
                       handback_delivered=handback_delivered)


def _undeliverable_ids(session: DbSession, handoff_id: int) -> list[int]:
    ids = list(session.scalars(select(Message.id).where(
        Message.handoff_id == handoff_id, Message.undeliverable_reason.is_not(None))
        .order_by(Message.id)))
    session.commit()
    return ids

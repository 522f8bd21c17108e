"""What the action server asks of the service: file a handoff, its status, the customer's rating.

Authenticated with the action server's secret. The conversation id is the one Rasa gives the
customer's own conversation, so a customer can only ever reach their own handoffs through the bot.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from common.protocol import WEB_CHANNEL
from handoff import attachments, contacts, moves, queue
from handoff.availability import team_availability
from handoff.contract import HandoffContext
from handoff.dependencies import AppSettings, Consumer, DbSession, Events, action_server
from handoff.events import Kind, about
from handoff.models import Agent, Handoff, Rating, Team
from handoff.schemas import Arrival, CustomerStatus, RatingIn, RatingOut, Ticket, Welcome
from handoff.states import Status

routes = APIRouter(prefix="/api/v1", tags=["bot"], dependencies=[Depends(action_server)])


def _well_formed(context: HandoffContext | Arrival) -> None:
    """400 for a malformed signature, before anything is stored (the action server's outbox
    sets a 4xx aside and goes on with the escalations behind it)."""
    try:
        contacts.check_form(context.signed_identity)
    except contacts.MalformedSignature as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None



@routes.post("/handoffs", response_model=Ticket)
def create_handoff(context: HandoffContext, session: DbSession, settings: AppSettings,
                   events: Events, consumer: Consumer) -> Ticket:
    """Queue a handoff. Asking again while one is open returns the open one; filing a reference
    again returns what it filed. One filed late (the service was down when the customer asked)
    gets the messages the customer wrote since, and the customer is told where it stands."""
    _well_formed(context)
    handoff, created = queue.create_handoff(session, context, settings.default_team,
                                           settings.widget_identity_secret,
                                           attachments.Limits.of(settings))
    if created and context.escalated_at is not None:
        for item in consumer.catch_up(handoff.id):  # recorded here: tell the agents
            events.emit(item.event())
    team = session.get(Team, handoff.team_id)
    place = queue.standing(session, handoff)
    availability, opens_at = team_availability(team, place.agents_online)
    if created:
        handoff.notified_position, handoff.notified_at = place.position, time.time()
        session.commit()
        events.emit(about(Kind.HANDOFF_CREATED, handoff,
                          conversation_id=handoff.conversation_id, delayed=context.delayed))
    return Ticket(id=handoff.id, reference=handoff.reference, status=handoff.status,
                  team=team.name, position=place.position,
                  expected_wait_seconds=place.expected_wait_seconds, availability=availability,
                  opens_at=opens_at,
                  created=created)


def _latest(session: DbSession, conversation_id: str) -> Handoff:
    handoff = session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id)
                              .order_by(Handoff.id.desc())).first()
    if handoff is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this conversation has no handoff")
    return handoff


@routes.get("/conversations/{conversation_id}/handoff", response_model=CustomerStatus)
def conversation_status(conversation_id: str, session: DbSession) -> CustomerStatus:
    handoff = _latest(session, conversation_id)
    place = queue.standing(session, handoff)
    agent = session.get(Agent, handoff.agent_id) if handoff.agent_id else None
    return CustomerStatus(reference=handoff.reference, status=handoff.status,
                          position=place.position,
                          expected_wait_seconds=place.expected_wait_seconds,
                          agent_name=agent.name if agent else None)


@routes.post("/conversations/{conversation_id}/rating", response_model=RatingOut, status_code=201)
def rate(conversation_id: str, body: RatingIn, session: DbSession, events: Events) -> Rating:
    """The customer's rating of their latest resolved handoff; it can be given once."""
    handoff = _latest(session, conversation_id)
    if handoff.status != Status.RESOLVED:
        raise HTTPException(status.HTTP_409_CONFLICT, "the latest handoff is not resolved")
    rating = Rating(handoff_id=handoff.id, score=body.score, comment=body.comment,
                    created_at=time.time())
    session.add(rating)
    try:
        session.commit()
    except IntegrityError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, "this handoff is rated already") from error
    events.emit(about(Kind.HANDOFF_RATED, handoff, score=body.score,
                      rating=RatingOut.model_validate(rating).model_dump(mode="json")))
    return rating


@routes.post("/conversations/{conversation_id}/arrival", response_model=Welcome)
def arrival(conversation_id: str, body: Arrival, session: DbSession,
            settings: AppSettings) -> Welcome:
    """A conversation (or a new session of one) starts: link it to the person its verified
    identities name, and say what the bot should pick up (handoff/moves.py). An anonymous web
    visitor is linked to nobody (and stored nowhere): only their own conversation is looked up,
    so that a session that expires while they wait keeps the bot paused."""
    _well_formed(body)
    if body.channel == WEB_CHANNEL and body.signed_identity is None and not body.verified:
        return moves.look_up(session, conversation_id, body.channel)
    keys = contacts.identities(conversation_id, body.channel, body.verified,
                               body.signed_identity, settings.widget_identity_secret)
    welcome = moves.arrive(session, conversation_id, body.channel, keys)
    session.commit()
    return welcome

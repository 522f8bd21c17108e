"""Queue operations on handoffs. Every status change is checked by the state machine, made with a
conditional UPDATE (so concurrent callers cannot both win), and written to the audit trail."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.protocol import new_reference
from handoff import attachments, routing_policy
from handoff.contacts import conversation_for
from handoff.contract import HandoffContext
from handoff.models import Agent, AuditEvent, Conversation, Handoff, Message, Team
from handoff.roles import HANDLES_CHATS
from handoff.states import OPEN, WAITING, IllegalTransition, Status, ensure_transition, sources_of

PRIORITY_BY_REASON = {"frustration": 2, "business_rule": 1}
HISTORY_LIMIT = 20


class HandoffConflict(Exception):
    """The handoff is not in a state that allows the operation (e.g. already claimed)."""


class AtCapacity(HandoffConflict):
    """The agent already has as many chats as their capacity allows."""


def _audit(session: Session, handoff_id: int, old: str | None, new: str, actor: str,
           agent_id: int | None = None, detail: str = "") -> None:
    session.add(AuditEvent(handoff_id=handoff_id, from_status=old, to_status=new, actor=actor,
                           agent_id=agent_id, detail=detail[:500], created_at=time.time()))


def team_named(session: Session, name: str) -> Team:
    """The team of that name, created on first use (teams can be configured later)."""
    team = session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name, timezone="UTC")
        session.add(team)
        session.flush()
    return team


# How late a handoff filed after an outage may date back.
MAX_LATE_SECONDS = 7 * 24 * 3600


def open_handoff_for(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalars(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id,
               Handoff.status.in_([str(s) for s in OPEN]))
        .order_by(Handoff.id.desc())
    ).first()


def create_handoff(session: Session, context: HandoffContext, default_team: str,
                   identity_secret: str | None = None,
                   photo_limits: attachments.Limits = attachments.DEFAULT_LIMITS,
                   ) -> tuple[Handoff, bool]:
    """Queue a handoff, or return the one its reference filed before (a retry) or the
    conversation's open one. The flag says whether it is new. A handoff filed late, after the
    service was down, is as old as the customer's request (at most MAX_LATE_SECONDS)."""
    existing = filed_before(session, context) or open_handoff_for(session, context.conversation_id)
    if existing is not None:
        return existing, False
    now = time.time()
    created_at = now if context.escalated_at is None else min(
        now, max(context.escalated_at, now - MAX_LATE_SECONDS))
    try:
        conversation = conversation_for(session, context, identity_secret)
        team = team_named(session, context.team or default_team)
        handoff = Handoff(
            reference=context.reference or new_reference(),
            conversation_pk=conversation.id,
            conversation_id=context.conversation_id,
            channel=context.channel,
            language=context.language,
            reason=context.reason,
            summary=context.summary,
            context=context.model_dump(mode="json"),
            team_id=team.id,
            priority=max(context.priority, PRIORITY_BY_REASON.get(context.reason, 0)),
            status=Status.QUEUED,
            created_at=created_at,
        )
        session.add(handoff)
        session.flush()
        attachments.record(session, handoff, [item.model_dump() for item in context.attachments],
                           photo_limits)
        _audit(session, handoff.id, None, Status.QUEUED, "action-server", detail=context.reason)
        session.commit()
    except IntegrityError:  # a concurrent escalation of the same conversation or contact won
        session.rollback()
        existing = filed_before(session, context) or open_handoff_for(session,
                                                                      context.conversation_id)
        if existing is None:
            raise
        return existing, False
    return handoff, True


def filed_before(session: Session, context: HandoffContext) -> Handoff | None:
    """The handoff this context's reference filed already; another conversation's is a clash."""
    if context.reference is None:
        return None
    handoff = session.scalars(select(Handoff).where(Handoff.reference == context.reference)).first()
    if handoff is not None and handoff.conversation_id != context.conversation_id:
        raise HandoffConflict(f"reference {context.reference} belongs to another conversation")
    return handoff


def waiting_view(handoff: Handoff) -> routing_policy.Waiting:
    return routing_policy.Waiting(handoff.id, handoff.team_id, handoff.language, handoff.priority,
                           handoff.created_at)


def waiting_handoffs(session: Session, team_id: int | None = None,
                     language: str | None = None) -> list[routing_policy.Waiting]:
    query = select(Handoff.id, Handoff.team_id, Handoff.language, Handoff.priority,
                   Handoff.created_at).where(Handoff.status.in_([str(s) for s in WAITING]))
    if team_id is not None:
        query = query.where(Handoff.team_id == team_id)
    if language is not None:
        query = query.where(Handoff.language == language)
    return [routing_policy.Waiting(*row) for row in session.execute(query)]


def agent_loads(session: Session, now: float | None = None) -> list[routing_policy.AgentLoad]:
    """Every active account that handles chats, with its teams, languages and how many chats it
    has now."""
    active = dict(session.execute(
        select(Handoff.agent_id, func.count())
        .where(Handoff.status == Status.ASSIGNED, Handoff.agent_id.is_not(None))
        .group_by(Handoff.agent_id)
    ).all())
    return [
        routing_policy.AgentLoad(
            id=agent.id, team_ids=frozenset(agent.team_ids), languages=frozenset(agent.languages),
            capacity=agent.capacity, active=active.get(agent.id, 0),
            online=agent.presence == "online", idle_since=agent.last_seen_at,
        )
        for agent in session.scalars(select(Agent).where(
            Agent.active, Agent.role.in_([str(role) for role in HANDLES_CHATS])))
    ]


def recent_handle_seconds(session: Session, team_id: int, limit: int = 50) -> list[float]:
    rows = session.execute(
        select(Handoff.assigned_at, Handoff.resolved_at)
        .where(Handoff.team_id == team_id, Handoff.status == Status.RESOLVED,
               Handoff.assigned_at.is_not(None))
        .order_by(Handoff.resolved_at.desc()).limit(limit)
    ).all()
    return [resolved - assigned for assigned, resolved in rows if resolved and assigned]


@dataclass(frozen=True)
class Standing:
    """Where a waiting customer stands."""

    position: int
    expected_wait_seconds: float | None
    agents_online: int


def standing(session: Session, handoff: Handoff) -> Standing:
    if handoff.status not in WAITING:
        return Standing(0, None, 0)
    item = waiting_view(handoff)
    position = routing_policy.position_in_queue(
        item, waiting_handoffs(session, handoff.team_id, handoff.language))
    serving = [agent for agent in agent_loads(session)
               if agent.online and item.team_id in agent.team_ids
               and item.language in agent.languages]
    wait = routing_policy.expected_wait_seconds(
        position, recent_handle_seconds(session, handoff.team_id),
        sum(agent.capacity for agent in serving),
    ) if serving else None
    return Standing(position, wait, len(serving))


def _lock_agent(session: Session, agent_id: int) -> Agent:
    """Serialise one agent's claims (row lock on PostgreSQL; SQLite has one writer anyway). A
    deactivated account, or one that does not handle chats, takes none."""
    agent = session.scalars(select(Agent).where(Agent.id == agent_id).with_for_update()).first()
    if agent is None:
        raise HandoffConflict(f"no agent {agent_id}")
    if not agent.active or agent.role not in HANDLES_CHATS:
        raise HandoffConflict(f"agent {agent_id} takes no chats")
    return agent


def _assign(session: Session, handoff_id: int, old: str | None, agent: Agent, actor: str,
            detail: str = "") -> Handoff:
    """Inside an open transaction: waiting -> assigned, or raise; the caller commits.

    The UPDATE is conditional on the handoff still waiting, so of concurrent claims one wins;
    the capacity is checked after it, so it holds on SQLite too, where rows are not locked.
    """
    handoff = session.scalars(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status.in_(sources_of(Status.ASSIGNED)))
        .values(status=Status.ASSIGNED, agent_id=agent.id, assigned_at=time.time(),
                first_response_at=None)
        .returning(Handoff),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).first()
    if handoff is None:
        raise HandoffConflict("handoff is not waiting (already claimed, or closed)")
    active = session.scalar(select(func.count()).select_from(Handoff).where(
        Handoff.agent_id == agent.id, Handoff.status == Status.ASSIGNED))
    if active > agent.capacity:
        raise AtCapacity(f"agent already has {agent.capacity} chats")
    _audit(session, handoff_id, old, Status.ASSIGNED, actor, agent.id, detail)
    return handoff


def claim(session: Session, handoff_id: int, agent_id: int, actor: str | None = None) -> Handoff:
    """Assign a waiting handoff to the agent; of concurrent claims exactly one wins."""
    try:
        agent = _lock_agent(session, agent_id)
        old = session.scalar(select(Handoff.status).where(Handoff.id == handoff_id))
        handoff = _assign(session, handoff_id, old, agent, actor or f"agent:{agent_id}")
        session.commit()
    except HandoffConflict:
        session.rollback()
        raise
    return handoff


def claim_next(session: Session, agent_id: int, attempts: int = 5) -> Handoff | None:
    """Take the first waiting handoff the agent may serve, skipping rows others hold locked.

    Where the database cannot skip locked rows (SQLite), two agents may pick the same handoff;
    the loser tries the next one, up to `attempts` times.
    """
    for _ in range(attempts - 1):
        try:
            return _claim_next_once(session, agent_id)
        except AtCapacity:
            raise
        except HandoffConflict:
            continue
    return _claim_next_once(session, agent_id)


def _claim_next_once(session: Session, agent_id: int) -> Handoff | None:
    try:
        agent = _lock_agent(session, agent_id)
        row = session.execute(
            select(Handoff.id, Handoff.status)
            .where(Handoff.status.in_(sources_of(Status.ASSIGNED)),
                   Handoff.team_id.in_(agent.team_ids),
                   Handoff.language.in_(agent.languages))
            .order_by(Handoff.priority.desc(), Handoff.created_at, Handoff.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            session.rollback()
            return None
        handoff = _assign(session, row.id, row.status, agent, f"agent:{agent_id}", "next")
        session.commit()
    except HandoffConflict:
        session.rollback()
        raise
    return handoff


def _move(session: Session, handoff: Handoff, new: Status, actor: str, detail: str = "",
          **values: object) -> Handoff:
    """A checked, conditional status change of one handoff, audited and committed."""
    old, agent_id = handoff.status, handoff.agent_id
    try:
        ensure_transition(old, new)
    except IllegalTransition as error:
        raise HandoffConflict(str(error)) from error
    result = session.execute(
        update(Handoff).where(Handoff.id == handoff.id, Handoff.status == old)
        .values(status=new, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise HandoffConflict("the handoff changed meanwhile; reload it")
    _audit(session, handoff.id, old, new, actor, agent_id, detail)
    session.commit()
    session.refresh(handoff)
    return handoff


def requeue(session: Session, handoff: Handoff, actor: str, detail: str) -> Handoff:
    """Back to the queue, keeping its place (created_at) so the customer is not penalised."""
    return _move(session, handoff, Status.QUEUED, actor, detail, agent_id=None, assigned_at=None)


def transfer_to_team(session: Session, handoff: Handoff, team: Team, actor: str) -> Handoff:
    return _move(session, handoff, Status.TRANSFERRED, actor, f"to team {team.name}",
                 team_id=team.id, agent_id=None, assigned_at=None)


def transfer_to_agent(session: Session, handoff: Handoff, target_id: int, actor: str) -> Handoff:
    """assigned -> transferred -> assigned to the target, in one transaction."""
    try:
        ensure_transition(handoff.status, Status.TRANSFERRED)
        target = _lock_agent(session, target_id)
        result = session.execute(
            update(Handoff).where(Handoff.id == handoff.id, Handoff.status == Status.ASSIGNED)
            .values(status=Status.TRANSFERRED, agent_id=None))
        if result.rowcount != 1:
            raise HandoffConflict("the handoff changed meanwhile; reload it")
        _audit(session, handoff.id, Status.ASSIGNED, Status.TRANSFERRED, actor, handoff.agent_id,
               f"to agent {target_id}")
        moved = _assign(session, handoff.id, Status.TRANSFERRED, target, actor, "transfer")
        session.commit()
    except (HandoffConflict, IllegalTransition) as error:
        session.rollback()
        raise HandoffConflict(str(error)) from error
    return moved


def resolve(session: Session, handoff: Handoff, actor: str) -> Handoff:
    return _move(session, handoff, Status.RESOLVED, actor, resolved_at=time.time())


def abandon(session: Session, handoff: Handoff, actor: str, detail: str) -> Handoff:
    return _move(session, handoff, Status.ABANDONED, actor, detail, resolved_at=time.time())


def add_agent_message(session: Session, handoff: Handoff, agent_id: int, text: str) -> Message:
    if handoff.status != Status.ASSIGNED:
        raise HandoffConflict(f"cannot send to a handoff that is {handoff.status}")
    now = time.time()
    message = Message(handoff_id=handoff.id, sender="agent", text=text, agent_id=agent_id,
                      created_at=now)
    session.add(message)
    if handoff.first_response_at is None:
        handoff.first_response_at = now
    session.commit()
    return message


def messages_after(session: Session, handoff_id: int, after_id: int = 0) -> list[Message]:
    return list(session.scalars(
        select(Message)
        .where(Message.handoff_id == handoff_id, Message.id > after_id)
        .order_by(Message.id)
    ))


def history(session: Session, handoff: Handoff, team_ids: Collection[int]) -> list[Handoff]:
    """The same person's other handoffs, on any channel, newest first: those of `team_ids`
    only (the reader's teams), as every other handoff is out of sight of other teams."""
    contact_id = session.scalar(
        select(Conversation.contact_id).where(Conversation.id == handoff.conversation_pk))
    return list(session.scalars(
        select(Handoff)
        .join(Conversation, Conversation.id == Handoff.conversation_pk)
        .where(Conversation.contact_id == contact_id, Handoff.id != handoff.id,
               Handoff.team_id.in_(list(team_ids)))
        .order_by(Handoff.created_at.desc()).limit(HISTORY_LIMIT)
    ))

"""The roles of the people who sign in, and what each may do.

Admins, supervisors and agents handle chats (a small team's admin is also one of its agents);
trainers edit the bot's NLU data and never see chats. Only admins manage accounts and teams.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    TRAINER = "trainer"


# Who gets chats assigned and may read and answer them.
HANDLES_CHATS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT})

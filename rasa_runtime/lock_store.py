"""A conversation lock in Redis that several Rasa replicas can share.

Rasa 3.6's `RedisLockStore` keeps each conversation's ticket lock as one JSON value that every
step reads, changes and writes back. Two replicas doing that at once lose each other's writes: a
released ticket comes back to life and the next request waits for it to expire (60 s; seen in
tests/e2e/test_scaled.py as agents' messages delivered late, then again by the retries), or two
requests draw the same ticket and run at once. Here each step is one atomic Redis operation:

- a ticket is `INCR` of the conversation's counter, queued in a sorted set by its number, in
  one step (a Lua script);
- the request whose ticket is the lowest in the queue goes; the others poll every
  `poll_seconds` (0.02, as `rasa_runtime/fixes/lock_poll.py` for one replica);
- a ticket lives in its own key for `ticket_seconds` (10), renewed every third of that while
  its request waits or runs, so a replica that dies holding one (`kill -9`) stalls its
  conversation for at most that long, not for Rasa's 60 s;
- releasing removes the ticket from the queue and its key.

`endpoints.scaled.yml` names it: `type: rasa_runtime.lock_store.AtomicRedisLockStore`, with
`url`, `port`, `db` and `key_prefix` as Rasa's `redis` lock store takes them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore
from rasa.utils.endpoints import EndpointConfig

# Keys of a conversation with no request left expire after this long.
IDLE_SECONDS = 24 * 3600
# A ticket drawn and queued in one step: drawn first and queued after, a later ticket could be
# queued in between, find no lower one and go in beside it.
ISSUE = """
local ticket = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[3] .. ticket, 1, 'PX', ARGV[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return ticket
"""


class AtomicRedisLockStore(LockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, *,
                 client: redis.Redis | None = None, key_prefix: str = "",
                 poll_seconds: float = 0.02, ticket_seconds: float = 10.0) -> None:
        settings: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.red = client or redis.Redis(
            host=(endpoint_config.url if endpoint_config else None) or "localhost",
            port=int(settings.get("port", 6379)), db=int(settings.get("db", 1)),
            password=settings.get("password"), socket_timeout=10)
        self.prefix = f"{settings.get('key_prefix', key_prefix)}:conversation-lock:"
        self.poll_seconds = float(settings.get("poll_seconds", poll_seconds))
        self.ticket_seconds = float(settings.get("ticket_seconds", ticket_seconds))
        self._issue_script = self.red.register_script(ISSUE)
        super().__init__()

    def _keys(self, conversation_id: str) -> tuple[str, str]:
        base = self.prefix + conversation_id
        return f"{base}:next", f"{base}:queue"

    def _tickets(self, conversation_id: str) -> str:
        """What each ticket's key starts with; the ticket's number ends it."""
        return f"{self.prefix}{conversation_id}:ticket:"

    def _ticket_key(self, conversation_id: str, ticket: int) -> str:
        return f"{self._tickets(conversation_id)}{ticket}"

    def _issue(self, conversation_id: str) -> int:
        counter, queue = self._keys(conversation_id)
        return int(self._issue_script(
            keys=[counter, queue, self._tickets(conversation_id)],
            args=[int(self.ticket_seconds * 1000), IDLE_SECONDS]))

    def _first_live(self, conversation_id: str) -> int | None:
        """The lowest ticket still alive; tickets whose key expired leave the queue."""
        _, queue = self._keys(conversation_id)
        while first := self.red.zrange(queue, 0, 0):
            ticket = int(first[0])
            if self.red.exists(self._ticket_key(conversation_id, ticket)):
                return ticket
            self.red.zrem(queue, str(ticket))  # its replica died holding or awaiting it
        return None

    def _release(self, conversation_id: str, ticket: int) -> None:
        _, queue = self._keys(conversation_id)
        with self.red.pipeline() as pipe:
            pipe.zrem(queue, str(ticket))
            pipe.delete(self._ticket_key(conversation_id, ticket))
            pipe.execute()

    async def _renew(self, conversation_id: str, ticket: int) -> None:
        key = self._ticket_key(conversation_id, ticket)
        while True:
            await asyncio.sleep(self.ticket_seconds / 3)
            self.red.pexpire(key, int(self.ticket_seconds * 1000))

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Wait for this request's turn in the conversation, then hold it until the block
        ends. (`lock_lifetime` is Rasa's; tickets here live while their request does.)"""
        ticket = self._issue(conversation_id)
        renewing = asyncio.create_task(self._renew(conversation_id, ticket))
        try:
            wait = min(wait_time_in_seconds, self.poll_seconds)
            while (first := self._first_live(conversation_id)) is not None and first < ticket:
                await asyncio.sleep(wait)
            yield TicketLock(conversation_id)
        finally:
            renewing.cancel()
            self._release(conversation_id, ticket)

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return bool(self.red.zcard(self._keys(conversation_id)[1]))

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """Rasa's interface; the state is in the queue, not in one lock value."""
        return None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        """Rasa's interface; nothing is kept as one lock value."""

"""Sign-in attempts limited per account and per address, with waits that grow (`limits`).

Failures count, in moving windows of growing length: past 5 failures in a minute an account
waits out the minute, past 10 in ten minutes the ten minutes, and so on up to a day. An account's
attempt is counted before its password is checked (`attempt`), in one atomic step of the storage,
so guesses sent in parallel cannot all pass the check before any of them is counted; a success
clears the account's count. An address counts its failures only (`failed`), since `limits` cannot
take a success's count back and a team behind one address signs in many times a day. The storage
is in-process by default; several replicas share one through a `limits` storage URI
(redis://...).
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse_many, storage, strategies

ACCOUNT = "sign-in-account"
ADDRESS = "sign-in-address"


class SignInLimiter:
    def __init__(self, per_account: str, per_address: str, storage_uri: str) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(storage_uri))
        self._limits = {ACCOUNT: parse_many(per_account), ADDRESS: parse_many(per_address)}

    def _keys(self, account: str | None, address: str) -> list[tuple[str, str]]:
        keys = [(ADDRESS, address)]
        if account:
            keys.append((ACCOUNT, account.lower()))
        return keys

    def retry_after(self, account: str | None, address: str) -> int | None:
        """Seconds to wait before the next attempt, or None if it may be tried now."""
        waits = [self._wait(item, kind, key) for kind, key in self._keys(account, address)
                 for item in self._limits[kind] if not self._limiter.test(item, kind, key)]
        return max(waits) if waits else None

    def _wait(self, item: RateLimitItem, kind: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, kind, key).reset_time
        return max(1, int(reset - time.time() + 0.999))

    def attempt(self, account: str | None, address: str) -> int | None:
        """Count an attempt on `account` before its password is checked: the seconds to wait,
        or None if it may go on."""
        if (wait := self.retry_after(account, address)) is not None:
            return wait
        if account:
            for item in self._limits[ACCOUNT]:
                if not self._limiter.hit(item, ACCOUNT, account.lower()):
                    return self._wait(item, ACCOUNT, account.lower())
        return None

    def failed(self, address: str) -> None:
        """Count a failure of `address` (its account's attempt was counted by `attempt`)."""
        for item in self._limits[ADDRESS]:
            self._limiter.hit(item, ADDRESS, address)

    def succeeded(self, account: str) -> None:
        for item in self._limits[ACCOUNT]:
            self._limiter.clear(item, ACCOUNT, account.lower())

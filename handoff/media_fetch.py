"""One GET of a customer's photo that the customer cannot aim anywhere else: only a platform's
own hosts, every address checked after resolution and then connected to as checked (no second
lookup to rebind), each redirect checked the same way, credentials only to the platform's API
origin, and only raster images, told by their bytes. Every refusal is a short text with no URL
and no secret in it, fit to show agents."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    """Why a photo was not fetched, in words safe to show agents (no URL, no secret)."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> Origin:
        scheme = url.scheme.lower()
        return cls(scheme, url.host.lower().rstrip("."), url.port or DEFAULT_PORTS.get(scheme, 0))


@dataclass(frozen=True)
class HostPolicy:
    """Where one platform's photos may come from: its configured base URLs (as configured:
    scheme, host and port), and https on port 443 to `hosts` ("name" or "*.domain")."""

    base: frozenset[Origin]
    hosts: tuple[str, ...] = ()
    private_hosts: frozenset[str] = frozenset()  # base URL hosts allowed private addresses

    def allows(self, origin: Origin) -> bool:
        if origin in self.base:
            return True
        return origin.scheme == "https" and origin.port == 443 and any(
            origin.host == pattern or (pattern.startswith("*.") and
                                       origin.host.endswith(pattern[1:]))
            for pattern in self.hosts)

    def private_allowed(self, origin: Origin) -> bool:
        return origin in self.base and origin.host in self.private_hosts


def policy(base_urls: Iterable[str], hosts: str = "", private_hosts: str = "") -> HostPolicy:
    """A policy from settings: base URLs, and comma-separated host patterns and names."""
    return HostPolicy(frozenset(Origin.of(httpx.URL(url)) for url in base_urls),
                      tuple(_names(hosts)), frozenset(_names(private_hosts)))


def _names(listed: str) -> list[str]:
    return [name.strip().lower().rstrip(".") for name in listed.split(",") if name.strip()]


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials, sent only to `origin` (never to where it redirects)."""

    origin: Origin
    username: str
    password: str


def public(address: str) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local,
    multicast, reserved, unspecified or shared; IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has, looked up once: the one connected to is one of these."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _address(origin: Origin, private_ok: bool) -> str:
    try:
        addresses = await resolve(origin.host, origin.port)
    except OSError:
        raise Refused("host not found") from None
    if not addresses:
        raise Refused("host not found")
    if not private_ok and not all(public(address) for address in addresses):
        raise Refused("address not allowed")
    return addresses[0]


def parse(url: str | httpx.URL, base: httpx.URL | None = None) -> httpx.URL:
    """`url` (relative to `base`, a redirect's) if it is http(s) with a host and no user info."""
    try:
        parsed = base.join(url) if base is not None else httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise Refused("not a valid address") from None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host or parsed.userinfo:
        raise Refused("not a valid address")
    return parsed


async def download(client: httpx.AsyncClient, url: str | httpx.URL, allowed: HostPolicy,
                   max_bytes: int, credentials: Credentials | None = None) -> bytes:
    """The body of a GET of `url` after at most MAX_REDIRECTS redirects, each checked."""
    target = parse(url)
    for _ in range(MAX_REDIRECTS + 1):
        origin = Origin.of(target)
        if not allowed.allows(origin):
            raise Refused("host not allowed")
        address = await _address(origin, allowed.private_allowed(origin))
        auth = (credentials.username, credentials.password) \
            if credentials is not None and credentials.origin == origin else None
        extensions = {"sni_hostname": origin.host} if origin.scheme == "https" else {}
        request = client.build_request(
            "GET", target.copy_with(host=address), extensions=extensions,
            headers={"Host": target.netloc.decode("ascii"), "Accept-Encoding": "identity"})
        reply = await client.send(request, stream=True, auth=auth, follow_redirects=False)
        try:
            if reply.status_code in REDIRECTS:
                target = parse(reply.headers.get("location", ""), target)
                continue
            if reply.status_code != 200:
                raise Refused("the platform did not give it")
            return await _body(reply, max_bytes)
        finally:
            await reply.aclose()
    raise Refused("too many redirects")


async def _body(reply: httpx.Response, max_bytes: int) -> bytes:
    declared = reply.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused("too large")
    data = bytearray()
    async for chunk in reply.aiter_raw():  # as sent: nothing decompressed past the limit
        data += chunk
        if len(data) > max_bytes:
            raise Refused("too large")
    return bytes(data)


def image_type(data: bytes) -> str:
    """The content type of a JPEG, PNG, GIF or WebP image, told by its first bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise Refused("not an image")


def client() -> httpx.AsyncClient:
    """An HTTP client for download(): no redirects of its own, no proxy from the environment
    (it would connect for us, unchecked), no connection reused across hosts."""
    return httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_keepalive_connections=0))

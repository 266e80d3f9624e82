"""Who is asking: the client's address behind trusted proxies, and the keyed hashes that stand for it.

Production sits behind a TLS proxy, so ``REMOTE_ADDR`` is the proxy's address and the reader's is
in ``X-Forwarded-For``. Anyone can send that header, so it is read only when ``REMOTE_ADDR`` is a
trusted proxy, and only from the right: each proxy appends the address it saw, so the rightmost hop
that is not one of our proxies is the client (everything left of it is the client's own claim).

Privacy: no address is stored. Clicks, page views and reservations store an HMAC of it keyed with
``KOLSHOP_VISITOR_HASH_SECRET`` and the UTC day, so a reader can't be followed from one day to the
next. A rolling window that crosses midnight matches both today's and yesterday's hash.
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.http import HttpRequest
from django.utils import timezone

from shop.cached_settings import cached_setting

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class VisitorKey:
    """One visitor's hash under today's key and yesterday's, and a name for locks (never stored)."""

    current: str
    previous: str
    lock_name: str

    @property
    def candidates(self) -> tuple[str, str]:
        """Every hash this visitor may have been stored under within the last day."""
        return (self.current, self.previous)


def _parse_ip(raw: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:203.0.113.7 is 203.0.113.7
    return mapped or address


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _is_trusted_proxy(address: IPAddress, networks: tuple, count: int) -> bool:
    if networks:
        return any(address in network for network in networks)
    return count > 0


# Addresses parsed and proxy networks walked once per (REMOTE_ADDR, X-Forwarded-For, settings) seen lately: a reader's
# follows, a proxy's hops repeat. Longer inputs (no proxy chain this long is real) are worked out afresh, uncached,
# so a client sending a new long header each time fills the cache with no more than this many short entries.
_CACHED_INPUT_CHARS = 256


def client_ip(request: HttpRequest) -> str:
    """The client's address: the rightmost X-Forwarded-For hop our proxies did not add, else REMOTE_ADDR.

    The header is ignored unless REMOTE_ADDR is a trusted proxy. From the right, each hop a trusted
    proxy appended is passed over; the walk stops at the first hop outside KOLSHOP_TRUSTED_PROXIES,
    after KOLSHOP_TRUSTED_PROXY_COUNT hops, or before a hop that is not an IP address. "" when even
    REMOTE_ADDR is not an address (a Unix socket with no proxy header).
    """
    remote, forwarded = request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies, count = tuple(cached_setting("KOLSHOP_TRUSTED_PROXIES")), cached_setting("KOLSHOP_TRUSTED_PROXY_COUNT")
    if len(remote) + len(forwarded) <= _CACHED_INPUT_CHARS:
        return _client_ip_seen(remote, forwarded, proxies, count)
    return _client_ip(remote, forwarded, proxies, count)


def _client_ip(remote_addr: str, forwarded: str, proxies: tuple[str, ...], count: int) -> str:
    remote = _parse_ip(remote_addr)
    if remote is None:
        return ""
    networks = _networks(proxies)
    if not _is_trusted_proxy(remote, networks, count):
        return str(remote)
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    client = remote
    for passed, hop in enumerate(reversed(hops), start=1):
        address = _parse_ip(hop)
        if address is None:
            break
        client = address
        if count and passed >= count:
            break
        if networks and not any(address in network for network in networks):
            break
    return str(client)


_client_ip_seen = lru_cache(maxsize=4096)(_client_ip)


@lru_cache(maxsize=4096)  # called with client_ip's answers (an address, "")
def client_subnet(ip: str) -> str:
    """What abuse limits count per: the address, or its /64 for IPv6 (one home or phone holds a whole /64)."""
    address = _parse_ip(ip)
    if address is None:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


@lru_cache(maxsize=4)
def _keyed_with(secret: str) -> "hmac.HMAC":
    """An HMAC-SHA256 keyed with ``secret`` and nothing hashed yet: each hash copies it (the key's two padded
    blocks hashed once per secret, not three times per follow)."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def _keyed_hash(*parts: str) -> str:
    keyed = _keyed_with(cached_setting("KOLSHOP_VISITOR_HASH_SECRET") or cached_setting("SECRET_KEY")).copy()
    keyed.update("|".join(parts).encode())
    return keyed.hexdigest()


def keyed_identity(*, purpose: str, parts: tuple[str, ...], now: datetime) -> VisitorKey:
    day = now.date()
    return VisitorKey(
        current=_keyed_hash(f"kolshop.{purpose}.v2", day.isoformat(), *parts),
        previous=_keyed_hash(f"kolshop.{purpose}.v2", (day - timedelta(days=1)).isoformat(), *parts),
        lock_name=_keyed_hash(f"kolshop.{purpose}.lock", *parts),
    )


def visitor_key(*, ip: str, user_agent: str, now: datetime) -> VisitorKey:
    """A reader, for counting clicks and page views once: their address and browser, never stored raw.

    Readers behind one address (an office, a carrier NAT) with different browsers count apart.
    """
    return keyed_identity(purpose="visitor", parts=(ip, user_agent[:512]), now=now)


def client_key(*, ip: str, now: datetime) -> VisitorKey:
    """A client, for abuse caps: its address alone (a new user agent is free to send), per IPv6 /64."""
    return keyed_identity(purpose="client", parts=(client_subnet(ip),), now=now)


def identify_client(request: HttpRequest, *, now: datetime | None = None) -> VisitorKey | None:
    """The requesting client's key for abuse caps (None when its address is unknown)."""
    ip = client_ip(request)
    return client_key(ip=ip, now=now or timezone.now()) if ip else None

"""The client address of a request, as far as Balie can trust it.

A message enters at the web app (the widget's WebSocket) or at Rasa's REST channel;
there the peer address is known. Behind a load balancer (HAProxy in `run-cluster`,
the ingress controller in Kubernetes) the peer is the proxy: its `X-Forwarded-For`
is believed only when the peer is listed in `BALIE_TRUSTED_PROXIES` (addresses or
networks, comma-separated), walking back from the right past every trusted hop.
Anyone else could write any address into that header.

The address travels to the action server as message metadata `client_address`,
always set (or removed) by the channel, so a caller cannot choose it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from core.settings import Network

METADATA_KEY = "client_address"


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip().strip("[]"))
    except ValueError:
        return None


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str | None:
    """The address of whoever sent the request, or None if the peer is unknown."""
    address = _ip(peer)
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    while address is not None and hops and any(address in net for net in trusted):
        previous = _ip(hops.pop())
        if previous is None:  # a garbled header: the last hop we could read it is
            break
        address = previous
    return str(address) if address is not None else None


def of_request(
    peer: str | None, headers: Mapping[str, str], trusted: tuple[Network, ...]
) -> str | None:
    """`client_address` of an aiohttp or Sanic request (`remote`/`ip` and `headers`)."""
    return client_address(peer, headers.get("X-Forwarded-For"), trusted)


def bucket(address: str) -> str:
    """What one client is: an IPv4 address, or the /64 network of an IPv6 one (a single
    line usually gets a whole /64, so counting single IPv6 addresses would not hold)."""
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip) if ip else address


def stamp(metadata: Any, address: str | None) -> dict[str, Any] | None:
    """The channel's metadata with Balie's own `client_address` (a caller's is dropped)."""
    result = dict(metadata) if isinstance(metadata, dict) else {}
    result.pop(METADATA_KEY, None)
    if address:
        result[METADATA_KEY] = address
    return result or None

"""The client's address, for per-address attempt limits (logins, public lookups).

Behind a reverse proxy every request comes from the proxy, so the client is read from the header
the proxy sets (MOTCUA_TRUSTED_PROXY_HEADER, e.g. X-Forwarded-For). Each proxy APPENDS the address
it saw, so only the last `hops` entries were written by proxies we trust; anything to their left
may be forged by the client and is ignored. Without the setting the header is never read.
"""
from __future__ import annotations

import ipaddress

from flask import Request

from .config import ApiSettings

UNKNOWN = "unknown"


def client_address(request: Request, settings: ApiSettings) -> str:
    """An IPv4 address, or an IPv6 /64 network (one client usually holds a whole /64), as text."""
    address = request.remote_addr
    if settings.trusted_proxy_header:
        entries = [e.strip() for e in ",".join(request.headers.getlist(settings.trusted_proxy_header)).split(",")]
        entries = [e for e in entries if e]
        if len(entries) >= settings.trusted_proxy_hops:
            address = entries[-settings.trusted_proxy_hops]
    return _normalise(address)


def _normalise(address: str | None) -> str:
    try:
        ip = ipaddress.ip_address((address or "").strip().strip("[]"))
    except ValueError:
        return UNKNOWN  # not an address (a forged or broken header): all such clients share one count
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)

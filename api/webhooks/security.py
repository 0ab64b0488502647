"""What keeps webhooks safe: URL checks against SSRF, secrets encrypted at rest, and the signature.

- **URLs** (:func:`check_url`): ``https``, or ``http`` only to a host on ``settings.webhook_allow_hosts``. Every
  address the host resolves to must be a public one (not loopback, private, link-local, multicast, reserved
  or unspecified: the server's own and its network's addresses), unless the host is on the allowlist. The
  check runs when a webhook is registered and again before every delivery (a name may resolve elsewhere
  later), and the delivery connects to the address that check accepted (:func:`pinned`; the name goes in the
  ``Host`` header and the TLS server name), so a name re-resolved in between (DNS rebinding) cannot reach a
  private address; redirects are never followed.
- **Secrets** (:class:`SecretBox`): an HMAC key must be readable to sign with, so it is stored encrypted
  (Fernet: AES-128-CBC + HMAC-SHA256) under the server's key, never in clear; the API shows it once, on
  creation.
- **Signature** (:func:`sign`): ``Shiftmix-Signature: v1=<hex>`` where ``<hex>`` is
  ``HMAC-SHA256(secret, f"{timestamp}.{body}")`` and ``timestamp`` is the ``Shiftmix-Timestamp`` header
  (Unix seconds), the convention of Stripe's and the Standard Webhooks signatures: a receiver recomputes it
  and rejects a timestamp older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken

from optimizer.errors import InputError

SIGNATURE_HEADER = "Shiftmix-Signature"
TIMESTAMP_HEADER = "Shiftmix-Timestamp"
EVENT_ID_HEADER = "Shiftmix-Event-Id"
EVENT_TYPE_HEADER = "Shiftmix-Event-Type"
SIGNATURE_VERSION = "v1"

Resolver = Callable[[str], list[str]]
"""Return the IP addresses a host name resolves to (tests pass their own)."""


def resolve_host(host: str) -> list[str]:
    """Return every address ``host`` resolves to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, allow_hosts: Collection[str], resolver: Resolver = resolve_host) -> str | None:
    """Return why ``url`` may not receive webhooks, or ``None`` when it may (see :func:`destination`)."""
    return destination(url, allow_hosts, resolver)[0]


def destination(
    url: str, allow_hosts: Collection[str], resolver: Resolver = resolve_host
) -> tuple[str | None, str | None]:
    """Return why ``url`` may not receive webhooks (or None), and the checked address to connect to.

    The address is one the host resolved to during this check, all of them public; a delivery connects to it
    (:func:`pinned`), so a name that resolves elsewhere a moment later (DNS rebinding) cannot redirect the
    request to a private address. Allow-listed hosts get no address: they may resolve anywhere.

    Parameters
    ----------
    url : str
        The receiver's URL.
    allow_hosts : collection of str
        Host names or addresses (lower case) that may be reached over plain ``http`` and may resolve to
        private or loopback addresses (a receiver inside the company's own network, a local test server).
    resolver : callable
        Host name to addresses; :func:`resolve_host` by default.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return "is not a URL", None
    if parts.scheme not in ("http", "https") or not host:
        return "must be an http(s) URL with a host", None
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials; sign with the webhook secret instead", None
    allowed = host in allow_hosts
    if parts.scheme == "http" and not allowed:
        return "must use https (plain http only to a host on SHIFTMIX_WEBHOOK_ALLOW_HOSTS)", None
    if allowed:
        return None, None
    addresses = resolver(host)
    if not addresses:
        return f"host {host!r} does not resolve", None
    private = [a for a in addresses if not _is_public(a)]
    if private:
        problem = (
            f"host {host!r} resolves to a private, loopback or reserved address ({private[0]}); "
            "add it to SHIFTMIX_WEBHOOK_ALLOW_HOSTS to allow it"
        )
        return problem, None
    return None, addresses[0]


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """Return the URL with its host replaced by ``address``, the ``Host`` header and the request extensions.

    The request goes to the checked address while the receiver sees its own name: in the ``Host`` header and,
    over https, as the TLS server name (``sni_hostname``), against which its certificate is verified.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = address.split("%", 1)[0]
    literal = f"[{ip}]" if ":" in ip else ip
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    header = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": header}, extensions


def check_url(url: str, allow_hosts: Collection[str], resolver: Resolver = resolve_host) -> None:
    """Raise :class:`InputError` naming ``url`` when it may not receive webhooks (see :func:`url_problem`)."""
    problem = url_problem(url, allow_hosts, resolver)
    if problem is not None:
        raise InputError.single("url", problem)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``Shiftmix-Signature`` value of a delivery: ``v1=`` and the HMAC-SHA256 hex digest."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """Check a signature as a receiver does (constant-time compare)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class SecretBox:
    """Encrypt webhook secrets for storage and decrypt them to sign (Fernet under the server's key).

    Parameters
    ----------
    key : str
        A Fernet key (``SHIFTMIX_WEBHOOK_KEY``; every server and dispatcher sharing a database needs the same).
    """

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            msg = "SHIFTMIX_WEBHOOK_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
            raise ValueError(msg) from None

    @classmethod
    def from_key_file(cls, path: Path) -> SecretBox:
        """Read the key from ``path``, creating it (mode 0600) when missing: the zero-setup default."""
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(Fernet.generate_key().decode())
        return cls(path.read_text().strip())

    def encrypt(self, secret: str) -> str:
        """Return the stored form of a secret."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """Return a stored secret in clear; raises ``ValueError`` when it was encrypted under another key."""
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            msg = "the webhook secret was encrypted under another SHIFTMIX_WEBHOOK_KEY"
            raise ValueError(msg) from None

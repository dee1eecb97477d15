"""The client address that per-address limits count: the peer, or a trusted proxy's header."""
from flask import Flask, request

from api.client_address import client_address
from api.config import ApiSettings

app = Flask(__name__)


def address(headers=None, peer="10.0.0.1", header=None, hops=1):
    settings = ApiSettings(secret_key="k" * 40, trusted_proxy_header=header, trusted_proxy_hops=hops)
    with app.test_request_context(headers=headers or {}, environ_base={"REMOTE_ADDR": peer}):
        return client_address(request, settings)


def test_without_a_trusted_proxy_the_header_is_never_read():
    assert address({"X-Forwarded-For": "192.0.2.1"}) == "10.0.0.1"


def test_the_entry_appended_by_the_nth_trusted_proxy_counts():
    chain = {"X-Forwarded-For": "6.6.6.6, 192.0.2.1, 10.0.0.9"}
    assert address(chain, header="X-Forwarded-For", hops=1) == "10.0.0.9"
    assert address(chain, header="X-Forwarded-For", hops=2) == "192.0.2.1"
    # several header lines are one list
    assert address([("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "192.0.2.1")], header="X-Forwarded-For") == "192.0.2.1"
    assert address({"X-Real-IP": "192.0.2.7"}, header="X-Real-IP") == "192.0.2.7"


def test_a_missing_short_or_broken_header_falls_back_safely():
    assert address({}, header="X-Forwarded-For") == "10.0.0.1"  # the peer (the proxy itself)
    assert address({"X-Forwarded-For": "192.0.2.1"}, header="X-Forwarded-For", hops=2) == "10.0.0.1"
    assert address({"X-Forwarded-For": "not-an-address"}, header="X-Forwarded-For") == "unknown"


def test_ipv6_clients_count_per_64_network():
    assert address(peer="2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address(peer="2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address(peer="::ffff:192.0.2.1") == "192.0.2.1"

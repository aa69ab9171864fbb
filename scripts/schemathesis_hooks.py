"""Schemathesis hooks for scripts/api-fuzz.sh: sign every request as a partner does.

The gateway checks an HMAC over METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" hex
SHA-256(body) (docs/gateway-api.md, Sources/Gateway/RequestSigner.swift). The signature
must cover the bytes actually sent, so it is computed by a `requests` auth object on the
prepared request (final body, final path and query), attached in `before_call`.

Half of the generated single-transaction and batch bodies are steered to the signing key's partner,
a known member and the programme's currency, so that the 2xx answers (and their schemas)
are exercised and not only 400 and 403. Environment: LOYALTY_KEY_ID, LOYALTY_SECRET,
LOYALTY_PARTNER, LOYALTY_CURRENCY.
"""
import hashlib
import json
import hmac
import os
import time
import zlib

import requests
import schemathesis

KEY_ID = os.environ["LOYALTY_KEY_ID"]
SECRET = os.environ["LOYALTY_SECRET"].encode()
PARTNER = os.environ.get("LOYALTY_PARTNER", "pharmacy")
CURRENCY = os.environ.get("LOYALTY_CURRENCY", "EUR")


class SignedRequest(requests.auth.AuthBase):
    """Adds the four signature headers to a prepared request."""

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        body_hash = hashlib.sha256(body).hexdigest()
        timestamp = str(int(time.time() * 1000))
        signed = "\n".join([request.method.upper(), request.path_url, timestamp, body_hash]).encode()
        request.headers["X-Loyalty-Key-Id"] = KEY_ID
        request.headers["X-Loyalty-Timestamp"] = timestamp
        request.headers["X-Loyalty-Content-SHA256"] = body_hash
        request.headers["X-Loyalty-Signature"] = hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs["auth"] = SignedRequest()


@schemathesis.hook("map_body").apply_to(path="/v1/transactions", method="POST")
def steer_envelope(context, body):
    """Every other generated JSON envelope becomes one the programme can accept."""
    if not isinstance(body, dict) or zlib.crc32(repr(sorted(body.items(), key=str)).encode()) % 2:
        return body
    steered = dict(body)
    steered["partner_id"] = PARTNER
    steered.setdefault("partner_txn_id", "st-%d" % time.time_ns())
    if not isinstance(steered.get("partner_txn_id"), str) or not steered["partner_txn_id"]:
        steered["partner_txn_id"] = "st-%d" % time.time_ns()
    steered["member_id"] = "schemathesis-member"
    steered["occurred_at_ms"] = int(time.time() * 1000)
    if not any(kind in steered for kind in ("accrual", "redemption", "reversal")):
        steered["accrual"] = {}
    if isinstance(steered.get("accrual"), dict):
        steered["accrual"] = {**steered["accrual"], "currency": CURRENCY, "amount_minor": 1000}
    return steered


@schemathesis.hook("map_body").apply_to(path="/v1/transactions/batch", method="POST")
def steer_batch(context, body):
    """Every other generated NDJSON body gets two acceptable lines around the generated one."""
    if not isinstance(body, str) or zlib.crc32(body.encode()) % 2:
        return body
    lines = []
    for n in range(2):
        lines.append(json.dumps({
            "partner_id": PARTNER, "partner_txn_id": "sb-%d-%d" % (time.time_ns(), n), "member_id": "schemathesis-member",
            "occurred_at_ms": int(time.time() * 1000), "accrual": {"amount_minor": 1000, "currency": CURRENCY},
        }))
    return lines[0] + "\n" + body + "\n" + lines[1] + "\n"


@schemathesis.serializer("application/x-ndjson")
def ndjson(context, value):
    """The batch body is generated as a string (lines of text) or, rarely, a JSON value."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return (json.dumps(value) + "\n").encode()


@schemathesis.serializer("application/x-protobuf-delimited", "application/x-protobuf")
def protobuf_bytes(context, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()


# A 504 is the documented answer when the workers do not answer within timeout_ms; with a
# worker running that can only happen when the caller asked for a few milliseconds.
SHORT_TIMEOUT_MS = 1000


@schemathesis.check
def no_server_error(ctx, response, case):
    """not_a_server_error, except the 504 a caller asks for with a tiny timeout_ms."""
    if response.status_code < 500:
        return None
    query = case.query or {}
    try:
        timeout = int(query.get("timeout_ms"))
    except (TypeError, ValueError):
        timeout = None
    if response.status_code == 504 and timeout is not None and timeout < SHORT_TIMEOUT_MS:
        return None
    raise AssertionError("server error %d: %s" % (response.status_code, response.text[:300]))

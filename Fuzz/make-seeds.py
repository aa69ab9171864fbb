#!/usr/bin/env python3
"""Writes the seed corpus (Fuzz/corpus/<harness>/): small, meaningful inputs per harness.
Run once by hand when the formats change; libFuzzer grows its own corpus from these in
.build-fuzz/corpus (not committed). Input layouts: see Fuzz/Harnesses/*Harness.swift."""
import os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(harness, name, data):
    os.makedirs(os.path.join(root, harness), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(root, harness, name), "wb") as f:
        f.write(data)


# --- protobuf wire helpers (loyalty.v1.TransactionEnvelope, proto/transaction.proto)
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def vfield(number, value):
    return varint(number << 3) + varint(value)


def lfield(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def header(partner="pharmacy", txn="t-1", member="m-1", occurred=1790000000000):
    return lfield(1, partner) + lfield(2, txn) + lfield(3, member) + vfield(4, occurred)


accrual = header() + lfield(10, vfield(1, 10000) + lfield(2, "EUR") + lfield(3, "pharmacy"))
redemption = header(txn="r-1") + lfield(11, vfield(1, 500))
refund = header(txn="f-1") + lfield(12, vfield(1, 1) + lfield(2, "t-1") + vfield(3, 2500) + lfield(4, "EUR"))
cancel = header(txn="c-1") + lfield(6, "trace-1") + lfield(12, vfield(1, 2) + lfield(2, "r-1"))
received = header(occurred=0) + vfield(5, 1790000000001) + lfield(11, vfield(1, 1))
barrier = lfield(13, vfield(1, 3) + vfield(2, 1790000000000))
inquiry = header(txn="q-1") + lfield(14, b"")
negative = header() + lfield(11, vfield(1, -5))
two_bodies = header() + lfield(11, vfield(1, 5)) + lfield(10, vfield(1, 5))
repeated_field = header() + lfield(1, "fuel") + lfield(11, vfield(1, 5))
bad_utf8 = lfield(1, "pharmacy") + lfield(2, "t-1") + lfield(3, b"m-\xff") + vfield(4, 1) + lfield(11, vfield(1, 5))
long_id = header(member="m" * 129) + lfield(11, vfield(1, 5))
unknown_kind = header() + lfield(12, vfield(1, 7) + lfield(2, "t-1"))
overlong_varint = header()[:-1] + b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01" + lfield(11, vfield(1, 5))
for name, data in [
    ("accrual", accrual), ("redemption", redemption), ("refund", refund), ("cancel-with-trace", cancel),
    ("received-at-only", received), ("barrier", barrier), ("inquiry", inquiry), ("negative-points", negative),
    ("two-bodies", two_bodies), ("repeated-field", repeated_field), ("invalid-utf8", bad_utf8),
    ("id-129-bytes", long_id), ("unknown-reversal-kind", unknown_kind), ("overlong-varint", overlong_varint),
    ("truncated", accrual[:-3]), ("empty", b""),
]:
    write("envelope-decode", name, data)

# --- NDJSON lines as partners send them
json_seeds = {
    "accrual": '{"partner_id":"pharmacy","partner_txn_id":"a-0-0-1","member_id":"bench-m-1","occurred_at_ms":1790000000000,"accrual":{"amount_minor":10000,"currency":"EUR","category":"pharmacy"}}',
    "camel-quoted": '{"partnerId":"pharmacy","partnerTxnId":"t-1","memberId":"member-42","occurredAtMs":"1790000000000","accrual":{"amountMinor":"10000","currency":"EUR","category":"pharmacy"}}',
    "redemption": '{"partner_id":"pharmacy","partner_txn_id":"r-1","member_id":"m","occurred_at_ms":1790000000000,"redemption":{"points":1}}',
    "refund-spaced": '{ "partner_id" : "pharmacy", "partner_txn_id" : "f-1", "member_id" : "m", "occurred_at_ms" : 1, "trace_id" : "abc", "reversal" : { "kind" : "REFUND", "original_partner_txn_id" : "t-1", "amount_minor" : 500, "currency" : "EUR" } }',
    "cancel-cr": '{"partnerId":"pharmacy","partnerTxnId":"c-1","memberId":"m","occurredAtMs":1,"reversal":{"kind":"CANCEL","originalPartnerTxnId":"r-1"}}\r',
    "empty-object": "{}",
    "fraction": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"accrual":{"amount_minor":999.99999999999999999,"currency":"EUR"}}',
    "exponent": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"redemption":{"points":1e3}}',
    "duplicate-key": '{"partner_id":"pharmacy","partner_id":"fuel","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"redemption":{"points":1}}',
    "escape-nul": '{"partner_id":"pharmacy","partner_txn_id":"x\\u0000y","member_id":"m","occurred_at_ms":1,"redemption":{"points":1}}',
    "unknown-field": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"bonus":1,"redemption":{"points":1}}',
    "two-bodies": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"redemption":{"points":1},"accrual":{}}',
    "nineteen-digits": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":9223372036854775807,"redemption":{"points":1}}',
    "negative-leading-zero": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":-1,"redemption":{"points":01}}',
    "utf8-id": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m\u00fcller","occurred_at_ms":1,"redemption":{"points":1}}',
    "null-body": '{"partner_id":"pharmacy","partner_txn_id":"x","member_id":"m","occurred_at_ms":1,"accrual":null}',
}
for name, text in json_seeds.items():
    write("json-fast-path", name, text)

# --- batch framer: mode byte (bit 0: 0 lines, 1 delimited), limit byte (1 + b % 64), chunk seed, body
def framer(lines, limit, seed, body):
    return bytes([0 if lines else 1, (limit - 1) % 64, seed]) + body


write("batch-framer", "lines-basic", framer(True, 32, 7, b'{"a":1}\n{"b":2}\r\n\n  \n{"c":3}'))
write("batch-framer", "lines-too-long", framer(True, 8, 3, b"short\n" + b"x" * 20 + b"\nok\n" + b"y" * 9))
write("batch-framer", "lines-cr-at-limit", framer(True, 4, 1, b"abcd\r\nabc\r\n\r\n"))
write("batch-framer", "delimited-two", framer(False, 16, 5, varint(3) + b"abc" + varint(0) + varint(5) + b"hello"))
write("batch-framer", "delimited-over-limit", framer(False, 4, 2, varint(2) + b"ab" + varint(300) + b"x" * 10))
write("batch-framer", "delimited-truncated", framer(False, 64, 9, varint(10) + b"abc"))
write("batch-framer", "delimited-overlong-varint", framer(False, 64, 4, b"\xff" * 11 + b"\x01"))
write("batch-framer", "delimited-max-varint", framer(False, 64, 6, b"\xff" * 9 + b"\x01"))

# --- signature headers: mode byte (bit 0: sign correctly), then key id, timestamp,
# signature, method, path-and-query separated by newlines
def sig(signed, key, timestamp, signature=b"", method=b"", path=b""):
    return bytes([1 if signed else 0]) + b"\n".join([key, timestamp, signature, method, path])


write("signature-headers", "signed-now", sig(True, b"fuzz-key", b"1790000000000"))
write("signature-headers", "signed-window-edge", sig(True, b"fuzz-key", b"1789999700000", b"", b"GET", b"/v1/members/m-1/balance?x=1"))
write("signature-headers", "signed-stale", sig(True, b"fuzz-key", b"1789999699999"))
write("signature-headers", "signed-int64-max", sig(True, b"fuzz-key", b"9223372036854775807"))
write("signature-headers", "raw-wrong-signature", sig(False, b"fuzz-key", b"1790000000000", b"00" * 32))
write("signature-headers", "raw-unknown-key", sig(False, b"nobody", b"1790000000000", b"ab" * 32))
write("signature-headers", "raw-timestamp-garbage", sig(False, b"fuzz-key", b"17900000000001790000000000", b"zz"))
write("signature-headers", "raw-missing", b"\x00")
# Issue 9, item 3: the smallest Int64 as timestamp overflowed |now - timestamp| (a trap).
write("signature-headers", "signed-int64-min", sig(True, b"fuzz-key", b"-9223372036854775808"))
write("signature-headers", "raw-int64-min", sig(False, b"fuzz-key", b"-9223372036854775808", b"ab" * 32))
# Found by the fuzzer: a correctly signed timestamp in the window but written with leading
# zeros (24 bytes); the gateway refuses header texts over 20 bytes, the harness allows it.
write("signature-headers", "signed-leading-zeros", b"\x91fu/\n000000000001789999700000\n\n^\0\0\0\0\0\0\x08\0^")

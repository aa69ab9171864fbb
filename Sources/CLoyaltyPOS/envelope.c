/* Validation, encoding and decoding of loyalty.v1.TransactionEnvelope (no I/O). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loyalty/v1/transaction.pb-c.h"
#include "pos_internal.h"

int lp_fail(char *errbuf, size_t errlen, int code, const char *fmt, ...) {
    if (errbuf != NULL && errlen > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(errbuf, errlen, fmt, args);
        va_end(args);
    }
    return code;
}

/* strlen, but looks at no more than max + 1 bytes: the usual (valid) input is scanned once. */
static size_t bounded_len(const char *value, size_t max) {
    size_t n = 0;
    while (n <= max && value[n] != '\0') n++;
    return n;
}

/* A text field against its limit: present when required, at most max_bytes bytes, every
 * byte in [lo, hi]. The messages are word for word those of the clearing house
 * (FieldLimits.swift), so a partner sees the same reason from the SDK and from a dead
 * letter. The length is checked before the bytes are looked at. */
static int check_text(const char *field, const char *value, int required, size_t max_bytes,
                      unsigned char lo, unsigned char hi, const char *alphabet, char *errbuf,
                      size_t errlen) {
    if (value == NULL) {
        if (!required) return LOYALTY_POS_OK;
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "%s: is required and NULL", field);
    }
    size_t len = bounded_len(value, max_bytes);
    if (len == 0 && required) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "%s: is required and empty", field);
    }
    if (len > max_bytes) {
        len = strlen(value);
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "%s: is longer than %zu bytes (%zu)",
                       field, max_bytes, len);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < lo || c > hi) {
            return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                           "%s: byte %zu is 0x%02X; allowed is %s", field, i, (unsigned)c,
                           alphabet);
        }
    }
    return LOYALTY_POS_OK;
}

int lp_check_id(const char *field, const char *value, char *errbuf, size_t errlen) {
    return check_text(field, value, 1, LOYALTY_POS_ID_MAX_BYTES, LOYALTY_POS_ID_BYTE_MIN,
                      LOYALTY_POS_ID_BYTE_MAX,
                      "visible ASCII 0x21-0x7E (no space, control characters or non-ASCII)",
                      errbuf, errlen);
}

static int check_category(const char *value, char *errbuf, size_t errlen) {
    return check_text("category", value, 0, LOYALTY_POS_CATEGORY_MAX_BYTES,
                      LOYALTY_POS_CATEGORY_BYTE_MIN, LOYALTY_POS_CATEGORY_BYTE_MAX,
                      "printable ASCII 0x20-0x7E (no control characters or non-ASCII)", errbuf,
                      errlen);
}

static int check_amount(const char *field, int64_t value, char *errbuf, size_t errlen) {
    if (value <= 0) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "%s: must be > 0, got %" PRId64, field,
                       value);
    }
    if (value > LOYALTY_POS_AMOUNT_MAX) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                       "%s: must be <= 1000000000000 (10^12), got %" PRId64, field, value);
    }
    return LOYALTY_POS_OK;
}

static int check_currency(const char *value, char *errbuf, size_t errlen) {
    int ok = value != NULL && bounded_len(value, LOYALTY_POS_CURRENCY_BYTES) ==
                                  LOYALTY_POS_CURRENCY_BYTES;
    for (int i = 0; ok && i < LOYALTY_POS_CURRENCY_BYTES; i++) {
        ok = value[i] >= 'A' && value[i] <= 'Z';
    }
    if (ok) return LOYALTY_POS_OK;
    if (value == NULL) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                       "currency: is required and NULL (3 uppercase letters, ISO 4217)");
    }
    return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                   "currency: must be 3 uppercase letters (ISO 4217, e.g. \"EUR\"), got \"%.16s\"",
                   value);
}

/* Checks everything the clearing house would refuse structurally or by range, in the
 * order of the envelope's fields, so the first problem is the one reported. */
static int validate(const lp_txn_t *t, char *errbuf, size_t errlen) {
    int rc;
    if ((rc = lp_check_id("partner_id", t->partner_id, errbuf, errlen)) != 0) return rc;
    if ((rc = lp_check_id("partner_txn_id", t->partner_txn_id, errbuf, errlen)) != 0) return rc;
    if ((rc = lp_check_id("member_id", t->member_id, errbuf, errlen)) != 0) return rc;
    if (t->card_id != NULL && t->card_id[0] != '\0' &&
        (rc = lp_check_id("card_id", t->card_id, errbuf, errlen)) != 0)
        return rc;
    if (t->occurred_at_ms <= 0) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                       "occurred_at_ms: must be > 0 (UTC milliseconds since 1970), got %" PRId64,
                       t->occurred_at_ms);
    }
    switch (t->body) {
    case LP_BODY_ACCRUAL:
        if ((rc = check_amount("amount_minor", t->amount_minor, errbuf, errlen)) != 0) return rc;
        if ((rc = check_currency(t->currency, errbuf, errlen)) != 0) return rc;
        return check_category(t->category, errbuf, errlen);
    case LP_BODY_REDEMPTION:
        return check_amount("points", t->points, errbuf, errlen);
    case LP_BODY_REFUND:
        if ((rc = lp_check_id("original_partner_txn_id", t->original_partner_txn_id, errbuf,
                              errlen)) != 0)
            return rc;
        if ((rc = check_amount("amount_minor", t->amount_minor, errbuf, errlen)) != 0) return rc;
        return check_currency(t->currency, errbuf, errlen);
    case LP_BODY_CANCEL:
        return lp_check_id("original_partner_txn_id", t->original_partner_txn_id, errbuf, errlen);
    }
    return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "body: unknown kind %d", (int)t->body);
}

long lp_encode(const lp_txn_t *t, uint8_t *buf, size_t buflen, char *errbuf, size_t errlen) {
    int rc = validate(t, errbuf, errlen);
    if (rc != 0) return rc;
    if (buf == NULL && buflen > 0) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "buf: is NULL but buflen is %zu",
                       buflen);
    }
    /* protobuf-c only reads these strings while packing; the casts drop const for its
     * struct fields, nothing writes through them. Fields are packed in field-number
     * order and proto3 defaults are omitted, as swift-protobuf does, so both produce the
     * same bytes for the same transaction. */
    Loyalty__V1__TransactionEnvelope envelope = LOYALTY__V1__TRANSACTION_ENVELOPE__INIT;
    Loyalty__V1__Accrual accrual = LOYALTY__V1__ACCRUAL__INIT;
    Loyalty__V1__Redemption redemption = LOYALTY__V1__REDEMPTION__INIT;
    Loyalty__V1__Reversal reversal = LOYALTY__V1__REVERSAL__INIT;
    envelope.partner_id = (char *)t->partner_id;
    envelope.partner_txn_id = (char *)t->partner_txn_id;
    envelope.member_id = (char *)t->member_id;
    envelope.occurred_at_ms = t->occurred_at_ms;
    if (t->card_id != NULL && t->card_id[0] != '\0') envelope.card_id = (char *)t->card_id;
    switch (t->body) {
    case LP_BODY_ACCRUAL:
        accrual.amount_minor = t->amount_minor;
        accrual.currency = (char *)t->currency;
        accrual.category = t->category != NULL ? (char *)t->category : (char *)"";
        envelope.body_case = LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_ACCRUAL;
        envelope.accrual = &accrual;
        break;
    case LP_BODY_REDEMPTION:
        redemption.points = t->points;
        envelope.body_case = LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_REDEMPTION;
        envelope.redemption = &redemption;
        break;
    case LP_BODY_REFUND:
        reversal.kind = LOYALTY__V1__REVERSAL__KIND__REFUND;
        reversal.original_partner_txn_id = (char *)t->original_partner_txn_id;
        reversal.amount_minor = t->amount_minor;
        reversal.currency = (char *)t->currency;
        envelope.body_case = LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_REVERSAL;
        envelope.reversal = &reversal;
        break;
    case LP_BODY_CANCEL:
        reversal.kind = LOYALTY__V1__REVERSAL__KIND__CANCEL;
        reversal.original_partner_txn_id = (char *)t->original_partner_txn_id;
        envelope.body_case = LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_REVERSAL;
        envelope.reversal = &reversal;
        break;
    }
    size_t size = loyalty__v1__transaction_envelope__get_packed_size(&envelope);
    if (size > buflen) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_ENOSPC, "buf: needs %zu bytes, has %zu", size,
                       buflen);
    }
    if (size == 0) return 0; /* unreachable: partner_id is never empty here */
    size_t written = loyalty__v1__transaction_envelope__pack(&envelope, buf);
    return (long)written;
}

long loyalty_pos_encode_accrual(const char *partner_id, const char *partner_txn_id,
                                const char *member_id, int64_t occurred_at_ms,
                                int64_t amount_minor, const char *currency, const char *category,
                                uint8_t *buf, size_t buflen, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_ACCRUAL, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms, .amount_minor = amount_minor,
                  .currency = currency, .category = category};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

long loyalty_pos_encode_redemption(const char *partner_id, const char *partner_txn_id,
                                   const char *member_id, int64_t occurred_at_ms, int64_t points,
                                   uint8_t *buf, size_t buflen, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REDEMPTION, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms, .points = points};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

long loyalty_pos_encode_accrual_card(const char *partner_id, const char *partner_txn_id,
                                     const char *member_id, const char *card_id,
                                     int64_t occurred_at_ms, int64_t amount_minor,
                                     const char *currency, const char *category, uint8_t *buf,
                                     size_t buflen, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_ACCRUAL, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms, .amount_minor = amount_minor,
                  .currency = currency, .category = category, .card_id = card_id};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

long loyalty_pos_encode_redemption_card(const char *partner_id, const char *partner_txn_id,
                                        const char *member_id, const char *card_id,
                                        int64_t occurred_at_ms, int64_t points, uint8_t *buf,
                                        size_t buflen, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REDEMPTION, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms, .points = points, .card_id = card_id};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

long loyalty_pos_encode_refund(const char *partner_id, const char *partner_txn_id,
                               const char *member_id, int64_t occurred_at_ms,
                               const char *original_partner_txn_id, int64_t amount_minor,
                               const char *currency, uint8_t *buf, size_t buflen, char *errbuf,
                               size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REFUND, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms,
                  .original_partner_txn_id = original_partner_txn_id,
                  .amount_minor = amount_minor, .currency = currency};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

long loyalty_pos_encode_cancel(const char *partner_id, const char *partner_txn_id,
                               const char *member_id, int64_t occurred_at_ms,
                               const char *original_partner_txn_id, uint8_t *buf, size_t buflen,
                               char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_CANCEL, .partner_id = partner_id,
                  .partner_txn_id = partner_txn_id, .member_id = member_id,
                  .occurred_at_ms = occurred_at_ms,
                  .original_partner_txn_id = original_partner_txn_id};
    return lp_encode(&t, buf, buflen, errbuf, errlen);
}

/* Copies a decoded string into a fixed-size summary field. */
static int copy_text(const char *field, char *dst, const char *src, char *errbuf,
                     size_t errlen) {
    size_t len = src != NULL ? strlen(src) : 0;
    if (len >= LOYALTY_POS_TEXT_CAP) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_ENOSPC,
                       "%s: is %zu bytes, the summary holds at most %d", field, len,
                       LOYALTY_POS_ID_MAX_BYTES);
    }
    if (len > 0) memcpy(dst, src, len);
    dst[len] = '\0';
    return LOYALTY_POS_OK;
}

static int summarise_body(const Loyalty__V1__TransactionEnvelope *e, loyalty_pos_summary_t *out,
                          char *errbuf, size_t errlen) {
    int rc;
    switch (e->body_case) {
    case LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_ACCRUAL:
        out->kind = LOYALTY_POS_KIND_ACCRUAL;
        out->amount_minor = e->accrual->amount_minor;
        if ((rc = copy_text("accrual.currency", out->currency, e->accrual->currency, errbuf,
                            errlen)) != 0)
            return rc;
        return copy_text("accrual.category", out->category, e->accrual->category, errbuf, errlen);
    case LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_REDEMPTION:
        out->kind = LOYALTY_POS_KIND_REDEMPTION;
        out->points = e->redemption->points;
        return LOYALTY_POS_OK;
    case LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_REVERSAL:
        if (e->reversal->kind == LOYALTY__V1__REVERSAL__KIND__REFUND) {
            out->kind = LOYALTY_POS_KIND_REFUND;
            out->amount_minor = e->reversal->amount_minor;
            if ((rc = copy_text("reversal.currency", out->currency, e->reversal->currency, errbuf,
                                errlen)) != 0)
                return rc;
        } else if (e->reversal->kind == LOYALTY__V1__REVERSAL__KIND__CANCEL) {
            out->kind = LOYALTY_POS_KIND_CANCEL;
        } else {
            return lp_fail(errbuf, errlen, LOYALTY_POS_EDECODE,
                           "reversal.kind: must be REFUND or CANCEL, got %d",
                           (int)e->reversal->kind);
        }
        return copy_text("reversal.original_partner_txn_id", out->original_partner_txn_id,
                         e->reversal->original_partner_txn_id, errbuf, errlen);
    case LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_BARRIER:
        out->kind = LOYALTY_POS_KIND_BARRIER;
        out->cycle = e->barrier->cycle;
        out->closed_at_ms = e->barrier->closed_at_ms;
        return LOYALTY_POS_OK;
    case LOYALTY__V1__TRANSACTION_ENVELOPE__BODY_INQUIRY:
        out->kind = LOYALTY_POS_KIND_INQUIRY;
        return LOYALTY_POS_OK;
    default:
        return lp_fail(errbuf, errlen, LOYALTY_POS_EDECODE,
                       "body: none of accrual, redemption, reversal, barrier, inquiry is set");
    }
}

int loyalty_pos_decode_summary(const uint8_t *buf, size_t len, loyalty_pos_summary_t *out,
                               char *errbuf, size_t errlen) {
    if (out == NULL) return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "out: is NULL");
    if (buf == NULL && len > 0) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "buf: is NULL but len is %zu", len);
    }
    memset(out, 0, sizeof *out);
    static const uint8_t empty[1] = {0};
    Loyalty__V1__TransactionEnvelope *e =
        loyalty__v1__transaction_envelope__unpack(NULL, len, buf != NULL ? buf : empty);
    if (e == NULL) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EDECODE,
                       "record: %zu bytes are not a loyalty.v1.TransactionEnvelope", len);
    }
    int rc;
    if ((rc = copy_text("partner_id", out->partner_id, e->partner_id, errbuf, errlen)) == 0 &&
        (rc = copy_text("partner_txn_id", out->partner_txn_id, e->partner_txn_id, errbuf,
                        errlen)) == 0 &&
        (rc = copy_text("member_id", out->member_id, e->member_id, errbuf, errlen)) == 0 &&
        (rc = copy_text("trace_id", out->trace_id, e->trace_id, errbuf, errlen)) == 0) {
        out->occurred_at_ms = e->occurred_at_ms;
        out->received_at_ms = e->received_at_ms;
        rc = summarise_body(e, out, errbuf, errlen);
    }
    loyalty__v1__transaction_envelope__free_unpacked(e, NULL);
    return rc;
}

const char *loyalty_pos_strerror(int code) {
    switch (code) {
    case LOYALTY_POS_OK: return "LOYALTY_POS_OK";
    case LOYALTY_POS_EINVAL: return "LOYALTY_POS_EINVAL (invalid input, nothing published)";
    case LOYALTY_POS_ENOSPC: return "LOYALTY_POS_ENOSPC (buffer too small)";
    case LOYALTY_POS_ENOMEM: return "LOYALTY_POS_ENOMEM (out of memory)";
    case LOYALTY_POS_ECONFIG: return "LOYALTY_POS_ECONFIG (producer configuration refused)";
    case LOYALTY_POS_EKAFKA: return "LOYALTY_POS_EKAFKA (delivery failed, not acknowledged)";
    case LOYALTY_POS_ETIMEDOUT: return "LOYALTY_POS_ETIMEDOUT (no acknowledgement in time)";
    case LOYALTY_POS_EDECODE: return "LOYALTY_POS_EDECODE (not a TransactionEnvelope)";
    case LOYALTY_POS_EFATAL: return "LOYALTY_POS_EFATAL (producer unusable, reopen)";
    default: return code > 0 ? "success (a length)" : "unknown LOYALTY_POS code";
    }
}

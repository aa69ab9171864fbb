/*
 * loyalty_pos.h -- C SDK for partners' point-of-sale software.
 *
 * Publishes loyalty.v1.TransactionEnvelope records (proto/loyalty/v1/transaction.proto)
 * to the clearing house's transactions topic, exactly as the HTTP gateway would:
 *   key          = the UTF-8 bytes of member_id
 *   partitioner  = murmur2_random (Java-client compatible murmur2 for non-empty keys)
 *   producer     = enable.idempotence=true, acks=all, compression.codec=lz4
 * so a record lands on the same partition (ledger shard) whichever way it came in.
 *
 * Units are in the names: *_ms = UTC milliseconds since 1970-01-01T00:00:00Z,
 * *_minor = money in minor units (cents), points = whole loyalty points.
 *
 * Threading: a loyalty_pos_t is not thread-safe. Use one per thread (each holds its own
 * librdkafka producer), or serialise calls on one handle yourself. The pure functions
 * (loyalty_pos_encode_*, loyalty_pos_decode_summary, loyalty_pos_partition) keep no
 * state and may be called from any thread.
 *
 * Errors: every function returning int/long returns a negative LOYALTY_POS_E* code on
 * failure and, when errbuf is not NULL, writes a NUL-terminated message into errbuf
 * (truncated to errlen) of the form "field: reason" for invalid input, e.g.
 *   "member_id: is longer than 128 bytes (130)"
 *   "partner_txn_id: byte 3 is 0x20; allowed is visible ASCII 0x21-0x7E (no space,
 *    control characters or non-ASCII)"
 */
#ifndef LOYALTY_POS_H
#define LOYALTY_POS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. 0 = success; encoders return the encoded length (>= 0) instead. */
#define LOYALTY_POS_OK 0
/* Invalid input: the message names the field and the reason. Nothing was published. */
#define LOYALTY_POS_EINVAL (-1)
/* The caller's buffer is too small (encode: output buffer; decode: a text field). */
#define LOYALTY_POS_ENOSPC (-2)
/* Out of memory. */
#define LOYALTY_POS_ENOMEM (-3)
/* librdkafka rejected the configuration (unknown key, bad value) or could not start. */
#define LOYALTY_POS_ECONFIG (-4)
/* The broker or the client failed the delivery (message says which librdkafka error).
 * The record was NOT acknowledged; retrying the same partner_txn_id is safe: the
 * clearing house answers a repeat with DUPLICATE and changes nothing. */
#define LOYALTY_POS_EKAFKA (-5)
/* No acknowledgement within delivery_timeout_ms. The record may or may not be durable;
 * retry with the same partner_txn_id (idempotent on the server side). */
#define LOYALTY_POS_ETIMEDOUT (-6)
/* The bytes are not a loyalty.v1.TransactionEnvelope (or not one this SDK summarises). */
#define LOYALTY_POS_EDECODE (-7)
/* The idempotent producer hit a fatal error: close this handle and open a new one. */
#define LOYALTY_POS_EFATAL (-8)

/* Field limits: the clearing house's own (Swift `FieldLimits`, docs/partners.md); the
 * gateway, the loyalty tool and the accrual workers refuse anything beyond them, so this
 * SDK refuses it before encoding (LOYALTY_POS_EINVAL naming the field).
 *
 * Ids -- partner_id, partner_txn_id, member_id, original_partner_txn_id: 1 to
 * LOYALTY_POS_ID_MAX_BYTES bytes, each byte visible ASCII LOYALTY_POS_ID_BYTE_MIN ..
 * LOYALTY_POS_ID_BYTE_MAX ('!' .. '~'): no space, no control character (NUL, tab,
 * newline, DEL), nothing non-ASCII. */
#define LOYALTY_POS_ID_MAX_BYTES 128
#define LOYALTY_POS_ID_BYTE_MIN 0x21
#define LOYALTY_POS_ID_BYTE_MAX 0x7E
/* trace_id (only ever decoded by this SDK): at most this many bytes of the id alphabet. */
#define LOYALTY_POS_TRACE_ID_MAX_BYTES 64
/* category: optional (NULL or ""), at most this many bytes of printable ASCII
 * LOYALTY_POS_CATEGORY_BYTE_MIN .. LOYALTY_POS_CATEGORY_BYTE_MAX (space allowed). */
#define LOYALTY_POS_CATEGORY_MAX_BYTES 64
#define LOYALTY_POS_CATEGORY_BYTE_MIN 0x20
#define LOYALTY_POS_CATEGORY_BYTE_MAX 0x7E
/* currency: exactly this many uppercase ASCII letters (ISO 4217, e.g. "EUR"). */
#define LOYALTY_POS_CURRENCY_BYTES 3
/* amount_minor and points: 1 .. LOYALTY_POS_AMOUNT_MAX (10^12). */
#define LOYALTY_POS_AMOUNT_MAX 1000000000000LL
/* Upper bound of an envelope this SDK encodes; a buffer this large never gets ENOSPC. */
#define LOYALTY_POS_MAX_ENVELOPE_BYTES 1024
/* Default topic and delivery timeout. */
#define LOYALTY_POS_DEFAULT_TOPIC "loyalty.transactions"
#define LOYALTY_POS_DEFAULT_DELIVERY_TIMEOUT_MS 30000

/* Opaque: one librdkafka idempotent producer plus this partner's configuration. */
typedef struct loyalty_pos loyalty_pos_t;

typedef struct {
    /* "host:port[,host:port...]"; required. */
    const char *bootstrap_servers;
    /* Your partner id from the programme file (partners[].id); required. */
    const char *partner_id;
    /* NULL = LOYALTY_POS_DEFAULT_TOPIC. */
    const char *topic;
    /* NULL, or a NULL-terminated array of librdkafka key, value pairs applied after the
     * defaults, e.g. { "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", ...,
     * NULL }. They may override anything except enable.idempotence, acks and
     * partitioner, which the wire contract fixes (a different value is refused). */
    const char *const *extra_config;
    /* How long one call may wait for the broker's acknowledgement; 0 = default. */
    int delivery_timeout_ms;
} loyalty_pos_config_t;

/* Creates a producer. Does not contact the brokers yet (the first send does).
 * On success *out is set and must be released with loyalty_pos_close. */
int loyalty_pos_open(const loyalty_pos_config_t *cfg, loyalty_pos_t **out, char *errbuf, size_t errlen);

/* Each of these validates, encodes one envelope, produces it keyed by member_id and
 * waits until the broker acknowledged it with acks=all (LOYALTY_POS_OK) or failed it.
 * Invalid input returns LOYALTY_POS_EINVAL and publishes nothing. */

/* A purchase of amount_minor (1..10^12) in currency (3 uppercase letters, ISO 4217);
 * category may be NULL or "" (partner default). Ids and category: see the limits above. */
int loyalty_pos_accrue(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, int64_t amount_minor, const char *currency,
                       const char *category, char *errbuf, size_t errlen);
/* The member pays `points` (1..10^12). */
int loyalty_pos_redeem(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, int64_t points, char *errbuf, size_t errlen);
/* As loyalty_pos_accrue and loyalty_pos_redeem, naming the card presented: card_id (an
 * id; NULL or "" = none) on member_id's account. member_id stays required: it is the key
 * that puts the transaction on the account's partition; a terminal that reads only the
 * card sends through the gateway instead (docs/pos-sdk.md, "Cards"). The worker applies
 * it only while the card is active on that account (else REJECTED UNKNOWN_CARD,
 * CARD_NOT_ON_ACCOUNT or CARD_BLOCKED). */
int loyalty_pos_accrue_card(loyalty_pos_t *pos, const char *partner_txn_id,
                            const char *member_id, const char *card_id, int64_t occurred_at_ms,
                            int64_t amount_minor, const char *currency, const char *category,
                            char *errbuf, size_t errlen);
int loyalty_pos_redeem_card(loyalty_pos_t *pos, const char *partner_txn_id,
                            const char *member_id, const char *card_id, int64_t occurred_at_ms,
                            int64_t points, char *errbuf, size_t errlen);
/* Full or partial refund of the accrual original_partner_txn_id. */
int loyalty_pos_refund(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, const char *original_partner_txn_id,
                       int64_t amount_minor, const char *currency, char *errbuf, size_t errlen);
/* Cancels the redemption original_partner_txn_id completely. */
int loyalty_pos_cancel(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, const char *original_partner_txn_id,
                       char *errbuf, size_t errlen);

/* Waits (up to the delivery timeout) for anything still in flight, then frees the
 * producer. NULL is allowed. */
void loyalty_pos_close(loyalty_pos_t *pos);

/* Pure encoders, for tests and for partners with their own Kafka client: validate like
 * the senders, write the serialized envelope into buf and return its length, or a
 * negative code (LOYALTY_POS_EINVAL, LOYALTY_POS_ENOSPC). Produce the result with key =
 * member_id and a murmur2 partitioner (see loyalty_pos_partition). */
long loyalty_pos_encode_accrual(const char *partner_id, const char *partner_txn_id,
                                const char *member_id, int64_t occurred_at_ms,
                                int64_t amount_minor, const char *currency, const char *category,
                                uint8_t *buf, size_t buflen, char *errbuf, size_t errlen);
long loyalty_pos_encode_redemption(const char *partner_id, const char *partner_txn_id,
                                   const char *member_id, int64_t occurred_at_ms, int64_t points,
                                   uint8_t *buf, size_t buflen, char *errbuf, size_t errlen);
long loyalty_pos_encode_accrual_card(const char *partner_id, const char *partner_txn_id,
                                     const char *member_id, const char *card_id,
                                     int64_t occurred_at_ms, int64_t amount_minor,
                                     const char *currency, const char *category, uint8_t *buf,
                                     size_t buflen, char *errbuf, size_t errlen);
long loyalty_pos_encode_redemption_card(const char *partner_id, const char *partner_txn_id,
                                        const char *member_id, const char *card_id,
                                        int64_t occurred_at_ms, int64_t points, uint8_t *buf,
                                        size_t buflen, char *errbuf, size_t errlen);
long loyalty_pos_encode_refund(const char *partner_id, const char *partner_txn_id,
                               const char *member_id, int64_t occurred_at_ms,
                               const char *original_partner_txn_id, int64_t amount_minor,
                               const char *currency, uint8_t *buf, size_t buflen, char *errbuf,
                               size_t errlen);
long loyalty_pos_encode_cancel(const char *partner_id, const char *partner_txn_id,
                               const char *member_id, int64_t occurred_at_ms,
                               const char *original_partner_txn_id, uint8_t *buf, size_t buflen,
                               char *errbuf, size_t errlen);

/* The partition a record keyed by member_id lands on in a topic of partition_count
 * partitions: toPositive(murmur2(utf8(member_id))) % partition_count, as the Java client,
 * librdkafka's murmur2 partitioners and the clearing house compute it.
 * Returns -1 if member_id is NULL or partition_count <= 0. */
int32_t loyalty_pos_partition(const char *member_id, int32_t partition_count);

/* What loyalty_pos_decode_summary reports. */
typedef enum {
    LOYALTY_POS_KIND_ACCRUAL = 1,
    LOYALTY_POS_KIND_REDEMPTION = 2,
    LOYALTY_POS_KIND_REFUND = 3,
    LOYALTY_POS_KIND_CANCEL = 4,
    LOYALTY_POS_KIND_BARRIER = 5,
    LOYALTY_POS_KIND_INQUIRY = 6
} loyalty_pos_kind_t;

#define LOYALTY_POS_TEXT_CAP (LOYALTY_POS_ID_MAX_BYTES + 1)

/* The fields of an envelope; text fields are NUL-terminated, "" when absent; numbers not
 * used by the body kind are 0. */
typedef struct {
    char partner_id[LOYALTY_POS_TEXT_CAP];
    char partner_txn_id[LOYALTY_POS_TEXT_CAP];
    char member_id[LOYALTY_POS_TEXT_CAP];
    int64_t occurred_at_ms;
    int64_t received_at_ms;
    char trace_id[LOYALTY_POS_TEXT_CAP];
    loyalty_pos_kind_t kind;
    int64_t amount_minor;                       /* accrual, refund */
    int64_t points;                             /* redemption */
    char currency[LOYALTY_POS_TEXT_CAP];        /* accrual, refund */
    char category[LOYALTY_POS_TEXT_CAP];        /* accrual */
    char original_partner_txn_id[LOYALTY_POS_TEXT_CAP]; /* refund, cancel */
    int64_t cycle;                              /* barrier */
    int64_t closed_at_ms;                       /* barrier */
} loyalty_pos_summary_t;

/* Decodes serialized envelope bytes into *out. Returns LOYALTY_POS_OK, or
 * LOYALTY_POS_EDECODE (not an envelope, no body, reversal kind neither REFUND nor CANCEL),
 * or LOYALTY_POS_ENOSPC (a text field longer than LOYALTY_POS_ID_MAX_BYTES). */
int loyalty_pos_decode_summary(const uint8_t *buf, size_t len, loyalty_pos_summary_t *out,
                               char *errbuf, size_t errlen);

/* A static, human-readable name of a result code ("LOYALTY_POS_EINVAL", ...). */
const char *loyalty_pos_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* LOYALTY_POS_H */

/* Internal to CLoyaltyPOS: validation, encoding and error formatting shared by the pure
 * encoders (envelope.c) and the producer (producer.c). Not installed. */
#ifndef LOYALTY_POS_INTERNAL_H
#define LOYALTY_POS_INTERNAL_H

#include "loyalty_pos.h"

typedef enum {
    LP_BODY_ACCRUAL,
    LP_BODY_REDEMPTION,
    LP_BODY_REFUND,
    LP_BODY_CANCEL
} lp_body_t;

/* One partner transaction as the public functions take it, before validation. */
typedef struct {
    lp_body_t body;
    const char *partner_id;
    const char *partner_txn_id;
    const char *member_id;
    int64_t occurred_at_ms;
    int64_t amount_minor;  /* accrual, refund */
    int64_t points;        /* redemption */
    const char *currency;  /* accrual, refund */
    const char *category;  /* accrual; NULL = "" */
    const char *original_partner_txn_id; /* refund, cancel */
    const char *card_id;   /* accrual, redemption: the card presented; NULL or "" = none */
} lp_txn_t;

/* Writes "fmt..." into errbuf (if any) and returns code. */
int lp_fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checks an id: present, 1..LOYALTY_POS_ID_MAX_BYTES bytes of visible ASCII. */
int lp_check_id(const char *field, const char *value, char *errbuf, size_t errlen);

/* Validates and serializes; returns the length or a negative code. */
long lp_encode(const lp_txn_t *txn, uint8_t *buf, size_t buflen, char *errbuf, size_t errlen);

#endif

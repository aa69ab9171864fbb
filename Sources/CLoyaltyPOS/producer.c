/* The producer: one librdkafka idempotent producer per loyalty_pos_t, one record per call,
 * each call waiting for its own delivery report. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pos_internal.h"

/* After librdkafka's own message.timeout.ms the message is failed with a delivery report;
 * this margin only guards against a report that never comes. */
#define LP_REPORT_GRACE_MS 5000
/* Bounds one rd_kafka_poll so a QUEUE_FULL retry or a wait checks the deadline often. */
#define LP_POLL_SLICE_MS 100

struct loyalty_pos {
    rd_kafka_t *rk;
    char *partner_id;
    char *topic;
    int delivery_timeout_ms;
    /* The delivery report being waited for is recognised by a sequence number carried as
     * the message's opaque, so a late report of an earlier, timed-out call (which would
     * otherwise write into a returned stack frame) is simply ignored. */
    uint64_t last_seq;
    uint64_t awaited_seq;
    int awaited_done;
    rd_kafka_resp_err_t awaited_err;
};

static int64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs inside rd_kafka_poll/flush on the caller's thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    loyalty_pos_t *pos = opaque;
    if ((uint64_t)(uintptr_t)msg->_private != pos->awaited_seq) return;
    pos->awaited_done = 1;
    pos->awaited_err = msg->err;
}

static char *copy_string(const char *s) {
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy != NULL) memcpy(copy, s, len);
    return copy;
}

static void free_pos(loyalty_pos_t *pos) {
    free(pos->partner_id);
    free(pos->topic);
    free(pos);
}

/* The wire contract fixes these: a partner may not switch them off through extra_config,
 * or its records would not be durable, would land on another shard than the gateway's, or
 * would create the topic with the broker's default partition count. */
static int check_pinned(const char *key, const char *value, char *errbuf, size_t errlen) {
    static const char *const pinned[][3] = {
        {"enable.idempotence", "true", NULL},
        {"acks", "all", "-1"},
        {"request.required.acks", "all", "-1"},
        {"partitioner", "murmur2_random", NULL},
        {"allow.auto.create.topics", "false", NULL},
    };
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        if (strcmp(key, pinned[i][0]) != 0) continue;
        if (strcmp(value, pinned[i][1]) == 0) return LOYALTY_POS_OK;
        if (pinned[i][2] != NULL && strcmp(value, pinned[i][2]) == 0) return LOYALTY_POS_OK;
        return lp_fail(errbuf, errlen, LOYALTY_POS_ECONFIG,
                       "extra_config: %s=%s refused: the wire contract requires %s=%s "
                       "(durable, same partition as the gateway)",
                       key, value, key, pinned[i][1]);
    }
    return LOYALTY_POS_OK;
}

static int set_conf(rd_kafka_conf_t *conf, const char *key, const char *value, char *errbuf,
                    size_t errlen) {
    char reason[512];
    if (rd_kafka_conf_set(conf, key, value, reason, sizeof reason) != RD_KAFKA_CONF_OK) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_ECONFIG, "config %s=%s: %s", key, value,
                       reason);
    }
    return LOYALTY_POS_OK;
}

/* Defaults first, then the partner's extra pairs (pinned keys checked), then read back the
 * effective message timeout so the wait in send_txn matches librdkafka's own. */
static int build_conf(const loyalty_pos_config_t *cfg, int timeout_ms, rd_kafka_conf_t *conf,
                      int *effective_timeout_ms, char *errbuf, size_t errlen) {
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%d", timeout_ms);
    const char *const defaults[][2] = {
        {"bootstrap.servers", cfg->bootstrap_servers},
        {"client.id", "loyalty-pos"},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"partitioner", "murmur2_random"},
        /* A broker that auto-creates topics would pick its own partition count. */
        {"allow.auto.create.topics", "false"},
        {"compression.codec", "lz4"},
        /* Every call waits for its own record: batching would only add latency. */
        {"linger.ms", "0"},
        {"message.timeout.ms", timeout},
    };
    int rc;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if ((rc = set_conf(conf, defaults[i][0], defaults[i][1], errbuf, errlen)) != 0) return rc;
    }
    for (size_t i = 0; cfg->extra_config != NULL && cfg->extra_config[i] != NULL; i += 2) {
        const char *key = cfg->extra_config[i], *value = cfg->extra_config[i + 1];
        if (value == NULL) {
            return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                           "extra_config[%zu]: key %s has no value (pairs must be key, value)",
                           i, key);
        }
        if ((rc = check_pinned(key, value, errbuf, errlen)) != 0) return rc;
        if ((rc = set_conf(conf, key, value, errbuf, errlen)) != 0) return rc;
    }
    char effective[24];
    size_t size = sizeof effective;
    *effective_timeout_ms = timeout_ms;
    if (rd_kafka_conf_get(conf, "message.timeout.ms", effective, &size) == RD_KAFKA_CONF_OK) {
        long parsed = strtol(effective, NULL, 10);
        if (parsed > 0 && parsed <= 24L * 3600 * 1000) *effective_timeout_ms = (int)parsed;
    }
    return LOYALTY_POS_OK;
}

int loyalty_pos_open(const loyalty_pos_config_t *cfg, loyalty_pos_t **out, char *errbuf,
                     size_t errlen) {
    if (out == NULL) return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "out: is NULL");
    *out = NULL;
    if (cfg == NULL) return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "cfg: is NULL");
    if (cfg->bootstrap_servers == NULL || cfg->bootstrap_servers[0] == '\0') {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                       "bootstrap_servers: is required and empty (host:port[,host:port])");
    }
    int rc = lp_check_id("partner_id", cfg->partner_id, errbuf, errlen);
    if (rc != 0) return rc;
    const char *topic = cfg->topic != NULL ? cfg->topic : LOYALTY_POS_DEFAULT_TOPIC;
    if (topic[0] == '\0') {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "topic: is empty (NULL = %s)",
                       LOYALTY_POS_DEFAULT_TOPIC);
    }
    if (cfg->delivery_timeout_ms < 0) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL,
                       "delivery_timeout_ms: must be >= 0 (0 = %d), got %d",
                       LOYALTY_POS_DEFAULT_DELIVERY_TIMEOUT_MS, cfg->delivery_timeout_ms);
    }
    int timeout_ms = cfg->delivery_timeout_ms > 0 ? cfg->delivery_timeout_ms
                                                  : LOYALTY_POS_DEFAULT_DELIVERY_TIMEOUT_MS;

    loyalty_pos_t *pos = calloc(1, sizeof *pos);
    if (pos == NULL) return lp_fail(errbuf, errlen, LOYALTY_POS_ENOMEM, "open: out of memory");
    pos->partner_id = copy_string(cfg->partner_id);
    pos->topic = copy_string(topic);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (pos->partner_id == NULL || pos->topic == NULL || conf == NULL) {
        if (conf != NULL) rd_kafka_conf_destroy(conf);
        free_pos(pos);
        return lp_fail(errbuf, errlen, LOYALTY_POS_ENOMEM, "open: out of memory");
    }
    rc = build_conf(cfg, timeout_ms, conf, &pos->delivery_timeout_ms, errbuf, errlen);
    if (rc != 0) {
        rd_kafka_conf_destroy(conf);
        free_pos(pos);
        return rc;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, pos);
    char reason[512];
    pos->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (pos->rk == NULL) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new takes conf only on success */
        free_pos(pos);
        return lp_fail(errbuf, errlen, LOYALTY_POS_ECONFIG, "open: cannot create producer: %s",
                       reason);
    }
    *out = pos;
    return LOYALTY_POS_OK;
}

static int delivery_failed(loyalty_pos_t *pos, rd_kafka_resp_err_t err, char *errbuf,
                           size_t errlen) {
    char fatal[512];
    if (rd_kafka_fatal_error(pos->rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return lp_fail(errbuf, errlen, LOYALTY_POS_EFATAL,
                       "delivery to %s: producer failed fatally (%s); close and reopen",
                       pos->topic, fatal);
    }
    return lp_fail(errbuf, errlen, LOYALTY_POS_EKAFKA, "delivery to %s failed: %s (%s)",
                   pos->topic, rd_kafka_err2name(err), rd_kafka_err2str(err));
}

/* Validates, encodes, produces keyed by member_id and polls until this record's delivery
 * report arrives (acks=all) or the deadline passes. */
static int send_txn(loyalty_pos_t *pos, lp_txn_t *txn, char *errbuf, size_t errlen) {
    if (pos == NULL) return lp_fail(errbuf, errlen, LOYALTY_POS_EINVAL, "pos: is NULL");
    txn->partner_id = pos->partner_id;
    uint8_t value[LOYALTY_POS_MAX_ENVELOPE_BYTES];
    long size = lp_encode(txn, value, sizeof value, errbuf, errlen);
    if (size < 0) return (int)size;

    uint64_t seq = ++pos->last_seq;
    pos->awaited_seq = seq;
    pos->awaited_done = 0;
    pos->awaited_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int64_t deadline = monotonic_ms() + pos->delivery_timeout_ms + LP_REPORT_GRACE_MS;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            pos->rk, RD_KAFKA_V_TOPIC(pos->topic),
            RD_KAFKA_V_KEY(txn->member_id, strlen(txn->member_id)),
            RD_KAFKA_V_VALUE(value, (size_t)size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && monotonic_ms() < deadline) {
            /* Back-pressure from earlier timed-out records still in flight. */
            rd_kafka_poll(pos->rk, LP_POLL_SLICE_MS);
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL) return delivery_failed(pos, err, errbuf, errlen);
        return lp_fail(errbuf, errlen, LOYALTY_POS_EKAFKA, "produce to %s: %s (%s)", pos->topic,
                       rd_kafka_err2name(err), rd_kafka_err2str(err));
    }
    while (!pos->awaited_done) {
        int64_t remaining = deadline - monotonic_ms();
        if (remaining <= 0) {
            return lp_fail(errbuf, errlen, LOYALTY_POS_ETIMEDOUT,
                           "delivery to %s: no acknowledgement within %d ms; the record may "
                           "still arrive, retry with the same partner_txn_id",
                           pos->topic, pos->delivery_timeout_ms + LP_REPORT_GRACE_MS);
        }
        rd_kafka_poll(pos->rk, remaining < LP_POLL_SLICE_MS ? (int)remaining : LP_POLL_SLICE_MS);
    }
    if (pos->awaited_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return delivery_failed(pos, pos->awaited_err, errbuf, errlen);
    }
    return LOYALTY_POS_OK;
}

int loyalty_pos_accrue(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, int64_t amount_minor, const char *currency,
                       const char *category, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_ACCRUAL, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms,
                  .amount_minor = amount_minor, .currency = currency, .category = category};
    return send_txn(pos, &t, errbuf, errlen);
}

int loyalty_pos_redeem(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, int64_t points, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REDEMPTION, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms, .points = points};
    return send_txn(pos, &t, errbuf, errlen);
}

int loyalty_pos_accrue_card(loyalty_pos_t *pos, const char *partner_txn_id,
                            const char *member_id, const char *card_id, int64_t occurred_at_ms,
                            int64_t amount_minor, const char *currency, const char *category,
                            char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_ACCRUAL, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms,
                  .amount_minor = amount_minor, .currency = currency, .category = category,
                  .card_id = card_id};
    return send_txn(pos, &t, errbuf, errlen);
}

int loyalty_pos_redeem_card(loyalty_pos_t *pos, const char *partner_txn_id,
                            const char *member_id, const char *card_id, int64_t occurred_at_ms,
                            int64_t points, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REDEMPTION, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms, .points = points,
                  .card_id = card_id};
    return send_txn(pos, &t, errbuf, errlen);
}

int loyalty_pos_refund(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, const char *original_partner_txn_id,
                       int64_t amount_minor, const char *currency, char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_REFUND, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms,
                  .original_partner_txn_id = original_partner_txn_id,
                  .amount_minor = amount_minor, .currency = currency};
    return send_txn(pos, &t, errbuf, errlen);
}

int loyalty_pos_cancel(loyalty_pos_t *pos, const char *partner_txn_id, const char *member_id,
                       int64_t occurred_at_ms, const char *original_partner_txn_id,
                       char *errbuf, size_t errlen) {
    lp_txn_t t = {.body = LP_BODY_CANCEL, .partner_txn_id = partner_txn_id,
                  .member_id = member_id, .occurred_at_ms = occurred_at_ms,
                  .original_partner_txn_id = original_partner_txn_id};
    return send_txn(pos, &t, errbuf, errlen);
}

void loyalty_pos_close(loyalty_pos_t *pos) {
    if (pos == NULL) return;
    /* Records of timed-out calls may still be in flight: give them their timeout, so
     * destroy does not drop what the broker might still acknowledge. */
    rd_kafka_flush(pos->rk, pos->delivery_timeout_ms);
    rd_kafka_destroy(pos->rk);
    free_pos(pos);
}

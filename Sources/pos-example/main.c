/* pos-example: sends one accrual, one redemption, one refund and one cancel for a member
 * through the C SDK and prints each result code.
 *
 *   pos-example [BOOTSTRAP_SERVERS [MEMBER_ID [PARTNER_ID]]]
 *
 * Without BOOTSTRAP_SERVERS it reads var/bootstrap.txt, as written by `loyalty broker`. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loyalty_pos.h"

static int read_bootstrap(const char *path, char *out, size_t size) {
    FILE *file = fopen(path, "r");
    if (file == NULL) return -1;
    char *line = fgets(out, (int)size, file);
    fclose(file);
    if (line == NULL) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] != '\0' ? 0 : -1;
}

static int report(const char *what, int rc, const char *errbuf) {
    if (rc == LOYALTY_POS_OK) {
        printf("%-10s -> %d (acknowledged)\n", what, rc);
    } else {
        printf("%-10s -> %d %s: %s\n", what, rc, loyalty_pos_strerror(rc), errbuf);
    }
    return rc == LOYALTY_POS_OK ? 0 : 1;
}

int main(int argc, char **argv) {
    char bootstrap[1024];
    if (argc > 1) {
        snprintf(bootstrap, sizeof bootstrap, "%s", argv[1]);
    } else if (read_bootstrap("var/bootstrap.txt", bootstrap, sizeof bootstrap) != 0) {
        fprintf(stderr, "usage: %s [BOOTSTRAP_SERVERS [MEMBER_ID [PARTNER_ID]]]\n"
                        "no bootstrap servers given and var/bootstrap.txt is missing or empty "
                        "(start `loyalty broker` first)\n", argv[0]);
        return 2;
    }
    const char *member = argc > 2 ? argv[2] : "member-000042";
    const char *partner = argc > 3 ? argv[3] : "pharmacy";

    char errbuf[512] = "";
    loyalty_pos_config_t config = {
        .bootstrap_servers = bootstrap,
        .partner_id = partner,
        .topic = NULL,
        .extra_config = NULL,
        .delivery_timeout_ms = 10000,
    };
    loyalty_pos_t *pos = NULL;
    int rc = loyalty_pos_open(&config, &pos, errbuf, sizeof errbuf);
    if (rc != LOYALTY_POS_OK) {
        fprintf(stderr, "open -> %d %s: %s\n", rc, loyalty_pos_strerror(rc), errbuf);
        return 1;
    }

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    /* partner_txn_ids must be unique per partner: derive them from the clock. */
    char accrual_id[64], redemption_id[64], refund_id[64], cancel_id[64];
    snprintf(accrual_id, sizeof accrual_id, "pos-%lld-sale", (long long)now_ms);
    snprintf(redemption_id, sizeof redemption_id, "pos-%lld-pay", (long long)now_ms);
    snprintf(refund_id, sizeof refund_id, "pos-%lld-refund", (long long)now_ms);
    snprintf(cancel_id, sizeof cancel_id, "pos-%lld-cancel", (long long)now_ms);

    printf("partner %s, member %s (partition %d of 8), bootstrap %s\n", partner, member,
           loyalty_pos_partition(member, 8), bootstrap);
    int failures = 0;
    rc = loyalty_pos_accrue(pos, accrual_id, member, now_ms, 12990, "EUR", "pharmacy", errbuf,
                            sizeof errbuf);
    failures += report("accrual", rc, errbuf);
    rc = loyalty_pos_redeem(pos, redemption_id, member, now_ms + 1, 10, errbuf, sizeof errbuf);
    failures += report("redemption", rc, errbuf);
    rc = loyalty_pos_refund(pos, refund_id, member, now_ms + 2, accrual_id, 2990, "EUR", errbuf,
                            sizeof errbuf);
    failures += report("refund", rc, errbuf);
    rc = loyalty_pos_cancel(pos, cancel_id, member, now_ms + 3, redemption_id, errbuf,
                            sizeof errbuf);
    failures += report("cancel", rc, errbuf);
    /* And what invalid input looks like: refused locally, nothing published. */
    rc = loyalty_pos_accrue(pos, "pos-invalid", member, now_ms, 100, "eur", NULL, errbuf,
                            sizeof errbuf);
    printf("%-10s -> %d %s: %s (expected)\n", "invalid", rc, loyalty_pos_strerror(rc), errbuf);

    loyalty_pos_close(pos);
    return failures == 0 ? 0 : 1;
}

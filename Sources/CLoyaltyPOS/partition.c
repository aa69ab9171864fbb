/* Java-compatible murmur2 partitioning (Kafka's DefaultPartitioner, librdkafka's murmur2 and
 * murmur2_random partitioners, the clearing house's Murmur2.partition). */
#include <string.h>

#include "loyalty_pos.h"

static uint32_t murmur2(const unsigned char *data, size_t length) {
    const uint32_t m = 0x5bd1e995u;
    uint32_t h = 0x9747b28cu ^ (uint32_t)length;
    size_t blocks = length / 4;
    for (size_t i = 0; i < blocks; i++) {
        const unsigned char *p = data + i * 4;
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    const unsigned char *tail = data + blocks * 4;
    switch (length & 3) {
    case 3: h ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: h ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default: break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

int32_t loyalty_pos_partition(const char *member_id, int32_t partition_count) {
    if (member_id == NULL || partition_count <= 0) return -1;
    uint32_t h = murmur2((const unsigned char *)member_id, strlen(member_id));
    /* Java's toPositive: clear the sign bit (not abs). */
    return (int32_t)((h & 0x7fffffffu) % (uint32_t)partition_count);
}

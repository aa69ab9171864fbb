#ifndef LOYALTY_CSQLITE_SHIM_H
#define LOYALTY_CSQLITE_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's memory
   statistics: they take one process-wide mutex around every allocation, which the
   threads applying different shards at once contended on. Only effective before
   SQLite is initialised (returns SQLITE_MISUSE after). */
static inline int loyalty_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif

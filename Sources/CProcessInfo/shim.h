#ifndef LOYALTY_CPROCESSINFO_SHIM_H
#define LOYALTY_CPROCESSINFO_SHIM_H
#include <malloc.h>
#include <time.h>

/* glibc's view of the heap, for `loyalty bench history`: bytes in use (small blocks in
   the arenas plus mmapped large ones) and bytes freed but kept in the arenas. Returns 0
   where mallinfo2 does not exist (not glibc, or glibc before 2.33). */
static inline int loyalty_heap_usage(unsigned long long *in_use, unsigned long long *kept_free) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    *in_use = (unsigned long long)info.uordblks + (unsigned long long)info.hblkhd;
    *kept_free = (unsigned long long)info.fordblks;
    return 1;
#else
    (void)in_use;
    (void)kept_free;
    return 0;
#endif
}

/* CPU time of the calling thread, seconds. */
static inline double loyalty_thread_cpu_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}
#endif

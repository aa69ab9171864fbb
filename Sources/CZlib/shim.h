#ifndef LOYALTY_CZLIB_SHIM_H
#define LOYALTY_CZLIB_SHIM_H
/* zlib from Debian (zlib1g-dev): compress2/uncompress for the ledger's archive files. */
#include <zlib.h>
#endif

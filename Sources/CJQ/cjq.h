// Thin shim over Debian's libjq 1.6 (libjq-dev). Debian ships no pkg-config file for libjq,
// so the module map links `jq` directly. Only C and libc headers are reachable from here:
// nothing that pulls in ICU or Foundation.
#ifndef FLOWGATE_CJQ_H
#define FLOWGATE_CJQ_H

#include <jq.h>
#include <jv.h>

#endif

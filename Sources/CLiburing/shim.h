#ifndef TESSERA_CLIBURING_SHIM_H
#define TESSERA_CLIBURING_SHIM_H

// These must come before <liburing.h>: without them Swift's Glibc module and liburing disagree about
// fd_set and sigset_t in debug builds.
#include <sys/select.h>
#include <sys/socket.h>
#include <signal.h>
#include <liburing.h>

/// IOSQE_IO_LINK is a macro over an enum and does not import into Swift.
static inline unsigned char tessera_iosqe_io_link(void) { return (unsigned char)IOSQE_IO_LINK; }

#endif

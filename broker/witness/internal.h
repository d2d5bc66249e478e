/* broker/witness/: what its files share, not part of witness.h. */
#ifndef BG_WITNESS_INTERNAL_H
#define BG_WITNESS_INTERNAL_H

#include "broker/witness/witness.h"

/* One add-checkpoint's answer: 200 lines, or a 409's size. */
struct bg_witness_reply {
	long status;
	uint64_t size;
	char lines[4097];
	size_t len;
};

/*
 * POSTs add-checkpoint to w: old, proof (NULL or empty for none), the
 * checkpoint note cp. BG_OK with rep filled for any HTTP status; BG_EIO
 * (bg_why) when no answer came.
 */
int bg_witness_add(const struct bg_witness *w, long timeout_ms, uint64_t old,
    const struct bg_audit_proof *proof, const char *cp, size_t cplen,
    struct bg_witness_reply *rep);

#endif /* BG_WITNESS_INTERNAL_H */

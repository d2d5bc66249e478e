/* Internals of broker/service/: the steps of the commands touched in a
 * client (steps.c), served by conn.c. */
#ifndef BG_SERVICE_INT_H
#define BG_SERVICE_INT_H

#include <cjson/cJSON.h>

#include "broker/ceremony/ceremony.h"

/*
 * A command whose touch happens in the client: the daemon's checks and
 * the kit (the state open, then closed while the person touches), the
 * client's answer ("submit"), the daemon's checks again and the write;
 * *after (may stay NULL) goes back with the result (a release's request
 * file, only once release.done is recorded).
 */
struct bg_service_step {
	const char *op;
	const char *what;	/* the refusal's words */
	int (*kit)(struct bg_cer *c, const cJSON *args, cJSON **kit);
	int (*submit)(struct bg_cer *c, const cJSON *args, const cJSON *kit,
	    const cJSON *sub, cJSON **after);
};

/* The step of wire op op, or NULL. */
const struct bg_service_step *bg_service_step_of(const char *op);

#endif

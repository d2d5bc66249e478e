/*
 * What the drivers share, below the interface: options, prompts, the
 * timeout, the growing device list.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tokens/internal.h"

struct bg_token_opts
bg_token_opts_default(void)
{
	struct bg_token_opts o;

	memset(&o, 0, sizeof(o));
	o.pin_fd = -1;
	return o;
}

void
bg_token_say(const struct bg_token_opts *o, const char *msg)
{
	if (o->prompt != NULL)
		o->prompt(o->prompt_ctx, msg);
}

int
bg_token_timeout(const struct bg_token_opts *o)
{
	return o->timeout_ms > 0 ? o->timeout_ms : BG_TOKEN_TIMEOUT_MS;
}

int
bg_devs_push(struct bg_token_dev **devs, size_t *n, size_t *cap,
    const struct bg_token_dev *dev)
{
	struct bg_token_dev *p;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		if ((p = realloc(*devs, c * sizeof(*p))) == NULL)
			return BG_ENOMEM;
		*devs = p;
		*cap = c;
	}
	(*devs)[(*n)++] = *dev;
	return BG_OK;
}

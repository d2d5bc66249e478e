/* The interface: dispatch to the driver of each kind. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tokens/internal.h"

int
bg_token_list(struct bg_token_dev **devs, size_t *n)
{
	size_t cap = 0;
	int r;

	bg_clear_why();
	if (devs == NULL || n == NULL)
		return BG_EINVAL;
	*devs = NULL;
	*n = 0;
	if ((r = bg_fido2_list(devs, n, &cap)) != BG_OK ||
	    (r = bg_yk_list(devs, n, &cap)) != BG_OK) {
		free(*devs);
		*devs = NULL;
		*n = 0;
	}
	return r;
}

int
bg_token_enroll(enum bg_token_kind kind, const struct bg_token_opts *o,
    bg_token_desc_t **desc)
{
	bg_clear_why();
	if (o == NULL || desc == NULL)
		return BG_EINVAL;
	*desc = NULL;
	if (kind == BG_TOKEN_FIDO2)
		return bg_fido2_enroll(o, desc);
	if (kind == BG_TOKEN_YUBIKEY)
		return bg_yk_enroll(o, desc);
	return BG_EINVAL;
}

int
bg_token_unlock(const bg_token_desc_t *d, const struct bg_token_opts *o,
    bg_token_key_t **key)
{
	bg_clear_why();
	if (d == NULL || o == NULL || key == NULL)
		return BG_EINVAL;
	*key = NULL;
	return d->kind == BG_TOKEN_FIDO2 ? bg_fido2_unlock(d, o, key) :
	    bg_yk_unlock(d, o, key);
}

/*
 * Credential ids: id = version(1) || AES-256-GCM(master, aad = version,
 * flags || rpIdHash || d || x || y || credRandomUV || credRandomNoUV).
 * Stateless like a real token's non-resident credentials, and unforgeable:
 * a modified id fails the GCM tag and is simply not one of ours.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "vfido_int.h"

int
vf_cred_seal(const unsigned char master[32], const struct vf_cred *c,
    unsigned char id[VF_CRED_ID_LEN])
{
	unsigned char	pt[VF_CRED_PT_LEN];
	unsigned char	*p = pt;
	int		r;

	*p++ = (unsigned char)c->flags;
	memcpy(p, c->rp_id_hash, 32); p += 32;
	memcpy(p, c->d, 32); p += 32;
	memcpy(p, c->x, 32); p += 32;
	memcpy(p, c->y, 32); p += 32;
	memcpy(p, c->cr_uv, 32); p += 32;
	memcpy(p, c->cr_nouv, 32);
	id[0] = VF_CRED_VERSION;
	r = vf_gcm_seal(master, id, 1, pt, sizeof(pt), id + 1);
	OPENSSL_cleanse(pt, sizeof(pt));
	return (r);
}

int
vf_cred_open(const unsigned char master[32], const unsigned char *id,
    size_t id_len, struct vf_cred *c)
{
	unsigned char	 pt[VF_CRED_PT_LEN];
	const unsigned char *p = pt;

	memset(c, 0, sizeof(*c));
	if (id_len != VF_CRED_ID_LEN || id[0] != VF_CRED_VERSION ||
	    vf_gcm_open(master, id, 1, id + 1, id_len - 1, pt) < 0)
		return (-1);
	c->flags = *p++;
	memcpy(c->rp_id_hash, p, 32); p += 32;
	memcpy(c->d, p, 32); p += 32;
	memcpy(c->x, p, 32); p += 32;
	memcpy(c->y, p, 32); p += 32;
	memcpy(c->cr_uv, p, 32); p += 32;
	memcpy(c->cr_nouv, p, 32);
	OPENSSL_cleanse(pt, sizeof(pt));
	return (0);
}

void
vf_cred_clear(struct vf_cred *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

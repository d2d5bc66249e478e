/*
 * The kit (ceremony.h): what breakglassd gives a client so that the
 * client, not the daemon, touches the token, opens the custodian's own
 * box and signs. The client checks the kit as far as it can alone: the
 * chain from genesis (its fingerprint is the one custodians keep), the
 * vault's governance state against the chain's head, each item's
 * commitments against the version's root. The daemon checks what comes
 * back (approve.c); a client is never trusted.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/ceremony/internal.h"


int
bg_cer_log_head(struct bg_cer *c, uint64_t *size, uint8_t root[32])
{
	struct bg_audit_proof proof;
	int r;

	if (c->remote) {
		*size = c->log_size;
		memcpy(root, c->log_root, 32);
		return BG_OK;
	}
	if ((r = bg_audit_prove(c->st.log, 0, 0, &proof)) != BG_OK)
		return r;
	*size = proof.size;
	memcpy(root, proof.root, 32);
	return BG_OK;
}

static int
kit_commitments(const struct bg_vault *v, cJSON *kit)
{
	cJSON *arr = cJSON_AddArrayToObject(kit, "commitments"), *s;
	const struct bg_v2_version *ver;
	char *b64;
	size_t a, i, n;

	if (arr == NULL)
		return BG_ENOMEM;
	for (a = 0; a < v->naccounts; a++)
		for (i = 0; i < v->accounts[a].nitems; i++) {
			ver = v->accounts[a].items[i].ver;
			n = bg_b64_len(ver->commitments_len);
			if ((b64 = malloc(n)) == NULL)
				return BG_ENOMEM;
			(void)bg_b64_encode(ver->commitments,
			    ver->commitments_len, b64, n);
			s = cJSON_CreateString(b64);
			free(b64);
			if (s == NULL)
				return BG_ENOMEM;
			cJSON_AddItemToArray(arr, s);
		}
	return BG_OK;
}

/* The log's signed checkpoint: a client checks it with its verifier. */
static int
kit_checkpoint(struct bg_cer *c, cJSON *k)
{
	char *note = NULL;
	size_t len;
	int r;

	if ((r = bg_audit_checkpoint(c->st.log, &note, &len)) != BG_OK)
		return r;
	if (!cJSON_AddStringToObject(k, "checkpoint", note))
		r = BG_ENOMEM;
	free(note);
	return r;
}

int
bg_cer_kit_checkpoint(const struct bg_cer *c, const cJSON *kit,
    const char *vkey)
{
	const cJSON *cp = cJSON_GetObjectItemCaseSensitive(kit, "checkpoint");
	uint8_t root[32];
	uint64_t size;

	if (!cJSON_IsString(cp) || bg_audit_checkpoint_check(cp->valuestring,
	    strlen(cp->valuestring), vkey, &size, root) != BG_OK) {
		bg_set_why("the daemon's log is not signed by the verifier key "
		    "breakglass.conf names (another log, or another daemon)");
		return BG_ETAMPER;
	}
	if (size != c->log_size || bg_ct_memcmp(root, c->log_root, 32) != 0) {
		bg_set_why("the daemon's signed checkpoint (size %llu) is not the "
		    "log head its kit names (size %llu)", (unsigned long long)size,
		    (unsigned long long)c->log_size);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_cer_kit(struct bg_cer *c, cJSON **kit)
{
	*kit = NULL;
	if (c->chain == NULL) {
		bg_set_why("the vault has no genesis yet ('vault arm')");
		return BG_EPERM;
	}
	return cer_kit_any(c, kit);
}

int
cer_kit_any(struct bg_cer *c, cJSON **kit)
{
	cJSON *k = cJSON_CreateObject(), *v = NULL, *ch = NULL;
	uint8_t root[32];
	char hex[65];
	uint64_t size;
	int r;

	*kit = NULL;
	if (k == NULL)
		return BG_ENOMEM;
	if ((r = bg_vault_to_json(c->v, &v)) != BG_OK ||
	    (r = bg_json_add(k, "vault", v)) != BG_OK ||
	    (c->chain != NULL &&
	    ((r = bg_chain_to_json(c->chain, &ch)) != BG_OK ||
	    (r = bg_json_add(k, "chain", ch)) != BG_OK)) ||
	    (r = kit_commitments(c->v, k)) != BG_OK ||
	    (r = bg_cer_log_head(c, &size, root)) != BG_OK)
		goto out;
	bg_hex_encode(root, 32, hex, sizeof(hex));
	if (!cJSON_AddNumberToObject(k, "log_size", (double)size) ||
	    !cJSON_AddStringToObject(k, "log_root", hex))
		r = BG_ENOMEM;
	else
		r = kit_checkpoint(c, k);
out:
	if (r == BG_OK)
		*kit = k;
	else
		cJSON_Delete(k);
	return r;
}

/*
 * The kit with request f: every approval's share boxes left out. They
 * open with the request key, so only a release hands them out, and only
 * after release.done is recorded (release.c).
 */
int
cer_kit_with(struct bg_cer *c, const struct bg_rqfile *f, cJSON **kit)
{
	cJSON *j = NULL, *ap, *e;
	int r;

	if ((r = bg_cer_kit(c, kit)) != BG_OK)
		return r;
	if ((r = bg_rqfile_to_json(f, &j)) == BG_OK) {
		ap = cJSON_GetObjectItemCaseSensitive(j, "approvals");
		cJSON_ArrayForEach(e, ap)
			if (!cJSON_ReplaceItemInObjectCaseSensitive(e, "shares",
			    cJSON_CreateArray()))
				r = BG_ENOMEM;
	}
	if (r == BG_OK)
		r = bg_json_add(*kit, "request", j);
	else
		cJSON_Delete(j);
	if (r != BG_OK) {
		cJSON_Delete(*kit);
		*kit = NULL;
	}
	return r;
}

/* One kit blob, decoded: BG_OK and *buf (caller frees). */
static int
blob(const cJSON *s, uint8_t **buf, size_t *n)
{
	size_t len, max;

	*buf = NULL;
	if (!cJSON_IsString(s) || (len = strlen(s->valuestring)) == 0 ||
	    (max = len / 4 * 3 + 3) > BG_COMMITMENTS_MAX)
		return BG_EFORMAT;
	if ((*buf = malloc(max)) == NULL)
		return BG_ENOMEM;
	if (bg_b64_decode(s->valuestring, len, *buf, max, n) != BG_OK) {
		free(*buf);
		*buf = NULL;
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* The blob of arr whose root is ver's. */
int
cer_commitments_of(const cJSON *arr, struct bg_v2_version *ver)
{
	const cJSON *s;
	uint8_t *buf, root[32];
	size_t n;

	cJSON_ArrayForEach(s, arr) {
		if (blob(s, &buf, &n) != BG_OK)
			break;
		if (bg_commitments_root(buf, n, root) == BG_OK &&
		    bg_ct_memcmp(root, ver->root, 32) == 0) {
			ver->commitments = buf;
			ver->commitments_len = n;
			return BG_OK;
		}
		free(buf);
	}
	bg_set_why("the kit lacks the commitments of a version (or holds "
	    "a malformed one)");
	return BG_ETAMPER;
}

static int
remote_vault(struct bg_cer *c, const cJSON *kit)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kit, "vault"),
	    *cm = cJSON_GetObjectItemCaseSensitive(kit, "commitments");
	size_t a, i;
	int r;

	if (!cJSON_IsArray(cm) || (r = bg_vault_from_json(v, &c->v)) !=
	    BG_OK) {
		bg_set_why("the daemon's kit holds no valid vault");
		return BG_EFORMAT;
	}
	for (a = 0; a < c->v->naccounts; a++)
		for (i = 0; i < c->v->accounts[a].nitems; i++)
			if ((r = cer_commitments_of(cm,
			    c->v->accounts[a].items[i].ver)) != BG_OK)
				return r;
	return BG_OK;
}

static int
remote_log(struct bg_cer *c, const cJSON *kit)
{
	const char *hex;

	if (bg_json_get_u64(kit, "log_size", 1, UINT64_MAX / 2,
	    &c->log_size) != BG_OK ||
	    bg_json_get_str(kit, "log_root", 64, &hex) != BG_OK ||
	    bg_hex_decode_exact(hex, strlen(hex), c->log_root, 32) != BG_OK) {
		bg_set_why("the daemon's kit holds no valid log head");
		return BG_EFORMAT;
	}
	return BG_OK;
}

/*
 * The chain from genesis and the vault checked against its head; before
 * the genesis there is none, and only a change (the genesis's own
 * approval) can be made of such a kit: every other step needs the
 * fingerprint and head its request or statement names.
 */
static int
remote_chain(struct bg_cer *c, const cJSON *kit)
{
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(kit, "chain");
	int r;

	if (ch == NULL)
		return BG_OK;
	if ((r = bg_chain_from_json(ch, &c->chain)) != BG_OK)
		return r;
	return bg_chain_check_vault(c->chain, c->v);
}

/* What the genesis says the vault is, as this process expects it. */
static int
remote_mode(const struct bg_cer *c)
{
	if (c->v->production == bg_state_production())
		return BG_OK;
	bg_set_why("the daemon's vault is %s, this client is not",
	    c->v->production ? "production" : "a rehearsal");
	return BG_ETAMPER;
}

int
bg_cer_remote(struct bg_cer *c, const cJSON *kit, FILE *out,
    const struct bg_token_opts *o)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->remote = 1;
	c->out = out;
	c->o = *o;
	c->now = (uint64_t)time(NULL);
	if ((r = remote_log(c, kit)) != BG_OK ||
	    (r = remote_vault(c, kit)) != BG_OK ||
	    (r = remote_chain(c, kit)) != BG_OK ||
	    (r = remote_mode(c)) != BG_OK) {
		bg_cer_end(c);
		return r;
	}
	return BG_OK;
}

/*
 * Loading and saving vault.json through the audited state (vault.h), with
 * each version's commitments file beside it: versions/<root>.bin, named
 * by the root the sealer signed, so the file needs no log entry of its
 * own and a changed byte is a different name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/vault/vault.h"

static void
blob_name(const uint8_t root[32], char out[128])
{
	char hex[65];

	bg_hex_encode(root, 32, hex, sizeof(hex));
	snprintf(out, 128, BG_VAULT_VERSIONS_DIR "/%s.bin", hex);
}

static int
load_commitments(const struct bg_state *st, struct bg_vault_item *it)
{
	struct bg_v2_version *ver = it->ver;
	uint8_t root[32];
	char name[128];
	int r;

	blob_name(ver->root, name);
	r = bg_state_get_blob(st, name, BG_COMMITMENTS_MAX, &ver->commitments,
	    &ver->commitments_len);
	if (r == BG_ENOENT) {
		bg_set_why("%s (commitments of %s version %llu) is missing",
		    name, it->name, (unsigned long long)it->version);
		return BG_ETAMPER;
	}
	if (r != BG_OK)
		return r;
	if ((r = bg_commitments_root(ver->commitments, ver->commitments_len,
	    root)) != BG_OK)
		return r;
	if (bg_ct_memcmp(root, ver->root, 32) != 0) {
		bg_set_why("%s does not hash to its name", name);
		return BG_ETAMPER;
	}
	return BG_OK;
}

int
bg_vault_load(const struct bg_state *st, struct bg_vault **v)
{
	cJSON *j = NULL;
	size_t a, i;
	int r;

	*v = NULL;
	if ((r = bg_state_read(st, BG_VAULT_FILE, &j)) == BG_ENOENT) {
		bg_set_why("no vault in %s: run 'breakglass init' first",
		    st->dir);
		return r;
	}
	if (r == BG_OK)
		r = bg_vault_from_json(j, v);
	cJSON_Delete(j);
	for (a = 0; r == BG_OK && a < (*v)->naccounts; a++)
		for (i = 0; r == BG_OK && i < (*v)->accounts[a].nitems; i++)
			r = load_commitments(st, &(*v)->accounts[a].items[i]);
	if (r != BG_OK)
		bg_vault_free(v);
	return r;
}

/* Writes the file unless it is there with these very bytes. */
static int
save_commitments(struct bg_state *st, const struct bg_v2_version *ver)
{
	uint8_t *old = NULL;
	size_t len;
	char name[128];
	int same;

	blob_name(ver->root, name);
	same = bg_state_get_blob(st, name, BG_COMMITMENTS_MAX, &old,
	    &len) == BG_OK && len == ver->commitments_len &&
	    memcmp(old, ver->commitments, len) == 0;
	free(old);
	return same ? BG_OK : bg_state_put_blob(st, name, ver->commitments,
	    ver->commitments_len);
}

int
bg_vault_save(struct bg_state *st, const struct bg_vault *v,
    const struct bg_audit_event *ev)
{
	cJSON *j = NULL;
	size_t a, i;
	int r = BG_OK;

	for (a = 0; r == BG_OK && a < v->naccounts; a++)
		for (i = 0; r == BG_OK && i < v->accounts[a].nitems; i++)
			r = save_commitments(st, v->accounts[a].items[i].ver);
	if (r == BG_OK && (r = bg_vault_to_json(v, &j)) == BG_OK)
		r = bg_state_write(st, BG_VAULT_FILE, j, ev);
	cJSON_Delete(j);
	return r;
}

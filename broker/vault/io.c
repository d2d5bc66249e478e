/* Loading and saving vault.json through the audited state (vault.h). */
#include "broker/vault/vault.h"

int
bg_vault_load(const struct bg_state *st, struct bg_vault **v)
{
	cJSON *j = NULL;
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
	return r;
}

int
bg_vault_save(struct bg_state *st, const struct bg_vault *v,
    const struct bg_audit_event *ev)
{
	cJSON *j = NULL;
	int r;

	if ((r = bg_vault_to_json(v, &j)) == BG_OK)
		r = bg_state_write(st, BG_VAULT_FILE, j, ev);
	cJSON_Delete(j);
	return r;
}

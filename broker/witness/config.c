/* broker/witness/ the "witness" member of breakglass.json (witness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/state/state.h"
#include "broker/witness/witness.h"

#define CONFIG_MAX (256u << 10)

/* https://, or http:// to a loopback host (a test's witness). */
static int
url_ok(const char *u)
{
	static const char *const local[] = { "http://127.0.0.1:",
	    "http://127.0.0.1/", "http://[::1]:", "http://[::1]/", NULL };
	size_t i;

	if (strchr(u, '@') != NULL || strchr(u, '?') != NULL ||
	    strchr(u, '#') != NULL)
		return 0;
	if (strncmp(u, "https://", 8) == 0)
		return 1;
	for (i = 0; local[i] != NULL; i++)
		if (strncmp(u, local[i], strlen(local[i])) == 0)
			return 1;
	return 0;
}

static int
one(const cJSON *o, struct bg_witness *w, size_t i)
{
	static const char *const keys[] = { "vkey", "url", NULL };
	const char *vkey, *url;

	if (bg_json_only_keys(o, keys) != BG_OK ||
	    bg_json_get_str(o, "vkey", 512, &vkey) != BG_OK ||
	    bg_json_get_str(o, "url", BG_WITNESS_URL_MAX, &url) != BG_OK) {
		bg_set_why("witness.witnesses[%zu] must be {\"vkey\", \"url\"}",
		    i);
		return BG_EFORMAT;
	}
	if (bg_audit_cosig_key_parse(vkey, strlen(vkey), &w->key) != BG_OK) {
		bg_set_why("witness.witnesses[%zu].vkey is not a cosignature "
		    "key (NAME+HEX8+base64 of 0x04 and an Ed25519 key)", i);
		return BG_EFORMAT;
	}
	if (!url_ok(url) || !bg_text_ok(url, 0)) {
		bg_set_why("witness.witnesses[%zu].url must be https:// (or "
		    "http:// on the loopback), without user, query or "
		    "fragment", i);
		return BG_EFORMAT;
	}
	snprintf(w->url, sizeof(w->url), "%s", url);
	return BG_OK;
}

static int
require(const cJSON *o, struct bg_witness_config *cfg)
{
	const cJSON *arr, *e;
	int r;

	if ((r = bg_json_get_array(o, "require", &arr)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK)
		goto bad;
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e))
			goto bad;
		if (strcmp(e->valuestring, "approve") == 0)
			cfg->require_approve = 1;
		else if (strcmp(e->valuestring, "seal") == 0)
			cfg->require_seal = 1;
		else if (strcmp(e->valuestring, "change") == 0)
			cfg->require_change = 1;
		else
			goto bad;
	}
	return BG_OK;
bad:
	bg_set_why("witness.require must list some of \"approve\", \"seal\" "
	    "and \"change\"");
	return BG_EFORMAT;
}

static int
duplicate(const struct bg_witness_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(cfg->w[i].key.name, cfg->w[j].key.name) == 0 ||
			    memcmp(cfg->w[i].key.pub, cfg->w[j].key.pub, 32) ==
			    0)
				return 1;	/* one key counts once */
	return 0;
}

int
bg_witness_config_from_json(const cJSON *root, struct bg_witness_config *cfg)
{
	static const char *const keys[] = { "witnesses", "quorum", "require",
	    "timeout_ms", NULL };
	const cJSON *o, *arr, *e;
	uint64_t q = 1, t = BG_WITNESS_TIMEOUT_DEFAULT;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if ((r = bg_json_get_obj(root, "witness", &o)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || bg_json_only_keys(o, keys) != BG_OK ||
	    bg_json_get_array(o, "witnesses", &arr) != BG_OK ||
	    cJSON_GetArraySize(arr) < 1 ||
	    cJSON_GetArraySize(arr) > BG_WITNESS_MAX) {
		bg_set_why("witness must be an object of witnesses (1 to %d), "
		    "quorum, require and timeout_ms", BG_WITNESS_MAX);
		return BG_EFORMAT;
	}
	cJSON_ArrayForEach(e, arr)
		if ((r = one(e, &cfg->w[cfg->n], cfg->n)) != BG_OK)
			return r;
		else
			cfg->n++;
	if (duplicate(cfg)) {
		bg_set_why("witness.witnesses names a witness (or a key) twice");
		return BG_EFORMAT;
	}
	if (((r = bg_json_get_u64(o, "quorum", 1, cfg->n, &q)) != BG_OK &&
	    r != BG_ENOENT) || ((r = bg_json_get_u64(o, "timeout_ms", 100,
	    120000, &t)) != BG_OK && r != BG_ENOENT)) {
		bg_set_why("witness.quorum must be 1 to the number of "
		    "witnesses, timeout_ms 100 to 120000");
		return BG_ERANGE;
	}
	cfg->quorum = (size_t)q;
	cfg->timeout_ms = (long)t;
	cfg->present = 1;
	return require(o, cfg);
}

/* breakglass.json is the file config set recorded (not a hand edit). */
static int
recorded(const char *state_dir)
{
	struct bg_state st;
	int r;

	if ((r = bg_state_open(&st, state_dir)) != BG_OK)
		return r;
	r = bg_state_check_file(&st, "breakglass.json");
	bg_state_close(&st);
	if (r == BG_ETAMPER)
		bg_set_why("breakglass.json is not the file config set "
		    "recorded: its witnesses are not trusted");
	return r == BG_ENOENT ? BG_OK : r;
}

int
bg_witness_config_load(const char *state_dir, struct bg_witness_config *cfg)
{
	char path[BG_PATH_MAX], *text = NULL;
	size_t len;
	cJSON *j;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if ((r = recorded(state_dir)) != BG_OK)
		return r;
	if ((r = bg_path_join(path, sizeof(path), state_dir,
	    "breakglass.json")) != BG_OK)
		return r;
	if ((r = bg_file_read(path, CONFIG_MAX, &text, &len)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK)
		return r;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	    text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if ((j = bg_json_parse(text, len)) == NULL) {
		/* the alert hooks' secrets are in it too */
		bg_wipe(text, len);
		free(text);
		bg_set_why("breakglass.json is not strict JSON");
		return BG_EFORMAT;
	}
	r = bg_witness_config_from_json(j, cfg);
	cJSON_Delete(j);
	bg_wipe(text, len);
	free(text);
	return r;
}

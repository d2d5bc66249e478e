/* broker/aws/ the "aws" member of breakglass.json (aws.h). */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "broker/aws/aws.h"

static int
opt_str(const cJSON *o, const char *key, size_t max, char *out)
{
	const char *s;
	int r;

	if ((r = bg_json_get_str(o, key, max, &s)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || !bg_text_ok(s, 0) || s[0] == '\0') {
		bg_set_why("aws.%s must be text of 1 to %zu bytes", key, max);
		return BG_EFORMAT;
	}
	snprintf(out, max + 1, "%s", s);
	return BG_OK;
}

static int
opt_u64(const cJSON *o, const char *key, uint64_t lo, uint64_t hi,
    uint64_t *out)
{
	int r = bg_json_get_u64(o, key, lo, hi, out);

	if (r == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK)
		bg_set_why("aws.%s must be a whole number from %llu to %llu",
		    key, (unsigned long long)lo, (unsigned long long)hi);
	return r;
}

int
bg_aws_config_from_json(const cJSON *root, struct bg_aws_config *cfg)
{
	static const char *const keys[] = { "role", "profile", "region",
	    "window_seconds", "timeout_ms", NULL };
	const cJSON *o;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->window = BG_AWS_WINDOW_DEFAULT;
	cfg->timeout_ms = BG_AWS_TIMEOUT_DEFAULT;
	if ((r = bg_json_get_obj(root, "aws", &o)) == BG_ENOENT)
		return BG_OK;
	if (r != BG_OK || bg_json_only_keys(o, keys) != BG_OK) {
		bg_set_why("aws must be an object of role, profile, region, "
		    "window_seconds and timeout_ms");
		return BG_EFORMAT;
	}
	if ((r = opt_str(o, "role", sizeof(cfg->role) - 1, cfg->role)) !=
	    BG_OK || (r = opt_str(o, "profile", sizeof(cfg->profile) - 1,
	    cfg->profile)) != BG_OK || (r = opt_str(o, "region",
	    sizeof(cfg->region) - 1, cfg->region)) != BG_OK ||
	    (r = opt_u64(o, "window_seconds", 60, 7 * 86400, &cfg->window)) !=
	    BG_OK || (r = opt_u64(o, "timeout_ms", 100, 120000,
	    &cfg->timeout_ms)) != BG_OK)
		return r;
	if (cfg->role[0] != '\0' && strncmp(cfg->role, "arn:aws", 7) != 0) {
		bg_set_why("aws.role must be a role ARN (arn:aws:iam::"
		    "{account}:role/NAME)");
		return BG_EFORMAT;
	}
	return BG_OK;
}

/*
 * config show | set FILE: the audited way to change STATE/breakglass.json
 * (docs/custody.md). set validates the whole file (format, top-level
 * keys, the alerts section with the alert code's parser, the custody
 * section with custody's) before one audited write; a hand edit is what
 * 'vault verify' reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/aws/aws.h"
#include "broker/witness/witness.h"
#include "broker/cli/cli.h"
#include "broker/custody/custody.h"
#include "broker/state/state.h"

#define CONFIG_FORMAT "breakglass-config-v1"

static const char *const top_keys[] = { "format", "alerts", "custody", "aws",
	"witness", NULL };

/* Inline webhook secrets and Slack URLs (the credential) in a tree. */
static void
secrets_each(cJSON *root, int wipe)
{
	cJSON *sinks, *s, *x, *type;

	sinks = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "alerts"), "sinks");
	cJSON_ArrayForEach(s, sinks) {
		x = cJSON_GetObjectItemCaseSensitive(s, "secret");
		if (cJSON_IsString(x)) {
			if (wipe)
				bg_wipe(x->valuestring, strlen(x->valuestring));
			else
				cJSON_ReplaceItemInObjectCaseSensitive(s,
				    "secret", cJSON_CreateString("(hidden)"));
		}
		type = cJSON_GetObjectItemCaseSensitive(s, "type");
		x = cJSON_GetObjectItemCaseSensitive(s, "url");
		if (cJSON_IsString(type) && strcmp(type->valuestring,
		    "slack") == 0 && cJSON_IsString(x)) {
			if (wipe)
				bg_wipe(x->valuestring, strlen(x->valuestring));
			else
				cJSON_ReplaceItemInObjectCaseSensitive(s, "url",
				    cJSON_CreateString("(hidden: the URL is the "
				    "credential)"));
		}
	}
}

static int
refused(struct bg_state *st, const char *cmd, int err)
{
	struct bg_audit_event ev = { "config.refused", "", "", "", NULL };

	return bg_state_note_failure(st, &ev, "command", cmd, err);
}

/* ================================================================ show */

static int
cmd_show(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_audit_event ev = { "config.read", "", "", "", NULL };
	struct bg_state st;
	cJSON *j = NULL;
	char *s = NULL;
	int r;

	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_state_open(&st, cli->state)) != BG_OK)
		return bg_cli_fail("cannot open the state directory", r);
	if ((r = bg_state_check_file(&st, "breakglass.json")) == BG_OK &&
	    (r = bg_state_read(&st, "breakglass.json", &j)) == BG_OK &&
	    (r = bg_state_note(&st, &ev)) == BG_OK) {
		secrets_each(j, 1);
		secrets_each(j, 0);
		if ((s = cJSON_Print(j)) == NULL)
			r = BG_ENOMEM;
		else
			printf("%s\n", s);
	}
	free(s);
	cJSON_Delete(j);
	return bg_cli_state_finish(cli, &st, "config show", r);
}

/* ================================================================= set */

static int
witness_ok(const cJSON *j)
{
	struct bg_witness_config *w = malloc(sizeof(*w));
	int r;

	if (w == NULL)
		return BG_ENOMEM;
	r = bg_witness_config_from_json(j, w);
	free(w);
	return r;
}

/* The whole file: strict JSON, our keys, each section by its own parser. */
static int
config_validate(const char *text, size_t len, cJSON **out)
{
	struct bg_alert_config acfg;
	struct bg_custody_config ccfg;
	struct bg_aws_config awscfg;
	const char *format;
	cJSON *j;
	int r;

	*out = NULL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	    text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if ((j = bg_json_parse(text, len)) == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_set_why("the file is not a strict JSON object (no duplicate "
		    "keys, nothing after it)");
		return BG_EFORMAT;
	}
	if (bg_json_only_keys(j, top_keys) != BG_OK) {
		bg_set_why("breakglass.json holds only format, alerts, "
		    "custody, aws and witness");
		r = BG_EFORMAT;
		goto fail;
	}
	if (bg_json_get_str(j, "format", 64, &format) != BG_OK ||
	    strcmp(format, CONFIG_FORMAT) != 0) {
		bg_set_why("format must be \"" CONFIG_FORMAT "\"");
		r = BG_EFORMAT;
		goto fail;
	}
	r = bg_alert_config_parse(text, len, &acfg);
	bg_alert_config_free(&acfg);
	if (r != BG_OK)
		goto fail;
	r = bg_custody_config_from_json(j, &ccfg);
	bg_custody_config_free(&ccfg);
	if (r != BG_OK || (r = bg_aws_config_from_json(j, &awscfg)) != BG_OK ||
	    (r = witness_ok(j)) != BG_OK)
		goto fail;
	*out = j;
	return BG_OK;
fail:
	secrets_each(j, 1);
	cJSON_Delete(j);
	return r;
}

static int
sections(const cJSON *j, cJSON **d)
{
	cJSON *a;

	if ((*d = cJSON_CreateObject()) == NULL ||
	    (a = cJSON_AddArrayToObject(*d, "sections")) == NULL)
		return BG_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(j, "alerts") != NULL &&
	    !cJSON_AddItemToArray(a, cJSON_CreateString("alerts")))
		return BG_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(j, "custody") != NULL &&
	    !cJSON_AddItemToArray(a, cJSON_CreateString("custody")))
		return BG_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(j, "aws") != NULL &&
	    !cJSON_AddItemToArray(a, cJSON_CreateString("aws")))
		return BG_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(j, "witness") != NULL &&
	    !cJSON_AddItemToArray(a, cJSON_CreateString("witness")))
		return BG_ENOMEM;
	return BG_OK;
}

static int
cmd_set(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_audit_event ev = { "config.changed", "", "", "", NULL };
	struct bg_state st;
	cJSON *j = NULL, *d = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (argc != 1)
		return BG_EXIT_USAGE;
	if ((r = bg_state_open(&st, cli->state)) != BG_OK)
		return bg_cli_fail("cannot open the state directory", r);
	/* "-": standard input, a regular file (breakglassd passes the
	 * client's file so) */
	if ((r = strcmp(argv[0], "-") == 0 ? bg_fd_read_file(STDIN_FILENO,
	    BG_ALERT_CONFIG_MAX, &text, &len) : bg_file_read(argv[0],
	    BG_ALERT_CONFIG_MAX, &text, &len)) != BG_OK)
		bg_set_why("cannot read %s%s", argv[0], strcmp(argv[0], "-") ==
		    0 ? " (standard input must be a file: '< FILE')" : "");
	else
		r = config_validate(text, len, &j);
	if (r == BG_OK && (r = sections(j, &d)) == BG_OK) {
		ev.detail = d;
		if ((r = bg_state_write(&st, "breakglass.json", j, &ev)) ==
		    BG_OK)
			printf("breakglass.json replaced (recorded as "
			    "config.changed)\n");
	} else if (r != BG_ENOMEM) {
		r = refused(&st, "config set", r);
	}
	if (text != NULL) {
		bg_wipe(text, len);
		free(text);
	}
	if (j != NULL)
		secrets_each(j, 1);
	cJSON_Delete(j);
	cJSON_Delete(d);
	return bg_cli_state_finish(cli, &st, "config set", r);
}

int
bg_cli_config(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "show", cmd_show, "config show" },
		{ "set", cmd_set, "config set FILE|-   (- : standard input, "
		    "a file)" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "config", cmds, argc, argv);
}

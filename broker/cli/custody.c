/*
 * custody attest | check | holder add (docs/custody.md). Every run is
 * audited; violations are recorded as "custody.violation", which alerts.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/custody/custody.h"

#define VIOLATIONS_RECORDED 64	/* findings kept in one audit entry */

/* ============================================================== attest */

/* Production: the touch and every box opened here, the daemon records. */
static int
attest_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	return bg_custody_attest_take(c, kit, ctx, sub);
}

static int
remote_attest(struct bg_cli *cli, const char *person, const char *pin_fd)
{
	cJSON *args = cJSON_CreateObject();

	if (args == NULL || !cJSON_AddStringToObject(args, "as", person)) {
		cJSON_Delete(args);
		return bg_cli_fail("custody attest", BG_ENOMEM);
	}
	return bg_cli_remote_steps(cli, "custody.attest", args, pin_fd,
	    attest_take, (void *)person);
}

static int
cmd_attest(struct bg_cli *cli, int argc, char **argv)
{
	const char *pin_fd = NULL, *pos[1];
	struct bg_cli_opt opts[] = {
		{ "--pin-fd", &pin_fd, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1)
		return BG_EXIT_USAGE;
	return remote_attest(cli, pos[0], pin_fd);
}

/* =============================================================== check */

static void
print_table(const struct bg_custody_report *rep)
{
	size_t i;

	if (rep->n > 0)
		printf("%-10s %-22s %s\n", "SEVERITY", "RULE", "FINDING");
	for (i = 0; i < rep->n; i++)
		printf("%-10s %-22s %s\n", bg_custody_sev_str(rep->f[i].sev),
		    rep->f[i].rule, rep->f[i].message);
	printf("custody check: %zu critical, %zu violation(s), %zu "
	    "warning(s)%s\n", rep->count[BG_CUSTODY_CRITICAL],
	    rep->count[BG_CUSTODY_VIOLATION], rep->count[BG_CUSTODY_WARNING],
	    rep->count[BG_CUSTODY_CRITICAL] + rep->count[BG_CUSTODY_VIOLATION] ?
	    "" : ": ok");
}

static int
print_json(const struct bg_custody_report *rep)
{
	cJSON *j = NULL;
	char *s;
	int r;

	if ((r = bg_custody_report_json(rep, rep->n, &j)) != BG_OK)
		return r;
	if ((s = cJSON_Print(j)) == NULL) {
		cJSON_Delete(j);
		return BG_ENOMEM;
	}
	printf("%s\n", s);
	free(s);
	cJSON_Delete(j);
	return BG_OK;
}

/* custody.check always; custody.violation when anything is wrong. */
static int
record(struct bg_cer *c, const struct bg_custody_report *rep)
{
	cJSON *d = NULL;
	int r = BG_ENOMEM;

	if ((d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddNumberToObject(d, "critical",
	    (double)rep->count[BG_CUSTODY_CRITICAL]) ||
	    !cJSON_AddNumberToObject(d, "violation",
	    (double)rep->count[BG_CUSTODY_VIOLATION]) ||
	    !cJSON_AddNumberToObject(d, "warning",
	    (double)rep->count[BG_CUSTODY_WARNING]))
		goto out;
	{
		struct bg_audit_event ev = { "custody.check", "", "", "", d };

		if ((r = bg_state_note(&c->st, &ev)) != BG_OK)
			goto out;
	}
	if (rep->count[BG_CUSTODY_CRITICAL] + rep->count[BG_CUSTODY_VIOLATION]
	    == 0)
		goto out;
	cJSON_Delete(d);
	if ((r = bg_custody_report_json(rep, VIOLATIONS_RECORDED, &d)) ==
	    BG_OK) {
		struct bg_audit_event ev = { "custody.violation", "", "", "",
		    d };

		r = bg_state_note(&c->st, &ev);
	}
out:
	cJSON_Delete(d);
	return r;
}

/* A check that cannot run is a violation too: it is recorded and alerts. */
static int
unable(struct bg_cer *c, const char *what, int err)
{
	struct bg_custody_report rep;
	char why[512];

	snprintf(why, sizeof(why), "%s", bg_why());
	memset(&rep, 0, sizeof(rep));
	if ((rep.f = calloc(1, sizeof(*rep.f))) != NULL) {
		rep.cap = rep.n = 1;
		rep.count[BG_CUSTODY_CRITICAL] = 1;
		rep.f[0].sev = BG_CUSTODY_CRITICAL;
		snprintf(rep.f[0].rule, sizeof(rep.f[0].rule), "%s", what);
		snprintf(rep.f[0].message, sizeof(rep.f[0].message),
		    "the custody check cannot run: %s: %.400s",
		    bg_strerror(err), why);
		(void)record(c, &rep);
	}
	bg_custody_report_free(&rep);
	bg_set_why("%s", why);
	return err;
}

static int
cmd_check(struct bg_cli *cli, int argc, char **argv)
{
	int json = 0, r, code;
	struct bg_cli_opt opts[] = {
		{ "--json", NULL, &json, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct bg_custody_config cfg;
	struct bg_custody_report rep;
	struct bg_cer c;
	const char *pos[1];
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 0, &npos) != 0)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	memset(&cfg, 0, sizeof(cfg));
	memset(&rep, 0, sizeof(rep));
	if ((r = bg_custody_config_load(&c.st, &cfg)) != BG_OK) {
		r = unable(&c, "config-invalid", r);
		goto out;
	}
	if ((r = bg_custody_check(c.v, &cfg, c.st.log, c.now, &rep)) !=
	    BG_OK) {
		r = unable(&c, "check-failed", r);
		goto out;
	}
	if ((r = record(&c, &rep)) != BG_OK)
		goto out;
	if (json)
		r = print_json(&rep);
	else
		print_table(&rep);
out:
	code = rep.rejected ? BG_EXIT_TAMPER :
	    rep.count[BG_CUSTODY_CRITICAL] + rep.count[BG_CUSTODY_VIOLATION] ?
	    BG_EXIT_FAIL : BG_EXIT_OK;
	bg_custody_config_free(&cfg);
	bg_custody_report_free(&rep);
	if (r != BG_OK)
		return bg_cli_cer_finish(cli, &c, "custody check", r);
	(void)bg_cli_cer_finish(cli, &c, "custody check", BG_OK);
	return code;
}

/* ========================================================= holder add */

static int
cmd_holder_add(struct bg_cli *cli, int argc, char **argv)
{
	struct bg_cli_opt opts[] = { { NULL, NULL, NULL, NULL, 0, NULL } };
	const struct bg_vault_person *like;
	struct bg_audit_event ev = { "person.added", "", "", "", NULL };
	const char *pos[1];
	struct bg_cer c;
	cJSON *d = NULL;
	size_t npos;
	int r;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1)
		return BG_EXIT_USAGE;
	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	if ((like = bg_vault_person_like(c.v, pos[0])) != NULL) {
		bg_set_why("%s is already a person in the vault", like->name);
		r = BG_EEXIST;
	} else if ((r = bg_vault_add_person(c.v, pos[0], 0, NULL)) == BG_OK) {
		if ((d = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddStringToObject(d, "person", pos[0]) ||
		    !cJSON_AddStringToObject(d, "role", "channel holder")) {
			r = BG_ENOMEM;
		} else {
			ev.actor = pos[0];
			ev.detail = d;
			if ((r = bg_vault_save(&c.st, c.v, &ev)) == BG_OK)
				printf("%s added as a channel holder; enroll "
				    "their token: breakglass token enroll %s "
				    "--fido2|--yubikey\n", pos[0], pos[0]);
		}
	}
	if (r != BG_OK && r != BG_ENOMEM)
		r = bg_cer_refused(&c, "vault.refused", "custody holder add",
		    "", "", pos[0], r);
	cJSON_Delete(d);
	return bg_cli_cer_finish(cli, &c, "custody holder add", r);
}

static int
cmd_holder(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "add", cmd_holder_add, "custody holder add NAME" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "custody holder", cmds, argc, argv);
}

int
bg_cli_custody(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "attest", cmd_attest, "custody attest NAME [--pin-fd N]" },
		{ "check", cmd_check, "custody check [--json]" },
		{ "holder", cmd_holder, "custody holder add NAME" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "custody", cmds, argc, argv);
}

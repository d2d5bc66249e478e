/*
 * Setting up the vault: init, account add, custodian, requester, policy,
 * token enroll NAME, vault arm, vault show. Every change is recorded
 * before it is written; every refusal is recorded as "vault.refused".
 *
 * Before 'vault arm' a policy may be incomplete: problems are saved and
 * shown as "not yet valid", and arm refuses them. Once armed, a change
 * that breaks the policy floor (docs/design.md §5.2: thresholds of at
 * least 2, self-approval off, no requester in a group) is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/alerts/alerts.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/ledger/ledger.h"
#include "broker/secrets/secrets.h"

/* ======================================================= one change */

/* A change of the vault: fn edits c->v and says what to record. */
struct change {
	const char *cmd;
	const char *event;
	const char *actor;
	const char *account;
	cJSON *detail;		/* owned; freed after */
	char what[BG_CHANGE_WHAT_MAX + 1];	/* for people: the change */
};

typedef int (*change_fn)(struct bg_cer *c, void *arg, struct change *ch);

/*
 * After genesis a governing change is only proposed: the edited vault's
 * governance state becomes a change request (nothing else is saved).
 */
static int
propose(struct bg_cer *c, struct change *ch)
{
	char id[BG_CHANGE_ID_LEN + 1];
	int r;

	if ((r = bg_cer_change_open(c, c->v, ch->what[0] ? ch->what : ch->cmd,
	    ch->actor, id)) != BG_OK)
		return r;
	printf("nothing has changed yet: change request %s takes effect when "
	    "approved ('breakglass change approve %s --as NAME' by whoever "
	    "it still needs, then 'breakglass change apply %s')\n", id, id,
	    id);
	return BG_OK;
}

static int
run_change(struct bg_cli *cli, const char *cmd, change_fn fn, void *arg)
{
	struct change ch = { cmd, NULL, "", "", NULL, "" };
	struct bg_audit_event ev;
	struct bg_cer c;
	int r;

	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	if ((r = fn(&c, arg, &ch)) == BG_OK && ch.event != NULL &&
	    c.chain != NULL && bg_cer_governing(ch.event)) {
		r = propose(&c, &ch);
		ch.event = NULL;
	}
	if (r != BG_OK) {
		r = bg_cer_refused(&c, "vault.refused", cmd, "", ch.account,
		    ch.actor, r);
	} else if (ch.event != NULL) {
		ev = (struct bg_audit_event){ ch.event, ch.actor, ch.account,
		    "", ch.detail };
		r = bg_vault_save(&c.st, c.v, &ev);
	}
	cJSON_Delete(ch.detail);
	return bg_cli_cer_finish(cli, &c, cmd, r);
}

/* ========================================================== the floor */

/* 1 once anything is sealed: the vault guards something. */
static int
vault_armed(const struct bg_vault *v)
{
	size_t i;

	for (i = 0; i < v->naccounts; i++)
		if (v->accounts[i].nitems > 0)
			return 1;
	return 0;
}

/* BG_EPERM, why naming them, when a requester is in a group. */
static int
requesters_ok(const struct bg_vault *v, char *why, size_t whysz)
{
	size_t i;

	for (i = 0; i < v->npeople; i++)
		if (v->people[i].requester && bg_policy_requester_check(
		    v->policy, v->people[i].name, NULL, 0, why, whysz) != BG_OK)
			return BG_EPERM;
	return BG_OK;
}

/*
 * After person joined a group or became a requester: when they are now
 * both, refused on an armed vault (bg_why() says why); before arming,
 * BG_OK with why saying it, to be flagged. why is "" otherwise.
 */
static int
person_floor(const struct bg_vault *v, const char *person, char *why,
    size_t whysz)
{
	const struct bg_vault_person *p = bg_vault_person(v, person);

	why[0] = '\0';
	if (p == NULL || !p->requester || bg_policy_requester_check(v->policy,
	    person, NULL, 0, why, whysz) == BG_OK)
		return BG_OK;
	return vault_armed(v) ? BG_EPERM : BG_OK;
}

/* ================================================================ init */

struct acct_args {
	const char *id, *name, *email;
};

static int
parse_account(int argc, char **argv, struct acct_args *a, int positional)
{
	const char *pos[1];
	size_t npos;
	struct bg_cli_opt opts[] = {
		{ "--account", &a->id, NULL, NULL, 0, NULL },
		{ "--account-name", &a->name, NULL, NULL, 0, NULL },
		{ "--root-email", &a->email, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};

	memset(a, 0, sizeof(*a));
	if (bg_cli_opts(argc, argv, opts, pos, (size_t)positional, &npos) != 0)
		return -1;
	if (positional && npos == 1 && a->id == NULL)
		a->id = pos[0];
	return a->id && a->name && a->email ? 0 : -1;
}

static int
account_detail(const struct bg_vault_account *a, cJSON **d)
{
	if ((*d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*d, "name", a->name) ||
	    !cJSON_AddStringToObject(*d, "root_email", a->email))
		return BG_ENOMEM;
	return BG_OK;
}

static int
init_files(struct bg_state *st, const struct acct_args *a)
{
	struct bg_audit_event ev = { "config.init", "", "", "", NULL };
	struct bg_vault *v = NULL;
	cJSON *cfg = cJSON_CreateObject(), *d = NULL;
	int r = BG_ENOMEM;

	if (cfg == NULL || !cJSON_AddStringToObject(cfg, "format",
	    "breakglass-config-v1"))
		goto out;
	if ((r = bg_vault_new(&v)) != BG_OK ||
	    (r = bg_vault_add_account(v, a->id, a->name, a->email)) != BG_OK ||
	    (r = account_detail(&v->accounts[0], &d)) != BG_OK)
		goto out;
	if ((r = bg_state_write(st, "breakglass.json", cfg, &ev)) != BG_OK)
		goto out;
	ev = (struct bg_audit_event){ "vault.init", "", a->id, "", d };
	if ((r = bg_vault_save(st, v, &ev)) == BG_OK)
		printf("vault %s created in %s with account %s (%s)\n",
		    v->id_hex, st->dir, a->id, a->name);
out:
	cJSON_Delete(cfg);
	cJSON_Delete(d);
	bg_vault_free(&v);
	return r;
}

int
bg_cli_init(struct bg_cli *cli, int argc, char **argv)
{
	struct acct_args a;
	struct bg_state st;
	char path[BG_PATH_MAX];
	int r;

	if (parse_account(argc, argv, &a, 0) != 0)
		return BG_EXIT_USAGE;
	if (bg_path_join(path, sizeof(path), cli->state, BG_VAULT_FILE) ==
	    BG_OK && access(path, F_OK) == 0) {
		bg_cli_error("a vault already exists in %s", cli->state);
		return BG_EXIT_FAIL;
	}
	if ((r = bg_mkdir_private(cli->state)) != BG_OK)
		return bg_cli_fail("cannot create the state directory", r);
	if (access(cli->audit_dir, F_OK) != 0 &&
	    (r = bg_audit_init(cli->audit_dir, NULL)) != BG_OK)
		return bg_cli_fail("cannot create the audit log", r);
	if ((r = bg_state_open(&st, cli->state)) != BG_OK)
		return bg_cli_fail("cannot open the state directory", r);
	r = init_files(&st, &a);
	bg_state_close(&st);
	return r == BG_OK ? BG_EXIT_OK : bg_cli_fail("init failed", r);
}

/* ============================================================ accounts */

static int
do_account_add(struct bg_cer *c, void *arg, struct change *ch)
{
	const struct acct_args *a = arg;
	int r;

	ch->account = a->id;
	if ((r = bg_vault_add_account(c->v, a->id, a->name, a->email)) != BG_OK)
		return r;
	ch->event = "account.added";
	snprintf(ch->what, sizeof(ch->what), "account add %s (%s, %s)",
	    a->id, a->name, a->email);
	if ((r = account_detail(bg_vault_account(c->v, a->id), &ch->detail)))
		return r;
	if (c->chain == NULL)
		printf("account %s (%s) added; seal its items with 'breakglass "
		    "seal %s ITEM --as NAME'\n", a->id, a->name, a->id);
	return BG_OK;
}

static int
cmd_account_add(struct bg_cli *cli, int argc, char **argv)
{
	struct acct_args a;

	if (parse_account(argc, argv, &a, 1) != 0)
		return BG_EXIT_USAGE;
	return run_change(cli, "account add", do_account_add, &a);
}

int
bg_cli_account(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "add", cmd_account_add, "account add ID --account-name NAME "
		    "--root-email ADDR" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "account", cmds, argc, argv);
}

/* =============================================================== people */

struct person_args {
	const char *name, *group;
	int requester, remove;
};

static int
person_detail(const struct person_args *a, cJSON **d)
{
	if ((*d = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(*d, "person", a->name) ||
	    (a->group && !cJSON_AddStringToObject(*d, "group", a->group)))
		return BG_ENOMEM;
	return BG_OK;
}

static int
do_person(struct bg_cer *c, void *arg, struct change *ch)
{
	const struct person_args *a = arg;
	char why[512] = "";
	int r;

	ch->actor = "";
	if (a->remove) {
		if ((r = bg_policy_remove_member(c->v->policy, a->group,
		    a->name)) != BG_OK)
			return r;
		ch->event = "custodian.removed";
		snprintf(ch->what, sizeof(ch->what), "custodian remove %s "
		    "--group %s", a->name, a->group);
		printf("%s removed from group %s. Their shares of every sealed "
		    "version still exist and may sit in a backup: only sealing "
		    "each item again (a rotation) revokes them. 'breakglass "
		    "rekey begin %s' re-splits the current versions among the "
		    "members left, so those versions stop needing %s, but it "
		    "does not revoke what %s already holds.\n", a->name,
		    a->group, a->group, a->name, a->name);
	} else if ((r = bg_vault_add_person(c->v, a->name, a->requester,
	    NULL)) != BG_OK) {
		return r;
	} else if (a->group != NULL) {
		if ((r = bg_policy_add_member(c->v->policy, a->group,
		    a->name)) != BG_OK || (r = person_floor(c->v, a->name,
		    why, sizeof(why))) != BG_OK)
			return r;
		ch->event = "custodian.added";
		snprintf(ch->what, sizeof(ch->what), "custodian add %s --group "
		    "%s", a->name, a->group);
		printf("%s %s group %s\n", a->name, c->chain ? "proposed for" :
		    "added to", a->group);
	} else {
		if ((r = person_floor(c->v, a->name, why, sizeof(why))) != BG_OK)
			return r;
		ch->event = "requester.added";
		snprintf(ch->what, sizeof(ch->what), "requester add %s",
		    a->name);
		printf("%s %s open requests\n", a->name, c->chain ?
		    "proposed to" : "may");
	}
	if (why[0] != '\0')
		printf("not yet valid: %s\n", why);
	return person_detail(a, &ch->detail);
}

static int
cmd_custodian_change(struct bg_cli *cli, int argc, char **argv, int remove)
{
	struct person_args a = { NULL, NULL, 0, remove };
	struct bg_cli_opt opts[] = {
		{ "--group", &a.group, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[1];
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    a.group == NULL)
		return BG_EXIT_USAGE;
	a.name = pos[0];
	return run_change(cli, remove ? "custodian remove" : "custodian add",
	    do_person, &a);
}

static int
cmd_custodian_add(struct bg_cli *cli, int argc, char **argv)
{
	return cmd_custodian_change(cli, argc, argv, 0);
}

static int
cmd_custodian_remove(struct bg_cli *cli, int argc, char **argv)
{
	return cmd_custodian_change(cli, argc, argv, 1);
}

/* Prints the groups, their members and tokens; records the reading. */
static int
do_list(struct bg_cer *c, void *arg, struct change *ch)
{
	const bg_policy_t *p = c->v->policy;
	const struct bg_vault_person *who;
	char sum[256];
	size_t g, m, t;

	int r;

	(void)arg;
	ch->event = NULL;
	if ((r = bg_state_note(&c->st, &(struct bg_audit_event){ "vault.read",
	    "", "", "", NULL })) != BG_OK)	/* recorded before it is shown */
		return r;
	for (g = 0; g < bg_policy_ngroups(p); g++) {
		printf("group %s (threshold %u)\n", bg_policy_group_name(p, g),
		    bg_policy_group_threshold(p, g));
		for (m = 0; m < bg_policy_group_nmembers(p, g); m++) {
			who = bg_vault_person(c->v, bg_policy_group_member(p,
			    g, m));
			printf("  %s\n", bg_policy_group_member(p, g, m));
			for (t = 0; who != NULL && t < who->ntokens; t++) {
				bg_token_desc_summary(who->tokens[t], sum,
				    sizeof(sum));
				printf("    token %s\n", sum);
			}
			if (who == NULL || who->ntokens == 0)
				printf("    (no token enrolled)\n");
		}
	}
	return BG_OK;
}

static int
cmd_custodian_list(struct bg_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	return run_change(cli, "custodian list", do_list, NULL);
}

int
bg_cli_custodian(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "add", cmd_custodian_add, "custodian add NAME --group G" },
		{ "remove", cmd_custodian_remove,
		    "custodian remove NAME --group G" },
		{ "list", cmd_custodian_list, "custodian list" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "custodian", cmds, argc, argv);
}

static int
cmd_requester_add(struct bg_cli *cli, int argc, char **argv)
{
	struct person_args a = { NULL, NULL, 1, 0 };

	if (argc != 1 || argv[0][0] == '-')
		return BG_EXIT_USAGE;
	a.name = argv[0];
	return run_change(cli, "requester add", do_person, &a);
}

/* The person stays (their tokens, any group): they may no longer request. */
static int
do_requester_remove(struct bg_cer *c, void *arg, struct change *ch)
{
	struct bg_vault_person *p;

	if ((p = bg_cer_person(c, arg)) == NULL)
		return BG_ENOENT;
	if (!p->requester) {
		bg_set_why("%s is not a requester", p->name);
		return BG_ENOENT;
	}
	p->requester = 0;
	ch->event = "requester.removed";
	snprintf(ch->what, sizeof(ch->what), "requester remove %s", p->name);
	if ((ch->detail = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(ch->detail, "person", p->name))
		return BG_ENOMEM;
	printf("%s %s open requests\n", p->name, c->chain ? "proposed to no "
	    "longer" : "may no longer");
	return BG_OK;
}

static int
cmd_requester_remove(struct bg_cli *cli, int argc, char **argv)
{
	if (argc != 1 || argv[0][0] == '-')
		return BG_EXIT_USAGE;
	return run_change(cli, "requester remove", do_requester_remove,
	    argv[0]);
}

int
bg_cli_requester(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "add", cmd_requester_add, "requester add NAME" },
		{ "remove", cmd_requester_remove, "requester remove NAME" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "requester", cmds, argc, argv);
}

/* =============================================================== tokens */

struct enroll_args {
	const char *person;
	int kind;
	const struct bg_token_opts *o;
	bg_token_desc_t *desc;	/* made in a client (taken), or NULL */
};

/* The enrolled token's public keys, for the log (an auditor's copy). */
static int
token_keys(const bg_token_desc_t *d, cJSON *detail)
{
	cJSON *j = NULL;
	int r;

	if ((r = bg_token_desc_to_json(d, &j)) != BG_OK)
		return r;
	return bg_json_add(detail, "descriptor", j);
}

static int
do_enroll(struct bg_cer *c, void *arg, struct change *ch)
{
	struct enroll_args *a = arg;
	bg_token_desc_t *d = a->desc;
	char sum[256];
	int r;

	ch->actor = "";
	if (bg_vault_person(c->v, a->person) == NULL && c->chain == NULL) {
		bg_set_why("no person named '%s' (custodian add or requester "
		    "add first)", a->person);
		return BG_ENOENT;
	}
	/* after genesis a new person arrives with their token, by change */
	if (c->chain != NULL && bg_vault_person(c->v, a->person) == NULL &&
	    (r = bg_vault_add_person(c->v, a->person, 0, NULL)) != BG_OK)
		return r;
	a->desc = NULL;
	if (d == NULL && (r = bg_token_enroll((enum bg_token_kind)a->kind,
	    a->o, &d)) != BG_OK)
		return r;
	if ((r = bg_vault_add_token(c->v, a->person, d)) != BG_OK) {
		bg_token_desc_free(&d);
		return r;
	}
	bg_token_desc_summary(d, sum, sizeof(sum));
	printf("enrolled for %s%s: %s\n", a->person, c->chain ? " (proposed)" :
	    "", sum);
	if ((ch->detail = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(ch->detail, "person", a->person) ||
	    !cJSON_AddStringToObject(ch->detail, "token", bg_token_desc_id(d)) ||
	    !cJSON_AddStringToObject(ch->detail, "summary", sum))
		return BG_ENOMEM;
	ch->event = "token.enrolled";
	snprintf(ch->what, sizeof(ch->what), "token enroll %s (%.32s, %.100s)",
	    a->person, bg_token_desc_id(d), sum);
	return token_keys(d, ch->detail);
}

int
bg_cli_enroll_person(struct bg_cli *cli, const char *person, int kind,
    const struct bg_token_opts *o)
{
	struct enroll_args a = { person, kind, o, NULL };

	return run_change(cli, "token enroll", do_enroll, &a);
}

int
bg_cli_enroll_desc(struct bg_cli *cli, const char *person,
    bg_token_desc_t *desc)
{
	struct enroll_args a = { person, 0, NULL, desc };
	int r;

	r = run_change(cli, "token enroll", do_enroll, &a);
	bg_token_desc_free(&a.desc);	/* not taken: refused before */
	return r;
}

struct remove_args {
	const char *person, *token;
};

/*
 * A member's only box of a sealed version must not go with the token:
 * their shares would be lost with it. The way out: enroll the new token,
 * rekey (the new token gets its shares), then remove the old one.
 */
static int
last_box(const struct bg_vault *v, const char *person, const char *token)
{
	const struct bg_vault_account *a;
	const struct bg_v2_version *ver;
	const struct bg_v2_member *m;
	size_t i, j, g, k;

	for (i = 0; i < v->naccounts; i++)
		for (a = &v->accounts[i], j = 0; j < a->nitems; j++)
			for (ver = a->items[j].ver, g = 0; g < ver->ng; g++)
				for (k = 0; k < ver->g[g].n; k++) {
					m = &ver->g[g].m[k];
					if (strcmp(m->person, person) != 0 ||
					    m->ntokens != 1 ||
					    strcmp(m->token[0], token) != 0)
						continue;
					bg_set_why("token %s holds %s's only box "
					    "of %s version %llu: enroll the new "
					    "token, rekey group %s (it gets its "
					    "shares), then remove this one",
					    token, person, a->items[j].name,
					    (unsigned long long)ver->version,
					    ver->g[g].name);
					return BG_EPERM;
				}
	return BG_OK;
}

/* A lost token: removed by change request once armed. */
static int
do_token_remove(struct bg_cer *c, void *arg, struct change *ch)
{
	const struct remove_args *a = arg;
	int r;

	if ((r = last_box(c->v, a->person, a->token)) != BG_OK ||
	    (r = bg_vault_remove_token(c->v, a->person, a->token)) != BG_OK)
		return r;
	ch->event = "token.removed";
	snprintf(ch->what, sizeof(ch->what), "token remove %s --token %s",
	    a->person, a->token);
	if ((ch->detail = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(ch->detail, "person", a->person) ||
	    !cJSON_AddStringToObject(ch->detail, "token", a->token))
		return BG_ENOMEM;
	printf("token %s of %s %s\n", a->token, a->person, c->chain ?
	    "proposed for removal" : "removed");
	return BG_OK;
}

int
bg_cli_token_remove(struct bg_cli *cli, int argc, char **argv)
{
	struct remove_args a = { NULL, NULL };
	struct bg_cli_opt opts[] = {
		{ "--token", &a.token, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[1];
	size_t npos;

	if (bg_cli_opts(argc, argv, opts, pos, 1, &npos) != 0 || npos != 1 ||
	    a.token == NULL)
		return BG_EXIT_USAGE;
	a.person = pos[0];
	return run_change(cli, "token remove", do_token_remove, &a);
}

/* =============================================================== policy */

struct policy_args {
	const char *thresholds[BG_POLICY_GROUPS_MAX];
	size_t nthresholds;
	const char *expiry, *timelock, *slots, *self, *note;
	int show;
};

static int note_policy(bg_policy_t *p, const char *item);

static int
set_threshold(bg_policy_t *p, const char *spec)
{
	char group[BG_NAME_MAX + 1];
	const char *eq = strchr(spec, '=');
	unsigned long long t;

	if (eq == NULL || (size_t)(eq - spec) > BG_NAME_MAX ||
	    bg_cli_u64(eq + 1, &t) != 0 || t > BG_POLICY_MEMBERS_MAX) {
		bg_set_why("--threshold takes GROUP=N");
		return BG_EINVAL;
	}
	memcpy(group, spec, (size_t)(eq - spec));
	group[eq - spec] = '\0';
	if (t == 0) {
		bg_set_why("a threshold of 0 would let anyone release: use 2 "
		    "to %d", BG_POLICY_MEMBERS_MAX);
		return BG_ERANGE;
	}
	return bg_policy_set_threshold(p, group, (unsigned)t);
}

static int
set_seconds(bg_policy_t *p, const char *s, int (*set)(bg_policy_t *,
    uint64_t))
{
	unsigned long long v;

	if (s == NULL)
		return BG_OK;
	if (bg_cli_u64(s, &v) != 0) {
		bg_set_why("'%s' is not a number of seconds", s);
		return BG_EINVAL;
	}
	return set(p, v);
}

/* --slots N: slots per version sealed from now on (4..256). */
static int
set_slots(bg_policy_t *p, const char *s)
{
	unsigned long long v;
	int r;

	if (s == NULL)
		return BG_OK;
	if (bg_cli_u64(s, &v) != 0 || v > BG_SLOTS_MAX ||
	    (r = bg_policy_set_slots(p, (uint32_t)v)) == BG_ERANGE) {
		bg_set_why("--slots takes %u to %u slots per sealed version",
		    BG_POLICY_SLOTS_MIN, BG_SLOTS_MAX);
		return BG_ERANGE;
	}
	return r;
}

/* The policy, then what keeps it from being armed, or its warnings. */
static int
print_policy(const struct bg_vault *v)
{
	char why[1024];
	cJSON *j = NULL;
	char *text;
	int r;

	if ((r = bg_policy_to_json(v->policy, &j)) != BG_OK)
		return r;
	if ((text = cJSON_Print(j)) != NULL)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(j);
	if (bg_policy_validate(v->policy, why, sizeof(why)) != BG_OK ||
	    requesters_ok(v, why, sizeof(why)) != BG_OK)
		printf("not yet valid: %s\n", why);
	else if (why[0] != '\0')
		printf("warnings:\n%s\n", why);
	return BG_OK;
}

/*
 * --self-approval: off is kept (it clears an older file's true); on is
 * refused, however the rest of the policy stands.
 */
static int
set_self(bg_policy_t *p, const char *self)
{
	if (strcmp(self, "off") == 0)
		return bg_policy_set_self_approval(p, 0);
	if (strcmp(self, "on") == 0) {
		bg_set_why("self-approval cannot be turned on: "
		    BG_POLICY_NO_SELF_APPROVAL);
		return BG_EPERM;
	}
	bg_set_why("--self-approval takes on or off");
	return BG_EINVAL;
}

/* An armed vault's policy stays within the floor: thresholds, switch. */
static int
armed_floor(const struct bg_vault *v)
{
	char why[512];
	int r;

	if (!vault_armed(v) || (r = bg_policy_check_floor(v->policy, why,
	    sizeof(why))) == BG_OK)
		return BG_OK;
	bg_set_why("the vault is armed, so its policy must keep the floor: %s",
	    why);
	return r;
}

static int
do_policy(struct bg_cer *c, void *arg, struct change *ch)
{
	const struct policy_args *a = arg;
	bg_policy_t *p = c->v->policy;
	size_t i;
	int r = BG_OK;

	for (i = 0; i < a->nthresholds && r == BG_OK; i++)
		r = set_threshold(p, a->thresholds[i]);
	if (r == BG_OK)
		r = set_seconds(p, a->expiry, bg_policy_set_expiry);
	if (r == BG_OK)
		r = set_seconds(p, a->timelock, bg_policy_set_timelock);
	if (r == BG_OK)
		r = set_slots(p, a->slots);
	if (r == BG_OK && a->self != NULL)
		r = set_self(p, a->self);
	if (r == BG_OK && a->note != NULL)
		r = note_policy(p, a->note);
	if (r == BG_OK && !a->show)
		r = armed_floor(c->v);
	if (r != BG_OK)
		return r;
	if (a->show) {
		if ((r = bg_state_note(&c->st, &(struct bg_audit_event){
		    "vault.read", "", "", "", NULL })) != BG_OK)
			return r;
		return print_policy(c->v);
	}
	ch->event = "policy.changed";
	snprintf(ch->what, sizeof(ch->what), "policy set");
	if ((r = bg_policy_to_json(p, &ch->detail)) != BG_OK)
		return r;
	return print_policy(c->v);
}

int
bg_cli_policy(struct bg_cli *cli, int argc, char **argv)
{
	struct policy_args a;
	struct bg_cli_opt opts[] = {
		{ "--threshold", NULL, NULL, a.thresholds, BG_POLICY_GROUPS_MAX,
		    &a.nthresholds },
		{ "--expiry", &a.expiry, NULL, NULL, 0, NULL },
		{ "--timelock", &a.timelock, NULL, NULL, 0, NULL },
		{ "--slots", &a.slots, NULL, NULL, 0, NULL },
		{ "--self-approval", &a.self, NULL, NULL, 0, NULL },
		{ "--note", &a.note, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[1];
	size_t npos;

	memset(&a, 0, sizeof(a));
	if (argc < 1)
		return BG_EXIT_USAGE;
	if (strcmp(argv[0], "show") == 0 && argc == 1)
		a.show = 1;
	else if (strcmp(argv[0], "set") != 0 || argc < 2 ||
	    bg_cli_opts(argc - 1, argv + 1, opts, pos, 0, &npos) != 0) {
		fprintf(stderr, "usage: breakglass policy show\n"
		    "       breakglass policy set [--threshold GROUP=N]... "
		    "[--expiry SECONDS] [--timelock SECONDS] [--slots N] "
		    "[--self-approval off] [--note NAME]   (N >= 2; on is "
		    "refused; --note: a recovery note NAME that every group "
		    "guards)\n");
		return BG_EXIT_USAGE;
	}
	return run_change(cli, a.show ? "policy show" : "policy set",
	    do_policy, &a);
}

/* ================================================================ vault */

static int
do_arm(struct bg_cer *c, void *arg, struct change *ch)
{
	char why[512], fp[65], id[BG_CHANGE_ID_LEN + 1];
	size_t g;
	int r;

	(void)arg;
	if (c->chain != NULL) {
		bg_chain_hex(bg_chain_fingerprint(c->chain), fp);
		printf("the vault is armed: its genesis is signed\nvault "
		    "fingerprint %s\n", fp);
		return bg_state_note(&c->st, &(struct bg_audit_event){
		    "vault.read", "", "", "", NULL });
	}
	if ((r = bg_chain_state_ok(c->v, why, sizeof(why))) != BG_OK)
		return r;
	printf("ready for genesis: every member of every group holds a token "
	    "and the policy keeps the floor\n");
	for (g = 0; g < bg_policy_ngroups(c->v->policy); g++)
		printf("  group %-12s %u of %zu\n",
		    bg_policy_group_name(c->v->policy, g),
		    bg_policy_group_threshold(c->v->policy, g),
		    bg_policy_group_nmembers(c->v->policy, g));
	printf("(vault format v2 has no group keys: each seal splits its item "
	    "into %u one-time slots among the members it names)\n",
	    bg_policy_slots(c->v->policy));
	if ((r = bg_cer_change_open(c, c->v, "genesis", ch->actor, id)) !=
	    BG_OK)
		return r;
	printf("the genesis is change request %s: every person above signs "
	    "it with every token they hold ('breakglass change approve %s "
	    "--as NAME'), then 'breakglass change apply %s' arms the vault "
	    "and prints its fingerprint (keep it off this host)\n", id, id,
	    id);
	return BG_OK;
}

int
bg_cli_vault_arm(struct bg_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	return run_change(cli, "vault arm", do_arm, NULL);
}

static void
show_item(const bg_ledger_t *l, const struct bg_vault_account *a,
    const struct bg_vault_item *it)
{
	char ts[BG_RFC3339_LEN + 1];
	uint32_t used = bg_ledger_nburned(l, a->id, it->name, it->version);
	uint32_t left = it->ver->nslots - (used > it->ver->nslots ?
	    it->ver->nslots : used);
	size_t g;

	bg_rfc3339_format(it->sealed, ts);
	printf("  item %-16s %-8s v%llu sealed %s by %s, slots left %u of "
	    "%u%s%s\n", it->name, bg_item_kind_str(it->kind),
	    (unsigned long long)it->version, ts, it->sealer, left,
	    it->ver->nslots,
	    bg_ledger_exposed(l, a->id, it->name, it->version) ?
	    "  RELEASED: ROTATE" : "",
	    left < it->ver->nslots / 4 ? "  FEW SLOTS: ROTATE" : "");
	for (g = 0; g < it->ver->ng; g++) {
		printf("    group %-12s %u of %zu", it->ver->g[g].name,
		    it->ver->g[g].t, it->ver->g[g].n);
		if (it->ver->g[g].epoch != it->ver->epoch)
			printf(", epoch %llu (rekeyed)",
			    (unsigned long long)it->ver->g[g].epoch);
		printf("\n");
	}
}

static void
show_account(const bg_ledger_t *l, const struct bg_vault_account *a)
{
	size_t i;

	printf("account %s (%s), root e-mail %s\n", a->id, a->name, a->email);
	if (a->nitems == 0)
		printf("  nothing sealed\n");
	for (i = 0; i < a->nitems; i++)
		show_item(l, a, &a->items[i]);
}

static int
do_show(struct bg_cer *c, void *arg, struct change *ch)
{
	bg_ledger_t *l = NULL;
	size_t i;
	int r;

	(void)arg;
	(void)ch;
	if ((r = bg_state_note(&c->st, &(struct bg_audit_event){ "vault.read",
	    "", "", "", NULL })) != BG_OK ||
	    (r = bg_cer_ledger(c, &l)) != BG_OK)
		return r;
	printf("vault %s (format v2)\n", c->v->id_hex);
	for (i = 0; i < c->v->naccounts; i++)
		show_account(l, &c->v->accounts[i]);
	for (i = 0; i < c->v->npeople; i++)
		printf("person %s%s, %zu token(s)\n", c->v->people[i].name,
		    c->v->people[i].requester ? " (requester)" : "",
		    c->v->people[i].ntokens);
	return BG_OK;
}

int
bg_cli_vault_show(struct bg_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return BG_EXIT_USAGE;
	return run_change(cli, "vault show", do_show, NULL);
}

/* ================================================================= seal */

struct seal_args {
	const char *account, *item, *otpauth, *base32, *length, *as;
	int generate, note;
	char *generated;	/* locked: shown once the seal is recorded */
};

#define SEAL_BUF (BG_VAULT_ITEM_MAX + 1)

/* One line of at most BG_VAULT_ITEM_MAX bytes, refused at once past it. */
static int
line_of(int fd, char *buf, size_t *len)
{
	int r = bg_read_line(fd, buf, SEAL_BUF - 1, len);

	if (r == BG_ETOOBIG)
		bg_set_why("the line on standard input is longer than %d "
		    "bytes (nothing more was read)", BG_VAULT_ITEM_MAX);
	return r;
}

/* A secret from stdin: one line, or (for notes) everything up to EOF. */
static int
read_secret(int whole, uint8_t *buf, size_t *len)
{
	ssize_t n;

	if (!whole)
		return line_of(STDIN_FILENO, (char *)buf, len);
	*len = 0;
	while ((n = read(STDIN_FILENO, buf + *len, SEAL_BUF - *len)) > 0)
		if ((*len += (size_t)n) == SEAL_BUF) {
			bg_set_why("the note is longer than %d bytes",
			    BG_VAULT_ITEM_MAX);
			return BG_ETOOBIG;
		}
	return n < 0 ? BG_EIO : BG_OK;
}

static int
password_item(struct seal_args *a, const struct bg_vault_account *acct,
    uint8_t *buf, size_t *len)
{
	unsigned long long n = BG_PW_GEN_LEN;
	int r;

	if (a->length != NULL && (bg_cli_u64(a->length, &n) != 0 ||
	    !a->generate)) {
		bg_set_why("--length N goes with --generate");
		return BG_EINVAL;
	}
	if (a->generate) {
		if ((r = bg_pw_generate((size_t)n, acct->name, acct->email,
		    (char *)buf, SEAL_BUF)) != BG_OK)
			return r;
		*len = strlen((char *)buf);
		memcpy(a->generated, buf, *len + 1);
		return BG_OK;
	}
	if ((r = read_secret(0, buf, len)) != BG_OK)
		return r;
	return bg_pw_check((char *)buf, *len, acct->name, acct->email, NULL);
}

static int
totp_item(const struct seal_args *a, uint8_t *buf, size_t *len)
{
	struct bg_totp *t = bg_secure_alloc(sizeof(*t));
	const char *src = a->otpauth ? a->otpauth : a->base32;
	char *line = NULL;
	size_t n;
	int r;

	if (t == NULL || (line = bg_secure_alloc(SEAL_BUF)) == NULL) {
		bg_secure_free(&t, sizeof(*t));
		return BG_ENOMEM;
	}
	if (src == NULL || (a->otpauth && a->base32)) {
		bg_set_why("root-mfa takes --otpauth URI or --base32 SECRET "
		    "(- reads it from standard input)");
		r = BG_EINVAL;
	} else if (strcmp(src, "-") == 0) {
		r = line_of(STDIN_FILENO, line, &n);
		src = line;
	} else {
		r = BG_OK;
	}
	if (r == BG_OK)
		r = a->otpauth ? bg_totp_parse_uri(src, t) :
		    bg_totp_from_base32(src, t);
	if (r == BG_OK)
		r = bg_totp_pack(t, buf, len);
	bg_totp_wipe(t);
	bg_secure_free(&t, sizeof(*t));
	bg_secure_free(&line, SEAL_BUF);
	return r;
}

/* 'policy set --note NAME': a note that every group guards. */
static int
note_policy(bg_policy_t *p, const char *item)
{
	const char *groups[BG_POLICY_GROUPS_MAX], *one[1] = { item };
	size_t g, n;

	if (!bg_name_valid(item) || strcmp(item, "root-password") == 0 ||
	    strcmp(item, "root-mfa") == 0) {
		bg_set_why("--note takes the name of a recovery note");
		return BG_EINVAL;
	}
	if (bg_policy_groups_for_items(p, one, 1, groups, BG_POLICY_GROUPS_MAX,
	    &n) == BG_OK)
		return BG_OK;
	for (g = 0; g < bg_policy_ngroups(p) && g < BG_POLICY_GROUPS_MAX; g++)
		groups[g] = bg_policy_group_name(p, g);
	return bg_policy_set_item(p, item, groups, g);
}

static int
item_kind(const struct seal_args *a, enum bg_item_kind *kind)
{
	int r;

	if ((r = bg_cer_seal_kind(a->item, a->note, kind)) != BG_OK)
		return r;
	if ((a->generate || a->length) && *kind != BG_ITEM_PASSWORD) {
		bg_set_why("--generate is for root-password");
		return BG_EINVAL;
	}
	if ((a->otpauth || a->base32) && *kind != BG_ITEM_TOTP) {
		bg_set_why("--otpauth and --base32 are for root-mfa");
		return BG_EINVAL;
	}
	return BG_OK;
}

/* The value to seal, from the flags or stdin, into buf (locked). */
static int
seal_value(struct seal_args *a, const struct bg_vault_account *acct,
    enum bg_item_kind kind, uint8_t *buf, size_t *len)
{
	*len = 0;
	return kind == BG_ITEM_PASSWORD ? password_item(a, acct, buf, len) :
	    kind == BG_ITEM_TOTP ? totp_item(a, buf, len) :
	    read_secret(1, buf, len);
}

/* Production: the value sealed here into the kit's vault, the daemon
 * checks and takes the version (ceremony.h). */
static int
seal_take(struct bg_cer *c, const cJSON *kit, void *ctx, cJSON **sub)
{
	struct seal_args *a = ctx;
	struct bg_cer_seal s = { a->account, a->item, a->as, a->note, 0 };
	struct bg_vault_account *acct;
	enum bg_item_kind kind;
	uint8_t *buf;
	size_t len = 0;
	int r;

	(void)kit;
	if ((r = item_kind(a, &kind)) != BG_OK)
		return r;
	if ((acct = bg_vault_account(c->v, a->account)) == NULL) {
		bg_set_why("no account %s in the vault", a->account);
		return BG_ENOENT;
	}
	if ((buf = bg_secure_alloc(SEAL_BUF)) == NULL)
		return BG_ENOMEM;
	if ((r = seal_value(a, acct, kind, buf, &len)) == BG_OK)
		r = bg_cer_seal_take(c, &s, kind, buf, len, sub);
	bg_secure_free(&buf, SEAL_BUF);
	return r;
}

static int
remote_seal(struct bg_cli *cli, struct seal_args *a)
{
	struct bg_cer_seal s = { a->account, a->item, a->as, a->note, 0 };
	enum bg_item_kind kind;
	cJSON *args = NULL;

	if (item_kind(a, &kind) != BG_OK)
		return bg_cli_fail("seal", BG_EINVAL);
	if (bg_cer_seal_args_to_json(&s, &args) != BG_OK)
		return bg_cli_fail("seal", BG_ENOMEM);
	return bg_cli_remote_steps(cli, "seal", args, NULL, seal_take, a);
}

int
bg_cli_seal(struct bg_cli *cli, int argc, char **argv)
{
	struct seal_args a;
	struct bg_cli_opt opts[] = {
		{ "--generate", NULL, &a.generate, NULL, 0, NULL },
		{ "--length", &a.length, NULL, NULL, 0, NULL },
		{ "--otpauth", &a.otpauth, NULL, NULL, 0, NULL },
		{ "--base32", &a.base32, NULL, NULL, 0, NULL },
		{ "--note", NULL, &a.note, NULL, 0, NULL },
		{ "--as", &a.as, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[2];
	size_t npos;
	int r;

	memset(&a, 0, sizeof(a));
	if (bg_cli_opts(argc, argv, opts, pos, 2, &npos) != 0 || npos != 2 ||
	    a.as == NULL) {
		fprintf(stderr, "usage: breakglass seal ACCOUNT root-password "
		    "--as NAME [--generate [--length N]]   (else from stdin)\n"
		    "       breakglass seal ACCOUNT root-mfa --as NAME "
		    "--otpauth URI|- | --base32 SECRET|-\n"
		    "       breakglass seal ACCOUNT NAME --note --as NAME   "
		    "(text from stdin)\n"
		    "  NAME: a member of a group the item needs, or a "
		    "requester, who touches a token to sign the seal\n");
		return BG_EXIT_USAGE;
	}
	a.account = pos[0];
	a.item = pos[1];
	if ((a.generated = bg_secure_alloc(SEAL_BUF)) == NULL)
		return bg_cli_fail("seal", BG_ENOMEM);
	a.generated[0] = '\0';
	r = remote_seal(cli, &a);
	if (r == BG_EXIT_OK && a.generated[0] != '\0') {
		printf("generated root password for %s (set it in AWS now; it "
		    "is shown only this once):\n", a.account);
		if (bg_write_secret(STDOUT_FILENO, (const char *const[]){
		    a.generated, "\n", NULL }) != BG_OK)
			r = bg_cli_fail("cannot write the password", BG_EIO);
	}
	bg_secure_free(&a.generated, SEAL_BUF);
	return r;
}

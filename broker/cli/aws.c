/*
 * aws posture | reconcile (docs/aws.md). AWS is read with no lock held
 * (a slow endpoint holds up no other command); then the vault is opened,
 * the findings judged against it, and the run recorded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "quorum/quorum.h"
#include "broker/aws/aws.h"
#include "broker/ceremony/ceremony.h"
#include "broker/cli/cli.h"
#include "broker/custody/custody.h"

#define FINDINGS_RECORDED 32	/* findings in one aws.finding entry */
#define POSTURE_FINDINGS 40	/* in one aws.posture entry */
#define EVENTS_PER_ENTRY 50	/* events in one aws.reconciled entry */
#define FROM_MAX 64		/* --from files */
#define LOOKUP_DAYS 7		/* LookupEvents without --since */

/* What a run needs of the state, read before AWS is: then closed. */
struct setup {
	struct bg_aws_config aws;
	char (*ids)[BG_ACCOUNT_MAX + 1];
	size_t nids;
};

static void
setup_free(struct setup *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

static int
setup_read(struct bg_cer *c, struct setup *s)
{
	cJSON *j = NULL;
	size_t i;
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = bg_state_read(&c->st, "breakglass.json", &j)) == BG_ENOENT)
		r = bg_aws_config_from_json(NULL, &s->aws);
	else if (r == BG_OK)
		r = bg_aws_config_from_json(j, &s->aws);
	cJSON_Delete(j);
	if (r != BG_OK)
		return r;
	if (c->v->naccounts > 0 && (s->ids = calloc(c->v->naccounts,
	    sizeof(*s->ids))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < c->v->naccounts; i++)
		snprintf(s->ids[s->nids++], sizeof(s->ids[0]), "%s",
		    c->v->accounts[i].id);
	return BG_OK;
}

/* Opens the vault long enough to read the setup. An exit code. */
/* apart: each holds a struct bg_cer of its own */
static __attribute__((noinline)) int
setup_load(struct bg_cli *cli, const char *what, struct setup *s)
{
	struct bg_cer c;
	int r;

	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	r = setup_read(&c, s);
	bg_cer_end(&c);
	if (r != BG_OK) {
		setup_free(s);
		return bg_cli_fail(what, r);
	}
	return BG_EXIT_OK;
}

/* A failed run is recorded too (no credential in it). */
/* apart: each holds a struct bg_cer of its own */
static __attribute__((noinline)) int
failed(struct bg_cli *cli, const char *event, const char *what, int err)
{
	struct bg_audit_event ev = { event, "", "", "", NULL };
	struct bg_state st;
	char why[512];

	snprintf(why, sizeof(why), "%s", bg_why());
	if (bg_state_open(&st, cli->state) == BG_OK) {
		bg_set_why("%s", why);
		(void)bg_state_note_failure(&st, &ev, "command", what, err);
		bg_state_close(&st);
	}
	bg_set_why("%s", why);
	return bg_cli_finish(cli, what, err);
}

/* A critical finding with its rule's count, for the order below. */
struct ranked {
	const struct bg_custody_finding *f;
	size_t count, index;
};

static int
by_rule(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->f->rule, y->f->rule);

	return c != 0 ? c : x->index < y->index ? -1 : 1;
}

static int
by_rarity(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * aws.finding: the critical ones of a run, which alert. The rarest rules
 * come first, so that many of one kind (failed sign-ins anyone can make)
 * cannot push another (a sign-in without MFA) out of the listed ones.
 */
static int
record_critical(struct bg_cer *c, const char *source,
    const struct bg_custody_report *rep)
{
	struct bg_custody_report crit;
	struct ranked *rk;
	cJSON *d = NULL;
	size_t i, j, k, n = 0;
	int r = BG_OK;

	memset(&crit, 0, sizeof(crit));
	if ((rk = calloc(rep->n + 1, sizeof(*rk))) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < rep->n; i++)
		if (rep->f[i].sev == BG_CUSTODY_CRITICAL) {
			rk[n].f = &rep->f[i];
			rk[n].index = n;
			n++;
		}
	qsort(rk, n, sizeof(*rk), by_rule);
	for (i = 0; i < n; i = j) {	/* a rule's findings are together */
		for (j = i; j < n && strcmp(rk[j].f->rule, rk[i].f->rule) == 0;
		    j++)
			;
		for (k = i; k < j; k++)
			rk[k].count = j - i;
	}
	qsort(rk, n, sizeof(*rk), by_rarity);
	for (i = 0; i < n; i++)
		bg_custody_report_add(&crit, rk[i].f->sev, rk[i].f->rule, "%s",
		    rk[i].f->message);
	free(rk);
	if (crit.count[BG_CUSTODY_CRITICAL] > 0 &&
	    (r = bg_custody_report_json(&crit, FINDINGS_RECORDED, &d)) ==
	    BG_OK) {
		struct bg_audit_event ev = { "aws.finding", "", "", "", d };

		if (bg_json_add(d, "source", cJSON_CreateString(source)) !=
		    BG_OK)
			r = BG_ENOMEM;
		else
			r = bg_state_note(&c->st, &ev);
	}
	cJSON_Delete(d);
	bg_custody_report_free(&crit);
	return r;
}

static void
print_report(const char *what, const struct bg_custody_report *rep)
{
	size_t i;

	if (rep->n > 0)
		printf("\n%-10s %-28s %s\n", "SEVERITY", "RULE", "FINDING");
	for (i = 0; i < rep->n; i++)
		printf("%-10s %-28s %s\n", bg_custody_sev_str(rep->f[i].sev),
		    rep->f[i].rule, rep->f[i].message);
	printf("%s: %zu critical, %zu violation(s), %zu warning(s)%s\n",
	    what, rep->count[BG_CUSTODY_CRITICAL],
	    rep->count[BG_CUSTODY_VIOLATION], rep->count[BG_CUSTODY_WARNING],
	    rep->count[BG_CUSTODY_CRITICAL] + rep->count[BG_CUSTODY_VIOLATION]
	    ? "" : ": ok");
}

static int
print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s == NULL)
		return BG_ENOMEM;
	printf("%s\n", s);
	free(s);
	return BG_OK;
}

/* ============================================================ posture */

static const char *
flag(int v, const char *yes, const char *no)
{
	return v < 0 ? "?" : v > 0 ? yes : no;
}

static void
print_posture(const struct bg_aws_posture *p)
{
	size_t i;

	printf("caller %s (account %s); organization: %s%s%s\n", p->caller_arn,
	    p->caller_account, p->org == 1 ? "yes" : p->org == 0 ? "no" :
	    "unknown", p->central_root ? ", root credentials managed centrally" :
	    "", p->root_sessions ? ", root sessions (sts:AssumeRoot) on" : "");
	printf("%-14s %-12s %-4s %-8s %-5s %-9s %s\n", "ACCOUNT", "VIA", "MFA",
	    "DEVICES", "KEYS", "PASSWORD", "CERTS");
	for (i = 0; i < p->nroots; i++) {
		const struct bg_aws_root *x = &p->roots[i];
		char dev[16];

		if (!x->read) {
			printf("%-14s %-12s (not read)\n", x->account,
			    x->via[0] ? x->via : "-");
			continue;
		}
		snprintf(dev, sizeof(dev), x->mfa_devices < 0 ? "?" : "%d%s",
		    x->mfa_devices, x->mfa_virtual_only ? "+" : "");
		printf("%-14s %-12s %-4s %-8s %-5d %-9s %d\n", x->account,
		    x->via, flag(x->mfa, "on", "off"), dev, x->keys,
		    flag(x->password, "yes", "no"), x->certs);
	}
}

/* Opens the vault again, judges, records aws.posture (+ aws.finding). */
/* apart: each holds a struct bg_cer of its own */
static __attribute__((noinline)) int
posture_record(struct bg_cli *cli, struct bg_aws_posture *p, int json)
{
	struct bg_custody_config ccfg;
	struct bg_custody_report all;
	struct bg_cer c;
	cJSON *d = NULL;
	int r;

	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	memset(&ccfg, 0, sizeof(ccfg));
	if ((r = bg_custody_config_load(&c.st, &ccfg)) == BG_OK) {
		bg_aws_posture_judge(p, c.v, &ccfg);
		all = p->rep;
		if (p->rep.n > POSTURE_FINDINGS)
			p->rep.n = POSTURE_FINDINGS;	/* the entry's bound */
		r = bg_aws_posture_json(p, &d);
		p->rep = all;
	}
	if (r == BG_OK) {
		struct bg_audit_event ev = { "aws.posture", "", "", "", d };

		if ((r = bg_state_note(&c.st, &ev)) == BG_OK)
			r = record_critical(&c, "posture", &p->rep);
	}
	cJSON_Delete(d);
	bg_custody_config_free(&ccfg);
	if (r == BG_OK && json) {
		if ((r = bg_aws_posture_json(p, &d)) == BG_OK)
			r = print_json(d);
		cJSON_Delete(d);
	} else if (r == BG_OK) {
		print_posture(p);
		print_report("aws posture", &p->rep);
	}
	r = bg_cli_cer_finish(cli, &c, "aws posture", r);
	if (r == BG_EXIT_OK && p->rep.count[BG_CUSTODY_CRITICAL] +
	    p->rep.count[BG_CUSTODY_VIOLATION] > 0)
		r = BG_EXIT_FAIL;
	return r;
}

/* The accounts named (each in the vault), else every vault account. */
static int
posture_ids(const struct setup *s, const char **pos, size_t npos,
    const char ***ids, size_t *n)
{
	size_t i, k;

	*n = npos ? npos : s->nids;
	if ((*ids = calloc(*n + 1, sizeof(**ids))) == NULL)
		return bg_cli_fail("aws posture", BG_ENOMEM);
	for (i = 0; i < npos; i++) {
		for (k = 0; k < s->nids && strcmp(s->ids[k], pos[i]) != 0; k++)
			;
		if (k == s->nids) {
			bg_cli_error("aws posture: account %.64s is not in the "
			    "vault", pos[i]);
			return BG_EXIT_FAIL;
		}
		(*ids)[i] = pos[i];
	}
	for (i = 0; npos == 0 && i < s->nids; i++)
		(*ids)[i] = s->ids[i];
	return BG_EXIT_OK;
}

static int
cmd_posture(struct bg_cli *cli, int argc, char **argv)
{
	const char *pos[BG_VAULT_ACCOUNTS_MAX], **ids = NULL;
	int json = 0, r;
	struct bg_cli_opt opts[] = {
		{ "--json", NULL, &json, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct bg_aws_posture p;
	struct setup s;
	struct bg_aws a;
	size_t npos, n;

	if (bg_cli_opts(argc, argv, opts, pos, BG_VAULT_ACCOUNTS_MAX, &npos) !=
	    0)
		return BG_EXIT_USAGE;
	if ((r = setup_load(cli, "aws posture", &s)) != BG_EXIT_OK)
		return r;
	memset(&p, 0, sizeof(p));
	if ((r = posture_ids(&s, pos, npos, &ids, &n)) != BG_EXIT_OK) {
		free(ids);
		setup_free(&s);
		return r;
	}
	if ((r = bg_aws_open(&a, &s.aws)) == BG_OK) {
		r = bg_aws_posture_read(&a, &s.aws, ids, n, &p);
		p.all = npos == 0;
		bg_aws_close(&a);
	}
	free(ids);
	setup_free(&s);
	if (r != BG_OK) {
		bg_aws_posture_free(&p);
		return failed(cli, "aws.posture_failed", "aws posture", r);
	}
	r = posture_record(cli, &p, json);
	bg_aws_posture_free(&p);
	return r;
}

/* ========================================================== reconcile */

struct collect {
	struct bg_aws_recon *rc;
	uint64_t since, until;
	size_t other;
	const char *file;	/* the file read, or NULL (LookupEvents) */
	char caller[BG_AWS_ACCOUNT_LEN + 1];
};

/*
 * Each root event of the period. A root record that cannot be judged
 * (no eventID, time or account) is a critical finding of the run, and
 * the run goes on: one bad record must not silence the file's others.
 */
static int
collect(void *ctx, const cJSON *rec)
{
	struct collect *k = ctx;
	struct bg_aws_event ev;
	int r;

	k->rc->records++;
	if ((r = bg_aws_event_from_record(rec, &ev)) == BG_ENOENT) {
		k->other++;
		return BG_OK;
	}
	if (r == BG_EFORMAT) {
		bg_custody_report_add(&k->rc->notes, BG_CUSTODY_CRITICAL,
		    "aws-root-record-malformed", "record %zu of %.200s: %s: it "
		    "cannot be judged; look at it by hand", k->rc->records,
		    k->file != NULL ? k->file : "LookupEvents", bg_why());
		return BG_OK;
	}
	if (r != BG_OK || ev.time < k->since || ev.time > k->until)
		return r;
	return bg_aws_recon_add(k->rc, &ev);
}

/* LookupEvents reads the caller's account only: say whose it did not. */
static void
coverage(struct bg_aws_recon *rc, const struct setup *s, const char *caller)
{
	size_t i;

	for (i = 0; i < s->nids; i++)
		if (strcmp(s->ids[i], caller) != 0)
			bg_custody_report_add(&rc->notes, BG_CUSTODY_WARNING,
			    "aws-events-not-read", "account %s: its root events "
			    "were not read (LookupEvents reads the caller's "
			    "account %s only): reconcile its trail files "
			    "(--from)", s->ids[i], caller);
}

/* "YYYY-MM-DD" or RFC 3339 (UTC). */
static int
when(const char *s, uint64_t *t)
{
	char buf[32];

	if (strlen(s) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		s = buf;
	}
	if (bg_aws_time_parse(s, t) != BG_OK) {
		bg_cli_error("aws reconcile: '%.64s' is not a UTC time "
		    "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", s);
		return -1;
	}
	return 0;
}

static int
gather(struct bg_aws_recon *rc, const struct setup *s, const char **from,
    size_t nfrom, struct collect *k)
{
	char arn[256];
	struct bg_aws a;
	size_t i;
	int r = BG_OK;

	k->rc = rc;
	for (i = 0; r == BG_OK && i < nfrom; i++) {
		k->file = from[i];
		r = bg_aws_trail_file(from[i], collect, k);
	}
	if (nfrom > 0)
		return r;
	if ((r = bg_aws_open(&a, &s->aws)) != BG_OK)
		return r;
	/* sign-in events live in us-east-1; root's events, and AssumeRoot
	 * calls (made by a role, into another account) */
	for (i = 0; r == BG_OK && i < 2; i++) {
		const char *region = i == 0 ? "us-east-1" : a.region;

		if (i == 1 && strcmp(region, "us-east-1") == 0)
			break;
		if ((r = bg_aws_lookup_events(&a, region, k->since, k->until,
		    "Username", "root", collect, k)) == BG_OK)
			r = bg_aws_lookup_events(&a, region, k->since,
			    k->until, "EventName", "AssumeRoot", collect, k);
	}
	if (r == BG_OK && (r = bg_aws_caller(&a, k->caller, sizeof(k->caller),
	    arn, sizeof(arn))) == BG_OK)
		coverage(rc, s, k->caller);
	bg_aws_close(&a);
	return r;
}

/* aws.reconciled per EVENTS_PER_ENTRY new events; aws.finding. */
static int
recon_record(struct bg_cer *c, const struct bg_aws_recon *rc,
    const char *source)
{
	struct bg_custody_report rep;
	size_t from = 0, next;
	cJSON *d = NULL;
	int r = BG_OK;
	size_t i;

	while (r == BG_OK && from < rc->n) {
		if ((r = bg_aws_recon_json(rc, 1, from, EVENTS_PER_ENTRY, &next,
		    &d)) != BG_OK)
			break;
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d,
		    "events")) > 0) {
			struct bg_audit_event ev = { "aws.reconciled", "", "",
			    "", d };

			if (bg_json_add(d, "source", cJSON_CreateString(
			    source)) != BG_OK)
				r = BG_ENOMEM;
			else
				r = bg_state_note(&c->st, &ev);
		}
		cJSON_Delete(d);
		d = NULL;
		from = next;
	}
	memset(&rep, 0, sizeof(rep));
	for (i = 0; r == BG_OK && i < rc->notes.n; i++)
		bg_custody_report_add(&rep, rc->notes.f[i].sev,
		    rc->notes.f[i].rule, "%s", rc->notes.f[i].message);
	for (i = 0; r == BG_OK && i < rc->n; i++)
		if (!rc->m[i].seen && rc->m[i].sev != 0)
			bg_custody_report_add(&rep, rc->m[i].sev, rc->m[i].rule,
			    "%s", rc->m[i].message);
	if (r == BG_OK)
		r = record_critical(c, "reconcile", &rep);
	bg_custody_report_free(&rep);
	return r;
}

static void
print_recon(const struct bg_aws_recon *rc, size_t other)
{
	char t[BG_RFC3339_LEN + 1];
	size_t i;

	if (rc->n > 0)
		printf("%-20s %-12s %-27s %-11s %-5s %s\n", "TIME", "ACCOUNT",
		    "KIND", "VERDICT", "NEW", "BY / FINDING");
	for (i = 0; i < rc->n; i++) {
		const struct bg_aws_match *m = &rc->m[i];

		(void)bg_rfc3339_format(m->ev.time, t);
		printf("%-20s %-12s %-27s %-11s %-5s %s%s%s\n", t,
		    m->ev.account, bg_aws_kind_str(m->ev.kind),
		    m->explained ? "explained" : "UNEXPLAINED",
		    m->seen ? "no" : "yes", m->explained ? m->by : "",
		    m->sev && m->explained ? "; " : "", m->sev ? m->rule : "");
	}
	for (i = 0; i < rc->notes.n; i++)
		printf("%s %s: %s\n", bg_custody_sev_str(rc->notes.f[i].sev),
		    rc->notes.f[i].rule, rc->notes.f[i].message);
	printf("aws reconcile: %zu record(s) read, %zu root event(s) (%zu "
	    "new, %zu duplicate(s) dropped), %zu unexplained, %zu "
	    "finding(s)%s\n", rc->records, rc->n, rc->fresh, rc->duplicates,
	    rc->unexplained, rc->findings, rc->findings ? "" : ": ok");
	(void)other;
}

static int
recon_json(const struct bg_aws_recon *rc)
{
	cJSON *d = NULL, *notes = NULL;
	int r;

	if ((r = bg_aws_recon_json(rc, 0, 0, rc->n, NULL, &d)) == BG_OK &&
	    (!cJSON_AddNumberToObject(d, "records", (double)rc->records) ||
	    !cJSON_AddNumberToObject(d, "new", (double)rc->fresh) ||
	    !cJSON_AddNumberToObject(d, "duplicates",
	    (double)rc->duplicates) ||
	    !cJSON_AddNumberToObject(d, "unexplained",
	    (double)rc->unexplained) ||
	    !cJSON_AddNumberToObject(d, "findings", (double)rc->findings)))
		r = BG_ENOMEM;
	if (r == BG_OK && (r = bg_custody_report_json(&rc->notes,
	    rc->notes.n, &notes)) == BG_OK && !cJSON_AddItemToObject(d, "run",
	    notes)) {
		cJSON_Delete(notes);
		r = BG_ENOMEM;
	}
	if (r == BG_OK)
		r = print_json(d);
	cJSON_Delete(d);
	return r;
}

/* apart: each holds a struct bg_cer of its own */
static __attribute__((noinline)) int
recon_finish(struct bg_cli *cli, struct bg_aws_recon *rc,
    const struct setup *s, const char *source, int json)
{
	struct bg_cer c;
	int r;

	if ((r = bg_cli_cer_begin(cli, &c, NULL)) != BG_EXIT_OK)
		return r;
	if ((r = bg_aws_recon_judge(rc, c.st.log, c.v, s->aws.window)) ==
	    BG_OK)
		r = recon_record(&c, rc, source);
	if (r == BG_OK && json)
		r = recon_json(rc);
	else if (r == BG_OK)
		print_recon(rc, 0);
	r = bg_cli_cer_finish(cli, &c, "aws reconcile", r);
	return r == BG_EXIT_OK && (rc->findings > 0 ||
	    rc->notes.count[BG_CUSTODY_CRITICAL] +
	    rc->notes.count[BG_CUSTODY_VIOLATION] > 0) ? BG_EXIT_FAIL : r;
}

static int
cmd_reconcile(struct bg_cli *cli, int argc, char **argv)
{
	const char *since = NULL, *until = NULL, *from[FROM_MAX];
	int json = 0, r;
	size_t nfrom = 0, npos;
	struct bg_cli_opt opts[] = {
		{ "--since", &since, NULL, NULL, 0, NULL },
		{ "--until", &until, NULL, NULL, 0, NULL },
		{ "--from", NULL, NULL, from, FROM_MAX, &nfrom },
		{ "--json", NULL, &json, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct collect k = { NULL, 0, UINT64_MAX, 0, NULL, "" };
	struct bg_aws_recon rc;
	const char *pos[1];
	struct setup s;

	if (bg_cli_opts(argc, argv, opts, pos, 0, &npos) != 0 || npos != 0)
		return BG_EXIT_USAGE;
	if ((since != NULL && when(since, &k.since) != 0) ||
	    (until != NULL && when(until, &k.until) != 0))
		return BG_EXIT_USAGE;
	if (nfrom == 0) {
		if (until == NULL)
			k.until = (uint64_t)time(NULL);
		if (since == NULL)
			k.since = k.until - LOOKUP_DAYS * 86400;
	}
	if ((r = setup_load(cli, "aws reconcile", &s)) != BG_EXIT_OK)
		return r;
	memset(&rc, 0, sizeof(rc));
	if ((r = gather(&rc, &s, from, nfrom, &k)) != BG_OK) {
		bg_aws_recon_free(&rc);
		setup_free(&s);
		return failed(cli, "aws.reconcile_failed", "aws reconcile", r);
	}
	r = recon_finish(cli, &rc, &s, nfrom ? "files" : "LookupEvents", json);
	bg_aws_recon_free(&rc);
	setup_free(&s);
	return r;
}

int
bg_cli_aws(struct bg_cli *cli, int argc, char **argv)
{
	static const struct bg_cli_cmd cmds[] = {
		{ "posture", cmd_posture, "aws posture [ACCOUNT...] [--json]" },
		{ "reconcile", cmd_reconcile, "aws reconcile [--since T] "
		    "[--until T] [--from FILE]... [--json]" },
		{ NULL, NULL, NULL },
	};

	return bg_cli_dispatch(cli, "aws", cmds, argc, argv);
}

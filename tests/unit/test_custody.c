/*
 * Recovery-channel custody (broker/custody/) without hardware: the
 * config parser against good and malformed sections; the check against a
 * vault of software-keyed YubiKey descriptors, its root password and root
 * MFA sealed into one-time slots (vault format v2) and signed by a
 * sealer's fake token, and a real audit log holding attestation entries,
 * fresh, stale, failed and forged, and the approvals and quorums that burn
 * slots and expose versions. Each rule is broken once and the finding must
 * name the people or channels. What an attestation proves
 * (bg_custody_prove) is run with the fake tokens' keys, boxes swapped
 * included. FIDO2 signatures over attestations are covered by
 * tests/e2e/test_custody_cli.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/rand.h>

#include "tests/unit/testutil.h"
#include "tests/unit/faketoken.h"
#include "broker/custody/custody.h"
#include "broker/ledger/ledger.h"

#define DAY 86400u
#define NPEOPLE 10
#define ACCOUNT "111122223333"
#define RQ_ID "0123456789abcdef0123456789abcdef"
static const char *const names[NPEOPLE] = { "alice", "bob", "carol", "dave",
    "erin", "frank", "ops-a", "ops-b", "tel-c", "tel-d" };

static const char good_cfg[] =
    "{\"format\":\"breakglass-config-v1\",\"custody\":{\"max_age_days\":90,"
    "\"rotation_days\":7,\"accounts\":[{\"account\":\"111122223333\","
    "\"email_inbox\":[\"ops-a\",\"ops-b\"],\"phone\":[\"tel-c\",\"tel-d\"],"
    "\"mfa_devices\":[{\"name\":\"yubikey-1\",\"holders\":[\"dave\","
    "\"erin\"]},{\"name\":\"yubikey-2\",\"holders\":[\"erin\",\"frank\"]}]}],"
    "\"personal_emails\":{\"alice\":\"alice@example.com\","
    "\"bob\":\"bob@example.com\",\"carol\":\"carol@example.com\","
    "\"dave\":\"dave@example.com\",\"erin\":\"erin@example.com\","
    "\"frank\":\"frank@example.com\"}}}\n";

struct fx {
	char dir[64];
	bg_audit_t *log;
	struct bg_vault *v;
	struct bg_custody_config cfg;
	uint64_t now;
	uint8_t priv[NPEOPLE][32];	/* each person's token key */
};

static size_t
person_ix(const char *name)
{
	size_t i;

	for (i = 0; i < NPEOPLE; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	fail_msg("no person %s", name);
	return 0;
}

/*
 * Seals item in the account (a new version) and signs it with sealer's
 * fake token, as 'breakglass seal --as' does with a real one.
 */
static struct bg_vault_item *
seal(struct fx *f, const char *item, enum bg_item_kind kind,
    const char *sealer)
{
	static const uint8_t value[] = "Correct-Horse-9";
	struct bg_vault_account *a = bg_vault_account(f->v, ACCOUNT);
	const struct bg_vault_person *p = bg_vault_person(f->v, sealer);
	struct bg_vault_item *it;
	uint8_t msg[32];

	assert_non_null(a);
	assert_non_null(p);
	assert_int_equal(bg_vault_seal(f->v, a, item, kind, value,
	    sizeof(value) - 1, f->now, &it), BG_OK);
	assert_int_equal(bg_vault_seal_message(f->v, it, sealer, msg), BG_OK);
	tu_fake_sign(p->tokens[0], f->priv[person_ix(sealer)], msg, 32,
	    it->sig);
	snprintf(it->sealer, sizeof(it->sealer), "%s", sealer);
	snprintf(it->sealer_token, sizeof(it->sealer_token), "%s",
	    bg_token_desc_id(p->tokens[0]));
	assert_int_equal(bg_vault_item_verify(f->v, a, it), BG_OK);
	return it;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];
	size_t i;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bg_custody.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(bg_audit_init(f->dir, "test/custody"), BG_OK);
	assert_int_equal(bg_audit_open(f->dir, BG_AUDIT_WRITE, &f->log),
	    BG_OK);
	assert_int_equal(bg_vault_new(&f->v), BG_OK);
	assert_int_equal(bg_vault_add_account(f->v, ACCOUNT, "prod",
	    "aws-root@example.com"), BG_OK);
	for (i = 0; i < NPEOPLE; i++) {
		assert_int_equal(bg_vault_add_person(f->v, names[i], 0, NULL),
		    BG_OK);
		assert_int_equal(RAND_bytes(f->priv[i], 32), 1);
		assert_int_equal(bg_vault_add_token(f->v, names[i],
		    tu_fake_token(f->priv[i], 1000 + (unsigned)i)), BG_OK);
		if (i < 6)
			assert_int_equal(bg_policy_add_member(f->v->policy,
			    i < 3 ? "password" : "mfa", names[i]), BG_OK);
	}
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "password", 2),
	    BG_OK);
	assert_int_equal(bg_policy_set_threshold(f->v->policy, "mfa", 2),
	    BG_OK);
	/* no arm step in format v2: only the check that sealing can start */
	assert_int_equal(bg_vault_ready(f->v, why, sizeof(why)), BG_OK);
	assert_int_equal(bg_custody_config_parse(good_cfg, strlen(good_cfg),
	    &f->cfg), BG_OK);
	f->now = (uint64_t)time(NULL);
	(void)seal(f, "root-password", BG_ITEM_PASSWORD, "alice");
	(void)seal(f, "root-mfa", BG_ITEM_TOTP, "dave");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bg_audit_close(&f->log);
	bg_vault_free(&f->v);
	bg_custody_config_free(&f->cfg);
	assert_int_equal(tu_rm_rf(f->dir), 0);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ helpers */

static const char *
tok_of(struct fx *f, const char *person)
{
	return bg_token_desc_id(bg_vault_person(f->v, person)->tokens[0]);
}

/* The share lines of person's statement for token tok, in attest's order. */
static size_t
share_lines(struct fx *f, const char *person, const char *tok, char *out,
    size_t sz)
{
	const struct bg_vault_account *a;
	const struct bg_vault_item *it;
	const struct bg_v2_member *m;
	size_t k, j, g, i, t, n = 0;

	for (k = 0; k < f->v->naccounts; k++) {
		a = &f->v->accounts[k];
		for (j = 0; j < a->nitems; j++) {
			it = &a->items[j];
			for (g = 0; g < it->ver->ng; g++)
				for (i = 0; i < it->ver->g[g].n; i++) {
					m = &it->ver->g[g].m[i];
					if (strcmp(m->person, person) != 0)
						continue;
					for (t = 0; t < m->ntokens; t++)
						if (strcmp(m->token[t], tok) == 0)
							n += (size_t)snprintf(
							    out + n, sz - n,
							    "share %s %s %llu "
							    "%s %u\n", a->id,
							    it->name,
							    (unsigned long long)
							    it->version,
							    it->ver->g[g].name,
							    m->x);
				}
		}
	}
	assert_true(n < sz);
	return n;
}

/* The canonical statement a person would sign at time t. */
static void
statement(struct fx *f, const char *person, uint64_t t, char *out,
    size_t sz)
{
	const struct bg_custody_account *c = &f->cfg.accounts[0];
	char ts[BG_RFC3339_LEN + 1];
	size_t i, m, n;

	assert_int_equal(bg_rfc3339_format(t, ts), BG_OK);
	n = (size_t)snprintf(out, sz, "format %s\nvault %s\nperson %s\n"
	    "time %s\ntoken %s\n", BG_CUSTODY_ATTEST_FORMAT, f->v->id_hex,
	    person, ts, tok_of(f, person));
	/* one line per item version and group with a box sealed to it */
	n += share_lines(f, person, tok_of(f, person), out + n, sz - n);
	for (i = 0; i < c->email_inbox.n; i++)
		if (strcmp(c->email_inbox.name[i], person) == 0)
			n += (size_t)snprintf(out + n, sz - n,
			    "channel %s email_inbox\n", c->account);
	for (i = 0; i < c->phone.n; i++)
		if (strcmp(c->phone.name[i], person) == 0)
			n += (size_t)snprintf(out + n, sz - n,
			    "channel %s phone\n", c->account);
	for (m = 0; m < c->nmfa; m++)
		for (i = 0; i < c->mfa[m].holders.n; i++)
			if (strcmp(c->mfa[m].holders.name[i], person) == 0)
				n += (size_t)snprintf(out + n, sz - n,
				    "channel %s mfa_device %s\n", c->account,
				    c->mfa[m].name);
	assert_true(n < sz);
}

static void
append(struct fx *f, const char *event, const char *actor, cJSON *d)
{
	struct bg_audit_event ev = { event, actor, "", "", d };

	assert_int_equal(bg_audit_append(f->log, &ev, NULL), BG_OK);
	cJSON_Delete(d);
}

/*
 * An entry naming slots [from, to) of item's current version, as the
 * ceremony records them: "approval.granted" burns them, and
 * "request.quorum_met" exposes the version.
 */
static void
slots_entry(struct fx *f, const char *event, const char *item,
    uint32_t from, uint32_t to)
{
	const struct bg_vault_item *it = bg_vault_item(
	    bg_vault_account(f->v, ACCOUNT), item);
	const char *items[BG_POLICY_ITEMS_MAX];
	uint64_t vers[BG_POLICY_ITEMS_MAX];
	uint32_t slots[BG_POLICY_ITEMS_MAX];
	struct bg_audit_event ev = { event, "alice", ACCOUNT, RQ_ID, NULL };
	size_t n;
	cJSON *d;

	assert_non_null(it);
	while (from < to) {
		for (n = 0; n < BG_POLICY_ITEMS_MAX && from < to; n++, from++) {
			items[n] = it->name;
			vers[n] = it->version;
			slots[n] = from;
		}
		assert_non_null(d = cJSON_CreateObject());
		assert_int_equal(bg_ledger_add_entries(d, items, vers, slots, n),
		    BG_OK);
		ev.detail = d;
		assert_int_equal(bg_audit_append(f->log, &ev, NULL), BG_OK);
		cJSON_Delete(d);
	}
}

static cJSON *
att_detail(const char *token, const char *text, const char *sig)
{
	cJSON *d = cJSON_CreateObject();

	assert_non_null(d);
	assert_non_null(cJSON_AddStringToObject(d, "token", token));
	assert_non_null(cJSON_AddStringToObject(d, "statement", text));
	assert_non_null(cJSON_AddStringToObject(d, "authdata", sig));
	assert_non_null(cJSON_AddStringToObject(d, "sig", sig));
	return d;
}

static void
attest(struct fx *f, const char *person)
{
	char text[2048];

	statement(f, person, f->now, text, sizeof(text));
	append(f, "custody.attested", person,
	    att_detail(tok_of(f, person), text, ""));
}

static void
attest_all(struct fx *f)
{
	size_t i;

	for (i = 0; i < NPEOPLE; i++)
		attest(f, names[i]);
}

static void
run(struct fx *f, uint64_t now, struct bg_custody_report *rep)
{
	assert_int_equal(bg_custody_check(f->v, &f->cfg, f->log, now, rep),
	    BG_OK);
}

/*
 * The number of findings of rule at sev (0: any) whose message has every
 * word.
 */
static size_t
found(const struct bg_custody_report *rep, enum bg_custody_sev sev,
    const char *rule, const char *w1, const char *w2)
{
	size_t i, n = 0;

	for (i = 0; i < rep->n; i++)
		if ((sev == 0 || rep->f[i].sev == sev) &&
		    strcmp(rep->f[i].rule, rule) == 0 &&
		    (w1 == NULL || strstr(rep->f[i].message, w1)) &&
		    (w2 == NULL || strstr(rep->f[i].message, w2)))
			n++;
	return n;
}

static void
dump(const struct bg_custody_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		printf("# %s %s %s\n", bg_custody_sev_str(rep->f[i].sev),
		    rep->f[i].rule, rep->f[i].message);
}

static size_t
bad_count(const struct bg_custody_report *rep)
{
	return rep->count[BG_CUSTODY_VIOLATION] + rep->count[BG_CUSTODY_CRITICAL];
}

/* ============================================================== config */

static void
test_config_good(void **state)
{
	struct fx *f = *state;
	struct bg_custody_config c;
	const struct bg_custody_account *a;

	assert_int_equal(f->cfg.present, 1);
	assert_int_equal(f->cfg.max_age_days, 90);
	assert_int_equal(f->cfg.rotation_days, 7);
	assert_int_equal(f->cfg.naccounts, 1);
	assert_non_null(a = bg_custody_config_account(&f->cfg, "111122223333"));
	assert_string_equal(a->email_inbox.name[1], "ops-b");
	assert_string_equal(a->phone.name[0], "tel-c");
	assert_int_equal(a->nmfa, 2);
	assert_string_equal(a->mfa[1].name, "yubikey-2");
	assert_string_equal(a->mfa[1].holders.name[1], "frank");
	assert_int_equal(f->cfg.nemails, 6);
	assert_null(bg_custody_config_account(&f->cfg, "999999999999"));
	/* no custody section: the defaults */
	assert_int_equal(bg_custody_config_parse("{\"format\":\"x\"}", 14, &c),
	    BG_OK);
	assert_int_equal(c.present, 0);
	assert_int_equal(c.max_age_days, BG_CUSTODY_AGE_DEFAULT);
	assert_int_equal(c.rotation_days, BG_CUSTODY_ROTATION_DEFAULT);
	bg_custody_config_free(&c);
}

static const struct {
	const char *custody;	/* the "custody" member's value */
	const char *why;	/* a word bg_why() must hold */
} bad_cfgs[] = {
	{ "[]", "object" },
	{ "{\"extra\":1}", "extra" },
	{ "{\"max_age_days\":0}", "max_age_days" },
	{ "{\"max_age_days\":3651}", "max_age_days" },
	{ "{\"max_age_days\":\"90\"}", "max_age_days" },
	{ "{\"max_age_days\":1.5}", "max_age_days" },
	{ "{\"rotation_days\":-1}", "rotation_days" },
	{ "{\"accounts\":{}}", "accounts" },
	{ "{\"accounts\":[{\"account\":\"1 1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"]}]}", "account" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[],"
	  "\"phone\":[\"b\"]}]}", "email_inbox" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"]}]}",
	  "phone" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\",\"A\"],"
	  "\"phone\":[\"b\"]}]}", "twice" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"-a\"],"
	  "\"phone\":[\"b\"]}]}", "person name" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a b\"],"
	  "\"phone\":[\"b\"]}]}", "person name" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[7],"
	  "\"phone\":[\"b\"]}]}", "person name" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"],\"sms\":[]}]}", "sms" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"]},{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"]}]}", "twice" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"],\"mfa_devices\":[{\"name\":\"k\"}]}]}",
	  "holders" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"],\"mfa_devices\":[{\"name\":\"k\",\"holders\":"
	  "[\"a\"]},{\"name\":\"K\",\"holders\":[\"a\"]}]}]}", "twice" },
	{ "{\"accounts\":[{\"account\":\"1\",\"email_inbox\":[\"a\"],"
	  "\"phone\":[\"b\"],\"mfa_devices\":[{\"name\":\"a b\",\"holders\":"
	  "[\"a\"]}]}]}", "device name" },
	{ "{\"personal_emails\":[]}", "personal_emails" },
	{ "{\"personal_emails\":{\"alice\":\"not-an-address\"}}", "alice" },
	{ "{\"personal_emails\":{\"alice\":7}}", "alice" },
	{ "{\"personal_emails\":{\"-x\":\"x@example.com\"}}", "person name" },
	{ "{\"personal_emails\":{\"alice\":\"a@example.com\","
	  "\"ALICE\":\"b@example.com\"}}", "twice" },
};

static void
test_config_bad(void **state)
{
	struct bg_custody_config c;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cfgs) / sizeof(bad_cfgs[0]); i++) {
		int n = snprintf(text, sizeof(text), "{\"custody\":%s}",
		    bad_cfgs[i].custody);

		assert_true(n > 0 && (size_t)n < sizeof(text));
		if (bg_custody_config_parse(text, (size_t)n, &c) == BG_OK) {
			printf("# accepted: %s\n", text);
			fail();
		}
		if (strstr(bg_why(), bad_cfgs[i].why) == NULL) {
			printf("# %s: why '%s' lacks '%s'\n", text, bg_why(),
			    bad_cfgs[i].why);
			fail();
		}
		bg_custody_config_free(&c);
	}
	/* nine MFA devices: more than AWS allows */
	{
		size_t n = (size_t)snprintf(text, sizeof(text),
		    "{\"custody\":{\"accounts\":[{\"account\":\"1\","
		    "\"email_inbox\":[\"a\"],\"phone\":[\"b\"],\"mfa_devices\":[");

		for (i = 0; i < 9; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%s{\"name\":\"k%zu\",\"holders\":[\"a\"]}",
			    i ? "," : "", i);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "]}]}}");
		assert_int_equal(bg_custody_config_parse(text, n, &c),
		    BG_EFORMAT);
		assert_non_null(strstr(bg_why(), "8"));
		bg_custody_config_free(&c);
	}
	/* not strict JSON: duplicate keys, trailing bytes */
	assert_int_equal(bg_custody_config_parse("{\"custody\":{},"
	    "\"custody\":{}}", 27, &c), BG_EFORMAT);
	bg_custody_config_free(&c);
	assert_int_equal(bg_custody_config_parse("{\"custody\":{}}x", 15, &c),
	    BG_EFORMAT);
	bg_custody_config_free(&c);
}

/* ============================================================== check */

static void
test_all_attested_is_clean(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	attest_all(f);
	run(f, f->now, &rep);
	dump(&rep);
	assert_int_equal(bad_count(&rep), 0);
	assert_int_equal(rep.count[BG_CUSTODY_WARNING], 0);
	assert_int_equal(rep.rejected, 0);
	bg_custody_report_free(&rep);
}

static void
test_nothing_attested(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION,
	    "attestation-missing", "alice", "never"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", "group password", "alice, bob, carol"),
	    1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "channel-unreachable", "email_inbox of account 111122223333",
	    "ops-a, ops-b"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION,
	    "channel-unattested", "tel-d", "phone"), 1);
	bg_custody_report_free(&rep);
}

static void
test_rule_groups_disjoint(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	assert_int_equal(bg_policy_add_member(f->v->policy, "mfa", "alice"),
	    BG_OK);
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "groups-disjoint",
	    "alice", "password group password and MFA group mfa"), 1);
	bg_custody_report_free(&rep);
}

static void
test_rule_group_size(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "bob"), BG_OK);
	assert_int_equal(bg_policy_remove_member(f->v->policy, "password",
	    "carol"), BG_OK);
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "group-size",
	    "group password has 1 member", NULL), 1);
	/* bob and carol still hold shares but are no longer members: the
	 * group cannot reach 2 with its fresh members */
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", "group password", "fresh 1 (alice)"), 1);
	/* and only a rotation takes their shares away */
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "holder-removed",
	    "bob, carol still hold(s) a share of root-password version 1",
	    "only a rotation revokes them"), 1);
	bg_custody_report_free(&rep);
	/* sealed again: the new version names alice only, and the policy's
	 * floor (threshold 2 of 1 member) refuses the seal */
	{
		struct bg_vault_item *it;

		assert_int_not_equal(bg_vault_seal(f->v,
		    bg_vault_account(f->v, ACCOUNT), "root-password",
		    BG_ITEM_PASSWORD, (const uint8_t *)"x", 1, f->now, &it),
		    BG_OK);
	}
}

static void
reparse(struct fx *f, const char *from, const char *to)
{
	char text[2048], *p;
	size_t n = strlen(good_cfg);

	memcpy(text, good_cfg, n + 1);
	assert_non_null(p = strstr(text, from));
	assert_true(n - strlen(from) + strlen(to) < sizeof(text));
	memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
	memcpy(p, to, strlen(to));
	bg_custody_config_free(&f->cfg);
	assert_int_equal(bg_custody_config_parse(text, strlen(text), &f->cfg),
	    BG_OK);
}

static void
test_rule_channels_disjoint(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	reparse(f, "\"phone\":[\"tel-c\",", "\"phone\":[\"ops-a\",");
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "channels-disjoint",
	    "ops-a holds both the root e-mail inbox and the phone number",
	    "111122223333"), 1);
	bg_custody_report_free(&rep);
}

static void
test_rule_channel_size(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	reparse(f, "[\"ops-a\",\"ops-b\"]", "[\"ops-a\"]");
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "channel-size",
	    "email_inbox of account 111122223333 has 1 holder(s) (ops-a)",
	    NULL), 1);
	bg_custody_report_free(&rep);
	/* an MFA device with one holder, and a holder not in the vault */
	reparse(f, "[\"erin\",\"frank\"]", "[\"zed\"]");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "channel-size",
	    "mfa_device yubikey-2", "(zed)"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "holder-unknown",
	    "zed", "not a person in the vault"), 1);
	bg_custody_report_free(&rep);
}

static void
test_rule_root_email(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	/* plus-addressing and case do not hide the same mailbox */
	reparse(f, "\"bob@example.com\"", "\"AWS-Root+bob@Example.com\"");
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION,
	    "root-email-personal", "account 111122223333 (aws-root@example.com)",
	    "personal address of bob"), 1);
	assert_int_equal(bad_count(&rep), 1);
	bg_custody_report_free(&rep);
	/* a custodian without an address recorded is a warning */
	reparse(f, "\"alice\":\"alice@example.com\",", "");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING,
	    "personal-email-missing", "alice", NULL), 1);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
}

static void
test_rule_accounts(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	assert_int_equal(bg_vault_add_account(f->v, "444455556666", "staging",
	    "aws-staging@example.com"), BG_OK);
	reparse(f, "\"mfa_devices\":[{\"name\":\"yubikey-1\",\"holders\":"
	    "[\"dave\",\"erin\"]},", "\"mfa_devices\":[");
	attest_all(f);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "channels-missing",
	    "444455556666 (staging)", NULL), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "mfa-devices",
	    "one root MFA device (yubikey-2)", NULL), 1);
	/* nothing sealed in the new account: both root items are named */
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "not-sealed",
	    "root-password of account 444455556666", NULL), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "not-sealed",
	    "root-mfa of account 444455556666", NULL), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "not-sealed",
	    "111122223333", NULL), 0);
	bg_custody_report_free(&rep);
	reparse(f, "\"111122223333\"", "\"999999999999\"");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "unknown-account",
	    "999999999999", NULL), 1);
	bg_custody_report_free(&rep);
}

static void
test_stale_and_threshold(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	attest_all(f);
	/* 91 days on: everybody is stale, no group reaches its threshold */
	run(f, f->now + 91 * DAY, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "attestation-stale",
	    "dave", "91 days ago, limit 90"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", "group mfa", "fresh 0 (none)"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "channel-unreachable", "phone", NULL), 1);
	bg_custody_report_free(&rep);
	/* 89 days on: still fresh */
	run(f, f->now + 89 * DAY, &rep);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
}

static void
test_below_threshold_is_critical(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	size_t i;

	/* only one of the mfa group (threshold 2) attests */
	for (i = 0; i < NPEOPLE; i++)
		if (strcmp(names[i], "erin") != 0 &&
		    strcmp(names[i], "frank") != 0)
			attest(f, names[i]);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", "group mfa of account 111122223333 "
	    "cannot reach its threshold 2", "fresh 1 (dave)"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", "group password", NULL), 0);
	bg_custody_report_free(&rep);
}

static void
test_failed_attestation(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	cJSON *d;

	attest_all(f);
	/* frank's token gave a different secret after his attestation */
	assert_non_null(d = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(d, "token", tok_of(f, "frank")));
	assert_non_null(cJSON_AddStringToObject(d, "error", "wrong token"));
	assert_non_null(cJSON_AddStringToObject(d, "reason", "frank: x"));
	append(f, "custody.attest_failed", "frank", d);
	/* carol could not find her token at all */
	assert_non_null(d = cJSON_CreateObject());
	assert_non_null(cJSON_AddStringToObject(d, "token", ""));
	assert_non_null(cJSON_AddStringToObject(d, "error", "no token"));
	append(f, "custody.attest_failed", "carol", d);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "attestation-failed",
	    "of frank failed its last attestation", "wrong token"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "attestation-failed",
	    "the last attestation of carol failed", NULL), 1);
	bg_custody_report_free(&rep);
	/* attesting again clears both */
	attest(f, "frank");
	attest(f, "carol");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "attestation-failed",
	    NULL, NULL), 0);
	bg_custody_report_free(&rep);
}

/* Forged or altered attestation entries are rejected and never count. */
static void
test_forged_attestations(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	static char text[2048], alt[2200];
	char ts[BG_RFC3339_LEN + 1];
	char *p;

	statement(f, "alice", f->now, text, sizeof(text));
	/* 1: another person's token */
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "bob"), text, ""));
	/* 2: the statement names someone else */
	append(f, "custody.attested", "bob",
	    att_detail(tok_of(f, "bob"), text, ""));
	/* 3: another vault */
	snprintf(alt, sizeof(alt), "%s", text);
	p = strstr(alt, "vault ") + 6;
	*p = *p == '0' ? '1' : '0';
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 4: a line added */
	snprintf(alt, sizeof(alt), "%sextra line\n", text);
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 5: a YubiKey "signature" */
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), text, "AAAA"));
	/* 6: a statement dated a year after its entry (replayed forward) */
	statement(f, "alice", f->now + 365 * DAY, alt, sizeof(alt));
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 7: unknown detail key */
	{
		cJSON *d = att_detail(tok_of(f, "alice"), text, "");

		assert_non_null(cJSON_AddStringToObject(d, "note", "x"));
		append(f, "custody.attested", "alice", d);
	}
	/* 8: someone not in the vault */
	append(f, "custody.attested", "mallory",
	    att_detail(tok_of(f, "alice"), text, ""));
	/* 9: a bad time */
	snprintf(alt, sizeof(alt), "%s", text);
	assert_int_equal(bg_rfc3339_format(f->now, ts), BG_OK);
	p = strstr(alt, ts);
	p[5] = '1', p[6] = '3';		/* month 13 */
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 10: the format of vault v1 */
	snprintf(alt, sizeof(alt), "%s", text);
	assert_non_null(p = strstr(alt, "attestation-v2\n"));
	p[strlen("attestation-v")] = '1';
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 11: a v1 share line (account, group, epoch, x) */
	{
		const char *v2 = "share " ACCOUNT " root-password 1 password 1\n";

		assert_non_null(p = strstr(text, v2));
		snprintf(alt, sizeof(alt), "%.*sshare " ACCOUNT " password 1 "
		    "1\n%s", (int)(p - text), text, p + strlen(v2));
	}
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	/* 12: a share line of version 0 */
	snprintf(alt, sizeof(alt), "%s", text);
	assert_non_null(p = strstr(alt, "root-password 1 password"));
	p[14] = '0';
	append(f, "custody.attested", "alice",
	    att_detail(tok_of(f, "alice"), alt, ""));
	run(f, f->now, &rep);
	dump(&rep);
	assert_int_equal(rep.rejected, 12);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "attestation-rejected", "alice", "not one of theirs"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "attestation-rejected", "mallory", "not a person"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "attestation-rejected", "alice", "does not sign"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "attestation-rejected", "alice", "time"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "attestation-rejected", "alice", "malformed"), 1);
	/* none of them counted */
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION,
	    "attestation-missing", "alice", NULL), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION,
	    "attestation-missing", "bob", NULL), 1);
	bg_custody_report_free(&rep);
}

/*
 * A version a quorum named is exposed (the ledger says so from the log):
 * a warning with the date to rotate by, a violation after rotation_days;
 * sealing again clears it.
 */
static void
test_needs_rotation(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	attest_all(f);
	slots_entry(f, "approval.granted", "root-password", 0, 1);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, 0, "needs-rotation", NULL, NULL), 0);
	assert_int_equal(rep.count[BG_CUSTODY_WARNING], 0);
	bg_custody_report_free(&rep);
	slots_entry(f, "request.quorum_met", "root-password", 0, 1);
	run(f, f->now, &rep);
	dump(&rep);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "needs-rotation",
	    "root-password of account 111122223333 was released at",
	    "(version 1): rotate it before"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "needs-rotation",
	    "root-mfa", NULL), 0);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
	/* eight days on (and everybody still fresh): a violation */
	run(f, f->now + 8 * DAY, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_VIOLATION, "needs-rotation",
	    "root-password of account 111122223333", "within 7 days"), 1);
	bg_custody_report_free(&rep);
	/* version 2 was exposed by nobody; the attestations of version 1
	 * count for it (the same tokens) */
	(void)seal(f, "root-password", BG_ITEM_PASSWORD, "bob");
	run(f, f->now + 8 * DAY, &rep);
	dump(&rep);
	assert_int_equal(found(&rep, 0, "needs-rotation", NULL, NULL), 0);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
}

/*
 * Slots left = slots - burned (ledger): fewer than a quarter warns to
 * rotate, none left is critical; burns of another version or item do not
 * count.
 */
static void
test_slots_left(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	uint32_t nslots = bg_vault_item(bg_vault_account(f->v, ACCOUNT),
	    "root-password")->ver->nslots;

	assert_int_equal(nslots, BG_SLOTS_DEFAULT);
	attest_all(f);
	/* 24 of 32 burned: 8 left, a quarter exactly: nothing */
	slots_entry(f, "approval.granted", "root-password", 0, 24);
	/* burning a slot twice burns it once */
	slots_entry(f, "approval.granted", "root-password", 23, 24);
	run(f, f->now, &rep);
	dump(&rep);
	assert_int_equal(found(&rep, 0, "slots-left", NULL, NULL), 0);
	assert_int_equal(rep.count[BG_CUSTODY_WARNING], 0);
	bg_custody_report_free(&rep);
	/* 25 burned: 7 left, below a quarter */
	slots_entry(f, "approval.granted", "root-password", 24, 25);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "slots-left",
	    "root-password version 1 of account 111122223333 has 7 of 32 "
	    "slots left", "rotate"), 1);
	assert_int_equal(found(&rep, 0, "slots-left", "root-mfa", NULL), 0);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
	/* all burned: nothing can open it */
	slots_entry(f, "approval.granted", "root-password", 25, 32);
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL, "slots-left",
	    "root-password version 1 of account 111122223333 has no slot "
	    "left", "seal it again"), 1);
	bg_custody_report_free(&rep);
	/* sealed again: version 2 has all its slots */
	(void)seal(f, "root-password", BG_ITEM_PASSWORD, "carol");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, 0, "slots-left", NULL, NULL), 0);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
}

/*
 * A member added to a group after the item was sealed holds no box of the
 * current version: reported (seal again), not required to attest it, and
 * not counted toward the threshold; sealing again gives them a box.
 */
static void
test_box_missing(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;

	assert_int_equal(bg_policy_add_member(f->v->policy, "mfa", "tel-d"),
	    BG_OK);
	attest_all(f);
	run(f, f->now, &rep);
	dump(&rep);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "box-missing",
	    "tel-d (group mfa) hold(s) no share of root-mfa version 1",
	    "seal it again"), 1);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "box-missing",
	    "root-password", NULL), 0);
	assert_int_equal(bad_count(&rep), 0);
	bg_custody_report_free(&rep);
	/* the other way: the policy has the item need a group it was not
	 * sealed for */
	{
		const char *both[] = { "password", "mfa" };

		assert_int_equal(bg_policy_set_item(f->v->policy,
		    "root-password", both, 2), BG_OK);
	}
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_WARNING, "box-missing",
	    "root-password of account 111122223333 need group mfa",
	    "version 1 was not sealed for"), 1);
	bg_custody_report_free(&rep);
	{
		const char *one[] = { "password" };

		assert_int_equal(bg_policy_set_item(f->v->policy,
		    "root-password", one, 1), BG_OK);
	}
	/* sealed again: tel-d holds a box, and must attest it */
	(void)seal(f, "root-mfa", BG_ITEM_TOTP, "erin");
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, 0, "box-missing", NULL, NULL), 0);
	/* tel-d's attestation predates the box: no share of root-mfa in it */
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL,
	    "threshold-unreachable", NULL, NULL), 0);
	bg_custody_report_free(&rep);
}

/* A version whose seal does not verify cannot be used: critical. */
static void
test_seal_invalid(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	struct bg_vault_item *it = bg_vault_item(bg_vault_account(f->v,
	    ACCOUNT), "root-mfa");
	size_t n;

	attest_all(f);
	it->sig[0] ^= 1;
	run(f, f->now, &rep);
	assert_int_equal(found(&rep, BG_CUSTODY_CRITICAL, "seal-invalid",
	    "root-mfa version 1 of account 111122223333", "signature"), 1);
	bg_custody_report_free(&rep);
	/* and nobody attests against it */
	assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v, "dave"),
	    0, f->priv[person_ix("dave")], &n), BG_ETAMPER);
	assert_non_null(strstr(bg_why(), "root-mfa"));
	it->sig[0] ^= 1;
	assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v, "dave"),
	    0, f->priv[person_ix("dave")], &n), BG_OK);
	assert_int_equal(n, 1);
}

/*
 * What an attestation proves: each member opens their own box of each
 * version with their token's key; nobody else's key opens it, and a box
 * swapped between two members opens for neither (its label names the
 * member, and it is sealed to the other's token).
 */
static void
test_prove_and_swapped_box(void **state)
{
	struct fx *f = *state;
	struct bg_vault_item *it = bg_vault_item(bg_vault_account(f->v,
	    ACCOUNT), "root-password");
	struct bg_v2_member *ma, *mb;
	uint8_t *box;
	char lines[512];
	size_t i, n;

	/* everybody of a group proves one share; a holder of channels only
	 * proves none */
	for (i = 0; i < NPEOPLE; i++) {
		assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
		    names[i]), 0, f->priv[i], &n), BG_OK);
		assert_int_equal(n, i < 6 ? 1 : 0);
		assert_int_equal(share_lines(f, names[i], tok_of(f, names[i]),
		    lines, sizeof(lines)) != 0, i < 6);
	}
	share_lines(f, "alice", tok_of(f, "alice"), lines, sizeof(lines));
	assert_string_equal(lines, "share " ACCOUNT " root-password 1 "
	    "password 1\n");
	/* bob's key does not open alice's box */
	assert_int_not_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "alice"), 0, f->priv[person_ix("bob")], &n), BG_OK);
	/* alice's and bob's boxes swapped in the record */
	ma = &it->ver->g[0].m[0];
	mb = &it->ver->g[0].m[1];
	assert_string_equal(ma->person, "alice");
	assert_string_equal(mb->person, "bob");
	box = ma->box[0];
	ma->box[0] = mb->box[0];
	mb->box[0] = box;
	assert_int_not_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "alice"), 0, f->priv[person_ix("alice")], &n), BG_OK);
	assert_int_equal(n, 0);
	assert_non_null(strstr(bg_why(), "alice's box of root-password "
	    "version 1"));
	assert_int_not_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "bob"), 0, f->priv[person_ix("bob")], &n), BG_OK);
	/* even with the other's key: the label names the member */
	assert_int_not_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "alice"), 0, f->priv[person_ix("bob")], &n), BG_OK);
	/* carol's, untouched, still opens */
	assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "carol"), 0, f->priv[person_ix("carol")], &n), BG_OK);
	assert_int_equal(n, 1);
	/* swapped back: both open again */
	mb->box[0] = ma->box[0];
	ma->box[0] = box;
	assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "alice"), 0, f->priv[person_ix("alice")], &n), BG_OK);
	assert_int_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "bob"), 0, f->priv[person_ix("bob")], &n), BG_OK);
	/* x swapped in the record (alice claims bob's place): refused */
	ma->x = 2;
	mb->x = 1;
	assert_int_not_equal(bg_custody_prove(f->v, bg_vault_person(f->v,
	    "alice"), 0, f->priv[person_ix("alice")], &n), BG_OK);
	ma->x = 1;
	mb->x = 2;
}

static void
test_report_json(void **state)
{
	struct fx *f = *state;
	struct bg_custody_report rep;
	const cJSON *counts, *list;
	cJSON *j;

	run(f, f->now, &rep);
	assert_true(rep.n > 3);
	assert_int_equal(bg_custody_report_json(&rep, 3, &j), BG_OK);
	counts = cJSON_GetObjectItemCaseSensitive(j, "counts");
	list = cJSON_GetObjectItemCaseSensitive(j, "findings");
	assert_int_equal(cJSON_GetArraySize(list), 3);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(counts,
	    "critical")->valueint, (int)rep.count[BG_CUSTODY_CRITICAL]);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "more")->valueint,
	    (int)(rep.n - 3));
	cJSON_Delete(j);
	bg_custody_report_free(&rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_good, setup,
		    teardown),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test_setup_teardown(test_all_attested_is_clean,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_attested, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rule_groups_disjoint,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_group_size, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rule_channels_disjoint,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_channel_size, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rule_root_email, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rule_accounts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_threshold,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_below_threshold_is_critical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_attestation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_attestations,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_needs_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slots_left, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_box_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seal_invalid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prove_and_swapped_box,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_json, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

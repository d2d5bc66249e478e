/*
 * Custodian-group policies (quorum/policy.c, docs/design.md §2.1): the default
 * template, validation naming the group, person or item at fault, the
 * policy floor (docs/design.md §5.2: thresholds of at least 2, no
 * self-approval, no requester in a group), the strict JSON form and its
 * round trip, and the quorum decision itself, which must hold even for a
 * policy that never passed validation.
 *
 * Fixtures use thresholds of 2 with three members, so that a check about
 * something else is neither stopped by the floor nor warned about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "common/common.h"
#include "quorum/quorum.h"

/* Policy JSON pieces, with ' for " to keep them readable. */
#define G_PW "{'name':'password','threshold':2,'members':['alice','bob'," \
    "'hana']}"
#define G_MFA "{'name':'mfa','threshold':2,'members':['carol','dave','ivan']}"
#define I_PW "{'name':'root-password','groups':['password']}"
#define I_MFA "{'name':'root-mfa','groups':['mfa']}"
#define TAIL "'request_expiry_seconds':14400,'timelock_seconds':0," \
    "'self_approval':false,'slots':32"

/* The JSON text of a policy from its pieces, ' turned into ". */
static char *
policy_text(const char *groups, const char *items, const char *tail)
{
	static char buf[8192];
	size_t i;
	int n;

	n = snprintf(buf, sizeof(buf), "{'format':'breakglass-policy-v1',"
	    "'groups':[%s],'items':[%s],%s}", groups, items, tail);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\'')
			buf[i] = '"';
	return buf;
}

/* Parses text (strictly) into a policy; the result code of from_json. */
static int
load_text(const char *text, bg_policy_t **p)
{
	cJSON *j;
	int r;

	*p = NULL;
	if ((j = bg_json_parse(text, strlen(text))) == NULL)
		return BG_EFORMAT;
	r = bg_policy_from_json(j, p);
	cJSON_Delete(j);
	return r;
}

static bg_policy_t *
load(const char *groups, const char *items, const char *tail)
{
	bg_policy_t *p = NULL;

	assert_int_equal(load_text(policy_text(groups, items, tail), &p),
	    BG_OK);
	assert_non_null(p);
	return p;
}

static void check_refused(const char *text, const char *want);

/* Validation refuses p with a message holding want (and bg_why too). */
static void
assert_invalid(bg_policy_t *p, const char *want)
{
	char why[512];

	assert_int_equal(bg_policy_validate(p, why, sizeof(why)), BG_EINVAL);
	if (strstr(why, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", why, want);
	assert_non_null(strstr(bg_why(), want));
}

static void
assert_valid(const bg_policy_t *p, const char *warnings)
{
	char why[1024];

	if (bg_policy_validate(p, why, sizeof(why)) != BG_OK)
		fail_msg("refused: %s", why);
	assert_string_equal(why, warnings);
}

/* The default template, with three people in each group (G_PW, G_MFA). */
static bg_policy_t *
populated(void)
{
	bg_policy_t *p = NULL;

	assert_int_equal(bg_policy_default(&p), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "password", "alice"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "password", "bob"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "password", "hana"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "mfa", "carol"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "mfa", "dave"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "mfa", "ivan"), BG_OK);
	return p;
}

/* ------------------------------------------------------------- defaults */

static void
test_default_template(void **state)
{
	bg_policy_t *p = NULL;

	(void)state;
	assert_int_equal(bg_policy_default(&p), BG_OK);
	assert_int_equal(bg_policy_ngroups(p), 2);
	assert_string_equal(bg_policy_group_name(p, 0), "password");
	assert_string_equal(bg_policy_group_name(p, 1), "mfa");
	/* docs/design.md §5.2: the template starts at the floor */
	assert_int_equal(bg_policy_group_threshold(p, 0), 2);
	assert_int_equal(bg_policy_group_threshold(p, 1), 2);
	assert_int_equal(bg_policy_group_nmembers(p, 0), 0);
	assert_null(bg_policy_group_name(p, 2));
	assert_int_equal(bg_policy_nitems(p), 2);
	assert_string_equal(bg_policy_item_name(p, 0), "root-password");
	assert_int_equal(bg_policy_item_ngroups(p, 0), 1);
	assert_string_equal(bg_policy_item_group(p, 0, 0), "password");
	assert_string_equal(bg_policy_item_name(p, 1), "root-mfa");
	assert_string_equal(bg_policy_item_group(p, 1, 0), "mfa");
	assert_null(bg_policy_item_group(p, 1, 1));
	assert_int_equal(bg_policy_expiry(p), 4 * 3600);
	assert_int_equal(bg_policy_timelock(p), 0);
	assert_int_equal(bg_policy_self_approval(p), 0);
	/* a template is not a policy until people are in it */
	assert_invalid(p, "group \"password\" has no members");
	bg_policy_free(&p);
	assert_null(p);
	bg_policy_free(&p);
	bg_policy_free(NULL);
}

static void
test_default_validates(void **state)
{
	bg_policy_t *p = populated();

	(void)state;
	assert_valid(p, "");
	assert_true(bg_policy_is_member(p, "mfa", "carol"));
	assert_false(bg_policy_is_member(p, "mfa", "Carol"));
	assert_false(bg_policy_is_member(p, "password", "carol"));
	bg_policy_free(&p);
}

/* ----------------------------------------------------------- validation */

static void
check_invalid(const char *groups, const char *items, const char *tail,
    const char *want)
{
	bg_policy_t *p = load(groups, items, tail);

	assert_invalid(p, want);
	bg_policy_free(&p);
}

static void
test_invalid_groups(void **state)
{
	(void)state;
	check_invalid(G_PW ",{'name':'mfa','threshold':3,'members':"
	    "['carol','dave']}", I_PW "," I_MFA, TAIL,
	    "group \"mfa\": threshold 3 is above its 2 members");
	check_invalid(G_PW ",{'name':'mfa','threshold':2,'members':[]}",
	    I_PW "," I_MFA, TAIL, "group \"mfa\" has no members");
	/* docs/design.md §1: at least two people able to reach it */
	check_invalid(G_PW ",{'name':'mfa','threshold':2,'members':"
	    "['carol']}", I_PW "," I_MFA, TAIL,
	    "group \"mfa\" has one member (\"carol\")");
	check_invalid(G_PW "," G_MFA "," G_MFA, I_PW "," I_MFA, TAIL,
	    "group \"mfa\" is defined twice");
	check_invalid(G_PW "," G_MFA ",{'name':'MFA','threshold':2,"
	    "'members':['erin','frank']}", I_PW "," I_MFA, TAIL,
	    "group \"MFA\" is defined twice");
	check_invalid(G_PW ",{'name':'mfa','threshold':2,'members':"
	    "['carol','dave','carol']}", I_PW "," I_MFA, TAIL,
	    "group \"mfa\": person \"carol\" is listed twice");
	check_invalid(G_PW ",{'name':'mfa','threshold':2,'members':"
	    "['carol','dave','CAROL']}", I_PW "," I_MFA, TAIL,
	    "group \"mfa\": person \"CAROL\" is listed twice");
	check_invalid("", I_PW, TAIL, "1..16 groups");
}

/* docs/design.md §2.1: config that lets one person satisfy two groups. */
static void
test_invalid_overlap(void **state)
{
	(void)state;
	check_invalid("{'name':'password','threshold':2,'members':"
	    "['alice','carol']}," G_MFA, I_PW "," I_MFA, TAIL,
	    "person \"carol\" is in groups \"password\" and \"mfa\": one "
	    "person must not satisfy two groups");
	check_invalid("{'name':'password','threshold':2,'members':"
	    "['alice','bob']},{'name':'mfa','threshold':2,'members':"
	    "['carol','bob']}", I_PW "," I_MFA, TAIL,
	    "person \"bob\" is in groups \"password\" and \"mfa\"");
	/* another spelling of the same person */
	check_invalid("{'name':'password','threshold':2,'members':"
	    "['alice','Bob']},{'name':'mfa','threshold':2,'members':"
	    "['carol','bob']}", I_PW "," I_MFA, TAIL,
	    "person \"Bob\" is in groups \"password\" and \"mfa\"");
	/* a third group no item needs yet is one edit away from live */
	check_invalid(G_PW "," G_MFA ",{'name':'spare','threshold':2,"
	    "'members':['dave','erin']}", I_PW "," I_MFA, TAIL,
	    "person \"dave\" is in groups \"mfa\" and \"spare\"");
}

static void
test_invalid_items(void **state)
{
	(void)state;
	check_invalid(G_PW "," G_MFA, I_PW ",{'name':'root-mfa','groups':"
	    "['mfa2']}", TAIL,
	    "item \"root-mfa\" needs group \"mfa2\", which the policy does "
	    "not define");
	/* granting names match exactly */
	check_invalid(G_PW "," G_MFA, I_PW ",{'name':'root-mfa','groups':"
	    "['MFA']}", TAIL, "item \"root-mfa\" needs group \"MFA\"");
	check_invalid(G_PW "," G_MFA, I_PW "," I_MFA "," I_MFA, TAIL,
	    "item \"root-mfa\" is defined twice");
	check_invalid(G_PW "," G_MFA, I_PW ",{'name':'Root-MFA','groups':"
	    "['mfa']}," I_MFA, TAIL, "item \"root-mfa\" is defined twice");
	check_invalid(G_PW "," G_MFA, I_PW ",{'name':'root-mfa','groups':"
	    "['mfa','mfa']}", TAIL, "item \"root-mfa\" names group \"mfa\" "
	    "twice");
	check_invalid(G_PW "," G_MFA, I_PW ",{'name':'root-mfa','groups':[]}",
	    TAIL, "item \"root-mfa\" needs no group");
	check_invalid(G_PW "," G_MFA, "", TAIL, "1..32 items");
}

static void
test_invalid_rules(void **state)
{
	(void)state;
	check_invalid(G_PW "," G_MFA, I_PW "," I_MFA,
	    "'request_expiry_seconds':3600,'timelock_seconds':3600,"
	    "'self_approval':false,'slots':32", "time lock (3600 s) is not shorter");
	/* docs/design.md §5.2: self-approval is refused (test_floor_self_approval) */
	check_invalid(G_PW ",{'name':'mfa','threshold':2,'members':"
	    "['carol','dave','erin']}", I_PW "," I_MFA,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':true,'slots':32", "self-approval is on: a requester may "
	    "never be a member");
}

/* ----------------------------------------------------- the policy floor */

#define T1_MSG "group \"mfa\": threshold 1 lets one person's share stand " \
    "for the whole group: it must be at least 2"
#define SELF_MSG "self-approval is on: a requester may never be a member " \
    "of a group guarding what they request (their own share would " \
    "count offline), so they have no approval to give: turn it off"

/* bg_policy_check_floor refuses p with a message holding want. */
static void
assert_below_floor(const bg_policy_t *p, const char *want)
{
	char why[512];

	assert_int_equal(bg_policy_check_floor(p, why, sizeof(why)), BG_EPERM);
	if (strstr(why, want) == NULL)
		fail_msg("floor message \"%s\" lacks \"%s\"", why, want);
	assert_non_null(strstr(bg_why(), want));
}

/* docs/design.md §5.2: every t_g >= 2; 1 makes each share the group key. */
static void
test_floor_threshold(void **state)
{
	bg_policy_t *p;
	char why[64];

	(void)state;
	/* t = 1 as a file holds it: read, then refused with the reason */
	check_invalid(G_PW ",{'name':'mfa','threshold':1,'members':"
	    "['carol','dave','ivan']}", I_PW "," I_MFA, TAIL, T1_MSG);
	/* on a group no item needs too: one edit away from live */
	check_invalid(G_PW "," G_MFA ",{'name':'spare','threshold':1,"
	    "'members':['erin','frank','gina']}", I_PW "," I_MFA, TAIL,
	    "group \"spare\": threshold 1 lets one person's share");
	/* t = 1 by editing: stored, refused by validation and the floor */
	p = populated();
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 1), BG_OK);
	assert_int_equal(bg_policy_group_threshold(p, 1), 1);
	assert_invalid(p, T1_MSG);
	assert_below_floor(p, T1_MSG);
	/* t = 0 never gets in: not by editing ... */
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 0), BG_ERANGE);
	assert_int_equal(bg_policy_group_threshold(p, 1), 1);
	assert_int_equal(bg_policy_add_group(p, "ops", 0), BG_ERANGE);
	assert_int_equal(bg_policy_ngroups(p), 2);
	/* ... nor from a file (test_json_ranges) */
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':0,"
	    "'members':['carol','dave','ivan']}", I_PW "," I_MFA, TAIL),
	    "group \"mfa\": threshold must be a number 1..64");
	/* back at 2 it passes both */
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 2), BG_OK);
	assert_valid(p, "");
	assert_int_equal(bg_policy_check_floor(p, why, sizeof(why)), BG_OK);
	assert_string_equal(why, "");
	/* the floor alone ignores what validation only flags */
	assert_int_equal(bg_policy_remove_member(p, "mfa", "carol"), BG_OK);
	assert_int_equal(bg_policy_remove_member(p, "mfa", "dave"), BG_OK);
	assert_invalid(p, "group \"mfa\" has one member");
	assert_int_equal(bg_policy_check_floor(p, NULL, 0), BG_OK);
	assert_int_equal(bg_policy_check_floor(NULL, NULL, 0), BG_EINVAL);
	bg_policy_free(&p);
}

/* docs/design.md §5.2: a requester is never a member, so never approves. */
static void
test_floor_self_approval(void **state)
{
	bg_policy_t *p;

	(void)state;
	/* an older file with self-approval on is read, and refused */
	p = load(G_PW "," G_MFA, I_PW "," I_MFA, "'request_expiry_seconds':"
	    "14400,'timelock_seconds':0,'self_approval':true,'slots':32");
	assert_int_equal(bg_policy_self_approval(p), 1);
	assert_invalid(p, SELF_MSG);
	assert_below_floor(p, SELF_MSG);
	/* said first by the floor, before a threshold below it */
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 1), BG_OK);
	assert_below_floor(p, SELF_MSG);
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 2), BG_OK);
	/* off, the same policy passes */
	assert_int_equal(bg_policy_set_self_approval(p, 0), BG_OK);
	assert_valid(p, "");
	assert_int_equal(bg_policy_check_floor(p, NULL, 0), BG_OK);
	/* on by editing: stored, refused */
	assert_int_equal(bg_policy_set_self_approval(p, 1), BG_OK);
	assert_invalid(p, SELF_MSG);
	bg_policy_free(&p);
}

/* docs/design.md §5.2: no requester in a group guarding what they request. */
static void
test_floor_requester(void **state)
{
	static const char *const pw[] = { "password" };
	static const char *const mfa[] = { "mfa" };
	static const char *const ops[] = { "ops" };
	bg_policy_t *p = populated();
	char why[512];

	(void)state;
	assert_int_equal(bg_policy_requester_check(p, "carol", NULL, 0, why,
	    sizeof(why)), BG_EPERM);
	assert_string_equal(why, "requester \"carol\" is a member of group "
	    "\"mfa\": a requester may not be a custodian, since their own "
	    "share would count toward their own request, offline");
	assert_string_equal(bg_why(), why);
	/* another spelling is the same person */
	assert_int_equal(bg_policy_requester_check(p, "CAROL", NULL, 0, why,
	    sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "group \"mfa\""));
	/* the groups of one request: named as such */
	assert_int_equal(bg_policy_requester_check(p, "carol", mfa, 1, why,
	    sizeof(why)), BG_EPERM);
	assert_non_null(strstr(why, "\"mfa\", which this request needs"));
	/* a request not needing her group is not hers to hold a share of */
	assert_int_equal(bg_policy_requester_check(p, "carol", pw, 1, why,
	    sizeof(why)), BG_OK);
	assert_string_equal(why, "");
	assert_int_equal(bg_policy_requester_check(p, "zoe", NULL, 0, why,
	    sizeof(why)), BG_OK);
	/* bad arguments */
	assert_int_equal(bg_policy_requester_check(p, "carol", ops, 1, why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_requester_check(p, "carol", NULL, 1, why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_requester_check(p, "z oe", NULL, 0, why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_requester_check(NULL, "zoe", NULL, 0, NULL,
	    0), BG_EINVAL);
	/* validation knows no requesters: the vault asks per person */
	assert_valid(p, "");
	bg_policy_free(&p);
}

static void
test_warnings(void **state)
{
	bg_policy_t *p;

	(void)state;
	/*
	 * self-approval used to pass with a loud warning; the floor refuses
	 * it now (test_floor_self_approval), so it is never only a warning
	 */
	p = load("{'name':'password','threshold':2,'members':['alice','bob',"
	    "'erin']},{'name':'mfa','threshold':2,'members':['carol','dave',"
	    "'frank']}", I_PW "," I_MFA, "'request_expiry_seconds':14400,"
	    "'timelock_seconds':0,'self_approval':true,'slots':32");
	assert_invalid(p, "self-approval is on");
	assert_int_equal(bg_policy_set_self_approval(p, 0), BG_OK);
	assert_valid(p, "");
	bg_policy_free(&p);
	/* no spare member; a group nothing needs */
	p = load("{'name':'password','threshold':2,'members':['alice','bob']},"
	    G_MFA ",{'name':'spare','threshold':2,'members':['erin',"
	    "'frank','gina']}", I_PW "," I_MFA, TAIL);
	assert_valid(p, "warning: group \"password\" needs all 2 of its "
	    "members: losing one token locks away what it guards\n"
	    "warning: group \"spare\" is needed by no item\n");
	bg_policy_free(&p);
}

/* A refused value never reaches the message: names are not echoed. */
static void
test_validate_args(void **state)
{
	char why[8];
	bg_policy_t *p = populated();

	(void)state;
	assert_int_equal(bg_policy_validate(NULL, NULL, 0), BG_EINVAL);
	assert_int_equal(bg_policy_validate(p, NULL, 0), BG_OK);
	/* a short buffer truncates, terminated */
	assert_int_equal(bg_policy_remove_member(p, "mfa", "dave"), BG_OK);
	assert_int_equal(bg_policy_remove_member(p, "mfa", "ivan"), BG_OK);
	assert_int_equal(bg_policy_validate(p, why, sizeof(why)), BG_EINVAL);
	assert_string_equal(why, "group \"");
	bg_policy_free(&p);
}

/* -------------------------------------------------------------- editing */

static void
test_editing(void **state)
{
	static const char *const both[] = { "password", "mfa" };
	static const char *const bad[] = { "pass word" };
	bg_policy_t *p = populated();
	char name[80];
	unsigned i;

	(void)state;
	assert_int_equal(bg_policy_add_group(p, "MFA", 2), BG_EEXIST);
	assert_int_equal(bg_policy_add_group(p, "ops", 0), BG_ERANGE);
	assert_int_equal(bg_policy_add_group(p, "ops", 65), BG_ERANGE);
	assert_int_equal(bg_policy_add_group(p, "o ps", 2), BG_EINVAL);
	assert_int_equal(bg_policy_set_threshold(p, "mfa", 0), BG_ERANGE);
	assert_int_equal(bg_policy_set_threshold(p, "nope", 2), BG_ENOENT);
	assert_int_equal(bg_policy_add_member(p, "mfa", "Carol"), BG_EEXIST);
	assert_int_equal(bg_policy_add_member(p, "nope", "x"), BG_ENOENT);
	assert_int_equal(bg_policy_add_member(p, "mfa", "-x"), BG_EINVAL);
	assert_int_equal(bg_policy_remove_member(p, "mfa", "Carol"),
	    BG_ENOENT);
	assert_int_equal(bg_policy_set_item(p, "both", both, 2), BG_OK);
	assert_int_equal(bg_policy_set_item(p, "BOTH", both, 2), BG_EEXIST);
	assert_int_equal(bg_policy_set_item(p, "both", both, 0), BG_ERANGE);
	assert_int_equal(bg_policy_set_item(p, "both", bad, 1), BG_EINVAL);
	assert_int_equal(bg_policy_item_ngroups(p, 2), 2);
	assert_int_equal(bg_policy_set_item(p, "both", both + 1, 1), BG_OK);
	assert_int_equal(bg_policy_item_ngroups(p, 2), 1);
	assert_string_equal(bg_policy_item_group(p, 2, 0), "mfa");
	assert_int_equal(bg_policy_set_expiry(p, 299), BG_ERANGE);
	assert_int_equal(bg_policy_set_expiry(p, 604801), BG_ERANGE);
	assert_int_equal(bg_policy_set_expiry(p, 300), BG_OK);
	assert_int_equal(bg_policy_set_timelock(p, 259201), BG_ERANGE);
	assert_int_equal(bg_policy_set_timelock(p, 299), BG_OK);
	assert_valid(p, "");
	assert_int_equal(bg_policy_set_timelock(p, 300), BG_OK);
	assert_invalid(p, "time lock (300 s)");
	assert_int_equal(bg_policy_set_timelock(p, 0), BG_OK);
	/* a group of one after two members leave */
	assert_int_equal(bg_policy_remove_member(p, "mfa", "carol"), BG_OK);
	assert_int_equal(bg_policy_group_nmembers(p, 1), 2);
	assert_int_equal(bg_policy_remove_member(p, "mfa", "ivan"), BG_OK);
	assert_int_equal(bg_policy_group_nmembers(p, 1), 1);
	assert_string_equal(bg_policy_group_member(p, 1, 0), "dave");
	assert_invalid(p, "group \"mfa\" has one member (\"dave\")");
	/* tables are bounded */
	for (i = 0; i < BG_POLICY_MEMBERS_MAX - 1; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		assert_int_equal(bg_policy_add_member(p, "mfa", name), BG_OK);
	}
	assert_int_equal(bg_policy_add_member(p, "mfa", "last"), BG_ETOOBIG);
	for (i = 2; i < BG_POLICY_GROUPS_MAX; i++) {
		snprintf(name, sizeof(name), "g%u", i);
		assert_int_equal(bg_policy_add_group(p, name, 2), BG_OK);
	}
	assert_int_equal(bg_policy_add_group(p, "last", 2), BG_ETOOBIG);
	bg_policy_free(&p);
}

static void
test_names(void **state)
{
	char longest[BG_NAME_MAX + 2];

	(void)state;
	assert_true(bg_name_valid("alice"));
	assert_true(bg_name_valid("alice.smith@example.com"));
	assert_true(bg_name_valid("root-password"));
	assert_true(bg_name_valid("9_x"));
	assert_false(bg_name_valid(""));
	assert_false(bg_name_valid(NULL));
	assert_false(bg_name_valid("al ice"));
	assert_false(bg_name_valid("alice\n"));
	assert_false(bg_name_valid("al\x1b[2Jice"));
	assert_false(bg_name_valid("al\xc3\xa9"));	/* non-ASCII */
	assert_false(bg_name_valid("a/b"));
	assert_false(bg_name_valid(".."));
	assert_false(bg_name_valid(".hidden"));
	assert_false(bg_name_valid("-rf"));
	assert_false(bg_name_valid("_x"));
	memset(longest, 'a', sizeof(longest));
	longest[BG_NAME_MAX] = '\0';
	assert_true(bg_name_valid(longest));
	longest[BG_NAME_MAX] = 'a';
	longest[BG_NAME_MAX + 1] = '\0';
	assert_false(bg_name_valid(longest));
	assert_true(bg_account_valid("123456789012"));
	assert_true(bg_account_valid("prod-Root-2"));
	assert_false(bg_account_valid("prod_root"));
	assert_false(bg_account_valid(""));
	assert_true(bg_request_id_valid("0123456789abcdef0123456789abcdef"));
	assert_false(bg_request_id_valid("0123456789ABCDEF0123456789abcdef"));
	assert_false(bg_request_id_valid("0123456789abcdef0123456789abcde"));
	assert_false(bg_request_id_valid("0123456789abcdef0123456789abcdef0"));
	assert_true(bg_name_same("Alice", "aLICE"));
	assert_false(bg_name_same("alice", "alic"));
	assert_false(bg_name_same("alice", NULL));
}

/* ----------------------------------------------------------------- JSON */

static char *
print(const bg_policy_t *p)
{
	cJSON *j = NULL;
	char *s;

	assert_int_equal(bg_policy_to_json(p, &j), BG_OK);
	assert_non_null(s = cJSON_PrintUnformatted(j));
	cJSON_Delete(j);
	return s;
}

static void
test_json_form(void **state)
{
	bg_policy_t *p = populated();
	char *s;

	(void)state;
	s = print(p);
	assert_string_equal(s, policy_text(G_PW "," G_MFA, I_PW "," I_MFA,
	    TAIL));
	free(s);
	bg_policy_free(&p);
}

static void
test_json_round_trip(void **state)
{
	static const char *const both[] = { "password", "mfa" };
	bg_policy_t *p = populated(), *q = NULL;
	char *s1, *s2;

	(void)state;
	assert_int_equal(bg_policy_add_group(p, "recovery", 2), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "recovery", "erin"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "recovery", "frank"), BG_OK);
	assert_int_equal(bg_policy_add_member(p, "recovery", "gina"), BG_OK);
	assert_int_equal(bg_policy_set_item(p, "note-recovery-codes", both, 2),
	    BG_OK);
	assert_int_equal(bg_policy_set_expiry(p, 7 * 86400), BG_OK);
	assert_int_equal(bg_policy_set_timelock(p, 72 * 3600), BG_OK);
	assert_int_equal(bg_policy_set_self_approval(p, 1), BG_OK);
	s1 = print(p);
	assert_int_equal(load_text(s1, &q), BG_OK);
	s2 = print(q);
	assert_string_equal(s1, s2);
	assert_int_equal(bg_policy_ngroups(q), 3);
	assert_string_equal(bg_policy_group_member(q, 2, 2), "gina");
	assert_int_equal(bg_policy_group_threshold(q, 2), 2);
	assert_string_equal(bg_policy_item_group(q, 2, 1), "mfa");
	assert_int_equal(bg_policy_expiry(q), 7 * 86400);
	assert_int_equal(bg_policy_timelock(q), 72 * 3600);
	assert_int_equal(bg_policy_self_approval(q), 1);
	/* read, as an older file holds it, and refused */
	assert_invalid(q, "self-approval is on");
	free(s1);
	free(s2);
	bg_policy_free(&p);
	bg_policy_free(&q);
}

/* Each text is refused by the parse, and bg_why holds want. */
static void
check_refused(const char *text, const char *want)
{
	bg_policy_t *p = NULL;

	if (load_text(text, &p) == BG_OK)
		fail_msg("accepted: %s", text);
	assert_null(p);
	if (want != NULL && strstr(bg_why(), want) == NULL)
		fail_msg("why \"%s\" lacks \"%s\" for %s", bg_why(), want,
		    text);
}

#define GROUPS2 G_PW "," G_MFA
#define A16 "aaaaaaaaaaaaaaaa"
#define ITEMS2 I_PW "," I_MFA

static void
test_json_strict_keys(void **state)
{
	cJSON *j;
	bg_policy_t *p = NULL;
	const char *dup = "{\"name\":\"mfa\",\"threshold\":2,"
	    "\"members\":[\"carol\",\"dave\"],\"members\":[\"eve\",\"x\"]}";

	(void)state;
	check_refused(policy_text(GROUPS2, ITEMS2, TAIL ",'extra':1"),
	    "no other");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','dave'],'admin':true}", ITEMS2, TAIL),
	    "groups[1]");
	check_refused(policy_text(GROUPS2, I_PW ",{'name':'root-mfa',"
	    "'groups':['mfa'],'note':''}", TAIL), "items[1]");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0"),
	    "self_approval");
	check_refused(policy_text(G_PW ",{'name':'mfa','members':['carol',"
	    "'dave']}", ITEMS2, TAIL), "threshold");
	/* duplicate keys: refused by the text parser ... */
	check_refused(policy_text(GROUPS2, ITEMS2,
	    TAIL ",'self_approval':true,'slots':32"), NULL);
	/* ... and by bg_policy_from_json for a tree from a laxer parser */
	assert_non_null(j = cJSON_Parse(policy_text(G_PW, ITEMS2, TAIL)));
	assert_true(cJSON_AddItemToArray(cJSON_GetObjectItem(j, "groups"),
	    cJSON_Parse(dup)));
	assert_int_equal(bg_policy_from_json(j, &p), BG_EFORMAT);
	assert_null(p);
	assert_non_null(strstr(bg_why(), "groups[1]"));
	cJSON_AddItemToObject(j, "self_approval", cJSON_CreateTrue());
	assert_int_equal(bg_policy_from_json(j, &p), BG_EFORMAT);
	cJSON_Delete(j);
	assert_int_equal(bg_policy_from_json(NULL, &p), BG_EINVAL);
}

static void
test_json_strict_types(void **state)
{
	(void)state;
	check_refused("[]", "an object");
	check_refused(policy_text(GROUPS2, ITEMS2, TAIL) + 1, NULL);
	check_refused("{\"format\":\"breakglass-policy-v2\",\"groups\":[],"
	    "\"items\":[],\"request_expiry_seconds\":14400,"
	    "\"timelock_seconds\":0,\"self_approval\":false,\"slots\":32}", "format");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':'1',"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold must be a number 1..64");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':1.5,"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':true,"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':'carol'}", ITEMS2, TAIL), "group \"mfa\": members");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol',7]}", ITEMS2, TAIL), "group \"mfa\": members");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol',['dave']]}", ITEMS2, TAIL),
	    "group \"mfa\": members");
	check_refused(policy_text(G_PW ",{'name':7,'threshold':2,"
	    "'members':['carol','dave']}", ITEMS2, TAIL), "groups[1]");
	check_refused(policy_text(G_PW ",[]", ITEMS2, TAIL), "groups[1]");
	check_refused(policy_text(GROUPS2, I_PW ",{'name':'root-mfa',"
	    "'groups':'mfa'}", TAIL), "item \"root-mfa\": groups");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':'14400','timelock_seconds':0,"
	    "'self_approval':false,'slots':32"), "request_expiry_seconds");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':0,'slots':32"), "self_approval");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':null,"
	    "'self_approval':false,'slots':32"), "timelock_seconds");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':'false','slots':32"), "self_approval");
	check_refused("{\"format\":\"breakglass-policy-v1\",\"groups\":{},"
	    "\"items\":[],\"request_expiry_seconds\":14400,"
	    "\"timelock_seconds\":0,\"self_approval\":false,\"slots\":32}", "\"groups\"");
}

static void
test_json_ranges(void **state)
{
	static char groups[8192];
	char g[96];
	size_t i, off = 0;

	(void)state;
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':0,"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold must be a number 1..64");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':-1,"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':65,"
	    "'members':['carol','dave']}", ITEMS2, TAIL),
	    "group \"mfa\": threshold");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':299,'timelock_seconds':0,"
	    "'self_approval':false,'slots':32"), "request_expiry_seconds");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':604801,'timelock_seconds':0,"
	    "'self_approval':false,'slots':32"), "request_expiry_seconds");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':259201,"
	    "'self_approval':false,'slots':32"), "timelock_seconds");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':1e300,'timelock_seconds':0,"
	    "'self_approval':false,'slots':32"), "request_expiry_seconds");
	/* one-time slots per item version: 4..256, required */
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':false,'slots':3"), "\"slots\" must be");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':false,'slots':257"), "\"slots\" must be");
	check_refused(policy_text(GROUPS2, ITEMS2,
	    "'request_expiry_seconds':14400,'timelock_seconds':0,"
	    "'self_approval':false"), "slots");
	/* names: the group is named, the bad value is not echoed */
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','da ve']}", ITEMS2, TAIL),
	    "group \"mfa\": members");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','\\u001b[2J']}", ITEMS2, TAIL),
	    "group \"mfa\": members");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','']}", ITEMS2, TAIL), "group \"mfa\"");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','\\u00e9ve']}", ITEMS2, TAIL),
	    "group \"mfa\"");
	check_refused(policy_text(G_PW ",{'name':'mfa','threshold':2,"
	    "'members':['carol','" A16 A16 A16 A16 "a']}", ITEMS2, TAIL), "group \"mfa\"");
	check_refused(policy_text(G_PW ",{'name':'m fa','threshold':2,"
	    "'members':['carol','dave']}", ITEMS2, TAIL), "groups[1]");
	check_refused(policy_text(GROUPS2, I_PW ",{'name':'root mfa',"
	    "'groups':['mfa']}", TAIL), "items[1]");
	/* table sizes */
	for (i = 0; i < BG_POLICY_GROUPS_MAX + 1; i++) {
		snprintf(g, sizeof(g), "%s{'name':'g%zu','threshold':2,"
		    "'members':['a%zu','b%zu']}", i ? "," : "", i, i, i);
		memcpy(groups + off, g, strlen(g) + 1);
		off += strlen(g);
	}
	check_refused(policy_text(groups, ITEMS2, TAIL), "at most 16");
}

/* ----------------------------------------------------------- ceremonies */

static void
test_groups_for_items(void **state)
{
	static const char *const pw[] = { "root-password" };
	static const char *const both[] = { "root-mfa", "root-password" };
	static const char *const unknown[] = { "root-password", "note-x" };
	static const char *const twice[] = { "root-mfa", "ROOT-MFA" };
	static const char *const bad[] = { "root mfa" };
	bg_policy_t *p = populated();
	const char *g[4];
	size_t n;

	(void)state;
	assert_int_equal(bg_policy_groups_for_items(p, pw, 1, g, 4, &n), BG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(g[0], "password");
	/* a ceremony releasing both needs both, in policy order */
	assert_int_equal(bg_policy_groups_for_items(p, both, 2, g, 4, &n),
	    BG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(g[0], "password");
	assert_string_equal(g[1], "mfa");
	assert_int_equal(bg_policy_groups_for_items(p, both, 2, g, 1, &n),
	    BG_ETOOBIG);
	/* no default for an item the policy does not name */
	assert_int_equal(bg_policy_groups_for_items(p, unknown, 2, g, 4, &n),
	    BG_EINVAL);
	assert_int_equal(n, 0);
	assert_non_null(strstr(bg_why(), "item \"note-x\""));
	assert_int_equal(bg_policy_groups_for_items(p, twice, 2, g, 4, &n),
	    BG_EINVAL);
	assert_non_null(strstr(bg_why(), "listed twice"));
	assert_int_equal(bg_policy_groups_for_items(p, bad, 1, g, 4, &n),
	    BG_EINVAL);
	assert_int_equal(bg_policy_groups_for_items(p, pw, 0, g, 4, &n),
	    BG_EINVAL);
	bg_policy_free(&p);
	/* an item naming a missing group (an invalid policy) fails closed */
	p = load(G_PW "," G_MFA, I_PW ",{'name':'root-mfa','groups':"
	    "['mfa2']}", TAIL);
	assert_int_equal(bg_policy_groups_for_items(p, both, 2, g, 4, &n),
	    BG_EINVAL);
	assert_non_null(strstr(bg_why(), "\"mfa2\""));
	bg_policy_free(&p);
}

/* password: 2 of {alice, bob, hana}; mfa: 2 of {carol, dave, erin}. */
static bg_policy_t *
ceremony_policy(void)
{
	bg_policy_t *p = load(G_PW ",{'name':'mfa','threshold':2,'members':"
	    "['carol','dave','erin']}", ITEMS2, TAIL);

	assert_valid(p, "");
	return p;
}

static const char *const NEED[] = { "password", "mfa" };

/* bg_policy_quorum_met over n approvals (person, group, ...). */
static int
met(const bg_policy_t *p, const char *requester, char *why, size_t whysz,
    size_t n, ...)
{
	struct bg_approval ap[16];
	va_list va;
	size_t i;

	assert_true(n <= 16);
	va_start(va, n);
	for (i = 0; i < n; i++) {
		ap[i].person = va_arg(va, const char *);
		ap[i].group = va_arg(va, const char *);
	}
	va_end(va);
	return bg_policy_quorum_met(p, NEED, 2, ap, n, requester, why, whysz);
}

static void
assert_why(const char *why, const char *want)
{
	if (strstr(why, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", why, want);
}

static void
test_quorum_exact(void **state)
{
	bg_policy_t *p = ceremony_policy();
	char why[512];

	(void)state;
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "bob", "password", "carol", "mfa", "dave", "mfa"),
	    BG_OK);
	assert_string_equal(why, "");
	/* more than enough is enough; order does not matter */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 6, "erin", "mfa",
	    "bob", "password", "carol", "mfa", "alice", "password", "hana",
	    "password", "dave", "mfa"), BG_OK);
	bg_policy_free(&p);
}

static void
test_quorum_short(void **state)
{
	bg_policy_t *p = ceremony_policy();
	char why[512];

	(void)state;
	assert_int_equal(met(p, "zoe", why, sizeof(why), 3, "alice",
	    "password", "bob", "password", "carol", "mfa"), BG_EPERM);
	assert_string_equal(why, "mfa: 1 of 2");
	assert_string_equal(bg_why(), "mfa: 1 of 2");
	assert_int_equal(met(p, "zoe", why, sizeof(why), 0), BG_EPERM);
	assert_string_equal(why, "password: 0 of 2; mfa: 0 of 2");
	bg_policy_free(&p);
}

static void
test_quorum_distinct_people(void **state)
{
	bg_policy_t *p = ceremony_policy();
	char why[512];

	(void)state;
	/* the same person twice in one group counts once */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "hana", "password", "carol", "mfa", "carol", "mfa"),
	    BG_EPERM);
	assert_why(why, "mfa: 1 of 2");
	assert_why(why, "\"carol\" for \"mfa\": already counted");
	/* another spelling is the same person, and not a member */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "hana", "password", "carol", "mfa", "CAROL", "mfa"),
	    BG_EPERM);
	assert_why(why, "mfa: 1 of 2");
	/* a non-member's approval is not counted */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "hana", "password", "carol", "mfa", "eve", "mfa"),
	    BG_EPERM);
	assert_why(why, "mfa: 1 of 2 (not counted: \"eve\" for \"mfa\": not "
	    "a member)");
	/* a member of the other group approving here is not counted */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "hana", "password", "carol", "mfa", "bob", "mfa"),
	    BG_EPERM);
	assert_why(why, "\"bob\" for \"mfa\": not a member");
	/* approvals for a group not needed count for nothing */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "alice",
	    "password", "hana", "password", "carol", "mfa", "dave", "ops"),
	    BG_EPERM);
	assert_why(why, "\"dave\" for \"ops\": group not needed");
	bg_policy_free(&p);
}

/* The runtime check holds for a config validation would refuse. */
static void
test_quorum_person_in_two_groups(void **state)
{
	bg_policy_t *p = load("{'name':'password','threshold':2,'members':"
	    "['alice','carol','hana']},{'name':'mfa','threshold':2,'members':"
	    "['carol','dave','erin']}", ITEMS2, TAIL);
	char why[512];

	(void)state;
	assert_invalid(p, "person \"carol\" is in groups \"password\" and "
	    "\"mfa\"");
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "carol",
	    "password", "alice", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_string_equal(why, "mfa: 1 of 2 (not counted: \"carol\" for "
	    "\"mfa\": already counted)");
	/* whichever group comes first */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 4, "carol", "mfa",
	    "dave", "mfa", "carol", "password", "alice", "password"),
	    BG_EPERM);
	assert_string_equal(why, "password: 1 of 2 (not counted: \"carol\" "
	    "for \"password\": already counted)");
	/* with a second person it is met */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 5, "carol", "mfa",
	    "dave", "mfa", "carol", "password", "alice", "password", "hana",
	    "password"), BG_OK);
	bg_policy_free(&p);
}

static void
test_quorum_requester(void **state)
{
	static const char *const mfa[] = { "mfa" };
	struct bg_approval ap[2] = { { "carol", "mfa" }, { "dave", "mfa" } };
	bg_policy_t *p = ceremony_policy();
	char why[512];

	(void)state;
	/* the requester approving anything refuses the whole */
	assert_int_equal(met(p, "alice", why, sizeof(why), 4, "alice",
	    "password", "bob", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_why(why, "requester \"alice\" approved for group \"password\": "
	    "self-approval is never allowed");
	assert_int_equal(met(p, "ALICE", why, sizeof(why), 4, "alice",
	    "password", "bob", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_why(why, "self-approval");
	/* even for a group that is not needed, the rest being met */
	assert_int_equal(met(p, "zoe", why, sizeof(why), 5, "bob",
	    "password", "hana", "password", "carol", "mfa", "dave", "mfa",
	    "zoe", "ops"), BG_EPERM);
	assert_why(why, "requester \"zoe\" approved for group \"ops\"");
	/*
	 * docs/design.md §5.2: a requester who is a member of a needed group
	 * is refused even without approving: their share would count offline
	 */
	assert_int_equal(met(p, "alice", why, sizeof(why), 4, "bob",
	    "password", "hana", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_string_equal(why, "requester \"alice\" is a member of group "
	    "\"password\", which this request needs: a requester may not be a "
	    "custodian, since their own share would count toward their own "
	    "request, offline");
	assert_int_equal(met(p, "Alice", why, sizeof(why), 4, "bob",
	    "password", "hana", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_why(why, "is a member of group \"password\"");
	/* her group not needed: this request holds no share of hers */
	assert_int_equal(bg_policy_quorum_met(p, mfa, 1, ap, 2, "alice", why,
	    sizeof(why)), BG_OK);
	/* the self-approval switch (a policy validation refuses) changes
	 * nothing: the requester's approval still refuses the whole */
	assert_int_equal(bg_policy_set_self_approval(p, 1), BG_OK);
	assert_invalid(p, "self-approval is on");
	assert_int_equal(met(p, "alice", why, sizeof(why), 4, "alice",
	    "password", "bob", "password", "carol", "mfa", "dave", "mfa"),
	    BG_EPERM);
	assert_why(why, "self-approval is never allowed");
	bg_policy_free(&p);
}

/* docs/design.md §2.1 holds at run time even for a policy validation refuses. */
static void
test_quorum_never_one_person(void **state)
{
	static const char *const pw[] = { "password" };
	struct bg_approval ap = { "alice", "password" };
	bg_policy_t *p = populated();
	char why[512];

	(void)state;
	/* a threshold of 1: one approval would stand for the group */
	assert_int_equal(bg_policy_set_threshold(p, "password", 1), BG_OK);
	assert_invalid(p, "group \"password\": threshold 1 lets one person's "
	    "share stand for the whole group");
	assert_int_equal(bg_policy_quorum_met(p, pw, 1, &ap, 1, "bob", why,
	    sizeof(why)), BG_EPERM);
	assert_why(why, "group \"password\": threshold 1 lets one person's "
	    "share stand for the whole group: it must be at least 2");
	/* with self-approval on too, the requester alone is refused */
	assert_int_equal(bg_policy_set_self_approval(p, 1), BG_OK);
	assert_int_equal(bg_policy_quorum_met(p, pw, 1, &ap, 1, "alice", why,
	    sizeof(why)), BG_EPERM);
	assert_why(why, "self-approval is never allowed");
	/* at the floor two people approve; the requester is a third */
	assert_int_equal(bg_policy_set_self_approval(p, 0), BG_OK);
	assert_int_equal(bg_policy_set_threshold(p, "password", 2), BG_OK);
	assert_int_equal(bg_policy_quorum_met(p, pw, 1, &ap, 1, "zoe", why,
	    sizeof(why)), BG_EPERM);
	assert_why(why, "password: 1 of 2");
	bg_policy_free(&p);
}

static void
test_quorum_args(void **state)
{
	static const char *const unknown[] = { "password", "ops" };
	static const char *const twice[] = { "mfa", "mfa" };
	struct bg_approval ap[2] = { { "alice", "password" }, { NULL, "mfa" } };
	struct bg_approval bad = { "al ice", "password" };
	bg_policy_t *p = ceremony_policy();
	char why[512];

	(void)state;
	assert_int_equal(bg_policy_quorum_met(p, unknown, 2, ap, 1, "zoe",
	    why, sizeof(why)), BG_EINVAL);
	assert_why(why, "needed group \"ops\" is not in the policy");
	assert_int_equal(bg_policy_quorum_met(p, twice, 2, ap, 1, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 0, ap, 1, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 2, ap, 2, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 2, &bad, 1, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 2, ap, 1, "z oe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 2, NULL, 1, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(NULL, NEED, 2, ap, 1, "zoe", why,
	    sizeof(why)), BG_EINVAL);
	assert_int_equal(bg_policy_quorum_met(p, NEED, 2, ap,
	    BG_POLICY_APPROVALS_MAX + 1, "zoe", NULL, 0), BG_EINVAL);
	bg_policy_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_template),
		cmocka_unit_test(test_default_validates),
		cmocka_unit_test(test_invalid_groups),
		cmocka_unit_test(test_invalid_overlap),
		cmocka_unit_test(test_invalid_items),
		cmocka_unit_test(test_invalid_rules),
		cmocka_unit_test(test_floor_threshold),
		cmocka_unit_test(test_floor_self_approval),
		cmocka_unit_test(test_floor_requester),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_validate_args),
		cmocka_unit_test(test_editing),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_strict_keys),
		cmocka_unit_test(test_json_strict_types),
		cmocka_unit_test(test_json_ranges),
		cmocka_unit_test(test_groups_for_items),
		cmocka_unit_test(test_quorum_exact),
		cmocka_unit_test(test_quorum_short),
		cmocka_unit_test(test_quorum_distinct_people),
		cmocka_unit_test(test_quorum_person_in_two_groups),
		cmocka_unit_test(test_quorum_requester),
		cmocka_unit_test(test_quorum_never_one_person),
		cmocka_unit_test(test_quorum_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

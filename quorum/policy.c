/*
 * Custodian-group policies (docs/design.md §2.1): which groups an item needs, how
 * many distinct members of each must approve, and the rules around a
 * request (expiry, time lock).
 *
 * The policy floor (docs/design.md §5.2): every threshold is at least 2; no
 * person is in two groups; no requester is in a group (every item is
 * requestable by every requester, so their own share would count toward
 * their own request, offline); so self-approval, kept in the JSON form
 * for files written before, is never allowed.
 *
 * Three layers, each failing closed on its own:
 *  - parsing and editing check syntax and bounds (names, counts, ranges),
 *    so a file or template the floor refuses can still be read and fixed;
 *  - bg_policy_validate() judges the whole and names what is wrong;
 *  - bg_policy_quorum_met() trusts neither: it re-checks membership,
 *    distinct people, thresholds and the requester on every call.
 *
 * Names grant by exact spelling (membership, the groups an item needs) and
 * restrict ignoring case (duplicates, one person in two groups, distinct
 * approvers, the requester), so a second spelling can only take away.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "quorum/quorum.h"

struct bg_group {
	char name[BG_NAME_MAX + 1];
	unsigned threshold;
	size_t nmember;
	char member[BG_POLICY_MEMBERS_MAX][BG_NAME_MAX + 1];
};

struct bg_item {
	char name[BG_NAME_MAX + 1];
	size_t ngroup;
	char group[BG_POLICY_GROUPS_MAX][BG_NAME_MAX + 1];
};

struct bg_policy {
	size_t ngroup;
	struct bg_group group[BG_POLICY_GROUPS_MAX];
	size_t nitem;
	struct bg_item item[BG_POLICY_ITEMS_MAX];
	uint64_t expiry;
	uint64_t timelock;
	int self_approval;
	uint32_t slots;
};

#define NAME_RULE "1..64 of A-Z a-z 0-9 . _ @ -, starting with a letter " \
    "or digit"

/* ----------------------------------------------------------------- names */

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
name_char(int c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '@' || c == '-';
}

static int
account_char(int c)
{
	return is_alnum(c) || c == '-';
}

static int
hex_lower_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Length of s when it is 1..max bytes that ok() accepts, else 0. */
static size_t
span_ok(const char *s, size_t max, int (*ok)(int))
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || !ok((unsigned char)s[n]))
			return 0;
	return n;
}

int
bg_name_valid(const char *s)
{
	return span_ok(s, BG_NAME_MAX, name_char) > 0 &&
	    is_alnum((unsigned char)s[0]);
}

int
bg_account_valid(const char *s)
{
	return span_ok(s, BG_ACCOUNT_MAX, account_char) > 0;
}

int
bg_request_id_valid(const char *s)
{
	return span_ok(s, BG_REQUEST_ID_LEN, hex_lower_char) ==
	    BG_REQUEST_ID_LEN;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
bg_name_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	for (;; a++, b++) {
		if (ascii_lower((unsigned char)*a) !=
		    ascii_lower((unsigned char)*b))
			return 0;
		if (*a == '\0')
			return 1;
	}
}

/* -------------------------------------------------------------- messages */

/* A bounded, always-terminated message under construction. */
struct msg {
	char *buf;
	size_t size;
	size_t len;
};

static void
msg_init(struct msg *m, char *buf, size_t size)
{
	m->buf = buf;
	m->size = buf == NULL ? 0 : size;
	m->len = 0;
	if (m->size > 0)
		buf[0] = '\0';
}

static void msg_add(struct msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends; text beyond the buffer is cut, never overflows. */
static void
msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->size == 0 || m->len + 1 >= m->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, m->size - m->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		m->buf[m->len] = '\0';
		return;
	}
	m->len += (size_t)n;
	if (m->len >= m->size)
		m->len = m->size - 1;
}

/* --------------------------------------------------------------- lookups */

/* Index of the group named exactly name, or -1. */
static int
find_group(const bg_policy_t *p, const char *name)
{
	size_t g;

	for (g = 0; g < p->ngroup; g++)
		if (strcmp(p->group[g].name, name) == 0)
			return (int)g;
	return -1;
}

static int
find_item(const bg_policy_t *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nitem; i++)
		if (strcmp(p->item[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Index of the member spelled exactly person, or -1. */
static int
find_member(const struct bg_group *g, const char *person)
{
	size_t m;

	for (m = 0; m < g->nmember; m++)
		if (strcmp(g->member[m], person) == 0)
			return (int)m;
	return -1;
}

/* 1 when g has a member that is person ignoring case. */
static int
has_member_ci(const struct bg_group *g, const char *person)
{
	size_t m;

	for (m = 0; m < g->nmember; m++)
		if (bg_name_same(g->member[m], person))
			return 1;
	return 0;
}

/* Copies a name known to be valid (so at most BG_NAME_MAX bytes). */
static void
name_copy(char dst[BG_NAME_MAX + 1], const char *src)
{
	size_t n = strlen(src);

	memcpy(dst, src, n + 1);
}

/* ---------------------------------------------------- creation, editing */

static bg_policy_t *
policy_new(void)
{
	bg_policy_t *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->expiry = BG_POLICY_EXPIRY_DEFAULT;
	p->slots = BG_SLOTS_DEFAULT;
	return p;
}

void
bg_policy_free(bg_policy_t **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	free(*pp);
	*pp = NULL;
}

int
bg_policy_default(bg_policy_t **out)
{
	static const char *const pw[] = { "password" };
	static const char *const mfa[] = { "mfa" };
	bg_policy_t *p;
	int r;

	if (out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if ((p = policy_new()) == NULL)
		return BG_ENOMEM;
	if ((r = bg_policy_add_group(p, "password", 2)) != BG_OK ||
	    (r = bg_policy_add_group(p, "mfa", 2)) != BG_OK ||
	    (r = bg_policy_set_item(p, "root-password", pw, 1)) != BG_OK ||
	    (r = bg_policy_set_item(p, "root-mfa", mfa, 1)) != BG_OK) {
		bg_policy_free(&p);
		return r;
	}
	*out = p;
	return BG_OK;
}

int
bg_policy_add_group(bg_policy_t *p, const char *group, unsigned threshold)
{
	size_t g;
	struct bg_group *gr;

	if (p == NULL || !bg_name_valid(group))
		return BG_EINVAL;
	if (threshold < 1 || threshold > BG_POLICY_MEMBERS_MAX)
		return BG_ERANGE;
	for (g = 0; g < p->ngroup; g++)
		if (bg_name_same(p->group[g].name, group))
			return BG_EEXIST;
	if (p->ngroup == BG_POLICY_GROUPS_MAX)
		return BG_ETOOBIG;
	gr = &p->group[p->ngroup++];
	memset(gr, 0, sizeof(*gr));
	name_copy(gr->name, group);
	gr->threshold = threshold;
	return BG_OK;
}

int
bg_policy_set_threshold(bg_policy_t *p, const char *group, unsigned threshold)
{
	int g;

	if (p == NULL || group == NULL)
		return BG_EINVAL;
	if (threshold < 1 || threshold > BG_POLICY_MEMBERS_MAX)
		return BG_ERANGE;
	if ((g = find_group(p, group)) < 0)
		return BG_ENOENT;
	p->group[g].threshold = threshold;
	return BG_OK;
}

int
bg_policy_add_member(bg_policy_t *p, const char *group, const char *person)
{
	struct bg_group *gr;
	int g;

	if (p == NULL || group == NULL || !bg_name_valid(person))
		return BG_EINVAL;
	if ((g = find_group(p, group)) < 0)
		return BG_ENOENT;
	gr = &p->group[g];
	if (has_member_ci(gr, person))
		return BG_EEXIST;
	if (gr->nmember == BG_POLICY_MEMBERS_MAX)
		return BG_ETOOBIG;
	name_copy(gr->member[gr->nmember++], person);
	return BG_OK;
}

int
bg_policy_remove_member(bg_policy_t *p, const char *group, const char *person)
{
	struct bg_group *gr;
	int g, m;

	if (p == NULL || group == NULL || person == NULL)
		return BG_EINVAL;
	if ((g = find_group(p, group)) < 0)
		return BG_ENOENT;
	gr = &p->group[g];
	if ((m = find_member(gr, person)) < 0)
		return BG_ENOENT;
	memmove(gr->member[m], gr->member[m + 1],
	    (gr->nmember - (size_t)m - 1) * sizeof(gr->member[0]));
	gr->nmember--;
	memset(gr->member[gr->nmember], 0, sizeof(gr->member[0]));
	return BG_OK;
}

int
bg_policy_set_item(bg_policy_t *p, const char *item,
    const char *const *groups, size_t ngroups)
{
	struct bg_item *it;
	size_t k;
	int i;

	if (p == NULL || groups == NULL || !bg_name_valid(item))
		return BG_EINVAL;
	if (ngroups < 1 || ngroups > BG_POLICY_GROUPS_MAX)
		return BG_ERANGE;
	for (k = 0; k < ngroups; k++)
		if (!bg_name_valid(groups[k]))
			return BG_EINVAL;
	if ((i = find_item(p, item)) < 0) {
		for (k = 0; k < p->nitem; k++)
			if (bg_name_same(p->item[k].name, item))
				return BG_EEXIST;
		if (p->nitem == BG_POLICY_ITEMS_MAX)
			return BG_ETOOBIG;
		i = (int)p->nitem++;
	}
	it = &p->item[i];
	memset(it, 0, sizeof(*it));
	name_copy(it->name, item);
	for (k = 0; k < ngroups; k++)
		name_copy(it->group[k], groups[k]);
	it->ngroup = ngroups;
	return BG_OK;
}

int
bg_policy_set_expiry(bg_policy_t *p, uint64_t seconds)
{
	if (p == NULL)
		return BG_EINVAL;
	if (seconds < BG_POLICY_EXPIRY_MIN || seconds > BG_POLICY_EXPIRY_MAX)
		return BG_ERANGE;
	p->expiry = seconds;
	return BG_OK;
}

int
bg_policy_set_timelock(bg_policy_t *p, uint64_t seconds)
{
	if (p == NULL)
		return BG_EINVAL;
	if (seconds > BG_POLICY_TIMELOCK_MAX)
		return BG_ERANGE;
	p->timelock = seconds;
	return BG_OK;
}

int
bg_policy_set_self_approval(bg_policy_t *p, int on)
{
	if (p == NULL)
		return BG_EINVAL;
	p->self_approval = on ? 1 : 0;
	return BG_OK;
}

/* ------------------------------------------------------------- accessors */

size_t
bg_policy_ngroups(const bg_policy_t *p)
{
	return p == NULL ? 0 : p->ngroup;
}

static const struct bg_group *
group_at(const bg_policy_t *p, size_t g)
{
	return p == NULL || g >= p->ngroup ? NULL : &p->group[g];
}

static const struct bg_item *
item_at(const bg_policy_t *p, size_t i)
{
	return p == NULL || i >= p->nitem ? NULL : &p->item[i];
}

const char *
bg_policy_group_name(const bg_policy_t *p, size_t g)
{
	const struct bg_group *gr = group_at(p, g);

	return gr == NULL ? NULL : gr->name;
}

unsigned
bg_policy_group_threshold(const bg_policy_t *p, size_t g)
{
	const struct bg_group *gr = group_at(p, g);

	return gr == NULL ? 0 : gr->threshold;
}

size_t
bg_policy_group_nmembers(const bg_policy_t *p, size_t g)
{
	const struct bg_group *gr = group_at(p, g);

	return gr == NULL ? 0 : gr->nmember;
}

const char *
bg_policy_group_member(const bg_policy_t *p, size_t g, size_t m)
{
	const struct bg_group *gr = group_at(p, g);

	return gr == NULL || m >= gr->nmember ? NULL : gr->member[m];
}

int
bg_policy_is_member(const bg_policy_t *p, const char *group,
    const char *person)
{
	int g;

	if (p == NULL || group == NULL || person == NULL ||
	    (g = find_group(p, group)) < 0)
		return 0;
	return find_member(&p->group[g], person) >= 0;
}

size_t
bg_policy_nitems(const bg_policy_t *p)
{
	return p == NULL ? 0 : p->nitem;
}

const char *
bg_policy_item_name(const bg_policy_t *p, size_t i)
{
	const struct bg_item *it = item_at(p, i);

	return it == NULL ? NULL : it->name;
}

size_t
bg_policy_item_ngroups(const bg_policy_t *p, size_t i)
{
	const struct bg_item *it = item_at(p, i);

	return it == NULL ? 0 : it->ngroup;
}

const char *
bg_policy_item_group(const bg_policy_t *p, size_t i, size_t k)
{
	const struct bg_item *it = item_at(p, i);

	return it == NULL || k >= it->ngroup ? NULL : it->group[k];
}

uint64_t
bg_policy_expiry(const bg_policy_t *p)
{
	return p == NULL ? 0 : p->expiry;
}

uint64_t
bg_policy_timelock(const bg_policy_t *p)
{
	return p == NULL ? 0 : p->timelock;
}

uint32_t
bg_policy_slots(const bg_policy_t *p)
{
	return p != NULL ? p->slots : 0;
}

int
bg_policy_set_slots(bg_policy_t *p, uint32_t slots)
{
	if (p == NULL)
		return BG_EINVAL;
	if (slots < BG_POLICY_SLOTS_MIN || slots > BG_SLOTS_MAX)
		return BG_ERANGE;
	p->slots = slots;
	return BG_OK;
}

int
bg_policy_self_approval(const bg_policy_t *p)
{
	return p != NULL && p->self_approval;
}

/* ------------------------------------------------------------ validation */

/*
 * Each check returns 0, or -1 after writing one sentence to e. Names are
 * quoted only once known valid: an invalid one is named by position, as
 * it may hold bytes a terminal would act on.
 */

static int
check_durations(const bg_policy_t *p, struct msg *e)
{
	if (p->expiry < BG_POLICY_EXPIRY_MIN ||
	    p->expiry > BG_POLICY_EXPIRY_MAX) {
		msg_add(e, "request expiry must be %u..%u seconds",
		    BG_POLICY_EXPIRY_MIN, BG_POLICY_EXPIRY_MAX);
		return -1;
	}
	if (p->timelock > BG_POLICY_TIMELOCK_MAX) {
		msg_add(e, "time lock must be at most %u seconds",
		    BG_POLICY_TIMELOCK_MAX);
		return -1;
	}
	if (p->timelock >= p->expiry) {
		msg_add(e, "time lock (%llu s) is not shorter than request "
		    "expiry (%llu s): every request would expire before "
		    "release", (unsigned long long)p->timelock,
		    (unsigned long long)p->expiry);
		return -1;
	}
	return 0;
}

static int
check_group_names(const bg_policy_t *p, size_t g, struct msg *e)
{
	const struct bg_group *gr = &p->group[g];
	size_t h, m, n;

	if (!bg_name_valid(gr->name)) {
		msg_add(e, "group %zu: its name is not valid (" NAME_RULE ")",
		    g + 1);
		return -1;
	}
	for (h = 0; h < g; h++)
		if (bg_name_same(p->group[h].name, gr->name)) {
			msg_add(e, "group \"%s\" is defined twice", gr->name);
			return -1;
		}
	for (m = 0; m < gr->nmember; m++) {
		if (!bg_name_valid(gr->member[m])) {
			msg_add(e, "group \"%s\": member %zu has an invalid "
			    "name (" NAME_RULE ")", gr->name, m + 1);
			return -1;
		}
		for (n = 0; n < m; n++)
			if (bg_name_same(gr->member[n], gr->member[m])) {
				msg_add(e, "group \"%s\": person \"%s\" is "
				    "listed twice", gr->name, gr->member[m]);
				return -1;
			}
	}
	return 0;
}

/*
 * docs/design.md §5.2 policy floor: t_g >= 2. With t = 1 every share is the
 * group key itself (quorum/quorum.h, bg_shamir_split), so one member, or
 * one approval re-sealed to a request key, stands for the whole group.
 */
static int
check_threshold(const struct bg_group *gr, struct msg *e)
{
	if (gr->threshold == 0) {
		msg_add(e, "group \"%s\": threshold 0 would release without "
		    "approval: it must be at least 2", gr->name);
		return -1;
	}
	if (gr->threshold < 2) {
		msg_add(e, "group \"%s\": threshold %u lets one person's share "
		    "stand for the whole group: it must be at least 2",
		    gr->name, gr->threshold);
		return -1;
	}
	return 0;
}

/*
 * docs/design.md §1: "at least two people able to reach it". A group of one is a
 * single point of loss and lets one person hold the group key alone.
 */
static int
check_group_counts(const struct bg_group *gr, struct msg *e)
{
	if (gr->nmember == 0) {
		msg_add(e, "group \"%s\" has no members: add at least two "
		    "people", gr->name);
		return -1;
	}
	if (gr->nmember == 1) {
		msg_add(e, "group \"%s\" has one member (\"%s\"): at least two "
		    "people must be able to reach what it guards", gr->name,
		    gr->member[0]);
		return -1;
	}
	if (check_threshold(gr, e) != 0)
		return -1;
	if (gr->threshold > gr->nmember) {
		msg_add(e, "group \"%s\": threshold %u is above its %zu "
		    "members", gr->name, gr->threshold, gr->nmember);
		return -1;
	}
	return 0;
}

/* docs/design.md §2.1: config that lets one person satisfy two groups. */
static int
check_overlap(const bg_policy_t *p, size_t g, struct msg *e)
{
	const struct bg_group *a = &p->group[g], *b;
	size_t h, m;

	for (h = g + 1; h < p->ngroup; h++) {
		b = &p->group[h];
		for (m = 0; m < a->nmember; m++)
			if (has_member_ci(b, a->member[m])) {
				msg_add(e, "person \"%s\" is in groups \"%s\" "
				    "and \"%s\": one person must not satisfy "
				    "two groups", a->member[m], a->name,
				    b->name);
				return -1;
			}
	}
	return 0;
}

static int
check_item_groups(const bg_policy_t *p, const struct bg_item *it,
    struct msg *e)
{
	size_t k, l;

	if (it->ngroup == 0) {
		msg_add(e, "item \"%s\" needs no group: every item needs at "
		    "least one", it->name);
		return -1;
	}
	for (k = 0; k < it->ngroup; k++) {
		if (!bg_name_valid(it->group[k])) {
			msg_add(e, "item \"%s\": group %zu has an invalid name",
			    it->name, k + 1);
			return -1;
		}
		for (l = 0; l < k; l++)
			if (bg_name_same(it->group[l], it->group[k])) {
				msg_add(e, "item \"%s\" names group \"%s\" "
				    "twice", it->name, it->group[k]);
				return -1;
			}
		if (find_group(p, it->group[k]) < 0) {
			msg_add(e, "item \"%s\" needs group \"%s\", which the "
			    "policy does not define", it->name, it->group[k]);
			return -1;
		}
	}
	return 0;
}

static int
check_item(const bg_policy_t *p, size_t i, struct msg *e)
{
	const struct bg_item *it = &p->item[i];
	size_t j;

	if (!bg_name_valid(it->name)) {
		msg_add(e, "item %zu: its name is not valid (" NAME_RULE ")",
		    i + 1);
		return -1;
	}
	for (j = 0; j < i; j++)
		if (bg_name_same(p->item[j].name, it->name)) {
			msg_add(e, "item \"%s\" is defined twice", it->name);
			return -1;
		}
	return check_item_groups(p, it, e);
}

/*
 * docs/design.md §5.2 policy floor: a requester is never a member, so an
 * approval of their own could only come from a share they must not hold.
 * The switch stays in the JSON form so that files written before still
 * parse; on, it is refused.
 */
static int
check_self_approval(const bg_policy_t *p, struct msg *e)
{
	if (!p->self_approval)
		return 0;
	msg_add(e, "self-approval is on: " BG_POLICY_NO_SELF_APPROVAL ": turn "
	    "it off");
	return -1;
}

static int
check_tables(const bg_policy_t *p, struct msg *e)
{
	if (p->ngroup == 0 || p->ngroup > BG_POLICY_GROUPS_MAX) {
		msg_add(e, "the policy must define 1..%d groups",
		    BG_POLICY_GROUPS_MAX);
		return -1;
	}
	if (p->nitem == 0 || p->nitem > BG_POLICY_ITEMS_MAX) {
		msg_add(e, "the policy must define 1..%d items",
		    BG_POLICY_ITEMS_MAX);
		return -1;
	}
	return 0;
}

static int
check_all(const bg_policy_t *p, struct msg *e)
{
	size_t g, i;

	if (check_durations(p, e) != 0 || check_tables(p, e) != 0)
		return -1;
	for (g = 0; g < p->ngroup; g++)
		if (check_group_names(p, g, e) != 0 ||
		    check_group_counts(&p->group[g], e) != 0)
			return -1;
	for (g = 0; g < p->ngroup; g++)
		if (check_overlap(p, g, e) != 0)
			return -1;
	for (i = 0; i < p->nitem; i++)
		if (check_item(p, i, e) != 0)
			return -1;
	return check_self_approval(p, e);
}

static int
group_used(const bg_policy_t *p, const char *group)
{
	size_t i, k;

	for (i = 0; i < p->nitem; i++)
		for (k = 0; k < p->item[i].ngroup; k++)
			if (strcmp(p->item[i].group[k], group) == 0)
				return 1;
	return 0;
}

static void
warnings(const bg_policy_t *p, struct msg *w)
{
	const struct bg_group *gr;
	size_t g;

	for (g = 0; g < p->ngroup; g++) {
		gr = &p->group[g];
		if (gr->threshold == gr->nmember)
			msg_add(w, "warning: group \"%s\" needs all %zu of its "
			    "members: losing one token locks away what it "
			    "guards\n", gr->name, gr->nmember);
		if (!group_used(p, gr->name))
			msg_add(w, "warning: group \"%s\" is needed by no "
			    "item\n", gr->name);
	}
}

int
bg_policy_validate(const bg_policy_t *p, char *why, size_t whysz)
{
	char err[256];
	struct msg e, w;

	bg_clear_why();
	msg_init(&w, why, whysz);
	if (p == NULL) {
		msg_add(&w, "no policy");
		return BG_EINVAL;
	}
	msg_init(&e, err, sizeof(err));
	if (check_all(p, &e) != 0) {
		msg_add(&w, "%s", err);
		bg_set_why("%s", err);
		return BG_EINVAL;
	}
	warnings(p, &w);
	return BG_OK;
}

int
bg_policy_check_floor(const bg_policy_t *p, char *why, size_t whysz)
{
	char err[256];
	struct msg e, w;
	size_t g;
	int bad;

	bg_clear_why();
	msg_init(&w, why, whysz);
	if (p == NULL || p->ngroup > BG_POLICY_GROUPS_MAX) {
		msg_add(&w, "no policy");
		return BG_EINVAL;
	}
	msg_init(&e, err, sizeof(err));
	bad = check_self_approval(p, &e);
	for (g = 0; g < p->ngroup && !bad; g++)
		bad = check_threshold(&p->group[g], &e);
	if (!bad)
		return BG_OK;
	msg_add(&w, "%s", err);
	bg_set_why("%s", err);
	return BG_EPERM;
}

/*
 * docs/design.md §5.2 policy floor: 0, or -1 after writing to m that person
 * (ignoring case) is a member of one of the groups idx[0..n) of p.
 */
static int
requester_in(const bg_policy_t *p, const size_t *idx, size_t n,
    const char *person, int for_request, struct msg *m)
{
	const struct bg_group *gr;
	size_t k;

	for (k = 0; k < n; k++) {
		gr = &p->group[idx[k]];
		if (!has_member_ci(gr, person))
			continue;
		msg_add(m, "requester \"%s\" is a member of group \"%s\"%s: a "
		    "requester may not be a custodian, since their own share "
		    "would count toward their own request, offline", person,
		    gr->name, for_request ? ", which this request needs" : "");
		return -1;
	}
	return 0;
}

int
bg_policy_requester_check(const bg_policy_t *p, const char *person,
    const char *const *groups, size_t ngroups, char *why, size_t whysz)
{
	size_t idx[BG_POLICY_GROUPS_MAX], k, n;
	char buf[512];
	struct msg m, w;
	int g;

	bg_clear_why();
	msg_init(&w, why, whysz);
	if (p == NULL || !bg_name_valid(person) ||
	    p->ngroup > BG_POLICY_GROUPS_MAX ||
	    (groups == NULL && ngroups != 0) || ngroups > BG_POLICY_GROUPS_MAX)
		return BG_EINVAL;
	n = groups == NULL ? p->ngroup : ngroups;
	for (k = 0; k < n; k++) {
		if (groups == NULL) {
			idx[k] = k;
		} else if (groups[k] == NULL ||
		    (g = find_group(p, groups[k])) < 0) {
			bg_set_why("group %zu is not in the policy", k + 1);
			return BG_EINVAL;
		} else {
			idx[k] = (size_t)g;
		}
	}
	msg_init(&m, buf, sizeof(buf));
	if (requester_in(p, idx, n, person, groups != NULL, &m) == 0)
		return BG_OK;
	msg_add(&w, "%s", buf);
	bg_set_why("%s", buf);
	return BG_EPERM;
}

/* ------------------------------------------------------------------ JSON */

static const char *const policy_keys[] = { "format", "groups", "items",
    "request_expiry_seconds", "timelock_seconds", "self_approval", "slots",
    NULL };
static const char *const group_keys[] = { "name", "threshold", "members",
    NULL };
static const char *const item_keys[] = { "name", "groups", NULL };

/* A valid name under key, copied to out. */
static int
get_name(const cJSON *o, const char *key, char out[BG_NAME_MAX + 1])
{
	const char *s;

	if (bg_json_get_str(o, key, BG_NAME_MAX, &s) != BG_OK ||
	    !bg_name_valid(s))
		return -1;
	name_copy(out, s);
	return 0;
}

/* An array of at most max valid names, copied to out. */
static int
get_names(const cJSON *o, const char *key, size_t max,
    char (*out)[BG_NAME_MAX + 1], size_t *n)
{
	const cJSON *a, *c;

	*n = 0;
	if (bg_json_get_array(o, key, &a) != BG_OK)
		return -1;
	cJSON_ArrayForEach(c, a) {
		if (*n == max || !cJSON_IsString(c) ||
		    c->valuestring == NULL || !bg_name_valid(c->valuestring))
			return -1;
		name_copy(out[(*n)++], c->valuestring);
	}
	return 0;
}

static int
group_from_json(const cJSON *o, size_t idx, struct bg_group *g)
{
	uint64_t t;

	if (bg_json_only_keys(o, group_keys) != BG_OK ||
	    get_name(o, "name", g->name) != 0) {
		bg_set_why("policy: groups[%zu]: needs exactly \"name\" ("
		    NAME_RULE "), \"threshold\" and \"members\"", idx);
		return BG_EFORMAT;
	}
	if (bg_json_get_u64(o, "threshold", 1, BG_POLICY_MEMBERS_MAX,
	    &t) != BG_OK) {
		bg_set_why("policy: group \"%s\": threshold must be a number "
		    "1..%d", g->name, BG_POLICY_MEMBERS_MAX);
		return BG_ERANGE;
	}
	g->threshold = (unsigned)t;
	if (get_names(o, "members", BG_POLICY_MEMBERS_MAX, g->member,
	    &g->nmember) != 0) {
		bg_set_why("policy: group \"%s\": members must be an array of "
		    "at most %d names (" NAME_RULE ")", g->name,
		    BG_POLICY_MEMBERS_MAX);
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
item_from_json(const cJSON *o, size_t idx, struct bg_item *it)
{
	if (bg_json_only_keys(o, item_keys) != BG_OK ||
	    get_name(o, "name", it->name) != 0) {
		bg_set_why("policy: items[%zu]: needs exactly \"name\" ("
		    NAME_RULE ") and \"groups\"", idx);
		return BG_EFORMAT;
	}
	if (get_names(o, "groups", BG_POLICY_GROUPS_MAX, it->group,
	    &it->ngroup) != 0) {
		bg_set_why("policy: item \"%s\": groups must be an array of at "
		    "most %d names", it->name, BG_POLICY_GROUPS_MAX);
		return BG_EFORMAT;
	}
	return BG_OK;
}

/* The array under key, of at most max entries. */
static int
get_table(const cJSON *o, const char *key, size_t max, const cJSON **a)
{
	if (bg_json_get_array(o, key, a) != BG_OK ||
	    (size_t)cJSON_GetArraySize(*a) > max) {
		bg_set_why("policy: \"%s\" must be an array of at most %zu "
		    "objects", key, max);
		return BG_EFORMAT;
	}
	return BG_OK;
}

static int
groups_from_json(const cJSON *o, bg_policy_t *p)
{
	const cJSON *a, *c;
	int r;

	if ((r = get_table(o, "groups", BG_POLICY_GROUPS_MAX, &a)) != BG_OK)
		return r;
	cJSON_ArrayForEach(c, a) {
		if ((r = group_from_json(c, p->ngroup,
		    &p->group[p->ngroup])) != BG_OK)
			return r;
		p->ngroup++;
	}
	return BG_OK;
}

static int
items_from_json(const cJSON *o, bg_policy_t *p)
{
	const cJSON *a, *c;
	int r;

	if ((r = get_table(o, "items", BG_POLICY_ITEMS_MAX, &a)) != BG_OK)
		return r;
	cJSON_ArrayForEach(c, a) {
		if ((r = item_from_json(c, p->nitem,
		    &p->item[p->nitem])) != BG_OK)
			return r;
		p->nitem++;
	}
	return BG_OK;
}

static int
scalars_from_json(const cJSON *o, bg_policy_t *p)
{
	const char *fmt;
	uint64_t slots;

	if (bg_json_get_str(o, "format", 64, &fmt) != BG_OK ||
	    strcmp(fmt, BG_POLICY_FORMAT) != 0) {
		bg_set_why("policy: \"format\" must be \"" BG_POLICY_FORMAT
		    "\"");
		return BG_EFORMAT;
	}
	if (bg_json_get_u64(o, "request_expiry_seconds", BG_POLICY_EXPIRY_MIN,
	    BG_POLICY_EXPIRY_MAX, &p->expiry) != BG_OK) {
		bg_set_why("policy: \"request_expiry_seconds\" must be a "
		    "number %u..%u", BG_POLICY_EXPIRY_MIN, BG_POLICY_EXPIRY_MAX);
		return BG_ERANGE;
	}
	if (bg_json_get_u64(o, "timelock_seconds", 0, BG_POLICY_TIMELOCK_MAX,
	    &p->timelock) != BG_OK) {
		bg_set_why("policy: \"timelock_seconds\" must be a number "
		    "0..%u", BG_POLICY_TIMELOCK_MAX);
		return BG_ERANGE;
	}
	if (bg_json_get_bool(o, "self_approval", &p->self_approval) !=
	    BG_OK) {
		bg_set_why("policy: \"self_approval\" must be true or false");
		return BG_EFORMAT;
	}
	if (bg_json_get_u64(o, "slots", BG_POLICY_SLOTS_MIN, BG_SLOTS_MAX,
	    &slots) != BG_OK) {
		bg_set_why("policy: \"slots\" must be a number %u..%u",
		    BG_POLICY_SLOTS_MIN, BG_SLOTS_MAX);
		return BG_ERANGE;
	}
	p->slots = (uint32_t)slots;
	return BG_OK;
}

int
bg_policy_from_json(const cJSON *j, bg_policy_t **out)
{
	bg_policy_t *p;
	int r;

	bg_clear_why();
	if (j == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if (bg_json_only_keys(j, policy_keys) != BG_OK) {
		bg_set_why("policy: an object with the keys format, groups, "
		    "items, request_expiry_seconds, timelock_seconds, "
		    "self_approval and slots, each once, and no other");
		return BG_EFORMAT;
	}
	if ((p = policy_new()) == NULL)
		return BG_ENOMEM;
	if ((r = scalars_from_json(j, p)) != BG_OK ||
	    (r = groups_from_json(j, p)) != BG_OK ||
	    (r = items_from_json(j, p)) != BG_OK) {
		bg_policy_free(&p);
		return r;
	}
	*out = p;
	return BG_OK;
}

static cJSON *
names_to_json(const char (*names)[BG_NAME_MAX + 1], size_t n)
{
	cJSON *a, *s;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((s = cJSON_CreateString(names[i])) == NULL ||
		    !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static cJSON *
group_to_json(const struct bg_group *g)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (bg_json_add(o, "name", cJSON_CreateString(g->name)) != 0 ||
	    bg_json_add(o, "threshold", cJSON_CreateNumber(g->threshold)) != 0 ||
	    bg_json_add(o, "members", names_to_json(g->member, g->nmember)) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
item_to_json(const struct bg_item *it)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (bg_json_add(o, "name", cJSON_CreateString(it->name)) != 0 ||
	    bg_json_add(o, "groups", names_to_json(it->group, it->ngroup)) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
tables_to_json(const bg_policy_t *p, int groups)
{
	cJSON *a, *o;
	size_t i, n = groups ? p->ngroup : p->nitem;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		o = groups ? group_to_json(&p->group[i]) :
		    item_to_json(&p->item[i]);
		if (o == NULL || !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

int
bg_policy_to_json(const bg_policy_t *p, cJSON **out)
{
	cJSON *o;

	if (p == NULL || out == NULL)
		return BG_EINVAL;
	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return BG_ENOMEM;
	if (bg_json_add(o, "format", cJSON_CreateString(BG_POLICY_FORMAT)) != 0 ||
	    bg_json_add(o, "groups", tables_to_json(p, 1)) != 0 ||
	    bg_json_add(o, "items", tables_to_json(p, 0)) != 0 ||
	    bg_json_add(o, "request_expiry_seconds",
	    cJSON_CreateNumber((double)p->expiry)) != 0 ||
	    bg_json_add(o, "timelock_seconds",
	    cJSON_CreateNumber((double)p->timelock)) != 0 ||
	    bg_json_add(o, "self_approval", cJSON_CreateBool(p->self_approval)) != 0 ||
	    bg_json_add(o, "slots", cJSON_CreateNumber((double)p->slots)) != 0) {
		cJSON_Delete(o);
		return BG_ENOMEM;
	}
	*out = o;
	return BG_OK;
}

/* ---------------------------------------------------------- ceremonies */

/* Marks in need[] the groups item needs; -1 (why set) when it cannot. */
static int
mark_item(const bg_policy_t *p, const char *item, int need[])
{
	const struct bg_item *it;
	size_t k;
	int i, g;

	if ((i = find_item(p, item)) < 0) {
		bg_set_why("item \"%s\": the policy does not say which groups "
		    "it needs", item);
		return -1;
	}
	it = &p->item[i];
	if (it->ngroup == 0) {
		bg_set_why("item \"%s\" needs no group: the policy is not "
		    "valid", item);
		return -1;
	}
	for (k = 0; k < it->ngroup; k++) {
		if ((g = find_group(p, it->group[k])) < 0) {
			bg_set_why("item \"%s\" needs group \"%s\", which the "
			    "policy does not define", item, it->group[k]);
			return -1;
		}
		need[g] = 1;
	}
	return 0;
}

/* Items must be valid names, each once (ignoring case). */
static int
items_ok(const char *const *items, size_t nitems)
{
	size_t i, j;

	if (nitems == 0 || nitems > BG_POLICY_ITEMS_MAX) {
		bg_set_why("a request names 1..%d items", BG_POLICY_ITEMS_MAX);
		return -1;
	}
	for (i = 0; i < nitems; i++) {
		if (!bg_name_valid(items[i])) {
			bg_set_why("item %zu: not a valid name", i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (bg_name_same(items[j], items[i])) {
				bg_set_why("item \"%s\" is listed twice",
				    items[i]);
				return -1;
			}
	}
	return 0;
}

int
bg_policy_groups_for_items(const bg_policy_t *p, const char *const *items,
    size_t nitems, const char **groups, size_t maxgroups, size_t *ngroups)
{
	int need[BG_POLICY_GROUPS_MAX] = { 0 };
	size_t i, g, n = 0;

	bg_clear_why();
	if (p == NULL || items == NULL || groups == NULL || ngroups == NULL ||
	    p->ngroup > BG_POLICY_GROUPS_MAX)
		return BG_EINVAL;
	*ngroups = 0;
	if (items_ok(items, nitems) != 0)
		return BG_EINVAL;
	for (i = 0; i < nitems; i++)
		if (mark_item(p, items[i], need) != 0)
			return BG_EINVAL;
	for (g = 0; g < p->ngroup; g++) {
		if (!need[g])
			continue;
		if (n == maxgroups)
			return BG_ETOOBIG;
		groups[n++] = p->group[g].name;
	}
	*ngroups = n;
	return BG_OK;
}

/* The checked needed groups: need[k] indexes p->group. */
struct needed {
	size_t idx[BG_POLICY_GROUPS_MAX];
	size_t n;
};

static int
needed_init(const bg_policy_t *p, const char *const *groups, size_t n,
    struct needed *nd)
{
	size_t k, l;
	int g;

	if (n == 0 || n > BG_POLICY_GROUPS_MAX) {
		bg_set_why("a quorum needs 1..%d groups", BG_POLICY_GROUPS_MAX);
		return -1;
	}
	for (k = 0; k < n; k++) {
		if (!bg_name_valid(groups[k])) {
			bg_set_why("needed group %zu: not a valid name", k + 1);
			return -1;
		}
		if ((g = find_group(p, groups[k])) < 0) {
			bg_set_why("needed group \"%s\" is not in the policy",
			    groups[k]);
			return -1;
		}
		for (l = 0; l < k; l++)
			if (nd->idx[l] == (size_t)g) {
				bg_set_why("group \"%s\" is needed twice",
				    groups[k]);
				return -1;
			}
		/* unreachable through the API; 0 would be met by nobody */
		if (p->group[g].threshold == 0) {
			bg_set_why("group \"%s\" has threshold 0", groups[k]);
			return -1;
		}
		nd->idx[k] = (size_t)g;
	}
	nd->n = n;
	return 0;
}

enum skip {
	COUNTED = 0,
	NOT_NEEDED,	/* approved for a group this quorum does not need */
	NOT_MEMBER,	/* not (spelled exactly so) a member of that group */
	REPEAT,		/* this person already counts */
};

/* Position in nd of the group a counts for, or why it does not count. */
static enum skip
eligible(const bg_policy_t *p, const struct needed *nd,
    const struct bg_approval *a, size_t *k)
{
	for (*k = 0; *k < nd->n; (*k)++)
		if (strcmp(p->group[nd->idx[*k]].name, a->group) == 0)
			return find_member(&p->group[nd->idx[*k]],
			    a->person) >= 0 ? COUNTED : NOT_MEMBER;
	return NOT_NEEDED;
}

/*
 * Approval i counts when it is eligible and no earlier eligible approval
 * is by the same person: a person counts once in all groups, whichever
 * order the approvals come in. O(n^2) without allocation; n is bounded.
 */
static enum skip
counts(const bg_policy_t *p, const struct needed *nd,
    const struct bg_approval *ap, size_t i, size_t *k)
{
	enum skip s;
	size_t j, kj;

	if ((s = eligible(p, nd, &ap[i], k)) != COUNTED)
		return s;
	for (j = 0; j < i; j++)
		if (bg_name_same(ap[j].person, ap[i].person) &&
		    eligible(p, nd, &ap[j], &kj) == COUNTED)
			return REPEAT;
	return COUNTED;
}

static int
approvals_ok(const struct bg_approval *ap, size_t n)
{
	size_t i;

	if (n > 0 && ap == NULL)
		return -1;
	if (n > BG_POLICY_APPROVALS_MAX) {
		bg_set_why("more than %d approvals", BG_POLICY_APPROVALS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!bg_name_valid(ap[i].person) ||
		    !bg_name_valid(ap[i].group)) {
			bg_set_why("approval %zu: person or group is not a "
			    "valid name", i + 1);
			return -1;
		}
	return 0;
}

/*
 * The requester may approve nothing at all, whatever the policy's
 * self-approval switch says (docs/design.md §5.2 policy floor).
 */
static int
self_approved(const struct bg_approval *ap, size_t n, const char *requester,
    struct msg *m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bg_name_same(ap[i].person, requester)) {
			msg_add(m, "requester \"%s\" approved for group \"%s\": "
			    "self-approval is never allowed", requester,
			    ap[i].group);
			return 1;
		}
	return 0;
}

/*
 * The floor of the needed groups, for a policy that may never have passed
 * validation: each needs at least 2 approvals, and the requester is a
 * member of none.
 */
static int
floor_broken(const bg_policy_t *p, const struct needed *nd,
    const char *requester, struct msg *m)
{
	size_t k;

	for (k = 0; k < nd->n; k++)
		if (check_threshold(&p->group[nd->idx[k]], m) != 0)
			return 1;
	return requester_in(p, nd->idx, nd->n, requester, 1, m) != 0;
}

static const char *
skip_reason(enum skip s)
{
	switch (s) {
	case NOT_NEEDED:
		return "group not needed";
	case NOT_MEMBER:
		return "not a member";
	case REPEAT:
		return "already counted";
	default:
		return "counted";
	}
}

/* "mfa: 1 of 2; ..." for each short group; 1 when any is short. */
static int
report_short(const bg_policy_t *p, const struct needed *nd,
    const unsigned *got, struct msg *m)
{
	const struct bg_group *gr;
	size_t k;
	int shortfall = 0;

	for (k = 0; k < nd->n; k++) {
		gr = &p->group[nd->idx[k]];
		if (got[k] >= gr->threshold)
			continue;
		msg_add(m, "%s%s: %u of %u", shortfall ? "; " : "", gr->name,
		    got[k], gr->threshold);
		shortfall = 1;
	}
	return shortfall;
}

static void
report_skipped(const bg_policy_t *p, const struct needed *nd,
    const struct bg_approval *ap, size_t n, struct msg *m)
{
	enum skip s;
	size_t i, k;
	int first = 1;

	for (i = 0; i < n; i++) {
		if ((s = counts(p, nd, ap, i, &k)) == COUNTED)
			continue;
		msg_add(m, "%s\"%s\" for \"%s\": %s", first ?
		    " (not counted: " : ", ", ap[i].person, ap[i].group,
		    skip_reason(s));
		first = 0;
	}
	if (!first)
		msg_add(m, ")");
}

/* The verdict on valid arguments: 0 met, -1 not (m says why). */
static int
judge(const bg_policy_t *p, const struct needed *nd,
    const struct bg_approval *ap, size_t nap, const char *requester,
    struct msg *m)
{
	unsigned got[BG_POLICY_GROUPS_MAX] = { 0 };
	size_t i, k, people = 0;

	if (self_approved(ap, nap, requester, m) ||
	    floor_broken(p, nd, requester, m))
		return -1;
	for (i = 0; i < nap; i++) {
		if (counts(p, nd, ap, i, &k) != COUNTED)
			continue;
		got[k]++;
		people++;
	}
	if (report_short(p, nd, got, m)) {
		report_skipped(p, nd, ap, nap, m);
		return -1;
	}
	/*
	 * docs/design.md §2.1, whatever the policy says: never one person
	 * alone. Past the floor a met quorum has at least two counted people
	 * besides the requester; kept so that no later change can undo it.
	 */
	if (people < 2) {
		msg_add(m, "only one person takes part: release needs at "
		    "least two");
		return -1;
	}
	return 0;
}

int
bg_policy_quorum_met(const bg_policy_t *p, const char *const *groups,
    size_t ngroups, const struct bg_approval *ap, size_t nap,
    const char *requester, char *why, size_t whysz)
{
	char buf[1024];
	struct needed nd;
	struct msg m, w;
	int r = BG_OK;

	bg_clear_why();
	msg_init(&m, buf, sizeof(buf));
	msg_init(&w, why, whysz);
	if (p == NULL || groups == NULL || !bg_name_valid(requester) ||
	    needed_init(p, groups, ngroups, &nd) != 0 ||
	    approvals_ok(ap, nap) != 0) {
		msg_add(&m, "%s", bg_why()[0] != '\0' ? bg_why() :
		    "invalid arguments");
		r = BG_EINVAL;
	} else if (judge(p, &nd, ap, nap, requester, &m) != 0)
		r = BG_EPERM;
	if (r != BG_OK) {
		msg_add(&w, "%s", buf);
		bg_set_why("%s", buf);
	}
	return r;
}

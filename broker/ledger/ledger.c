/*
 * The ledger (ledger.h): one pass over the audit log, keeping the entries
 * that open, approve, reach quorum on and close requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/ledger/ledger.h"

#define ENTRIES_MAX BG_POLICY_ITEMS_MAX

struct lrq {
	char id[BG_REQUEST_ID_LEN + 1];
	char requester[BG_NAME_MAX + 1];
	uint64_t expiry;
	int closed, quorum;
	struct bg_ledger_slot e[ENTRIES_MAX];
	size_t ne;
};

/* A group's epoch after a rekey. */
struct lepoch {
	struct bg_ledger_slot s;	/* slot unused */
	char group[BG_NAME_MAX + 1];
	uint64_t epoch;
};

/* One share an approval.granted wrote: its slot, person and group. */
struct lshare {
	struct bg_ledger_slot s;
	char person[BG_NAME_MAX + 1];
	char group[BG_NAME_MAX + 1];
};

/*
 * An open-addressing index over one of the arrays (request ids, burned
 * slots): slot i holds an array index + 1, 0 when free. Without it the
 * pass over the log is quadratic in the requests and the burns.
 */
struct lindex {
	size_t *slot;
	size_t nslot;		/* a power of two, or 0 */
};

struct bg_ledger {
	uint64_t size;			/* entries folded in: 0..size */
	struct lindex rqi, burni;
	struct lshare *sh;
	size_t nsh, capsh;
	struct lepoch *ep;
	size_t nep, capep;
	struct lrq *rq;
	size_t nrq, caprq;
	struct bg_ledger_burn *burn;
	size_t nburn, capburn;
	struct bg_ledger_slot *exposed;	/* slot unused */
	size_t nexposed, capexposed;
	struct bg_ledger_slot tmp[ENTRIES_MAX];	/* one entry's slots */
	uint64_t chain_n;		/* chain.link entries */
	char chain_head[65];		/* the last one's head, hex */
};

static void *
grow(void *arrp, size_t *n, size_t *cap, size_t el)
{
	void **arr = arrp;
	char *p;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;

		if ((p = realloc(*arr, c * el)) == NULL)
			return NULL;
		*arr = p;
		*cap = c;
	}
	p = (char *)*arr + (*n)++ * el;
	memset(p, 0, el);
	return p;
}

/* FNV-1a, continued from h */
static uint64_t
fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * UINT64_C(0x100000001b3);
	return h;
}

#define FNV0 UINT64_C(0xcbf29ce484222325)

static uint64_t
slot_hash(const struct bg_ledger_slot *s)
{
	uint64_t h = fnv(s->account, strlen(s->account) + 1, FNV0);

	h = fnv(s->item, strlen(s->item) + 1, h);
	h = fnv(&s->version, sizeof(s->version), h);
	return fnv(&s->slot, sizeof(s->slot), h);
}

static uint64_t
rq_hash(const char *id)
{
	return fnv(id, strlen(id), FNV0);
}

/*
 * Index n (the array's new last element, hashed h) in x, after growing
 * x to keep it at most half full; hash_at(i) rehashes element i.
 */
static int
index_add(struct lindex *x, size_t n, uint64_t h, const void *arr,
    uint64_t (*hash_at)(const void *arr, size_t i))
{
	size_t i, j, cap;
	size_t *slot;

	if (2 * (n + 1) > x->nslot) {
		for (cap = x->nslot ? 2 * x->nslot : 64; 2 * (n + 1) > cap;)
			cap *= 2;
		if ((slot = calloc(cap, sizeof(*slot))) == NULL)
			return BG_ENOMEM;
		for (i = 0; i < n; i++) {
			for (j = hash_at(arr, i) & (cap - 1); slot[j] != 0;
			    j = (j + 1) & (cap - 1))
				;
			slot[j] = i + 1;
		}
		free(x->slot);
		x->slot = slot;
		x->nslot = cap;
	}
	for (j = h & (x->nslot - 1); x->slot[j] != 0; j = (j + 1) &
	    (x->nslot - 1))
		;
	x->slot[j] = n + 1;
	return BG_OK;
}

static uint64_t
rq_at(const void *arr, size_t i)
{
	return rq_hash(((const struct lrq *)arr)[i].id);
}

static uint64_t
burn_at(const void *arr, size_t i)
{
	return slot_hash(&((const struct bg_ledger_burn *)arr)[i].s);
}

static struct lrq *
find_rq(const bg_ledger_t *l, const char *id)
{
	size_t j, m = l->rqi.nslot - 1;

	if (l->rqi.nslot == 0)
		return NULL;
	for (j = rq_hash(id) & m; l->rqi.slot[j] != 0; j = (j + 1) & m)
		if (strcmp(l->rq[l->rqi.slot[j] - 1].id, id) == 0)
			return &l->rq[l->rqi.slot[j] - 1];
	return NULL;
}

/* Seconds of an entry's time ("YYYY-MM-DDTHH:MM:SS.mmmZ"); 0 if odd. */
static uint64_t
entry_time(const char *s)
{
	uint64_t t;

	return bg_rfc3339_entry_parse(s, &t) == BG_OK ? t : 0;
}

/* A whole number in lo..hi that JSON carries exactly: the only kind
 * the ceremony writes. */
static int
whole(const cJSON *n, double lo, double hi)
{
	return cJSON_IsNumber(n) && n->valuedouble >= lo &&
	    n->valuedouble <= hi &&
	    n->valuedouble == (double)(uint64_t)n->valuedouble;
}

/*
 * One element of an entries array; 0 when it is not one we write. Without
 * need_slot, a missing slot reads as 0 (group.rekeyed names versions).
 */
static int
read_one(const cJSON *e, const char *account, int need_slot,
    struct bg_ledger_slot *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(e, "item");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(e, "version");
	const cJSON *slot = cJSON_GetObjectItemCaseSensitive(e, "slot");

	if (!cJSON_IsString(item) || !bg_name_valid(item->valuestring) ||
	    !whole(ver, 1, (double)BG_JSON_INT_MAX) ||
	    (need_slot && !whole(slot, 0, BG_SLOTS_MAX - 1)))
		return 0;
	snprintf(out->account, sizeof(out->account), "%s", account);
	snprintf(out->item, sizeof(out->item), "%s", item->valuestring);
	out->version = (uint64_t)ver->valuedouble;
	out->slot = need_slot ? (uint32_t)slot->valuedouble : 0;
	return 1;
}

/* The entries array of a detail, each checked; unknown shapes are skipped. */
static size_t
read_entries(const cJSON *d, const char *account, struct bg_ledger_slot *out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(d, "entries"), *e;
	size_t n = 0;

	cJSON_ArrayForEach(e, arr) {
		if (n == ENTRIES_MAX)
			break;
		n += (size_t)read_one(e, account, 1, &out[n]);
	}
	return n;
}

static int
same_slot(const struct bg_ledger_slot *a, const struct bg_ledger_slot *b)
{
	return a->version == b->version && a->slot == b->slot &&
	    strcmp(a->account, b->account) == 0 &&
	    strcmp(a->item, b->item) == 0;
}

static int
on_open(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(e->detail, "expiry");
	struct lrq *q;

	if (!bg_request_id_valid(e->request) || find_rq(l, e->request) != NULL)
		return BG_OK;
	if ((q = grow(&l->rq, &l->nrq, &l->caprq, sizeof(*q))) == NULL)
		return BG_ENOMEM;
	snprintf(q->id, sizeof(q->id), "%s", e->request);
	if (index_add(&l->rqi, l->nrq - 1, rq_hash(q->id), l->rq, rq_at) !=
	    BG_OK) {
		l->nrq--;
		return BG_ENOMEM;
	}
	snprintf(q->requester, sizeof(q->requester), "%s", e->actor);
	if (!cJSON_IsString(x) || bg_rfc3339_parse(x->valuestring,
	    strlen(x->valuestring), &q->expiry) != BG_OK)
		q->expiry = 0;
	q->ne = read_entries(e->detail, e->account, q->e);
	return BG_OK;
}

/* approval.granted: each share it wrote, with its person and group. */
static int
on_shares(bg_ledger_t *l, const struct bg_audit_entry *e,
    const struct bg_ledger_slot *s, size_t n)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(e->detail, "group");
	struct lshare *x;
	size_t i;

	if (!cJSON_IsString(g) || !bg_name_valid(g->valuestring) ||
	    !bg_name_valid(e->actor))
		return BG_OK;
	for (i = 0; i < n; i++) {
		if ((x = grow(&l->sh, &l->nsh, &l->capsh, sizeof(*x))) == NULL)
			return BG_ENOMEM;
		x->s = s[i];
		snprintf(x->person, sizeof(x->person), "%s", e->actor);
		snprintf(x->group, sizeof(x->group), "%s", g->valuestring);
	}
	return BG_OK;
}

/*
 * approval.burn (before the shares exist) and approval.granted: the
 * first to name a slot burns it, for its request.
 */
static int
on_granted(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	struct bg_ledger_slot *s = l->tmp;
	struct bg_ledger_burn *b;
	size_t n = read_entries(e->detail, e->account, s), i;
	int r;

	if (strcmp(e->event, "approval.granted") == 0 &&
	    (r = on_shares(l, e, s, n)) != BG_OK)
		return r;
	for (i = 0; i < n; i++) {
		if (bg_ledger_burned(l, &s[i]) != NULL)
			continue;	/* the first approval burned it */
		if ((b = grow(&l->burn, &l->nburn, &l->capburn,
		    sizeof(*b))) == NULL)
			return BG_ENOMEM;
		b->s = s[i];
		snprintf(b->request, sizeof(b->request), "%s", e->request);
		snprintf(b->person, sizeof(b->person), "%s", e->actor);
		b->time = entry_time(e->time);
		if ((r = index_add(&l->burni, l->nburn - 1, slot_hash(&b->s),
		    l->burn, burn_at)) != BG_OK) {
			l->nburn--;
			return r;
		}
	}
	return BG_OK;
}

static int
on_quorum(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	struct bg_ledger_slot *s = l->tmp, *x;
	struct lrq *q = find_rq(l, e->request);
	size_t n = read_entries(e->detail, e->account, s), i;

	if (q != NULL)
		q->quorum = 1;
	for (i = 0; i < n; i++) {
		if ((x = grow(&l->exposed, &l->nexposed, &l->capexposed,
		    sizeof(*x))) == NULL)
			return BG_ENOMEM;
		*x = s[i];
	}
	return BG_OK;
}

/* group.rekeyed: {"group":..,"entries":[{item,version,epoch}]} */
static int
on_rekeyed(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(e->detail, "group");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(e->detail,
	    "entries"), *x, *ep;
	struct bg_ledger_slot s;
	struct lepoch *p;

	if (!cJSON_IsString(g) || !bg_name_valid(g->valuestring))
		return BG_OK;
	cJSON_ArrayForEach(x, arr) {
		ep = cJSON_GetObjectItemCaseSensitive(x, "epoch");
		if (!read_one(x, e->account, 0, &s) ||
		    !whole(ep, 2, (double)BG_JSON_INT_MAX))
			continue;
		if ((p = grow(&l->ep, &l->nep, &l->capep, sizeof(*p))) == NULL)
			return BG_ENOMEM;
		p->s = s;
		snprintf(p->group, sizeof(p->group), "%s", g->valuestring);
		p->epoch = (uint64_t)ep->valuedouble;
	}
	return BG_OK;
}

/* A link written: the count and the head it names. */
static int
on_chain(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(e->detail, "head");

	if (!cJSON_IsString(h) || strlen(h->valuestring) != 64)
		return BG_OK;	/* the chain's walk names what is wrong */
	l->chain_n++;
	memcpy(l->chain_head, h->valuestring, 65);
	return BG_OK;
}

/* approval.denied, release.done: the request is closed */
static int
on_closed(bg_ledger_t *l, const struct bg_audit_entry *e)
{
	struct lrq *q = find_rq(l, e->request);

	if (q != NULL)
		q->closed = 1;
	return BG_OK;
}

/*
 * The events the ledger folds in, and how: one table for the prefilter
 * and the fold, so that an event folded is never one passed over. Most
 * of a long log is other events (reads, notes, checks): those lines are
 * passed over unparsed.
 */
static const struct {
	const char *event;
	int (*fn)(bg_ledger_t *l, const struct bg_audit_entry *e);
} folds[] = {
	{ "request.open", on_open },
	{ "approval.granted", on_granted },
	{ "approval.burn", on_granted },
	{ "group.rekeyed", on_rekeyed },
	{ "chain.link", on_chain },
	{ "request.quorum_met", on_quorum },
	{ "approval.denied", on_closed },
	{ "release.done", on_closed },
};

#define NFOLDS (sizeof(folds) / sizeof(folds[0]))

/* The fold of an event name (n bytes), or NFOLDS. */
static size_t
fold_of(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NFOLDS; i++)
		if (strlen(folds[i].event) == n &&
		    memcmp(folds[i].event, name, n) == 0)
			return i;
	return NFOLDS;
}

static int
on_entry(void *ctx, uint64_t seq, const char *line, size_t len)
{
	bg_ledger_t *l = ctx;
	struct bg_audit_entry e;
	const char *name;
	size_t n, i;
	int r;

	(void)seq;
	/* a line not in the writer's shape is parsed, and judged */
	if ((name = bg_audit_line_event(line, len, &n)) != NULL &&
	    fold_of(name, n) == NFOLDS)
		return BG_OK;
	if (bg_audit_entry_parse(line, len, &e) != BG_OK)
		return BG_EFORMAT;
	i = fold_of(e.event, strlen(e.event));
	r = i < NFOLDS ? folds[i].fn(l, &e) : BG_OK;
	bg_audit_entry_free(&e);
	return r;
}

uint64_t
bg_ledger_size(const bg_ledger_t *l)
{
	return l->size;
}

uint64_t
bg_ledger_chain(const bg_ledger_t *l, const char **head)
{
	*head = l->chain_head;
	return l->chain_n;
}

int
bg_ledger_fold_line(bg_ledger_t *l, uint64_t seq, const char *line,
    size_t len)
{
	int r;

	if (seq != l->size)
		return BG_EINVAL;	/* lines in order, none skipped */
	if ((r = on_entry(l, seq, line, len)) == BG_OK)
		l->size = seq + 1;
	return r;
}

int
bg_ledger_extend(bg_audit_t *log, bg_ledger_t *l)
{
	uint64_t size = bg_audit_size(log);
	int r;

	if (size < l->size)
		return BG_EINVAL;	/* another log, or one cut short */
	if ((r = bg_audit_foreach(log, l->size, size, on_entry, l)) != BG_OK)
		return r;
	l->size = size;
	return BG_OK;
}

int
bg_ledger_new(bg_ledger_t **l)
{
	return (*l = calloc(1, sizeof(**l))) == NULL ? BG_ENOMEM : BG_OK;
}

int
bg_ledger_read(bg_audit_t *log, bg_ledger_t **out)
{
	bg_ledger_t *l;
	int r;

	*out = NULL;
	if ((r = bg_ledger_new(&l)) != BG_OK)
		return r;
	if ((r = bg_ledger_extend(log, l)) != BG_OK) {
		bg_ledger_free(&l);
		return r;
	}
	*out = l;
	return BG_OK;
}

void
bg_ledger_free(bg_ledger_t **lp)
{
	bg_ledger_t *l;

	if (lp == NULL || (l = *lp) == NULL)
		return;
	free(l->rqi.slot);
	free(l->burni.slot);
	free(l->rq);
	free(l->sh);
	free(l->ep);
	free(l->burn);
	free(l->exposed);
	free(l);
	*lp = NULL;
}

const struct bg_ledger_burn *
bg_ledger_burned(const bg_ledger_t *l, const struct bg_ledger_slot *s)
{
	size_t j, m = l->burni.nslot - 1;

	if (l->burni.nslot == 0)
		return NULL;
	for (j = slot_hash(s) & m; l->burni.slot[j] != 0; j = (j + 1) & m)
		if (same_slot(&l->burn[l->burni.slot[j] - 1].s, s))
			return &l->burn[l->burni.slot[j] - 1];
	return NULL;
}

uint32_t
bg_ledger_nburned(const bg_ledger_t *l, const char *account, const char *item,
    uint64_t version)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < l->nburn; i++)
		if (l->burn[i].s.version == version &&
		    strcmp(l->burn[i].s.account, account) == 0 &&
		    strcmp(l->burn[i].s.item, item) == 0)
			n++;
	return n;
}

int
bg_ledger_exposed(const bg_ledger_t *l, const char *account, const char *item,
    uint64_t version)
{
	size_t i;

	for (i = 0; i < l->nexposed; i++)
		if (l->exposed[i].version == version &&
		    strcmp(l->exposed[i].account, account) == 0 &&
		    strcmp(l->exposed[i].item, item) == 0)
			return 1;
	return 0;
}

static int
open_at(const struct lrq *q, uint64_t now)
{
	return !q->closed && now < q->expiry;
}

int
bg_ledger_reserved(const bg_ledger_t *l, const struct bg_ledger_slot *s,
    const char *id, uint64_t now)
{
	size_t i, k;

	for (i = 0; i < l->nrq; i++) {
		if ((id != NULL && strcmp(l->rq[i].id, id) == 0) ||
		    !open_at(&l->rq[i], now))
			continue;
		for (k = 0; k < l->rq[i].ne; k++)
			if (same_slot(&l->rq[i].e[k], s))
				return 1;
	}
	return 0;
}

size_t
bg_ledger_open_requests(const bg_ledger_t *l, const char *requester,
    uint64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < l->nrq; i++)
		if (bg_name_same(l->rq[i].requester, requester) &&
		    open_at(&l->rq[i], now))
			n++;
	return n;
}

size_t
bg_ledger_burns_by(const bg_ledger_t *l, const char *person, uint64_t since)
{
	size_t i, n = 0;

	for (i = 0; i < l->nburn; i++)
		if (bg_name_same(l->burn[i].person, person) &&
		    l->burn[i].time >= since)
			n++;
	return n;
}

int
bg_ledger_closed(const bg_ledger_t *l, const char *id)
{
	const struct lrq *q = find_rq(l, id);

	return q != NULL && q->closed;
}

int
bg_ledger_quorum(const bg_ledger_t *l, const char *id)
{
	const struct lrq *q = find_rq(l, id);

	return q != NULL && q->quorum;
}

int
bg_ledger_add_entries(cJSON *d, const char *const *items,
    const uint64_t *versions, const uint32_t *slots, size_t n)
{
	cJSON *arr, *o;
	size_t i;

	if ((arr = cJSON_AddArrayToObject(d, "entries")) == NULL)
		return BG_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o))
			return BG_ENOMEM;
		if (!cJSON_AddStringToObject(o, "item", items[i]) ||
		    !cJSON_AddNumberToObject(o, "version",
		    (double)versions[i]) ||
		    !cJSON_AddNumberToObject(o, "slot", (double)slots[i]))
			return BG_ENOMEM;
	}
	return BG_OK;
}

int
bg_ledger_version_open(const bg_ledger_t *l, const char *account,
    const char *item, uint64_t version, uint64_t now)
{
	size_t i, k;

	for (i = 0; i < l->nrq; i++)
		for (k = 0; open_at(&l->rq[i], now) && k < l->rq[i].ne; k++)
			if (l->rq[i].e[k].version == version &&
			    strcmp(l->rq[i].e[k].account, account) == 0 &&
			    strcmp(l->rq[i].e[k].item, item) == 0)
				return 1;
	return 0;
}

uint64_t
bg_ledger_epoch(const bg_ledger_t *l, const char *account, const char *item,
    uint64_t version, const char *group)
{
	size_t i;

	for (i = l->nep; i-- > 0;)
		if (l->ep[i].s.version == version &&
		    strcmp(l->ep[i].s.account, account) == 0 &&
		    strcmp(l->ep[i].s.item, item) == 0 &&
		    strcmp(l->ep[i].group, group) == 0)
			return l->ep[i].epoch;
	return 0;
}

size_t
bg_ledger_holders(const bg_ledger_t *l, const struct bg_ledger_slot *s,
    const char *group, const char **persons, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < l->nsh && n < max; i++) {
		if (!same_slot(&l->sh[i].s, s) ||
		    strcmp(l->sh[i].group, group) != 0)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(persons[k], l->sh[i].person) == 0)
				break;
		if (k == n)
			persons[n++] = l->sh[i].person;
	}
	return n;
}

int
bg_ledger_approved(const bg_ledger_t *l, const char *id, const char *person)
{
	size_t i;

	for (i = 0; i < l->nburn; i++)
		if (strcmp(l->burn[i].request, id) == 0 &&
		    strcmp(l->burn[i].person, person) == 0)
			return 1;
	for (i = 0; i < l->nsh; i++)
		if (strcmp(l->sh[i].person, person) == 0 &&
		    bg_ledger_burned(l, &l->sh[i].s) != NULL &&
		    strcmp(bg_ledger_burned(l, &l->sh[i].s)->request, id) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ snapshot */

/* [account, item, version, slot] */
static cJSON *
slot_json(const struct bg_ledger_slot *s)
{
	cJSON *a = cJSON_CreateArray();

	if (a == NULL || bg_json_add(a, NULL, cJSON_CreateString(s->account)) !=
	    BG_OK || bg_json_add(a, NULL, cJSON_CreateString(s->item)) !=
	    BG_OK || bg_json_add(a, NULL, cJSON_CreateNumber((double)
	    s->version)) != BG_OK || bg_json_add(a, NULL,
	    cJSON_CreateNumber((double)s->slot)) != BG_OK) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

static int
slot_from(const cJSON *a, struct bg_ledger_slot *s)
{
	const cJSON *acct = cJSON_GetArrayItem(a, 0), *it = cJSON_GetArrayItem(
	    a, 1), *v = cJSON_GetArrayItem(a, 2), *sl = cJSON_GetArrayItem(a, 3);

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4 ||
	    !cJSON_IsString(acct) || strlen(acct->valuestring) > BG_ACCOUNT_MAX ||
	    !cJSON_IsString(it) || strlen(it->valuestring) > BG_NAME_MAX ||
	    !whole(v, 0, (double)BG_JSON_INT_MAX) ||
	    !whole(sl, 0, BG_SLOTS_MAX - 1))
		return BG_EFORMAT;
	memset(s, 0, sizeof(*s));
	snprintf(s->account, sizeof(s->account), "%s", acct->valuestring);
	snprintf(s->item, sizeof(s->item), "%s", it->valuestring);
	s->version = (uint64_t)v->valuedouble;
	s->slot = (uint32_t)sl->valuedouble;
	return BG_OK;
}

/* A string of at most max bytes into dst. */
static int
str_from(const cJSON *j, char *dst, size_t max)
{
	if (!cJSON_IsString(j) || strlen(j->valuestring) > max)
		return BG_EFORMAT;
	memcpy(dst, j->valuestring, strlen(j->valuestring) + 1);
	return BG_OK;
}

static int
add_str(cJSON *a, const char *s)
{
	return bg_json_add(a, NULL, cJSON_CreateString(s));
}

static int
add_num(cJSON *a, double v)
{
	return bg_json_add(a, NULL, cJSON_CreateNumber(v));
}

/* One request: [id, requester, expiry, closed, quorum, [slots]] */
static cJSON *
rq_json(const struct lrq *q)
{
	cJSON *a = cJSON_CreateArray(), *e = NULL;
	size_t k;
	int r = a == NULL ? BG_ENOMEM : BG_OK;

	if (r == BG_OK && ((r = add_str(a, q->id)) != BG_OK ||
	    (r = add_str(a, q->requester)) != BG_OK ||
	    (r = add_num(a, (double)q->expiry)) != BG_OK ||
	    (r = add_num(a, q->closed)) != BG_OK ||
	    (r = add_num(a, q->quorum)) != BG_OK ||
	    (r = bg_json_add(a, NULL, e = cJSON_CreateArray())) != BG_OK))
		e = NULL;
	for (k = 0; r == BG_OK && k < q->ne; k++)
		r = bg_json_add(e, NULL, slot_json(&q->e[k]));
	if (r != BG_OK) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

static int
rq_from(bg_ledger_t *l, const cJSON *a)
{
	const cJSON *x, *e = cJSON_GetArrayItem(a, 5);
	struct lrq *q;
	int r;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 6 ||
	    !cJSON_IsArray(e) || cJSON_GetArraySize(e) > ENTRIES_MAX ||
	    !whole(cJSON_GetArrayItem(a, 2), 0, (double)BG_TIME_MAX) ||
	    !whole(cJSON_GetArrayItem(a, 3), 0, 1) ||
	    !whole(cJSON_GetArrayItem(a, 4), 0, 1))
		return BG_EFORMAT;
	if ((q = grow(&l->rq, &l->nrq, &l->caprq, sizeof(*q))) == NULL)
		return BG_ENOMEM;
	if ((r = str_from(cJSON_GetArrayItem(a, 0), q->id, BG_REQUEST_ID_LEN)) !=
	    BG_OK || find_rq(l, q->id) != NULL ||
	    (r = str_from(cJSON_GetArrayItem(a, 1), q->requester,
	    BG_NAME_MAX)) != BG_OK) {
		l->nrq--;
		return BG_EFORMAT;
	}
	q->expiry = (uint64_t)cJSON_GetArrayItem(a, 2)->valuedouble;
	q->closed = (int)cJSON_GetArrayItem(a, 3)->valuedouble;
	q->quorum = (int)cJSON_GetArrayItem(a, 4)->valuedouble;
	cJSON_ArrayForEach(x, e)
		if ((r = slot_from(x, &q->e[q->ne++])) != BG_OK)
			return r;
	return index_add(&l->rqi, l->nrq - 1, rq_hash(q->id), l->rq, rq_at);
}

/* Each kind of record as an array, by the ledger's own order. */
static int
records_json(const bg_ledger_t *l, cJSON *o)
{
	cJSON *rq, *burn, *sh, *ep, *ex, *a;
	size_t i;
	int r = BG_OK;

	if (bg_json_add(o, "requests", rq = cJSON_CreateArray()) != BG_OK ||
	    bg_json_add(o, "burns", burn = cJSON_CreateArray()) != BG_OK ||
	    bg_json_add(o, "shares", sh = cJSON_CreateArray()) != BG_OK ||
	    bg_json_add(o, "epochs", ep = cJSON_CreateArray()) != BG_OK ||
	    bg_json_add(o, "exposed", ex = cJSON_CreateArray()) != BG_OK)
		return BG_ENOMEM;
	for (i = 0; r == BG_OK && i < l->nrq; i++)
		r = bg_json_add(rq, NULL, rq_json(&l->rq[i]));
	for (i = 0; r == BG_OK && i < l->nburn; i++)
		if ((r = bg_json_add(burn, NULL, a = cJSON_CreateArray())) ==
		    BG_OK && (r = bg_json_add(a, NULL, slot_json(
		    &l->burn[i].s))) == BG_OK && (r = add_str(a,
		    l->burn[i].request)) == BG_OK && (r = add_str(a,
		    l->burn[i].person)) == BG_OK)
			r = add_num(a, (double)l->burn[i].time);
	for (i = 0; r == BG_OK && i < l->nsh; i++)
		if ((r = bg_json_add(sh, NULL, a = cJSON_CreateArray())) ==
		    BG_OK && (r = bg_json_add(a, NULL, slot_json(
		    &l->sh[i].s))) == BG_OK && (r = add_str(a,
		    l->sh[i].person)) == BG_OK)
			r = add_str(a, l->sh[i].group);
	for (i = 0; r == BG_OK && i < l->nep; i++)
		if ((r = bg_json_add(ep, NULL, a = cJSON_CreateArray())) ==
		    BG_OK && (r = bg_json_add(a, NULL, slot_json(
		    &l->ep[i].s))) == BG_OK && (r = add_str(a,
		    l->ep[i].group)) == BG_OK)
			r = add_num(a, (double)l->ep[i].epoch);
	for (i = 0; r == BG_OK && i < l->nexposed; i++)
		r = bg_json_add(ex, NULL, slot_json(&l->exposed[i]));
	return r;
}

int
bg_ledger_to_json(const bg_ledger_t *l, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	int r = BG_ENOMEM;

	if (o != NULL && cJSON_AddNumberToObject(o, "size", (double)l->size) &&
	    cJSON_AddNumberToObject(o, "chain_n", (double)l->chain_n) &&
	    cJSON_AddStringToObject(o, "chain_head", l->chain_head))
		r = records_json(l, o);
	if (r != BG_OK) {
		cJSON_Delete(o);
		o = NULL;
	}
	*out = o;
	return r;
}

static int
burn_from(bg_ledger_t *l, const cJSON *a)
{
	struct bg_ledger_burn *b;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4 ||
	    !whole(cJSON_GetArrayItem(a, 3), 0, (double)BG_TIME_MAX) ||
	    (b = grow(&l->burn, &l->nburn, &l->capburn, sizeof(*b))) == NULL)
		return BG_EFORMAT;
	if (slot_from(cJSON_GetArrayItem(a, 0), &b->s) != BG_OK ||
	    bg_ledger_burned(l, &b->s) != NULL ||
	    str_from(cJSON_GetArrayItem(a, 1), b->request,
	    BG_REQUEST_ID_LEN) != BG_OK || str_from(cJSON_GetArrayItem(a, 2),
	    b->person, BG_NAME_MAX) != BG_OK) {
		l->nburn--;
		return BG_EFORMAT;
	}
	b->time = (uint64_t)cJSON_GetArrayItem(a, 3)->valuedouble;
	return index_add(&l->burni, l->nburn - 1, slot_hash(&b->s), l->burn,
	    burn_at);
}

static int
share_from(bg_ledger_t *l, const cJSON *a)
{
	struct lshare *x;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3 ||
	    (x = grow(&l->sh, &l->nsh, &l->capsh, sizeof(*x))) == NULL)
		return BG_EFORMAT;
	return slot_from(cJSON_GetArrayItem(a, 0), &x->s) != BG_OK ||
	    str_from(cJSON_GetArrayItem(a, 1), x->person, BG_NAME_MAX) !=
	    BG_OK || str_from(cJSON_GetArrayItem(a, 2), x->group,
	    BG_NAME_MAX) != BG_OK ? BG_EFORMAT : BG_OK;
}

static int
epoch_from(bg_ledger_t *l, const cJSON *a)
{
	struct lepoch *p;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3 ||
	    !whole(cJSON_GetArrayItem(a, 2), 2, (double)BG_JSON_INT_MAX) ||
	    (p = grow(&l->ep, &l->nep, &l->capep, sizeof(*p))) == NULL)
		return BG_EFORMAT;
	p->epoch = (uint64_t)cJSON_GetArrayItem(a, 2)->valuedouble;
	return slot_from(cJSON_GetArrayItem(a, 0), &p->s) != BG_OK ||
	    str_from(cJSON_GetArrayItem(a, 1), p->group, BG_NAME_MAX) !=
	    BG_OK ? BG_EFORMAT : BG_OK;
}

static int
exposed_from(bg_ledger_t *l, const cJSON *a)
{
	struct bg_ledger_slot *x;

	if ((x = grow(&l->exposed, &l->nexposed, &l->capexposed,
	    sizeof(*x))) == NULL)
		return BG_ENOMEM;
	return slot_from(a, x);
}

static int
each(bg_ledger_t *l, const cJSON *o, const char *key,
    int (*fn)(bg_ledger_t *, const cJSON *))
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key), *x;
	int r;

	if (!cJSON_IsArray(arr))
		return BG_EFORMAT;
	cJSON_ArrayForEach(x, arr)
		if ((r = fn(l, x)) != BG_OK)
			return r;
	return BG_OK;
}

int
bg_ledger_from_json(const cJSON *j, bg_ledger_t **out)
{
	static const char *const keys[] = { "size", "chain_n", "chain_head",
	    "requests", "burns", "shares", "epochs", "exposed", NULL };
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "chain_n");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "chain_head");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size");
	bg_ledger_t *l;
	int r;

	*out = NULL;
	if (bg_json_only_keys(j, keys) != BG_OK ||
	    !whole(size, 0, (double)BG_JSON_INT_MAX) ||
	    !whole(n, 0, (double)BG_JSON_INT_MAX) || !cJSON_IsString(h) ||
	    (strlen(h->valuestring) != 0 && strlen(h->valuestring) != 64))
		return BG_EFORMAT;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return BG_ENOMEM;
	l->size = (uint64_t)size->valuedouble;
	l->chain_n = (uint64_t)n->valuedouble;
	memcpy(l->chain_head, h->valuestring, strlen(h->valuestring) + 1);
	if ((r = each(l, j, "requests", rq_from)) != BG_OK ||
	    (r = each(l, j, "burns", burn_from)) != BG_OK ||
	    (r = each(l, j, "shares", share_from)) != BG_OK ||
	    (r = each(l, j, "epochs", epoch_from)) != BG_OK ||
	    (r = each(l, j, "exposed", exposed_from)) != BG_OK) {
		bg_ledger_free(&l);
		return r == BG_ENOMEM ? r : BG_EFORMAT;
	}
	*out = l;
	return BG_OK;
}

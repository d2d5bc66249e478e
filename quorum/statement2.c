/*
 * Approval statements of vault format v2 (docs/design.md §5.2, "Approve"
 * step 3): the canonical text a custodian's token signs, binding their
 * decision to the request's hash, the vault fingerprint, the chain head,
 * the audit log they saw, and per slot the box they opened and the box
 * they wrote.
 *
 * As for the request (request2.c): one statement has one text, the
 * parser accepts exactly what the builder writes, and what the approver
 * is shown is rendered from the parsed fields only. A deny opens
 * nothing, so its box hashes are all zero and must be; an approval's
 * never are, so the two decisions cannot be confused.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "quorum/canon.h"
#include "quorum/quorum.h"

#define WHAT "approval statement"

enum {
	L_FORMAT = 1, L_VAULT, L_CHAIN, L_REQUEST, L_LOG_SIZE, L_LOG_ROOT,
	L_GROUP, L_PERSON, L_TOKEN, L_DECISION, L_ENTRIES, L_ENTRY
};

/* ------------------------------------------------------------- the rules */

static const char *
decision_word(int d)
{
	return d == BG_DECISION_APPROVE ? "approve" :
	    d == BG_DECISION_DENY ? "deny" : NULL;
}

/* Exactly BG_TOKEN_HEX_LEN lower-case hex digits (reads no further). */
static int
token_valid(const char *s)
{
	return bg_lowhex_valid(s, BG_TOKEN_HEX_LEN) &&
	    s[BG_TOKEN_HEX_LEN] == '\0';
}

/* The box hashes say what the decision says. */
static int
hashes_check(int decision, const struct bg_statement2_entry *e)
{
	int zo = bg_all_zero(e->opened, 32), zw = bg_all_zero(e->written, 32);

	return decision == BG_DECISION_DENY ? zo && zw : !zo && !zw;
}

static int
order_check(const struct bg_statement2 *st, size_t i, struct bg_fault *f)
{
	const char *item = st->entry[i].item;
	unsigned line = L_ENTRY + (unsigned)i;
	size_t j;

	if (i > 0 && strcmp(st->entry[i - 1].item, item) >= 0)
		return bg_fault(f, line, "entry", "entries must be sorted by "
		    "item name, each item once");
	for (j = 0; j < i; j++)
		if (bg_name_same(st->entry[j].item, item))
			return bg_fault(f, line, "entry", "the item is listed "
			    "twice (names that differ in case are one)");
	return 0;
}

static int
entry_check(const struct bg_statement2 *st, size_t i, struct bg_fault *f)
{
	const struct bg_statement2_entry *e = &st->entry[i];
	unsigned line = L_ENTRY + (unsigned)i;

	if (!bg_name_valid(e->item))
		return bg_fault(f, line, "entry", "the item must be a name");
	if (e->version == 0)
		return bg_fault(f, line, "entry", "the version must be at "
		    "least 1");
	if (e->slot >= BG_SLOTS_MAX)
		return bg_fault(f, line, "entry", "the slot must be below "
		    "256");
	if (e->x == 0)
		return bg_fault(f, line, "entry", "x must be 1..255");
	if (order_check(st, i, f) != 0)
		return -1;
	if (!hashes_check(st->decision, e))
		return bg_fault(f, line, "entry", st->decision ==
		    BG_DECISION_DENY ? "a deny opens no box: both box hashes "
		    "must be all zero" : "an approval names the boxes it "
		    "opened and wrote: neither hash may be all zero");
	return 0;
}

/* 0 when every field keeps its rule; else -1 and *f names the first. */
static int
statement_check(const void *obj, struct bg_fault *f)
{
	const struct bg_statement2 *st = obj;
	size_t i;

	if (!bg_name_valid(st->group))
		return bg_fault(f, L_GROUP, "group", "the group must be a "
		    "name");
	if (!bg_name_valid(st->person))
		return bg_fault(f, L_PERSON, "person", "the person must be a "
		    "name");
	if (!token_valid(st->token))
		return bg_fault(f, L_TOKEN, "token", "the token id must be 32 "
		    "lower-case hex digits");
	if (decision_word(st->decision) == NULL)
		return bg_fault(f, L_DECISION, "decision", "the decision must "
		    "be approve or deny");
	if (st->nentries == 0 || st->nentries > BG_POLICY_ITEMS_MAX)
		return bg_fault(f, L_ENTRIES, "entries", "a statement names "
		    "1..32 entries");
	for (i = 0; i < st->nentries; i++)
		if (entry_check(st, i, f) != 0)
			return -1;
	return 0;
}

/* ---------------------------------------------------------------- build */

static void
put_entry_line(struct bg_out *o, const struct bg_statement2_entry *e)
{
	bg_out_put(o, "entry %s %llu %u %llu %u ", e->item,
	    (unsigned long long)e->version, (unsigned)e->slot,
	    (unsigned long long)e->epoch, (unsigned)e->x);
	bg_out_hex(o, e->opened, 32);
	bg_out_put(o, " ");
	bg_out_hex(o, e->written, 32);
	bg_out_put(o, "\n");
}

/* The canonical text of a checked statement into o. */
static void
render(struct bg_out *o, const void *obj)
{
	const struct bg_statement2 *st = obj;
	size_t i;

	bg_out_put(o, "format %s\n", BG_STATEMENT2_FORMAT);
	bg_out_hex_line(o, "vault", st->vault, sizeof(st->vault));
	bg_out_hex_line(o, "chain", st->chain, sizeof(st->chain));
	bg_out_hex_line(o, "request-sha256", st->request, 32);
	bg_out_put(o, "log-size %llu\n", (unsigned long long)st->log_size);
	bg_out_hex_line(o, "log-root", st->log_root, 32);
	bg_out_put(o, "group %s\n", st->group);
	bg_out_put(o, "person %s\n", st->person);
	bg_out_put(o, "token %s\n", st->token);
	bg_out_put(o, "decision %s\n", decision_word(st->decision));
	bg_out_put(o, "entries %zu\n", st->nentries);
	for (i = 0; i < st->nentries; i++)
		put_entry_line(o, &st->entry[i]);
}

/* ---------------------------------------------------------------- parse */

static int
take_decision(struct bg_canon *c, int *d)
{
	struct bg_span v;

	if (bg_canon_take(c, "decision", &v) != 0)
		return -1;
	if (bg_span_is(v, "approve"))
		*d = BG_DECISION_APPROVE;
	else if (bg_span_is(v, "deny"))
		*d = BG_DECISION_DENY;
	else
		return bg_canon_fail(c, c->line - 1, "decision", "must be "
		    "approve or deny");
	return 0;
}

/* Slot below BG_SLOTS_MAX and x in 1..255. */
static int
take_slot_x(struct bg_canon *c, struct bg_span fs, struct bg_span fx,
    struct bg_statement2_entry *e)
{
	uint64_t slot, x;

	if (bg_span_u64(fs, &slot) != 0 || bg_span_u64(fx, &x) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "version, slot, "
		    "epoch and x must be decimal numbers without leading "
		    "zeros");
	if (slot >= BG_SLOTS_MAX)
		return bg_canon_fail(c, c->line - 1, "entry", "the slot must "
		    "be below %d", BG_SLOTS_MAX);
	if (x == 0 || x > 255)
		return bg_canon_fail(c, c->line - 1, "entry", "x must be "
		    "1..255");
	e->slot = (uint32_t)slot;
	e->x = (uint8_t)x;
	return 0;
}

static int
take_entry(struct bg_canon *c, struct bg_statement2_entry *e)
{
	struct bg_span v, f[7];

	if (bg_canon_take(c, "entry", &v) != 0)
		return -1;
	if (bg_span_split(v, f, 7) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "must be \"entry "
		    "<item> <version> <slot> <epoch> <x> <opened> <written>\", "
		    "one space apart");
	if (bg_span_str(f[0], e->item, sizeof(e->item), bg_name_valid) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "the item must "
		    "be a name (1..64 of A-Z a-z 0-9 . _ @ -)");
	if (bg_span_u64(f[1], &e->version) != 0 ||
	    bg_span_u64(f[3], &e->epoch) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "version, slot, "
		    "epoch and x must be decimal numbers without leading "
		    "zeros");
	if (take_slot_x(c, f[2], f[4], e) != 0)
		return -1;
	if (bg_span_hex(f[5], e->opened, 32) != 0 ||
	    bg_span_hex(f[6], e->written, 32) != 0)
		return bg_canon_fail(c, c->line - 1, "entry", "the box hashes "
		    "must be 64 lower-case hex digits each");
	return 0;
}

/* "entries <n>", then exactly n entry lines. */
static int
take_entries(struct bg_canon *c, struct bg_statement2 *st)
{
	struct bg_fault f;
	size_t i;

	if (bg_canon_count(c, "entries", BG_POLICY_ITEMS_MAX,
	    &st->nentries) != 0)
		return -1;
	for (i = 0; i < st->nentries; i++) {
		if (take_entry(c, &st->entry[i]) != 0)
			return -1;
		if (entry_check(st, i, &f) != 0)	/* order, as read */
			return bg_canon_fail(c, f.line, f.key, "%s", f.rule);
	}
	return bg_canon_end(c, "entry");
}

static int
take_fields(struct bg_canon *c, void *obj)
{
	struct bg_statement2 *st = obj;
	if (bg_canon_literal(c, "format", BG_STATEMENT2_FORMAT) != 0 ||
	    bg_canon_hex(c, "vault", st->vault, sizeof(st->vault)) != 0 ||
	    bg_canon_hex(c, "chain", st->chain, sizeof(st->chain)) != 0 ||
	    bg_canon_hex(c, "request-sha256", st->request, 32) != 0 ||
	    bg_canon_u64(c, "log-size", &st->log_size) != 0 ||
	    bg_canon_hex(c, "log-root", st->log_root, 32) != 0 ||
	    bg_canon_str(c, "group", st->group, sizeof(st->group),
	    bg_name_valid, "a name") != 0 ||
	    bg_canon_str(c, "person", st->person, sizeof(st->person),
	    bg_name_valid, "a name") != 0 ||
	    bg_canon_str(c, "token", st->token, sizeof(st->token),
	    token_valid, "32 lower-case hex digits") != 0 ||
	    take_decision(c, &st->decision) != 0)
		return -1;
	return take_entries(c, st);
}

static const struct bg_canon_kind kind = {
	WHAT, BG_STATEMENT2_TAG, BG_STATEMENT2_MAX, sizeof(struct bg_statement2),
	take_fields, statement_check, render,
};

int
bg_statement2_build(const struct bg_statement2 *st, char *out, size_t outsz,
    size_t *len)
{
	return bg_canon_build(&kind, st, out, outsz, len);
}

int
bg_statement2_parse(const char *text, size_t len, struct bg_statement2 *st)
{
	return bg_canon_parse(&kind, text, len, st);
}

int
bg_statement2_hash(const char *text, size_t len, uint8_t out[32])
{
	return bg_canon_hash(&kind, text, len, out);
}

/* -------------------------------------------------------------- describe */

static void
put_entry(struct bg_out *o, int decision, const struct bg_statement2_entry *e)
{
	bg_out_put(o, "    %s  version %llu  slot %u  epoch %llu  x %u\n",
	    e->item, (unsigned long long)e->version, (unsigned)e->slot,
	    (unsigned long long)e->epoch, (unsigned)e->x);
	if (decision == BG_DECISION_DENY)
		return;	/* the hashes are zero: no box */
	bg_out_put(o, "      box opened   ");
	bg_out_hex(o, e->opened, 32);
	bg_out_put(o, "\n      box written  ");
	bg_out_hex(o, e->written, 32);
	bg_out_put(o, "\n");
}

static void
put_statement(struct bg_out *o, const struct bg_statement2 *st)
{
	size_t i;

	bg_out_put(o, "Approval statement (%s):\n", BG_STATEMENT2_FORMAT);
	bg_out_put(o, "  decision           %s\n",
	    st->decision == BG_DECISION_APPROVE ? "APPROVE" : "DENY");
	bg_out_put(o, "  group              %s\n", st->group);
	bg_out_put(o, "  person             %s\n", st->person);
	bg_out_put(o, "  token              %s\n", st->token);
	bg_out_hex_labelled(o, "request-sha256", st->request, 32);
	bg_out_hex_labelled(o, "vault fingerprint", st->vault, 32);
	bg_out_hex_labelled(o, "chain head", st->chain, 32);
	bg_out_put(o, "  log size           %llu\n",
	    (unsigned long long)st->log_size);
	bg_out_hex_labelled(o, "log root", st->log_root, 32);
	bg_out_put(o, "  slots (%zu):\n", st->nentries);
	for (i = 0; i < st->nentries; i++)
		put_entry(o, st->decision, &st->entry[i]);
}

int
bg_statement2_describe(const char *text, size_t len, char *out, size_t outsz)
{
	struct bg_statement2 *st;
	struct bg_out o;
	int r;

	bg_clear_why();
	if (text == NULL || out == NULL || outsz == 0)
		return BG_EINVAL;
	bg_out_init(&o, out, outsz);
	if ((st = bg_canon_parse_alloc(&kind, text, len, &r)) == NULL)
		return r;
	put_statement(&o, st);
	free(st);
	if (o.full) {
		out[0] = '\0';
		return BG_ETOOBIG;
	}
	return BG_OK;
}

/* status (ceremony.h): the open requests and what each lacks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

/* ============================================================== status */

/*
 * Each approval as release would check it (cer_approval_check): counted,
 * not counted (named, with why), or forged (named, *forged set, and the
 * names listed in bad for the refusal).
 */
static int
print_approvals(struct bg_cer *c, const struct bg_rqfile *f, int *forged,
    char *bad, size_t badsz)
{
	char why[512];
	size_t i, len = 0;
	int r;

	*forged = 0;
	bad[0] = '\0';
	for (i = 0; i < f->napprovals; i++) {
		const struct bg_rq_approval *ap = &f->approvals[i];

		r = cer_approval_check(c, f, i);
		snprintf(why, sizeof(why), "%s", bg_why());
		if (r == BG_OK)
			fprintf(c->out, "  approved: %s (group %s)\n",
			    ap->custodian, ap->group);
		else if (r == BG_EPERM)
			fprintf(c->out, "  not counted: %s (group %s): %s\n",
			    ap->custodian, ap->group, why);
		else if (r == BG_ETAMPER) {
			fprintf(c->out, "  INVALID approval: %s (group %s): "
			    "%s\n", ap->custodian, ap->group, why);
			if (len < badsz)
				len += (size_t)snprintf(bad + len, badsz - len,
				    "%s%s", *forged ? ", " : "", ap->custodian);
			*forged = 1;
		} else
			return r;
	}
	return BG_OK;
}

/*
 * One request and what it lacks; BG_ETAMPER (bg_why() naming the forged
 * approvals) after printing it when an approval does not verify.
 */
static int
print_request(struct bg_cer *c, const struct bg_rqfile *f)
{
	char exp[BG_RFC3339_LEN + 1], why[512], bad[256];
	const char *state = bg_rq_state_str(f->state);
	size_t i;
	int r, forged;

	bg_rfc3339_format(bg_request_expiry(f->rq), exp);
	if (f->state == BG_RQ_OPEN && c->now >= bg_request_expiry(f->rq))
		state = "expired";
	fprintf(c->out, "request %s  [%s]\n  account %s, requester %s, "
	    "expires %s\n  items:", bg_request_id(f->rq), state,
	    bg_request_account(f->rq), bg_request_requester(f->rq), exp);
	for (i = 0; i < bg_request_nitems(f->rq); i++)
		fprintf(c->out, " %s", bg_request_items(f->rq)[i]);
	fprintf(c->out, "\n");
	if ((r = print_approvals(c, f, &forged, bad, sizeof(bad))) != BG_OK)
		return r;
	if (f->state == BG_RQ_DENIED)
		fprintf(c->out, "  denied by %s\n", f->denied_by);
	else if (f->state == BG_RQ_OPEN && cer_quorum(c, f, why,
	    sizeof(why), NULL) != BG_OK)
		fprintf(c->out, "  missing: %s\n", why);
	else if (f->state == BG_RQ_OPEN && !forged)
		fprintf(c->out, "  quorum met: ready for release\n");
	if (!forged)
		return BG_OK;
	fprintf(c->out, "  refused: an approval does not verify (the request "
	    "file was edited); release would refuse it\n");
	bg_set_why("request %s holds an approval that does not verify (by "
	    "%s): not counted, and release would refuse it",
	    bg_request_id(f->rq), bad);
	return BG_ETAMPER;
}

/* A request whose approvals do not verify: recorded as a refusal. */
static int
refuse_forged(struct bg_cer *c, const struct bg_rqfile *f)
{
	return cer_refuse(c, "status", bg_request_id(f->rq),
	    bg_request_account(f->rq), "", BG_ETAMPER);
}

/* Calls fn for every request file id under STATE/requests. */
static int
each_request(struct bg_cer *c, size_t *n, int *forged)
{
	char path[BG_PATH_MAX], id[BG_REQUEST_ID_LEN + 1];
	struct bg_rqfile *f;
	struct dirent *de;
	DIR *d;
	int r = BG_OK;

	if (bg_path_join(path, sizeof(path), c->st.dir, "requests") != BG_OK)
		return BG_ETOOBIG;
	if ((d = opendir(path)) == NULL)
		return BG_OK;
	while ((de = readdir(d)) != NULL && r == BG_OK) {
		if (strlen(de->d_name) != BG_REQUEST_ID_LEN + 5 ||
		    strcmp(de->d_name + BG_REQUEST_ID_LEN, ".json") != 0)
			continue;
		memcpy(id, de->d_name, BG_REQUEST_ID_LEN);
		id[BG_REQUEST_ID_LEN] = '\0';
		if ((r = cer_load(c, id, &f)) != BG_OK)
			break;
		if (f->state == BG_RQ_OPEN) {
			if ((r = print_request(c, f)) == BG_ETAMPER &&
			    (r = refuse_forged(c, f)) == BG_ETAMPER) {
				*forged = 1;	/* recorded: the next one */
				r = BG_OK;
			}
			++*n;
		}
		bg_rqfile_free(&f);
	}
	closedir(d);
	return r;
}

int
bg_cer_status(struct bg_cer *c, const char *id)
{
	struct bg_rqfile *f = NULL;
	size_t n = 0;
	int r, forged = 0;

	if ((r = bg_cer_note(c, "request.status", "", "", id ? id : "", NULL)) !=
	    BG_OK)
		return r;
	if (id == NULL) {
		if ((r = each_request(c, &n, &forged)) == BG_OK && n == 0)
			fprintf(c->out, "no open request\n");
		else if (r != BG_OK && r != BG_ENOMEM)
			r = cer_refuse(c, "status", "", "", "", r);
		return r == BG_OK && forged ? BG_ETAMPER : r;
	}
	if ((r = cer_load(c, id, &f)) != BG_OK)
		return r == BG_ENOMEM ? r : cer_refuse(c, "status", id, "", "",
		    r);
	if ((r = print_request(c, f)) == BG_ETAMPER)
		r = refuse_forged(c, f);
	bg_rqfile_free(&f);
	return r;
}

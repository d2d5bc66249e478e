/* status (ceremony.h): the open requests and what each lacks. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ceremony/internal.h"

/* ============================================================== status */

static void
print_request(struct bg_cer *c, const struct bg_rqfile *f)
{
	char exp[BG_RFC3339_LEN + 1], why[512];
	const char *state = bg_rq_state_str(f->state);
	size_t i;

	bg_rfc3339_format(bg_request_expiry(f->rq), exp);
	if (f->state == BG_RQ_OPEN && c->now >= bg_request_expiry(f->rq))
		state = "expired";
	fprintf(c->out, "request %s  [%s]\n  account %s, requester %s, "
	    "expires %s\n  items:", bg_request_id(f->rq), state,
	    bg_request_account(f->rq), bg_request_requester(f->rq), exp);
	for (i = 0; i < bg_request_nitems(f->rq); i++)
		fprintf(c->out, " %s", bg_request_items(f->rq)[i]);
	fprintf(c->out, "\n");
	for (i = 0; i < f->napprovals; i++)
		fprintf(c->out, "  approved: %s (group %s)\n",
		    f->approvals[i].custodian, f->approvals[i].group);
	if (f->state == BG_RQ_DENIED)
		fprintf(c->out, "  denied by %s\n", f->denied_by);
	else if (f->state == BG_RQ_OPEN && cer_quorum(c, f, why,
	    sizeof(why), NULL) != BG_OK)
		fprintf(c->out, "  missing: %s\n", why);
	else if (f->state == BG_RQ_OPEN)
		fprintf(c->out, "  quorum met: ready for release\n");
}

/* Calls fn for every request file id under STATE/requests. */
static int
each_request(struct bg_cer *c, size_t *n)
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
			print_request(c, f);
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
	int r;

	if ((r = bg_cer_note(c, "request.status", "", "", id ? id : "", NULL)) !=
	    BG_OK)
		return r;
	if (id == NULL) {
		if ((r = each_request(c, &n)) == BG_OK && n == 0)
			fprintf(c->out, "no open request\n");
		else if (r != BG_OK && r != BG_ENOMEM)
			r = cer_refuse(c, "status", "", "", "", r);
		return r;
	}
	if ((r = cer_load(c, id, &f)) != BG_OK)
		return r == BG_ENOMEM ? r : cer_refuse(c, "status", id, "", "",
		    r);
	print_request(c, f);
	bg_rqfile_free(&f);
	return BG_OK;
}

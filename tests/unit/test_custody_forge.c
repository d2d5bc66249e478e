/*
 * test_custody_forge AUDIT_DIR EVENT ACTOR DETAIL_JSON: appends one entry
 * to a log, as an attacker holding the host's audit signing key could
 * (docs/design.md §2: root on the host outside a ceremony). Used by
 * tests/e2e/test_custody_cli.sh to prove that a forged or altered
 * attestation is rejected by 'custody check' even though the log itself
 * verifies. Not a test on its own; never installed.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"

int
main(int argc, char **argv)
{
	struct bg_audit_event ev;
	bg_audit_t *log = NULL;
	cJSON *d;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: %s AUDIT_DIR EVENT ACTOR DETAIL_JSON\n",
		    argv[0]);
		return 2;
	}
	if ((d = bg_json_parse(argv[4], strlen(argv[4]))) == NULL) {
		fprintf(stderr, "forge: DETAIL_JSON is not JSON\n");
		return 2;
	}
	memset(&ev, 0, sizeof(ev));
	ev.event = argv[2];
	ev.actor = argv[3];
	ev.detail = d;
	if ((r = bg_audit_open(argv[1], BG_AUDIT_WRITE, &log)) == BG_OK)
		r = bg_audit_append(log, &ev, NULL);
	bg_audit_close(&log);
	cJSON_Delete(d);
	if (r != BG_OK) {
		fprintf(stderr, "forge: %s: %s\n", bg_strerror(r), bg_why());
		return 1;
	}
	return 0;
}

/*
 * bench_fill: grows the audit log of a state directory by N entries of
 * the kinds a vault in daily use writes most (reads, custody checks,
 * posture runs, notes), none of which names a state file, a request or
 * a slot: the state stays consistent (vault verify and audit verify
 * pass), only the log is longer. Every 10,000th entry is an
 * "alert.test", a rare event to look for. For bench_scale.py.
 *
 * usage: bench_fill STATE_DIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "audit/audit.h"

#define BATCH 8192

static const char *const kinds[] = { "vault.read", "custody.check",
	"aws.posture", "operator.note", "config.read", "request.status" };

int
main(int argc, char **argv)
{
	static struct bg_audit_event ev[BATCH];
	char dir[1024];
	bg_audit_t *log = NULL;
	cJSON *detail[6], *rare;
	unsigned long long n, done = 0;
	size_t i, k;
	int r;

	if (argc != 3 || snprintf(dir, sizeof(dir), "%s/audit", argv[1]) >=
	    (int)sizeof(dir) || (n = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_fill STATE_DIR N\n");
		return 2;
	}
	for (k = 0; k < 6; k++) {
		detail[k] = cJSON_CreateObject();
		cJSON_AddStringToObject(detail[k], "text", "bench filler: a "
		    "day of normal use, about two hundred bytes per entry");
	}
	rare = cJSON_CreateObject();
	cJSON_AddStringToObject(rare, "sink", "soc");
	if ((r = bg_audit_open(dir, BG_AUDIT_WRITE, &log)) != BG_OK) {
		fprintf(stderr, "bench_fill: open %s: %s\n", dir, bg_audit_why());
		return 1;
	}
	while (done < n) {
		for (i = 0; i < BATCH && done + i < n; i++) {
			uint64_t seq = bg_audit_size(log) + i;

			k = seq % 6;
			ev[i].event = seq % 10000 == 0 ? "alert.test" : kinds[k];
			ev[i].actor = "root";
			ev[i].account = "";
			ev[i].request = "";
			ev[i].detail = seq % 10000 == 0 ? rare : detail[k];
		}
		if ((r = bg_audit_append_batch(log, ev, i, NULL)) != BG_OK) {
			fprintf(stderr, "bench_fill: append: %s\n",
			    bg_audit_why());
			bg_audit_close(&log);
			return 1;
		}
		done += i;
	}
	bg_audit_close(&log);
	for (k = 0; k < 6; k++)
		cJSON_Delete(detail[k]);
	cJSON_Delete(rare);
	return 0;
}

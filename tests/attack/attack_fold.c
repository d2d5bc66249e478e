/*
 * attack_fold: the attacker's own program (docs/design.md §8), with a
 * copy of the state directory and so the log's signing key: it anchors a
 * snapshot of its own making (STATE/index/fold, broker/ceremony/fold.c)
 * by appending the state.snapshot entry that names its digest, as the
 * project's writer would. Commands then believe it, which is what
 * holding the log's key allows; vault verify recomputes every anchored
 * snapshot from the entries and names this one (test_attack_fold.py).
 *
 * usage: attack_fold STATE_DIR BODY_FILE
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"
#include "audit/audit.h"

int
main(int argc, char **argv)
{
	char dir[1024], path[1024], hex[65], head[40], *body = NULL, *text;
	struct bg_audit_event ev = { "state.snapshot", "breakglass", "", "",
	    NULL };
	bg_audit_t *log = NULL;
	uint64_t covers;
	uint8_t h[32];
	size_t len;
	cJSON *j, *d;
	int n, r;

	if (argc != 3 || snprintf(dir, sizeof(dir), "%s/audit", argv[1]) >=
	    (int)sizeof(dir) || bg_file_read(argv[2], 64u << 20, &body, &len)
	    != BG_OK || (j = bg_json_parse(body, len)) == NULL ||
	    bg_json_get_u64(j, "covers", 0, UINT64_MAX, &covers) != BG_OK) {
		fprintf(stderr, "usage: attack_fold STATE_DIR BODY_FILE\n");
		return 2;
	}
	cJSON_Delete(j);
	if (EVP_Digest(body, len, h, NULL, EVP_sha256(), NULL) != 1)
		return 1;
	bg_hex_encode(h, 32, hex, sizeof(hex));
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "covers", (double)covers);
	cJSON_AddStringToObject(d, "digest", hex);
	ev.detail = d;
	if ((r = bg_audit_open(dir, BG_AUDIT_WRITE, &log)) != BG_OK ||
	    (r = bg_audit_append(log, &ev, NULL)) != BG_OK) {
		fprintf(stderr, "attack_fold: %s\n", bg_audit_why());
		return 1;
	}
	n = snprintf(head, sizeof(head), "anchor %" PRIu64 "\n",
	    bg_audit_size(log) - 1);
	bg_audit_close(&log);
	cJSON_Delete(d);
	text = malloc((size_t)n + len);
	memcpy(text, head, (size_t)n);
	memcpy(text + n, body, len);
	snprintf(path, sizeof(path), "%s/index/fold", argv[1]);
	r = bg_file_replace(path, text, (size_t)n + len, 0600);
	free(text);
	free(body);
	return r == BG_OK ? 0 : 1;
}

/*
 * fuzz_ocsf: an audit entry line as an OCSF event (broker/export/ocsf.c,
 * bg_ocsf_event), and a daemon's kit as the client's witness check reads
 * it (broker/witness/trust.c, bg_witness_kit_check). Neither may crash
 * or read out of bounds. An event made must keep the line as raw_data
 * and have type_uid = class_uid * 100 + activity_id; a kit the fuzzer
 * wrote can never pass the check (it holds no signature by the log's
 * key, nor cosignatures by the witness's).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/export/export.h"
#include "broker/witness/witness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_ocsf: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* tests/witness/witness.py's key, seed 00 01 .. 1f */
#define WVKEY "witness.test/w1+a67560cf+" \
	"BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
/* a log key of tests/vectors/signed_note */
#define LOGVKEY "example.test/log-a+3b880a51+" \
	"ASvz16Xj64fASqs9dNR9k5yySqcKZ00zaCJo4o58F1QP"

static void
event(const char *s, size_t len)
{
	struct bg_ocsf_ctx ctx = { "host.example", "0.0.0", "origin.example" };
	const cJSON *cls, *act, *ty, *raw;
	cJSON *o;

	if (bg_ocsf_event(s, len, &ctx, &o) != BG_OK)
		return;
	cls = cJSON_GetObjectItemCaseSensitive(o, "class_uid");
	act = cJSON_GetObjectItemCaseSensitive(o, "activity_id");
	ty = cJSON_GetObjectItemCaseSensitive(o, "type_uid");
	raw = cJSON_GetObjectItemCaseSensitive(o, "raw_data");
	CHECK(cJSON_IsNumber(cls) && cJSON_IsNumber(act) && cJSON_IsNumber(ty));
	CHECK(ty->valuedouble == cls->valuedouble * 100 + act->valuedouble);
	CHECK(cJSON_IsString(raw) && strlen(raw->valuestring) == len &&
	    memcmp(raw->valuestring, s, len) == 0);
	cJSON_Delete(o);
}

static void
kit(const char *s, size_t len)
{
	struct bg_witness_trust t;
	uint8_t root[32] = { 0 };
	cJSON *k = bg_json_parse(s, len);

	if (k == NULL)
		return;
	memset(&t, 0, sizeof(t));
	CHECK(bg_audit_cosig_key_parse(WVKEY, strlen(WVKEY), &t.key[0]) ==
	    BG_OK);
	t.n = t.quorum = 1;
	t.max_age = 600;
	CHECK(bg_witness_kit_check(k, LOGVKEY, &t, 3, root, 1800000000) !=
	    BG_OK);
	cJSON_Delete(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1)
		kit(s, size - 1);
	else
		event(s, size - 1);
	free(s);
	return 0;
}

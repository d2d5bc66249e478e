/*
 * fuzz_aws: what broker/aws/ reads from outside: AWS's XML answers
 * (text.c), CloudTrail records (classification) and whole CloudTrail
 * files, streamed (trail.c, through a memfd). It may not crash, leak or
 * read out of bounds; what it accepts must hold its invariants: a root
 * event's fields are clean one-line text, its account 12 digits, its
 * kind one of the kinds; every record handed over is an object.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/common.h"
#include "broker/aws/aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "fuzz_aws: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static void
check_event(const struct bg_aws_event *ev)
{
	size_t i;

	CHECK(strlen(ev->account) == 12);
	for (i = 0; i < 12; i++)
		CHECK(ev->account[i] >= '0' && ev->account[i] <= '9');
	CHECK(ev->kind >= BG_AWS_LOGIN && ev->kind <= BG_AWS_ASSUME_ROOT);
	CHECK(bg_aws_kind_str(ev->kind)[0] != '\0');
	CHECK(ev->id[0] != '\0' && bg_text_ok(ev->id, 0));
	CHECK(bg_text_ok(ev->name, 0) && bg_text_ok(ev->ip, 0) &&
	    bg_text_ok(ev->source, 0) && bg_text_ok(ev->region, 0) &&
	    bg_text_ok(ev->issuer, 0) && bg_text_ok(ev->task, 0) &&
	    bg_text_ok(ev->key_id, 0) && bg_text_ok(ev->issued, 0));
	CHECK(ev->mfa >= -1 && ev->mfa <= 1);
}

static int
one(void *ctx, const cJSON *rec)
{
	struct bg_aws_event ev;

	(void)ctx;
	CHECK(rec != NULL);
	if (bg_aws_event_from_record(rec, &ev) == BG_OK)
		check_event(&ev);
	return BG_OK;
}

static void
xml(const char *p, size_t n)
{
	static const char *const tags[] = { "Code", "member", "entry", "key",
	    "Arn", "IsTruncated" };
	const char *end = p + n, *q = p, *in, *ie;
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (bg_aws_xml_text(p, end, tags[i], out, sizeof(out)) ==
		    BG_OK)
			CHECK(strlen(out) < sizeof(out));
	while (bg_aws_xml_next(&q, end, "member", &in, &ie)) {
		CHECK(in >= p && ie <= end && in <= ie);
		CHECK(q > p && q <= end);
	}
}

static void
stream(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("fuzz_aws", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (size == 0 || write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)bg_aws_trail_file(path, one, NULL);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	cJSON *j;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		xml((const char *)data + 1, size - 1);
		break;
	case 1:
		if ((s = malloc(size)) == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if ((j = cJSON_Parse(s)) != NULL) {
			(void)one(NULL, j);
			cJSON_Delete(j);
		}
		free(s);
		break;
	default:
		stream(data + 1, size - 1);
	}
	return 0;
}

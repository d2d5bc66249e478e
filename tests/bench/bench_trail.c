/*
 * tests/bench/bench_trail.c: the CloudTrail reader (broker/aws/trail.c,
 * bg_aws_trail_file: 64 KiB blocks through zlib, one record at a time,
 * each parsed with cJSON and classified) on a {"Records":[...]} file,
 * against a baseline measured in the same run: the same records read
 * with stdio, one per line, and parsed with cJSON alone. Prints both
 * times, their ratio, and the gzip case's; asserts no time.
 *
 * usage: bench_trail [--quick]   (--quick: 2 MB, checks results)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "common/common.h"
#include "broker/aws/aws.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char rec_fmt[] = "{\"eventVersion\":\"1.08\",\"userIdentity\":"
    "{\"type\":\"%s\",\"principalId\":\"111122223333\",\"arn\":"
    "\"arn:aws:iam::111122223333:root\",\"accountId\":\"111122223333\"},"
    "\"eventTime\":\"2026-01-02T03:04:05Z\",\"eventSource\":"
    "\"iam.amazonaws.com\",\"eventName\":\"ListAccessKeys\",\"awsRegion\":"
    "\"us-east-1\",\"sourceIPAddress\":\"192.0.2.1\",\"userAgent\":"
    "\"aws-cli/2\",\"requestParameters\":{\"pad\":\"%0300d\"},"
    "\"eventID\":\"e-%zu\",\"recipientAccountId\":\"111122223333\"}";

/* n records: as a CloudTrail file (path), and one per line (lines). */
static void
make(const char *path, const char *lines, const char *gz, size_t n)
{
	FILE *f = fopen(path, "w"), *l = fopen(lines, "w");
	gzFile z = gzopen(gz, "wb1");
	char rec[1024];
	size_t i;
	int len;

	if (f == NULL || l == NULL || z == NULL)
		exit(1);
	fputs("{\"Records\":[", f);
	gzputs(z, "{\"Records\":[");
	for (i = 0; i < n; i++) {
		len = snprintf(rec, sizeof(rec), rec_fmt, i % 10 ? "AssumedRole"
		    : "Root", 0, i);
		fprintf(f, "%s%s", i ? "," : "", rec);
		gzprintf(z, "%s%s", i ? "," : "", rec);
		fwrite(rec, 1, (size_t)len, l);
		fputc('\n', l);
	}
	fputs("]}", f);
	gzputs(z, "]}");
	fclose(f);
	fclose(l);
	gzclose(z);
}

static int
count(void *ctx, const cJSON *rec)
{
	struct bg_aws_event ev;
	size_t *c = ctx;

	if (bg_aws_event_from_record(rec, &ev) == BG_OK)
		c[1]++;
	c[0]++;
	return BG_OK;
}

/* The baseline: fgets and cJSON_Parse per line, nothing else. */
static size_t
baseline(const char *lines)
{
	static char buf[4096];
	FILE *l = fopen(lines, "r");
	size_t n = 0;
	cJSON *j;

	if (l == NULL)
		exit(1);
	while (fgets(buf, sizeof(buf), l) != NULL) {
		if ((j = cJSON_Parse(buf)) != NULL)
			n++;
		cJSON_Delete(j);
	}
	fclose(l);
	return n;
}

int
main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	size_t n = quick ? 5000 : 250000, c[2] = { 0, 0 }, g[2] = { 0, 0 }, b;
	char dir[] = "/tmp/bg-bench-trail.XXXXXX", path[64], lines[64], gz[64];
	double t0, t_base, t_trail, t_gz;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/t.json", dir);
	snprintf(lines, sizeof(lines), "%s/t.jsonl", dir);
	snprintf(gz, sizeof(gz), "%s/t.json.gz", dir);
	make(path, lines, gz, n);
	t0 = now();
	b = baseline(lines);
	t_base = now() - t0;
	t0 = now();
	if (bg_aws_trail_file(path, count, c) != BG_OK)
		return 1;
	t_trail = now() - t0;
	t0 = now();
	if (bg_aws_trail_file(gz, count, g) != BG_OK)
		return 1;
	t_gz = now() - t0;
	unlink(path);
	unlink(lines);
	unlink(gz);
	rmdir(dir);
	printf("records: %zu (root %zu)\n", c[0], c[1]);
	printf("baseline (fgets + cJSON_Parse per line): %.3f s\n", t_base);
	printf("bg_aws_trail_file, plain:  %.3f s  ratio %.2f\n", t_trail,
	    t_trail / t_base);
	printf("bg_aws_trail_file, gzip:   %.3f s  ratio %.2f\n", t_gz,
	    t_gz / t_base);
	/* results only: every record seen, one in ten root, both ways */
	return b == n && c[0] == n && c[1] == (n + 9) / 10 && g[0] == n &&
	    g[1] == c[1] ? 0 : 1;
}

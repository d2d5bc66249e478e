/*
 * tests/bench/bench_json.c: the strict JSON parser (common/json.c,
 * bg_json_parse: cJSON, then no duplicate key, no NUL, bounded depth) on
 * objects of many distinct keys, as a client of breakglassd can send one
 * in its first frame, against cJSON's parse alone measured in the same
 * run. Prints the time of each and their ratio; asserts no time.
 *
 * The duplicate-key check was pairwise: an insider review measured
 * 20.5 s of CPU for one 960 KB frame of 112,000 keys. Sorted, the strict
 * parse stays within a small factor of cJSON's.
 *
 * usage: bench_json [--quick]   (--quick: 2,000 keys, checks results)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/common.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* {"k000000":1,...} of n keys; dup: the last key repeats the first. */
static char *
object(size_t n, int dup, size_t *len)
{
	char *s = malloc(n * 16 + 16), *p;
	size_t i;

	if (s == NULL)
		return NULL;
	p = s;
	*p++ = '{';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"k%06zu\":1", i ? "," : "",
		    dup && i == n - 1 ? (size_t)0 : i);
	*p++ = '}';
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

int
main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	size_t n = quick ? 2000 : 112000, len, dlen;
	char *s = object(n, 0, &len), *d = object(n, 1, &dlen);
	double t0, t_cjson, t_strict;
	cJSON *a, *b;

	if (s == NULL || d == NULL)
		return 1;
	t0 = now();
	a = cJSON_ParseWithLength(s, len);
	t_cjson = now() - t0;
	t0 = now();
	b = bg_json_parse(s, len);
	t_strict = now() - t0;
	if (a == NULL || b == NULL) {
		fprintf(stderr, "bench_json: a valid object was refused\n");
		return 1;
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	if ((b = bg_json_parse(d, dlen)) != NULL) {
		fprintf(stderr, "bench_json: a duplicate key was accepted\n");
		cJSON_Delete(b);
		return 1;
	}
	printf("%zu keys (%zu bytes): cJSON %.4f s, strict %.4f s, ratio "
	    "%.2f\n", n, len, t_cjson, t_strict, t_strict / (t_cjson > 0 ?
	    t_cjson : 1e-9));
	free(s);
	free(d);
	return 0;
}

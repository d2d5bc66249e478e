/*
 * tests/ocsf/ocsf_map: bg_ocsf_event() on each audit entry line of
 * standard input, one OCSF event a line on standard output, for
 * test_golden.py. usage: ocsf_map HOSTNAME VERSION ORIGIN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "broker/export/export.h"

int
main(int argc, char **argv)
{
	struct bg_ocsf_ctx ctx;
	char *line = NULL, *s;
	size_t cap = 0;
	ssize_t n;
	cJSON *o;
	int r, bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: ocsf_map HOSTNAME VERSION ORIGIN\n");
		return 2;
	}
	ctx.hostname = argv[1];
	ctx.version = argv[2];
	ctx.origin = argv[3];
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if ((r = bg_ocsf_event(line, (size_t)n, &ctx, &o)) != BG_OK) {
			printf("ERROR %d\n", r);
			bad = 1;
			continue;
		}
		s = cJSON_PrintUnformatted(o);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(o);
	}
	free(line);
	return bad;
}

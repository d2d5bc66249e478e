/*
 * bg-vfido: manage virtual FIDO2 devices from scripts.
 *
 *   bg-vfido BASE create NAME [--pin PIN]
 *   bg-vfido BASE knob NAME KNOB on|off
 *   bg-vfido BASE list
 *   bg-vfido BASE touches NAME
 *   bg-vfido BASE counter NAME
 *   bg-vfido BASE retries NAME
 *   bg-vfido BASE path NAME
 *   bg-vfido BASE ca
 *
 * Exit status: 0 done, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfido.h"

#define MAX_DEVS 64

static int
usage(void)
{
	fprintf(stderr,
	    "usage: bg-vfido BASE create NAME [--pin PIN]\n"
	    "       bg-vfido BASE knob NAME KNOB on|off\n"
	    "       bg-vfido BASE list\n"
	    "       bg-vfido BASE touches|counter|retries|path NAME\n"
	    "       bg-vfido BASE ca\n"
	    "knobs:");
	for (const char *const *k = bg_vfido_knob_names(); *k != NULL; k++)
		fprintf(stderr, " %s", *k);
	fprintf(stderr, "\n");
	return (2);
}

static int
failed(const char *what)
{
	fprintf(stderr, "bg-vfido: %s failed: %s\n", what, bg_vfido_error());
	return (1);
}

static int
cmd_create(const char *base, int argc, char **argv)
{
	const char *pin = NULL;

	if (argc == 4 && strcmp(argv[2], "--pin") == 0)
		pin = argv[3];
	else if (argc != 2)
		return (usage());
	if (bg_vfido_create(base, argv[1], pin) != 0)
		return (failed("create"));
	return (0);
}

static int
cmd_knob(const char *base, int argc, char **argv)
{
	int on;

	if (argc != 4)
		return (usage());
	if (strcmp(argv[3], "on") == 0)
		on = 1;
	else if (strcmp(argv[3], "off") == 0)
		on = 0;
	else
		return (usage());
	if (bg_vfido_set_knob(base, argv[1], argv[2], on) != 0)
		return (failed("knob"));
	return (0);
}

/* one line per device: NAME PATH [KNOB...] */
static int
cmd_list(const char *base)
{
	fido_dev_info_t	*list;
	const char	*path, *name;
	size_t		 n = 0;
	int		 on;

	if ((list = fido_dev_info_new(MAX_DEVS)) == NULL)
		return (1);
	if (bg_vfido_manifest(base, list, MAX_DEVS, &n) != 0) {
		fido_dev_info_free(&list, MAX_DEVS);
		return (failed("list"));
	}
	for (size_t i = 0; i < n; i++) {
		path = fido_dev_info_path(fido_dev_info_ptr(list, i));
		name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		    path;
		printf("%s %s", name, path);
		for (const char *const *k = bg_vfido_knob_names(); *k != NULL;
		    k++)
			if (bg_vfido_get_knob(base, name, *k, &on) == 0 && on)
				printf(" %s", *k);
		printf("\n");
	}
	fido_dev_info_free(&list, MAX_DEVS);
	return (0);
}

static int
cmd_query(const char *base, const char *what, const char *name)
{
	char		path[2048];
	unsigned	touches;
	uint32_t	counter;
	int		retries;

	if (strcmp(what, "touches") == 0) {
		if (bg_vfido_touches(base, name, &touches) != 0)
			return (failed(what));
		printf("%u\n", touches);
	} else if (strcmp(what, "counter") == 0) {
		if (bg_vfido_counter(base, name, &counter) != 0)
			return (failed(what));
		printf("%u\n", (unsigned)counter);
	} else if (strcmp(what, "retries") == 0) {
		if (bg_vfido_pin_retries(base, name, &retries) != 0)
			return (failed(what));
		printf("%d\n", retries);
	} else if (strcmp(what, "path") == 0) {
		if (bg_vfido_path(base, name, path, sizeof(path)) != 0)
			return (failed(what));
		printf("%s\n", path);
	} else
		return (usage());
	return (0);
}

int
main(int argc, char **argv)
{
	char path[2048];

	if (argc < 3)
		return (usage());
	if (strcmp(argv[2], "create") == 0)
		return (cmd_create(argv[1], argc - 2, argv + 2));
	if (strcmp(argv[2], "knob") == 0)
		return (cmd_knob(argv[1], argc - 2, argv + 2));
	if (strcmp(argv[2], "list") == 0 && argc == 3)
		return (cmd_list(argv[1]));
	if (strcmp(argv[2], "ca") == 0 && argc == 3) {
		if (bg_vfido_ca_path(argv[1], path, sizeof(path)) != 0)
			return (failed("ca"));
		printf("%s\n", path);
		return (0);
	}
	if (argc == 4)
		return (cmd_query(argv[1], argv[2], argv[3]));
	return (usage());
}

/* breakglass alerts ...: the alert spool's commands (stub). */
#include <stdio.h>

#include "broker/cli.h"

int
bg_cli_alerts(struct bg_cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	fputs("breakglass: alerts: not built yet\n", stderr);
	return BG_EXIT_USAGE;
}

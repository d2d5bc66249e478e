/*
 * Whether this process is the production service (state.h): a file of
 * its own, so that code which only reads formats (vault.c marks a new
 * vault with it; the fuzzers link vault.c) needs none of the state layer.
 */
#include "broker/state/state.h"

static int production;

void
bg_state_set_production(int on)
{
	production = on != 0;
}

int
bg_state_production(void)
{
	return production;
}

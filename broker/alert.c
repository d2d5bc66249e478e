/* broker/ alerts over HTTP (stub). */
#include "common/common.h"
#include "broker/alert.h"

int
bg_alert_spool(const char *state_dir, const char *entry, size_t entry_len,
    const char *checkpoint, size_t checkpoint_len)
{
	(void)state_dir; (void)entry; (void)entry_len; (void)checkpoint;
	(void)checkpoint_len;
	return BG_OK;
}

void
bg_alert_deliver(const char *state_dir)
{
	(void)state_dir;
}

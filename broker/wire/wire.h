/*
 * broker/wire/: what the breakglass client and breakglassd say to each
 * other over the UNIX socket (docs/deploy.md "The wire"), and the
 * root-owned file that says where the daemon is.
 *
 * A frame is a 4-byte big-endian length, then that many bytes of one JSON
 * object: strict (bg_json_parse: no trailing bytes, no duplicate keys,
 * bounded depth), clean text, with "v" (BG_WIRE_VERSION) and a string
 * "op". A client's frame is at most BG_WIRE_REQ_MAX bytes, a daemon's at
 * most BG_WIRE_REPLY_MAX; every frame must arrive whole within its
 * timeout. A connection carries one command: the client's request, and
 * for a command that needs a touch the daemon's kit and the client's
 * signed answer, then the daemon's result.
 */
#ifndef BG_WIRE_H
#define BG_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "broker/witness/witness.h"

#define BG_WIRE_VERSION 1
#define BG_WIRE_REQ_MAX (1u << 20)
#define BG_WIRE_REPLY_MAX (64u << 20)
#define BG_WIRE_TIMEOUT_MS 30000	/* one frame, once it may be sent */
#define BG_WIRE_TOUCH_MS 300000		/* the daemon's wait for a touch */
#define BG_WIRE_OP_MAX 32

/*
 * Parses one frame's payload (len bytes, the length prefix removed):
 * BG_OK and *obj (caller cJSON_Delete()s), or BG_EFORMAT with bg_why()
 * saying what is wrong. The parser the fuzzer drives.
 */
int bg_wire_parse(const uint8_t *buf, size_t len, cJSON **obj);
/* The frame's "op" (valid while obj lives). */
const char *bg_wire_op(const cJSON *obj);
/* A new message {"v": 1, "op": op}; NULL without memory. */
cJSON *bg_wire_msg(const char *op);

/*
 * Reads one frame of at most max bytes within timeout_ms: BG_OK, BG_EIO
 * (the peer closed or the read failed; a frame cut short is BG_EFORMAT),
 * BG_ETOOBIG (its length is above max: nothing more is read), BG_ETIMEOUT.
 */
int bg_wire_recv(int fd, size_t max, int timeout_ms, cJSON **obj);
/* Writes obj as one frame within timeout_ms. */
int bg_wire_send(int fd, const cJSON *obj, int timeout_ms);

/* --------------------------------------------------------------- config */

#define BG_CONF_ADMINS_MAX 16
#define BG_CONF_NAME_MAX 64

/*
 * /etc/breakglass/breakglass.conf: "key = value" lines, "#" comments.
 * socket    the daemon's UNIX socket (absolute)
 * state     the production state directory (absolute; the daemon's)
 * verifier  the audit log's C2SP verifier key (name+hash+key): the
 *           client checks the daemon's checkpoints with it
 * admins    login names that may run the set-up commands (space separated)
 * witness   a witness's cosignature key (C2SP tlog-cosignature vkey), one
 *           line each, at most BG_WITNESS_MAX; needs "verifier"
 * witness_quorum   how many of them must have cosigned the log head a
 *           kit names (1 to their number; required with "witness")
 * witness_max_age  seconds a cosignature stays fresh (10 to 86400,
 *           default BG_WITNESS_MAX_AGE_DEFAULT)
 * witness_require  the commands guarded: some of "approve seal change"
 *           (default all three)
 * The client checks the kits of the guarded commands against these
 * before any touch (bg_witness_kit_check, docs/audit.md "Witnesses").
 */
struct bg_conf {
	char socket[108];
	char state[1024];
	char verifier[512];
	char admins[BG_CONF_ADMINS_MAX][BG_CONF_NAME_MAX];
	size_t nadmins;
	struct bg_witness_trust witness;	/* n 0: none named */
	int witness_require_set;		/* the line was given */
};

/*
 * Reads and checks path: a regular file owned by root and writable by
 * nobody else, in a directory the same holds for (no symbolic link on
 * the way); every key known, none twice, socket and state present.
 * BG_EPERM, BG_ENOENT or BG_EFORMAT with bg_why() naming the line.
 */
int bg_conf_load(const char *path, struct bg_conf *c);
/* The same from text (the file's content), for the fuzzer and tests. */
int bg_conf_parse(const char *text, size_t len, struct bg_conf *c);
int bg_conf_is_admin(const struct bg_conf *c, const char *login);

/* Connects to the daemon's socket: a descriptor, or BG_E* with why. */
int bg_wire_connect(const char *path, int *fd);

#endif

/*
 * common/err.c: BG_E* error codes, their messages and the errno mapping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stddef.h>

#include "common/common.h"

struct bg_errmsg {
	int		 code;
	const char	*msg;
};

static const struct bg_errmsg bg_errmsgs[] = {
	{ BG_OK, "success" },
	{ BG_EINTERNAL, "internal error (a bug or an impossible state)" },
	{ BG_ENOMEM, "out of memory" },
	{ BG_EINVAL, "invalid argument" },
	{ BG_EFORMAT, "malformed input (file, JSON or encoding)" },
	{ BG_EIO, "input/output error" },
	{ BG_ENOSPC, "no space left on device" },
	{ BG_EEXIST, "already exists" },
	{ BG_ENOENT, "does not exist" },
	{ BG_ELOCKED, "locked by another writer; retry later" },
	{ BG_ETAMPER, "tampering detected" },
	{ BG_ESIG, "signature is not valid" },
	{ BG_ECRYPTO, "cryptographic library failure" },
	{ BG_ERANGE, "value out of range" },
	{ BG_EPERM, "permission or ownership is wrong" },
	{ BG_ETOOBIG, "input larger than the allowed bound" },
	{ BG_EPROOF, "Merkle proof does not verify" },
	{ BG_ECONSIST, "log is not consistent with the checkpoint" },
	{ BG_ERECOVER, "the log needs recovery after a crash" },
	{ BG_EROFS, "the file system is read-only" },
	{ BG_ENODEV, "no token found: connect the token" },
	{ BG_ENOCRED, "the credential is not on any connected token" },
	{ BG_EPIN, "wrong PIN" },
	{ BG_EPINBLOCKED, "PIN blocked: reset the token" },
	{ BG_ETIMEOUT, "the token was not touched in time" },
	{ BG_EREMOVED, "the token was removed during the operation" },
	{ BG_ENOUP, "the token did not assert user presence" },
	{ BG_EWRONGTOKEN, "the token gave a different secret than at "
	    "enrollment (another token, or a reset)" },
	{ BG_ENOSLOT, "the YubiKey slot is not configured for "
	    "challenge-response" },
	{ BG_ESERIAL, "no YubiKey with that serial number is connected" },
	{ BG_ERESPONSE, "the token's response has the wrong size or form" },
	{ BG_EUV, "the token cannot give the user verification asked for" },
	{ BG_EDEVICE, "the token reported an error" },
	{ BG_EATTEST, "attestation does not chain to a trusted root" },
};

const char *
bg_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(bg_errmsgs) / sizeof(bg_errmsgs[0]); i++)
		if (bg_errmsgs[i].code == err)
			return bg_errmsgs[i].msg;
	return "unknown error";
}

int
bg_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		return BG_ENOSPC;
	case EROFS:
		return BG_EROFS;
	case ENOENT:
		return BG_ENOENT;
	case EEXIST:
		return BG_EEXIST;
	case EACCES:
	case EPERM:
	case ELOOP:	/* O_NOFOLLOW met a symlink where a file belongs */
		return BG_EPERM;
	case ENOMEM:
		return BG_ENOMEM;
	case EWOULDBLOCK:
#if EAGAIN != EWOULDBLOCK
	case EAGAIN:
#endif
		return BG_ELOCKED;
	default:
		return BG_EIO;
	}
}

static _Thread_local char why_buf[256];

void
bg_set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
}

void
bg_clear_why(void)
{
	why_buf[0] = '\0';
}

const char *
bg_why(void)
{
	return why_buf;
}

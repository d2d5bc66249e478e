/*
 * broker/export/: the signed audit log for the tools security teams run
 * (docs/export.md): JSON Lines, CEF and OCSF, streamed, each record with its
 * entry's seq, the entry's RFC 9162 leaf hash and the checkpoint (origin,
 * size, root) it belongs to, so that a SIEM can later ask for an
 * inclusion proof (audit prove SEQ --size SIZE) and check it.
 */
#ifndef BG_EXPORT_H
#define BG_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "audit/audit.h"

enum bg_export_format {
	BG_EXPORT_JSONL = 1,
	BG_EXPORT_CEF,
	BG_EXPORT_OCSF,
};

/* What an OCSF event says of where it comes from. */
struct bg_ocsf_ctx {
	const char *hostname;	/* device.hostname, src_endpoint.hostname */
	const char *version;	/* metadata.product.version */
	const char *origin;	/* metadata.log_source: the log's origin */
};

/*
 * One audit entry line (len bytes, no newline) as an OCSF 1.8.0 event
 * (tests/ocsf/MAPPING.md, docs/export.md): the class by event name, the
 * entry verbatim in raw_data, its leaf hash as metadata.uid, its seq as
 * metadata.sequence, its detail under unmapped.breakglass.detail. The
 * inclusion proof (unmapped.breakglass.inclusion) is the caller's to
 * add. BG_EFORMAT for a line that is not an entry.
 */
int bg_ocsf_event(const char *line, size_t len, const struct bg_ocsf_ctx *ctx,
    cJSON **out);

/*
 * CEF escaping (ArcSight CEF Implementation Standard, "Character
 * Encoding"): a header field escapes '\' and '|' and may not hold a line
 * break (BG_EFORMAT); an extension value escapes '\', '=', and writes
 * LF and CR as \n and \r. BG_ETOOBIG when out is too small.
 */
int bg_cef_escape(const char *in, int header, char *out, size_t outsz);

/*
 * Writes every entry of log whose time is at or after since (an RFC 3339
 * prefix compared as text; NULL: all) to out in format, one line each,
 * against the log's current checkpoint. version: CEF's Device Version
 * (NULL: breakglass's). *n (may be NULL) gets the count.
 */
int bg_export(bg_audit_t *log, enum bg_export_format format,
    const char *since, const char *version, FILE *out, uint64_t *n);

#endif /* BG_EXPORT_H */

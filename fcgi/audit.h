/* The audit log: who did what, when, from which address, with what outcome —
 * logins, failed logins, settings changes, purges, key rotations and operations.
 * Each entry is sealed into the Redis list audit:log (newest AUDIT_KEEP kept) and
 * written to the log as one structured line. */
#ifndef VC_AUDIT_H
#define VC_AUDIT_H

#include <jansson.h>

struct req;
struct store;

#define AUDIT_KEY "audit:log"
#define AUDIT_KEEP 20000

/* Records one action by r's user (or `user` when there is no session yet, as for
 * logins). outcome: "ok", "denied" or "failed". detail may be NULL. */
void audit(struct req *r, const char *user, const char *action, const char *target,
           const char *outcome, const char *detail);
/* The same for actions outside a request (the CLI): who, ip and the store given.
 * Returns 0, or -1 when the entry could not be stored (it is logged either way). */
int audit_to(struct store *s, const char *who, const char *ip, const char *action,
             const char *target, const char *outcome, const char *detail);
/* The newest max entries, newest first (new reference), NULL when Redis failed. */
json_t *audit_recent(struct req *r, int max);

#endif

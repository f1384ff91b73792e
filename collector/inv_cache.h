/* The incremental mode's built VM records (issue #6): per VM its record, its compact
 * JSON text, its snapshot entries and the morefs its derived fields were looked up
 * from (host, cluster, datacenter, folder, pool, datastore and network names). A
 * changed cycle rebuilds only the VMs whose properties changed and the VMs that name
 * an object whose name, parent or key changed, and the sealed "vm" value is assembled
 * from the kept texts instead of serialising every record again. The other record
 * types are small (hosts, clusters, datastores...) and are rebuilt from the model.
 * docs/collector.md "Incremental mode" describes the cycle. */
#ifndef VC_INV_CACHE_H
#define VC_INV_CACHE_H

#include "inv.h"

#include <stdint.h>

struct inv_cache {
	json_t *vms;          /* moref -> {"rec": record, "text": its JSON_COMPACT text,
	                       * "snaps": its flat snapshot entries, "deps": "\nmoref\n..."} */
	uint64_t version;     /* moves whenever a VM text changes or a VM comes or goes */
	struct inv_vm *reader;/* reads each VM rebuilt (inv_build.h) */
};

void inv_cache_init(struct inv_cache *c);
/* Frees the entries; c can be initialised again. Safe on a zeroed struct. */
void inv_cache_free(struct inv_cache *c);

/* Brings the VM entries up to date with r (borrowed; r->seen is used while building).
 * With all set, or while the cache is empty, every VM of r is rebuilt and entries of
 * VMs gone from r are dropped. Otherwise only the VMs keyed in changed_vms (gone from
 * r: dropped) and those whose deps name a key of changed_refs (moref -> bucket name;
 * a distributed portgroup there rebuilds every VM: NICs name portgroups by key, not
 * moref). Either may be NULL. Returns the number of records built; the version moves
 * when a text differs from the one kept. */
size_t inv_cache_update(struct inv_cache *c, struct inv_raw *r, const json_t *changed_vms,
                        const json_t *changed_refs, int all, const char *vcenter,
                        const char *vc_name);

/* Every record type, like inv_build(): VM records and snapshots are new references
 * to the cache's (read them, do not change them), the rest is built from r. */
json_t *inv_cache_build(const struct inv_cache *c, const struct inv_raw *r, const char *vcenter,
                        const char *vc_name);

/* The "vm" value exactly as json_dumps(records, JSON_COMPACT) writes it, joined from
 * the kept texts: a new string the caller frees, *len its length. */
char *inv_cache_vm_text(const struct inv_cache *c, size_t *len);

#endif

/* Internal to the inventory builders (inv_*.c): per-type record constructors and
 * shared pieces. */
#ifndef VC_INV_BUILD_H
#define VC_INV_BUILD_H

#include "inv.h"

/* Array of the names of a list of MORs (unknown ones skipped). */
json_t *inv_names(const struct inv_raw *r, const json_t *mors);
/* customValue -> {"field name": value}; a key without a known name stays numeric. */
json_t *inv_custom(const struct inv_raw *r, const json_t *props);
/* The tags attached to moref: a new array of {"category", "name"}, sorted. */
json_t *inv_tags(const struct inv_raw *r, const char *moref);

/* A VM's record (new reference); its snapshots are appended to flat_snapshots. */
json_t *inv_vm_record(const struct inv_raw *r, const char *moref, const json_t *props,
                      const json_t *dvpg_by_key, json_t *flat_snapshots);
/* The same fields into an open inv_out record (inv_out.h). */
struct inv_out;
void inv_vm_write(struct inv_out *o, const struct inv_raw *r, const char *moref,
                  const json_t *props, const json_t *dvpg_by_key, json_t *flat_snapshots);
/* Host record; appends the host's vmk, vswitch, standard portgroup and pnic records. */
json_t *inv_host_record(const struct inv_raw *r, const char *moref, const json_t *props,
                        json_t *vmks, json_t *vswitches, json_t *portgroups, json_t *pnics);

/* Distributed portgroup key -> name (a new object): VM NICs on a DVS name their
 * portgroup by key. */
json_t *inv_dvpg_keys(const struct inv_raw *r);
/* Adds "vcenter" and "vcenter_name" to a record (last, like every record's). */
void inv_stamp(json_t *rec, const char *vcenter, const char *vc_name);
/* Every record type from r, with the VM records and the flat snapshot list given
 * (both references taken over); vms_stamped: those carry their vCenter already. */
json_t *inv_build_types(const struct inv_raw *r, json_t *vms, json_t *snaps, int vms_stamped,
                        const char *vcenter, const char *vc_name);

#endif

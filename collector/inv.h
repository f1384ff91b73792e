/* The collector's inventory model: which properties are fetched per managed object
 * type, and how the generic property JSON of the vSphere client (vc.h) becomes the
 * flat records kept in Redis under vc:{id}:<type> (docs/inventory.md lists every
 * field). Pure functions over jansson values: no I/O, unit-testable. */
#ifndef VC_INV_H
#define VC_INV_H

#include "vc.h"

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One collection pass: a vSphere type, the property paths fetched for it, and the
 * bucket its raw objects go to. */
struct inv_spec {
	const char *vim_type;          /* "VirtualMachine" */
	const char *bucket;            /* raw bucket name: "vm" */
	const char *const *paths;
	size_t npaths;
};

extern const struct inv_spec inv_specs[];
extern const size_t inv_nspecs;
/* Prune rules (vc.h) for the parts of properties no record reads; set on a polling
 * session with vc_session_set_prune(). */
extern const struct vc_prune inv_prune[];
extern const size_t inv_nprune;

/* The raw objects of one poll: bucket -> {moref -> props}, plus the custom
 * attribute names and the vSphere tags fetched beside them. */
struct inv_raw {
	json_t *buckets;               /* object of objects */
	json_t *where;                 /* moref -> the bucket it was added to (inv_raw_add),
	                                * or null when added to two: inv_name_of() and
	                                * inv_ancestor() look it up once instead of in every
	                                * bucket (a fifth of a VM record's build) */
	json_t *fields;                /* custom field key ("101") -> name */
	json_t *tags;                  /* tags_fetch() shape (tags.h), or NULL */
	json_t *vm_refs;               /* moref of a host, datastore or network -> how many VMs
	                                * name it (runtime.host, datastore, network): the
	                                * records' vm_count, counted from the VMs' side so the
	                                * objects' own `vm` lists need not be fetched */
	struct buf *seen;              /* when set (borrowed): inv_name_of() and inv_ancestor()
	                                * append every moref they look up, each followed by
	                                * '\n' -- what a record's derived fields depend on
	                                * (inv_cache.h) */
};

void inv_raw_init(struct inv_raw *r);
void inv_raw_free(struct inv_raw *r);
/* Takes a new reference to props. */
void inv_raw_add(struct inv_raw *r, const char *bucket, const char *moref, json_t *props);
/* Records the name of custom field `key` (ignored when key < 0 or name is NULL). */
void inv_raw_add_field(struct inv_raw *r, json_int_t key, const char *name);
/* Takes a new reference to the tags_fetch() result. */
void inv_raw_set_tags(struct inv_raw *r, json_t *tags);
/* Counts r->vm_refs again from the "vm" bucket's property sets (a full or incremental
 * model, where the bucket holds them whole; r's counts change, nothing else). */
void inv_raw_recount_vms(const struct inv_raw *r);
/* VMs naming moref (0 when none). */
json_int_t inv_vm_count(const struct inv_raw *r, const char *moref);

/* Builds every record type from the raw objects: returns a new JSON object
 * {type: [records...]} for the types in store_types (except "status" and "alarm",
 * which the poll adds). Each record carries vcenter, moref and name. vc_name is the
 * vCenter's display name. VMs, hosts, datastores and clusters carry "custom"
 * ({field name: value}) and "tags" ([{"category", "name"}]). */
json_t *inv_build(const struct inv_raw *r, const char *vcenter, const char *vc_name);

/* VM records built while the VirtualMachine objects stream in (the last spec), so
 * their raw properties, the bulk of a poll, are never all held at once. Every other
 * bucket, the custom field names and the tags must be in the raw set already.
 * Each record is serialised as soon as it is built and then freed: a poll never holds
 * the records of every VM as JSON values (tens of MB of small allocations at 5,000
 * VMs, each freed again after the write), only their text and a small summary. */
struct seal_pack;
struct inv_vm;
struct inv_vms {
	json_t *records;               /* per VM a summary {"moref", "power_state",
	                                * "cluster", "template"}: what the cluster totals
	                                * and the poll read (inv_vm_summary) */
	json_t *snapshots;             /* the flat snapshot list, stamped */
	json_t *dvpg_by_key;           /* distributed portgroup key -> name */
	struct buf text;               /* the full records, stamped, exactly as
	                                * json_dumps(records, JSON_COMPACT) writes them */
	bool closed;                   /* text ends with the array's ']' */
	struct seal_pack *pack;        /* inv_vms_pack(): text moves into it piece by
	                                * piece, so it never grows past VMS_PACK_PIECE */
	const char *vcenter, *vc_name; /* borrowed: the stamp */
	struct inv_vm *reader;         /* the VM being read (inv_build.h) */
	bool sunk;                     /* the reader is the parser's sink (inv_vms_sink) */
};

/* vcenter and vc_name are borrowed for the life of v. */
void inv_vms_init(struct inv_vms *v, const struct inv_raw *r, const char *vcenter,
                  const char *vc_name);
/* The sink (vc.h) that reads each VM for v's next inv_vms_add(), and its ctx: for
 * vc_bulk_set_sink(), so that a VM's properties are never built as JSON. */
const struct vc_sink *inv_vms_sink(struct inv_vms *v, void **ctx);
/* Builds moref's record from what the sink read of it (when inv_vms_sink() was
 * used) and props (borrowed: everything in it is read too), appends its text, keeps
 * its summary, and keeps only its name in r. */
void inv_vms_add(struct inv_vms *v, struct inv_raw *r, const char *moref, const json_t *props);
void inv_vms_free(struct inv_vms *v);
/* Once every VM was added: closes the "vm" value's text and moves it into out (whose
 * bytes are freed first); v's text is empty afterwards. */
void inv_vms_take_text(struct inv_vms *v, struct buf *out);
/* From now on the text is compressed as the records come (one zstd frame, redis/
 * seal.h): a poll that writes it packed anyway never holds nor faults in the whole
 * text, and packs it while the next chunk is on its way rather than at the end. */
void inv_vms_pack(struct inv_vms *v);
/* inv_vms_take_text() for a packed v: the whole frame into out. 0, or -1 when zstd
 * failed. */
int inv_vms_take_packed(struct inv_vms *v, struct buf *out);
/* The fields of a VM record that other records and the poll read, as a new object. */
json_t *inv_vm_summary(const json_t *rec);
/* inv_build() with the VM summaries and snapshots taken from v (v keeps its text):
 * the "vm" array of the result holds summaries, not records: write the text
 * inv_vms_take_text() gives. */
json_t *inv_build_streamed(const struct inv_raw *r, struct inv_vms *v);

/* Appends v's JSON_COMPACT text to out (the stored form of records; json_out.h);
 * 0, or -1 with out unchanged. */
int inv_dump_append(struct buf *out, const json_t *v);

/* Helpers shared by the builders (inv_util.c). */
const char *inv_mor(const json_t *v);                 /* moref of a MOR value or NULL */
json_t *inv_path(const json_t *obj, const char *dotted);  /* borrowed, NULL if absent */
const char *inv_str(const json_t *obj, const char *dotted);
/* The string of a JSON string value, or "" for anything else. */
const char *inv_s(const json_t *v);
json_int_t inv_int(const json_t *obj, const char *dotted, json_int_t def);
int inv_bool(const json_t *obj, const char *dotted);  /* -1 when absent */
/* Iterates a value that may be one element or an array of them. */
size_t inv_count(const json_t *v);
json_t *inv_at(const json_t *v, size_t i);
/* Sets key (a literal: not checked for UTF-8) to a copy of a string, or null. */
void inv_set_str(json_t *rec, const char *key, const char *s);
/* rec[key] = the string at obj's dotted path, shared rather than copied (jansson
 * strings are never modified here), or null when there is none: a VM record takes
 * some twenty strings from its properties, two allocations each when copied. */
void inv_set_from(json_t *rec, const char *key, const json_t *obj, const char *dotted);
/* Name of the object a moref points to (any bucket), or NULL. */
const char *inv_name_of(const struct inv_raw *r, const char *moref);
/* First ancestor (following "parent") whose moref starts with prefix. */
const char *inv_ancestor(const struct inv_raw *r, const char *moref, const char *prefix_bucket);

#endif

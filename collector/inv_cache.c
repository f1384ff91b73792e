/* The built-record cache of the incremental mode (see inv_cache.h): one entry per VM,
 * rebuilt only when the VM or an object it names changed. */
#include "inv_cache.h"
#include "inv_build.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void inv_cache_init(struct inv_cache *c)
{
	c->vms = json_object();
	c->version = 0;
	c->reader = malloc(sizeof(*c->reader));
	if (!c->reader)
		abort();
	inv_vm_init(c->reader);
}

void inv_cache_free(struct inv_cache *c)
{
	json_decref(c->vms);
	c->vms = NULL;
	if (c->reader) {
		inv_vm_free(c->reader);
		free(c->reader);
		c->reader = NULL;
	}
}

/* Builds moref's entry from props and swaps it in. Returns 1 when the record's text
 * differs from the kept one (or there was none), else 0. */
static int rebuild_one(struct inv_cache *c, struct inv_raw *r, const char *moref,
                       const json_t *props, const json_t *dvpg_by_key, const char *vcenter,
                       const char *vc_name)
{
	struct buf deps = BUF_INIT, text = BUF_INIT;
	json_t *snaps = json_array(), *rec, *snap, *old = json_object_get(c->vms, moref);
	const char *was = json_string_value(json_object_get(old, "text"));
	size_t i;
	int differs;

	buf_addc(&deps, '\n');       /* every moref sits between two '\n': see depends_on */
	r->seen = &deps;
	rec = inv_vm_record(c->reader, r, moref, props, dvpg_by_key, snaps);
	r->seen = NULL;
	inv_stamp(rec, vcenter, vc_name);
	json_array_foreach(snaps, i, snap)
		inv_stamp(snap, vcenter, vc_name);
	if (inv_dump_append(&text, rec))
		buf_adds(&text, "null");
	differs = !was || strcmp(was, text.data);
	json_object_set_new(c->vms, moref, json_pack("{s:o, s:o, s:o, s:o}", "rec", rec,
	                    "text", json_stringn_nocheck(text.data, text.len),
	                    "snaps", snaps, "deps", json_stringn_nocheck(deps.data, deps.len)));
	buf_free(&text);
	buf_free(&deps);
	return differs;
}

/* Rebuilds moref from r, or drops its entry when r no longer has it. 1: changed. */
static int refresh(struct inv_cache *c, struct inv_raw *r, const char *moref,
                   const json_t *dvpg_by_key, const char *vcenter, const char *vc_name)
{
	const json_t *props = json_object_get(json_object_get(r->buckets, "vm"), moref);

	if (props)
		return rebuild_one(c, r, moref, props, dvpg_by_key, vcenter, vc_name);
	return json_object_del(c->vms, moref) == 0;
}

/* Whether an entry's recorded lookups include moref. */
static int depends_on(const json_t *entry, const char *moref)
{
	const char *deps = json_string_value(json_object_get(entry, "deps"));
	size_t n = strlen(moref);

	for (const char *p = deps ? strstr(deps, moref) : NULL; p; p = strstr(p + 1, moref))
		if (p[-1] == '\n' && p[n] == '\n')
			return 1;
	return 0;
}

/* Adds to todo every cached VM that looked up a changed object. */
static void add_dependents(const struct inv_cache *c, const json_t *changed_refs, json_t *todo)
{
	const char *moref, *ref;
	json_t *entry, *bucket;

	json_object_foreach(c->vms, moref, entry)
		json_object_foreach((json_t *)changed_refs, ref, bucket)
			if (depends_on(entry, ref)) {
				json_object_set_new(todo, moref, json_true());
				break;
			}
}

/* A changed distributed portgroup: VM NICs name it by key, not through a lookup the
 * deps record, so every VM is rebuilt. */
static int names_dvpg(const json_t *changed_refs)
{
	const char *ref;
	json_t *bucket;

	json_object_foreach((json_t *)changed_refs, ref, bucket)
		if (!strcmp(json_string_value(bucket) ? json_string_value(bucket) : "", "dvpg"))
			return 1;
	return 0;
}

/* Rebuilds every VM of r and drops the entries of VMs r no longer has. */
static size_t rebuild_all(struct inv_cache *c, struct inv_raw *r, const json_t *dvpg_by_key,
                          const char *vcenter, const char *vc_name, int *changed)
{
	json_t *vms = json_object_get(r->buckets, "vm"), *props, *entry;
	const char *moref;
	void *it;
	size_t n = 0;

	json_object_foreach(vms, moref, props) {
		*changed |= rebuild_one(c, r, moref, props, dvpg_by_key, vcenter, vc_name);
		n++;
	}
	json_object_foreach_safe(c->vms, it, moref, entry)
		if (!json_object_get(vms, moref)) {
			json_object_del(c->vms, moref);
			*changed = 1;
		}
	return n;
}

size_t inv_cache_update(struct inv_cache *c, struct inv_raw *r, const json_t *changed_vms,
                        const json_t *changed_refs, int all, const char *vcenter,
                        const char *vc_name)
{
	json_t *dvpg_by_key, *todo, *v;
	const char *moref;
	int changed = 0;
	size_t n = 0;

	all = all || json_object_size(c->vms) == 0 || names_dvpg(changed_refs);
	if (!all && !json_object_size(changed_vms) && !json_object_size(changed_refs))
		return 0;
	dvpg_by_key = inv_dvpg_keys(r);
	if (all) {
		n = rebuild_all(c, r, dvpg_by_key, vcenter, vc_name, &changed);
	} else {
		todo = json_object();
		json_object_update(todo, (json_t *)changed_vms);
		if (json_object_size(changed_refs))
			add_dependents(c, changed_refs, todo);
		json_object_foreach(todo, moref, v) {
			changed |= refresh(c, r, moref, dvpg_by_key, vcenter, vc_name);
			n++;
		}
		json_decref(todo);
	}
	json_decref(dvpg_by_key);
	if (changed)
		c->version++;
	return n;
}

json_t *inv_cache_build(const struct inv_cache *c, const struct inv_raw *r, const char *vcenter,
                        const char *vc_name)
{
	json_t *vms = json_array(), *snaps = json_array(), *entry;
	const char *moref;

	json_object_foreach(c->vms, moref, entry) {
		json_array_append(vms, json_object_get(entry, "rec"));
		json_array_extend(snaps, json_object_get(entry, "snaps"));
	}
	inv_raw_recount_vms(r);
	return inv_build_types(r, vms, snaps, 1, vcenter, vc_name);
}

char *inv_cache_vm_text(const struct inv_cache *c, size_t *len)
{
	const char *moref;
	json_t *entry;
	size_t total = 2, at = 0;
	char *out;

	json_object_foreach(c->vms, moref, entry)
		total += json_string_length(json_object_get(entry, "text")) + 1;
	out = malloc(total + 1);
	if (!out)
		return NULL;
	out[at++] = '[';
	json_object_foreach(c->vms, moref, entry) {
		const json_t *t = json_object_get(entry, "text");
		if (at > 1)
			out[at++] = ',';
		memcpy(out + at, json_string_value(t), json_string_length(t));
		at += json_string_length(t);
	}
	out[at++] = ']';
	out[at] = '\0';
	*len = at;
	return out;
}

/* Small accessors over the vSphere client's property JSON (see inv.h). Values may
 * be one element or an array of them (a schema-less parser cannot tell a repeated
 * element that occurs once from a single one), so every list goes through
 * inv_count()/inv_at(). */
#include "inv.h"
#include "inv_build.h"
#include "buf.h"

#include <stdio.h>
#include <string.h>

const char *inv_mor(const json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v)) {
		const json_t *val = json_object_get(v, "value");
		if (!val)
			val = json_object_get(v, "_value");
		return json_is_string(val) ? json_string_value(val) : NULL;
	}
	return NULL;
}

/* Property sets are keyed by whole paths ("runtime.powerState") while nested data
 * objects are keyed by single names, so at each level the longest key that is a
 * prefix of the remaining path wins. */
json_t *inv_path(const json_t *obj, const char *dotted)
{
	char part[256];
	size_t len = strlen(dotted);
	json_t *v;

	if (!json_is_object(obj) || len >= sizeof(part))
		return NULL;
	v = json_object_get(obj, dotted);
	if (v)
		return v;
	for (size_t n = len; n-- > 0;) {
		if (dotted[n] != '.')
			continue;
		memcpy(part, dotted, n);
		part[n] = '\0';
		v = json_object_get(obj, part);
		if (v)
			return inv_path(v, dotted + n + 1);
	}
	return NULL;
}

const char *inv_str(const json_t *obj, const char *dotted)
{
	json_t *v = inv_path(obj, dotted);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *inv_s(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

json_int_t inv_int(const json_t *obj, const char *dotted, json_int_t def)
{
	json_t *v = inv_path(obj, dotted);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	if (json_is_string(v)) {
		char *end;
		long long n = strtoll(json_string_value(v), &end, 10);
		if (!*end && end != json_string_value(v))
			return n;
	}
	return def;
}

int inv_bool(const json_t *obj, const char *dotted)
{
	json_t *v = inv_path(obj, dotted);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v))
		return !strcmp(json_string_value(v), "true");
	return -1;
}

size_t inv_count(const json_t *v)
{
	if (!v || json_is_null(v))
		return 0;
	return json_is_array(v) ? json_array_size(v) : 1;
}

json_t *inv_at(const json_t *v, size_t i)
{
	return json_is_array(v) ? json_array_get(v, i) : (json_t *)v;
}

/* Record keys are literals, valid UTF-8: jansson need not check them again, a
 * measurable share of a poll at some fifty keys per VM. */
void inv_set_str(json_t *rec, const char *key, const char *s)
{
	json_object_set_new_nocheck(rec, key, s ? json_string(s) : json_null());
}

void inv_set_from(json_t *rec, const char *key, const json_t *obj, const char *dotted)
{
	json_t *v = inv_path(obj, dotted);

	json_object_set_new_nocheck(rec, key, json_is_string(v) ? json_incref(v) : json_null());
}

void inv_raw_init(struct inv_raw *r)
{
	r->buckets = json_object();
	r->where = json_object();
	r->fields = json_object();
	r->vm_refs = json_object();
	r->tags = NULL;
	r->seen = NULL;
}

void inv_raw_free(struct inv_raw *r)
{
	json_decref(r->where);
	json_decref(r->buckets);
	json_decref(r->fields);
	json_decref(r->tags);
	json_decref(r->vm_refs);
	r->buckets = r->where = r->fields = r->tags = r->vm_refs = NULL;
}

void inv_raw_add_field(struct inv_raw *r, json_int_t key, const char *name)
{
	char k[32];

	if (key < 0 || !name)
		return;
	snprintf(k, sizeof(k), "%lld", (long long)key);
	json_object_set_new(r->fields, k, json_string(name));
}

void inv_raw_set_tags(struct inv_raw *r, json_t *tags)
{
	json_decref(r->tags);
	r->tags = json_incref(tags);
}

static void count_ref(json_t *refs, const char *moref)
{
	json_t *n;

	if (!moref)
		return;
	n = json_object_get(refs, moref);
	if (n)
		json_integer_set(n, json_integer_value(n) + 1);
	else
		json_object_set_new(refs, moref, json_integer(1));
}

static void count_vm_into(json_t *refs, const json_t *props)
{
	static const char *const lists[] = { "datastore", "network" };

	count_ref(refs, inv_mor(json_object_get(props, "runtime.host")));
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		json_t *l = json_object_get(props, lists[k]);
		for (size_t i = 0; i < inv_count(l); i++)
			count_ref(refs, inv_mor(inv_at(l, i)));
	}
}

void inv_raw_count_vm_read(struct inv_raw *r, const struct inv_vm *vm)
{
	static const int lists[] = { VL_DATASTORE, VL_NETWORK };

	count_ref(r->vm_refs, inv_vm_mor(vm, &vm->f[VF_HOST]));
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		for (size_t i = 0; i < vm->n[lists[k]]; i++)
			count_ref(r->vm_refs, inv_vm_mor(vm, &vm->items[lists[k]][i].f[0]));
}

void inv_raw_recount_vms(const struct inv_raw *r)
{
	const char *moref;
	json_t *props;

	json_object_clear(r->vm_refs);
	json_object_foreach(json_object_get(r->buckets, "vm"), moref, props)
		count_vm_into(r->vm_refs, props);
}

json_int_t inv_vm_count(const struct inv_raw *r, const char *moref)
{
	return json_integer_value(json_object_get(r->vm_refs, moref));
}

void inv_raw_add(struct inv_raw *r, const char *bucket, const char *moref, json_t *props)
{
	json_t *b = json_object_get(r->buckets, bucket), *was;

	if (!b) {
		b = json_object();
		json_object_set_new(r->buckets, bucket, b);
	}
	json_object_set(b, moref, props);
	was = json_object_get(r->where, moref);
	if (!was)
		json_object_set(r->where, moref, b);
	else if (was != b)
		json_object_set_new(r->where, moref, json_null());
}

/* moref's object, from the bucket it was added to; in the first bucket that holds
 * it when it was added to several (vCenter's morefs are unique, so never). An
 * object removed since (incremental `leave`) is not in its bucket any more. */
static json_t *find_any(const struct inv_raw *r, const char *moref)
{
	json_t *where = json_object_get(r->where, moref), *bucket;
	const char *name;

	if (!json_is_null(where))
		return json_object_get(where, moref);   /* NULL (never added) gives NULL */
	json_object_foreach(r->buckets, name, bucket) {
		json_t *o = json_object_get(bucket, moref);
		if (o)
			return o;
	}
	return NULL;
}

static void note_seen(const struct inv_raw *r, const char *moref)
{
	if (r->seen) {
		buf_adds(r->seen, moref);
		buf_addc(r->seen, '\n');
	}
}

const char *inv_name_of(const struct inv_raw *r, const char *moref)
{
	if (!moref)
		return NULL;
	note_seen(r, moref);
	return inv_str(find_any(r, moref), "name");
}

const char *inv_ancestor(const struct inv_raw *r, const char *moref, const char *bucket)
{
	json_t *b = json_object_get(r->buckets, bucket);

	for (int depth = 0; moref && depth < 64; depth++) {
		json_t *o;
		note_seen(r, moref);
		if (json_object_get(b, moref))
			return moref;
		o = find_any(r, moref);
		moref = o ? inv_mor(json_object_get(o, "parent")) : NULL;
	}
	return NULL;
}

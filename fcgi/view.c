/* Generation-keyed memo of decoded inventory records (see view.h). */
#include "view.h"
#include "store.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct view_cache {
	struct view_entry *e;
	size_t n, cap;
};

static struct view_cache cache;

static void entry_clear(struct view_entry *e)
{
	if (e->index && e->index_free)
		e->index_free(e->index);
	e->index = NULL;
	e->index_free = NULL;
	json_decref(e->records);
	e->records = NULL;
	e->gen = -1;
	e->tampered = 0;
}

void view_cache_reset(void)
{
	for (size_t i = 0; i < cache.n; i++)
		entry_clear(&cache.e[i]);
	free(cache.e);
	memset(&cache, 0, sizeof(cache));
}

int view_gens(struct store *s, const char *const *vcenters, size_t n, long long *gens)
{
	return view_gens_status(s, vcenters, n, gens, NULL, NULL);
}

int view_gens_status(struct store *s, const char *const *vcenters, size_t n, long long *gens,
                     void (*fn)(void *ctx, size_t i, const char *data, size_t len), void *ctx)
{
	size_t nkeys = fn ? 2 * n : n;
	char (*keys)[64] = calloc(nkeys ? nkeys : 1, sizeof(*keys));
	const char **ptrs = calloc(nkeys ? nkeys : 1, sizeof(*ptrs));
	int rc;

	if (!keys || !ptrs)
		abort();
	for (size_t i = 0; i < n; i++) {
		store_key_gen(keys[i], sizeof(keys[i]), vcenters[i]);
		if (fn)
			store_key_vc(keys[n + i], sizeof(keys[n + i]), vcenters[i], "status");
	}
	for (size_t i = 0; i < nkeys; i++)
		ptrs[i] = keys[i];
	rc = n ? store_counters_get(s, ptrs, n, gens, nkeys, fn, ctx) : 0;
	free(keys);
	free(ptrs);
	return rc;
}

static struct view_entry *find_or_add(const char *vcenter, const char *type)
{
	struct view_entry *e;

	for (size_t i = 0; i < cache.n; i++) {
		e = &cache.e[i];
		if (!strcmp(e->vcenter, vcenter) && !strcmp(e->type, type))
			return e;
	}
	if (cache.n == cache.cap) {
		cache.cap = cache.cap ? cache.cap * 2 : 32;
		cache.e = realloc(cache.e, cache.cap * sizeof(*cache.e));
		if (!cache.e)
			abort();
	}
	e = &cache.e[cache.n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->vcenter, sizeof(e->vcenter), "%s", vcenter);
	snprintf(e->type, sizeof(e->type), "%s", type);
	e->gen = -1;
	return e;
}

static int load(struct store *s, struct view_entry *e, long long gen)
{
	unsigned long tampered_before = s->tampered;
	char key[128], *val = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int rc;

	store_key_vc(key, sizeof(key), e->vcenter, e->type);
	rc = store_get(s, key, &val, &len);
	if (rc < 0)
		return -1;
	entry_clear(e);
	if (rc == 1) {
		j = json_loadb(val, len, 0, NULL);
		free(val);
		if (!json_is_array(j) && !json_is_object(j)) {
			log_error("view.bad_record", "key=%s", log_q(key));
			json_decref(j);
			j = NULL;
		}
	}
	e->tampered = s->tampered != tampered_before;
	e->records = j ? j : json_array();
	e->gen = gen;
	return 0;
}

struct view_entry *view_get(struct store *s, const char *vcenter, long long gen, const char *type)
{
	struct view_entry *e = find_or_add(vcenter, type);

	if (e->gen == gen && e->records)
		return e;
	return load(s, e, gen) ? NULL : e;
}

json_t *view_merge(struct store *s, const char *const *vcenters, size_t n, const char *type)
{
	long long *gens = calloc(n ? n : 1, sizeof(*gens));
	json_t *out = json_array();

	if (view_gens(s, vcenters, n, gens)) {
		free(gens);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct view_entry *e = view_get(s, vcenters[i], gens[i], type);
		if (!e) {
			json_decref(out);
			out = NULL;
			break;
		}
		if (json_is_array(e->records))
			json_array_extend(out, e->records);
	}
	free(gens);
	return out;
}

json_t *view_status(struct store *s, const char *vcenter)
{
	char key[128], *val = NULL;
	size_t len;
	json_t *j;

	store_key_vc(key, sizeof(key), vcenter, "status");
	if (store_get(s, key, &val, &len) != 1)
		return NULL;
	j = json_loadb(val, len, 0, NULL);
	free(val);
	return j;
}

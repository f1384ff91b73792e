/* Global search across every vCenter of the session: GET /search?q= (the page),
 * /search/suggest?q= (the as-you-type dropdown, an HTML fragment) and the engine
 * behind /api/v1/search. Each view entry (vCenter, type, generation) gets prebuilt
 * search keys: lowercased name, DNS name and IPs, and a 64-bit mask of the
 * characters in the name. A query scores every key: exact, prefix and substring
 * matches on names, exact and prefix matches on IPs, DNS names, then subsequences
 * ("prdweb" finds "prod-web-01") and, for queries of 4+ characters, typos by edit
 * distance against the best substring (Sellers), tried only when the character
 * mask says the distance could be small enough. The best hits stay in a min-heap. */
#include "scope.h"
#include "view.h"
#include "arena.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "server.h"
#include "tpl.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_MAX_Q 64        /* bytes of the query that are scored */
#define SEARCH_PAGE_HITS 100
#define SEARCH_SUGGEST_HITS 8

/* What a type's records offer to search. */
struct search_kind {
	const char *type;          /* store type */
	const char *kind;          /* hit kind */
	bool ip_only;              /* vmk: its IP finds the host, its name finds nothing */
};

static const struct search_kind kinds[] = {
	{ "vm", "vm", false },
	{ "host", "host", false },
	{ "vmk", "host", true },
	{ "datastore", "datastore", false },
	{ "network", "network", false },
};

struct skey {
	const json_t *rec;
	const char *disp_name, *moref, *ip, *sub;   /* what a hit shows, borrowed from rec */
	const char *name;          /* lowercased; "" for ip_only */
	const char *dns;           /* lowercased or "" */
	const char **ips;          /* NULL-terminated, borrowed from rec */
	uint64_t mask;
	unsigned short name_len;
	unsigned pos;
};

struct sindex {
	const struct search_kind *sk;
	struct skey *keys;
	size_t n;
	struct arena strings;
};

static uint64_t char_bit(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return 1ull << (c - 'a');
	if (c >= '0' && c <= '9')
		return 1ull << (26 + c - '0');
	return c == '-' || c == '_' || c == '.' ? 1ull << 36 : 1ull << 37;
}

static uint64_t mask_of(const char *s)
{
	uint64_t m = 0;

	for (; *s; s++)
		m |= char_bit((unsigned char)*s);
	return m;
}

static const char **ips_of(struct arena *a, const json_t *rec)
{
	const json_t *list = json_object_get(rec, "ips"), *v;
	const char *primary = json_string_value(json_object_get(rec, "ip"));
	size_t n = json_array_size(list), k = 0, i;
	const char **out = arena_alloc(a, (n + 2) * sizeof(*out));

	if (primary && *primary)
		out[k++] = primary;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && (!primary || strcmp(primary, json_string_value(v))))
			out[k++] = json_string_value(v);
	return out;
}

static void key_display(struct skey *k, const struct search_kind *sk)
{
	const json_t *rec = k->rec;

	if (sk->ip_only) {                       /* a vmk: the hit is its host */
		k->disp_name = tbl_str(rec, "host_name");
		k->moref = tbl_str(rec, "host");
		k->sub = tbl_str(rec, "name");
		k->ip = k->ips[0];
		return;
	}
	k->disp_name = tbl_str(rec, "name");
	k->moref = tbl_str(rec, "moref");
	k->ip = json_string_value(json_object_get(rec, "ip"));
	k->sub = !strcmp(sk->kind, "vm") ? tbl_str(rec, "guest_os")
	       : !strcmp(sk->kind, "host") ? tbl_str(rec, "version")
	       : !strcmp(sk->kind, "datastore") ? tbl_str(rec, "type") : tbl_str(rec, "kind");
}

static void *sindex_build(const json_t *records, const void *arg)
{
	struct sindex *ix = calloc(1, sizeof(*ix));
	const json_t *rec;
	size_t i;

	if (!ix || !(ix->keys = calloc(json_array_size(records) + 1, sizeof(*ix->keys))))
		abort();
	ix->sk = arg;
	json_array_foreach(records, i, rec) {
		struct skey *k = &ix->keys[ix->n];
		if (!json_is_object(rec))
			continue;
		k->rec = rec;
		k->pos = (unsigned)i;
		k->name = ix->sk->ip_only ? "" : tbl_lower_dup(&ix->strings, tbl_str(rec, "name"));
		k->name_len = (unsigned short)(strlen(k->name) > 65535 ? 65535 : strlen(k->name));
		k->dns = tbl_lower_dup(&ix->strings, tbl_str(rec, "dns_name"));
		k->ips = ips_of(&ix->strings, rec);
		k->mask = mask_of(k->name);
		if (ix->sk->ip_only && !k->ips[0])
			continue;
		key_display(k, ix->sk);
		ix->n++;
	}
	return ix;
}

static void sindex_free(void *p)
{
	struct sindex *ix = p;

	if (!ix)
		return;
	arena_free(&ix->strings);
	free(ix->keys);
	free(ix);
}

/* ---- scoring ---- */

struct squery {
	char q[SEARCH_MAX_Q + 1];
	size_t len;
	uint64_t mask;
	bool ipish;                /* only digits, dots, colons and hex: worth trying IPs */
	int max_edits;
	uint64_t peq[256];         /* Myers: bit i set when q[i] is that byte */
};

static void squery_init(struct squery *sq, const char *q)
{
	size_t len = strlen(q);

	while (len && isspace((unsigned char)q[len - 1]))
		len--;
	while (len && isspace((unsigned char)*q))
		q++, len--;
	if (len > SEARCH_MAX_Q)
		len = SEARCH_MAX_Q;
	tbl_lower(sq->q, q, len);
	sq->len = len;
	sq->mask = mask_of(sq->q);
	sq->ipish = len && strspn(sq->q, "0123456789.:abcdef") == len && strpbrk(sq->q, ".:");
	sq->max_edits = len < 4 ? 0 : len < 7 ? 1 : 2;
	memset(sq->peq, 0, sizeof(sq->peq));
	for (size_t i = 0; i < len; i++)
		sq->peq[(unsigned char)sq->q[i]] |= 1ull << i;
}

/* Every character of q appears in s in order; returns the span it needed, or 0. */
static size_t subsequence(const char *q, const char *s)
{
	const char *start = NULL;

	for (; *q && *s; s++) {
		if (*s == *q) {
			if (!start)
				start = s;
			q++;
		}
	}
	return *q ? 0 : (size_t)(s - start);
}

/* The smallest edit distance between the query and any substring of s: Myers'
 * bit-parallel form of Sellers' algorithm, one 64-bit step per character of s
 * (the query is at most SEARCH_MAX_Q = 64 bytes). */
static int substring_distance(const struct squery *sq, const char *s, size_t n)
{
	uint64_t pv = ~0ull, mv = 0, high = 1ull << (sq->len - 1);
	int score = (int)sq->len, best = score;

	for (size_t j = 0; j < n; j++) {
		uint64_t eq = sq->peq[(unsigned char)s[j]];
		uint64_t xv = eq | mv, xh = (((eq & pv) + pv) ^ pv) | eq;
		uint64_t ph = mv | ~(xh | pv), mh = pv & xh;
		if (ph & high)
			score++;
		else if (mh & high)
			score--;
		ph <<= 1;                   /* no |1: a match may start anywhere in s */
		mh <<= 1;
		pv = mh | ~(xv | ph);
		mv = ph & xv;
		if (score < best)
			best = score;
	}
	return best;
}

static int score_ip(const struct squery *sq, const struct skey *k, const char **ip)
{
	for (size_t i = 0; k->ips[i]; i++) {
		if (!strcmp(k->ips[i], sq->q))
			return *ip = k->ips[i], 950;
		if (!strncmp(k->ips[i], sq->q, sq->len))
			return *ip = k->ips[i], 850 - (int)(strlen(k->ips[i]) - sq->len);
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.' || c == ' ';
}

static int score_name(const struct squery *sq, const struct skey *k, const char **why)
{
	const char *hit;
	size_t span;
	int d;

	if (!k->name_len)
		return 0;
	if (k->name_len == sq->len && !memcmp(k->name, sq->q, sq->len))
		return *why = "name", 1000;
	if (!strncmp(k->name, sq->q, sq->len))
		return *why = "prefix", 900 - (k->name_len - (int)sq->len > 99 ? 99 : k->name_len - (int)sq->len);
	if ((hit = strstr(k->name, sq->q))) {
		int word = is_sep(hit[-1]) ? 50 : 0;
		return *why = "partial", 750 + word - (int)((hit - k->name) > 49 ? 49 : hit - k->name);
	}
	if (sq->ipish)                  /* an address: no subsequences, no typos */
		return 0;
	if (sq->len >= 2 && (span = subsequence(sq->q, k->name)) && span <= sq->len * 3)
		return *why = "partial", 600 - (int)(span - sq->len);
	if (!sq->max_edits || __builtin_popcountll(sq->mask & ~k->mask) > sq->max_edits)
		return 0;
	d = substring_distance(sq, k->name, k->name_len);
	if (d <= sq->max_edits)
		return *why = "fuzzy", 500 - 100 * d;
	return 0;
}

static int score_key(const struct squery *sq, const struct skey *k, const char **why, const char **ip)
{
	int s = score_name(sq, k, why), t;

	*ip = NULL;
	if (sq->ipish && (t = score_ip(sq, k, ip)) > s)
		s = t, *why = "ip";
	if (s < 700 && k->dns[0] && sq->len >= 2) {
		if (!strncmp(k->dns, sq->q, sq->len))
			t = 740;
		else
			t = strstr(k->dns, sq->q) ? 640 : 0;
		if (t > s)
			s = t, *why = "dns";
	}
	return s;
}

/* ---- the heap of the best hits (worst on top) ---- */

static bool worse(const struct inv_hit *a, const struct inv_hit *b)
{
	if (a->score != b->score)
		return a->score < b->score;
	if (a->src != b->src)
		return a->src > b->src;
	return a->pos > b->pos;
}

static void heap_push(struct inv_hit *h, size_t *n, size_t max, const struct inv_hit *x)
{
	size_t i;

	if (*n == max) {
		if (!worse(&h[0], x))
			return;
		i = 0;
		h[0] = *x;
		for (;;) {                              /* sift down */
			size_t l = 2 * i + 1, r = l + 1, m = i;
			if (l < *n && worse(&h[l], &h[m]))
				m = l;
			if (r < *n && worse(&h[r], &h[m]))
				m = r;
			if (m == i)
				break;
			struct inv_hit t = h[i];
			h[i] = h[m];
			h[m] = t;
			i = m;
		}
		return;
	}
	i = (*n)++;
	h[i] = *x;
	while (i && worse(&h[i], &h[(i - 1) / 2])) {   /* sift up */
		struct inv_hit t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static int best_first(const void *pa, const void *pb)
{
	const struct inv_hit *a = pa, *b = pb;

	return worse(a, b) ? 1 : worse(b, a) ? -1 : 0;
}

static void fill_hit(struct inv_hit *h, const struct search_kind *sk, const struct skey *k,
                     const struct scope *sc, size_t v)
{
	h->kind = sk->kind;
	h->vcenter = sc->ids[v];
	h->vcenter_name = sc->names[v];
	h->src = (unsigned)v;
	h->pos = k->pos;
	h->name = k->disp_name;
	h->moref = k->moref;
	h->sub = k->sub;
	if (!h->ip)
		h->ip = k->ip;
}

int inv_search(const struct scope *sc, const char *q, struct inv_hit *hits, size_t max,
               size_t *n_hits, size_t *total)
{
	struct squery sq;

	*n_hits = *total = 0;
	squery_init(&sq, q ? q : "");
	if (!sq.len || !max)
		return 0;
	for (size_t v = 0; v < sc->n; v++) {
		for (size_t t = 0; t < sizeof(kinds) / sizeof(kinds[0]); t++) {
			struct view_entry *e = scope_entry(sc, v, kinds[t].type);
			struct sindex *ix;
			if (!e)
				return -1;
			ix = scope_memo(e, SLOT_SEARCH, sindex_build, sindex_free, &kinds[t]);
			for (size_t i = 0; i < ix->n; i++) {
				struct inv_hit h = { 0 };
				h.score = score_key(&sq, &ix->keys[i], &h.why, &h.ip);
				if (!h.score)
					continue;
				(*total)++;
				fill_hit(&h, ix->sk, &ix->keys[i], sc, v);
				heap_push(hits, n_hits, max, &h);
			}
		}
	}
	if (*n_hits)
		qsort(hits, *n_hits, sizeof(*hits), best_first);
	return 0;
}

void inv_hit_href(const struct inv_hit *h, char *out, size_t n)
{
	struct buf b = BUF_INIT;

	if (strcmp(h->kind, "network")) {
		inv_detail_href(out, n, h->kind, h->vcenter, h->moref);
		return;
	}
	buf_adds(&b, "/networks?view=portgroups&q=");
	buf_add_url(&b, h->name ? h->name : "");
	buf_adds(&b, "&vcenter=");
	buf_add_url(&b, h->vcenter);
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
}

/* ---- pages ---- */

const struct param_spec inv_search_params[] = {
	{ .name = "q", .kind = PARAM_STRING, .max = 200 },
	{ .name = "per_page", .kind = PARAM_INT, .min = 1, .max = 250 },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

static const char *kind_label(const char *kind)
{
	return !strcmp(kind, "vm") ? "VM" : !strcmp(kind, "host") ? "Host"
	     : !strcmp(kind, "datastore") ? "Datastore" : "Network";
}

static const char *kind_icon(const char *kind)
{
	return !strcmp(kind, "vm") ? "monitor" : !strcmp(kind, "host") ? "server"
	     : !strcmp(kind, "datastore") ? "database" : "network";
}

static json_t *hits_json(const struct inv_hit *hits, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char href[512];
		inv_hit_href(&hits[i], href, sizeof(href));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:i}",
		                      "href", href, "kind", hits[i].kind,
		                      "kind_label", kind_label(hits[i].kind), "icon", kind_icon(hits[i].kind),
		                      "name", hits[i].name ? hits[i].name : "",
		                      "vcenter", hits[i].vcenter, "vcenter_name", hits[i].vcenter_name,
		                      "ip", hits[i].ip, "sub", hits[i].sub && *hits[i].sub ? hits[i].sub : NULL,
		                      "match", hits[i].why, "score", hits[i].score));
	}
	return a;
}

static struct inv_hit search_hits[SEARCH_PAGE_HITS];

int page_search(struct req *r)
{
	const char *q = req_str(r, "q");
	size_t n = 0, total = 0;
	struct scope sc;
	char stotal[32];
	json_t *d;

	if (scope_load(r, &sc) < 0 ||
	    inv_search(&sc, q ? q : "", search_hits, SEARCH_PAGE_HITS, &n, &total) < 0)
		return router_store_down(r);
	tbl_fmt_int((long long)total, stotal, sizeof(stotal));
	d = json_pack("{s:s,s:b,s:o,s:s,s:I,s:b,s:b}", "q", q ? q : "", "asked", q && *q,
	              "hits", hits_json(search_hits, n), "total_text", stotal,
	              "total", (json_int_t)total, "more", total > n, "none", q && *q && !total);
	return page_render(r, "page-search", d, "Search");
}

int page_search_suggest(struct req *r)
{
	const char *q = req_str(r, "q");
	size_t n = 0, total = 0;
	struct scope sc;
	struct buf out = BUF_INIT;
	char err[256];
	json_t *d;
	int rc = 0;

	if (scope_load(r, &sc) < 0 ||
	    inv_search(&sc, q ? q : "", search_hits, SEARCH_SUGGEST_HITS, &n, &total) < 0)
		return router_store_down(r);
	if (!q || !*q) {
		resp_body(r, 200, "text/html; charset=utf-8", "", 0);
		return 0;
	}
	d = json_pack("{s:s,s:o,s:I,s:b}", "q", q, "hits", hits_json(search_hits, n),
	              "total", (json_int_t)total, "more", total > n);
	if (!r->app->tpl || tpl_render_json(r->app->tpl, "part-table-suggest", d, &out, err, sizeof(err)) < 0) {
		log_error("search.suggest", "error=%s", log_q(err));
		rc = -1;
	} else {
		resp_body(r, 200, "text/html; charset=utf-8", buf_str(&out), out.len);
	}
	json_decref(d);
	buf_free(&out);
	return rc;
}

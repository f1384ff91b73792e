/* Performance history series (see series.h for the value format): slot windows,
 * rollups by averaging (and maximum for CPU), retention by age, the binary value
 * and its JSON form for the API. */
#include "series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIES_MAGIC 0x50
#define SERIES_VERSION 1

/* Why these tiers (docs/collector.md): each chart range is served by one tier of
 * 180-1,080 points, and the four together hold 1,884 slots per entity. */
const struct series_tier_def series_tiers[SERIES_NTIERS] = {
	{ "20s", 20, 3600, "1h" },
	{ "5m", 300, 86400, "24h" },
	{ "30m", 1800, 7 * 86400, "7d" },
	{ "2h", 7200, 90 * 86400, "90d" },
};

static const struct series_metric host_vm_metrics[] = {
	{ "cpu_pct", "CPU", "%", 100 },
	{ "cpu_mhz", "CPU", "MHz", 1 },
	{ "mem_pct", "Memory", "%", 100 },
	{ "mem_mb", "Memory consumed", "MB", 1024 },
	{ "disk_kbps", "Disk", "KB/s", 1 },
	{ "net_kbps", "Network", "KB/s", 1 },
	{ "cpu_max_pct", "CPU peak", "%", 100 },
};

static const struct series_metric datastore_metrics[] = {
	{ "used_gb", "Used", "GB", 1024 },
	{ "capacity_gb", "Capacity", "GB", 1024 },
};

static const struct series_kind kinds[] = {
	{ "vm", SERIES_VM_NBASE, 0, host_vm_metrics },
	{ "host", SERIES_VM_NBASE, 0, host_vm_metrics },
	{ "datastore", SERIES_DS_NBASE, -1, datastore_metrics },
};

const struct series_kind *series_kind_find(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].kind, kind))
			return &kinds[i];
	return NULL;
}

int series_tier_of_range(const char *range)
{
	for (int i = 0; range && i < SERIES_NTIERS; i++)
		if (!strcmp(series_tiers[i].range, range))
			return i;
	return -1;
}

static int metrics_of(enum series_tier tier, const struct series_kind *k)
{
	return k->nbase + (tier != SERIES_20S && k->maxm >= 0);
}

int series_init(struct series *s, enum series_tier tier, const struct series_kind *k)
{
	memset(s, 0, sizeof(*s));
	if ((unsigned)tier >= SERIES_NTIERS || !k)
		return -1;
	s->step = series_tiers[tier].step;
	s->cap = series_tiers[tier].keep / s->step;
	s->nbase = k->nbase;
	s->maxm = k->maxm;
	s->nmetrics = metrics_of(tier, k);
	s->v = malloc((size_t)s->cap * (size_t)s->nmetrics * sizeof(*s->v));
	if (!s->v)
		abort();
	return 0;
}

void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int64_t *col(const struct series *s, int m)
{
	return s->v + (size_t)m * (size_t)s->cap;
}

int64_t series_last(const struct series *s)
{
	for (int i = s->n - 1; i >= 0; i--)
		for (int m = 0; m < s->nmetrics; m++)
			if (col(s, m)[i] != SERIES_NONE)
				return s->start + (int64_t)i * s->step;
	return -1;
}

/* Drops the k oldest slots. */
static void drop_oldest(struct series *s, int k)
{
	if (k <= 0)
		return;
	if (k >= s->n) {
		s->n = 0;
		return;
	}
	for (int m = 0; m < s->nmetrics; m++)
		memmove(col(s, m), col(s, m) + k, (size_t)(s->n - k) * sizeof(int64_t));
	s->n -= k;
	s->start += (int64_t)k * s->step;
}

/* Inserts k empty slots before the first one (the caller checked the room). */
static void open_before(struct series *s, int k)
{
	for (int m = 0; m < s->nmetrics; m++) {
		memmove(col(s, m) + k, col(s, m), (size_t)s->n * sizeof(int64_t));
		for (int i = 0; i < k; i++)
			col(s, m)[i] = SERIES_NONE;
	}
	s->n += k;
	s->start -= (int64_t)k * s->step;
}

static void open_after(struct series *s, int upto)
{
	for (int m = 0; m < s->nmetrics; m++)
		for (int i = s->n; i < upto; i++)
			col(s, m)[i] = SERIES_NONE;
	s->n = upto;
}

void series_set(struct series *s, int64_t t, const int64_t *vals)
{
	int64_t slot = t - ((t % s->step) + s->step) % s->step, idx;

	if (s->n == 0) {
		s->start = slot;
		open_after(s, 1);
	}
	idx = (slot - s->start) / s->step;
	if (idx < 0) {
		if (s->n - idx > s->cap)
			return;            /* older than the window reaches */
		open_before(s, (int)-idx);
		idx = 0;
	} else if (idx >= s->cap) {
		/* newer than the window reaches: move it (in int64_t, a far-future time
		 * must not wrap), or start afresh when nothing of it would stay */
		int64_t k = idx - s->cap + 1;
		if (k >= s->n) {
			s->n = 0;
			s->start = slot;
			open_after(s, 1);
		} else {
			drop_oldest(s, (int)k);
		}
		idx = (slot - s->start) / s->step;
	}
	if (idx >= s->n)
		open_after(s, (int)idx + 1);
	for (int m = 0; m < s->nmetrics; m++)
		col(s, m)[idx] = vals[m] < 0 ? SERIES_NONE
		               : vals[m] > SERIES_VALUE_MAX ? SERIES_VALUE_MAX : vals[m];
}

void series_trim(struct series *s, int64_t now, int keep)
{
	int64_t cutoff = now - keep;

	if (s->n == 0 || cutoff <= s->start)
		return;
	drop_oldest(s, (int)((cutoff - s->start + s->step - 1) / s->step));
}

/* One coarse bucket [b, b + step) from the fine slots in it; 0 when it had none. */
static int bucket(const struct series *fine, const struct series *coarse, int64_t b, int64_t *out)
{
	int64_t sum[SERIES_METRICS_MAX] = { 0 }, cnt[SERIES_METRICS_MAX] = { 0 }, max = SERIES_NONE;
	int64_t lo = (b - fine->start) / fine->step, hi = lo + coarse->step / fine->step;
	int maxsrc = fine->nmetrics > fine->nbase ? fine->nbase : fine->maxm, any = 0;

	for (int64_t i = lo < 0 ? 0 : lo; i < hi && i < fine->n; i++) {
		for (int m = 0; m < fine->nbase; m++) {
			int64_t v = col(fine, m)[i];
			if (v != SERIES_NONE)
				sum[m] += v, cnt[m]++, any = 1;
		}
		if (maxsrc >= 0 && col(fine, maxsrc)[i] > max)
			max = col(fine, maxsrc)[i];
	}
	for (int m = 0; m < coarse->nbase; m++)
		out[m] = cnt[m] ? (sum[m] + cnt[m] / 2) / cnt[m] : SERIES_NONE;
	if (coarse->nmetrics > coarse->nbase)
		out[coarse->nbase] = max;
	return any;
}

void series_rollup(const struct series *fine, struct series *coarse, int64_t from, int64_t to)
{
	int64_t vals[SERIES_METRICS_MAX];

	if (fine->n == 0 || coarse->step % fine->step)
		return;
	for (int64_t b = from - ((from % coarse->step) + coarse->step) % coarse->step;
	     b + coarse->step <= to; b += coarse->step)
		if (b >= from && bucket(fine, coarse, b, vals))
			series_set(coarse, b, vals);
}

/* ---- the value format ---- */

static void put_varint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_add(b, tmp, n);
}

void series_encode(const struct series *s, struct buf *out)
{
	unsigned char head[2] = { SERIES_MAGIC, SERIES_VERSION };

	buf_add(out, head, 2);
	put_varint(out, (uint64_t)s->step);
	put_varint(out, (uint64_t)s->nbase);
	put_varint(out, (uint64_t)(s->maxm + 1));
	put_varint(out, (uint64_t)s->nmetrics);
	put_varint(out, (uint64_t)(s->n ? s->start / s->step : 0));
	put_varint(out, (uint64_t)s->n);
	for (int m = 0; m < s->nmetrics; m++) {
		int64_t prev = 0;
		for (int i = 0; i < s->n; i++) {
			int64_t v = col(s, m)[i], d;
			if (v == SERIES_NONE) {
				put_varint(out, 0);
				continue;
			}
			d = v - prev;
			prev = v;
			put_varint(out, (((uint64_t)d << 1) ^ (uint64_t)(d >> 63)) + 1);
		}
	}
}

struct reader {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t get_varint(struct reader *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			break;
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

static int decode_values(struct series *s, struct reader *r)
{
	for (int m = 0; m < s->nmetrics; m++) {
		int64_t prev = 0;
		for (int i = 0; i < s->n; i++) {
			uint64_t z = get_varint(r);
			int64_t d;
			if (r->bad)
				return -1;
			if (z == 0) {
				col(s, m)[i] = SERIES_NONE;
				continue;
			}
			z--;
			d = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			prev += d;
			if (prev < 0 || prev > SERIES_VALUE_MAX)
				return -1;
			col(s, m)[i] = prev;
		}
	}
	return r->p == r->end ? 0 : -1;
}

int series_decode(struct series *s, enum series_tier tier, const struct series_kind *k,
                  const void *data, size_t len)
{
	struct reader r = { data, (const unsigned char *)data + len, 0 };
	uint64_t step, nbase, maxm1, nm, start, n;

	if (series_init(s, tier, k))
		return -1;
	if (len < 2 || r.p[0] != SERIES_MAGIC || r.p[1] != SERIES_VERSION)
		return -1;
	r.p += 2;
	step = get_varint(&r);
	nbase = get_varint(&r);
	maxm1 = get_varint(&r);
	nm = get_varint(&r);
	start = get_varint(&r);
	n = get_varint(&r);
	if (r.bad || step != (uint64_t)s->step || nbase != (uint64_t)s->nbase ||
	    maxm1 != (uint64_t)(s->maxm + 1) || nm != (uint64_t)s->nmetrics ||
	    n > (uint64_t)s->cap || start > (uint64_t)INT64_MAX / step)
		return -1;
	s->start = (int64_t)(start * step);
	s->n = (int)n;
	if (decode_values(s, &r)) {
		s->n = 0;
		return -1;
	}
	return 0;
}

json_t *series_json(const struct series *s, const struct series_kind *k, int64_t from)
{
	json_t *out = json_object(), *t = json_array(), *arr[SERIES_METRICS_MAX];

	for (int m = 0; m < s->nmetrics; m++)
		arr[m] = json_array();
	for (int i = 0; i < s->n; i++) {
		int64_t when = s->start + (int64_t)i * s->step;
		if (when < from)
			continue;
		json_array_append_new(t, json_integer(when));
		for (int m = 0; m < s->nmetrics; m++) {
			int64_t v = col(s, m)[i];
			json_array_append_new(arr[m], v == SERIES_NONE ? json_null()
			                      : json_real((double)(int64_t)((double)v / k->metrics[m].div * 100 + 0.5) / 100));
		}
	}
	json_object_set_new(out, "t", t);
	for (int m = 0; m < s->nmetrics; m++)
		json_object_set_new(out, k->metrics[m].key, arr[m]);
	return out;
}

void series_key(char *out, size_t n, const char *vcenter, enum series_tier tier, const char *moref)
{
	snprintf(out, n, "vc:{%s}:perf:%s:%s", vcenter, series_tiers[tier].name, moref);
}

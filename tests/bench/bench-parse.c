/* The collector's CPU without the network: RetrievePropertiesEx answers saved to
 * files are read by the SOAP parser (libxml2 pulls them as it needs them, as from a
 * connection's spool), with the poll's prune rules; objects of answers smaller than
 * 2 MB go to the raw model (hosts, networks, ... by moref prefix), the others become
 * VM records and their stored text, as in a poll. Prints CPU seconds of the best of N
 * rounds, so changes to the parser and the record builders can be compared without
 * the simulator's noise. The same bytes through a bare libxml2 SAX1 pull parser
 * (callbacks that do nothing) give the floor any libxml2-based client pays. Usage:
 * bench-parse ROUNDS FILE... (bench-collector.sh BENCH_PARSE=1 saves the answers and
 * runs it). */
#include "inv.h"
#include "inv_build.h"
#include "json_arena.h"
#include "vc.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ctx {
	struct inv_raw raw;
	struct inv_vms vms;
	bool to_vms;
	size_t objects;
};

static const char *bucket_of(const char *moref)
{
	static const struct { const char *prefix, *bucket; } map[] = {
		{ "host-", "host" }, { "datastore-", "datastore" }, { "domain-c", "cluster" },
		{ "network-", "network" }, { "dvportgroup-", "dvpg" }, { "dvs-", "dvs" },
		{ "resgroup-", "pool" }, { "datacenter-", "datacenter" }, { "group-", "folder" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(moref, map[i].prefix, strlen(map[i].prefix)))
			return map[i].bucket;
	return "other";
}

static int on_object(void *ud, const char *moref, json_t *props)
{
	struct ctx *c = ud;

	c->objects++;
	if (c->to_vms)
		inv_vms_add(&c->vms, &c->raw, moref, props);
	else
		inv_raw_add(&c->raw, bucket_of(moref), moref, props);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	d = malloc((size_t)n + 1);
	if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		d = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return d;
}

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sax_start(void *ud, const xmlChar *qname, const xmlChar **atts)
{
}

static void sax_end(void *ud, const xmlChar *qname)
{
}

static void sax_text(void *ud, const xmlChar *ch, int len)
{
}

struct bare_input {
	const char *data;
	size_t left;
};

static int bare_read(void *ctx, char *buf, int len)
{
	struct bare_input *in = ctx;
	size_t n = in->left < (size_t)len ? in->left : (size_t)len;

	memcpy(buf, in->data, n);
	in->data += n;
	in->left -= n;
	return (int)n;
}

/* The answers through libxml2 alone, pulled from memory with the same SAX1 events
 * as the parser (collector/vc_xml.c). */
static void round_bare(char **data, size_t *len, int n)
{
	xmlSAXHandler sax;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_text;
	for (int i = 0; i < n; i++) {
		struct bare_input in = { data[i], len[i] };
		xmlParserCtxtPtr c = xmlCreateIOParserCtxt(&sax, NULL, bare_read, NULL, &in,
		                                           XML_CHAR_ENCODING_NONE);

		xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOCDATA);
		xmlParseDocument(c);
		xmlFreeParserCtxt(c);
	}
}

static int round_once(char **data, size_t *len, int n, size_t *objects, size_t *text_len)
{
	struct ctx c = { .objects = 0 };
	struct vc_parser *p = vc_parser_new(on_object, &c);
	struct buf text = BUF_INIT;
	const struct vc_sink *sink;
	void *reader;
	int rc = 0;

	inv_raw_init(&c.raw);
	vc_parser_set_prune(p, inv_prune, inv_nprune);
	for (int pass = 0; pass < 2 && !rc; pass++) {
		if (pass == 1) {
			inv_vms_init(&c.vms, &c.raw, "bench", "bench");
			sink = inv_vms_sink(&c.vms, &reader);    /* as a poll's VMs */
			vc_parser_set_sink(p, sink, reader);
		}
		for (int i = 0; i < n && !rc; i++) {
			if ((len[i] >= (2u << 20)) != (pass == 1))
				continue;
			c.to_vms = pass == 1;
			vc_parser_set_arena(p, c.to_vms);        /* as vc_bulk's parsers */
			vc_parser_reset(p);
			rc = vc_parser_parse(p, data[i], len[i], 0);
			if (!rc)
				rc = vc_parser_finish(p, 200);
			if (rc)
				fprintf(stderr, "answer %d: %s\n", i, vc_parser_errstr(p));
		}
	}
	inv_vms_take_text(&c.vms, &text);
	*objects = c.objects;
	*text_len = text.len;
	buf_free(&text);
	inv_vms_free(&c.vms);
	inv_raw_free(&c.raw);
	vc_parser_free(p);
	return rc;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 0, n = argc - 2;
	char **data = calloc((size_t)(n > 0 ? n : 1), sizeof(*data));
	size_t *len = calloc((size_t)(n > 0 ? n : 1), sizeof(*len)), bytes = 0, objects = 0, text = 0;
	double best = 1e9, bare = 1e9;
	bool bare_off;

	/* BENCH_BARE=0 leaves the bare libxml2 rounds out (instruction counts under
	 * valgrind --tool=cachegrind, which the host's speed does not move) */
	bare_off = getenv("BENCH_BARE") && !strcmp(getenv("BENCH_BARE"), "0");
	/* as the collector does; BENCH_ARENA=0 measures plain malloc */
	if (!getenv("BENCH_ARENA") || strcmp(getenv("BENCH_ARENA"), "0"))
		json_arena_install();
	if (rounds < 1 || n < 1) {
		fprintf(stderr, "usage: bench-parse ROUNDS FILE...\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		if (!(data[i] = slurp(argv[i + 2], &len[i]))) {
			perror(argv[i + 2]);
			return 1;
		}
		bytes += len[i];
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = cpu_now(), t1;
		if (round_once(data, len, n, &objects, &text))
			return 1;
		t1 = cpu_now();
		if (!bare_off)
			round_bare(data, len, n);
		if (t1 - t0 < best)
			best = t1 - t0;
		if (cpu_now() - t1 < bare)
			bare = cpu_now() - t1;
	}
	printf("%.1f MB of XML, %zu objects, %.1f MB of VM text; best of %d rounds: %.3f s CPU "
	       "(libxml2 alone %.3f s)\n", (double)bytes / 1e6, objects, (double)text / 1e6, rounds,
	       best, bare);
	for (int i = 0; i < n; i++)
		free(data[i]);
	free(data);
	free(len);
	return 0;
}

/* libFuzzer target for the SOAP response parser (collector/vc_xml.c). The first
 * byte picks the path: bit 0 streams objects to a callback (RetrievePropertiesEx) or
 * keeps everything in the result (faults, ServiceContent, Login, vc_call), bit 1
 * says HTTP 500 instead of 200, bits 2-7 the most bytes one read of the input
 * returns (0: all libxml2 asks for); an odd value also prunes property values
 * by the collector's rules and one nested rule of its own, and with bit 3 streamed
 * objects become VM records as in a poll (the values through the record reader's
 * sink, each record's text then checked to be a JSON object). The rest is the
 * response body. The result also goes through the ServiceContent, version and
 * fingerprint helpers. */
#include "inv.h"
#include "inv_build.h"
#include "inv_out.h"
#include "buf.h"
#include "vc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int count_object(void *ctx, const char *moref, json_t *props)
{
	char *s = json_dumps(props, JSON_COMPACT);

	(*(size_t *)ctx) += strlen(moref) + (s ? strlen(s) : 0);
	free(s);
	return 0;
}

struct vms_ctx {
	struct inv_raw raw;
	struct inv_vm vm;              /* the sink's: what it read of the object */
	json_t *flat;
};

/* A streamed object's VM record, written as text as a poll writes it (what was left
 * in props read too): a JSON object, or nothing when a string was not UTF-8. */
static int add_vm(void *ctx, const char *moref, json_t *props)
{
	struct vms_ctx *c = ctx;
	struct buf text = BUF_INIT;
	struct inv_out o;
	json_t *rec;
	int rc;

	inv_vm_read_props(&c->vm, props);
	inv_out_text(&o, &text);
	inv_vm_write(&o, &c->raw, moref, &c->vm, NULL, c->flat);
	inv_out_end(&o, &rc);
	rec = json_loadb(buf_str(&text), text.len, 0, NULL);
	if (rc ? text.len != 0 : !json_is_object(rec))
		abort();
	json_decref(rec);
	buf_free(&text);
	return 0;
}

static void check_helpers(const struct vc_parser *p, const char *data, size_t len)
{
	struct vc_service_content sc;
	char version[32], err[128];
	char text[80];
	uint8_t fp[32];

	vc_parse_service_content(vc_parser_result(p), &sc, err, sizeof(err));
	vc_parse_versions(data, len, version, sizeof(version));
	memcpy(text, data, len < sizeof(text) - 1 ? len : sizeof(text) - 1);
	text[len < sizeof(text) - 1 ? len : sizeof(text) - 1] = '\0';
	vc_parse_fingerprint(text, fp);
}

static const char *const keep_hw[] = { "device.deviceInfo.label", "numCPU", "device.backing" };
static struct vc_prune rules[2] = { { "config.hardware", keep_hw, 3, NULL, 0 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t seen = 0;
	struct vc_parser *p;
	struct vms_ctx c;
	bool vms = (data[0] & 9) == 9;

	if (size < 1)
		return 0;
	p = vms ? vc_parser_new(add_vm, &c) : vc_parser_new(data[0] & 1 ? count_object : NULL, &seen);
	if (!p)
		return 0;
	if (vms) {
		inv_raw_init(&c.raw);
		inv_vm_init(&c.vm);
		c.flat = json_array();
		vc_parser_set_sink(p, &inv_vm_sink, &c.vm);
	}
	if ((data[0] >> 2) & 1) {
		rules[1] = inv_prune[0];
		vc_parser_set_prune(p, rules, 2);
	}
	vc_parser_parse(p, (const char *)data + 1, size - 1, data[0] >> 2);
	if (vc_parser_finish(p, data[0] & 2 ? 500 : 200) == 0) {
		vc_parser_token(p);
		check_helpers(p, (const char *)data + 1, size - 1);
	} else if (vc_parser_errstr(p)[0] == '\0') {
		abort();   /* every failure carries a message */
	}
	if (vms) {
		inv_vm_free(&c.vm);
		json_decref(c.flat);
		inv_raw_free(&c.raw);
	}
	vc_parser_free(p);
	return 0;
}

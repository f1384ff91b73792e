/* libFuzzer target for the SOAP response parser (collector/vc_xml.c). The first
 * byte picks the path: bit 0 streams objects to a callback (RetrievePropertiesEx) or
 * keeps everything in the result (faults, ServiceContent, Login, vc_call), bit 1
 * says HTTP 500 instead of 200, bits 2-7 the most bytes one read of the input
 * returns (0: all libxml2 asks for); an odd value also prunes property values
 * by the collector's rules and one nested rule of its own. The rest is the response
 * body. The result also goes through the ServiceContent, version and fingerprint
 * helpers. */
#include "inv.h"
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

	if (size < 1)
		return 0;
	p = vc_parser_new(data[0] & 1 ? count_object : NULL, &seen);
	if (!p)
		return 0;
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
	vc_parser_free(p);
	return 0;
}

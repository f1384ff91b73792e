/* vc_xml: the SOAP response parser, with no I/O of its own. A libxml2 pull parser
 * (SAX1 events, namespace prefixes resolved here: struct ns_decl) reads the body
 * through the caller's read function as libcurl receives it; every element inside
 * the SOAP Body becomes a jansson value when it closes, so memory holds one
 * ObjectContent at a time rather than a DOM of the whole answer. RetrievePropertiesEx
 * objects are handed to a callback as soon as they are complete; faults become an
 * error code and message.
 *
 * Conversion of an element (the JSON shape documented in docs/vsphere-client.md):
 *   xsi:nil="true"                      -> null
 *   xsi:type xsd:int/long/short/byte    -> integer; xsd:boolean -> true/false;
 *   xsd:double/float -> real; other xsd -> string
 *   xsi:type ArrayOfX                   -> array of the children (their element name
 *                                          is their type when they carry no xsi:type)
 *   ManagedObjectReference, or a leaf with a `type` attribute and no xsi:type
 *                                       -> {"_type":"MOR","type":T,"value":"vm-42"}
 *   element with children               -> object (+ "_type" from xsi:type); a child
 *                                          name seen twice becomes an array
 *   leaf with a vim25 xsi:type          -> string (an enum), {"_type":T} when empty
 *   other leaf                          -> string
 *
 * Pruning (vc_parser_set_prune): inside the value of a property a rule names (a <val>
 * whose sibling <name> holds the rule's path: propSet and changeSet alike), only the
 * elements on a kept path and their subtrees become values; any other element is
 * skipped as it is read, without a frame or a value. Most of a VM's answer is device
 * detail no record shows, so this is where a poll's parse time goes otherwise. */
#include "vc.h"
#include "buf.h"
#include "json_arena.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define NAME_LEN 96
/* Values held at once (one streamed object, or a whole vc_call result): JSON costs
 * several times the XML, so the byte cap alone would allow gigabytes. */
#define MAX_NODES (4u << 20)
#define MAX_NAMES 4096          /* type names shared per parser (see type_name) */
#define PRUNE_BITS 64           /* keep paths a rule can have compared (struct prune_pos) */
#define PROP_NAME_MAX 256       /* a streamed property's <name> kept as text (prop_name) */
#define MAX_NS 256              /* namespace prefixes declared in scope at once */
#define NS_NAMES 4096           /* bytes of those prefixes */

/* A namespace prefix declared on an open element (xmlns:P="..."): the parser reads
 * libxml2's SAX1 events, which leave namespaces alone -- SAX2 resolves every one, and
 * the simulator declares one on every <val>, each of which libxml2 then also parses as
 * a URI (a sixth of its instructions on a VM answer). Element names are matched by
 * their local part, so the one thing to resolve is which prefixes mean XSI. */
struct ns_decl {
	int depth;              /* the declaring element's level */
	bool xsi;               /* bound to XSI_NS */
	unsigned short off, len;/* the prefix in vc_parser.ns_names */
};

/* What an element's attributes say, namespaces resolved. */
struct elem_attrs {
	const char *xtype;      /* xsi:type without its prefix, or NULL */
	const char *mtype;      /* unprefixed `type`: a managed object reference's type */
	bool nil;               /* xsi:nil="true" */
};

/* Where an element of a pruned value stands (prune_keeps): the length of its dotted
 * path below the <val>, the rule's keep paths that path leads to (bit i: keep[i]), or
 * keep_all once the path is a kept one or lies below one. */
struct prune_pos {
	unsigned short plen;
	bool keep_all;
	uint64_t keep;
};

struct frame {
	char name[NAME_LEN];
	char xtype[NAME_LEN];   /* xsi:type without prefix, or the element name in an array */
	char mtype[64];         /* `type` attribute: a managed object reference */
	char promoted[NAME_LEN];/* child name turned into an array by repetition */
	bool nil, is_array;
	bool taken;             /* a streamed propSet whose <val> went into the props */
	bool streamed;          /* an ObjectContent handed to the callback (is_streamed_at) */
	bool propset;           /* a propSet of such an object */
	bool sunk;              /* inside a value that goes to the sink (vc_parser_set_sink) */
	bool opened;            /* sunk: its open event was sent (a member started) */
	bool kid_seen;          /* sunk: a member started, so its text no longer counts */
	bool sink_root;         /* sunk: the <val> itself */
	struct prune_pos pos;   /* inside a pruned value */
	json_t *kids;           /* object or array of converted children */
	struct buf text;        /* kept allocated from element to element (reset only) */
};

struct vc_parser {
	xmlParserCtxtPtr ctxt;
	vc_object_fn fn;
	void *ctx;
	struct frame *stack;    /* frames of the elements inside Body (level 3 and deeper) */
	int nframes;
	int depth;              /* open elements, Envelope = 1 */
	int ignore_from;        /* level of an ignored subtree (Header, extra Body child) */
	bool seen_envelope, seen_response, is_fault, have_fault, failed, finished;
	bool stream_returnval;  /* RetrieveProperties: every returnval is an ObjectContent */
	bool arena;             /* streamed objects' values in json_arena (set_arena) */
	bool in_object;         /* inside a streamed object (its arena scope is open) */
	bool read_failed;       /* the input could not deliver the rest of the answer */
	vc_read_fn read;        /* the input of vc_parser_run() */
	void *read_ctx;
	struct ns_decl ns[MAX_NS];
	int nns;
	char ns_names[NS_NAMES];
	size_t ns_used;
	const struct vc_prune *prune;  /* rules (borrowed) and the one in force, if any */
	size_t nprune;
	const struct vc_prune *rule;
	int rule_depth;         /* level of the <val> the rule applies to */
	size_t bytes;
	size_t nodes;           /* values converted since the last streamed object */
	json_t *result;
	json_t *names;          /* type name -> its one shared string value (type_name) */
	json_t *props;          /* the streamed object's properties so far (take_property) */
	const struct vc_sink *sink;    /* where streamed objects' values go, if anywhere */
	void *sink_ctx;
	size_t sunk;            /* properties the current object gave the sink */
	char prop[PROP_NAME_MAX];  /* the <name> of the open streamed propSet ... */
	const struct vc_prune *prop_rule;  /* ... the rule for that name, if any ... */
	int prop_frame;         /* ... whose frame index this is, when has_prop */
	bool has_prop;
	char sniff[81];
	size_t sniff_len;
	enum vc_err err;
	char errstr[VC_ERRSTR_MAX];
	char fault_type[64];
};

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void pfail(struct vc_parser *p, enum vc_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the first error and stops libxml2 from calling back any further. */
static void pfail(struct vc_parser *p, enum vc_err err, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	p->err = err;
	va_start(ap, fmt);
	vsnprintf(p->errstr, sizeof(p->errstr), fmt, ap);
	va_end(ap);
	if (p->ctxt)
		xmlStopParser(p->ctxt);
}

/* --- element to JSON --- */

static bool is_blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* An xsd-typed leaf: a number or boolean when its text is one, else a string. */
static void scalar_value(const char *type, const struct buf *text, struct vc_leaf *v)
{
	const char *s = buf_str(text);
	char *end;

	v->kind = VC_K_STRING;
	if (!strcmp(type, "string"))
		return;
	if (!strcmp(type, "int") || !strcmp(type, "long") || !strcmp(type, "short") ||
	    !strcmp(type, "byte")) {
		errno = 0;
		v->i = strtoll(s, &end, 10);
		if (!errno && end != s && *end == '\0')
			v->kind = VC_K_INT;
	} else if (!strcmp(type, "boolean")) {
		v->kind = VC_K_BOOL;
		v->b = !strcmp(s, "true") || !strcmp(s, "1");
	} else if (!strcmp(type, "double") || !strcmp(type, "float")) {
		v->d = strtod(s, &end);
		if (end != s && *end == '\0')
			v->kind = VC_K_REAL;
	}
}

/* The string value of a type name (xsi:type, a reference's type, "MOR"): a new
 * reference to one value per name and parser. An answer repeats a few dozen names
 * on every object, and two allocations saved per "_type" add up over a poll; the
 * values are never modified, so sharing them is safe. Past MAX_NAMES names (a hostile
 * answer) each gets its own value again. */
static json_t *type_name(struct vc_parser *p, const char *name)
{
	json_t *v = json_object_get(p->names, name);
	int was;

	if (v)
		return json_incref(v);
	was = json_arena_suspend();         /* kept by the parser beyond the object */
	v = json_string(name);
	if (v && json_object_size(p->names) < MAX_NAMES)
		json_object_set_nocheck(p->names, name, v);
	json_arena_resume(was);
	return v;
}

static json_t *take_kids(struct frame *f)
{
	json_t *v = f->kids;

	f->kids = NULL;
	return v;
}

/* An element whose value is a leaf whatever it holds: nil, an xsd type, a reference
 * by xsi:type (members it may have are dropped). */
static bool leaf_typed(const struct frame *f)
{
	return f->nil || (f->xtype[0] && islower((unsigned char)f->xtype[0])) ||
	       (f->xtype[0] == 'M' && !strcmp(f->xtype, "ManagedObjectReference"));
}

/* What a closed element that is no object or array is (the conversion table at the
 * top). */
static void classify(struct frame *f, struct vc_leaf *v)
{
	memset(v, 0, sizeof(*v));
	v->text = "";
	if (f->nil) {
		v->kind = VC_K_NULL;
	} else if (f->xtype[0] && islower((unsigned char)f->xtype[0])) {
		scalar_value(f->xtype, &f->text, v);
	} else if (f->xtype[0] == 'M' ? !strcmp(f->xtype, "ManagedObjectReference") :
	           !f->xtype[0] && f->mtype[0]) {
		v->kind = VC_K_MOR;
		v->type = f->mtype;
	} else if (f->xtype[0] && is_blank(buf_str(&f->text))) {
		v->kind = VC_K_TYPED;
		v->type = f->xtype;
	} else {
		v->kind = VC_K_STRING;
	}
	if (v->kind == VC_K_STRING || v->kind == VC_K_MOR) {
		v->text = buf_str(&f->text);
		v->len = f->text.len;
	}
}

static json_t *leaf_json(struct vc_parser *p, const struct vc_leaf *v)
{
	json_t *o;

	switch (v->kind) {
	case VC_K_NULL:
		return json_null();
	case VC_K_INT:
		return json_integer(v->i);
	case VC_K_REAL:
		return json_real(v->d);
	case VC_K_BOOL:
		return json_boolean(v->b);
	case VC_K_MOR:
		o = json_object();
		json_object_set_new_nocheck(o, "_type", type_name(p, "MOR"));
		json_object_set_new_nocheck(o, "type", type_name(p, v->type));
		json_object_set_new_nocheck(o, "value", json_stringn_nocheck(v->text, v->len));
		return o;
	case VC_K_TYPED:
		o = json_object();
		json_object_set_new_nocheck(o, "_type", type_name(p, v->type));
		return o;
	case VC_K_STRING:
		break;
	}
	return json_stringn_nocheck(v->text, v->len);
}

/* The value of a closed element (new reference, NULL when out of memory). */
static json_t *frame_value(struct vc_parser *p, struct frame *f)
{
	struct vc_leaf v;

	if (f->is_array && !f->nil)
		return f->kids ? take_kids(f) : json_array();
	if (f->kids && !leaf_typed(f)) {
		if (f->xtype[0] && json_is_object(f->kids))
			json_object_set_new_nocheck(f->kids, "_type", type_name(p, f->xtype));
		return take_kids(f);
	}
	classify(f, &v);
	return leaf_json(p, &v);
}

/* Adds a child's value (reference stolen) to its parent; repeated names -> array. */
static int add_child(struct frame *parent, const char *name, json_t *v)
{
	json_t *old, *arr;

	if (!parent->kids) {
		parent->kids = parent->is_array ? json_array() : json_object();
		buf_reset(&parent->text);
		if (!parent->is_array)      /* the first child: no name to look for yet */
			return json_object_set_new_nocheck(parent->kids, name, v);
	}
	if (parent->is_array)
		return json_array_append_new(parent->kids, v);
	old = json_object_get(parent->kids, name);
	if (!old)
		return json_object_set_new_nocheck(parent->kids, name, v);
	if (!strcmp(parent->promoted, name) && json_is_array(old))
		return json_array_append_new(old, v);
	arr = json_array();
	json_array_append(arr, old);
	json_array_append_new(arr, v);
	copy_str(parent->promoted, sizeof(parent->promoted), name, strlen(name));
	return json_object_set_new(parent->kids, name, arr);
}

/* Empties a frame for the next element; its text buffer stays allocated (one
 * malloc per nesting level and parser rather than one per element). */
static void frame_clear(struct frame *f)
{
	json_decref(f->kids);
	f->kids = NULL;
	f->name[0] = f->xtype[0] = f->mtype[0] = f->promoted[0] = '\0';
	f->nil = f->is_array = f->taken = f->streamed = f->propset = false;
	f->sunk = f->opened = f->kid_seen = f->sink_root = false;
	f->pos = (struct prune_pos){ 0 };
	buf_reset(&f->text);
}

/* --- ObjectContent to (moref, props) --- */

static void add_missing(json_t *missing, json_t *ms)
{
	json_t *path = json_object_get(ms, "path");
	json_t *fault = json_object_get(json_object_get(ms, "fault"), "fault");
	json_t *type = json_object_get(fault, "_type");

	if (json_is_string(path))
		json_object_set_new(missing, json_string_value(path),
		                    json_string(json_is_string(type) ? json_string_value(type) : "unknown"));
}

static void each(json_t *v, void (*fn)(json_t *, json_t *), json_t *into)
{
	size_t i;
	json_t *item;

	if (!json_is_array(v)) {
		if (v)
			fn(into, v);
		return;
	}
	json_array_foreach(v, i, item)
		fn(into, item);
}

static const char *moref_of(const json_t *mor)
{
	if (json_is_string(mor))
		return json_string_value(mor);
	return json_string_value(json_object_get(mor, "value"));
}

/* The properties were set into p->props as their propSet elements closed
 * (take_property); oc holds the rest (obj, missingSet). */
static void emit_object(struct vc_parser *p, json_t *oc)
{
	const char *moref = moref_of(json_object_get(oc, "obj"));
	json_t *props = p->props ? p->props : json_object();
	json_t *missing = json_object();

	p->props = NULL;
	if (!moref) {
		pfail(p, VC_EPARSE, "ObjectContent without obj in the answer");
		goto out;
	}
	each(json_object_get(oc, "missingSet"), add_missing, missing);
	if (json_object_size(missing))
		json_object_set(props, "_missing", missing);
	if (p->fn(p->ctx, moref, props))
		pfail(p, VC_ECANCELED, "stopped by the caller while reading objects");
out:
	json_decref(missing);
	json_decref(props);
}

/* --- faults --- */

static enum vc_err fault_code(const char *type)
{
	static const struct { const char *type; enum vc_err err; } map[] = {
		{ "InvalidLogin", VC_EFAULT_LOGIN },
		{ "NotAuthenticated", VC_EFAULT_AUTH },
		{ "NoPermission", VC_EFAULT_PERM },
		{ "ManagedObjectNotFound", VC_EFAULT_NOTFOUND },
		{ "InvalidProperty", VC_EFAULT_PROPERTY },
		{ "RequestCanceled", VC_ECANCELED },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(type, map[i].type))
			return map[i].err;
	return VC_EFAULT;
}

/* The fault type: the detail child's xsi:type, else its element name minus "Fault". */
static void fault_type_of(json_t *detail, char *out, size_t cap)
{
	const char *key;
	json_t *v, *t;

	copy_str(out, cap, "unknown", 7);
	json_object_foreach(detail, key, v) {
		t = json_object_get(v, "_type");
		if (json_is_string(t)) {
			copy_str(out, cap, json_string_value(t), strlen(json_string_value(t)));
		} else {
			size_t n = strlen(key);
			if (n > 5 && !strcmp(key + n - 5, "Fault"))
				n -= 5;
			copy_str(out, cap, key, n);
		}
		return;
	}
}

static void take_fault(struct vc_parser *p, json_t *fault)
{
	json_t *fs = json_object_get(fault, "faultstring");
	const char *msg = json_is_string(fs) ? json_string_value(fs) : "";

	fault_type_of(json_object_get(fault, "detail"), p->fault_type, sizeof(p->fault_type));
	p->have_fault = true;
	p->err = fault_code(p->fault_type);
	snprintf(p->errstr, sizeof(p->errstr), "%s%s%s", p->fault_type, *msg ? ": " : "", msg);
}

/* --- SAX callbacks --- */

static const char *local_part(const char *qname)
{
	const char *colon = strchr(qname, ':');

	return colon ? colon + 1 : qname;
}

/* Records the prefixes the element declares (xmlns:P="uri"); the default namespace
 * (xmlns=) never applies to attributes. -1 with the parser failed past the limits. */
static int declare_ns(struct vc_parser *p, const xmlChar **atts)
{
	for (const xmlChar **a = atts; a && a[0]; a += 2) {
		const char *name = (const char *)a[0], *uri = (const char *)a[1];
		size_t len;
		struct ns_decl *d;

		if (name[0] != 'x' || strncmp(name, "xmlns:", 6))
			continue;
		name += 6;
		len = strlen(name);
		if (p->nns == MAX_NS || len > NS_NAMES - p->ns_used) {
			pfail(p, VC_EPARSE, "more than %d namespace declarations in scope", MAX_NS);
			return -1;
		}
		d = &p->ns[p->nns++];
		d->depth = p->depth;
		d->xsi = uri && !strcmp(uri, XSI_NS);
		d->off = (unsigned short)p->ns_used;
		d->len = (unsigned short)len;
		memcpy(p->ns_names + p->ns_used, name, len);
		p->ns_used += len;
	}
	return 0;
}

/* Forgets the declarations of the element closing at level depth. */
static void undeclare_ns(struct vc_parser *p, int depth)
{
	while (p->nns > 0 && p->ns[p->nns - 1].depth >= depth) {
		p->nns--;
		p->ns_used = p->ns[p->nns].off;
	}
}

/* Whether the attribute name P:local has a prefix bound to XSI (innermost wins). */
static bool is_xsi(const struct vc_parser *p, const char *name, const char *colon)
{
	size_t len = (size_t)(colon - name);

	for (int i = p->nns - 1; i >= 0; i--)
		if (p->ns[i].len == len && !memcmp(p->ns_names + p->ns[i].off, name, len))
			return p->ns[i].xsi;
	return false;
}

static void read_attrs(const struct vc_parser *p, const xmlChar **atts, struct elem_attrs *out)
{
	memset(out, 0, sizeof(*out));
	for (const xmlChar **a = atts; a && a[0]; a += 2) {
		const char *name = (const char *)a[0], *val = a[1] ? (const char *)a[1] : "";
		const char *colon = strchr(name, ':');

		if (!colon) {
			if (!strcmp(name, "type"))
				out->mtype = val;
		} else if (!strcmp(colon + 1, "type") && is_xsi(p, name, colon)) {
			out->xtype = local_part(val);
		} else if (!strcmp(colon + 1, "nil") && is_xsi(p, name, colon)) {
			out->nil = !strcmp(val, "true") || !strcmp(val, "1");
		}
	}
}

/* Levels 1 and 2: Envelope, then Body (Header and anything else ignored). */
static void start_envelope(struct vc_parser *p, const char *local)
{
	if (p->depth == 1) {
		if (strcmp(local, "Envelope"))
			pfail(p, VC_EPARSE, "the answer is not SOAP (root element <%.40s>)", local);
		p->seen_envelope = true;
	} else if (strcmp(local, "Body")) {
		p->ignore_from = p->depth;
	}
}

/* --- pruning --- */

/* The property name of propSet (or changeSet) frame i: kept as text for a streamed
 * propSet (keep_prop_name), else its converted <name> child. NULL when none yet. */
static const char *prop_name(const struct vc_parser *p, int i)
{
	if (p->has_prop && p->prop_frame == i)
		return p->prop;
	return json_string_value(json_object_get(p->stack[i].kids, "name"));
}

/* The rule for property prop, if any. */
static const struct vc_prune *rule_named(const struct vc_parser *p, const char *prop)
{
	for (size_t i = 0; prop && i < p->nprune; i++)
		if (p->prune[i].path[0] == prop[0] && !strcmp(p->prune[i].path, prop))
			return &p->prune[i];
	return NULL;
}

/* The rule for a <val> whose parent already holds the property's <name> (looked up
 * once per name when the name was kept as text, keep_prop_name). */
static const struct vc_prune *rule_for(const struct vc_parser *p, const char *local,
                                       const struct frame *parent)
{
	int i;

	if (!p->nprune || !parent || local[0] != 'v' || strcmp(local, "val"))
		return NULL;
	i = (int)(parent - p->stack);
	if (p->has_prop && p->prop_frame == i)
		return p->prop_rule;
	return rule_named(p, prop_name(p, i));
}

/* The <val> a rule applies to: every keep path lies ahead. A rule of more keep
 * paths than a frame has bits keeps everything (never loses data). */
static struct prune_pos prune_root(const struct vc_prune *r)
{
	return (struct prune_pos){
		.keep_all = r->nkeep > PRUNE_BITS,
		.keep = r->nkeep >= PRUNE_BITS ? ~(uint64_t)0 : ((uint64_t)1 << r->nkeep) - 1,
	};
}

/* Inside a pruned value: whether the element `local` under parent is kept, and where
 * it stands (*pos). Only the keep paths the parent's path leads to are compared, from
 * the parent's length on: one name compare per candidate, where the whole dotted path
 * was compared with every keep path before. Array items stand for their array: their
 * names add nothing. */
static bool prune_keeps(const struct vc_prune *r, const struct frame *parent, const char *local,
                        struct prune_pos *pos)
{
	const struct prune_pos *up = &parent->pos;
	size_t off, n;
	uint64_t ahead = 0;

	*pos = *up;
	if (up->keep_all || parent->is_array)
		return true;
	off = up->plen ? up->plen + 1u : 0;   /* past the '.' every candidate has there */
	n = strlen(local);
	for (uint64_t m = up->keep; m; m &= m - 1) {
		int i = __builtin_ctzll(m);
		const char *k = r->keep[i] + off;

		if (k[0] != local[0] || strncmp(k, local, n))
			continue;
		if (k[n] == '\0')
			pos->keep_all = true;           /* a kept path: all of it below */
		else if (k[n] == '.')
			ahead |= (uint64_t)1 << i;      /* on the way to a kept path */
	}
	/* kept only if no longer than a keep path: the length fits */
	pos->plen = (unsigned short)(off + n);
	pos->keep = ahead;
	return pos->keep_all || ahead;
}

/* An item of the pruned array value whose xsi:type the rule skips. */
static bool item_skipped(const struct vc_parser *p, const struct frame *parent,
                         const struct elem_attrs *a)
{
	if (!p->rule->nskip_types || !parent || !parent->is_array || p->depth != p->rule_depth + 1 ||
	    !a->xtype)
		return false;
	for (size_t k = 0; k < p->rule->nskip_types; k++)
		if (!strcmp(p->rule->skip_types[k], a->xtype))
			return true;
	return false;
}

static bool is_streamed_at(const struct vc_parser *p, int i);

/* --- the sink --- */

/* A sunk element's name in its events: the property's for the <val>. */
static const char *sink_name(const struct vc_parser *p, const struct frame *f)
{
	return f->sink_root ? p->prop : f->name;
}

/* A sunk element's first member starts: it is an object or an array. */
static void sink_open(struct vc_parser *p, struct frame *f)
{
	f->opened = f->kid_seen = true;
	buf_reset(&f->text);
	p->sink->open(p->sink_ctx, sink_name(p, f), !f->is_array && f->xtype[0] ? f->xtype : NULL,
	              f->is_array);
}

/* Where a new element stands to the sink, its frame f pushed under parent. */
static void sink_start(struct vc_parser *p, struct frame *parent, struct frame *f,
                       const char *local)
{
	if (parent && parent->sunk) {
		f->sunk = true;
		if (!parent->opened)
			sink_open(p, parent);
	} else if (p->sink && parent && parent->propset && p->has_prop &&
	           p->prop_frame == (int)(parent - p->stack) && !strcmp(local, "val")) {
		f->sunk = f->sink_root = true;
	}
	if (f->streamed && p->sink) {
		p->sunk = 0;
		if (p->sink->begin)
			p->sink->begin(p->sink_ctx);
	}
}

/* A sunk element closes: its close event, or its leaf. */
static void sink_end(struct vc_parser *p, struct frame *f)
{
	struct vc_leaf v;

	if (++p->nodes > MAX_NODES) {
		pfail(p, VC_ETOOBIG, "the answer holds more than %u values in one object", MAX_NODES);
		return;
	}
	if (f->opened) {
		p->sink->close(p->sink_ctx);
	} else if (f->is_array && !f->nil) {
		p->sink->open(p->sink_ctx, sink_name(p, f), NULL, true);
		p->sink->close(p->sink_ctx);
	} else {
		classify(f, &v);
		p->sink->leaf(p->sink_ctx, sink_name(p, f), &v);
	}
	if (f->sink_root) {
		f[-1].taken = true;
		p->sunk++;
	}
}

static void start_frame(struct vc_parser *p, const char *local, const struct elem_attrs *a)
{
	struct frame *parent = p->nframes > 0 ? &p->stack[p->nframes - 1] : NULL;
	const struct vc_prune *rule = p->rule ? NULL : rule_for(p, local, parent);
	struct prune_pos pos = { 0 };
	struct frame *f;

	if (p->rule && (item_skipped(p, parent, a) || !prune_keeps(p->rule, parent, local, &pos))) {
		p->ignore_from = p->depth;     /* nobody asked for this subtree */
		return;
	}
	if (parent && parent->sunk && leaf_typed(parent)) {
		parent->kid_seen = true;       /* members of a leaf: dropped, as by frame_value */
		buf_reset(&parent->text);
		p->ignore_from = p->depth;
		return;
	}
	if (rule) {
		p->rule = rule;
		p->rule_depth = p->depth;
		pos = prune_root(rule);
	}
	f = &p->stack[p->nframes++];
	f->pos = pos;
	copy_str(f->name, sizeof(f->name), local, strlen(local));
	if (a->xtype)
		copy_str(f->xtype, sizeof(f->xtype), a->xtype, strlen(a->xtype));
	if (a->mtype)
		copy_str(f->mtype, sizeof(f->mtype), a->mtype, strlen(a->mtype));
	f->nil = a->nil;
	if (parent && parent->is_array && !f->xtype[0])
		copy_str(f->xtype, sizeof(f->xtype), local, strlen(local));
	f->is_array = f->xtype[0] == 'A' && !strncmp(f->xtype, "ArrayOf", 7);
	if (p->depth == 3) {
		p->seen_response = true;
		p->is_fault = !strcmp(local, "Fault");
		p->stream_returnval = !strcmp(local, "RetrievePropertiesResponse");
	}
	/* what the element is to the stream, fixed from its start: asked at every
	 * element's end */
	f->streamed = is_streamed_at(p, p->nframes - 1);
	f->propset = parent && parent->streamed && !strcmp(local, "propSet");
	if (p->arena && !p->in_object && f->streamed) {
		p->in_object = true;
		json_arena_enter();
	}
	sink_start(p, parent, f, local);
}

static void on_start(void *ud, const xmlChar *qname, const xmlChar **atts)
{
	struct vc_parser *p = ud;
	const char *local = local_part((const char *)qname);
	struct elem_attrs a;

	if (p->failed)
		return;
	if (++p->depth > VC_MAX_DEPTH) {
		pfail(p, VC_EPARSE, "XML nested deeper than %d levels", VC_MAX_DEPTH);
		return;
	}
	if (p->ignore_from || declare_ns(p, atts))
		return;
	if (p->depth <= 2) {
		start_envelope(p, local);
	} else if (p->depth == 3 && p->seen_response) {
		p->ignore_from = p->depth;
	} else {
		read_attrs(p, atts, &a);
		start_frame(p, local, &a);
	}
}

/* Whether frame i (0: the response element) is an ObjectContent handed to the
 * callback when it closes. */
static bool is_streamed_at(const struct vc_parser *p, int i)
{
	const struct frame *f = &p->stack[i];

	if (!p->fn || p->is_fault)
		return false;
	if (i == 2)
		return !strcmp(f->name, "objects") && !strcmp(p->stack[1].name, "returnval");
	return i == 1 && p->stream_returnval && !strcmp(f->name, "returnval");
}

/* Frame i is a propSet of a streamed ObjectContent. */
static bool is_streamed_propset(const struct vc_parser *p, int i)
{
	return i >= 2 && p->stack[i].propset;
}

/* name is text libxml2 delivered, so valid UTF-8 already (as add_child's names). */
static void set_property(struct vc_parser *p, const char *name, json_t *v)
{
	if (!p->props)
		p->props = json_object();
	json_object_set_new_nocheck(p->props, name, v);
}

/* A streamed object's property goes straight into p->props: the <val> under its
 * <name> as it closes, else (no <name> before it) the whole propSet, read when it
 * closes; no propSet object or array of them is kept for emit_object to read again,
 * which is four allocations and frees per property saved. true: v was consumed. */
static bool take_property(struct vc_parser *p, struct frame *f, json_t *v)
{
	int i = (int)(f - p->stack);
	const char *name;

	if (is_streamed_propset(p, i - 1) && !strcmp(f->name, "val")) {
		name = prop_name(p, i - 1);
		if (!name)
			return false;
		set_property(p, name, v);
		f[-1].taken = true;
		return true;
	}
	if (!is_streamed_propset(p, i))
		return false;
	name = p->has_prop && p->prop_frame == i ? p->prop : json_string_value(json_object_get(v, "name"));
	if (name && !f->taken) {
		json_t *val = json_object_get(v, "val");
		set_property(p, name, val ? json_incref(val) : json_null());
	}
	p->has_prop = false;
	json_decref(v);
	return true;
}

static void close_response(struct vc_parser *p, json_t *v)
{
	json_t *rv;

	if (p->is_fault) {
		take_fault(p, v);
		json_decref(v);
		return;
	}
	rv = json_object_get(v, "returnval");
	p->result = rv ? json_incref(rv) : json_null();
	json_decref(v);
}

/* Closes a streamed object's arena scope (set_arena). */
static void leave_object(struct vc_parser *p)
{
	if (p->in_object) {
		p->in_object = false;
		json_arena_leave();
	}
}

/* The <name> of a streamed propSet is kept as text in the parser rather than as a
 * string in an object of the propSet's children, which only the property's name was
 * ever read from: three allocations and two hash lookups fewer per property, the
 * bulk of what a VM's answer holds. false: an unusual <name> (typed, nil, with
 * children, too long), converted as any element. */
static bool keep_prop_name(struct vc_parser *p, struct frame *f)
{
	int i = (int)(f - p->stack);

	if (!is_streamed_propset(p, i - 1) || strcmp(f->name, "name") || f->kids || f->nil ||
	    f->xtype[0] || f->mtype[0] || f->text.len >= sizeof(p->prop))
		return false;
	memcpy(p->prop, buf_str(&f->text), f->text.len + 1);
	p->prop_rule = rule_named(p, p->prop);
	p->prop_frame = i - 1;
	p->has_prop = true;
	return true;
}

static void end_frame(struct vc_parser *p)
{
	struct frame *f = &p->stack[p->nframes - 1];
	json_t *v;

	if (f->sunk) {
		sink_end(p, f);
		if (p->rule && p->depth == p->rule_depth)
			p->rule = NULL;
		frame_clear(f);
		p->nframes--;
		return;
	}
	if (keep_prop_name(p, f) || (f->propset && f->taken && p->has_prop &&
	                             p->prop_frame == (int)(f - p->stack))) {
		/* a propSet whose <name> was kept and whose <val> was taken (or sunk):
		 * nothing of it is left to read (take_property) */
		if (f->propset)
			p->has_prop = false;
		frame_clear(f);
		p->nframes--;
		return;
	}
	v = frame_value(p, f);
	if (!v) {
		pfail(p, VC_EPARSE, "out of memory converting <%s>", f->name);
	} else if (++p->nodes > MAX_NODES) {
		pfail(p, VC_ETOOBIG, "the answer holds more than %u values in one object", MAX_NODES);
		json_decref(v);
	} else if (p->nframes == 1) {
		close_response(p, v);
	} else if (f->streamed) {
		emit_object(p, v);
		json_decref(v);
		p->nodes = 0;
		leave_object(p);
	} else if (take_property(p, f, v)) {
		/* consumed */
	} else if (add_child(f - 1, f->name, v)) {
		pfail(p, VC_EPARSE, "out of memory adding <%s>", f->name);
	}
	if (p->rule && p->depth == p->rule_depth)
		p->rule = NULL;
	frame_clear(f);
	p->nframes--;
}

static void on_end(void *ud, const xmlChar *qname)
{
	struct vc_parser *p = ud;

	if (p->failed)
		return;
	undeclare_ns(p, p->depth);
	if (p->ignore_from) {
		if (p->depth == p->ignore_from)
			p->ignore_from = 0;
	} else if (p->depth >= 3) {
		end_frame(p);
	}
	p->depth--;
}

static void on_text(void *ud, const xmlChar *ch, int len)
{
	struct vc_parser *p = ud;
	struct frame *f;

	if (p->failed || p->ignore_from || p->nframes == 0)
		return;
	f = &p->stack[p->nframes - 1];
	if (!f->kids && !f->kid_seen)
		buf_add(&f->text, ch, (size_t)len);
}

static void on_dtd(void *ud, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	pfail(ud, VC_EPARSE, "the answer carries a DTD, which SOAP forbids");
}

static void on_message(void *ud, const char *fmt, ...)
{
	/* Errors are read from the parser context after xmlParseDocument() (check_ctxt);
	 * this only keeps libxml2 from printing them to stderr. */
}

/* --- public parser API --- */

static int read_input(void *ud, char *buf, int len);

/* A pull parser: libxml2 asks read_input() for the bytes when it needs them. Its
 * push parser (xmlParseChunk) costs a sixth more instructions on the same answers
 * (it copies each piece into its buffer, then moves what is left to the front and
 * runs its state machine once per element; docs/performance.md). */
static xmlParserCtxtPtr new_ctxt(struct vc_parser *p)
{
	xmlSAXHandler sax;
	xmlParserCtxtPtr c;

	memset(&sax, 0, sizeof(sax));
	/* SAX1 (struct ns_decl): libxml2 then reads only the version 1 part of the
	 * handler, so errors reach the version 1 callbacks */
	sax.startElement = on_start;
	sax.endElement = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_dtd;
	sax.warning = on_message;
	sax.error = on_message;
	sax.fatalError = on_message;
	c = xmlCreateIOParserCtxt(&sax, p, read_input, NULL, p, XML_CHAR_ENCODING_NONE);
	if (c)
		xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	return c;
}

struct vc_parser *vc_parser_new(vc_object_fn fn, void *ctx)
{
	struct vc_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->stack = calloc(VC_MAX_DEPTH, sizeof(*p->stack));
	p->names = json_object();
	if (!p->stack || !p->names) {
		json_decref(p->names);
		free(p->stack);
		free(p);
		return NULL;
	}
	p->fn = fn;
	p->ctx = ctx;
	return p;
}

void vc_parser_reset(struct vc_parser *p)
{
	struct frame *stack = p->stack;
	vc_object_fn fn = p->fn;
	void *ctx = p->ctx;
	const struct vc_prune *prune = p->prune;
	size_t nprune = p->nprune;
	json_t *names = p->names;   /* kept from answer to answer: the same names recur */
	bool arena = p->arena;
	const struct vc_sink *sink = p->sink;
	void *sink_ctx = p->sink_ctx;

	while (p->nframes > 0)
		frame_clear(&stack[--p->nframes]);
	if (p->ctxt)
		xmlFreeParserCtxt(p->ctxt);
	json_decref(p->result);
	json_decref(p->props);
	memset(p, 0, sizeof(*p));
	p->stack = stack;
	p->fn = fn;
	p->ctx = ctx;
	p->prune = prune;
	p->nprune = nprune;
	p->names = names;
	p->arena = arena;
	p->sink = sink;
	p->sink_ctx = sink_ctx;
}

void vc_parser_set_arena(struct vc_parser *p, bool on)
{
	p->arena = on;
}

void vc_parser_set_sink(struct vc_parser *p, const struct vc_sink *sink, void *ctx)
{
	p->sink = sink;
	p->sink_ctx = ctx;
}

size_t vc_parser_sunk(const struct vc_parser *p)
{
	return p->sunk;
}

/* The events the parser sends for a value it would have built as v (the conversion
 * table at the top, backwards): a MOR object and a lone "_type" are leaves, as they
 * were in the XML; an array built from a repeated child name arrives as an array. */
void vc_sink_json(const struct vc_sink *sink, void *ctx, const char *name, const json_t *v)
{
	struct vc_leaf l = { .kind = VC_K_NULL, .text = "" };
	const char *type, *key;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		type = json_string_value(json_object_get(v, "_type"));
		if (type && !strcmp(type, "MOR")) {
			m = json_object_get(v, "value");
			l.kind = VC_K_MOR;
			l.type = json_is_string(json_object_get(v, "type")) ?
			         json_string_value(json_object_get(v, "type")) : "";
			l.text = json_is_string(m) ? json_string_value(m) : "";
			l.len = json_is_string(m) ? json_string_length(m) : 0;
			break;
		}
		if (type && json_object_size(v) == 1) {
			l.kind = VC_K_TYPED;
			l.type = type;
			break;
		}
		sink->open(ctx, name, type, false);
		json_object_foreach((json_t *)v, key, m)
			if (key[0] != '_' || strcmp(key, "_type"))
				vc_sink_json(sink, ctx, key, m);
		sink->close(ctx);
		return;
	case JSON_ARRAY:
		sink->open(ctx, name, NULL, true);
		json_array_foreach(v, i, m)
			vc_sink_json(sink, ctx, name, m);
		sink->close(ctx);
		return;
	case JSON_STRING:
		l.kind = VC_K_STRING;
		l.text = json_string_value(v);
		l.len = json_string_length(v);
		break;
	case JSON_INTEGER:
		l.kind = VC_K_INT;
		l.i = json_integer_value(v);
		break;
	case JSON_REAL:
		l.kind = VC_K_REAL;
		l.d = json_real_value(v);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		l.kind = VC_K_BOOL;
		l.b = json_is_true(v);
		break;
	case JSON_NULL:
		break;
	}
	sink->leaf(ctx, name, &l);
}

void vc_parser_set_prune(struct vc_parser *p, const struct vc_prune *rules, size_t n)
{
	p->prune = n ? rules : NULL;
	p->nprune = rules ? n : 0;
}

void vc_parser_free(struct vc_parser *p)
{
	if (!p)
		return;
	vc_parser_reset(p);
	json_decref(p->names);
	for (int i = 0; i < VC_MAX_DEPTH; i++)
		buf_free(&p->stack[i].text);
	free(p->stack);
	free(p);
}

static void keep_sniff(struct vc_parser *p, const char *data, size_t len)
{
	while (len-- && p->sniff_len < sizeof(p->sniff) - 1) {
		unsigned char c = (unsigned char)*data++;
		p->sniff[p->sniff_len++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '.';
	}
	p->sniff[p->sniff_len] = '\0';
}

static void check_ctxt(struct vc_parser *p)
{
	const xmlError *e;
	char msg[160];
	size_t n;

	if (p->failed || p->ctxt->wellFormed)
		return;
	e = xmlCtxtGetLastError(p->ctxt);
	copy_str(msg, sizeof(msg), e && e->message ? e->message : "unknown error",
	         strlen(e && e->message ? e->message : "unknown error"));
	n = strlen(msg);
	while (n && isspace((unsigned char)msg[n - 1]))
		msg[--n] = '\0';
	pfail(p, VC_EPARSE, "malformed XML at line %d: %s", e ? e->line : 0, msg);
}

/* The next bytes of the answer for libxml2: as many as it asks for, fewer only at
 * the end (its checks of what comes next assume one read fills its buffer). Reading
 * may run other code of the thread for a while (the transport moves its transfers
 * along): an object's arena scope is closed meanwhile. */
static int read_input(void *ud, char *buf, int len)
{
	struct vc_parser *p = ud;
	long n = 0, got;

	if (p->failed || p->read_failed || len <= 0)
		return -1;
	if (p->in_object)
		json_arena_leave();
	do {
		got = p->read(p->read_ctx, buf + n, (size_t)(len - n));
		if (got > len - n)
			got = -1;           /* more than asked for: a broken reader */
		if (got > 0)
			n += got;
	} while (got > 0 && n < len);
	if (p->in_object)
		json_arena_enter();
	if (got < 0) {
		p->read_failed = true;      /* what came before is still parsed */
		if (n == 0)
			return -1;
	}
	if ((size_t)n > VC_MAX_RESPONSE - p->bytes) {
		pfail(p, VC_ETOOBIG, "the answer is larger than %u MB", VC_MAX_RESPONSE >> 20);
		return -1;
	}
	keep_sniff(p, buf, (size_t)n);
	p->bytes += (size_t)n;
	return (int)n;
}

int vc_parser_run(struct vc_parser *p, vc_read_fn read, void *ctx)
{
	if (p->failed || p->finished || p->ctxt)
		return -1;
	p->read = read;
	p->read_ctx = ctx;
	if (!(p->ctxt = new_ctxt(p))) {
		pfail(p, VC_EPARSE, "out of memory creating the XML parser");
		return -1;
	}
	xmlParseDocument(p->ctxt);
	leave_object(p);             /* an object cut short by an error */
	if (p->bytes == 0 && !p->read_failed)
		pfail(p, VC_EPARSE, "empty answer from vCenter");
	else if (p->read_failed)
		pfail(p, VC_EPARSE, "the answer ended early: the connection failed after %zu bytes",
		      p->bytes);
	check_ctxt(p);
	return p->failed ? -1 : 0;
}

struct mem_input {
	const char *data;
	size_t len, off, piece;
};

static long read_mem(void *ctx, char *buf, size_t len)
{
	struct mem_input *in = ctx;
	size_t n = in->len - in->off;

	if (n > len)
		n = len;
	if (in->piece && n > in->piece)
		n = in->piece;
	if (n)
		memcpy(buf, in->data + in->off, n);
	in->off += n;
	return (long)n;
}

int vc_parser_parse(struct vc_parser *p, const char *data, size_t len, size_t piece)
{
	struct mem_input in = { data, len, 0, piece };

	return vc_parser_run(p, read_mem, &in);
}

static int finish_http(struct vc_parser *p, long status)
{
	p->failed = true;
	p->err = VC_EHTTP;
	if (p->bytes == 0)
		snprintf(p->errstr, sizeof(p->errstr), "HTTP %ld from vCenter with an empty body: "
		         "check that the URL points to the vCenter SDK (https://host/sdk)", status);
	else
		snprintf(p->errstr, sizeof(p->errstr), "HTTP %ld from vCenter, not a SOAP fault (body "
		         "starts \"%.60s\"): check the URL and the vCenter's health", status, p->sniff);
	return -1;
}

int vc_parser_finish(struct vc_parser *p, long http_status)
{
	p->finished = true;
	if (p->have_fault) {
		p->failed = true;
		return -1;
	}
	if (http_status != 200)
		return finish_http(p, http_status);
	if (p->failed)
		return -1;
	if (p->bytes == 0)
		pfail(p, VC_EPARSE, "empty answer from vCenter");
	else if (!p->seen_envelope || !p->result)
		pfail(p, VC_EPARSE, "the answer is not a SOAP response (starts \"%.60s\"): check that "
		      "the URL ends in /sdk and points to a vCenter", p->sniff);
	return p->failed ? -1 : 0;
}

enum vc_err vc_parser_errcode(const struct vc_parser *p)
{
	return p->failed ? p->err : VC_OK;
}

const char *vc_parser_errstr(const struct vc_parser *p)
{
	return p->failed ? p->errstr : "";
}

const char *vc_parser_fault_type(const struct vc_parser *p)
{
	return p->fault_type;
}

json_t *vc_parser_result(const struct vc_parser *p)
{
	return p->result;
}

const char *vc_parser_token(const struct vc_parser *p)
{
	const char *t = json_string_value(json_object_get(p->result, "token"));

	return t && *t ? t : NULL;
}

/* --- helpers over converted values --- */

static void copy_json_str(char *dst, size_t cap, const json_t *v)
{
	const char *s = json_string_value(v);

	if (!s && json_is_object(v))
		s = json_string_value(json_object_get(v, "value"));
	copy_str(dst, cap, s ? s : "", strlen(s ? s : ""));
}

int vc_parse_service_content(const json_t *rv, struct vc_service_content *sc, char *err,
                             size_t errlen)
{
	const json_t *about = json_object_get(rv, "about");

	memset(sc, 0, sizeof(*sc));
	copy_json_str(sc->root_folder, sizeof(sc->root_folder), json_object_get(rv, "rootFolder"));
	copy_json_str(sc->property_collector, sizeof(sc->property_collector),
	              json_object_get(rv, "propertyCollector"));
	copy_json_str(sc->view_manager, sizeof(sc->view_manager), json_object_get(rv, "viewManager"));
	copy_json_str(sc->session_manager, sizeof(sc->session_manager),
	              json_object_get(rv, "sessionManager"));
	copy_json_str(sc->perf_manager, sizeof(sc->perf_manager), json_object_get(rv, "perfManager"));
	copy_json_str(sc->about.name, sizeof(sc->about.name), json_object_get(about, "name"));
	copy_json_str(sc->about.full_name, sizeof(sc->about.full_name), json_object_get(about, "fullName"));
	copy_json_str(sc->about.version, sizeof(sc->about.version), json_object_get(about, "version"));
	copy_json_str(sc->about.build, sizeof(sc->about.build), json_object_get(about, "build"));
	copy_json_str(sc->about.api_version, sizeof(sc->about.api_version), json_object_get(about, "apiVersion"));
	copy_json_str(sc->about.api_type, sizeof(sc->about.api_type), json_object_get(about, "apiType"));
	copy_json_str(sc->about.instance_uuid, sizeof(sc->about.instance_uuid),
	              json_object_get(about, "instanceUuid"));
	if (sc->root_folder[0] && sc->property_collector[0] && sc->session_manager[0])
		return 0;
	if (errlen)
		snprintf(err, errlen, "the ServiceContent lacks rootFolder, propertyCollector or "
		         "sessionManager: is this a vCenter or ESXi SDK endpoint?");
	return -1;
}

/* Compares dotted versions numerically ("8.0.2.0" > "8.0.1.0" > "7.0.3.0"). */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a += (*a == '.');
		b += (*b == '.');
	}
	return 0;
}

static bool plausible_version(const char *v)
{
	size_t n = strlen(v);

	return n > 0 && n < 32 && strspn(v, "0123456789.") == n && isdigit((unsigned char)v[0]);
}

static void consider_version(const char *v, char *best, size_t cap)
{
	if (plausible_version(v) && (!best[0] || version_cmp(v, best) > 0))
		copy_str(best, cap, v, strlen(v));
}

int vc_parse_versions(const char *xml, size_t len, char *version, size_t versionlen)
{
	xmlTextReaderPtr r;
	bool vim = false;

	version[0] = '\0';
	if (len > (1u << 20) || len > INT32_MAX)
		return -1;
	r = xmlReaderForMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	                       XML_PARSE_NOWARNING);
	if (!r)
		return -1;
	while (xmlTextReaderRead(r) == 1) {
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		xmlChar *text;

		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT || !name)
			continue;
		if (!strcmp(name, "namespace")) {
			vim = false;
		} else if (!strcmp(name, "name") || !strcmp(name, "version")) {
			text = xmlTextReaderReadString(r);
			if (text && name[0] == 'n')
				vim = !strcmp((const char *)text, "urn:vim25");
			else if (text && vim)
				consider_version((const char *)text, version, versionlen);
			xmlFree(text);
		}
	}
	xmlFreeTextReader(r);
	return version[0] ? 0 : -1;
}

int vc_parse_fingerprint(const char *text, uint8_t out[32])
{
	size_t n = 0;

	for (; *text; text++) {
		int c = tolower((unsigned char)*text), v;
		if (c == ':' || c == ' ')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (n >= 64)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 64 ? 0 : -1;
}

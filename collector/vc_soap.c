/* vc_soap: SOAP requests and the error contract. Builds the envelope around a vim25
 * method, runs it through the transport into the parser, turns the outcome into the
 * session's error code and message, and re-logs in once on NotAuthenticated.
 *
 * Request envelope (vim25 is document/literal; element order inside a method matters):
 *   <soapenv:Envelope xmlns:soapenv=".../soap/envelope/" xmlns:xsd=... xmlns:xsi=...>
 *    <soapenv:Body><Method xmlns="urn:vim25">..arguments..</Method></soapenv:Body>
 *   </soapenv:Envelope> */
#include "vc_internal.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vc_strerror(enum vc_err err)
{
	switch (err) {
	case VC_OK: return "no error";
	case VC_EINVAL: return "invalid argument or configuration";
	case VC_ECONNECT: return "cannot connect to vCenter";
	case VC_ETLS: return "TLS handshake or certificate verification failed";
	case VC_EPIN: return "certificate fingerprint does not match the pin";
	case VC_ETIMEOUT: return "vCenter did not answer in time";
	case VC_EHTTP: return "unexpected HTTP status from vCenter";
	case VC_EPARSE: return "malformed or unexpected answer from vCenter";
	case VC_ETOOBIG: return "answer from vCenter too large";
	case VC_EFAULT_LOGIN: return "vCenter refused the user name or password";
	case VC_EFAULT_AUTH: return "not logged in to vCenter (session expired)";
	case VC_EFAULT_PERM: return "permission denied by vCenter";
	case VC_EFAULT_NOTFOUND: return "managed object not found";
	case VC_EFAULT_PROPERTY: return "invalid property path";
	case VC_EFAULT: return "vCenter returned a fault";
	case VC_ECANCELED: return "request canceled";
	}
	return "unknown error";
}

int vc_fail(struct vc_session *s, enum vc_err err, const char *fmt, ...)
{
	va_list ap;

	s->err = err;
	va_start(ap, fmt);
	vsnprintf(s->errstr, sizeof(s->errstr), fmt, ap);
	va_end(ap);
	return -1;
}

void vc_clear_err(struct vc_session *s)
{
	s->err = VC_OK;
	s->errstr[0] = '\0';
	s->fault_type[0] = '\0';
}

/* What to do about a fault, appended to its message. */
static const char *fault_hint(enum vc_err err)
{
	switch (err) {
	case VC_EFAULT_LOGIN: return "check the user name and the password (file)";
	case VC_EFAULT_AUTH: return "log in again";
	case VC_EFAULT_PERM: return "grant the account the privilege on this object in vCenter";
	case VC_EFAULT_PROPERTY: return "a property path is wrong for this vCenter version";
	default: return NULL;
	}
}

int vc_fail_parser(struct vc_session *s, const struct vc_parser *p)
{
	const char *hint = fault_hint(vc_parser_errcode(p));

	snprintf(s->fault_type, sizeof(s->fault_type), "%s", vc_parser_fault_type(p));
	if (hint)
		return vc_fail(s, vc_parser_errcode(p), "vCenter %s: %s", vc_parser_errstr(p), hint);
	return vc_fail(s, vc_parser_errcode(p), "%s", vc_parser_errstr(p));
}

void vc_add_moref(struct buf *b, const char *tag, const char *type, const char *value)
{
	buf_printf(b, "<%s type=\"", tag);
	buf_add_xml(b, type);
	buf_adds(b, "\">");
	buf_add_xml(b, value);
	buf_printf(b, "</%s>", tag);
}

void vc_envelope(struct buf *b, const char *method, const char *inner)
{
	buf_reset(b);
	/* One allocation up front: a realloc would leave an unwiped copy of a password. */
	buf_grow(b, strlen(inner) + 2 * strlen(method) + 400);
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
	         " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
	         " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>");
	buf_printf(b, "<%s xmlns=\"urn:vim25\">%s</%s>", method, inner, method);
	buf_adds(b, "</soapenv:Body></soapenv:Envelope>");
}

int vc_soap_once(struct vc_session *s, const char *method, const char *inner,
                 struct vc_parser *p)
{
	int rc;

	vc_clear_err(s);
	vc_parser_reset(p);
	if (s->nprune)
		vc_parser_set_prune(p, s->prune, s->nprune);
	vc_envelope(&s->req, method, inner);
	rc = vc_http_post(s, method, &s->req, p);
	/* The Login body holds a password: wipe it whatever happened. */
	buf_free_ex(&s->req, 1);
	if (rc)
		return -1;
	if (vc_parser_finish(p, s->status))
		return vc_fail_parser(s, p);
	return 0;
}

int vc_soap(struct vc_session *s, const char *method, const char *inner,
            struct vc_parser *p)
{
	if (vc_soap_once(s, method, inner, p) == 0)
		return 0;
	if (s->err != VC_EFAULT_AUTH || !s->password_fn)
		return -1;
	log_info("vc.relogin", "method=%s", log_q(method));
	if (vc_relogin(s))
		return -1;
	return vc_soap_once(s, method, inner, p);
}

/* Sessions, CSRF and login throttling (formats and rules in session.h and
 * docs/web.md). Tokens come from libsodium's CSPRNG; every comparison of a secret
 * is constant-time; every buffer that held a token or a vCenter cookie is wiped. */
#include "session.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "cfg.h"
#include "log.h"
#include "seal.h"
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void session_sha256_hex(const char *s, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)s, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static void random_hex(char out[SESSION_TOKEN_HEX + 1])
{
	unsigned char b[SESSION_TOKEN_HEX / 2];

	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, SESSION_TOKEN_HEX + 1, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
}

static bool is_hex(const char *s, size_t n)
{
	return s && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static void key_for_token(const char *token, char *key, size_t n)
{
	char h[65];

	session_sha256_hex(token, strlen(token), h);
	snprintf(key, n, "sess:%s", h);
}

static void wipe_json_string(json_t *s)
{
	const char *v = json_string_value(s);

	/* jansson owns the bytes; they are ours to clear before it frees them. */
	if (v)
		sodium_memzero((char *)v, json_string_length(s));
}

void session_free(struct session *s)
{
	json_t *v;
	size_t i;

	if (!s)
		return;
	json_array_foreach(session_vcenters(s), i, v)
		wipe_json_string(json_object_get(v, "cookie"));
	wipe_json_string(json_object_get(s->rec, "csrf"));
	json_decref(s->rec);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

json_t *session_vcenters(const struct session *s)
{
	return s ? json_object_get(s->rec, "vcenters") : NULL;
}

const char *session_pref(const struct session *s, const char *name)
{
	return json_string_value(json_object_get(json_object_get(s->rec, "prefs"), name));
}

void session_set_pref(struct session *s, const char *name, const char *value)
{
	json_t *p = json_object_get(s->rec, "prefs");

	if (!json_is_object(p)) {
		p = json_object();
		json_object_set_new(s->rec, "prefs", p);
	}
	json_object_set_new(p, name, json_string(value));
	s->dirty = true;
}

long long session_elevated_left(const struct session *s, long long now)
{
	long long until = s ? (long long)json_integer_value(json_object_get(s->rec, "elevated_until")) : 0;

	/* Capped: no record, however it was written, unlocks more than the longest
	 * configurable stretch. */
	if (until <= now)
		return 0;
	return until - now > CFG_ELEVATE_MAX ? CFG_ELEVATE_MAX : until - now;
}

void session_set_elevated(struct session *s, long long until)
{
	if (until > 0)
		json_object_set_new(s->rec, "elevated_until", json_integer((json_int_t)until));
	else
		json_object_del(s->rec, "elevated_until");
	s->dirty = true;
}

/* Fills the struct's shortcuts from its record; -1 when the record is malformed. */
static int session_bind(struct session *s)
{
	s->user = json_string_value(json_object_get(s->rec, "user"));
	s->csrf = json_string_value(json_object_get(s->rec, "csrf"));
	s->admin = json_is_true(json_object_get(s->rec, "admin"));
	s->created = json_integer_value(json_object_get(s->rec, "created"));
	s->last_seen = json_integer_value(json_object_get(s->rec, "last_seen"));
	s->expires = json_integer_value(json_object_get(s->rec, "expires"));
	if (!s->user || !is_hex(s->csrf, SESSION_TOKEN_HEX) ||
	    !json_is_array(json_object_get(s->rec, "vcenters")))
		return -1;
	return 0;
}

int session_save(struct req *r)
{
	struct session *s = r->sess;
	int timeout = r->app->settings.session_timeout;
	char *text;
	int rc;

	s->last_seen = r->now;
	s->expires = r->now + timeout;
	json_object_set_new(s->rec, "last_seen", json_integer(s->last_seen));
	json_object_set_new(s->rec, "expires", json_integer(s->expires));
	text = json_dumps(s->rec, JSON_COMPACT);
	if (!text)
		return -1;
	rc = store_put(r->app->store, s->key, text, strlen(text), timeout);
	sodium_memzero(text, strlen(text));
	free(text);
	if (rc < 0)
		log_error("web.session_save", "error=%s", log_q(r->app->store->errstr));
	else
		s->dirty = false;
	return rc;
}

static struct session *session_parse(const char *key, const char *raw, size_t len)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->rec = json_loadb(raw, len, 0, NULL);
	if (!json_is_object(s->rec) || session_bind(s) < 0) {
		log_warn("web.session_malformed", NULL);
		session_free(s);
		return NULL;
	}
	return s;
}

int session_load(struct req *r)
{
	const char *token = req_cookie(r, SESSION_COOKIE);
	char key[80], *raw = NULL;
	size_t len = 0;
	int rc;

	if (!is_hex(token, SESSION_TOKEN_HEX))
		return 0;
	key_for_token(token, key, sizeof(key));
	rc = store_get(r->app->store, key, &raw, &len);
	if (rc <= 0) {
		if (rc < 0)
			log_error("web.session_load", "error=%s", log_q(r->app->store->errstr));
		return rc;
	}
	r->sess = session_parse(key, raw, len);
	sodium_memzero(raw, len);
	free(raw);
	if (!r->sess)
		return 0;
	if (r->sess->expires <= r->now) {
		store_del(r->app->store, key);
		session_free(r->sess);
		r->sess = NULL;
		return 0;
	}
	if (r->now - r->sess->last_seen >= SESSION_TOUCH_S && session_save(r) < 0)
		return -1;
	return 1;
}

static void pref_key(const char *user, char *key, size_t n)
{
	char h[65];

	session_sha256_hex(user, strlen(user), h);
	snprintf(key, n, "pref:%s", h);
}

/* The user's saved preferences (pref:<sha256(user)>), or an empty object. */
static json_t *prefs_saved(struct req *r, const char *user)
{
	char key[80], *raw = NULL;
	size_t len;
	json_t *p = NULL;

	pref_key(user, key, sizeof(key));
	if (store_get(r->app->store, key, &raw, &len) == 1)
		p = json_loadb(raw, len, 0, NULL);
	free(raw);
	if (!json_is_object(p)) {
		json_decref(p);
		p = json_object();
	}
	return p;
}

int session_prefs_store(struct req *r)
{
	char key[80];
	char *text;
	int rc;

	if (!r->sess)
		return -1;
	pref_key(r->sess->user, key, sizeof(key));
	text = json_dumps(json_object_get(r->sess->rec, "prefs"), JSON_COMPACT);
	if (!text)
		return -1;
	rc = store_put(r->app->store, key, text, strlen(text), 0);
	free(text);
	return rc;
}

int session_create(struct req *r, const char *user, json_t *vcenters)
{
	char token[SESSION_TOKEN_HEX + 1], csrf[SESSION_TOKEN_HEX + 1];
	struct session *s;

	if (r->sess) {
		store_del(r->app->store, r->sess->key);
		session_free(r->sess);
		r->sess = NULL;
	}
	random_hex(token);
	random_hex(csrf);
	s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	key_for_token(token, s->key, sizeof(s->key));
	s->rec = json_pack("{s:i,s:s,s:b,s:s,s:I,s:I,s:I,s:o,s:o}",
	                   "v", 1, "user", user, "admin", cfg_is_admin(r->app->cfg, user),
	                   "csrf", csrf, "created", (json_int_t)r->now,
	                   "last_seen", (json_int_t)r->now, "expires", (json_int_t)r->now,
	                   "vcenters", vcenters, "prefs", prefs_saved(r, user));
	sodium_memzero(csrf, sizeof(csrf));
	if (!s->rec || session_bind(s) < 0) {
		session_free(s);
		sodium_memzero(token, sizeof(token));
		return -1;
	}
	r->sess = s;
	if (session_save(r) < 0) {
		sodium_memzero(token, sizeof(token));
		return -1;
	}
	/* No Max-Age: the browser drops the cookie when it closes; the server-side
	 * sliding TTL is what ends an idle session. */
	resp_cookie(r, SESSION_COOKIE, token, -1);
	sodium_memzero(token, sizeof(token));
	return 0;
}

int session_destroy(struct req *r)
{
	int rc = 0;

	if (r->sess) {
		rc = store_del(r->app->store, r->sess->key);
		session_free(r->sess);
		r->sess = NULL;
	}
	resp_cookie(r, SESSION_COOKIE, "", 0);
	return rc;
}

/* The token goes out masked, hex(pad) || hex(pad XOR token) with a fresh random
 * pad per response, so a compressed page never repeats it (BREACH); both the
 * masked and the plain form are accepted. */
const char *session_csrf_masked(struct req *r)
{
	unsigned char tok[SESSION_TOKEN_HEX / 2], pad[sizeof(tok)], x[sizeof(tok)];
	char *out;

	if (!r->sess || sodium_hex2bin(tok, sizeof(tok), r->sess->csrf, SESSION_TOKEN_HEX,
	                               NULL, NULL, NULL) != 0)
		return "";
	randombytes_buf(pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(tok); i++)
		x[i] = tok[i] ^ pad[i];
	out = arena_alloc(&r->arena, 2 * SESSION_TOKEN_HEX + 1);
	sodium_bin2hex(out, SESSION_TOKEN_HEX + 1, pad, sizeof(pad));
	sodium_bin2hex(out + SESSION_TOKEN_HEX, SESSION_TOKEN_HEX + 1, x, sizeof(x));
	sodium_memzero(tok, sizeof(tok));
	return out;
}

bool session_csrf_ok(const struct session *s, const char *token)
{
	unsigned char want[SESSION_TOKEN_HEX / 2], got[2 * sizeof(want)];
	bool ok;

	if (!s || !s->csrf || !token)
		return false;
	if (is_hex(token, SESSION_TOKEN_HEX))
		return sodium_memcmp(s->csrf, token, SESSION_TOKEN_HEX) == 0;
	if (!is_hex(token, 2 * SESSION_TOKEN_HEX) ||
	    sodium_hex2bin(got, sizeof(got), token, 2 * SESSION_TOKEN_HEX, NULL, NULL, NULL) ||
	    sodium_hex2bin(want, sizeof(want), s->csrf, SESSION_TOKEN_HEX, NULL, NULL, NULL))
		return false;
	for (size_t i = 0; i < sizeof(want); i++)
		got[i] ^= got[sizeof(want) + i];
	ok = sodium_memcmp(got, want, sizeof(want)) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

const char *session_csrf_from(const struct req *r)
{
	for (size_t i = 0; i < r->form.n; i++)
		if (!strcmp(r->form.v[i].key, "csrf"))
			return r->form.v[i].val;
	return r->csrf_header;
}

/* ---- pre-session CSRF (the login form) ----
 * GET /login gives the browser a random __Host-vcpre cookie and puts
 * "<expiry>.<nonce>.<mac>" in the form: nonce 8 random bytes (hex), mac =
 * BLAKE2b-256 keyed with a key derived from the cache key (context "vcprecsr")
 * over "vcpre|<cookie>|<expiry>|<nonce>". A cross-site page can neither read the
 * cookie nor compute the MAC; a token copied from one browser is useless without
 * that browser's cookie; the nonce makes every page's token different (BREACH). */

void session_pre_mac(const unsigned char key[32], const char *cookie, long long expiry,
                     const char *nonce, char out[65])
{
	unsigned char mac[32];
	char msg[192];
	int n = snprintf(msg, sizeof(msg), "vcpre|%s|%lld|%s", cookie, expiry, nonce);

	crypto_generichash(mac, sizeof(mac), (const unsigned char *)msg, (size_t)n, key, 32);
	sodium_bin2hex(out, 65, mac, sizeof(mac));
	sodium_memzero(msg, sizeof(msg));
}

bool session_pre_verify(const unsigned char key[32], const char *cookie, const char *token,
                        long long now)
{
	char want[65], nonce[17], *end;
	long long expiry;

	if (!is_hex(cookie, SESSION_TOKEN_HEX) || !token)
		return false;
	expiry = strtoll(token, &end, 10);
	if (*end != '.' || strlen(end) != 1 + 16 + 1 + 64 || end[17] != '.')
		return false;
	memcpy(nonce, end + 1, 16);
	nonce[16] = '\0';
	if (!is_hex(nonce, 16) || !is_hex(end + 18, 64) || expiry < now ||
	    expiry > now + SESSION_PRE_TTL)
		return false;
	session_pre_mac(key, cookie, expiry, nonce, want);
	return sodium_memcmp(want, end + 18, 64) == 0;
}

static int pre_key(const struct req *r, int i, unsigned char key[32])
{
	const struct keyring *ring = r->app->store ? r->app->store->ring : NULL;

	if (!ring || i >= ring->n)
		return -1;
	crypto_kdf_derive_from_key(key, 32, 1, "vcprecsr", ring->keys[i].key);
	return 0;
}

const char *session_pre_issue(struct req *r)
{
	const char *cookie = req_cookie(r, SESSION_PRE_COOKIE);
	char fresh[SESSION_TOKEN_HEX + 1], mac[65], nonce[17];
	unsigned char key[32], nb[8];
	long long expiry = r->now + SESSION_PRE_TTL;

	if (pre_key(r, 0, key) < 0)
		return NULL;
	if (!is_hex(cookie, SESSION_TOKEN_HEX)) {
		random_hex(fresh);
		cookie = arena_strdup(&r->arena, fresh);
	}
	/* Set again each time so the cookie outlives the form's token. */
	resp_cookie(r, SESSION_PRE_COOKIE, cookie, SESSION_PRE_TTL);
	randombytes_buf(nb, sizeof(nb));
	sodium_bin2hex(nonce, sizeof(nonce), nb, sizeof(nb));
	session_pre_mac(key, cookie, expiry, nonce, mac);
	sodium_memzero(key, sizeof(key));
	return arena_printf(&r->arena, "%lld.%s.%s", expiry, nonce, mac);
}

bool session_pre_check(struct req *r, const char *token)
{
	const char *cookie = req_cookie(r, SESSION_PRE_COOKIE);
	unsigned char key[32];
	bool ok = false;

	for (int i = 0; !ok && pre_key(r, i, key) == 0; i++)
		ok = session_pre_verify(key, cookie, token, r->now);
	sodium_memzero(key, sizeof(key));
	return ok;
}

void session_pre_clear(struct req *r)
{
	resp_cookie(r, SESSION_PRE_COOKIE, "", 0);
}

/* ---- throttling: fixed windows of THROTTLE_WINDOW seconds in plain counters
 * thr:u:<sha256(lowercased user)> and thr:ip:<sha256(address)> ---- */

static void throttle_keys(const struct req *r, const char *user, char ku[80], char kip[80])
{
	char low[256], h[65];
	size_t n = 0;

	for (; user[n] && n < sizeof(low) - 1; n++)
		low[n] = (char)tolower((unsigned char)user[n]);
	low[n] = '\0';
	session_sha256_hex(low, n, h);
	snprintf(ku, 80, "thr:u:%s", h);
	session_sha256_hex(r->client_ip, strlen(r->client_ip), h);
	snprintf(kip, 80, "thr:ip:%s", h);
}

int throttle_locked(struct req *r, const char *user)
{
	char ku[80], kip[80];
	const char *keys[2] = { ku, kip };
	long long n[2];

	throttle_keys(r, user, ku, kip);
	if (store_counters(r->app->store, keys, 2, n) < 0)
		return -1;
	return n[0] >= THROTTLE_MAX_USER || n[1] >= THROTTLE_MAX_IP;
}

void throttle_fail(struct req *r, const char *user)
{
	char ku[80], kip[80];

	throttle_keys(r, user, ku, kip);
	if (store_incr(r->app->store, ku, THROTTLE_WINDOW) < 0 ||
	    store_incr(r->app->store, kip, THROTTLE_WINDOW) < 0)
		log_error("web.throttle", "error=%s", log_q(r->app->store->errstr));
}

void throttle_clear(struct req *r, const char *user)
{
	char ku[80], kip[80];

	throttle_keys(r, user, ku, kip);
	store_del(r->app->store, ku);
}

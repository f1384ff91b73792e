/* Session helpers that need no Redis: token hashing, the session CSRF check and
 * the pre-session (login form) token bound to the __Host-vcpre cookie. */
#include "test.h"
#include "session.h"
#include "req.h"

#include <sodium.h>

static const char cookie[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char other[] = "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void token(const unsigned char key[32], const char *c, long long expiry, char *out)
{
	char mac[65];

	session_pre_mac(key, c, expiry, "0011223344556677", mac);
	sprintf(out, "%lld.0011223344556677.%s", expiry, mac);
}

TEST(sha256_hex)
{
	char h[65];

	session_sha256_hex("abc", 3, h);
	ASSERT_STREQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(pre_token)
{
	unsigned char key[32], key2[32];
	char t[128];
	long long now = 1800000000;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(key2, sizeof(key2));
	token(key, cookie, now + 600, t);
	ASSERT(session_pre_verify(key, cookie, t, now));
	ASSERT(!session_pre_verify(key, other, t, now));          /* other browser */
	ASSERT(!session_pre_verify(key2, cookie, t, now));        /* other key */
	ASSERT(!session_pre_verify(key, cookie, t, now + 601));   /* expired */
	ASSERT(!session_pre_verify(key, NULL, t, now));
	ASSERT(!session_pre_verify(key, cookie, NULL, now));
	ASSERT(!session_pre_verify(key, cookie, "", now));
	ASSERT(!session_pre_verify(key, "abc", t, now));
	t[strlen(t) - 1] ^= 1;                                     /* tampered MAC */
	ASSERT(!session_pre_verify(key, cookie, t, now));
	token(key, cookie, now + 100000, t);                       /* too far ahead */
	ASSERT(!session_pre_verify(key, cookie, t, now));
	token(key, cookie, now + 600, t);
	t[0] = '9';                                                /* changed expiry */
	ASSERT(!session_pre_verify(key, cookie, t, now));
	token(key, cookie, now + 600, t);
	t[12] = t[12] == 'f' ? '0' : 'f';                         /* changed nonce */
	ASSERT(!session_pre_verify(key, cookie, t, now));
}

TEST(csrf_check)
{
	struct session s = { .csrf = cookie };

	ASSERT(session_csrf_ok(&s, cookie));
	ASSERT(!session_csrf_ok(&s, other));
	ASSERT(!session_csrf_ok(&s, NULL));
	ASSERT(!session_csrf_ok(&s, ""));
	ASSERT(!session_csrf_ok(&s, "0123"));
	ASSERT(!session_csrf_ok(NULL, cookie));
	session_free(NULL);
}

TEST(csrf_masked)
{
	struct session s = { .csrf = cookie };
	struct req r;
	const char *m1, *m2;
	char bad[129];

	memset(&r, 0, sizeof(r));
	r.sess = &s;
	m1 = session_csrf_masked(&r);
	m2 = session_csrf_masked(&r);
	ASSERT_EQ(strlen(m1), 128);
	ASSERT(strcmp(m1, m2) != 0);              /* a fresh pad each time */
	ASSERT(session_csrf_ok(&s, m1));
	ASSERT(session_csrf_ok(&s, m2));
	snprintf(bad, sizeof(bad), "%s", m1);
	bad[100] = bad[100] == '0' ? '1' : '0';
	ASSERT(!session_csrf_ok(&s, bad));
	r.sess = NULL;
	ASSERT_STREQ(session_csrf_masked(&r), "");
	arena_free(&r.arena);
}

TEST_MAIN(T(sha256_hex), T(pre_token), T(csrf_check), T(csrf_masked))

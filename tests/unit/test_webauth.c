/*
 * test_webauth.c: the pure pieces of the web sign-in: the group map
 * (oidc.group_map) parser and matcher, the Cookie header reader, PKCE S256
 * (RFC 7636's example), the same-origin rule, the return path after
 * signing in, and the id_token verification against tokens made here with
 * libcjose (tampered, another key, alg none and HS256, wrong iss, aud,
 * nonce, expired).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "core/error.h"
#include "web/auth_internal.h"
#include "web/authutil.h"
#include "web/groupmap.h"

#include <cjose/cjose.h>

static void groupmap_parses_and_matches(void **state)
{
	struct q_groupmap m;
	char msg[256], sig[40];
	bool lead;

	(void)state;
	assert_int_equal(q_groupmap_parse("sig-{sig}:member sig-{sig}-lead:lead admins=core:lead",
					  &m, msg, sizeof(msg)),
			 0);
	assert_int_equal(m.n, 3);
	assert_true(q_groupmap_match(&m.e[0], "sig-cloud", sig, &lead));
	assert_string_equal(sig, "cloud");
	assert_false(lead);
	assert_true(q_groupmap_match(&m.e[1], "sig-cloud-lead", sig, &lead));
	assert_string_equal(sig, "cloud");
	assert_true(lead);
	/* sig-{sig} also matches sig-cloud-lead with SIG "cloud-lead": a SIG name */
	assert_true(q_groupmap_match(&m.e[0], "sig-cloud-lead", sig, &lead));
	assert_false(q_groupmap_match(&m.e[0], "sig-", sig, &lead));
	assert_false(q_groupmap_match(&m.e[0], "sig-Cloud", sig, &lead));
	assert_false(q_groupmap_match(&m.e[0], "other", sig, &lead));
	assert_true(q_groupmap_match(&m.e[2], "admins", sig, &lead));
	assert_string_equal(sig, "core");
	assert_false(q_groupmap_match(&m.e[2], "admins2", sig, &lead));
	assert_true(q_groupmap_manages(&m, "anything"));
	assert_int_equal(q_groupmap_parse("", &m, msg, sizeof(msg)), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(q_groupmap_parse("a=core:lead", &m, msg, sizeof(msg)), 0);
	assert_true(q_groupmap_manages(&m, "core"));
	assert_false(q_groupmap_manages(&m, "cloud"));
	/* malformed */
	assert_int_equal(q_groupmap_parse("sig-{sig}", &m, msg, sizeof(msg)), -1);
	assert_int_equal(q_groupmap_parse("sig-{sig}:owner", &m, msg, sizeof(msg)), -1);
	assert_int_equal(q_groupmap_parse("sig:member", &m, msg, sizeof(msg)), -1);
	assert_int_equal(q_groupmap_parse("{sig}-{sig}:member", &m, msg, sizeof(msg)), -1);
	assert_int_equal(q_groupmap_parse("=core:lead", &m, msg, sizeof(msg)), -1);
	assert_int_equal(q_groupmap_parse("g=Bad!:lead", &m, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "Bad!"));
	assert_int_equal(q_web_groupmap_check("sig-{sig}:member"), 0);
	assert_int_equal(q_web_groupmap_check("x"), -1);
}

static void cookie_header(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(
	    q_web_cookie_get("a=1; quarry_session=abc_-9; b=2", "quarry_session", v, sizeof(v)), 1);
	assert_string_equal(v, "abc_-9");
	assert_int_equal(q_web_cookie_get("xquarry_session=1", "quarry_session", v, sizeof(v)), 0);
	assert_int_equal(q_web_cookie_get("quarry_session=a\"b", "quarry_session", v, sizeof(v)),
			 -1);
	assert_int_equal(q_web_cookie_get("quarry_session=abcdef", "quarry_session", v, 4), -1);
	assert_int_equal(q_web_cookie_get(NULL, "quarry_session", v, sizeof(v)), 0);
	assert_int_equal(q_web_cookie_get("quarry_session=", "quarry_session", v, sizeof(v)), 0);
	assert_int_equal(q_web_cookie_get(";;quarry_session=x ;", "quarry_session", v, sizeof(v)),
			 1);
	assert_string_equal(v, "x");
}

static void pkce_and_tokens(void **state)
{
	char c[Q_WEB_TOKEN_LEN], a[Q_WEB_TOKEN_LEN], b[Q_WEB_TOKEN_LEN];

	(void)state;
	/* RFC 7636, appendix B */
	q_web_pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c);
	assert_string_equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	assert_int_equal(q_web_random_token(a), 0);
	assert_int_equal(q_web_random_token(b), 0);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	assert_true(q_web_token_eq(a, a));
	assert_false(q_web_token_eq(a, b));
	assert_false(q_web_token_eq("", ""));
}

static void origin_and_return(void **state)
{
	(void)state;
	assert_true(q_web_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080", NULL));
	assert_true(q_web_same_origin("https://hub.example/quarry/", "https://HUB.example", NULL));
	assert_false(q_web_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8081", NULL));
	assert_false(
	    q_web_same_origin("http://127.0.0.1:8080", "http://evil.example", "same-origin"));
	assert_false(q_web_same_origin("http://127.0.0.1:8080", "null", NULL));
	assert_true(q_web_same_origin("http://127.0.0.1:8080", NULL, "same-origin"));
	assert_false(q_web_same_origin("http://127.0.0.1:8080", NULL, "cross-site"));
	assert_false(q_web_same_origin("http://127.0.0.1:8080", NULL, NULL));
	assert_string_equal(q_web_safe_return("/builds?x=1"), "/builds?x=1");
	assert_string_equal(q_web_safe_return("//evil.example/"), "/");
	assert_string_equal(q_web_safe_return("/\\evil.example"), "/");
	assert_string_equal(q_web_safe_return("https://evil.example/"), "/");
	assert_string_equal(q_web_safe_return("/a\r\nSet-Cookie: x"), "/");
	assert_string_equal(q_web_safe_return(NULL), "/");
}

/* A compact JWS of claims signed with jwk under alg. */
static char *sign(cjose_jwk_t *jwk, const char *alg, const char *kid, json_t *claims)
{
	cjose_err ce;
	cjose_header_t *h = cjose_header_new(&ce);
	char *payload = json_dumps(claims, JSON_COMPACT), *out = NULL;
	const char *ser = NULL;
	cjose_jws_t *jws;

	cjose_header_set(h, CJOSE_HDR_ALG, alg, &ce);
	if (kid)
		cjose_header_set(h, CJOSE_HDR_KID, kid, &ce);
	jws = cjose_jws_sign(jwk, h, (const uint8_t *)payload, strlen(payload), &ce);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &ser, &ce));
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	free(payload);
	json_decref(claims);
	return out;
}

static json_t *jwks_of(cjose_jwk_t *jwk, const char *kid)
{
	cjose_err ce;
	char *pub = cjose_jwk_to_json(jwk, false, &ce);
	json_t *k = json_loads(pub, 0, NULL);

	free(pub);
	json_object_set_new(k, "kid", json_string(kid));
	json_object_set_new(k, "use", json_string("sig"));
	return json_pack("{s:[o]}", "keys", k);
}

static json_t *good_claims(int64_t now)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:[s]}", "iss", "https://idp.example", "aud",
			 "quarry", "sub", "u-1", "exp", (json_int_t)(now + 300), "iat",
			 (json_int_t)now, "nonce", "n0nce", "groups", "sig-cloud");
}

static int verify(const char *jwt, json_t *jwks, int64_t now, struct q_error *err)
{
	json_t *cl = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = q_web_idtoken_verify(jwt, jwks, "https://idp.example", "quarry", "n0nce", now, &cl,
				  err);
	json_decref(cl);
	return rc;
}

static void idtoken_verification(void **state)
{
	cjose_err ce;
	int64_t now = time(NULL);
	cjose_jwk_t *key = cjose_jwk_create_RSA_random(2048, NULL, 0, &ce);
	cjose_jwk_t *other = cjose_jwk_create_RSA_random(2048, NULL, 0, &ce);
	json_t *jwks = jwks_of(key, "k1"), *c;
	struct q_error err;
	char *t, *tampered;

	(void)state;
	t = sign(key, "RS256", "k1", good_claims(now));
	assert_int_equal(verify(t, jwks, now, &err), 0);
	/* one byte of the payload changed */
	tampered = strdup(t);
	tampered[strchr(t, '.') - t + 5] ^= 1;
	assert_int_equal(verify(tampered, jwks, now, &err), -1);
	free(tampered);
	free(t);
	t = sign(other, "RS256", "k1", good_claims(now));
	assert_int_equal(verify(t, jwks, now, &err), -1);
	assert_non_null(strstr(err.msg, "signature"));
	free(t);
	c = good_claims(now);
	json_object_set_new(c, "iss", json_string("https://evil.example"));
	t = sign(key, "RS256", "k1", c);
	assert_int_equal(verify(t, jwks, now, &err), -1);
	assert_non_null(strstr(err.msg, "issuer"));
	free(t);
	c = good_claims(now);
	json_object_set_new(c, "aud", json_pack("[s,s]", "quarry", "other"));
	t = sign(key, "RS256", "k1", c);
	assert_int_equal(verify(t, jwks, now, &err), -1); /* several audiences, no azp */
	free(t);
	c = good_claims(now);
	json_object_set_new(c, "aud", json_string("other"));
	t = sign(key, "RS256", "k1", c);
	assert_int_equal(verify(t, jwks, now, &err), -1);
	assert_non_null(strstr(err.msg, "another client"));
	free(t);
	c = good_claims(now);
	json_object_set_new(c, "nonce", json_string("replayed"));
	t = sign(key, "RS256", "k1", c);
	assert_int_equal(verify(t, jwks, now, &err), -1);
	assert_non_null(strstr(err.msg, "nonce"));
	free(t);
	t = sign(key, "RS256", "k1", good_claims(now - 3600));
	assert_int_equal(verify(t, jwks, now, &err), -1);
	assert_non_null(strstr(err.msg, "expired"));
	free(t);
	{
		/* HS256 keyed with the public key's bytes, and alg none */
		char *pub = cjose_jwk_to_json(key, false, &ce);
		cjose_jwk_t *oct =
		    cjose_jwk_create_oct_spec((const uint8_t *)pub, strlen(pub), &ce);

		t = sign(oct, "HS256", "k1", good_claims(now));
		assert_int_equal(verify(t, jwks, now, &err), -1);
		assert_non_null(strstr(err.msg, "algorithm"));
		free(t);
		cjose_jwk_release(oct);
		free(pub);
	}
	assert_int_equal(verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", jwks, now, &err), -1);
	assert_int_equal(verify("not a jwt", jwks, now, &err), -1);
	json_decref(jwks);
	cjose_jwk_release(key);
	cjose_jwk_release(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(groupmap_parses_and_matches),
	    cmocka_unit_test(cookie_header),
	    cmocka_unit_test(pkce_and_tokens),
	    cmocka_unit_test(origin_and_return),
	    cmocka_unit_test(idtoken_verification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "kms/creds.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "util/io.h"

#define NO_CREDS "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials FILE"

static struct secbuf *secdup(const char *s, size_t n)
{
	struct secbuf *b = secmem_new(n + 1);

	if (b) {
		memcpy(b->p, s, n);
		b->p[n] = '\0';
		b->len = n;
	}
	return b;
}

void creds_free(struct creds *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	secmem_free(c->secret);
	secmem_free(c->token);
	memset(c, 0, sizeof *c);
}

struct sigv4_creds creds_sigv4(const struct creds *c)
{
	struct sigv4_creds v = {
		.access_key_id = c->access_key_id,
		.secret_access_key = c->secret ? (const char *)c->secret->p : NULL,
		.session_token = c->token ? (const char *)c->token->p : NULL,
	};

	return v;
}

int creds_from_env(struct creds *c, struct nk_err *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");

	memset(c, 0, sizeof *c);
	if (!id || !*id || !sk || !*sk)
		return err_set(err, NK_USAGE, NO_CREDS);
	c->access_key_id = strdup(id);
	c->secret = secdup(sk, strlen(sk));
	if (tok && *tok)
		c->token = secdup(tok, strlen(tok));
	if (!c->access_key_id || !c->secret || (tok && *tok && !c->token)) {
		creds_free(c);
		return err_set(err, NK_IO, "out of memory");
	}
	return NK_OK;
}

/* ISO 8601 UTC as IMDS writes it: 2026-11-23T18:21:16Z, fractions and
 * "+00:00" tolerated. */
static int parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!e)
		return -1;
	if (*e == '.') {
		e++;
		if (*e < '0' || *e > '9')
			return -1;
		while (*e >= '0' && *e <= '9')
			e++;
	}
	if (strcmp(e, "Z") != 0 && strcmp(e, "+00:00") != 0)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* jansson keeps its own copies of the strings: wipe them before freeing. */
static void wipe_json(json_t *j)
{
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v)
		if (json_is_string(v))
			secmem_wipe((char *)json_string_value(v), json_string_length(v));
}

static int get_str(json_t *j, const char *key, int required, const char *name, const char **out,
		   size_t *len, struct nk_err *err)
{
	json_t *v = json_object_get(j, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return err_set(err, NK_DATA, "'%s': no \"%s\"", name, key);
		return NK_OK;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return err_set(err, NK_DATA, "'%s': \"%s\" must be a non-empty string", name, key);
	*out = json_string_value(v);
	*len = json_string_length(v);
	return NK_OK;
}

int creds_from_json(const void *buf, size_t len, const char *name, time_t now, struct creds *c,
		    struct nk_err *err)
{
	const char *id, *sk, *tok, *exp;
	size_t idl = 0, skl = 0, tokl = 0, expl = 0;
	json_error_t je;
	json_t *j;
	int rc;

	memset(c, 0, sizeof *c);
	if (len > CREDS_MAX)
		return err_set(err, NK_DATA, "'%s' is too large for credentials (more than %u bytes)", name, CREDS_MAX);
	/* je.text can quote the input, i.e. a secret: only the position is reported */
	if (!(j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je))) {
		int line = je.line, col = je.column;

		secmem_wipe(&je, sizeof je);
		return err_set(err, NK_DATA, "'%s': invalid JSON at line %d column %d", name, line, col);
	}
	if (!json_is_object(j)) {
		rc = err_set(err, NK_DATA, "'%s': credentials must be a JSON object", name);
		goto out;
	}
	if ((rc = get_str(j, "AccessKeyId", 1, name, &id, &idl, err)) ||
	    (rc = get_str(j, "SecretAccessKey", 1, name, &sk, &skl, err)) ||
	    (rc = get_str(j, "Token", 0, name, &tok, &tokl, err)) ||
	    (rc = get_str(j, "Expiration", 0, name, &exp, &expl, err)))
		goto out;
	if (exp) {
		if (parse_time(exp, &c->expiration) < 0) {
			rc = err_set(err, NK_DATA, "'%s': bad Expiration '%s'", name, exp);
			goto out;
		}
		if (c->expiration <= now) {
			rc = err_set(err, NK_DATA, "credentials expired at %s", exp);
			goto out;
		}
	}
	c->access_key_id = strndup(id, idl);
	c->secret = secdup(sk, skl);
	if (tok)
		c->token = secdup(tok, tokl);
	if (!c->access_key_id || !c->secret || (tok && !c->token))
		rc = err_set(err, NK_IO, "out of memory");
out:
	wipe_json(j);
	json_decref(j);
	if (rc)
		creds_free(c);
	return rc;
}

int creds_load(const char *path, time_t now, struct creds *c, struct nk_err *err)
{
	struct secbuf *b = NULL;
	int rc;

	if (!path)
		return creds_from_env(c, err);
	memset(c, 0, sizeof *c);
	rc = io_read_secret(path, CREDS_MAX, &b, err);
	if (!rc)
		rc = creds_from_json(b->p, b->len, io_name(path), now, c, err);
	secmem_free(b);
	return rc;
}

#include "eif/meas.h"

#include <stdlib.h>
#include <string.h>

#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"

void meas_set(struct meas *m, unsigned index, const unsigned char v[PCR_LEN])
{
	memcpy(m->pcr[index], v, PCR_LEN);
	m->have[index] = 1;
}

void meas_add_eif(struct meas *m, const struct eif_measurement *e)
{
	meas_set(m, 0, e->pcr0);
	meas_set(m, 1, e->pcr1);
	meas_set(m, 2, e->pcr2);
	if (e->is_signed)
		meas_set(m, 8, e->pcr8);
}

unsigned meas_count(const struct meas *m)
{
	unsigned n = m->have_input ? 1 : 0;

	for (unsigned i = 0; i < PCR_COUNT; i++)
		n += m->have[i];
	return n;
}

json_t *meas_map(const struct meas *m)
{
	json_t *o = json_object();
	char key[8];

	if (!o)
		return NULL;
	json_object_set_new(o, "HashAlgorithm", json_string(MEAS_HASH_ALGORITHM));
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (m->have[i]) {
			snprintf(key, sizeof key, "PCR%u", i);
			json_object_set_new(o, key, jsonx_hex(m->pcr[i], PCR_LEN));
		}
	if (m->have_input)
		json_object_set_new(o, "PCR", jsonx_hex(m->input, PCR_LEN));
	return o;
}

int meas_render(const struct meas *m, enum meas_format fmt, char **text, struct nk_err *err)
{
	/* env: one "PCRnn=hex\n" line per value, PCR_COUNT of them and "PCR=" */
	size_t cap = (PCR_COUNT + 1) * (sizeof "PCR31=\n" - 1 + PCR_HEX_LEN) + 1, len = 0;
	char hex[PCR_HEX_LEN + 1];
	json_t *o;

	*text = NULL;
	switch (fmt) {
	case MEAS_JSON:
		if ((o = json_pack("{s:o}", "Measurements", meas_map(m))))
			*text = jsonx_pretty(o);
		json_decref(o);
		break;
	case MEAS_ENV:
		if (!(*text = malloc(cap)))
			break;
		**text = 0;
		for (unsigned i = 0; i < PCR_COUNT; i++)
			if (m->have[i]) {
				enc_hex(m->pcr[i], PCR_LEN, hex);
				len += (size_t)snprintf(*text + len, cap - len, "PCR%u=%s\n", i, hex);
			}
		if (m->have_input) {
			enc_hex(m->input, PCR_LEN, hex);
			snprintf(*text + len, cap - len, "PCR=%s\n", hex);
		}
		break;
	case MEAS_HEX:
		if (meas_count(m) != 1)
			return err_set(err, NK_USAGE, "--format hex prints one value, but %u were computed",
				       meas_count(m));
		for (unsigned i = 0; i < PCR_COUNT; i++)
			if (m->have[i])
				enc_hex(m->pcr[i], PCR_LEN, hex);
		if (m->have_input)
			enc_hex(m->input, PCR_LEN, hex);
		if ((*text = malloc(sizeof hex + 1)))
			snprintf(*text, sizeof hex + 1, "%s\n", hex);
		break;
	default:
		return err_set(err, NK_USAGE, "unknown format");
	}
	return *text ? NK_OK : err_set(err, NK_IO, "out of memory");
}

/* describe-eif flattens CustomMetadata's keys into Metadata (serde flatten). */
static int describe_metadata(json_t *out, const struct eif_measurement *e, struct nk_err *err)
{
	static const char *const build_keys[] = {
		"BuildTime", "BuildTool", "BuildToolVersion", "OperatingSystem", "KernelVersion",
	};
	json_t *md, *bm, *meta, *custom, *v;
	const char *key;
	int rc;

	rc = jsonx_parse(e->metadata, e->metadata_len, "metadata", &md, err);
	if (rc)
		return err_set(err, NK_DATA, "metadata is not valid JSON: %s",
			       strstr(err->msg, ": ") ? strstr(err->msg, ": ") + 2 : err->msg);
	if (!json_is_object(md)) {
		json_decref(md);
		return err_set(err, NK_DATA, "metadata is not a JSON object");
	}
	if ((v = json_object_get(md, "ImageName")))
		json_object_set(out, "ImageName", v);
	if ((v = json_object_get(md, "ImageVersion")))
		json_object_set(out, "ImageVersion", v);
	meta = json_object();
	bm = json_object_get(md, "BuildMetadata");
	for (size_t i = 0; i < sizeof build_keys / sizeof *build_keys; i++)
		if (json_is_object(bm) && (v = json_object_get(bm, build_keys[i])))
			json_object_set(meta, build_keys[i], v);
	json_object_set(meta, "DockerInfo", (v = json_object_get(md, "DockerInfo")) ? v : json_null());
	custom = json_object_get(md, "CustomMetadata");
	if (json_is_object(custom))
		json_object_foreach(custom, key, v)
			json_object_set(meta, key, v);
	json_object_set_new(out, "Metadata", meta);
	json_decref(md);
	return NK_OK;
}

int meas_describe(const struct meas *m, const struct eif_measurement *e, json_t **out, struct nk_err *err)
{
	json_t *o = json_object();
	int rc = NK_OK;

	if (!o)
		return err_set(err, NK_IO, "out of memory");
	json_object_set_new(o, "EifVersion", json_integer(e->hdr.version));
	json_object_set_new(o, "Measurements", meas_map(m));
	json_object_set_new(o, "IsSigned", json_boolean(e->is_signed));
	json_object_set_new(o, "CheckCRC", json_boolean(e->crc_ok));
	if (e->is_signed)
		json_object_set_new(o, "SignatureCheck", json_boolean(e->signature_ok));
	if (e->metadata)
		rc = describe_metadata(o, e, err);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return NK_OK;
}

static int parse_value(const json_t *v, const char *name, const char *key, unsigned char out[PCR_LEN],
		       struct nk_err *err)
{
	const char *hex = json_string_value(v);
	size_t n;

	if (!hex || strlen(hex) != PCR_HEX_LEN || enc_unhex(hex, out, PCR_LEN, &n, NULL))
		return err_set(err, NK_DATA, "'%s': %s is not %d hex characters", name, key, PCR_HEX_LEN);
	return NK_OK;
}

int meas_parse(const json_t *j, const char *name, struct meas *m, struct nk_err *err)
{
	const json_t *map = json_object_get(j, "Measurements"), *v;
	const char *key, *alg;
	int rc;

	memset(m, 0, sizeof *m);
	if (!json_is_object(j))
		return err_set(err, NK_DATA, "'%s': measurements must be a JSON object", name);
	if (!map)
		map = j;  /* eif_build prints the bare map */
	if (!json_is_object(map))
		return err_set(err, NK_DATA, "'%s': \"Measurements\" must be an object", name);
	json_object_foreach((json_t *)map, key, v) {
		char *end;
		unsigned long i;

		if (strcmp(key, "HashAlgorithm") == 0) {
			alg = json_string_value(v);
			if (!alg || strncmp(alg, "Sha384", 6) != 0)
				return err_set(err, NK_DATA, "'%s': HashAlgorithm is not SHA-384", name);
			continue;
		}
		if (strcmp(key, "PCR") == 0) {
			if ((rc = parse_value(v, name, key, m->input, err)))
				return rc;
			m->have_input = 1;
			continue;
		}
		if (strncmp(key, "PCR", 3) != 0 || key[3] < '0' || key[3] > '9' || (key[3] == '0' && key[4]))
			continue;  /* not ours to judge: other tools may add keys */
		i = strtoul(key + 3, &end, 10);
		if (*end || i >= PCR_COUNT)
			return err_set(err, NK_DATA, "'%s': %s: no such PCR (0-31)", name, key);
		if ((rc = parse_value(v, name, key, m->pcr[i], err)))
			return rc;
		m->have[i] = 1;
	}
	if (meas_count(m) == (unsigned)m->have_input)
		return err_set(err, NK_DATA, "'%s': no PCR values", name);
	return NK_OK;
}

int meas_load(const char *path, struct meas *m, struct nk_err *err)
{
	json_t *j = NULL;
	int rc;

	rc = jsonx_load(path, &j, err);
	if (!rc)
		rc = meas_parse(j, io_name(path), m, err);
	json_decref(j);
	return rc;
}

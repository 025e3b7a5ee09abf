/* RFC 3339 times as attest-verify reads (--at) and writes them (the
 * document's timestamp, the time a chain was checked at). */
#include "attest/attest_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

void attest_format_time(int64_t ms, char *out)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&s, &tm)) {
		snprintf(out, 32, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* n digits at s into *v; 0 when they are not all digits. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

int attest_parse_time(const char *s, int64_t *ms, struct nk_err *err)
{
	struct tm tm = { 0 };
	const char *q = s + 19;
	int y, mo, d, h, mi, sec, frac = 0, off = 0, oh, om;
	time_t t;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		goto bad;
	if (*q == '.') {
		int n = 0;

		for (q++; *q >= '0' && *q <= '9'; q++, n++)
			if (n < 3)
				frac = frac * 10 + (*q - '0');
		if (!n)
			goto bad;
		for (; n < 3; n++)
			frac *= 10;
	}
	if ((*q == 'Z' || *q == 'z') && !q[1]) {
		off = 0;
	} else if ((*q == '+' || *q == '-') && strlen(q) == 6 && digits(q + 1, 2, &oh) && q[3] == ':' &&
		   digits(q + 4, 2, &om) && oh < 24 && om < 60) {
		off = (oh * 60 + om) * 60 * (*q == '-' ? -1 : 1);
	} else {
		goto bad;
	}
	/* a leap second (60) is read as the next second's start, as timegm would */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d && sec != 60)  /* timegm normalised a 31 April */
		goto bad;
	*ms = ((int64_t)t - off) * 1000 + frac;
	return NK_OK;
bad:
	return err_set(err, NK_USAGE, "invalid time '%s': expected now, doc or RFC 3339 "
		       "(2022-10-12T13:50:06Z)", s);
}

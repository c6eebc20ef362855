/* A small DER walker for the parts of a certificate BearSSL does not hand
 * out (subjectAltName entries, validity dates, the subject CN), Go's
 * host name rules, and the X.509 engine wrapper that applies them.
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "x509name.h"

/* Reads a tag and a definite length (at most four length bytes, which is
 * already more than any certificate needs). The contents are not checked
 * against *left: callers that read a prefix of a certificate need that. */
static int
der_header(const uint8_t **p, size_t *left, int *tag, size_t *len)
{
	const uint8_t *s = *p;
	size_t n, i, k, l;

	if (*left < 2 || (s[0] & 0x1f) == 0x1f) {
		return -1;
	}
	if (s[1] < 0x80) {
		l = s[1];
		n = 2;
	} else {
		k = s[1] & 0x7f;
		if (k == 0 || k > 4 || *left < 2 + k) {
			return -1;
		}
		l = 0;
		for (i = 0; i < k; i++) {
			l = (l << 8) | s[2 + i];
		}
		n = 2 + k;
	}
	*tag = s[0];
	*len = l;
	*p += n;
	*left -= n;
	return 0;
}

/* One whole element whose contents must lie inside the input. */
static int
der_tlv(const uint8_t **p, size_t *left, int *tag, const uint8_t **value,
    size_t *value_len)
{
	size_t len;

	if (der_header(p, left, tag, &len) != 0 || len > *left) {
		return -1;
	}
	*value = *p;
	*value_len = len;
	*p += len;
	*left -= len;
	return 0;
}

/* Skips one element that must carry tag. */
static int
der_skip(const uint8_t **p, size_t *left, int want)
{
	const uint8_t *v;
	size_t vl;
	int tag;

	if (der_tlv(p, left, &tag, &v, &vl) != 0 || tag != want) {
		return -1;
	}
	return 0;
}

/* Enters the Certificate and tbsCertificate SEQUENCEs and skips the
 * fields before issuer. With prefix set, an element may run past the
 * input (only the first bytes of the certificate are at hand); the
 * contents are then cut at the end of the input. */
static int
tbs_enter(const uint8_t **p, size_t *left, int prefix)
{
	size_t len;
	int tag, i;

	for (i = 0; i < 2; i++) {
		if (der_header(p, left, &tag, &len) != 0 || tag != 0x30) {
			return -1;
		}
		if (len > *left) {
			if (!prefix) {
				return -1;
			}
		} else {
			*left = len;
		}
	}
	if (*left > 0 && (*p)[0] == 0xa0 && der_skip(p, left, 0xa0) != 0) {
		return -1;
	}
	if (der_skip(p, left, 0x02) != 0 || der_skip(p, left, 0x30) != 0) {
		return -1;
	}
	return 0;
}

int
x509name_find_sans(const uint8_t *cert, size_t len, const uint8_t **names,
    size_t *names_len)
{
	static const uint8_t san_oid[] = { 0x55, 0x1d, 0x11 };
	const uint8_t *p = cert, *v, *ext, *e, *oid, *octets;
	size_t left = len, vl, extl, el, oidl, octl;
	int tag, i;

	/* issuer, validity, subject and subjectPublicKeyInfo come before
	 * the optional unique IDs and the extensions. */
	if (tbs_enter(&p, &left, 0) != 0) {
		return -1;
	}
	for (i = 0; i < 4; i++) {
		if (der_skip(&p, &left, 0x30) != 0) {
			return -1;
		}
	}

	/* Extensions are [3] EXPLICIT SEQUENCE OF Extension; the unique
	 * IDs ([1] and [2]) before them are skipped. */
	while (left > 0) {
		if (der_tlv(&p, &left, &tag, &v, &vl) != 0) {
			return -1;
		}
		if (tag != 0xa3) {
			continue;
		}
		if (der_tlv(&v, &vl, &tag, &ext, &extl) != 0 || tag != 0x30) {
			return -1;
		}
		while (extl > 0) {
			if (der_tlv(&ext, &extl, &tag, &e, &el) != 0 ||
			    tag != 0x30 ||
			    der_tlv(&e, &el, &tag, &oid, &oidl) != 0 ||
			    tag != 0x06) {
				return -1;
			}
			if (oidl != sizeof san_oid ||
			    memcmp(oid, san_oid, oidl) != 0) {
				continue;
			}
			/* critical BOOLEAN DEFAULT FALSE, then the value. */
			if (el > 0 && e[0] == 0x01 &&
			    der_skip(&e, &el, 0x01) != 0) {
				return -1;
			}
			if (der_tlv(&e, &el, &tag, &octets, &octl) != 0 ||
			    tag != 0x04 ||
			    der_tlv(&octets, &octl, &tag, names,
			    names_len) != 0 || tag != 0x30) {
				return -1;
			}
			return 1;
		}
		return 0;
	}
	return 0;
}

int
x509name_next_san(const uint8_t **p, size_t *left, int *tag,
    const uint8_t **value, size_t *value_len)
{
	if (*left == 0) {
		return 0;
	}
	return der_tlv(p, left, tag, value, value_len) == 0 ? 1 : -1;
}

int
x509name_subject_cn(const uint8_t *cert, size_t len, char *cn, size_t cap)
{
	static const uint8_t cn_oid[] = { 0x55, 0x04, 0x03 };
	const uint8_t *p = cert, *subj, *set, *atv, *oid, *val;
	size_t left = len, subjl, setl, atvl, oidl, vall, i, n;
	int tag;

	if (cap > 0) {
		cn[0] = 0;
	}
	if (tbs_enter(&p, &left, 0) != 0 || der_skip(&p, &left, 0x30) != 0 ||
	    der_skip(&p, &left, 0x30) != 0 ||
	    der_tlv(&p, &left, &tag, &subj, &subjl) != 0 || tag != 0x30) {
		return -1;
	}

	/* Name is a SEQUENCE OF SET OF AttributeTypeAndValue. */
	while (subjl > 0) {
		if (der_tlv(&subj, &subjl, &tag, &set, &setl) != 0 ||
		    tag != 0x31) {
			return -1;
		}
		while (setl > 0) {
			if (der_tlv(&set, &setl, &tag, &atv, &atvl) != 0 ||
			    tag != 0x30 ||
			    der_tlv(&atv, &atvl, &tag, &oid, &oidl) != 0 ||
			    tag != 0x06 ||
			    der_tlv(&atv, &atvl, &tag, &val, &vall) != 0) {
				return -1;
			}
			if (oidl != sizeof cn_oid ||
			    memcmp(oid, cn_oid, oidl) != 0) {
				continue;
			}
			if (cap == 0) {
				return 1;
			}
			n = vall < cap - 1 ? vall : cap - 1;
			for (i = 0; i < n; i++) {
				cn[i] = val[i] >= 0x20 && val[i] < 0x7f ?
				    (char)val[i] : '?';
			}
			cn[n] = 0;
			return 1;
		}
	}
	return 0;
}

int
x509name_parse_ip(const char *host, uint8_t ip[16])
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, host, v4) == 1) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, v4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, host, ip) == 1) {
		return 16;
	}
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Go's validHostname: labels of letters, digits, '-' (not first) and
 * '_', no empty label, no bare "*"; a pattern may have "*" as its whole
 * first label. */
static int
valid_hostname(const uint8_t *s, size_t n, int pattern)
{
	size_t i, start;
	int c;

	if (!pattern && n > 0 && s[n - 1] == '.') {
		n--;
	}
	if (n == 0 || (n == 1 && s[0] == '*')) {
		return 0;
	}
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			continue;
		}
		if (i == start) {
			return 0;
		}
		if (pattern && start == 0 && i == 1 && s[0] == '*') {
			start = i + 1;
			continue;
		}
		for (size_t j = start; j < i; j++) {
			c = s[j];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' ||
			    (c == '-' && j != start)) {
				continue;
			}
			return 0;
		}
		start = i + 1;
	}
	return 1;
}

static int
equal_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i])) {
			return 0;
		}
	}
	return 1;
}

/* Go's matchHostnames: same number of labels, each equal ignoring ASCII
 * case, except a first pattern label "*". */
static int
match_labels(const uint8_t *pat, size_t pn, const uint8_t *host, size_t hn)
{
	size_t pi = 0, hi = 0, pe, he;
	int first = 1;

	if (hn > 0 && host[hn - 1] == '.') {
		hn--;
	}
	if (pn == 0 || hn == 0) {
		return 0;
	}
	for (;;) {
		pe = pi;
		while (pe < pn && pat[pe] != '.') {
			pe++;
		}
		he = hi;
		while (he < hn && host[he] != '.') {
			he++;
		}
		if (!(first && pe - pi == 1 && pat[pi] == '*') &&
		    (pe - pi != he - hi ||
		    !equal_nocase(pat + pi, host + hi, pe - pi))) {
			return 0;
		}
		first = 0;
		if (pe == pn || he == hn) {
			return pe == pn && he == hn;
		}
		pi = pe + 1;
		hi = he + 1;
	}
}

int
x509name_match_dns(const uint8_t *pattern, size_t pattern_len,
    const char *host)
{
	const uint8_t *h = (const uint8_t *)host;
	size_t hn = strlen(host);

	if (valid_hostname(h, hn, 0) &&
	    valid_hostname(pattern, pattern_len, 1)) {
		return match_labels(pattern, pattern_len, h, hn);
	}

	/* Anything else must be equal, ignoring case (Go's matchExactly). */
	if (hn == 0 || (hn == 1 && h[0] == '.') || pattern_len == 0 ||
	    (pattern_len == 1 && pattern[0] == '.')) {
		return 0;
	}
	return pattern_len == hn && equal_nocase(pattern, h, hn);
}

/* Appends to a bounded message, ending it with "..." when it is full. */
struct msg {
	char *buf;
	size_t cap, len;
	int full;
};

static void
msg_add(struct msg *m, const char *s, size_t n)
{
	size_t room;

	if (m->full || m->cap == 0) {
		return;
	}
	room = m->cap - 1 - m->len;
	if (n > room) {
		m->full = 1;
		n = room;
		memcpy(m->buf + m->len, s, n);
		m->len += n;
		if (m->len >= 3) {
			memcpy(m->buf + m->len - 3, "...", 3);
		}
	} else {
		memcpy(m->buf + m->len, s, n);
		m->len += n;
	}
	m->buf[m->len] = 0;
}

static void
msg_str(struct msg *m, const char *s)
{
	msg_add(m, s, strlen(s));
}

/* A SAN as text: dNSName bytes with anything unprintable as '?', an
 * iPAddress in its usual notation. */
static void
msg_san(struct msg *m, int tag, const uint8_t *v, size_t vl)
{
	char text[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (tag == X509NAME_SAN_IP) {
		if (vl == 4) {
			inet_ntop(AF_INET, v, text, sizeof text);
		} else if (vl == 16) {
			inet_ntop(AF_INET6, v, text, sizeof text);
		} else {
			snprintf(text, sizeof text, "<bad IP SAN>");
		}
		msg_str(m, text);
		return;
	}
	for (i = 0; i < vl && !m->full; i++) {
		char c = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';

		msg_add(m, &c, 1);
	}
}

int
x509name_check(const uint8_t *cert, size_t len, const char *host,
    char *err, size_t errlen)
{
	const uint8_t *names, *v;
	size_t names_len, vl;
	uint8_t want[16], got[16];
	char cn[80];
	struct msg m = { err, errlen, 0, 0 };
	int family, found, tag, r, count = 0;

	if (errlen > 0) {
		err[0] = 0;
	}
	family = x509name_parse_ip(host, want);
	found = x509name_find_sans(cert, len, &names, &names_len);
	if (found < 0) {
		snprintf(err, errlen, "certificate for %s is malformed "
		    "(cannot read its subjectAltName)", host);
		return -1;
	}

	/* Go never falls back to the Common Name: say so, since that is
	 * what an old certificate relies on. */
	if (found == 0) {
		if (x509name_subject_cn(cert, len, cn, sizeof cn) == 1) {
			snprintf(err, errlen, "certificate has no "
			    "subjectAltName (SANs) and its Common Name "
			    "\"%s\" is not checked: it is not valid for %s",
			    cn, host);
		} else {
			snprintf(err, errlen, "certificate has no "
			    "subjectAltName (SANs): it is not valid for %s",
			    host);
		}
		return -1;
	}

	/* IP literals match iPAddress entries only (an IPv4 address also
	 * its IPv4-mapped IPv6 form, as Go's net.IP.Equal does), names
	 * match dNSName entries only. */
	msg_str(&m, "certificate is valid for ");
	while ((r = x509name_next_san(&names, &names_len, &tag, &v,
	    &vl)) == 1) {
		if (tag == X509NAME_SAN_IP && family != 0) {
			if (vl == 4) {
				memset(got, 0, 10);
				got[10] = got[11] = 0xff;
				memcpy(got + 12, v, 4);
			}
			if ((vl == 4 || vl == 16) &&
			    memcmp(vl == 4 ? got : v, want, 16) == 0) {
				return 0;
			}
		} else if (tag == X509NAME_SAN_DNS && family == 0) {
			if (x509name_match_dns(v, vl, host)) {
				return 0;
			}
		}
		if (tag == X509NAME_SAN_IP || tag == X509NAME_SAN_DNS) {
			if (count++ > 0) {
				msg_str(&m, ", ");
			}
			msg_san(&m, tag, v, vl);
		}
	}
	if (r < 0) {
		snprintf(err, errlen, "certificate for %s is malformed "
		    "(bad subjectAltName entry)", host);
		return -1;
	}
	if (count == 0) {
		snprintf(err, errlen, "certificate has a subjectAltName with "
		    "no DNS names or IP addresses: it is not valid for %s",
		    host);
		return -1;
	}
	m.full = 0;
	if (m.len + 8 + strlen(host) >= m.cap && m.cap > 16 + strlen(host)) {
		/* Keep the host visible: cut the list to make room. */
		m.len = m.cap - 9 - strlen(host);
		memcpy(m.buf + m.len - 3, "...", 3);
	}
	msg_str(&m, ", not ");
	msg_str(&m, host);
	return -1;
}

static int
digits(const uint8_t *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* UTCTime (YYMMDDHHMMSSZ, years 1950..2049) or GeneralizedTime
 * (YYYYMMDDHHMMSSZ), the two forms RFC 5280 allows. */
static int
der_time(const uint8_t **p, size_t *left, int64_t *t)
{
	const uint8_t *v;
	size_t vl, yl;
	int tag, y, mo, d, h, mi, s;

	if (der_tlv(p, left, &tag, &v, &vl) != 0) {
		return -1;
	}
	if (tag == 0x17 && vl == 13) {
		yl = 2;
	} else if (tag == 0x18 && vl == 15) {
		yl = 4;
	} else {
		return -1;
	}
	if (v[vl - 1] != 'Z' || digits(v, yl, &y) != 0 ||
	    digits(v + yl, 2, &mo) != 0 || digits(v + yl + 2, 2, &d) != 0 ||
	    digits(v + yl + 4, 2, &h) != 0 ||
	    digits(v + yl + 6, 2, &mi) != 0 ||
	    digits(v + yl + 8, 2, &s) != 0) {
		return -1;
	}
	if (yl == 2) {
		y += y < 50 ? 2000 : 1900;
	}
	if (!civil_valid(y, mo, d, h, mi, s)) {
		return -1;
	}
	*t = civil_to_unix(y, mo, d, h, mi, s);
	return 0;
}

int
x509name_validity(const uint8_t *cert, size_t len, int64_t *not_before,
    int64_t *not_after)
{
	const uint8_t *p = cert, *v;
	size_t left = len, vl;
	int tag;

	if (tbs_enter(&p, &left, 1) != 0 || der_skip(&p, &left, 0x30) != 0 ||
	    der_tlv(&p, &left, &tag, &v, &vl) != 0 || tag != 0x30 ||
	    der_time(&v, &vl, not_before) != 0 ||
	    der_time(&v, &vl, not_after) != 0) {
		return -1;
	}
	return 0;
}

void
x509name_format_time(int64_t t, char buf[32])
{
	civil_format(t, buf);
}

/* The engine. BearSSL calls these through the vtable; the context
 * pointer is &e->vtable, the structure's first field. */

static void
xe_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;

	/* server_name is the SNI BearSSL sends; the inner engine gets no
	 * name so that it neither matches the CN nor rejects IP SANs, and
	 * the name is checked at end_chain against e->host instead. */
	(void)server_name;
	e->cert_index = 0;
	e->ee_len = 0;
	e->ee_too_long = 0;
	e->detail[0] = 0;
	memset(e->validity, 0, sizeof e->validity);
	if (e->inner != NULL) {
		(*e->inner)->start_chain(e->inner, NULL);
	} else {
		br_x509_decoder_init(&e->decoder, NULL, NULL);
	}
}

static void
xe_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;

	if (e->cert_index == 0 && length > X509NAME_EE_MAX) {
		e->ee_too_long = 1;
	}
	e->cert_index++;
	e->head_len = 0;
	if (e->inner != NULL) {
		(*e->inner)->start_cert(e->inner, length);
	}
}

static void
xe_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;
	size_t n;

	if (e->inner != NULL) {
		(*e->inner)->append(e->inner, buf, len);
	}
	if (e->cert_index == 1) {
		if (!e->ee_too_long && len <= X509NAME_EE_MAX - e->ee_len) {
			memcpy(e->ee + e->ee_len, buf, len);
			e->ee_len += len;
		} else {
			e->ee_too_long = 1;
		}
		if (e->inner == NULL) {
			br_x509_decoder_push(&e->decoder, buf, len);
		}
	}
	n = X509NAME_HEAD_MAX - e->head_len;
	n = len < n ? len : n;
	memcpy(e->head + e->head_len, buf, n);
	e->head_len += n;
}

static void
xe_end_cert(const br_x509_class **ctx)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;
	unsigned i = e->cert_index - 1;

	if (e->inner != NULL) {
		(*e->inner)->end_cert(e->inner);
	}
	if (i < X509NAME_CHAIN_MAX) {
		e->validity[i].known = x509name_validity(e->head, e->head_len,
		    &e->validity[i].not_before,
		    &e->validity[i].not_after) == 0;
	}
}

static unsigned
xe_end_chain(const br_x509_class **ctx)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;
	unsigned r;

	/* Insecure: any chain goes, but the handshake still needs the
	 * end-entity key to check the server's ECDHE signature. */
	if (e->inner == NULL) {
		if (e->cert_index == 0) {
			return BR_ERR_X509_EMPTY_CHAIN;
		}
		if (br_x509_decoder_get_pkey(&e->decoder) == NULL) {
			r = (unsigned)br_x509_decoder_last_error(&e->decoder);
			return r != 0 ? r : BR_ERR_X509_UNSUPPORTED;
		}
		return 0;
	}

	/* The chain must be valid before its name means anything. */
	r = (*e->inner)->end_chain(e->inner);
	if (r != 0) {
		return r;
	}
	if (e->ee_too_long) {
		snprintf(e->detail, sizeof e->detail, "the certificate for "
		    "%s is larger than %d bytes, which kevents does not "
		    "check", e->host, X509NAME_EE_MAX);
		return BR_ERR_X509_LIMIT_EXCEEDED;
	}
	if (x509name_check(e->ee, e->ee_len, e->host, e->detail,
	    sizeof e->detail) != 0) {
		return BR_ERR_X509_BAD_SERVER_NAME;
	}
	return 0;
}

static const br_x509_pkey *
xe_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct x509name_engine *e = (struct x509name_engine *)(void *)ctx;

	if (e->inner != NULL) {
		return (*e->inner)->get_pkey(e->inner, usages);
	}
	if (usages != NULL) {
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	}
	return br_x509_decoder_get_pkey(&e->decoder);
}

static const br_x509_class x509name_vtable = {
	sizeof(struct x509name_engine),
	xe_start_chain,
	xe_start_cert,
	xe_append,
	xe_end_cert,
	xe_end_chain,
	xe_get_pkey
};

void
x509name_engine_init(struct x509name_engine *e,
    const br_x509_class **inner, const char *host)
{
	e->vtable = &x509name_vtable;
	e->inner = inner;
	snprintf(e->host, sizeof e->host, "%s", host);
	e->cert_index = 0;
	e->ee_len = 0;
	e->ee_too_long = 0;
	e->head_len = 0;
	e->detail[0] = 0;
	memset(e->validity, 0, sizeof e->validity);
}

const char *
x509name_engine_detail(struct x509name_engine *e, unsigned code,
    int64_t now)
{
	char from[32], to[32], clock[32];
	unsigned i, n;

	if (code == BR_ERR_X509_BAD_SERVER_NAME ||
	    code == BR_ERR_X509_LIMIT_EXCEEDED) {
		return e->detail[0] ? e->detail : NULL;
	}
	if (code != BR_ERR_X509_EXPIRED) {
		return NULL;
	}

	/* BearSSL says "expired" for both ends of the window: find the
	 * first certificate whose window excludes the local clock. */
	n = e->cert_index < X509NAME_CHAIN_MAX ? e->cert_index :
	    X509NAME_CHAIN_MAX;
	for (i = 0; i < n; i++) {
		if (!e->validity[i].known ||
		    (now >= e->validity[i].not_before &&
		    now <= e->validity[i].not_after)) {
			continue;
		}
		x509name_format_time(e->validity[i].not_before, from);
		x509name_format_time(e->validity[i].not_after, to);
		x509name_format_time(now, clock);
		if (i == 0) {
			snprintf(e->detail, sizeof e->detail, "certificate "
			    "for %s is not valid now: valid from %s to %s, "
			    "local clock says %s", e->host, from, to, clock);
		} else {
			snprintf(e->detail, sizeof e->detail, "certificate "
			    "%u of the chain sent for %s (an issuer) is not "
			    "valid now: valid from %s to %s, local clock says "
			    "%s", i + 1, e->host, from, to, clock);
		}
		return e->detail;
	}
	return NULL;
}

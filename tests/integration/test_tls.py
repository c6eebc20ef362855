# flavors: static
"""TLS as kevents speaks it (tls.c and x509name.c through the tls_probe
driver) against servers configured like Go API servers: name checks on
SANs only, dates, unknown CAs, TLS 1.3-only servers, client certificates
in every key format, and insecure mode.
SPDX-License-Identifier: Apache-2.0
"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Suite, TOP, sanitizer_report  # noqa: E402
from tlsserver import PKI, Server  # noqa: E402

PROBE = os.environ.get("TLS_PROBE") or os.path.join(
    TOP, "build", "drivers", "tls_probe")

suite = Suite("tls")


def probe(port, host, *args):
    p = subprocess.run([PROBE, "--host", host, "--port", str(port)]
                       + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return (p.returncode, p.stdout.decode("utf-8", "replace").strip(),
            p.stderr.decode("utf-8", "replace"))


def expect(what, server, host, args, ok, words=()):
    """Probes and checks the result: ok means a 200 line; words must all
    appear in the output."""
    rc, out, err = probe(server.port, host, *args)
    good = (rc == 0 and out.startswith("HTTP/1.1 200")) if ok else \
        (rc == 1 and out.startswith("error:"))
    missing = [w for w in words if w not in out]
    suite.check(what, good and not missing and not sanitizer_report(err),
                f"rc={rc} out={out!r} missing={missing} "
                f"server={server.errors[-1:]!r} err={err[-400:]!r}")
    return out


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def main():
    if not os.access(PROBE, os.X_OK):
        suite.check("build/drivers/tls_probe exists", False,
                    "run `make build/drivers/tls_probe` first")
        suite.done()
    tmp = tempfile.TemporaryDirectory(prefix="kevents-tls-")
    pki = PKI(tmp.name)
    ca = ["--ca", pki.ca_crt]

    ip_rsa = pki.cert("ip-rsa", "rsa", sans="IP:10.0.0.1,IP:127.0.0.1")
    ip_ec = pki.cert("ip-ec", "ec", sans="IP:127.0.0.1")
    dns = pki.cert("dns", "ec", sans="DNS:kubernetes,"
                   "DNS:kubernetes.default,DNS:api.example.test")
    cn_only = pki.cert("cn-only", "rsa", sans=None, cn="127.0.0.1")
    wild = pki.cert("wild", "ec", sans="DNS:*.example.test")
    expired = pki.cert("expired", "ec", sans="IP:127.0.0.1",
                       start="20200101000000Z", end="20210101000000Z")
    future = pki.cert("future", "ec", sans="IP:127.0.0.1",
                      start="20300101000000Z", end="20310101000000Z")
    other = PKI(os.path.join(tmp.name, "other"), "other-ca")
    foreign = other.cert("foreign", "ec", sans="IP:127.0.0.1")

    with Server(*ip_rsa) as s:
        expect("RSA server cert with IP SAN, reached by IP", s,
               "127.0.0.1", ca, True)
        expect("an IP not in the SANs is refused, SANs listed", s,
               "127.0.0.2", ca, False,
               ["certificate is valid for 10.0.0.1, 127.0.0.1, "
                "not 127.0.0.2"])
        expect("a DNS name never matches IP SANs", s, "localhost", ca,
               False, ["not localhost"])
        expect("insecure mode accepts a certificate for another name",
               s, "localhost", ["--insecure"], True)
    with Server(*ip_ec) as s:
        expect("ECDSA P-256 server cert with IP SAN", s, "127.0.0.1", ca,
               True)
        expect("no CA configured: unknown authority", s, "127.0.0.1", [],
               False, ["unknown authority"])
    with Server(*dns) as s:
        expect("DNS-only cert reached by IP is refused", s, "127.0.0.1",
               ca, False, ["certificate is valid for kubernetes, "
                           "kubernetes.default, api.example.test, "
                           "not 127.0.0.1"])
        expect("DNS-only cert passes with --server-name", s, "127.0.0.1",
               ca + ["--server-name", "kubernetes.default"], True)
        expect("DNS names match case-insensitively", s,
               "127.0.0.1", ca + ["--server-name", "API.Example.Test"],
               True)
        expect("a wrong --server-name is refused", s, "127.0.0.1",
               ca + ["--server-name", "kubernetes.default.svc"], False,
               ["not kubernetes.default.svc"])
    with Server(*cn_only) as s:
        out = expect("CN-only certificate is refused (CN never checked)",
                     s, "127.0.0.1", ca, False, ["SANs", "127.0.0.1"])
        suite.check("CN-only message names the CN", "Common Name" in out,
                    out)
    with Server(*wild) as s:
        expect("wildcard SAN matches one label", s, "127.0.0.1",
               ca + ["--server-name", "api.example.test"], True)
        expect("wildcard SAN does not match two labels", s, "127.0.0.1",
               ca + ["--server-name", "a.b.example.test"], False,
               ["*.example.test", "not a.b.example.test"])
        expect("wildcard SAN does not match the bare domain", s,
               "127.0.0.1", ca + ["--server-name", "example.test"],
               False, ["not example.test"])
    if have_ipv6_loopback():
        v6 = pki.cert("ip6", "ec", sans="IP:::1,IP:127.0.0.1")
        with Server(*v6, family=socket.AF_INET6) as s:
            expect("IPv6 SAN on ::1", s, "::1", ca, True)
        v6only = pki.cert("ip6only", "ec", sans="IP:::2")
        with Server(*v6only, family=socket.AF_INET6) as s:
            expect("IPv6 SAN mismatch lists the address", s, "::1", ca,
                   False, ["certificate is valid for ::2, not ::1"])
    else:
        suite.skip("IPv6 SAN on ::1", "no IPv6 loopback on this machine")
    with Server(*foreign) as s:
        expect("certificate from an unknown CA is refused", s,
               "127.0.0.1", ca, False,
               ["certificate signed by unknown authority",
                "BR_ERR_X509_NOT_TRUSTED"])
        expect("insecure mode accepts an unknown CA", s, "127.0.0.1",
               ["--insecure"], True)
    with Server(*expired) as s:
        expect("expired certificate: dates and local clock printed", s,
               "127.0.0.1", ca, False,
               ["not valid now", "valid from 2020-01-01T00:00:00Z to "
                "2021-01-01T00:00:00Z", "local clock says 20"])
        expect("insecure mode accepts an expired certificate", s,
               "127.0.0.1", ["--insecure"], True)
    with Server(*future) as s:
        expect("not-yet-valid certificate: dates printed", s,
               "127.0.0.1", ca, False,
               ["valid from 2030-01-01T00:00:00Z to "
                "2031-01-01T00:00:00Z", "local clock says"])
    with Server(*ip_ec, tls13_only=True) as s:
        expect("TLS 1.3-only server: says BearSSL has TLS 1.2 only", s,
               "127.0.0.1", ca, False, ["TLS 1.3", "TLS 1.2 only"])

    # Client certificates: the server requires one signed by the CA.
    for kind in ("rsa", "ec"):
        crt, _ = pki.cert("client-" + kind, kind, sans=None,
                          cn="system:node:" + kind, client=True)
        forms = pki.key_formats("client-" + kind)
        trad = "PKCS#1" if kind == "rsa" else "SEC1"
        with Server(*ip_ec, client_ca=pki.ca_crt) as s:
            expect(f"{kind.upper()} client cert, PKCS#8 key", s,
                   "127.0.0.1", ca + ["--cert", crt, "--key",
                                      forms["pkcs8"]], True)
            expect(f"{kind.upper()} client cert, {trad} key", s,
                   "127.0.0.1", ca + ["--cert", crt, "--key",
                                      forms["traditional"]], True)
            expect(f"{kind.upper()} client cert and key in one file", s,
                   "127.0.0.1", ca + ["--cert", forms["combined"],
                                      "--key", forms["combined"]], True)
    with Server(*ip_rsa, client_ca=pki.ca_crt) as s:
        expect("server requiring a client cert, none given", s,
               "127.0.0.1", ca, False, ["client certificate"])
        crt = pki.path("client-rsa.crt")
        expect("a key that does not belong to the certificate", s,
               "127.0.0.1", ca + ["--cert", crt, "--key",
                                  pki.path("client-ec.key")], False,
               ["does not match"])
        foreign_client = other.cert("fclient", "ec", client=True)
        expect("a client cert from a CA the server does not trust", s,
               "127.0.0.1", ca + ["--cert", foreign_client[0], "--key",
                                  foreign_client[1]], False, ["alert"])
    enc = pki.path("enc.key")
    openssl_enc = subprocess.run(
        ["openssl", "pkcs8", "-topk8", "-in", pki.path("client-ec.key"),
         "-out", enc, "-passout", "pass:secret"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if openssl_enc.returncode == 0:
        with Server(*ip_ec) as s:
            expect("an encrypted key is refused in words", s, "127.0.0.1",
                   ca + ["--cert", pki.path("client-ec.crt"), "--key",
                         enc], False, ["encrypted"])
    tmp.cleanup()
    suite.done()


main()

"""Key material and client configuration for the simulated API server:
a CA, a server certificate, client certificates (all made by the openssl
command line tool) and the kubeconfig files the tests hand to clients.
SPDX-License-Identifier: Apache-2.0
"""
import os
import subprocess


def _openssl(args, cwd):
    p = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s"
                           % (args[0], p.stderr.decode(errors="replace")))


def _key(path, kind, cwd):
    if kind == "ecdsa":
        _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-out", path], cwd)
    else:
        _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt",
                  "rsa_keygen_bits:2048", "-out", path], cwd)


def make_pki(d, cert_type="rsa", client_users=("kevents-cert",)):
    """Writes ca.crt/ca.key, server.crt/server.key and, per client user,
    client-USER.crt/.key with CN=USER. Returns the file names."""
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    cext = os.path.join(d, "client.ext")
    with open(cext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\n")
    _key("ca.key", cert_type, d)
    _openssl(["req", "-x509", "-new", "-key", "ca.key", "-sha256",
              "-days", "30", "-subj", "/CN=kube-sim-ca", "-out", "ca.crt",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _key("server.key", cert_type, d)
    _openssl(["req", "-new", "-key", "server.key", "-subj",
              "/CN=kube-apiserver", "-out", "server.csr"], d)
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt",
              "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
              "-sha256", "-extfile", "server.ext", "-out", "server.crt"], d)
    for user in client_users:
        # Kubelet-style client keys are EC; RSA is covered by the server.
        _key("client-%s.key" % user, "ecdsa", d)
        _openssl(["req", "-new", "-key", "client-%s.key" % user, "-subj",
                  "/O=kube-sim/CN=%s" % user, "-out",
                  "client-%s.csr" % user], d)
        _openssl(["x509", "-req", "-in", "client-%s.csr" % user, "-CA",
                  "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days",
                  "30", "-sha256", "-extfile", "client.ext", "-out",
                  "client-%s.crt" % user], d)


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kubeconfig(server, ca_path, user_lines, namespace="default"):
    """One cluster, one user, one context. user_lines are already
    indented YAML lines for the user mapping."""
    lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: kube-sim",
        "  cluster:",
        "    server: " + _quote(server),
    ]
    if ca_path:
        lines.append("    certificate-authority: " + _quote(ca_path))
    lines += [
        "users:",
        "- name: kube-sim-user",
        "  user:",
    ] + ["    " + ln for ln in user_lines] + [
        "contexts:",
        "- name: kube-sim",
        "  context:",
        "    cluster: kube-sim",
        "    user: kube-sim-user",
        "    namespace: " + namespace,
        "current-context: kube-sim",
        "",
    ]
    return "\n".join(lines)


def write_atomic(path, text, mode=0o600):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)

"""A TLS test server shaped like a Go API server (TLS 1.2 and later, ECDHE
key exchange only, RSA or ECDSA P-256 certificates, optional client
certificate requirement, or TLS 1.3 only), and a throwaway PKI made with
the openssl command line: a CA, server certificates with chosen SANs or
dates, client certificates with keys in every PEM format.
SPDX-License-Identifier: Apache-2.0
"""
import os
import socket
import ssl
import subprocess
import threading

GO_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def openssl(*args, cwd=None):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (
            " ".join(args), p.stderr.decode("utf-8", "replace")))
    return p.stdout


class PKI:
    """Certificates under one directory, all signed by one CA."""

    def __init__(self, directory, name="test-ca"):
        self.dir = directory
        self.serial = 1
        os.makedirs(directory, exist_ok=True)
        self.ca_key = self.path(name + ".key")
        self.ca_crt = self.path(name + ".crt")
        self.key(self.ca_key, "rsa")
        openssl("req", "-x509", "-new", "-key", self.ca_key,
                "-out", self.ca_crt, "-subj", "/CN=" + name,
                "-days", "3650", "-sha256",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        # "openssl ca" is the one 3.0 command that takes explicit start
        # and end dates; it wants a database and a config.
        self.ca_dir = self.path("ca-db")
        os.makedirs(self.ca_dir, exist_ok=True)
        open(os.path.join(self.ca_dir, "index.txt"), "w").close()
        with open(os.path.join(self.ca_dir, "serial"), "w") as f:
            f.write("1000\n")
        self.ca_cnf = self.path("ca.cnf")
        with open(self.ca_cnf, "w") as f:
            f.write(f"""[ca]
default_ca = test
[test]
dir = {self.ca_dir}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
certificate = {self.ca_crt}
private_key = {self.ca_key}
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[anything]
commonName = supplied
""")

    def path(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def key(path, kind):
        """A PKCS#8 key: kind is "rsa" or "ec" (P-256)."""
        if kind == "rsa":
            openssl("genpkey", "-algorithm", "RSA",
                    "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
        else:
            openssl("genpkey", "-algorithm", "EC",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
        return path

    def cert(self, name, kind="rsa", sans=None, cn=None, client=False,
             start=None, end=None):
        """Issues NAME.crt/NAME.key. sans like "IP:127.0.0.1,DNS:x" (None:
        no SAN extension); start/end as YYYYMMDDHHMMSSZ."""
        key = self.key(self.path(name + ".key"), kind)
        csr = self.path(name + ".csr")
        crt = self.path(name + ".crt")
        ext = self.path(name + ".ext")
        openssl("req", "-new", "-key", key, "-out", csr,
                "-subj", "/CN=" + (cn or name))
        with open(ext, "w") as f:
            f.write("[v3]\nbasicConstraints = critical,CA:FALSE\n")
            f.write("keyUsage = critical,digitalSignature"
                    + ("" if kind == "ec" else ",keyEncipherment") + "\n")
            f.write("extendedKeyUsage = "
                    + ("clientAuth" if client else "serverAuth") + "\n")
            if sans:
                f.write("subjectAltName = " + sans + "\n")
        if start or end:
            openssl("ca", "-batch", "-config", self.ca_cnf, "-notext",
                    "-in", csr, "-out", crt, "-extfile", ext,
                    "-extensions", "v3",
                    "-startdate", start or "20200101000000Z",
                    "-enddate", end or "20400101000000Z")
        else:
            self.serial += 1
            openssl("x509", "-req", "-in", csr, "-CA", self.ca_crt,
                    "-CAkey", self.ca_key, "-set_serial",
                    str(self.serial), "-days", "30", "-sha256",
                    "-extfile", ext, "-extensions", "v3", "-out", crt)
        return crt, key

    def key_formats(self, name):
        """The key of NAME in PKCS#8 (as made), PKCS#1 or SEC1
        (traditional), and cert+key in one file: a dict of paths."""
        key = self.path(name + ".key")
        trad = self.path(name + ".trad.key")
        openssl("pkey", "-in", key, "-traditional", "-out", trad)
        both = self.path(name + ".both.pem")
        with open(both, "w") as f:
            f.write(open(self.path(name + ".crt")).read())
            f.write(open(trad).read())
        return {"pkcs8": key, "traditional": trad, "combined": both}


class Server:
    """Answers each connection's GET with 200 and a small body, then
    closes with close_notify. Runs in a thread until stop()."""

    def __init__(self, cert, key, client_ca=None, tls13_only=False,
                 family=socket.AF_INET):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = (ssl.TLSVersion.TLSv1_3 if tls13_only
                               else ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers(GO_CIPHERS)
        ctx.load_cert_chain(cert, key)
        if client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        self.ctx = ctx
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("::1" if family == socket.AF_INET6
                        else "127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.errors = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                tls = self.ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.errors.append(str(e))
                conn.close()
                continue
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                body = b"ok\n"
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain"
                            b"\r\nContent-Length: %d\r\nConnection: close"
                            b"\r\n\r\n" % len(body) + body)
                tls.unwrap()
            except (ssl.SSLError, OSError) as e:
                self.errors.append(str(e))
            finally:
                tls.close()

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

#!/usr/bin/python3
"""HTTPS policy hosts for t/unit-sts-fetch.

server.py CERTDIR LOGFILE SLOW_SECONDS

Listens on 127.0.0.1 at three random ports and prints them on one line,
"TLS PLAIN TLS11", once all of them accept connections:
  TLS    TLS 1.2+; the certificate follows SNI: mta-sts.wrong.test gets one
         for mta-sts.other.test, mta-sts.unknown.test a self-signed one,
         anything else the CA-signed one for mta-sts.<case>.good.test;
  PLAIN  plain HTTP (a client speaking TLS to it must fail);
  TLS11  TLS 1.0-1.1 only.
The answer depends on <case>, the first label after "mta-sts." in the Host
header. Every request is appended to LOGFILE as "HOST PATH". Runs until
killed.
"""

import http.server
import os
import ssl
import sys
import threading
import time
import warnings

POLICY = b"version: STSv1\nmode: enforce\nmx: mail.good.test\nmax_age: 86400\n"
LIMIT = 65536

certdir, logfile, slow = sys.argv[1], sys.argv[2], float(sys.argv[3])
loglock = threading.Lock()


def context(name, tls11=False):
    """a server context with certificate NAME.pem"""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls11:
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(certdir, name + ".pem"),
                        os.path.join(certdir, name + ".key"))
    return ctx


BY_SNI = {"mta-sts.wrong.test": context("wrong"),
          "mta-sts.unknown.test": context("self")}


def pick_cert(sock, servername, ctx):
    """SNI: switch to the certificate for that name"""
    if servername in BY_SNI:
        sock.context = BY_SNI[servername]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, ctype, body, extra=()):
        self.send_response(code)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def chunked(self, total):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        while total > 0:
            n = min(total, 8192)
            self.wfile.write(b"%x\r\n" % n + b"p" * n + b"\r\n")
            total -= n
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self):
        host = self.headers.get("Host", "")
        with loglock, open(logfile, "a") as f:
            f.write("%s %s\n" % (host, self.path))
        self.close_connection = True
        case = host.split(".")[1] if host.startswith("mta-sts.") else ""
        if case == "charset":
            self.reply(200, "text/plain; charset=utf-8", POLICY)
        elif case == "upper":
            self.reply(200, "Text/PLAIN ;charset=UTF-8", POLICY)
        elif case == "octet":
            self.reply(200, "application/octet-stream", POLICY)
        elif case == "notype":
            self.reply(200, None, POLICY)
        elif case == "notfound":
            self.reply(404, "text/plain", b"no such policy\n")
        elif case == "redirect":
            self.reply(301, "text/plain", b"moved\n", [
                ("Location", "https://mta-sts.redirect.good.test/elsewhere")])
        elif case == "biglen":
            self.reply(200, "text/plain", b"b" * 70000)
        elif case == "bigchunk":
            self.chunked(100000)
        elif case == "exact":
            self.reply(200, "text/plain", b"e" * LIMIT)
        elif case == "exactchunk":
            self.chunked(LIMIT)
        elif case in ("slow", "cancel"):
            time.sleep(slow)
            self.reply(200, "text/plain", POLICY)
        else:
            self.reply(200, "text/plain", POLICY)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx):
        self.ctx = ctx
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        """the TLS handshake runs here, in the request's own thread"""
        request.settimeout(30)
        if self.ctx is not None:
            try:
                request = self.ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            request.close()

    def handle_error(self, request, client_address):
        pass


def main():
    tls = context("good")
    tls.sni_callback = pick_cert
    servers = [Server(tls), Server(None), Server(context("good", True))]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    threading.Event().wait()


main()

# from: test_streams.py::StreamTests::test_start_tls / test_sslproto.py (a plain connection upgraded to TLS on both ends)
import asyncio, os, ssl, subprocess, tempfile

async def handle(r, w):
    print("server got", await r.readline())
    w.write(b"OK\n")
    await w.drain()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(CERT, KEY)
    await w.start_tls(ctx)
    line = await r.readline()
    w.write(b"tls echo: " + line)
    await w.drain()
    w.close()

async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    print("TLS before:", w.get_extra_info("ssl_object") is not None)
    w.write(b"STARTTLS\n")
    print("client got", await r.readline())
    ctx = ssl.create_default_context(cafile=CERT)
    await w.start_tls(ctx, server_hostname="localhost")
    print("TLS after:", w.get_extra_info("ssl_object") is not None)
    w.write(b"secret\n")
    print(await r.readline())
    w.close()
    srv.close()

d = tempfile.mkdtemp()
CERT, KEY = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", KEY, "-out", CERT, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
try:
    asyncio.run(main())
finally:
    os.unlink(CERT); os.unlink(KEY); os.rmdir(d)

# from: the exceptions map: OSError subclasses and errno names (cio_err_name names every errno)
# xfail: cio_err_name prints "E?" for errno values outside a short list (EDOM, ENODATA, ...) (issue 19, fixed by 19a)
import errno

for name in ("EPIPE", "ECONNRESET", "ETIMEDOUT", "EDOM", "ENODATA", "EOVERFLOW", "EILSEQ", "ESTALE"):
    print(name, "->", errno.errorcode[getattr(errno, name)])

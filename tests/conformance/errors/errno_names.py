# from: the exceptions map: OSError subclasses and errno names (cio_err_name names every errno)
import errno

for name in ("EPIPE", "ECONNRESET", "ETIMEDOUT", "EDOM", "ENODATA", "EOVERFLOW", "EILSEQ", "ESTALE"):
    print(name, "->", errno.errorcode[getattr(errno, name)])

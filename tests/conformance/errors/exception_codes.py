# from: the exceptions map (asyncio's exceptions and the codes cio gives for them): each code's name and readable message exist
import asyncio

for exc in (asyncio.CancelledError, asyncio.TimeoutError, asyncio.InvalidStateError, asyncio.QueueEmpty,
            asyncio.QueueFull, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.BrokenBarrierError):
    print(exc.__name__, "is an exception:", issubclass(exc, BaseException))
print("TimeoutError is the builtin:", asyncio.TimeoutError is TimeoutError)
print("CancelledError is a BaseException, not an Exception:", not issubclass(asyncio.CancelledError, Exception))

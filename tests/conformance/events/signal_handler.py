# from: test_events.py::test_add_signal_handler (a signal calls back on the loop; remove restores)
import asyncio, os, signal

loop = asyncio.new_event_loop()
def on_sig():
    print("SIGUSR1 handled on the loop")
    loop.stop()
loop.add_signal_handler(signal.SIGUSR1, on_sig)
loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
loop.run_forever()
print("remove", loop.remove_signal_handler(signal.SIGUSR1))
print("remove again", loop.remove_signal_handler(signal.SIGUSR1))
try:
    loop.add_signal_handler(signal.SIGKILL, on_sig)
except RuntimeError:
    print("SIGKILL: RuntimeError")
loop.close()

# from: test_events.py::test_create_datagram_endpoint (datagram_received with the sender's address; sendto back)
import asyncio

class Echo(asyncio.DatagramProtocol):
    def connection_made(self, t):
        self.t = t
    def datagram_received(self, data, addr):
        print("server got", data)
        self.t.sendto(data[::-1], addr)

class Client(asyncio.DatagramProtocol):
    def datagram_received(self, data, addr):
        print("client got", data)
        got.set_result(None)

async def main():
    global got
    loop = asyncio.get_running_loop()
    got = loop.create_future()
    st, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    port = st.get_extra_info("sockname")[1]
    ct, _ = await loop.create_datagram_endpoint(Client, remote_addr=("127.0.0.1", port))
    ct.sendto(b"abc")
    await got
    ct.close(); st.close()

asyncio.run(main())

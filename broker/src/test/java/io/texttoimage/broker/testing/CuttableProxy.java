package io.texttoimage.broker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a loopback port in front of a real server, which a test can fail in two ways: {@link #cut()}
 * (every open connection reset, new ones refused: the server seems gone, as when its host fails) and
 * {@link #blackhole()} (nothing is forwarded any more and nothing is closed: a network partition or a pulled cable,
 * which only a timeout or a heartbeat can notice). The server behind it is never touched, so tests on shared servers
 * can make them disappear safely. The broker module's test jar shares it with the services' tests.
 */
public final class CuttableProxy implements AutoCloseable {
    private final int port;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Object forwarding = new Object();
    private volatile ServerSocket listener;
    private volatile boolean blackholed;

    public CuttableProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        ServerSocket first = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = first.getLocalPort();
        listen(first);
    }

    /**
     * A relay to the tests' RabbitMQ (127.0.0.1:5672), cut from the start: a service or client pointed at it starts
     * while the broker cannot be reached, until the test calls {@link #restore()}.
     */
    public static CuttableProxy toUnreachableTestBroker() {
        try {
            CuttableProxy link = new CuttableProxy("127.0.0.1", 5672);
            link.cut();
            return link;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** Resets every relayed connection and stops listening: connecting is refused until {@link #restore()}. */
    public synchronized void cut() throws IOException {
        listener.close();
        for (Socket socket : open) {
            try {
                socket.setSoLinger(true, 0); // RST, as a vanished peer would look
            } catch (IOException alreadyClosed) {
                // its other side went away meanwhile, and its pump closed it
            }
            closeQuietly(socket);
        }
        open.clear();
        heal(); // pumps waiting in a blackhole find their sockets closed and end
    }

    public synchronized void restore() throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        listen(socket);
    }

    /**
     * Stops forwarding in both directions, on open and new connections alike, without closing anything: bytes sent
     * meanwhile wait, as in a partitioned network, until {@link #heal()} or the peers give up on the connection.
     */
    public void blackhole() {
        blackholed = true;
    }

    /** Forwards again whatever waited, if the peers have not closed the connection meanwhile. */
    public void heal() {
        synchronized (forwarding) {
            blackholed = false;
            forwarding.notifyAll();
        }
    }

    private void listen(ServerSocket socket) {
        listener = socket;
        Thread.ofPlatform().daemon().name("proxy-accept-" + port).start(() -> {
            while (!socket.isClosed()) {
                Socket client;
                try {
                    client = socket.accept();
                } catch (IOException closed) {
                    return;
                }
                try {
                    Socket server = new Socket(target.getAddress(), target.getPort());
                    open.add(client);
                    open.add(server);
                    pump(client, server);
                    pump(server, client);
                } catch (IOException serverDown) { // the server itself is down (a test stopped it): end the client at once
                    closeQuietly(client);
                }
            }
        });
    }

    private void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            byte[] buffer = new byte[16384];
            try {
                InputStream in = from.getInputStream(); // closing a socket's stream would close the socket
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    awaitForwarding();
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // one side went away: close both
            } finally {
                awaitForwarding(); // a peer's close does not cross a blackhole either
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        });
    }

    private void awaitForwarding() {
        synchronized (forwarding) {
            while (blackholed) {
                try {
                    forwarding.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
    }
}

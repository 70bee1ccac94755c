package io.twinstream.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 client on one kept-alive connection, for load generation: it writes a POST and
 * reads the status line, the headers and a Content-Length body, nothing more. Lighter than the
 * JDK's {@code HttpClient}, whose per-request machinery competes with the server for the cores when
 * both run on one machine.
 */
final class RawHttpClient implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private final String host;

  RawHttpClient(String host, int port) throws IOException {
    this.socket = new Socket(host, port);
    socket.setTcpNoDelay(true);
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream(), 65536);
    this.host = host + ":" + port;
  }

  /**
   * POSTs {@code body} (JSON) to {@code path}; returns the status, the body is read and dropped.
   */
  int post(String path, byte[] body) throws IOException {
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: "
            + host
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    String status = line();
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    for (String h = line(); !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
        length = Long.parseLong(h.substring(colon + 1).trim());
      }
    }
    if (length < 0) {
      throw new IOException("no Content-Length in the response");
    }
    long skipped = 0;
    while (skipped < length) {
      long n = in.skip(length - skipped);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed mid-body");
        }
        n = 1;
      }
      skipped += n;
    }
    return code;
  }

  private String line() throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

// Start the official tus server on 127.0.0.1 for Ferry's tests and benchmarks.
// Usage: node server.mjs <port> <directory>. Prints "listening <port>" once ready.
import { Server } from "@tus/server";
import { FileStore } from "@tus/file-store";

const [port, directory] = process.argv.slice(2);
if (!port || !directory) {
  console.error("usage: node server.mjs <port> <directory>");
  process.exit(2);
}
const server = new Server({
  path: "/files",
  datastore: new FileStore({ directory }),
  maxSize: 64 * 1024 * 1024 * 1024,
});
const http = server.listen({ host: "127.0.0.1", port: Number(port) }, () => {
  const address = http.address();
  console.log(`listening ${address.port}`);
});

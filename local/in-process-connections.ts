import { Agent, type Server } from 'node:http';
import { createConnection, type NetConnectOpts } from 'node:net';
import * as stream from 'node:stream';
import type { Duplex } from 'node:stream';
import { useHostAgent } from '../functions/lib/clients';
import { sharedInstall } from './shared-install';

/**
 * Connections to an embedded AWS from inside its own process, without a socket. The step handlers run in the
 * embedded AWS's process, and each of their SDK calls used to cross the loopback interface twice. Through this
 * agent a connection to the port of a server registered here is an in-memory stream pair handed to that server as a
 * new connection (the documented `'connection'` event): the SDK still serializes and signs, the server still parses
 * HTTP, and every request goes through the same route — guard, fault rules, IAM — as one from another process.
 * Nothing outside the process can reach this path: it has no address. A connection to any other port is a socket.
 */
const servers = new Map<number, Server>();

/** `stream.duplexPair` came with Node 22.6; without it every connection is a socket, as before. */
const duplexPair = (stream as { duplexPair?: () => [Duplex, Duplex] }).duplexPair;

/** Serves in-process connections to `port` with `server`; returns the function that stops it. */
export function serveInProcess(port: number, server: Server): () => void {
  if (duplexPair) servers.set(port, server);
  return () => {
    if (servers.get(port) === server) servers.delete(port);
  };
}

class InProcessAgent extends Agent {
  override createConnection(options: NetConnectOpts & { port?: number }, callback?: (error: Error | null, socket: Duplex) => void): Duplex {
    const server = typeof options.port === 'number' ? servers.get(options.port) : undefined;
    if (!server || !duplexPair) return createConnection(options, callback as () => void);
    const [client, serverSide] = duplexPair();
    server.emit('connection', withSocketMethods(serverSide));
    return withSocketMethods(client);
  }
}

/**
 * The http client and agent call a socket's tuning methods (keep-alive, timeouts, ref/unref); on a stream pair there
 * is nothing to tune, and an idle in-memory connection holds no handle that could keep the process alive.
 */
function withSocketMethods(connection: Duplex): Duplex {
  const noop = () => connection;
  return Object.assign(connection, {
    setKeepAlive: noop,
    setNoDelay: noop,
    setTimeout: (_ms: number, callback?: () => void) => {
      if (callback) connection.once('timeout', callback);
      return connection;
    },
    ref: noop,
    unref: noop,
  });
}

/** The agent the step handlers' SDK clients use while an embedded AWS runs (keep-alive, like the SDK's own). */
export const inProcessAgent: Agent = new InProcessAgent({ keepAlive: true });

/**
 * Gives the clients of functions/lib/clients (the step handlers') the in-process agent; returns the function that
 * takes it back once no embedded AWS in this process needs it.
 */
export const installInProcessTransport = sharedInstall(useHostAgent, inProcessAgent);

// nats-server configuration text for atoll's distributed mode: one server, or a cluster
// of N that route to each other, each with JetStream on its own store_dir.
//
// Written for the nats-server atoll is tested against, Debian's 2.9.10. That version has
// no setting for when JetStream fsyncs: `sync_interval` (and its alias `sync`) arrived
// in 2.10.x, and 2.9.10 refuses a config that names it ("unknown field"; tried with
// /usr/sbin/nats-server -t, and test/cluster/nats-server-config.test.ts keeps trying).
// Its file store writes each message to the file (the OS page cache) before the
// acknowledgement and fsyncs on a 2-minute background timer: under strace, 200 acked KV
// puts made no fsync; the first came 2:00 later, and a clean shutdown made none. So no
// line here can make an acknowledged write survive a power cut on 2.9.10; replication
// (3 servers, R3 buckets) is what makes it survive the loss of one machine.
// docs/operations.md ("Durability") says what that covers and what it does not, with
// the Jepsen 2025 findings. For nats-server 2.10 or later, `syncAlways` writes
// `sync_interval: always` (fsync before every acknowledgement).

export interface NatsServerSpec {
  /** server_name: unique in the cluster; letters, digits, '-', '_', '.'. */
  name: string;
  /** Address every listener binds to; 127.0.0.1 unless given. */
  host?: string;
  /** Client port (applications connect here). */
  clientPort: number;
  /** HTTP monitoring port (/healthz, /jsz, /varz); none unless given. */
  httpPort?: number;
  /** JetStream data directory (absolute path); nats-server adds `jetstream/` under it. */
  storeDir: string;
  /**
   * `sync_interval: always`: fsync every write before acknowledging it. Needs
   * nats-server 2.10 or later; 2.9.10 refuses to start with it (unknown field).
   */
  syncAlways?: boolean;
  /** Caps for JetStream storage, in bytes; nats-server's own defaults otherwise. */
  maxFileStore?: number;
  maxMemoryStore?: number;
  /** Cluster membership; omit for a single server. */
  cluster?: {
    /** Cluster name, the same on every member. */
    name: string;
    /** Port this server listens on for routes from the others. */
    port: number;
    /** Route URLs of the members (`nats-route://host:port`); this server's own is allowed. */
    routes: string[];
  };
  /** Port on which leaf nodes (one per location, optional) connect to this server. */
  leafnodePort?: number;
  /**
   * JetStream domain of the hub cluster, the same on all its servers. Leaf nodes need
   * it: nats-server denies JetStream API traffic across a leaf connection unless the
   * leaf maps it to a named domain (NatsLeafSpec.hubDomain).
   */
  jetstreamDomain?: string;
  /** Users allowed to connect; with none, the client port is open to anyone who reaches it. */
  users?: { user: string; password: string }[];
}

/** A spec that cannot become a valid config; the message names the field and the fix. */
export class NatsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsConfigError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HOST = /^[A-Za-z0-9.:-]+$/;
const ROUTE = /^nats-route:\/\/[A-Za-z0-9.:[\]-]+:\d{1,5}$/;

function checkPort(field: string, port: number | undefined): void {
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NatsConfigError(`${field} must be an integer from 1 to 65535, got ${String(port)}`);
  }
}

function checkBytes(field: string, n: number | undefined): void {
  if (n === undefined) return;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new NatsConfigError(`${field} must be a positive whole number of bytes, got ${String(n)}`);
  }
}

/** A double-quoted config string; nats-server's lexer reads JSON-style escapes. */
function quote(field: string, s: string): string {
  // Control characters would need escapes a reader of the file cannot see; refuse them.
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new NatsConfigError(`${field} must not contain control characters`);
  return JSON.stringify(s);
}

/** Checks a spec; throws NatsConfigError naming the first bad field. */
export function checkNatsServerSpec(spec: NatsServerSpec): void {
  if (!NAME.test(spec.name)) {
    throw new NatsConfigError(`name must be 1-64 letters, digits, '.', '-' or '_' (starting with a letter or digit), got ${JSON.stringify(spec.name)}`);
  }
  if (spec.host !== undefined && !HOST.test(spec.host)) {
    throw new NatsConfigError(`host must be an IP address or a hostname, got ${JSON.stringify(spec.host)}`);
  }
  checkPort('clientPort', spec.clientPort);
  checkPort('httpPort', spec.httpPort);
  checkPort('leafnodePort', spec.leafnodePort);
  checkBytes('maxFileStore', spec.maxFileStore);
  checkBytes('maxMemoryStore', spec.maxMemoryStore);
  if (typeof spec.storeDir !== 'string' || !spec.storeDir.startsWith('/')) {
    throw new NatsConfigError(`storeDir must be an absolute path, got ${JSON.stringify(spec.storeDir)}`);
  }
  quote('storeDir', spec.storeDir);
  const ports = [spec.clientPort, spec.httpPort, spec.leafnodePort, spec.cluster?.port].filter((p) => p !== undefined);
  if (new Set(ports).size !== ports.length) {
    throw new NatsConfigError(`clientPort, httpPort, leafnodePort and cluster.port must differ, got ${ports.join(', ')}`);
  }
  if (spec.jetstreamDomain !== undefined && !NAME.test(spec.jetstreamDomain)) {
    throw new NatsConfigError(`jetstreamDomain must be 1-64 letters, digits, '.', '-' or '_', got ${JSON.stringify(spec.jetstreamDomain)}`);
  }
  if (spec.cluster) {
    if (!NAME.test(spec.cluster.name)) {
      throw new NatsConfigError(`cluster.name must be 1-64 letters, digits, '.', '-' or '_', got ${JSON.stringify(spec.cluster.name)}`);
    }
    checkPort('cluster.port', spec.cluster.port);
    if (spec.cluster.routes.length === 0) throw new NatsConfigError('cluster.routes must list the route URL of at least one member');
    for (const r of spec.cluster.routes) {
      if (!ROUTE.test(r)) throw new NatsConfigError(`cluster.routes: ${JSON.stringify(r)} is not a route URL like nats-route://10.0.0.1:6222`);
    }
  }
  for (const u of spec.users ?? []) {
    if (!NAME.test(u.user)) throw new NatsConfigError(`users: user must be 1-64 letters, digits, '.', '-' or '_', got ${JSON.stringify(u.user)}`);
    if (typeof u.password !== 'string' || u.password.length < 16) {
      throw new NatsConfigError(`users: the password of ${u.user} must be at least 16 characters`);
    }
    quote(`users: the password of ${u.user}`, u.password);
  }
}

/** The text of one server's config file. */
export function natsServerConfig(spec: NatsServerSpec): string {
  checkNatsServerSpec(spec);
  const host = spec.host ?? '127.0.0.1';
  const lines = [
    '# Generated by atoll (src/cluster/nats-server-config.ts) for nats-server 2.9.',
    `server_name: ${quote('name', spec.name)}`,
    `listen: "${host}:${spec.clientPort}"`,
  ];
  if (spec.httpPort !== undefined) lines.push(`http: "${host}:${spec.httpPort}"`);
  lines.push('');
  if (spec.syncAlways) {
    lines.push('# fsync before every acknowledgement (nats-server 2.10+).');
  } else {
    lines.push(
      '# Acknowledged writes reach the OS before the ack; fsync runs on a timer that 2.9',
      '# does not let us set (sync_interval is 2.10+). See docs/operations.md, "Durability".',
    );
  }
  lines.push('jetstream {', `  store_dir: ${quote('storeDir', spec.storeDir)}`);
  if (spec.jetstreamDomain !== undefined) lines.push(`  domain: ${quote('jetstreamDomain', spec.jetstreamDomain)}`);
  if (spec.syncAlways) lines.push('  sync_interval: always');
  if (spec.maxFileStore !== undefined) lines.push(`  max_file_store: ${spec.maxFileStore}`);
  if (spec.maxMemoryStore !== undefined) lines.push(`  max_memory_store: ${spec.maxMemoryStore}`);
  lines.push('}');
  if (spec.cluster) {
    lines.push(
      '',
      'cluster {',
      `  name: ${quote('cluster.name', spec.cluster.name)}`,
      `  listen: "${host}:${spec.cluster.port}"`,
      '  routes: [',
      ...spec.cluster.routes.map((r) => `    ${quote('route', r)}`),
      '  ]',
      '}',
    );
  }
  if (spec.leafnodePort !== undefined) {
    lines.push('', 'leafnodes {', `  listen: "${host}:${spec.leafnodePort}"`, '}');
  }
  if (spec.users && spec.users.length > 0) {
    lines.push('', 'authorization {', '  users: [');
    for (const u of spec.users) {
      lines.push(`    { user: ${quote('user', u.user)}, password: ${quote('password', u.password)} }`);
    }
    lines.push('  ]', '}');
  }
  return lines.join('\n') + '\n';
}

export interface NatsClusterPlan {
  /** Cluster name; "atoll" unless given. */
  name?: string;
  host?: string;
  /**
   * One entry per server, in order: its ports and data directory, and its address when
   * the servers are on different machines (it listens there and the others route to it).
   */
  servers: { host?: string; clientPort: number; clusterPort: number; httpPort?: number; storeDir: string; leafnodePort?: number; syncAlways?: boolean }[];
  users?: NatsServerSpec['users'];
  /** JetStream domain of the cluster (see NatsServerSpec.jetstreamDomain). */
  jetstreamDomain?: string;
}

/**
 * Specs for a cluster of N servers named `<name>-1` .. `<name>-N`, each routing to all
 * the others. One server makes a plain single-server spec (no cluster block): a cluster
 * of one cannot elect a JetStream meta leader with any peer, and does not need to.
 */
export function natsClusterSpecs(plan: NatsClusterPlan): NatsServerSpec[] {
  const name = plan.name ?? 'atoll';
  const host = plan.host ?? '127.0.0.1';
  if (plan.servers.length === 0) throw new NatsConfigError('servers must list at least one server');
  if (plan.servers.length === 2) {
    // JetStream needs a majority; of two servers, losing either stops every write.
    throw new NatsConfigError('a cluster of 2 cannot survive the loss of either server; use 1, or 3 or more');
  }
  const routes = plan.servers.map((s) => `nats-route://${s.host ?? host}:${s.clusterPort}`);
  return plan.servers.map((s, i) => ({
    name: `${name}-${i + 1}`,
    host: s.host ?? host,
    syncAlways: s.syncAlways,
    clientPort: s.clientPort,
    httpPort: s.httpPort,
    storeDir: s.storeDir,
    leafnodePort: s.leafnodePort,
    users: plan.users,
    jetstreamDomain: plan.jetstreamDomain,
    cluster: plan.servers.length > 1 ? { name, port: s.clusterPort, routes: routes.filter((_, j) => j !== i) } : undefined,
  }));
}

export interface NatsLeafSpec {
  name: string;
  host?: string;
  /** Port the location's own processes connect to. */
  clientPort: number;
  httpPort?: number;
  /** Leaf-node URLs of the hub cluster (`nats-leaf://host:7422`), all of them for failover. */
  hubs: string[];
  /** Credentials the leaf presents to the hub, when the hub has users. */
  hubUser?: { user: string; password: string };
  /** The hub's JetStream domain: the leaf sends its clients' JetStream API traffic there. */
  hubDomain: string;
}

/**
 * A leaf node for one location: a local nats-server the location's edges connect to,
 * holding one connection to the hub. It runs no JetStream of its own, so KV and object
 * store requests go through it to the hub; what it saves is one WAN connection per edge
 * process and the fan-out of core NATS messages (cache purges, logs) inside the location.
 *
 * nats-server denies JetStream API traffic across a leaf connection ("JetStream Not
 * Extended") unless it goes to a named domain; atoll's clients use no domain, so the
 * leaf maps its account's default to the hub's with `default_js_domain`, an option
 * nats-server 2.9 marks as temporary (it warns at start). Tested with KV put, get and
 * watch through a leaf (test/cluster/nats-server-config.test.ts).
 */
export function natsLeafConfig(spec: NatsLeafSpec): string {
  if (!NAME.test(spec.name)) throw new NatsConfigError(`name must be 1-64 letters, digits, '.', '-' or '_', got ${JSON.stringify(spec.name)}`);
  if (spec.host !== undefined && !HOST.test(spec.host)) throw new NatsConfigError(`host must be an IP address or a hostname, got ${JSON.stringify(spec.host)}`);
  checkPort('clientPort', spec.clientPort);
  checkPort('httpPort', spec.httpPort);
  if (spec.hubs.length === 0) throw new NatsConfigError('hubs must list at least one leaf-node URL of the hub cluster');
  if (!NAME.test(spec.hubDomain ?? '')) throw new NatsConfigError(`hubDomain must be the hub's JetStream domain (1-64 letters, digits, '.', '-' or '_'), got ${JSON.stringify(spec.hubDomain)}`);
  const urls = spec.hubs.map((h) => {
    let u: URL;
    try {
      u = new URL(h);
    } catch {
      throw new NatsConfigError(`hubs: ${JSON.stringify(h)} is not a URL like nats-leaf://10.0.0.1:7422`);
    }
    if (u.protocol !== 'nats-leaf:' || !u.port || u.username || u.pathname.replace(/^\/$/, '') !== '') {
      throw new NatsConfigError(`hubs: ${JSON.stringify(h)} is not a URL like nats-leaf://10.0.0.1:7422 (credentials go in hubUser)`);
    }
    if (spec.hubUser) {
      u.username = encodeURIComponent(spec.hubUser.user);
      u.password = encodeURIComponent(spec.hubUser.password);
    }
    return quote('hubs', u.toString());
  });
  const host = spec.host ?? '127.0.0.1';
  const lines = [
    '# Generated by atoll (src/cluster/nats-server-config.ts): a leaf node for one location.',
    `server_name: ${quote('name', spec.name)}`,
    `listen: "${host}:${spec.clientPort}"`,
  ];
  if (spec.httpPort !== undefined) lines.push(`http: "${host}:${spec.httpPort}"`);
  lines.push(
    '',
    '# JetStream requests of this leaf\'s clients go to the hub\'s domain.',
    `default_js_domain: { "$G": ${quote('hubDomain', spec.hubDomain)} }`,
    '',
    'leafnodes {', '  remotes: [', `    { urls: [${urls.join(', ')}] }`, '  ]', '}',
  );
  return lines.join('\n') + '\n';
}

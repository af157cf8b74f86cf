/** A throw-away PostgreSQL cluster (scripts/pg-cluster.mjs). */
export interface Cluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust: connections from this machine only) */
  url: string;
  port: number;
  /** the data folder (PGDATA) */
  dataDir: string;
  /** the folder of the Unix socket (beside the data folder, the cluster owner's alone) */
  socketDir: string;
  /** the server's log */
  logFile: string;
  /** fast shutdown: in-flight transactions are rolled back, committed data is kept */
  stop(): Promise<void>;
  /** the same data folder on the same port again */
  start(): Promise<void>;
  /** stop, then delete the cluster's folder */
  remove(): Promise<void>;
}

/** The server programs' folder, or why PostgreSQL cannot be run here. `where` is for tests. */
export function findPostgres(where?: { libDir?: string; path?: string }): { bin: string } | { reason: string };

/** A fresh cluster under `dir` (default the OS temp folder) on `port` (default a free one). */
export function startCluster(options?: { port?: number; dir?: string }): Promise<Cluster>;

/**
 * Stops and deletes the clusters under `dir` (default the OS temp folder) whose starting process
 * has ended without removing them; running processes' clusters and the command line's are kept.
 */
export function pruneClusters(options?: { dir?: string }): Promise<string[]>;

declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of dynalite's server factory. */
  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
    ssl?: boolean;
  }

  /** Creates a dynalite HTTP server (not yet listening). */
  export default function dynalite(options?: DynaliteOptions): Server;
}
